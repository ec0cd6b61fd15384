"""What a question asks for, for any career, in English and Vietnamese."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from assistant.question import (
    COST,
    DURATION,
    MONEY,
    PERCENT,
    answer_kind,
    asks_amount,
    asks_count,
    asks_definition,
    asks_for_a_list,
    asks_way_in,
    fact_kinds,
    focus_names,
    focus_words,
    gives_number,
    held_terms,
    mentions_place,
    places,
    says,
    split_parts,
    time_units,
    with_subject,
)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How long does it take to go from junior to senior designer?", DURATION),
        ("bao lau thi len senior", DURATION),
        ("mất mấy năm để lên trưởng phòng?", DURATION),
        ("How much does a data analyst earn?", MONEY),
        ("luong media planner bao nhieu 1 thang", MONEY),
        ("Lương khởi điểm của copywriter là bao nhiêu?", MONEY),
        ("as a buyers agent on a 400k house how much do i actually take home", MONEY),
        ("What does a copywriter do?", None),
        ("lam sao nang cao chat luong cong viec", None),  # "chất lượng" is not "lương"
        ("How does an AD earn the client's trust?", None),
        ("How much does the PMP exam cost?", COST),
        ("What is a retainer fee?", None),  # a definition, not an amount
        ("Who negotiates the price of advertising space?", None),
        ("thi ACCA het bao nhieu tien", COST),
        ("How much is the fee for the ISTQB exam?", COST),
        ("What is the monthly fee a client pays its agency called?", None),
        ("le phi thi CPA bn vay", COST),
        # "phí" alone is a fee where it is what is asked; "phi công" is a pilot.
        ("dang tin tuyen dung tren TopCV mat phi bao nhieu", COST),
        ("thi CMP phi la bao nhieu", COST),
        ("phi cong luong bao nhieu", MONEY),
        ("tester muon tang luong thi nen hoc them gi", None),  # advice about pay
        ("How do I negotiate my salary as a new AE?", None),
        ("does a PMP raise your salary? by how much", MONEY),
        ("hoa hong moi gioi nha o My bn %", PERCENT),
        ("lam gdv moi nam dc tang luong bao nhieu phan tram", PERCENT),  # not the amount
        ("What percentage of account executives quit within a year?", PERCENT),
        ("what's the pass rate of the licensing exam", PERCENT),
        ("how big is the pay bump after a promotion?", MONEY),
        # Chat shorthand: "bn" (bao nhiêu), "dc" (được), "yrs"; "Đà Nẵng, lương bao nhiêu".
        ("lam ke toan o da nang luong bn", MONEY),
        ("lam seo freelance thi 1 thang kiem dc bn", MONEY),
        ("how many yrs of experience before a designer becomes an AD?", DURATION),
        ("lam sao nang cao chat luong cong viec", None),
        # Which of two takes longer, pays more or costs more asks that of each.
        ("tiep vien hay giao vien mam non, nghe nao phai hoc lau hon", DURATION),
        ("ky su xay dung hay tho o to, cai nao hoc nhanh hon", DURATION),
        ("so sanh thoi gian hoc nghe tho dien va giao vien mam non", DURATION),
        ("which one takes longer to qualify, nurse or pharmacist?", DURATION),
        ("AE muon len chuc nhanh hon thi lam gi", None),  # how to, not how long
        ("which pays more for a fresh grad, civil engineer or car mechanic?", MONEY),
        ("kien truc su hay tai xe grab, nghe nao kiem nhieu hon", MONEY),
        ("which makes more money, nurse or pilot", MONEY),
        ("how to make more money as an agent", None),  # advice, not an amount
        ("lam sao kiem nhieu hon", None),
        ("so voi chung chi meta thi cai nao re hon", COST),
        ("How much more expensive is a private university than a public one?", COST),
    ],
)
def test_the_kind_of_fact_asked(question: str, kind: str | None) -> None:
    assert answer_kind(question) == kind


def test_sentences_holding_a_duration_or_an_amount() -> None:
    assert fact_kinds("Most designers become an AD after 7 to 10 years.") == {DURATION}
    assert fact_kinds("Moving from AM to AD takes about 5-6 more years.") == {DURATION}
    assert fact_kinds("Lương khởi điểm 8-12 triệu/tháng.") == {MONEY}
    assert fact_kinds("Level: Junior; Salary (USD per year): $38,000-$47,000.") >= {MONEY}
    assert fact_kinds("An AE serves the client.") == set()
    assert fact_kinds("Commission is typically 2-3% of the sale price.") == {PERCENT}
    assert fact_kinds("Thu nhập có thể tăng 30-50%.") == {MONEY, PERCENT}
    assert time_units("AE 1 tuần làm mấy tiếng?") == {"short"}
    assert time_units("takes 2-3 years") == {"long"}


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("AE làm gì và bao lâu thì lên AM?", ["AE làm gì", "bao lâu thì lên AM?"]),
        (
            "What does a planner do? How long until senior?",
            ["What does a planner do", "How long until senior?"],
        ),
        (
            "what does an AE do day to day, and what should I study?",
            ["what does an AE do day to day", "what should I study?"],
        ),
        (
            "is the teller salary gross or net? any bonus?",
            ["is the teller salary gross or net", "any bonus?"],
        ),
        (  # what it is asked of first, then the questions
            "real estate assistant - what do they do and what's the pay?",
            ["real estate assistant - what do they do", "what's the pay?"],
        ),
        (
            "bank teller: what do they do, and how much do they earn?",
            ["bank teller: what do they do", "how much do they earn?"],
        ),
        (  # chat's "n" and "&" join questions too; "whats" is typed without its apostrophe
            "how many questions on the exam n whats the passing score",
            ["how many questions on the exam", "whats the passing score"],
        ),
        (
            "what does an AE do & how much do they earn",
            ["what does an AE do", "how much do they earn"],
        ),
        ("is rock n roll a good career", ["is rock n roll a good career"]),
        ("AE và AM khác nhau thế nào?", ["AE và AM khác nhau thế nào?"]),  # a comparison
        ("junior vs senior designer: what changes?", ["junior vs senior designer: what changes?"]),
        ("Tôi 24 tuổi, AE là gì?", ["Tôi 24 tuổi, AE là gì?"]),  # one question
    ],
)
def test_joined_questions_are_split_and_single_ones_are_not(
    question: str, parts: list[str]
) -> None:
    assert split_parts(question) == parts


def test_a_part_that_names_nothing_takes_the_subject_of_the_first() -> None:
    assert with_subject(["seo manager luong bao nhieu", "lam nhung gi"]) == [
        "seo manager luong bao nhieu",
        "seo manager lam nhung gi",
    ]
    # Two common words name nothing of their own when the corpus says so ("stay late?" asks
    # about the teller of the first part).
    assert (
        with_subject(["gdv may h dc ve", "co phai o lai muon ko"], lambda part: False)[1]
        == "gdv co phai o lai muon ko"
    )
    assert (
        with_subject(["gdv may h dc ve", "co phai o lai muon ko"], lambda part: True)[1]
        == "co phai o lai muon ko"
    )
    # A hyphenated name is carried whole, not as "import export".
    assert (
        with_subject(["How much does an import-export manager earn?", "what do they do?"])[1]
        == "import-export manager what do they do?"
    )


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("How much does a Solutions Engineer make?", ["solutions", "engineer"]),
        ("how much does the ISTQB exam cost", ["istqb", "exam"]),
        ("hoc FIATA het bao nhieu tien", ["hoc", "fiata"]),
        ("How much does a UX designer earn per year?", ["ux", "designer"]),
        ("how long before I can become a broker", ["broker"]),  # a verb is no subject
    ],
)
def test_the_focus_of_a_question_keeps_the_words_inside_its_cue(
    question: str, focus: list[str]
) -> None:
    assert focus_words(question) == focus


def test_a_stop_word_typed_without_marks_is_a_word_where_the_corpus_spells_it_as_one() -> None:
    # The corpus's marked spellings of folded word pairs (the lexical index's accent table).
    spelled = {"cao dang": "cao đẳng", "ky su": "kỹ sư", "dang hoc": "đang học", "o to": "ô tô"}
    question = "hoc cao dang o to mat may nam"
    assert focus_words(question) == ["hoc", "cao"]
    assert focus_words(question, spelled) == ["hoc", "cao", "dang"]
    assert focus_words("ky su xay dung lam gi", spelled) == ["ky", "su", "xay", "dung"]
    # "đang" (is doing) stays a function word, and two stop words do not vouch for each other.
    assert focus_words("toi dang hoc marketing", spelled) == ["hoc", "marketing"]
    assert "to" not in focus_words("how to become an engineer", spelled)


@pytest.mark.parametrize(
    ("question", "language", "terms"),
    [
        # Vietnamese syllables in a row are one word, a syllable between two of them too.
        ("trinh duoc vien luong bao nhieu", "vi", {("trinh", "duoc", "vien")}),
        ("luong phi cong bn", "vi", {("phi", "cong")}),
        ("lương kế toán tổng hợp bao nhiêu", "vi", {("ke", "toan", "tong", "hop")}),
        # A syllable alone, and a word that is no Vietnamese syllable, stand alone.
        ("AE luong bao nhieu", "vi", {("ae",)}),
        ("luong seo specialist bn", "vi", {("seo",), ("specialist",)}),
        # A number does not join two syllables.
        (
            "1 dieu duong 1 ca cham bn benh nhan",
            "vi",
            {("dieu", "duong"), ("ca", "cham"), ("benh", "nhan")},
        ),
        # An English name is also said by its last word.
        ("How much does a UX designer earn per year?", "en", {("ux", "designer"), ("designer",)}),
        ("what does a travel agent earn", "en", {("travel", "agent"), ("agent",)}),
        ("how much does the ISTQB exam cost", "en", {("istqb", "exam"), ("exam",)}),
    ],
)
def test_what_a_question_asks_about_is_its_words_as_names(
    question: str, language: str, terms: set[tuple[str, ...]]
) -> None:
    assert set().union(*focus_names(question, language)) == terms


@pytest.mark.parametrize(
    ("term", "text", "said"),
    [
        (("trinh", "duoc", "vien"), "Trình dược viên giới thiệu thuốc cho bác sĩ.", True),
        (("trinh", "duoc", "vien"), "Dược sĩ bán hàng tại nhà thuốc: 7-10 triệu.", False),
        (("pho", "giam", "doc"), "Bếp phó: 15-25 triệu đồng/tháng.", False),
        (("ke", "toan", "tong", "hop"), "Kế toán viên tổng hợp: 12-15 triệu.", True),
        (("travel", "agent"), "Travel PTs often earn 20-30% more.", False),
        (("agent",), "Travel PTs often earn 20-30% more.", False),
        (("dental", "hygienist", "training"), "Dental hygienist career guide", True),
        (("writers",), "A UX Writer earns $90,000.", True),  # a plural says its singular
        (("designer",), "Senior designers earn $90,000.", True),
    ],
)
def test_an_answer_says_a_word_of_several_syllables_only_as_a_word(
    term: tuple[str, ...], text: str, said: bool
) -> None:
    assert says(term, held_terms(text)) is said


def test_definition_questions() -> None:
    assert asks_definition("CRM viet tat cua j")
    assert asks_definition("What is a KAE?")
    assert not asks_definition("How long until AM?")


def test_a_comparison_is_asked_of_each_side() -> None:
    from assistant.question import sides

    assert sides("AE khác AM chỗ nào?", [(0, 2), (8, 10)]) == [
        "AE khác chỗ nào?",
        "khác AM chỗ nào?",
    ]
    assert sides("What does an AE do?", [(13, 15)]) == ["What does an AE do?"]


@pytest.mark.parametrize(
    ("question", "alternatives_"),
    [
        (
            "which one needs a license, insurance agent or hair stylist",
            ["insurance agent", "hair stylist"],
        ),
        (
            "ky su xay dung vs dental hygienist, ai di lam som hon",
            ["ky su xay dung", "dental hygienist"],
        ),
        ("so sánh lương tiếp viên và giáo viên mầm non", ["lương tiếp viên", "giáo viên mầm non"]),
        (
            "do flight attendants and preschool teachers need first aid",
            ["do flight attendants", "preschool teachers need first aid"],
        ),
        # Three things, or an alternative that names nothing, are no two alternatives.
        ("AE, AM or AD or CSD?", []),
        ("is it true or not?", []),
    ],
)
def test_the_two_things_a_question_sets_as_alternatives(
    question: str, alternatives_: list[str]
) -> None:
    from assistant.question import alternatives

    assert [question[a:b] for a, b in alternatives(question)] == alternatives_


def test_each_alternative_is_asked_alone_with_what_the_other_asks_for() -> None:
    from assistant.question import alternatives, asked_of_each

    text = "thu nhap truong nhom bao hiem voi tho chinh lam toc ai cao hon"
    assert asked_of_each(text, alternatives(text)) == [
        "thu nhap truong nhom bao hiem",
        "thu nhap tho chinh lam toc ai cao hon",
    ]
    text = "which one needs a license, insurance agent or hair stylist?"
    assert asked_of_each(text, alternatives(text)) == [
        "which one needs a license, insurance agent?",
        "which one needs a license, hair stylist?",
    ]


def test_alternatives_are_narrowed_to_what_their_documents_name() -> None:
    from assistant.question import alternatives, asked_of_each, named_spans

    # Each article is in Vietnamese: it writes the English name of its subject, and no "first
    # aid skills", which both are asked.
    flight = {"do", "flight", "attendant", "tiep", "vien", "so", "cuu"}
    preschool = {"preschool", "teacher", "giao", "vien", "do", "so", "cuu"}

    def own(held: set[str]) -> Callable[[str], bool]:
        return lambda word: word.lower().removesuffix("s") in held

    text = "do flight attendants and preschool teachers need first aid skills"
    names = named_spans(text, alternatives(text), [own(flight), own(preschool)])
    assert [text[a:b] for a, b in names] == ["flight attendants", "preschool teachers"]
    assert asked_of_each(text, names) == [
        "do flight attendants need first aid skills",
        "do preschool teachers need first aid skills",
    ]
    # One word the document lacks ("hơn") is no phrase the two share; a span whose document
    # holds none of its words stays whole.
    text = "thu nhap tiep vien voi giao vien ai cao hon"
    spans = alternatives(text)
    names = named_spans(text, spans, [own(flight), own(preschool | {"ai", "cao"})])
    assert [text[a:b] for a, b in names] == ["tiep vien", "giao vien ai cao hon"]
    assert asked_of_each(text, names) == ["thu nhap tiep vien", "thu nhap giao vien ai cao hon"]
    assert named_spans(text, spans, [own(set()), own(set())]) == spans


def test_a_thing_asked_about_is_headed_as_its_document_writes_it() -> None:
    from assistant.question import written_as

    document = (
        "Kỹ thuật viên ô tô (automotive technician) là người sửa xe. Trưởng nhóm (unit "
        "manager) quản lý 5-10 tư vấn viên bảo hiểm. Tiếp viên hàng không (flight attendant)."
    )
    assert written_as("ky thuat vien o to", document) == "Kỹ thuật viên ô tô"
    # The words that ask for a kind of fact are no name; the longest run written together.
    assert written_as("thu nhap truong nhom bao hiem", document) == "Trưởng nhóm"
    assert written_as("flight attendants", document) == "Flight attendant"
    assert written_as("hairdresser per haircut", document) == "Hairdresser per haircut"


def test_terms_to_define_are_asked_one_by_one() -> None:
    from assistant.question import sides

    assert sides("what do GAD and KAM stand for?", [(8, 11), (16, 19)]) == [
        "what do GAD and stand for?",
        "what do and KAM stand for?",
    ]
    # Not a definition nor a comparison: one question.
    text = "How long from AE to AM?"
    assert sides(text, [(14, 16), (20, 22)]) == [text]


def test_a_cost_is_an_amount_with_the_word_for_a_cost() -> None:
    assert COST in fact_kinds("The exam fee is $250, paid when you register.")
    assert COST in fact_kinds("Lệ phí thi là 1,5 triệu đồng mỗi môn.")
    assert COST in fact_kinds("Một hội nghị 300 khách tốn khoảng 300-600 triệu đồng.")
    # An amount that is no pay, revenue or budget is a price, named so or not.
    assert COST in fact_kinds("Tổng cộng một bộ dụng cụ cơ bản khoảng 4-7 triệu đồng.")
    assert COST not in fact_kinds("Giáo viên mầm non tư thục: 7-12 triệu đồng/tháng.")
    assert COST not in fact_kinds("A CSM manages accounts worth $1.5-3 million in revenue.")
    assert COST not in fact_kinds("Thợ chính được thưởng 2-5 triệu đồng dịp Tết.")
    assert COST not in fact_kinds("A QA engineer earns $70,000-$90,000 a year.")
    assert MONEY in fact_kinds("A QA engineer earns $70,000-$90,000 a year.")


def test_money_a_thing_is_worth_is_no_pay() -> None:
    # What accounts are worth, sales or a budget answer no "how much does a CSM make".
    assert MONEY not in fact_kinds("A CSM manages accounts worth $1.5-3 million in revenue.")
    assert MONEY not in fact_kinds("Doanh thu của salon khoảng 2 tỷ đồng mỗi năm.")
    assert MONEY in fact_kinds("Sales reps earn a commission of $2,000 a month on sales.")
    assert MONEY in fact_kinds("Lương 8-12 triệu đồng/tháng, thưởng theo doanh số.")


@pytest.mark.parametrize(
    ("question", "where"),
    [
        ("How much does an SEO specialist earn per month in Vietnam?", ["Vietnam"]),
        ("lam ke toan o da nang luong bn", ["da nang"]),
        ("Lương kế toán ở Hà Nội bao nhiêu?", ["Hà Nội"]),
        ("salary of a QA lead in Ho Chi Minh City?", ["Ho Chi Minh City"]),
        ("luong ke toan tai TP.HCM", ["TP HCM"]),
        ("What does an AE do in an agency?", []),  # "in" before a common word names no place
        ("how many years in total from AE to AD?", []),
        ("luong seo bao nhieu 1 thang", []),
        ("moi gioi bat dong san o My kiem dc bn 1 nam", ["My"]),  # a cue in chat shorthand
        # "ở" that names no place: staying late, "in what way", asking which places.
        ("gdv may h dc ve, co phai o lai muon ko", []),
        ("account manager khac account director o diem nao", []),
        ("ke toan co the lam viec o nhung dau", []),
        ("Vị trí này thường có ở những loại công ty nào?", []),
        ("AM o agency thuong lam tu may h den may h", ["agency"]),
        # "sang" (over to) before a capitalised name: a country someone goes to work in.
        ("dau bep sang Uc lam luong dc bn", ["Uc"]),
        ("sang nam luong tang bn", []),
        ("how much do preschool teachers make in the US", ["US"]),  # "the" before the name
        ("what do AEs do in the morning?", []),
        # A country, state or province typed in lower case, where a clause ends.
        ("how much do social media managers make in canada", ["canada"]),
        ("salary in vietnam, and in texas?", ["vietnam", "texas"]),
        ("what does a game developer in georgia earn", []),  # the clause goes on
        ("what's it like to work in marketing?", []),
    ],
)
def test_the_places_a_question_asks_about(question: str, where: list[str]) -> None:
    assert places(question) == where


def test_a_place_is_named_however_it_is_spaced_or_accented() -> None:
    assert mentions_place("Mức lương tại các công ty ở Việt Nam", "Vietnam")
    assert mentions_place("văn phòng ở TP. HCM", "tp hcm")
    assert not mentions_place("Vietnamese companies", "Vietnam")
    assert not mentions_place("Lương ở Hà Nội", "da nang")
    # Initials asked, the name written out: "US" is named by "the United States".
    assert mentions_place("base salaries in the United States", "US")
    assert mentions_place("Ho Chi Minh City pays more", "HCMC")
    assert not mentions_place("base salaries in the United States", "UK")


def test_a_place_asked_with_a_capital_is_a_name_written_with_one() -> None:
    # "Nhat" typed without its marks is Nhật (Japan), not the "nhật" of "cập nhật" (update).
    assert not mentions_place("phải cập nhật kiến thức mỗi năm", "Nhat")
    assert mentions_place("nhiều điều dưỡng sang Nhật làm việc", "Nhat")
    assert mentions_place("phải cập nhật kiến thức mỗi năm", "nhat")  # asked in lower case


@pytest.mark.parametrize(
    ("question", "duties"),
    [
        ("What does a Renewals Manager do?", True),
        ("thu quy lam nhung viec gi", True),
        ("nhiệm vụ của giao dịch viên", True),
        ("what are the responsibilities of a broker?", True),
        ("how do I become a broker?", False),
        ("what does CRM stand for?", False),
    ],
)
def test_a_question_about_what_a_role_does(question: str, duties: bool) -> None:
    from assistant.question import asks_duties

    assert asks_duties(question) is duties


def test_a_vietnamese_article_is_about_vietnam_unless_it_names_another_place() -> None:
    from assistant.question import mentions_place

    salaries = "Lương giao dịch viên tại Hà Nội và TP.HCM: 8-12 triệu đồng."
    assert mentions_place(salaries, "Vietnam", "vi")
    assert mentions_place(salaries, "TP HCM", "vi")
    assert not mentions_place(salaries, "Singapore", "vi")
    assert not mentions_place("Salaries in New York.", "Vietnam", "en")


def test_the_words_that_ask_what_a_role_does() -> None:
    from assistant.question import duties_asked

    assert duties_asked("What does an AE do? Please explain.") == "What does an AE do"
    assert duties_asked("Hi. media planner lam nhung viec gi") == " media planner lam nhung viec gi"
    assert duties_asked("How long until AM?") == ""
    # A clause of everyday words before it asks nothing of a role; a role's name is kept.
    assert duties_asked("Honestly, what does an AE do?") == " what does an AE do"
    assert duties_asked("Quick question, what does an AM do") == " what does an AM do"
    assert duties_asked("Em chào anh chị, AE làm gì ạ") == " AE làm gì"
    assert duties_asked("media planner, lam nhung viec gi") == "media planner, lam nhung viec gi"
    assert duties_asked("copywriter, what do they do") == "copywriter, what do they do"


@pytest.mark.parametrize(
    ("question", "listed"),
    [
        ("what licenses do i need to become a pilot", True),
        ("which certs are for scrum?", True),
        ("what langs do they code in", True),
        ("what tools do CSMs use", True),
        ("cần những chứng chỉ gì để làm dược sĩ", True),
        ("lam nhung viec gj", True),
        ("các bước nào để lên senior", True),
        ("what makes a client a key account?", False),
        ("which pays more, AE or AM?", False),
        ("what does a nurse do", False),
        ("what do clients want most?", False),
    ],
)
def test_a_question_for_several_things(question: str, listed: bool) -> None:
    assert asks_for_a_list(question) is listed


@pytest.mark.parametrize(
    ("question", "way_in"),
    [
        ("How do I become a QA tester?", True),
        ("how does someone become a software project manager", True),
        ("how to break into QA with zero experience", True),
        ("how do i get into customer success with no experience", True),
        ("lam sao de tro thanh seo specialist", True),
        ("làm sao để làm kế toán", True),
        ("muon lam account executive thi can bang dai hoc nganh gi", True),
        ("what does a paralegal do", False),
        ("how long does it take to become an AM", False),
        ("lam sao de AE thang tien nhanh", False),
    ],
)
def test_a_question_for_the_way_into_a_job(question: str, way_in: bool) -> None:
    assert asks_way_in(question) is way_in


@pytest.mark.parametrize(
    ("question", "amount"),
    [
        ("what's the pass rate of the licensing exam", True),
        ("what does a travel agent earn", True),
        ("luong phu bep bn", True),
        ("mat may nam de len bep truong", True),
        ("does getting a PMP raise your salary? by how much", True),  # yes/no, then an amount
        # Yes/no and either/or questions are answered by a sentence without a figure.
        ("do SDETs get paid as much as developers?", False),
        ("is the pay good?", False),
        ("muc luong do la gross hay net vay", False),
        ("AE co luong cao ko", False),
    ],
)
def test_a_question_for_the_figure_itself(question: str, amount: bool) -> None:
    assert asks_amount(question) is amount


@pytest.mark.parametrize(
    ("question", "count"),
    [
        ("how many accounts does a CSM usually handle", True),
        ("vay 1 AD thuong quan ly team bao nhieu nguoi?", True),
        ("bep co may cap bac", True),
        ("how many years to become an AM?", False),  # a duration
        ("luong bao nhieu", False),  # pay
        ("ae moi vao nghe thi co dc tu quyet may du an nho ko", False),  # "a few", yes/no
    ],
)
def test_a_question_for_how_many(question: str, count: bool) -> None:
    assert asks_count(question) is count


def test_a_number_in_figures_or_in_words() -> None:
    assert gives_number("A CSM handles 30-60 accounts.")
    assert gives_number("Mọi người làm account đều làm ba đầu việc giống nhau.")
    assert gives_number("three skills tests")
    assert not gives_number("The AD manages the account department.")


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("lam may tieng 1 ngay", {"short"}),
        ("làm 8 tiếng mỗi ngày", {"short"}),
        ("mất 5–6 năm", {"long"}),
        ("mat bao nhieu nam", {"long"}),
        ("how many hours a week", {"short"}),
        # The same syllables that count no time: English (the language), Việt Nam, thăng tiến.
        ("sau 2-3 năm dẫn nhóm, nếu giỏi tiếng Anh", {"long"}),
        ("lương ở Việt Nam", set()),
        ("thăng tiến lên AM", set()),
    ],
)
def test_a_vietnamese_unit_of_time_is_one_that_is_counted(text: str, units: set[str]) -> None:
    assert time_units(text) == units
