"""``Assistant``: the one object the chat page, the CLI and Python users call."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from .answer import (
    REFUSAL,
    REFUSAL_ABOUT,
    Answer,
    AnswerRequest,
    AnswerStream,
    ExtractiveAnswerer,
    Generator,
    Source,
)
from .config import Settings
from .embeddings import make_embeddings
from .errors import QuestionError
from .indexing import Embedder, Indexer, IndexReport, ProgressFactory
from .retrieval import Hit, Query, Searcher
from .scope import Topics
from .store import Store
from .text import detect_language, normalize

log = logging.getLogger(__name__)

History = Sequence[dict[str, Any] | str]

#: Below this cosine similarity (multilingual-e5-small) no passage is about the question.
E5_COVERAGE = 0.80
#: A question this much closer to an out-of-scope example than to any passage is refused.
OUTSIDE_MARGIN = -0.045


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
        self._topics: Topics | None = None
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
    def topics(self) -> Topics:
        with self._lock:
            if self._topics is None:
                self._topics = Topics.load()
            return self._topics

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
        self.searcher.out_of_scope_similarity(self.searcher.prepare("warm up"))

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
        query = self._prepare(question, history)[0]
        return [Source.from_hit(h) for h in self.searcher.search(query, k=k)]

    def ask(self, question: str, history: History | None = None) -> Answer:
        """Answer a question (with the conversation so far, for follow-ups)."""
        stream = self.stream(question, history)
        for _ in stream:
            pass
        assert stream.result is not None
        return stream.result

    def stream(self, question: str, history: History | None = None) -> AnswerStream:
        """The same answer as ``ask``, in pieces; the Answer is ``stream.result`` at the end."""
        query, notice = self._prepare(question, history)
        language = detect_language(query.text)
        hits = self.searcher.search(query, k=self.settings.top_k)
        refusal = self.refusal(query, hits, language)
        if refusal is not None:
            answer = Answer(refusal, [], abstained=True, notice=notice, language=language)
            return AnswerStream(iter([answer.answer]), lambda: answer)
        generator = self.generator
        if generator is not None:
            return generator.stream(self._request(query, hits, language, notice,
                                                  _user_turns(history)))
        answer = ExtractiveAnswerer(self.searcher, self.settings.answer_sentences).answer(
            query, hits, language)
        answer.notice = notice
        return AnswerStream(_pieces(answer.answer), lambda: answer)

    # --- helpers --------------------------------------------------------------------------
    def covers(self, query: Query, hits: list[Hit]) -> bool:
        """Whether the sources cover the question (else the assistant abstains)."""
        return self.refusal(query, hits) is None

    def refusal(self, query: Query, hits: list[Hit], language: str = "en") -> str | None:
        """The answer that says the sources do not cover the question, or None if they do.

        Three tests. Two on cosine similarity: the best passage must be close enough to the
        question, and not clearly farther than the closest of a set of questions the corpus
        does not answer (``assistant/data/out_of_scope.txt``: weather, recipes, salaries...).
        And a question that names a kind of fact (pay, hiring, interviews...; see
        ``assistant.scope``) needs a passage that names it too.
        """
        generic = REFUSAL.get(language, REFUSAL["en"])
        if not hits:
            return generic
        best = max(h.dense for h in hits)
        if self.embeddings.name == "e5" and best < E5_COVERAGE + self.settings.min_relevance:
            return generic
        nearest_outside = self.searcher.out_of_scope_similarity(query)
        if best - nearest_outside < OUTSIDE_MARGIN + self.settings.min_relevance:
            return generic
        passages = (f"{h.document.metadata.get('title', '')}\n{h.document.page_content}"
                    for h in hits)
        missing = sorted(self.topics.unsupported(query.standalone, passages))
        if not missing:
            return None
        log.info("no passage names %s: abstaining", ", ".join(missing))
        about = ", ".join(
            self.topics.label(name, language) for name in missing)
        return REFUSAL_ABOUT.get(language, REFUSAL_ABOUT["en"]).format(about=about)

    def _prepare(self, question: str, history: History | None) -> tuple[Query, str | None]:
        if not isinstance(question, str):
            raise QuestionError("The question must be text.")
        cleaned = normalize(question)
        if not cleaned:
            raise QuestionError("Please type a question, for example: What does an AE do?")
        notice = None
        limit = self.settings.max_question_chars
        if len(cleaned) > limit:
            notice = (f"Your question was {len(cleaned):,} characters long; only the first "
                      f"{limit:,} were used.")
        return self.searcher.prepare(cleaned, _user_turns(history)), notice

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
