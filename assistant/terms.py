"""Terms learned from the corpus: the abbreviations its documents define, and what they stand for.

Career articles define their titles and jargon as they go: "Account Executive (AE)",
"Assistant Brand Manager (ABM)", "CI (Corporate Identity)". Each such definition becomes a
group of equivalent terms, learned when the index is built and stored with it, so a question
that says "ABM" also searches for "Assistant Brand Manager", and a follow-up's "they" can stand
for the role asked about before. Nothing about any one career is written here: a maintainer who
adds articles about data analysts gets their terms the same way.

An abbreviation defined in two ways ("AD" for Account Director in one document and Art
Director in another) keeps both meanings as two groups; a question that names it matches both.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from .text import STOPWORDS, VI_FUNCTION_WORDS, Aliases, fold, words

#: Words skipped when the initials of a long form are matched with an abbreviation.
_MINOR = frozenset("of and the for to in on a an & de du la và của".split())
#: An abbreviation: a capital, then capitals, digits, "&" or a "/" between them ("AE", "KAM",
#: "B2B", "R&D", "B/L").
_ABBR = r"[A-Z](?:/?[A-Z0-9&]){1,5}"
_AFTER = re.compile(rf"\(\s*({_ABBR})s?\s*\)")  # "... Long Form (LF)"
_BEFORE = re.compile(rf"\b({_ABBR})s?\s*\(([^()\n]{{3,80}})\)")  # "LF (Long Form)"
_INSIDE = re.compile(rf"\(\s*({_ABBR})s?\s*[,;:]\s*([^()\n]{{3,80}})\)")  # "(LF, Long Form)"
_WORD = re.compile(r"[^\W_][\w'’-]*")
#: Most words a long form has.
LONGEST = 6
#: Most words after the abbreviated ones of a Vietnamese name ("du lịch" of "Hướng dẫn viên du
#: lịch (HDV)", "ngân hàng" of "Giao dịch viên ngân hàng (GDV)").
UNABBREVIATED = 2


def _initials(words: list[str]) -> str:
    letters: list[str] = []
    for word in words:
        if word.lower() in _MINOR:
            continue
        parts = [p for p in re.split(r"[-’']", word) if p]
        letters.extend(p[0] for p in parts)
    return "".join(letters).upper()


def _long_form_before(text: str, end: int, abbr: str) -> str | None:
    """The words just before ``end`` whose initials spell ``abbr``, if any; in Vietnamese,
    also the first words of the name before ``end`` when only they are abbreviated ("Hướng
    dẫn viên" of "Hướng dẫn viên du lịch (HDV, tour guide)")."""
    words = list(_WORD.finditer(text[max(0, end - 120) : end]))[-(LONGEST + 3) :]
    letters = re.sub(r"[^A-Z]", "", abbr.upper())
    for n in range(1, len(words) + 1):
        chosen = [m.group() for m in words[-n:]]
        if chosen[0].lower() in _MINOR:
            continue
        got = _initials(chosen)
        if got == letters and (chosen[0][0].isupper() or n > 1):
            # "Key Account Manager (KAM)", and a role English writes in lower case: "a
            # physical therapist (PT)"; one lower-case word is too likely a chance match.
            return " ".join(chosen)
        if chosen[0][0].isupper():
            for unabbreviated in range(1, UNABBREVIATED + 1):
                named = chosen[:-unabbreviated]
                if (
                    named
                    and named[-1].lower() not in _MINOR
                    and _initials(named) == letters
                    and _mostly_vietnamese(chosen)
                ):
                    return " ".join(named)
        if len(got) > len(letters) + UNABBREVIATED:
            break
    return None


def _long_form_inside(inner: str, abbr: str) -> str | None:
    """The parenthesised text when its initials spell ``abbr`` ("dots per inch" for DPI;
    "Key Performance Indicator" in "KPI (Key Performance Indicator – chỉ số ...)")."""
    inner = re.split(r"\s[–—-]\s|[,;:]", inner)[0]
    words = [m.group() for m in _WORD.finditer(inner)]
    if not words or len(words) > LONGEST + 2:
        return None
    return " ".join(words) if _initials(words) == re.sub(r"[^A-Z]", "", abbr.upper()) else None


def definitions(text: str) -> list[tuple[str, str]]:
    """(abbreviation, long form) for each abbreviation ``text`` defines."""
    found: list[tuple[str, str]] = []
    for m in _AFTER.finditer(text):
        long = _long_form_before(text, m.start(), m.group(1))
        if long:
            found.append((m.group(1), long))
    for m in _BEFORE.finditer(text):
        long = _long_form_inside(m.group(2), m.group(1))
        if long:
            found.append((m.group(1), long))
    for m in _INSIDE.finditer(text):
        # "(L/C, Letter of Credit)", or a gloss after the abbreviation of the words before:
        # "Giao dịch viên (GDV, teller)".
        long = _long_form_inside(m.group(2), m.group(1)) or _long_form_before(
            text, m.start(), m.group(1)
        )
        if long:
            found.append((m.group(1), long))
    return found


#: An English gloss in parentheses: "(shipping line)", "(Documentation, thường gọi là docs)",
#: "(GDV, teller)" (after the phrase's abbreviation), "(Head Chef / Executive Chef)" (two
#: names of one thing).
_EN_GLOSS = re.compile(
    rf"\((?:({_ABBR})\s*,\s*)?([A-Za-z][A-Za-z'’ /-]{{2,50}}?)\s*(?:[,;][^()\n]*)?\)"
)
#: A name that opens a sentence, then a list of its other names in brackets, then what it is:
#: "Kỹ thuật viên ô tô (KTV ô tô, thợ sửa ô tô, automotive technician) là người ...".
_OPENING_NAMES = re.compile(
    r"(?:^|(?<=[.!?:]\s))([^\W\d_][\w -]{2,60}?) \(([^()\n]{2,150})\) (?:là|is|are)\b",
    re.MULTILINE,
)
#: An English name in such a list: one to ``LONGEST`` words of letters.
_ENGLISH_NAME = re.compile(r"[A-Za-z][A-Za-z'’-]*(?: [A-Za-z][A-Za-z'’-]*){0,5}")
#: Between two names a gloss gives for one thing.
_OR_NAME = re.compile(r"\s+/\s+")
#: A Vietnamese gloss in parentheses after an English name: "Media Planner (chuyên viên ...)".
_VI_GLOSS = re.compile(r"\b([A-Z][\w-]*(?: [A-Z][\w-]*){1,3}) \(([^()\n,;:0-9]{3,60})\)")
#: Words that end a Vietnamese phrase glossed after it ("làm việc với [đội lập trình]").
_VI_BOUNDARY = frozenset(
    "là của và các những một có như cho với ở tại trong theo được bởi để về hay hoặc khi thì "
    "đến sang vào này đó nên cần phải sẽ đã đang bằng gồm còn mà vì nếu rồi cũng rất do "
    "bạn họ lên".split()
)
_VI_BOUNDARY_FOLDED = frozenset(fold(w) for w in _VI_BOUNDARY)
#: Syllables a Vietnamese phrase takes per English word of its gloss, at most.
SYLLABLES_PER_WORD = 2


def _vietnamese(text: str) -> bool:
    return fold(text) != text.lower()


def glosses(text: str) -> list[tuple[str, str]]:
    """(Vietnamese, English) for each term ``text`` glosses in the other language: "hãng tàu
    (shipping line)", "Trưởng phòng xuất nhập khẩu (Import-Export Manager)", "Media Planner
    (chuyên viên hoạch định truyền thông)". A Vietnamese article names its jargon in English
    beside it; the pair lets an English question find the Vietnamese passage, and back."""
    listed = _listed_names(text)
    found = [pair for pairs in listed.values() for pair in pairs]
    for m in _EN_GLOSS.finditer(text):
        if m.start() in listed:
            continue
        names = [" ".join(n.split()) for n in _OR_NAME.split(m.group(2))]
        n = max(len(re.findall(r"[A-Za-z]+", english)) for english in names)
        if (
            any(
                _is_abbreviation(english)
                or "/" in english  # "(CI/CD)"
                or _vietnamese(english)
                or any(w.isupper() and len(w) > 1 for w in english.split())  # "(USD per year)"
                or {fold(w) for w in english.split()} & _VI_BOUNDARY_FOLDED  # "(hay Client ...)"
                for english in names
            )
            or not 1 <= n <= LONGEST
            or m.group().count(",") > 1  # a list of examples ("Deloitte, PwC, EY"), not a name
        ):
            continue
        # "Giao dịch viên (GDV, teller)": the phrase is the abbreviation's long form.
        long = m.group(1) and _long_form_before(text, m.start(), m.group(1))
        if long and _mostly_vietnamese(long.split()):
            found.extend((long, english) for english in names)
            continue
        # The phrase glossed ends at punctuation or a line break (a heading above it).
        before = re.split(r"[^\w \t/&-]", text[max(0, m.start() - 120) : m.start()])[-1].split()
        phrase: list[str] = []
        for word in reversed(before):
            if word.lower() in _VI_BOUNDARY or len(phrase) >= SYLLABLES_PER_WORD * n:
                break
            phrase.insert(0, word)
        if len(phrase) >= 2 and _mostly_vietnamese(phrase):
            found.extend((" ".join(phrase), english) for english in names)
    for m in _VI_GLOSS.finditer(text):
        phrase = m.group(2).split()
        if 2 <= len(phrase) <= LONGEST and _mostly_vietnamese(phrase):
            found.append((" ".join(phrase), m.group(1)))
    return found


def _listed_names(text: str) -> dict[int, list[tuple[str, str]]]:
    """(Vietnamese, English) for each English name in the list in brackets after a
    Vietnamese name that opens a sentence ("Kỹ thuật viên ô tô (KTV ô tô, thợ sửa ô tô,
    automotive technician) là ..."): every one names the whole phrase, however long. Keyed
    by where the brackets open."""
    found: dict[int, list[tuple[str, str]]] = {}
    for m in _OPENING_NAMES.finditer(text):
        phrase = m.group(1).split()
        if (
            not 2 <= len(phrase) <= SYLLABLES_PER_WORD * LONGEST
            or not _mostly_vietnamese(phrase)
            or any(w.lower() in _VI_BOUNDARY for w in phrase)  # "Các công ty lớn như Big4"
        ):
            continue
        found[m.start(2) - 1] = [
            (" ".join(phrase), name)
            for name in (" ".join(n.split()) for n in m.group(2).split(","))
            if _ENGLISH_NAME.fullmatch(name) and not any(w.isupper() for w in name.split())
        ]
    return found


def _mostly_vietnamese(words: list[str]) -> bool:
    """Whether a phrase reads as Vietnamese: half its words or more have diacritics, or it
    has some and no capitalised English word ("nhóm account Director" is a mix)."""
    marked = sum(_vietnamese(w) for w in words)
    named = any(w[:1].isupper() and w.isascii() for w in words)
    quoted = any(c in w for w in words for c in "\"“”'")
    return not quoted and marked > 0 and (2 * marked >= len(words) or not named)


def learn_glosses(texts: Iterable[str]) -> list[list[str]]:
    """Groups ``[Vietnamese, English]`` of the terms the texts gloss (``glosses``), each as
    most often written."""
    return _most_written(pair for text in texts for pair in glosses(text))


def learn_subjects(texts: Iterable[str]) -> list[list[str]]:
    """Groups ``[Vietnamese, English]`` of the names a sentence opens with and lists its
    English names after ("Tư vấn viên bảo hiểm nhân thọ (đại lý bảo hiểm, insurance agent)
    là ..."): what an article is about, each as most often written."""
    return _most_written(
        pair for text in texts for pairs in _listed_names(text).values() for pair in pairs
    )


def _most_written(pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Each pair once, as most often written (pairs the same once folded are one)."""
    spellings: dict[tuple[str, str], Counter[str]] = {}
    for vietnamese, english in pairs:
        key = (fold(vietnamese), fold(english))
        if key[0] != key[1]:
            spellings.setdefault(key, Counter())[f"{vietnamese}\n{english}"] += 1
    return [counts.most_common(1)[0][0].split("\n") for _, counts in sorted(spellings.items())]


#: A Vietnamese abbreviation typed as a word: the initials of three to five syllables,
#: consonants all ("bhxh", "kts"); two letters are as often a chat word ("dc" for "được").
_CONSONANTS = "bcdfghklmnpqrstvx"
_INITIALS = re.compile(rf"[{_CONSONANTS}]{{3,5}}")
#: How often the corpus writes a phrase for its initials to stand for it, and how many times
#: more often than any other phrase with the same initials.
INITIALS_WRITTEN = 2
INITIALS_AHEAD = 2


def is_initials(word: str) -> bool:
    """Whether ``word`` could be the initials of a Vietnamese phrase ("bhxh", "KTS")."""
    return bool(_INITIALS.fullmatch(fold(word).lower()))


def _function_word(word: str) -> bool:
    """Whether ``word`` (lower case, with its marks) is a function word of either language."""
    return word in VI_FUNCTION_WORDS or (word == fold(word) and word in STOPWORDS)


def learn_initials(texts: Iterable[str]) -> dict[str, str]:
    """The Vietnamese phrase each set of initials stands for ("bhxh" -> "bảo hiểm xã hội",
    "kts" -> "kiến trúc sư"), as the texts write it: people type the initials of a long name
    the articles spell out. A phrase counts when the texts write it ``INITIALS_WRITTEN`` times
    or more and ``INITIALS_AHEAD`` times as often as any other phrase with those initials."""
    counts: dict[str, Counter[str]] = {}
    for text in texts:
        tokens = words(text)
        # Each word's initial when a name's syllable may start with it (a consonant; letters
        # only: "2-3 năm" is no name), whether it has marks (they make a phrase Vietnamese),
        # and whether it is a function word (a name neither starts nor ends with one: "tư vấn
        # về").
        plain = [fold(w) for w in tokens]
        initial = [
            p[:1] if w.isalpha() and p[:1] in _CONSONANTS else ""
            for w, p in zip(tokens, plain, strict=True)
        ]
        marked = [p != w for w, p in zip(tokens, plain, strict=True)]
        function = [_function_word(w) for w in tokens]
        for n in range(3, 6):
            for i in range(len(tokens) - n + 1):
                end = i + n
                if (
                    all(initial[i:end])
                    and any(marked[i:end])
                    and not function[i]
                    and not function[end - 1]
                ):
                    key = "".join(initial[i:end])
                    counts.setdefault(key, Counter())[" ".join(tokens[i:end])] += 1
    learned = {}
    for key, phrases in counts.items():
        (best, written), *other = phrases.most_common(2)
        if written >= INITIALS_WRITTEN and (not other or written >= INITIALS_AHEAD * other[0][1]):
            learned[key] = best
    return learned


def learn_terms(texts: Iterable[str]) -> list[list[str]]:
    """Groups ``[abbreviation, long form]`` for the abbreviations the texts define, the most
    often defined first.

    A long form is kept as it is most often written; one abbreviation with two long forms
    makes two groups.
    """
    spellings: dict[tuple[str, str], Counter[str]] = {}
    for text in texts:
        for abbr, long in definitions(text):
            spellings.setdefault((abbr, role_word(long)), Counter())[long] += 1
    # Most often defined first: a corpus's main roles before its passing jargon.
    ranked = sorted(spellings.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    return [[abbr, counts.most_common(1)[0][0]] for (abbr, _), counts in ranked]


def _is_abbreviation(term: str) -> bool:
    return re.fullmatch(_ABBR, term) is not None


def merge_groups(
    maintained: Iterable[Iterable[str]], learned: Iterable[Iterable[str]]
) -> tuple[list[list[str]], set[int]]:
    """The maintained groups (``corpus/aliases.yaml``) and the learned ones as one list, and
    the indices of the learned groups in it (the corpus's named terms: titles and jargon).

    A maintained group that shares a long form with a learned group, or an abbreviation that
    the corpus defines only one way, adds its terms (spun words, translations) to that group.
    """
    merged = [list(g) for g in learned]
    meanings = Counter(fold(g[0]) for g in merged if g and _is_abbreviation(g[0]))
    keys = [
        {fold(t) for t in g if not _is_abbreviation(t) or meanings[fold(t)] == 1} for g in merged
    ]
    out: list[list[str]] = []
    for group in maintained:
        terms = [str(t) for t in group]
        folded = {fold(t) for t in terms}
        targets = [i for i, k in enumerate(keys) if k & folded]
        if not targets:
            out.append(terms)
            continue
        for i in targets:
            merged[i].extend(t for t in terms if fold(t) not in {fold(x) for x in merged[i]})
    start = len(out)
    return out + merged, set(range(start, start + len(merged)))


#: The words after which a capitalised name is a place ("ở Việt Nam", "in Singapore").
PLACE_CUES = frozenset({"ở", "tại", "in", "at"})
_NAME = re.compile(r"\b[A-Z][\w-]*(?: [A-Z][\w-]*){1,3}\b")
#: A word that ends this many different capitalised names is the head of a role's name.
HEAD_NAMES = 2
#: What a career's credentials are called: such a word ends many capitalised names ("Private
#: Pilot Licence", "Commercial Pilot Licence") but names no role ("a nursing practice licence"
#: is not a role the corpus lacks).
CREDENTIALS = frozenset(
    "licence license certificate certification exam examination course degree diploma permit "
    "program programme".split()
)


#: A lower-case word right after a capitalised name: a Vietnamese name may run on in lower
#: case ("Luật Kiến trúc"), where the name's last capitalised syllable is no role's head.
_RUN_ON = re.compile(rf" ({_WORD.pattern})")
#: A name's last word followed by the next one in at least this share of the places the
#: corpus writes it is the first syllable of a longer word ("Kiến" of "Kiến trúc").
BOUND_SHARE = 0.5


@functools.lru_cache(maxsize=1 << 16)
def role_word(word: str) -> str:
    """A word as role names are compared: folded, a plural's final "s" dropped."""
    return re.sub(r"s$", "", fold(word))


def role_heads_of(roles: Iterable[str]) -> frozenset[str]:
    """The head words of the corpus's role names (``role_phrases``: "media planner")."""
    return frozenset(role.split()[-1] for role in roles)


def names_a_role(names: Iterable[str], heads: Iterable[str]) -> bool:
    """Whether a term is a role: one of its ``names`` ends with a role's head word (an Art
    Director, a PT where "Staff PT" makes "PT" a head), not a certificate, exam or degree."""
    heads = set(heads)
    return any(role_word(name.split()[-1]) in heads for name in names if name.split())


def name_words(text: str) -> list[str]:
    """The words of ``text`` as names are written, case kept: "import-export" is one word."""
    return _WORD.findall(text)


def role_heads(texts: Iterable[str], terms: Iterable[Sequence[str]] = ()) -> set[str]:
    """The words that end several capitalised names in the texts ("Designer" in "Junior
    Designer", "Senior Designer", "Graphic Designer"): the heads of the corpus's role names,
    folded. A word that ends a place's name ("Việt Nam" after "ở", "tại", "in") is none.

    With the corpus's ``terms`` (``learn_terms``): also the last word of a term's long form
    whose abbreviation is a head, a role English writes in lower case ("therapist" of "a
    physical therapist (PT)" beside "Staff PT" and "New graduate PT")."""
    texts = list(texts)
    # each name's words, and its last word with the lower-case word after it (marks kept)
    found: list[tuple[list[str], tuple[str, str]]] = []
    places: set[str] = set()
    for text in texts:
        for match in _NAME.finditer(text):
            written = match.group().split()
            folded = [fold(w) for w in written]
            next_word = _RUN_ON.match(text, match.end())
            follower = next_word.group(1) if next_word else ""
            pair = (written[-1].lower(), follower if follower[:1].islower() else "")
            found.append((folded, pair))
            preceding = name_words(text[max(0, match.start() - 12) : match.start()])
            if preceding and preceding[-1].lower() in PLACE_CUES:
                places.add(role_word(folded[-1]))
    bound = _bound_pairs(texts, {pair for _, pair in found if pair[1]})
    names: dict[str, set[str]] = {}
    for folded, pair in found:
        if pair not in bound:
            names.setdefault(role_word(folded[-1]), set()).add(" ".join(folded[:-1]))
    heads = {h for h, before in names.items() if len(before) >= HEAD_NAMES} - places - CREDENTIALS
    return heads | {
        role_word(long.split()[-1])
        for abbr, long in terms
        if role_word(abbr) in heads and len(long.split()) > 1
    }


def _bound_pairs(texts: list[str], pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (word, next word) ``pairs``, in lower case with their marks, that the texts write
    together at least twice, and in at least ``BOUND_SHARE`` of the places they write the
    first word in lower case: one word of several syllables ("kiến trúc", not "điều kiện"),
    whose first syllable ends no name. A name's word that is never written in lower case
    ("DevOps engineer") stays one."""
    firsts = {first for first, _ in pairs}
    written: Counter[str] = Counter()
    together: Counter[tuple[str, str]] = Counter()
    for text in texts:
        tokens = _WORD.findall(text)
        for first, second in zip(tokens, [*tokens[1:], ""], strict=True):
            if first in firsts:
                written[first] += 1
                together[first, second] += (first, second) in pairs
    return {
        pair
        for pair in pairs
        if together[pair] >= 2 and together[pair] >= BOUND_SHARE * written[pair[0]]
    }


def role_phrases(texts: Iterable[str], heads: set[str]) -> set[str]:
    """Every "word head" pair of the texts whose second word is a role head ("ux designer",
    "media planner"), folded: the roles the corpus names, defined or not."""
    found = set()
    for text in texts:
        words = [role_word(w) for w in name_words(text)]
        for before, word in zip(words, words[1:], strict=False):
            if word in heads and _qualifies(before):
                found.add(f"{before} {word}")
    return found


def roles_named(text: str, roles: frozenset[str]) -> list[str]:
    """The corpus's role names (``role_phrases``) that ``text`` names, in order, folded."""
    words = [role_word(w) for w in name_words(text)]
    return [
        f"{a} {b}"
        for a, b in zip(words, words[1:], strict=False)
        if f"{a} {b}" in roles and _qualifies(a)
    ]


def written_roles(text: str, roles: frozenset[str]) -> list[str]:
    """The corpus's role names (``role_phrases``) that ``text`` names, as it writes them and
    in order ("First Officer" for "first officer")."""
    matches = list(_WORD.finditer(text))
    found = []
    for a, b in zip(matches, matches[1:], strict=False):
        pair = f"{role_word(a.group())} {role_word(b.group())}"
        if pair in roles and _qualifies(role_word(a.group())) and text[a.end() : b.start()] == " ":
            found.append(f"{a.group()} {b.group()}")
    return found


#: Words before a role that make it where a move starts: "from AM to AD", "từ AM lên AD",
#: "the level after AE", "cấp sau AE" (an article or "being"/"làm" may come between).
_LEFT = re.compile(r"\b(?:from|after|tu|sau)\s+(?:(?:an?|the|being|lam|cap|vi tri)\s+){0,2}$")
#: Words before a role that make it where a move ends: "become an AM", "to AD", "lên AM",
#: "trở thành AD", "làm AM".
_REACHED = re.compile(
    r"\b(?:to|into|become|becomes|becoming|until|till|reach|reaching|len|thanh|lam)\s+"
    r"(?:(?:an?|the|cap|vi tri|chuc)\s+){0,2}$"
)


def _named_after(
    text: str, before: re.Pattern[str], aliases: Aliases, roles: frozenset[str]
) -> set[str]:
    """The titles (``#group``) and corpus roles ``text`` names right after words ``before``
    matches."""
    folded = fold(text)
    found = {f"#{g}" for start, _, g in aliases.title_spans(text) if before.search(folded[:start])}
    words = [(m.start(), role_word(m.group())) for m in _WORD.finditer(folded)]
    for (start, a), (_, b) in zip(words, words[1:], strict=False):
        if f"{a} {b}" in roles and _qualifies(a) and before.search(folded[:start]):
            found.add(f"{a} {b}")
    return found


def roles_left(text: str, aliases: Aliases, roles: frozenset[str]) -> set[str]:
    """The titles (``#group``) and corpus roles that ``text`` names as where a move starts
    ("Moving from Account Manager (AM) to Account Director (AD) takes 5-6 years": AM)."""
    return _named_after(text, _LEFT, aliases, roles)


def roles_reached(text: str, aliases: Aliases, roles: frozenset[str]) -> set[str]:
    """The titles and corpus roles that ``text`` names as where a move ends ("bao lâu thì lên
    AM?", "how long to become an account manager?": AM), not also as where one starts."""
    return _named_after(text, _REACHED, aliases, roles) - roles_left(text, aliases, roles)


def subject_names(aliases: Aliases, groups: Iterable[int], roles: Iterable[str]) -> list[str]:
    """The names a question calls its subject by: every spelling of the alias ``groups`` it
    names, then the corpus ``roles`` it names, each once."""
    terms = [t for g in sorted(groups) for t in aliases.groups[g]]
    return list(dict.fromkeys([*terms, *sorted(roles)]))


def _qualifies(word: str) -> bool:
    """Whether ``word`` can make a role of the head word after it: "media" planner, not "a"
    PM or "but" PM."""
    return word not in STOPWORDS and not word.isdigit()


def with_terms(
    aliases: Aliases, learned: Iterable[Iterable[str]], glossed: Iterable[Iterable[str]] = ()
) -> Aliases:
    """The maintained alias table, the terms learned from the corpus and its glosses, merged
    (``merge_groups``); the learned groups are the named terms (job titles and the like). A
    gloss joins the group of a term it shares ("Media Planner" and its Vietnamese name)."""
    maintained = [*aliases.groups, *(list(g) for g in glossed)]
    groups, titles = merge_groups(maintained, [list(g) for g in learned])
    merged = Aliases.from_groups(groups)
    return Aliases(merged.groups, merged._patterns, frozenset(titles))
