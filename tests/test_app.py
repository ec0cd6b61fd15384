"""The Python API as a user calls it: ask, stream, search, on the shipped corpus."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from support import SOURCE_FIELDS, with_article

from assistant import Answer, Assistant, QuestionError, Settings, Source
from assistant.embeddings import E5Embeddings

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "corpus" / "articles" / "key-account-executive-la-gi.md"


def markers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", text)]


def test_what_does_an_ae_do_is_answered_with_citations(bot: Assistant) -> None:
    reply = bot.ask("What does an AE do?", history=[])
    assert isinstance(reply, Answer) and not reply.abstained
    assert reply.sources and all(isinstance(s, Source) for s in reply.sources)
    assert re.search(r"serv\w* the client|execution|project", reply.answer, re.I)
    assert markers(reply.answer) and max(markers(reply.answer)) <= len(reply.sources)
    assert sorted(set(markers(reply.answer))) == list(range(1, len(reply.sources) + 1))
    for source in reply.sources:
        assert source.path.startswith("corpus/") and source.title and source.text
        assert 0.0 < source.score <= 1.0


def test_skeleton_corpus_cites_the_article(tmp_path: Path, e5: E5Embeddings) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ARTICLE, corpus / ARTICLE.name)
    shutil.copy(ROOT / "corpus" / "aliases.yaml", corpus / "aliases.yaml")
    bot = Assistant(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embeddings=e5)
    reply = bot.ask("What does an AE do?")  # builds the missing index first
    assert reply.sources[0].path == "corpus/key-account-executive-la-gi.md"
    assert "phục vụ" in reply.answer  # "serving the client": the article's AE definition


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of Australia?",
        "How do I make a proper carbonara?",
        "Thời tiết Hà Nội ngày mai thế nào?",
    ],
)
def test_out_of_scope_questions_get_no_sources(bot: Assistant, question: str) -> None:
    reply = bot.ask(question)
    assert reply.abstained and reply.sources == []
    assert reply.answer in (bot.scope.not_covered("en"), bot.scope.not_covered("vi"))


def test_refusal_speaks_the_question_language(bot: Assistant) -> None:
    assert bot.ask("Thủ đô của Canada là thành phố nào?").answer == bot.scope.not_covered("vi")
    assert bot.ask("Who won the football world cup?").answer == bot.scope.not_covered("en")


def test_english_question_is_answered_from_english_notes(bot: Assistant) -> None:
    reply = bot.ask("How long does it take to go from account executive to account manager?")
    assert re.search(r"2\s*[-–]\s*3 years", reply.answer)
    assert reply.sources[0].path.endswith("-en.md")


def test_vietnamese_without_diacritics(bot: Assistant) -> None:
    reply = bot.ask("bao lau thi AE len AM")
    assert re.search(r"2\s*[-–]\s*3", reply.answer)
    assert reply.language == "vi"


def test_follow_up_uses_the_conversation(bot: Assistant) -> None:
    history = [
        {"role": "user", "content": "What does an account manager do?"},
        {"role": "assistant", "content": "An Account Manager (AM) ..."},
    ]
    reply = bot.ask("And how long until they become a director?", history=history)
    assert re.search(r"5\s*[-–]\s*6", reply.answer), reply.answer
    # Plain strings (earlier user turns) work too.
    again = bot.ask(
        "And how long until they become a director?", history=["What does an account manager do?"]
    )
    assert again.answer == reply.answer


def test_stream_gives_the_same_answer_in_pieces(bot: Assistant) -> None:
    question = "Account manager làm gì?"
    stream = bot.stream(question)
    pieces = list(stream)
    assert len(pieces) > 1
    assert stream.result is not None
    assert "".join(pieces) == stream.result.answer == bot.ask(question).answer
    assert stream.result.sources == bot.ask(question).sources


def test_search_ranks_passages_best_first(bot: Assistant) -> None:
    found = bot.search("AE là gì?", history=[], k=10)
    assert 1 <= len(found) <= 10
    assert all(isinstance(s, Source) for s in found)
    texts = [s.text for s in found]
    assert len(set(texts)) == len(texts)


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\u200b\u200b"])
def test_empty_question_is_refused_clearly(bot: Assistant, question: str) -> None:
    with pytest.raises(QuestionError, match="type a question"):
        bot.ask(question)


def test_long_question_is_cut_and_answered(bot: Assistant) -> None:
    question = "What does an account executive do? " + "blah " * 10_000
    reply = bot.ask(question)
    assert reply.notice and f"{bot.settings.max_question_chars:,}" in reply.notice
    assert reply.sources


def test_answer_states_no_number_its_sources_lack(bot: Assistant) -> None:
    for question in (
        "How many years from AM to AD?",
        "Bao lâu thì lên AD?",
        "What does an AM do?",
        "mất bao lâu để lên AM",
    ):
        reply = bot.ask(question)
        cited = " ".join(s.text for s in reply.sources)
        text = re.sub(r"\[\d+\]", "", reply.answer)
        for number in re.findall(r"\d+(?:[./]\d+)?", text):
            assert number in cited, (question, number)


def test_answer_json_shape(bot: Assistant) -> None:
    data = bot.ask("What is a KAE?").to_dict()
    assert set(data) == {"answer", "abstained", "notice", "language", "sources"}
    assert data["abstained"] is False
    first = data["sources"][0]
    assert set(first) == SOURCE_FIELDS
    # Each quoted sentence is a sentence of the cited passage, and stands in the answer.
    assert first["quotes"] and all(
        q in first["text"] or q in data["answer"] for q in first["quotes"]
    )


def test_a_question_about_clients_is_not_taken_for_a_job_title(bot: Assistant) -> None:
    # "client" is the KH alias group; answers once ranked AD sentences down for not naming it.
    reply = bot.ask("When a client's project runs into trouble, who is responsible for fixing it?")
    assert "the AD is the person who must fix it" in reply.answer, reply.answer


def test_a_question_of_two_parts_gets_both_answered_with_their_own_sources(bot: Assistant) -> None:
    reply = bot.ask("AE làm gì và bao lâu thì lên AM?")
    assert re.search(r"2\s*[-–]\s*3", reply.answer), reply.answer  # the timeline
    assert re.search(r"phục vụ|thực (hiện|thi)|execution|serv", reply.answer, re.I), reply.answer
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", reply.answer)}
    assert markers == set(range(1, len(reply.sources) + 1))


def test_a_question_that_names_its_subject_first_gets_each_part_answered(bot: Assistant) -> None:
    reply = bot.ask("account executive - what do they do, and how long until AM?")
    assert re.search(r"2\s*[-–]\s*3", reply.answer), reply.answer  # the timeline
    assert re.search(r"serv\w* the client|execution|project", reply.answer, re.I), reply.answer


def test_a_question_joined_by_chat_s_n_gets_each_part_answered(bot: Assistant) -> None:
    # "n" for "and": only the timeline was answered.
    reply = bot.ask("what does an AE do n how long till AM")
    assert re.search(r"2\s*[-–]\s*3", reply.answer), reply.answer  # the timeline
    assert re.search(r"serv\w* the client|execution|project", reply.answer, re.I), reply.answer


def test_the_parts_of_a_question_do_not_repeat_each_others_quotes(bot: Assistant) -> None:
    # Two parts that ask nearly the same: the second adds what the first did not say.
    reply = bot.ask("What does an AE do, and what does an account executive do all day?")
    quotes = [q.strip() for q in re.split(r"\[\d+\][.!:;]?", reply.answer) if q.strip()]
    assert len(quotes) >= 2 and len(set(quotes)) == len(quotes), reply.answer


def test_a_question_of_two_parts_the_sources_do_not_cover_is_refused_once(bot: Assistant) -> None:
    # Both parts refused: the refusal is said once, not once per part.
    reply = bot.ask("who won the MU match last night, what was the score")
    assert reply.abstained and reply.sources == [], reply.answer
    assert reply.answer.count("I can answer") == 1, reply.answer
    # The second part names nothing of its own: it asks about the first's match, so it is
    # refused with it, not answered with a number from the career ladder.
    reply = bot.ask("tối qua MU đá với ai, tỷ số bao nhiêu")
    assert reply.abstained and reply.sources == [], reply.answer
    assert reply.answer.count("Tôi có thể trả lời") == 1, reply.answer


def test_how_long_to_reach_a_level_is_answered_by_the_step_that_ends_there(
    bot: Assistant,
) -> None:
    # "Từ AM lên AD mất 5–6 năm" names AM too, but as where the next step starts.
    reply = bot.ask("bao lâu thì lên AM?")
    first = re.split(r"\[\d+\]", reply.answer)[0]
    assert re.search(r"2\s*[-–]\s*3", first) and "5–6" not in first, reply.answer


def test_terms_asked_together_are_each_defined(bot: Assistant) -> None:
    reply = bot.ask("KAM voi CSD nghia la gi")
    assert "Key Account Manager" in reply.answer, reply.answer
    assert "Client Service Director" in reply.answer, reply.answer


def test_markers_stand_before_the_full_stop(bot: Assistant) -> None:
    reply = bot.ask("What does an account executive do?")
    assert re.search(r"\w \[\d+\][.!:;]", reply.answer), reply.answer
    assert not re.search(r"[.!?] \[\d+\]", reply.answer), reply.answer


def test_a_lead_in_is_quoted_with_what_it_introduces(bot: Assistant) -> None:
    # The article lists the kinds of work on plain lines after "... như sau:".
    reply = bot.ask("Người làm account có những đầu việc chính nào?")
    assert not re.search(r"\[\d+\]:", reply.answer), reply.answer  # no lead-in left hanging
    assert re.search(r"như sau: Ra quyết định", reply.answer), reply.answer


def test_a_comparison_of_two_roles_gets_both_sides(bot: Assistant) -> None:
    reply = bot.ask("ae khac am cho nao")
    assert len(reply.sources) >= 2, reply.answer
    assert re.search(r"\bAE\b|account executive", reply.answer, re.I), reply.answer
    assert re.search(r"\bAM\b|account manager", reply.answer, re.I), reply.answer


def test_a_comparison_begins_where_a_source_sets_both_sides_side_by_side(
    bot: Assistant,
) -> None:
    reply = bot.ask("AD va AE khac nhau the nao")
    first = reply.answer[: reply.answer.index("]") + 1]
    # "AE chủ yếu thực thi ..., còn AD chủ yếu ra quyết định ...": one sentence, both sides.
    assert re.search(r"\bAE\b", first) and re.search(r"\bAD\b", first), reply.answer


EVENT_ARTICLE = """---
title: Event careers
language: en
kind: article
---
# Working in events

