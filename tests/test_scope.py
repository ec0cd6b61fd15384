"""Near-topic questions the sources do not answer (pay, hiring, interviews...) are refused, and
answered as soon as the corpus holds a passage about them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.answer import REFUSAL
from assistant.embeddings import E5Embeddings
from assistant.scope import Topics

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def topics() -> Topics:
    return Topics.load()


@pytest.mark.parametrize(("text", "topic"), [
    ("Is being an account executive stressful?", "stress"),
    ("Can I become an AE with no experience?", "entry requirements"),
    ("What's the career path for a copywriter?", "other roles"),
    ("AE có phải làm cuối tuần không?", "working conditions"),
    ("How much does an account executive earn per month?", "pay"),
    ("What are AE salaries like in Hanoi?", "pay"),
    ("Lương AE bao nhiêu?", "pay"),
    ("luong account director khoang bao nhieu", "pay"),
    ("Which agencies are hiring account executives?", "hiring"),
    ("Công ty nào đang tuyển AE?", "hiring"),
    ("What do they ask in the interview for an AE role?", "interview"),
    ("nen hoc truong dai hoc nao de lam account", "education"),
    ("Làm account có phải OT nhiều không?", "working conditions"),
])
def test_topics_named_in_questions(topics: Topics, text: str, topic: str) -> None:
    assert topic in topics.named(text)


@pytest.mark.parametrize("text", [
    "What does an AE do?",
    "How does an AD earn the client's trust?",  # "earn" in another sense
    "lam sao nang cao chat luong cong viec",  # "chất lượng" typed plain, not "lương"
    "Khối lượng công việc của AE có nhiều không?",
    "bây giờ làm sao để lên AM",
    "Thường thì AE làm gì?",  # "thường" is not "thưởng"
    "Ở các agency lớn có cấp nào cao hơn AD không?",  # the corpus answers this one
    "How can an AE excel at presenting?",
    "Why is there demand for strategic advice?",
    "What does the article stress about strategy?",
    "How does an AE earn a promotion?",
    "Does learning marketing pay off?",
    "What is the time frame from AE to AM?",
])
def test_words_in_other_senses_name_no_topic(topics: Topics, text: str) -> None:
    assert topics.named(text) == set()


def test_a_topic_is_supported_only_by_a_passage_that_names_it(topics: Topics) -> None:
    question = "Lương AE bao nhiêu?"
    assert topics.unsupported(question, ["AE phục vụ khách hàng."]) == {"pay"}
    assert topics.unsupported(question, ["AE phục vụ khách hàng.",
                                         "Mức lương khởi điểm của AE là 8 triệu đồng."]) == set()
    assert topics.unsupported("What does an AE do?", []) == set()


@pytest.mark.parametrize("question", [
    "How much does an account executive earn per month?",
    "Lương AE bao nhiêu?",
    "luong account director o agency khoang bao nhieu 1 thang",
    "Which agencies in Hanoi are hiring account executives right now?",
    "What interview questions do they ask for an AE job?",
    "Làm account ở agency có phải tăng ca nhiều không?",
])
def test_near_topic_questions_are_refused(bot: Assistant, question: str) -> None:
    reply = bot.ask(question)
    assert reply.abstained and reply.sources == [], reply.answer


def test_the_refusal_names_what_the_sources_lack(bot: Assistant) -> None:
    english = bot.ask("How much does an account executive earn per month?")
    assert english.answer.startswith("I don't know: my sources say nothing about pay")
    vietnamese = bot.ask("Lương AE bao nhiêu?")
    assert vietnamese.answer.startswith("Tôi không biết: các nguồn của tôi không nói gì về lương")
    both = bot.ask("Làm AE có phải tăng ca không, lương có cao không?")
    assert "lương" in both.answer and "giờ giấc" in both.answer, both.answer
    assert bot.ask("What is the capital of Australia?").answer == REFUSAL["en"]  # not a topic


def test_near_topic_follow_up_is_refused(bot: Assistant) -> None:
    reply = bot.ask("And what's the salary at that level?",
                    history=["What does an account director do?"])
    assert reply.abstained


@pytest.mark.parametrize("question", [
    "What does an account executive do?",
    "account executive la gi",
    "How long does it take to go from AM to AD?",
    "Tại sao bài viết dùng chữ 'thống trị'?",
    "ai la nguoi chiu trach nhiem khi du an gap su co",  # typed plain, restored for search
])
def test_questions_the_corpus_answers_are_not_refused(bot: Assistant, question: str) -> None:
    assert not bot.ask(question).abstained


def test_off_topic_questions_typed_without_diacritics_are_refused(bot: Assistant) -> None:
    # Accent restoration maps these words onto the corpus's own ("dau dau" -> "đầu đầu"), so
    # they are compared with out-of-scope examples restored the same way.
    for question in ("bi dau dau mat ngu thi nen uong thuoc gi",
                     "tran bong da toi qua doi nao thang"):
        assert bot.ask(question).abstained, question


def test_a_salary_article_makes_salary_questions_answerable(tmp_path: Path,
                                                             e5: E5Embeddings) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    bot = Assistant(settings, embeddings=e5)
    question = "How much does an account executive earn per month?"
    assert bot.ask(question).abstained
    (corpus / "notes" / "salaries-en.md").write_text(
        "---\ntitle: Account executive salaries\nlanguage: en\n---\n\n"
        "A survey of agencies in Ho Chi Minh City found that an Account Executive earns a "
        "monthly salary of 9 to 14 million VND in the first two years.\n", "utf-8")
    bot.index()
    reply = bot.ask(question)
    assert not reply.abstained
    assert "9 to 14 million VND" in reply.answer
    assert reply.sources[0].path.endswith("salaries-en.md")
