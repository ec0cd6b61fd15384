"""What the page's and the API's events do; they only call ``Assistant`` and render.

``ChatHandler.respond`` streams ``/chat``'s Markdown and ``ask_api`` gives ``/ask``'s JSON.
The page's methods: ``accept`` posts the question (or stops the page's event chain, for a
blank box or while an answer is being made), ``answer`` streams the reply into the chat, and
``restore`` rebuilds a conversation kept in the browser's storage.

Two promises to the people who use the page (and ``/chat`` and ``/ask``):

- A question is cut to ``max_question_chars`` before anything keeps it (the chat, the
  session's history, the turns the browser sends back), and the reply says it was cut.
- An error shows a short message in the reader's language, never its detail (which may name
  the index's path or quote the database): the detail goes to the log. The Python API and the
  CLI, which operators use, keep the detailed messages.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..answer import Answer, Source
from ..catalog import Catalog
from ..config import Settings
from ..errors import AssistantError, QuestionError
from ..text import detect_language
from .i18n import cut_notice, reply_words
from .render import (
    answer_json,
    answer_message,
    error_message,
    reply_markdown,
    reply_messages,
    streaming_markdown,
    user_message,
)

if TYPE_CHECKING:
    from ..app import Assistant

log = logging.getLogger(__name__)

#: Shown instead of a traceback when something unexpected fails.
FAILURE = str(reply_words("en")["failure"])
#: The page shows a growing answer at most this often (seconds): fewer, larger updates.
STREAM_EVERY = 0.25
#: ``/chat`` sends a growing answer every this many characters (or every ``STREAM_EVERY``):
#: word by word, the updates took half of what the server spent on an answer.
API_STREAM_CHARS = 40
#: Turns a page keeps and sends back (a longer conversation keeps its latest turns).
MAX_TURNS = 50


def error_markdown(error: BaseException) -> str:
    """What ``/chat`` shows for an error (see ``error_text``)."""
    return streaming_markdown(error_text(error, "en"))


def error_text(error: BaseException, language: str) -> str:
    """What a reader is shown for ``error``, in ``language``: a question error's own message
    (it names nothing on the server), a short message for the rest."""
    words = reply_words(language)
    if isinstance(error, QuestionError):
        return str(error)
    if isinstance(error, AssistantError):
        return str(words["unavailable"])
    return str(words["failure"])


def log_error(error: BaseException) -> None:
    """The detail of an error the reader was not shown, in the server's log."""
    if isinstance(error, QuestionError):
        log.info("question not answered: %s", error)
    elif isinstance(error, AssistantError):
        log.warning("question not answered: %s", error)
    else:
        log.error("answering failed", exc_info=error)


