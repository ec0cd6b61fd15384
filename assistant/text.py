"""Text handling for Vietnamese and English: normalisation, folding, tokens, language, aliases.

Vietnamese is often typed without diacritics ("account executive la gi"), so the lexical side
indexes every word twice: as written (lower-cased, NFC) and folded (tones and marks removed,
"đ" -> "d"). A question with diacritics then matches both forms and ranks exact matches higher;
one without matches the folded form.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_WORD = re.compile(r"\w+", re.UNICODE)
# Invisible characters that break words apart or reorder text: zero-width, bidi marks, BOM.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\x00]")
# Lone surrogates: undecodable bytes of a command-line argument (Python keeps them as
# U+DC80-U+DCFF) or a broken JSON escape. They cannot be encoded as UTF-8, so they are replaced.
_SURROGATE = re.compile("[\ud800-\udfff]")
_VI_MARKED = re.compile("[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]")
# Frequent Vietnamese words once their marks are removed; rare in English text.
_VI_PLAIN = frozenset(
    """
    la gi lam cua nguoi cong viec nhung trong duoc khong bao lau nao nhu the sao tai vi va
    voi cho mot cac cung se thi nhieu phai can toi ban minh hoc len tro thanh nam khach hang
    chuc vu cap bac nghe quan ly chien luoc khac nhau giua nhan vien
    """.split()
)
_EN_PLAIN = frozenset(
    """
    the a an is are what how does do long who which why of to in and for become between
    difference years year doing role job work mean means i it on no so me my he we be go up
    at can not but get got then than that them there this they you your our us or if
    """.split()
)


# Words that carry no topic, folded. Standard English function words and frequent verbs, and
# Vietnamese function words (with their folded collisions: "la" = là/lá, "gi" = gì, ...).
STOPWORDS = frozenset(
    """
a about above after again against all also am an and any are aren around as at be because become
becomes becoming been
before being below between both but by can cannot could did didn do does doesn doing don done
down during each else even ever every few for from further get gets getting give given go goes
going gone got had has have having he her here hers herself him himself his how however i if in
into is isn it its itself just know like ll make makes many may me might more most much must my
myself need no nor not now of off often on once one only or other ought our ours ourselves out
over own per please re really same say says she should so some something someone such take tell
than that the their theirs them themselves then there these they thing things think this those
through to too under until up us usually ve very want was way we well were what when where
which while who whom whose why will with without would yes yet you your yours yourself
actually basically exactly kind sort lot lots
ai anh ay ba bao bi bo cac cach cai can cho chi chu chua co con cua cung da dang day de den
deu di do duoc gi gio ha hay hai het hoac hoi ko khi khong la lai lam len luc ma may minh mot
muon nao ne neu nhe nhi nhieu nhu nhung nua o oi phai qua ra rang rat roi sao se su ta tai
the thi thoi thuc toi tu tung va vao vay ve vi voi xin
dc dk ko k j vd ntn nha nhe nhen a e mn bt thui hok hem ak uh uk ok oki okay bn bnh
""".split()
)


# The Vietnamese function words above as they are written, with their marks: "đang" (is
# doing) is one, "đẳng" of "cao đẳng" (college), which folds to the same "dang", is none.
VI_FUNCTION_WORDS = frozenset(
    """
à ai anh ấy bà bao bị bỏ bố các cách cái cần cho chỉ chị chứ chưa có cô con còn của cũng đã
đang đây đấy để đến đều đi đó do được gì giờ hả hay hai hết hoặc hỏi hơi khi không là lại làm
lên lúc mà mấy mình một muốn nào nè nếu nhé nhỉ nhiều như những nhưng nữa ở ơi phải qua quá
ra rằng rất rồi sao sẽ sự ta tại thế thể thì thôi thực tôi tới từ tự từng và vào vậy về vì
với xin
""".split()
)


def normalize(text: str) -> str:
    """Unicode NFC, invisible characters removed, runs of spaces folded (newlines kept).

    Lone surrogates (which cannot be encoded as UTF-8) become U+FFFD.
    """
    text = unicodedata.normalize("NFC", _SURROGATE.sub("\ufffd", text))
    text = _INVISIBLE.sub("", text)
    text = re.sub(r"[ \t\f\v\r]+", " ", text)
    return text.strip()


@functools.lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lower-case and remove tones and diacritics: "Là Gì, Đi" -> "la gi, di" (cached: the
    BM25 index folds every word of the corpus, mostly the same few thousand)."""
    text = unicodedata.normalize("NFC", text).lower().replace("đ", "d")
    stripped = "".join(
        c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)
    )
    return unicodedata.normalize("NFC", stripped)


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, diacritics kept."""
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry its topic (no stop words, no single letters)."""
    return [w for w in words(text) if len(w) > 1 and fold(w) not in STOPWORDS]


