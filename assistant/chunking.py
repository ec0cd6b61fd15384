"""From a document's text to passages and quotable sentences.

Vocabulary (the same in every module): a *document* is one corpus file; a *passage* (stored
as a chunk) is a paragraph-sized piece of a document; a *sentence* is a quotable sentence of
a passage; a *hit* is a passage ranked for a question; a *source* is a passage an answer cites.

Articles come as Markdown with headings, lists, bold text and tables. Before splitting, the
text is made plain (``plain_markdown``): list markers, emphasis, links and code marks go, and
each table row becomes one sentence that names its columns ("Level: Junior; Salary: 10-15
triệu"), so a row quoted alone still says what its numbers are. Heading lines stay in the
plain text (they mark sections); a passage records the headings above it as its ``section``,
which is embedded with it and shown with it, so a list item under "Career path" is known to be
about the career path. Heading lines are never quoted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from .text import sentences as split_sentences
from .text import words

#: A paragraph shorter than this (a heading, a lead-in line) is joined to the next one.
SHORT_PARAGRAPH = 100
#: A sentence shorter than this (characters or four words) is a fragment: it leads the next
#: ("Brief.", "Automation Engineer / SDET." before what it says of the role). One of four
#: words or more with a number in it gives a fact however short ("Thẻ có hạn 5 năm.").
MIN_SENTENCE_CHARS = 20
#: Longest line of plain text taken as a heading (``_plain_heading``).
PLAIN_HEADING_CHARS = 80
#: What a list item starts with in plain text.
BULLET = "•"

_PARAGRAPH = re.compile(r"(?:[^\n]*\S[^\n]*(?:\n|$))+")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_TABLE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LIST_MARK = re.compile(r"^(\s*)(?:[-*+•]|\d{1,3}[.)])\s+")
#: A section's number before a plain-text heading: "2. ", "3) ".
_NUMBER_MARK = re.compile(r"^\s*(\d{1,2})([.)])\s+")
#: A label and a figure: "Lương: 6-7 triệu/tháng".
_LABELLED_FIGURE = re.compile(r"^[^:]{1,40}:\s.*\d")
#: A line that is one bold span and nothing else ("**Mức lương**", "__Pay:__").
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?P<text>[^*_\n]{2,80}?)\1\s*:?\s*$")
_QUOTE_MARK = re.compile(r"^\s*>\s?")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")


def inline_plain(text: str) -> str:
    """One line without Markdown emphasis, code marks, links or images."""
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    for _ in range(2):  # **bold *italic* inside**
        text = _EMPHASIS.sub(r"\2", text)
    return text


def _cells(line: str) -> list[str]:
    match = _TABLE_ROW.match(line)
    inner = match.group(1) if match else line.strip().strip("|")
    return [inline_plain(c.strip()) for c in inner.split("|")]


def _table_sentences(rows: list[list[str]]) -> list[str]:
    """Each body row of a table as a sentence naming its columns."""
    header, body = rows[0], rows[1:]
    out = []
    for row in body:
        pairs = [
            f"{name}: {value}" if name else value
            for name, value in zip(header, row, strict=False)
            if value
        ]
        if pairs:
            out.append("; ".join(pairs) + ".")
    return out


def plain_markdown(text: str) -> str:
    """The text with Markdown syntax turned into plain lines (headings kept as ``#`` lines).

    Plain text without Markdown comes back unchanged, line for line, but for a sentence
    wrapped over several lines, which becomes one (``_continues``).
    """
    lines = text.split("\n")
    out: list[str] = []
    level = 1  # of the last heading
    # Text that marks no heading of its own (a .txt file, a PDF's text) has plain ones.
    unmarked = not any(_HEADING.match(line) for line in lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        # A table: a row of cells, then a rule line (|---|---|), then rows.
        if _TABLE_ROW.match(line) and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
            rows = [_cells(line)]
            i += 2
            while i < len(lines) and _TABLE_ROW.match(lines[i]):
                rows.append(_cells(lines[i]))
                i += 1
            out.extend(_table_sentences(rows))
            continue
        bare = _bare_table(lines, i)
        if bare:
            # A table typed with bare pipes ("Cấp bậc | Kinh nghiệm | Lương"), a rule line
            # under its header or none.
            rows = [_cells(lines[n]) for n in range(i, i + bare) if not _TABLE_RULE.match(lines[n])]
            out.extend(_table_sentences(rows))
            i += bare
            continue
        heading = _HEADING.match(line)
        bold = _BOLD_LINE.match(line)
        if heading:
            level = len(heading.group(1))
            out.append(f"{heading.group(1)} {inline_plain(heading.group(2))}")
        elif bold and _stands_alone(lines, i) and not bold.group("text").rstrip().endswith("."):
            # A bold line on its own heads what follows, as many articles write headings.
            title = inline_plain(bold.group("text")).strip().rstrip(":")
            out.append(f"{'#' * min(6, level + 1)} {title}")
        elif unmarked and _plain_heading(lines, i):
            # Plain text (a .txt file, a PDF's text) heads its sections with short lines; the
            # first line is its title.
            first = not any(x.strip() for x in out)
            title = _NUMBER_MARK.sub("", line).strip()
            out.append(f"{'#' if first else '#' * min(6, level + 1)} {title}")
        else:
            line = _QUOTE_MARK.sub("", line)
            line = _LIST_MARK.sub(rf"\1{BULLET} ", line)
            plain = inline_plain(line)
            if _continues(out[-1] if out else "", plain):
                out[-1] = f"{out[-1].rstrip()} {plain.strip()}"  # a line wrapped mid-sentence
            else:
                out.append(plain)
        i += 1
    return "\n".join(out)


#: Rows a table typed with bare pipes has at least, its header among them.
BARE_TABLE_ROWS = 3


def _bare_table(lines: list[str], i: int) -> int:
    """How many lines from line ``i`` on are a table typed with bare pipes: lines with as
    many pipes as each other, none at their ends, a header and two rows at least (a rule
    line under the header may come between); 0 if they are none."""
    pipes = lines[i].count("|")
    if not pipes or lines[i].strip().startswith("|"):
        return 0
    rule = i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]) is not None
    n = i + 1 + rule
    while n < len(lines) and lines[n].count("|") == pipes and lines[n].strip()[:1] != "|":
        n += 1
    return n - i if n - i - rule >= BARE_TABLE_ROWS else 0


def _plain_heading(lines: list[str], i: int) -> bool:
    """Whether line ``i`` is a plain-text heading: a short line after a blank one, capitalised
    and without a stop (or a question: "Lương barista bao nhiêu?"), with more text after it
    ("Con đường thăng tiến", then its list). It may be numbered ("2. Học nghề ở đâu?") where
    it stands alone and the lines around it are no items numbered next to it."""
    line = lines[i].strip()
    numbered = _numbered_heading(lines, i)
    if numbered:
        line = _NUMBER_MARK.sub("", line)
    rest = [x for x in lines[i + 1 : i + 3] if x.strip()]
    return bool(
        line
        and (i == 0 or not lines[i - 1].strip())
        and rest
        and not _HEADING.match(rest[0])
        and len(line) <= PLAIN_HEADING_CHARS
        and line[0].isupper()
        and line[-1] not in '.!:;,…"”)'
        and (numbered or not _LIST_MARK.match(lines[i]))
        and not _TABLE_ROW.match(line)
        and ";" not in line  # a table's row ("Level: Junior; Salary: $65,000")
        and not _LABELLED_FIGURE.match(line)  # a fact ("Lương: 6-7 triệu/tháng")
    )


def _numbered_heading(lines: list[str], i: int) -> bool:
    """Whether line ``i`` is numbered as a section is: a blank line after it, and the nearest
    lines with text above and below it not numbered one before or after it (as the items of a
    list spaced out with blank lines are: "1. Gội\n\n2. Sấy")."""
    mark = _NUMBER_MARK.match(lines[i])
    if not mark or i + 1 >= len(lines) or lines[i + 1].strip():
        return False
    number, stop = int(mark.group(1)), mark.group(2)
    above = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
    below = next((lines[k] for k in range(i + 2, len(lines)) if lines[k].strip()), "")
    for near, step in ((above, -1), (below, 1)):
        other = _NUMBER_MARK.match(near)
        if other and other.group(2) == stop and int(other.group(1)) == number + step:
            return False
    return True


def _stands_alone(lines: list[str], i: int) -> bool:
    """Whether line ``i`` is a paragraph of its own, or one that leads a list."""
    before = i == 0 or not lines[i - 1].strip()
    after = i + 1 == len(lines) or not lines[i + 1].strip() or _LIST_MARK.match(lines[i + 1])
    return before and bool(after)


def _continues(before: str, line: str) -> bool:
    """Whether ``line`` goes on with the sentence ``before`` left open: a paragraph written
    over several lines ("...when you have no experience to show; later,\nemployers care...").
    Only a line starting in lower case after one that ends without a stop, so that a title
    line of a plain-text file stays apart from the line under it."""
    stripped = line.strip()
    return bool(
        before.strip()
        and stripped
        and not before.lstrip().startswith("#")
        and not stripped.startswith(BULLET)
        and stripped[0].islower()
        and before.rstrip()[-1] not in ".!?:;…"
    )


def embedded(title: str, section: str, text: str) -> str:
    """What is embedded and searched of a passage: its document's title, the headings of its
    section (when it has any), then its text."""
    heading = f"{title}\n{section}" if section else title
    return f"{heading}\n{text}"


@dataclass(frozen=True)
class Passage:
    """A passage of a document: where it starts in the plain text, its text without heading
    lines, and the headings above it (outermost first, the document's title left out)."""

    start: int
    text: str
    section: str


def paragraphs(
    text: str, splitter: RecursiveCharacterTextSplitter, chunk_size: int
) -> list[tuple[int, str]]:
    """(start, text) of each paragraph: a short one joined to the next, one longer than
    ``chunk_size`` cut between lines (a list keeps its lead-in line), a line longer than
    that by ``splitter``.

    Notes are written one idea per paragraph, so a paragraph is the unit a question should
    find; merging neighbours up to the chunk size would dilute it with the next idea.
    """
    out: list[tuple[int, str]] = []
    start: int | None = None
    for match in _PARAGRAPH.finditer(text):
        start = match.start() if start is None else start
        block = text[start : match.end()].strip()
        if len(block) < SHORT_PARAGRAPH and match.end() < len(text.rstrip()):
            continue  # joined to the next paragraph
        offset = start + (len(text[start:]) - len(text[start:].lstrip()))
        start = None
        if len(block) <= chunk_size:
            out.append((offset, block))
            continue
        out.extend(_cut_between_lines(block, offset, splitter, chunk_size))
    return out


def _cut_between_lines(
    block: str, offset: int, splitter: RecursiveCharacterTextSplitter, chunk_size: int
) -> list[tuple[int, str]]:
    """A long block as pieces of whole lines, each at most ``chunk_size`` long."""
    pieces: list[tuple[int, str]] = []
    lines = [(m.start(), m.group()) for m in re.finditer(r"[^\n]*\S[^\n]*", block)]
    first: int | None = None
    last = 0
    for at, line in lines:
        if len(line) > chunk_size:  # a line too long on its own: the splitter cuts it
            if first is not None:
                pieces.append((offset + first, block[first:last]))
                first = None
            for doc in splitter.create_documents([line]):
                pieces.append(
                    (offset + at + int(doc.metadata.get("start_index", 0)), doc.page_content)
                )
            continue
        if first is not None and at + len(line) - first > chunk_size:
            pieces.append((offset + first, block[first:last]))
            first = None
        first = at if first is None else first
        last = at + len(line)
    if first is not None:
        pieces.append((offset + first, block[first:last]))
    return pieces


def passages(
    text: str,
    title: str,
    splitter: RecursiveCharacterTextSplitter,
    chunk_size: int,
    by_paragraph: bool = True,
) -> list[Passage]:
    """The passages of a document's (plain) text, each with the section it stands in."""
    if by_paragraph:
        pieces = paragraphs(text, splitter, chunk_size)
    else:
        pieces = [
            (int(d.metadata.get("start_index", 0)), d.page_content)
            for d in splitter.create_documents([text])
        ]
    headings = [
        (m.start(), len(m.group(1)), m.group(2).strip())
        for m in re.finditer(r"^(#{1,6})[ \t]+(.*)$", text, re.MULTILINE)
    ]
    out: list[Passage] = []
    for start, piece in pieces:
        body = "\n".join(line for line in piece.split("\n") if not _HEADING.match(line)).strip()
        if not body:
            continue  # a heading alone at the end of a document
        end = start + len(piece)
        # The headings in force at the passage's last heading line, or at its start.
        stack: dict[int, str] = {}
        for at, level, name in headings:
            if at >= end:
                break
            stack = {lv: n for lv, n in stack.items() if lv < level}
            stack[level] = name
        path = [
            name
            for _, name in sorted(stack.items())
            if name.strip().lower() != title.strip().lower()
        ]
        out.append(Passage(start, body, " > ".join(path)))
    return out


@dataclass(frozen=True)
class Quotable:
    """A sentence fit to quote, with its position among the passage's sentences, whether it
    is an item of a list (or a row of a table), and the line of the passage it is on (the
    sentences of one item share it)."""

    n: int
    text: str
    item: bool = False
    line: int = 0
    #: For a list item, what it is an item of: the line that leads the list ("Nhược điểm:"),
    #: else the heading it stands under. "Áp lực chỉ tiêu bán chéo" alone is not known to be
    #: a downside of the job. Table rows name their columns and have none.
    context: str = ""


def quotable_sentences(text: str, heading: str = "") -> list[Quotable]:
    """The sentences of a passage that can be quoted: no headings or questions; a short
    fragment ("Brief.", "Typical duties include:") is quoted with the sentence it leads.
    ``heading``: the one the passage stands under (for its list items' ``context``)."""
    out: list[Quotable] = []
    lead = ""
    lines = text.split("\n")
    led = ""  # the last line outside a list, when it leads one ("Nhược điểm:")
    for n, (sentence, item, line) in enumerate(_with_items(text)):
        if not item:
            led = lines[line].strip()
            led = led[:-1] if led.endswith(":") else ""
        context = (led or heading) if item and not _ROW.match(lines[line].strip()) else ""
        sentence = sentence.lstrip("-*• ").strip()
        # Headings and questions make poor answers; a fragment is quoted with what follows.
        if sentence.startswith("#") or sentence.endswith("?"):
            lead = ""
            continue
        sentence = f"{lead} {sentence}".strip()
        if len(words(sentence)) < 4 or (
            len(sentence) < MIN_SENTENCE_CHARS and not any(c.isdigit() for c in sentence)
        ):
            lead = sentence
            continue
        lead = ""
        out.append(Quotable(n, sentence, item, line, context))
    # A line that ends with ":" right before a list leads it ("A typical day looks like
    # this:"): it is quoted with its items.
    for i in range(len(out) - 1):
        if out[i].text.endswith(":") and out[i + 1].item and out[i + 1].n == out[i].n + 1:
            out[i] = Quotable(out[i].n, out[i].text, True, out[i].line)
    return out


def _with_items(text: str) -> Iterator[tuple[str, bool, int]]:
    """Each sentence of ``text``, whether it belongs to a list item or a table row (every
    sentence of an item's line does: "CCSM: three levels. Level 1 costs $1,000." is one
    item), and its line."""
    for number, line in enumerate(text.split("\n")):
        item = line.lstrip().startswith(BULLET) or _ROW.match(line.strip()) is not None
        for sentence in split_sentences(line):
            yield sentence, item, number


#: A table row as ``plain_markdown`` writes it: "Column: value; Column: value."
_ROW = re.compile(r"^[^:;\n]{1,40}: [^;\n]+(?:; [^:;\n]{1,40}: [^;\n]+)+\.?$")
