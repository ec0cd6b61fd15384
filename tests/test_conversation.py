"""Follow-ups made to stand alone by rules on the alias table's job titles."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.conversation import (
    context_turn,
    looks_like_follow_up,
    resolved_turns,
    standalone_question,
)
from assistant.terms import learn_terms, with_terms
from assistant.text import Aliases

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
ALIASES = with_terms(
    Aliases.load(CORPUS / "aliases.yaml"),
    learn_terms(p.read_text("utf-8") for p in CORPUS.rglob("*.md")),
)


@pytest.mark.parametrize(
    ("question", "earlier", "standalone"),
    [
        ("What about an AD?", ["What does an AE do?"], "What does an AD do?"),
        ("Còn brief thì sao?", ["KH là gì?"], "brief là gì?"),
        ("con AD thi sao", ["ae lam gi"], "AD lam gi"),
        (
            "And how long until they become a director?",
            ["What does an account manager do?"],
            "And how long until account manager become a director?",
        ),
        (
            "Is there anything above that level?",
            ["What does an account director do?"],
            "Is there anything above account director?",
        ),
        (
            "What should I study to get there faster?",
            ["From AE to AM?", "And from AM to AD?"],
            "What should I study to get to AD faster?",
        ),
        ("Vị trí đó cần kỹ năng gì?", ["AM làm gì?"], "AM cần kỹ năng gì?"),
        # "họ" typed without its mark
        ("neu co su co thi ho phai lam gi", ["AM lam gi"], "neu co su co thi AM phai lam gi"),
    ],
)
def test_follow_ups_are_made_to_stand_alone(
    question: str, earlier: list[str], standalone: str
) -> None:
    assert standalone_question(question, earlier, ALIASES) == standalone


@pytest.mark.parametrize(
    ("question", "earlier"),
    [
        ("Còn bao lâu nữa thì lên AD?", ["AM làm gì?"]),  # names its own title
        ("How do they split their time?", ["What are the three kinds of work?"]),  # no title before
        ("What does an AE do?", []),
        ("vay ho tro khach hang the nao", ["AM lam gi"]),  # "hỗ trợ" (support), not "họ"
    ],
)
def test_questions_that_stand_alone_are_left_as_they_are(question: str, earlier: list[str]) -> None:
    assert standalone_question(question, earlier, ALIASES) is None


@pytest.mark.parametrize(
    ("question", "follows"),
    [
        ("And how long until they become a director?", True),
        ("Còn AD thì sao?", True),
        ("con AD thi sao", True),
        ("What does an account executive do?", False),
        ("Account manager làm gì?", False),
    ],
)
def test_follow_up_words(question: str, follows: bool) -> None:
    assert looks_like_follow_up(question) is follows


def test_a_pronoun_stands_for_a_role_the_corpus_names_without_defining_it() -> None:
    roles = frozenset({"program manager", "project manager"})
    assert (
        standalone_question(
            "and how much do they make?", ["what does a program manager do?"], ALIASES, roles
        )
        == "and how much do program manager make?"
    )
    # A question that names its own role needs nothing from the conversation.
    assert (
        standalone_question(
            "how much does a project manager make?",
            ["what does a program manager do?"],
            ALIASES,
            roles,
        )
        is None
    )


@pytest.mark.parametrize(
    ("question", "earlier", "standalone"),
    [
        # "And X?" asks the previous question of X; "one" is the title X qualifies.
        ("and a senior one?", ["how much does an AM earn?"], "how much does an senior AM earn?"),
        ("and AD?", ["how much does an AE earn?"], "how much does an AD earn?"),
        (
            "what about a senior one",
            ["how much does an AM earn"],
            "how much does an senior AM earn",
        ),
    ],
)
def test_and_x_asks_the_previous_question_of_x(
    question: str, earlier: list[str], standalone: str
) -> None:
    assert standalone_question(question, earlier, ALIASES) == standalone


def test_and_a_question_of_its_own_is_no_and_x() -> None:
    roles = frozenset({"account executive"})
    assert (
        standalone_question("and how long does it take?", ["what does an AE do?"], ALIASES, roles)
        is None
    )


def test_earlier_turns_stand_alone_for_the_follow_ups_after_them() -> None:
    turns = resolved_turns(
        ["what does an account manager do?", "how much do they make?", "and a senior one?"],
        ALIASES,
    )
    assert turns == [
        "what does an account manager do?",
        "how much do account manager make?",
        "how much do senior account manager make?",
    ]
    # A follow-up leans on the last turn that names something.
    assert context_turn(["how much does an AE earn?", "is that good?"], ALIASES) == (
        "how much does an AE earn?"
    )
    assert context_turn(["is that good?"], ALIASES) == "is that good?"


def test_that_exam_or_no_stands_for_the_term_an_earlier_turn_named() -> None:
    aliases = with_terms(
        ALIASES,
        learn_terms(
            [
                "CMA (Certified Management Accountant) là chứng chỉ kế toán quản trị. "
                "ISTQB (International Software Testing Qualifications Board) certifies testers."
            ]
        ),
    )
    assert standalone_question("thi no mat bao lau", ["CMA la chung chi gi"], aliases) == (
        "thi CMA mat bao lau"
    )
    assert standalone_question("how long is that exam", ["what is the ISTQB?"], aliases) == (
        "how long is ISTQB"
    )
    # "no" in English is no pronoun; "it" is the exam the turn before named...
    assert standalone_question("no, how hard is it?", ["what is the ISTQB?"], aliases) == (
        "no, how hard is ISTQB?"
    )
    assert standalone_question("how much does it cost", ["what's the CMA"], aliases) == (
        "how much does CMA cost"
    )
    # ... but after a role, "it" is as often nobody ("how long does it take").
    roles = frozenset({"account executive"})
    assert standalone_question(
        "how long does it take?", ["what does an AE do"], aliases, roles
    ) is (None)
    # A question that names its own term needs nothing from the conversation.
    assert standalone_question("is the CMA exam long?", ["what is the ISTQB?"], aliases) is None
