"""The Gradio chat page and its ``/chat`` HTTP API; the handlers only call ``Assistant``.

What a user gets: the answer streams in with ``[n]`` markers, then the numbered sources
(title, corpus path and the passage itself, folded in a ``<details>`` element). Corpus text is
HTML-escaped everywhere, so a note holding ``<script>`` shows that text rather than running it.
Gradio keeps each browser session's (and each API client's) conversation on the server.

Safe defaults: the page binds 127.0.0.1, never opens a public share link, sends no analytics,
and refuses a non-loopback address without a login (``--auth user:password``) unless told to
(``--allow-public``). Gradio and the model load only when ``assistant chat`` runs: the page is
served first, and the index and model load in a background thread right after.

Example:
    >>> from assistant import Assistant
    >>> from assistant.ui import serve
    >>> serve(Assistant(), host="127.0.0.1", port=7860, auth=None, allow_public=False)
"""

from __future__ import annotations

import html
import ipaddress
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .answer import SOURCES_HEADING, Answer, Source
from .errors import AssistantError, ConfigError, QuestionError

if TYPE_CHECKING:
    import gradio as gr

    from .app import Assistant

# Gradio reads these when it is imported: no analytics, no model-hub look-ups.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

log = logging.getLogger(__name__)

TITLE = "Career assistant"
DESCRIPTION = (
    "Ask about account management careers in advertising agencies: what an Account "
    "Executive (AE), Account Manager (AM) or Account Director (AD) does, and how the career "
    "progresses. Answers quote the corpus and number their sources; open a source to read the "
    "passage. Hỏi bằng tiếng Việt hoặc tiếng Anh."
)
EXAMPLES = [
    "What does an account executive do?",
    "How long does it take to go from AE to AD?",
    "Account Manager làm gì?",
    "Lộ trình thăng tiến từ AE lên AD mất bao lâu?",
]
API_DESCRIPTION = (
    "Answer a question about account management careers. The session keeps the conversation, "
    "so a follow-up can refer to earlier turns. Returns Markdown: the answer with [n] markers, "
    "then the numbered sources."
)
#: Shown instead of a traceback when something unexpected fails.
FAILURE = "Sorry, something went wrong while answering. The server log has the details."
CSS = """
.source-passage { white-space: pre-wrap; margin: .4em 0 .6em 0; }
details.source summary { cursor: pointer; }
"""


# --- rendering ---------------------------------------------------------------------------
def reply_markdown(answer: Answer) -> str:
    """The reply the page shows and ``/chat`` returns.

    The answer with its ``[n]`` markers, the notice if any, then one ``<details>`` element per
    source: the summary holds the number, title and corpus path, the body the passage. Every
    piece of corpus text is HTML-escaped, and each source stays on one line so that Markdown
    reads the passage as plain text (no ``*``, ``#`` or links made from corpus text).
    """
    parts = [streaming_markdown(answer.answer)]
    if answer.notice:
        parts.append(f"_{html.escape(answer.notice, quote=False)}_")
    if answer.sources:
        heading = SOURCES_HEADING.get(answer.language, SOURCES_HEADING["en"])
        lines = [_source_html(n, s) for n, s in enumerate(answer.sources, 1)]
        parts.append(f"**{heading}**\n\n" + "\n".join(lines))
    return "\n\n".join(parts)


def streaming_markdown(text: str) -> str:
    """The answer text as it grows: HTML-escaped, and no Markdown image.

    An image would make every reader's browser fetch a URL chosen by corpus text (or by a
    model that read it); ``![alt](url)`` is shown as a link instead.
    """
    return html.escape(text, quote=False).replace("![", "!\\[")


def _source_html(number: int, source: Source) -> str:
    title = html.escape(source.title or source.path)
    path = html.escape(source.path)
    passage = html.escape(source.text.strip()).replace("\r", "").replace("\n", "<br>")
    return (f'<details class="source"><summary>[{number}] {title} — <code>{path}</code>'
            f'</summary><div class="source-passage">{passage}</div></details>')


def error_markdown(error: BaseException) -> str:
    """What the chat shows for an error: its message for ours, a generic one for the rest."""
    if isinstance(error, QuestionError):
        return html.escape(str(error), quote=False)
    if isinstance(error, AssistantError):
        return html.escape(f"Sorry, I cannot answer right now: {error}", quote=False)
    return FAILURE


# --- the handler -------------------------------------------------------------------------
class ChatHandler:
    """The chat function Gradio calls, ``respond(message, history) -> growing Markdown``.

    Args:
        bot: answers the questions.
    """

    def __init__(self, bot: Assistant) -> None:
        self.bot = bot

    def respond(self, message: str, history: Sequence[dict[str, Any]]) -> Iterator[str]:
        """Yield the answer as it grows, then the whole reply with its sources.

        Args:
            message: the user's question.
            history: the conversation so far, as Gradio's ``{"role", "content"}`` messages.
        """
        text = ""
        try:
            stream = self.bot.stream(message if isinstance(message, str) else "", history)
            for piece in stream:
                text += piece
                yield streaming_markdown(text)
            answer = stream.result
        except AssistantError as e:
            log.info("question not answered: %s", e)
            yield error_markdown(e)
            return
        except Exception as e:  # the page must show a message, never a traceback
            log.exception("answering failed")
            yield error_markdown(e)
            return
        if answer is None:  # a stream that ended without its result
            yield FAILURE
            return
        yield reply_markdown(answer)


