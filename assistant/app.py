"""``Assistant``: the one object the chat page, the CLI and Python users call."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManager, Callbacks
from langchain_core.documents import Document
from langchain_core.messages import BaseMessage, HumanMessage

from .answer import (
    Answer,
    AnswerRequest,
    AnswerStream,
    ExtractiveAnswerer,
    Generator,
    Source,
    combine,
)
from .chain import AssistantRunnable
from .config import Settings
from .embeddings import make_embeddings
from .errors import QuestionError
from .indexing import Embedder, Indexer, IndexReport, ProgressFactory
from .question import (
    WAY_IN,
    Question,
    alternatives,
    asked_of_each,
    asks_definition,
    focus_words,
    is_comparison,
    named_spans,
    says,
    sides,
    with_subject,
    written_as,
)
from .retrieval import Hit, HybridRetriever, Query, Searcher
from .scope import Scope
from .store import Store
from .terms import roles_named
from .text import fold, normalize, uncommon

log = logging.getLogger(__name__)

#: The conversation so far: LangChain messages, OpenAI/Gradio-style dicts, or the user's turns.
History = Sequence[BaseMessage | dict[str, Any] | str]
#: Passages each alternative alone finds whose documents must differ from the other's.
APART_FIRST = 8
#: The share of them that must be in one document, the alternative's own.
APART_SHARE = 0.75


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

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embeddings: Embedder | None = None,
        store: Store | None = None,
        generator: Generator | None = None,
        build_if_missing: bool = True,
    ) -> None:
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
        uncommon("warm")  # loads the word frequencies
        self.searcher.prototypes(WAY_IN)

    # --- the three uses -------------------------------------------------------------------
    def index(self, rebuild: bool = False, progress: ProgressFactory | None = None) -> IndexReport:
        """Bring the index up to date with the corpus (``rebuild``: start from nothing, setting
        a damaged store aside)."""
        if rebuild:
            with self._lock:
                if self._store is None:
                    self._store = Store.from_settings(self.settings, rebuild=True)
        indexer = Indexer(self.settings, self.embeddings, self.store, progress=progress)
        report = indexer.run(rebuild=rebuild)
        if self._searcher is not None:
            self._searcher.refresh()  # answer from the new version at once
        return report

    def search(self, question: str, history: History | None = None, k: int = 10) -> list[Source]:
        """The ``k`` passages that best match the question, best first."""
        text, _ = self._clean(question)
        with self.searcher.pinned():
            query = self.searcher.prepare(text, _user_turns(history))
            return [Source.from_hit(h) for h in self.searcher.search(query, k=k)]

    def ask(
        self, question: str, history: History | None = None, *, callbacks: Callbacks = None
    ) -> Answer:
        """Answer a question (with the conversation so far, for follow-ups); ``callbacks``
        (LangChain's) see the retrieval and, with an LLM, the chat model."""
        stream = self.stream(question, history, callbacks=callbacks)
        for _ in stream:
            pass
        assert stream.result is not None
        return stream.result

    def stream(
        self, question: str, history: History | None = None, *, callbacks: Callbacks = None
    ) -> AnswerStream:
        """The same answer as ``ask``, in pieces; the Answer is ``stream.result`` at the end.

        A question that joins several ("What does an AE do, and how long until AM?") is
        answered part by part, each from its own search, and the parts' answers are joined;
        so is each side of a comparison of two roles the corpus defines ("AE khác AM chỗ nào?"),
        after the place where a passage sets the two side by side (``answer.side_by_side``),
        and each of two things set as alternatives that other articles are about ("insurance
        agent or hair stylist"), from its own article (``_apart``).

        All of it reads one version of the index (``Searcher.pinned``), also while a rebuild
        switches to the next.
        """
        with self.searcher.pinned():
            return self._stream(question, history, callbacks)

    def _stream(self, question: str, history: History | None, callbacks: Callbacks) -> AnswerStream:
        text, notice = self._clean(question)
        turns = _user_turns(history)
        read = Question.read(text, turns)
        parts = (
            with_subject(read.parts, self._names_own, self.searcher.index.lexical.accents)
            if len(read.parts) > 1
            else read.parts
        )
        leaning = {i for i, part in enumerate(parts) if part != read.parts[i]}
        compared: list[Callable[[str], bool]] = []
        if len(parts) == 1:  # two roles compared, or terms to define: each searched for alone
            named = self.searcher.aliases.mentions(text, titles_only=not asks_definition(text))
            parts = sides(text, named)
            compared = self._compared(text, named)
        within: list[frozenset[str] | None] = [None] * len(parts)
        labels: list[str] = []
        if len(parts) == 1 and not compared:
            # "which one needs a license, insurance agent or hair stylist": each alternative
            # asked alone, of its own article, and its answer headed with its name.
            apart = self._apart(text)
            if apart:
                parts, within, labels = (list(side) for side in zip(*apart, strict=True))
        found = None
        if len(parts) == 1:
            found = self._search(read, callbacks)
            query, hits, refusal = found
            if refusal is None and self.generator is not None:
                return self.generator.stream(
                    self._request(query, hits, read.language, notice, turns, callbacks)
                )
        answers: list[Answer] = []
        if compared:
            # Where a source sets the two side by side comes first ("AE chủ yếu thực thi, còn
            # AD chủ yếu ra quyết định"); the rest adds what it does not say.
            query, hits, refusal = found or self._search(read, callbacks)
            if refusal is None:
                answers.append(
                    ExtractiveAnswerer(self.searcher).answer(
                        query, hits, read.language, kind=read.kind, sides=compared
                    )
                )
        for i, part in enumerate(parts):
            if i in leaning and self._not_covered(answers[0]):
                # "tối qua MU đá với ai, tỷ số bao nhiêu": the second part borrows the first's
                # subject, which the sources do not cover; its refusal is the first's.
                continue
            said = {q for a in answers for s in a.sources for q in s.quotes}
            answers.append(
                self._answer(
                    Question.read(part, turns) if len(parts) > 1 else read,
                    None if len(parts) > 1 else found,
                    said=said,
                    callbacks=callbacks,
                    within=within[i],
                )
            )
        answer = answers[0] if len(answers) == 1 else combine(answers, read.language, labels)
        answer.notice = notice
        return AnswerStream(_pieces(answer.answer), lambda: answer)

    # --- LangChain ------------------------------------------------------------------------
    def as_runnable(self) -> AssistantRunnable:
        """The assistant as a LangChain Runnable (``assistant.chain``): ``invoke``, ``stream``,
        ``batch``, ``ainvoke``, ``astream`` on ``{"question", "chat_history"}``."""
        return AssistantRunnable(self)

    def as_retriever(self, k: int = 4) -> HybridRetriever:
        """The assistant's retrieval as a LangChain retriever that takes the conversation
        (``retriever.invoke(question, history=[...])``) and returns no documents for a
        question the sources do not cover."""
        return HybridRetriever(searcher=self.searcher, scope=self.scope, k=k)

    def vectorstore(self) -> Any:
        """The answering index's passages as a ``langchain_chroma.Chroma`` (for filters, MMR
        and the rest of its API). Read it; ``assistant index`` is what writes the index."""
        return self.searcher.index.version.as_langchain(self.embeddings)

    # --- helpers --------------------------------------------------------------------------
    def _not_covered(self, answer: Answer) -> bool:
        """Whether ``answer`` is the plain refusal: the question is about nothing the sources
        hold (not a kind of fact they lack for what it names)."""
        return answer.abstained and answer.answer == self.scope.not_covered(answer.language)

    def _names_own(self, part: str) -> bool:
        """Whether a part of a question names what it asks about: a term or role the corpus
        names, or a word few passages hold ("co dc tra tien ko" names nothing: it asks about
        the first part's subject)."""
        lexical = self.searcher.index.lexical
        return bool(
            self.searcher.aliases.entities(part)
            or roles_named(part, lexical.roles)
            or any(lexical.is_rare(w) for w in focus_words(part, lexical.accents))
        )

    def _search(
        self,
        question: Question,
        callbacks: Callbacks = None,
        within: frozenset[str] | None = None,
    ) -> tuple[Query, list[Hit], str | None]:
        """The question's query, its passages, and the refusal if they do not answer it.

        With ``callbacks``, the search is reported to them as a retriever run (what
        ``on_retriever_start`` / ``on_retriever_end`` handlers and tracers expect); a refused
        question's run ends with no documents.
        """
        run = (
            CallbackManager.configure(callbacks).on_retriever_start(
                None, question.text, name="HybridRetriever"
            )
            if callbacks
            else None
        )
        try:
            query = self.searcher.prepare(question.text, question.history)
            query.within = within
            question.standalone = query.standalone
            hits = self.searcher.search(query, k=self.settings.top_k)
            refusal = self.scope.refusal(question, query, hits)
        except Exception as e:
            if run is not None:
                run.on_retriever_error(e)
            raise
        if run is not None:
            run.on_retriever_end(
                []
                if refusal
                else [
                    Document(
                        h.document.page_content,
                        id=h.document.id,
                        metadata={**h.document.metadata, "score": h.score},
                    )
                    for h in hits
                ]
            )
        return query, hits, refusal

    def _answer(
        self,
        question: Question,
        found: tuple[Query, list[Hit], str | None] | None = None,
        *,
        said: Collection[str] = (),
        callbacks: Callbacks = None,
        within: frozenset[str] | None = None,
    ) -> Answer:
        """The extractive answer to one question (or the refusal); ``said``: the sentences
        the answers to the question's other parts quote."""
        query, hits, refusal = found or self._search(question, callbacks, within)
        if refusal is not None:
            return Answer(refusal, [], abstained=True, language=question.language)
        answer = ExtractiveAnswerer(self.searcher, self.settings.answer_sentences).answer(
            query,
            hits,
            question.language,
            kind=question.kind,
            said=said,
            gives=self.scope.topics.fact_test(query.standalone),
        )
        unstated = self.scope.unstated(question, answer, hits)
        if unstated is not None:
            return Answer(unstated, [], abstained=True, language=question.language)
        return answer

    def _apart(self, text: str) -> list[tuple[str, frozenset[str], str]]:
        """For a question that sets two things as alternatives or side by side
        (``question.alternatives``), each the subject of its own document, the question
        asked of each alone and the document it is answered from: the one the thing alone
        finds first. "Its own": of the passages each finds first (``APART_FIRST``), three in
        four (``APART_SHARE``) are in that document, and none in the other's. An article on
        one career holds most of what its name finds ("insurance agent"); the seed's notes
        share the AE ("làm AE có hay phải tăng ca không", "AE vs account director"), and "what
        tools" finds many articles. None otherwise. What both are asked is asked of each
        (``named_spans``): "do flight attendants and preschool teachers need first aid
        skills" asks the flight attendants about first aid too."""
        spans = alternatives(text)
        if len(spans) != 2:
            return []
        found = [
            [
                str(h.document.metadata.get("path"))
                for h in self.searcher.search(text[a:b], k=APART_FIRST)
            ]
            for a, b in spans
        ]
        if not all(
            paths and paths[0] not in other and paths.count(paths[0]) >= APART_SHARE * len(paths)
            for paths, other in ((found[0], found[1]), (found[1], found[0]))
        ):
            return []
        names = named_spans(text, spans, [self._document_holds(f[0]) for f in found])
        asked = asked_of_each(text, names)
        return [
            (a, frozenset({f[0]}), written_as(text[start:end], self.searcher.document_text(f[0])))
            for a, f, (start, end) in zip(asked, found, names, strict=True)
        ]

    def _document_holds(self, path: str) -> Callable[[str], bool]:
        """Whether one document says a word (``question.says``), in the plural too
        ("teachers"); what it holds is cached per index version (``Searcher.document_terms``)."""
        held = self.searcher.document_terms(path)
        return lambda word: says((fold(word),), held)

    def _compared(self, text: str, titles: list[tuple[int, int]]) -> list[Callable[[str], bool]]:
        """For a comparison of two things the corpus names (two titles, else two roles), a
        test per side of whether a sentence names it; none for any other question."""
        if not is_comparison(text):
            return []
        aliases = self.searcher.aliases
        groups = [aliases.entities(text[start:end]) for start, end in titles]
        if len(groups) == 2 and groups[0] != groups[1]:

            def titled(group: set[int]) -> Callable[[str], bool]:
                return lambda sentence: bool(aliases.entities(sentence) & group)

            return [titled(g) for g in groups]
        roles = self.searcher.index.lexical.roles
        named = list(dict.fromkeys(roles_named(text, roles)))
        if len(named) == 2:

            def roled(role: str) -> Callable[[str], bool]:
                return lambda sentence: role in roles_named(sentence, roles)

            return [roled(r) for r in named]
        return []

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
            notice = (
                f"Your question was {len(cleaned):,} characters long; only the first "
                f"{limit:,} were used."
            )
        return cleaned[:limit], notice

    def _request(
        self,
        query: Query,
        hits: list[Hit],
        language: str,
        notice: str | None,
        turns: list[str],
        callbacks: Callbacks = None,
    ) -> AnswerRequest:
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
                asked, passages, language, kind=Question.read(asked.standalone).kind
            )

        return AnswerRequest(
            query.text, list(hits), language, notice, turns, search, fallback, callbacks
        )


def _user_turns(history: History | None) -> list[str]:
    """The user's earlier turns, from OpenAI/Gradio-style messages or plain strings.

    Normalised like the question, so that a turn with bytes that are not UTF-8 cannot break
    the LLM prompt that quotes it.
    """
    turns: list[str] = []
    for item in history or []:
        if isinstance(item, str):
            turns.append(item)
        elif isinstance(item, BaseMessage):
            if isinstance(item, HumanMessage) or item.type == "human":
                turns.append(_text_of(item.content))
        elif isinstance(item, dict) and item.get("role") in ("user", "human"):
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
