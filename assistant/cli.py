"""The ``assistant`` command: index the corpus, ask, serve the chat page, evaluate.

Every command reads its settings from ``ASSISTANT_*`` environment variables (see the README);
flags override them for one run. Errors are printed as one message, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import AssistantError, ConfigError, QuestionError

EPILOG = """\
examples:
  assistant index                       embed new and changed files of corpus/
  assistant index --rebuild             start the index from nothing
  assistant ask "What does an AE do?"   answer with numbered sources
  assistant ask "Còn AD thì sao?" --history "AM làm gì?"
  assistant chat --port 7860            serve the chat page on 127.0.0.1
  assistant eval tests/eval/dev.jsonl --compare

settings come from ASSISTANT_* environment variables, e.g. ASSISTANT_CORPUS_DIR,
ASSISTANT_INDEX_DIR, ASSISTANT_EMBEDDINGS, ASSISTANT_LLM (see README.md).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="A career assistant that answers questions from corpus/, citing it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    index = sub.add_parser(
        "index",
        help="build or update the index from the corpus",
        description="Embed new and changed corpus files; drop removed ones. "
        "A build that is interrupted leaves the previous index answering.",
    )
    index.add_argument(
        "--rebuild",
        action="store_true",
        help="start from nothing (needed after changing the model or chunking)",
    )
    index.add_argument("--json", action="store_true", help="print the report as JSON")

    ask = sub.add_parser(
        "ask",
        help="answer one question",
        description="Answer a question from the corpus, with numbered sources.",
    )
    ask.add_argument("question", help="the question, in English or Vietnamese")
    ask.add_argument(
        "--history",
        action="append",
        default=[],
        metavar="TURN",
        help="an earlier question of the conversation (repeat, oldest first)",
    )
    ask.add_argument(
        "--json", action="store_true", help='print {"answer": ..., "sources": [...]} as JSON'
    )

    chat = sub.add_parser(
        "chat",
        help="serve the chat page",
        description="Serve the Gradio chat page (and its /chat HTTP API).",
    )
    chat.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    chat.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    chat.add_argument(
        "--auth-file",
        type=Path,
        default=None,
        metavar="FILE",
        help="protect the page with the logins of FILE, one USER:PASSWORD a line "
        "(or ASSISTANT_AUTH_FILE; ASSISTANT_AUTH=USER:PASSWORD for one login)",
    )
    chat.add_argument(
        "--auth",
        default=None,
        metavar="USER:PASSWORD",
        help="a login on the command line, where `ps` shows it to every local user: "
        "prefer --auth-file or ASSISTANT_AUTH",
    )
    chat.add_argument(
        "--allow-public", action="store_true", help="allow a non-loopback --host without a login"
    )
    chat.add_argument(
        "--concurrency",
        type=int,
        default=None,
        metavar="N",
        help="answers made at the same time (default 4; ASSISTANT_CONCURRENCY)",
    )
    chat.add_argument(
        "--queue-size",
        type=int,
        default=None,
        metavar="N",
        help="questions that may wait; past that the page says it is busy "
        "(default 100; ASSISTANT_QUEUE_SIZE)",
    )
    chat.add_argument(
        "--rate-limit",
        type=float,
        default=None,
        metavar="N",
        help="questions per minute one client address may ask, after a burst of "
        "ASSISTANT_RATE_BURST (default 20; 0: no limit; ASSISTANT_RATE_LIMIT)",
    )

    ev = sub.add_parser(
        "eval",
        help="measure answer quality on question sets",
        description="Print hit@1, hit@5, MRR@10, fact coverage, refusals and "
        "latency for JSONL question sets (see assistant/evaluation.py). A set "
        "X.jsonl with a folder X/ beside it is asked of the corpus plus the "
        "articles in X/, indexed into a temporary index.",
    )
    ev.add_argument(
        "files",
        type=Path,
        nargs="+",
        metavar="file",
        help="JSONL question sets, e.g. tests/eval/dev.jsonl",
    )
    ev.add_argument(
        "--compare",
        action="store_true",
        help="also score the baselines (tutorial MiniLM recipe, dense e5, BM25)",
    )
    ev.add_argument("--json", action="store_true", help="print the figures as JSON")
    ev.add_argument("--failures", action="store_true", help="list the questions that failed")
    cal = sub.add_parser(
        "calibrate",
        help="fit the refusal thresholds of the embedding model",
        description="Measure how close labelled questions (JSONL sets as for "
        "eval, with unanswerable ones) come to the corpus, and keep the "
        "thresholds below which the assistant says its sources do not cover a "
        "question in the index folder (calibration.json). Needed once for a "
        "model other than the bundled one.",
    )
    cal.add_argument(
        "files",
        type=Path,
        nargs="+",
        metavar="file",
        help="JSONL question sets on the indexed corpus, e.g. tests/eval/dev.jsonl",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
    )
    for noisy in ("httpx", "chromadb", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return _run(args)
    except QuestionError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except AssistantError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    from .app import Assistant

    settings = Settings()
    if args.command == "index":
        return _index(Assistant(settings, build_if_missing=False), args)
    if args.command == "ask":
        return _ask(Assistant(settings), args)
    if args.command == "chat":
        return _chat(settings, args)
    if args.command == "eval":
        return _eval(settings, args)
    if args.command == "calibrate":
        return _calibrate(Assistant(settings), args)
    raise AssertionError(args.command)


def _chat(settings: Settings, args: argparse.Namespace) -> int:
    from .app import Assistant
    from .ui import serve
    from .ui.limits import Limits

    if args.auth:
        print(
            "warning: --auth puts the password in the process list (ps) for every local "
            "user to read; use --auth-file FILE or ASSISTANT_AUTH instead.",
            file=sys.stderr,
        )
    for flag, least in (("concurrency", 1), ("queue_size", 1), ("rate_limit", 0)):
        value = getattr(args, flag)
        if value is not None and value < least:
            raise ConfigError(f"--{flag.replace('_', '-')} must be at least {least} (got {value}).")
    limits = Limits.from_settings(
        settings,
        concurrency=args.concurrency,
        queue_size=args.queue_size,
        rate_per_minute=args.rate_limit,
    )
    serve(
        Assistant(settings),
        host=args.host,
        port=args.port,
        auth=args.auth or settings.auth,
        auth_file=args.auth_file or settings.auth_file,
        allow_public=args.allow_public,
        limits=limits,
    )
    return 0


def _index(bot: Any, args: argparse.Namespace) -> int:
    progress = None
    if sys.stderr.isatty() and not args.json:
        from tqdm import tqdm

        def progress(total: int, description: str) -> Any:
            # rate_noinv: always "chunk/s" (tqdm flips to "s/chunk" below one per second).
            return tqdm(
                total=total,
                desc=description,
                unit="chunk",
                file=sys.stderr,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                "chunks [{elapsed}<{remaining}, {rate_noinv_fmt}]",
            )

    # Skipped files were already warned about on stderr (logging), one line each.
    report = bot.index(rebuild=args.rebuild, progress=progress)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return 0
    print(report.summary())
    return 0


def _ask(bot: Any, args: argparse.Namespace) -> int:
    if args.json:
        reply = bot.ask(args.question, args.history)
        print(json.dumps(reply.to_dict(), ensure_ascii=False, indent=2))
        return 0
    stream = bot.stream(args.question, args.history)
    for piece in stream:
        sys.stdout.write(piece)
        sys.stdout.flush()
    reply = stream.result
    print()
    if reply.notice:
        print(f"\n({reply.notice})")
    if reply.sources:
        print()
        for n, source in enumerate(reply.sources, 1):
            print(f"[{n}] {source.title} — {source.path} (chunk {source.chunk})")
    return 0


def _eval(settings: Settings, args: argparse.Namespace) -> int:
    from .evaluation import evaluate_suite, format_table

    for file in args.files:
        if not file.is_file():
            raise QuestionError(f"No question set at {file}.")
    results = [(file, evaluate_suite(settings, file, compare=args.compare)) for file in args.files]
    if args.json:
        print(
            json.dumps(
                {
                    str(file): [r.to_dict(failures=args.failures) for r in reports]
                    for file, reports in results
                }
                if len(results) > 1
                else [r.to_dict(failures=args.failures) for r in results[0][1]],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    for file, reports in results:
        print(f"{reports[0].questions} questions from {file}\n")
        print(format_table(reports) + "\n")
        if args.failures:
            print(f"failures of {reports[0].name}:")
            for failure in reports[0].failures:
                print("  " + json.dumps(failure, ensure_ascii=False)[:300])
            print()
    return 0


def _calibrate(bot: Any, args: argparse.Namespace) -> int:
    from .evaluation import load_cases, signals_of
    from .scope import fit_calibration

    labelled = []
    for file in args.files:
        if not file.is_file():
            raise QuestionError(f"No question set at {file}.")
        labelled += [(signals_of(bot, case), not case.unanswerable) for case in load_cases(file)]
    try:
        calibration = fit_calibration(bot.embeddings.name, labelled)
    except ValueError as e:
        raise QuestionError(f"Cannot calibrate: {e}.") from e
    path = calibration.save(bot.settings.index_dir)
    print(
        f"{calibration.model}: coverage {calibration.coverage}, out-of-scope margin "
        f"{calibration.outside_margin} from {calibration.questions} questions; kept in {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
