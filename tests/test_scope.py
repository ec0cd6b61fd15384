"""Near-topic questions the sources do not answer (pay, hiring, interviews...) are refused, and
answered as soon as the corpus holds a passage about them; what a refusal says comes from the
corpus."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import with_article

from assistant import Assistant, Settings
from assistant.chunking import BULLET
from assistant.embeddings import E5Embeddings
from assistant.scope import Calibration, Signals, Topics, fit_calibration

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def topics() -> Topics:
    return Topics.load()


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Is being an account executive stressful?", "stress"),
        ("Can I become an AE with no experience?", "entry requirements"),
        ("AE có phải làm cuối tuần không?", "working conditions"),
        ("Which agencies are hiring account executives?", "hiring"),
        ("Công ty nào đang tuyển AE?", "hiring"),
        ("What do they ask in the interview for an AE role?", "interview"),
        ("nen hoc truong dai hoc nao de lam account", "education"),
        ("Làm account có phải OT nhiều không?", "working conditions"),
        ("do account directors usually get a yearly bonus?", "benefits"),
        ("AE co dc thuong Tet ko", "benefits"),
    ],
)
def test_topics_named_in_questions(topics: Topics, text: str, topic: str) -> None:
    assert topic in topics.named(text)


@pytest.mark.parametrize(
    "text",
    [
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
        "AE quản lý ngân sách của khách hàng không?",  # "sách" inside "ngân sách" is no book
        "Is AE a good first job for a fresh graduate?",
        "How many years to become a senior data analyst?",
    ],
)
def test_words_in_other_senses_name_no_topic(topics: Topics, text: str) -> None:
    assert topics.named(text) == set()


def test_a_topic_is_supported_only_by_a_passage_that_names_it(topics: Topics) -> None:
    question = "Công ty nào đang tuyển AE?"
    assert topics.unsupported(question, ["AE phục vụ khách hàng."]) == {"hiring"}
    assert (
        topics.unsupported(
            question, ["AE phục vụ khách hàng.", "Các agency lớn thường tuyển dụng AE vào tháng 3."]
        )
        == set()
    )
    assert topics.unsupported("What does an AE do?", []) == set()


def test_a_passage_names_a_topic_in_its_own_words(topics: Topics) -> None:
    # "học ngành" (to study a subject) is said "học một ngành" in the passage: it names it.
    question = "k hoc nganh marketing thi co lam seo dc ko"
    said = "Bạn không bắt buộc phải học một ngành cụ thể để làm SEO."
    assert topics.unsupported(question, [said]) == set()
    assert topics.unsupported(question, ["SEO cần kiên nhẫn."]) == {"education"}
    # Not any words apart: the question's phrase still has to be there, close together.
    far = "Học viên mới vào nghề thường chọn SEO vì đây là một ngành dễ bắt đầu."
    assert topics.unsupported(question, [far]) == {"education"}


def test_a_passage_gives_the_times_of_a_working_day_without_naming_them(topics: Topics) -> None:
    day = "Ngày làm việc của GVMN thường kéo dài 9-10 tiếng, từ 6h45 sáng đến khoảng 17h."
    assert topics.unsupported("gvmn lam tu may gio den may gio", [day]) == set()
    assert topics.unsupported("what time do nurses start work?", ["Shifts run 7 am to 7 pm."]) == (
        set()
    )
    long = "Ngày làm việc của GVMN thường kéo dài 9-10 tiếng."
    assert topics.unsupported("gvmn lam tu may gio den may gio", [long]) == {"times of day"}
    # A time of day says nothing about Saturdays or hours a week.
    assert topics.unsupported("gdv co phai lam thu 7 ko", [day]) == {"working conditions"}


def test_a_passage_gives_the_score_to_pass_or_the_share_who_pass(topics: Topics) -> None:
    exam = "The journeyman exam has 80-100 questions and requires a score of 70% or higher."
    fee = "Lệ phí thi sát hạch là 300.000 đồng, chứng chỉ có hiệu lực 5 năm."
    assert topics.unsupported("journeyman exam passing score?", [exam]) == set()
    assert topics.unsupported("thi sat hach bao nhieu diem thi dau", [fee]) == {"exam scores"}
    assert topics.unsupported("diem chuan bao nhieu", ["Điểm chuẩn từ 19 đến 25 điểm."]) == set()
    assert topics.unsupported("can ielts may diem", ["Most agencies ask for IELTS 7.0."]) == set()
    # A score to pass is no share of candidates who pass.
    assert topics.unsupported("what's the pass rate of the exam", [exam]) == {"pass rates"}
    picked = "Tỷ lệ chọi khoảng 1/20, tức chỉ 5% ứng viên được nhận."
    assert topics.unsupported("ty le do khi thi tuyen", [picked]) == set()


def test_a_passage_names_a_bonus_by_what_it_is_paid_for(topics: Topics) -> None:
    # "thưởng theo từng người tuyển được" is a bonus per hire; "thường" (usually) is not.
    per_hire = "Nhiều công ty thưởng theo từng người tuyển được, 500.000-2.000.000 đồng."
    assert "benefits" not in topics.unsupported("in-house recruiter bonus per hire?", [per_hire])
    usually = "Recruiter thường theo dõi 10-15 vị trí cùng lúc."
    assert "benefits" in topics.unsupported("recruiter co duoc thuong tet ko", [usually])


@pytest.mark.parametrize(
    "question",
    [
        "How much does an account executive earn per month?",
        "Lương AE bao nhiêu?",
        "luong account director o agency khoang bao nhieu 1 thang",
        "Which agencies in Hanoi are hiring account executives right now?",
        "What interview questions do they ask for an AE job?",
        "Làm account ở agency có phải tăng ca nhiều không?",
        "do account directors usually get a yearly bonus?",
        "lương AE ở Đà Nẵng bao nhiêu?",
        "how much notice do I have to give if I quit as an AM?",
        "AE nghỉ việc phải báo trước mấy ngày?",
        # "có hay": "whether", no two things set as alternatives that other notes are about
        "làm AE có hay phải tăng ca không",
        "What percentage of account executives quit within their first year?",
    ],
)
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
    plain = bot.ask("What is the capital of Australia?").answer  # not a kind of career fact
    assert plain == bot.scope.not_covered("en")
    # What it can answer is named from the corpus's own terms.
    assert "Account Executive (AE)" in plain, plain


@pytest.mark.parametrize("question", ["12345", "asdfghjkl", "hello", "ok", "???"])
def test_input_with_nothing_the_corpus_could_be_about_is_refused(
    bot: Assistant, question: str
) -> None:
    reply = bot.ask(question)
    assert reply.abstained and reply.sources == [], reply.answer


def test_a_duration_question_needs_the_unit_it_asks_for(bot: Assistant) -> None:
    # The AE passages give years (2-3 years to AM); they say nothing about hours a week.
    assert bot.ask("AE 1 tuần làm mấy tiếng?").abstained
    assert not bot.ask("Bao nhiêu năm thì AE lên được AM?").abstained


def test_a_place_or_employer_the_corpus_never_names_is_refused(bot: Assistant) -> None:
    saas = bot.ask("what does an AE at a SaaS company do?")
    assert saas.abstained and "SaaS" in saas.answer, saas.answer
    # Typed as one word, a place the corpus writes in two is still one it names; so is a typo.
    assert not bot.ask("What does an account executive do in Vietnam?").abstained
    assert not bot.ask("What does an AE do at an Agncy?").abstained


def test_what_a_role_the_corpus_never_names_does_is_refused(bot: Assistant) -> None:
    art = bot.ask("What does an art director do at an ad agency?")
    assert art.abstained and "art director" in art.answer.lower(), art.answer
    planner = bot.ask("media planner lam nhung viec gi")
    assert planner.abstained and "planner" in planner.answer, planner.answer
    # The roles it does name are answered, however they are typed.
    assert not bot.ask("What does an account director do at an ad agency?").abstained
    assert not bot.ask("account manager lam nhung viec gi").abstained


def test_near_topic_follow_up_is_refused(bot: Assistant) -> None:
    reply = bot.ask(
        "And what's the salary at that level?", history=["What does an account director do?"]
    )
    assert reply.abstained


@pytest.mark.parametrize(
    "question",
    [
        "What does an account executive do?",
        "account executive la gi",
        "How long does it take to go from AM to AD?",
        "Tại sao bài viết dùng chữ 'thống trị'?",
        "ai la nguoi chiu trach nhiem khi du an gap su co",  # typed plain, restored for search
        "Honestly, what does an AE do?",  # "honestly" is no role the corpus lacks
        "Quick question, what does an AM do?",
    ],
)
def test_questions_the_corpus_answers_are_not_refused(bot: Assistant, question: str) -> None:
    assert not bot.ask(question).abstained


def test_off_topic_questions_typed_without_diacritics_are_refused(bot: Assistant) -> None:
    # Accent restoration maps these words onto the corpus's own ("dau dau" -> "đầu đầu"), so
    # they are compared with out-of-scope examples restored the same way.
    for question in (
        "bi dau dau mat ngu thi nen uong thuoc gi",
        "tran bong da toi qua doi nao thang",
    ):
        assert bot.ask(question).abstained, question


def test_a_salary_article_makes_salary_questions_answerable(
    tmp_path: Path, e5: E5Embeddings
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    bot = Assistant(settings, embeddings=e5)
    question = "How much does an account executive earn per month?"
    assert bot.ask(question).abstained
    (corpus / "notes" / "salaries-en.md").write_text(
        "---\ntitle: Account executive salaries\nlanguage: en\n---\n\n"
        "A survey of agencies in Ho Chi Minh City found that an Account Executive earns a "
        "monthly salary of 9 to 14 million VND in the first two years.\n",
        "utf-8",
    )
    bot.index()
    reply = bot.ask(question)
    assert not reply.abstained
    assert "9 to 14 million VND" in reply.answer
    assert reply.sources[0].path.endswith("salaries-en.md")


def _write_article(corpus: Path, name: str, text: str) -> None:
    (corpus / "articles" / name).write_text(text, "utf-8")


MEDIA_PLANNER = """---
title: Media planner salaries
language: en
kind: article
---
# What a Media Planner (MP) earns