def lexical_tokens(text: str) -> list[str]:
    """Tokens for the BM25 index: every word folded, plus the accented form where it differs."""
    out: list[str] = []
    for word in words(text):
        plain = fold(word)
        out.append(plain)
        if plain != word:
            out.append(word)
    return out


# A Vietnamese syllable typed without marks: an initial consonant, then one of the language's
# rhymes (vowels and a final consonant). Most English words are not one ("salary", "what",
# "designer"); the short ones that are ("the", "can", "long") are in the English list above.
_VI_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnrstvx])?"
    r"(?:uye[nt]|uynh|uych|uya|uyu|uy[ut]?|"
    r"oa(?:ch|nh|ng|[cimnpoty])?|oe[nto]?|oo(?:ng|c)|"
    r"ie(?:ng|[cmnptu])|ye[ntu]?|uo(?:ng|[cimnptu])|ua|"
    r"a(?:ch|nh|ng|[cimnoptuy])?|e(?:ch|nh|ng|[cmnopt])?|i(?:ch|nh|[acmnptu])?|"
    r"o(?:ng|[cimnpt])?|u(?:ng|[acimnptuy])?|y)"
)


def vi_syllable(word: str) -> bool:
    """Whether a folded ``word`` could be a Vietnamese syllable typed without marks."""
    return bool(_VI_SYLLABLE.fullmatch(word))


# How Vietnamese is written in chats: "dc" (được), "ko" (không), "bn" (bao nhiêu).
_VI_CHAT = frozenset("dc dk ko k j gj bn mn ntn hok ak nha nhe ah uh".split())


def detect_language(text: str) -> str:
    """'vi' or 'en': marks decide; unmarked text weighs its words: Vietnamese syllables and
    chat abbreviations against English words (any that is not a Vietnamese syllable), the
    common words of each language counting twice. Abbreviations in capitals (AE, SEO) and
    numbers count for neither."""
    if _VI_MARKED.search(text.lower()):
        return "vi"
    vi = en = 0
    for word in _WORD.findall(text):
        token = fold(word)
        if token.isdigit() or (len(word) > 1 and word.isupper()):
            continue
        if token in _EN_PLAIN:
            en += 2
        elif token in _VI_PLAIN or token in _VI_CHAT:
            vi += 2
        elif vi_syllable(token):
            vi += 1
        else:
            en += 1
    return "vi" if vi > en else "en"


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"'“(\[]?[A-ZÀ-Ỹa-zà-ỹĐđ0-9])|\n+")


