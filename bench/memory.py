"""Memory: peak RSS of ``assistant chat`` after questions through its ``/chat`` API."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

from assistant import Settings
from bench.measure import log, megabytes, ms, pct, timed
from bench.process import chat_server
from bench.report import Section, Target, misses, paragraphs, table, targets_table


def memory(settings: Settings, work: Path, questions: Sequence[str], n: int) -> Section:
    """Peak RSS of ``assistant chat`` after ``n`` questions through its ``/chat`` API."""
    log(f"memory: {n} questions through the chat page")
    from gradio_client import Client

    # No rate limit: the questions all come from one address, faster than a person asks.
    with chat_server(settings, work, env={"ASSISTANT_RATE_LIMIT": "0"}) as server:
        client = Client(server.url, verbose=False)
        first_s = 0.0
        seconds: list[float] = []
        empty = 0
        for i in range(n):
            q = questions[i % len(questions)]
            took, reply = timed(partial(client.predict, q, api_name="/chat"))
            if i == 0:
                first_s = took
            seconds.append(took)
            empty += not str(reply).strip()
            if i % 5 == 4:  # a conversation of five questions, then a new one
                client.reset_session()
        status = Path(f"/proc/{server.process.pid}/status").read_text()
    fields = {
        line.split(":")[0]: line.split(":")[1].strip()
        for line in status.splitlines()
        if ":" in line
    }
    peak = int(fields["VmHWM"].split()[0]) * 1024
    rss = int(fields["VmRSS"].split()[0]) * 1024
    target = Target(
        f"peak RSS of `assistant chat` after {n} questions",
        "< 600 MB",
        megabytes(peak),
        peak < 600e6 if n >= 50 else None,
        "The process holds the Gradio app, the e5 model, Chroma's client and "
        "HNSW index, and the BM25 index.",
    )
    body = paragraphs(
        [
            f"`assistant chat` (default settings: extractive answers) on the index built above; "
            f"{n} dev-set questions sent through `gradio_client` to `/chat`, in conversations of "
            "five turns; then `VmHWM` (peak resident set) and `VmRSS` are read from "
            "`/proc/<pid>/status`. MB = 10⁶ bytes. The first question is sent as soon as the "
            "page answers, so its answer waits for the model and index loading that the page "
            "starts in the background (see the steps under Start-up).",
            table(
                ["", "value"],
                [
                    ("peak RSS (VmHWM)", megabytes(peak)),
                    ("RSS after the questions (VmRSS)", megabytes(rss)),
                    ("page served after", f"{server.served_s:.2f} s"),
                    ("first answer (asked as soon as the page answered)", f"{first_s:.2f} s"),
                    (
                        "answer through `/chat`, p50 / p95",
                        f"{ms(pct(seconds, 50))} / {ms(pct(seconds, 95))}",
                    ),
                    ("empty replies", str(empty)),
                ],
            ),
            targets_table([target]),
            misses([target]),
        ]
    )
    figures = {
        "peak_rss_bytes": peak,
        "rss_bytes": rss,
        "questions": n,
        "first_answer_s": first_s,
        "chat_p50_ms": pct(seconds, 50) * 1000,
        "empty_replies": empty,
    }
    return Section("Memory", body, [target], figures)