## Salary by level

These are base salaries at agencies in New York.

| Level | Years | Salary (USD per year) |
|---|---|---|
| Media Planner (MP) | 0-2 | $40,000-$50,000 |
| Senior Media Planner | 2-5 | $55,000-$70,000 |

## Working with the creative team

A Media Planner (MP) briefs the Art Director (AD) on the sizes each channel needs, and the
Art Director (AD) leads the visuals of the campaign.
"""


def test_pay_given_for_other_roles_is_not_taken_for_the_role_asked(
    tmp_path: Path, e5: E5Embeddings
) -> None:
    bot = with_article(tmp_path, e5, "media-planner.md", MEDIA_PLANNER)
    planner = bot.ask("How much does a media planner earn?")
    assert not planner.abstained and "$40,000-$50,000" in planner.answer, planner.answer
    art = bot.ask("How much does an Art Director earn?")
    assert art.abstained and "$" not in art.answer, art.answer
    assert "Art Director" in art.answer, art.answer  # the refusal names what it lacks
    # A role the corpus never names is not answered with the roles it does name.
    radio = bot.ask("How much does a radio planner earn per year?")
    assert radio.abstained and "radio planner" in radio.answer, radio.answer
    # A place the salaries are not given for, and a cost where only salaries are given.
    there = bot.ask("How much does a media planner earn in New York?")
    assert not there.abstained and "$40,000-$50,000" in there.answer, there.answer
    elsewhere = bot.ask("How much does a media planner earn in Singapore?")
    assert elsewhere.abstained and "Singapore" in elsewhere.answer, elsewhere.answer
    course = bot.ask("How much does a media planning course cost?")
    assert course.abstained and "$" not in course.answer, course.answer
    assert "costs or fees" in course.answer, course.answer
    # "AD" is an Account Director in the seed's notes and an Art Director here: both kept.
    meanings = {g[1] for g in bot.searcher.aliases.groups if g[0] == "AD"}
    assert {"Account Director", "Art Director"} <= meanings


LOGISTICS = """---
title: Logistics coordinator career
language: en
kind: article
---
# Logistics Coordinator: the career

