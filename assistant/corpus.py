"""Read ``corpus/`` into LangChain Documents: front matter, HTML main text, PDF and Word
articles, normalisation.

A file that cannot be read (binary, not UTF-8, empty, too large, broken front matter, not a
regular file, a dangling symlink or a symlink loop, a name that is not UTF-8; a PDF that is
encrypted, damaged or scanned without a text layer; a damaged or password-protected .docx) is
skipped with a reason that names it, and a warning is logged; the rest is read. HTML pages keep
their main text: scripts, styles, navigation, headers, footers and forms are dropped. PDF and
Word files keep their headings, list items and table rows (see ``documents``).

A ``FileCache`` (``index/files.json``) lets a re-index skip what it read before: a file whose
size, modification time and inode are those recorded is taken from the cache without being
opened, as git's index, rsync and make do (see ``FileCache`` for the "racy" case).
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import logging
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from langchain_core.documents import Document

from .documents import DOCUMENT_EXTENSIONS, Unreadable, read_document, table_lines
from .errors import CorpusError
from .text import detect_language, normalize

log = logging.getLogger(__name__)

EXTENSIONS = (".md", ".markdown", ".txt", ".html", ".htm", *DOCUMENT_EXTENSIONS)
#: Files in the corpus folder that describe it rather than belong to it.
NOT_DOCUMENTS = frozenset({"readme.md", "aliases.yaml"})
ALIASES_FILE = "aliases.yaml"
MAX_FILE_BYTES = 2_000_000
#: PDF and Word files carry images and fonts: their limit is on the file, and their text is
#: held to ``MAX_FILE_BYTES`` characters like any other file's.
MAX_DOCUMENT_BYTES = 50_000_000

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


@dataclass(frozen=True)
class Skipped:
    """A corpus file that was not indexed, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class CorpusFile:
    """One readable corpus file."""

    path: str  # as shown to users: "corpus/notes/ae-en.md"
    sha256: str  # of the raw bytes: a changed file is re-indexed
    document: Document


def read_corpus(
    corpus_dir: Path,
    max_bytes: int = MAX_FILE_BYTES,
    cache: FileCache | None = None,
) -> tuple[list[CorpusFile], list[Skipped]]:
    """Read every document under ``corpus_dir``, in path order.

    Args:
        corpus_dir: the corpus folder.
        max_bytes: files (and texts of PDF and Word files) larger than this are skipped.
        cache: what the last run read; a file it still matches is not opened, and the cache
            is left holding this run's files (``FileCache.save`` writes it).

    Returns:
        The readable files and the skipped ones, each with its reason.

    Raises:
        CorpusError: the folder does not exist.
    """
    if not corpus_dir.is_dir():
        raise CorpusError(
            f"The corpus folder {corpus_dir} does not exist. Create it and add articles, "
            "or point ASSISTANT_CORPUS_DIR at the folder that holds them."
        )
    files: list[CorpusFile] = []
    skipped: list[Skipped] = []

    def skip(shown: str, reason: str) -> None:
        log.warning("skipped %s: %s", shown, reason)
        skipped.append(Skipped(shown, reason))

    def unlistable(error: OSError) -> None:
        folder = Path(error.filename) if error.filename else corpus_dir
        skip(_shown(corpus_dir, folder), f"folder cannot be read: {error.strerror or error}")

    if cache is not None:
        cache.begin(corpus_dir, max_bytes)
    for path in _walk(corpus_dir, unlistable, skip):
        shown = _shown(corpus_dir, path)
        try:
            if shown != _printable(shown):
                raise _Skip("its name is not valid UTF-8; rename it")
            if cache is None:
                files.append(read_file(path, shown, max_bytes))
                continue
            # Taken before reading: a write during the read leaves a newer time than recorded.
            info = _stat(path)
            known = cache.lookup(shown, info)
            if known is None:
                cache.read += 1
                known = read_file(path, shown, max_bytes)
            cache.keep(known, info)
            files.append(known)
        except _Skip as e:
            skip(_printable(shown), str(e))
    return files, skipped


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:  # read_file says why
        return None


