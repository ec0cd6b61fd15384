"""Citation markers in a model's reply: cleaned while it streams, and added where a sentence
copies a passage without citing it.

A reply cites its *sources*, the passages the model was given (numbered ``1..n`` in the
prompt), with ``[n]`` markers. ``CitationFilter`` removes the markers that point at no source
and renumbers the others in order of first citation, so that the answer's sources are exactly
the cited passages; ``source_support`` finds the passage an uncited sentence copies from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .answer import content_words
from .retrieval import Hit

__all__ = ["CitationFilter", "clean_citations", "source_support"]

_MARKER = re.compile(
    r"\[\s*(?:(?:source|nguồn|nguon)\s*)?(\d{1,3})"
    r"((?:\s*[,;]\s*(?:(?:source|nguồn|nguon)\s*)?\d{1,3})*)\s*\]",
    re.IGNORECASE,
)
_LONGEST_MARKER = 40  # a "[" with no matching "]" within this many characters is plain text
_SENTENCE_END = frozenset(".!?…")


class CitationFilter:
    """Cleans the ``[n]`` markers of a reply as it streams in.

    Markers that point at no source (``n`` outside ``1..sources``) are removed with the space
    before them; the others are renumbered in order of first citation, so that source ``k`` of
    the answer is the ``k``-th distinct passage cited. ``[1, 3]`` becomes ``[1][2]``. Text is
    released as soon as it cannot be part of a marker; leading and trailing whitespace is
    dropped, so the pieces ``feed`` and ``close`` return add up to the clean answer.

    With ``support``, a sentence the model left uncited gets a marker after it (before the
    space that follows) when ``support(sentence)`` names a source; small models often do not
    cite even when they copy their sources almost word for word.

    Args:
        sources: how many numbered sources the model was given.
        support: gives the number of the source a sentence comes from, or None.

    Example:
        >>> f = CitationFilter(4)
        >>> f.feed("AEs talk to clients [3") + f.feed("]. They [9] plan [1].") + f.close()
        'AEs talk to clients [1]. They plan [2].'
        >>> f.cited
        [3, 1]
    """

    def __init__(self, sources: int, support: Callable[[str], int | None] | None = None) -> None:
        self.sources = sources
        self.support = support
        self.cited: list[int] = []  # source numbers as given to the model, first cited first
        self.text = ""  # everything released so far
        self._raw = ""  # received, not yet released
        self._space = ""  # whitespace released only if text (or a kept marker) follows
        self._started = False
        self._last_char = ""
        self._last_marker: set[int] = set()  # to drop "[1] [1]"
        self._dropped = False  # a marker was just removed
        self._sentence = ""  # the sentence being released
        self._sentence_cited = False
        self._sentence_done = False  # its end was seen; it is settled when the next one starts

    def feed(self, piece: str) -> str:
        """Take the next piece of the reply; return the clean text that is now final."""
        self._raw += piece
        return self._drain(final=False)

    def close(self) -> str:
        """The reply is complete: return the rest of the clean text."""
        released = self._drain(final=True)
        if self._started and self._sentence.strip():
            end = self._settle_sentence()
            self.text += end
            released += end
        return released

    def _drain(self, final: bool) -> str:
        out: list[str] = []
        raw = self._raw
        while raw:
            bracket = raw.find("[")
            if bracket != 0:
                text = raw if bracket < 0 else raw[:bracket]
                raw = "" if bracket < 0 else raw[bracket:]
                self._emit_text(text, out)
                continue
            match = _MARKER.match(raw)
            if match:
                self._emit_marker(match, out)
                raw = raw[match.end() :]
                continue
            closed = "]" in raw[:_LONGEST_MARKER]
            if not final and not closed and len(raw) < _LONGEST_MARKER:
                break  # maybe the start of a marker: wait for more
            if not closed and re.fullmatch(r"\[\s*\d[\d\s,;]*", raw[:_LONGEST_MARKER]):
                raw = raw[1:].lstrip("0123456789 ,;")  # a marker cut off at the end
                continue
            self._emit_text("[", out)
            raw = raw[1:]
        self._raw = raw
        released = "".join(out)
        self.text += released
        return released

    def _emit_text(self, text: str, out: list[str]) -> None:
        for run in re.findall(r"\s+|\S+", text):
            if run.isspace():
                if not self._started:
                    continue
                # The space after a removed marker replaces the one before it.
                self._space = run if self._dropped else self._space + run
                self._dropped = False
                if self._last_char in _SENTENCE_END or "\n" in run:
                    self._sentence_done = True
                continue
            self._started = True
            if self._dropped and run[0] in ".,;:!?)":
                self._space = ""  # "text [9]." -> "text."
            self._dropped = False
            if self._sentence_done:
                out.append(self._settle_sentence())
            out.append(self._space + run)
            self._sentence += self._space + run
            self._space = ""
            self._last_char = run[-1]
            self._last_marker = set()

    def _emit_marker(self, match: re.Match[str], out: list[str]) -> None:
        numbers = [int(match.group(1)), *map(int, re.findall(r"\d+", match.group(2)))]
        kept: list[int] = []
        for n in numbers:
            if 1 <= n <= self.sources and n not in kept and n not in self._last_marker:
                kept.append(n)
        if not kept or not self._started:
            self._dropped = True
            return
        out.append(self._space + "".join(self._number(n) for n in kept))
        self._space = ""
        self._dropped = False
        self._last_char = "]"
        self._last_marker |= set(kept)
        self._sentence_cited = True

    def _number(self, n: int) -> str:
        if n not in self.cited:
            self.cited.append(n)
        return f"[{self.cited.index(n) + 1}]"

    def _settle_sentence(self) -> str:
        """The marker to put after the finished sentence ("" when it needs none)."""
        sentence, cited = self._sentence, self._sentence_cited
        self._sentence, self._sentence_cited, self._sentence_done = "", False, False
        if cited or self.support is None:
            return ""
        n = self.support(sentence)
        if n is None or not 1 <= n <= self.sources:
            return ""
        self._last_marker = {n}
        return " " + self._number(n)


def clean_citations(
    text: str, sources: int, support: Callable[[str], int | None] | None = None
) -> tuple[str, list[int]]:
    """A whole reply with its markers cleaned (see ``CitationFilter``) and the cited numbers."""
    f = CitationFilter(sources, support)
    clean = f.feed(text) + f.close()
    return clean, f.cited


def source_support(
    hits: Sequence[Hit], min_words: int = 4, share: float = 0.6
) -> Callable[[str], int | None]:
    """A ``support`` function for ``CitationFilter``: the passage a sentence copies from.

    A sentence comes from the passage holding the largest part of its content words (folded,
    question words left out), if that part is at least ``share`` and the sentence has at least
    ``min_words`` of them; otherwise from none.
    """
    bags = [
        content_words(f"{h.document.metadata.get('title', '')} {h.document.page_content}")
        for h in hits
    ]

    def support(sentence: str) -> int | None:
        said = content_words(sentence)
        if len(said) < min_words or not bags:
            return None
        best = max(range(len(bags)), key=lambda i: len(said & bags[i]))
        return best + 1 if len(said & bags[best]) >= share * len(said) else None

    return support
