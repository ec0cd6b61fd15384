"""The page's limits on a fake clock: the per-address token bucket, the login lock, the login
file. (The same middleware in a real server: tests/test_ui_limits.py.)"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from assistant import ConfigError, Settings
from assistant.ui.limits import (
    LOGIN_DELAY,
    LOGIN_DELAY_CAP,
    Limits,
    LoginThrottle,
    RateLimit,
    read_auth_file,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def http(method: str, path: str, client: str = "10.0.0.1") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "client": (client, 5000)}


async def call(app: Any, scope: dict[str, Any], body: bytes = b"") -> tuple[int, dict[str, str]]:
    """(status, headers) of one request through an ASGI app."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}


async def ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


# --- the rate limit ---------------------------------------------------------------------------
async def test_an_address_gets_its_burst_then_one_question_per_interval() -> None:
    clock = Clock()
    limit = RateLimit(ok, rate_per_minute=6, burst=3, clock=clock)  # one every 10 s
    join = http("POST", "/gradio_api/queue/join")
    assert [(await call(limit, join))[0] for _ in range(3)] == [200, 200, 200]
    status, headers = await call(limit, join)
    assert status == 429 and headers["retry-after"] == "10"
    clock.now += 4.0
    assert (await call(limit, join))[1]["retry-after"] == "6"  # a refusal costs nothing
    clock.now += 6.0
    assert (await call(limit, join))[0] == 200
    assert (await call(limit, join))[0] == 429
    # Another address has its own bucket.
    assert (await call(limit, http("POST", "/gradio_api/queue/join", "10.0.0.2")))[0] == 200


async def test_only_requests_that_queue_an_event_are_counted() -> None:
    limit = RateLimit(ok, rate_per_minute=1, burst=1, clock=Clock())
    assert (await call(limit, http("POST", "/gradio_api/call/chat")))[0] == 200
    assert (await call(limit, http("POST", "/gradio_api/call/ask/")))[0] == 429
    assert (await call(limit, http("POST", "/gradio_api/queue/join")))[0] == 429
    for free in (
        http("GET", "/"),
        http("GET", "/config"),
        http("GET", "/gradio_api/call/chat/0123abcd"),  # reading an answer
        http("GET", "/gradio_api/queue/data"),
        http("POST", "/gradio_api/run/predict"),  # the page's instant steps (queue=False)
    ):
        assert (await call(limit, free))[0] == 200, free


async def test_a_rate_of_zero_turns_the_limit_off() -> None:
    limit = RateLimit(ok, rate_per_minute=0, burst=1, clock=Clock())
    join = http("POST", "/gradio_api/queue/join")
    assert {(await call(limit, join))[0] for _ in range(50)} == {200}


def test_limits_come_from_the_settings_and_flags_win() -> None:
    settings = Settings(_env_file=None, concurrency=3, queue_size=50, rate_limit=12, rate_burst=4)
    assert Limits.from_settings(settings) == Limits(3, 50, 12.0, 4)
    assert Limits.from_settings(settings, queue_size=7, concurrency=None) == Limits(3, 7, 12.0, 4)


# --- the login --------------------------------------------------------------------------------
async def gradio_login(scope: Any, receive: Any, send: Any) -> None:
    """Gradio's /login as far as the throttle sees it: 200 for alice:s3cret, else 400."""
    form = (await receive())["body"].decode()
    status = 200 if form == urlencode({"username": "alice", "password": "s3cret"}) else 400
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": json.dumps({}).encode()})


def login(user: str, password: str, client: str = "10.0.0.1") -> tuple[dict[str, Any], bytes]:
    return http("POST", "/login", client), urlencode(
        {"username": user, "password": password}
    ).encode()


async def test_each_failed_login_doubles_the_wait_and_a_success_clears_it() -> None:
    clock = Clock()
    throttle = LoginThrottle(gradio_login, clock=clock)
    waits = []
    for _ in range(10):
        assert (await call(throttle, *login("alice", "guess")))[0] == 400
        status, headers = await call(throttle, *login("alice", "guess"))
        assert status == 429  # at once again: refused without checking the password
        waits.append(int(headers["retry-after"]))
        clock.now += max(LOGIN_DELAY, min(LOGIN_DELAY_CAP, LOGIN_DELAY * 2 ** (len(waits) - 1)))
    assert waits == [1, 1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert (await call(throttle, *login("alice", "s3cret")))[0] == 200
    assert (await call(throttle, *login("alice", "guess")))[0] == 400
    clock.now += LOGIN_DELAY  # back to the first delay
    assert (await call(throttle, *login("alice", "guess")))[0] == 400


async def test_the_lock_holds_per_user_and_per_address() -> None:
    clock = Clock()
    throttle = LoginThrottle(gradio_login, clock=clock)
    for _ in range(4):
        await call(throttle, *login("alice", "guess", "10.0.0.1"))
        clock.now += LOGIN_DELAY * 2**3
    assert (await call(throttle, *login("alice", "guess", "10.0.0.1")))[0] == 400
    # alice from elsewhere, and someone else from the same address, wait too ...
    assert (await call(throttle, *login("alice", "s3cret", "10.0.0.9")))[0] == 429
    assert (await call(throttle, *login("bob", "pw", "10.0.0.1")))[0] == 429
    # ... but not another user from another address.
    assert (await call(throttle, *login("bob", "pw", "10.0.0.9")))[0] == 400


async def test_attempts_sent_together_are_checked_one_at_a_time() -> None:
    release = asyncio.Event()

    async def slow_login(scope: Any, receive: Any, send: Any) -> None:
        await release.wait()
        await gradio_login(scope, receive, send)

    throttle = LoginThrottle(slow_login, clock=Clock())
    first = asyncio.create_task(call(throttle, *login("alice", "guess1")))
    await asyncio.sleep(0)
    others = [await call(throttle, *login("alice", f"guess{i}")) for i in range(2, 20)]
    release.set()
    assert (await first)[0] == 400
    assert {status for status, _ in others} == {429}


async def test_an_oversized_login_form_is_refused() -> None:
    throttle = LoginThrottle(gradio_login, clock=Clock())
    status, _ = await call(throttle, http("POST", "/login"), b"username=" + b"a" * 100_000)
    assert status == 413


# --- the login file ---------------------------------------------------------------------------
def test_login_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "logins"
    path.write_text("# who may log in\n\nalice:s3cret\nbob:pa:ss:word\n", "utf-8")
    assert read_auth_file(path) == [("alice", "s3cret"), ("bob", "pa:ss:word")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alice:s3cret\njust-a-password\n", "Line 2 of the login file"),
        ("alice:\n", "Line 1 of the login file"),
        ("# nothing\n\n", "holds no USER:PASSWORD"),
    ],
)
def test_a_bad_login_file_names_the_line_not_its_text(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "logins"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        read_auth_file(path)
    assert "just-a-password" not in str(caught.value)


def test_a_missing_login_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read the login file"):
        read_auth_file(tmp_path / "nowhere")
