"""Whether the sources answer a question, and what to say when they do not: one home.

``Scope.refusal`` runs these checks, cheapest first, on what retrieval found:

1. **Words the corpus knows.** A question none of whose words occurs in the corpus ("12345",
   "asdfghjkl", "hello") is not about anything the sources hold.
2. **Similarity.** The best passage must be close enough to the question, and not clearly
   farther from it than the closest of a few generic questions no career corpus answers
   (weather, recipes, homework: ``assistant/data/out_of_scope.txt``). The two thresholds are
   the embedding model's (``Calibration``): measured with ``assistant calibrate`` on labelled
   questions and stored with the index; the bundled model's are shipped.
3. **The kind of fact.** A question that asks for a duration, an amount of money or a cost
   (``assistant.question``) needs a sentence in its passages that gives one: "How much does
   an AE earn?" is close to every passage about AEs, but none of them gives a salary; a
   salary table does not give an exam's fee.
4. **About the right thing.** When it names a role or term the corpus defines (learned by
   ``assistant.terms``), a sentence giving that kind of fact must be about it: a salary table
   for media planners does not give an art director's pay, the ACCA's duration is not the
   CMA's. A place it asks about ("ở Đà Nẵng", "in Singapore") must be named in the document
   that gives the fact. A list item or a table row gives a fact only about what it names: the
   fee of one course in a list is not the next course's, a salary row is not the pay of a
   role the article names elsewhere. The refusal then says which ones the sources do give it
   for.
5. **Named only in passing.** A question that asks what a role does, or a kind of fact, about
   something the corpus names only in a list beside other things ("the branch also has
   cashiers, credit officers and RMs"), never first in a sentence nor in a heading, is told
   so rather than answered with that list (``Scope.in_passing``).
6. **Names it does not know.** A capitalised name after "at", "in", "ở" or "tại" ("an AE at
   a SaaS company", "in Texas") that no passage holds, nor one spelled nearly the same, is
   somewhere the sources say nothing about (``Scope.unknown_names``); so is a name a
   sentence capitalises after its first word that no passage holds, or whose words no
   passage writes in a row ("tài xế taxi Mai Linh"); asked what a role does,
   a role the corpus never names ("art director", "media planner" in a corpus without them)
   is one they say nothing about (``Scope.unknown_roles``, ``Scope.unknown_words``); a
   role's name of two words counts only when the passages found are in the question's
   language ("chief accountant" of an article that writes "kế toán trưởng").
7. **A generic fallback**: a question that names a kind of career fact (hiring, interviews,
   schooling, working hours, benefits...: ``assistant/data/topics.yaml``, no career in it)
   needs a passage that names it too. Once an article about interviews is indexed, its
   passages name them, and such questions are answered from it.

Then, once the extractive answer is composed, ``Scope.unstated`` checks that it gives what a
question for a kind of fact asks: a sentence of that kind, in the unit asked ("what's the
pass rate of the exam" is not answered by the steps to a licence, though a commission's 2.5%
is near them), and a name of what it is asked about (``question.says``); asked how many, a
number; asked what a role does, a name of that role where it quotes, so that a UX designer
is not answered with what testers do ("design test cases").

Every domain word comes from the corpus; the cues here are how people ask, in English and
Vietnamese.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from .embeddings import Embedder, cached_queries
from .question import (
    COST,
    DURATION,
    MONEY,
    PERCENT,
    Question,
    asks_amount,
    asks_count,
    duties_asked,
    fact_kinds,
    focus_words,
    gives_number,
    held_terms,
    says,
    time_units,
)
from .retrieval import Hit, Query, Searcher
from .terms import name_words, names_a_role, role_word, roles_named, written_roles
from .text import (
    STOPWORDS,
    a_word_of,
    content_words,
    detect_language,
    fold,
    term_pattern,
    uncommon,
    words,
)

if TYPE_CHECKING:
    from .answer import Answer

log = logging.getLogger(__name__)

CALIBRATION_FILE = "calibration.json"
#: Roles or terms named in a refusal's "what I can answer", at most.
NAMED_IN_REFUSAL = 6
#: Passages whose sentences are looked at for the kind of fact asked (best first), beside the
#: answer's own: with the default ``top_k`` of 4, those and one more. A fact ranked below them
#: is about something near the question, not what it asks: a salary table for "freelance
#: hourly rate", another course's fee. Looking at 12 answered five more near-topic questions
#: of the tuning sets, and no more answerable ones.
KIND_PASSAGES = 5
#: Words a passage may put between the words of a topic's phrase and still name it.
PHRASE_GAPS = 2
#: The longest phrase of a question looked up as something the corpus names in passing.
PHRASE_WORDS = 5
# A capitalised word after a cue for a place or an employer, an article between them.
_AT_NAME = re.compile(r"\b(?:at|in|ở|o|tại|tai)\s+(?:(?:a|an|the)\s+)?(\w+)", re.IGNORECASE)
#: Where a question's sentence ends; the word after it is capitalised as the first.
_SENTENCE_END = re.compile(r"(?<=[.?!:;])\s+|\n+")
#: A word with its apostrophe: "Master's" names no one, but "Master" alone would.
_WORD = re.compile(r"[\w'’]+")
#: An abbreviation: a word with two capitals or more ("QS", "SaaS", "AEs"), perhaps in brackets.
_ABBREVIATION = re.compile(
    r"(?<![\w.])(?P<bracket>\(\s*)?(?P<word>[A-Z][a-z]*[A-Z][A-Za-z]*)(?(bracket)\s*\))(?![\w.])"
)
#: Text that ends with a figure: the word after it is its unit ("500 USD").
_AFTER_FIGURE = re.compile(r"\d\s*$")
#: English words before what a rate is counted in ("per session", "each haircut").
_RATE_WORDS = frozenset({"per", "each", "every"})
#: Shortest capitalised word of a question taken as a name the corpus may lack ("AE", "VN"
#: and "HR" are more often abbreviations it spells out).
MIN_NAME = 3
#: Shortest word of a question asked about a role taken as one the corpus may lack: shorter
#: ones are mostly abbreviations and chat spellings ("bds", "gdv", "kieu").
MIN_UNKNOWN_WORD = 5
#: Shortest start of a word taken as that word shortened ("grad" for "graduate").
MIN_SHORTENED = 4
#: An English verb's or adverb's ending: such a word says what is done or how ("convincing",
#: "graduating"), often in words of the question's own; a role or a place is named by a noun.
_INFLECTED = re.compile(r"(?:ing|ed|ly)$")
#: Shortest part of a word typed as one that a passage writes as two ("pre" of "prelicensing").
MIN_PART = 3
#: Similarity (difflib ratio) from which an unknown word is taken as a typo of a known one.
TYPO_SIMILARITY = 0.8
#: The same for a name a question capitalises: "Agncy" is "agency" typed in haste, but
#: "Texas" (0.8 to "teams") is another name.
NAME_TYPO_SIMILARITY = 0.85
#: Passages holding all of a phrase's words looked at, per passage a rare phrase may be in.
CANDIDATES_PER_RARE = 4
# A phrase in a list: after a comma or "and", "or", "such as" (and an article), or before
# one (after its gloss in brackets). Folded text.
_LISTED_BEFORE = re.compile(r"(?:,|\b(?:va|and|or|hoac|hay|such as|nhu))\s+(?:(?:a|an|the)\s+)?$")
#: Words of the name that opens a sentence, at most, for the brackets after it to gloss it
#: (a Vietnamese name may take seven syllables: "Tư vấn viên bảo hiểm nhân thọ").
SUBJECT_WORDS = 8
#: Words of its language a question needs to be asked of passages in the other one
#: (``Scope._asked_across``): one ("hello", "ok") may be small talk.
ACROSS_WORDS = 2
_LISTED_AFTER = re.compile(r"(?:\s*\([^)]*\))?\s*(?:,|\b(?:va|and|or|hoac|hay)\b)")
#: How every refusal starts, so that a reader (or a test) can tell one at a glance.
REFUSAL_START = {"en": "I don't know:", "vi": "Tôi không biết:"}
_CAN_ANSWER = {
    "en": "I can answer questions about what my sources cover{about}.",
    "vi": "Tôi có thể trả lời các câu hỏi về những gì các nguồn của tôi đề cập{about}.",
}
_ABOUT = {"en": ", such as {names}", "vi": ", ví dụ {names}"}
_NOT_COVERED = {
    "en": "I don't know: my sources do not cover that question.",
    "vi": "Tôi không biết: các nguồn của tôi không đề cập đến câu hỏi này.",
}
_KIND_NAMES = {
    MONEY: {"en": "pay or salaries", "vi": "lương hay thu nhập"},
    DURATION: {"en": "how long it takes", "vi": "thời gian bao lâu"},
    COST: {"en": "costs or fees", "vi": "chi phí hay lệ phí"},
    PERCENT: {"en": "percentages or rates", "vi": "tỉ lệ phần trăm"},
}
_IN = {"en": "in", "vi": "ở"}
_NO_KIND = {
    "en": "I don't know: my sources say nothing about {kind} for that.",
    "vi": "Tôi không biết: các nguồn của tôi không nói gì về {kind} cho trường hợp này.",
}
_NO_NUMBER = {
    "en": "I don't know: my sources give no number for that.",
    "vi": "Tôi không biết: các nguồn của tôi không nêu con số cho trường hợp này.",
}
_NO_TOPIC = {
    "en": "I don't know: my sources say nothing about {about}.",
    "vi": "Tôi không biết: các nguồn của tôi không nói gì về {about}.",
}
_NO_KIND_FOR = {
    "en": "I don't know: my sources say nothing about {kind} for {asked}.",
    "vi": "Tôi không biết: các nguồn của tôi không nói gì về {kind} cho {asked}.",
}
_IN_PASSING = {
    "en": "I don't know: my sources name {asked} only in passing, in a list beside others, "
    "and say nothing more about it.",
    "vi": "Tôi không biết: các nguồn của tôi chỉ nhắc qua {asked} bên cạnh những thứ khác, "
    "không nói gì thêm.",
}
_KIND_ELSEWHERE = {
    "en": "I don't know: my sources give {kind} for {given}, but not {asked}.",
    "vi": "Tôi không biết: các nguồn của tôi có {kind} cho {given}, nhưng không có {asked}.",
}
#: The same when what the facts are given for has no name the corpus defines (a UX writer's
#: pay, asked "in London").
_KIND_NOT_ASKED = {
    "en": "I don't know: my sources give {kind}, but not {asked}.",
    "vi": "Tôi không biết: các nguồn của tôi có {kind}, nhưng không có {asked}.",
}
#: How ``_KIND_ELSEWHERE`` names what it lacks: for a role or term ("for Art Director", "for
#: Art Director in Texas"), or a place alone ("in Texas").
_FOR = {"en": "for", "vi": "cho"}


@dataclass(frozen=True)
class Calibration:
    """The refusal thresholds of one embedding model.

    Attributes:
        model: the embedding model's name (``Embedder.name``).
        coverage: below this cosine similarity of the best passage, nothing is about the
            question.
        outside_margin: a question this much closer to an out-of-scope example than to the
            best passage (best minus nearest example below it) is refused.
        questions: how many labelled questions it was measured on (0: set by hand).
    """

    model: str
    coverage: float
    outside_margin: float
    questions: int = 0

    def to_json(self) -> str:
        return json.dumps([asdict(self)], indent=2) + "\n"

    def save(self, index_dir: Path) -> Path:
        """Keep these thresholds with the index (``index_dir/calibration.json``)."""
        index_dir.mkdir(parents=True, exist_ok=True)
        path = index_dir / CALIBRATION_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, model: str, index_dir: Path | None) -> Calibration | None:
        """The model's thresholds: measured for this index (``index_dir/calibration.json``),
        else shipped with the package (``assistant/data/calibration.json``), else None."""
        candidates: list[str] = []
        if index_dir is not None and (index_dir / CALIBRATION_FILE).is_file():
            candidates.append((index_dir / CALIBRATION_FILE).read_text("utf-8"))
        candidates.append((files("assistant") / "data" / CALIBRATION_FILE).read_text("utf-8"))
        for text in candidates:
            try:
                data = json.loads(text)
            except ValueError as e:
                log.warning("ignoring a broken calibration file: %s", e)
                continue
            for entry in data if isinstance(data, list) else [data]:
                if entry.get("model") == model:
                    return cls(**{k: entry[k] for k in cls.__dataclass_fields__ if k in entry})
        return None


@dataclass(frozen=True)
class Signals:
    """What the checks measured for one question (also what ``assistant calibrate`` fits)."""

    best: float  # cosine similarity of the best passage
    outside: float  # cosine similarity of the closest out-of-scope example
    known_words: int  # content words of the question the corpus has
    words: int  # content words of the question


#: Share of answerable questions the fitted thresholds may refuse, at most.
FIT_FALSE_REFUSALS = 0.01


def fit_calibration(model: str, labelled: list[tuple[Signals, bool]]) -> Calibration:
    """The thresholds that refuse the most unanswerable questions while refusing at most
    ``FIT_FALSE_REFUSALS`` of the answerable ones (``labelled``: signals, answerable).

    What ``assistant calibrate`` runs; the thresholds are kept a little below the answerable
    questions they would refuse, so that a question worded slightly differently is not.
    """
    answerable = [s for s, ok in labelled if ok]
    unanswerable = [s for s, ok in labelled if not ok]
    if not answerable:
        raise ValueError("calibration needs answerable questions")
    allowed = int(FIT_FALSE_REFUSALS * len(answerable))
    best_sims = sorted(s.best for s in answerable)
    margins = sorted(s.best - s.outside for s in answerable)
    # Lowest threshold refusing no more than `allowed` answerable questions, minus a step.
    step = 0.005
    coverage = round(best_sims[min(allowed, len(best_sims) - 1)] - step, 3)
    margin = round(margins[min(allowed, len(margins) - 1)] - step, 3)
    refused = sum(s.best < coverage or s.best - s.outside < margin for s in unanswerable)
    log.info(
        "calibrated %s on %d questions: refuses %d of %d unanswerable",
        model,
        len(labelled),
        refused,
        len(unanswerable),
    )
    return Calibration(model, coverage, margin, len(labelled))


def _name(group: tuple[str, ...]) -> str:
    """How a refusal names a learned term: its long form ("Art Director")."""
    return group[1] if len(group) > 1 else group[0]


class Scope:
    """Decides whether and why to refuse a question (see the module docstring).

    Args:
        searcher: gives the passages' sentences, the corpus's words and learned terms.
        min_relevance: shift of the similarity thresholds (positive: refuse more often).
    """

    def __init__(
        self, searcher: Searcher, min_relevance: float = 0.0, topics: Topics | None = None
    ) -> None:
        self.searcher = searcher
        self.min_relevance = min_relevance
        self.topics = topics if topics is not None else Topics.load()
        self._lock = threading.Lock()
        self._outside: tuple[str, np.ndarray] | None = None
        self._calibration: tuple[str, Calibration | None] | None = None

    @property
    def calibration(self) -> Calibration | None:
        """The thresholds for the index's model (None: only the relative check runs)."""
        version = self.searcher.index.manifest.version
        with self._lock:
            if self._calibration is None or self._calibration[0] != version:
                self._calibration = (
                    version,
                    Calibration.load(
                        self.searcher.embeddings.name, self.searcher.settings.index_dir
                    ),
                )
            return self._calibration[1]

    # --- the decision ---------------------------------------------------------------------
    def signals(self, question: Question, query: Query, hits: list[Hit]) -> Signals:
        """The similarity and vocabulary measurements the checks use."""
        asked = content_words(query.standalone)
        known = sum(map(self._known, asked))
        best = max((h.dense for h in hits), default=0.0)
        return Signals(best, self.out_of_scope_similarity(query), known, len(asked))

    def refusal(self, question: Question, query: Query, hits: list[Hit]) -> str | None:
        """The answer that says the sources do not answer the question, or None if they do."""
        language = question.language
        if not hits:
            return self.not_covered(language)
        signals = self.signals(question, query, hits)
        if (
            not signals.known_words
            and (signals.words or not question.history)
            and not self.searcher.expansions(query.standalone)  # "B/L": a term it defines
            and not self._asked_across(query.standalone, language, hits)
        ):
            # "12345", "asdfghjkl", "hello", "ok": nothing the corpus could be about.
            log.info("no word of the question is in the corpus: refusing")
            return self.not_covered(language)
        calibration = self.calibration
        margin = calibration.outside_margin if calibration else 0.0
        if calibration and signals.best < calibration.coverage + self.min_relevance:
            log.info(
                "best passage %.3f below coverage %.3f: refusing",
                signals.best,
                calibration.coverage,
            )
            return self.not_covered(language)
        if signals.best - signals.outside < margin + self.min_relevance:
            log.info(
                "closer to an out-of-scope example (%.3f vs %.3f): refusing",
                signals.outside,
                signals.best,
            )
            return self.not_covered(language)
        if question.kind in _KIND_NAMES:
            refusal = self._kind_refusal(question, query, hits)
            if refusal is not None:
                return refusal
        duties = duties_asked(query.standalone)
        unknown: list[str] = []
        if duties:
            # "What does an art director do?" where the corpus names no art director.
            unknown = (
                self._unknown_roles_here(duties, language, hits)
                or self.unknown_words(duties)
                or self._unwritten_names(duties, language, hits)
            )
        elif question.kind is None and language == "vi":
            # "chay gojek chiet khau bn", "Dentsu co tuyen AE fresher ko": a word a Vietnamese
            # question writes that the corpus never does and everyday language seldom does
            # names what it asks about (a company, a brand). (In an English question such a
            # word is as often another word for what the corpus says: "downsides", "bonuses".)
            unknown = self._uncommon_unknown(query.standalone, language, hits)
        if unknown:
            log.info("the corpus never names %s: refusing", ", ".join(unknown))
            return self._saying(_NO_TOPIC, language, hits, about=", ".join(unknown))
        if question.kind is not None or duties:
            passing = self.in_passing(query.standalone, question.kind)
            if passing:
                log.info("the corpus names %s only in passing: refusing", passing)
                return self._saying(_IN_PASSING, language, hits, asked=passing)
        named = self.unknown_names(question.text, language, hits)
        if named:
            log.info("no passage has the names %s: refusing", ", ".join(named))
            return self._saying(_NO_TOPIC, language, hits, about=", ".join(named))
        missing = sorted(self.topics.unsupported(query.standalone, (h.context for h in hits)))
        if missing:
            log.info("no passage names %s: refusing", ", ".join(missing))
            about = ", ".join(self.topics.label(name, language) for name in missing)
            return self._saying(_NO_TOPIC, language, hits, about=about)
        return None

    @staticmethod
    def _asked_across(text: str, language: str, hits: Sequence[Hit]) -> bool:
        """Whether ``text`` is a question in words of ``language`` (two or more) about passages
        in the other one, which need not write any of its words: "what are the downsides of
        being an auto mechanic" of a Vietnamese article on the "thợ sửa ô tô"."""
        asked = content_words(text)
        return (
            bool(hits)
            and not _first_in(hits, language)
            and sum(a_word_of(w, language) for w in asked) >= ACROSS_WORDS
        )

    def unstated(self, question: Question, answer: Answer, near: Sequence[Hit]) -> str | None:
        """The refusal for an extractive ``answer`` to a question for a figure (a kind of fact,
        or how many) or for what a role does that does not state what was asked, or None.

        ``refusal`` found a passage with that kind of fact, but the sentences the answer
        quotes are about something else: "what's the pass rate of the licensing exam" quoted
        the steps to a licence (a commission's 2.5% was the passage's percentage), "thợ làm
        bánh ngọt lương bao nhiêu" quoted a pharmacist's bonus. So the answer must give the
        kind of fact asked, in the unit asked (a percentage counts for pay: "earn 20-30%
        more"), unless the question asks yes or no; and a sentence it quotes or a title it
        cites must say a name of what the fact is asked about (``Searcher.subject_names`` of
        the question and the earlier turns, matched as names: ``question.says``).

        Asked how many ("AD quản lý bao nhiêu người"), the answer must quote a number.

        Asked what a role does ("what does a UX designer do"), a title, passage or heading
        the answer quotes from must say a name of the role (a list of duties names it above
        itself); the refusal is the plain one, offering what the passages near it name.

        Only when the answer's first passage is in the question's language: asked in the
        other one, the passage with the fact may be one the search ranks lower, and its words
        are not the question's.
        """
        if answer.abstained or not answer.sources:
            return None
        language = question.language
        if answer.sources[0].language != language:
            return None
        quotes = [q for s in answer.sources for q in s.quotes]
        if asks_count(question.text) and not any(gives_number(q) for q in quotes):
            log.info("asked how many, the answer quotes no number: refusing")
            return self._saying(_NO_NUMBER, language, near)
        kind = question.kind
        duties = kind is None and bool(duties_asked(question.standalone or question.text))
        if kind not in _KIND_NAMES and not duties:
            return None
        called = _KIND_NAMES.get(kind or "", {})
        name = called.get(language, called.get("en", ""))
        given = {kind, PERCENT} if kind == MONEY else {kind}
        units = time_units(question.text) if kind == DURATION else set()

        def gives(quote: str) -> bool:  # in the unit asked: "mấy tiếng" is not "2-3 năm"
            return bool(given & fact_kinds(quote)) and (
                not units or bool(units & time_units(quote))
            )

        if not duties and asks_amount(question.text) and not any(map(gives, quotes)):
            log.info("the answer quotes no %s: refusing", kind)
            return self._saying(_NO_KIND, language, near, kind=name)
        asked = " ".join([*question.history, question.standalone or question.text])
        lexical = self.searcher.index.lexical

        def typo(word: str) -> bool:  # of a word the corpus has ("devpos")
            return not lexical.knows(word) and not self._unwritten(word)

        # An English word mistyped is left out of its name ("senior devpos": "senior"); a
        # Vietnamese syllable the corpus lacks is no typo, but a word it does not have.
        names = self.searcher.subject_names(
            asked, language, keep=lambda w: language == "vi" or not typo(w)
        )
        subject = {t for name in names for t in name if not all(map(typo, t))}
        texts = [t for s in answer.sources for t in (s.title, *s.quotes)]
        if duties:
            # What a role does is said by a list under its name: the passages quoted from and
            # the headings above them count too.
            quoted = {(s.path, s.chunk) for s in answer.sources}
            texts += [h.context for h in near if _place(h) in quoted]
        said = set().union(*map(held_terms, texts))
        if not subject or any(says(term, said) for term in subject):
            return None
        log.info("the answer quotes nothing about %s: refusing", sorted(subject))
        if duties:
            return self._saying(_NOT_COVERED, language, near)
        return self._saying(_NO_KIND, language, near, kind=name)

    def _saying(
        self, texts: dict[str, str], language: str, near: Sequence[Hit] = (), **fields: str
    ) -> str:
        """A refusal: one of ``texts`` (by language) filled in, then what it can answer
        (``can_answer``)."""
        said = texts.get(language, texts["en"]).format(**fields)
        return f"{said} {self.can_answer(language, near)}"

    def _kind_refusal(self, question: Question, query: Query, hits: list[Hit]) -> str | None:
        """None when a passage gives the kind of fact asked, about what is asked.

        "About what is asked": when the question names roles or terms the corpus defines, a
        passage that names one of them (a salary table for media planners does not give an
        art director's pay).
        """
        kind = question.kind
        assert kind is not None
        language = question.language
        aliases = self.searcher.aliases
        lexical = self.searcher.index.lexical

        def role(group: int) -> bool:
            return names_a_role(aliases.groups[group], lexical.heads)

        # The roles asked about.
        asked = {g for g in aliases.entities(query.standalone) & aliases.titles if role(g)}
        # Other terms the corpus defines (a certificate, an exam): one of them must be named
        # where the fact is given ("how long does the CMA take" is not answered by the ACCA).
        things = aliases.entities(query.standalone) - aliases.titles
        unknown = (
            self._unknown_roles_here(query.standalone, language, hits)
            or self._uncommon_unknown(query.standalone, language, hits)
            or self._unwritten_names(query.standalone, language, hits)
        )
        # A place asked about ("in Hanoi", "ở Việt Nam") must be named where the fact is given.
        where = self.searcher.places(query.standalone)
        # Roles the corpus names but does not define ("sales director"): one of them must be
        # named where the fact is given.
        roles = [
            r
            for r in dict.fromkeys(roles_named(query.standalone, lexical.roles))
            if not aliases.entities(r) & aliases.titles
        ]
        holders = self._holders(question, query, hits, where)
        name = _KIND_NAMES[kind].get(language, _KIND_NAMES[kind]["en"])
        no_kind = self._saying(_NO_KIND, language, hits, kind=name)

        def named_asked(groups: set[int]) -> str:
            """How the refusal names what was asked about, each thing once ("Sales Manager",
            not also "sales managers")."""
            names = [_name(aliases.groups[g]) for g in sorted(groups)] + roles + unknown
            first: dict[str, str] = {}
            for name in names:
                first.setdefault(" ".join(role_word(w) for w in fold(name).split()), name)
            return ", ".join(first.values())

        if not holders:
            log.info("no passage gives %s: refusing", kind)
            wanted = named_asked(asked or things)
            if wanted:
                return self._saying(_NO_KIND_FOR, language, hits, kind=name, asked=wanted)
            return no_kind
        about: list[int] = []
        # The corpus's roles without an abbreviation ("First Officer") the facts are given
        # for, as written, when a role is asked about.
        other_roles: list[str] = []
        names_roles = not things and bool(unknown or asked or roles)
        elsewhere = self.searcher.elsewhere(holders, where)
        for hit in holders:
            context = hit.context
            entities = aliases.entities(context)
            named = entities & aliases.titles
            if (
                not unknown
                and (not things or entities & things)
                and str(hit.document.id) not in elsewhere
                and (not asked or named & asked)
                and (not roles or any(self._names_role(context, r) for r in roles))
            ):
                return None
            # What it is given for, of the sort asked about: roles for a role (not the
            # degree or exam the passage names beside them), terms for a term.
            about.extend(g for g in named if g not in about and role(g) != bool(things))
            if names_roles:
                other_roles.extend(written_roles(context, self.searcher.index.lexical.roles))
        given = [_name(aliases.groups[g]) for g in about]
        if other_roles:
            # Not the kinds of a defined role ("Staff PT" beside "Physical Therapist (PT)").
            spelled = {role_word(w) for g in about for t in aliases.groups[g] for w in t.split()}
            given += [
                r
                for r in dict.fromkeys(other_roles)
                if not {role_word(w) for w in r.split()} & spelled
            ]
        # Each name once, however it is written: "Media Manager", "media managers".
        unique: dict[tuple[str, ...], str] = {}
        for written in given:
            unique.setdefault(_key(written), written)
        given = list(unique.values())[:NAMED_IN_REFUSAL]
        # A role the corpus never names ("UX designer" where it names only graphic designers)
        # is what the refusal is about, not the defined roles beside it.
        wanted = named_asked(set() if unknown else (asked or things))
        if wanted:
            wanted = f"{_FOR.get(language, _FOR['en'])} {wanted}"
        if where:
            at = f"{_IN.get(language, _IN['en'])} {', '.join(where)}"
            wanted = f"{wanted} {at}" if wanted else at
        log.info("%s is given only for other things than %s: refusing", kind, wanted)
        if not wanted:
            return no_kind
        if not given:
            return self._saying(_KIND_NOT_ASKED, language, hits, kind=name, asked=wanted)
        return _KIND_ELSEWHERE.get(language, _KIND_ELSEWHERE["en"]).format(
            kind=name, given=", ".join(given), asked=wanted
        )

    def _roles_in(self, text: str) -> set[str]:
        """The corpus's roles ``text`` names, in its words or in what they mean ("Trưởng phòng
        xuất nhập khẩu" names the "import-export manager" it is glossed as)."""
        said = f"{text} {' '.join(self.searcher.aliases.expansions(text))}"
        return set(roles_named(said, self.searcher.index.lexical.roles))

    def _names_role(self, text: str, role: str) -> bool:
        """Whether ``text`` names the corpus role ``role`` (folded), or each of its words: "a
        senior title" under a heading that names DevOps gives what a senior DevOps earns."""
        if role in self._roles_in(text):
            return True
        said = {role_word(w) for w in name_words(text)}
        return all(w in said for w in role.split())

    def _holders(
        self, question: Question, query: Query, hits: list[Hit], where: list[str]
    ) -> list[Hit]:
        """The passages (of ``hits`` and the best ``KIND_PASSAGES``) with a sentence that gives
        the kind of fact asked, in the unit asked; a list item or a table row counts only for
        what it names (``_names``)."""
        kind = question.kind
        language = question.language
        # The query keeps its ranking from the answer's search: this only reads further down.
        top = self.searcher.search(query, k=KIND_PASSAGES)
        by_id = {str(h.document.id): h for h in [*hits, *top]}
        units = time_units(query.standalone) if kind == DURATION else set()
        subject = self._subject(query.standalone, where)
        sentences = self.searcher.sentences(list(by_id))
        # Each section's running text (not its list items or table rows), such as a note
        # under a table: what its items share; and each item's sentences.
        running: dict[tuple[str, str], str] = {}
        items: dict[tuple[str, int], str] = {}

        def section(chunk_id: str) -> tuple[str, str]:
            meta = by_id[chunk_id].document.metadata
            return (str(meta.get("path", "")), str(meta.get("section", "")))

        def item(chunk_id: str, meta: dict[str, Any]) -> tuple[str, int]:
            return (chunk_id, int(meta.get("line", meta.get("n", 0))))

        for chunk_id, text, meta, _ in sentences:
            if meta.get("item"):
                line = item(chunk_id, meta)
                items[line] = f"{items.get(line, '')} {text}"
            else:
                key = section(chunk_id)
                running[key] = f"{running.get(key, '')} {text}"
        holders: list[Hit] = []
        for chunk_id, text, meta, _ in sentences:
            if units and not units & time_units(text):
                continue  # "how many hours a week" is not answered by "2-3 years"
            if kind not in fact_kinds(text):
                continue
            hit = by_id[chunk_id]
            if (
                meta.get("item")
                and meta.get("language") == language
                and not self._names(
                    subject,
                    hit,
                    f"{items[item(chunk_id, meta)]} {running.get(section(chunk_id), '')}",
                )
            ):
                continue  # a salary row of another role, the fee of another course
            if hit not in holders:
                holders.append(hit)
        return holders

    def _focus_words(self, text: str) -> list[str]:
        """``question.focus_words`` of ``text``, its stop words read as the corpus spells them."""
        return focus_words(text, self.searcher.index.lexical.accents)

    def _subject(self, question: str, where: list[str]) -> set[str]:
        """The rare words of what a question asks a fact about (its focus words, not a place),
        those few passages hold: "fiata" in "hoc FIATA het bao nhieu tien", "thủ kho" in
        "lương thủ kho bao nhiêu"; not "mới ra trường", which many passages hold."""
        lexical = self.searcher.index.lexical
        place_words = {role_word(w) for place in where for w in re.findall(r"\w+", place)}
        counted_in = self._counted_in(question)
        return {
            role_word(w)
            for w in self._focus_words(question)
            if w not in counted_in and role_word(w) not in place_words and lexical.is_rare(w)
        }

    def _counted_in(self, question: str) -> set[str]:
        """The words a question counts a figure in, folded ("mỗi lượt" in "bao nhiêu % mỗi
        lượt cắt", "per session"): what a rate is per, not what it is about. Typed without
        marks, "moi" is "mỗi" where the corpus writes it so before the next word (not "mới",
        new)."""
        tokens = words(question)
        accents = self.searcher.index.lexical.accents
        counted: set[str] = set()
        for word, after in zip(tokens, tokens[1:], strict=False):
            plain, unit = fold(word), fold(after)
            if (
                plain in _RATE_WORDS
                or word.lower() == "mỗi"
                or (word == plain and accents.get(f"{plain} {unit}", "").lower().startswith("mỗi"))
            ):
                counted.update((plain, unit))
        return counted

    def _names(self, subject: set[str], hit: Hit, item: str) -> bool:
        """Whether a list item or a table row that gives a fact is about what was asked: when
        its document uses a rare word of the question's subject, the item names one (with the
        title and section above it and the running text of its section, such as a note under
        a table). "Lương thủ kho" is not answered by the salary row of another role where the
        article names the thủ kho elsewhere; one course's fee is not the fee of the course
        listed before it. A sentence of running text is judged with its passage (the checks
        on roles and terms)."""
        if not subject:
            return True
        doc = hit.document.metadata
        used = subject & self._document_words(self.searcher.document_text(str(doc.get("path", ""))))
        if not used:
            # The subject is held by other documents only (the items are checked in the
            # question's language): this one's rows are about its own roles.
            return False
        text = f"{doc.get('title', '')} {doc.get('section', '')} {item}"
        return bool(
            used & self._words(f"{text} {' '.join(self.searcher.aliases.expansions(text))}")
        )

    @staticmethod
    def _words(text: str) -> frozenset[str]:
        return frozenset(role_word(w) for w in content_words(text))

    @staticmethod
    @functools.lru_cache(maxsize=64)  # a document's words, asked once per item it holds
    def _document_words(text: str) -> frozenset[str]:
        return Scope._words(text)

    def in_passing(self, text: str, kind: str | None = None) -> str | None:
        """What ``text`` asks about that the corpus names only in passing, as the corpus
        writes it, or None: a phrase of two words or more that few passages hold, each time
        in a list beside other things and never first in its sentence, nor in a title or
        heading ("Trong chi nhánh còn có thủ quỹ, chuyên viên tín dụng và RM" does not say
        what a thủ quỹ does or earns), nor in a sentence that gives the ``kind`` of fact
        asked ("lương cứng cộng hoa hồng, thường từ 3-5% giá trị hợp đồng")."""
        lexical = self.searcher.index.lexical
        tokens = [fold(w) for w in words(text)]
        focus = set(self._focus_words(text)) - self._counted_in(text)
        postings: dict[str, set[str]] = {}  # each word's passages, looked up once
        seen: list[str] = []
        for n in range(PHRASE_WORDS, 1, -1):
            for i in range(len(tokens) - n + 1):
                gram = tokens[i : i + n]
                phrase = " ".join(gram)
                if gram[0] not in focus or gram[-1] not in focus or any(phrase in s for s in seen):
                    continue
                for word in gram:
                    if word not in postings:  # the word or its plural ("test architects")
                        postings[word] = {
                            chunk for form in _plurals(word) for chunk in lexical.holding(form)
                        }
                held = [postings[w] for w in gram]
                chunks = sorted(set.intersection(*held)) if all(held) else []
                # The passages that hold its words; of those, few may hold the phrase.
                if not chunks or len(chunks) > CANDIDATES_PER_RARE * lexical.rare:
                    continue
                if self.searcher.aliases.entities(phrase):
                    continue  # a term the corpus defines ("Account Executives")
                mentions = self._mentions(phrase, chunks, kind)
                if not mentions:
                    continue
                seen.append(phrase)
                passing = [said for _, said in mentions if said is not None]
                if (
                    len(passing) == len(mentions)
                    and len({chunk for chunk, _ in mentions}) <= lexical.rare
                ):
                    return passing[0]
        return None

    def unknown_words(self, text: str) -> list[str]:
        """The words of what ``text`` asks about (``focus_words``, not a place) that no passage
        holds, nor a word spelled nearly the same: "planner" in "media planner lam nhung viec
        gi" where the corpus has no planner."""
        place_words = self._place_words(text)
        return [
            word
            for word in self._focus_words(text)
            if len(word) >= MIN_UNKNOWN_WORD and word not in place_words and self._unwritten(word)
        ]

    def _place_words(self, text: str) -> set[str]:
        """The folded words of the places ``text`` asks about (``Searcher.places``)."""
        return {fold(w) for place in self.searcher.places(text) for w in words(place)}

    def _uncommon_unknown(self, text: str, language: str, hits: Sequence[Hit]) -> list[str]:
        """The words of what ``text`` asks about that no passage holds and that are uncommon
        in everyday language (``uncommon``): "bartender" asked of a corpus about baristas,
        "appraiser" of one about agents. Only when the best passage is in the question's
        language: an English question about a Vietnamese article names its roles in words
        the article need not write."""
        if not _first_in(hits, language):
            return []
        asked = self._focus_words(text)
        folded = fold(text)
        found = []
        for word in self.unknown_words(text):
            if not uncommon(word) or _INFLECTED.search(word):
                continue
            # With the word before it when an English question writes them together: "flight
            # attendant", not "attendant" (Vietnamese puts the head first).
            i = asked.index(word)
            pair = f"{asked[i - 1]} {word}" if i and language == "en" else ""
            found.append(pair if pair and re.search(rf"\b{re.escape(pair)}\b", folded) else word)
        return found

    def _unwritten_names(self, text: str, language: str, hits: Sequence[Hit]) -> list[str]:
        """The Vietnamese names of what ``text`` asks about whose first word the corpus
        writes, but never followed by the syllable that comes next in the name: "giáo viên
        tiểu học" of a corpus that writes only "giáo viên mầm non", "nhân viên mặt đất" of
        one about flight attendants. A Vietnamese name puts its head first and what kind it
        is after it, each a word of two syllables or more ("đầu bếp sang Úc" goes
        somewhere). Glosses in brackets do not part a name ("Trợ giảng (teaching assistant)
        trường quốc tế"). A function word among its first three syllables makes it no name
        ("đậu khi tuyển" in "ty le dau khi tuyen tiep vien"). Only when the best passage is in
        Vietnamese."""
        if language != "vi" or not _first_in(hits, language):
            return []
        written = self.searcher.index.lexical.accents  # every folded pair written with marks
        folded = fold(text)
        found = []
        # The names less the places asked about ("đầu bếp" in "dau bep sang Uc").
        for name in self.searcher.subject_names(text, language):
            for term in name:
                if len(term) >= VI_NAME_SYLLABLES and self._unwritten_kind(term, written, hits):
                    # As typed, where folding kept the question's letters in place.
                    spelled = r"\W+".join(map(re.escape, term))
                    typed = re.search(rf"(?<!\w){spelled}(?!\w)", folded)
                    if typed and len(folded) == len(text):
                        found.append(text[typed.start() : typed.end()])
                    else:
                        found.append(" ".join(term))
        return found

    def _unwritten_kind(
        self, term: tuple[str, ...], written: Mapping[str, str], hits: Sequence[Hit]
    ) -> bool:
        """Whether the Vietnamese name ``term`` (its folded syllables) is a head the corpus
        writes and, after it, a kind the corpus never writes after it: a head of two syllables
        ("giáo viên" of "giáo viên tiểu học"), or of three that a document writes together
        ("kiến trúc sư" of "kiến trúc sư cảnh quan", where the corpus writes only "kiến trúc
        sư" and its levels)."""
        if (
            " ".join(term[:2]) in written
            and not set(term[:3]) & (STOPWORDS | _NO_KIND_WORDS)
            and " ".join(term[1:3]) not in written
            and not self._written_unglossed(term[1:3], hits)
        ):
            return True
        return (
            len(term) > VI_NAME_SYLLABLES
            and term[3] not in STOPWORDS | _NO_KIND_WORDS
            and " ".join(term[2:4]) not in written
            and self._written_unglossed(term[:3], hits)
            and not self._written_unglossed(term[2:4], hits)
        )

    def _written_unglossed(self, phrase: tuple[str, ...], hits: Sequence[Hit]) -> bool:
        """Whether a document of ``hits`` writes the folded words of ``phrase`` in a row once
        its glosses in brackets are left out."""
        wanted = f" {' '.join(phrase)} "
        return any(
            wanted in self._unglossed(self.searcher.document_text(path))
            for path in dict.fromkeys(str(h.document.metadata.get("path", "")) for h in hits)
        )

    @staticmethod
    @functools.lru_cache(maxsize=64)  # a document's text, read for each phrase of a question
    def _unglossed(text: str) -> str:
        """A document's folded words, without its glosses in brackets, one space around each."""
        return f" {' '.join(fold(w) for w in words(_GLOSS.sub(' ', text)))} "

    def unknown_names(self, text: str, language: str = "", hits: Sequence[Hit] = ()) -> list[str]:
        """The names ``text`` writes with a capital after "at", "in", "ở" or "tại" ("an AE
        at a SaaS company", "in Texas", "ở Singapore") that no passage holds, nor a word
        spelled nearly the same: where the question is asked about is somewhere the corpus
        does not know. Then the other names it writes with capitals that the corpus never
        does (``_unwritten_capitalised``), and its abbreviations the corpus never writes
        (``_unknown_short``)."""
        at = [
            word
            for word in (m.group(1) for m in _AT_NAME.finditer(text))
            if len(word) >= MIN_NAME
            and any(c.isupper() for c in word)
            and not word.isdigit()
            and self._unwritten(word)
        ]
        capitalised = self._unwritten_capitalised(text, language, hits)
        return list(dict.fromkeys([*at, *capitalised, *self._unknown_short(text, language)]))

    def _unwritten_capitalised(self, text: str, language: str, hits: Sequence[Hit]) -> list[str]:
        """The names ``text`` capitalises inside a sentence that the corpus never writes: a
        word no passage holds ("how many hours does Texas require"), or words it holds but
        never in a row ("tài xế taxi Mai Linh"). A capital that opens a sentence names
        nothing. Only when the best passage is in the question's language: asked in the
        other one, a name may be written in the passages' language ("English" of an article
        that writes "tiếng Anh"). Spelled nearly as a corpus word, a name is still another
        name ("Texas" is no typo of "teams"), unless nearer still (``NAME_TYPO_SIMILARITY``:
        "Agncy" is "agency")."""
        if not _first_in(hits, language):
            return []
        # A place is the place check's to judge ("lương GVMN ở Viet Nam", of an article on
        # Vietnam that need not name it).
        places = self._place_words(text)
        found = []
        for sentence in _SENTENCE_END.split(text):
            for run in _capitalised_runs(sentence):
                if {fold(word) for word in run} <= places:
                    continue
                if any(
                    len(word) >= MIN_NAME and self._unwritten(word, NAME_TYPO_SIMILARITY)
                    for word in run
                ) or (
                    len(run) > 1
                    and not any(
                        self._written_unglossed((fold(a), fold(b) + plural), hits)
                        for a, b in itertools.pairwise(run)
                        for plural in ("", "s")
                    )
                ):
                    found.append(" ".join(run))
        return found

    def _unknown_short(self, text: str, language: str) -> list[str]:
        """The abbreviations ``text`` names that no passage writes and everyday language
        seldom uses: "SaaS", "HVAC" in an English question, any language's in brackets after
        a name ("ky su dinh gia xay dung (QS)"). A Vietnamese chat writes common words short
        in capitals ("SV", "CNTT"); a figure's unit ("500 USD") and a place are no names."""
        written = [
            match.group("word")
            for match in _ABBREVIATION.finditer(text)
            if (language == "en" or match.group("bracket"))
            and not _AFTER_FIGURE.search(text[: match.start()])
        ]
        if not written:
            return []
        places = self._place_words(text)
        found = []
        for word in written:
            forms = {fold(word), fold(re.sub(r"(?<=[A-Z])s$", "", word))}  # "AEs"
            if not forms & places and uncommon(fold(word)) and not any(map(self._known, forms)):
                found.append(word)
        return found

    def _known(self, word: str) -> bool:
        """Whether the corpus writes ``word``, as typed or folded, or as two words typed as one
        ("oto" for "ô tô")."""
        lexical = self.searcher.index.lexical
        plain = fold(word)
        return lexical.knows(word) or lexical.knows(plain) or plain in lexical.joined

    def _unwritten(self, word: str, typo_similarity: float = TYPO_SIMILARITY) -> bool:
        """Whether the corpus never writes ``word``: not as written nor folded, not as an
        accented pair typed as one word ("Vietnam" for "Việt Nam"), and not spelled nearly
        the same (a typo: "Markting"; ``typo_similarity``), nor as two words a passage
        holds ("prelicensing" for "pre-licensing")."""
        lexical = self.searcher.index.lexical
        plain = fold(word)
        if self._known(word):
            return False
        stem = re.sub(r"s$", "", plain)
        if len(stem) >= MIN_SHORTENED and any(v.startswith(stem) for v in lexical.vocabulary):
            return False  # shortened: "certs" for "certifications"
        for i in range(MIN_PART, len(plain) - MIN_PART + 1):
            if set(lexical.holding(plain[:i])) & set(lexical.holding(plain[i:])):
                return False
        # The corpus's words, and the words a question is made of that no passage need hold
        # ("actualy" is a typo of "actually", not something the corpus never names).
        near = [
            v
            for v in itertools.chain(lexical.spellings, STOPWORDS)
            if v[:1] == plain[:1] and abs(len(v) - len(plain)) <= 2
        ]
        return not difflib.get_close_matches(plain, near, n=1, cutoff=typo_similarity)

    def _mentions(
        self, phrase: str, chunks: list[str], kind: str | None = None
    ) -> list[tuple[str, str | None]]:
        """Each sentence of the chunks that holds ``phrase`` (folded): its chunk, and the
        phrase as written when it is named there in passing (``in_passing``) or None when the
        sentence or its heading is about it, or the sentence gives the ``kind`` of fact."""
        pattern = re.compile(rf"(?<!\w){term_pattern(phrase)}(?!\w)")  # or its plural
        found: list[tuple[str, str | None]] = []
        for chunk, sentence, meta, _ in self.searcher.sentences(chunks):
            plain = unicodedata.normalize("NFC", " ".join(sentence.split()))
            folded = fold(plain)
            heading = fold(f"{meta.get('title', '')} {meta.get('section', '')}")
            gives = kind is not None and kind in fact_kinds(plain)
            for match in pattern.finditer(folded):
                before = folded[: match.start()]
                after = folded[match.end() :]
                listed = _LISTED_BEFORE.search(before) or _LISTED_AFTER.match(after)
                # First in its sentence, or in the brackets after the name that opens it:
                # "Kỹ thuật viên ô tô (KTV ô tô, thợ sửa ô tô, automotive technician) là ..."
                opened = before.rfind("(")
                first = len(content_words(before)) < 2 or (
                    opened >= 0
                    and ")" not in before[opened:]
                    and len(words(before[:opened])) <= SUBJECT_WORDS
                )
                passing = listed and not first and not gives and not pattern.search(heading)
                found.append((chunk, plain[match.start() : match.end()] if passing else None))
        return found

    def unknown_roles(self, text: str) -> list[str]:
        """Roles ``text`` names that the corpus never does: a rare word before a role's head
        word ("UX designer") where no passage has that pair. A common word before it ("entry
        level executive", "entry-level executive") names no role."""
        lexical = self.searcher.index.lexical
        tokens = name_words(text)
        folded = [role_word(w) for w in tokens]
        found = []
        for i in range(1, len(tokens)):
            before = folded[i - 1]
            if (
                folded[i] in lexical.heads
                and before not in STOPWORDS
                and not before.isdigit()
                and f"{before} {folded[i]}" not in lexical.roles
                and max(lexical.held(w) for w in words(before)) <= lexical.rare
                and not self._shortened(before, folded[i])
            ):
                found.append(f"{tokens[i - 1]} {tokens[i]}")
        return found

    def _unknown_roles_here(self, text: str, language: str, hits: Sequence[Hit]) -> list[str]:
        """``unknown_roles``, when the best passage is in the question's language: asked in
        the other one, a role may be named in the passages' language ("chief accountant" of
        an article on the "kế toán trưởng")."""
        return self.unknown_roles(text) if _first_in(hits, language) else []

    def _shortened(self, word: str, head: str) -> bool:
        """Whether ``word`` shortens a word the corpus writes before ``head`` ("grad" in "new
        grad PT" where the corpus writes "New graduate PT")."""
        return len(word) >= MIN_SHORTENED and any(
            r.startswith(word) and r.endswith(f" {head}") for r in self.searcher.index.lexical.roles
        )

    # --- texts ----------------------------------------------------------------------------
    def not_covered(self, language: str) -> str:
        """The plain refusal, with what the sources do cover (``can_answer``): the question
        is about nothing they hold, so no passage is near enough to choose what to offer."""
        return self._saying(_NOT_COVERED, language)

    def can_answer(self, language: str, near: Sequence[Hit] = ()) -> str:
        """What the assistant can answer, named from the corpus's own terms: first those the
        passages ``near`` the question name (a question about testers is offered ISTQB, not
        the account roles of another article), in the order the corpus has them."""
        try:
            lexical = self.searcher.index.lexical
            terms, subjects = lexical.terms, lexical.subjects
        except Exception:  # no index yet: say it without names
            terms, subjects = [], []
        # Each near passage's terms, as the alias table (the learned terms among them) finds them.
        aliases = self.searcher.aliases
        near_terms = [{fold(t) for g, _ in aliases.written(h.context) for t in g} for h in near]
        near_text = [fold(h.context) for h in near]

        def term_near(group: list[str]) -> int:
            return sum(fold(group[0]) in terms for terms in near_terms)

        def subject_near(pair: list[str]) -> int:
            patterns = [re.compile(rf"(?<!\w){term_pattern(name)}(?!\w)") for name in pair]
            return sum(any(p.search(text) for p in patterns) for text in near_text)

        # Terms with their abbreviation ("Account Executive (AE)") and the subjects articles
        # gloss in the other language ("Tài xế xe công nghệ (ride-hailing driver)").
        offered = [(f"{g[1]} ({g[0]})", term_near(g)) for g in terms if len(g) > 1]
        # One gloss of each subject ("insurance agent", not also "financial advisor").
        glossed: dict[str, list[str]] = {}
        for pair in subjects:
            if len(pair) > 1:
                glossed.setdefault(fold(pair[0]), pair)
        offered += [(f"{p[0]} ({p[1]})", subject_near(p)) for p in glossed.values()]
        offered.sort(key=lambda named: named[1], reverse=True)
        names = list(dict.fromkeys(name for name, _ in offered))[:NAMED_IN_REFUSAL]
        about = _ABOUT.get(language, _ABOUT["en"]).format(names=", ".join(names)) if names else ""
        return _CAN_ANSWER.get(language, _CAN_ANSWER["en"]).format(about=about)

    # --- the out-of-scope examples ----------------------------------------------------------
    def out_of_scope_similarity(self, query: Query) -> float:
        """Cosine similarity of the question to the closest example of what no career corpus
        covers (``assistant/data/out_of_scope.txt``)."""
        searcher = self.searcher
        index = searcher.index
        with self._lock:
            if self._outside is None or self._outside[0] != index.manifest.version:
                restore = (
                    index.lexical.restore_accents if searcher.settings.query_expansion else None
                )
                self._outside = (
                    index.manifest.version,
                    out_of_scope_vectors(searcher.embeddings, searcher.settings.index_dir, restore),
                )
            vectors = self._outside[1]
        return float((vectors @ query.vector).max())


