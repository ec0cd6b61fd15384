"""The chat page in a real browser: Debian's chromium driven by Playwright, as people use it.

A phone (390x844, touch) and a laptop (1366x768), in English and Vietnamese, in light and dark
themes: answers first with sources that open in view, nothing lost on a double Enter, a
conversation kept across a reload, and axe-core finding no serious accessibility violation.
Screenshots go to ``test-artefacts/browser/`` (git-ignored) for a person to look at.

Browser tests (marked ``slow``) need /usr/bin/chromium, which ``make test`` installs with apt.
Playwright's own browser download is never used (see ENVIRONMENT.md).
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import free_port, wait_until_served

from assistant import Assistant, Settings
from assistant.answer import Answer, AnswerStream
from assistant.catalog import Catalog
from assistant.embeddings import E5Embeddings
from assistant.ui import serve
from assistant.ui.limits import Limits

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "test-artefacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
LAPTOP = {"viewport": {"width": 1366, "height": 768}}
USER, BOT = "#chat [data-testid='user']", "#chat [data-testid='bot']"
ANSWER = "#chat .answer"
AM_QUESTION = "What does an account manager do?"
#: A follow-up that makes sense only after a question about a role ("their"); what it should
#: say comes from ``bot.ask`` with and without the conversation (``_start``).
FOLLOW_UP = "How much of their time goes to execution?"
PWNED = "window.pwned=1"  # no "__": Markdown made plain would read it as bold
SCRIPT = f"<script>{PWNED}</script>"
IMG = f'<img src=x onerror="{PWNED}">'
PITCH_NOTE = f"""---
title: 'Pitch day checklist {IMG}'
language: en
kind: note
---
# Pitch day checklist

The pitch day checklist {SCRIPT} tells the account executive to bring printed decks, the brief \
and a backup laptop {IMG} to the client pitch.

The account manager reviews the pitch day checklist the evening before the pitch.
"""


# --- servers and browsers ----------------------------------------------------------------------
def _serve(bot: Any) -> Iterator[str]:
    port = free_port()
    # No rate limit: every page and question comes from the same address.
    app = serve(bot, host="127.0.0.1", port=port, block=False, limits=Limits(rate_per_minute=0))
    yield f"http://127.0.0.1:{port}/"
    app.close(verbose=False)


class SlowBot:
    """The real assistant, its answers streamed slowly (a test double for a slow model), so
    that a test can act while an answer is being made."""

    def __init__(self, bot: Assistant, delay: float) -> None:
        self.bot, self.delay, self.settings = bot, delay, bot.settings

    def stream(self, question: str, history: Any = None) -> AnswerStream:
        inner = self.bot.stream(question, history)

        def pieces() -> Iterator[str]:
            for piece in inner:
                time.sleep(self.delay)
                yield piece

        def result() -> Answer:
            assert inner.result is not None
            return inner.result

        return AnswerStream(pieces(), result)

    def warm_up(self) -> None:
        self.bot.warm_up()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's chromium under Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(
            "The browser tests need /usr/bin/chromium: `apt-get install chromium` "
            "(`make test` installs it)."
        )
    from playwright.sync_api import sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page_url(bot: Assistant) -> Iterator[str]:
    """The chat page on the shipped corpus."""
    yield from _serve(bot)


@pytest.fixture(scope="module")
def slow_url(bot: Assistant) -> Iterator[str]:
    """The chat page on the shipped corpus, each answer taking a few seconds."""
    yield from _serve(SlowBot(bot, delay=0.06))


@pytest.fixture(scope="module")
def pitch_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus whose one note holds a <script> and an onerror <img>."""
    corpus = tmp_path_factory.mktemp("pitch") / "corpus"
    (corpus / "notes").mkdir(parents=True)
    (corpus / "notes" / "pitch-day.md").write_text(PITCH_NOTE, "utf-8")
    return corpus


@pytest.fixture(scope="module")
def pitch_url(pitch_corpus: Path, e5: E5Embeddings) -> Iterator[str]:
    """The chat page on that corpus."""
    bot = Assistant(
        Settings(corpus_dir=pitch_corpus, index_dir=pitch_corpus.parent / "index"), embeddings=e5
    )
    bot.index()
    yield from _serve(bot)


