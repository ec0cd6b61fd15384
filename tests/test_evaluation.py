"""`assistant eval`: the figures are computed from real answers and can fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant, ConfigError, Settings
from assistant.evaluation import articles_of, evaluate_assistant, evaluate_suite, load_cases

ROOT = Path(__file__).resolve().parent.parent


def write(path: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    return path


CASES: list[dict[str, Any]] = [
    {
        "id": "ok",
        "question": "Bao lâu thì AE lên AM?",
        "expect": [["2\\s*[-–]\\s*3"]],
        "relevant": ["2-3 năm", "2–3 năm", "2-3 years"],
    },
    {
        "id": "wrong-fact",
        "question": "Bao lâu thì AE lên AM?",
        "expect": [["17 năm"]],
        "relevant": ["nothing contains this string"],
    },
    {
        "id": "oos",
        "question": "What is the capital of Australia?",
        "expect": [],
        "relevant": [],
        "unanswerable": True,
    },
]


def test_metrics_reflect_right_and_wrong_cases(bot: Assistant, tmp_path: Path) -> None:
    report = evaluate_assistant(bot, load_cases(write(tmp_path / "set.jsonl", CASES)))
    assert report.questions == 3
    assert report.hit_at_1 == 0.5 and report.fact_coverage == 0.5
    assert report.abstention == 1.0 and report.false_abstentions == 0
    assert report.p50_ms > 0 and report.p95_ms >= report.p50_ms
    assert {f["id"] for f in report.failures} == {"wrong-fact"}


def test_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "question": "q"}\n{"id": "b"\n', "utf-8")
    with pytest.raises(ConfigError, match=r"bad.jsonl:2"):
        load_cases(path)


def test_dev_set_is_well_formed() -> None:
    cases = load_cases(ROOT / "tests" / "eval" / "dev.jsonl")
    assert len(cases) >= 60 and len({c.id for c in cases}) == len(cases)
    assert sum(c.unanswerable for c in cases) >= 10
    assert sum(bool(c.history) for c in cases) >= 4
    corpus = " ".join(p.read_text("utf-8") for p in (ROOT / "corpus").rglob("*.md"))
    for case in cases:
        for substring in case.relevant:
            assert substring in corpus, (case.id, substring)


@pytest.mark.slow
def test_cli_eval_with_baselines(corpus_index: Settings, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(corpus_index.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(corpus_index.index_dir),
    }
    path = write(tmp_path / "set.jsonl", CASES)
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "eval", str(path), "--compare", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    reports = {r["name"]: r for r in json.loads(out.stdout)}
    assert set(reports) == {"assistant", "tutorial (dense MiniLM, 1000/200)", "dense e5", "bm25"}
    for report in reports.values():
        assert set(report) >= {
            "hit_at_1",
            "hit_at_5",
            "mrr_at_10",
            "fact_coverage",
            "abstention",
            "false_abstentions",
            "p50_ms",
            "p95_ms",
        }
    assert reports["tutorial (dense MiniLM, 1000/200)"]["abstention"] == 0.0
    assert reports["assistant"]["abstention"] == 1.0
    table = subprocess.run(
        [sys.executable, "-m", "assistant", "eval", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert "hit@1" in table.stdout and "MRR@10" in table.stdout and "p95 ms" in table.stdout


def test_a_suite_with_articles_is_asked_of_a_temporary_corpus(
    corpus_index: Settings, tmp_path: Path
) -> None:
    suite = write(
        tmp_path / "new.jsonl",
        [
            {
                "id": "pay",
                "question": "How much does a junior florist earn?",
                "expect": [["\\$31,000"]],
                "relevant": ["$31,000"],
            }
        ],
    )
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "florist.md").write_text(
        "---\ntitle: Florist careers\nlanguage: en\nkind: article\n---\n"
        "# Florist careers\n\n## Pay\n\n| Level | Salary |\n|---|---|\n"
        "| Junior Florist | $31,000 a year |\n| Head Florist | $52,000 a year |\n",
        "utf-8",
    )
    assert articles_of(suite) == tmp_path / "new"
    shipped = sorted(p.name for p in corpus_index.corpus_dir.rglob("*.md"))
    report = evaluate_suite(corpus_index, suite)[0]
    assert report.hit_at_1 == 1.0 and report.fact_coverage == 1.0
    # The shipped corpus is left as it was.
    assert sorted(p.name for p in corpus_index.corpus_dir.rglob("*.md")) == shipped


def test_sealed_and_tuning_sets_are_well_formed() -> None:
    for name, articles in (
        ("sealed/questions", False),
        ("sealed/articles", True),
        ("tune/questions", False),
        ("tune/articles", True),
    ):
        suite = ROOT / "tests" / "eval" / f"{name}.jsonl"
        cases = load_cases(suite)
        assert len(cases) >= 30 and sum(c.unanswerable for c in cases) >= 8, name
        folder = articles_of(suite)
        assert (folder is not None) == articles, name
