"""The `assistant` command as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import SOURCE_FIELDS

from assistant import Settings


def run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_ask_prints_answer_and_numbered_sources(corpus_index: Settings) -> None:
    out = run(corpus_index, "ask", "What does an AE do?")
    assert out.returncode == 0, out.stderr
    assert re.search(r"\[1\]", out.stdout)
    assert re.search(r"^\[1\] .+ — corpus/\S+\.md \(chunk \d+\)$", out.stdout, re.M)


def test_ask_json(corpus_index: Settings) -> None:
    out = run(corpus_index, "ask", "Account manager làm gì?", "--json")
    data = json.loads(out.stdout)
    assert set(data) == {"answer", "abstained", "notice", "language", "sources"}
    assert data["sources"] and data["abstained"] is False and data["language"] == "vi"
    assert set(data["sources"][0]) == SOURCE_FIELDS
    assert data["sources"][0]["path"].startswith("corpus/")


def test_ask_out_of_scope_json_has_no_sources(corpus_index: Settings) -> None:
    data = json.loads(
        run(corpus_index, "ask", "What is the capital of Australia?", "--json").stdout
    )
    assert data["sources"] == [] and "don't know" in data["answer"]


def test_ask_with_history(corpus_index: Settings) -> None:
    out = run(
        corpus_index,
        "ask",
        "And how long until they become a director?",
        "--history",
        "What does an account manager do?",
    )
    assert re.search(r"5\s*[-–]\s*6", out.stdout), out.stdout


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_exits_2_without_traceback(corpus_index: Settings, question: str) -> None:
    out = run(corpus_index, "ask", question)
    assert out.returncode == 2
    assert "type a question" in out.stderr and "Traceback" not in out.stderr


def test_help_reads_like_docs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for word in ("index", "ask", "chat", "eval", "ASSISTANT_"):
        assert word in out


def test_missing_corpus_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(corpus_dir=tmp_path / "nowhere", index_dir=tmp_path / "index")
    out = run(settings, "index")
    assert out.returncode == 1
    assert "does not exist" in out.stderr and "Traceback" not in out.stderr
