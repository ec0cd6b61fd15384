"""What the chat page's server refuses before Gradio sees a request (two ASGI middlewares).

- ``RefuseUnused``: the Gradio routes the page never uses and that let an anonymous client
  store something on the server (404), and any URL with a ``deep_link`` parameter (400).
  A deep link replays a session's stored component values into another browser, so anyone
  could forge a conversation (a fake reply, a remote image) and send its link around; file
  uploads wrote unlimited files to the temp folder. The page takes no files and makes no
  deep links; Gradio 6.31 has no setting that turns either route off.
- ``LimitBody``: a request body over ``limit`` bytes is refused with 413, by its
  ``Content-Length`` or by counting what arrives, before the app reads any of it. The page's
  largest honest request (a long conversation sent back with a question) stays well under it.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

log = logging.getLogger(__name__)

#: Gradio routes (under its API prefix) that the page never calls: deep links, uploads and
#: their progress, screen recordings, component server functions, media streams.
UNUSED_ROUTES = (
    "/gradio_api/deep_link",
    "/gradio_api/upload",
    "/gradio_api/upload_progress",
    "/gradio_api/process_recording",
    "/gradio_api/component_server",
    "/gradio_api/stream",
)
#: The largest request body the page accepts, in bytes. A 50-turn conversation, which the
#: page sends back with each question, measured 330 KB; a question pasted into it is cut to
#: ``max_question_chars`` on the server.
MAX_BODY = 1024 * 1024

Scope = dict[str, Any]


async def respond(
    send: Any,
    status: int,
    body: bytes,
    content_type: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Answer an ASGI request at once with ``body`` (the refusals of this module and of
    ``limits``)."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _refuse(send: Any, status: int, text: str) -> None:
    await respond(
        send,
        status,
        text.encode("utf-8"),
        b"text/plain; charset=utf-8",
        [(b"connection", b"close")],
    )


def _path(scope: Scope) -> str:
    """The request's path below the app's root path, without a trailing slash."""
    path = str(scope.get("path", ""))
    root = str(scope.get("root_path") or "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path.rstrip("/") or "/"


class RefuseUnused:
    """ASGI middleware: 404 for ``UNUSED_ROUTES`` (and below them), 400 for a ``deep_link``
    query parameter on any URL."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = _path(scope)
            if any(path == r or path.startswith(r + "/") for r in UNUSED_ROUTES):
                log.info("refused %s %s: the page does not use it", scope.get("method"), path)
                await _refuse(send, 404, "Not found.")
                return
            query = bytes(scope.get("query_string", b"")).decode("latin-1")
            if any(key == "deep_link" for key, _ in parse_qsl(query, keep_blank_values=True)):
                log.info("refused a deep link on %s", path)
                await _refuse(send, 400, "Deep links are turned off on this page.")
                return
        await self.app(scope, receive, send)


class LimitBody:
    """ASGI middleware: refuse a request body over ``limit`` bytes with 413.

    The body is read (at most ``limit`` bytes of it) before the app is called, then handed
    to the app as it arrived, so a refusal never meets a half-read request or a started
    response. A declared ``Content-Length`` over the limit is refused without reading.
    """

    def __init__(self, app: Any, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._too_large(scope, send)
            return
        messages: list[dict[str, Any]] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":  # the client left
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._too_large(scope, send)
                return
            if not message.get("more_body"):
                break

        async def replay() -> dict[str, Any]:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, send: Any) -> None:
        log.info("refused a request body over %s bytes on %s", f"{self.limit:,}", _path(scope))
        await _refuse(send, 413, f"The request is too large (over {self.limit:,} bytes).")