class FileCache:
    """What each corpus file held when it was last read, trusted while its size, modification
    time (ns) and inode are unchanged: so a re-index opens only new and changed files.

    This is how git's index, rsync and make tell a changed file without reading it, and it
    has their blind spot: a file rewritten with the same size whose modification time is set
    back (``touch -r``, ``cp -p``, some restores) is taken as unchanged.
    ``assistant index --rebuild`` reads every file again.

    A file written in the same timestamp tick as it was read may have changed after the read
    without its time changing (git calls it "racy"). So an entry is trusted only when the
    file's time is older than the start of the scan that recorded it by ``RACY_NS`` (which
    covers coarse file-system clocks and the 2 s times of FAT); newer ones are read again on
    the next run (then they are old enough).

    The cache holds each file's hash and parsed Document (its text and metadata), so a file
    taken from it is neither read nor parsed. It is kept beside the index, written atomically
    (a temporary file renamed over it); one that is missing, unreadable, from another format,
    another corpus folder or another size limit is ignored: every file is then read.

    Example:
        >>> cache = FileCache.load(Path("index/files.json"))
        >>> files, skipped = read_corpus(Path("corpus"), cache=cache)
        >>> cache.read, cache.reused
        (1, 14)
        >>> cache.save(Path("index/files.json"))
    """

    #: Bumped when reading the same bytes gives another Document: older caches are ignored.
    FORMAT = 2
    #: Files modified this close to (or after) a scan's start are read again next time.
    RACY_NS = 2_000_000_000

    def __init__(self, entries: dict[str, dict[str, Any]] | None = None, **header: Any) -> None:
        self._old = entries or {}
        self._header = header
        self._new: dict[str, dict[str, Any]] = {}
        self._started_ns = 0
        self._trusted_before = 0
        self._reused = 0
        #: files the last ``read_corpus`` opened (skipped ones too; the rest came from the cache)
        self.read = 0

    @property
    def reused(self) -> int:
        """Files the last ``read_corpus`` took from the cache without opening them."""
        return self._reused

    @property
    def changed(self) -> bool:
        """Whether the last ``read_corpus`` opened a file or missed one the cache held (when
        not, the saved cache is still right and need not be written again)."""
        return bool(self.read) or len(self._new) != len(self._old)

    @classmethod
    def load(cls, path: Path) -> FileCache:
        """The cache saved at ``path``, or an empty one (missing, damaged, other format)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != cls.FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {cls.FORMAT}")
            if not isinstance(data.get("files"), dict) or not isinstance(data["started_ns"], int):
                raise ValueError("not a file cache")
            header = {k: data[k] for k in ("corpus", "max_bytes", "started_ns")}
            return cls(data["files"], **header)
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            log.warning("ignoring the file cache %s (every file is read again): %s", path, e)
            return cls()

    def begin(self, corpus_dir: Path, max_bytes: int) -> None:
        """Start a scan of ``corpus_dir``: entries recorded for another folder or another size
        limit are dropped."""
        corpus = str(corpus_dir.resolve())
        if self._header.get("corpus") != corpus or self._header.get("max_bytes") != max_bytes:
            self._old = {}
        self._trusted_before = int(self._header.get("started_ns", 0)) - self.RACY_NS
        self._header = {"corpus": corpus, "max_bytes": max_bytes}
        self._started_ns = time.time_ns()
        self._new = {}
        self.read = self._reused = 0

    def lookup(self, shown: str, info: os.stat_result | None) -> CorpusFile | None:
        """The file as last read, if ``info`` shows it unchanged since; else None."""
        entry = self._old.get(shown)
        if entry is None or info is None or not stat.S_ISREG(info.st_mode):
            return None
        try:
            if (entry["size"], entry["mtime_ns"], entry["ino"]) != (
                info.st_size,
                info.st_mtime_ns,
                info.st_ino,
            ) or entry["mtime_ns"] >= self._trusted_before:
                return None
            document = Document(page_content=entry["text"], metadata=dict(entry["metadata"]))
            self._reused += 1
            return CorpusFile(shown, str(entry["sha256"]), document)
        except (KeyError, TypeError, ValueError):  # a damaged entry: read the file
            return None

    def keep(self, file: CorpusFile, info: os.stat_result | None) -> None:
        """Record ``file`` as read when the file had ``info``."""
        if info is None:
            return
        self._new[file.path] = {
            "size": info.st_size,
            "mtime_ns": info.st_mtime_ns,
            "ino": info.st_ino,
            "sha256": file.sha256,
            "text": file.document.page_content,
            "metadata": file.document.metadata,
        }

    def save(self, path: Path) -> None:
        """Write the files of the last scan to ``path`` atomically.

        Raises:
            OSError: the folder cannot be written.
        """
        data = {
            "format": self.FORMAT,
            **self._header,
            "started_ns": self._started_ns,
            "files": self._new,
        }
        tmp = path.with_name(path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            tmp.replace(path)
        except BaseException:  # a full disk, Ctrl-C: leave the old cache, not a stray file
            tmp.unlink(missing_ok=True)
            raise


def _printable(text: str) -> str:
    """``text`` with undecodable bytes of a file name shown as ``\\xNN``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _walk(
    root: Path, onerror: Callable[[OSError], None], skip: Callable[[str, str], None]
) -> Iterator[Path]:
    # Symlinked folders are followed, each real folder once, so a symlink loop cannot trap it.
    seen = {os.path.realpath(root)}
    for folder, dirs, names in os.walk(root, onerror=onerror, followlinks=True):
        kept = []
        for name in sorted(d for d in dirs if not d.startswith(".")):
            real = os.path.realpath(os.path.join(folder, name))
            if real in seen:
                skip(
                    _shown(root, Path(folder) / name),
                    "a symlinked folder that is read already (a loop); not followed",
                )
                continue
            seen.add(real)
            kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            # "~$name.docx" is the lock file Word keeps beside a document it has open.
            if name.startswith((".", "~$")) or not name.lower().endswith(EXTENSIONS):
                continue
            if Path(folder) == root and name.lower() in NOT_DOCUMENTS:
                continue
            yield Path(folder) / name


