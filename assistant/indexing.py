"""Build the index: read the corpus, split it, embed what changed, switch versions atomically.

How a build goes (``Indexer.run``):

1. Read ``corpus/`` (unreadable files are skipped with a reason; files whose size and
   modification time are those recorded in ``index/files.json`` are taken from it without
   being opened: ``corpus.FileCache``), split it into chunks and
   the chunks into quotable sentences. Every chunk and sentence gets a *key*: a hash of the
   model name and the exact text that is embedded. Equal keys share a vector.
2. If the fingerprint of the result (every chunk and sentence id, the model, ``FORMAT``)
   equals the one in the manifest, stop: nothing is written (the no-op path).
3. Create a new, empty version (``store``) and fill it in batches. A vector is taken from
   the answering version or from the leftover of an interrupted build when its key is there;
   only the rest is embedded, ``batch_size`` chunks (and their sentences) at a time, each
   batch written as soon as it is embedded. A large index (``IN_PLACE_MIN_CHUNKS``) takes
   its standby version instead, the one kept from before, which answers nothing: renamed,
   it loses the records the corpus no longer has and gains the ones it lacks, so that a
   one-file change writes that file, not a copy of the whole index.
4. Save the BM25 index of the version, check the version is complete, and switch the
   manifest to it in one write. Then drop every version but the new and the previous one.

So a build killed at any point (Ctrl-C, ``kill -9``, an exception, a full disk) leaves the
previous version answering, and loses at most one batch of embedding: the next run reads the
killed build's vectors back and embeds only what is still missing.

Why not ``langchain_core.indexing.index`` with a record manager? ``index()`` keeps *one*
vector store in step with the documents by writing into it in place (add and update, then a
cleanup that deletes stale records). A reader that queries during the run sees a mix of old
and new chunks, and a run killed between the writes and the cleanup leaves both answering,
which the swap above rules out. What makes our builds cheap is reusing *vectors* across
versions, and a ``RecordManager`` holds keys and timestamps, not vectors (langchain-core
ships only an in-memory one, too). The content-key reuse here plays the part of the record
manager; the version swap plays the part of ``cleanup="full"``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np
from langchain_text_splitters import RecursiveCharacterTextSplitter

from .chunking import embedded, passages, plain_markdown, quotable_sentences
from .config import Settings
from .corpus import CorpusFile, FileCache, Skipped, read_corpus
from .embeddings import E5Embeddings, SentenceTransformerEmbeddings
from .errors import CorpusError, IndexDamagedError, StoreError
from .lexical import LexicalIndex
from .store import (
    FORMAT,
    IndexVersion,
    Kind,
    Manifest,
    Record,
    Store,
    os_error,
    version_age,
    where,
)

log = logging.getLogger(__name__)

Embedder = E5Embeddings | SentenceTransformerEmbeddings
#: Makes a progress bar: ``(total, description) -> object with update(n) and close()``.
ProgressFactory = Callable[[int, str], Any]

#: Chunks embedded (with their sentences) and written per step; a crash loses one step.
BATCH_CHUNKS = 16
#: Chunks whose vectors are reused, written per step (nothing to embed: large steps).
PAGE = 1000
LOCK_FILE = ".build.lock"
#: What each corpus file held when last read, beside the index (``corpus.FileCache``).
FILE_CACHE = "files.json"
#: From this many chunks on, a build that changes a few files brings the standby version (the
#: previous one) up to date in place instead of copying every record into a new version:
#: copying 20,000 chunks and their sentences takes over a minute, updating a file's worth
#: well under a second. Below it, copying costs little and leaves Chroma no log behind (a
#: collection written in place keeps up to 1,000 records of log until Chroma saves its
#: vector index: a bounded few MB, small beside a large index).
IN_PLACE_MIN_CHUNKS = 2000

T = TypeVar("T")


@dataclass
class IndexReport:
    """What one ``assistant index`` run did. Counts are files, except ``chunks_embedded``.

    ``to_dict()`` is the ``assistant index --json`` output: ``added``, ``updated``,
    ``removed``, ``unchanged``, ``chunks_embedded`` and ``skipped`` (``[{"path", "reason"}]``).
    ``chunks``, ``seconds`` and ``version`` describe the index after the run.
    """

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    chunks: int = 0
    sentences_embedded: int = 0  # sentence vectors computed (for extractive answers)
    seconds: float = 0.0
    version: str = ""
    files_read: int = 0  # files opened; the others were unchanged by size and time

    def to_dict(self) -> dict[str, Any]:
        """The report as ``assistant index --json`` prints it."""
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "chunks_embedded": self.chunks_embedded,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
        }

    def summary(self) -> str:
        """One closing line for people, e.g. ``3 added, ...; 12 of 60 chunks embedded ...``."""
        files = self.added + self.updated + self.unchanged
        counts = (
            f"{files} file{'' if files == 1 else 's'}: {self.added} added, "
            f"{self.updated} updated, "
            f"{self.removed} removed, {self.unchanged} unchanged"
            + (f", {len(self.skipped)} skipped" if self.skipped else "")
        )
        if not (
            self.added
            or self.updated
            or self.removed
            or self.chunks_embedded
            or self.sentences_embedded
        ):
            return f"{counts}; the index is up to date ({self.chunks} chunks)."
        rate = (
            f" ({self.chunks_embedded / self.seconds:.1f} chunks/s)"
            if self.chunks_embedded and self.seconds > 0
            else ""
        )
        n = self.sentences_embedded
        sentences = f", and {n} sentence{'' if n == 1 else 's'}" if n else ""
        return (
            f"{counts}; {self.chunks_embedded} of {self.chunks} chunks embedded in "
            f"{self.seconds:.1f} s{rate}{sentences}."
        )


@dataclass(frozen=True)
class Chunk:
    """A passage of one file, as stored in the chunk collection."""

    id: str  # hash of the text and its metadata (path, position, file hash)
    text: str
    key: str  # hash of what is embedded, with the model: equal keys share a vector
    embed_text: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Sentence:
    """A quotable sentence of a chunk, as stored in the sentence collection."""

    id: str
    text: str
    key: str
    metadata: dict[str, Any]
    embed_text: str = ""  # what is embedded, if not ``text`` alone


def _hash(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()


def split_corpus(files: Iterable[CorpusFile], settings: Settings, model: str) -> list[Chunk]:
    """Split documents into chunks with stable ids, offsets, sections and metadata.

    What is embedded is the document's title, the section the passage stands in and the
    passage: a list item or a table row under "Salary" is then found by salary questions.
    """
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=settings.chunk_size,
        chunk_overlap=min(settings.chunk_overlap, settings.chunk_size // 2),
        separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )
    chunks: list[Chunk] = []
    for file in files:
        meta = file.document.metadata
        plain = plain_markdown(file.document.page_content)
        for n, passage in enumerate(
            passages(
                plain, str(meta["title"]), splitter, settings.chunk_size, settings.chunk_paragraphs
            )
        ):
            text = passage.text
            embed_text = embedded(str(meta["title"]), passage.section, text)
            metadata = {
                **meta,
                "chunk": n,
                "start": passage.start,
                "end": passage.start + len(text),
                "section": passage.section,
                "file_sha": file.sha256,
            }
            chunk_id = _hash(json.dumps(metadata, sort_keys=True, ensure_ascii=False), text)[:40]
            key = _hash(model, embed_text)
            chunks.append(Chunk(chunk_id, text, key, embed_text, {**metadata, "key": key}))
    return chunks


def chunk_sentences(chunks: Iterable[Chunk], model: str) -> list[Sentence]:
    """The quotable sentences of each chunk (no headings or fragments)."""
    out: list[Sentence] = []
    for chunk in chunks:
        heading = str(chunk.metadata.get("section") or "").split(" > ")[-1]
        for quotable in quotable_sentences(chunk.text, heading):
            # A list item is embedded with what it is an item of (``Quotable.context``).
            embed_text = f"{quotable.context}: {quotable.text}" if quotable.context else ""
            key = _hash(model, "sentence", embed_text or quotable.text)
            out.append(
                Sentence(
                    f"{chunk.id}:{quotable.n}",
                    quotable.text,
                    key,
                    {
                        "chunk_id": chunk.id,
                        "n": quotable.n,
                        "key": key,
                        "item": quotable.item,
                        "line": quotable.line,
                        "language": chunk.metadata["language"],
                    },
                    embed_text,
                )
            )
    return out


def _count_files(report: IndexReport, files: list[CorpusFile], before: dict[str, str]) -> None:
    """Count the files added, updated, unchanged and removed since the version whose
    ``path -> file hash`` is ``before``."""
    for file in files:
        if file.path not in before:
            report.added += 1
        elif before[file.path] != file.sha256:
            report.updated += 1
        else:
            report.unchanged += 1
    paths = {f.path for f in files}
    report.removed = sum(p not in paths for p in before)


def fingerprint(model: str, chunks: Iterable[str], sentences: Iterable[tuple[str, str]]) -> str:
    """Hash of an index's content: equal fingerprints mean an equal index.

    Args:
        model: the embedding model's name.
        chunks: every chunk's ``id=key`` (the id hashes the text and its metadata, the key
            what was embedded).
        sentences: every sentence's ``(id, key)``.
    """
    return _hash(FORMAT, model, *sorted(chunks), *sorted(f"{i}={k}" for i, k in sentences))


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Indexer:
    """Builds versions of the index from the corpus (see the module docstring).

    Args:
        settings: where the corpus and index are, and the chunking.
        embeddings: the embedding model (its ``name`` is recorded in the manifest).
        store: the Chroma store the versions live in.
        progress: makes a progress bar, or None for quiet runs.
        batch_size: chunks embedded and written per step.

    Example:
        >>> report = Indexer(settings, E5Embeddings(), Store.from_settings(settings)).run()
        >>> report.to_dict()
        {'added': 15, 'updated': 0, 'removed': 0, 'unchanged': 0, 'chunks_embedded': 56,
         'skipped': []}
    """

    def __init__(
        self,
        settings: Settings,
        embeddings: Embedder,
        store: Store,
        progress: ProgressFactory | None = None,
        batch_size: int = BATCH_CHUNKS,
    ) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.store = store
        self.progress = progress
        self.batch_size = max(1, batch_size)

    # --- the build ----------------------------------------------------------------------
    def run(self, rebuild: bool = False) -> IndexReport:
        """Bring the index up to date with the corpus; return what changed.

        Args:
            rebuild: embed everything again instead of reusing the answering version's
                vectors (needed after changing the model or the chunking).

        Raises:
            CorpusError: the corpus folder is missing or holds no readable document.
            IndexMismatchError: the index was built with another model or chunking and
                ``rebuild`` is false.
            IndexDamagedError: the on-disk store is damaged and ``rebuild`` is false (a
                rebuild sets it aside and starts afresh).
            StoreError: the store or the index folder cannot be written (the message names
                the path), or another build is running.
        """
        try:
            with self._lock():
                if self.store.replaced():  # deleted or replaced since it was opened here
                    self.store.reopen()
                return self._run(rebuild)
        except OSError as e:  # a read-only folder, a file where a folder belongs, a full disk
            raise os_error(e, self.settings.index_dir) from e

    def _run(self, rebuild: bool) -> IndexReport:
        started = time.perf_counter()
        files, skipped, files_read = self._read(rebuild)
        if not files:
            raise CorpusError(
                f"No readable document in {self.settings.corpus_dir}"
                + (f" ({len(skipped)} skipped)" if skipped else "")
                + ". Add .md, .txt or .html files (see corpus/README.md) and run again."
            )
        model = self.embeddings.name
        chunks = split_corpus(files, self.settings, model)
        sentences = chunk_sentences(chunks, model)
        content = fingerprint(
            model, (f"{c.id}={c.key}" for c in chunks), ((s.id, s.key) for s in sentences)
        )
        try:
            current = self.store.manifest()
        except IndexDamagedError:
            if not rebuild:
                raise
            self.store.recover()  # derived data: set it aside and start afresh
            current = None
        if current is not None and not rebuild:
            current.check_compatible(self.settings, model)
            if self._up_to_date(current, content):
                log.info("index is up to date (%d files, %d chunks)", len(files), len(chunks))
                return IndexReport(
                    unchanged=len(files),
                    skipped=skipped,
                    chunks=len(chunks),
                    seconds=time.perf_counter() - started,
                    version=current.version,
                    files_read=files_read,
                )

        versions = self.store.versions()
        standby = (
            self._standby(versions, current)
            if current is not None and not rebuild and current.chunks >= IN_PLACE_MIN_CHUNKS
            else None
        )
        renewed = self._renew(standby) if standby is not None else None
        if renewed is not None and current is not None:
            target = renewed
            log.info("bringing index version %s up to date as %s", standby, target.name)
            report = IndexReport(
                skipped=skipped, chunks=len(chunks), version=target.name, files_read=files_read
            )
            return self._update(target, current, files, chunks, sentences, content, report, started)
        target = self.store.create(
            embeddings=model,
            chunk_size=self.settings.chunk_size,
            chunk_overlap=self.settings.chunk_overlap,
            rebuild=rebuild,
        )
        version = target.name
        log.info("building index version %s from %d files", version, len(files))

        chunk_cache: dict[str, np.ndarray] = {}
        sentence_cache: dict[str, np.ndarray] = {}
        chunk_keys = {c.key for c in chunks}
        sentence_keys = {s.key for s in sentences}
        previous_files: dict[str, str] = {}
        if current is not None:
            reuse = not rebuild and current.embeddings == model
            self._scan(
                current.version,
                "chunks",
                chunk_keys,
                chunk_cache,
                files=previous_files,
                vectors=reuse,
            )
            if reuse:
                self._scan(current.version, "sentences", sentence_keys, sentence_cache)
        for leftover in self._leftovers(versions, current, rebuild, model):
            log.info("reusing the vectors of the interrupted build %s", leftover)
            self._scan(leftover, "chunks", chunk_keys, chunk_cache)
            self._scan(leftover, "sentences", sentence_keys, sentence_cache)

        report = IndexReport(
            skipped=skipped, chunks=len(chunks), version=version, files_read=files_read
        )
        _count_files(report, files, previous_files)

        before = len(sentence_cache)
        report.chunks_embedded = self._fill(target, chunks, sentences, chunk_cache, sentence_cache)
        report.sentences_embedded = len(sentence_cache) - before
        manifest = self._finish(target, current, files, chunks, sentences, content, report, started)
        if len(chunks) >= IN_PLACE_MIN_CHUNKS:
            try:
                self._ensure_standby(manifest, chunks, sentences, chunk_cache, sentence_cache)
            except Exception as e:  # the new version answers already; the next build copies
                log.warning("could not make a standby copy of the index: %s", e)
            report.seconds = time.perf_counter() - started
        return report

    def _finish(
        self,
        target: IndexVersion,
        current: Manifest | None,
        files: list[CorpusFile],
        chunks: list[Chunk],
        sentences: list[Sentence],
        content: str,
        report: IndexReport,
        started: float,
    ) -> Manifest:
        """Save the filled version's BM25 index, check it is complete, switch to it and drop
        every version but it and the one it replaces; ``report`` gets the time taken."""
        LexicalIndex.build([c.id for c in chunks], [c.embed_text for c in chunks]).save(
            target.lexical_dir
        )
        self._check_complete(target, len(chunks), len(sentences))

        manifest = self.store.publish(target, files=len(files), fingerprint=content)
        self._write_manifest_copy(manifest)
        self.store.keep_only({target.name} | ({current.version} if current else set()))
        report.seconds = time.perf_counter() - started
        log.info(
            "indexed %d files, %d chunks (%d embedded) in %.1fs",
            len(files),
            len(chunks),
            report.chunks_embedded,
            report.seconds,
        )
        return manifest

    def _ensure_standby(
        self,
        manifest: Manifest,
        chunks: list[Chunk],
        sentences: list[Sentence],
        chunk_cache: dict[str, np.ndarray],
        sentence_cache: dict[str, np.ndarray],
    ) -> None:
        """After a full build of a large index (``manifest``, just switched to), a copy of it
        to update in place next time (unless a version kept from before can be): so that the
        first change after it is as quick as the later ones. Its vectors are all in the
        caches; nothing is embedded. An interrupted copy is a leftover the next build updates
        in place all the same."""
        if self._standby(self.store.versions(), manifest) is not None:
            return
        standby = self.store.create(
            embeddings=self.embeddings.name,
            chunk_size=self.settings.chunk_size,
            chunk_overlap=self.settings.chunk_overlap,
        )
        log.info("copying the new index into %s, to update in place next time", standby.name)
        self._fill(standby, chunks, sentences, chunk_cache, sentence_cache)
        self._check_complete(standby, len(chunks), len(sentences))

    def _files_of(self, version: IndexVersion | None) -> dict[str, str]:
        """``path -> file hash`` of the documents a version was built from."""
        files: dict[str, str] = {}
        if version is None:
            return files
        try:
            for record in version.records("chunks", texts=False):
                if "path" in record.metadata:
                    files[record.metadata["path"]] = str(record.metadata.get("file_sha", ""))
        except Exception as e:
            log.warning("could not read the files of %s: %s", version.name, e)
        return files

    def _standby(self, versions: dict[str, dict[str, Any]], current: Manifest) -> str | None:
        """The newest version other than the answering one that was made with this model,
        chunking and format (the previous one, or an interrupted build): brought up to date
        in place, it becomes the next version."""
        for version, meta in sorted(
            versions.items(), key=lambda kv: version_age(kv[0]), reverse=True
        ):
            if version != current.version and (
                meta.get("embeddings"),
                meta.get("chunk_size"),
                meta.get("chunk_overlap"),
                meta.get("format"),
            ) == (
                self.embeddings.name,
                self.settings.chunk_size,
                self.settings.chunk_overlap,
                FORMAT,
            ):
                return version
        return None

    def _renew(self, version: str) -> IndexVersion | None:
        """The standby ``version`` renamed for this build, or None (then a new one is made)
        when it cannot be (a leftover that lacks a collection)."""
        try:
            return self.store.renew(version)
        except StoreError as e:
            log.info("building a new version instead of updating %s: %s", version, e)
            return None

    def _update(
        self,
        target: IndexVersion,
        current: Manifest,
        files: list[CorpusFile],
        chunks: list[Chunk],
        sentences: list[Sentence],
        content: str,
        report: IndexReport,
        started: float,
    ) -> IndexReport:
        """Bring a standby version up to date in place (it answers nothing meanwhile): drop
        what the corpus no longer has, add what it lacks, then switch to it. Vectors come from
        the answering version by content key, or are embedded."""
        # What is there under the same id stays (an id hashes the text and where it is from;
        # what is embedded for it changes only with FORMAT, and a standby of another FORMAT
        # is not used); the rest goes.
        present = target.ids("chunks")
        held = target.ids("sentences")
        missing = [c for c in chunks if c.id not in present]
        adding = {c.id for c in missing}
        # A chunk to add is written again with all its sentences (an interrupted write may
        # have left some without their chunk).
        kept_sentences = {
            s.id for s in sentences if s.metadata["chunk_id"] not in adding and s.id in held
        }
        kept = {c.id for c in chunks} - adding
        target.delete("sentences", [i for i in held if i not in kept_sentences])
        target.delete("chunks", [i for i in present if i not in kept])

        chunk_cache: dict[str, np.ndarray] = {}
        sentence_cache: dict[str, np.ndarray] = {}
        answering = self.store.find(current.version)
        if answering is not None and missing:
            keys = sorted({c.key for c in missing})
            for record in answering.by_keys("chunks", keys):
                if record.vector is not None:
                    chunk_cache.setdefault(str(record.metadata.get("key")), record.vector)
            sentence_keys = sorted({s.key for s in sentences if s.metadata["chunk_id"] in adding})
            for record in answering.by_keys("sentences", sentence_keys):
                if record.vector is not None:
                    sentence_cache.setdefault(str(record.metadata.get("key")), record.vector)

        _count_files(report, files, self._files_of(answering))

        before = len(sentence_cache)
        adding_sentences = [s for s in sentences if s.metadata["chunk_id"] in adding]
        report.chunks_embedded = self._fill(
            target, missing, adding_sentences, chunk_cache, sentence_cache
        )
        report.sentences_embedded = len(sentence_cache) - before
        self._finish(target, current, files, chunks, sentences, content, report, started)
        return report

    def _read(self, rebuild: bool) -> tuple[list[CorpusFile], list[Skipped], int]:
        """Read the corpus, opening only the files changed since the last run (all of them on
        ``rebuild``); returns the files, the skipped ones and how many files were opened.

        The cache only says what the files hold, whatever became of the build, so it is
        saved at once; failing to save it costs the next run time, not correctness.
        """
        path = self.settings.index_dir / FILE_CACHE
        cache = FileCache() if rebuild else FileCache.load(path)
        files, skipped = read_corpus(self.settings.corpus_dir, cache=cache)
        log.info("read %d files; %d unchanged since the last run", cache.read, cache.reused)
        try:
            if cache.changed:
                path.parent.mkdir(parents=True, exist_ok=True)
                cache.save(path)
        except OSError as e:
            log.warning("could not save the file cache %s: %s", path, e)
        return files, skipped, cache.read

    def _up_to_date(self, current: Manifest, content: str) -> bool:
        """Whether the answering version already holds exactly this content."""
        if current.fingerprint:
            same = current.fingerprint == content
        else:  # a manifest from before fingerprints were recorded: compute it from the store
            same = self._stored_fingerprint(current) == content
            if same:
                self.store.switch(
                    replace(current, fingerprint=content), previous=self.store.previous_version()
                )
        # A version named by the manifest but gone from the store is rebuilt, not trusted.
        return same and self.store.find(current.version) is not None

    def _stored_fingerprint(self, manifest: Manifest) -> str | None:
        try:
            version = self.store.open(manifest.version)
            chunks = list(version.records("chunks", texts=False))
            sentences = list(version.records("sentences", texts=False))
        except Exception as e:  # unreadable: not up to date
            log.info("cannot fingerprint version %s: %s", manifest.version, e)
            return None
        return fingerprint(
            manifest.embeddings,
            (f"{r.id}={r.metadata.get('key', '')}" for r in chunks),
            ((r.id, r.metadata.get("key", "")) for r in sentences),
        )

    def _scan(
        self,
        version: str,
        kind: Kind,
        keys: set[str],
        cache: dict[str, np.ndarray],
        files: dict[str, str] | None = None,
        vectors: bool = True,
    ) -> None:
        """Put the vectors of ``version``'s chunks (or sentences) whose key is in ``keys`` into
        ``cache``.

        With ``files``, also collect the ``path -> file hash`` of its chunks. A missing or
        unreadable collection is only a lost cache.
        """
        try:
            found = self.store.find(version)
            if found is None:
                return
            for record in found.records(kind, texts=False, vectors=vectors):
                meta = record.metadata
                if files is not None and "path" in meta:
                    files[meta["path"]] = str(meta.get("file_sha", ""))
                key = meta.get("key")
                if vectors and key in keys and key not in cache and record.vector is not None:
                    cache[key] = record.vector
        except Exception as e:
            log.warning("could not reuse the vectors of %s %s: %s", version, kind, e)

    def _leftovers(
        self,
        versions: dict[str, dict[str, Any]],
        current: Manifest | None,
        rebuild: bool,
        model: str,
    ) -> list[str]:
        """Unfinished versions whose vectors this build may reuse, newest first.

        A plain build reuses any; a ``--rebuild`` only those of an interrupted rebuild
        started after the answering version (they too were embedded from nothing).
        """
        previous = self.store.previous_version() if current is not None else None
        out = []
        for version, meta in sorted(
            versions.items(), key=lambda kv: version_age(kv[0]), reverse=True
        ):
            if meta.get("embeddings") != model or version == previous:
                continue
            if current is not None and version == current.version:
                continue
            if rebuild and not (
                meta.get("rebuild")
                and (current is None or version_age(version) > version_age(current.version))
            ):
                continue
            out.append(version)
        return out

    def _fill(
        self,
        version: IndexVersion,
        chunks: list[Chunk],
        sentences: list[Sentence],
        chunk_cache: dict[str, np.ndarray],
        sentence_cache: dict[str, np.ndarray],
    ) -> int:
        """Write every chunk and sentence into the new version; returns chunks embedded."""
        by_chunk: dict[str, list[Sentence]] = {}
        for sentence in sentences:
            by_chunk.setdefault(sentence.metadata["chunk_id"], []).append(sentence)
        ready = [c for c in chunks if c.key in chunk_cache]
        todo = [c for c in chunks if c.key not in chunk_cache]
        for batch in _batches(ready, PAGE):
            self._write(version, batch, by_chunk, chunk_cache, sentence_cache)
        if not todo:
            return 0
        embedded = 0
        files = len({c.metadata["path"] for c in todo})
        bar = self.progress(len(todo), f"Embedding {files} files") if self.progress else None
        try:
            for done, batch in enumerate(_batches(todo, self.batch_size)):
                embedded += self._embed_missing(((c.key, c.embed_text) for c in batch), chunk_cache)
                self._write(version, batch, by_chunk, chunk_cache, sentence_cache)
                log.info(
                    "embedded %d of %d new chunks into %s",
                    min(len(todo), (done + 1) * self.batch_size),
                    len(todo),
                    version.name,
                )
                if bar is not None:
                    bar.update(len(batch))
        finally:
            if bar is not None:
                bar.close()
        return embedded

    def _embed_missing(self, items: Iterable[tuple[str, str]], cache: dict[str, np.ndarray]) -> int:
        """Embed the (key, text) pairs whose key has no vector in ``cache`` yet; count them."""
        missing: dict[str, str] = {}
        for key, text in items:
            if key not in cache:
                missing.setdefault(key, text)
        if missing:
            vecs = self.embeddings.encode_passages(list(missing.values()))
            cache.update(zip(missing, vecs, strict=True))
        return len(missing)

    def _write(
        self,
        version: IndexVersion,
        batch: Sequence[Chunk],
        by_chunk: dict[str, list[Sentence]],
        chunk_cache: dict[str, np.ndarray],
        sentence_cache: dict[str, np.ndarray],
    ) -> None:
        """Embed the batch's missing sentences, then write its sentences and chunks."""
        own = [s for c in batch for s in by_chunk.get(c.id, [])]
        self._embed_missing(((s.key, s.embed_text or s.text) for s in own), sentence_cache)
        # Sentences first: a crash between the two writes then costs a chunk, not sentences.
        version.add(
            "sentences", [Record(s.id, s.text, s.metadata, sentence_cache[s.key]) for s in own]
        )
        version.add("chunks", [Record(c.id, c.text, c.metadata, chunk_cache[c.key]) for c in batch])

    def _check_complete(self, version: IndexVersion, chunks: int, sentences: int) -> None:
        stored = version.counts()
        if stored != (chunks, sentences):
            raise StoreError(
                f"The new index version {version.name} holds {stored[0]} chunks and {stored[1]} "
                f"sentences instead of {chunks} and {sentences}; the previous index still "
                "answers. Run `assistant index` again."
            )

    def _write_manifest_copy(self, manifest: Manifest) -> None:
        # For people and tools that look in index/; the store's copy is the one that counts.
        if self.settings.chroma_host:
            return
        path = self.settings.index_dir / "manifest.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(
            json.dumps(json.loads(manifest.to_json()), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        tmp.replace(path)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Hold ``index_dir/.build.lock`` so that two builds never interleave here.

        The operating system releases the lock when the process dies, even by ``kill -9``.
        """
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            yield
            return
        self.settings.index_dir.mkdir(parents=True, exist_ok=True)
        path = self.settings.index_dir / LOCK_FILE
        with open(path, "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as e:
                raise StoreError(
                    f"Another `assistant index` is updating the index in {where(self.settings)} "
                    "(it holds " + str(path) + "). Wait for it to finish, then run again."
                ) from e
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
