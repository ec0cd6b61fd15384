"""Abbreviations and titles are learned from the corpus, for any career."""

from __future__ import annotations

from assistant.terms import (
    definitions,
    glosses,
    is_initials,
    learn_glosses,
    learn_initials,
    learn_subjects,
    learn_terms,
    merge_groups,
    with_terms,
)
from assistant.text import Aliases


def test_definitions_in_both_directions_and_only_when_the_initials_agree() -> None:
    text = (
        "An Assistant Brand Manager (ABM) supports the brand manager. Files go out at "
        "300 DPI (dots per inch). The KPI (Key Performance Indicator – chỉ số đo lường) "
        "matters. Salaries (USD per year) vary. Bán cho doanh nghiệp B2B (Sales Executive)."
    )
    assert set(definitions(text)) == {
        ("ABM", "Assistant Brand Manager"),
        ("DPI", "dots per inch"),
        ("KPI", "Key Performance Indicator"),
    }


def test_a_role_written_in_lower_case_is_defined_by_its_abbreviation() -> None:
    # English writes roles in lower case; one lower-case word is too likely a chance match.
    text = (
        "A physical therapist (PT) helps patients move again. Ask human resources (HR) "
        "first. Every guest gets a check-in (CI) card."
    )
    assert set(definitions(text)) == {("PT", "physical therapist"), ("HR", "human resources")}


def test_an_abbreviation_with_a_slash_and_one_defined_after_a_comma() -> None:
    text = (
        "Giấy tờ quan trọng nhất là vận đơn (B/L, Bill of Lading). Thanh toán bằng thư tín "
        "dụng (L/C; Letter of Credit). Tests run in the CI/CD (Continuous Integration / "
        "Continuous Delivery) pipeline. A note (NB, see below) is not a definition."
    )
    assert set(definitions(text)) == {
        ("B/L", "Bill of Lading"),
        ("L/C", "Letter of Credit"),
        ("CI/CD", "Continuous Integration Continuous Delivery"),
    }


def test_an_abbreviation_of_the_words_before_with_a_gloss_after_it() -> None:
    # "Long form (ABBR, gloss)": the abbreviation is of the words before the bracket, and
    # what follows it is the term in the other language.
    text = (
        "**Giao dịch viên (GDV, teller)** là nhân viên ngồi tại quầy. Thanh toán bằng thư tín "
        "dụng (L/C, Letter of Credit)."
    )
    assert set(definitions(text)) == {("GDV", "Giao dịch viên"), ("L/C", "Letter of Credit")}
    assert glosses(text) == [
        ("Giao dịch viên", "teller"),
        ("thư tín dụng", "Letter of Credit"),
    ]


def test_a_vietnamese_name_abbreviated_in_its_first_words() -> None:
    # "HDV" spells "Hướng dẫn viên", not the "du lịch" after it: the abbreviation, and the
    # English gloss beside it, name the abbreviated words.
    text = (
        "Hướng dẫn viên du lịch (HDV, tour guide) dẫn đoàn khách. Giao dịch viên ngân hàng "
        "(GDV) ngồi tại quầy. Search Engine Optimization tools (SEO) are many."
    )
    assert set(definitions(text)) == {("HDV", "Hướng dẫn viên"), ("GDV", "Giao dịch viên")}
    assert glosses(text) == [("Hướng dẫn viên", "tour guide")]


def test_terms_glossed_in_the_other_language() -> None:
    text = (
        "• Trưởng phòng xuất nhập khẩu (Import-Export Manager): quản lý cả phòng. Làm việc với "
        "đội lập trình (developer) và hãng tàu (shipping line). Công ty kiểm toán Big4 "
        "(Deloitte, PwC, EY, KPMG). Mức lương (USD per year). Media Planner (chuyên viên "
        "hoạch định truyền thông) lập kế hoạch."
    )
    assert glosses(text) == [
        ("Trưởng phòng xuất nhập khẩu", "Import-Export Manager"),
        ("lập trình", "developer"),
        ("hãng tàu", "shipping line"),
        ("chuyên viên hoạch định truyền thông", "Media Planner"),
    ]
    learned = learn_glosses([text, "Làm việc với hãng tàu (shipping line)."])
    assert learned.count(["hãng tàu", "shipping line"]) == 1