def _shown(root: Path, path: Path) -> str:
    return (Path(_folder_name(root)) / path.relative_to(root)).as_posix()


@functools.lru_cache(maxsize=8)
def _folder_name(root: Path) -> str:
    """The name of the corpus folder (resolved once, not once per file)."""
    return root.resolve().name


class _Skip(Exception):
    """A reason to skip one file."""


def read_file(path: Path, shown: str, max_bytes: int = MAX_FILE_BYTES) -> CorpusFile:
    """Read one corpus file into a Document; raises ``_Skip`` with a reason when it cannot."""
    packed = path.suffix.lower() in DOCUMENT_EXTENSIONS
    limit = max(max_bytes, MAX_DOCUMENT_BYTES) if packed else max_bytes
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise _Skip("not a regular file (a pipe, socket or device)")
        if info.st_size > limit:
            raise _Skip(
                f"larger than {limit:,} bytes ({info.st_size:,}); split it into smaller files"
            )
        raw = path.read_bytes()
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise _Skip(f"a symlink loop ({e.strerror or e}); point the link at a real file") from e
        if path.is_symlink() and not path.exists():
            raise _Skip(f"a symlink to a file that does not exist ({e.strerror or e})") from e
        raise _Skip(f"cannot be read: {e.strerror or e}") from e
    if not raw.strip():
        raise _Skip("empty file")
    if packed:
        return _document_file(raw, path, shown, max_bytes)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Skip("UTF-16 text; save it as UTF-8")
    if b"\x00" in raw:
        raise _Skip("binary file (contains NUL bytes), not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _Skip(f"not UTF-8 text (bad byte at offset {e.start}); save it as UTF-8") from e

    meta: dict[str, object] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as e:
            raise _Skip(f"broken front matter: {str(e).splitlines()[0]}") from e
        if loaded is not None and not isinstance(loaded, dict):
            raise _Skip("broken front matter: expected 'key: value' lines between the --- lines")
        meta = dict(loaded or {})
        text = text[match.end() :]
    elif re.match(r"---[ \t]*\r?\n", text):
        raise _Skip("broken front matter: no closing --- line")

    if path.suffix.lower() in (".html", ".htm"):
        text, html_meta = _html_text(text)
        meta = {**html_meta, **meta}
    body = normalize(text)
    if not body:
        raise _Skip("no text after the front matter")

    return _corpus_file(raw, path, shown, body, meta)


def _document_file(raw: bytes, path: Path, shown: str, max_chars: int) -> CorpusFile:
    """A PDF or Word file: its text, with the title and language it states."""
    try:
        text, meta = read_document(raw, path.suffix)
    except Unreadable as e:
        raise _Skip(str(e)) from e
    body = normalize(text)
    if len(body) > max_chars:
        raise _Skip(
            f"more than {max_chars:,} characters of text ({len(body):,}); "
            "split it into smaller files"
        )
    return _corpus_file(raw, path, shown, body, meta)


def _corpus_file(
    raw: bytes, path: Path, shown: str, body: str, meta: dict[str, object]
) -> CorpusFile:
    """The Document of a file's text, with its metadata filled in from the text if missing."""
    title = meta.get("title") or _first_heading(body) or path.stem.replace("-", " ")
    language = str(meta.get("language") or detect_language(body[:2000])).lower()
    kind = str(meta.get("kind") or "article").lower()
    topics = meta.get("topics") or []
    document = Document(
        page_content=body,
        metadata={
            "path": shown,
            "title": normalize(str(title)),
            "language": language,
            "kind": kind,
            "source": str(meta.get("source") or ""),
            "topics": ", ".join(map(str, topics)) if isinstance(topics, list) else str(topics),
        },
    )
    return CorpusFile(shown, hashlib.sha256(raw).hexdigest(), document)


def _first_heading(body: str) -> str | None:
    for line in body.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip() or None
        if line.strip():
            return None
    return None


_DROPPED_TAGS = [
    "script",
    "style",
    "noscript",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "template",
    "button",
    "select",
    "dialog",
    "canvas",
]
_DROPPED_ROLES = ["navigation", "banner", "contentinfo", "search", "complementary", "dialog"]
_BLOCK_TAGS = [
    "p",
    "div",
    "section",
    "article",
    "main",
    "blockquote",
    "pre",
    "table",
    "tr",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "hr",
    "address",
]
#: Longest cell of an HTML table read as data (longer: a table that lays out the page).
TABLE_CELL_CHARS = 200
# Private-use characters mark paragraph and line breaks while whitespace is collapsed.
_PARA, _LINE = "\ue000", "\ue001"


def _table_rows(table: Any) -> list[list[str]]:
    """The cells of a data table, row by row (the first row names the columns), or [] for a
    table that lays out a page (one holding a table, or long text in a cell)."""
    if table.find("table") is not None:
        return []
    rows = [[c.get_text(" ", strip=True) for c in tr(["th", "td"])] for tr in table("tr")]
    if len(rows) < 2 or any(len(c) > TABLE_CELL_CHARS for r in rows for c in r):
        return []
    return rows


def _html_text(html: str) -> tuple[str, dict[str, object]]:
    """Main text of an HTML page, with headings as ``#`` lines and list items as ``-`` lines.

    Scripts, styles, navigation, headers, footers, asides, forms and hidden elements are
    dropped; ``<main>`` (or ``role="main"``, or ``<article>``) is preferred to the whole body.
    The ``<title>`` and ``<html lang>`` become the title and language.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    meta: dict[str, object] = {}
    if soup.title and soup.title.get_text(strip=True):
        meta["title"] = soup.title.get_text(" ", strip=True)
    if soup.html and soup.html.get("lang"):
        meta["language"] = str(soup.html.get("lang")).split("-")[0]
    for tag in soup(_DROPPED_TAGS):
        tag.decompose()
    for tag in soup.find_all(
        lambda t: (
            t.get("role") in _DROPPED_ROLES
            or t.has_attr("hidden")
            or t.get("aria-hidden") == "true"
        )
    ):
        tag.decompose()
    main = (
        soup.find("main")
        or soup.find(lambda t: t.get("role") == "main")
        or soup.find("article")
        or soup.body
        or soup
    )
    for table in main.find_all("table"):
        rows = _table_rows(table)
        if rows:
            # One line per row naming its columns, as a PDF's or a Word file's tables.
            table.replace_with(_PARA + _LINE.join(table_lines(rows)) + _PARA)
    for level in range(1, 7):
        for tag in main.find_all(f"h{level}"):
            tag.insert_before(_PARA + "#" * level + " ")
            tag.insert_after(_PARA)
    for tag in main.find_all("li"):
        tag.insert_before(_LINE + "- ")
        tag.insert_after(_LINE)
    for tag in main.find_all(["br", "td", "th"]):
        tag.insert_after(_LINE if tag.name == "br" else " ")
    for tag in main.find_all(_BLOCK_TAGS):
        # A paragraph inside a list item stays on the item's line.
        mark = " " if tag.find_parent("li") else _PARA
        tag.insert_before(mark)
        tag.insert_after(mark)
    text = re.sub(r"\s+", " ", main.get_text())
    text = re.sub(f"[ {_LINE}]*{_PARA}[ {_PARA}{_LINE}]*", "\n\n", text)
    text = re.sub(f" *{_LINE}[ {_LINE}]*", "\n", text)
    return text.strip(), meta
