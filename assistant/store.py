"""The Chroma store: on disk (``PersistentClient``) or a server (``HttpClient``).

An index is a *version*: two collections, ``<prefix>-<version>-chunks`` (passages with their
embeddings) and ``<prefix>-<version>-sentences`` (sentence embeddings for extractive answers),
plus a lexical (BM25) index on local disk. A small ``<prefix>-manifest`` collection names the
version that answers. A build writes a new version and then switches the manifest in one
metadata update, so readers never see a half-built index; the previous version is kept one
round so that a reader holding it keeps answering.

Only this module and ``retrieval`` import chromadb.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from .config import Settings
from .errors import StoreError

log = logging.getLogger(__name__)

FORMAT = 1


@dataclass(frozen=True)
class Manifest:
    """What the answering index was built with, and where it is."""

    version: str
    embeddings: str
    dimension: int
    chunk_size: int
    chunk_overlap: int
    files: int
    chunks: int
    sentences: int
    built_at: str
    format: int = FORMAT

    def settings_text(self) -> str:
        return (f"embeddings={self.embeddings}, chunk_size={self.chunk_size}, "
                f"chunk_overlap={self.chunk_overlap}")

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def connect(settings: Settings) -> Any:
    """A chromadb client for the settings: a server when ``chroma_host`` is set, else disk.

    Raises:
        StoreError: the server does not answer or the folder cannot be opened.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            headers = {}
            if settings.chroma_token is not None:
                headers["Authorization"] = f"Bearer {settings.chroma_token.get_secret_value()}"
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, ssl=settings.chroma_ssl,
                headers=headers, settings=chroma_settings,
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
            f"Cannot open {where}: {e}. Check that it is reachable "
            "(start the server with `chroma run --path DIR --port N`) or unset ASSISTANT_CHROMA_HOST."
        ) from e


class Store:
    """Versions of the index in one Chroma client, and the manifest that picks one."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._manifest_name = f"{prefix}-manifest"

    # --- manifest -----------------------------------------------------------------------
    def manifest(self) -> Manifest | None:
        """The manifest of the answering version, or None when nothing was built."""
        try:
            col = self.client.get_collection(self._manifest_name, embedding_function=None)
        except Exception:
            return None
        text = (col.metadata or {}).get("manifest")
        return Manifest.from_json(text) if text else None

    def previous_version(self) -> str | None:
        try:
            col = self.client.get_collection(self._manifest_name, embedding_function=None)
        except Exception:
            return None
        return (col.metadata or {}).get("previous") or None

    def switch(self, manifest: Manifest, previous: str | None) -> None:
        """Make ``manifest`` the answering version in one metadata write."""
        meta = {"manifest": manifest.to_json(), "previous": previous or ""}
        col = self.client.get_or_create_collection(
            self._manifest_name, embedding_function=None, metadata=meta
        )
        col.modify(metadata=meta)

    # --- versions -----------------------------------------------------------------------
    def chunks_name(self, version: str) -> str:
        return f"{self.prefix}-{version}-chunks"

    def sentences_name(self, version: str) -> str:
        return f"{self.prefix}-{version}-sentences"

    def create(self, version: str, metadata: dict[str, Any]) -> tuple[Any, Any]:
        """New, empty chunk and sentence collections for ``version``."""
        config = {"hnsw": {"space": "cosine"}}
        return tuple(  # type: ignore[return-value]
            self.client.create_collection(
                name, embedding_function=None, configuration=config, metadata=metadata
            )
            for name in (self.chunks_name(version), self.sentences_name(version))
        )

    def open(self, version: str) -> tuple[Any, Any]:
        """The chunk and sentence collections of ``version``."""
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

    def versions(self) -> dict[str, dict[str, Any]]:
        """Every version present, with its chunk collection's metadata."""
        pattern = re.compile(re.escape(self.prefix) + r"-(v[0-9a-z]+)-chunks$")
        found: dict[str, dict[str, Any]] = {}
        for col in self.client.list_collections():
            name = col if isinstance(col, str) else col.name
            match = pattern.match(name)
            if match:
                meta = col.metadata if not isinstance(col, str) else None
                found[match.group(1)] = dict(meta or {})
        return found

    def drop(self, version: str) -> None:
        for name in (self.chunks_name(version), self.sentences_name(version)):
            try:
                self.client.delete_collection(name)
            except Exception:  # already gone: nothing to do
                log.debug("collection %s already gone", name)
