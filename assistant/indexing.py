"""Build the index: read the corpus, split it, embed what changed, switch versions atomically.

Incremental by default: a chunk or sentence whose text was embedded before (in the answering
version, or in a build that was interrupted) reuses that vector, so unchanged files cost no
embedding and an interrupted build resumes where it stopped. Every build writes a fresh version
and switches to it in one step (see ``store``), so a build killed at any point leaves the
previous index answering.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from langchain_text_splitters import RecursiveCharacterTextSplitter

from .config import Settings
from .corpus import CorpusFile, Skipped, read_corpus
from .embeddings import E5Embeddings, SentenceTransformerEmbeddings
from .errors import CorpusError, IndexMismatchError
from .lexical import LexicalIndex
from .store import Manifest, Store
from .text import sentences as split_sentences

log = logging.getLogger(__name__)

Embedder = E5Embeddings | SentenceTransformerEmbeddings
ProgressFactory = Callable[[int, str], Any]  # (total, description) -> object with update(n)

MIN_SENTENCE_CHARS = 20


@dataclass
class IndexReport:
    """What one ``assistant index`` run did. Counts are files, except ``chunks_embedded``."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["skipped"] = [{"path": s.path, "reason": s.reason} for s in self.skipped]
        return data


@dataclass(frozen=True)
class Chunk:
    id: str
    text: str
    key: str  # hash of what is embedded, with the model: equal keys share a vector
    embed_text: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Sentence:
    id: str
    text: str
    key: str
    metadata: dict[str, Any]


