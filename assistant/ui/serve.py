"""Serving the chat page: safe defaults, link-preview tags, and the background warm-up.

Safe defaults: the page binds 127.0.0.1, never opens a public share link, sends no analytics,
and refuses a non-loopback address without a login (``--auth-file``, ``ASSISTANT_AUTH`` or
``--auth``) unless told to (``--allow-public``). Gradio and the model load only when
``assistant chat`` runs: the page is served first, and the index and model load in a
background thread right after.

Under load (``limits.py``): a few answers are made at once (the embedding model, Chroma and
BM25 answer from several threads), a bounded queue says "busy" past its size, each client
address may ask so many questions a minute, and failed logins lock their address and user
name for a doubling delay. Questions only join through the queue (``api_open=False``): the
direct ``/gradio_api/run/...`` routes would skip its size and concurrency.

Example:
    >>> from assistant import Assistant
    >>> from assistant.ui import serve
    >>> serve(Assistant(), host="127.0.0.1", port=7860, auth=None, allow_public=False)
"""

from __future__ import annotations

import html
import importlib.util
import ipaddress
import logging
import re
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AssistantError, ConfigError
from .guard import MAX_BODY, LimitBody, RefuseUnused
from .limits import Limits, LoginThrottle, RateLimit, read_auth_file
from .page import DESCRIPTION, build_app, static_text

if TYPE_CHECKING:
    import gradio as gr

    from ..app import Assistant


log = logging.getLogger(__name__)

#: Above the login form (which says only "incorrect credentials" for a refusal, too).
LOGIN_MESSAGE = (
    "Log in to the career assistant. After a wrong password, wait a few seconds before the "
    "next try: each failure doubles the wait."
)
#: Where the page's own script and styles live (``assistant/ui/static``).
SCRIPT, STYLES = "page.js", "page.css"


def head_html() -> str:
    """What the page adds to its ``<head>`` (Gradio adds it from a script): the page's own
    script. The description and link-preview tags are in the served HTML (``LinkPreview``)."""
    return f"<script>{static_text(SCRIPT)}</script>"


def launch_app(
    app: gr.Blocks,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: Logins | None = None,
    quiet: bool = False,
    limits: Limits | None = None,
) -> gr.Blocks:
    """Start serving ``app`` in a background thread, with the safe settings; returns it.

    Never a share link, no analytics, no server-side rendering (it would start Node), no
    footer links, no run history; the page gets its script, styles, translations and
    link-preview tags. It takes no files, makes no deep links and refuses large request
    bodies (``guard_middleware``).
    ``limits`` (default ``Limits()``) sets the answers made at once, the queue's size and the
    questions per minute of a client address; failed logins are throttled.

    Raises:
        ConfigError: the port is taken.
    """
    from starlette.middleware import Middleware

    limits = limits or Limits()
    skip_missing_matplotlib()
    app.queue(
        default_concurrency_limit=limits.concurrency, max_size=limits.queue_size, api_open=False
    )
    try:
        app.launch(
            server_name=host,
            server_port=port,
            share=False,
            auth=auth,
            auth_message=LOGIN_MESSAGE if auth else None,
            prevent_thread_lock=True,
            inbrowser=False,
            show_error=False,
            quiet=quiet,
            ssr_mode=False,
            mcp_server=False,
            pwa=False,
            enable_monitoring=False,
            footer_links=[],
            css=static_text(STYLES),
            head=head_html(),
            max_file_size=0,  # Gradio's own cap on uploads: the page takes no files
            run_history=False,
            app_kwargs={
                "middleware": [
                    *guard_middleware(),
                    Middleware(LinkPreview, title=str(app.title), description=DESCRIPTION),
                    Middleware(
                        RateLimit, rate_per_minute=limits.rate_per_minute, burst=limits.burst
                    ),
                    Middleware(LoginThrottle),
                ]
            },
        )
    except OSError as e:
        log.debug("launch failed: %s", e)
        raise ConfigError(
            f"Cannot serve on {host}:{port}: the port is in use or cannot be bound. "
            "Choose another with --port."
        ) from e
    return app


def guard_middleware(max_body: int = MAX_BODY) -> list[Any]:
    """The middlewares that refuse what the page does not use (``assistant.ui.guard``):
    deep links, uploads and other unused routes, and request bodies over ``max_body`` bytes."""
    from starlette.middleware import Middleware

    return [Middleware(RefuseUnused), Middleware(LimitBody, limit=max_body)]


def skip_missing_matplotlib() -> None:
    """Make ``import matplotlib`` fail at once when matplotlib is not installed.

    Gradio tries ``import matplotlib`` twice for every update an event sends
    (``gradio.utils.MatplotlibBackendMananger``, around each step of a streamed answer); when
    it is not installed, each try searches ``sys.path`` again, a tenth of the server's event
    loop under load. A ``None`` in ``sys.modules`` is Python's way to say "not there".
    """
    if "matplotlib" not in sys.modules and importlib.util.find_spec("matplotlib") is None:
        sys.modules["matplotlib"] = None  # type: ignore[assignment]


