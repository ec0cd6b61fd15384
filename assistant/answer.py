"""From a question and its passages to an Answer with numbered citations.

One vocabulary throughout: a *passage* is a chunk of a document; a *hit* is a passage ranked
for a question (``retrieval.Hit``); a *source* is a passage an answer cites (``Source``).

The default answer is extractive: it quotes the sentences of the best passages that are
closest to the question (sentence vectors are computed at index time), each followed by the
[n] of its source, so it never states a fact, number or name that its source does not hold.

A ``Generator`` (the LLM answerer, ``assistant.llm``) writes the answer instead. It gets an
``AnswerRequest``, which holds all it may use: the question, the hits, the language, and two
callables the Assistant makes, one to search again for a rewritten follow-up and one for the
extractive answer to fall back on. It never sees the Assistant, so nothing imports back.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, NamedTuple, Protocol

import numpy as np
from langchain_core.callbacks import Callbacks

from .question import (
    WAY_IN,
    asks_definition,
    asks_duties,
    asks_for_a_list,
    asks_way_in,
    fact_kinds,
)
from .retrieval import Hit, Query, Searcher
from .terms import roles_left, roles_named, roles_reached, subject_names
from .text import Aliases, detect_language, fold
from .text import content_words as text_content_words

#: What an answer says when it has no passage at all (``assistant.scope`` words the others).
NO_PASSAGES = {
    "en": "I don't know: my sources do not cover that question.",
    "vi": "Tôi không biết: các nguồn của tôi không đề cập đến câu hỏi này.",
}
SOURCES_HEADING = {"en": "Sources", "vi": "Nguồn"}
#: Sentences this similar say the same thing (often a note and its translation): quote one.
REDUNDANT = 0.95
#: Taken off a sentence that moves on from a role the question asks about reaching: "bao lâu
#: thì lên AM?" is not answered by "từ AM lên AD mất 5–6 năm".
ONWARD_PENALTY = 0.05
#: Taken off a sentence about another job title than the question's (the first it names), and
#: off one from a passage that names none of the question's terms.
OTHER_TITLE_PENALTY = 0.05


@dataclass(frozen=True)
class Source:
    """A passage an answer cites.

    Attributes:
        path: the corpus file, relative to the corpus folder's parent (``corpus/notes/x.md``).
        title: the document's title (front matter ``title``, else its first heading).
        chunk: the passage's number within the document.
        score: cosine similarity of the passage to the question.
        text: the passage.
        url: where the document was published (front matter ``source``), or "".
        kind: ``article`` (a published source) or ``note`` (written for this corpus).
        language: the document's language, ``en`` or ``vi``.
        quotes: the sentences of the passage the answer quotes (empty for search results).
    """

    path: str
    title: str
    chunk: int
    score: float
    text: str
    url: str = ""
    kind: str = "article"
    language: str = ""
    quotes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["quotes"] = list(self.quotes)
        return data

    @classmethod
    def from_hit(cls, hit: Hit, quotes: tuple[str, ...] = ()) -> Source:
        meta = hit.document.metadata
        return cls(
            path=str(meta.get("path", "")),
            title=str(meta.get("title", "")),
            chunk=int(meta.get("chunk", 0)),
            score=round(float(hit.dense), 4),
            text=hit.document.page_content,
            url=str(meta.get("source", "")),
            kind=str(meta.get("kind", "article")),
            language=str(meta.get("language", "")),
            quotes=quotes,
        )


@dataclass
class Answer:
    """An answer with [n] markers and the numbered sources they point at.

    ``sources`` is empty when the assistant abstained (the sources do not cover the question).
    ``notice`` says what a user should know about how the answer was made (a cut question, a
    model that did not answer), or is None.
    """

    answer: str
    sources: list[Source] = field(default_factory=list)
    abstained: bool = False
    notice: str | None = None
    language: str = "en"

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "abstained": self.abstained,
            "notice": self.notice,
            "language": self.language,
            "sources": [s.to_dict() for s in self.sources],
        }

    def sources_markdown(self, escape: bool = True) -> str:
        """The numbered sources as Markdown (corpus text HTML-escaped when ``escape``)."""
        if not self.sources:
            return ""
        clean = html.escape if escape else str
        lines = [f"**{SOURCES_HEADING.get(self.language, 'Sources')}**", ""]
        for n, s in enumerate(self.sources, 1):
            lines.append(f"{n}. {clean(s.title)} — `{clean(s.path)}` (chunk {s.chunk})")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """The answer, a notice if any, then the numbered sources."""
        parts = [html.escape(self.answer, quote=False)]
        if self.notice:
            parts.append(f"_{html.escape(self.notice, quote=False)}_")
        if self.sources:
            parts.append(self.sources_markdown())
        return "\n\n".join(parts)


class AnswerStream:
    """The pieces of an answer as they are made; ``result`` holds the whole Answer at the end.

    Args:
        pieces: the text of the answer, in the pieces a reader is shown.
        finish: gives the Answer once ``pieces`` is exhausted.

    Example:
        >>> stream = bot.stream("AE là gì?")
        >>> for piece in stream:
        ...     print(piece, end="")
        >>> stream.result.sources
    """

    def __init__(self, pieces: Iterator[str], finish: Callable[[], Answer]) -> None:
        self._pieces = pieces
        self._finish = finish
        self.result: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        yield from self._pieces
        self.result = self._finish()


@dataclass(frozen=True)
class AnswerRequest:
    """Everything a ``Generator`` may use to answer one question (never the Assistant).

    Attributes:
        question: the question as asked (cleaned).
        hits: the passages retrieval found, best first; they cover the question (checked).
        language: the question's language, "en" or "vi": the answer's language.
        notice: a notice to keep on the answer (e.g. the question was cut), or None.
        history: the user's earlier turns, oldest first.
        search: searches again for a follow-up rewritten to stand alone; gives its hits, or
            None when the sources would not cover it (then keep ``hits``).
        fallback: the extractive answer to ``question`` (or to the rewrite ``search`` was
            given, when its hits are used) from the given hits, without a notice.
        callbacks: LangChain callbacks the chat model is called with (a ``RunnableConfig``'s).
    """

    question: str
    hits: list[Hit]
    language: str
    notice: str | None
    history: Sequence[str]
    search: Callable[[str], list[Hit] | None]
    fallback: Callable[[str, list[Hit]], Answer]
    callbacks: Callbacks = None


class Generator(Protocol):
    """Writes answers in place of the extractive answerer (``assistant.llm.LLMAnswerer``)."""

    def stream(self, request: AnswerRequest) -> AnswerStream:
        """The answer to ``request.question``, streamed."""
        ...


def content_words(text: str) -> set[str]:
    """Folded words of ``text`` that carry its topic."""
    return {fold(w) for w in text_content_words(text)}


#: Weight of a passage's rank among the hits (best gets all of it, the last almost none).
RANK_WEIGHT = 0.02
#: Added to a sentence in the question's language: an answer should read in one language.
SAME_LANGUAGE = 0.03
#: Weight of the share of the question's words (and their aliases) a sentence has.
WORD_OVERLAP_WEIGHT = 0.05
#: Added to a sentence that gives the kind of fact the question asks for (a duration, an
#: amount of money): "how long" is answered by the sentence with the years in it.
KIND_BONUS = 0.04
#: Added, for "what is X?", to a sentence that spells out the term X with its abbreviation:
#: that is where a text defines it.
DEFINITION_BONUS = 0.03
#: Items of a list (or rows of a table) quoted with the one chosen, at most: "What tools...?"
#: is answered by the list, not by its first item.
LIST_ITEMS = 6
#: Added to a list item when the question asks for several things ("which tools", "những gì").
LIST_BONUS = 0.02
#: Taken off a sentence about the text itself rather than its subject ("This guide walks
#: through...", "Trong bài viết này...", a web page's search-keyword line): not an answer.
META_PENALTY = 0.03
_META = re.compile(
    r"\b(?:this (?:article|guide|post|page)|in this (?:article|guide|post)|"
    r"bai viet nay|trong bai viet|tu khoa|keywords?|gg search|google search)\b"
)


#: Asked how to become one (``question.asks_way_in``), a sentence nearer to ``WAY_IN`` than
#: the other candidates are gains this times the difference. A job's name alone pulls the
#: question towards the sentences that define it.
WAY_IN_WEIGHT = 2.0

#: Weight of how generic a sentence is within its document (``Searcher.generality``), taken
#: off its score: an introduction that names the question's words is no answer to it.
GENERIC_PENALTY = 0.5


class Scored(NamedTuple):
    """A candidate sentence for the answer."""

    score: float
    chunk_id: str
    text: str
    vector: np.ndarray
    n: int  # its position among its passage's sentences
    line: int = 0  # the line of its passage it starts on


@dataclass
class _Layout:
    """Where the sentences of the passages an answer may quote stand in them."""

    items: dict[str, dict[int, str]]  # list items (and table rows) by passage and number
    ends: dict[str, int] = field(default_factory=dict)  # each passage's last sentence
    lines: dict[tuple[str, int], int] = field(default_factory=dict)  # each sentence's line
    openings: dict[str, str] = field(default_factory=dict)  # each passage's first sentence
    #: each passage's document, section and number (``_place_of``), and back
    places: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    at: dict[tuple[str, str, int], str] = field(default_factory=dict)

    def place(self, hits: list[Hit]) -> None:
        """Where the passages of ``hits`` stand in their documents."""
        for hit in hits:
            chunk_id, place = str(hit.document.id), _place_of(hit)
            self.places[chunk_id] = place
            self.at[place] = chunk_id

    def beside(self, chunk_id: str, step: int) -> str:
        """The passage ``step`` after ``chunk_id`` in its document and section, if placed."""
        path, section, chunk = self.places[chunk_id]
        return self.at.get((path, section, chunk + step), "")

    def add(self, chunk_id: str, text: str, meta: dict[str, Any]) -> None:
        n = int(meta.get("n", 0))
        self.ends[chunk_id] = max(self.ends.get(chunk_id, 0), n)
        self.lines[(chunk_id, n)] = int(meta.get("line", 0))
        if n == 0:
            self.openings[chunk_id] = text
        if meta.get("item"):
            self.items.setdefault(chunk_id, {})[n] = text


class ExtractiveAnswerer:
    """Quotes the sentences of the top passages that answer the question best.

    The best sentence comes first (it answers the question); the others follow in the order
    their documents give them. Each ends with the [n] of its source, before its full stop.

    Args:
        searcher: gives the sentence vectors stored at index time.
        max_sentences: most sentences quoted.
        margin: a further sentence is quoted only if it scores within this of the best one.
    """

    def __init__(self, searcher: Searcher, max_sentences: int = 3, margin: float = 0.035) -> None:
        self.searcher = searcher
        self.max_sentences = max_sentences
        self.margin = margin

    def answer(
        self,
        query: Query,
        hits: list[Hit],
        language: str | None = None,
        kind: str | None = None,
        said: Collection[str] = (),
        sides: Sequence[Callable[[str], bool]] = (),
        gives: Callable[[str], bool] | None = None,
    ) -> Answer:
        """Compose the answer from ``hits`` (best first); ``kind``: the kind of fact asked;
        ``gives``: whether a sentence gives a fact of the topic asked (``Topics.fact_test``);
        ``said``: sentences an answer to another part of the question quotes already;
        ``sides``: for a comparison, whether a sentence names each thing compared; then only
        where a passage sets them side by side is quoted (``side_by_side``)."""
        language = language or detect_language(query.text)
        if not hits:
            return Answer(
                NO_PASSAGES.get(language, NO_PASSAGES["en"]), [], abstained=True, language=language
            )
        rank = {str(h.document.id): r for r, h in enumerate(hits)}
        aliases = self.searcher.aliases
        question = query.standalone
        # The roles the question is about; a sentence about only other roles is off.
        named = aliases.entities(question)
        titles = named & aliases.titles
        roles = self.searcher.index.lexical.roles
        asked_roles = set(roles_named(question, roles))
        reached = roles_reached(question, aliases, roles)
        asked = content_words(question + " " + " ".join(aliases.expansions(question)))
        duties = asks_duties(question)
        if not duties and not asks_definition(question):
            # Every sentence about a role names it: what it is asked about the role is what
            # tells them apart ("what langs do automation engineers code in": "code"). What
            # a role is or does is asked by its name alone.
            about = subject_words(aliases, named, asked_roles)
            asked = {w for w in asked if w not in about} or asked
        # Rare words weigh more: "QBR" tells the sentence about a CSM interview from the
        # others, "ask" does not.
        rarity = self.searcher.index.lexical.rarity
        weights = {w: rarity(w) for w in asked}
        total = sum(weights.values()) or 1.0
        # A passage that names none of the terms it names is about something else ("ISTQB co
        # can thiet ko" is not answered by another career's list of skills).
        off_topic = {
            str(h.document.id) for h in hits if named and not aliases.entities(h.context) & named
        }
        # Nor one from a document that never names the place asked about ("per month in
        # Vietnam" is not answered by a table of US salaries), or never names the role or
        # term asked about ("can I be a bank teller without a degree?" is not answered from
        # the real estate agent's article) or an uncommon name it asks about ("journeyman"),
        # while another document does.
        elsewhere = self.searcher.elsewhere(
            hits,
            self.searcher.places(question),
            named,
            asked_roles,
            self.searcher.subject_names(question, language),
        )
        if len(elsewhere) == len(hits):
            elsewhere = set()
        defined = (
            [t for g in titles for t in aliases.groups[g]] if asks_definition(question) else []
        )
        wants_list = asks_for_a_list(question)
        # What a term is, is answered by a sentence about all of it; anything else by a fact,
        # not by one that sums up the whole document.
        generic: dict[tuple[str, int], float] = {}
        if not asks_definition(question):
            for path in {str(h.document.metadata.get("path")) for h in hits}:
                generic.update(self.searcher.generality(path).sentences)
        scored: list[Scored] = []
        onward: set[tuple[str, int]] = set()  # sentences about reaching another role
        items: dict[str, dict[int, str]] = {}
        repeated = False
        layout = _Layout(items)
        layout.place(hits)
        way_in = asks_way_in(question)
        for chunk_id, text, meta, vec in self.searcher.sentences(list(rank)):
            layout.add(chunk_id, text, meta)
            if chunk_id in elsewhere:
                continue
            if text in said or (said and chunk_id in off_topic):
                # Each part of a question adds what the others did not say, about its subject.
                repeated = True
                continue
            score = float(vec @ query.vector)
            score += RANK_WEIGHT * (len(hits) - rank[chunk_id]) / len(hits)
            if meta.get("language") == language:
                score += SAME_LANGUAGE
            if asked:
                shared = asked & content_words(text)
                score += WORD_OVERLAP_WEIGHT * sum(weights[w] for w in shared) / total
            if (kind and kind in fact_kinds(text)) or (gives is not None and gives(text)):
                score += KIND_BONUS
            if defined and sum(fold(t) in fold(text) for t in defined) >= 2:
                score += DEFINITION_BONUS
            if wants_list and meta.get("item"):
                score += LIST_BONUS
            if _META.search(fold(text)):
                score -= META_PENALTY
            score -= GENERIC_PENALTY * generic.get((chunk_id, int(meta.get("n", 0))), 0.0)
            if chunk_id in off_topic:
                score -= OTHER_TITLE_PENALTY
            if reached and roles_left(text, aliases, roles) & reached:
                score -= ONWARD_PENALTY
            if way_in and reached and roles_reached(text, aliases, roles) - reached:
                onward.add((chunk_id, int(meta.get("n", 0))))
            if titles:
                # About another title: the first one it names is not asked ("AD's work is the
                # opposite of the AE's" is about the AD).
                first = aliases.first_title(text)
                if first is not None and first not in titles:
                    score -= OTHER_TITLE_PENALTY
            elif asked_roles:
                named_roles = set(roles_named(text, roles))
                if named_roles and not named_roles & asked_roles:
                    score -= OTHER_TITLE_PENALTY
            scored.append(
                Scored(score, chunk_id, text, vec, int(meta.get("n", 0)), int(meta.get("line", 0)))
            )
        if way_in and scored:
            scored = self._by_way_in(scored, onward)
        scored.sort(key=lambda s: s.score, reverse=True)
        chosen = side_by_side(scored, sides) if sides else self._best(scored, hits)
        if not chosen and (repeated or sides):  # all of it said elsewhere, or nothing to add
            return Answer("", [], language=language)
        if not scored:  # passages with no quotable sentence: quote the best passage itself
            best = hits[0]
            return Answer(
                _cited(best.document.page_content.strip(), 1),
                [Source.from_hit(best)],
                language=language,
            )
        by_id = {str(h.document.id): h for h in hits}
        chosen = _with_antecedent(_in_runs(chosen[:1] + _reading_order(chosen[1:], by_id)), scored)
        if kind or duties:
            chosen = self._with_sequel(chosen, scored, kind, titles, items)
        chosen = self._with_what_they_introduce(chosen, scored, items)
        hits = hits + self._next_passages(chosen, layout, hits, query)
        by_id.update((str(h.document.id), h) for h in hits)
        numbers: dict[str, int] = {}
        # (passage, text, its last sentence, whether it is a lead-in and what it introduces)
        pieces: list[tuple[str, str, int, bool]] = []
        quoted: dict[str, list[str]] = {}
        listed: set[tuple[str, int]] = set()
        for item in chosen:
            if (item.chunk_id, item.n) in listed:
                continue  # already quoted as part of its list
            cut = [] if item.n in items.get(item.chunk_id, {}) else _cut_off(item, layout)
            runs = _list_runs(item, layout) or [(item.chunk_id, [(item.n, item.text)]), *cut]
            for chunk_id, run in runs:
                listed.update((chunk_id, n) for n, _ in run)
                # A sentence cut off goes on in the next quote, with no stop between them.
                if cut and chunk_id == item.chunk_id:
                    text = run[0][1]
                else:
                    text = " ".join(_stopped(t) for _, t in run)
                numbers.setdefault(chunk_id, len(numbers) + 1)
                quoted.setdefault(chunk_id, []).extend(t for _, t in run)
                before, said, end, leads = pieces[-1] if pieces else ("", "", -1, False)
                if leads and before == chunk_id and end == run[0][0] - 1:
                    pieces[-1] = (before, f"{said} {text}", run[-1][0], True)  # with its lead-in
                else:
                    pieces.append((chunk_id, text, run[-1][0], _leads_in(text)))
        answer = " ".join(_cited(without_attribution(t), numbers[c]) for c, t, _, _ in pieces)
        sources = [Source.from_hit(by_id[c], tuple(quoted[c])) for c in numbers]
        return Answer(answer, sources, language=language)

    def _by_way_in(self, scored: list[Scored], onward: set[tuple[str, int]]) -> list[Scored]:
        """``scored``, each plus ``WAY_IN_WEIGHT`` times how much nearer it is to ``WAY_IN``
        than the median candidate; a sentence in ``onward`` (about reaching another role than
        the one asked about: "the AE becomes an AM after 2-3 years" is no way to become an AE)
        gains nothing."""
        prototypes = self.searcher.prototypes(WAY_IN)
        near = [float(np.max(prototypes @ s.vector)) for s in scored]
        middle = float(np.median(near))
        out = []
        for s, n in zip(scored, near, strict=True):
            bonus = WAY_IN_WEIGHT * (n - middle)
            if (s.chunk_id, s.n) in onward:
                bonus = min(bonus, 0.0)
            out.append(s._replace(score=s.score + bonus))
        return out

    def _next_passages(
        self, chosen: list[Scored], layout: _Layout, hits: list[Hit], query: Query
    ) -> list[Hit]:
        """The passages next to the chosen sentences' that are not among ``hits`` and that
        the sentences may go on in: a list item's, when its passage opens or ends with an
        item; a sentence's that ends its passage without a stop (cut off). They are added to
        ``layout``."""
        wanted: dict[str, set[int]] = {}
        for item in chosen:
            own = layout.items.get(item.chunk_id, {})
            path, _, chunk = layout.places[item.chunk_id]
            if item.n in own and 0 in own:
                wanted.setdefault(path, set()).add(chunk - 1)
            last = item.n == layout.ends.get(item.chunk_id)
            if last and (item.n in own or not _stopped_already(item.text)):
                wanted.setdefault(path, set()).add(chunk + 1)
        have = {(p, c) for p, _, c in layout.places.values()}
        found: list[Hit] = []
        for path, chunks in wanted.items():
            missing = sorted(c for c in chunks if c >= 0 and (path, c) not in have)
            found.extend(self.searcher.passages_at(path, missing, query))
        layout.place(found)
        for chunk_id, text, meta, _ in self.searcher.sentences([str(h.document.id) for h in found]):
            layout.add(chunk_id, text, meta)
        return found

    def _best(self, scored: list[Scored], hits: list[Hit]) -> list[Scored]:
        """The best sentences (``scored`` best first) within the margin of the best one, from
        at most ``max_sentences`` places: two sentences in a row of one passage are one place,
        the second often going on with the first ("The AE is the entry level of account
        management. It is the most basic position ...")."""
        chosen: list[Scored] = []
        for item in scored:
            if _places(chosen) == self.max_sentences or item.score < scored[0].score - self.margin:
                break
            # Skip a sentence that says what a chosen one says (often its translation).
            if any(
                float(item.vector @ c.vector) > REDUNDANT or item.text == c.text for c in chosen
            ):
                continue
            if _places([*chosen, item]) > self.max_sentences:
                continue  # only one next to a chosen sentence fits
            chosen.append(item)
        # The passage retrieval ranks first (on the whole passage, its words and its subject)
        # is quoted too, when its best sentence is not far behind: sentences scored alone
        # can all come from a list that names the question's words.
        top = str(hits[0].document.id)
        if chosen and all(c.chunk_id != top for c in chosen):
            lead = next((x for x in scored if x.chunk_id == top), None)
            if (
                lead is not None
                and lead.score >= scored[0].score - 2 * self.margin
                and not any(float(lead.vector @ c.vector) > REDUNDANT for c in chosen)
            ):
                chosen = [*chosen[: self.max_sentences - 1], lead]
        return chosen

    def _with_what_they_introduce(
        self, chosen: list[Scored], scored: list[Scored], items: dict[str, dict[int, str]]
    ) -> list[Scored]:
        """The chosen sentences, each that says nothing by itself followed by what it
        introduces in its passage:
        - a label ("KAM (Key Account Manager).", a glossary line's label): the next
          sentence;
        - a lead-in ("Các đầu việc của người account như sau:"): the lines after it, one
          sentence each, up to ``LIST_ITEMS`` (a list marked as one is quoted whole anyway).
        """
        following = {(s.chunk_id, s.n): s for s in scored}
        out: list[Scored] = []
        for item in chosen:
            out.append(item)
            if item.n in items.get(item.chunk_id, {}):
                continue
            after = following.get((item.chunk_id, item.n + 1))
            if after is None:
                continue
            sequel: list[Scored] = []
            if self._only_names(item.text):
                sequel = [after]
            elif _leads_in(item.text):
                line = item.line
                while after is not None and after.line > line and len(sequel) < LIST_ITEMS:
                    sequel.append(after)
                    if after.n in items.get(after.chunk_id, {}):
                        break  # a marked list: quoted whole from its first item
                    line = after.line
                    after = following.get((after.chunk_id, after.n + 1))
            out.extend(s for s in sequel if s not in chosen and s not in out)
        return out

    def _only_names(self, sentence: str) -> bool:
        """Whether ``sentence`` says nothing but the names of terms (and their abbreviations)."""
        spans = self.searcher.aliases.mentions(sentence, titles_only=False)
        if not spans:
            return False
        rest = sentence
        for start, end in reversed(spans):
            rest = f"{rest[:start]} {rest[end:]}"
        return not content_words(rest)

    def _with_sequel(
        self,
        chosen: list[Scored],
        scored: list[Scored],
        kind: str | None,
        titles: set[int],
        items: dict[str, dict[int, str]],
    ) -> list[Scored]:
        """The chosen sentences, the best followed by the next sentence of its passage when
        that one gives the kind of fact asked too (``kind``; any, asked what a role does) and
        is about no other title: a worked example's figures run over two sentences ("... the
        brokerage receives $10,000. With a 70/30 split, the agent keeps $7,000"), and what a
        role does goes on after what it is ("A DevOps engineer builds and runs the systems
        that take code ... to production. They automate builds, tests and deployments ...")."""
        best = chosen[0]
        sequel = next(
            (s for s in scored if s.chunk_id == best.chunk_id and s.n == best.n + 1), None
        )
        if (
            sequel is None
            or sequel in chosen
            or (kind is not None and kind not in fact_kinds(best.text))
            or (kind is not None and kind not in fact_kinds(sequel.text))
            or any(s.n in items.get(s.chunk_id, {}) for s in (best, sequel))
        ):
            return chosen
        first = self.searcher.aliases.first_title(sequel.text)
        if titles and first is not None and first not in titles:
            return chosen
        return [best, sequel, *chosen[1:]]  # one more: no chosen sentence is lost for it


_ATTRIBUTION = (
    r'(?:according to (?:the|this) (?:article|source|guide)|theo bài viết)(?:\s*"[^"]*")?'
)
_UNATTRIBUTED = (
    (re.compile(rf"\s*\(\s*{_ATTRIBUTION}\s*\)", re.IGNORECASE), ""),
    (re.compile(rf",\s*{_ATTRIBUTION}\s*(?=[,.:;!?]|$)", re.IGNORECASE), ""),
    (re.compile(rf"^\s*{_ATTRIBUTION}\s*[,;:]?\s*", re.IGNORECASE), ""),
    (re.compile(rf"\s+{_ATTRIBUTION}(?=\s*[:.,;!?]|$)", re.IGNORECASE), ""),
)


def without_attribution(sentence: str) -> str:
    """The sentence without "according to the article" / "theo bài viết": where a fact
    comes from is what its citation says, so the answer does not repeat it in every quote."""
    text = sentence
    for pattern, replacement in _UNATTRIBUTED:
        text = pattern.sub(replacement, text)
    text = text.strip()
    if not text:
        return sentence
    return text[0].upper() + text[1:] if text != sentence else text


def subject_words(aliases: Aliases, groups: set[int], roles: set[str]) -> set[str]:
    """The folded words of the alias ``groups`` (all their spellings) and the ``roles`` a
    question names (``subject_names``): whom it asks about, not what."""
    return {w for name in subject_names(aliases, groups, roles) for w in fold(name).split()}


def side_by_side(scored: list[Scored], sides: Sequence[Callable[[str], bool]]) -> list[Scored]:
    """Where a passage sets the things compared side by side, best first in ``scored``: a
    sentence that names each of them ("AE chủ yếu thực thi, còn AD chủ yếu ra quyết định"),
    or one that names some and the next or the one before that names the rest ("SEO
    Executive chủ yếu làm theo kế hoạch có sẵn. SEO Specialist thì tự xây dựng chiến
    lược..."), in the passage's order; none if no passage does."""
    named = {
        (s.chunk_id, s.n): {i for i, names in enumerate(sides) if names(s.text)} for s in scored
    }
    at = {(s.chunk_id, s.n): s for s in scored}
    every = set(range(len(sides)))
    for item in scored:
        own = named[(item.chunk_id, item.n)]
        if own == every:
            return [item]
        if not own:
            continue
        for n in (item.n + 1, item.n - 1):
            other = at.get((item.chunk_id, n))
            if other is not None and own | named[(item.chunk_id, n)] == every:
                return sorted([item, other], key=lambda s: s.n)
    return []


def _leads_in(sentence: str) -> bool:
    """Whether ``sentence`` introduces what follows it ("... như sau:", "The steps are:")."""
    return sentence.rstrip().endswith(":")


def _list_run(items: dict[int, str], n: int) -> list[tuple[int, str]]:
    """The list a list item belongs to, from its first item, at most ``LIST_ITEMS`` of them
    (the chosen one always among them); empty for a sentence that is not an item."""
    if n not in items:
        return []
    first = n
    while first - 1 in items and n - (first - 1) < LIST_ITEMS:
        first -= 1
    run: list[tuple[int, str]] = []
    at = first
    while at in items and len(run) < LIST_ITEMS:
        run.append((at, items[at]))
        at += 1
    return run


def _list_runs(item: Scored, layout: _Layout) -> list[tuple[str, list[tuple[int, str]]]]:
    """The list ``item`` belongs to (``_list_run``), passage by passage: a list longer than a
    passage is cut between its lines, and goes on in the passage before (when this one opens
    with an item) or after (when this one ends with one) under the same heading, if that
    passage is placed in ``layout``; whole items of it, up to ``LIST_ITEMS`` items (the sentences
    of an item share a line). Empty for a sentence that is not an item."""
    items, ends, lines = layout.items, layout.ends, layout.lines
    run = _list_run(items.get(item.chunk_id, {}), item.n)
    if not run:
        return []
    runs = [(item.chunk_id, run)]
    count = len({lines.get((item.chunk_id, n)) for n, _ in run})

    def whole_items(chunk_id: str, ns: Iterator[int]) -> list[tuple[int, str]]:
        """The sentences numbered ``ns`` in turn while they are items, up to the cap."""
        nonlocal count
        own, taken, line = items.get(chunk_id, {}), [], None
        for n in ns:
            if n not in own:
                break
            if lines.get((chunk_id, n)) != line:
                if count == LIST_ITEMS:
                    break
                count, line = count + 1, lines.get((chunk_id, n))
            taken.append((n, own[n]))
        return taken

    while runs[0][1][0][0] == 0:  # the passage opens with an item
        before = layout.beside(runs[0][0], -1)
        tail = whole_items(before, iter(range(ends.get(before, -1), -1, -1)))
        if not tail:
            break
        runs.insert(0, (before, tail[::-1]))
    while runs[-1][1][-1][0] == ends.get(runs[-1][0]):  # the passage ends with an item
        after = layout.beside(runs[-1][0], 1)
        head = whole_items(after, itertools.count())
        if not head:
            break
        runs.append((after, head))
    return runs


def _cut_off(item: Scored, layout: _Layout) -> list[tuple[str, list[tuple[int, str]]]]:
    """Where a sentence cut off at the end of its passage (a sentence longer than a passage
    is cut between its words) goes on: the next passage of its document, when it opens in
    lower case ("..., take ownership of small projects," then "and ask for feedback.")."""
    if item.n != layout.ends.get(item.chunk_id) or _stopped_already(item.text):
        return []
    after = layout.beside(item.chunk_id, 1)
    opening = layout.openings.get(after, "")
    return [(after, [(0, opening)])] if opening[:1].islower() else []


def _stopped_already(sentence: str) -> bool:
    """Whether ``sentence`` ends as a sentence does (a stop, maybe inside a closing quote)."""
    core = sentence.rstrip().rstrip("\"'”’)]")  # a stop may stand inside a closing quote
    return bool(core) and core[-1] in ".!?…:;"


def _place_of(hit: Hit) -> tuple[str, str, int]:
    """A passage's document, section and number."""
    meta = hit.document.metadata
    return str(meta.get("path")), str(meta.get("section", "")), int(meta.get("chunk", 0))


def _stopped(sentence: str) -> str:
    """The sentence with a full stop when it has none: list items are often written without,
    and quoted one after another they would run together."""
    body = sentence.rstrip()
    return body if not body or _stopped_already(body) else f"{body}."


def _cited(text: str, n: int) -> str:
    """The sentence with its marker before the closing punctuation: "It takes 2 years [1]."."""
    body = text.rstrip()
    end = len(body)
    while end and body[end - 1] in ".!…:;":
        end -= 1
    return f"{body[:end]} [{n}]{body[end:]}" if end else f"{body} [{n}]"


def combine(answers: list[Answer], language: str, headings: Sequence[str] = ()) -> Answer:
    """One answer from the answers to the parts of a question, sources renumbered (a passage
    two parts cite is listed once, with the sentences both quote). With ``headings`` (the
    sides of a question about two things), each answer is headed with its own and set a
    blank line apart, and a side refused says only what its sources lack when the other
    side is answered."""
    sources: list[Source] = []
    texts: list[str] = []
    answered = not all(a.abstained for a in answers)
    for i, answer in enumerate(answers):
        numbers: dict[str, str] = {}
        for n, source in enumerate(answer.sources, 1):
            same = next(
                (
                    i
                    for i, s in enumerate(sources)
                    if (s.path, s.chunk) == (source.path, source.chunk)
                ),
                None,
            )
            if same is None:
                sources.append(source)
                same = len(sources) - 1
            else:
                quotes = tuple(dict.fromkeys(sources[same].quotes + source.quotes))
                sources[same] = replace(sources[same], quotes=quotes)
            numbers[str(n)] = str(same + 1)
        if not answer.answer:
            continue
        text = _MARKER.sub(
            lambda m, table=numbers: f"[{table[m.group(1)]}]",  # type: ignore[misc]
            answer.answer,
        )
        if answer.abstained and headings and answered:
            text = _SENTENCE_END.split(text)[0]  # "I don't know: ... hours" without the offer
        elif answer.abstained:  # two refusals say once what they share ("I can answer ...")
            said = {s for t in texts for s in _SENTENCE_END.split(t)}
            text = " ".join(s for s in _SENTENCE_END.split(text) if s not in said)
        if text and headings:
            text = f"{headings[i]}: {text}"
        if text:
            texts.append(text)
    return Answer(
        ("\n\n" if headings else " ").join(texts),
        sources,
        abstained=not answered,
        language=language,
    )


_MARKER = re.compile(r"\[(\d+)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _places(chosen: list[Scored]) -> int:
    """How many places of the sources ``chosen`` quotes: runs of sentences in a row of one
    passage."""
    at = {(c.chunk_id, c.n) for c in chosen}
    return sum((chunk_id, n - 1) not in at for chunk_id, n in at)


#: A sentence that opens with one of these goes on from the one before it ("It is the most
#: basic position..."): it cannot open an answer alone.
_GOES_ON = re.compile(
    r"^(?:it|its|this|that|these|those|they|their|he|she|his|her|dieu nay|dieu do|do do|"
    r"vi vay)\b"
)


def _with_antecedent(chosen: list[Scored], scored: list[Scored]) -> list[Scored]:
    """``chosen``, with the sentence before the first one put before it when the first opens
    with a word that points back to it ("The AE is the entry level. It is the most basic
    position...")."""
    if not chosen or not _GOES_ON.match(fold(chosen[0].text)):
        return chosen
    first = chosen[0]
    before = next((s for s in scored if s.chunk_id == first.chunk_id and s.n == first.n - 1), None)
    if before is None or any(c is before for c in chosen):
        return chosen
    return [before, *chosen]


def _in_runs(chosen: list[Scored]) -> list[Scored]:
    """``chosen`` with each sentence that goes on from another chosen one (the next in its
    passage) right after it; the first stays first."""
    at = {(c.chunk_id, c.n): c for c in chosen}
    out: list[Scored] = []
    for i, item in enumerate(chosen):
        if i and (item.chunk_id, item.n - 1) in at:
            continue  # placed after the sentence it goes on from
        out.append(item)
        n = item.n + 1
        while (item.chunk_id, n) in at and at[(item.chunk_id, n)] is not chosen[0]:
            out.append(at[(item.chunk_id, n)])
            n += 1
    return out


def _reading_order(chosen: list[Scored], by_id: dict[str, Hit]) -> list[Scored]:
    """Sentences of one document in the order the document gives them; documents in the order
    of their best sentence, so the answer reads as the sources do."""
    documents: list[str] = []
    for item in chosen:
        path = str(by_id[item.chunk_id].document.metadata.get("path", ""))
        if path not in documents:
            documents.append(path)

    def key(item: Scored) -> tuple[int, int, int]:
        meta = by_id[item.chunk_id].document.metadata
        return (documents.index(str(meta.get("path", ""))), int(meta.get("chunk", 0)), item.n)

    return sorted(chosen, key=key)
