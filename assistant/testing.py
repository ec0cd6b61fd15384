"""Test doubles, part of the public API (like httpx's ``MockTransport``): build and search a
real index in a test without loading a real model.

``FakeEmbeddings`` stands where ``E5Embeddings`` does (``Indexer``, ``Searcher``,
``Assistant(embeddings=...)``) and as a LangChain ``Embeddings``. It is shaped like
langchain-core's ``DeterministicFakeEmbedding`` and langchain-chroma's test
``ConsistentFakeEmbeddings``: the same text always gets the same vector, in every process, and
vectors are L2-normalised, so cosine similarity is a dot product as with e5. Unlike those, a
vector is the normalised sum of one hash-seeded vector per word, so texts that share words are
close: a question made of a passage's words finds that passage.

Example:
    >>> from assistant import Assistant, Settings
    >>> from assistant.testing import FakeEmbeddings
    >>> bot = Assistant(Settings(index_dir=tmp_path), embeddings=FakeEmbeddings())
    >>> bot.index().chunks_embedded
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
from langchain_core.embeddings import Embeddings

__all__ = ["FakeEmbeddings"]

_WORD = re.compile(r"\w+")


class FakeEmbeddings(Embeddings):
    """Deterministic bag-of-words vectors: no model, no download, microseconds per text.

    Args:
        size: the length of the vectors (e5's 384 by default).
        name: the model name recorded in the index manifest.

    Attributes:
        passages: every text ``encode_passages`` was given, in order (what a build embedded).
    """

    def __init__(self, size: int = 384, name: str = "fake") -> None:
        self.size = size
        self.name = name
        self.passages: list[str] = []

    def vector(self, text: str) -> np.ndarray:
        """The vector of ``text``: its words' vectors summed, then L2-normalised."""
        total = np.zeros(self.size, dtype=np.float64)
        for word in _WORD.findall(text.lower()) or [""]:
            total += self._word(word)
        norm = np.linalg.norm(total)
        return (total / norm if norm else self._word("")).astype(np.float32)

    def _word(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(word.encode("utf-8")).digest()[:8], "big")
        unit = np.random.default_rng(seed).standard_normal(self.size)
        return unit / np.linalg.norm(unit)

    # --- the interface of assistant.embeddings.E5Embeddings ------------------------------
    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Passage vectors, float32, shape (len(texts), size)."""
        self.passages.extend(texts)
        return self.encode_queries(texts)

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector, float32, L2-normalised (a passage's text gets its vector)."""
        return self.vector(text)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors, float32, shape (len(texts), size)."""
        if not texts:
            return np.zeros((0, self.size), dtype=np.float32)
        return np.vstack([self.vector(t) for t in texts])

    # --- LangChain's Embeddings ------------------------------------------------------------
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_query(text).tolist()