class LinkPreview:
    """ASGI middleware: the page's own description and link-preview tags in ``GET /``'s HTML.

    Gradio's page template starts with fixed tags ("Gradio", "Click to try out the app!") that
    link previews show, and adds ``head`` only from a script, which crawlers do not run; the
    template's tags are replaced by the page's own.
    """

    _TAG = re.compile(r'<meta\s+(?:property|name)="(?:og|twitter):[^"]*"[^>]*>\s*', re.DOTALL)

    def __init__(self, app: Any, title: str, description: str) -> None:
        self.app = app
        self.tags = "\n".join(
            [
                f'<meta name="description" content="{html.escape(description)}" />',
                f'<meta property="og:title" content="{html.escape(title)}" />',
                f'<meta property="og:description" content="{html.escape(description)}" />',
                '<meta property="og:type" content="website" />',
                '<meta name="twitter:card" content="summary" />',
                f'<meta name="twitter:title" content="{html.escape(title)}" />',
                f'<meta name="twitter:description" content="{html.escape(description)}" />',
            ]
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != "/":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        body: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await self._send(start, b"".join(body), send)

        await self.app(scope, receive, capture)

    async def _send(self, start: dict[str, Any], body: bytes, send: Any) -> None:
        headers = [(k, v) for k, v in start.get("headers", [])]
        types = [v for k, v in headers if k.lower() == b"content-type"]
        encoded = [v for k, v in headers if k.lower() == b"content-encoding"]
        if types and types[0].startswith(b"text/html") and not encoded:
            text = body.decode("utf-8", "replace")
            first = self._TAG.search(text)
            if first:
                text = self._TAG.sub("", text)
                text = text[: first.start()] + self.tags + "\n" + text[first.start() :]
                body = text.encode("utf-8")
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def serve(
    bot: Assistant,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: str | None = None,
    allow_public: bool = False,
    block: bool = True,
    auth_file: Path | None = None,
    limits: Limits | None = None,
) -> gr.Blocks:
    """Serve the chat page until interrupted (``block=False``: return the running page).

    The page is served first; the model and the index load right after, in the background,
    so the first question does not wait for them (unless it comes very early).

    Args:
        bot: the assistant the page asks.
        host: address to bind; anything but a loopback address needs ``auth``.
        port: port to bind.
        auth: ``"user:password"`` that protects the page, or None.
        allow_public: allow a non-loopback ``host`` without a login.
        block: wait until interrupted (False: return at once, e.g. in tests).
        auth_file: a file of ``user:password`` lines (with ``auth``: both are accepted).
        limits: answers at once, queue size, rate per client address; default: the ones
            ``bot.settings`` names.

    Raises:
        ConfigError: ``auth`` is not ``user:password``, the login file is unreadable or
            malformed, a non-loopback host has no login, or the port is taken.
    """
    credentials = logins(auth, auth_file)
    check_exposure(host, credentials, allow_public)
    if limits is None:
        settings = getattr(bot, "settings", None)
        limits = Limits.from_settings(settings) if settings is not None else Limits()
    app = launch_app(build_app(bot), host=host, port=port, auth=credentials, limits=limits)
    threading.Thread(target=_warm_up, args=(bot,), name="warm-up", daemon=True).start()
    if block:
        try:
            app.block_thread()
        finally:
            app.close(verbose=False)
    return app


def _warm_up(bot: Assistant) -> None:
    try:
        bot.warm_up()
        log.info("model and index loaded")
    except AssistantError as e:  # the first question will show it, too
        log.warning("could not load the index: %s", e)
    except Exception:
        log.exception("loading the model or the index failed")


# --- safe defaults ---------------------------------------------------------------------------
#: One login (``parse_auth``) or several (``logins``), as Gradio's ``launch(auth=...)`` takes them.
Logins = tuple[str, str] | list[tuple[str, str]]


def logins(auth: str | None, auth_file: Path | None) -> list[tuple[str, str]] | None:
    """The logins of ``auth`` (``user:password``) and of ``auth_file``; None when neither.

    Raises:
        ConfigError: either is malformed, or the file cannot be read.
    """
    one = parse_auth(auth)
    found = ([one] if one else []) + (read_auth_file(auth_file) if auth_file else [])
    return found or None


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``"user:password"`` -> ``("user", "password")``; None or empty -> None.

    The password may contain ``:``; the user name may not.

    Raises:
        ConfigError: the value is not ``user:password``.
    """
    if value is None or not value.strip():
        return None
    user, sep, password = value.strip().partition(":")
    if not sep or not user or not password:
        raise ConfigError(
            "The login must be USER:PASSWORD, e.g. --auth alice:correct-horse "
            "(or ASSISTANT_AUTH=alice:correct-horse); both parts are needed."
        )
    return user, password


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:  # another host name: it may be reachable from outside
        return False


def check_exposure(host: str, auth: Logins | None, allow_public: bool) -> None:
    """Refuse to serve a non-loopback address without a login, unless ``allow_public``.

    Raises:
        ConfigError: naming ``--auth``, the way to fix it.
    """
    if is_loopback(host) or auth:
        return
    if allow_public:
        log.warning("serving on %s without a login: anyone who can reach it can use it", host)
        return
    raise ConfigError(
        f"Refusing to serve on {host} without a login: anyone who can reach this address could "
        "use the page. Add --auth-file FILE (USER:PASSWORD lines) or set ASSISTANT_AUTH, bind "
        "127.0.0.1, or pass --allow-public to serve it open anyway."
    )
