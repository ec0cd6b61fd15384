"""Topics a question asks about that the passages found for it must name.

Embedding similarity tells a question about pay from one about the weather, but not from one
about the duties of the same job: "How much does an AE earn?" is as close to the passages about
AEs as "What does an AE do?". So a question that names a kind of fact (pay, hiring, interviews,
schooling, working hours, benefits; ``assistant/data/topics.yaml``) is answered only if one of
its passages names that kind of fact too. The check adapts to the corpus: once an article about
salaries is indexed, its passages name pay and such questions are answered from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files

import yaml

from .text import fold


@dataclass(frozen=True)
class _Pattern:
    marked: re.Pattern[str]  # matched on lower-cased text that has diacritics
    plain: re.Pattern[str]  # matched on folded text (typed without diacritics)

    @classmethod
    def of(cls, terms: Iterable[str], plural: bool = True) -> _Pattern:
        terms = [t.strip().lower() for t in terms if t and t.strip()]
        end = r"(?:s|es)?\b" if plural else r"\b"

        def compile_(forms: Iterable[str]) -> re.Pattern[str]:
            alternatives = "|".join(re.escape(t) for t in sorted(set(forms), key=len,
                                                                     reverse=True))
            return re.compile(rf"(?<!\w)(?:{alternatives}){end}" if alternatives else r"(?!)")

        return cls(compile_(terms), compile_(fold(t) for t in terms))

    def for_text(self, text: str) -> re.Pattern[str]:
        """The pattern for lower-cased ``text``: plain if it has no diacritics, else marked."""
        return self.plain if _typed_plain(text) else self.marked


def _typed_plain(text: str) -> bool:
    """Whether lower-cased ``text`` has no diacritics (English, or Vietnamese typed plain)."""
    return fold(text) == text


class Topics:
    """Kinds of facts a question can ask for, each with the terms that name it.

    Args:
        topics: topic name -> terms (words or phrases).
        exceptions: phrases that contain a term but mean something else ("chất lượng").
        labels: topic name -> language -> how a refusal names the topic ("pay or salaries").
    """

    def __init__(self, topics: dict[str, list[str]], exceptions: Iterable[str] = (),
                 labels: dict[str, dict[str, str]] | None = None) -> None:
        self._topics = {name: _Pattern.of(terms) for name, terms in topics.items() if terms}
        self._exceptions = _Pattern.of(exceptions, plural=False)
        self._labels = labels or {}

    @classmethod
    def load(cls) -> Topics:
        """The topics shipped in ``assistant/data/topics.yaml``."""
        data = yaml.safe_load((files("assistant") / "data" / "topics.yaml").read_text("utf-8"))
        entries = data.get("topics") or {}
        topics = {str(name): [str(t) for t in entry.get("terms") or []]
                  for name, entry in entries.items()}
        labels = {str(name): {lang: str(entry[lang]) for lang in ("en", "vi") if entry.get(lang)}
                  for name, entry in entries.items()}
        return cls(topics, [str(e) for e in data.get("except") or []], labels)

    def label(self, name: str, language: str) -> str:
        """How a refusal in ``language`` names the topic (its name if none is given)."""
        return self._labels.get(name, {}).get(language, name)

    @property
    def names(self) -> list[str]:
        return list(self._topics)

    def named(self, text: str) -> set[str]:
        """The topics ``text`` names."""
        text = self._prepare(text)
        return {name for name, pattern in self._topics.items()
                if pattern.for_text(text).search(text)}

    def unsupported(self, question: str, passages: Iterable[str]) -> set[str]:
        """The topics the question names that none of the passages names."""
        asked = self.named(question)
        for passage in passages:
            if not asked:
                break
            asked -= self.named(passage)
        return asked

    def _prepare(self, text: str) -> str:
        text = text.lower()
        return self._exceptions.for_text(text).sub(" ", text)