def sentences(text: str) -> list[str]:
    """Split a passage into sentences (and lines); headings and fragments are kept as given."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def term_pattern(term: str) -> str:
    """A term as a pattern on folded text; a written-out English one also in the plural
    ("account managers"), an abbreviation not ("AD" is not "ads")."""
    plural = any(c.islower() for c in term) and len(term) >= 4 and term.isascii()
    return re.escape(fold(term)) + ("(?:s|es)?" if plural else "")


@dataclass(frozen=True)
class Aliases:
    """Groups of terms that mean the same thing (abbreviations, translations, spun words).

    A question that contains one term of a group is also searched with the others.
    """

    groups: tuple[tuple[str, ...], ...] = ()
    _patterns: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)
    #: The groups that are job titles (AE, account manager...).
    titles: frozenset[int] = frozenset()

    @classmethod
    def from_groups(
        cls, groups: Iterable[Sequence[str]], titles: Iterable[str] | None = None
    ) -> Aliases:
        """Args:
        groups: terms that mean the same thing, one group each.
        titles: terms naming the job titles (none by default: they are learned from the
            corpus, see ``with_terms``).
        """
        clean = tuple(tuple(str(t).strip() for t in g if str(t).strip()) for g in groups)
        clean = tuple(g for g in clean if len(g) > 1)
        patterns = tuple(
            re.compile(r"\b(?:" + "|".join(term_pattern(t) for t in g) + r")\b") for g in clean
        )
        wanted = {fold(str(t)) for t in titles or []}
        named = {i for i, g in enumerate(clean) if wanted & {fold(t) for t in g}}
        return cls(clean, patterns, frozenset(named))

    @classmethod
    def load(cls, path: Path) -> Aliases:
        """Read ``aliases.yaml`` (``groups: [[term, ...], ...]``, ``titles: [term, ...]``); a
        missing file means none."""
        if not path.is_file():
            return cls()
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        titles = data.get("titles")
        return cls.from_groups(
            data.get("groups") or [], None if titles is None else [str(t) for t in titles]
        )

    def entities(self, text: str) -> set[int]:
        """The job-title groups (AE, AM, AD...) that ``text`` names."""
        return {group for _, _, group in self._title_matches(text)}

    def mentions(self, text: str, titles_only: bool = True) -> list[tuple[int, int]]:
        """(start, end) of each job title ``text`` names (AE, account manager...), in order;
        with ``titles_only=False``, of every term of a group with an abbreviation (KH too)."""
        if len(fold(text)) != len(text):  # offsets would not carry over
            return []
        return list(
            dict.fromkeys((start, end) for start, end, _ in self._title_matches(text, titles_only))
        )

    def title_spans(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, group) of each job title ``text`` names, in ``fold(text)``'s offsets."""
        return self._title_matches(text)

    def first_title(self, text: str) -> int | None:
        """The group of the first job title ``text`` names: what a passage is about."""
        matches = self._title_matches(text)
        return matches[0][2] if matches else None

    def _title_matches(self, text: str, titles_only: bool = True) -> list[tuple[int, int, int]]:
        """(start, end, group) of job titles in ``text``, the longest where they overlap:
        "group account director" is a GAD, not also an AD. Lower-case "am", "ad", "an" and
        "as" are English words, not titles."""
        folded = fold(text)
        found: list[tuple[int, int, int]] = []
        for i, (group, pattern) in enumerate(zip(self.groups, self._patterns, strict=True)):
            named = i in self.titles or (
                not titles_only and any(t.isupper() and len(t) <= 4 for t in group)
            )
            if not named:
                continue
            for m in pattern.finditer(folded):
                word = text[m.start() : m.end()] if len(folded) == len(text) else m.group()
                if not (word.islower() and word in {"am", "ad", "an", "as"}):
                    found.append((m.start(), m.end(), i))
        found.sort(key=lambda f: (f[0], f[0] - f[1]))
        kept: list[tuple[int, int, int]] = []
        for match in found:
            # The same words in two groups ("AD": Account Director, Art Director) name both:
            # which one is meant is for the passages found to tell.
            if not kept or match[0] >= kept[-1][1] or match[:2] == kept[-1][:2]:
                kept.append(match)
        return kept

    def expansions(self, text: str, keep: Callable[[str, str], bool] | None = None) -> list[str]:
        """The terms of every group that ``text`` mentions, other than those it already has.

        ``keep(term, written)``, if given, decides whether a term is added beside each term of
        its group that ``text`` writes."""
        found: list[str] = []
        for group, has in self.written(text):
            found.extend(
                t for t in group if t not in has and (keep is None or all(keep(t, w) for w in has))
            )
        return found

    def written(self, text: str) -> list[tuple[tuple[str, ...], list[str]]]:
        """Each group ``text`` mentions, with the terms of it that ``text`` writes."""
        folded = fold(text)
        return [
            (group, [t for t in group if re.search(r"\b" + re.escape(fold(t)) + r"\b", folded)])
            for group, pattern in zip(self.groups, self._patterns, strict=True)
            if pattern.search(folded)
        ]


#: Zipf frequency (``wordfreq``: 3 is once per million words) under which a word is uncommon
#: in both English and Vietnamese: a name for a particular thing ("bartender", "appraiser"),
#: not a word any question may use ("average", "promoted", "training").
UNCOMMON_ZIPF = 4.0


@functools.lru_cache(maxsize=4096)
def a_word_of(word: str, language: str) -> bool:
    """Whether ``word`` is a word of ``language`` that people write (wordfreq lists it):
    "mechanic" is, "asdfghjkl" and "12345" are not."""
    from wordfreq import zipf_frequency

    return word.isalpha() and zipf_frequency(word, language) > 0


@functools.lru_cache(maxsize=4096)
def uncommon(word: str) -> bool:
    """Whether ``word`` is rare in everyday English and Vietnamese (``UNCOMMON_ZIPF``)."""
    from wordfreq import zipf_frequency

    return max(zipf_frequency(word, "en"), zipf_frequency(word, "vi")) < UNCOMMON_ZIPF
