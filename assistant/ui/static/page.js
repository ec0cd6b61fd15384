// The chat page's behaviour that Gradio does not give: the browser's language, a conversation
// kept per tab (sessionStorage), citation markers that open their source, each new question
// scrolled to the top, one screen-reader announcement per answer, and a Send button that is
// disabled while the box is empty or an answer is being made.
(() => {
  "use strict";
  const KEY = "career-assistant:conversation";
  const wanted = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  const lang = wanted.toLowerCase().startsWith("vi") ? "vi" : "en";
  const TITLES = { en: "Career assistant", vi: "Trợ lý nghề nghiệp" };
  document.documentElement.lang = lang;
  document.title = TITLES[lang];

  let busy = false;
  const update = (interactive) => ({ __type__: "update", interactive });
  const question = () => document.querySelector("#question textarea");
  const log = () => document.querySelector("#chat [role='log']") ||
    document.querySelector("#chat .bubble-wrap");

  const api = {
    lang,
    get busy() { return busy; },
    sendState(text) { return update(Boolean((text || "").trim()) && !busy); },
    started(text) {
      if (!(text || "").trim()) return;
      busy = true;
      const send = document.querySelector("#send");  // at once, before the server says so
      if (send) send.disabled = true;
    },
    finished() {
      busy = false;
      announceLastAnswer();
    },
    cleared() {
      busy = false;
      sessionStorage.removeItem(KEY);
      setTimeout(() => question()?.focus(), 50);
    },
    load() {
      try { return JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch { return null; }
    },
    save(turns) {
      try {
        if (Array.isArray(turns) && turns.length) sessionStorage.setItem(KEY, JSON.stringify(turns));
        else sessionStorage.removeItem(KEY);
      } catch { /* storage full or disabled: the conversation is simply not kept */ }
    },
    // The question just sent goes to the top of the chat, so the answer reads from its start.
    showQuestion() {
      const place = () => {
        const box = log();
        const users = document.querySelectorAll("#chat [data-testid='user']");
        const last = users[users.length - 1];
        if (!box || !last) return;
        const row = last.closest(".message-row") || last;
        const top = row.getBoundingClientRect().top - box.getBoundingClientRect().top;
        box.scrollTop += top - 8;
      };
      requestAnimationFrame(() => { place(); setTimeout(place, 120); });
    },
    openSource,
    localize() {  // Gradio sets the title from its config: say it in the page's language
      document.title = TITLES[lang];
      return lang;
    },
  };
  window.careerChat = api;

  // --- sources -----------------------------------------------------------------------------
  function sourceGroup(from, n) {
    const row = from.closest(".message-row") || document;
    for (const group of row.querySelectorAll(".thought-group")) {
      const numbers = group.querySelector(".source-numbers");
      if (numbers && numbers.textContent.split(/\s+/).includes(`[${n}]`)) return group;
    }
    return null;
  }

  function openSource(link) {
    const n = (link.getAttribute("href") || "").replace("#source-", "");
    const group = sourceGroup(link, n);
    if (!group) return;
    const title = group.querySelector(".title");
    if (title && !title.classList.contains("expanded")) title.click();
    setTimeout(() => {
      const passage = group.querySelector(`.passage.source-${n}`) || group;
      passage.scrollIntoView({ block: "center", behavior: "smooth" });
      passage.classList.add("flash");
      setTimeout(() => passage.classList.remove("flash"), 1600);
      title?.focus({ preventScroll: true });
    }, 80);
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest?.("a.cite");
    if (link) {
      event.preventDefault();
      openSource(link);
      return;
    }
    const title = event.target.closest?.(".thought-group > .title");
    if (title) {  // a source opened by hand opens in view
      setTimeout(() => title.parentElement.scrollIntoView({ block: "nearest", behavior: "smooth" }), 80);
    }
  });
  document.addEventListener("keydown", (event) => {
    // Gradio's source titles open with Enter; buttons also open with Space.
    const title = event.target.closest?.(".thought-group > .title");
    if (title && event.key === " ") {
      event.preventDefault();
      title.click();
    }
  });

  // --- accessibility -------------------------------------------------------------------------
  let announcer = null;
  function announceLastAnswer() {
    if (!announcer) return;
    const answers = document.querySelectorAll("#chat .answer");
    const last = answers[answers.length - 1];
    if (!last) return;
    // The answer's words, without its markers' "Source n" (the sources follow it anyway).
    const copy = (last.querySelector("p") || last).cloneNode(true);
    copy.querySelectorAll("a.cite").forEach((link) => link.remove());
    const text = copy.textContent.replace(/\s+([.,;:!?])/g, "$1").replace(/\s+/g, " ").trim();
    announcer.textContent = "";
    setTimeout(() => { announcer.textContent = text; }, 50);
  }

  function mend() {
    if (!announcer && document.body) {
      announcer = document.createElement("div");
      announcer.id = "announcer";
      announcer.className = "sr-only";
      announcer.setAttribute("role", "status");
      announcer.setAttribute("aria-live", "polite");
      document.body.appendChild(announcer);
    }
    // The chat log is announced once per answer (above), not at each streamed piece.
    const box = document.querySelector("#chat [aria-live]");
    if (box && box.getAttribute("aria-live") !== "off") box.setAttribute("aria-live", "off");
    // Gradio labels each message with its raw markup; its text is the better name.
    for (const message of document.querySelectorAll("#chat [data-testid][aria-label]")) {
      message.removeAttribute("aria-label");
    }
    for (const title of document.querySelectorAll("#chat .thought-group > .title")) {
      const open = String(title.classList.contains("expanded"));
      if (title.getAttribute("aria-expanded") !== open) title.setAttribute("aria-expanded", open);
    }
  }

  const start = () => {
    mend();
    new MutationObserver(mend).observe(document.body, {
      subtree: true, childList: true, attributes: true,
      attributeFilter: ["aria-label", "aria-live", "class"],
    });
  };
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