def _hash(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()


def split_corpus(files: Iterable[CorpusFile], settings: Settings, model: str) -> list[Chunk]:
    """Split documents into chunks with stable ids, offsets and metadata."""
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
        for n, piece in enumerate(splitter.split_documents([file.document])):
            start = int(piece.metadata.get("start_index", 0))
            embed_text = f"{meta['title']}\n{piece.page_content}"
            metadata = {
                **meta,
                "chunk": n,
                "start": start,
                "end": start + len(piece.page_content),
                "file_sha": file.sha256,
            }
            chunk_id = _hash(json.dumps(metadata, sort_keys=True, ensure_ascii=False),
                             piece.page_content)[:40]
            key = _hash(model, embed_text)
            chunks.append(Chunk(chunk_id, piece.page_content, key, embed_text,
                                {**metadata, "key": key}))
    return chunks


def chunk_sentences(chunks: Iterable[Chunk], model: str) -> list[Sentence]:
    """The quotable sentences of each chunk (no headings or fragments)."""
    out: list[Sentence] = []
    for chunk in chunks:
        for n, text in enumerate(split_sentences(chunk.text)):
            text = text.lstrip("-*• ").strip()
            # Headings, fragments and questions make poor answers.
            if (text.startswith("#") or text.endswith("?") or len(text) < MIN_SENTENCE_CHARS
                    or len(text.split()) < 4):
                continue
            key = _hash(model, "sentence", text)
            out.append(Sentence(f"{chunk.id}:{n}", text, key,
                                {"chunk_id": chunk.id, "n": n, "key": key,
                                 "language": chunk.metadata["language"]}))
    return out


class Indexer:
    """Builds versions of the index from the corpus.

    Args:
        settings: where the corpus and index are, and the chunking.
        embeddings: the embedding model (its ``name`` is recorded in the manifest).
        store: the Chroma store the versions live in.
        progress: makes a progress bar, or None for quiet runs.
    """

    def __init__(self, settings: Settings, embeddings: Embedder, store: Store,
                 progress: ProgressFactory | None = None) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.store = store
        self.progress = progress

    def lexical_dir(self, version: str) -> Path:
        return self.settings.index_dir / "lexical" / f"{self.store.prefix}-{version}"

    def check_compatible(self, manifest: Manifest) -> None:
        """Raise IndexMismatchError when the index was built with other settings."""
        wanted = (self.embeddings.name, self.settings.chunk_size, self.settings.chunk_overlap)
        built = (manifest.embeddings, manifest.chunk_size, manifest.chunk_overlap)
        if wanted != built:
            raise IndexMismatchError(
                f"The index in {self._where()} was built with {manifest.settings_text()}, "
                f"but the settings ask for embeddings={wanted[0]}, chunk_size={wanted[1]}, "
                f"chunk_overlap={wanted[2]}. Rebuild it with `assistant index --rebuild` "
                "(or set ASSISTANT_EMBEDDINGS / ASSISTANT_CHUNK_SIZE back)."
            )

    def _where(self) -> str:
        s = self.settings
        return f"{s.chroma_host}:{s.chroma_port}" if s.chroma_host else str(s.index_dir)

    def run(self, rebuild: bool = False) -> IndexReport:
        """Bring the index up to date with the corpus; return what changed."""
        started = time.perf_counter()
        files, skipped = read_corpus(self.settings.corpus_dir)
        if not files:
            raise CorpusError(
                f"No readable document in {self.settings.corpus_dir}"
                + (f" ({len(skipped)} skipped)" if skipped else "")
                + ". Add .md, .txt or .html files (see corpus/README.md) and run again."
            )
        model = self.embeddings.name
        chunks = split_corpus(files, self.settings, model)
        fingerprint = _hash(model, *(c.id for c in chunks))
        current = self.store.manifest()
        if current is not None and not rebuild:
            self.check_compatible(current)
            if getattr(current, "fingerprint", None) == fingerprint or (
                self._fingerprint(current) == fingerprint
                and self.lexical_dir(current.version).is_dir()
            ):
                log.info("index is up to date (%d files)", len(files))
                return IndexReport(unchanged=len(files), skipped=skipped)

        sentences = chunk_sentences(chunks, model)
        report = IndexReport(skipped=skipped)
        previous_files: dict[str, str] = {}
        chunk_cache: dict[str, np.ndarray] = {}
        sentence_cache: dict[str, np.ndarray] = {}
        versions = self.store.versions()
        for version, meta in versions.items():
            if meta.get("embeddings") != model:
                continue
            if current is not None and version == current.version:
                previous_files = self._collect(version, chunk_cache, sentence_cache,
                                               want_files=True)
            elif rebuild:
                continue
            elif current is None or version > current.version:
                # An interrupted build: its vectors let this run finish the job.
                self._collect(version, chunk_cache, sentence_cache, want_files=False)
        if rebuild:
            chunk_cache.clear()
            sentence_cache.clear()

        new_files = {f.path: f.sha256 for f in files}
        for path, sha in new_files.items():
            if path not in previous_files:
                report.added += 1
            elif previous_files[path] != sha:
                report.updated += 1
            else:
                report.unchanged += 1
        report.removed = sum(p not in new_files for p in previous_files)

        version = "v" + format(int(time.time() * 1000), "x")
        chunk_vecs = self._embed([(c.key, c.embed_text) for c in chunks], chunk_cache,
                                 f"Embedding {len(files)} files", "chunk")
        report.chunks_embedded = self._embedded_count
        sentence_vecs = self._embed([(s.key, s.text) for s in sentences], sentence_cache,
                                    "Embedding sentences", "sentence")
        dimension = int(chunk_vecs.shape[1]) if len(chunk_vecs) else 0

        collection_meta = {"embeddings": model, "chunk_size": self.settings.chunk_size,
                           "chunk_overlap": self.settings.chunk_overlap}
        chunk_col, sentence_col = self.store.create(version, collection_meta)
        self._add(chunk_col, [c.id for c in chunks], chunk_vecs, [c.text for c in chunks],
                  [c.metadata for c in chunks])
        self._add(sentence_col, [s.id for s in sentences], sentence_vecs,
                  [s.text for s in sentences], [s.metadata for s in sentences])
        LexicalIndex.build([c.id for c in chunks], [c.embed_text for c in chunks]).save(
            self.lexical_dir(version))

        manifest = Manifest(
            version=version, embeddings=model, dimension=dimension,
            chunk_size=self.settings.chunk_size, chunk_overlap=self.settings.chunk_overlap,
            files=len(files), chunks=len(chunks), sentences=len(sentences),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self.store.switch(manifest, previous=current.version if current else None)
        self._write_manifest_copy(manifest)
        self._clean(keep={version, current.version if current else version})
        log.info("indexed %d files, %d chunks (%d embedded) in %.1fs", len(files), len(chunks),
                 report.chunks_embedded, time.perf_counter() - started)
        return report

    # Chunk ids hash their text and metadata, so equal ids mean an equal index.
    def _fingerprint(self, manifest: Manifest) -> str | None:
        try:
            chunk_col, _ = self.store.open(manifest.version)
            ids = chunk_col.get(include=["metadatas"])
        except Exception:
            return None
        order = sorted(zip(ids["metadatas"], ids["ids"], strict=True),
                       key=lambda m: (m[0]["path"], m[0]["chunk"]))
        return _hash(manifest.embeddings, *(i for _, i in order))

    def _collect(self, version: str, chunk_cache: dict[str, np.ndarray],
                 sentence_cache: dict[str, np.ndarray], want_files: bool) -> dict[str, str]:
        files: dict[str, str] = {}
        try:
            chunk_col, sentence_col = self.store.open(version)
            for col, cache in ((chunk_col, chunk_cache), (sentence_col, sentence_cache)):
                got = col.get(include=["embeddings", "metadatas"])
                for meta, vec in zip(got["metadatas"], got["embeddings"], strict=True):
                    cache.setdefault(meta["key"], np.asarray(vec, dtype=np.float32))
                    if want_files and "path" in meta:
                        files[meta["path"]] = meta["file_sha"]
        except Exception as e:  # a broken leftover is only a lost cache
            log.warning("could not reuse index version %s: %s", version, e)
        return files

    _embedded_count = 0

    def _embed(self, items: list[tuple[str, str]], cache: dict[str, np.ndarray],
               description: str, unit: str) -> np.ndarray:
        todo: dict[str, str] = {}
        for key, text in items:
            if key not in cache and key not in todo:
                todo[key] = text
        self._embedded_count = len(todo)
        if todo:
            bar = self.progress(len(todo), description) if self.progress else None
            keys = list(todo)
            for i in range(0, len(keys), 64):
                batch = keys[i:i + 64]
                vecs = self.embeddings.encode_passages([todo[k] for k in batch])
                for k, v in zip(batch, vecs, strict=True):
                    cache[k] = v
                if bar is not None:
                    bar.update(len(batch))
            if bar is not None:
                bar.close()
        if not items:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([cache[key] for key, _ in items])

    def _add(self, collection: Any, ids: list[str], vecs: np.ndarray, docs: list[str],
             metas: list[dict[str, Any]]) -> None:
        step = max(1, min(5000, self.store.client.get_max_batch_size()))
        for i in range(0, len(ids), step):
            collection.add(ids=ids[i:i + step], embeddings=vecs[i:i + step],
                           documents=docs[i:i + step], metadatas=metas[i:i + step])

    def _write_manifest_copy(self, manifest: Manifest) -> None:
        # For people and tools that look in index/; the store's copy is the one that counts.
        if self.settings.chroma_host:
            return
        path = self.settings.index_dir / "manifest.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(json.loads(manifest.to_json()), indent=2, ensure_ascii=False)
                       + "\n", encoding="utf-8")
        tmp.replace(path)

    def _clean(self, keep: set[str]) -> None:
        for version in self.store.versions():
            if version not in keep:
                self.store.drop(version)
        lexical_root = self.settings.index_dir / "lexical"
        if lexical_root.is_dir():
            wanted = {self.lexical_dir(v).name for v in keep}
            for folder in lexical_root.iterdir():
                if folder.name.startswith(self.store.prefix + "-") and folder.name not in wanted:
                    shutil.rmtree(folder, ignore_errors=True)
