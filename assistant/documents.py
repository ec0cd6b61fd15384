"""PDF and Word (.docx) articles as Markdown-ish text: ``# Heading`` lines, ``- `` list items,
paragraphs separated by blank lines, one line per table row.

PDFs are read with pdfplumber (on pdfminer.six): its layout analysis keeps words whole when a
line mixes fonts (browsers print Vietnamese letters with a fallback font, where pypdf puts
spaces inside words: "ph ụ c v ụ"), gives each character's size (a line set larger than the
body text is a heading) and finds ruled tables. Bullets drawn as glyphs or as small shapes
become ``- `` items; running headers, footers and page numbers are dropped. Word files are
read with python-docx: heading styles become ``#`` lines, list paragraphs ``- `` items.

A table row becomes one line, ``Column: value; Column: value`` (each cell named by the
header above it), not a Markdown table: a row then reads as a sentence that still makes sense
when the splitter cuts it from its table, and both the search and the embeddings see the
column names next to the values. A table without a header row gives ``value; value`` lines.

A document that cannot be read raises ``Unreadable`` with a reason a user can act on
(``corpus.read_file`` turns it into a skip that names the file).
"""

from __future__ import annotations

import io
import logging
import re
import statistics
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

#: File types read by this module (the rest of the corpus is text).
DOCUMENT_EXTENSIONS = (".pdf", ".docx")
#: A line at least this much larger than the body text is a heading.
HEADING_RATIO = 1.15
#: Glyphs that start a list item (the last four: Word's Symbol and Wingdings bullets).
BULLETS = "•◦▪▫●○■□‣⁃∙·\uf0b7\uf0a7\uf076\uf0d8"
# A bullet glyph, or a dash or star followed by a space ("-5%" is not an item).
_BULLET = re.compile(rf"^(?:[{BULLETS}]\s*|[-–—*]\s+)")
_NUMBERED = re.compile(r"^(?:\d{1,2}|[a-z])[.)]\s")
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+|trang\s+)?\d{1,4}(?:\s*(?:/|of|trên)\s*\d{1,4})?$", re.IGNORECASE
)
#: Start of an OLE2 file: a .doc, or a .docx that Word encrypted with a password.
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class Unreadable(Exception):
    """A document that cannot be read; the message says why and what to do."""


def read_document(raw: bytes, suffix: str) -> tuple[str, dict[str, object]]:
    """Text and metadata (``title``, maybe ``language``) of a ``.pdf`` or ``.docx`` file.

    Raises:
        Unreadable: the file is encrypted, corrupt, or holds no text.
    """
    if suffix.lower() == ".pdf":
        return pdf_text(raw)
    if suffix.lower() == ".docx":
        return docx_text(raw)
    raise ValueError(f"not a document type: {suffix!r} (expected one of {DOCUMENT_EXTENSIONS})")


# --- PDF ----------------------------------------------------------------------------------
@dataclass
class _Block:
    """A paragraph, list item, heading candidate or table of a PDF page."""

    kind: str  # "text", "item" or "table"
    text: str
    size: float  # font size of most of its characters
    page: int
    x0: float = 0.0  # left edge
    lines: int = 1
    margin: bool = False  # in the top or bottom 8% of the page, where running lines are