## Salary by level

| Level | Years | Salary (USD per year) |
|---|---|---|
| Logistics Assistant | 0-1 | $35,000-$42,000 |
| Logistics Coordinator | 1-4 | $45,000-$58,000 |
| Logistics Manager | 5+ | $70,000-$95,000 |

## Working with the warehouse

A coordinator works every day with the warehouse keeper and the customs broker, but those
are other careers. The carrier issues the lading bill (B/L, Bill of Lading), which proves
who owns the goods. Large forwarders also hire rate analysts, claims handlers and freight
auditors.

## Courses

- **Freight Basics**: a two-month evening course; the fee is about $600.
- **Dangerous Goods Diploma**: taught by the national forwarders' association and
  recognised by international forwarders.
"""


def test_a_list_item_or_table_row_gives_a_fact_only_about_what_it_names(
    tmp_path: Path, e5: E5Embeddings
) -> None:
    bot = with_article(tmp_path, e5, "logistics.md", LOGISTICS)
    fee = bot.ask("How much does the Freight Basics course cost?")
    assert not fee.abstained and "$600" in fee.answer, fee.answer
    pay = bot.ask("How much does a logistics coordinator earn?")
    assert not pay.abstained and "$45,000-$58,000" in pay.answer, pay.answer
    # The fee in the list is another course's; the rows are other roles' pay.
    diploma = bot.ask("How much does the Dangerous Goods Diploma cost?")
    assert diploma.abstained and "$600" not in diploma.answer, diploma.answer
    keeper = bot.ask("How much does a warehouse keeper earn?")
    assert keeper.abstained and "$" not in keeper.answer, keeper.answer
    # A role the article names only beside others: it says so, not what a coordinator does.
    keeper_does = bot.ask("What does a warehouse keeper do?")
    assert keeper_does.abstained, keeper_does.answer
    assert "warehouse keeper only in passing" in keeper_does.answer, keeper_does.answer
    auditor = bot.ask("What does a freight auditor do?")  # named in the plural
    assert auditor.abstained and "freight auditors only in passing" in auditor.answer, (
        auditor.answer
    )
    coordinator = bot.ask("What does a logistics coordinator do?")
    assert not coordinator.abstained, coordinator.answer
    # A term spelled with a slash is learned and asked about like any other.
    bill = bot.ask("B/L la gi")
    assert not bill.abstained and "Bill of Lading" in bill.answer, bill.answer


def test_a_refusal_names_the_roles_of_whatever_corpus_it_has(
    tmp_path: Path, e5: E5Embeddings
) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "articles").mkdir(parents=True)
    _write_article(corpus, "media-planner.md", MEDIA_PLANNER)
    bot = Assistant(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embeddings=e5)
    reply = bot.ask("What is the capital of Australia?")
    assert reply.abstained
    assert "Media Planner (MP)" in reply.answer and "Account Executive" not in reply.answer


TESTER = """---
title: Software tester career
language: en
kind: article
---
# Software tester career

A software tester checks that a product works before it ships. Testing and QA (quality
assurance) are used almost interchangeably. Most testers start as manual testers and later
take the ISTQB (International Software Testing Qualifications Board) Foundation Level exam.
Large companies also hire performance testers, security testers and test architects.
"""


def test_a_refusal_offers_first_what_the_passages_near_the_question_name(
    tmp_path: Path, e5: E5Embeddings
) -> None:
    bot = with_article(tmp_path, e5, "tester.md", TESTER)
    reply = bot.ask("What does a test architect do?")
    assert reply.abstained, reply.answer
    offered = reply.answer[reply.answer.index("such as") :]
    # The tester article's terms come before the account roles of the seed article.
    assert offered.index("(ISTQB)") < offered.index("(AE)"), reply.answer
    assert offered.index("(QA)") < offered.index("(AE)"), reply.answer


def test_calibration_is_fitted_from_labelled_questions_and_kept_with_the_index(
    tmp_path: Path,
) -> None:
    answerable = [Signals(0.85 + i / 1000, 0.80, 3, 3) for i in range(100)]
    unanswerable = [Signals(0.78, 0.88, 1, 3), Signals(0.84, 0.90, 2, 3)]
    fitted = fit_calibration(
        "some-model", [(s, True) for s in answerable] + [(s, False) for s in unanswerable]
    )
    # At most 1% of the answerable questions fall below the thresholds; both others do.
    refused = [
        s
        for s in answerable
        if s.best < fitted.coverage or s.best - s.outside < fitted.outside_margin
    ]
    assert len(refused) <= 1
    assert all(
        s.best < fitted.coverage or s.best - s.outside < fitted.outside_margin for s in unanswerable
    )
    fitted.save(tmp_path)
    assert Calibration.load("some-model", tmp_path) == fitted
    assert Calibration.load("another-model", tmp_path) is None
    assert Calibration.load("e5", tmp_path) is not None  # shipped for the bundled model


SALES = """---
title: Nhân viên kinh doanh B2B
language: vi
kind: article
---
# Nhân viên kinh doanh B2B làm gì?

Nhân viên kinh doanh B2B tìm khách hàng doanh nghiệp, gửi báo giá và chốt hợp đồng.

## Thu nhập

