"""LLM answers: a chat model writes the answer from the retrieved passages, citing them.

Optional: ``ASSISTANT_LLM=openai`` or ``llamacpp`` names the chat model (``chat_models``). The
default stays the extractive answer, which needs neither.

``LLMAnswerer`` is the Assistant's ``answer.Generator``: it gets an ``AnswerRequest`` (the
question, its *hits* — the passages retrieval ranked — and what it may call back) and never
the Assistant. What the model sees is in ``prompts``; abstention is decided by the Assistant
before the model is called. After generation:

- ``[n]`` markers that point at no source are removed, and the remaining ones are renumbered
  in order of first citation, so the answer's *sources* are exactly the cited passages. This
  is done while streaming (a marker is held back until it is complete), so the streamed
  pieces put together are the final answer's text (``citations.CitationFilter``).
- A sentence the model left uncited gets the marker of the passage it copies from, when one
  holds most of its content words (small models often copy without citing); see
  ``citations.source_support``. ``LLMAnswerer(attribute=False)`` turns this off.
- Nothing is shown until the first valid citation: an answer that cites nothing (garbage,
  an empty reply) is replaced by the extractive answer without having been shown.
- Follow-ups: the model first rewrites the question as a standalone one (one short call),
  which is searched again (``AnswerRequest.search``); if that fails or finds nothing
  relevant, the conversation's own retrieval is kept.
- The model down, slow (no token for ``llm_timeout`` seconds) or failing: the user gets the
  extractive answer (``AnswerRequest.fallback``) with a one-line notice. If it fails after
  part of its answer was shown, the stream goes on with a separator and the extractive
  answer, which is the final answer.

Time to first token and tokens per second of each answer are logged (``assistant -v``) and
kept in ``LLMAnswerer.last_stats``.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableConfig

from .answer import Answer, AnswerRequest, AnswerStream, Source
from .chat_models import make_chat_model, text_of
from .citations import CitationFilter, source_support
from .config import Settings
from .prompts import ANSWER_PROMPT, answer_messages, condense_messages
from .retrieval import Hit

log = logging.getLogger(__name__)

__all__ = [
    "GenerationStats",
    "LLMAnswerer",
    "LLMTimeout",
    "make_generator",
]

#: With no valid citation this far into the reply, it is not a grounded answer.
HOLD_BACK_CHARS = 600
#: A standalone question is short; a model that goes on is not writing one.
CONDENSE_MAX_TOKENS = 64
#: What the stream shows between a model answer cut short and the extractive answer.
SEPARATOR = "\n\n—\n\n"

FALLBACK_NOTICE = {
    "en": "The language model did not answer ({reason}); this answer quotes the sources directly.",
    "vi": "Mô hình ngôn ngữ không trả lời được ({reason}); câu trả lời này trích trực tiếp "
    "từ các nguồn.",
}


class LLMTimeout(TimeoutError):
    """The model sent nothing for ``timeout`` seconds."""


class _NotGrounded(Exception):
    """The model's reply cites no source (empty, or garbage)."""