def pdf_text(raw: bytes) -> tuple[str, dict[str, object]]:
    """Markdown-ish text of a PDF, and its title and language when the file states them.

    Raises:
        Unreadable: a password is needed, the file is not a readable PDF, or it has no text
            layer (a scan).
    """
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    quiet = logging.getLogger("pdfminer")
    if quiet.level == logging.NOTSET:
        # pdfminer warns about fonts it reads anyway ("Could not get FontBBox"): noise to
        # someone indexing articles, who can do nothing about it. A level set by hand wins.
        quiet.setLevel(logging.ERROR)
    meta: dict[str, object] = {}
    pages: list[list[_Block]] = []
    try:
        # all_texts: text inside form XObjects (what browsers print with opacity, or SVG
        # text) is laid out too; without it such a page reads as empty.
        with pdfplumber.open(io.BytesIO(raw), laparams={"all_texts": True}) as pdf:
            title = _clean_title(str(pdf.metadata.get("Title") or ""))
            if title:
                meta["title"] = title
            language = _pdf_language(pdf)
            if language:
                meta["language"] = language
            for number, page in enumerate(pdf.pages):
                blocks = _page_blocks(page, number)
                if not blocks and page.chars:  # text the layout found no box for
                    text = (page.extract_text() or "").strip()
                    blocks = [_Block("text", t, 0.0, number) for t in text.split("\n") if t]
                pages.append(blocks)
                page.close()  # frees the page's parsed objects: long PDFs stay small
    except PdfminerException as e:
        cause = e.args[0] if e.args else e
        if isinstance(cause, PDFPasswordIncorrect):
            raise Unreadable(
                "a password-protected PDF; open it with its password, save a "
                "copy without one (or print it to PDF) and add that"
            ) from e
        raise Unreadable(
            f"not a readable PDF ({_describe(cause)}); if it opens in a "
            "PDF viewer, print it to a new PDF and add that"
        ) from e
    except Exception as e:  # noqa: BLE001 - pdfminer raises many kinds on a damaged file
        log.debug("pdfplumber failed on a PDF", exc_info=True)
        raise Unreadable(
            f"not a readable PDF ({_describe(e)}); if it opens in a PDF "
            "viewer, print it to a new PDF and add that"
        ) from e

    blocks = _drop_running_lines(pages)
    if not any(b.text.strip() for b in blocks):
        raise Unreadable(
            "a PDF without a text layer (scanned pages?); run OCR on it first, "
            "e.g. `ocrmypdf in.pdf out.pdf`, and add the result"
        )
    text = _pdf_markdown(blocks)
    if "title" not in meta:
        first = next((line for line in text.splitlines() if line.startswith("# ")), "")
        if first:
            meta["title"] = first[2:].strip()
    return text, meta


def _describe(error: BaseException) -> str:
    detail = str(error).strip().splitlines()[0][:120] if str(error).strip() else ""
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def _clean_title(title: str) -> str:
    """A document title as stated, unless it is a file name or an editor's placeholder."""
    title = re.sub(r"^Microsoft (?:Word|PowerPoint) - ", "", title.strip())
    if not title or title.lower() in {"untitled", "title", "document", "tiêu đề"}:
        return ""
    if re.search(r"\.(?:docx?|pdf|odt|rtf|indd|txt|html?)$", title, re.IGNORECASE):
        return ""
    return title