def _open(
    browser: Any,
    url: str,
    device: dict[str, Any] | None = None,
    locale: str = "en-US",
    theme: str = "light",
) -> tuple[Any, list[str]]:
    """A page in a fresh browser session, and the list of requests it makes off this machine."""
    context = browser.new_context(**(device or PHONE), locale=locale, color_scheme=theme)
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else None
        ),
    )
    page.goto(url + (f"?__theme={theme}" if theme == "dark" else ""), wait_until="load")
    _ready(page)
    return page, outside


def _ready(page: Any) -> None:
    page.wait_for_selector("#question textarea")
    # The load events have run: the page speaks the browser's language, the kept turns are back.
    page.wait_for_function(
        "() => document.title === (document.documentElement.lang === 'vi'"
        " ? 'Trợ lý nghề nghiệp' : 'Career assistant')"
    )
    # ...and the components the load event relabels have their words (slow on a busy machine).
    page.wait_for_function(
        "() => { const h = document.querySelector('#heading h1');"
        " const b = document.querySelector('#send');"
        " return h && b && h.innerText.trim() === document.title"
        " && b.innerText.trim() === (document.documentElement.lang === 'vi' ? 'Gửi' : 'Send'); }"
    )
    page.wait_for_timeout(300)


def _ask(page: Any, question: str) -> Any:
    """Type ``question``, press Enter, and return the answer's bubble once it is whole."""
    before = page.locator(ANSWER).count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    _finished(page, before)
    return page.locator(ANSWER).nth(before)


def _finished(page: Any, answers_before: int) -> None:
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length > n && !window.careerChat.busy",
        arg=[ANSWER, answers_before],
        timeout=60_000,
    )
    page.wait_for_timeout(250)  # the last scroll and the announcement


def _start(bot: Assistant, question: str, history: list[str] | None = None) -> str:
    """The first words of the answer the page should show (before any marker)."""
    return bot.ask(question, history).answer.split("[")[0][:40]