# --- the page ------------------------------------------------------------------------------
def build_app(bot: Assistant, *, title: str = TITLE) -> gr.Blocks:
    """The chat page: a streaming chat with its sources, examples and a new-conversation button.

    Launch it with ``launch_app`` (or ``serve``), which adds the page's CSS and safe settings.

    Args:
        bot: the assistant the page asks.
        title: the page title.
    """
    import gradio as gr

    with gr.Blocks(title=title, analytics_enabled=False, fill_height=True) as app:
        chatbot = gr.Chatbot(
            label="Chat",
            height=560,
            sanitize_html=True,
            render_markdown=True,
            buttons=["copy", "copy_all"],  # no "share": it posts to Hugging Face
            feedback_options=None,
            latex_delimiters=[],  # "$" in an answer is money, not maths
            placeholder="Ask a question in English or Vietnamese.",
        )
        chat = gr.ChatInterface(
            ChatHandler(bot).respond,  # a generator function, so that the reply streams
            chatbot=chatbot,
            textbox=gr.Textbox(placeholder="Type a question…", autofocus=True,
                               submit_btn=True, stop_btn=True,
                               max_length=None, elem_id="question"),
            examples=EXAMPLES,
            title=title,
            description=DESCRIPTION,
            api_name="chat",
            api_description=API_DESCRIPTION,
            cache_examples=False,
            flagging_mode="never",
            fill_height=True,
            analytics_enabled=False,
        )
        new = gr.Button("New conversation", variant="secondary", size="sm",
                        elem_id="new-conversation")
        new.click(lambda: ([], [], []), None,
                  [chat.chatbot, chat.chatbot_state, chat.chatbot_value],
                  queue=False, api_visibility="private")
    return app


def launch_app(app: gr.Blocks, *, host: str = "127.0.0.1", port: int = 7860,
               auth: tuple[str, str] | None = None, quiet: bool = False) -> gr.Blocks:
    """Start serving ``app`` in a background thread, with the safe settings; returns it.

    Never a share link, no analytics, no server-side rendering (it would start Node).

    Raises:
        ConfigError: the port is taken.
    """
    app.queue(default_concurrency_limit=1)
    try:
        app.launch(
            server_name=host,
            server_port=port,
            share=False,
            auth=auth,
            auth_message="Log in to the career assistant." if auth else None,
            prevent_thread_lock=True,
            inbrowser=False,
            show_error=False,
            quiet=quiet,
            ssr_mode=False,
            mcp_server=False,
            pwa=False,
            enable_monitoring=False,
            css=CSS,
        )
    except OSError as e:
        log.debug("launch failed: %s", e)
        raise ConfigError(
            f"Cannot serve on {host}:{port}: the port is in use or cannot be bound. "
            "Choose another with --port."
        ) from e
    return app


def serve(bot: Assistant, *, host: str = "127.0.0.1", port: int = 7860,
          auth: str | None = None, allow_public: bool = False, block: bool = True) -> gr.Blocks:
    """Serve the chat page until interrupted (``block=False``: return the running page).

    The page is served first; the model and the index load right after, in the background,
    so the first question does not wait for them (unless it comes very early).

    Args:
        bot: the assistant the page asks.
        host: address to bind; anything but a loopback address needs ``auth``.
        port: port to bind.
        auth: ``"user:password"`` that protects the page, or None.
        allow_public: allow a non-loopback ``host`` without ``auth``.
        block: wait until interrupted (False: return at once, e.g. in tests).

    Raises:
        ConfigError: ``auth`` is not ``user:password``, a non-loopback host has no login,
            or the port is taken.
    """
    credentials = parse_auth(auth)
    check_exposure(host, credentials, allow_public)
    app = launch_app(build_app(bot), host=host, port=port, auth=credentials)
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


def check_exposure(host: str, auth: tuple[str, str] | None, allow_public: bool) -> None:
    """Refuse to serve a non-loopback address without a login, unless ``allow_public``.

    Raises:
        ConfigError: naming ``--auth``, the way to fix it.
    """
    if is_loopback(host) or auth is not None:
        return
    if allow_public:
        log.warning("serving on %s without a login: anyone who can reach it can use it", host)
        return
    raise ConfigError(
        f"Refusing to serve on {host} without a login: anyone who can reach this address could "
        "use the page. Add --auth USER:PASSWORD (or set ASSISTANT_AUTH), bind 127.0.0.1, or "
        "pass --allow-public to serve it open anyway."
    )