Thu nhập của nghề gồm lương cứng cộng hoa hồng (commission), thường từ 3-5% giá trị hợp đồng,
cùng thưởng theo quý.
"""


def test_a_percentage_named_beside_other_pay_is_answered(tmp_path: Path, e5: E5Embeddings) -> None:
    # "hoa hồng" is listed after "lương cứng", but the sentence gives the percentage asked.
    bot = with_article(tmp_path, e5, "sales-b2b.md", SALES)
    reply = bot.ask("hoa hong sales b2b thuong dc bao nhieu %")
    assert not reply.abstained and "3-5%" in reply.answer, reply.answer


def test_a_fact_ranked_below_the_answer_s_passages_does_not_answer(
    tmp_path: Path, e5: E5Embeddings
) -> None:
    article = ROOT / "tests" / "eval" / "tune" / "fresh2" / "chuyen-vien-xuat-nhap-khau.md"
    bot = with_article(tmp_path, e5, "xnk.md", article.read_text("utf-8"))
    # Pay per shipment for freelance paperwork: the article gives none, only salaries and
    # shares of profit about other things, further down. (An exam's pass rate, "thi chung chi
    # khai hai quan ti le dau bao nhieu %", was asked here too; the salary passage with a
    # percentage is 5th or 6th by 0.0002 depending on the machine's arithmetic, so it is
    # left to tests/eval/tune/fresh2.jsonl, f2-un-7.)
    answer = bot.ask("lam chung tu freelance tai nha thi 1 lo hang dc tra bn")
    assert answer.abstained, answer.answer
    salary = bot.ask("nhan vien chung tu luong bao nhieu")
    assert not salary.abstained and "triệu" in salary.answer, salary.answer
    fee = bot.ask("khoa nghiep vu xnk hoc phi bao nhieu")
    assert not fee.abstained and "4-6 triệu" in fee.answer, fee.answer


# A Vietnamese article whose abbreviation spells only the first words of the role's name
# ("HDV": "Hướng dẫn viên", not "du lịch"), with the English name beside it.
TOUR_GUIDE = "\n".join(
    [
        "---",
        "title: Hướng dẫn viên du lịch, công việc và thu nhập",
        "language: vi",
        "kind: article",
        "---",
        "# Hướng dẫn viên du lịch là gì?",
        "",
        "Hướng dẫn viên du lịch (HDV, tour guide) là người dẫn đoàn khách theo lịch trình của "
        "công ty lữ hành và thuyết minh về điểm đến.",
        "",
        "## Thẻ hành nghề",
        "",
        "Muốn dẫn đoàn, HDV phải có thẻ hành nghề do Sở Du lịch cấp. Thẻ có hạn 5 năm.",
        "",
        "## Thu nhập",
        "",
        "HDV nội địa nhận khoảng 10-15 triệu đồng mỗi tháng, HDV quốc tế 18-30 triệu đồng, "
        "chưa kể tiền tip của khách.",
        "",
    ]
)


def test_a_vietnamese_article_answers_english_questions_and_short_facts(
    tmp_path: Path, e5: E5Embeddings
) -> None:
    # "(HDV, tour guide)" names the role of the sentence, not one of a list: English
    # questions about it are answered.
    bot = with_article(tmp_path, e5, "tour-guide.md", TOUR_GUIDE)
    reply = bot.ask("What does a tour guide do?")
    assert reply.answer.startswith("Hướng dẫn viên du lịch (HDV, tour guide) là"), reply.answer
    reply = bot.ask("how much does a tour guide earn?")
    assert "10-15 triệu đồng" in reply.answer, reply.answer
    # Vietnamese says a fact in few letters: "Thẻ có hạn 5 năm." is quoted, not dropped as a
    # fragment.
    reply = bot.ask("the hdv co thoi han bao lau")
    assert reply.answer.startswith("Thẻ có hạn 5 năm"), reply.answer


def test_what_a_role_does_is_not_answered_with_what_another_does(
    tmp_path: Path, e5: E5Embeddings
) -> None:
    """Asked what a role does, the answer's passages must name that role (in the sentences
    quoted, the passage or the headings above it): a UX designer was answered with what
    testers do ("design test cases"), as the two words are near."""
    article = (ROOT / "tests/eval/tune/fresh/qa-tester-career.md").read_text("utf-8")
    bot = with_article(tmp_path, e5, "qa.md", article)
    assert bot.ask("What does a UX designer do?").abstained
    reply = bot.ask("what does an SDET do")
    assert not reply.abstained and "SDET" in reply.answer, reply.answer
    reply = bot.ask("What does a QA lead do?")
    assert not reply.abstained and "three to eight testers" in reply.answer, reply.answer


def test_a_role_asked_in_the_other_language_than_its_article_is_not_unknown(
    tmp_path: Path, e5: E5Embeddings
) -> None:
    """The accountant article of ``tests/eval/tune/fresh`` names the chief accountant only in
    Vietnamese ("Kế toán trưởng (KTT)"): asked in English what one does, it answers, where it
    said the sources name no chief accountant; a role no article names is still refused."""
    article = (ROOT / "tests/eval/tune/fresh/ke-toan-vien-la-gi.md").read_text("utf-8")
    bot = with_article(tmp_path, e5, "ke-toan.md", article)
    reply = bot.ask("What does a chief accountant do?")
    assert not reply.abstained and "Kế toán trưởng" in reply.answer, reply.answer
    reply = bot.ask("how much does a chief accountant earn")  # the same rule, for a figure
    assert "Kế toán trưởng (KTT)" in reply.answer and "25-45" in reply.answer, reply.answer
    assert bot.ask("What does an art director do?").abstained


# An English article that writes its role in lower case, as English does, and names its
# levels after the abbreviation ("Staff PT"), beside a degree it also abbreviates.
PHYSICAL_THERAPIST = "\n".join(
    [
        "---",
        "title: Physical therapist career guide",
        "language: en",
        "kind: article",
        "---",
        "# Physical therapist career guide",
        "",
        "A physical therapist (PT) helps patients recover movement after an injury or an "
        "operation. Every PT needs a Doctor of Physical Therapy (DPT) degree, which takes "
        "three years after college.",
        "",
        "## Salary",
        "",
        "| Level | Years of experience | Salary (USD per year) |",
        "|---|---|---|",
        "| New graduate PT | 0-2 | $75,000-$85,000 |",
        "| Staff PT | 3-7 | $90,000-$105,000 |",
        "| Senior PT | 8+ | $105,000-$125,000 |",
        "",
        "Travel PTs, who take 13-week contracts in different cities, often earn 20-30% more.",
        "",
    ]
)


def test_a_role_written_in_lower_case_is_learned_from_its_abbreviation(
    tmp_path: Path, e5: E5Embeddings
) -> None:
    bot = with_article(tmp_path, e5, "physical-therapist.md", PHYSICAL_THERAPIST)
    # "grad" shortens the corpus's "graduate"; travel PTs are a role it names.
    for question, fact in [
        ("how much does a new grad PT make", "$75,000-$85,000"),
        ("do travel PTs earn more?", "20-30% more"),
    ]:
        reply = bot.ask(question)
        assert fact in reply.answer, (question, reply.answer)
    # "therapist" heads the corpus's role names, so an occupational therapist is a role it
    # does not describe, not a physical therapist.
    reply = bot.ask("how much does an occupational therapist earn")
    assert reply.answer == (
        "I don't know: my sources give pay or salaries for physical therapist, but not for "
        "occupational therapist."
    )
    # Asked for a place alone, the refusal names the place (and not the degree as a role).
    reply = bot.ask("how much do PTs earn in Vietnam")
    assert reply.answer == (
        "I don't know: my sources give pay or salaries for physical therapist, but not in Vietnam."
    )


def test_follow_ups_lean_on_the_turns_before_them(tmp_path: Path, e5: E5Embeddings) -> None:
    bot = with_article(tmp_path, e5, "physical-therapist.md", PHYSICAL_THERAPIST)
    turns = ["what does a physical therapist do?", "how much do they make?"]
    # "And a senior one?": the question before, asked of a senior physical therapist.
    reply = bot.ask("and a senior one?", history=turns)
    assert "$105,000-$125,000" in reply.answer, reply.answer
    # A question that names nothing leans on the last turn that names something.
    reply = bot.ask("how long does the degree take?", history=[*turns, "and a senior one?"])
    assert reply.answer.startswith("Every PT needs a Doctor of Physical Therapy (DPT)"), (
        reply.answer
    )
    # After a degree or an exam, "it" is that degree or exam.
    reply = bot.ask("how long does it take?", history=["what is a DPT?"])
    assert "three years" in reply.answer, reply.answer


AIRLINE_PILOT = """---
title: Airline pilot career guide
language: en
kind: article
---
# Airline pilot career guide