def test_a_gloss_may_give_two_english_names() -> None:
    text = "• Bếp trưởng (Head Chef / Executive Chef): xây dựng thực đơn. Quy trình (CI/CD)."
    assert glosses(text) == [("Bếp trưởng", "Head Chef"), ("Bếp trưởng", "Executive Chef")]


def test_the_english_names_listed_after_a_name_that_opens_a_sentence_are_its_glosses() -> None:
    # The list names the whole phrase before it, however long: not "tuyển dụng" alone, and
    # the Vietnamese names in the list ("thợ sửa ô tô") are no English ones.
    text = (
        "Chuyên viên tuyển dụng (recruiter, talent acquisition specialist) là người tìm kiếm "
        "ứng viên.\nKỹ thuật viên ô tô (KTV ô tô, thợ sửa ô tô, automotive technician) là "
        "người sửa xe. Tư vấn viên bảo hiểm nhân thọ (đại lý bảo hiểm, insurance agent) là "
        "người bán bảo hiểm."
    )
    assert glosses(text) == [
        ("Chuyên viên tuyển dụng", "recruiter"),
        ("Chuyên viên tuyển dụng", "talent acquisition specialist"),
        ("Kỹ thuật viên ô tô", "automotive technician"),
        ("Tư vấn viên bảo hiểm nhân thọ", "insurance agent"),
    ]
    # A list that opens no sentence, or says nothing of what the name is, is not one.
    assert glosses("Các công ty lớn như Big4 (Deloitte, PwC, EY) là nơi trả lương cao.") == []


def test_what_an_article_is_about_is_the_glossed_name_a_sentence_opens_with() -> None:
    # Its jargon glossed in passing ("hãng tàu (shipping line)") is not what it is about.
    texts = [
        "Thợ làm tóc (hair stylist, thợ tóc) là người cắt tóc. Thợ làm tóc làm việc ở "
        "hãng tàu (shipping line) và salon.",
        "Thợ Làm Tóc (Hair Stylist) là nghề khéo tay.",
    ]
    assert learn_subjects(texts) == [["Thợ làm tóc", "hair stylist"]]
    assert ["hãng tàu", "shipping line"] in learn_glosses(texts)


def test_an_abbreviation_with_two_meanings_keeps_both_most_defined_first() -> None:
    groups = learn_terms(
        [
            "An Account Director (AD) leads the account.",
            "The Account Director (AD) decides. An Account Executive (AE) serves.",
            "Account Executives (AE) learn fast.",
            "An Art Director (AD) leads the visuals.",
        ]
    )
    assert groups[0][0] in {"AD", "AE"}
    assert ["AD", "Art Director"] in groups and ["AD", "Account Director"] in groups
    assert sum(g[0] == "AE" for g in groups) == 1  # a plural is the same term


def test_maintained_groups_merge_into_learned_ones_but_not_through_an_ambiguous_abbreviation() -> (
    None
):
    groups, titles = merge_groups(
        [["AD", "account director", "giám đốc account"], ["KH", "khách hàng", "client"]],
        [["AD", "Account Director"], ["AD", "Art Director"]],
    )
    account = next(g for g in groups if "Account Director" in g)
    art = next(g for g in groups if "Art Director" in g)
    assert "giám đốc account" in account and "giám đốc account" not in art
    assert {groups.index(account), groups.index(art)} == titles
    assert ["KH", "khách hàng", "client"] in groups


def test_learned_terms_are_titles_for_follow_ups_and_expansion() -> None:
    aliases = with_terms(
        Aliases.from_groups([["KH", "khách hàng", "client"]]), [["ABM", "Assistant Brand Manager"]]
    )
    assert aliases.expansions("ABM làm gì?") == ["Assistant Brand Manager"]
    assert {aliases.groups[g][0] for g in aliases.entities("what does an ABM do")} == {"ABM"}
    assert aliases.entities("KH là ai?") == set()  # maintained groups are not titles


