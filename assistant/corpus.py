"""Read ``corpus/`` into LangChain Documents: front matter, HTML main text, normalisation.

A file that cannot be read (binary, not UTF-8, empty, too large, broken front matter, a
symlink loop) is skipped with a reason that names it; the rest is read.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from langchain_core.documents import Document

from .errors import CorpusError
from .text import detect_language, normalize

log = logging.getLogger(__name__)

EXTENSIONS = (".md", ".markdown", ".txt", ".html", ".htm")
#: Files in the corpus folder that describe it rather than belong to it.
NOT_DOCUMENTS = frozenset({"readme.md", "aliases.yaml"})
ALIASES_FILE = "aliases.yaml"
MAX_FILE_BYTES = 2_000_000

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


def read_corpus(corpus_dir: Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[list[CorpusFile], list[Skipped]]:
    """Read every document under ``corpus_dir``, in path order.

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
    for path in _walk(corpus_dir):
        shown = _shown(corpus_dir, path)
        try:
            files.append(read_file(path, shown, max_bytes))
        except _Skip as e:
            log.warning("skipped %s: %s", shown, e)
            skipped.append(Skipped(shown, str(e)))
    return files, skipped


def _walk(root: Path) -> Iterator[Path]:
    # os.walk does not follow symlinked folders, so a symlink loop cannot trap it.
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith(".") or not name.lower().endswith(EXTENSIONS):
                continue
            if Path(folder) == root and name.lower() in NOT_DOCUMENTS:
                continue
            yield Path(folder) / name


def _shown(root: Path, path: Path) -> str:
    return (Path(root.resolve().name) / path.relative_to(root)).as_posix()


class _Skip(Exception):
    """A reason to skip one file."""


def read_file(path: Path, shown: str, max_bytes: int = MAX_FILE_BYTES) -> CorpusFile:
    """Read one corpus file into a Document; raises ``_Skip`` with a reason when it cannot."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _Skip(f"larger than {max_bytes:,} bytes ({size:,}); split it into smaller files")
        raw = path.read_bytes()
    except OSError as e:
        raise _Skip(f"cannot be read: {e.strerror or e}") from e
    if not raw.strip():
        raise _Skip("empty file")
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
        text = text[match.end():]
    elif text.startswith("---\n"):
        raise _Skip("broken front matter: no closing --- line")

    if path.suffix.lower() in (".html", ".htm"):
        text, html_meta = _html_text(text)
        meta = {**html_meta, **meta}
    body = normalize(text)
    if not body:
        raise _Skip("no text after the front matter")

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


def _html_text(html: str) -> tuple[str, dict[str, object]]:
    """Main text of an HTML page: no scripts, styles, navigation, headers or footers."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    meta: dict[str, object] = {}
    if soup.title and soup.title.string:
        meta["title"] = soup.title.string.strip()
    if soup.html and soup.html.get("lang"):
        meta["language"] = str(soup.html.get("lang")).split("-")[0]
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside",
                     "form", "iframe", "svg", "template"]):
        tag.decompose()
    main = soup.find("main") or soup.find("article") or soup.body or soup
    blocks = [b.get_text(" ", strip=True) for b in main.find_all(
        ["h1", "h2", "h3", "h4", "p", "li", "blockquote", "pre", "td"])]
    text = "\n\n".join(b for b in blocks if b) or main.get_text("\n", strip=True)
    return text, meta
