"""What the corpus holds, described for people: titles, kinds, languages, links and examples.

The chat page's intro and example questions are built from here, so they stay true when
articles are added: nothing about the corpus's subject is written into the page itself.

Read from each file's front matter (see ``corpus/README.md``):

- ``title``, ``kind`` (``article`` or ``note``), ``language`` and, for an article, ``source``
  (where it was published);
- ``examples``: questions the document answers, offered on the page as examples.

A note that quotes the title of an article (or its first words, ``"Key account executive là
gì?"``) is taken to be based on that article, so its sources can link the original. A
paragraph that opens with the corpus's general-knowledge marker (``General industry knowledge,
not from the article:``) says what it adds beyond the articles; the page shows a badge there.

Example:
    >>> catalog = Catalog.load(Path("corpus"))
    >>> catalog.examples("vi")[:2]
    >>> catalog.document("corpus/notes/glossary-en.md").based_on
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock

import yaml

from .corpus import read_corpus
from .scope import Topics
from .text import normalize

log = logging.getLogger(__name__)

#: The phrase a note puts before what it adds beyond the articles (corpus/README.md).
GENERAL_KNOWLEDGE = re.compile(
    r"(?:General industry knowledge, not from the article|"
    r"Kiến thức chung trong ngành, không có trong bài viết)(?:\s*\([^)]*\))?:\s*",
)
_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_QUOTED = re.compile(r"[\"“]([^\"”\n]{8,200})[\"”]")
LANGUAGES = ("en", "vi")


@dataclass(frozen=True)
class DocumentInfo:
    """One corpus document as a reader sees it.

    Attributes:
        path: as the sources show it (``corpus/notes/x.md``).
        title: front matter ``title`` (else the first heading).
        kind: ``article`` (published elsewhere) or ``note`` (written for this corpus).
        language: ``en`` or ``vi``.
        url: where an article was published (front matter ``source``), or "".
        examples: questions it answers (front matter ``examples``).
        based_on: for a note, the path of the article it quotes, or "".
        general: whether it adds general industry knowledge beyond the articles.
    """

    path: str
    title: str
    kind: str
    language: str
    url: str = ""
    examples: tuple[str, ...] = ()
    based_on: str = ""
    general: bool = False


@dataclass(frozen=True)
class Catalog:
    """The documents of a corpus, and the kinds of fact none of them gives.

    Attributes:
        documents: in path order.
        uncovered: topic names of ``assistant/data/topics.yaml`` that no document names, with
            their label per language (``{"pay": {"en": "pay or salaries", "vi": ...}}``).
    """

    documents: tuple[DocumentInfo, ...] = ()
    uncovered: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, corpus_dir: Path) -> Catalog:
        """The catalog of ``corpus_dir``, read once and again when a file has changed (the
        files' times and sizes are looked at, at most every ``CHECK_EVERY`` seconds)."""
        name = str(corpus_dir)
        with _lock:
            cached = _cache.get(name)
            if cached is not None and time.monotonic() - _checked.get(name, 0.0) < CHECK_EVERY:
                return cached[1]
        key = _signature(corpus_dir)
        with _lock:
            _checked[name] = time.monotonic()
            if cached is not None and cached[0] == key:
                return cached[1]
        catalog = cls.read(corpus_dir)
        with _lock:
            _cache[name] = (key, catalog)
        return catalog

    @classmethod
    def read(cls, corpus_dir: Path) -> Catalog:
        """Read ``corpus_dir`` now (a missing folder gives an empty catalog)."""
        try:
            files, _ = read_corpus(corpus_dir)
        except Exception as e:  # the page must still show, without its intro
            log.warning("cannot describe the corpus in %s: %s", corpus_dir, e)
            return cls()
        articles = {
            f.path: normalize(str(f.document.metadata.get("title", "")))
            for f in files
            if f.document.metadata.get("kind") == "article"
        }
        documents = []
        for f in files:
            meta = f.document.metadata
            body = f.document.page_content
            kind = str(meta.get("kind", "article"))
            documents.append(
                DocumentInfo(
                    path=f.path,
                    title=str(meta.get("title", "")),
                    kind=kind,
                    language=str(meta.get("language", "")),
                    url=str(meta.get("source", "")),
                    examples=_examples(corpus_dir, f.path),
                    based_on=_based_on(body, articles) if kind != "article" else "",
                    general=bool(GENERAL_KNOWLEDGE.search(body)),
                )
            )
        topics = Topics.load()
        named: set[str] = set()
        for f in files:
            named |= topics.named(
                f"{f.document.metadata.get('title', '')}\n{f.document.page_content}"
            )
        uncovered = {
            name: {lang: topics.label(name, lang) for lang in LANGUAGES}
            for name in topics.names
            if name not in named
        }
        return cls(tuple(documents), uncovered)

    def document(self, path: str) -> DocumentInfo | None:
        """The document at ``path`` (as sources give it), or None."""
        return next((d for d in self.documents if d.path == path), None)

    def in_language(self, language: str) -> list[DocumentInfo]:
        """Notes in ``language``, then every article (an article has no translation)."""
        notes = [d for d in self.documents if d.kind != "article" and d.language == language]
        return notes + [d for d in self.documents if d.kind == "article"]

    def examples(self, language: str, limit: int = 6) -> list[str]:
        """Example questions in ``language``, from the documents' ``examples``, one document
        after another so that each document is represented before any gives a second."""
        lists = [list(d.examples) for d in self.documents if d.language == language]
        picked: list[str] = []
        while any(lists) and len(picked) < limit:
            for questions in lists:
                if questions and len(picked) < limit:
                    question = questions.pop(0)
                    if question not in picked:
                        picked.append(question)
        return picked


#: Seconds between two looks at the corpus files' times and sizes.
CHECK_EVERY = 2.0
_cache: dict[str, tuple[tuple[tuple[str, float, int], ...], Catalog]] = {}
_checked: dict[str, float] = {}
_lock = Lock()


def _signature(corpus_dir: Path) -> tuple[tuple[str, float, int], ...]:
    try:
        return tuple(
            sorted(
                (str(p), p.stat().st_mtime, p.stat().st_size)
                for p in corpus_dir.rglob("*")
                if p.is_file()
            )
        )
    except OSError:
        return ()


def _examples(corpus_dir: Path, shown: str) -> tuple[str, ...]:
    """Front matter ``examples`` of the file shown as ``shown`` (read_corpus drops it)."""
    path = corpus_dir.joinpath(*Path(shown).parts[1:])
    try:
        match = _FRONT_MATTER.match(path.read_text("utf-8"))
        meta = yaml.safe_load(match.group(1)) if match else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ()
    examples = meta.get("examples") if isinstance(meta, dict) else None
    if not isinstance(examples, list):
        return ()
    return tuple(normalize(str(e)) for e in examples if str(e).strip())


def _based_on(body: str, articles: dict[str, str]) -> str:
    """The article whose title (or its start) the note quotes, or ""."""
    for quoted in _QUOTED.findall(body):
        wanted = quoted.strip().casefold()
        for path, title in articles.items():
            if title.casefold().startswith(wanted):
                return path
    return ""
