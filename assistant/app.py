"""``Assistant``: the one object the chat page, the CLI and Python users call."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from .answer import (
    Answer,
    AnswerRequest,
    AnswerStream,
    ExtractiveAnswerer,
    Generator,
    Source,
    combine,
)
from .config import Settings
from .embeddings import make_embeddings
from .errors import QuestionError
from .indexing import Embedder, Indexer, IndexReport, ProgressFactory
from .question import Question, sides, with_subject
from .retrieval import Hit, Query, Searcher
from .scope import Scope
from .store import Store
from .text import normalize

log = logging.getLogger(__name__)

History = Sequence[dict[str, Any] | str]



class Assistant:
    """Answers career questions from the corpus, citing it.

    Args:
        settings: defaults to ``Settings()`` (``ASSISTANT_*`` environment variables).
        embeddings: the embedding model; defaults to the one ``settings.embeddings`` names.
        store: the Chroma store; defaults to the one the settings point at.
        generator: an LLM answerer (see ``assistant.llm``); defaults to the one
            ``settings.llm`` names, or none (extractive answers). It is given an
            ``AnswerRequest`` per question, never the Assistant.
        build_if_missing: build the index on first use when none exists.

    Example:
        >>> bot = Assistant()
        >>> reply = bot.ask("What does an AE do?")
        >>> reply.answer, [s.path for s in reply.sources]
    """

    def __init__(self, settings: Settings | None = None, *, embeddings: Embedder | None = None,
                 store: Store | None = None, generator: Generator | None = None,
                 build_if_missing: bool = True) -> None:
        self.settings = settings or Settings()
        self.embeddings = embeddings or make_embeddings(self.settings.embeddings)
        self._store = store
        self._generator = generator
        self._generator_made = generator is not None
        self.build_if_missing = build_if_missing
        self._searcher: Searcher | None = None
        self._scope: Scope | None = None
        self._lock = threading.RLock()

    # --- parts, made on first use so that start-up stays fast ------------------------------
    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store.from_settings(self.settings)
            return self._store

    @property
    def searcher(self) -> Searcher:
        with self._lock:
            if self._searcher is None:
                if self.build_if_missing and self.store.manifest() is None:
                    log.info("no index yet: building it from %s", self.settings.corpus_dir)
                    self.index()
                self._searcher = Searcher(self.settings, self.embeddings, self.store)
            return self._searcher

    @property
    def scope(self) -> Scope:
        with self._lock:
            if self._scope is None:
                self._scope = Scope(self.searcher, self.settings.min_relevance)
            return self._scope

    @property
    def generator(self) -> Generator | None:
        """The LLM answerer, or None for extractive answers; settable (None: extractive)."""
        with self._lock:
            if not self._generator_made:
                if self.settings.llm != "none":
                    from .llm import make_generator

                    self._generator = make_generator(self.settings)
                # Only once made: a setting that cannot work is reported at every question.
                self._generator_made = True
            return self._generator

    @generator.setter
    def generator(self, generator: Generator | None) -> None:
        with self._lock:
            self._generator, self._generator_made = generator, True

    def warm_up(self) -> None:
        """Load the model and the index now rather than at the first question."""
        self.searcher.index  # noqa: B018 - loads the index
        self.scope.out_of_scope_similarity(self.searcher.prepare("warm up"))

    # --- the three uses -------------------------------------------------------------------
    def index(self, rebuild: bool = False, progress: ProgressFactory | None = None) -> IndexReport:
        """Bring the index up to date with the corpus (``rebuild``: start from nothing)."""
        indexer = Indexer(self.settings, self.embeddings, self.store, progress=progress)
        report = indexer.run(rebuild=rebuild)
        if self._searcher is not None:
            self._searcher.refresh()  # answer from the new version at once
        return report

    def search(self, question: str, history: History | None = None, k: int = 10) -> list[Source]:
        """The ``k`` passages that best match the question, best first."""
        text, _ = self._clean(question)
        query = self.searcher.prepare(text, _user_turns(history))
        return [Source.from_hit(h) for h in self.searcher.search(query, k=k)]

    def ask(self, question: str, history: History | None = None) -> Answer:
        """Answer a question (with the conversation so far, for follow-ups)."""
        stream = self.stream(question, history)
        for _ in stream:
            pass
        assert stream.result is not None
        return stream.result

    def stream(self, question: str, history: History | None = None) -> AnswerStream:
        """The same answer as ``ask``, in pieces; the Answer is ``stream.result`` at the end.

        A question that joins several ("What does an AE do, and how long until AM?") is
        answered part by part, each from its own search, and the parts' answers are joined;
        so is each side of a comparison of two roles the corpus defines ("AE khác AM chỗ nào?").
        """
        text, notice = self._clean(question)
        turns = _user_turns(history)
        read = Question.read(text, turns)
        parts = with_subject(read.parts)
        if len(parts) == 1:  # a comparison of two roles: each side searched for alone
            parts = sides(text, self.searcher.aliases.mentions(text))
        if len(parts) > 1:
            answers = [self._answer(Question.read(part, turns)) for part in parts]
            answer = combine(answers, read.language)
        else:
            query, hits, refusal = self._search(read)
            if refusal is None and self.generator is not None:
                return self.generator.stream(self._request(query, hits, read.language, notice,
                                                           turns))
            answer = self._answer(read, (query, hits, refusal))
        answer.notice = notice
        return AnswerStream(_pieces(answer.answer), lambda: answer)

    # --- helpers --------------------------------------------------------------------------
    def _search(self, question: Question) -> tuple[Query, list[Hit], str | None]:
        """The question's query, its passages, and the refusal if they do not answer it."""
        query = self.searcher.prepare(question.text, question.history)
        question.standalone = query.standalone
        hits = self.searcher.search(query, k=self.settings.top_k)
        return query, hits, self.scope.refusal(question, query, hits)

    def _answer(self, question: Question,
                found: tuple[Query, list[Hit], str | None] | None = None) -> Answer:
        """The extractive answer to one question (or the refusal)."""
        query, hits, refusal = found or self._search(question)
        if refusal is not None:
            return Answer(refusal, [], abstained=True, language=question.language)
        return ExtractiveAnswerer(self.searcher, self.settings.answer_sentences).answer(
            query, hits, question.language, kind=question.kind)

    def covers(self, query: Query, hits: list[Hit]) -> bool:
        """Whether the sources cover the question (else the assistant abstains)."""
        return self.refusal(query, hits) is None

    def refusal(self, query: Query, hits: list[Hit], language: str | None = None) -> str | None:
        """The answer that says the sources do not cover the question, or None if they do
        (see ``assistant.scope``)."""
        question = Question.read(query.text)
        question.standalone = query.standalone
        if language:
            question.language = language
        return self.scope.refusal(question, query, hits)

    def _clean(self, question: str) -> tuple[str, str | None]:
        """The question cleaned and cut to the length limit, and a notice if it was cut."""
        if not isinstance(question, str):
            raise QuestionError("The question must be text.")
        cleaned = normalize(question)
        if not cleaned:
            raise QuestionError("Please type a question.")
        notice = None
        limit = self.settings.max_question_chars
        if len(cleaned) > limit:
            notice = (f"Your question was {len(cleaned):,} characters long; only the first "
                      f"{limit:,} were used.")
        return cleaned[:limit], notice


    def _request(self, query: Query, hits: list[Hit], language: str, notice: str | None,
                 turns: list[str]) -> AnswerRequest:
        """What the generator gets: the question, its hits and the two calls it may make."""
        prepared = {query.text: query}  # the text of each search made -> its Query

        def search(question: str) -> list[Hit] | None:
            again = self.searcher.prepare(question)
            found = self.searcher.search(again, k=self.settings.top_k)
            if not self.covers(again, found):
                return None
            prepared[question] = again
            return found

        def fallback(question: str, passages: list[Hit]) -> Answer:
            asked = prepared.get(question) or self.searcher.prepare(question)
            return ExtractiveAnswerer(self.searcher, self.settings.answer_sentences).answer(
                asked, passages, language)

        return AnswerRequest(query.text, list(hits), language, notice, turns, search, fallback)


def _user_turns(history: History | None) -> list[str]:
    """The user's earlier turns, from OpenAI/Gradio-style messages or plain strings.

    Normalised like the question, so that a turn with bytes that are not UTF-8 cannot break
    the LLM prompt that quotes it.
    """
    turns: list[str] = []
    for item in history or []:
        if isinstance(item, str):
            turns.append(item)
        elif isinstance(item, dict) and item.get("role") == "user":
            turns.append(_text_of(item.get("content")))
    return [t for t in map(normalize, turns) if t]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # Gradio 6 / OpenAI content parts
        return " ".join(_text_of(p) for p in content)
    if isinstance(content, dict):
        return str(content.get("text") or "")
    return ""


def _pieces(text: str) -> Iterator[str]:
    """Split an answer into the pieces a stream yields (words, spaces kept)."""
    word = ""
    for ch in text:
        word += ch
        if ch == " ":
            yield word
            word = ""
    if word:
        yield word