An airline pilot flies passengers and cargo for a commercial airline. Every flight has two
pilots: the Captain, who commands the aircraft, and the First Officer, who shares the flying.

## Licences

- Pre-licensing ground school: 6-8 weeks of classes.
- Private Pilot Licence (PPL): about 45 flight hours, 3-6 months, $12,000-$18,000.
- Commercial Pilot Licence (CPL): 250 flight hours in total, 12-18 months after the PPL.
- Airline Transport Pilot Licence (ATPL): 1,500 flight hours, built in 2-3 years.

## Pay by rank

- Flight Instructor: $35,000-$60,000 a year.
- First Officer (regional airline): $50,000-$90,000 a year.
- Senior First Officer (major airline): $120,000-$220,000 a year.
- Captain (major airline): $250,000-$400,000 a year.

## Career path

Most pilots spend 2-5 years as a first officer before they are promoted. A senior title
usually comes after 5-7 years with one airline.
"""

CHEF = """---
title: Nghề đầu bếp
language: vi
kind: article
---
# Nghề đầu bếp: cấp bậc và lương

## Các cấp bậc trong bếp

- **Phụ bếp (Commis)**: sơ chế nguyên liệu, giữ bếp sạch sẽ.
- **Bếp phó (Sous Chef)**: điều phối các khu vực trong giờ cao điểm và xếp ca.
- **Bếp trưởng (Head Chef / Executive Chef)**: xây dựng thực đơn và chịu trách nhiệm cả bếp.

## Lương theo cấp bậc

| Cấp bậc | Số năm để đạt | Lương (triệu đồng/tháng) |
|---|---|---|
| Phụ bếp | Mới vào nghề | 5-7 |
| Bếp phó | 5-7 năm | 15-25 |
| Bếp trưởng | 8-12 năm | 25-45 |

Đầu bếp phải cập nhật món mới mỗi mùa.
"""


DEVOPS = """---
title: DevOps engineer career guide
language: en
kind: article
---
# DevOps engineer career guide

A DevOps engineer builds and runs the systems that take code to production.

## Salary

- Junior DevOps: $80,000-$100,000 a year.
- Senior DevOps: $140,000-$180,000 a year.
- An AWS certification exam costs $300.

## Career path

Most people reach a senior title in about 5-7 years.
"""


def test_a_role_in_no_article_a_country_or_a_city_is_not_answered_from_other_pay(
    tmp_path: Path, e5: E5Embeddings
) -> None:
    bot = with_article(
        tmp_path, e5, "airline-pilot.md", AIRLINE_PILOT, **{"dau-bep": CHEF, "devops": DEVOPS}
    )
    # "attendant" is in no article and uncommon in everyday English: a role the corpus lacks,
    # not a word any question may use.
    # The refusal names the roles the pay is given for, as the articles write them.
    reply = bot.ask("how much does a flight attendant earn")
    assert reply.answer.startswith("I don't know: my sources give pay or salaries for ")
    assert reply.answer.endswith(", but not for flight attendant."), reply.answer
    assert "First Officer" in reply.answer
    # The article's own roles are answered, in English or in its Vietnamese names: "Bếp
    # trưởng (Head Chef / Executive Chef)" glosses the role with two names.
    # "senior devops" is answered where "a senior title" is reached under a DevOps heading;
    # "prelicensing" is the article's "Pre-licensing", typed as one word; "certs" shortens its
    # "certification"; "piloting" says what is done, in the question's own words.
    for question, fact in [
        ("how much does a captain earn", "$250,000-$400,000"),
        ("how much does a head chef make", "25-45"),
        ("mat bao lau de tu junior len senior devops", "5-7 years"),
        ("how long is prelicensing ground school", "6-8 weeks"),
        ("how much do devops certs cost", "$300"),
        ("how much do you earn piloting for a regional airline", "$50,000-$90,000"),
    ]:
        reply = bot.ask(question)
        assert fact in reply.answer, (question, reply.answer)
    # "sang Úc", "sang Nhật": going to work in another country; "nhật" in "cập nhật" (to
    # update) does not name Japan.
    for question, place in [
        ("dau bep sang Uc lam luong dc bn", "Uc"),
        ("dau bep sang Nhat luong bn", "Nhat"),
    ]:
        reply = bot.ask(question)
        assert reply.answer.startswith(
            f"Tôi không biết: các nguồn của tôi có lương hay thu nhập, nhưng không có ở {place}."
        ), reply.answer
    # A city: the refusal says what it lacks, not what the licences cost.
    reply = bot.ask("how much does a pilot earn in London")
    assert reply.answer.startswith(
        "I don't know: my sources give pay or salaries, but not in London."
    ), reply.answer


COURT_REPORTER = """---
title: Court reporter career guide
language: en
kind: article
---
# Court reporter career guide

