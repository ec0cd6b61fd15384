"""What the chat page's server refuses (``assistant.ui.guard``) and what its readers never see.

A real server (``serve`` on a free port on 127.0.0.1) asked over plain HTTP, as an attacker
would: uploads and the other unused routes refused, deep links refused, large bodies refused
with 413 (declared or streamed), nothing left in Gradio's temp folder after shutdown, and an
honest question still answered. A broken index gives a short reply with no path and no
database text, and the detail in the log. The forged deep link in a real browser is in
``test_browser.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client
from support import free_port, wait_until_served

from assistant import Assistant, Settings
from assistant.embeddings import E5Embeddings
from assistant.ui import serve
from assistant.ui.guard import MAX_BODY

pytestmark = pytest.mark.slow

AE_QUESTION = "What does an account executive do?"
UNAVAILABLE = (
    "Sorry, I cannot answer right now: my documents cannot be read. Please try again later; "
    "the server log has the details."
)


def _start(bot: Any) -> tuple[str, Any]:
    port = free_port()
    app = serve(bot, host="127.0.0.1", port=port, auth=None, allow_public=False, block=False)
    url = f"http://127.0.0.1:{port}/"
    wait_until_served(url, timeout=60)
    return url, app


@pytest.fixture(scope="module")
def page_url(bot: Assistant) -> Iterator[str]:
    url, app = _start(bot)
    yield url
    app.close(verbose=False)


def _chat(url: str, question: str = AE_QUESTION) -> str:
    reply = Client(url, verbose=False).predict(question, api_name="/chat")
    assert isinstance(reply, str)
    return reply


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if not p.is_dir()]


# --- uploads and the other routes the page does not use ------------------------------------------
def test_uploads_are_refused_and_nothing_stays_in_the_temp_folder(
    bot: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "gradio"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(temp))  # this server's own temp folder
    url, app = _start(bot)
    try:
        assert app.max_file_size == 0  # Gradio's own cap: the page takes no files
        small = {"files": ("note.txt", b"hello", "text/plain")}
        big = {"files": ("big.bin", b"\0" * (5 * MAX_BODY), "application/octet-stream")}
        for files in (small, big):
            for headers in ({}, {"Origin": "http://elsewhere.example"}):
                refused = httpx.post(f"{url}gradio_api/upload", files=files, headers=headers)
                assert refused.status_code == 404, refused.text
        for method, route in [
            ("POST", "gradio_api/upload/"),
            ("GET", "gradio_api/upload_progress?upload_id=x"),
            ("POST", "gradio_api/process_recording"),
            ("POST", "gradio_api/component_server"),
            ("POST", "gradio_api/stream/some-event"),
        ]:
            assert httpx.request(method, url + route).status_code == 404, route
        assert "[1]" in _chat(url)  # the page still answers
    finally:
        app.close(verbose=False)
    assert _files(temp) == []


# --- request bodies -------------------------------------------------------------------------------
def test_large_request_bodies_are_refused_with_413(page_url: str) -> None:
    join = f"{page_url}gradio_api/queue/join"
    too_big = b'{"data": ["' + b"x" * MAX_BODY + b'"]}'
    declared = httpx.post(join, content=too_big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413, declared.text

    def chunks() -> Iterator[bytes]:  # no Content-Length: the bytes are counted as they come
        for start in range(0, len(too_big), 64 * 1024):
            yield too_big[start : start + 64 * 1024]

    streamed = httpx.post(join, content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413, streamed.text
    assert "content-length" not in streamed.request.headers
    # A body under the limit reaches Gradio (which finds it malformed, not too large).
    small = httpx.post(join, content=b'{"data": []}', headers={"Content-Type": "application/json"})
    assert small.status_code not in (413, 404)
    assert "[1]" in _chat(page_url)


def test_a_question_near_the_limit_is_answered(page_url: str) -> None:
    """A 100,000-character question (the highest ``max_question_chars``) fits in a request."""
    question = ((AE_QUESTION + " ") * 4000)[:100_000]
    reply = _chat(page_url, question)
    assert "Your question was 100,000 characters long; only the first 2,000 were used." in reply


# --- deep links ----------------------------------------------------------------------------------
def test_deep_links_are_refused(page_url: str) -> None:
    made = httpx.get(f"{page_url}gradio_api/deep_link", params={"session_hash": "abc"})
    assert made.status_code == 404
    for query in ("?deep_link=abc", "?deep_link=", "?x=1&deep_link=abc", "?deep_link"):
        opened = httpx.get(page_url + query)
        assert opened.status_code == 400, query
        assert "Deep links are turned off" in opened.text
    assert httpx.get(page_url).status_code == 200
    assert httpx.get(page_url + "?deep_linked=1").status_code == 200


# --- errors: a short message for readers, the detail for the log ---------------------------------
@pytest.fixture
def broken_index(corpus_index: Settings, tmp_path: Path) -> Path:
    """A copy of the index whose ``chroma.sqlite3`` is cut in half."""
    index = tmp_path / "index"
    shutil.copytree(corpus_index.index_dir, index)
    databases = list(index.rglob("chroma.sqlite3"))
    assert databases
    for database in databases:
        data = database.read_bytes()
        database.write_bytes(data[: len(data) // 2])
    return index


@pytest.mark.parametrize("damage", ["corrupt database", "missing index folder"])
def test_a_broken_index_shows_no_path_or_database_text(
    damage: str,
    broken_index: Path,
    corpus_index: Settings,
    e5: E5Embeddings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    index = broken_index if damage == "corrupt database" else broken_index.parent / "gone"
    settings = corpus_index.model_copy(update={"index_dir": index})
    url, app = _start(Assistant(settings, embeddings=e5, build_if_missing=False))
    try:
        reply = _chat(url)
        answer = Client(url, verbose=False, download_files=False).predict(
            AE_QUESTION, api_name="/ask"
        )
    finally:
        app.close(verbose=False)
    assert reply == UNAVAILABLE
    assert answer == {"error": UNAVAILABLE}
    for shown in (reply, str(answer)):
        assert str(index) not in shown and str(index.parent) not in shown
        assert "database" not in shown.lower() and "malformed" not in shown
    detail = "malformed" if damage == "corrupt database" else "No index has been built yet"
    assert detail in caplog.text  # the operator's detail is in the log
