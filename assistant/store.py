"""The storage boundary: the Chroma store, on disk (``PersistentClient``) or a server
(``HttpClient``), and each version's lexical (BM25) folder.

Only this module touches chromadb and Chroma collections: the rest of the package reads and
writes through ``Store`` (versions, the manifest) and ``IndexVersion`` (one version's
*passages* — chunks of documents — and their quotable sentences, as ``Record``). Users who want
LangChain's own search (metadata filters, MMR) get a ``langchain_chroma.Chroma`` view with
``IndexVersion.as_langchain``.

An index is a *version*: two collections, ``<prefix>-<version>-chunks`` (passages with their
embeddings) and ``<prefix>-<version>-sentences`` (sentence embeddings for extractive answers),
plus a lexical (BM25) index on local disk. A small ``<prefix>-manifest`` collection holds no
records; its metadata names the version that answers (``manifest``, a JSON ``Manifest``) and
the one before it (``previous``). A build writes a new version and then switches the manifest
in one metadata write, so readers never see a half-built index; the previous version is kept
one round so that a reader holding it keeps answering until it notices the switch.

Versions are named ``v`` + the build's start time in hexadecimal milliseconds, so names sort
by age. A version that no manifest names is either the previous one or the leftover of an
interrupted build (its vectors are reused by the next build, then it is dropped).

The index folder (``ASSISTANT_INDEX_DIR``, ``index/`` by default)::

    index/
    ├── chroma/                    the on-disk Chroma store (absent with a Chroma server)
    │   ├── chroma.sqlite3         every collection's records, metadata and write-ahead log
    │   └── <uuid>/                the HNSW files of one collection (deleted with it)
    ├── chroma.damaged/            a damaged store set aside by ``assistant index --rebuild``
    ├── lexical/
    │   └── <prefix>-<version>/    the BM25 index of one version: bm25/, ids.json, accents.json
    ├── manifest.json              a copy of the answering manifest, for people to read
    └── .build.lock                held by a running ``assistant index`` (one build at a time)

With a Chroma server (``ASSISTANT_CHROMA_HOST``) the collections live on the server and the
folder keeps only ``lexical/`` and the lock; a machine whose ``lexical/`` lacks the answering
version rebuilds it once from the passages stored on the server.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from langchain_core.documents import Document

from .config import Settings
from .errors import ConfigError, IndexDamagedError, IndexMismatchError, StoreError

if TYPE_CHECKING:
    from langchain_chroma import Chroma
    from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)

#: Bumped when the layout of a version, or what is learned into it from the corpus (terms,
#: roles, glosses), changes; part of the no-op fingerprint, so that the next build makes a
#: new version (reusing every vector).
FORMAT = 7  # 7: a numbered line of plain text heads a section (chunking._numbered_heading)
#: Records read from Chroma per request.
PAGE = 1000
#: Most records written per request, whatever more the server allows: bounds one request's
#: size (and memory) when a large batch is written.
MAX_WRITE = 5000

Kind = Literal["chunks", "sentences"]

#: The on-disk Chroma store inside the index folder, and its database file.
CHROMA_DIR = "chroma"
SQLITE_FILE = "chroma.sqlite3"
#: Where ``assistant index --rebuild`` moves a damaged store (the last one only).
DAMAGED_SUFFIX = ".damaged"
#: SQLite's messages for a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB).
_DAMAGE = ("database disk image is malformed", "file is not a database")
#: The database file each on-disk store path was opened on in this process (``file_identity``).
_opened: dict[str, tuple[int, int] | None] = {}
#: A collection's HNSW folder is named after its vector segment's id.
_SEGMENT_DIR = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]")


@dataclass(frozen=True)
class Manifest:
    """What the answering index was built with, and where it is.

    Attributes:
        version: the version whose collections answer.
        embeddings: name of the embedding model (``Settings.embeddings`` as resolved).
        dimension: length of the vectors.
        chunk_size: ``Settings.chunk_size`` at build time.
        chunk_overlap: ``Settings.chunk_overlap`` at build time.
        files: documents indexed.
        chunks: passages in the chunk collection.
        sentences: sentences in the sentence collection.
        built_at: when the version was switched in (UTC, ISO 8601).
        fingerprint: hash of every chunk and sentence id and the model; equal fingerprints
            mean an equal index, so a build that would produce the same one does nothing.
            Empty in manifests written before it was recorded.
        format: ``FORMAT`` at build time.
    """

    version: str
    embeddings: str
    dimension: int
    chunk_size: int
    chunk_overlap: int
    files: int
    chunks: int
    sentences: int
    built_at: str
    fingerprint: str = ""
    format: int = FORMAT

    def settings_text(self) -> str:
        """The settings that must match to open this index, as shown in errors."""
        return (
            f"embeddings={self.embeddings}, chunk_size={self.chunk_size}, "
            f"chunk_overlap={self.chunk_overlap}"
        )

    def check_compatible(self, settings: Settings, embeddings: str) -> None:
        """Raise IndexMismatchError when the index was built with other settings.

        Args:
            settings: the settings that want to open the index (chunking, where it is).
            embeddings: the name of the embedding model that wants to open it.
        """
        wanted = (embeddings, settings.chunk_size, settings.chunk_overlap)
        built = (self.embeddings, self.chunk_size, self.chunk_overlap)
        if wanted != built:
            raise IndexMismatchError(
                f"The index in {where(settings)} was built with {self.settings_text()}, "
                f"but the settings ask for embeddings={wanted[0]}, chunk_size={wanted[1]}, "
                f"chunk_overlap={wanted[2]}. Rebuild it with `assistant index --rebuild` "
                "(or set ASSISTANT_EMBEDDINGS / ASSISTANT_CHUNK_SIZE / "
                "ASSISTANT_CHUNK_OVERLAP back)."
            )

    def to_json(self) -> str:
        """The manifest as stored in the manifest collection's metadata."""
        return json.dumps(self.__dict__, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Read a stored manifest; unknown keys are ignored, missing optional ones default."""
        data = json.loads(text)
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def where(settings: Settings) -> str:
    """Where the index of ``settings`` is, as errors name it."""
    return (
        f"the Chroma server {settings.chroma_host}:{settings.chroma_port}"
        if settings.chroma_host
        else str(settings.index_dir)
    )


def version_age(version: str) -> int:
    """Milliseconds since the epoch at which ``version`` was started (0 if not ours)."""
    try:
        return int(version[1:], 16)
    except ValueError:
        return 0


def connect(settings: Settings) -> Any:
    """A chromadb client for the settings: a server when ``chroma_host`` is set, else disk.

    With ``chroma_token`` set, every request to the server carries
    ``Authorization: Bearer <token>`` (what a reverse proxy or Chroma's token auth expects).

    Raises:
        IndexDamagedError: the on-disk store is damaged (``assistant index --rebuild`` fixes it).
        StoreError: the server does not answer or the folder cannot be opened.
    """
    if not settings.chroma_host:
        return open_folder(settings.index_dir / CHROMA_DIR)
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    try:
        client = chromadb.HttpClient(
            host=settings.chroma_host,
            port=settings.chroma_port,
            ssl=settings.chroma_ssl,
            headers=auth_headers(settings),
            settings=ChromaSettings(anonymized_telemetry=False),
        )
        client.heartbeat()
        return client
    except Exception as e:  # chromadb raises many kinds; all mean the same to a user
        raise StoreError(
            f"Cannot open the Chroma server at {settings.chroma_host}:{settings.chroma_port}: "
            f"{e}. Check that it is reachable (start a server with "
            "`chroma run --path DIR --host 127.0.0.1 --port N`; set ASSISTANT_CHROMA_TOKEN if "
            "it asks for a token) or unset ASSISTANT_CHROMA_HOST to use the index folder."
        ) from e


def open_folder(folder: Path) -> Any:
    """A ``chromadb.PersistentClient`` on ``folder`` (made when missing), opened afresh.

    Raises:
        IndexDamagedError: ``chroma.sqlite3`` there is damaged.
        StoreError: the folder cannot be made, read or written.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    path = str(folder)
    database = folder / SQLITE_FILE
    if path in _opened and _opened[path] != file_identity(database):
        forget_client(path)  # deleted or replaced since this process opened it
    try:
        folder.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(
            path=path, settings=ChromaSettings(anonymized_telemetry=False)
        )
        _opened[path] = file_identity(database)
        return client
    except OSError as e:
        raise os_error(e, folder) from e
    except Exception as e:  # chromadb raises many kinds
        # chromadb keeps the System of a path even when it failed to start: forget it, so
        # that the next attempt (after a rebuild set the files aside) opens them again.
        forget_client(str(folder))
        if damage(e):
            raise damaged(folder, e) from e
        raise StoreError(
            f"Cannot open the index in {folder}: {e}. Check that this user may read and write "
            "it, or rebuild it with `assistant index --rebuild`."
        ) from e


def file_identity(path: Path) -> tuple[int, int] | None:
    """Which file is at ``path`` (device and inode), or None when there is none: a folder
    deleted and made again holds a new file under the same name."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def forget_client(path: str) -> None:
    """Make the next ``PersistentClient`` on ``path`` open the files on disk afresh.

    chromadb shares one System (one SQLite connection, one HNSW cache) per path in a process
    (``SharedSystemClient``) and keeps it after the files were deleted, replaced or failed to
    open. ``SharedSystemClient.clear_system_cache()`` would forget every path and give the
    other stores of the process a second System on their files; this forgets one. Clients
    made before keep working on what they opened.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    systems = getattr(SharedSystemClient, "_identifier_to_system", None)
    if not isinstance(systems, dict):  # another chromadb: forget them all
        SharedSystemClient.clear_system_cache()
        return
    systems.pop(path, None)
    getattr(SharedSystemClient, "_identifier_to_refcount", {}).pop(path, None)


def damage(error: BaseException) -> str | None:
    """SQLite's words for a damaged database file in ``error``, if they are there."""
    text = str(error)
    return next((words for words in _DAMAGE if words in text), None)


def damaged(folder: Path, error: BaseException) -> IndexDamagedError:
    """The error that names the damaged store and the command that fixes it."""
    return IndexDamagedError(
        f"The index at {folder / SQLITE_FILE} is damaged ({damage(error) or error}); "
        "rebuild it with `assistant index --rebuild`."
    )


def os_error(error: OSError, default: Path) -> StoreError:
    """A file-system error (a read-only folder, a file where a folder belongs, a full disk) as
    one line that names the path; ``default`` when the error names none."""
    path = Path(error.filename) if error.filename else default
    reason = error.strerror or str(error)
    with contextlib.suppress(OSError):
        blocking = [p for p in reversed(path.parents) if p.is_file()]
        if blocking:  # the outermost file in the way is the one to move
            path, reason = blocking[0], "a file stands where a folder belongs"
        elif not path.exists() and path.parent.is_dir():
            path = path.parent  # the folder that refused a new file
    return StoreError(
        f"Cannot use {path}: {reason}. Check that the user running `assistant` may read and "
        "write it, then run the command again."
    )


def set_aside(folder: Path) -> Path:
    """Move a damaged on-disk store to ``<folder>.damaged`` (replacing an older one there).

    The store holds only what ``assistant index`` derives from the corpus: nothing is lost
    that a rebuild does not make again, and the last damaged copy stays for a look.
    """
    aside = folder.with_name(folder.name + DAMAGED_SUFFIX)
    try:
        shutil.rmtree(aside, ignore_errors=True)
        if folder.exists():
            folder.rename(aside)
    except OSError as e:
        raise os_error(e, folder) from e
    log.warning("the damaged index store %s was moved to %s", folder, aside)
    return aside


def _folder_of(client: Any) -> Path | None:
    """The folder of an on-disk (``PersistentClient``) store; None for a server."""
    try:
        chroma = client.get_settings()
    except Exception:  # not a chromadb client (a test double) or a closed one
        return None
    if not getattr(chroma, "is_persistent", False) or not chroma.persist_directory:
        return None
    return Path(chroma.persist_directory)


def auth_headers(settings: Settings) -> dict[str, str]:
    """The HTTP headers that authenticate with the Chroma server (none without a token)."""
    if settings.chroma_token is None:
        return {}
    return {"Authorization": f"Bearer {settings.chroma_token.get_secret_value()}"}


def _not_found(error: Exception) -> bool:
    from chromadb.errors import NotFoundError

    # Older clients raised ValueError("Collection ... does not exist").
    return isinstance(error, NotFoundError) or (
        isinstance(error, ValueError) and "does not exist" in str(error)
    )


@dataclass(frozen=True)
class Record:
    """A passage (a chunk of a document) or one of its sentences, as a version stores it.

    Attributes:
        id: the record's id (a chunk's hash; ``<chunk id>:<n>`` for a sentence).
        text: the passage or the sentence.
        metadata: what the index keeps with it (``path``, ``title``, ``chunk``, ``key``...; a
            sentence's ``chunk_id``, ``n``, ``language``, ``key``).
        vector: its embedding (None when it was not read).
    """

    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    vector: np.ndarray | None = None


class IndexVersion:
    """One version of the index: its chunk and sentence collections and its BM25 folder.

    Made by ``Store.create`` (a new, empty version), ``Store.open`` (an existing one; both
    collections must be there) or ``Store.find`` (one that may be partly there: a leftover).

    Example:
        >>> version = store.open(store.manifest().version)
        >>> for document, similarity in version.nearest(embeddings.encode_query("AE"), k=3):
        ...     print(round(similarity, 3), document.metadata["path"])
    """

    def __init__(self, store: Store, name: str, chunks: Any | None, sentences: Any | None) -> None:
        self.store = store
        self.name = name
        self._collections: dict[str, Any | None] = {"chunks": chunks, "sentences": sentences}

    def __repr__(self) -> str:
        return f"IndexVersion({self.store.prefix!r}, {self.name!r})"

    @property
    def lexical_dir(self) -> Path:
        """The local folder of this version's BM25 index."""
        return self.store.lexical_root / f"{self.store.prefix}-{self.name}"

    @property
    def metadata(self) -> dict[str, Any]:
        """What the version was created with (``embeddings``, ``chunk_size``...)."""
        return dict(self._collection("chunks").metadata or {})

    # --- writing ------------------------------------------------------------------------
    def add(self, kind: Kind, records: Sequence[Record]) -> None:
        """Write records (each with its vector) into the chunk or the sentence collection."""
        if not records:
            return
        collection = self._collection(kind)
        step = self.store.max_write()
        for i in range(0, len(records), step):
            batch = records[i : i + step]
            collection.add(
                ids=[r.id for r in batch],
                embeddings=np.vstack([_vector(r) for r in batch]),
                documents=[r.text for r in batch],
                metadatas=[r.metadata for r in batch],
            )

    def delete(self, kind: Kind, ids: Iterable[str]) -> None:
        """Remove these chunks (or sentences); ids it does not hold are ignored."""
        wanted = list(ids)
        collection = self._collection(kind)
        step = self.store.max_write()
        for i in range(0, len(wanted), step):
            collection.delete(ids=wanted[i : i + step])

    # --- reading ------------------------------------------------------------------------
    def ids(self, kind: Kind) -> set[str]:
        """The ids of every chunk (or sentence) the version holds."""
        collection = self._collections[kind]
        if collection is None:
            return set()
        found: set[str] = set()
        offset = 0
        while True:
            got = collection.get(include=[], limit=PAGE * 10, offset=offset)
            found.update(got["ids"])
            offset += len(got["ids"])
            if len(got["ids"]) < PAGE * 10:
                return found

    def by_keys(self, kind: Kind, keys: Sequence[str]) -> list[Record]:
        """The chunks (or sentences) whose content key is one of ``keys``, with vectors."""
        collection = self._collections[kind]
        if collection is None or not keys:
            return []
        found: list[Record] = []
        for i in range(0, len(keys), PAGE):
            got = collection.get(
                where={"key": {"$in": list(keys[i : i + PAGE])}},
                include=["metadatas", "embeddings"],
            )
            found.extend(_records(got, False, True))
        return found

    def counts(self) -> tuple[int, int]:
        """How many chunks and sentences the version holds."""
        return (self._count("chunks"), self._count("sentences"))

    def dimension(self) -> int:
        """The length of the vectors (0 while the version holds none)."""
        got = self._collection("chunks").get(limit=1, include=["embeddings"])
        vectors = got.get("embeddings")
        return int(len(vectors[0])) if vectors is not None and len(vectors) else 0

    def records(self, kind: Kind, *, texts: bool = True, vectors: bool = False) -> Iterator[Record]:
        """Every chunk (or sentence), page by page; text and vector only when asked for.

        A collection missing from a leftover version (``Store.find``) reads as empty.
        """
        collection = self._collections[kind]
        if collection is None:
            return
        include = (
            ["metadatas"] + (["documents"] if texts else []) + (["embeddings"] if vectors else [])
        )
        offset = 0
        while True:
            got = collection.get(include=include, limit=PAGE, offset=offset)
            yield from _records(got, texts, vectors)
            offset += len(got["ids"])
            if len(got["ids"]) < PAGE:
                return

    def by_ids(self, ids: Sequence[str]) -> list[Record]:
        """The chunks with these ids, with their vectors (in no particular order)."""
        if not ids:
            return []
        got = self._collection("chunks").get(
            ids=list(ids), include=["documents", "metadatas", "embeddings"]
        )
        return list(_records(got, True, True))

    def passages_of(self, path: str) -> list[str]:
        """The text of every chunk of the document at ``path`` (in no particular order)."""
        got = self._collection("chunks").get(where={"path": path}, include=["documents"])
        return [str(t) for t in got.get("documents") or []]

    def vectors_of(self, path: str) -> list[Record]:
        """The chunks of the document at ``path``, with their vectors and without their text."""
        got = self._collection("chunks").get(where={"path": path}, include=["embeddings"])
        return list(_records(got, False, True))

    def passages_at(self, path: str, chunks: Sequence[int]) -> list[Record]:
        """The chunks numbered ``chunks`` of the document at ``path``, with their vectors."""
        if not chunks:
            return []
        got = self._collection("chunks").get(
            where={"$and": [{"path": path}, {"chunk": {"$in": list(chunks)}}]},
            include=["documents", "metadatas", "embeddings"],
        )
        return list(_records(got, True, True))

    def sentences_of(self, chunk_ids: Sequence[str]) -> list[Record]:
        """The quotable sentences of these chunks, with their vectors."""
        if not chunk_ids:
            return []
        got = self._collection("sentences").get(
            where={"chunk_id": {"$in": list(chunk_ids)}},
            include=["documents", "metadatas", "embeddings"],
        )
        return list(_records(got, True, True))

    def nearest(self, vector: np.ndarray, k: int) -> list[tuple[Document, float]]:
        """The ``k`` chunks closest to ``vector``, closest first, with cosine similarity."""
        found = self._collection("chunks").query(
            query_embeddings=[np.asarray(vector).tolist()],
            n_results=k,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (Document(page_content=text, metadata=meta or {}, id=record_id), 1.0 - float(distance))
            for text, meta, record_id, distance in zip(
                found["documents"][0],
                found["metadatas"][0],
                found["ids"][0],
                found["distances"][0],
                strict=False,
            )
            if text is not None
        ]

    def nearest_records(self, vector: np.ndarray, k: int) -> list[Record]:
        """The ``k`` chunks closest to ``vector``, closest first, with their vectors."""
        found = self._collection("chunks").query(
            query_embeddings=[np.asarray(vector).tolist()],
            n_results=k,
            include=["documents", "metadatas", "embeddings"],
        )
        first = {key: found[key][0] for key in ("ids", "documents", "metadatas", "embeddings")}
        return [r for r in _records(first, True, True) if r.text is not None]

    def as_langchain(self, embeddings: Embeddings) -> Chroma:
        """The chunk collection as a ``langchain_chroma.Chroma`` vector store (read it only):
        for metadata filters, MMR, or ``as_retriever()``."""
        from langchain_chroma import Chroma

        return Chroma(
            client=self.store.client,
            collection_name=self.store.chunks_name(self.name),
            embedding_function=embeddings,
        )

    def _collection(self, kind: Kind) -> Any:
        collection = self._collections[kind]
        if collection is None:
            raise StoreError(
                f"The index version {self.name} has no {kind} collection. "
                "Rebuild it with `assistant index --rebuild`."
            )
        return collection

    def _count(self, kind: Kind) -> int:
        collection = self._collections[kind]
        return 0 if collection is None else int(collection.count())


def _vector(record: Record) -> np.ndarray:
    if record.vector is None:
        raise ValueError(f"record {record.id} has no vector to store")
    return record.vector


def _records(got: dict[str, Any], texts: bool, vectors: bool) -> Iterator[Record]:
    """The records of one Chroma ``get`` answer."""
    metas = got.get("metadatas")
    docs = got.get("documents") if texts else None
    vecs = got.get("embeddings") if vectors else None
    for i, record_id in enumerate(got["ids"]):
        yield Record(
            record_id,
            docs[i] if docs is not None else "",
            dict((metas[i] if metas is not None else None) or {}),
            np.asarray(vecs[i], dtype=np.float32) if vecs is not None else None,
        )


class Store:
    """Versions of the index in one Chroma client, and the manifest that picks one.

    Args:
        client: a chromadb client (``connect`` makes one).
        prefix: the start of every collection name (``Settings.collection``).
        index_dir: the index folder, which holds each version's BM25 index under ``lexical/``
            (``Settings.index_dir``).

    Raises:
        ConfigError: the prefix cannot start a Chroma collection name.

    Example:
        >>> store = Store.from_settings(Settings())
        >>> store.manifest().chunks
    """

    def __init__(self, client: Any, prefix: str, index_dir: Path) -> None:
        if not _NAME.fullmatch(prefix) or len(prefix) > 200:
            raise ConfigError(
                f"ASSISTANT_COLLECTION={prefix!r} cannot name Chroma collections: use 3-200 "
                "letters, digits, '.', '_' or '-', starting and ending with a letter or digit."
            )
        self.client = client
        self.prefix = prefix
        self.index_dir = Path(index_dir)
        self._manifest_name = f"{prefix}-manifest"
        self._max_write: int | None = None
        self.chroma_dir = _folder_of(client)
        self._identity = self._file_identity()

    @classmethod
    def from_settings(cls, settings: Settings, *, rebuild: bool = False) -> Store:
        """The store the settings point at (``connect``, ``collection``, ``index_dir``).

        Args:
            settings: where the store is.
            rebuild: for ``assistant index --rebuild``: a damaged on-disk store is set aside
                (see ``set_aside``) and a new, empty one made in its place.
        """
        try:
            client = connect(settings)
        except IndexDamagedError:
            if not rebuild:
                raise
            set_aside(settings.index_dir / CHROMA_DIR)
            client = connect(settings)
        return cls(client, settings.collection, settings.index_dir)

    # --- the files on disk --------------------------------------------------------------
    def _file_identity(self) -> tuple[int, int] | None:
        return None if self.chroma_dir is None else file_identity(self.chroma_dir / SQLITE_FILE)

    def exists(self) -> bool:
        """Whether the store is there: a server, or a database file in the folder."""
        return self.chroma_dir is None or (self.chroma_dir / SQLITE_FILE).is_file()

    def replaced(self) -> bool:
        """Whether the on-disk store was deleted or replaced since this client opened it.

        After ``rm -rf index/`` and ``assistant index`` in another process (or a rebuild that
        set a damaged store aside), this client still reads the files it opened, deleted or
        not; ``reopen`` opens the ones now in the folder.
        """
        return self.chroma_dir is not None and self._file_identity() != self._identity

    def reopen(self) -> None:
        """Open the on-disk store afresh (made empty when missing): a new client on the files
        now in the folder.

        Raises:
            IndexDamagedError: the files now there are damaged.
        """
        if self.chroma_dir is None:
            return
        forget_client(str(self.chroma_dir))
        self.client = open_folder(self.chroma_dir)
        self._identity = self._file_identity()
        self._max_write = None
        log.info("opened the index store in %s again", self.chroma_dir)

    def recover(self) -> None:
        """Set a damaged on-disk store aside and open a new, empty one in its place."""
        if self.chroma_dir is None:
            raise StoreError("A Chroma server's store is repaired on the server, not here.")
        set_aside(self.chroma_dir)
        self.reopen()

    def failure(self, error: Exception, doing: str) -> StoreError:
        """``error`` raised while ``doing`` something with the store, as the error to raise:
        ``IndexDamagedError`` when SQLite says the file is damaged."""
        if self.chroma_dir is not None and damage(error):
            return damaged(self.chroma_dir, error)
        return StoreError(
            f"{doing} failed: {error}. Check that the Chroma store is reachable, or rebuild "
            "the index with `assistant index --rebuild` if this persists."
        )

    def remove_unused_files(self) -> None:
        """Delete the HNSW folders of collections that no longer exist.

        Chroma 1.5's ``delete_collection`` removes a collection's rows from ``chroma.sqlite3``
        but leaves its vector segment's folder (``<segment id>/``) on disk, so every dropped
        version used to stay there for good. A folder goes when the ``segments`` table (read
        only) names no segment with its id, as ``chromadb-ops``' ``db clean`` does. Folders
        are listed before the table is read: a segment's row is written before its folder, so
        a folder made meanwhile is never taken for an unused one.
        """
        if self.chroma_dir is None or not self.chroma_dir.is_dir():
            return
        folders = [
            p for p in self.chroma_dir.iterdir() if p.is_dir() and _SEGMENT_DIR.fullmatch(p.name)
        ]
        if not folders:
            return
        uri = (self.chroma_dir / SQLITE_FILE).resolve().as_uri() + "?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            used = {str(row[0]) for row in db.execute("SELECT id FROM segments")}
        for folder in folders:
            if folder.name not in used:
                log.info("deleting the unused vector segment folder %s", folder)
                shutil.rmtree(folder, ignore_errors=True)

    @property
    def lexical_root(self) -> Path:
        """The folder that holds one BM25 folder per version."""
        return self.index_dir / "lexical"

    # --- manifest -----------------------------------------------------------------------
    def _manifest_meta(self) -> dict[str, Any] | None:
        try:
            col = self.client.get_collection(self._manifest_name, embedding_function=None)
        except Exception as e:
            if _not_found(e):
                return None
            raise self.failure(e, f"Reading the index manifest {self._manifest_name}") from e
        return dict(col.metadata or {})

    def manifest(self) -> Manifest | None:
        """The manifest of the answering version, or None when nothing was built.

        Raises:
            StoreError: the store cannot be read (as opposed to holding no index).
        """
        text = (self._manifest_meta() or {}).get("manifest")
        return Manifest.from_json(text) if text else None

    def previous_version(self) -> str | None:
        """The version that answered before the current one (kept one round), if any."""
        return (self._manifest_meta() or {}).get("previous") or None

    def switch(self, manifest: Manifest, previous: str | None) -> None:
        """Make ``manifest`` the answering version in one metadata write."""
        meta = {"manifest": manifest.to_json(), "previous": previous or ""}
        col = self.client.get_or_create_collection(
            self._manifest_name, embedding_function=None, metadata=meta
        )
        col.modify(metadata=meta)

    def publish(self, version: IndexVersion, *, files: int, fingerprint: str = "") -> Manifest:
        """Make ``version`` the answering one; its manifest says what it holds.

        The model and chunking come from what the version was created with, the counts and
        the vector length from what it holds; the version answering until now is kept as
        ``previous`` (one round, for readers that still hold it).

        Args:
            version: a complete version (``Store.create``, then filled).
            files: the documents it was built from.
            fingerprint: the hash of its content (``indexing.fingerprint``), or "".
        """
        meta = version.metadata
        chunks, sentences = version.counts()
        current = self.manifest()
        previous = (
            current.version
            if current is not None and current.version != version.name
            else self.previous_version()
        )
        manifest = Manifest(
            version=version.name,
            embeddings=str(meta.get("embeddings", "")),
            dimension=version.dimension(),
            chunk_size=int(meta.get("chunk_size", 0)),
            chunk_overlap=int(meta.get("chunk_overlap", 0)),
            files=files,
            chunks=chunks,
            sentences=sentences,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            fingerprint=fingerprint,
        )
        self.switch(manifest, previous=previous)
        return manifest

    # --- versions -----------------------------------------------------------------------
    def chunks_name(self, version: str) -> str:
        """Name of the chunk collection of ``version``."""
        return f"{self.prefix}-{version}-chunks"

    def sentences_name(self, version: str) -> str:
        """Name of the sentence collection of ``version``."""
        return f"{self.prefix}-{version}-sentences"

    def create(
        self, *, embeddings: str, chunk_size: int, chunk_overlap: int, rebuild: bool = False
    ) -> IndexVersion:
        """A new, empty version (cosine space), named later than every version present.

        Args:
            embeddings: the name of the model its vectors come from.
            chunk_size: ``Settings.chunk_size`` of its passages.
            chunk_overlap: ``Settings.chunk_overlap`` of its passages.
            rebuild: made by ``assistant index --rebuild`` (whose leftovers a later rebuild
                may reuse).
        """
        name = self._new_name()
        metadata = {
            "embeddings": embeddings,
            "chunk_size": chunk_size,
            "chunk_overlap": chunk_overlap,
            "rebuild": rebuild,
            "format": FORMAT,
        }
        config = {"hnsw": {"space": "cosine"}}
        chunks, sentences = (
            self.client.create_collection(
                collection, embedding_function=None, configuration=config, metadata=metadata
            )
            for collection in (self.chunks_name(name), self.sentences_name(name))
        )
        return IndexVersion(self, name, chunks, sentences)

    def renew(self, version: str) -> IndexVersion:
        """``version`` (not the answering one) under a new name, later than every version
        present, to be brought up to date in place and published: a build that changes a few
        files rewrites those, not a copy of the whole index. Its BM25 folder goes (it is
        built again)."""
        name = self._new_name()
        old = self.open(version)
        for kind, new in (
            ("chunks", self.chunks_name(name)),
            ("sentences", self.sentences_name(name)),
        ):
            old._collection(kind).modify(name=new)  # type: ignore[arg-type]
        shutil.rmtree(old.lexical_dir, ignore_errors=True)
        return self.open(name)

    def _new_name(self) -> str:
        # Later than every version present, even when the clock went back.
        current = self.manifest()
        floor = max(
            [version_age(v) for v in self.versions()]
            + [version_age(current.version) if current else 0]
        )
        return "v" + format(max(int(time.time() * 1000), floor + 1), "x")

    def open(self, version: str) -> IndexVersion:
        """The version named ``version``.

        Raises:
            StoreError: either of its collections is missing.
        """
        try:
            return IndexVersion(
                self,
                version,
                self.client.get_collection(self.chunks_name(version), embedding_function=None),
                self.client.get_collection(self.sentences_name(version), embedding_function=None),
            )
        except Exception as e:
            raise StoreError(
                f"The index version {version} named by the manifest is missing from the store "
                f"({e}). Rebuild it with `assistant index --rebuild`."
            ) from e

    def find(self, version: str) -> IndexVersion | None:
        """The version named ``version`` as far as it exists (a leftover may lack its
        sentences), or None when its chunk collection does not exist."""
        chunks = self._open_one(self.chunks_name(version))
        if chunks is None:
            return None
        return IndexVersion(self, version, chunks, self._open_one(self.sentences_name(version)))

    def _open_one(self, name: str) -> Any | None:
        """One collection by name, or None when it does not exist."""
        try:
            return self.client.get_collection(name, embedding_function=None)
        except Exception as e:
            if _not_found(e):
                return None
            raise

    def versions(self) -> dict[str, dict[str, Any]]:
        """Every version present (complete or not), with its chunk collection's metadata."""
        pattern = re.compile(re.escape(self.prefix) + r"-(v[0-9a-z]+)-(chunks|sentences)$")
        found: dict[str, dict[str, Any]] = {}
        for col in self.client.list_collections():
            name = col if isinstance(col, str) else col.name
            match = pattern.match(name)
            if match:
                meta = dict((col.metadata if not isinstance(col, str) else None) or {})
                if match.group(2) == "chunks" or match.group(1) not in found:
                    found[match.group(1)] = meta
        return found

    def drop(self, version: str) -> None:
        """Delete both collections of ``version`` (missing ones are ignored), and their files."""
        for name in (self.chunks_name(version), self.sentences_name(version)):
            try:
                self.client.delete_collection(name)
            except Exception as e:
                if not _not_found(e):
                    raise
                log.debug("collection %s already gone", name)
        self.remove_unused_files()

    def keep_only(self, keep: set[str]) -> None:
        """Drop every version but ``keep``, and their BM25 folders (failures only logged)."""
        try:
            for version in self.versions():
                if version not in keep:
                    log.info("dropping index version %s", version)
                    self.drop(version)
            self.remove_unused_files()  # also what builds before this one left behind
        except Exception as e:  # the new version answers already; leftovers go next time
            log.warning("could not drop old index versions: %s", e)
        if self.lexical_root.is_dir():
            wanted = {f"{self.prefix}-{v}" for v in keep}
            for folder in self.lexical_root.iterdir():
                if folder.name.startswith(self.prefix + "-") and folder.name not in wanted:
                    shutil.rmtree(folder, ignore_errors=True)

    def max_write(self) -> int:
        """Most records one write request may carry here."""
        if self._max_write is None:
            self._max_write = max(1, min(MAX_WRITE, self.client.get_max_batch_size()))
        return self._max_write
