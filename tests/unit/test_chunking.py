"""Articles in Markdown become plain passages: sections from headings, list items and table
rows as sentences, no Markdown syntax in anything quoted."""

from __future__ import annotations

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.chunking import BULLET, passages, plain_markdown, quotable_sentences

ARTICLE = """# Graphic designer career

Graphic design is a creative career with a clear ladder of levels and pay.

## Career path

Typical duties include:

- Creating **layouts** for print and [digital](https://example.com) channels.
- Preparing print-ready files in `CMYK` at 300 DPI.

## Salary by level

| Level | Years of experience | Salary (USD per year) |
|---|---|---|
| Junior Designer | 0-2 | $38,000-$47,000 |
| Art Director (AD) | 7-10 | $90,000-$120,000 |
"""

SPLITTER = RecursiveCharacterTextSplitter(chunk_size=400, chunk_overlap=60, add_start_index=True)


def test_tables_become_rows_that_name_their_columns() -> None:
    plain = plain_markdown(ARTICLE)
    assert (
        "Level: Junior Designer; Years of experience: 0-2; Salary (USD per year): $38,000-$47,000."
    ) in plain
    assert "|" not in plain and "---" not in plain


def test_a_table_typed_with_bare_pipes_becomes_rows_that_name_their_columns() -> None:
    # A plain-text article writes its table without the pipes at the ends of a row, with or
    # without a rule line under the header.
    text = (
        "Lương theo cấp bậc\n\nCấp bậc | Kinh nghiệm | Lương (triệu đồng/tháng)\n"
        "Học việc (thợ phụ) | 0-1 năm | 4-6\nQuản đốc xưởng | Trên 8 năm | 25-40\n\n"
        "Level | Pay\n--- | ---\nJunior | $40,000\nSenior | $60,000\n"
    )
    lines = plain_markdown(text).split("\n")
    assert (
        "Cấp bậc: Học việc (thợ phụ); Kinh nghiệm: 0-1 năm; Lương (triệu đồng/tháng): 4-6." in lines
    )
    assert "Level: Senior; Pay: $60,000." in lines
    assert not any("|" in line or "---" in line for line in lines)
    # A line or two with a pipe in them is no table.
    assert plain_markdown("Chọn A | B.\nHoặc C | D.") == "Chọn A | B.\nHoặc C | D."


def test_emphasis_links_and_code_marks_go_and_list_items_stay_items() -> None:
    plain = plain_markdown(ARTICLE)
    assert f"{BULLET} Creating layouts for print and digital channels." in plain
    assert "**" not in plain and "](" not in plain and "`" not in plain


def test_a_bold_line_on_its_own_is_a_heading() -> None:
    # Many articles write their headings in bold; bold inside a sentence, or a bold sentence,
    # stays text.
    text = (
        "# Guide\n\nIntro.\n\n**Mức lương**\n\nKhoảng 6-8 triệu đồng.\n\n**Duties:**\n"
        "- Draw blood.\n\nSome **bold** words.\n\n**A bold sentence that ends.**\n"
    )
    assert plain_markdown(text).split("\n") == [
        "# Guide",
        "",
        "Intro.",
        "",
        "## Mức lương",
        "",
        "Khoảng 6-8 triệu đồng.",
        "",
        "## Duties",
        f"{BULLET} Draw blood.",
        "",
        "Some bold words.",
        "",
        "A bold sentence that ends.",
        "",
    ]


def test_plain_text_comes_back_unchanged() -> None:
    text = "tài khoản Executive\nĐây là cấp bậc cơ bản nhất.\n\nRa quyết định: không nhiều."
    assert plain_markdown(text) == text


def test_passages_know_their_section_and_hold_no_heading_line() -> None:
    found = passages(plain_markdown(ARTICLE), "Graphic designer career", SPLITTER, 400)
    by_section = {p.section: p.text for p in found}
    assert "Salary by level" in by_section and "Career path" in by_section
    assert "$90,000-$120,000" in by_section["Salary by level"]
    assert all("#" not in p.text for p in found)
    # The list keeps its lead-in line in the same passage.
    assert by_section["Career path"].startswith("Typical duties include:")


def test_list_items_and_rows_are_quotable_as_items() -> None:
    found = passages(plain_markdown(ARTICLE), "Graphic designer career", SPLITTER, 400)
    quotes = [q for p in found for q in quotable_sentences(p.text)]
    items = [q.text for q in quotes if q.item]
    assert "Typical duties include: Creating layouts for print and digital channels." in items
    assert any(t.startswith("Level: Art Director (AD)") for t in items)
    assert not any(q.text.startswith(("#", BULLET)) for q in quotes)
    assert [q.text for q in quotes if not q.item] == [
        "Graphic design is a creative career with a clear ladder of levels and pay."
    ]


def test_a_paragraph_written_over_several_lines_is_one_line() -> None:
    text = (
        "The ISTQB helps most at the start of a career, when you have no experience; later,\n"
        "employers care more about what you have tested.\n\n"
        "- an item that wraps\n  onto the next line\n- a second item\n\n"
        "Lương và thu nhập\nNgười mới vào nghề được trả 8-12 triệu."
    )
    assert plain_markdown(text).split("\n") == [
        "The ISTQB helps most at the start of a career, when you have no experience; later, "
        "employers care more about what you have tested.",
        "",
        f"{BULLET} an item that wraps onto the next line",
        f"{BULLET} a second item",
        "",
        "## Lương và thu nhập",  # a title line heads the line under it, not joined to it
        "Người mới vào nghề được trả 8-12 triệu.",
    ]


