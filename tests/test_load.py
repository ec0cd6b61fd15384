"""Load: 20 chat sessions at once against one served page, through ``gradio_client``.

``assistant chat`` runs in a subprocess on a copy of the session's index. Twenty threads,
each with its own ``gradio_client.Client`` (its own server-side session), ask five questions
each, most of them follow-ups whose answer depends on the session's earlier turns; every
session's second question is the same follow-up text, so a reply that used another
session's history would be the wrong one. Each reply must equal, character for character,
what the assistant answers to that question with that session's own history.

Throughput, latency percentiles and the chat process's peak memory are printed (``pytest -s``
shows them). The memory target (peak RSS under 600 MB with default settings) is asserted;
speed is not (speed is measured by the benchmarks, not by tests).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client
from support import clean_env, free_port, stop, wait_until_served

from assistant import Assistant, Settings
from assistant.ui import reply_markdown

pytestmark = pytest.mark.slow

SESSIONS = 20
MEMORY_TARGET_MB = 600
FOLLOW_UP = "What do they spend most of their time on?"
#: One script per kind of session; session i follows SCRIPTS[i % 4]. Every second question
#: is the same follow-up, whose answer depends on the session's first question.
SCRIPTS = [
    [
        "What does an account manager do?",
        FOLLOW_UP,
        "What is a key account?",
        "Is that different from an account executive?",
        "What is the capital of France?",
    ],
    [
        "What does an account executive do?",
        FOLLOW_UP,
        "Account Manager làm gì?",
        "Còn AD thì sao?",
        "How long does it take to go from AE to AD?",
    ],
    [
        "Key account executive là gì?",
        FOLLOW_UP,
        "AE là gì?",
        "Còn AM thì sao?",
        "Thời tiết ngày mai thế nào?",
    ],
    [
        "Client service director là gì?",
        FOLLOW_UP,
        "What are the three kinds of account work?",
        "Which of them takes most of an AE's time?",
        "Account executive la gi",
    ],
]


def memory_mb(pid: int) -> tuple[float, float]:
    """(peak, current) resident memory of a process in MB, from /proc/<pid>/status."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return (int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


@pytest.fixture(scope="module")
def served(
    corpus_index: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``assistant chat`` on a free port, serving a copy of the session's index."""
    folder = tmp_path_factory.mktemp("load")
    corpus = folder / corpus_index.corpus_dir.resolve().name
    shutil.copytree(corpus_index.corpus_dir, corpus, symlinks=True)
    shutil.copytree(corpus_index.index_dir, folder / "index", symlinks=True)
    env = clean_env(
        ASSISTANT_CORPUS_DIR=str(corpus),
        ASSISTANT_INDEX_DIR=str(folder / "index"),
        ASSISTANT_RATE_LIMIT="0",  # all twenty sessions come from 127.0.0.1
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = folder / "chat.log"
    with open(log, "wb") as out:  # a file, not a pipe: a full pipe would stall the server
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "chat", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_served(url, process, timeout=180, log=log)
            yield url, process
        finally:
            stop(process)
    assert "Traceback" not in log.read_text(errors="replace")


def test_twenty_sessions_at_once_each_get_their_own_answers(
    served: tuple[str, subprocess.Popen[bytes]], bot: Assistant
) -> None:
    url, process = served
    expected = [
        [reply_markdown(bot.ask(q, script[:i])) for i, q in enumerate(script)] for script in SCRIPTS
    ]
    # The same follow-up has a different answer in each kind of session: a reply built on
    # another session's history could not pass for the right one.
    assert len({replies[1] for replies in expected}) == len(SCRIPTS)
    assert len({replies[3] for replies in expected}) == len(SCRIPTS)

    first = time.perf_counter()
    warm = Client(url, verbose=False).predict(SCRIPTS[0][0], api_name="/chat")
    first_seconds = time.perf_counter() - first  # the page warms the model up as it starts
    assert warm == expected[0][0]

    clients = [Client(url, verbose=False) for _ in range(SESSIONS)]
    replies: list[list[str]] = [[] for _ in range(SESSIONS)]
    latencies: list[float] = []
    errors: list[BaseException] = []
    start = threading.Barrier(SESSIONS)
    lock = threading.Lock()
    peak_seen = 0.0

    def session(n: int) -> None:
        try:
            start.wait()
            for question in SCRIPTS[n % len(SCRIPTS)]:
                asked = time.perf_counter()
                reply = clients[n].submit(question, api_name="/chat").result(timeout=300)
                took = time.perf_counter() - asked
                with lock:
                    latencies.append(took)
                replies[n].append(reply)
        except BaseException as e:  # noqa: BLE001 - reported below with its session
            errors.append(e)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(SESSIONS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        peak_seen = max(peak_seen, memory_mb(process.pid)[1])
        time.sleep(0.2)
    wall = time.perf_counter() - began
    peak, current = memory_mb(process.pid)

    asked = SESSIONS * len(SCRIPTS[0])
    print(
        f"\nload: {SESSIONS} sessions x {len(SCRIPTS[0])} questions = {asked} replies in "
        f"{wall:.1f} s: {asked / wall:.2f} replies/s; latency p50 "
        f"{statistics.median(latencies):.2f} s, p95 {percentile(latencies, 0.95):.2f} s, "
        f"max {max(latencies):.2f} s; first question {first_seconds:.2f} s"
    )
    print(
        f"chat process memory: peak RSS {peak:.0f} MB (sampled {peak_seen:.0f} MB), "
        f"now {current:.0f} MB; target {MEMORY_TARGET_MB} MB"
    )

    assert errors == []
    assert len(latencies) == asked
    for n in range(SESSIONS):
        want = expected[n % len(SCRIPTS)]
        for i, (got, right) in enumerate(zip(replies[n], want, strict=True)):
            assert got == right, f"session {n}, question {i + 1}: {SCRIPTS[n % 4][i]!r}"
    assert process.poll() is None  # still serving
    assert peak < MEMORY_TARGET_MB