A court reporter writes down every word said in a courtroom, a deposition or a hearing on a
stenotype machine, and turns it into the official transcript.

## Becoming a court reporter

- Court reporting school: 2-4 years at a community college or a private school.
- Speed goal: 225 words per minute before graduation.
- Registered Professional Reporter (RPR) exam: a written knowledge test and three skills
  tests, taken at a testing centre.

## Pay

- Official court reporter, employed by a court: $55,000-$75,000 a year.
- Freelance reporter: $60,000-$100,000 a year, paid per page of transcript.

## Working freelance

Freelance reporters are booked by agencies, which keep about 30% of the page fees.
"""


def test_an_answer_that_does_not_give_what_was_asked_is_not_given(
    tmp_path: Path, e5: E5Embeddings
) -> None:
    bot = with_article(tmp_path, e5, "court-reporter.md", COURT_REPORTER, **{"dau-bep": CHEF})
    # The article gives a percentage (the agencies' share), but not the exam's pass rate:
    # the answer was the steps to a licence.
    for question, why in [
        ("what's the pass rate of the RPR exam", "how many candidates pass"),
        ("what percentage of people pass the RPR exam", "percentages or rates"),
    ]:
        reply = bot.ask(question)
        assert reply.abstained, (question, reply.answer)
        assert why in reply.answer, reply.answer
    # A translator's pay, where the only Vietnamese pay is the chef's: the answer was the
    # chef's salary table.
    reply = bot.ask("bien dich vien luong bao nhieu")
    assert reply.abstained and "25-45" not in reply.answer, reply.answer
    # A Vietnamese word of several syllables is matched as a word: a deputy director ("phó
    # giám đốc") is not the sous chef ("bếp phó") because they share the syllable "phó".
    for question in ["pho giam doc luong bao nhieu", "lương phó giám đốc bao nhiêu?"]:
        reply = bot.ask(question)
        assert reply.abstained and "15-25" not in reply.answer, (question, reply.answer)
    # An English name is said by its last word: a court officer or clerk is no court reporter.
    for question in ["how much does a court officer earn", "how much does a court clerk make"]:
        reply = bot.ask(question)
        assert reply.abstained and "$55,000" not in reply.answer, (question, reply.answer)
    # Asked how many, an answer without a number is no answer.
    for question in [
        "how many transcripts does a court reporter type a week",
        "bep truong quan ly bao nhieu nguoi",
    ]:
        reply = bot.ask(question)
        assert reply.abstained, (question, reply.answer)
    # What the sources do give is answered, yes/no questions too (they need no figure), and
    # a number written in words.
    for question, fact in [
        ("how much does a court reporter make", "$55,000-$75,000"),
        ("what share of the page fees do agencies keep", "30%"),
        ("luong dau bep bn", "25-45"),
        ("luong bep pho bn", "15-25"),
        ("do freelance reporters earn more than official court reporters?", "$60,000-$100,000"),
        ("how many tests are in the RPR exam", "three skills tests"),
    ]:
        reply = bot.ask(question)
        assert not reply.abstained and fact in reply.answer, (question, reply.answer)


@pytest.fixture(scope="module")
def careers(tmp_path_factory: pytest.TempPathFactory, e5: E5Embeddings) -> Assistant:
    """The shipped corpus with the articles of ``tests/eval/tune/fresh6`` (US electricians,
    Vietnamese preschool teachers and flight attendants) and the QA tester article."""
    tmp_path = tmp_path_factory.mktemp("careers")
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    shutil.copytree(ROOT / "tests/eval/tune/fresh6", corpus / "articles" / "fresh6")
    shutil.copy(ROOT / "tests/eval/tune/fresh/qa-tester-career.md", corpus / "articles")
    bot = Assistant(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embeddings=e5)
    bot.index()
    return bot


def test_pay_asked_for_a_place_is_pay_given_for_that_place(careers: Assistant) -> None:
    """A place asked about is no part of the role's name ("thợ điện" in "tho dien o Viet
    Nam"), "in the US" names the US, and an article that writes "the United States" names
    it."""
    for question in [
        "tho dien o Viet Nam luong bao nhieu",  # the electricians' pay is American
        "how much do preschool teachers make in the US",  # theirs is Vietnamese
    ]:
        assert careers.ask(question).abstained, question
    for question, fact in [
        ("how much does a journeyman electrician make in the US", "$60,000-$85,000"),
        ("luong giao vien mam non o Viet Nam bn", "6-7 triệu"),
        ("what does a QA engineer usually earn per year in the US", "$70,000-$90,000"),
    ]:
        reply = careers.ask(question)
        assert fact in reply.answer, (question, reply.answer)


def test_two_careers_asked_about_together_are_each_answered_from_their_article(
    careers: Assistant,
) -> None:
    """ "tiep vien hay giao vien mam non, nghe nao phai hoc lau hon" was answered from the
    preschool teachers' article alone: the flight attendants' training was left out. "lâu
    hơn" asks how long each takes: the 12 weeks come first."""
    reply = careers.ask("tiep vien hay giao vien mam non, nghe nao phai hoc lau hon")
    assert not reply.abstained, reply.answer
    assert "12 tuần" in reply.answer and "3 năm" in reply.answer, reply.answer
    assert reply.answer.index("12 tuần") < reply.answer.index("Nhược điểm"), reply.answer
    # Each side headed with its name as its article writes it, a blank line between them.
    assert reply.answer.startswith("Tiếp viên: "), reply.answer
    assert "\n\nGiáo viên mầm non: " in reply.answer, reply.answer
    paths = {source.path.rsplit("/", 1)[-1] for source in reply.sources}
    assert {"tiep-vien-hang-khong.md", "giao-vien-mam-non.txt"} <= paths, paths
    # "kiếm nhiều hơn" (earns more) asks each one's pay: it was answered with the ladder.
    reply = careers.ask("tiep vien hay giao vien mam non, nghe nao kiem nhieu hon")
    assert "18-25" in reply.answer and "6-7 triệu" in reply.answer, reply.answer
    # Side by side: each from its own article too.
    reply = careers.ask("tiep vien va giao vien mam non co can biet so cuu khong")
    assert "Sơ cứu khi trẻ" in reply.answer, reply.answer
    paths = {source.path.rsplit("/", 1)[-1] for source in reply.sources}
    assert {"tiep-vien-hang-khong.md", "giao-vien-mam-non.txt"} <= paths, paths
    # What both are asked follows the second one: the flight attendants are asked it too
    # (they were asked "do flight attendants", and their definition was the answer).
    reply = careers.ask("do flight attendants and preschool teachers need first aid skills")
    flight = [s for s in reply.sources if s.path.endswith("tiep-vien-hang-khong.md")]
    assert any("sơ cứu" in q or "sơ cấp cứu" in q for s in flight for q in s.quotes), flight
    assert "Sơ cứu khi trẻ" in reply.answer, reply.answer
    assert reply.answer.startswith("Flight attendant: "), reply.answer
    assert "\n\nPreschool teacher: " in reply.answer, reply.answer