def test_an_abbreviation_with_two_meanings_names_both_until_a_passage_tells() -> None:
    aliases = Aliases.from_groups(
        [["AD", "Account Director"], ["AD", "Art Director"], ["AE", "Account Executive"]],
        titles=["Account Director", "Art Director", "Account Executive"],
    )
    assert aliases.entities("AD ben design thi luong bao nhieu") == {0, 1}
    assert aliases.entities("What does an Art Director do?") == {1}
    # One place in the text however many meanings it has: "AE vs AD" compares two things.
    assert aliases.mentions("AE khác AD chỗ nào") == [(0, 2), (8, 10)]


def test_a_written_out_title_names_its_group_in_the_plural_an_abbreviation_does_not() -> None:
    aliases = Aliases.from_groups(
        [["PM", "Project Manager"], ["AD", "Account Director"]],
        titles=["Project Manager", "Account Director"],
    )
    assert aliases.entities("do project managers need to code?") == {0}
    assert aliases.entities("công ty ads") == set()  # "ads" are adverts, not ADs


def test_a_stop_word_before_a_role_head_names_no_role() -> None:
    from assistant.terms import role_phrases, roles_named

    roles = frozenset(
        role_phrases(["A PM plans; but PMs and media planners..."], {"pm", "planner"})
    )
    assert roles == {"media planner"}
    assert roles_named("a pm and a media planner", roles | {"a pm"}) == ["media planner"]


def test_a_word_that_ends_a_place_s_name_is_no_role_head() -> None:
    from assistant.terms import role_heads

    texts = [
        "Account Manager và Brand Manager làm việc ở Việt Nam.",
        "Lương ở Miền Nam cao hơn Hà Nam; Sales Manager tại Hà Nam.",
    ]
    heads = role_heads(texts)
    assert "manager" in heads
    assert "nam" not in heads  # "Việt Nam", "Miền Nam", "Hà Nam" follow "ở" or "tại"


def test_the_first_syllable_of_a_longer_word_is_no_role_head() -> None:
    from assistant.terms import role_heads, role_phrases

    texts = [
        "Theo Luật Kiến trúc, kiến trúc sư cần chứng chỉ. Ngành Kiến trúc tuyển sinh khối V.",
        "Học kiến trúc mất 5 năm; điều kiện là thi vẽ. Account Manager và Brand Manager.",
        # "kiện" folds as "kiến" does: only the word written with its marks counts.
        "Làm tài xế: điều kiện, thu nhập. Điều kiện sức khỏe, điều kiện làm việc.",
        "A Junior DevOps engineer earns less than a Senior DevOps engineer.",
    ]
    heads = role_heads(texts)
    # "Kiến" ends "Luật Kiến" and "Ngành Kiến", but the name runs on in lower case, and
    # "kiến" is followed by "trúc" wherever it is written in lower case.
    assert "kien" not in heads
    assert "dieu kien" not in role_phrases(texts, heads)
    assert "manager" in heads
    # "DevOps" is never written in lower case: the names it ends stay roles.
    assert "devop" in heads


def test_what_credentials_are_called_heads_no_role() -> None:
    from assistant.terms import role_heads

    texts = [
        "Private Pilot Licence (PPL), Commercial Pilot Licence (CPL) and Airline Transport "
        "Pilot Licence (ATPL). A First Officer becomes a Captain; a Senior First Officer too."
    ]
    heads = role_heads(texts, learn_terms(texts))
    assert "officer" in heads
    assert "licence" not in heads


