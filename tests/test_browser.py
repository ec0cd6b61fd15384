"""The chat page in a real browser: Debian's chromium driven by Playwright.

Browser tests (marked ``slow``): they need /usr/bin/chromium, which ``make test`` installs
with apt. Playwright's own browser download is never used (see ENVIRONMENT.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import free_port

from assistant import Assistant, Settings
from assistant.embeddings import E5Embeddings
from assistant.ui import EXAMPLES, serve

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
BOT = '[data-testid="bot"]'
AM_QUESTION = "What does an account manager do?"
FOLLOW_UP = "And how long until they become a director?"
AM_AD_NOTE = "corpus/notes/account-manager-and-director-en.md"
PWNED = "window.__pwned=1"
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


def _serve(bot: Assistant) -> Iterator[str]:
    port = free_port()
    app = serve(bot, host="127.0.0.1", port=port, auth=None, allow_public=False, block=False)
    yield f"http://127.0.0.1:{port}/"
    app.close(verbose=False)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's chromium under Playwright."""
    if not CHROMIUM.exists():
        pytest.fail("The browser tests need /usr/bin/chromium: `apt-get install chromium` "
                    "(`make test` installs it).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page_url(bot: Assistant) -> Iterator[str]:
    """The chat page on the shipped corpus."""
    yield from _serve(bot)


@pytest.fixture(scope="module")
def pitch_url(tmp_path_factory: pytest.TempPathFactory, e5: E5Embeddings) -> Iterator[str]:
    """The chat page on a corpus whose one note holds a <script> and an onerror <img>."""
    folder = tmp_path_factory.mktemp("pitch")
    corpus = folder / "corpus"
    (corpus / "notes").mkdir(parents=True)
    (corpus / "notes" / "pitch-day.md").write_text(PITCH_NOTE, "utf-8")
    bot = Assistant(Settings(corpus_dir=corpus, index_dir=folder / "index"), embeddings=e5)
    bot.index()
    yield from _serve(bot)


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    """A page in a fresh browser session, and the list of requests it makes off this machine."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    page.goto(url, wait_until="load")
    page.wait_for_selector("textarea")
    return page, outside


def _ask(page: Any, question: str) -> Any:
    """Type ``question``, send it, and return the reply once it is whole (sources shown)."""
    before = page.locator(BOT).count()
    box = page.locator("textarea").first
    box.fill(question)
    box.press("Enter")
    reply = page.locator(BOT).nth(before)
    reply.wait_for(timeout=60_000)
    page.wait_for_function(
        """([sel, n]) => { const m = document.querySelectorAll(sel)[n];
                           return m && (m.querySelector('details') !== null
                                        || /know/.test(m.innerText)); }""",
        arg=[BOT, before], timeout=60_000)
    return reply


# Records every text the last reply shows while it streams.
WATCH_STREAM = """(sel) => {
    window.__seen = [];
    new MutationObserver(() => {
        const all = document.querySelectorAll(sel);
        if (all.length) window.__seen.push(all[all.length - 1].innerText.length);
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def test_answer_streams_in_with_expandable_sources(chromium: Any, page_url: str,
                                                   tmp_path: Path) -> None:
    page, outside = _open(chromium, page_url)
    page.evaluate(WATCH_STREAM, BOT)
    reply = _ask(page, AM_QUESTION)

    lengths = [n for n in page.evaluate("window.__seen") if n > 0]
    assert len(set(lengths)) > 2, "the reply appeared at once instead of streaming in"
    text = reply.inner_text()
    assert "[1]" in text and "Sources" in text
    summary = reply.locator("details summary").first
    assert summary.inner_text().startswith("[1] ")
    assert AM_AD_NOTE in summary.inner_text()

    passage = reply.locator(".source-passage").first
    assert not passage.is_visible()  # folded until asked for
    summary.click()
    assert passage.is_visible()
    assert "Account Manager" in passage.inner_text()

    follow = _ask(page, FOLLOW_UP)  # needs the first turn: "they" are account managers
    assert "5-6" in follow.inner_text()  # the AM -> AD step, cited from an English note
    assert any(re.search(r"corpus/notes/[\w-]+-en\.md", s)
               for s in follow.locator("details summary").all_inner_texts())

    shot = tmp_path / "chat.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    page.locator("#new-conversation").click()
    page.wait_for_function("(sel) => document.querySelectorAll(sel).length === 0", arg=BOT)
    assert outside == []  # no fonts, analytics or images from the internet
    page.context.close()


def test_each_browser_session_has_its_own_history(chromium: Any, page_url: str,
                                                  bot: Assistant) -> None:
    first, _ = _open(chromium, page_url)
    _ask(first, AM_QUESTION)
    second, _ = _open(chromium, page_url)
    assert second.locator(BOT).count() == 0
    reply = _ask(second, FOLLOW_UP)  # no earlier turn here: not about account managers
    alone = bot.ask(FOLLOW_UP)
    with_history = bot.ask(FOLLOW_UP, history=[AM_QUESTION])
    assert alone.answer[:40] != with_history.answer[:40]  # else this test shows nothing
    assert alone.answer[:40] in reply.inner_text()
    assert with_history.answer[:40] not in reply.inner_text()
    assert first.locator(BOT).count() == 1
    first.context.close()
    second.context.close()


def test_examples_in_both_languages(chromium: Any, page_url: str) -> None:
    page, _ = _open(chromium, page_url)
    for example in EXAMPLES:
        assert page.get_by_text(example, exact=True).first.is_visible()
    page.get_by_text("Account Manager làm gì?", exact=True).first.click()
    page.locator(BOT).first.wait_for(timeout=60_000)
    page.wait_for_function("(sel) => /Nguồn/.test(document.querySelector(sel).innerText)",
                           arg=BOT, timeout=60_000)
    assert "[1]" in page.locator(BOT).first.inner_text()
    page.context.close()


def test_corpus_html_is_shown_as_text_and_never_runs(chromium: Any, pitch_url: str,
                                                     tmp_path: Path) -> None:
    page, _ = _open(chromium, pitch_url)
    reply = _ask(page, "What is on the pitch day checklist?")
    reply.locator("details summary").first.click()
    page.wait_for_timeout(300)  # an onerror would fire as soon as the <img> is shown

    assert page.evaluate("typeof window.__pwned") == "undefined"
    text = reply.inner_text()
    assert text.count(SCRIPT) >= 2  # in the answer and in the passages, as text
    assert text.count(IMG) >= 3  # in the answer, the sources' titles and the passages
    assert reply.locator("script, img[src='x']").count() == 0

    shot = tmp_path / "pitch.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.context.close()