def _standalone_of(reply: str, question: str, history_turns: Sequence[str]) -> str | None:
    """The question in a condensing reply, or None when the reply is no usable question."""
    lines = [ln.strip() for ln in reply.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    line = (
        re.sub(r"^(standalone question|question|câu hỏi)\s*:\s*", "", lines[0], flags=re.IGNORECASE)
        .strip()
        .strip("\"“”'")
        .strip()
    )
    limit = 2 * (len(question) + len(history_turns[-1] if history_turns else "")) + 40
    if len(line) < 3 or len(line) > limit:
        return None
    return line


# --- running a model --------------------------------------------------------------------------
@dataclass
class GenerationStats:
    """How fast one answer was generated.

    Attributes:
        first_token_s: seconds from the request to the first piece of text (None: none came).
        tokens: pieces of text received (the server's token count when it reports one).
        seconds: seconds from the request to the last piece.
    """

    first_token_s: float | None = None
    tokens: int = 0
    seconds: float = 0.0
    _usage_tokens: int | None = field(default=None, repr=False)

    @property
    def tokens_per_s(self) -> float | None:
        """Generation speed after the first token (None when it cannot be measured)."""
        if self.first_token_s is None or self.tokens < 2:
            return None
        span = self.seconds - self.first_token_s
        return (self.tokens - 1) / span if span > 0 else None


def _with_deadline(make: Callable[[], Iterator[Any]], timeout: float) -> Iterator[Any]:
    """Iterate ``make()`` in a worker thread; raise ``LLMTimeout`` after ``timeout`` silent s.

    The worker stops at its next item once the caller stops iterating, so an in-process model
    abandoned after a time-out stops generating soon after.
    """
    items: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        source = None
        try:
            source = make()
            for item in source:
                if stop.is_set():
                    return
                items.put(("item", item))
            items.put(("end", None))
        except BaseException as e:  # handed to the caller, which decides
            items.put(("error", e))
        finally:
            # Closing the stream closes the HTTP response, which tells a server to stop.
            close = getattr(source, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as e:  # the answer is already decided
                    log.debug("closing the model stream: %s", e)

    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(work,), name="llm-stream", daemon=True).start()
    try:
        while True:
            try:
                kind, value = items.get(timeout=timeout)
            except queue.Empty:
                raise LLMTimeout(f"no reply within {timeout:g} s") from None
            if kind == "item":
                yield value
            elif kind == "end":
                return
            else:
                raise value
    finally:
        stop.set()


def _reason(error: BaseException) -> str:
    """A short, user-readable reason for a model failure (no traceback)."""
    if isinstance(error, LLMTimeout | _NotGrounded):
        return str(error)
    if "No generation chunks were returned" in str(error):  # LangChain, on an empty stream
        return "its reply was empty"
    chain: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and len(chain) < 5:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    names = [type(e).__name__ for e in chain]
    if any("Timeout" in n for n in names) or "timed out" in str(error).lower():
        return "it did not reply in time"
    if any(
        isinstance(e, ConnectionRefusedError) or n in ("ConnectError", "APIConnectionError")
        for e, n in zip(chain, names, strict=True)
    ):
        return "the model server cannot be reached"
    if any(
        isinstance(e, ConnectionError) or "Connection" in n or "Protocol" in n
        for e, n in zip(chain, names, strict=True)
    ):
        return "the connection to the model server broke"
    text = " ".join(str(error).split())
    return f"{names[0]}: {text[:120]}" if text else names[0]


@dataclass
class _Run:
    """One streamed answer: the passages it is written from, and at the end its Answer."""

    request: AnswerRequest
    searched: str  # the text ``hits`` were retrieved for: the question or its rewrite
    hits: list[Hit]
    result: Answer | None = None


class LLMAnswerer:
    """Answers from the retrieved passages with a chat model, streamed and cited.

    Args:
        model: any LangChain chat model (``ChatOpenAI``, ``LlamaCppChat``, or
            ``GenericFakeChatModel`` in tests).
        timeout: seconds without a token after which the model is given up on.
        condense: rewrite follow-ups as standalone questions before retrieval.
        attribute: give a sentence the model left uncited the marker of the passage it copies
            from (see ``source_support``); without it, a reply that cites nothing is replaced
            by the extractive answer.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> fake = GenericFakeChatModel(messages=iter(["An AE is the client's contact [1]."]))
        >>> bot = Assistant(settings, generator=LLMAnswerer(fake))
        >>> bot.ask("What does an AE do?").answer
        "An AE is the client's contact [1]."
    """

    def __init__(
        self,
        model: BaseChatModel,
        *,
        timeout: float = 60.0,
        condense: bool = True,
        attribute: bool = True,
        prompt: ChatPromptTemplate = ANSWER_PROMPT,
    ) -> None:
        self.model = model
        self.prompt = prompt
        self.timeout = timeout
        self.condense = condense
        self.attribute = attribute
        self.last_stats: GenerationStats | None = None

    # --- the hook the Assistant calls (the ``answer.Generator`` protocol) ------------------
    def stream(self, request: AnswerRequest) -> AnswerStream:
        """Stream the answer to ``request.question`` from ``request.hits`` (which cover it:
        already checked); see ``AnswerRequest`` for what else it uses."""
        run = _Run(request, request.question, list(request.hits))

        def finish() -> Answer:
            assert run.result is not None
            return run.result

        return AnswerStream(self._pieces(run), finish)

    def _pieces(self, run: _Run) -> Iterator[str]:
        request = run.request
        question = request.question  # as asked, even if retrieval then uses a standalone form
        history_turns = list(request.history)
        standalone = None
        if history_turns and self.condense:
            try:
                standalone = self._condense(run, history_turns)
            except Exception as e:  # the model is down: no use asking it again for the answer
                log.warning(
                    "the language model failed while condensing the question: %s", _reason(e)
                )
                yield from self._fall_back(run, e, shown=False)
                return
        messages = answer_messages(question, run.hits, request.language, standalone, self.prompt)
        config: RunnableConfig = {"callbacks": request.callbacks}
        cleaner = CitationFilter(
            len(run.hits), source_support(run.hits) if self.attribute else None
        )
        held: list[str] = []  # clean text kept back until the first valid citation
        shown = False
        stats = GenerationStats()
        started = time.perf_counter()
        try:
            for chunk in _with_deadline(
                lambda: self.model.stream(messages, config=config), self.timeout
            ):
                text = text_of(chunk)
                usage = getattr(chunk, "usage_metadata", None)
                if usage and usage.get("output_tokens"):
                    stats._usage_tokens = int(usage["output_tokens"])
                if not text:
                    continue
                now = time.perf_counter() - started
                if stats.first_token_s is None:
                    stats.first_token_s = now
                stats.tokens += 1
                stats.seconds = now
                clean = cleaner.feed(text)
                if shown:
                    if clean:
                        yield clean
                    continue
                held.append(clean)
                if cleaner.cited:
                    shown = True
                    yield "".join(held)
                elif len(cleaner.text) > HOLD_BACK_CHARS:
                    raise _NotGrounded("its reply cited no source")
            rest = cleaner.close()
            if not cleaner.cited:
                raise _NotGrounded(
                    "its reply was empty"
                    if not cleaner.text.strip()
                    else "its reply cited no source"
                )
            if not shown:
                rest = "".join(held) + rest
            if rest:
                yield rest
        except Exception as e:
            self._record(stats)
            log.warning("the language model failed: %s", _reason(e))
            yield from self._fall_back(run, e, shown=shown)
            return
        self._record(stats)
        sources = [Source.from_hit(run.hits[n - 1]) for n in cleaner.cited]
        run.result = Answer(cleaner.text, sources, notice=request.notice, language=request.language)

    def _condense(self, run: _Run, history_turns: list[str]) -> str | None:
        """Rewrite the follow-up as a standalone question and retrieve again with it."""
        question = run.request.question
        messages = condense_messages(question, history_turns)
        reply = ""
        for chunk in _with_deadline(
            lambda: self.model.stream(
                messages, {"callbacks": run.request.callbacks}, max_tokens=CONDENSE_MAX_TOKENS
            ),
            self.timeout,
        ):
            reply += text_of(chunk)
            if "\n" in reply.strip():  # one line is all we use: stop the model there
                break
        standalone = _standalone_of(reply, question, history_turns)
        if standalone is None:
            log.info("condensing gave no usable question (%r); keeping the retrieval", reply)
            return None
        log.info("standalone question: %s", standalone)
        hits = run.request.search(standalone)
        if hits is not None:
            run.searched, run.hits = standalone, hits
        else:  # abstention was decided on the conversation's retrieval; keep its passages
            log.info("the standalone question finds nothing relevant; keeping the retrieval")
        return standalone

    def _fall_back(self, run: _Run, error: BaseException, shown: bool) -> Iterator[str]:
        """The extractive answer, with a notice saying why (after a separator if ``shown``)."""
        request = run.request
        answer = request.fallback(run.searched, run.hits)
        why = FALLBACK_NOTICE.get(request.language, FALLBACK_NOTICE["en"]).format(
            reason=_reason(error)
        )
        answer.notice = f"{request.notice} {why}" if request.notice else why
        run.result = answer
        yield (SEPARATOR + answer.answer) if shown else answer.answer

    def _record(self, stats: GenerationStats) -> None:
        if stats._usage_tokens:
            stats.tokens = stats._usage_tokens
        self.last_stats = stats
        if stats.first_token_s is not None:
            speed = stats.tokens_per_s
            log.info(
                "language model: first token after %.2f s, %d tokens in %.2f s (%s)",
                stats.first_token_s,
                stats.tokens,
                stats.seconds,
                f"{speed:.1f} tokens/s" if speed else "speed not measurable",
            )


def make_generator(settings: Settings) -> LLMAnswerer:
    """The LLM answerer ``settings.llm`` names (the Assistant calls this on first use)."""
    return LLMAnswerer(make_chat_model(settings), timeout=settings.llm_timeout)
