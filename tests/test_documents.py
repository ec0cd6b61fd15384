"""PDF and Word articles: real files made here (a page printed to PDF by Chromium, a .docx
written with python-docx) keep their headings, list items and table rows; encrypted, damaged
and scanned files are skipped with a reason naming them; a PDF and a Word file are indexed and
found by a question."""

from __future__ import annotations

import base64
import io
import random
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter

from assistant import Assistant, Settings
from assistant.corpus import read_corpus
from assistant.documents import table_lines
from assistant.embeddings import E5Embeddings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="needs chromium to print test PDFs: `apt-get install chromium` "
    "(`make test` installs it)",
)

ARTICLE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Account Executive là gì?</title>
<style>td, th { border: 1px solid black; padding: 4px } table { border-collapse: collapse }
</style></head>
<body>
<h1>Account Executive là gì?</h1>
<p>Account Executive (AE) là nhân viên phục vụ khách hàng của agency. Hằng ngày, AE tiếp nhận
yêu cầu của khách hàng và chuyển cho các phòng ban.</p>
<h2>Nhiệm vụ chính</h2>
<ul><li>Tiếp nhận brief từ khách hàng.</li><li>Theo dõi tiến độ dự án.</li>
<li>Báo cáo kết quả chiến dịch.</li></ul>
<h2>Career ladder</h2>
<table><tr><th>Title</th><th>Years in the job</th></tr>
<tr><td>Account Executive</td><td>0-2</td></tr><tr><td>Account Manager</td><td>2-5</td></tr>
<tr><td>Account Director</td><td>5+</td></tr></table>
<p>An Account Director is usually promoted from Account Manager after about five years.</p>
</body></html>
"""


def print_pdf(html: str, folder: Path, name: str, *, header_footer: bool = False) -> Path:
    """``html`` printed to ``folder/name`` by headless Chromium (a real PDF with a text layer)."""
    assert CHROMIUM is not None
    page, pdf = folder / f"{name}.html", folder / name
    page.write_text(html, "utf-8")
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={folder / '.chromium'}",
        f"--print-to-pdf={pdf}",
        page.as_uri(),
    ]
    if not header_footer:
        command.insert(-1, "--no-pdf-header-footer")
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    page.unlink()
    return pdf


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The PDFs the tests read, printed once: the article, a long one with Chromium's running
    header and footer, and a scan (a picture of text, no text layer)."""
    if CHROMIUM is None:
        pytest.skip(
            "needs chromium to print test PDFs: `apt-get install chromium` "
            "(`make test` installs it)"
        )
    folder = tmp_path_factory.mktemp("pdfs")
    sections = "".join(
        f"<h2>Skill {n}: {skill}</h2><p>{text}</p>" * 1
        for n, (skill, text) in enumerate(
            [
                ("Client service", "An Account Executive answers the client within the day."),
                ("Time management", "An Account Executive keeps a timeline for every project."),
                ("Writing", "An Account Executive writes the contact report after each meeting."),
                ("Numbers", "An Account Executive checks the budget against the estimate."),
            ]
            * 6,
            start=1,
        )
    )
    long = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>AE skills</title>"
        f"</head><body><h1>The skills of an Account Executive</h1>{sections}</body></html>"
    )
    picture = Image.new("RGB", (900, 300), "white")
    ImageDraw.Draw(picture).text((40, 120), "Account Executive: a scanned page", fill="black")
    png = io.BytesIO()
    picture.save(png, "PNG")
    scan = (
        "<!doctype html><html><body style='margin:0'><img style='width:100%' src="
        f"'data:image/png;base64,{base64.b64encode(png.getvalue()).decode()}'></body></html>"
    )
    # Chromium prints translucent text and SVG text inside form XObjects.
    layered = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Layers</title>"
        "</head><body><div style='opacity: 0.6'><h1>Media buying</h1><p>A media buyer "
        "negotiates the price of advertising space.</p></div><svg width='600' "
        "height='60'><text x='0' y='40' font-size='16'>An Account Executive serves "
        "the client.</text></svg></body></html>"
    )
    return {
        "article": print_pdf(ARTICLE, folder, "article.pdf"),
        "long": print_pdf(long, folder, "long.pdf", header_footer=True),
        "scan": print_pdf(scan, folder, "scan.pdf"),
        "layered": print_pdf(layered, folder, "layered.pdf"),
    }


