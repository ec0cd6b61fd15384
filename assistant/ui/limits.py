"""What keeps the served page usable under a flood and slow to guess: limits and the login.

- ``Limits``: answers made at once, questions that may wait, questions per minute per address;
- ``RateLimit``: ASGI middleware, a token bucket per client address on the routes that queue a
  question (``/gradio_api/queue/join``, ``/gradio_api/call/...``); over it, ``429`` with
  ``Retry-After`` and a sentence the page shows;
- ``LoginThrottle``: ASGI middleware on ``POST /login``: each attempt locks its client address
  and its user name for a delay that doubles with every failure (0.5 s up to a minute) and is
  cleared by a success; an attempt while locked gets ``429`` with ``Retry-After``, so the
  refusal costs the server nothing and blocks no one else;
- ``read_auth_file``: ``user:password`` lines, the way to keep a password out of ``ps``.

The client address is the one uvicorn gives (``scope["client"]``): the peer's, or, for a
connection from 127.0.0.1 (a reverse proxy on this machine), its ``X-Forwarded-For``.
The state lives in this process and is bounded (the oldest addresses are forgotten first).
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from ..errors import ConfigError
from .guard import respond

if TYPE_CHECKING:
    from ..config import Settings

#: Gradio's API routes live under this prefix.
API = "/gradio_api"
#: Client addresses (and user names) remembered at most; the least recently seen go first.
MAX_KEYS = 10_000
#: The lock after the first failed login, doubled after each further one, up to the cap.
LOGIN_DELAY, LOGIN_DELAY_CAP = 0.5, 60.0
#: Failures are forgotten after this long without one (the delay starts again from the base).
LOGIN_FORGET = 15 * 60.0
#: A login form is a few hundred bytes; a larger body is refused before it is read whole.
LOGIN_BODY_MAX = 16_384

Clock = Callable[[], float]


@dataclass(frozen=True)
class Limits:
    """How much the page does at once and how much one client may ask.

    Attributes:
        concurrency: answers made at the same time (Gradio's ``default_concurrency_limit``).
        queue_size: questions that may wait beyond those; past it, "busy, try again"
            (Gradio's ``queue(max_size=...)``).
        rate_per_minute: questions one client address may ask per minute, on average
            (0: no limit).
        burst: questions one address may ask at once before the rate applies.
    """

    concurrency: int = 4
    queue_size: int = 100
    rate_per_minute: float = 20.0
    burst: int = 10

    @classmethod
    def from_settings(cls, settings: Settings, **changes: Any) -> Limits:
        """The limits the settings name; ``changes`` (e.g. from command-line flags) win."""
        limits = cls(
            concurrency=settings.concurrency,
            queue_size=settings.queue_size,
            rate_per_minute=settings.rate_limit,
            burst=settings.rate_burst,
        )
        return replace(limits, **{k: v for k, v in changes.items() if v is not None})


def client_address(scope: dict[str, Any]) -> str:
    """The client's address as uvicorn gives it ("unknown" when it gives none)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def send_json(
    send: Any, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """A JSON ``{"detail": ...}`` response (what Gradio's page shows for a refused event)."""
    body = json.dumps({"detail": detail}).encode()
    await respond(send, status, body, b"application/json", headers)


def retry_after(seconds: float) -> list[tuple[bytes, bytes]]:
    return [(b"retry-after", str(max(1, math.ceil(seconds))).encode())]


class _Bounded(OrderedDict[str, Any]):
    """A dict that forgets its least recently touched keys past ``MAX_KEYS``."""

    def touch(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > MAX_KEYS:
            self.popitem(last=False)


# --- questions per client address -----------------------------------------------------------
class RateLimit:
    """ASGI middleware: a token bucket per client address on the routes that queue a question.

    Each address may post ``burst`` questions at once, then one every ``60 / rate_per_minute``
    seconds; more gets ``429 Too Many Requests`` with ``Retry-After`` and a sentence the page
    shows in its error toast. Page loads, static files and the answers' event streams are not
    counted: only a new queued event costs a token.
    """

    def __init__(
        self, app: Any, rate_per_minute: float, burst: int, clock: Clock = time.monotonic
    ) -> None:
        self.app = app
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.buckets = _Bounded()  # address -> (tokens, when they were counted)

    @staticmethod
    def counts(scope: dict[str, Any]) -> bool:
        """Whether the request queues a question (or another event) of the page."""
        if scope["type"] != "http" or scope["method"] != "POST":
            return False
        path = scope["path"].rstrip("/")
        return path == f"{API}/queue/join" or path.startswith(f"{API}/call/")

    def take(self, address: str) -> float:
        """Take a token for ``address``: 0 if it had one, else the seconds until it will."""
        now = self.clock()
        tokens, then = self.buckets.get(address, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens >= 1.0:
            self.buckets.touch(address, (tokens - 1.0, now))
            return 0.0
        self.buckets.touch(address, (tokens, now))
        return (1.0 - tokens) / self.rate

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self.rate <= 0 or not self.counts(scope):
            await self.app(scope, receive, send)
            return
        wait = self.take(client_address(scope))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        await send_json(
            send,
            429,
            f"Too many questions from your address: please wait {max(1, math.ceil(wait))} s "
            "and ask again.",
            retry_after(wait),
        )


# --- the login ------------------------------------------------------------------------------
@dataclass
class _Strikes:
    failures: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class LoginThrottle:
    """ASGI middleware on ``POST /login``: a doubling lock per client address and per user.

    Every attempt locks its address and its user name for ``LOGIN_DELAY * 2**failures``
    seconds (at most ``LOGIN_DELAY_CAP``) before Gradio checks the password, so that attempts
    sent at the same time cannot slip through together; a success clears both locks and their
    failures. An attempt while either is locked is refused with ``429`` and ``Retry-After``,
    without checking the password. Failures are forgotten after ``LOGIN_FORGET`` seconds
    without one.
    """

    def __init__(self, app: Any, clock: Clock = time.monotonic) -> None:
        self.app = app
        self.clock = clock
        self.strikes = _Bounded()  # "address:<ip>" / "user:<name>" -> _Strikes

    @staticmethod
    def is_login(scope: dict[str, Any]) -> bool:
        return (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and (scope["path"].rstrip("/") == "/login")
        )

    def _get(self, key: str, now: float) -> _Strikes:
        strikes = self.strikes.get(key)
        if strikes is None or now - strikes.last > LOGIN_FORGET:
            strikes = _Strikes()
        return strikes

    def locked_for(self, keys: list[str]) -> float:
        """Seconds until all of ``keys`` may try again (0: now)."""
        now = self.clock()
        return max(self._get(key, now).locked_until - now for key in keys)

    def attempt(self, keys: list[str]) -> None:
        """Lock ``keys`` as if this attempt failed (``succeeded`` lifts it)."""
        now = self.clock()
        for key in keys:
            strikes = self._get(key, now)
            delay = min(LOGIN_DELAY_CAP, LOGIN_DELAY * 2.0 ** min(strikes.failures, 16))
            strikes.failures += 1
            strikes.locked_until, strikes.last = now + delay, now
            self.strikes.touch(key, strikes)

    def succeeded(self, keys: list[str]) -> None:
        for key in keys:
            self.strikes.pop(key, None)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not self.is_login(scope):
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > LOGIN_BODY_MAX:
                await send_json(send, 413, "The login form is too large.")
                return
            if not message.get("more_body"):
                break
        user = (parse_qs(body.decode("utf-8", "replace")).get("username") or [""])[0].strip()
        keys = [f"address:{client_address(scope)}", f"user:{user}"]
        wait = self.locked_for(keys)
        if wait > 0:
            await send_json(
                send,
                429,
                f"Too many failed logins: try again in {max(1, math.ceil(wait))} s.",
                retry_after(wait),
            )
            return
        self.attempt(keys)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return dict(await receive())  # the disconnect, when it comes

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                self.succeeded(keys)
            await send(message)

        await self.app(scope, replay, watch)


# --- credentials ----------------------------------------------------------------------------
def read_auth_file(path: Path) -> list[tuple[str, str]]:
    """The ``user:password`` lines of a file (blank lines and ``#`` comments skipped).

    A file (readable by its owner only, ideally) keeps the password out of the process list,
    where ``--auth user:password`` puts it for every local user to see.

    Raises:
        ConfigError: the file cannot be read, holds no login, or a line is not
            ``user:password`` (named by its number, never by its text).
    """
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"Cannot read the login file {path}: {e}.") from e
    logins = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user.strip() or not password:
            raise ConfigError(
                f"Line {number} of the login file {path} is not USER:PASSWORD "
                "(one login a line; # starts a comment)."
            )
        logins.append((user.strip(), password))
    if not logins:
        raise ConfigError(f"The login file {path} holds no USER:PASSWORD line.")
    return logins
