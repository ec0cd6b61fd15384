"""Timing and formatting helpers every section uses."""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from assistant import Settings
from assistant.evaluation import Case

T = TypeVar("T")


def log(message: str) -> None:
    """Progress on stderr (the report goes to the file)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def timed(fn: Callable[..., T], *args: Any) -> tuple[float, T]:
    """(seconds, result) of one call ``fn(*args)``."""
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def disk_bytes(folder: Path) -> int:
    """Bytes the folder takes on disk (allocated blocks, as ``du`` counts them)."""
    return sum(p.lstat().st_blocks * 512 for p in folder.rglob("*") if not p.is_symlink())


def megabytes(n: float) -> str:
    return f"{n / 1e6:.0f} MB" if n >= 10e6 else f"{n / 1e6:.1f} MB"


def questions_of(cases: Sequence[Case], n: int | None = None, seed: int = 7) -> list[str]:
    """Dev-set questions in a fixed shuffled order (a mix of topics, languages, refusals)."""
    questions = [c.question for c in cases]
    random.Random(seed).shuffle(questions)
    return questions[:n] if n else questions


def settings_for(corpus_dir: Path, index_dir: Path, **changes: Any) -> Settings:
    """Default settings (no ``.env``) on this corpus and index folder."""
    return Settings(_env_file=None, corpus_dir=corpus_dir, index_dir=index_dir, **changes)