def encrypted(pdf: Path, target: Path, user_password: str) -> Path:
    """A copy of ``pdf`` encrypted with AES-256 (an empty user password: anyone may open it)."""
    writer = PdfWriter(clone_from=PdfReader(pdf))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-256")
    with open(target, "wb") as handle:
        writer.write(handle)
    return target


def word_article(target: Path, *, title: str | None = "Account Manager là gì?") -> Path:
    """A .docx as a person writes one: headings, bullets, a numbered list, a table."""
    document = docx.Document()
    if title:
        document.core_properties.title = title
    document.add_heading("Account Manager là gì?", level=1)
    document.add_paragraph(
        "Account Manager (AM) quản lý nhóm Account Executive và lên kế "
        "hoạch cho các tài khoản của agency."
    )
    document.add_heading("Công việc hằng ngày", level=2)
    document.add_paragraph("Duyệt báo giá trước khi gửi khách hàng.", style="List Bullet")
    document.add_paragraph("Họp với khách hàng mỗi tuần.", style="List Bullet")
    document.add_paragraph("Đọc brief.", style="List Number")
    # A heading style of the writer's own, based on Heading 2.
    custom = document.styles.add_style("Agency Heading", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = document.styles["Heading 2"]
    document.add_paragraph("Salary bands", style="Agency Heading")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate(
        [
            ("Title", "City", "Monthly salary"),
            ("Account Manager", "Ho Chi Minh City", "25-35 million VND"),
            ("Account Manager", "Hanoi", "22-30 million VND"),
        ]
    ):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("An Account Manager in Hanoi signs off every media plan.")
    document.save(str(target))
    return target


@needs_chromium
def test_a_pdf_keeps_its_headings_list_items_and_table_rows(
    make_corpus: Path, printed: dict[str, Path]
) -> None:
    shutil.copy(printed["article"], make_corpus / "ae.pdf")

    files, skipped = read_corpus(make_corpus)

    assert skipped == []
    document = files[0].document
    assert document.metadata["title"] == "Account Executive là gì?"  # from the PDF's metadata
    assert document.metadata["language"] == "vi"
    assert document.page_content.split("\n\n") == [
        "# Account Executive là gì?",
        # Vietnamese words stay whole (pypdf would print "ph ụ c v ụ" here).
        "Account Executive (AE) là nhân viên phục vụ khách hàng của agency. Hằng ngày, AE "
        "tiếp nhận yêu cầu của khách hàng và chuyển cho các phòng ban.",
        "## Nhiệm vụ chính",
        "- Tiếp nhận brief từ khách hàng.\n- Theo dõi tiến độ dự án.\n"
        "- Báo cáo kết quả chiến dịch.",
        "## Career ladder",
        "Title: Account Executive; Years in the job: 0-2\n"
        "Title: Account Manager; Years in the job: 2-5\n"
        "Title: Account Director; Years in the job: 5+",
        "An Account Director is usually promoted from Account Manager after about five years.",
    ]


@needs_chromium
def test_a_long_pdf_loses_its_running_header_footer_and_page_numbers(
    make_corpus: Path, printed: dict[str, Path]
) -> None:
    shutil.copy(printed["long"], make_corpus / "skills.pdf")
    assert len(PdfReader(printed["long"]).pages) >= 3

    files, _ = read_corpus(make_corpus)

    text = files[0].document.page_content
    assert files[0].document.metadata["title"] == "AE skills"
    assert text.startswith("# The skills of an Account Executive\n\n## Skill 1: Client service")
    assert text.count("## Skill ") == 24 and text.count("contact report after each") == 6
    for running in ("file://", "AE skills", "1/", "2/", "AM ", "PM "):
        assert running not in text, running


def test_a_word_file_keeps_its_headings_list_items_and_table_rows(make_corpus: Path) -> None:
    word_article(make_corpus / "am.docx")
    word_article(make_corpus / "untitled.docx", title=None)
    (make_corpus / "~$am.docx").write_bytes(b"\x06Owner lock file of Word")  # ignored

    files, skipped = read_corpus(make_corpus)

    assert skipped == []
    by_path = {f.path: f.document for f in files}
    assert sorted(by_path) == ["corpus/am.docx", "corpus/untitled.docx"]
    document = by_path["corpus/am.docx"]
    assert document.metadata["title"] == "Account Manager là gì?"
    assert document.metadata["language"] == "vi"
    assert document.page_content.split("\n\n") == [
        "# Account Manager là gì?",
        "Account Manager (AM) quản lý nhóm Account Executive và lên kế hoạch cho các tài "
        "khoản của agency.",
        "## Công việc hằng ngày",
        "- Duyệt báo giá trước khi gửi khách hàng.\n- Họp với khách hàng mỗi tuần.\n- Đọc brief.",
        "## Salary bands",
        "Title: Account Manager; City: Ho Chi Minh City; Monthly salary: 25-35 million VND\n"
        "Title: Account Manager; City: Hanoi; Monthly salary: 22-30 million VND",
        "An Account Manager in Hanoi signs off every media plan.",
    ]
    # Without a title in its properties, the first heading names it.
    assert by_path["corpus/untitled.docx"].metadata["title"] == "Account Manager là gì?"


@needs_chromium
def test_encrypted_damaged_and_scanned_documents_are_skipped_with_a_reason(
    make_corpus: Path, printed: dict[str, Path]
) -> None:
    rng = random.Random(14)
    encrypted(printed["article"], make_corpus / "locked.pdf", user_password="secret")
    shutil.copy(printed["scan"], make_corpus / "scan.pdf")
    (make_corpus / "corrupt.pdf").write_bytes(rng.randbytes(4000))
    (make_corpus / "corrupt.docx").write_bytes(rng.randbytes(4000))
    # Word saves a password-protected document as an OLE2 file, as it saved the old .doc.
    (make_corpus / "protected.docx").write_bytes(
        bytes.fromhex("d0cf11e0a1b11ae1") + rng.randbytes(4000)
    )
    docx.Document().save(str(make_corpus / "blank.docx"))
    word_article(make_corpus / "good.docx")

    files, skipped = read_corpus(make_corpus)

    assert [f.path for f in files] == ["corpus/good.docx"]
    got = {s.path: s.reason for s in skipped}
    assert sorted(got) == [
        "corpus/blank.docx",
        "corpus/corrupt.docx",
        "corpus/corrupt.pdf",
        "corpus/locked.pdf",
        "corpus/protected.docx",
        "corpus/scan.pdf",
    ]
    assert got["corpus/locked.pdf"].startswith(
        "a password-protected PDF; open it with its password, save a copy without one"
    )
    assert got["corpus/scan.pdf"].startswith(
        "a PDF without a text layer (scanned pages?); run OCR on it first"
    )
    assert got["corpus/corrupt.pdf"].startswith("not a readable PDF (")
    assert "print it to a new PDF" in got["corpus/corrupt.pdf"]
    assert got["corpus/corrupt.docx"].startswith("not a readable Word .docx file (")
    assert "save it as .docx again" in got["corpus/corrupt.docx"]
    assert got["corpus/protected.docx"].startswith("a password-protected Word file, or an old .doc")
    assert got["corpus/blank.docx"] == "a Word file with no text; add the article's text to it"


@needs_chromium
def test_text_drawn_translucent_or_as_svg_is_read_not_taken_for_a_scan(
    make_corpus: Path, printed: dict[str, Path]
) -> None:
    shutil.copy(printed["layered"], make_corpus / "layered.pdf")

    files, skipped = read_corpus(make_corpus)

    assert skipped == []
    assert files[0].document.page_content.split("\n\n") == [
        "# Media buying",
        "A media buyer negotiates the price of advertising space.",
        "An Account Executive serves the client.",
    ]


@needs_chromium
def test_a_pdf_locked_only_against_editing_is_read(
    make_corpus: Path, printed: dict[str, Path]
) -> None:
    encrypted(printed["article"], make_corpus / "no-editing.pdf", user_password="")

    files, skipped = read_corpus(make_corpus)

    assert skipped == []
    assert "- Theo dõi tiến độ dự án." in files[0].document.page_content


def test_table_rows_name_their_columns_when_the_first_row_is_a_header() -> None:
    assert table_lines([["Title", "Years"], ["AE", "0-2"], ["AM", None], [None, None]]) == [
        "Title: AE; Years: 0-2",
        "Title: AM",
    ]
    # No header (a blank or repeated first-row cell, or one row): cells in order.
    assert table_lines([["", "Years"], ["AE", "0-2"]]) == ["Years", "AE; 0-2"]
    assert table_lines([["Note", "Note"], ["a\nb", "c"]]) == ["Note; Note", "a b; c"]
    assert table_lines([["AE", "Account Executive"]]) == ["AE; Account Executive"]


@needs_chromium
def test_pdf_and_word_articles_are_indexed_and_found(
    make_corpus: Path, tmp_path: Path, printed: dict[str, Path], e5: E5Embeddings
) -> None:
    shutil.copy(printed["article"], make_corpus / "ae.pdf")
    word_article(make_corpus / "am.docx")
    (make_corpus / "pitch.md").write_text(
        "---\ntitle: Pitching\nlanguage: en\n---\n# Pitching\n\nIn a new-business pitch the "
        "agency presents ideas to a prospective client that is choosing between agencies.\n",
        "utf-8",
    )
    bot = Assistant(Settings(corpus_dir=make_corpus, index_dir=tmp_path / "index"), embeddings=e5)

    report = bot.index()

    assert (report.added, report.skipped) == (3, [])
    years = bot.search("How many years does it take to become an Account Director?", k=3)
    assert years[0].path == "corpus/ae.pdf"
    assert "Title: Account Director; Years in the job: 5+" in " ".join(h.text for h in years)
    salary = bot.search("What is the monthly salary of an Account Manager in Hanoi?", k=3)
    assert salary[0].path == "corpus/am.docx"
    assert "Hanoi; Monthly salary: 22-30 million VND" in salary[0].text


def test_a_plain_text_table_typed_with_bare_pipes_is_quoted_with_its_column_names(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    """The car mechanic article (tests/eval/tune/fresh7) is plain text and writes its pay
    table as "Quản đốc xưởng | Trên 8 năm | 25-40" under a header row: a row was quoted so,
    without saying which column held the pay."""
    article = Path(__file__).parent / "eval/tune/fresh7/ky-thuat-vien-o-to.txt"
    shutil.copy(article, make_corpus / article.name)
    bot = Assistant(Settings(corpus_dir=make_corpus, index_dir=tmp_path / "index"), embeddings=e5)
    bot.index()

    reply = bot.ask("luong quan doc xuong bn 1 thang")

    assert "Quản đốc xưởng; Kinh nghiệm: Trên 8 năm; Lương (triệu đồng/tháng): 25-40" in (
        reply.answer
    ), reply.answer
    assert "|" not in reply.answer


def test_a_syllable_typed_without_marks_is_read_as_the_corpus_writes_it(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    """ "hoc cao dang o to": "dang" folds "đẳng" (of "cao đẳng", a college) and "đang" (a
    function word) alike, so the question was read as asking about "hoc cao" and refused
    for saying nothing about it; the corpus writes "cao đẳng", which tells them apart."""
    article = Path(__file__).parent / "eval/tune/fresh7/ky-thuat-vien-o-to.txt"
    shutil.copy(article, make_corpus / article.name)
    bot = Assistant(Settings(corpus_dir=make_corpus, index_dir=tmp_path / "index"), embeddings=e5)
    bot.index()

    reply = bot.ask("hoc cao dang o to mat may nam")

    assert not reply.abstained, reply.answer
    assert "Cao đẳng Công nghệ kỹ thuật ô tô: 2,5-3 năm" in reply.answer, reply.answer


@pytest.fixture(scope="module")
def with_fresh9(tmp_path_factory: pytest.TempPathFactory, e5: E5Embeddings) -> Assistant:
    """The shipped corpus with the articles of tune/fresh9 (a vet tech guide in English, an
    architect and a ride-hailing driver article in Vietnamese), indexed."""
    tmp_path = tmp_path_factory.mktemp("fresh9")
    corpus = tmp_path / "shipped"
    shutil.copytree(Path(__file__).parent.parent / "corpus", corpus)
    shutil.copytree(Path(__file__).parent / "eval/tune/fresh9", corpus / "articles" / "fresh9")
    bot = Assistant(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embeddings=e5)
    bot.index()
    return bot


def test_a_question_that_names_no_subject_is_not_answered_by_the_article_s_definition(
    with_fresh9: Assistant,
) -> None:
    """ "hoc vet tech mat bao lau" names "vet tech", which the article only writes as
    the short name of its Veterinary Technician: the passage that defines the role ranked
    first, as it does for any question near the article's subject. The subject of the
    document most candidates come from (its title's role, or the subject a Vietnamese
    article glosses in English) is now the question's, and the passage that stands out as
    about it loses."""
    study = with_fresh9.search("hoc vet tech mat bao lau", k=3)
    assert "finish in two years" in study[0].text, [h.text[:80] for h in study]


def test_a_phrase_typed_as_its_initials_is_searched_as_the_corpus_writes_it(
    with_fresh9: Assistant,
) -> None:
    """ "bhxh" is how people type "bảo hiểm xã hội" (social insurance), which the article
    spells out: the question was answered with the price of a uniform. The initials of the
    phrases the corpus writes are learned with the index."""
    reply = with_fresh9.ask("grab co dong bhxh cho tai xe ko")
    assert not reply.abstained, reply.answer
    assert "không được đóng bảo hiểm xã hội bắt buộc" in reply.answer, reply.answer
    first = with_fresh9.search("tai xe grab co duoc dong bhxh ko", k=3)[0]
    assert "bảo hiểm xã hội" in first.text, first.text


def test_an_english_follow_up_finds_the_vietnamese_article_it_is_about(
    with_fresh9: Assistant,
) -> None:
    """Asked in English after a question about the Vietnamese architect article, "how long
    before it expires?" was answered from the English vet tech guide, whose words it shares:
    a passage in the other language gains more (``FOCUS_WEIGHT``) when its document holds the
    question's distinctive words."""
    reply = with_fresh9.ask(
        "ok and once I have it, how long before it expires?",
        ["How do I get the architecture practising certificate in Vietnam?"],
    )
    assert not reply.abstained, reply.answer
    assert "10 năm" in reply.answer, reply.answer


def test_a_kind_of_a_role_the_article_never_names_is_refused(with_fresh9: Assistant) -> None:
    """ "kiến trúc sư cảnh quan" (landscape architect) was answered with the architects'
    salary table: the kinds of "giáo viên" were told from the ones the corpus names, but not
    those of a three-syllable name. The levels the table names are still answered."""
    reply = with_fresh9.ask("kien truc su canh quan luong bn")
    assert reply.abstained and "kien truc su canh quan" in reply.answer, reply.answer
    reply = with_fresh9.ask("kien truc su chinh luong bn")
    assert not reply.abstained and "Kiến trúc sư chính" in reply.answer, reply.answer


def test_a_company_the_question_capitalises_and_the_corpus_never_names_is_refused(
    with_fresh9: Assistant,
) -> None:
    """ "tài xế taxi Mai Linh" (a taxi company) was answered with the ride-hailing apps'
    papers: "Mai" and "Linh" are syllables the article writes, but never together. A
    question that only opens its sentences with capitals names nothing."""
    reply = with_fresh9.ask("Muốn làm tài xế taxi Mai Linh thì cần những giấy tờ gì?")
    assert reply.abstained and "Mai Linh" in reply.answer, reply.answer
    reply = with_fresh9.ask("Bao nhiêu tuổi thì được đăng ký chạy xe ôm công nghệ?")
    assert not reply.abstained and "18" in reply.answer, reply.answer