def test_a_country_typed_in_lower_case_is_a_place_asked_about(careers: Assistant) -> None:
    """Users type "in canada" as often as "in Canada": the electricians' pay, which is
    American, was given for "how much do journeyman electricians make in canada"."""
    for question in [
        "how much do journeyman electricians make in canada",
        "how much do preschool teachers make in singapore?",
    ]:
        reply = careers.ask(question)
        assert reply.abstained and question.split()[-1].strip("?") in reply.answer, reply.answer
    reply = careers.ask("how much does a journeyman electrician make in the us")
    assert "$60,000-$85,000" in reply.answer, reply.answer


@pytest.fixture(scope="module")
def trades(tmp_path_factory: pytest.TempPathFactory, e5: E5Embeddings) -> Assistant:
    """The shipped corpus with the articles of ``tests/eval/tune/fresh8``: a US social media
    manager, a Vietnamese life-insurance advisor, a Vietnamese hairdresser (plain text)."""
    tmp_path = tmp_path_factory.mktemp("trades")
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    shutil.copytree(ROOT / "tests/eval/tune/fresh8", corpus / "articles" / "fresh8")
    bot = Assistant(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embeddings=e5)
    bot.index()
    return bot


def test_a_price_is_answered_where_it_is_not_called_one(trades: Assistant) -> None:
    """ "Tổng cộng một bộ dụng cụ cơ bản cho người mới khoảng 4-7 triệu đồng" gives a price
    without a word for one ("giá", "phí", "cost"): the question was refused as having no
    passage that gives a cost."""
    reply = trades.ask("mua bo dung cu lam toc co ban het bao nhieu")
    assert not reply.abstained and "4-7 triệu" in reply.answer, reply.answer


def test_a_numbered_line_of_plain_text_heads_its_section(trades: Assistant) -> None:
    """The hairdresser article (plain text) heads its sections "1. Thợ làm tóc làm gì?": the
    line was read as a list item, so its list of duties did not know what it was about and
    the question was answered with the definition alone."""
    hits = trades.search("tho lam toc lm nhung viec gi")
    assert hits[0].text.startswith(f"{BULLET} Tư vấn kiểu tóc"), hits[0].text
    reply = trades.ask("tho lam toc lm nhung viec gi")
    assert "Tư vấn kiểu tóc phù hợp" in reply.answer, reply.answer


def test_an_english_question_finds_more_than_where_a_vietnamese_article_names_it(
    trades: Assistant,
) -> None:
    """The insurance article writes "insurance agent" once, in its first sentence, which was
    the passage ranked first for every English question that named the agent; what the
    question asks of the agent ranks the exam's passage first."""
    hits = trades.search("how many questions are on the insurance agent exam")
    assert "Bài thi: 50 câu trắc nghiệm" in hits[0].text, hits[0].text


def test_an_english_name_listed_after_a_vietnamese_name_is_that_name(trades: Assistant) -> None:
    """ "Tư vấn viên bảo hiểm nhân thọ (đại lý bảo hiểm, insurance agent, financial advisor)
    là ...": the insurance agent is the article's subject, not a name said in passing, and a
    refusal names each role once however it is written."""
    reply = trades.ask("insurance agent commision first year %")
    assert not reply.abstained and "15-40%" in reply.answer, reply.answer
    refused = trades.ask("how much do social media managers make in Canada")
    assert refused.abstained and "Canada" in refused.answer, refused.answer
    assert "Media Manager, media manager" not in refused.answer, refused.answer


