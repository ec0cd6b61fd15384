"""Hybrid retrieval: dense (Chroma, through ``store.IndexVersion``) plus BM25, fused by rank.

The question is cleaned, expanded with the alias table (abbreviations, translations, the
article's spun words) and, for a follow-up, blended with the earlier turns of the
conversation. Near-duplicate passages are dropped from the ranking.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .chunking import embedded
from .config import Settings
from .conversation import (
    context_turn,
    looks_like_follow_up,
    names_something,
    resolved_turns,
    standalone_question,
)
from .corpus import ALIASES_FILE
from .embeddings import Embedder, cached_queries
from .errors import IndexMissingError, StoreError
from .lexical import LexicalIndex
from .question import (
    Question,
    answer_kind,
    asks_definition,
    duties_asked,
    fact_kinds,
    focus_names,
    held_terms,
    is_comparison,
    mentions_place,
    places,
    says,
    word_terms,
)
from .rerank import Reranker, make_reranker
from .store import IndexVersion, Manifest, Record, Store
from .terms import is_initials, roles_named, subject_names, with_terms, written_roles
from .text import (
    Aliases,
    content_words,
    detect_language,
    fold,
    lexical_tokens,
    normalize,
    term_pattern,
    uncommon,
    words,
)

log = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Weight of the BM25 score (relative to the best one) added to the cosine similarity.
LEXICAL_WEIGHT = 0.04
#: BM25 weight of the alias-table expansions relative to the question's own words.
EXPANSION_WEIGHT = 0.25
#: Weight of a passage's best sentence (cosine with the question) added to its score: a
#: passage that holds one sentence answering the question is worth more than one that is only
#: about the same things.
SENTENCE_WEIGHT = 0.2
#: Taken off a passage whose first job title (what it is about) is not one the question names.
OTHER_SUBJECT_PENALTY = 0.015
#: Added, for a question about a duration or an amount of money, to a passage that gives one.
KIND_PASSAGE_BONUS = 0.015
#: Added, for a question for a kind of fact, to a passage with a sentence that gives that
#: kind of fact and names what the question asks it of (``question.says``): the salary
#: table's row for the level asked, not the row of another level.
KIND_SUBJECT_BONUS = 0.02
#: Weight of how much more a passage is about the question's subject (a role or term it
#: names) than the other passages of its document, taken off its score when the question asks
#: something of that subject: the passage that defines a role names it in all its spellings
#: and is nearest every question that names the role, whatever it asks.
SUBJECT_WEIGHT = 0.75
#: Fewest candidates of one document for one of them to stand out as about the subject.
SUBJECT_SIBLINGS = 3
#: How much more about the subject than the median of its document's candidates a passage is
#: to stand out: a role's definition stands out by 0.06-0.07 with e5, the other passages of
#: an article about the role by less than 0.03.
SUBJECT_STANDS_OUT = 0.04
#: The same for the subject of the document most candidates come from, when the question
#: names none (``Searcher._document_subject``): the names in its title are not the question's,
#: and its defining passage stands out from them by 0.03 with e5.
DOCUMENT_SUBJECT_STANDS_OUT = 0.025
#: Weight of how much nearer a passage is to what the question asks of its subject (the
#: question without the subject's names: "How do I become a ?" of "How do I become a QA
#: tester?") than its document's other candidates (their median), added to its score. Every
#: passage of an article about a role is near the role's names; what is asked of the role
#: tells them apart.
ASKED_WEIGHT = 0.75
#: Subjects whose vectors are kept (cleared when full).
SUBJECTS_CACHED = 256
#: Best candidates looked at for the document a question is about.
DOCUMENT_SUBJECT_TOP = 10
#: Added, times the share of the question's distinctive words its document holds, to a
#: passage in another language than the question (``Searcher._focus``): the dense side ranks
#: those lower whatever they say. A word is distinctive when at most FOCUS_SHARE of the
#: candidates' documents hold it, and only when they come from FOCUS_MIN_DOCUMENTS or more.
#: (Given to every passage, it cost the seed's overlapping notes more than it gained. At
#: 0.02, an English question about a Vietnamese article still went to an English article
#: on another career that shares its everyday words; 0.06 cost the seed's notes again.)
FOCUS_WEIGHT = 0.04
FOCUS_SHARE = 0.25
FOCUS_MIN_DOCUMENTS = 4
#: How much of the question's lean along the embedding model's language direction
#: (``LanguageAxis``) is taken out before it ranks passages (0: none, 1: all of it).
LANGUAGE_AXIS_WEIGHT = 1.0
#: Weight of how generic a passage is in its document (``Generality``), taken off its score
#: when a fact is asked: an introduction that names the question's words is no answer.
GENERIC_PASSAGE_PENALTY = 0.25
#: Documents among a question's candidates whose passages' generality is looked at, at most.
GENERIC_DOCUMENTS = 4
#: Passages (best first) whose sentences are compared with the question.
SENTENCE_CANDIDATES = 20
#: Passages (best first) an optional cross-encoder reranker orders again: it reads every
#: (question, passage) pair in full, about 0.1 s each on two cores.
RERANK_DEPTH = 10
CANDIDATES = 30
NEAR_DUPLICATE = 0.6  # Jaccard of folded word sets
MANIFEST_CHECK_SECONDS = 2.0
#: A long form is searched with its abbreviation when at least 1 / USUAL_SHARE as many
#: passages hold it as hold the abbreviation.
USUAL_SHARE = 4
#: Whole documents kept in memory for ``Searcher.document_text`` (cleared when full).
DOCUMENTS_CACHED = 64
#: Fewest sentences a document needs for some of them to be more generic than the others.
MIN_SENTENCES_FOR_GENERALITY = 3
#: Most passages of a document whose generality is measured (the cost grows with their square).
MAX_GENERALITY_PASSAGES = 300


@dataclass
class Hit:
    """One ranked passage."""

    document: Document
    score: float  # fused score, higher is better
    #: cosine similarity with the question, as if the passage were in the question's language
    #: (``Query.lift``): what the refusal thresholds read
    dense: float = 0.0
    #: the same with the question's vector for ranking (``Query.ranking``): what ranks it
    neutral: float = 0.0
    lexical: float = 0.0  # BM25 score (0 when no word matched)
    #: the passage's vector in the index (None for a hit made without one)
    vector: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def context(self) -> str:
        """The passage with its document's title and its section above it: what it is about,
        for the checks that look for a role, term or topic in it."""
        meta = self.document.metadata
        return f"{meta.get('title', '')}\n{meta.get('section', '')}\n{self.document.page_content}"


@dataclass
class Query:
    """A question made ready for search."""

    text: str  # the cleaned question
    vector: np.ndarray  # dense query vector (blended with earlier turns for a follow-up)
    tokens: list[str]
    expansion_tokens: list[str]
    history_tokens: list[str] = field(default_factory=list)
    history_weight: float = 0.0
    #: question tokens that count less in BM25 than their rarity says (``Searcher._spellings``)
    token_weights: dict[str, float] = field(default_factory=dict)
    # The question made to stand alone when it refers to an earlier turn ("What about an AD?");
    # the question itself otherwise.
    standalone: str = ""
    #: what ranks the passages: ``vector`` without its lean towards one language
    #: (``LanguageAxis``), so that passages in both languages are ranked by what they say
    ranking: np.ndarray = field(init=False)
    #: added to a passage's similarity with ``ranking`` to give ``Hit.dense``
    lift: float = 0.0
    #: the candidates as ``Searcher.search`` last ranked them for this query, with what they
    #: were ranked on (searcher, index version, candidates): a second search for more or
    #: fewer passages (the scope's look at the next ones) takes them from there
    ranked: tuple[tuple[int, str, int], list[Hit]] | None = field(
        default=None, repr=False, compare=False
    )
    #: the documents (paths) the passages are taken from; all of them when None: one side of
    #: a question that sets two articles' subjects as alternatives
    within: frozenset[str] | None = None

    def __post_init__(self) -> None:
        self.standalone = self.standalone or self.text
        self.ranking = self.vector


@dataclass
class LoadedIndex:
    """One version of the index, ready to search."""

    manifest: Manifest
    version: IndexVersion  # its passages and sentences in the store
    lexical: LexicalIndex
    #: the alias table with the terms learned from this version's passages
    aliases: Aliases = field(default_factory=Aliases)


class Searcher:
    """Finds the passages that answer a question. Thread-safe; reloads after a rebuild.

    Args:
        settings: index location and retrieval mode.
        embeddings: the model the index was built with.
        store: the Chroma store holding the index.
        aliases: groups of equivalent terms (read from ``corpus/aliases.yaml`` by default);
            the terms the index learned from the corpus are added to them.
        check_seconds: how often the manifest is read to notice a rebuild.
        reranker: orders the best passages again (``ASSISTANT_RERANKER``; none by default).
    """

    def __init__(
        self,
        settings: Settings,
        embeddings: Embedder,
        store: Store,
        aliases: Aliases | None = None,
        check_seconds: float = MANIFEST_CHECK_SECONDS,
        reranker: Reranker | None = None,
    ) -> None:
        self.settings = settings
        self.check_seconds = check_seconds
        self.reranker = reranker if reranker is not None else make_reranker(settings.reranker)
        self.embeddings = embeddings
        self.store = store
        self._aliases = (
            aliases if aliases is not None else Aliases.load(settings.corpus_dir / ALIASES_FILE)
        )
        self._loaded: LoadedIndex | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._pinned = threading.local()  # the version one question is answered from
        self._documents: dict[tuple[str, str], str] = {}
        self._names: dict[tuple[str, str], tuple[frozenset[int], frozenset[str]]] = {}
        self._titles: dict[tuple[str, str], str] = {}
        self._terms: dict[tuple[str, str], set[tuple[str, ...]]] = {}
        self._generality: dict[tuple[str, str], Generality] = {}
        self._axis: LanguageAxis | None = None
        self._subjects: dict[str, np.ndarray] = {}
        self._prototypes: dict[tuple[str, ...], np.ndarray] = {}

    # --- loading --------------------------------------------------------------------------
    @property
    def index(self) -> LoadedIndex:
        """The answering version; checks every few seconds whether a rebuild switched it
        (not inside ``pinned``)."""
        pinned: LoadedIndex | None = getattr(self._pinned, "index", None)
        if pinned is not None:
            return pinned
        now = time.monotonic()
        with self._lock:
            if self._loaded is None or now - self._checked >= self.check_seconds:
                self._checked = now
                self._follow_replaced_store()
                manifest = self.store.manifest()
                if manifest is None:
                    if self._loaded is not None:
                        return self._loaded
                    raise IndexMissingError(
                        "No index has been built yet. Build it with `assistant index` "
                        "(or `make index`)."
                    )
                if self._loaded is None or self._loaded.manifest.version != manifest.version:
                    loaded = self._load(manifest)
                    if self._loaded is None or self._complete(loaded):
                        self._loaded = loaded
            return self._loaded

    @contextmanager
    def pinned(self) -> Iterator[LoadedIndex]:
        """One version for everything this thread reads inside: a question is searched,
        checked and answered from the same index, even when a rebuild switches to another
        meanwhile (the passages of one version are not looked up in the next)."""
        outer: LoadedIndex | None = getattr(self._pinned, "index", None)
        self._pinned.index = outer or self.index
        try:
            yield self._pinned.index
        finally:
            self._pinned.index = outer

    def _follow_replaced_store(self) -> None:
        """Open the store again when its files were deleted or replaced under this process
        (``rm -rf index/`` and ``assistant index``, or ``index --rebuild`` of a damaged one):
        this client would go on answering from the deleted files."""
        if not self.store.replaced():
            return
        self._loaded = None
        if not self.store.exists():
            raise IndexMissingError(
                f"The index in {self.settings.index_dir} was deleted. Build it again with "
                "`assistant index`."
            )
        log.warning("the index in %s was replaced: opening it again", self.settings.index_dir)
        self.store.reopen()

    def refresh(self) -> None:
        """Read the manifest at the next search (after a rebuild in this process)."""
        with self._lock:
            self._checked = float("-inf")

    def _load(self, manifest: Manifest) -> LoadedIndex:
        manifest.check_compatible(self.settings, self.embeddings.name)
        version = self.store.open(manifest.version)
        lexical = self._lexical(version)
        log.info("loaded index %s (%d chunks)", manifest.version, manifest.chunks)
        aliases = with_terms(self._aliases, lexical.terms, lexical.glosses)
        return LoadedIndex(manifest, version, lexical, aliases)

    @staticmethod
    def _complete(loaded: LoadedIndex) -> bool:
        """Whether this process sees every record the manifest counts.

        A rebuild run by another process on the same on-disk store can be visible here a
        moment before all of its records are: until they are, the previous version answers.
        """
        manifest = loaded.manifest
        seen = loaded.version.counts()
        if seen == (manifest.chunks, manifest.sentences):
            return True
        log.warning(
            "index %s is not fully visible yet (%d/%d chunks, %d/%d sentences): "
            "the previous version answers until it is",
            manifest.version,
            seen[0],
            manifest.chunks,
            seen[1],
            manifest.sentences,
        )
        return False

    @property
    def aliases(self) -> Aliases:
        """The alias table and the terms learned from the answering version's corpus."""
        return self.index.aliases

    @staticmethod
    def _lexical(version: IndexVersion) -> LexicalIndex:
        folder = version.lexical_dir
        try:
            return LexicalIndex.load(folder)
        except (OSError, ValueError):
            # A server-backed index read from another machine: build the lexical side once
            # from the stored passages and keep it beside the local settings.
            log.info("building the lexical index from the store into %s", folder)
            records = list(version.records("chunks"))
            # the texts it was built from where the passages were indexed
            texts = [
                embedded(
                    str(r.metadata.get("title", "")), str(r.metadata.get("section", "")), r.text
                )
                for r in records
            ]
            lexical = LexicalIndex.build([r.id for r in records], texts)
            try:
                lexical.save(folder)
            except OSError as e:
                log.warning("could not save the lexical index: %s", e)
            return lexical

    @property
    def language_axis(self) -> LanguageAxis:
        """The embedding model's direction from English to Vietnamese (``LanguageAxis``)."""
        if self._axis is None:
            self._axis = LanguageAxis.of(self.embeddings, self.settings.index_dir)
        return self._axis

    # --- queries ---------------------------------------------------------------------------
    def prepare(self, question: str, history: list[str] | None = None) -> Query:
        """Clean, expand and embed a question (and the user's earlier turns)."""
        self.index  # noqa: B018 - fails fast on a missing or mismatched index
        text = self._spelled_out(normalize(question)[: self.settings.max_question_chars])
        earlier = [
            self._spelled_out(normalize(h)[: self.settings.max_question_chars])
            for h in (history or [])
            if h and h.strip()
        ]
        roles = self.index.lexical.roles
        if earlier and self.settings.query_expansion:
            earlier = resolved_turns(earlier, self.aliases, roles)
        standalone = (
            standalone_question(text, earlier, self.aliases, roles)
            if self.settings.query_expansion
            else None
        )
        asked = standalone or text
        query_text = self._restore(asked)
        vector = self.embeddings.encode_query(self._dense_text(query_text))
        expansions = self.expansions(asked) if self.settings.query_expansion else []
        query = Query(
            text,
            vector,
            lexical_tokens(query_text),
            lexical_tokens(" ".join(expansions)),
            standalone=asked,
        )
        query.token_weights = self._spellings(asked) if self.settings.query_expansion else {}
        # A follow-up made to stand alone needs nothing more from the conversation.
        if earlier and not standalone:
            previous = self._restore(context_turn(earlier, self.aliases, roles))
            # A question that names nothing the corpus defines or names leans on the
            # conversation as one that points back does ("how long does the degree take?").
            leans = looks_like_follow_up(text) or not names_something(text, self.aliases, roles)
            weight = 0.6 if leans else 0.25
            blended = vector + weight * self.embeddings.encode_query(self._dense_text(previous))
            query.vector = blended / (np.linalg.norm(blended) or 1.0)
            query.history_tokens = lexical_tokens(
                previous + " " + " ".join(self.expansions(previous))
            )
            query.history_weight = weight
        query.ranking = query.vector  # the blended one for a follow-up
        if self.settings.retrieval == "hybrid" and LANGUAGE_AXIS_WEIGHT:
            self.language_axis.balance(query, LANGUAGE_AXIS_WEIGHT)
        return query

    def _spelled_out(self, text: str) -> str:
        """A Vietnamese question with the phrases it types as their initials written out as
        the corpus writes them ("dong bhxh" -> "dong bao hiem xa hoi", ``LexicalIndex.initials``),
        without their marks in a question typed without any. Not a word the corpus writes as
        it is, nor an abbreviation it defines: those are searched as they are."""
        lexical = self.index.lexical
        if (
            not self.settings.query_expansion
            or not lexical.initials
            or detect_language(text) != "vi"
        ):
            return text
        unmarked = fold(text) == text.lower()

        def spelled(match: re.Match[str]) -> str:
            word = match.group(0)
            phrase = lexical.initials.get(fold(word).lower()) if is_initials(word) else None
            if phrase is None or lexical.knows(word) or self.aliases.entities(word):
                return word
            return fold(phrase) if unmarked else phrase

        return re.sub(r"\w+", spelled, text)

    def _restore(self, text: str) -> str:
        """Vietnamese typed without diacritics gets them back, as the corpus writes them."""
        if (
            not self.settings.query_expansion
            or detect_language(text) != "vi"
            or fold(text) != text.lower()
        ):
            return text
        return self.index.lexical.restore_accents(text)

    def _dense_text(self, text: str) -> str:
        if not self.settings.query_expansion:
            return text
        added = self._long_forms(text) + self._translations(text)
        return f"{text} ({', '.join(dict.fromkeys(added))})" if added else text

    def _translations(self, text: str) -> list[str]:
        """What the corpus glosses the rare terms of ``text`` as in the other language ("hoa
        hồng" for "commission"): the embedding model ranks passages in the question's
        language first, and the other language's words bring that language's passages closer.
        A common term ("client", "agency") has passages enough in every language."""
        lexical = self.index.lexical
        if not lexical.glossed:
            return []
        language = detect_language(text)
        found = []
        for term in self.aliases.expansions(text):
            pair = lexical.glossed.get(fold(term))
            if pair is None or detect_language(term) == language:
                continue
            asked = [w for t in pair if t != term for w in words(t)]
            if asked and min(lexical.held(w) for w in asked) <= lexical.rare:
                found.append(term)
        return found

    def _spellings(self, text: str) -> dict[str, float]:
        """Weights for the question's rare spellings of a term the corpus mostly writes
        another way: a term is as rare as its commonest spelling. An article writes
        "Giao dịch viên (GDV, teller)" once and "giao dịch viên" everywhere else; asked about
        a "teller" or a "GDV", every passage about tellers is about it, not only that one.
        Rarity is log(N / passages) of the spelling's rarest word."""
        lexical = self.index.lexical

        def rarity(term: str) -> float:
            return max((lexical.rarity(fold(w)) for w in words(term)), default=0.0)

        weights: dict[str, float] = {}
        for group, has in self.aliases.written(text):
            common = min(rarity(t) for t in group)
            for term in has:
                rare = rarity(term)
                if rare > common > 0:
                    for token in lexical_tokens(term):
                        weights[token] = min(weights.get(token, 1.0), common / rare)
        return weights

    def _long_forms(self, text: str) -> list[str]:
        """Spelled-out forms of the abbreviations in ``text`` ("AE" -> "account executive")."""
        out: list[str] = []
        tokens = re.findall(r"\w+(?:[/&]\w+)*", text)  # "B/L" and "R&D" are one token
        for group in self.aliases.groups:
            short = [t for t in group if len(t) <= 4 and " " not in t and t.isupper()]
            if not short:
                continue
            for token in tokens:
                # "am", "ad" and "as" are English words too: count them only in capitals.
                if any(token.lower() == s.lower() for s in short) and (
                    token.isupper() or token.lower() not in {"am", "ad", "as", "an"}
                ):
                    long = next((t for t in group if len(t) > 4), None)
                    if long and long not in out and self._usual(long, token):
                        out.append(long)
                    break
        return out

    def _usual(self, long: str, short: str) -> bool:
        """Whether the corpus writes ``long`` often enough, beside the abbreviation ``short``,
        for a question to be searched with it too. Where the corpus nearly always writes the
        abbreviation ("QA"), its long form appears only where it is defined, and adding it
        would pull every question about QA towards that definition. Other pairs (a spun word
        and its meaning, a long form written in the question, an abbreviation with several
        meanings) always count."""
        if " " in short or len(short) > 5:
            return True
        if sum(short in group for group in self.aliases.groups) > 1:
            return True  # "AD": an Account and an Art Director; each meaning keeps its form
        lexical = self.index.lexical
        held = min((lexical.held(w) for w in words(long)), default=0)
        return held * USUAL_SHARE >= lexical.held(short)

    def expansions(self, text: str) -> list[str]:
        """The terms that mean what ``text``'s terms mean (``Aliases.expansions``), without
        long forms the corpus seldom writes beside their abbreviation (``_usual``)."""
        return self.aliases.expansions(text, keep=self._usual)

    def search(
        self, question: str | Query, history: list[str] | None = None, k: int = 10
    ) -> list[Hit]:
        """The ``k`` best passages for the question, best first, without near-duplicates.

        Each candidate (the dense and the BM25 top passages) scores its cosine similarity
        with ``Query.ranking`` (the question without its lean towards one language) plus
        ``LEXICAL_WEIGHT`` times its BM25 score relative to the best BM25 score. Only the
        passages of ``Query.within`` when it names documents.
        """
        query = question if isinstance(question, Query) else self.prepare(question, history)
        n = max(CANDIDATES, k * 3)
        key = (id(self), self.index.manifest.version, n)
        if query.ranked is None or query.ranked[0] != key:
            query.ranked = (key, self._ranked(query, n))
        ranked = query.ranked[1]
        if query.within is not None:
            ranked = [h for h in ranked if str(h.document.metadata.get("path")) in query.within]
        return _without_near_duplicates(ranked, k)

    def _ranked(self, query: Query, n: int) -> list[Hit]:
        """The ``n`` dense and the ``n`` BM25 best candidates, scored and ranked."""
        mode = self.settings.retrieval
        for attempt in (1, 2):
            index = self.index
            try:
                found = self._dense(index, query, n) if mode != "bm25" else {}
                lexical = self._lexical_scores(index, query) if mode != "dense" else {}
                top_lexical = sorted(lexical, key=lexical.__getitem__, reverse=True)[:n]
                missing = [i for i in top_lexical if i not in found]
                if missing:
                    found.update(self._fetch(index, query, missing))
                break
            except Exception as e:
                if attempt == 1:
                    # Two rebuilds since this reader last looked may have dropped its version:
                    # read the manifest again and retry once.
                    log.info("search failed (%s); reloading the index", e)
                    with self._lock:
                        self._checked = float("-inf")
                        self._loaded = None
                    continue
                if isinstance(e, StoreError):
                    raise
                raise self.store.failure(e, "Searching the index") from e
        best_lexical = max(lexical.values(), default=0.0) or 1.0
        language = detect_language(query.standalone)
        # Only passages in the other language gain from it: none among them, nothing to do.
        other = any(h.document.metadata.get("language") != language for h in found.values())
        focus = self._focus(query, found.values()) if mode == "hybrid" and other else {}
        generic = self._generic(found.values(), query) if mode == "hybrid" else {}
        for doc_id, hit in found.items():
            hit.lexical = lexical.get(doc_id, 0.0)
            relative = hit.lexical / best_lexical
            hit.score = (
                relative
                if mode == "bm25"
                else hit.neutral + (LEXICAL_WEIGHT * relative if mode == "hybrid" else 0.0)
            )
            if hit.document.metadata.get("language") != language:
                hit.score += FOCUS_WEIGHT * focus.get(str(hit.document.metadata.get("path")), 0.0)
            hit.score -= GENERIC_PASSAGE_PENALTY * generic.get(doc_id, 0.0)
        ranked = sorted(found.values(), key=lambda h: h.score, reverse=True)
        if mode == "hybrid" and SENTENCE_WEIGHT:
            ranked = self._by_best_sentence(ranked, query)
        if self.reranker is not None and len(ranked) > 1:
            head = ranked[:RERANK_DEPTH]
            scores = self.reranker.rerank(
                query.standalone,
                [
                    f"{h.document.metadata.get('title', '')}\n{h.document.page_content}"
                    for h in head
                ],
            )
            order = sorted(range(len(head)), key=lambda i: scores[i], reverse=True)
            ranked = [head[i] for i in order] + ranked[RERANK_DEPTH:]
        return ranked

    def _focus(self, query: Query, candidates: Iterable[Hit]) -> dict[str, float]:
        """For each document among the candidates, the share of the question's distinctive
        words it holds (by rarity): the words few of the candidate documents hold ("tester"
        in "tester muon tang luong thi nen hoc them gi"). They tell which document a question
        is about even where its other words are in another language than that document."""
        docs: dict[str, set[str]] = {}
        for hit in candidates:
            meta = hit.document.metadata
            held = docs.setdefault(str(meta.get("path")), set())
            held.update(
                fold(w) for w in words(f"{meta.get('title', '')} {hit.document.page_content}")
            )
        if len(docs) < FOCUS_MIN_DOCUMENTS:
            return {}
        lexical = self.index.lexical
        weights = {}
        for word in {fold(w) for w in content_words(query.standalone)}:
            holding = sum(word in held for held in docs.values())
            if 0 < holding <= len(docs) * FOCUS_SHARE:
                weights[word] = lexical.rarity(word)
        total = sum(weights.values())
        if not total:
            return {}
        return {
            path: sum(w for word, w in weights.items() if word in held) / total
            for path, held in docs.items()
        }

    def _generic(self, candidates: Iterable[Hit], query: Query) -> dict[str, float]:
        """How generic each candidate is in its document (``Generality``), for a question
        that asks for a fact: what a term means or what a role does is answered by an
        overview, and then none is."""
        if asks_definition(query.standalone) or duties_asked(query.standalone):
            return {}
        # Only where a document has several candidates is one of them its overview: in a
        # corpus of many small files, that spares reading each candidate's whole file.
        held = Counter(str(h.document.metadata.get("path")) for h in candidates)
        generic: dict[str, float] = {}
        for path, n in held.most_common(GENERIC_DOCUMENTS):
            if n > 1:
                generic.update(self.generality(path).passages)
        return generic

    def _by_best_sentence(self, ranked: list[Hit], query: Query) -> list[Hit]:
        """The top passages scored again: plus their best sentence (vectors from index time),
        minus a little when they are about another job title than the question."""
        top = ranked[:SENTENCE_CANDIDATES]
        kind = answer_kind(query.standalone)
        subject = self.subject_names(query.standalone) if kind else []
        best: dict[str, float] = {}
        stated: set[str] = set()
        for chunk_id, text, _, vector in self.sentences([str(h.document.id) for h in top]):
            best[chunk_id] = max(best.get(chunk_id, -1.0), float(vector @ query.ranking))
            if subject and chunk_id not in stated and kind in fact_kinds(text):
                held = held_terms(text)
                if all(any(says(term, held) for term in name) for name in subject):
                    stated.add(chunk_id)
        titles = self.aliases.entities(query.standalone)
        roles = self.index.lexical.roles
        asked_roles = set(roles_named(query.standalone, roles))
        for hit in top:
            text = hit.document.page_content
            hit.score += SENTENCE_WEIGHT * best.get(str(hit.document.id), hit.neutral)
            if kind and kind in fact_kinds(text):
                hit.score += KIND_PASSAGE_BONUS  # "how long" is answered where years are given
            if str(hit.document.id) in stated:
                hit.score += KIND_SUBJECT_BONUS
            if titles and self.aliases.first_title(text) not in titles:
                hit.score -= OTHER_SUBJECT_PENALTY
            elif asked_roles and not asked_roles & set(roles_named(text, roles)[:1]):
                hit.score -= OTHER_SUBJECT_PENALTY  # "SEO executive" asked, "sales executive" here
        names = [*subject_names(self.aliases, titles, asked_roles), *self._glossed(query)]
        if names:
            self._less_about_the_subject(top, query, names, SUBJECT_STANDS_OUT)
        else:
            implied = self._document_subject(top)
            self._less_about_the_subject(top, query, implied, DOCUMENT_SUBJECT_STANDS_OUT)
        self._by_what_is_asked(top, query, names)
        return sorted(top, key=lambda h: h.score, reverse=True) + ranked[SENTENCE_CANDIDATES:]

    def _glossed(self, query: Query) -> list[str]:
        """Both names of each article's subject the corpus glosses in the other language that
        the question says ("insurance agent" and "Tư vấn viên bảo hiểm nhân thọ",
        ``LexicalIndex.subjects``): a Vietnamese article writes the English name of its
        subject once, where it defines it."""
        return self._glossed_in(fold(query.standalone))

    def _glossed_in(self, folded: str) -> list[str]:
        """Both names of each glossed subject (``LexicalIndex.subjects``) the folded text
        names."""
        return [
            term
            for pair in self.index.lexical.subjects
            if any(re.search(rf"(?<!\w){term_pattern(t)}(?!\w)", folded) for t in pair)
            for term in pair
        ]

    def _document_subject(self, top: list[Hit]) -> list[str]:
        """The names of the subject of the document most of the best candidates are from: the
        roles its title names, and the glossed subjects it does (a question about an article's
        subject need not name it: "co phai truc dem ko" of the article on vet techs)."""
        held = Counter(str(h.document.metadata.get("path")) for h in top[:DOCUMENT_SUBJECT_TOP])
        if not held:
            return []
        path, n = held.most_common(1)[0]
        if n * 2 < min(len(top), DOCUMENT_SUBJECT_TOP):
            return []
        title = self.document_title(path)
        return [*written_roles(title, self.index.lexical.roles), *self._glossed_in(fold(title))]

    def document_title(self, path: str) -> str:
        """One indexed document's title, with the headings above its first passage (a
        plain-text file's title is its file name, and its first line heads every section);
        cached per index version."""
        version = self.index.version

        def title() -> str:
            first = version.passages_at(path, [0])
            meta = first[0].metadata if first else {}
            return f"{meta.get('title', '')}\n{meta.get('section', '')}"

        return self._remember(
            self._titles, (self.index.manifest.version, path), title, DOCUMENTS_CACHED
        )

    def _less_about_the_subject(
        self, top: list[Hit], query: Query, names: list[str], stands_out: float
    ) -> None:
        """For a question that asks something of the role or term it names ("gdv can ky nang
        gi"), or of its document's subject (``names``), take ``SUBJECT_WEIGHT`` times how much
        more a passage is about that subject than its document's other candidates (their
        median similarity to the subject alone) from a passage where that is more than
        ``stands_out`` (``SUBJECT_STANDS_OUT``, ``DOCUMENT_SUBJECT_STANDS_OUT``). The passage that
        defines the subject stands out so, and answers only what it is, what it does or how
        it compares with another."""
        asked = query.standalone
        if not names or asks_definition(asked) or duties_asked(asked) or is_comparison(asked):
            return
        subject = self._subject_vector(", ".join(dict.fromkeys(names)))
        for hit, excess in _beside_siblings(top, subject):
            if excess > stands_out:
                hit.score -= SUBJECT_WEIGHT * excess

    def _by_what_is_asked(self, top: list[Hit], query: Query, names: list[str]) -> None:
        """For a question that names its subject (a role or term), add ``ASKED_WEIGHT``
        times how much nearer each passage is to what is asked of it (``asked_of_subject``)
        than the median of its document's candidates (at least ``SUBJECT_SIBLINGS``). Asked
        what the subject is ("NRR là gì"), nothing else is asked of it."""
        if not names or asks_definition(query.standalone):
            return
        asked = asked_of_subject(query.standalone, names)
        if not asked:
            return
        for hit, excess in _beside_siblings(top, self.embeddings.encode_query(asked)):
            hit.score += ASKED_WEIGHT * excess

    def _subject_vector(self, subject: str) -> np.ndarray:
        """The query vector of a subject's names alone (cached: a corpus has few subjects)."""
        return self._remember(
            self._subjects, subject, lambda: self.embeddings.encode_query(subject), SUBJECTS_CACHED
        )

    def prototypes(self, texts: tuple[str, ...]) -> np.ndarray:
        """``texts`` embedded as passages, one row each (cached: a few fixed sentences that
        stand for a kind of answer, ``question.WAY_IN``)."""
        return self._remember(
            self._prototypes, texts, lambda: self.embeddings.encode_passages(list(texts)), 8
        )

    def _remember(self, cache: dict[K, V], key: K, make: Callable[[], V], limit: int) -> V:
        """``cache[key]``, made by ``make`` the first time; a full cache is emptied first."""
        with self._lock:
            found = cache.get(key)
        if found is None:
            found = make()
            with self._lock:
                if len(cache) >= limit:
                    cache.clear()
                cache[key] = found
        return found

    def _dense(self, index: LoadedIndex, query: Query, n: int) -> dict[str, Hit]:
        n = min(n, max(1, index.manifest.chunks))
        return self._hits(index.version.nearest_records(query.ranking, n), query)

    def _lexical_scores(self, index: LoadedIndex, query: Query) -> dict[str, float]:
        lex = index.lexical
        scores = lex.scores(query.tokens)
        for token, weight in query.token_weights.items():
            if token in query.tokens:
                scores = scores - (1.0 - weight) * lex.scores([token])
        if query.expansion_tokens:
            scores = scores + EXPANSION_WEIGHT * lex.scores(query.expansion_tokens)
        if query.history_tokens:
            scores = scores + query.history_weight * lex.scores(query.history_tokens)
        return {lex.ids[i]: float(scores[i]) for i in np.flatnonzero(scores > 0)}

    @staticmethod
    def _fetch(index: LoadedIndex, query: Query, ids: list[str]) -> dict[str, Hit]:
        """Passages found by BM25 alone."""
        return Searcher._hits(index.version.by_ids(ids), query)

    @staticmethod
    def _hits(records: Iterable[Record], query: Query) -> dict[str, Hit]:
        """Passages with their similarity to the question (``Hit.dense``, ``Hit.neutral``)."""
        hits = {}
        for r in records:
            neutral = float(np.asarray(r.vector) @ query.ranking)
            hits[r.id] = Hit(
                Document(page_content=r.text, metadata=r.metadata, id=r.id),
                0.0,
                dense=neutral + query.lift,
                neutral=neutral,
                vector=np.asarray(r.vector),
            )
        return hits

    def subject_names(
        self, text: str, language: str = "", keep: Callable[[str], bool] = lambda word: True
    ) -> list[set[tuple[str, ...]]]:
        """What ``text`` asks a fact of: its names (``question.focus_names``, of the words
        ``keep`` keeps) once the places it asks about are left out, each of which the
        corpus's other names for its terms say too."""
        language = language or detect_language(text)
        # A place is no name of what is asked ("thợ điện" in "tho dien o Viet Nam luong bn").
        for place in self.places(text):
            spelled = r"\W+".join(re.escape(w) for w in re.findall(r"\w+", place))
            text = re.sub(rf"(?<!\w){spelled}(?!\w)", " ; ", text)
        others: set[tuple[str, ...]] = set()
        for term in self.expansions(text):
            names = [fold(w) for w in words(term)]
            others |= word_terms(names, {fold(w) for w in content_words(term)}, language)
        return [
            name | others for name in focus_names(text, language, keep, self.index.lexical.accents)
        ]

    def places(self, text: str) -> list[str]:
        """The places ``text`` asks about (``question.places``), less the corpus's terms and
        roles: "chuyển sang Account Manager" moves to a role, "sang Nhật" to a country."""
        roles = self.index.lexical.roles
        return [
            p for p in places(text) if not self.aliases.entities(p) and not roles_named(p, roles)
        ]

    def elsewhere(
        self,
        hits: Iterable[Hit],
        where: Iterable[str] = (),
        groups: Iterable[int] = (),
        roles: Iterable[str] = (),
        names: Iterable[set[tuple[str, ...]]] = (),
    ) -> set[str]:
        """The ids of the ``hits`` whose documents do not name every place of ``where`` (a
        document in Vietnamese is about Vietnam unless it says otherwise), or name none of
        the alias ``groups`` and corpus ``roles`` given, or say none of the ``names``
        (``subject_names``) that the other hits' documents say, of those with a word
        uncommon in everyday language: "tu journeyman len master mat bao lau" is not answered
        from an article that never names a journeyman, "do they get paid extra?" may be."""
        hits = list(hits)
        where, groups, roles = list(where), set(groups), set(roles)
        out: set[str] = set()
        rare = [name for name in names if any(uncommon(w) for term in name for w in term)]
        if rare:
            paths = {str(h.document.metadata.get("path", "")) for h in hits}
            held = {path: self.document_terms(path) for path in paths}
            saying = {p for p in paths for name in rare if any(says(t, held[p]) for t in name)}
            if saying:
                out = {
                    str(h.document.id)
                    for h in hits
                    if str(h.document.metadata.get("path", "")) not in saying
                }
        for hit in hits if where or groups or roles else ():
            meta = hit.document.metadata
            path = str(meta.get("path", ""))
            language = str(meta.get("language", ""))
            if where and not all(
                mentions_place(self.document_text(path), place, language) for place in where
            ):
                out.add(str(hit.document.id))
            elif groups or roles:
                titles, named = self.document_names(path)
                if not (titles & groups or named & roles):
                    out.add(str(hit.document.id))
        return out

    def document_text(self, path: str) -> str:
        """The whole text of one indexed document (its passages joined), for checks that look
        beyond one passage; cached per index version."""
        index = self.index
        return self._remember(
            self._documents,
            (index.manifest.version, path),
            lambda: "\n".join(index.version.passages_of(path)),
            DOCUMENTS_CACHED,
        )

    def document_names(self, path: str) -> tuple[frozenset[int], frozenset[str]]:
        """The job titles (alias groups) and the corpus's roles one document names anywhere;
        cached per index version."""

        def names() -> tuple[frozenset[int], frozenset[str]]:
            text = self.document_text(path)
            roles = self.index.lexical.roles
            return frozenset(self.aliases.entities(text)), frozenset(roles_named(text, roles))

        return self._remember(
            self._names, (self.index.manifest.version, path), names, DOCUMENTS_CACHED
        )

    def document_terms(self, path: str) -> set[tuple[str, ...]]:
        """What one document holds for ``question.says`` (``held_terms`` of its whole text);
        cached per index version."""
        return self._remember(
            self._terms,
            (self.index.manifest.version, path),
            lambda: held_terms(self.document_text(path)),
            DOCUMENTS_CACHED,
        )

    def generality(self, path: str) -> Generality:
        """How generic each passage and sentence of a document is (``Generality``); cached
        per index version."""
        index = self.index
        try:
            return self._remember(
                self._generality,
                (index.manifest.version, path),
                lambda: Generality.of(index.version, path),
                DOCUMENTS_CACHED,
            )
        except Exception as e:  # a rebuild dropped the version meanwhile: rank without it
            log.info("no generality for %s: %s", path, e)
            return Generality()

    def passages_at(self, path: str, chunks: list[int], query: Query) -> list[Hit]:
        """The passages numbered ``chunks`` of the document at ``path``, as hits for ``query``
        (the passages next to a hit, which a list or a sentence cut between passages goes on
        in)."""
        return list(self._hits(self.index.version.passages_at(path, chunks), query).values())

    def sentences(self, chunk_ids: list[str]) -> list[tuple[str, str, dict[str, Any], np.ndarray]]:
        """(chunk id, sentence, metadata, vector) for every quotable sentence of the chunks."""
        return [
            (r.metadata["chunk_id"], r.text, r.metadata, np.asarray(r.vector))
            for r in self.index.version.sentences_of(chunk_ids)
        ]


