"""``assistant eval``: retrieval and answer quality on JSONL question sets, beside baselines.

A *suite* is one JSONL file of questions. When a folder with the same name stands beside it
(``tests/eval/sealed/articles.jsonl`` and ``tests/eval/sealed/articles/``), the folder holds
new articles: they are added to a temporary copy of the corpus, indexed into a temporary index,
and the questions are asked of that (the shipped corpus and index are never touched).

Each line: ``{"id", "question", "history": [earlier user turns], "expect": [[regex, ...], ...],
"relevant": [substring, ...], "unanswerable": bool}``. A passage is relevant when it contains
one of the ``relevant`` substrings; an answer covers the facts when every ``expect`` group has
an alternative that matches it (case-insensitive).
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .answer import Answer, Source
from .app import Assistant
from .config import Settings
from .errors import ConfigError
from .question import Question
from .scope import Signals


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    history: list[str]
    expect: list[list[str]]
    relevant: list[str]
    unanswerable: bool


@dataclass
class Report:
    """The figures of one system on one question set."""

    name: str
    questions: int
    hit_at_1: float
    hit_at_5: float
    mrr_at_10: float
    fact_coverage: float
    abstention: float  # share of unanswerable questions abstained on
    false_abstentions: int  # answerable questions abstained on
    p50_ms: float
    p95_ms: float
    unanswerable: int = 0  # questions the sources do not answer
    failures: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, failures: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not failures:
            data.pop("failures")
        return data


def load_cases(path: Path) -> list[Case]:
    """Read a JSONL question set; raises ConfigError naming the line that is wrong."""
    cases: list[Case] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            case = Case(
                str(data["id"]),
                str(data["question"]),
                [str(h) for h in data.get("history") or []],
                [list(map(str, g)) for g in data.get("expect") or []],
                [str(r) for r in data.get("relevant") or []],
                bool(data.get("unanswerable", False)),
            )
            for group in case.expect:
                for pattern in group:
                    re.compile(pattern)
        except (ValueError, KeyError, TypeError, re.error) as e:
            raise ConfigError(f"{path}:{n}: not a valid question line ({e}).") from e
        cases.append(case)
    return cases


Searcher = Callable[[Case], list[Source]]
Answerer = Callable[[Case], Answer]


def evaluate(name: str, cases: list[Case], search: Searcher, answer: Answerer) -> Report:
    """Score one system: ``search`` ranks passages, ``answer`` answers."""
    answerable = [c for c in cases if not c.unanswerable]
    unanswerable = [c for c in cases if c.unanswerable]
    hit1 = hit5 = rr = covered = 0.0
    false_abstentions = abstained = 0
    latencies: list[float] = []
    failures: list[dict[str, Any]] = []
    for case in cases:
        started = time.perf_counter()
        reply = answer(case)
        latencies.append((time.perf_counter() - started) * 1000)
        if case.unanswerable:
            if reply.abstained:
                abstained += 1
            else:
                failures.append({"id": case.id, "why": "answered", "answer": reply.answer})
            continue
        ranked = search(case)[:10]
        rank = next(
            (i for i, s in enumerate(ranked, 1) if any(r in s.text for r in case.relevant)), None
        )
        if rank is not None:
            hit1 += rank == 1
            hit5 += rank <= 5
            rr += 1.0 / rank
        if rank != 1:
            failures.append(
                {
                    "id": case.id,
                    "why": f"relevant passage at rank {rank}",
                    "top": ranked[0].path if ranked else None,
                }
            )
        if reply.abstained:
            false_abstentions += 1
        if all(
            any(re.search(p, reply.answer, re.IGNORECASE) for p in group) for group in case.expect
        ):
            covered += 1
        else:
            failures.append({"id": case.id, "why": "facts missing", "answer": reply.answer})
    n = max(1, len(answerable))
    latencies.sort()
    return Report(
        name=name,
        questions=len(cases),
        hit_at_1=round(hit1 / n, 3),
        hit_at_5=round(hit5 / n, 3),
        mrr_at_10=round(rr / n, 3),
        fact_coverage=round(covered / n, 3),
        abstention=round(abstained / len(unanswerable), 3) if unanswerable else 1.0,
        false_abstentions=false_abstentions,
        unanswerable=len(unanswerable),
        p50_ms=round(statistics.median(latencies), 1) if latencies else 0.0,
        p95_ms=round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1)
        if latencies
        else 0.0,
        failures=failures,
    )


def signals_of(bot: Assistant, case: Case) -> Signals:
    """What the refusal checks measure for one question (for ``assistant calibrate``)."""
    question = Question.read(case.question, case.history)
    query = bot.searcher.prepare(case.question, case.history)
    hits = bot.searcher.search(query, k=bot.settings.top_k)
    return bot.scope.signals(question, query, hits)


def evaluate_assistant(bot: Assistant, cases: list[Case], name: str = "assistant") -> Report:
    """The product as users get it: hybrid search, extractive answer, abstention."""
    bot.warm_up()
    return evaluate(
        name,
        cases,
        lambda c: bot.search(c.question, c.history, k=10),
        lambda c: bot.ask(c.question, c.history),
    )


def evaluate_baseline(bot: Assistant, cases: list[Case], name: str) -> Report:
    """A plain recipe: its search, the best passage as the answer, never abstaining."""
    bot.warm_up()

    def answer(case: Case) -> Answer:
        top = bot.search(case.question, case.history, k=1)
        return Answer(top[0].text if top else "", top[:1], abstained=not top)

    return evaluate(name, cases, lambda c: bot.search(c.question, c.history, k=10), answer)


BASELINES: dict[str, dict[str, Any]] = {
    # The LangChain RAG tutorial's recipe: MiniLM embeddings, 1000/200 character chunks.
    "tutorial (dense MiniLM, 1000/200)": {
        "embeddings": "sentence-transformers:all-MiniLM-L6-v2",
        "chunk_size": 1000,
        "chunk_overlap": 200,
        "chunk_paragraphs": False,
        "retrieval": "dense",
        "query_expansion": False,
        "collection": "baseline-tutorial",
    },
    "dense e5": {"retrieval": "dense", "query_expansion": False},
    "bm25": {"retrieval": "bm25", "query_expansion": False},
}


@contextmanager
def baseline_assistants(settings: Settings) -> Iterator[list[tuple[str, Assistant]]]:
    """The baselines, each built into a temporary index from the same corpus."""
    with tempfile.TemporaryDirectory(prefix="assistant-baselines-") as tmp:
        bots = []
        for name, changes in BASELINES.items():
            folder = Path(tmp) / re.sub(r"\W+", "-", name)
            custom = settings.model_copy(
                update={**changes, "index_dir": folder, "chroma_host": None, "llm": "none"}
            )
            bots.append((name, Assistant(custom)))
        yield bots


def articles_of(suite: Path) -> Path | None:
    """The folder of new articles that goes with a question file, if there is one."""
    folder = suite.with_suffix("")
    return folder if folder.is_dir() else None


@contextmanager
def suite_settings(settings: Settings, suite: Path) -> Iterator[Settings]:
    """Settings to answer ``suite`` with: as given, or, when the suite brings articles, a
    temporary corpus (the corpus plus the articles) and a temporary index for it."""
    articles = articles_of(suite)
    if articles is None:
        yield settings
        return
    with tempfile.TemporaryDirectory(prefix="assistant-suite-") as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(settings.corpus_dir, corpus)
        shutil.copytree(articles, corpus / "articles" / f"eval-{articles.parent.name}")
        yield settings.model_copy(
            update={"corpus_dir": corpus, "index_dir": Path(tmp) / "index", "chroma_host": None}
        )


def evaluate_suite(settings: Settings, suite: Path, compare: bool = False) -> list[Report]:
    """The assistant (and with ``compare`` the baselines) on one suite."""
    cases = load_cases(suite)
    with suite_settings(settings, suite) as custom:
        reports = [evaluate_assistant(Assistant(custom), cases)]
        if compare:
            with baseline_assistants(custom) as baselines:
                reports += [evaluate_baseline(bot, cases, name) for name, bot in baselines]
    return reports


def format_table(reports: list[Report]) -> str:
    """The reports side by side, one row each.

    ``refused`` is the share of unanswerable questions the system declined to answer;
    ``false ref.`` counts answerable questions it declined (and their share).
    """
    head = (
        "system",
        "hit@1",
        "hit@5",
        "MRR@10",
        "facts",
        "refused",
        "false ref.",
        "p50 ms",
        "p95 ms",
    )

    def false_refusals(r: Report) -> str:
        answerable = r.questions - r.unanswerable
        share = r.false_abstentions / answerable if answerable else 0.0
        return f"{r.false_abstentions} ({share:.0%})"

    rows = [head] + [
        (
            r.name,
            f"{r.hit_at_1:.3f}",
            f"{r.hit_at_5:.3f}",
            f"{r.mrr_at_10:.3f}",
            f"{r.fact_coverage:.3f}",
            f"{r.abstention:.3f}" if r.unanswerable else "-",
            false_refusals(r),
            f"{r.p50_ms:.1f}",
            f"{r.p95_ms:.1f}",
        )
        for r in reports
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