def test_a_role_written_in_lower_case_heads_roles_through_its_abbreviation() -> None:
    from assistant.terms import role_heads

    texts = [
        "A physical therapist (PT) needs a Doctor of Physical Therapy (DPT) degree.",
        "Staff PT and Senior PT earn more than a New graduate PT.",
    ]
    terms = learn_terms(texts)
    assert "therapist" not in role_heads(texts)
    # "PT" heads capitalised names, so its long form's last word heads roles too; "DPT"
    # heads none, so "Therapy" stays no role's head.
    assert role_heads(texts, terms) == role_heads(texts) | {"therapist"}
    assert "pt" in role_heads(texts)


def test_a_term_is_a_role_when_one_of_its_names_ends_with_a_role_head() -> None:
    from assistant.terms import names_a_role

    heads = {"pt", "manager"}
    assert names_a_role(("PT", "physical therapist"), heads)
    assert names_a_role(("KAM", "Key Account Managers"), heads)  # a plural's "s" dropped
    assert not names_a_role(("DPT", "Doctor of Physical Therapy"), heads)


def test_name_words_keep_a_hyphenated_name_whole() -> None:
    from assistant.terms import name_words, role_phrases

    assert name_words("An Import-Export Manager, in HCM.") == [
        "An",
        "Import-Export",
        "Manager",
        "in",
        "HCM",
    ]
    assert role_phrases(["The Import-Export Manager signs."], {"manager"}) == {
        "import-export manager"
    }


def test_where_a_move_starts_and_where_it_ends() -> None:
    from assistant.terms import roles_left, roles_reached

    aliases = Aliases.from_groups(
        [["PM", "Project Manager"], ["QA", "QA Engineer"]],
        titles=["Project Manager", "QA Engineer"],
    )
    roles = frozenset({"senior tester", "test lead"})
    assert roles_left("Moving from a QA Engineer to PM takes 3 years", aliases, roles) == {"#1"}
    assert roles_left("từ senior tester lên test lead mất 2 năm", aliases, roles) == {
        "senior tester"
    }
    assert roles_left("cấp sau QA, đạt được sau 2 năm", aliases, roles) == {"#1"}
    assert roles_reached("bao lâu thì lên PM?", aliases, roles) == {"#0"}
    assert roles_reached("how long to become a test lead", aliases, roles) == {"test lead"}
    # From one to the other: only the second is reached. The role doing the moving is not.
    assert roles_reached("how long from QA to PM", aliases, roles) == {"#0"}
    assert roles_reached("how long before a QA gets promoted?", aliases, roles) == set()


def test_the_roles_a_text_names_as_it_writes_them() -> None:
    from assistant.terms import written_roles

    roles = frozenset({"first officer", "senior devop"})
    text = "First Officers earn less than a Senior DevOps; the first  officer flies."
    # As written (the plural and "DevOps" kept); not across two spaces or a line.
    assert written_roles(text, roles) == ["First Officers", "Senior DevOps"]


def test_the_phrases_people_type_as_their_initials_are_learned_from_the_texts() -> None:
    texts = [
        "Tài xế không được đóng bảo hiểm xã hội bắt buộc, nên tự đóng Bảo hiểm xã hội tự nguyện.",
        "Kiến trúc sư cần chứng chỉ hành nghề; chứng chỉ hành nghề có thời hạn 10 năm.",
        "Công ty nhận tư vấn về thuế và tư vấn về hợp đồng.",  # ends with a function word
        "Lương kiến trúc sư mới ra trường. Một kỹ sư xây dựng.",  # the second written once
        "Cấp bậc: 2-3 năm; bảng lương cơ bản; bảng lương cao; bảng lương chuẩn",  # no one phrase
    ]
    learned = learn_initials(texts)
    assert learned["bhxh"] == "bảo hiểm xã hội"
    assert learned["cchn"] == "chứng chỉ hành nghề"
    assert "tvv" not in learned  # "tư vấn về"
    assert learned["kts"] == "kiến trúc sư"
    assert "ksxd" not in learned
    assert not {"blc", "blb"} & set(learned)  # each written once
    assert is_initials("BHXH") and is_initials("kts")
    assert not is_initials("dc") and not is_initials("ko") and not is_initials("grab")