Events agencies plan launches, conferences and festivals for brands.

## From event executive to event manager

Most people start as an event executive after a year or two of internships. An event executive
runs the checklist on the day: booking the venue, briefing the crew and keeping the run sheet.
An event manager sets the budget, chooses the suppliers and answers to the client for the whole
event.
An event manager usually has five or more years of experience.

## Getting hired

An event executive is hired for stamina and calm under pressure. Interviewers often ask you to
plan a small product launch on paper, with a budget and a run sheet.

## Pay

An event executive in Ho Chi Minh City earns about 8-12 million dong a month.
"""


def test_two_roles_compared_are_answered_with_what_each_does(
    tmp_path: Path, e5: E5Embeddings
) -> None:
    # Roles the article names without abbreviations, asked in Vietnamese without diacritics.
    bot = with_article(tmp_path, e5, "events.md", EVENT_ARTICLE)
    reply = bot.ask("event executive khac event manager cho nao")
    assert reply.answer.startswith(
        "An event executive runs the checklist on the day: booking the venue, briefing the crew "
        "and keeping the run sheet [1]. An event manager sets the budget, chooses the suppliers "
        "and answers to the client for the whole event [1]."
    ), reply.answer


def test_what_a_question_asks_of_a_role_picks_the_sentence_not_the_role_name(
    tmp_path: Path, e5: E5Embeddings
) -> None:
    bot = with_article(tmp_path, e5, "events.md", EVENT_ARTICLE)
    # Every sentence of the article names the role; only one is about the interview.
    reply = bot.ask("event executive interview questions?")
    assert "plan a small product launch on paper" in reply.answer, reply.answer


QA_ARTICLE = """---
title: QA tester career
language: en
kind: article
---
# QA tester career

## Certificates

The best-known certificate is ISTQB (International Software Testing Qualifications Board).
The ISTQB helps most at the start of a career, when you have no experience to show; later,
employers care more about what you have tested.
"""
SEO_ARTICLE = """---
title: SEO specialist
language: vi
kind: article
---
# SEO specialist

## Kỹ năng cần có

Về kỹ năng mềm, nghề SEO đòi hỏi sự kiên nhẫn: một dự án SEO thường cần vài tháng mới thấy
kết quả. Ngoài ra bạn cần tư duy phân tích và khả năng tự học.
"""


def test_a_term_asked_about_is_answered_from_passages_that_name_it(
    tmp_path: Path, e5: E5Embeddings
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "qa.md").write_text(QA_ARTICLE, "utf-8")
    (corpus / "seo.md").write_text(SEO_ARTICLE, "utf-8")
    bot = Assistant(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embeddings=e5)
    # "is it needed?" in Vietnamese, about an English article, beside a Vietnamese one.
    reply = bot.ask("ISTQB la gi, co can thiet ko")
    assert not reply.abstained, reply.answer
    assert "start of a career" in reply.answer, reply.answer
    assert all(s.path == "corpus/qa.md" for s in reply.sources), reply.answer