@dataclass(frozen=True)
class LanguageAxis:
    """The embedding model's direction from English to Vietnamese.

    A multilingual model such as e5 ranks passages in the question's language well above the
    others whatever they say: a Vietnamese question about an English article finds Vietnamese
    passages about something else first. Along ``direction``, a text's coordinate tells its
    language (English below ``middle``, Vietnamese above); the rest of its vector, what it says.
    ``balance`` takes the question's lean out of the vector that ranks passages.

    ``of`` measures both on the same everyday sentences in both languages
    (``data/parallel.tsv``; their subjects cancel out): the direction is the mean difference
    between the two versions' vectors, the middle the mean coordinate of all of them.
    """

    direction: np.ndarray
    middle: float

    @classmethod
    def of(cls, embeddings: Embedder, cache_dir: Path | None = None) -> LanguageAxis:
        """Measured with ``embeddings``; the vectors are kept in ``cache_dir`` (the index)."""
        text = (files("assistant") / "data" / "parallel.tsv").read_text("utf-8")
        pairs = [
            line.split("\t")
            for line in text.splitlines()
            if line.strip() and not line.startswith("#") and line.count("\t") == 1
        ]
        sentences = [t for pair in pairs for t in pair]
        vectors = cached_queries(embeddings, sentences, cache_dir, "languages")
        direction = (vectors[1::2] - vectors[0::2]).mean(axis=0)
        direction = (direction / (np.linalg.norm(direction) or 1.0)).astype(np.float32)
        return cls(direction, float((vectors @ direction).mean()))

    def balance(self, query: Query, weight: float = 1.0) -> None:
        """Rank passages for ``query`` by what they say, whatever their language.

        The similarity of the question (coordinate q) and a passage (p) holds about
        (q - middle) * (p - middle) from their languages alone: ``query.ranking`` is the
        question's vector less ``weight`` times its lean (q - middle) along the direction,
        which takes that term out (less a constant that ranks nothing). ``query.lift`` gives
        the passages' similarity back the share a passage in the question's language has, so
        that ``Hit.dense`` measures every passage as the calibrated refusal thresholds expect:
        about the same as before for one in the question's language, more for one in the other.
        """
        lean = float(query.vector @ self.direction) - self.middle
        query.ranking = query.vector - weight * lean * self.direction
        query.lift = weight * lean * (lean + self.middle)


