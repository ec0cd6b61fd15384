"""The lexical side of retrieval: a BM25 index (bm25s) over diacritic-folded tokens.

Built once at index time and saved beside the Chroma store; loaded, never rebuilt, per query.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import shutil
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from .terms import (
    learn_glosses,
    learn_initials,
    learn_subjects,
    learn_terms,
    role_heads,
    role_heads_of,
    role_phrases,
)
from .text import fold, lexical_tokens, words

log = logging.getLogger(__name__)

#: A word at most this many passages (or this share of them) hold is rare: the word that makes
#: a role ("UX" designer), a certificate's name, a term worth searching in both languages.
RARE_PASSAGES = 2
RARE_SHARE = 0.02
#: What is learned from the passages (terms, roles, glosses) changes with this; a saved
#: lexical index of another version is built again from the stored passages.
LEARNED = 7
#: ``LexicalIndex.knows`` takes a word of this many letters or more as known when the corpus
#: writes it with an ending of at most ``ENDING`` letters ("renew" in "renewed").
INFLECTED_FROM = 5
ENDING = 3


class LexicalIndex:
    """BM25 over passages; ``scores`` gives one score per passage, in ``ids`` order."""

    def __init__(
        self,
        ids: list[str],
        bm25: object | None,
        accents: dict[str, str] | None = None,
        terms: list[list[str]] | None = None,
        roles: list[str] | None = None,
        glosses: list[list[str]] | None = None,
        subjects: list[list[str]] | None = None,
        initials: dict[str, str] | None = None,
    ) -> None:
        self.ids = ids
        self._bm25 = bm25
        #: the abbreviations the corpus defines, with their long forms (``assistant.terms``)
        self.terms = terms or []
        #: terms glossed in the other language ("hãng tàu (shipping line)"; ``terms.glosses``)
        self.glosses = glosses or []
        #: the glossed names sentences open with to say what they are ("Thợ làm tóc (hair
        #: stylist) là ..."; ``terms.learn_subjects``): what the articles are about
        self.subjects = subjects or []
        #: the Vietnamese phrases typed as their initials ("bhxh"; ``terms.learn_initials``)
        self.initials = initials or {}
        #: "word head" pairs naming roles in the corpus ("media planner"; ``terms.role_phrases``)
        self.roles = frozenset(roles or [])
        #: the head words of those roles ("planner"), for telling a role in a question
        self.heads = role_heads_of(self.roles)
        #: folded word or word pair -> its most frequent written form in the corpus
        self.accents = accents or {}
        vocab = getattr(bm25, "vocab_dict", None) or {}
        #: every word of the corpus, folded and as written
        self.vocabulary = frozenset(w for w in vocab if w)

    def knows(self, word: str) -> bool:
        """Whether the corpus has ``word`` (as written when it has marks, else folded), or a
        word of the same stem ("responsibilities" ~ "responsible")."""
        word = word.lower()
        if word in self.vocabulary:
            return True
        if len(word) >= 6:
            stem = word[:6]
            return any(v.startswith(stem) for v in self.vocabulary)
        # "renew" of "renewed" (a longer word's stem covers its endings already)
        return len(word) >= INFLECTED_FROM and any(
            v.startswith(word) and len(v) - len(word) <= ENDING for v in self.vocabulary
        )

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> LexicalIndex:
        """BM25 over ``texts`` (one per id), with the accent table of their words."""
        if not ids:
            return cls([], None)
        terms = learn_terms(texts)
        return cls.from_tokens(
            ids,
            [lexical_tokens(t) for t in texts],
            _accent_table(texts),
            terms,
            sorted(role_phrases(texts, role_heads(texts, terms))),
            learn_glosses(texts),
            learn_subjects(texts),
            learn_initials(texts),
        )

    @classmethod
    def from_tokens(
        cls,
        ids: list[str],
        tokens: list[list[str]],
        accents: dict[str, str] | None = None,
        terms: list[list[str]] | None = None,
        roles: list[str] | None = None,
        glosses: list[list[str]] | None = None,
        subjects: list[list[str]] | None = None,
        initials: dict[str, str] | None = None,
    ) -> LexicalIndex:
        """BM25 over passages already split into ``lexical_tokens`` (one list per id).

        Without ``accents``, unaccented questions get no diacritics back (``build`` makes the
        table from the texts, and learns the corpus's terms and roles from them).
        """
        if not ids:
            return cls([], None, accents, terms, roles, glosses, subjects, initials)
        bm25 = _bm25s().BM25()
        bm25.index([t or [""] for t in tokens], show_progress=False)
        return cls(ids, bm25, accents, terms, roles, glosses, subjects, initials)

    def restore_accents(self, text: str) -> str:
        """Put back the diacritics a question typed without them, as the corpus writes them.

        Word pairs are looked up first ("bao lau" -> "bao lâu"), then single words.
        """
        written = re.findall(r"\w+", unicodedata.normalize("NFC", text))
        tokens = [w.lower() for w in written]
        out: list[str] = []
        i = 0
        while i < len(tokens):
            pair = f"{tokens[i]} {tokens[i + 1]}" if i + 1 < len(tokens) else None
            if pair and pair == fold(pair) and pair in self.accents:
                restored = self.accents[pair].split(" ")
                n = 2
            else:
                word = tokens[i]
                restored = [self.accents.get(word, word) if word == fold(word) else word]
                n = 1
            # A word left as it is keeps its capitals: "AE", not "ae".
            if len(restored) == n:
                restored = [
                    r if r != w.lower() else w
                    for r, w in zip(restored, written[i : i + n], strict=True)
                ]
            out += restored
            i += n
        return " ".join(out)

    def save(self, folder: Path) -> None:
        """Write to ``folder`` through a temporary folder, so a crash leaves no half index."""
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._bm25 is not None:
            self._bm25.save(str(tmp / "bm25"))  # type: ignore[attr-defined]
        (tmp / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
        (tmp / "accents.json").write_text(
            json.dumps(self.accents, ensure_ascii=False), encoding="utf-8"
        )
        (tmp / "terms.json").write_text(
            json.dumps(
                {
                    "version": LEARNED,
                    "groups": self.terms,
                    "roles": sorted(self.roles),
                    "glosses": self.glosses,
                    "subjects": self.subjects,
                    "initials": self.initials,
                },
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        bm25s = _bm25s()

        ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
        bm25 = bm25s.BM25.load(str(folder / "bm25")) if ids else None
        accents = json.loads((folder / "accents.json").read_text(encoding="utf-8"))
        # An index from before terms were learned has no terms.json: the OSError makes the
        # caller build the lexical side again from the stored passages.
        terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
        if not isinstance(terms, dict) or terms.get("version") != LEARNED:
            raise ValueError(f"{folder / 'terms.json'} is from an older version")
        return cls(
            ids,
            bm25,
            accents,
            terms.get("groups"),
            terms.get("roles"),
            terms.get("glosses"),
            terms.get("subjects"),
            terms.get("initials"),
        )

    def _postings(self, word: str) -> tuple[Any, int, int] | None:
        """The passage indices array of the BM25 matrix and where ``word``'s run in it
        starts and ends, or None for a word no passage holds."""
        vocab = getattr(self._bm25, "vocab_dict", None) or {}
        matrix = getattr(self._bm25, "scores", None)
        token = vocab.get(fold(word.lower()))
        if token is None or not isinstance(matrix, dict):
            return None
        indptr = matrix["indptr"]
        return matrix["indices"], int(indptr[token]), int(indptr[token + 1])

    def held(self, word: str) -> int:
        """How many passages hold ``word`` (folded)."""
        found = self._postings(word)
        return 0 if found is None else found[2] - found[1]

    def holding(self, word: str) -> list[str]:
        """The ids of the passages that hold ``word`` (folded)."""
        found = self._postings(word)
        if found is None:
            return []
        indices, start, end = found
        return [self.ids[int(i)] for i in indices[start:end]]

    def is_rare(self, word: str) -> bool:
        """Whether some passages hold ``word``, but no more than ``rare`` of them."""
        return 0 < self.held(word) <= self.rare

    @property
    def rare(self) -> float:
        """At most how many passages hold a rare word (``RARE_PASSAGES``, ``RARE_SHARE``)."""
        return max(RARE_PASSAGES, RARE_SHARE * len(self.ids))

    @functools.cached_property
    def glossed(self) -> dict[str, list[str]]:
        """Each term of the glosses, folded -> its pair ``[Vietnamese, English]``."""
        return {fold(t): pair for pair in self.glosses for t in pair}

    @functools.cached_property
    def joined(self) -> frozenset[str]:
        """The corpus's accented word pairs written as one word, folded ("vietnam" for "Việt
        Nam"): how a name is often typed in English."""
        return frozenset(pair.replace(" ", "") for pair in self.accents if " " in pair)

    @functools.cached_property
    def spellings(self) -> frozenset[str]:
        """Every word of the corpus and every pair of ``joined``: what a typo is near."""
        return self.vocabulary | self.joined

    def rarity(self, word: str) -> float:
        """How rare ``word`` (folded) is among the passages: log(N / passages holding it),
        the smoothed inverse document frequency (a word no passage holds counts as one)."""
        return float(np.log((len(self.ids) + 1) / (self.held(word) + 1)))

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every passage for the query tokens (zeros when none match)."""
        if self._bm25 is None or not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)  # type: ignore[attr-defined]


def _bm25s() -> Any:
    """The bm25s module, with its logger following the application's logging settings.

    bm25s sets its own logger to DEBUG when imported, which would print "Building index from
    tokens" on every ``assistant index``.
    """
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    return bm25s


def _accent_table(texts: list[str]) -> dict[str, str]:
    """Most frequent accented form of each folded word and word pair that has marks."""
    counts: dict[str, dict[str, int]] = {}
    for text in texts:
        tokens = words(text)
        grams = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
        for gram in grams:
            plain = fold(gram)
            forms = counts.setdefault(plain, {})
            forms[gram] = forms.get(gram, 0) + 1
    table: dict[str, str] = {}
    for plain, forms in counts.items():
        best = max(forms.items(), key=lambda kv: kv[1])[0]
        if best != plain:
            table[plain] = best
    return table