def _box(locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, "not shown"
    return box


def _in_view(page: Any, locator: Any) -> bool:
    box, size = _box(locator), page.viewport_size
    return box["y"] >= 0 and box["y"] + min(box["height"], 40) <= size["height"]


def _shot(page: Any, name: str) -> Path:
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    return path


# Visible controls smaller than 44x44 px (links within text: smaller than 24 px high).
SMALL_TARGETS = """() => [...document.querySelectorAll(
        'button, [role=button], a[href], input, textarea, select, summary')]
    .filter((e) => e.offsetParent !== null && !e.closest('[aria-hidden=true]'))
    .map((e) => [e, e.getBoundingClientRect()])
    .filter(([e, r]) => r.width > 0 && (e.matches('#chat p a, #chat .origin a')
        ? r.height < 24 : r.height < 44 || r.width < 44))
    .map(([e, r]) => `${e.tagName}.${e.className} ${Math.round(r.width)}x${Math.round(r.height)}`)
"""


# --- phone first ------------------------------------------------------------------------------
def test_phone_answer_first_with_sources_that_open_in_view(
    chromium: Any, page_url: str, bot: Assistant
) -> None:
    page, outside = _open(chromium, page_url)
    _shot(page, "phone-start")
    # A newcomer sees what it is, examples to tap, the box and "New conversation".
    assert page.locator("#intro-text").is_visible()
    assert "I answer questions from" in page.locator("#intro-text").inner_text()
    assert "tap an example above" in page.locator("#chat").inner_text()
    for control in ("#new-conversation", "#send", "#question textarea"):
        assert _in_view(page, page.locator(control)), control
    # Touch targets of at least 44 px; text that iOS does not zoom into.
    for control in (
        "#new-conversation",
        "#send",
        "#intro > button",
        "#examples-en button >> nth=0",
    ):
        box = _box(page.locator(control).first)
        assert box["height"] >= 44 and box["width"] >= 44, (control, box)
    size = page.eval_on_selector("#question textarea", "e => getComputedStyle(e).fontSize")
    assert float(size.removesuffix("px")) >= 16

    answer = _ask(page, AM_QUESTION)
    # The page itself does not scroll: the chat does, and the box stays in view.
    assert page.evaluate("window.scrollY") == 0
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    for control in ("#new-conversation", "#send", "#question textarea"):
        assert _in_view(page, page.locator(control)), control
    # The question and the start of its answer are on screen.
    assert _in_view(page, page.locator(USER).last)
    assert _in_view(page, answer)
    assert answer.inner_text().startswith(_start(bot, AM_QUESTION))
    # The intro folded away to give the chat the room.
    assert not page.locator("#intro-text").is_visible()
    _shot(page, "phone-answer")

    # A marker opens its source, in view, the quoted sentence highlighted.
    answer.locator("a.cite").first.click()
    passage = page.locator("#chat .passage.source-1")
    passage.wait_for(timeout=5_000)
    page.wait_for_timeout(600)  # smooth scrolling
    assert _in_view(page, passage)
    assert passage.locator("mark").count() >= 1
    title = page.locator("#chat .thought-group .title").first
    assert title.get_attribute("aria-expanded") == "true"
    assert _box(title)["height"] >= 44
    _shot(page, "phone-source-open")
    # Every control a thumb can hit is 44 px or more; links inside text at least 24 px.
    small = page.evaluate(SMALL_TARGETS)
    assert small == [], small

    follow = _ask(page, FOLLOW_UP)  # needs the first turn: "their" is account managers'
    assert _start(bot, FOLLOW_UP, [AM_QUESTION]) in follow.inner_text()
    assert _in_view(page, page.locator(USER).last) and _in_view(page, follow)
    _shot(page, "phone-follow-up")
    assert outside == []  # no fonts, analytics or images from the internet
    page.context.close()


def test_laptop_layout(chromium: Any, page_url: str) -> None:
    page, outside = _open(chromium, page_url, LAPTOP)
    _shot(page, "laptop-start")
    answer = _ask(page, "What does an account executive do?")
    assert _in_view(page, answer) and _in_view(page, page.locator("#send"))
    assert page.evaluate("window.scrollY") == 0
    sources = page.locator("#chat .thought-group .title")
    assert sources.count() >= 1
    titles = sources.all_inner_texts()
    assert not any("corpus/" in t or ".md" in t for t in titles)  # titles, not file paths
    assert all(re.match(r"\[\d+\]", t) for t in titles)
    sources.first.click()
    page.wait_for_timeout(500)
    assert page.locator("#chat .origin").first.is_visible()
    _shot(page, "laptop-source-open")
    assert outside == []
    page.context.close()


# --- nothing lost -----------------------------------------------------------------------------
def test_blank_and_double_sends_post_nothing_more(
    chromium: Any, slow_url: str, bot: Assistant
) -> None:
    page, _ = _open(chromium, slow_url)
    box, send = page.locator("#question textarea"), page.locator("#send")
    assert send.is_disabled()  # nothing typed
    box.press("Enter")
    box.fill("   ")
    assert send.is_disabled()
    box.press("Enter")
    page.wait_for_timeout(800)
    assert page.locator(USER).count() == 0 and page.locator(BOT).count() == 0
    assert page.locator("#intro-text").is_visible()  # the newcomer's intro stays
    assert page.get_by_text("nothing to send").count() == 0  # and no error is shown

    box.fill(AM_QUESTION)
    assert send.is_enabled()
    box.press("Enter")
    box.press("Enter")  # the double Enter that used to post an empty bubble
    page.wait_for_function("() => window.careerChat.busy")
    assert send.is_disabled()  # while the answer is being made
    page.locator(USER).first.wait_for()
    assert send.is_disabled()
    box.fill(FOLLOW_UP)  # the next question typed meanwhile is kept, not sent
    assert send.is_disabled()
    box.press("Enter")
    _finished(page, 0)
    assert page.locator(USER).count() == 1
    assert page.locator(USER).first.inner_text() == AM_QUESTION
    assert "Please type a question" not in page.locator("#chat").inner_text()
    assert box.input_value() == FOLLOW_UP
    assert send.is_enabled()
    send.click()
    _finished(page, 1)
    assert page.locator(USER).count() == 2
    assert _start(bot, FOLLOW_UP, [AM_QUESTION]) in page.locator(ANSWER).nth(1).inner_text()
    page.context.close()


def test_conversation_survives_a_reload_in_its_tab_only(
    chromium: Any, page_url: str, bot: Assistant
) -> None:
    page, _ = _open(chromium, page_url)
    _ask(page, AM_QUESTION)
    answer = page.locator(ANSWER).first.inner_text()
    page.reload(wait_until="load")
    _ready(page)
    page.wait_for_selector(ANSWER)
    assert page.locator(USER).count() == 1
    assert page.locator(ANSWER).first.inner_text() == answer
    assert not page.locator("#intro-text").is_visible()  # a conversation is going on
    # The kept turns still carry the conversation.
    assert _start(bot, FOLLOW_UP, [AM_QUESTION]) in _ask(page, FOLLOW_UP).inner_text()

    other = page.context.new_page()  # another tab of the same browser starts afresh
    other.goto(page_url, wait_until="load")
    _ready(other)
    assert other.locator(USER).count() == 0
    other.close()

    page.locator("#question textarea").fill("A question being typed")
    page.locator("#new-conversation").click()
    page.wait_for_function("(sel) => document.querySelectorAll(sel).length === 0", arg=USER)
    page.locator("#intro-text").wait_for(state="visible", timeout=5_000)  # the intro is back
    assert page.locator("#question textarea").input_value() == "A question being typed"
    page.reload(wait_until="load")
    _ready(page)
    assert page.locator(USER).count() == 0
    page.context.close()


def test_each_browser_session_has_its_own_history(
    chromium: Any, page_url: str, bot: Assistant
) -> None:
    first, _ = _open(chromium, page_url)
    _ask(first, AM_QUESTION)
    second, _ = _open(chromium, page_url)
    assert second.locator(USER).count() == 0
    reply = _ask(second, FOLLOW_UP)  # no earlier turn here: not about account managers
    alone, with_history = _start(bot, FOLLOW_UP), _start(bot, FOLLOW_UP, [AM_QUESTION])
    assert alone != with_history  # else this test shows nothing
    assert alone in reply.inner_text()
    assert with_history not in reply.inner_text()
    assert first.locator(USER).count() == 1
    first.context.close()
    second.context.close()


# --- in the user's language -------------------------------------------------------------------
def test_vietnamese_browser_gets_a_vietnamese_page(
    chromium: Any, page_url: str, corpus_index: Settings
) -> None:
    page, outside = _open(chromium, page_url, locale="vi-VN")
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert page.title() == "Trợ lý nghề nghiệp"
    assert page.locator("#heading h1").inner_text() == "Trợ lý nghề nghiệp"
    assert page.locator("#question textarea").get_attribute("placeholder").startswith("Nhập")
    assert page.locator("#send").inner_text() == "Gửi"
    assert page.locator("#new-conversation").inner_text() == "Cuộc trò chuyện mới"
    assert page.locator("#intro-text").inner_text().startswith("Tôi trả lời")
    assert "chạm vào một câu hỏi mẫu" in page.locator("#chat").inner_text()
    examples = Catalog.load(corpus_index.corpus_dir).examples("vi")
    assert page.locator("#examples-vi").is_visible()
    assert not page.locator("#examples-en").is_visible()
    assert page.locator("#examples-vi button").first.inner_text().strip() == examples[0]
    _shot(page, "phone-vi-start")

    page.locator("#examples-vi button").nth(2).click()  # an example asks at once
    _finished(page, 0)
    assert page.locator(USER).first.inner_text() == examples[2]
    answer = page.locator(ANSWER).first
    assert answer.get_attribute("lang") == "vi"
    assert "Nguồn" in answer.inner_text()
    assert page.locator(f"{USER} [lang='vi']").count() == 1
    # The examples stay reachable: the intro opens again and offers them.
    page.locator("#intro > button").click()
    assert page.locator("#examples-vi button").first.is_visible()
    _shot(page, "phone-vi-answer")
    assert outside == []
    page.context.close()


def test_english_browser_gets_english_examples(
    chromium: Any, page_url: str, corpus_index: Settings
) -> None:
    page, _ = _open(chromium, page_url, LAPTOP, locale="en-GB")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("#send").inner_text() == "Send"
    examples = Catalog.load(corpus_index.corpus_dir).examples("en")
    shown = [t.strip() for t in page.locator("#examples-en button").all_inner_texts()]
    assert shown == examples
    assert not page.locator("#examples-vi").is_visible()
    page.context.close()


# --- accessible -------------------------------------------------------------------------------
SERIOUS = ("serious", "critical")


def _axe(page: Any) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "resultTypes": ["violations"],
            "runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
        },
    )
    return [v for v in results.response["violations"] if v.get("impact") in SERIOUS]