@dataclass(frozen=True)
class Generality:
    """How generic each passage and each sentence of a document is: its mean similarity to
    the document's other passages, less the document's mean of that. An introduction ("This
    guide explains what an agent does, how to get licensed...") is close to every section; a
    fact (a fee, a step, a skill) only to its own.

    Attributes:
        passages: by chunk id.
        sentences: by (chunk id, position in its chunk).
    """

    passages: dict[str, float] = field(default_factory=dict)
    sentences: dict[tuple[str, int], float] = field(default_factory=dict)

    @classmethod
    def of(cls, version: IndexVersion, path: str) -> Generality:
        """Measured on the vectors ``version`` holds for the document at ``path``."""
        chunks = version.vectors_of(path)
        if not 2 <= len(chunks) <= MAX_GENERALITY_PASSAGES:
            return cls()  # a book is not read whole to rank one question's passages
        vectors = np.array([c.vector for c in chunks], dtype=np.float32)
        similar = vectors @ vectors.T
        others = (similar.sum(axis=1) - np.diag(similar)) / (len(chunks) - 1)
        passages = {c.id: float(v) for c, v in zip(chunks, others - others.mean(), strict=True)}
        sentences = version.sentences_of([c.id for c in chunks])
        if len(sentences) < MIN_SENTENCES_FOR_GENERALITY:
            return cls(passages)
        column = {c.id: j for j, c in enumerate(chunks)}
        own = np.zeros((len(sentences), len(chunks)), dtype=bool)
        own[np.arange(len(sentences)), [column[s.metadata["chunk_id"]] for s in sentences]] = True
        similar = np.array([s.vector for s in sentences], dtype=np.float32) @ vectors.T
        others = np.where(own, 0.0, similar).sum(axis=1) / (len(chunks) - 1)
        return cls(
            passages,
            {
                (str(s.metadata["chunk_id"]), int(s.metadata.get("n", 0))): float(v)
                for s, v in zip(sentences, others - others.mean(), strict=True)
            },
        )


