"""``bench/run.py`` runs every section end to end at tiny sizes, so that ``make bench`` cannot
rot. Figures are checked for what they count (chunks embedded, complete results), never for
how fast anything was."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent

NOTES = {
    "account-executive.md": (
        '---\ntitle: "What an Account Executive does"\nlanguage: en\n---\n'
        "# What an Account Executive does\n\n"
        "An Account Executive serves the client and takes in the client's requests every "
        "day.\n\nThe Account Executive is the entry level of account management in an "
        "advertising agency.\n\nMost of an Account Executive's time goes to executing "
        "projects well and on time.\n"
    ),
    "account-director.md": (
        '---\ntitle: "What an Account Director does"\nlanguage: en\n---\n'
        "# What an Account Director does\n\n"
        "An Account Director leads the account team and owns the relationship with the "
        "client's senior people.\n\nThe Account Director spends most of the time advising "
        "the client on strategy and deciding the direction of the work.\n"
    ),
}
CASES = [
    {
        "id": "ae",
        "question": "What does an account executive do?",
        "expect": [["serves", "requests"]],
        # Notes are chunked by paragraph: either AE paragraph says what an AE does.
        "relevant": ["serves the client", "entry level of account management"],
    },
    {
        "id": "ad",
        "question": "What does an account director spend time on?",
        "expect": [["advising", "strategy"]],
        "relevant": ["advising the client"],
    },
    {
        "id": "weather",
        "question": "What will the weather be in Paris tomorrow?",
        "unanswerable": True,
    },
]


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tiny(make_corpus: Path, tmp_path: Path) -> tuple[Path, Path]:
    notes = make_corpus / "notes"
    notes.mkdir()
    for name, text in NOTES.items():
        (notes / name).write_text(text, encoding="utf-8")
    dev = tmp_path / "dev.jsonl"
    dev.write_text("\n".join(json.dumps(c) for c in CASES) + "\n", encoding="utf-8")
    return make_corpus, dev


@pytest.mark.slow
def test_every_section_runs_and_the_report_has_its_figures(
    tiny: tuple[Path, Path], tmp_path: Path
) -> None:
    bench = load_bench()
    corpus, dev = tiny
    sizes = bench.Sizes(
        answer_rounds=3,
        startup_runs=1,
        chat_questions=2,
        load_users=3,
        load_rounds=1,
        flood_posts=20,
        scale=(100, 300),
        scale_queries=3,
        scale_files=50,
        eval_cases=None,
        tutorial=False,
    )
    work = tmp_path / "work"
    work.mkdir()

    markdown, figures = bench.run_benchmarks(sizes, work, corpus=corpus, dev=dev, command="pytest")

    for heading in (
        "## Targets",
        "## Machine",
        "## Answering (warm)",
        "## Indexing",
        "## Start-up",
        "## Memory",
        "## Serving under load",
        "## Scale",
        "## Quality beside speed",
    ):
        assert heading in markdown
    index = figures["Indexing"]
    assert index["chunks"] >= 2 and index["report_chunks"] == index["chunks"]
    assert index["noop_chunks_embedded"] == 0
    assert index["add_expected_chunks"] >= 1
    assert index["add_chunks_embedded"] == index["add_expected_chunks"]
    assert figures["Memory"]["empty_replies"] == 0
    assert figures["Memory"]["peak_rss_bytes"] > 50e6  # a real server process was measured
    serving = figures["Serving under load"]
    assert serving["refused_users"] == 0 and serving["honest_status"] == 200
    # The flood's address got its burst (10 by default) and was refused the rest.
    assert serving["flood_statuses"][200] >= 10 and serving["flood_statuses"][429] >= 5
    for size in ("100", "300"):
        assert figures["Scale"][size]["complete_results"] == 3
        assert figures["Scale"][size]["disk_bytes"] > 0
    many = figures["Scale"]["many_files"]
    assert (many["noop_files_read"], many["one_change_files_read"]) == (0, 1)
    assert many["one_change_chunks_embedded"] == 1
    assert "one-file change in a 50-file corpus" in markdown
    product = figures["Quality beside speed"]["assistant"]
    assert product["questions"] == 3 and product["hit_at_1"] == 1.0
    assert {"dense e5", "bm25"} <= set(figures["Quality beside speed"])
    # The user's index is never written: everything lives in the work folder.
    assert (work / "index" / "manifest.json").is_file()
    assert "| `ask` p50 / one query embedding p50 | ≤ 4× |" in markdown
