"""The Chroma store: on disk (``PersistentClient``) or a server (``HttpClient``).

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
    │   └── <uuid>/                the HNSW files of one collection
    ├── lexical/
    │   └── <prefix>-<version>/    the BM25 index of one version: bm25/, ids.json, accents.json
    ├── manifest.json              a copy of the answering manifest, for people to read
    └── .build.lock                held by a running ``assistant index`` (one build at a time)

With a Chroma server (``ASSISTANT_CHROMA_HOST``) the collections live on the server and the
folder keeps only ``lexical/`` and the lock; a machine whose ``lexical/`` lacks the answering
version rebuilds it once from the passages stored on the server.

Only this module and ``retrieval`` import chromadb.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from .config import Settings
from .errors import ConfigError, StoreError

log = logging.getLogger(__name__)

#: Bumped when the layout of a version changes; part of the no-op fingerprint.
FORMAT = 3

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
        return (f"embeddings={self.embeddings}, chunk_size={self.chunk_size}, "
                f"chunk_overlap={self.chunk_overlap}")

    def to_json(self) -> str:
        """The manifest as stored in the manifest collection's metadata."""
        return json.dumps(self.__dict__, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Read a stored manifest; unknown keys are ignored, missing optional ones default."""
        data = json.loads(text)
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def connect(settings: Settings) -> Any:
    """A chromadb client for the settings: a server when ``chroma_host`` is set, else disk.

    With ``chroma_token`` set, every request to the server carries
    ``Authorization: Bearer <token>`` (what a reverse proxy or Chroma's token auth expects).

    Raises:
        StoreError: the server does not answer or the folder cannot be opened.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, ssl=settings.chroma_ssl,
                headers=auth_headers(settings), settings=chroma_settings,
            )
            client.heartbeat()
            return client
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(
            path=str(settings.index_dir / "chroma"), settings=chroma_settings
        )
    except Exception as e:  # chromadb raises many kinds; all mean the same to a user
        where = (f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
                 if settings.chroma_host else f"the index folder {settings.index_dir}")
        raise StoreError(
            f"Cannot open {where}: {e}. Check that it is reachable (start a server with "
            "`chroma run --path DIR --host 127.0.0.1 --port N`; set ASSISTANT_CHROMA_TOKEN if "
            "it asks for a token) or unset ASSISTANT_CHROMA_HOST to use the index folder."
        ) from e


def auth_headers(settings: Settings) -> dict[str, str]:
    """The HTTP headers that authenticate with the Chroma server (none without a token)."""
    if settings.chroma_token is None:
        return {}
    return {"Authorization": f"Bearer {settings.chroma_token.get_secret_value()}"}


def _not_found(error: Exception) -> bool:
    from chromadb.errors import NotFoundError

    # Older clients raised ValueError("Collection ... does not exist").
    return isinstance(error, NotFoundError) or (
        isinstance(error, ValueError) and "does not exist" in str(error))


class Store:
    """Versions of the index in one Chroma client, and the manifest that picks one.

    Args:
        client: a chromadb client (``connect`` makes one).
        prefix: the start of every collection name (``Settings.collection``).

    Raises:
        ConfigError: the prefix cannot start a Chroma collection name.
    """

    def __init__(self, client: Any, prefix: str) -> None:
        if not _NAME.fullmatch(prefix) or len(prefix) > 200:
            raise ConfigError(
                f"ASSISTANT_COLLECTION={prefix!r} cannot name Chroma collections: use 3-200 "
                "letters, digits, '.', '_' or '-', starting and ending with a letter or digit."
            )
        self.client = client
        self.prefix = prefix
        self._manifest_name = f"{prefix}-manifest"

    # --- manifest -----------------------------------------------------------------------
    def _manifest_meta(self) -> dict[str, Any] | None:
        try:
            col = self.client.get_collection(self._manifest_name, embedding_function=None)
        except Exception as e:
            if _not_found(e):
                return None
            raise StoreError(f"Cannot read the index manifest {self._manifest_name}: {e}. "
                             "Check that the Chroma store is reachable.") from e
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

    # --- versions -----------------------------------------------------------------------
    def chunks_name(self, version: str) -> str:
        """Name of the chunk collection of ``version``."""
        return f"{self.prefix}-{version}-chunks"

    def sentences_name(self, version: str) -> str:
        """Name of the sentence collection of ``version``."""
        return f"{self.prefix}-{version}-sentences"

    def create(self, version: str, metadata: dict[str, Any]) -> tuple[Any, Any]:
        """New, empty chunk and sentence collections for ``version`` (cosine space)."""
        config = {"hnsw": {"space": "cosine"}}
        chunks, sentences = (
            self.client.create_collection(
                name, embedding_function=None, configuration=config, metadata=metadata
            )
            for name in (self.chunks_name(version), self.sentences_name(version))
        )
        return chunks, sentences

    def open(self, version: str) -> tuple[Any, Any]:
        """The chunk and sentence collections of ``version``.

        Raises:
            StoreError: either collection is missing.
        """
        try:
            return (
                self.client.get_collection(self.chunks_name(version), embedding_function=None),
                self.client.get_collection(self.sentences_name(version), embedding_function=None),
            )
        except Exception as e:
            raise StoreError(
                f"The index version {version} named by the manifest is missing from the store "
                f"({e}). Rebuild it with `assistant index --rebuild`."
            ) from e

    def open_one(self, name: str) -> Any | None:
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
        """Delete both collections of ``version`` (missing ones are ignored)."""
        for name in (self.chunks_name(version), self.sentences_name(version)):
            try:
                self.client.delete_collection(name)
            except Exception as e:
                if not _not_found(e):
                    raise
                log.debug("collection %s already gone", name)