def _beside_siblings(top: list[Hit], vector: np.ndarray) -> Iterator[tuple[Hit, float]]:
    """Each passage's similarity to ``vector`` less the median of its document's candidates
    in ``top``, for the documents with at least ``SUBJECT_SIBLINGS`` of them."""
    of_document: dict[str, list[Hit]] = {}
    for hit in top:
        if hit.vector is not None:
            of_document.setdefault(str(hit.document.metadata.get("path")), []).append(hit)
    for hits in of_document.values():
        if len(hits) < SUBJECT_SIBLINGS:
            continue
        near = [float(h.vector @ vector) for h in hits if h.vector is not None]
        usual = float(np.median(near))
        yield from zip(hits, (n - usual for n in near), strict=True)


def asked_of_subject(question: str, names: Iterable[str]) -> str:
    """What ``question`` asks of its subject: the question without the words of the
    subject's ``names`` ("How do I become a ?" of "How do I become a QA tester?" with the
    names "QA", "QA tester"), or "" when it holds none of them or nothing else."""
    named = {fold(w) for name in names for w in words(name)}
    tokens = re.findall(r"\w+|\?", question)
    rest = [t for t in tokens if fold(t) not in named]
    if len(rest) == len(tokens) or all(t == "?" for t in rest):
        return ""
    return " ".join(rest)


