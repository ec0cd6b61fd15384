"""Follow-up questions: which ones lean on an earlier turn, and how to make them stand alone.

Without an LLM, a follow-up is resolved by rules on the job titles of the alias table
(``corpus/aliases.yaml``): "What about an AD?" asks the previous question of the AD; "they",
"that level" or "vị trí đó" stand for the title of the earlier question. Anything else is left
to the search, which blends the question with the previous turn.
"""

from __future__ import annotations

import re

from .terms import names_a_role, role_heads_of, roles_named
from .text import Aliases, detect_language, fold, words

# Words that make a question lean on the one before it.
_FOLLOW_UP_EN = re.compile(
    r"^(and|but|so|also|what about|how about|then)\b|"
    r"\b(they|them|their|it|its|this|that|these|those|he|she|his|her|there|then)\b"
)
_FOLLOW_UP_VI = re.compile(  # matched on folded text
    r"^(con|vay|the con|roi|va)\b|\b(ho|nguoi do|nguoi nay|vi tri (do|nay)|"
    r"chuc vu (do|nay)|cap bac (do|nay)|len tiep)\b"
)
# "What about X?", "Còn X thì sao?": the previous question, asked of X (matched on folded text).
_WHAT_ABOUT = re.compile(
    r"^(?:(?:and|so|ok|okay|then),? )?(?:what|how) about (?:the |an? )?(?P<x>.+?)[\s?.!]*$|"
    r"^(?:(?:the|vay|ok|roi),? )?(?:con )?(?P<y>.+?) thi (?:sao|the nao)(?: a| nhi| vay)?[\s?.!]*$"
)
# "And a senior one?", "and for seniors?": the previous question, asked of what follows "and"
# (a few words, not a question of its own).
_AND_X = re.compile(r"^(?:and|or) (?:for |the |an? )*(?P<x>(?:[\w-]+ ){0,3}[\w-]+)[\s?.!]*$")
_ASKS = frozenset(
    "what how when who whom why where which is are do does did can could should would will".split()
)
# "One" standing for the title it qualifies ("a senior one").
_ONE = re.compile(r"\bones?\b", re.IGNORECASE)
# Words that stand for the job title of an earlier turn.
_REFERENCES = tuple(
    (re.compile(pattern, re.IGNORECASE), replacement)
    for pattern, replacement in (
        (r"\b(?:that|this|the same) (?:level|role|position|job|title|stage|rank|step)\b", "{}"),
        (r"\b(get|go|getting|going|move|moving) there\b", r"\1 to {}"),
        (r"\b(?:they|them|he|she|him)\b", "{}"),
        (r"\b(?:their|his|her)\b", "{}'s"),
        (r"(?<!\w)(?:vị trí|cấp|cấp bậc|chức vụ|chức danh|người) (?:đó|này|ấy)(?!\w)", "{}"),
        (r"(?<!\w)(?:vi tri|cap bac|chuc vu|chuc danh|nguoi) (?:do|nay|ay)(?!\w)", "{}"),
        (r"(?<!\w)họ(?!\w)", "{}"),
        # "họ" typed without its mark, not "hỗ trợ", "hồ sơ", "Hồ Chí Minh", "họ tên"...
        (r"(?<!\w)ho(?!\w)(?!\s+(?:tro|so|chi minh|ten|va ten|khau|ca)\b)", "{}"),
        (r"(?<!\w)(lên|tới|đến) (?:đó|đấy)(?!\w)", r"\1 {}"),
    )
)