@dataclass(frozen=True)
class _Pattern:
    marked: re.Pattern[str]  # matched on lower-cased text that has diacritics
    plain: re.Pattern[str]  # matched on folded text (typed without diacritics)

    @classmethod
    def of(cls, terms: Iterable[str], plural: bool = True, gaps: int = 0) -> _Pattern:
        """Args:
        terms: words or phrases.
        plural: English terms also match with -s/-es.
        gaps: words allowed between the words of a phrase ("học một ngành" has "học ngành").
        """
        terms = [t.strip().lower() for t in terms if t and t.strip()]
        end = r"(?:s|es)?\b" if plural else r"\b"
        space = rf"\s+(?:\w+\s+){{0,{gaps}}}" if gaps else r"\s+"

        def compile_(forms: Iterable[str]) -> re.Pattern[str]:
            alternatives = "|".join(
                space.join(re.escape(w) for w in t.split())
                for t in sorted(set(forms), key=len, reverse=True)
            )
            return re.compile(rf"(?<!\w)(?:{alternatives}){end}" if alternatives else r"(?!)")

        return cls(compile_(terms), compile_(fold(t) for t in terms))

    def for_text(self, text: str) -> re.Pattern[str]:
        """The pattern for lower-cased ``text``: plain if it has no diacritics, else marked."""
        return self.plain if _typed_plain(text) else self.marked