def test_plain_text_heads_its_sections_with_short_lines() -> None:
    # A .txt file (or a PDF's text) has no Markdown: a short capitalised line after a blank
    # one, without a stop or as a question, heads the text under it; the first is the title.
    text = (
        "Nghề pha chế: làm gì, lương bao nhiêu?\n\nBarista pha chế đồ uống.\n\n"
        "Lương barista bao nhiêu?\nBarista mới nhận 5-7 triệu đồng.\n\n"
        "Con đường thăng tiến\n- Head barista: sau 1-2 năm\n\n"
        "Level: Junior; Salary: $65,000\nLevel: Senior; Salary: $120,000\n\n"
        "Lương: 6-7 triệu/tháng\nThưởng theo quý.\n\nChúc bạn thành công"
    )
    assert plain_markdown(text).split("\n") == [
        "# Nghề pha chế: làm gì, lương bao nhiêu?",
        "",
        "Barista pha chế đồ uống.",
        "",
        "## Lương barista bao nhiêu?",
        "Barista mới nhận 5-7 triệu đồng.",
        "",
        "## Con đường thăng tiến",
        f"{BULLET} Head barista: sau 1-2 năm",
        "",
        "Level: Junior; Salary: $65,000",  # a table's rows and a labelled figure are facts
        "Level: Senior; Salary: $120,000",
        "",
        "Lương: 6-7 triệu/tháng",
        "Thưởng theo quý.",
        "",
        "Chúc bạn thành công",  # nothing under it: a closing line
    ]


def test_plain_text_may_number_its_headings() -> None:
    # "1. Thợ làm tóc làm gì?" on a line of its own heads a section: its number is left out.
    # Items spaced out with blank lines are numbered one after another: they stay items.
    text = (
        "Thợ làm tóc\n\nThợ làm tóc cắt và nhuộm tóc.\n\n1. Thợ làm tóc làm gì?\n\n"
        "- Tư vấn kiểu tóc.\n\n2. Học nghề ở đâu\n\nHọc ở trung tâm 3 tháng.\n\n"
        "Các bước:\n\n1. Gội đầu\n\n2. Sấy tóc\n\nHết."
    )
    assert plain_markdown(text).split("\n") == [
        "# Thợ làm tóc",
        "",
        "Thợ làm tóc cắt và nhuộm tóc.",
        "",
        "## Thợ làm tóc làm gì?",
        "",
        f"{BULLET} Tư vấn kiểu tóc.",
        "",
        "## Học nghề ở đâu",
        "",
        "Học ở trung tâm 3 tháng.",
        "",
        "Các bước:",
        "",
        f"{BULLET} Gội đầu",
        "",
        f"{BULLET} Sấy tóc",
        "",
        "Hết.",
    ]


def test_text_that_marks_its_headings_has_no_plain_ones() -> None:
    # A Markdown file heads its sections with "#": a short line in it is text (a line cut
    # short, a caption), whatever follows it.
    text = "# Guide\n\nIntro.\n\nSome words cut short\nOne sentence added."
    assert plain_markdown(text).split("\n") == [
        "# Guide",
        "",
        "Intro.",
        "",
        "Some words cut short",
        "One sentence added.",
    ]


def test_every_sentence_of_a_list_item_belongs_to_it() -> None:
    text = plain_markdown(
        "Courses a new CSM can take:\n\n"
        "- **CCSM**: the best-known certification, in three levels. Level 1 takes about 10 "
        "hours and costs about $1,000.\n"
        "- **Customer Success School**: a six-week live course for working CSMs.\n\n"
        "No certificate is required to become a CSM, but a few help."
    )
    quotes = quotable_sentences(text)
    cost = next(q for q in quotes if q.text.startswith("Level 1"))
    first = next(q for q in quotes if q.text.startswith("CCSM"))
    school = next(q for q in quotes if q.text.startswith("Customer Success School"))
    assert cost.item and cost.line == first.line != school.line
    assert not quotes[-1].item


def test_a_run_in_label_is_quoted_with_what_follows_it() -> None:
    text = (
        "Automation Engineer / SDET. SDET stands for Software Development Engineer in Test.\n"
        "QA Lead. A QA lead runs a team of about three to eight testers."
    )
    assert [q.text for q in quotable_sentences(text)] == [
        "Automation Engineer / SDET. SDET stands for Software Development Engineer in Test.",
        "QA Lead. A QA lead runs a team of about three to eight testers.",
    ]


def test_a_short_sentence_with_a_number_is_a_fact_not_a_fragment() -> None:
    # Vietnamese says a fact in few letters; a short sentence without a number still leads
    # the next one.
    text = "Thẻ hành nghề do Sở Du lịch cấp. Thẻ có hạn 5 năm.\nBrief. It lasts a whole day."
    assert [q.text for q in quotable_sentences(text)] == [
        "Thẻ hành nghề do Sở Du lịch cấp.",
        "Thẻ có hạn 5 năm.",
        "Brief. It lasts a whole day.",
    ]


def test_a_list_item_knows_what_it_is_an_item_of() -> None:
    text = "\n".join(
        [
            "The job has its costs.",
            "What makes the job hard:",
            f"{BULLET} Long shifts on weekends.",
            f"{BULLET} Sales targets in large chains.",
            "Level: Junior; Pay: $30,000.",
            "Level: Senior; Pay: $50,000.",
        ]
    )
    quotes = {q.text: q.context for q in quotable_sentences(text, "Working as a pharmacist")}
    assert quotes["Long shifts on weekends."] == "What makes the job hard"  # its lead line
    assert quotes["The job has its costs."] == ""  # not an item
    assert quotes["Level: Junior; Pay: $30,000."] == ""  # a table row names its columns
    # Without a line that leads it, a list is about the heading it stands under.
    plain = quotable_sentences(f"{BULLET} Long shifts on weekends.", "Downsides")
    assert [q.context for q in plain] == ["Downsides"]
