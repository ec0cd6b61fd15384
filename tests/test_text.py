"""Vietnamese-aware text handling: folding, tokens, language, aliases, accent restoration."""

from __future__ import annotations

from pathlib import Path

from assistant.lexical import LexicalIndex
from assistant.terms import learn_terms, with_terms
from assistant.text import Aliases, detect_language, fold, lexical_tokens, normalize, sentences


def test_fold_removes_tones_marks_and_d_bar() -> None:
    assert fold("Tài Khoản LÀ GÌ? Đủ nội lực") == "tai khoan la gi? du noi luc"


def test_normalize_drops_invisible_characters_and_composes() -> None:
    decomposed = "la\u0300 gi\u0300"  # "là gì" typed with combining marks
    assert normalize(f"\u200b{decomposed}\u200f\x00  ok") == "là gì ok"


def test_lexical_tokens_keep_the_accented_form_beside_the_folded_one() -> None:
    assert lexical_tokens("AE là gì") == ["ae", "la", "là", "gi", "gì"]
    assert lexical_tokens("ae la gi") == ["ae", "la", "gi"]


def test_accented_question_ranks_exact_matches_higher() -> None:
    index = LexicalIndex.build(["exact", "other"], ["AE là gì", "ae la gi"])
    accented = index.scores(lexical_tokens("là gì"))
    plain = index.scores(lexical_tokens("la gi"))
    assert accented[0] > accented[1] > 0
    assert plain[0] > 0 and plain[1] > 0  # without marks both spellings match


def test_language_detection() -> None:
    assert detect_language("What does an AE do?") == "en"
    assert detect_language("AE làm gì?") == "vi"
    assert detect_language("account executive la gi") == "vi"
    assert detect_language("bao lau thi len AM") == "vi"
    # Vietnamese typed without marks, in chat abbreviations, around English job titles.
    assert detect_language("di thuc tap ke toan co dc tra tien ko, dc bn") == "vi"
    assert detect_language("luong manual tester bn") == "vi"
    assert detect_language("tu account manager len account director mat may nam") == "vi"
    # English made of short words that are Vietnamese syllables too ("can", "long", "the").
    assert detect_language("how long does it take to become an AM") == "en"
    assert detect_language("i am new to this, can you help me") == "en"
    assert detect_language("junior vs senior designer salary") == "en"


def test_sentences_split_on_ends_and_lines() -> None:
    assert sentences("Một câu. Hai câu! Ba?\nDòng mới 2.5 năm") == [
        "Một câu.",
        "Hai câu!",
        "Ba?",
        "Dòng mới 2.5 năm",
    ]


def test_aliases_expand_abbreviations_and_spun_words() -> None:
    aliases = Aliases.from_groups(
        [["AE", "account executive", "tài khoản executive"], ["quản lý", "thống trị", "cai quản"]],
        titles=["AE"],
    )
    assert aliases.expansions("AE la gi") == ["account executive", "tài khoản executive"]
    assert "quản lý" in aliases.expansions("thong tri la gi")
    assert aliases.expansions("nothing here") == []
    assert aliases.entities("what does an account executive do") == {0}


def test_accent_restoration_uses_the_corpus_spelling() -> None:
    index = LexicalIndex.build(["a"], ["Bao lâu thì lên AM? Người AE làm gì trong agency?"])
    # A word it leaves keeps its capitals: "AM" is an abbreviation, "am" an English word.
    assert index.restore_accents("bao lau thi len AM") == "bao lâu thì lên AM"
    assert index.restore_accents("AE lam gi") == "AE làm gì"
    assert index.knows("agency") and not index.knows("salary")


def test_job_titles_match_longest_first() -> None:
    aliases = Aliases.from_groups(
        [["AD", "account director"], ["GAD", "group account director"], ["AM", "account manager"]],
        titles=["AD", "GAD", "AM"],
    )
    text = "Group account director và AM"
    assert {aliases.groups[g][0] for g in aliases.entities(text)} == {"GAD", "AM"}
    assert aliases.mentions(text) == [(0, 22), (26, 28)]
    assert aliases.groups[aliases.first_title(text) or 0][0] == "GAD"
    assert aliases.entities("I am here") == set()  # lower-case "am" is English
    assert aliases.first_title("no titles here") is None


def test_job_titles_are_learned_from_the_corpus_and_merged_with_the_alias_file() -> None:
    root = Path(__file__).resolve().parent.parent / "corpus"
    aliases = with_terms(
        Aliases.load(root / "aliases.yaml"),
        learn_terms(p.read_text("utf-8") for p in root.rglob("*.md")),
    )
    titles = {aliases.groups[g][0] for g in aliases.titles}
    assert {"AE", "AM", "AD", "GAD"} <= titles
    assert "KH" not in titles  # an abbreviation, but the client is not a job title
    assert aliases.entities("Khách hàng (KH) là ai?") == set()
    assert aliases.mentions("KH là gì?", titles_only=False) == [(0, 2)]
