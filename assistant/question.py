"""What a question asks for, read once at the top and passed down.

Nothing here knows a career: the cues are how English and Vietnamese speakers ask for a
duration or an amount of money, and how they join two questions into one. What a question is
*about* (its job titles and jargon) comes from the corpus (``assistant.terms``).

- ``answer_kind``: the kind of fact expected. ``duration`` ("how long", "bao lâu", "mấy năm")
  and ``money`` ("salary", "lương", "bao nhiêu tiền") are the kinds a sentence visibly holds
  or not (``fact_kinds``: a number with a unit of time, or with a currency), so an answer can
  prefer the sentences that hold one, and say so plainly when no source gives one.
- ``split_parts``: "What does an AE do, and how long until AM?" is two questions, each
  answered with its own search and citations. A comparison ("X khác Y chỗ nào?") stays whole.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .terms import name_words, role_word
from .text import (
    STOPWORDS,
    VI_FUNCTION_WORDS,
    content_words,
    detect_language,
    fold,
    uncommon,
    vi_syllable,
    words,
)

DURATION = "duration"
MONEY = "money"
#: What something costs (an exam, a course): money paid, not earned. A salary table does not
#: answer "how much does the exam cost?".
COST = "cost"
#: A share or a rate given as a percentage: a commission, a pass rate, a raise "bao nhiêu %".
PERCENT = "percent"

# What something costs: a word for a cost and a question for an amount, in either order ("how
# much does the exam cost", "le phi thi bao nhieu"); "What is the monthly fee called?" asks
# for a name.
# "phí" alone is a fee only where it is what is asked ("mất phí", "phí bao nhiêu"): "phi công"
# is a pilot.
_COST_WORDS = (
    r"(?:costs?|fees?|prices?|tuition|hoc phi|le phi|chi phi|phi thi|phi dang ky|phi dich vu|"
    r"mat phi|ton|het|"
    r"phi(?= (?:la )?bao nhieu))"
)
_AMOUNT = r"(?:how much|bao nhieu)"  # "bn" is spelled out first (``_cue_text``)
# Cues matched on folded text (lower case, no diacritics), as whole words. A group holds the
# words a cue spans that are not its own ("how much does <a UX designer> make").
_KIND_CUES = {
    DURATION: (
        r"how long|how many (?:more )?(?:years?|months?|weeks?)|how much time|"
        r"how soon|how quickly|how fast|bao lau|may nam|bao nhieu nam|may thang|"
        r"bao nhieu thang|bao gio thi|khi nao thi|mat bao lau|mat may|may ngay|"
        r"bao nhieu ngay|how many days|may tuan|how many hours|may tieng|bao nhieu tieng|"
        r"thoi han (?:la )?(?:bao lau|may nam|bao nhieu nam)|"
        # A comparison asks how long each side takes: "nghề nào phải học lâu hơn", "which
        # one takes longer", "so sánh thời gian học"; "lên chức nhanh hơn" alone asks how to.
        r"lau hon|takes? (?:longer|less time|more time)|thoi gian (?:hoc|dao tao|huan luyen)|"
        r"(?:nao|ai|which|who)\b.{0,40}\b(?:nhanh hon|faster|quicker|longer)"
    ),
    MONEY: (
        r"salary|salaries|paid|pay|payscale|earn|earns|earning|earnings|income|wage|wages|"
        r"compensation|how much (?:do|does|can|will|would) (.{0,30})(?:make|get)|"
        r"luong|thu nhap|bao nhieu tien|kiem duoc|kiem bao nhieu|tra bao nhieu|"
        r"muc luong|luong bong|take home|take-home|thuc nhan|thuc linh|"
        r"pays (?:more|less|better|the most)|(?:better|higher|best|highest) paid|"
        r"(?:nao|ai|which|who)\b.{0,40}\b(?:kiem (?:duoc )?(?:nhieu|it) hon|nhieu tien hon|"
        r"makes? (?:more|the most) money)"
    ),
    COST: rf"{_AMOUNT}\b(.{{0,60}})\b{_COST_WORDS}|{_COST_WORDS}\b(.{{0,60}})\b{_AMOUNT}|"
    # Which of two costs more: "cái nào rẻ hơn", "how much more expensive".
    r"re hon|dat hon|cheaper|(?:more|less) expensive|costs? (?:more|less)",
}
# "lương" without diacritics is "luong", also the end of these words, unless an amount is
# asked of it ("o da nang luong bn": "Đà Nẵng, lương bao nhiêu", not "năng lượng").
_NOT_MONEY = re.compile(
    r"\b(?:chat|so|khoi|dung|nang|luc|trong|uoc|dinh|hai) luong\b(?! bao nhieu)|"
    r"\bpay (?:attention|off)\b|\bpays off\b|\bearn(?:s|ed|ing)? (?:\S+ ){0,3}?"
    r"(?:promotion|reputation|place|trust|respect)"
)
# How chats shorten the words the cues are written with (folded): "luong bn", "kiem dc bn",
# "how many yrs".
_CHAT_WORDS = {"bn": "bao nhieu", "bnhieu": "bao nhieu", "dc": "duoc", "yrs": "years", "yr": "year"}
_CHAT = re.compile(rf"\b(?:{'|'.join(_CHAT_WORDS)})\b")


def _cue_text(text: str) -> str:
    """``text`` as the cues for a kind of fact read it: folded, its chat shorthand spelled
    out, without the words that only end in "luong"."""
    spelled = _CHAT.sub(lambda m: _CHAT_WORDS[m.group(0)], fold(text))
    return _NOT_MONEY.sub(" ", spelled)


_KIND_PATTERNS = {kind: re.compile(rf"\b(?:{cues})\b") for kind, cues in _KIND_CUES.items()}
# "%" is no word: it stands outside the word boundaries of the other cues.
_KIND_PATTERNS[PERCENT] = re.compile(
    r"%|\b(?:phan tram|percent|percentages?|ti le|ty le|pass rates?)\b"
)

# Vietnamese numbers in words, folded.
_VI_NUMBER = r"mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi"
_NUMBER = rf"(?:\d+(?:[.,]\d+)*|one|two|three|four|five|six|seven|eight|nine|ten|{_VI_NUMBER})"
_TIME_UNIT = r"(?:years?|months?|weeks?|days?|hours?|yrs?|nam|thang|tuan|ngay|gio|tieng)"
_FACT_PATTERNS = {
    DURATION: re.compile(
        rf"{_NUMBER}\s*\+?\s*(?:(?:-|–|to|den|toi|or|hoac)\s*{_NUMBER}\s*\+?\s*)?"
        rf"(?:(?:more|additional|further|extra|full)\s+)?{_TIME_UNIT}\b"
    ),
    MONEY: re.compile(
        r"[$€£]\s?\d|\d\s?(?:[$€£]|usd|vnd|vnđ|đ\b|d\b|k\b|tr\b|trieu|nghin|ngan|million|"
        r"thousand|/\s?(?:thang|month|year|nam)|per (?:month|year|hour))|"
        r"(?:salary|luong|thu nhap)[^.;]{0,40}\d"
    ),
    PERCENT: re.compile(r"\d\s?%|\b(?:percent|phan tram)\b"),
}
# A sentence gives a cost when it gives an amount of money and names a cost, fee or price
# (or says what something "tốn").
_COST_GIVEN = re.compile(
    r"\b(?:costs?|costing|fees?|prices?|priced|tuition|phi|chi phi|hoc phi|le phi|gia tien|"
    r"ton)\b"
)

# What a sentence calls money that is earned: pay, income, a commission, a bonus, tips
# (matched with its marks: "thưởng" is a bonus, "thường" is "usually").
_PAY = (
    r"salar(?:y|ies)|pay|paid|earns?|earning|earnings|income|wages?|commissions?|"
    r"bonus(?:es)?|tips?|allowances?|lương|thu nhập|hoa hồng|thưởng|tiền tip|phụ cấp|kiếm|nhận"
)
# What a sentence calls money that is neither earned nor paid for something: what something is
# worth, its sales, its budget.
_HELD = r"worth|revenue|sales|budgets?|value|doanh thu|doanh số|ngân sách|giá trị"
_PAY_NAMED = re.compile(rf"\b(?:{_PAY})\b")
_HELD_NAMED = re.compile(rf"\b(?:{_HELD})\b")
# An amount for a span of time, as pay is given ("6-7 triệu đồng/tháng", "$90,000 a year").
_PER_PERIOD = re.compile(
    r"/\s?(?:thang|nam|gio|month|year|hour)\b|"
    r"\b(?:per|a|an|each|mot|moi|hang) (?:month|year|hour|thang|nam|gio)\b"
)
# Question cues that make one side of "and" / "và" (or chat's "n", "&") a question of its own
# (folded text; "whats" as typed without its apostrophe).
_EN_QUESTION = re.compile(  # at the start, or after what it is asked of ("X - what ...?")
    r"(?:^|\s[-–:]\s*|:\s*)(?:how|what|whats|hows|when|who|whom|which|why|where|is|are|do|does|"
    r"did|can|could|should|would|will|must|any)\b"
)
_VI_QUESTION = re.compile(
    r"\b(?:gi|nao|bao lau|bao nhieu|may|khong|ko|hok|sao|the nao|ai|"
    r"o dau|lam sao|co phai|chua)\b"
)
_COMPARISON = re.compile(
    r"\b(?:difference|differ|different|compare|compared|comparison|versus|"
    r"vs|khac|khac nhau|khac biet|so sanh|giong|hon)\b"
)
_JOINS = re.compile(
    r"\s*(?:\?+\s+|;\s*|,?\s+(?:and|n|&|also|plus|va|con|voi lai|sau do)\s+|,\s+)", re.IGNORECASE
)


_DEFINITION = re.compile(
    r"\b(?:what (?:is|are|does) .{1,40}(?:mean|stand for)|stands? for|"
    r"what(?: is|'s| are) (?:an? |the )?\S+(?: \S+)?\??$|meaning of|"
    r"define|definition|la gi|nghia la gi|viet tat|la viet tat|nghia la)\b"
)


#: Words that follow the noun of "what licenses do I need", "which certs are for Scrum".
_AUX = "do|does|did|is|are|was|were|can|could|should|would|will|must"
_LIST = re.compile(
    r"\b(?:nhung gi|nhung viec|(?:nhung|cac) (?:\w+ ){1,2}(?:gi|gj|j|nao)|"
    # what or which, a plural noun (maybe after a word), and what asks of it
    rf"(?:what|which) (?:(?!(?:{_AUX})\b)\w+ )?\w+[^\Wsiu]s (?:{_AUX}|i|you|we|they|for)|"
    r"nhung (?:ky nang|tool|cong cu|buoc|phan mem)|cac (?:buoc|ky nang|cong cu)|"
    r"what (?:tools|skills|software|steps|tasks|duties|certifications?)|"
    r"which (?:tools|skills|software|certifications?)|"
    r"typical day|day to day|daily|hang ngay|1 ngay|mot ngay|moi ngay)\b"
)


# How to get into a job: "how do I become a pilot", "lam sao de tro thanh ke toan".
_WAY_IN = re.compile(
    r"\b(?:how (?:do|can|does|did|would|should|could) (?:\w+ ){1,3}(?:become|get into|"
    r"break into|get (?:a job|hired) as|start (?:out )?as)|how to (?:become|get into|break into)|"
    r"(?:lam|bang cach) (?:sao|the nao|cach nao|gi) (?:de )?(?:(?:co the|duoc) )?(?:tro thanh|"
    r"thanh|lam|vao nghe|theo nghe|vao lam)|muon (?:tro thanh|lam|vao nghe|theo nghe)\b.*"
    r"\b(?:can|phai|hoc|lam sao|the nao)|cach (?:de )?(?:tro thanh|vao nghe))\b"
)


#: What a sentence that tells the way into a job says, in each language.
WAY_IN = (
    "To get into this job you need a degree, a course or a certificate, and some practice "
    "before your first position.",
    "Để vào nghề, bạn cần có bằng cấp, học một khóa đào tạo hoặc lấy chứng chỉ, rồi thực tập "
    "trước khi có việc đầu tiên.",
)


def asks_way_in(text: str) -> bool:
    """Whether ``text`` asks how to get into a job (study, training, a first position)."""
    return _WAY_IN.search(fold(text)) is not None


# What a role does: "what does a teller do", "thu quy lam nhung viec gi", "nhiệm vụ của RM".
_DUTIES = re.compile(
    r"\b(?:what (?:does|do|did) .{1,50}\bdo|lam (?:nhung )?(?:gi|j|viec gi)|lam nhung viec|"
    r"nhiem vu|cong viec cua|responsibilit\w*|duties|role of|job of)\b"
)


def asks_duties(text: str) -> bool:
    """Whether ``text`` asks what someone in a role does."""
    return bool(duties_asked(text))


def duties_asked(text: str) -> str:
    """The words of ``text`` that ask what a role does, from the start of their sentence to
    the end of the cue ("What does a creative director do" in "What does a creative director
    do? Please explain."; "media planner lam nhung viec gi"), or "" when it asks no such
    thing. From the start of its clause when what comes before it in the sentence is everyday
    words: "Honestly," and "Quick question," name no role, "media planner," does."""
    folded = fold(text)
    match = _DUTIES.search(folded)
    if match is None:
        return ""
    start = max(folded.rfind(mark, 0, match.start()) for mark in ".?!\n") + 1
    clause = max(folded.rfind(mark, start, match.start()) for mark in ",;:") + 1
    if clause > start and not any(map(uncommon, words(text[start:clause]))):
        start = clause
    return text[start : match.end()]


def asks_for_a_list(text: str) -> bool:
    """Whether ``text`` asks for several things (tools, skills, a day's tasks)."""
    return _LIST.search(fold(text)) is not None


def asks_definition(text: str) -> bool:
    """Whether ``text`` asks what a term means ("KPI là gì?", "what does CRM stand for")."""
    return _DEFINITION.search(fold(text).strip(" ?!.")) is not None


#: Most terms a "what do X, Y and Z mean?" question is answered for term by term.
MAX_DEFINED = 3


def is_comparison(text: str) -> bool:
    """Whether ``text`` compares things ("AE khác AM chỗ nào?", "junior vs senior")."""
    return _COMPARISON.search(fold(text)) is not None


def sides(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """A question about several named things asked of each alone: a comparison of two ("AE
    khác AM chỗ nào?" with the spans of "AE" and "AM" -> ["AE khác chỗ nào?", "khác AM chỗ
    nào?"]) or what a few terms mean ("CSD và KAM là viết tắt của gì?"); the question itself
    otherwise."""
    compared = len(spans) == 2 and is_comparison(text)
    defined = 1 < len(spans) <= MAX_DEFINED and asks_definition(text)
    if not (compared or defined):
        return [text]
    out = []
    for keep in range(len(spans)):
        rest = text
        for i, (start, end) in sorted(enumerate(spans), key=lambda s: -s[1][0]):
            if i != keep:
                rest = f"{rest[:start]} {rest[end:]}"
        out.append(re.sub(r"\s+", " ", rest).strip())
    return out


# Two things set as alternatives: "X or Y", "X hay Y", "X vs Y"; else side by side: "X and
# Y", "X và Y", "X với Y" ("so sánh X và Y"). Folded text.
_EITHER = re.compile(r"\b(?:or|hay|hoac|vs|versus)\b")
_BOTH = re.compile(r"\b(?:and|va|voi)\b")
# What bounds an alternative: a clause's punctuation, or a cue that opens a comparison.
_CLAUSE = re.compile(r"[,;:?!.()]|\b(?:so sanh|compare|between|giua)\b")


def alternatives(text: str) -> list[tuple[int, int]]:
    """The spans of the two things ``text`` sets as alternatives, or side by side, in one
    clause: "insurance agent" and "hair stylist" in "which one needs a license, insurance
    agent or hair stylist", each as far as the clause's punctuation; none when it sets no
    two, or more. Whether they are two subjects is for the corpus to tell
    (``Assistant._apart``)."""
    folded = fold(text)
    if len(folded) != len(text):
        return []
    cues = list(_EITHER.finditer(folded)) or list(_BOTH.finditer(folded))
    if len(cues) != 1:
        return []
    cue = cues[0]
    starts = [m.end() for m in _CLAUSE.finditer(folded, 0, cue.start())]
    start = starts[-1] if starts else 0
    after = _CLAUSE.search(folded, cue.end())
    end = after.start() if after else len(text)
    spans = [_trimmed(text, start, cue.start()), _trimmed(text, cue.end(), end)]
    if any(not content_words(text[a:b]) for a, b in spans):
        return []
    return spans


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span ``start``-``end`` of ``text`` without the spaces at its ends."""
    inner = text[start:end]
    return start + len(inner) - len(inner.lstrip()), end - len(inner) + len(inner.rstrip())


#: Fewest content words ``named_spans`` takes off the end of the second alternative, as what
#: both are asked.
MIN_SHARED_WORDS = 2


def named_spans(
    text: str, spans: list[tuple[int, int]], own: Sequence[Callable[[str], bool]]
) -> list[tuple[int, int]]:
    """The two ``alternatives`` narrowed to the names of the two things: each span reaches to
    its clause's end, and may hold what is asked of both ("do flight attendants and preschool
    teachers need first aid skills"). The words at a span's outer end (the first one's start,
    the second one's end) go while ``own`` of its side does not hold them (the words of the
    thing's document: an article in Vietnamese writes "preschool teacher" where it names its
    subject, and no "first aid skills"); at the second one's end, only at least
    ``MIN_SHARED_WORDS`` content words (a syllable the document lacks, "hơn", is no phrase
    the two share). A span none of whose content words is its own stays whole."""
    narrowed = []
    for i, (start, end) in enumerate(spans):
        found = [
            (start + m.start(), start + m.end())
            for m in re.finditer(r"\w+(?:['’]\w+)*", text[start:end])
            if content_words(m.group(0)) and own[i](m.group(0))
        ]
        if not found:
            narrowed.append((start, end))
        elif i == 0:
            narrowed.append((found[0][0], end))
        elif len(content_words(text[found[-1][1] : end])) >= MIN_SHARED_WORDS:
            narrowed.append((start, found[-1][1]))
        else:
            narrowed.append((start, end))
    return narrowed


def written_as(name: str, document: str) -> str:
    """How ``document`` writes the longest run of ``name``'s words it writes, leaving out the
    words that ask for a kind of fact, as a heading: "Kỹ thuật viên ô tô" for "ky thuat vien o
    to", "Trưởng nhóm" for "thu nhap truong nhom bao hiem" (the article writes "trưởng nhóm"
    and "bảo hiểm", never together), "Flight attendant" for "flight attendants"; ``name``
    itself, capitalised, when it writes none of them."""
    cued = set(kind_cues(name).split())
    said = [w for w in re.findall(r"\w+", name) if fold(w) not in cued]
    text = unicodedata.normalize("NFC", document)
    folded = "".join(fold(c)[:1] or c for c in text)  # aligned: one character for each
    for size in range(len(said), 0, -1):
        for start in range(len(said) - size + 1):
            run = said[start : start + size]
            if not content_words(" ".join(run)):
                continue
            spelled = r"\W+".join(
                re.escape(fold(w).removesuffix("s")) + ("s?" if fold(w).endswith("s") else "")
                for w in run
            )
            found = re.search(rf"(?<!\w){spelled}(?!\w)", folded)
            if found:
                heading = text[found.start() : found.end()]
                return heading[:1].upper() + heading[1:]
    return name[:1].upper() + name[1:]


def asked_of_each(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """``text`` asked of each of its two ``alternatives`` alone: the other one left out,
    but for its words that ask for a kind of fact ("thu nhap truong nhom bao hiem voi tho
    chinh lam toc ai cao hon" -> "thu nhap truong nhom bao hiem" and "thu nhap tho chinh
    lam toc ai cao hon")."""
    (l0, l1), (r0, r1) = spans
    left, right = kind_cues(text[l0:l1]), kind_cues(text[r0:r1])
    asked = [
        f"{text[:l1]} {'' if right in fold(text[l0:l1]) else right} {text[r1:]}",
        f"{text[:l0]} {'' if left in fold(text[r0:r1]) else left} {text[r0:]}",
    ]
    return [re.sub(r"\s+(?=[,;:?!.])", "", " ".join(a.split())) for a in asked]


def kind_cues(text: str) -> str:
    """The words of ``text`` that ask for a kind of fact, folded ("thu nhap" of "thu nhap
    truong nhom bao hiem"), without the words a cue spans."""
    found = []
    cued = _cue_text(text)
    for pattern in _KIND_PATTERNS.values():
        for match in pattern.finditer(cued):
            cue = match.group(0)
            for spanned in filter(None, match.groups()):
                cue = cue.replace(spanned, " ")
            found.append(" ".join(cue.split()))
    return " ".join(found)


# "How do I get a raise?", "muon tang luong thi hoc gi": advice about pay, not an amount,
# unless the question also asks how much.
_RAISE = re.compile(
    r"\b(?:tang luong|len luong|raise|raises|pay rise|increase (?:my |your |their )?(?:pay|salary)|"
    r"negotiate|dam phan|thuong luong|deal luong)\b"
)
_HOW_MUCH = re.compile(rf"\b(?:{_AMOUNT}|khoang|tam|muc|range|%)|\d")


# A question that asks for an amount in so many words ("how much", "bao nhiêu", "mấy năm").
_AMOUNT_ASKED = re.compile(
    rf"\b(?:{_AMOUNT}|how many|how long|bao lau|may (?:nam|thang|tuan|ngay|tieng))\b|%"
)
# A yes/no or either/or question: it opens with an auxiliary verb, sets two answers side by
# side ("gross hay net", "X or Y"), or ends by asking whether ("... khong?", "... chua?").
_YES_NO = re.compile(
    r"^\W*(?:do|does|did|is|are|was|were|can|could|will|would|should|has|have)\b|"
    r"\b(?:hay|or|vs|versus)\b|\b(?:khong|ko|k|hok|chua|phai khong)\W*$"
)


def asks_amount(text: str) -> bool:
    """Whether a question for a kind of fact wants the figure itself: it asks how much or how
    long in so many words, or it is no yes/no or either/or question ("what does a travel
    agent earn"). "Do SDETs get paid as much as developers?" and "lương đó gross hay net?"
    are answered by a sentence that gives no amount."""
    folded = _cue_text(text)
    return bool(_AMOUNT_ASKED.search(folded)) or not _YES_NO.search(folded)


# A question for how many of something ("how many accounts", "quản lý bao nhiêu người").
_COUNT_ASKED = re.compile(r"\b(?:how many|bao nhieu)\b")
# "mấy" asks how many too, unless in a yes/no question: "có được tự quyết mấy dự án nhỏ
# không" asks whether, of a few small projects.
_FEW = re.compile(r"\bmay\b")
# A number in a sentence: in figures, or in words (the corpus's own, with their marks).
_NUMBER_GIVEN = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|dozens?|hundreds?|"
    r"một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|chục|trăm)\b",
    re.IGNORECASE,
)


def asks_count(text: str) -> bool:
    """Whether a question that asks for no other kind of fact asks how many ("AD quản lý bao
    nhiêu người", "how many accounts does a CSM handle")."""
    if answer_kind(text) is not None:
        return False
    folded = _cue_text(text)
    if _COUNT_ASKED.search(folded):
        return True
    return detect_language(text) == "vi" and bool(_FEW.search(folded)) and asks_amount(text)


def gives_number(sentence: str) -> bool:
    """Whether a sentence gives a number, in figures or in words ("three kinds of work", "ba
    đầu việc")."""
    return bool(_NUMBER_GIVEN.search(sentence))


def answer_kind(text: str) -> str | None:
    """``percent``, ``duration``, ``cost``, ``money`` or None: the kind of fact ``text`` asks
    for; a question for a percentage asks for nothing else ("lương tăng bao nhiêu %")."""
    folded = _cue_text(text)
    for kind in (PERCENT, DURATION, COST, MONEY):
        if _KIND_PATTERNS[kind].search(folded):
            if kind == MONEY and _RAISE.search(folded) and not _HOW_MUCH.search(folded):
                return None
            return kind
    return None


def fact_kinds(sentence: str) -> set[str]:
    """The kinds of fact a sentence holds: a duration, an amount of money, a cost (an amount
    of money with the word for a cost, fee or price, or one that is not pay: "một bộ dụng cụ
    cơ bản khoảng 4-7 triệu đồng"), a percentage."""
    folded = fold(sentence)
    kinds = {kind for kind, pattern in _FACT_PATTERNS.items() if pattern.search(folded)}
    if MONEY not in kinds:
        return kinds
    lower = sentence.lower()
    paid, held = _PAY_NAMED.search(lower), _HELD_NAMED.search(lower)
    if _COST_GIVEN.search(folded) or not (paid or held or _PER_PERIOD.search(folded)):
        kinds.add(COST)
    if held and not paid:
        kinds.discard(MONEY)  # "accounts worth $1.5-3 million" is no pay
    return kinds


# A Vietnamese unit of time is a unit after a number or a word that counts it ("2-3 năm",
# "mấy tiếng", "mỗi tháng"): "tiếng Anh" (English), "Việt Nam", "thăng tiến" and "ngay" are
# the same syllables folded.
_COUNTED = rf"(?:\d+|{_VI_NUMBER}|may|bao nhieu|bn|vai|moi|hang|nua|cac|nhieu)\s+"
#: The words of a unit of time, counted or not: what ``focus_words`` leaves out.
_UNIT_WORDS = re.compile(rf"\b{_TIME_UNIT}\b")
_UNITS = {  # folded words -> the unit of time they name; years and months answer each other
    "short": re.compile(rf"\b(?:hours?|days?|weeks?|{_COUNTED}(?:gio|tieng|ngay|tuan))\b"),
    "long": re.compile(rf"\b(?:years?|yrs?|months?|{_COUNTED}(?:nam|thang))\b"),
}


def time_units(text: str) -> set[str]:
    """``short`` (hours, days, weeks) and/or ``long`` (months, years): the units ``text``
    names; a question that names none ("how long") takes any."""
    folded = fold(text)
    return {unit for unit, pattern in _UNITS.items() if pattern.search(folded)}


def _without_cues(text: str) -> str:
    """``text`` folded, without its cues for a kind of fact and its units."""
    folded = _cue_text(text)
    for pattern in (*_KIND_PATTERNS.values(), _UNIT_WORDS):
        # A cue's own words go; the words it spans ("how much does a UX designer make") stay.
        folded = pattern.sub(lambda m: f" {' '.join(g for g in m.groups() if g)} ", folded)
    return folded


def focus_words(text: str, spelled: Mapping[str, str] | None = None) -> list[str]:
    """The folded content words of a question other than its cues for a kind of fact and
    its units and numbers: what the fact is asked about ("ux designer" in "How much does a UX
    designer earn per year?").

    A word typed without marks may fold to a stop word that it is not: ``spelled`` (the
    corpus's marked spellings of folded word pairs) tells which, from the content word next to
    it ("dang" is "đẳng" in "hoc cao dang", "su" is "sư" in "ky su", not "đang" and "sự")."""
    tokens = words(_without_cues(text))
    return [
        w
        for i, w in enumerate(tokens)
        if len(w) > 1
        and not w.isdigit()
        and (w not in STOPWORDS or (spelled is not None and _spelled_as_word(tokens, i, spelled)))
    ]


def _spelled_as_word(tokens: Sequence[str], i: int, spelled: Mapping[str, str]) -> bool:
    """Whether the corpus writes the stop word ``tokens[i]``, beside a content word next to
    it, as a word that is no function word."""
    for j in (i - 1, i + 1):
        if not 0 <= j < len(tokens) or tokens[j] in STOPWORDS:
            continue
        first, second = sorted((i, j))
        written = spelled.get(f"{tokens[first]} {tokens[second]}", "").split(" ")
        if len(written) == 2 and written[0 if i < j else 1] not in VI_FUNCTION_WORDS:
            return True
    return False


def focus_names(
    text: str,
    language: str,
    keep: Callable[[str], bool] = lambda word: True,
    spelled: Mapping[str, str] | None = None,
) -> list[set[tuple[str, ...]]]:
    """``focus_words`` (those ``keep`` keeps) as the names a fact is asked of (``word_names``)."""
    focus = {w for w in focus_words(text, spelled) if keep(w)}
    return word_names(words(_without_cues(text)), focus, language)


def word_names(tokens: Sequence[str], focus: set[str], language: str) -> list[set[tuple[str, ...]]]:
    """The ``focus`` words among the folded ``tokens`` as names, each the set of its terms,
    one of which says it (``says``): words in a row are one name, said by one of its pairs
    of words in a row.

    In Vietnamese, a word of several syllables is said as a word, never syllable by syllable
    ("viên" is in every "nhân viên", the "phó" of "phó giám đốc" is in "bếp phó"); a
    syllable between two of them joins them ("được" in "trinh duoc vien", a pharma sales
    rep), and a word that is no syllable ("luong seo specialist") stands alone. In English,
    a name is also said by its last word, its head ("a buyer's agent" by "agent"), but not
    by the others alone: a travel PT is no travel agent."""
    names: list[set[tuple[str, ...]]] = []
    run: list[int] = []

    def joins(word: str) -> bool:
        return word in focus and (language != "vi" or vi_syllable(word))

    def close() -> None:
        if run:
            name = {tuple(tokens[k] for k in run)}
            if language != "vi":
                name.add((tokens[run[-1]],))
            names.append(name)

    for i, word in enumerate(tokens):
        if word not in focus:
            continue
        if not joins(word):
            names.append({(word,)})
            continue
        bridged = language == "vi" and run and run[-1] == i - 2 and tokens[i - 1].isalpha()
        if run and (run[-1] == i - 1 or bridged):
            run.extend(range(run[-1] + 1, i + 1))
            continue
        close()
        run = [i]
    close()
    return names


def word_terms(tokens: Sequence[str], focus: set[str], language: str) -> set[tuple[str, ...]]:
    """The terms of all the ``word_names`` of ``tokens``."""
    return set().union(*word_names(tokens, focus, language))


def held_terms(text: str) -> set[tuple[str, ...]]:
    """What ``text`` holds for ``says``: each folded word, also without a plural's "s", and
    each pair of words in a row."""
    tokens = [fold(w) for w in words(text)]
    return (
        {(w,) for w in tokens} | {(role_word(w),) for w in tokens} | set(itertools.pairwise(tokens))
    )


def says(term: tuple[str, ...], held: set[tuple[str, ...]]) -> bool:
    """Whether a text that holds ``held`` (``held_terms``) says ``term`` (``word_terms``):
    its word, or one of its pairs of words in a row."""
    if len(term) == 1:
        return term in held or (role_word(term[0]),) in held
    return any(pair in held for pair in itertools.pairwise(term))


#: Words a place can follow: "ở Hà Nội", "o da nang", "tại TP.HCM", "in Vietnam", "at Google"
#: (English, and "tai", which is also "tài khoản": only before a capitalised word).
_PLACE_VI = frozenset({"ở", "o", "tại"})
_PLACE_BEFORE_CAPITAL = frozenset({"in", "at", "tai", "sang"})
#: Words that end a Vietnamese place name typed in lower case ("o da nang luong bn").
_PLACE_END = frozenset(
    "voi va hay hoac thi la co khong ko bao bn khoang tam nhu the nao lam duoc dc moi cung "
    "vay a nhe nha ma de cho thuong gom dau".split()
)
#: Words after "ở" that make it no place: "ở lại muộn" (stay late), "ở điểm nào" (in what
#: way); and words that end a name by asking which place it is ("ở những đâu", "ở những loại
#: công ty nào"): a question about places, not one asked of a place.
_NO_PLACE_START = frozenset({"lai", "diem"})
_ASKS_WHICH = frozenset({"nao", "dau"})
#: Words of a place name, at most.
PLACE_WORDS = 4


#: Words of the regions that countries are cut into ("Central", "North-West"), which are
#: everyday words in lower case.
_COMPASS = frozenset(
    "north south east west northern southern eastern western central centre".split()
)


@functools.cache
def _place_names() -> frozenset[tuple[str, ...]]:
    """The folded words of the names of the world's countries and of their states and
    provinces (``pycountry``), without names that hold a point of the compass."""
    import pycountry  # noqa: PLC0415 - a few MB of data, read only when a question asks

    names = [getattr(c, a, "") for c in pycountry.countries for a in ("name", "common_name")]
    names += [s.name for s in pycountry.subdivisions if s.type in {"State", "Province", "Country"}]
    out: set[tuple[str, ...]] = set()
    for name in names:
        held = tuple(fold(w) for w in re.findall(r"\w+", name or ""))
        if held and "," not in name and not _COMPASS & set(held):
            out.add(held)
            out.add(("".join(held),))  # "Viet Nam" is also typed "vietnam"
    return frozenset(out)


#: Where a clause ends: a mark, or the end of the text.
_CLAUSE_END = re.compile(r"\s*(?:[?!.,;:)]|$)")


def known_place(tokens: list[str]) -> list[str]:
    """The first words of ``tokens`` that name a country, state or province, longest first
    ("new york" of "new york city"); none when they name none (nor for a word of two
    letters: "us", "in" are words first)."""
    if not tokens or len(tokens[0]) <= 2:
        return []
    for n in range(min(len(tokens), PLACE_WORDS), 0, -1):
        if tuple(fold(w) for w in tokens[:n]) in _place_names():
            return tokens[:n]
    return []


def places(text: str) -> list[str]:
    """The places a question asks about ("da nang" in "lam ke toan o da nang luong bn", "Ho
    Chi Minh City" in "... per month in Ho Chi Minh City?"): the words after "ở"/"tại" up to
    a common word or a cue for a kind of fact, or the capitalised words after "in"/"at" (or
    a country, state or province typed in lower case, "in canada")."""
    spans = list(re.finditer(r"\w+", text))
    tokens = [m.group() for m in spans]
    found = []
    for i, token in enumerate(tokens[:-1]):
        lower = token.lower()
        capitals = lower in _PLACE_BEFORE_CAPITAL
        if not capitals and lower not in _PLACE_VI:
            continue
        name: list[str] = []
        for j, word in enumerate(tokens[i + 1 : i + 1 + PLACE_WORDS], i + 1):
            folded = fold(word)
            if capitals and j == i + 1 and word == "the":
                continue  # "in the US", "in the Philippines"
            if capitals and not word[0].isupper():
                # "in canada", "in texas?": a country, state or province typed in lower case
                # is a place all the same where its clause ends ("a game developer in
                # georgia earns" goes on: no place).
                place = known_place(tokens[j : i + 1 + PLACE_WORDS]) if not name else []
                if place and _CLAUSE_END.match(text, spans[j + len(place) - 1].end()):
                    name = place
                break
            rest = _cue_text(" ".join(tokens[j : j + 3]))  # a cue may span words: "kiem dc"
            if not capitals and (
                folded in _PLACE_END
                or word.isdigit()
                or any(p.match(rest) for p in _KIND_PATTERNS.values())
            ):
                break
            name.append(word)
        after = tokens[i + 1 + len(name)] if i + 1 + len(name) < len(tokens) else ""
        if (
            not capitals
            and name
            and (fold(name[0]) in _NO_PLACE_START or fold(after) in _ASKS_WHICH)
        ):
            continue
        # One lower-case common word ("o my": ở Mỹ, or "my") is too ambiguous to hold to.
        if name and not (len(name) == 1 and name[0].islower() and fold(name[0]) in STOPWORDS):
            found.append(" ".join(name))
    return found


#: The country an article in a language is about unless it names another: a Vietnamese
#: article's salaries are Vietnamese ones even where it never writes "Việt Nam".
HOME = {"vi": "Việt Nam"}


def mentions_place(text: str, place: str, language: str = "") -> bool:
    """Whether ``text`` (in ``language``) names ``place``, however it is spaced or accented
    ("Việt Nam" names "Vietnam", "TP HCM" names "hcm")."""
    if language in HOME and mentions_place(HOME[language], place):
        return True
    letters = [re.escape(c) for c in fold(place) if c.isalnum()]
    if not letters:
        return True
    spaced = r"[\s.-]{0,2}".join(letters)
    folded = fold(text)
    matches = list(re.finditer(rf"(?<!\w){spaced}(?!\w)", folded))
    written = unicodedata.normalize("NFC", text)
    if not matches and _spelled_out(written, place):
        return True
    if not place[:1].isupper() or len(written) != len(folded):
        return bool(matches)
    # A name asked with a capital is written with one: "Nhat" (Nhật) is not the "nhật" of
    # "cập nhật".
    return any(written[m.start()].isupper() for m in matches)


def _spelled_out(text: str, place: str) -> bool:
    """Whether ``text`` writes out the initials ``place`` ("US", "UK", "HCMC") as the capital
    letters of a name: "the United States", "Ho Chi Minh City"."""
    letters = re.sub(r"\W", "", place)
    if not 2 <= len(letters) <= 5 or not letters.isupper():
        return False
    name = r"\s+(?:of\s+)?".join(rf"{c}\w+" for c in letters)
    return re.search(rf"(?<!\w){name}(?!\w)", text) is not None


def with_subject(
    parts: list[str],
    names_own: Callable[[str], bool] | None = None,
    spelled: Mapping[str, str] | None = None,
) -> list[str]:
    """The parts of a question, each later part that names nothing of its own ("and what do
    they do?") given the subject of the first ("seo manager luong bao nhieu, lam nhung gi" ->
    "seo manager lam nhung gi"). ``names_own`` tells whether a part names what it asks about
    (the corpus's terms, roles or rare words); without it, any two words of its own do.
    ``spelled`` is as for ``focus_words``."""
    if names_own is None:
        names_own = _two_words
    focus = set(focus_words(parts[0], spelled))
    # As the first part writes them: "import-export manager" stays one role's name.
    subject = " ".join(
        w for w in name_words(parts[0]) if focus & {fold(p) for p in re.findall(r"\w+", w)}
    )
    return [
        part if i == 0 or names_own(part) or not subject else f"{subject} {part}"
        for i, part in enumerate(parts)
    ]


def _two_words(part: str) -> bool:
    return len(focus_words(part)) >= 2


def _asks(part: str) -> bool:
    folded = fold(part).strip()
    return bool(_EN_QUESTION.search(folded) or _VI_QUESTION.search(folded) or answer_kind(part))


def split_parts(text: str) -> list[str]:
    """The questions in ``text``: several when it joins questions that each ask something
    ("AE làm gì và bao lâu thì lên AM?"), one for a comparison or a single question."""
    folded = fold(text)
    if _COMPARISON.search(folded) or len(folded) != len(text):
        return [text]
    pieces: list[str] = []
    last = 0
    for match in _JOINS.finditer(folded):
        left, right = text[last : match.start()], text[match.end() :]
        if len(left.split()) >= 2 and len(right.split()) >= 2 and _asks(left) and _asks(right):
            pieces.append(left)
            last = match.end()
    pieces.append(text[last:])
    parts = [p.strip(" ,;") for p in pieces if p.strip(" ,;?")]
    return parts if len(parts) > 1 else [text]


@dataclass
class Question:
    """A question as the assistant reads it.

    Attributes:
        text: the question, cleaned (see ``text.normalize``) and cut to the length limit.
        language: ``en`` or ``vi``.
        history: the user's earlier turns, oldest first, cleaned the same way.
        standalone: the question made to stand alone when it leans on an earlier turn
            ("What about an AD?" -> the previous question asked of the AD), else ``text``.
        kind: the kind of fact expected (``duration``, ``money``) or None.
        parts: the questions it joins (itself alone for a single question).
    """

    text: str
    language: str = "en"
    history: list[str] = field(default_factory=list)
    standalone: str = ""
    kind: str | None = None
    parts: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, text: str, history: list[str] | None = None) -> Question:
        """Read a cleaned question (and the earlier turns) once."""
        return cls(
            text,
            detect_language(text),
            list(history or []),
            text,
            answer_kind(text),
            split_parts(text),
        )