# axe-core does not check placeholders: the contrast of the question box's placeholder text.
PLACEHOLDER_CONTRAST = """() => {
    const box = document.querySelector('#question textarea');
    const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
    const lum = ([r, g, b]) => {
        const f = (v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    let el = box, bg = null;
    while (el) {
        const c = rgb(getComputedStyle(el).backgroundColor);
        if (c.length < 4 || c[3] > 0) { bg = c; break; }
        el = el.parentElement;
    }
    bg = bg || [255, 255, 255];
    const fg = rgb(getComputedStyle(box, '::placeholder').color);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
}"""


def _describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:4]}"
        for v in violations
    )


@pytest.mark.parametrize(
    ("device", "theme"),
    [("phone", "light"), ("phone", "dark"), ("laptop", "light"), ("laptop", "dark")],
)
def test_no_serious_accessibility_violations(
    chromium: Any, page_url: str, device: str, theme: str
) -> None:
    page, _ = _open(chromium, page_url, PHONE if device == "phone" else LAPTOP, theme=theme)
    before = _axe(page)
    assert before == [], _describe(before)
    assert page.evaluate(PLACEHOLDER_CONTRAST) >= 4.5
    _ask(page, AM_QUESTION)
    page.locator("#chat a.cite").first.click()
    page.locator("#chat .passage").first.wait_for()
    page.wait_for_timeout(500)
    after = _axe(page)
    _shot(page, f"{device}-{theme}-axe")
    assert after == [], _describe(after)
    page.context.close()