def standalone_question(
    question: str, earlier: list[str], aliases: Aliases, roles: frozenset[str] = frozenset()
) -> str | None:
    """The follow-up ``question`` made to stand alone, or None if it does not need it.

    "What about an AD?" after "What does an AE do?" -> "What does an AD do?"; "How long until
    they become a director?" after a question about account managers -> "How long until
    account managers become a director?". Pronouns resolve to the roles the corpus defines
    (learned terms), else to the roles it names (``roles``: "program manager"); "what about
    X" replaces the last title or abbreviated term (KH) of the previous question. Anything
    else is left to blending with the earlier turns.
    """
    if not earlier:
        return None
    previous = earlier[-1]
    folded = fold(question).strip()
    same_length = len(folded) == len(question.strip())
    match = _WHAT_ABOUT.match(folded) if same_length else None
    if match is None and same_length:
        match = _AND_X.match(folded)
        if match and match.group("x").split()[0] in _ASKS:
            match = None  # "and how long does that take?" asks a question of its own
    if match:
        name = next(n for n in ("x", "y") if match.groupdict().get(n) is not None)
        subject = question.strip()[match.start(name) : match.end(name)]
        spans = aliases.mentions(previous, titles_only=False)
        if not spans:
            return None
        start, end = spans[-1]
        # "a senior one": the previous question's title, qualified.
        subject = _ONE.sub(lambda _: previous[start:end], subject, 1)
        return f"{previous[:start]}{subject}{previous[end:]}"
    if aliases.mentions(question) or roles_named(question, roles):
        return None
    title: str | None = next(
        (turn[s:e] for turn in reversed(earlier) for s, e in reversed(aliases.mentions(turn))), None
    )
    if title is None:  # a role the corpus names without defining it ("program manager")
        title = next(
            (named[-1] for turn in reversed(earlier) if (named := roles_named(turn, roles))), None
        )
    # "That exam", "nó": the last term of any kind (a certificate, a tool), not only a title.
    thing = (
        None  # the question names its own term
        if aliases.mentions(question, titles_only=False)
        else next(
            (
                turn[s:e]
                for turn in reversed(earlier)
                for s, e in reversed(aliases.mentions(turn, titles_only=False))
            ),
            None,
        )
    )
    things = _THING_REFERENCES + (_THING_VI_PLAIN if detect_language(question) == "vi" else ())
    if thing is not None and _names_thing_last(previous, aliases, roles):
        # "What's the NPTE?" then "how much does it cost?": "it" is the exam. After a role
        # ("what does an AE do?"), "how long does it take?" asks of nobody.
        things = (*things, _IT)
    for references, meant in ((_REFERENCES, title), (things, thing)):
        if meant is None:
            continue
        for pattern, replacement in references:
            if pattern.search(question):
                return pattern.sub(replacement.replace("{}", meant.replace("\\", "")), question, 1)
    return None


# Words that stand for a thing an earlier turn named (a certificate, an exam, a tool). Not
# "it", which is as often nobody ("how long does it take").
_THING_REFERENCES = tuple(
    (re.compile(pattern, re.IGNORECASE), "{}")
    for pattern in (
        r"\b(?:that|this|the same) (?:exam|test|certificate|certification|cert|course|"
        r"program|programme|qualification|tool|software|term|one)\b",
        r"(?<!\w)(?:chứng chỉ|kỳ thi|khóa học|bằng|công cụ|phần mềm) (?:đó|này|ấy)(?!\w)",
        r"(?<!\w)(?:chung chi|ky thi|khoa hoc|cong cu|phan mem) (?:do|nay|ay)(?!\w)",
        r"(?<!\w)nó(?!\w)",
    )
)
_IT = (re.compile(r"\bit\b", re.IGNORECASE), "{}")


def _names_thing_last(turn: str, aliases: Aliases, roles: frozenset[str]) -> bool:
    """Whether the last term ``turn`` names is a thing (an exam, a degree, a tool), not a
    role: none of its names ends with a word that ends the corpus's role names."""
    spans = aliases.mentions(turn, titles_only=False)
    if not spans:
        return False
    start, end = spans[-1]
    heads = role_heads_of(roles)
    return not any(names_a_role(group, heads) for group, _ in aliases.written(turn[start:end]))


# "nó" typed without its mark is "no": only in a question that reads as Vietnamese.
_THING_VI_PLAIN = ((re.compile(r"(?<!\w)no(?!\w)", re.IGNORECASE), "{}"),)


def resolved_turns(
    earlier: list[str], aliases: Aliases, roles: frozenset[str] = frozenset()
) -> list[str]:
    """The earlier turns (the last ``RESOLVED_TURNS``), each made to stand alone on the ones
    before it: "how much do they make?" after a question about physical therapists becomes
    "how much do physical therapist make?", which a later follow-up can lean on."""
    out: list[str] = []
    for turn in earlier[-RESOLVED_TURNS:]:
        out.append(standalone_question(turn, out, aliases, roles) or turn)
    return out


def names_something(text: str, aliases: Aliases, roles: frozenset[str] = frozenset()) -> bool:
    """Whether ``text`` names a term the corpus defines or a role it names."""
    return bool(aliases.mentions(text, titles_only=False) or roles_named(text, roles))


def context_turn(turns: list[str], aliases: Aliases, roles: frozenset[str] = frozenset()) -> str:
    """The turn a follow-up leans on: the last one that names a term or role ("and a senior
    one?" names none: the question before it does), else the last one."""
    return next(
        (turn for turn in reversed(turns) if names_something(turn, aliases, roles)), turns[-1]
    )


#: Earlier turns made to stand alone for a follow-up (``resolved_turns``).
RESOLVED_TURNS = 6


def looks_like_follow_up(text: str) -> bool:
    """Whether a question leans on the one before it ("And then?", "Còn AD thì sao?")."""
    lowered = " ".join(words(text))
    return bool(_FOLLOW_UP_EN.search(lowered) or _FOLLOW_UP_VI.search(fold(lowered)))