def _pdf_language(pdf: Any) -> str:
    """The /Lang of the PDF's catalog ("vi", "en-US"), without the region; "" if none."""
    try:
        from pdfminer.pdftypes import resolve1

        lang = resolve1(pdf.doc.catalog.get("Lang"))
    except Exception:  # noqa: BLE001 - a missing or odd /Lang only loses a hint
        return ""
    if isinstance(lang, bytes):
        lang = lang.decode("latin-1", "replace")
    code = str(lang or "").strip().split("-")[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else ""


def _page_blocks(page: Any, number: int) -> list[_Block]:
    """The blocks of one page, in reading order, each table in place of its cells."""
    from pdfminer.layout import LTChar, LTTextLineHorizontal

    tables = [(t.bbox, t.extract()) for t in page.find_tables()]
    emitted: set[int] = set()
    boxes = _text_boxes(page)
    # A bullet is a glyph before the text, a glyph the layout set apart in a box of its own,
    # or a small shape (browsers draw their discs and squares); the last two mark the line
    # just right of them.
    bullets = [
        (b.x1, page.height - b.y1, page.height - b.y0)
        for b in boxes
        if not b.get_text().strip(BULLETS + " \n")
    ]
    bullets += [
        (s["x1"], s["top"], s["bottom"])
        for s in (*page.curves, *page.rects)
        if 0 < s["width"] < 12 and 0 < s["height"] < 12
    ]
    blocks: list[_Block] = []
    for box in boxes:
        if not box.get_text().strip(BULLETS + " \n"):
            continue
        top, bottom = page.height - box.y1, page.height - box.y0
        centre = ((box.x0 + box.x1) / 2, (top + bottom) / 2)
        inside = next(
            (
                i
                for i, (bbox, _) in enumerate(tables)
                if bbox[0] <= centre[0] <= bbox[2] and bbox[1] <= centre[1] <= bbox[3]
            ),
            None,
        )
        if inside is not None:
            if inside not in emitted:
                emitted.add(inside)
                rows = table_lines(tables[inside][1])
                if rows:
                    blocks.append(_Block("table", "\n".join(rows), 0.0, number, len(rows)))
            continue
        lines: list[tuple[str, float, bool, float]] = []  # text, size, starts an item, x0
        for line in box:
            if not isinstance(line, LTTextLineHorizontal):
                continue
            text = line.get_text().strip()
            if not text:
                continue
            sizes = [c.size for c in line if isinstance(c, LTChar) and c.get_text().strip()]
            size = statistics.median(sizes) if sizes else 0.0
            line_top, line_bottom = page.height - line.y1, page.height - line.y0
            marked = any(
                line.x0 - 3 * max(size, 1) <= x1 <= line.x0 + 1
                and line_top - 2 <= (t + b) / 2 <= line_bottom + 2
                for x1, t, b in bullets
            )
            bullet = marked or bool(_BULLET.match(text))
            lines.append((_BULLET.sub("", text), size, bullet, line.x0))
        margin = bottom < page.height * 0.08 or top > page.height * 0.92
        for block in _group_lines(lines, number):
            block.margin = margin
            blocks.append(block)
    for i, (_, rows) in enumerate(tables):  # tables whose cells held no text box
        if i not in emitted and (cells := table_lines(rows)):
            blocks.append(_Block("table", "\n".join(cells), 0.0, number, len(cells)))
    return blocks


def _text_boxes(page: Any) -> list[Any]:
    """The text boxes of a page in reading order, those inside figures (form XObjects)
    included: pdfminer orders the page's own boxes, and puts figures after all of them; a
    figure's boxes are put back where they stand on the page (before the first box below)."""
    from pdfminer.layout import LTFigure, LTTextBoxHorizontal

    def inside(figure: Any) -> Iterator[Any]:
        for item in figure:
            if isinstance(item, LTTextBoxHorizontal):
                yield item
            elif isinstance(item, LTFigure):
                yield from inside(item)

    boxes = [b for b in page.layout if isinstance(b, LTTextBoxHorizontal)]
    drawn = [b for f in page.layout if isinstance(f, LTFigure) for b in inside(f)]
    for box in sorted(drawn, key=lambda b: (-b.y1, b.x0)):
        below = next((i for i, b in enumerate(boxes) if b.y1 < box.y1), len(boxes))
        boxes.insert(below, box)
    return boxes


def _group_lines(lines: Sequence[tuple[str, float, bool, float]], page: int) -> list[_Block]:
    """A text box's lines as a paragraph, or list items (a wrapped item keeps its lines);
    a numbered line ("1. ", "b) ") starts a paragraph of its own."""
    blocks: list[_Block] = []
    for text, size, bullet, x0 in lines:
        if bullet or not blocks or _NUMBERED.match(text):
            blocks.append(_Block("item" if bullet else "text", text, size, page, x0))
        else:
            last = blocks[-1]
            last.text = _join_line(last.text, text)
            last.lines += 1
    return blocks


def _join_line(before: str, after: str) -> str:
    """Two lines of one paragraph; a word hyphenated across them is made whole."""
    if re.search(r"\w-$", before) and after[:1].islower():
        return before[:-1] + after
    return f"{before} {after}"


def _drop_running_lines(pages: list[list[_Block]]) -> list[_Block]:
    """All blocks but page numbers, and headers and footers repeated on most pages (in the
    page margins, where a running line is; a paragraph is never dropped for its text).

    A list item's text that the layout put in a box of its own (indented under the item)
    is joined back to the item.
    """

    def key(block: _Block) -> str:
        masked = re.sub(r"\d+", "#", block.text.strip().lower())
        return f"{round(block.size)} {masked}"

    repeated: set[str] = set()
    if len(pages) >= 3:
        seen = Counter(k for page in pages for k in {key(b) for b in page if b.margin})
        repeated = {k for k, n in seen.items() if n >= max(3, len(pages) // 2) and len(k) < 120}
    kept: list[_Block] = []
    for block in (b for page in pages for b in page):
        if block.margin and (_PAGE_NUMBER.match(block.text.strip()) or key(block) in repeated):
            continue
        last = kept[-1] if kept else None
        if (
            last is not None
            and last.kind == "item"
            and block.kind == "text"
            and block.page == last.page
            and block.x0 > last.x0 + 2
            and abs(block.size - last.size) < 0.5
            and not _NUMBERED.match(block.text)
        ):
            last.text = _join_line(last.text, block.text)
            last.lines += block.lines
            continue
        kept.append(block)
    return kept


def _pdf_markdown(blocks: list[_Block]) -> str:
    """Blocks as text: larger short blocks as ``#`` headings, items as ``- `` lines."""
    weights: Counter[float] = Counter()
    for b in blocks:
        if b.kind != "table" and b.size:
            weights[round(b.size * 2) / 2] += len(b.text)
    body = weights.most_common(1)[0][0] if weights else 0.0

    def is_heading(b: _Block) -> bool:
        return (
            b.kind == "text"
            and body > 0
            and b.size >= body * HEADING_RATIO
            and len(b.text) <= 200
            and b.lines <= 3
        )

    levels = sorted({round(b.size * 2) / 2 for b in blocks if is_heading(b)}, reverse=True)
    out: list[str] = []
    previous = ""
    for b in blocks:
        if is_heading(b):
            level = min(levels.index(round(b.size * 2) / 2) + 1, 6)
            out.append(f"\n{'#' * level} {b.text}\n")
        elif b.kind == "item":
            # Items of one list stay on consecutive lines: one passage holds the list.
            out.append(f"- {b.text}" if previous == "item" else f"\n- {b.text}")
        else:
            out.append(f"\n{b.text}\n")
        previous = "item" if b.kind == "item" and not is_heading(b) else b.kind
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def table_lines(rows: Iterable[Sequence[str | None]]) -> list[str]:
    """One line per row: ``Header: value; Header: value`` under a header row, else
    ``value; value``. Empty rows and cells are left out; cells are put on one line."""
    cleaned = [[re.sub(r"\s+", " ", cell or "").strip() for cell in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return []
    header = cleaned[0]
    named = len(cleaned) > 1 and len(header) > 1 and all(header) and len(set(header)) == len(header)
    if not named:
        return ["; ".join(c for c in row if c) for row in cleaned]
    return [
        "; ".join(f"{h}: {c}" for h, c in zip(header, row, strict=False) if c)
        for row in cleaned[1:]
    ]


# --- Word ---------------------------------------------------------------------------------
def docx_text(raw: bytes) -> tuple[str, dict[str, object]]:
    """Markdown-ish text of a Word ``.docx`` file, and its title.

    Raises:
        Unreadable: the file is encrypted, an old ``.doc``, corrupt, or holds no text.
    """
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    if raw.startswith(_OLE2):
        raise Unreadable(
            "a password-protected Word file, or an old .doc renamed to .docx; "
            "open it in Word and save it as .docx without a password"
        )
    try:
        document = docx.Document(io.BytesIO(raw))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise Unreadable(
            f"not a readable Word .docx file ({_describe(e)}); open it in Word "
            "(or LibreOffice) and save it as .docx again"
        ) from e
    except Exception as e:  # noqa: BLE001 - lxml and zipfile raise many kinds on bad XML
        raise Unreadable(
            f"not a readable Word .docx file ({_describe(e)}); open it in Word "
            "(or LibreOffice) and save it as .docx again"
        ) from e

    out: list[str] = []
    first_heading = ""
    previous = ""
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = table_lines(_docx_rows(item))
            if rows:
                out.append("\n" + "\n".join(rows) + "\n")
                previous = "table"
            continue
        text = re.sub(r"[ \t]*\n[ \t]*", " ", item.text).strip()
        if not text:
            continue
        level = _heading_level(item)
        if level:
            out.append(f"\n{'#' * level} {text}\n")
            first_heading = first_heading or text
            previous = "heading"
        elif _is_list_item(item):
            out.append(f"- {text}" if previous == "item" else f"\n- {text}")
            previous = "item"
        else:
            out.append(f"\n{text}\n")
            previous = "text"
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
    if not body:
        raise Unreadable("a Word file with no text; add the article's text to it")
    meta: dict[str, object] = {}
    title = _clean_title(document.core_properties.title or "") or first_heading
    if title:
        meta["title"] = title
    return body, meta


def _docx_rows(table: Any) -> list[list[str]]:
    """The cell texts of each row; a cell merged across columns is counted once."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(cell.text)
        rows.append(cells)
    return rows


def _heading_level(paragraph: Any) -> int:
    """1-6 for a Title or Heading N paragraph (or a style based on one), else 0."""
    style = paragraph.style
    while style is not None:
        name = (style.name or "").lower()
        if name == "title":
            return 1
        match = re.fullmatch(r"heading (\d)", name)
        if match:
            return min(int(match.group(1)), 6)
        style = style.base_style
    return 0


def _is_list_item(paragraph: Any) -> bool:
    """Whether a paragraph is numbered or bulleted (directly, or by a List style)."""
    ppr = paragraph._p.pPr
    if ppr is not None and ppr.numPr is not None:
        return True
    style = paragraph.style
    while style is not None:
        if style.name and style.name.lower().startswith("list"):
            return True
        style = style.base_style
    return False