def test_named_controls_headings_and_one_announcement_per_answer(
    chromium: Any, page_url: str, bot: Assistant
) -> None:
    page, _ = _open(chromium, page_url, LAPTOP)
    assert page.get_by_role("button", name="Send").count() == 1
    assert page.get_by_role("button", name="New conversation").count() == 1
    assert page.get_by_role("textbox", name="Your question").count() == 1
    assert page.get_by_role("heading", level=1, name="Career assistant").count() == 1
    page.evaluate("""() => {
        window.__announced = [];
        new MutationObserver(() => {
            const text = document.getElementById('announcer').textContent;
            if (text) window.__announced.push(text);
        }).observe(document.getElementById('announcer'), {childList: true, subtree: true,
                                                         characterData: true});
    }""")
    answer = _ask(page, AM_QUESTION)
    page.wait_for_timeout(300)
    announced = page.evaluate("window.__announced")
    assert len(announced) == 1 and announced[0].startswith(_start(bot, AM_QUESTION).strip())
    assert "Source" not in announced[0]  # the answer's words, not its markers
    assert page.locator("#chat [aria-live]").first.get_attribute("aria-live") == "off"
    assert page.get_by_role("heading", name="Sources").count() == 1
    assert answer.get_attribute("lang") == "en"
    assert page.locator(f"{BOT}[aria-label]").count() == 0  # no raw markup as a name
    assert page.get_by_role("link", name=re.compile(r"Source\s*1")).count() == 1
    source = page.locator("#chat .thought-group .title").first
    assert source.get_attribute("role") == "button"
    assert source.get_attribute("aria-expanded") == "false"
    source.focus()
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert source.get_attribute("aria-expanded") == "true"
    page.context.close()


# --- what the page refuses: forged conversations, long pastes ------------------------------------
@pytest.fixture(scope="module")
def served(bot: Assistant) -> Iterator[tuple[str, Any]]:
    """The chat page on the shipped corpus, and the running Gradio app (to look inside)."""
    port = free_port()
    app = serve(bot, host="127.0.0.1", port=port, auth=None, allow_public=False, block=False)
    url = f"http://127.0.0.1:{port}/"
    wait_until_served(url, timeout=60)
    yield url, app
    app.close(verbose=False)


def _stored_deep_link(app: Any, session_hash: str) -> str:
    """What Gradio 6.31's ``GET /gradio_api/deep_link`` stores for a session (routes.py), as
    if it had been made before the route was refused; returns the link's hash."""
    import orjson
    from gradio import route_utils, utils

    components = [
        utils.safe_deepcopy(c) for c in app.server_app.state_holder[session_hash].components
    ]
    data = orjson.dumps(
        components, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_PASSTHROUGH_DATETIME, default=str
    )
    link = str(route_utils.create_url_safe_hash(data))
    folder = Path(app.server_app.uploaded_file_dir) / "deep_links" / link
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "state.json").write_bytes(data)
    return link