def _without_near_duplicates(ranked: list[Hit], k: int) -> list[Hit]:
    kept: list[Hit] = []
    kept_words: list[set[str]] = []
    for hit in ranked:
        bag = set(fold(hit.document.page_content).split())
        if any(
            len(bag & other) / max(1, len(bag | other)) >= NEAR_DUPLICATE for other in kept_words
        ):
            continue
        kept.append(hit)
        kept_words.append(bag)
        if len(kept) == k:
            break
    return kept


class HybridRetriever(BaseRetriever):
    """The assistant's retrieval as a LangChain retriever.

    Example:
        >>> retriever = Assistant().as_retriever(k=4)
        >>> retriever.invoke("Account executive là gì?")[0].metadata["path"]
        'corpus/articles/key-account-executive-la-gi.md'
        >>> retriever.invoke("Còn AD thì sao?", history=["AM làm gì?"])  # a follow-up
        >>> retriever.invoke("What's the weather tomorrow?")  # the sources do not cover it
        []

    Each Document carries ``path``, ``title``, ``language``, ``chunk``, ``start``, ``end``,
    ``section`` and ``score`` (the fused relevance) in its metadata. With a ``scope``
    (``Assistant.as_retriever`` gives it one), a question the assistant would refuse gets no
    documents, so a chain built on it cannot answer from unrelated passages.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Searcher
    scope: Any = None
    """The refusal checks (``assistant.scope.Scope``), or None to return whatever is found."""
    k: int = 4
    """Documents returned; ``invoke(query, k=n)`` overrides it for one call."""

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        history: list[Any] | None = None,
    ) -> list[Document]:
        turns = [str(getattr(t, "content", t)) for t in history or []]
        with self.searcher.pinned():
            return self._found(query, turns, k)

    def _found(self, query: str, turns: list[str], k: int | None) -> list[Document]:
        prepared = self.searcher.prepare(query, turns)
        hits = self.searcher.search(prepared, k=self.k if k is None else k)
        if self.scope is not None:
            question = Question.read(prepared.text, turns)
            question.standalone = prepared.standalone
            if self.scope.refusal(question, prepared, hits) is not None:
                return []
        return [
            Document(
                page_content=h.document.page_content,
                id=h.document.id,
                metadata={**h.document.metadata, "score": h.score},
            )
            for h in hits
        ]
