"""The served page under load and under guessing, with a real server and real answers.

A full queue says "busy"; a client over the rate limit is refused while another is served;
questions cannot skip the queue; answers made at once equal answers made one at a time (the
e5 model, Chroma and BM25 answer from several threads); repeated wrong logins are refused;
``--auth-file`` and ``ASSISTANT_AUTH`` log in without the password in the process list, and
``--auth`` warns that it is there. Each simulated client connects from its own loopback
address (127.0.0.0/8 is all this machine), as the rate limit and the login lock count them.
How fast the page stays under a flood is measured by ``bench/serving.py``, not here.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import clean_env, free_port, serving_chat, wait_until_served

from assistant import Assistant, Settings
from assistant.answer import AnswerStream
from assistant.ui import reply_markdown, serve
from assistant.ui.limits import LOGIN_DELAY, Limits

pytestmark = pytest.mark.slow

AE_QUESTION = "What does an account executive do?"


def client(address: str) -> httpx.Client:
    """HTTP from ``address`` (127.x.y.z): each address is another client for the limits."""
    return httpx.Client(
        transport=httpx.HTTPTransport(local_address=address), timeout=60, trust_env=False
    )


def post(http: httpx.Client, url: str, question: str) -> httpx.Response:
    """Queue a question on ``/chat`` (the README's plain-HTTP call)."""
    return http.post(f"{url}gradio_api/call/chat", json={"data": [question]})


def result(http: httpx.Client, url: str, response: httpx.Response) -> str:
    """The final reply of a queued question, read from its event stream."""
    event = response.json()["event_id"]
    stream = http.get(f"{url}gradio_api/call/chat/{event}").text
    assert "event: complete" in stream, stream[-500:]
    data = stream.split("event: complete", 1)[1].split("data:", 1)[1].strip()
    return str(httpx.Response(200, content=data).json()[0])


@pytest.fixture
def served() -> Iterator[list[Any]]:
    """Pages served in a test, closed after it."""
    apps: list[Any] = []
    yield apps
    for app in apps:
        app.close(verbose=False)


def start(served: list[Any], bot: Any, **options: Any) -> str:
    port = free_port()
    served.append(serve(bot, host="127.0.0.1", port=port, block=False, **options))
    url = f"http://127.0.0.1:{port}/"
    wait_until_served(url)
    return url


def wait_until_idle(app: Any, seconds: float = 30.0) -> None:
    """Wait until ``app``'s queue holds no event, waiting or being answered."""
    queue = app._queue
    deadline = time.monotonic() + seconds
    while len(queue) or any(queue.active_jobs):
        assert time.monotonic() < deadline, "the queue is still busy"
        time.sleep(0.05)


class GatedBot:
    """The real assistant, each answer held until the test opens the gate (a test double for
    answers slower than the questions coming in); counts the answers being made at once."""

    def __init__(self, bot: Assistant, gate: threading.Event | None = None) -> None:
        self.bot, self.settings = bot, bot.settings
        self.gate = gate or threading.Event()
        self.started = threading.Event()
        self.warm = threading.Event()  # set once the server's warm-up is done
        self.lock = threading.Lock()
        self.running = self.most = 0

    def stream(self, question: str, history: Any = None) -> AnswerStream:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        self.started.set()
        try:
            self.gate.wait(60)
            answer = self.bot.ask(question, history)  # QuestionError for a blank one
        finally:
            with self.lock:
                self.running -= 1
        return AnswerStream(iter([answer.answer]), lambda: answer)

    def warm_up(self) -> None:
        self.bot.warm_up()
        self.warm.set()


# --- the queue --------------------------------------------------------------------------------
def test_the_301st_waiting_question_is_told_the_page_is_busy(
    served: list[Any], bot: Assistant
) -> None:
    gated = GatedBot(bot)
    url = start(served, gated, limits=Limits(concurrency=1, queue_size=300, rate_per_minute=0))
    with client("127.0.0.2") as http:
        running = post(http, url, AE_QUESTION)
        assert running.status_code == 200 and gated.started.wait(30)
        waiting = [post(http, url, "") for _ in range(300)]  # blank: quick once let through
        assert [r.status_code for r in waiting] == [200] * 300
        busy = post(http, url, AE_QUESTION)
        assert busy.status_code == 503
        assert "Queue is full" in busy.json()["detail"]
        gated.gate.set()
        assert "[1]" in result(http, url, running)
        assert result(http, url, waiting[-1]) == "Please type a question."
        # The queue drained: a question is taken and answered again.
        assert "[1]" in result(http, url, post(http, url, AE_QUESTION))


def test_answers_made_at_once_equal_answers_made_one_at_a_time(
    served: list[Any], bot: Assistant
) -> None:
    questions = [
        AE_QUESTION,
        "What does an account manager do?",
        "Account Director làm gì?",
        "AE là gì?",
        "What is a key account?",
        "Client service director là gì?",
        "What are the three kinds of account work?",
        "What is the boiling point of mercury?",
    ]
    gate = threading.Event()
    counted = GatedBot(bot, gate)
    url = start(served, counted, limits=Limits(concurrency=4, rate_per_minute=0))
    expected = {q: reply_markdown(bot.ask(q)) for q in questions}

    def ask(i: int) -> str:
        with client(f"127.0.3.{i + 1}") as http:
            return result(http, url, post(http, url, questions[i % len(questions)]))

    with ThreadPoolExecutor(16) as pool:
        replies = pool.map(ask, range(16))
        threading.Timer(2.0, gate.set).start()  # let the first ones pile up at the gate
        got = list(replies)
    assert counted.most == 4  # four answers were being made at once, never more
    for i, reply in enumerate(got):
        assert reply == expected[questions[i % len(questions)]], questions[i % len(questions)]


def test_a_busy_page_says_so_and_takes_the_question_again(
    served: list[Any], bot: Assistant
) -> None:
    """In Chromium: a question refused by a full queue shows Gradio's "busy" message, and the
    page is usable again (before, it stayed "answering" with Send disabled for good)."""
    from playwright.sync_api import sync_playwright

    gated = GatedBot(bot)
    url = start(served, gated, limits=Limits(concurrency=1, queue_size=1, rate_per_minute=0))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            page = browser.new_page()
            # The page's load events (one of them queued) are done before the queue is filled.
            with page.expect_response(lambda r: "/queue/join" in r.url):
                page.goto(url, wait_until="load")
            page.wait_for_function("() => window.careerChat && document.title")
            assert gated.warm.wait(60)
            wait_until_idle(served[-1])
            with client("127.0.0.3") as http:
                assert post(http, url, AE_QUESTION).status_code == 200
                assert gated.started.wait(30)
                assert post(http, url, AE_QUESTION).status_code == 200  # the queue is full
            box = page.locator("#question textarea")
            box.fill(AE_QUESTION)
            box.press("Enter")
            page.get_by_text("This application is currently busy. Please try again.").wait_for()
            page.wait_for_function("() => !window.careerChat.busy")
            gated.gate.set()
            # The two questions ahead still fill the queue for a moment: asked before they are
            # answered, the page is told "busy" once more (what a user sees too).
            wait_until_idle(served[-1])
            box.fill("What does an account manager do?")
            box.press("Enter")
            page.locator("#chat .answer").first.wait_for(timeout=60_000)
            assert "Account Manager" in page.locator("#chat .answer").first.inner_text()
        finally:
            browser.close()


# --- the rate limit ---------------------------------------------------------------------------
def test_a_client_over_the_rate_limit_is_refused_while_another_is_served(
    served: list[Any], bot: Assistant
) -> None:
    url = start(served, bot, limits=Limits(rate_per_minute=6, burst=3))
    with client("127.0.0.5") as eager, client("127.0.0.6") as other:
        taken = [post(eager, url, AE_QUESTION) for _ in range(3)]
        assert [r.status_code for r in taken] == [200, 200, 200]
        refused = post(eager, url, AE_QUESTION)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 10
        assert refused.json()["detail"].startswith("Too many questions from your address")
        assert "[1]" in result(other, url, post(other, url, AE_QUESTION))
        assert "[1]" in result(eager, url, taken[0])  # what was taken is answered


def test_questions_cannot_skip_the_queue(served: list[Any], bot: Assistant) -> None:
    url = start(served, bot)
    skip = httpx.post(f"{url}gradio_api/run/chat", json={"data": [AE_QUESTION, []]}, timeout=30)
    assert skip.status_code == 404
    assert "join the queue" in skip.json()["detail"]


# --- the login --------------------------------------------------------------------------------
def login(http: httpx.Client, url: str, user: str, password: str) -> httpx.Response:
    return http.post(f"{url}login", data={"username": user, "password": password})


def test_repeated_wrong_logins_are_refused_then_the_right_one_works(
    served: list[Any], bot: Assistant, tmp_path: Path
) -> None:
    logins = tmp_path / "logins"
    logins.write_text("alice:s3cret\n", "utf-8")
    url = start(served, bot, auth_file=logins)

    def guess(i: int) -> httpx.Response:
        with client("127.0.0.7") as http:
            return login(http, url, "alice", f"guess-{i}")

    with ThreadPoolExecutor(30) as pool:
        statuses = [r.status_code for r in pool.map(guess, range(30))]
    # One guess is checked while the others wait at a lock: a guesser gets nowhere by sending
    # them together (without the lock all 30 would be checked: 30 x 400).
    assert statuses.count(400) <= 3 and statuses.count(429) >= 27, statuses
    with client("127.0.0.8") as http:
        # alice is locked from any address for a while: refused without checking the password.
        while (locked := login(http, url, "alice", "s3cret")).status_code == 429:
            wait = int(locked.headers["retry-after"])
            assert 1 <= wait <= 2 * LOGIN_DELAY * 2**3
            time.sleep(wait)
        assert locked.status_code == 200 and locked.json() == {"success": True}
        assert http.get(f"{url}config").status_code == 200  # the cookie opens the page


@pytest.fixture(scope="module")
def corpus_env(corpus_index: Settings) -> dict[str, str]:
    return clean_env(
        ASSISTANT_INDEX_DIR=str(corpus_index.index_dir),
        ASSISTANT_CORPUS_DIR=str(corpus_index.corpus_dir),
    )


def test_auth_file_and_env_log_in_without_the_password_in_ps(
    corpus_env: dict[str, str], tmp_path: Path
) -> None:
    logins = tmp_path / "logins"
    logins.write_text("# the chat page's logins\nalice:file-secret\n", "utf-8")
    env = {**corpus_env, "ASSISTANT_AUTH": "bob:env-secret"}
    with serving_chat("--auth-file", str(logins), cwd=tmp_path, env=env) as (process, url):
        command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert b"secret" not in command_line and b"--auth-file" in command_line
        assert httpx.get(f"{url}config", timeout=10).status_code == 401
        with client("127.0.0.9") as http:
            assert login(http, url, "alice", "file-secret").status_code == 200
        with client("127.0.0.10") as http:
            assert login(http, url, "bob", "env-secret").status_code == 200
        with client("127.0.0.11") as http:
            assert login(http, url, "alice", "env-secret").status_code == 400
    assert "warning" not in process.communicate()[1]


def test_auth_on_the_command_line_warns_that_ps_shows_it(tmp_path: Path) -> None:
    # --concurrency 0 stops the command right after the warning, before anything is served.
    run = subprocess.run(
        [sys.executable, "-m", "assistant", "chat", "--auth", "alice:s3cret", "--concurrency", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=clean_env(ASSISTANT_INDEX_DIR=str(tmp_path / "index")),
    )
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "process list" in warnings[0] and "--auth-file" in warnings[0]
    assert "ASSISTANT_AUTH" in warnings[0]
    assert run.returncode == 1 and "--concurrency must be at least 1" in run.stderr