def test_a_forged_deep_link_shows_nothing_and_fetches_nothing(
    chromium: Any, served: tuple[str, Any]
) -> None:
    """The attack of issue 16: plain API calls put a fake reply (a "log in again" link and a
    remote image) into a conversation and make a deep link to it; another browser opens it."""
    url, app = served
    evil = f"http://127.0.0.1:{free_port()}"
    fake = f'Session expired. <a href="{evil}/login">Log in again</a> <img src="{evil}/p.png">'
    forged = [
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        {"role": "assistant", "content": [{"type": "text", "text": fake}]},
    ]
    accept = next(i for i, f in app.fns.items() if getattr(f.fn, "__name__", "") == "accept")
    made = httpx.post(
        f"{url}gradio_api/run/predict",
        json={"fn_index": accept, "data": ["hi", forged, False, None], "session_hash": "mallory"},
    )
    assert made.status_code == 200 and "Log in again" in made.text  # mallory's own session
    assert httpx.get(f"{url}gradio_api/deep_link?session_hash=mallory").status_code == 404
    link = _stored_deep_link(app, "mallory")
    try:
        context = chromium.new_context(**LAPTOP)
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        opened = page.goto(f"{url}?deep_link={link}", wait_until="load")
        page.wait_for_timeout(2_000)  # time for a page that would render it, and its image
        assert opened is not None and opened.status == 400
        assert "Log in again" not in page.content()
        assert [r for r in requested if r.startswith(evil)] == []
        context.close()
    finally:
        shutil.rmtree(Path(app.server_app.uploaded_file_dir) / "deep_links" / link)


def test_a_long_paste_is_cut_with_a_notice_and_kept_cut(
    chromium: Any, served: tuple[str, Any], bot: Assistant
) -> None:
    url, app = served
    limit = bot.settings.max_question_chars
    paste = ((AM_QUESTION + " ") * 2_000)[:50_000]
    page, _ = _open(chromium, url, LAPTOP)
    answer = _ask(page, paste)
    notice = "Your question was 50,000 characters long; only the first 2,000 were used."
    assert answer.locator(".notice").inner_text() == notice
    assert len(page.locator(USER).last.inner_text()) <= limit
    kept = page.evaluate("window.careerChat.load()")  # the turns this tab keeps
    assert [len(t["question"]) for t in kept] == [limit]
    # What the server keeps of each session (its components' values and its states) holds the
    # cut question, and nothing longer.
    held = [
        str(session.config_values) + str(session.state_data)
        for session in app.server_app.state_holder.session_data.values()
    ]
    assert any(paste[: limit - 10] in h for h in held)
    assert not any(paste[: limit + 1] in h for h in held)
    page.context.close()


# --- corpus text stays text ---------------------------------------------------------------------
def test_corpus_html_is_shown_as_text_and_never_runs(chromium: Any, pitch_url: str) -> None:
    page, _ = _open(chromium, pitch_url, LAPTOP)
    _ask(page, "What is on the pitch day checklist?")
    for title in page.locator("#chat .thought-group .title").all():
        title.click()
    page.wait_for_timeout(300)  # an onerror would fire as soon as the <img> is shown

    assert page.evaluate("typeof window.pwned") == "undefined"
    text = page.locator("#chat").inner_text()
    assert text.count(SCRIPT) >= 2  # in the answer and in the passage, as text
    assert text.count(IMG) >= 3  # in the answer, the source's title and the passage
    assert page.locator("#chat script, #chat img[src='x']").count() == 0
    assert page.locator("#chat mark").count() >= 2  # the quoted sentences, highlighted
    _shot(page, "pitch")
    page.context.close()


def test_intro_and_examples_follow_the_corpus(
    chromium: Any, pitch_url: str, pitch_corpus: Path
) -> None:
    page, _ = _open(chromium, pitch_url, LAPTOP)
    assert page.locator("#intro-text").inner_text().startswith("I answer questions from one note")
    assert "Pitch day checklist" in page.locator("#documents").inner_text()
    assert not page.locator("#examples-en").is_visible()  # the note offers no examples
    added = pitch_corpus / "articles" / "brief.md"
    added.parent.mkdir(exist_ok=True)
    added.write_text(
        "---\ntitle: Writing a brief\nlanguage: en\nkind: article\n"
        'source: https://example.com/brief\nexamples: ["What is in a brief?"]\n'
        "---\nA brief tells the agency the client's objectives.\n",
        "utf-8",
    )
    try:
        time.sleep(2.1)  # the catalog looks at the files at most every 2 s
        page.reload(wait_until="load")
        _ready(page)
        intro = page.locator("#intro-text").inner_text()
        assert intro.startswith("I answer questions from one article and one note"), intro
        assert "Writing a brief" in page.locator("#documents").inner_text()
        assert page.locator("#examples-en button").all_inner_texts() == ["What is in a brief?"]
    finally:
        added.unlink()
    page.context.close()
