"""The chat page: its handlers, its safe defaults, and the served page through gradio_client.

The served page is real: ``serve`` (the function ``assistant chat`` calls) on a free port on
127.0.0.1, asked over HTTP by ``gradio_client`` (``/chat`` and ``/ask``); the login tests start
``assistant chat`` itself in a subprocess. How replies are drawn is in ``test_ui_render.py``;
browser tests are in ``test_browser.py``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client
from support import clean_env, free_port, serving_chat, wait_until_served

from assistant import Answer, Assistant, ConfigError, Settings, Source
from assistant.embeddings import E5Embeddings
from assistant.ui import (
    FAILURE,
    ChatHandler,
    check_exposure,
    is_loopback,
    parse_auth,
    reply_markdown,
    reply_messages,
    serve,
    streaming_markdown,
)
from assistant.ui.limits import LOGIN_DELAY, Limits
from assistant.ui.render import user_message

AM_QUESTION = "What does an account manager do?"
AE_QUESTION = "What does an account executive do?"
#: A follow-up that makes sense only after a question about a role ("their"): its answer
#: depends on the conversation. Expected answers come from ``bot.ask``, with and without it.
FOLLOW_UP = "How much of their time goes to execution?"


# --- helpers shared with test_browser.py -----------------------------------------------------
def ask(client: Client, message: str) -> str:
    reply = client.predict(message, api_name="/chat")
    assert isinstance(reply, str)
    return reply


def ask_json(client: Client, message: str) -> dict[str, Any]:
    reply = client.predict(message, api_name="/ask")
    assert isinstance(reply, dict)
    return reply


def json_client(url: str) -> Client:
    """A client for ``/ask``: ``download_files=False``, or gradio_client takes every dict with a
    ``path`` (each source has one) for a file to download."""
    return Client(url, verbose=False, download_files=False)


# --- rendering -----------------------------------------------------------------------------
def _source(text: str, title: str = "A note", path: str = "corpus/notes/a.md") -> Source:
    return Source(path=path, title=title, chunk=0, score=0.9, text=text)


def test_reply_lists_numbered_sources_with_their_passages() -> None:
    answer = Answer(
        "An AE serves the client. [1] An AM leads the team. [2]",
        [
            _source("An AE serves the client.\n\nMore text.", "AE", "corpus/notes/ae.md"),
            _source("An AM leads the team.", "AM", "corpus/notes/am.md"),
        ],
    )
    md = reply_markdown(answer)
    assert md.startswith("An AE serves the client. [1] An AM leads the team. [2]")
    assert "**Sources**" in md
    lines = [line for line in md.splitlines() if line.startswith("<details")]
    assert len(lines) == 2  # one line each, so Markdown leaves the passage as text
    assert "[1] AE — <code>corpus/notes/ae.md</code>" in lines[0]
    assert "An AE serves the client.<br><br>More text." in lines[0]
    assert "[2] AM — <code>corpus/notes/am.md</code>" in lines[1]


def test_reply_escapes_corpus_html_and_images() -> None:
    evil = '<script>alert(1)</script> <img src=x onerror="alert(1)"> ![t](http://example.com/t.png)'
    answer = Answer(f"{evil} [1]", [_source(evil, title=evil)], notice="<b>cut</b>")
    md = reply_markdown(answer)
    assert "<script" not in md and "<img" not in md and "<b>" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "![" not in md.split("**Sources**")[0]  # no image the browser would fetch
    assert "_&lt;b&gt;cut&lt;/b&gt;_" in md


def test_vietnamese_answer_has_vietnamese_heading() -> None:
    md = reply_markdown(
        Answer("AE là người phục vụ khách hàng. [1]", [_source("x")], language="vi")
    )
    assert "**Nguồn**" in md


def test_abstention_has_no_sources_heading() -> None:
    md = reply_markdown(Answer("I don't know.", [], abstained=True))
    assert md == "I don't know."


# --- the handler ---------------------------------------------------------------------------
def test_handler_streams_growing_text_then_sources(bot: Assistant) -> None:
    outputs = list(ChatHandler(bot).respond(AE_QUESTION, []))
    assert len(outputs) > 3
    for shorter, longer in zip(outputs, outputs[1:], strict=False):
        assert longer.startswith(shorter)
    final = outputs[-1]
    assert "[1]" in final and "**Sources**" in final and "<details" in final
    assert "corpus/notes/" in final


def test_handler_follow_up_uses_history(bot: Assistant) -> None:
    handler = ChatHandler(bot)
    first = list(handler.respond(AM_QUESTION, []))[-1]
    history = [{"role": "user", "content": AM_QUESTION}, {"role": "assistant", "content": first}]
    with_history = list(handler.respond(FOLLOW_UP, history))[-1]
    without = list(handler.respond(FOLLOW_UP, []))[-1]
    assert with_history == reply_markdown(bot.ask(FOLLOW_UP, [AM_QUESTION]))
    assert without == reply_markdown(bot.ask(FOLLOW_UP))
    assert with_history != without


def test_empty_question_gets_a_clear_message(bot: Assistant) -> None:
    outputs = list(ChatHandler(bot).respond("   ", []))
    assert outputs == ["Please type a question."]


def test_over_long_question_is_cut_with_a_notice(corpus_index: Settings, e5: E5Embeddings) -> None:
    short = Assistant(corpus_index.model_copy(update={"max_question_chars": 60}), embeddings=e5)
    final = list(ChatHandler(short).respond(AE_QUESTION + " Please explain." * 10, []))[-1]
    assert "only the first 60 were used" in final
    assert "[1]" in final


def test_missing_index_is_a_short_message_and_the_detail_is_logged(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(corpus_dir=make_corpus, index_dir=tmp_path / "no-index")
    lost = Assistant(settings, embeddings=e5, build_if_missing=False)
    outputs = list(ChatHandler(lost).respond(AE_QUESTION, []))
    assert outputs == [
        "Sorry, I cannot answer right now: my documents cannot be read. Please try again "
        "later; the server log has the details."
    ]
    assert "No index has been built yet" in caplog.text  # for the operator


PARTIAL = "An Account Executive serves the client every day and "


class _BrokenBot:
    """An assistant with a bug: its stream fails half-way (a test double for a crash)."""

    def stream(self, question: str, history: Any = None) -> Iterator[str]:
        yield PARTIAL  # long enough for /chat to send it (it sends every 40 characters)
        raise RuntimeError("KeyError in /srv/secret/path.py")


def test_unexpected_error_shows_a_generic_message(caplog: pytest.LogCaptureFixture) -> None:
    outputs = list(ChatHandler(_BrokenBot()).respond(AE_QUESTION, []))  # type: ignore[arg-type]
    assert outputs == [PARTIAL, FAILURE]
    assert "secret" not in outputs[-1]
    assert "answering failed" in caplog.text  # the details go to the log


def test_streamed_text_blocks_images() -> None:
    assert streaming_markdown("x ![a](http://e.com/a.png)") == "x !\\[a](http://e.com/a.png)"


# --- the page's handlers -------------------------------------------------------------------------
def test_blank_question_and_second_send_post_nothing(bot: Assistant) -> None:
    import gradio as gr

    handler = ChatHandler(bot)
    for blank in ("", "   \n ", None):
        with pytest.raises(gr.Error) as stopped:
            handler.accept(blank, [], False)
        assert stopped.value.visible is False  # stops the page's chain without a message
    # While an answer is being made, another Enter changes nothing (the text stays in the box).
    with pytest.raises(gr.Error):
        handler.accept(AE_QUESTION, [], True)
    chat, box, send, pending, busy, intro, asked = handler.accept(AE_QUESTION, [], False)
    assert [m["role"] for m in chat] == ["user"] and AE_QUESTION in chat[0]["content"]
    assert box == "" and send["interactive"] is False
    assert pending == AE_QUESTION and busy is True and asked is None  # not cut


def test_an_example_is_asked_unless_an_answer_is_being_made(bot: Assistant) -> None:
    import gradio as gr

    handler = ChatHandler(bot)
    assert handler.pick_example([AE_QUESTION], False) == AE_QUESTION
    with pytest.raises(gr.Error):  # what the user typed meanwhile stays in the box
        handler.pick_example([AE_QUESTION], True)


def test_page_answer_adds_reply_and_turn(bot: Assistant) -> None:
    handler = ChatHandler(bot)
    user = [{"role": "user", "content": AM_QUESTION}]
    chat, turns = list(handler.answer(AM_QUESTION, user, None))[-1]
    assert chat[0] == user[0]
    assert chat[1]["role"] == "assistant" and 'class="cite"' in chat[1]["content"]
    assert all(m.get("metadata", {}).get("title") for m in chat[2:])  # one per source document
    assert turns == [{"question": AM_QUESTION, "answer": bot.ask(AM_QUESTION).to_dict()}]
    # The kept turns carry the conversation: a follow-up is answered as a follow-up.
    follow, _ = list(handler.answer(FOLLOW_UP, chat, turns))[-1]
    assert follow[len(chat)] == reply_messages(bot.ask(FOLLOW_UP, [AM_QUESTION]))[0]
    assert follow[len(chat)] != reply_messages(bot.ask(FOLLOW_UP))[0]


def _paste(length: int, question: str = AE_QUESTION) -> str:
    """``question`` pasted over and over, ``length`` characters in all."""
    return ((question + " ") * (length // len(question) + 1))[:length]


def test_a_long_paste_is_cut_before_the_page_keeps_it(bot: Assistant) -> None:
    handler = ChatHandler(bot)
    limit = bot.settings.max_question_chars
    paste = _paste(50_000)
    chat, _, _, pending, _, _, asked = handler.accept(paste, [], False)
    assert pending == paste[:limit] and asked == 50_000
    assert chat == [user_message(paste[:limit])]
    # The page's script sends the first `limit` characters and the length typed: the same.
    assert handler.accept(paste[:limit], [], False, 50_000)[3:7:3] == (pending, 50_000)
    chat, turns = list(handler.answer(pending, chat, None, asked))[-1]
    assert [len(t["question"]) for t in turns] == [limit]
    notice = "Your question was 50,000 characters long; only the first 2,000 were used."
    assert f'<p class="notice">{notice}</p>' in chat[1]["content"]
    # A Vietnamese question gets the notice in Vietnamese.
    vi = _paste(3_000, "Account executive làm gì?")
    _, _, _, pending, _, _, asked = handler.accept(vi, [], False)
    chat, _ = list(handler.answer(pending, [], None, asked))[-1]
    assert "Câu hỏi của bạn dài 3.000 ký tự; chỉ 2.000 ký tự đầu tiên được dùng." in str(chat)


def test_the_api_keeps_the_cut_question_in_its_history(bot: Assistant) -> None:
    handler = ChatHandler(bot)
    limit = bot.settings.max_question_chars
    *_, (reply, history) = handler.chat_api(_paste(50_000), [])
    assert history[0] == {"role": "user", "content": _paste(50_000)[:limit]}
    assert "Your question was 50,000 characters long" in reply
    answer, history = handler.ask_api(_paste(50_000), history)
    assert [len(m["content"]) for m in history[::2]] == [limit, limit]
    assert "Your question was 50,000 characters long" in answer["notice"]


def _skipped(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1


def test_restore_renders_kept_turns_again_and_drops_junk(bot: Assistant) -> None:
    handler = ChatHandler(bot)
    answer = bot.ask(AE_QUESTION).to_dict()
    kept = [
        {"question": "<script>alert(1)</script>", "answer": answer},
        {"question": 3, "answer": answer},
        "junk",
        {"question": "x"},
    ]
    chat, turns = handler.restore(kept)
    assert turns == kept[:1]
    assert "<script" not in chat[0]["content"] and "&lt;script&gt;" in chat[0]["content"]
    assert chat[1]["role"] == "assistant" and len(chat) >= 3
    assert all(_skipped(x) for x in handler.restore(None))  # nothing kept: nothing changes
    assert all(_skipped(x) for x in handler.restore("not a list"))


# --- safe defaults -------------------------------------------------------------------------
def test_parse_auth() -> None:
    assert parse_auth("alice:s3cret") == ("alice", "s3cret")
    assert parse_auth("alice:pa:ss") == ("alice", "pa:ss")
    assert parse_auth(None) is None and parse_auth("  ") is None
    for bad in ("alice", "alice:", ":s3cret"):
        with pytest.raises(ConfigError, match="USER:PASSWORD"):
            parse_auth(bad)


def test_loopback_hosts() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.168.1.5", "::", "example.com"))


def test_public_host_needs_auth_or_explicit_flag() -> None:
    with pytest.raises(ConfigError, match="--auth"):
        check_exposure("0.0.0.0", None, allow_public=False)
    check_exposure("0.0.0.0", ("alice", "s3cret"), allow_public=False)
    check_exposure("0.0.0.0", None, allow_public=True)
    check_exposure("127.0.0.1", None, allow_public=False)


def test_serve_refuses_public_host_before_binding(bot: Assistant) -> None:
    port = free_port()
    with pytest.raises(ConfigError, match="--auth"):
        serve(bot, host="0.0.0.0", port=port, auth=None, allow_public=False, block=False)
    with socket.socket() as s:  # nothing was started on the port
        assert s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "0.0.0.0"], "--auth"),
        (["--auth", "alice"], "USER:PASSWORD"),
    ],
)
def test_cli_refuses_unsafe_settings(tmp_path: Path, args: list[str], message: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "assistant", "chat", "--port", str(free_port()), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=clean_env(ASSISTANT_INDEX_DIR=str(tmp_path / "index")),
    )
    assert run.returncode == 1
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_default_path_imports_no_torch(corpus_index: Settings, tmp_path: Path) -> None:
    code = textwrap.dedent("""
        import sys
        from assistant import Assistant
        from assistant.ui import build_app
        bot = Assistant()
        build_app(bot)
        assert bot.ask("AE là gì?").sources
        print(sorted(m for m in ("torch", "sentence_transformers", "transformers")
                     if m in sys.modules))
    """)
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        env=clean_env(
            ASSISTANT_INDEX_DIR=str(corpus_index.index_dir),
            ASSISTANT_CORPUS_DIR=str(corpus_index.corpus_dir),
        ),
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


# --- the served page ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def page_url(bot: Assistant) -> Iterator[str]:
    """The chat page served by ``serve`` on a free port of 127.0.0.1 (no rate limit: every
    test asks from the same address)."""
    port = free_port()
    app = serve(bot, host="127.0.0.1", port=port, block=False, limits=Limits(rate_per_minute=0))
    url = f"http://127.0.0.1:{port}/"
    wait_until_served(url)
    yield url
    app.close(verbose=False)


def test_page_is_served(page_url: str) -> None:
    page = httpx.get(page_url, timeout=10)
    assert page.status_code == 200
    assert httpx.get(page_url + "config", timeout=10).json()["title"] == "Career assistant"


def test_api_answers_with_markers_and_sources(page_url: str) -> None:
    reply = ask(Client(page_url, verbose=False), AE_QUESTION)
    answer, sources = reply.split("**Sources**")
    assert "[1]" in answer
    assert "<summary>[1] " in sources and "corpus/notes/account-executive" in sources


def test_api_streams_the_answer(page_url: str) -> None:
    job = Client(page_url, verbose=False).submit(AM_QUESTION, api_name="/chat")
    final = job.result(timeout=60)
    outputs = job.outputs()
    assert len(outputs) > 3 and outputs[-1] == final
    for shorter, longer in zip(outputs, outputs[1:], strict=False):
        assert longer.startswith(shorter)


def test_api_follow_up_uses_the_conversation(page_url: str, bot: Assistant) -> None:
    client = Client(page_url, verbose=False)
    ask(client, AM_QUESTION)
    reply = ask(client, FOLLOW_UP)
    expected = bot.ask(FOLLOW_UP, [AM_QUESTION])
    assert reply.startswith(streaming_markdown(expected.answer))
    client.reset_session()  # a new conversation: the same words no longer follow up
    fresh = ask(client, FOLLOW_UP)
    assert fresh.startswith(streaming_markdown(bot.ask(FOLLOW_UP).answer))
    assert fresh != reply


def test_two_clients_keep_separate_conversations(page_url: str, bot: Assistant) -> None:
    am, other = Client(page_url, verbose=False), Client(page_url, verbose=False)
    ask(am, AM_QUESTION)
    am_reply, other_reply = ask(am, FOLLOW_UP), ask(other, FOLLOW_UP)
    assert am_reply.startswith(streaming_markdown(bot.ask(FOLLOW_UP, [AM_QUESTION]).answer))
    assert other_reply.startswith(streaming_markdown(bot.ask(FOLLOW_UP).answer))
    assert am_reply != other_reply


def test_api_explains_empty_and_over_long_questions(page_url: str) -> None:
    client = Client(page_url, verbose=False)
    assert ask(client, "") == "Please type a question."
    long_reply = ask(client, (AE_QUESTION + " ") * 120)
    assert "only the first 2,000 were used" in long_reply


def test_port_in_use_is_a_clear_error(page_url: str, bot: Assistant) -> None:
    port = int(page_url.rstrip("/").rsplit(":", 1)[1])
    with pytest.raises(ConfigError, match="--port"):
        serve(bot, host="127.0.0.1", port=port, auth=None, allow_public=False, block=False)
    assert httpx.get(page_url, timeout=10).status_code == 200  # the first page still serves


def test_abstains_on_an_unrelated_question(page_url: str) -> None:
    reply = ask(Client(page_url, verbose=False), "What is the boiling point of mercury?")
    assert reply.startswith("I don't know")
    assert "**Sources**" not in reply


def test_ask_api_returns_the_answer_as_json(page_url: str, bot: Assistant) -> None:
    reply = ask_json(json_client(page_url), AE_QUESTION)
    expected = bot.ask(AE_QUESTION)
    assert reply["answer"] == expected.answer and reply["abstained"] is False
    assert reply["notice"] is None and reply["language"] == "en"
    assert [s["number"] for s in reply["sources"]] == list(range(1, len(expected.sources) + 1))
    first = reply["sources"][0]
    assert first["path"].startswith("corpus/notes/account-executive")
    assert first["title"] and first["passage"] == expected.sources[0].text
    assert isinstance(first["score"], float) and first["quotes"]


def test_ask_api_keeps_the_conversation_and_explains_errors(page_url: str, bot: Assistant) -> None:
    client = json_client(page_url)
    ask_json(client, AM_QUESTION)
    follow = ask_json(client, FOLLOW_UP)
    assert follow["answer"] == bot.ask(FOLLOW_UP, [AM_QUESTION]).answer
    client.reset_session()
    assert ask_json(client, FOLLOW_UP)["answer"] == bot.ask(FOLLOW_UP).answer
    assert ask_json(client, "  ") == {"error": "Please type a question."}
    refused = ask_json(client, "What is the boiling point of mercury?")
    assert refused["abstained"] is True and refused["sources"] == []


def test_ask_api_over_plain_http(page_url: str) -> None:
    """The README's curl calls: post the question, then read the result's event stream."""
    call = httpx.post(page_url + "gradio_api/call/ask", json={"data": ["AE là gì?"]}, timeout=10)
    assert call.status_code == 200
    event = call.json()["event_id"]
    stream = httpx.get(f"{page_url}gradio_api/call/ask/{event}", timeout=60).text
    assert "event: complete" in stream
    data = json.loads(stream.split("event: complete", 1)[1].split("data:", 1)[1].strip())
    assert data[0]["language"] == "vi" and data[0]["sources"][0]["number"] == 1


def test_page_has_its_own_title_description_and_link_preview(page_url: str) -> None:
    page = httpx.get(page_url, timeout=10).text
    assert "Click to try out the app" not in page and 'content="Gradio"' not in page
    assert '<meta property="og:title" content="Career assistant" />' in page
    assert re.search(r'<meta property="og:description" content="[^"]*every answer quotes', page)
    assert '<meta name="description" content="' in page


# --- `assistant chat` with a login, watched for outbound connections ---------------------------
GUARD = '''
"""Loaded by the server under test: records (and blocks) any non-loopback connection."""
import ipaddress, os, socket

_LOG = os.environ["OUTBOUND_LOG"]

def _record(what):
    with open(_LOG, "a", encoding="utf-8") as f:
        f.write(what + "\\n")

def _local(host):
    if isinstance(host, bytes):
        host = host.decode()
    if host in (None, "", "localhost"):
        return True
    try:
        address = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified

_connect, _connect_ex, _getaddrinfo = (socket.socket.connect, socket.socket.connect_ex,
                                       socket.getaddrinfo)

def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
        _record(f"connect {address}")
        raise OSError("outbound connection blocked by the test")
    return _connect(self, address)

def connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
        _record(f"connect {address}")
        return 111
    return _connect_ex(self, address)

def getaddrinfo(host, *args, **kwargs):
    if not _local(host):
        _record(f"resolve {host}")
        raise socket.gaierror(socket.EAI_NONAME, "name look-up blocked by the test")
    return _getaddrinfo(host, *args, **kwargs)

socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = (
    connect, connect_ex, getaddrinfo)
_record("guard loaded")
'''


@pytest.fixture(scope="module")
def login_server(
    corpus_index: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """``assistant chat --auth alice:s3cret`` in a subprocess; yields (url, outbound log)."""
    folder = tmp_path_factory.mktemp("login-server")
    (folder / "guard").mkdir()
    (folder / "guard" / "sitecustomize.py").write_text(GUARD, "utf-8")
    outbound = folder / "outbound.log"
    env = clean_env(
        ASSISTANT_INDEX_DIR=str(corpus_index.index_dir),
        ASSISTANT_CORPUS_DIR=str(corpus_index.corpus_dir),
        # The guard first; then this checkout's package, if the run was given one.
        PYTHONPATH=os.pathsep.join(
            p for p in (str(folder / "guard"), os.environ.get("PYTHONPATH")) if p
        ),
        OUTBOUND_LOG=str(outbound),
        NO_PROXY="127.0.0.1,localhost",
    )
    with serving_chat("--auth", "alice:s3cret", cwd=folder, env=env) as (_, url):
        yield url, outbound


def test_login_is_required(login_server: tuple[str, Path]) -> None:
    url, _ = login_server
    assert httpx.get(url + "config", timeout=10).status_code == 401
    call = httpx.post(url + "gradio_api/call/chat", json={"data": [AE_QUESTION]}, timeout=10)
    assert call.status_code == 401
    with pytest.raises(Exception, match="credentials were not provided"):
        Client(url, verbose=False)
    with pytest.raises(ValueError, match="Could not login"):
        Client(url, auth=("alice", "wrong"), verbose=False)
    time.sleep(LOGIN_DELAY)  # the wrong password locks alice's next login for this long


def test_logged_in_client_gets_answers(login_server: tuple[str, Path]) -> None:
    url, _ = login_server
    reply = ask(Client(url, auth=("alice", "s3cret"), verbose=False), "AE là gì?")
    assert "[1]" in reply and "**Nguồn**" in reply


def test_server_makes_no_outbound_connections(login_server: tuple[str, Path]) -> None:
    url, outbound = login_server
    httpx.get(url, timeout=10)  # the page, its config and a question, after start-up
    client = Client(url, auth=("alice", "s3cret"), verbose=False)
    assert "[1]" in ask(client, AM_QUESTION)
    assert outbound.read_text("utf-8").splitlines() == ["guard loaded"]
