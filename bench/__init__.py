"""``make bench``: speed, cost and scale of answering and indexing, beside the baselines.

One module per section of the report (``answering``, ``indexing``, ``startup``, ``memory``,
``serving``, ``scale``, ``quality``), each a function that measures and returns a
``report.Section``; ``report`` renders them, ``measure`` holds the timing helpers, ``process``
starts the CLI and the chat page. ``run`` (``python bench/run.py`` or ``python -m bench``)
runs them all.

Importing the package makes the environment quiet and offline (``assistant._offline``) before
anything imports gradio or chromadb, and puts ``tests/`` on the path: the benchmarks share
``tests/support.py``'s server helpers and ``tests/llm_server.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from assistant import _offline

_offline.apply()

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DEV = ROOT / "tests" / "eval" / "dev.jsonl"

if str(ROOT / "tests") not in sys.path:
    sys.path.append(str(ROOT / "tests"))
