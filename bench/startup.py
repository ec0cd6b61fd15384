"""Start-up: the CLI and the chat page from a cold process, beside bare Python and gradio."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from assistant import Settings
from bench.measure import log
from bench.process import chat_server, run_command, subprocess_env
from bench.report import Section, paragraphs, table


def startup(settings: Settings, work: Path, question: str, runs: int) -> Section:
    """Cold start of the CLI beside bare Python and ``import gradio`` (interleaved runs)."""
    log(f"start-up: {runs} runs of each command")
    env = subprocess_env(settings)
    py = sys.executable
    commands: dict[str, Callable[[], float]] = {
        '`python -c "pass"`': lambda: run_command([py, "-c", "pass"], env, work),
        '`python -c "import gradio"`': lambda: run_command([py, "-c", "import gradio"], env, work),
        f'`assistant ask "{question}"` (one-shot, to exit)': lambda: run_command(
            [py, "-m", "assistant", "ask", question], env, work
        ),
        "`assistant chat` until `GET /` answers 200": lambda: _chat_start(settings, work),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(command())
    medians = {name: float(np.median(v)) for name, v in times.items()}
    steps = _ask_steps(settings, work, question)
    bare, gradio = list(medians.values())[:2]
    rows = [
        (name, f"{m:.2f} s", f"{min(times[name]):.2f} s", f"{m / bare:.0f}×", f"{m / gradio:.2f}×")
        for name, m in medians.items()
    ]
    body = paragraphs(
        [
            f"Median and best of {runs} cold runs of each command, interleaved, from a fresh "
            "Python process (`python -m assistant ...`), on the index built above. "
            "`assistant ask` loads the model and the index, answers and exits; `assistant chat` "
            "serves the page first and loads the model and the index in the background.",
            table(["command", "median", "best", "/ bare python", "/ import gradio"], rows),
            "Where a one-shot `assistant ask` spends its time (one more run on the same index, "
            "timed inside the process; the refusal examples are the vectors of "
            "`assistant/data/out_of_scope.txt` that the refusal check compares a question with):",
            table(
                ["step", "time"], [(name, f"{seconds:.2f} s") for name, seconds in steps.items()]
            ),
        ]
    )
    names = ["pass", "gradio", "ask", "chat"]
    figures: dict[str, Any] = {f"{k}_s": v for k, v in zip(names, medians.values(), strict=True)}
    figures["ask_steps_s"] = steps
    return Section("Start-up", body, [], figures)


ASK_STEPS = r"""
import json, sys, time
started = time.perf_counter()
marks = {}
def mark(name):
    global started
    now = time.perf_counter()
    marks[name] = now - started
    started = now
from assistant import Assistant
mark("import assistant")
bot = Assistant()
bot.embeddings.encode_query("warm up")
mark("load the e5 model (and one query embedding)")
bot.searcher.index
mark("open the index (Chroma, BM25)")
bot.scope.out_of_scope_similarity(bot.searcher.prepare(sys.argv[1]))
mark("the refusal examples' vectors")
bot.ask(sys.argv[1])
mark("first answer")
bot.ask(sys.argv[1])
mark("second answer (warm)")
print(json.dumps(marks))
"""


def _ask_steps(settings: Settings, work: Path, question: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", ASK_STEPS, question],
        env=subprocess_env(settings),
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return {str(k): float(v) for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def _chat_start(settings: Settings, work: Path) -> float:
    with chat_server(settings, work) as server:
        return server.served_s