def _plurals(word: str) -> tuple[str, ...]:
    """``word`` and the plurals English could write it as ("architect", "architects")."""
    return (word, f"{word}s", f"{word}es")


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

    def __init__(
        self,
        topics: dict[str, list[str]],
        exceptions: Iterable[str] = (),
        labels: dict[str, dict[str, str]] | None = None,
        facts: dict[str, list[str]] | None = None,
    ) -> None:
        self._topics = {name: _Pattern.of(terms) for name, terms in topics.items() if terms}
        # A passage names a topic in its own words: "học một ngành" names "học ngành".
        self._in_passages = {
            name: _Pattern.of(terms, gaps=PHRASE_GAPS) for name, terms in topics.items() if terms
        }
        # Or gives a fact of it: "từ 6h45 sáng đến khoảng 17h" gives the working hours.
        self._facts = {
            name: re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
            for name, patterns in (facts or {}).items()
            if patterns
        }
        self._exceptions = _Pattern.of(exceptions, plural=False)
        self._labels = labels or {}

    @classmethod
    def load(cls) -> Topics:
        """The generic kinds of fact shipped in ``assistant/data/topics.yaml``."""
        data = yaml.safe_load((files("assistant") / "data" / "topics.yaml").read_text("utf-8"))
        entries = data.get("topics") or {}
        topics = {
            str(name): [str(t) for t in entry.get("terms") or []] for name, entry in entries.items()
        }
        labels = {
            str(name): {lang: str(entry[lang]) for lang in ("en", "vi") if entry.get(lang)}
            for name, entry in entries.items()
        }
        facts = {
            str(name): [str(p) for p in entry.get("facts") or []] for name, entry in entries.items()
        }
        return cls(topics, [str(e) for e in data.get("except") or []], labels, facts)

    def label(self, name: str, language: str) -> str:
        """How a refusal in ``language`` names the topic (its name if none is given)."""
        return self._labels.get(name, {}).get(language, name)

    @property
    def names(self) -> list[str]:
        return list(self._topics)

    def named(self, text: str, passage: bool = False) -> set[str]:
        """The topics ``text`` names (a question; with ``passage``, a passage)."""
        prepared = self._prepare(text)
        patterns = self._in_passages if passage else self._topics
        named = {
            n for n, pattern in patterns.items() if pattern.for_text(prepared).search(prepared)
        }
        if passage:
            named |= {n for n, pattern in self._facts.items() if pattern.search(text)}
        return named

    def fact_test(self, question: str) -> Callable[[str], bool] | None:
        """For a question that names topics a passage can give a fact of (``facts``), whether
        a sentence gives one ("requires a score of 70%" for a passing score); else None."""
        patterns = [self._facts[n] for n in sorted(self.named(question)) if n in self._facts]
        if not patterns:
            return None
        return lambda text: any(p.search(text) for p in patterns)

    def unsupported(self, question: str, passages: Iterable[str]) -> set[str]:
        """The topics the question names that none of the passages names."""
        asked = self.named(question)
        for passage in passages:
            if not asked:
                break
            asked -= self.named(passage, passage=True)
        return asked

    def _prepare(self, text: str) -> str:
        text = text.lower()
        return self._exceptions.for_text(text).sub(" ", text)


