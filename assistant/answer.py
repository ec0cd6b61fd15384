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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from .retrieval import Hit, Query, Searcher
from .text import content_words as text_content_words
from .text import detect_language, fold

REFUSAL = {
    "en": ("I don't know: my sources do not cover that question. I can answer questions about "
           "account management careers in advertising agencies: what an Account Executive (AE), "
           "Account Manager (AM) or Account Director (AD) does, and how the career progresses."),
    "vi": ("Tôi không biết: các nguồn của tôi không đề cập đến câu hỏi này. Tôi có thể trả lời "
           "các câu hỏi về nghề account trong agency quảng cáo: Account Executive (AE), "
           "Account Manager (AM), Account Director (AD) làm gì và lộ trình thăng tiến."),
}
#: The refusal when the question asks for a kind of fact no source gives ({about}: its name).
REFUSAL_ABOUT = {
    "en": ("I don't know: my sources say nothing about {about}. I can answer questions about "
           "account management careers in advertising agencies: what an Account Executive (AE), "
           "Account Manager (AM) or Account Director (AD) does, and how the career progresses."),
    "vi": ("Tôi không biết: các nguồn của tôi không nói gì về {about}. Tôi có thể trả lời "
           "các câu hỏi về nghề account trong agency quảng cáo: Account Executive (AE), "
           "Account Manager (AM), Account Director (AD) làm gì và lộ trình thăng tiến."),
}
SOURCES_HEADING = {"en": "Sources", "vi": "Nguồn"}
#: Sentences this similar say the same thing (often a note and its translation): quote one.
REDUNDANT = 0.95
#: Taken off a sentence that names only job titles other than those the question names.
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
        return cls(path=str(meta.get("path", "")), title=str(meta.get("title", "")),
                   chunk=int(meta.get("chunk", 0)), score=round(float(hit.dense), 4),
                   text=hit.document.page_content, url=str(meta.get("source", "")),
                   kind=str(meta.get("kind", "article")),
                   language=str(meta.get("language", "")), quotes=quotes)


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
        return {"answer": self.answer, "abstained": self.abstained, "notice": self.notice,
                "language": self.language, "sources": [s.to_dict() for s in self.sources]}

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
    """

    question: str
    hits: list[Hit]
    language: str
    notice: str | None
    history: Sequence[str]
    search: Callable[[str], list[Hit] | None]
    fallback: Callable[[str, list[Hit]], Answer]


class Generator(Protocol):
    """Writes answers in place of the extractive answerer (``assistant.llm.LLMAnswerer``)."""

    def stream(self, request: AnswerRequest) -> AnswerStream:
        """The answer to ``request.question``, streamed."""
        ...


def content_words(text: str) -> set[str]:
    """Folded words of ``text`` that carry its topic."""
    return {fold(w) for w in text_content_words(text)}


class ExtractiveAnswerer:
    """Quotes the sentences of the top passages that answer the question best.

    Args:
        searcher: gives the sentence vectors stored at index time.
        max_sentences: most sentences quoted.
        margin: a further sentence is quoted only if it scores within this of the best one.
    """

    def __init__(self, searcher: Searcher, max_sentences: int = 3, margin: float = 0.035) -> None:
        self.searcher = searcher
        self.max_sentences = max_sentences
        self.margin = margin

    def answer(self, query: Query, hits: list[Hit], language: str | None = None) -> Answer:
        """Compose the answer from ``hits`` (best first)."""
        language = language or detect_language(query.text)
        if not hits:
            return Answer(REFUSAL[language], [], abstained=True, language=language)
        rank = {str(h.document.id): r for r, h in enumerate(hits)}
        aliases = self.searcher.aliases
        question = query.standalone
        asked = content_words(question + " " + " ".join(aliases.expansions(question)))
        # The job titles the question is about; a sentence about only other titles is off.
        titles = aliases.entities(question)
        scored: list[tuple[float, str, str, np.ndarray, int]] = []
        for chunk_id, text, meta, vec in self.searcher.sentences(list(rank)):
            score = float(vec @ query.vector)
            score += 0.02 * (len(hits) - rank[chunk_id]) / len(hits)
            if meta.get("language") == language:
                score += 0.03
            if asked:
                score += 0.05 * len(asked & content_words(text)) / len(asked)
            if titles:
                named = aliases.entities(text)
                if named and not named & titles:
                    score -= OTHER_TITLE_PENALTY
            scored.append((score, chunk_id, text, vec, int(meta.get("n", 0))))
        if not scored:  # passages with no quotable sentence: quote the best passage itself
            best = hits[0]
            return Answer(f"{best.document.page_content.strip()} [1]", [Source.from_hit(best)],
                          language=language)
        scored.sort(key=lambda s: s[0], reverse=True)
        chosen: list[tuple[float, str, str, np.ndarray, int]] = []
        for item in scored:
            if len(chosen) == self.max_sentences or item[0] < scored[0][0] - self.margin:
                break
            # Skip a sentence that says what a chosen one says (often its translation).
            if any(float(item[3] @ c[3]) > REDUNDANT or item[2] == c[2] for c in chosen):
                continue
            chosen.append(item)
        by_id = {str(h.document.id): h for h in hits}
        chosen = _reading_order(chosen, by_id)
        numbers: dict[str, int] = {}
        pieces: list[str] = []
        for _, chunk_id, text, _, _ in chosen:
            n = numbers.setdefault(chunk_id, len(numbers) + 1)
            pieces.append(f"{text} [{n}]")
        quoted: dict[str, list[str]] = {}
        for _, chunk_id, text, _, _ in chosen:
            quoted.setdefault(chunk_id, []).append(text)
        sources = [Source.from_hit(by_id[c], tuple(quoted[c])) for c in numbers]
        return Answer(" ".join(pieces), sources, language=language)


def _reading_order(chosen: list[tuple[float, str, str, np.ndarray, int]],
                   by_id: dict[str, Hit]) -> list[tuple[float, str, str, np.ndarray, int]]:
    """Sentences of one document in the order the document gives them; documents in the order
    of their best sentence, so the answer reads as the sources do."""
    documents: list[str] = []
    for item in chosen:
        path = str(by_id[item[1]].document.metadata.get("path", ""))
        if path not in documents:
            documents.append(path)

    def key(item: tuple[float, str, str, np.ndarray, int]) -> tuple[int, int, int]:
        meta = by_id[item[1]].document.metadata
        return (documents.index(str(meta.get("path", ""))), int(meta.get("chunk", 0)), item[4])

    return sorted(chosen, key=key)