class ChatHandler:
    """The functions behind ``/chat``, ``/ask`` and the page.

    Args:
        bot: answers the questions.
        catalog: describes the corpus's documents (titles, links); read from
            ``bot.settings.corpus_dir`` when not given.
    """

    def __init__(self, bot: Assistant, catalog: Catalog | None = None) -> None:
        self.bot = bot
        self._catalog = catalog
        settings = getattr(bot, "settings", None)
        #: Longest question kept or answered (``max_question_chars``).
        self.limit = int(
            getattr(settings, "max_question_chars", None)
            or Settings.model_fields["max_question_chars"].default
        )

    @property
    def catalog(self) -> Catalog:
        if self._catalog is not None:
            return self._catalog
        corpus_dir = getattr(getattr(self.bot, "settings", None), "corpus_dir", None)
        return Catalog.load(corpus_dir) if corpus_dir is not None else Catalog()

    # --- /chat and /ask ----------------------------------------------------------------------
    def respond(self, message: str, history: Sequence[dict[str, Any]]) -> Iterator[str]:
        """Yield ``/chat``'s Markdown as the answer grows, then the whole reply with sources.

        Args:
            message: the user's question.
            history: the conversation so far, as ``{"role", "content"}`` messages.
        """
        question, asked = self._cut(message)
        text, sent, shown = "", 0, time.monotonic()
        try:
            stream = self.bot.stream(question, history)
            for piece in stream:
                text += piece
                # Each update costs the server about what a search does: a few words at a time.
                if len(text) - sent >= API_STREAM_CHARS or time.monotonic() - shown >= STREAM_EVERY:
                    sent, shown = len(text), time.monotonic()
                    yield streaming_markdown(text)
            answer = stream.result
        except Exception as e:  # the reader must get a message, never a traceback
            log_error(e)
            yield error_markdown(e)
            return
        if answer is None:  # a stream that ended without its result
            yield FAILURE
            return
        yield reply_markdown(self._noted(answer, asked))

    def chat_api(
        self, message: str, history: list[dict[str, Any]] | None
    ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """``/chat``: ``respond`` with the session's conversation, which it then extends."""
        history = list(history or [])
        reply = ""
        for reply in self.respond(message, history):
            yield reply, history
        if isinstance(message, str) and message.strip():
            history = [
                *history,
                {"role": "user", "content": self._cut(message)[0]},
                {"role": "assistant", "content": reply},
            ][-2 * MAX_TURNS :]
        yield reply, history

    def ask_api(
        self, message: str, history: list[dict[str, Any]] | None
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """``/ask``: the answer as JSON (an error as ``{"error": ...}``), with the session's
        conversation."""
        history = list(history or [])
        question, asked = self._cut(message)
        try:
            answer = self._noted(self.bot.ask(question, history), asked)
        except Exception as e:
            log_error(e)
            return {"error": error_text(e, "en")}, history
        history = [
            *history,
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.answer},
        ][-2 * MAX_TURNS :]
        return answer_json(answer), history

    # --- the page ------------------------------------------------------------------------------
    def accept(
        self,
        message: str | None,
        chat: list[Any] | None,
        busy: bool | None,
        length: float | None = None,
    ) -> tuple[Any, ...]:
        """Post the question, cut to the limit: returns (chat, box, send, pending question,
        busy, intro, the question's length as asked).

        ``length``: the question's length as typed (the page's script sends only its first
        ``limit`` characters).

        Raises:
            gradio.Error: silent (nothing shown), for a blank box and for a question sent
                while an answer is being made (a second Enter): the page's event chain stops,
                so nothing is posted and the text stays in the box.
        """
        import gradio as gr

        if busy or not isinstance(message, str) or not message.strip():
            raise gr.Error("nothing to send", visible=False, print_exception=False)
        typed = int(length) if isinstance(length, (int, float)) and 0 < length < 2**53 else 0
        question, asked = self._cut(message, typed)
        chat = [*(chat or []), user_message(question)]
        return (
            chat,
            "",
            gr.update(interactive=False),
            question,
            True,
            gr.Accordion(open=False),
            asked,
        )

    def pick_example(self, sample: Any, busy: bool | None) -> str:
        """An example tapped: its question goes into the box (then ``accept`` posts it).

        Raises:
            gradio.Error: silent, while an answer is being made (what is typed stays).
        """
        import gradio as gr

        if busy or not isinstance(sample, list) or not sample or not isinstance(sample[0], str):
            raise gr.Error("not now", visible=False, print_exception=False)
        return sample[0]

    def answer(
        self,
        question: str | None,
        chat: list[Any] | None,
        turns: list[Any] | None,
        asked: int | None = None,
    ) -> Iterator[tuple[Any, Any]]:
        """Stream the reply into the chat; the finished turn is added to ``turns`` (what the
        browser keeps). ``asked``: the question's length before ``accept`` cut it (the reply
        then says so). Yields (chat, turns)."""
        import gradio as gr

        chat = list(chat or [])
        turns = _valid_turns(turns, self.limit)
        if not isinstance(question, str) or not question.strip():
            yield gr.skip(), gr.skip()
            return
        question, asked = self._cut(question, asked)
        language = detect_language(question)
        history = _history(turns)
        text = ""
        shown = time.monotonic()
        try:
            stream = self.bot.stream(question, history)
            for piece in stream:
                text += piece
                if time.monotonic() - shown >= STREAM_EVERY:
                    shown = time.monotonic()
                    yield [*chat, answer_message(text, language)], gr.skip()
            answer = stream.result
            if answer is None:
                raise RuntimeError("the answer stream ended without its result")
        except Exception as e:
            log_error(e)
            yield [*chat, error_message(error_text(e, language), language)], gr.skip()
            return
        answer = self._noted(answer, asked)
        turns = [*turns, {"question": question, "answer": answer.to_dict()}][-MAX_TURNS:]
        yield [*chat, *reply_messages(answer, self.catalog)], turns

    def restore(self, turns: Any) -> tuple[Any, Any]:
        """The chat rebuilt from the turns the browser kept (rendered again, so escaped
        again); nothing when there are none. Returns (chat, turns)."""
        import gradio as gr

        valid = _valid_turns(turns, self.limit)
        if not valid:
            return gr.skip(), gr.skip()
        chat: list[dict[str, Any]] = []
        for turn in valid:
            chat.append(user_message(turn["question"]))
            chat.extend(reply_messages(_answer(turn["answer"]), self.catalog))
        return chat, valid

    # --- the question's length ---------------------------------------------------------------
    def _cut(self, message: Any, asked: int | None = None) -> tuple[str, int | None]:
        """The question cut to the limit, and its length as asked if it was cut (else None);
        ``asked``: its length before an earlier cut."""
        message = message if isinstance(message, str) else ""
        length = max(asked or 0, len(message))
        return message[: self.limit], (length if length > self.limit else None)

    def _noted(self, answer: Answer, asked: int | None) -> Answer:
        """``answer`` with a notice, in its language, that its question of ``asked``
        characters was cut (when ``asked`` is not None)."""
        if asked is not None:
            notice = cut_notice(asked, self.limit, answer.language)
            answer.notice = f"{notice} {answer.notice}" if answer.notice else notice
        return answer


def _valid_turns(turns: Any, limit: int) -> list[dict[str, Any]]:
    """The well-formed turns of what a browser sent back (anything else is dropped), each
    question cut to ``limit`` characters."""
    if not isinstance(turns, list):
        return []
    valid = []
    for turn in turns[-MAX_TURNS:]:
        if (
            isinstance(turn, dict)
            and isinstance(turn.get("question"), str)
            and isinstance(turn.get("answer"), dict)
            and isinstance(turn["answer"].get("answer"), str)
        ):
            valid.append({**turn, "question": turn["question"][:limit]})
    return valid


def _history(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = []
    for turn in turns:
        history.append({"role": "user", "content": turn["question"]})
        history.append({"role": "assistant", "content": turn["answer"]["answer"]})
    return history


def _answer(data: dict[str, Any]) -> Answer:
    """An Answer from ``Answer.to_dict()`` output, as far as it is well formed."""
    sources = []
    for item in data.get("sources") or []:
        if not isinstance(item, dict):
            continue
        try:
            sources.append(
                Source(
                    path=str(item.get("path", "")),
                    title=str(item.get("title", "")),
                    chunk=int(item.get("chunk", 0)),
                    score=float(item.get("score", 0.0)),
                    text=str(item.get("text", "")),
                    url=str(item.get("url", "")),
                    kind=str(item.get("kind", "article")),
                    language=str(item.get("language", "")),
                    quotes=tuple(str(q) for q in item.get("quotes") or []),
                )
            )
        except (TypeError, ValueError):
            continue
    language = data.get("language") if data.get("language") in ("en", "vi") else "en"
    notice = data.get("notice") if isinstance(data.get("notice"), str) else None
    return Answer(
        str(data.get("answer", "")),
        sources,
        abstained=bool(data.get("abstained")),
        notice=notice,
        language=str(language),
    )
