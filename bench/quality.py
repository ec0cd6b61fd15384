"""Quality beside speed: the eval figures of the product and the baselines on the dev set."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assistant import Assistant
from assistant.evaluation import BASELINES, Case, Report, evaluate_assistant, evaluate_baseline
from bench.measure import log, timed
from bench.report import Section, paragraphs, table

TUTORIAL = "tutorial (dense MiniLM, 1000/200)"


def quality(product: Assistant, cases: Sequence[Case], work: Path, tutorial: bool) -> Section:
    """The eval figures of the product and the baselines, each with its answer latency."""
    log(f"quality: {len(cases)} dev questions")
    cases = list(cases)
    settings, e5 = product.settings, product.embeddings
    reports: list[Report] = [evaluate_assistant(product, cases, "assistant")]
    build_notes = []
    for name, changes in BASELINES.items():
        if name == TUTORIAL:
            if not tutorial:
                continue
            custom = settings.model_copy(update={**changes, "index_dir": work / "tutorial"})
            bot = Assistant(custom)
            seconds, report = timed(bot.index)
            build_notes.append(
                f"the tutorial baseline's index ({report.chunks} chunks, "
                f"MiniLM) took {seconds:.1f} s to build"
            )
        else:  # same model and chunking as the product: its index, searched another way
            bot = Assistant(
                settings.model_copy(update=changes), embeddings=e5, build_if_missing=False
            )
        reports.append(evaluate_baseline(bot, cases, name))
    rows = [
        (
            r.name,
            f"{r.hit_at_1:.3f}",
            f"{r.hit_at_5:.3f}",
            f"{r.mrr_at_10:.3f}",
            f"{r.fact_coverage:.3f}",
            f"{r.abstention:.3f}",
            r.false_abstentions,
            f"{r.p50_ms:.1f} ms",
            f"{r.p95_ms:.1f} ms",
        )
        for r in reports
    ]
    body = paragraphs(
        [
            f"`assistant eval` on {len(cases)} questions of `tests/eval/dev.jsonl` (the functions "
            "of `assistant/evaluation.py`). The product answers (hybrid search, extractive answer, "
            "refusals); a baseline answers with its best passage and never refuses. Latency is "
            "that of one answer. The dense e5 and BM25 baselines search the product's index."
            + (f" ({'; '.join(build_notes)}.)" if build_notes else ""),
            table(
                [
                    "system",
                    "hit@1",
                    "hit@5",
                    "MRR@10",
                    "facts",
                    "refusals",
                    "false refusals",
                    "p50",
                    "p95",
                ],
                rows,
            ),
            "hit@k: a passage holding the expected fact is in the top k; facts: the answer "
            "states the expected facts; refusals: share of out-of-scope questions refused.",
        ]
    )
    figures = {r.name: r.to_dict() for r in reports}
    return Section("Quality beside speed", body, [], figures)