def test_an_uncommon_name_asked_about_is_answered_from_the_article_that_says_it(
    careers: Assistant,
) -> None:
    """ "tu journeyman len master mat bao lau" (Vietnamese, with the English article's own
    words) quoted the Vietnamese articles' durations first, then refused them as saying
    nothing about a journeyman: an article that never says an uncommon name the question
    asks about is not quoted while another does."""
    reply = careers.ask("tu journeyman len master mat bao lau")
    assert not reply.abstained and "2 years" in reply.answer, reply.answer
    assert {s.path.rsplit("/", 1)[-1] for s in reply.sources} == {"electrician-apprenticeship.md"}


def test_the_times_of_a_working_day_are_answered_from_a_timetable(careers: Assistant) -> None:
    """The preschool article gives its day as times ("từ 6h45 sáng đến khoảng 17h") and never
    says "giờ làm việc": the question was refused as about working hours no passage names."""
    reply = careers.ask("gvmn lam tu may gio den may gio")
    assert "6h45" in reply.answer and "17h" in reply.answer, reply.answer
    assert careers.ask("AE lam tu may gio den may gio").abstained  # the seed gives no times


def test_a_vietnamese_role_the_corpus_never_names_is_refused(careers: Assistant) -> None:
    """A Vietnamese name puts its head first: "giáo viên tiểu học" is a kind of "giáo viên"
    that the corpus (which writes "giáo viên mầm non") never names, so the preschool
    teachers' pay and day are no answer. Kinds it names are answered, also when a gloss in
    brackets parts the name ("Trợ giảng (teaching assistant) trường quốc tế")."""
    for question, named in [
        ("giao vien tieu hoc luong bao nhieu", "giao vien tieu hoc"),
        ("nhan vien mat dat lam nhung gi", "nhan vien mat dat"),
        ("hieu truong truong mam non lam nhung viec gi", "hieu truong truong mam non"),
    ]:
        reply = careers.ask(question)
        assert reply.abstained and named in reply.answer, (question, reply.answer)
    for question, fact in [
        ("luong tro giang truong quoc te bn", "6-9"),
        ("tiep vien truong luong bao nhieu", "35-50"),
        ("giao vien mam non truong tu luong bn", "7-12"),
        ("can may nam kinh nghiem moi len duoc tiep vien truong", "5-7"),
        ("ty le dau khi tuyen tiep vien la bao nhieu", "5%"),  # no name: "đậu khi tuyển"
    ]:
        reply = careers.ask(question)
        assert fact in reply.answer, (question, reply.answer)


def test_a_follow_up_in_a_word_the_corpus_writes_with_an_ending_is_answered(
    careers: Assistant,
) -> None:
    """ "how often do i have to renew it" holds one word of its own, "renew", which the
    corpus writes only as "renewed": it was refused as holding no word of the corpus."""
    reply = careers.ask("how often do i have to renew it", ["how do I get an electrician license"])
    assert not reply.abstained and "1-3 years" in reply.answer, reply.answer


def test_the_score_to_pass_an_exam_is_answered_only_where_it_is_given(
    careers: Assistant,
) -> None:
    """A passing score or a pass rate is a fact of its own: the exam's fee, length or number
    of questions is no answer to it."""
    for question in [
        "ky thi tuyen tiep vien can bao nhieu diem moi dau",
        "what's the pass rate of the master electrician exam",
    ]:
        reply = careers.ask(question)
        assert reply.abstained, (question, reply.answer)
    reply = careers.ask("diem chuan nganh giao duc mam non bao nhieu")
    assert "19 đến 25 điểm" in reply.answer, reply.answer
    # The sentence that gives the score is quoted, not only those about the exam.
    reply = careers.ask("journeyman exam passing score?")
    assert "score of 70%" in reply.answer, reply.answer


def test_a_refusal_offers_the_subject_an_article_glosses(trades: Assistant) -> None:
    """An article whose subject has no abbreviation ("Tư vấn viên bảo hiểm nhân thọ (đại lý
    bảo hiểm, insurance agent)") was never offered: a refusal named only abbreviated terms,
    the seed's account roles first, to someone asking about insurance agents."""
    reply = trades.ask("tu van vien bao hiem o My kiem dc bn")
    assert reply.abstained, reply.answer
    offered = reply.answer[reply.answer.index("ví dụ") :]
    assert offered.index("Tư vấn viên bảo hiểm nhân thọ (") < offered.index("(AE)"), reply.answer


def test_a_vietnamese_question_about_a_company_the_corpus_never_names_is_refused(
    trades: Assistant,
) -> None:
    """ "prudential hay manulife tra hoa hong cao hon" names two insurers the corpus never
    writes: it was answered with the commission rates of the article, as if they were
    theirs."""
    reply = trades.ask("prudential hay manulife tra hoa hong cao hon")
    assert reply.abstained, reply.answer
    assert "prudential" in reply.answer or "manulife" in reply.answer, reply.answer
    # A Vietnamese question about what the corpus does name is still answered.
    answered = trades.ask("tu van vien bao hiem nhan hoa hong bao nhieu phan tram")
    assert not answered.abstained, answered.answer


def test_a_question_naming_an_abbreviation_the_corpus_never_writes_is_refused(
    trades: Assistant,
) -> None:
    """ "how much does a SaaS social media manager make" was answered with the article's pay
    table, which is about no SaaS company: an abbreviation the question names and no passage
    writes is something the sources do not cover."""
    reply = trades.ask("how much does a SaaS social media manager make")
    assert reply.abstained, reply.answer
    assert "SaaS" in reply.answer, reply.answer
    answered = trades.ask("how much does a social media manager make")
    assert not answered.abstained, answered.answer


def test_what_a_rate_is_counted_in_is_not_what_it_is_asked_of(trades: Assistant) -> None:
    """ "thợ tóc nhận bao nhiêu phần trăm mỗi lượt nhuộm" was refused as asking about a
    "lượt" (a turn), which the commission list does not name: "mỗi lượt" is what the rate is
    counted in."""
    reply = trades.ask("thợ tóc nhận bao nhiêu phần trăm mỗi lượt nhuộm")
    assert not reply.abstained, reply.answer
    assert "10-15%" in reply.answer, reply.answer