def _key(name: str) -> tuple[str, ...]:
    """A name as names are told apart: its words folded, without a plural's "s"."""
    return tuple(role_word(w) for w in name.split())


def out_of_scope_vectors(
    embeddings: Embedder, cache_dir: Path | None = None, restore: Callable[[str], str] | None = None
) -> np.ndarray:
    """The out-of-scope examples embedded as queries: once per model and process, and kept in
    ``cache_dir`` (the index folder) so that a one-shot ``assistant ask`` does not redo it.

    Vietnamese examples are also embedded without diacritics, as people type them, and, with
    ``restore``, with the diacritics that restoration gives them back: an unaccented question
    is searched with its diacritics restored from the corpus's spelling, which can pull an
    off-topic question ("bi dau dau" -> "bị đầu đầu") towards the corpus, so it is compared
    with examples that went through the same restoration.
    """
    text = (files("assistant") / "data" / "out_of_scope.txt").read_text("utf-8")
    examples = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    plain = [fold(e) for e in examples if detect_language(e) == "vi"]
    restored = [restore(p) for p in plain] if restore else []
    examples = list(dict.fromkeys(examples + plain + restored))
    return cached_queries(embeddings, examples, cache_dir, "out-of-scope")


def _place(hit: Hit) -> tuple[str, int]:
    """Where a passage is: its file and its number there (``Source.path``, ``Source.chunk``)."""
    meta = hit.document.metadata
    return str(meta.get("path", "")), int(meta.get("chunk", 0))


#: Syllables of a Vietnamese name whose kind the corpus may not write: a head of two and a
#: kind of two or more.
VI_NAME_SYLLABLES = 4
#: A gloss in brackets ("(teaching assistant)"), left out where a name goes on after it.
_GLOSS = re.compile(r"\s*\([^()]*\)")
#: Vietnamese words that say when or how good, not what kind: "kinh nghiệm mới" (only then),
#: "nhân viên mới" (new).
_NO_KIND_WORDS = frozenset({"moi"})


def _capitalised_runs(sentence: str) -> Iterator[list[str]]:
    """The runs of words ``sentence`` capitalises after its first word ("Mai Linh", "Texas"),
    written in capitals and small letters: "SaaS" and "AE" are abbreviations."""
    run: list[str] = []
    for i, word in enumerate([*_WORD.findall(sentence), ""]):
        if i and word[:1].isupper() and word[1:].islower() and word.isalpha():
            run.append(word)
            continue
        if run:
            yield run
        run = []


def _first_in(hits: Sequence[Hit], language: str) -> bool:
    """Whether the best passage is in ``language``."""
    return bool(hits) and hits[0].document.metadata.get("language") == language
