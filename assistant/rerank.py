"""Rerankers: score (question, passage) pairs jointly, to reorder the top retrieved passages.

A reranker is optional and off by default (``ASSISTANT_RERANKER`` unset): no cross-encoder
ships its weights on PyPI, so only a user who has one (downloaded from the Hugging Face hub,
or copied onto the machine) can turn it on, with
``ASSISTANT_RERANKER=cross-encoder:<model name or folder>``.

Use it on the few best candidates of the first-stage retrieval only: a cross-encoder reads
every (question, passage) pair in full. A 6-layer MiniLM cross-encoder took about 0.1 s a pair
of 400 characters on a shared 2-core machine; a 12-layer one takes about twice that::

    reranker = make_reranker(settings.reranker)  # None when it is off
    if reranker is not None:
        scores = reranker.rerank(question, [d.page_content for d in candidates])
        candidates = [d for _, d in sorted(zip(scores, candidates), key=lambda p: -p[0])]

Importing this module, ``make_reranker`` and building a ``CrossEncoderReranker`` do not import
torch or sentence-transformers: the model is loaded on the first ``rerank`` call.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from .errors import ConfigError

log = logging.getLogger(__name__)

__all__ = ["CrossEncoderReranker", "FunctionReranker", "Reranker", "make_reranker"]

#: Pairs scored per forward pass.
_BATCH = 16
#: Spellings of "no reranker" in ``ASSISTANT_RERANKER``.
_OFF = frozenset({"", "none", "off", "false", "0", "no"})


class Reranker(ABC):
    """Scores passages for a question; a higher score means a better answer to it."""

    #: What ``ASSISTANT_RERANKER`` said, e.g. ``cross-encoder:BAAI/bge-reranker-v2-m3``.
    name: str

    @abstractmethod
    def rerank(self, question: str, passages: list[str]) -> list[float]:
        """One score per passage, in the order given (not sorted).

        Scores compare passages of one call only: their scale depends on the model.
        """


class CrossEncoderReranker(Reranker):
    """A sentence-transformers ``CrossEncoder`` (the ``[st]`` extra), loaded on first use.

    Models worth choosing (they download from the Hugging Face hub once; on an offline
    machine, download them elsewhere and give the folder):

    - ``cross-encoder/mmarco-mMiniLMv2-L12-H384-v1``: multilingual (Vietnamese and English),
      small enough for a CPU;
    - ``BAAI/bge-reranker-v2-m3``: multilingual and stronger, about 5x slower (568M
      parameters);
    - ``cross-encoder/ms-marco-MiniLM-L6-v2``: English only, the fastest.

    Example:
        >>> reranker = CrossEncoderReranker("cross-encoder/mmarco-mMiniLMv2-L12-H384-v1")
        >>> first, second = reranker.rerank(
        ...     "AE là gì?", ["AE là nhân viên phục vụ khách hàng.", "Lương tháng 13 là gì?"])
        >>> first > second
        True

    Args:
        model: A model name on the hub or a folder holding a saved CrossEncoder.
        max_length: Tokens of question and passage read together; longer pairs are cut.
    """

    def __init__(self, model: str, *, max_length: int = 512) -> None:
        self.name = f"cross-encoder:{model}"
        self._source = model
        self._max_length = max_length
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        """The loaded ``CrossEncoder`` (loaded on first use, once)."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> Any:
        try:
            from sentence_transformers import CrossEncoder
        except ImportError as e:
            raise ConfigError(
                f"ASSISTANT_RERANKER={self.name} needs sentence-transformers: run "
                "`.venv/bin/pip install -e '.[st]'`, or unset ASSISTANT_RERANKER."
            ) from e
        try:
            model = CrossEncoder(self._source, device="cpu", max_length=self._max_length)
        except (OSError, ValueError) as e:
            raise ConfigError(
                f"Cannot load the cross-encoder {self._source!r} (ASSISTANT_RERANKER): {e}. "
                "Give a folder that holds a saved CrossEncoder, or a model name this machine "
                "can download (offline, download it elsewhere and copy the folder over)."
            ) from e
        if model.num_labels != 1:
            raise ConfigError(
                f"{self._source!r} (ASSISTANT_RERANKER) gives {model.num_labels} scores per "
                "pair: it is a classifier, not a reranker. Choose a cross-encoder trained for "
                "ranking, e.g. cross-encoder/mmarco-mMiniLMv2-L12-H384-v1."
            )
        log.info("loaded the reranker %s", self._source)
        return model

    def rerank(self, question: str, passages: list[str]) -> list[float]:
        """The cross-encoder's score of each (question, passage) pair, in passage order."""
        if not passages:
            return []
        scores = self.model.predict(
            [(question, p) for p in passages],
            batch_size=_BATCH,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [float(s) for s in scores.reshape(-1)]


class FunctionReranker(Reranker):
    """Scores with a plain function of (question, passage): a test double, or a heuristic.

    Example:
        >>> by_length = FunctionReranker(lambda q, p: -len(p))
        >>> by_length.rerank("q", ["a long passage", "short"])
        [-14.0, -5.0]
    """

    def __init__(self, score: Callable[[str, str], float], name: str = "function") -> None:
        self.name = name
        self._score = score

    def rerank(self, question: str, passages: list[str]) -> list[float]:
        """``score(question, passage)`` of each passage, in passage order."""
        return [float(self._score(question, p)) for p in passages]


def make_reranker(spec: str | None) -> Reranker | None:
    """The reranker named by ``ASSISTANT_RERANKER``, or None when it is off (the default).

    Args:
        spec: ``None``, ``""`` or ``"none"`` (off), or ``cross-encoder:<model name or path>``.

    Raises:
        ConfigError: the spec names no known kind of reranker.
    """
    if spec is None or spec.strip().lower() in _OFF:
        return None
    kind, _, model = spec.strip().partition(":")
    if kind.strip().lower() in {"cross-encoder", "crossencoder"} and model.strip():
        return CrossEncoderReranker(model.strip())
    raise ConfigError(
        f"Unknown ASSISTANT_RERANKER={spec!r}. Leave it unset (no reranker, the default) or "
        "use 'cross-encoder:<model name or path>', e.g. "
        "'cross-encoder:cross-encoder/mmarco-mMiniLMv2-L12-H384-v1'."
    )
