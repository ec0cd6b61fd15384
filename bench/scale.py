"""Scale: ``search`` latency and disk size on generated indexes of growing size, and
re-indexing a generated corpus of many small files (no change, one file changed)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from assistant import Assistant, Settings
from assistant.corpus import CorpusFile, Skipped, read_corpus
from assistant.embeddings import E5Embeddings
from assistant.indexing import BATCH_CHUNKS, Indexer, IndexReport
from assistant.lexical import LexicalIndex
from assistant.retrieval import CANDIDATES, EXPANSION_WEIGHT, LoadedIndex, Query
from assistant.store import IndexVersion, Record, Store
from assistant.text import lexical_tokens, words
from bench.measure import disk_bytes, log, megabytes, ms, pct, settings_for, timed
from bench.report import Section, Target, misses, paragraphs, table, targets_table


def synthetic_corpus(
    corpus: Path, n: int, seed: int = 1
) -> tuple[list[str], np.ndarray, list[list[str]]]:
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


def scale(
    corpus: Path,
    work: Path,
    e5: E5Embeddings,
    questions: Sequence[str],
    sizes: Sequence[int],
    queries: int,
    files: int = 0,
) -> Section:
    """``search`` latency and disk size on generated indexes of growing size; with ``files``,
    re-indexing a generated corpus of that many small files (``many_files``)."""
    log(f"scale: generating {max(sizes):,} chunks")
    settings = settings_for(corpus, work / "scale-index")
    texts, vectors, tokens = synthetic_corpus(corpus, max(sizes))
    sample = min(50, len(texts))  # the shortcut for BM25 tokens gives what the index would
    assert all(lexical_tokens(t) == k for t, k in zip(texts[:sample], tokens, strict=False))
    store = Store.from_settings(settings)
    version = store.create(
        embeddings=e5.name, chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap
    )
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
            names = names[i % len(names) :] + names[: i % len(names)]
            for name in names:
                seconds, result = timed(steps[name], q if name in ("search", "embed") else query)
                times[name].append(seconds)
                if name == "search":
                    hits = list(result)  # type: ignore[call-overload]
                    found += len(hits) == 10 and all(
                        h.path.startswith("corpus/generated/") for h in hits
                    )
        size_bytes = disk_bytes(settings.index_dir)
        stats = {name: (pct(v, 50), pct(v, 95)) for name, v in times.items()}
        each = {name: np.asarray(v) for name, v in times.items()}
        rest = float(np.median(each["retrieval"] - each["knn"] - each["bm25"]))
        rows.append(
            (
                f"{size:,}",
                ms(stats["search"][0]),
                ms(stats["search"][1]),
                f"{ms(stats['embed'][0])} / {ms(stats['embed'][1])}",
                f"{ms(stats['retrieval'][0])} / {ms(stats['retrieval'][1])}",
                ms(stats["knn"][0]),
                ms(stats["bm25"][0]),
                ms(rest),
                megabytes(size_bytes),
                f"{write_s:.1f} s + {bm25_s:.1f} s",
            )
        )
        figures[str(size)] = {
            **{
                f"{name}_{q}_ms": v[i] * 1000
                for name, v in stats.items()
                for i, q in enumerate(("p50", "p95"))
            },
            "rest_p50_ms": rest * 1000,
            "disk_bytes": size_bytes,
            "complete_results": found,
            "write_s": write_s,
            "bm25_build_s": bm25_s,
        }
        if found != queries:
            raise RuntimeError(
                f"search on {size} generated chunks returned short or foreign "
                f"results for {queries - found} of {queries} questions"
            )
    largest = figures.get("50000")
    target = Target(
        "`search` p95 at 50k chunks",
        "< 100 ms",
        ms(largest["search_p95_ms"] / 1000) if largest else "—",
        largest["search_p95_ms"] < 100 if largest else None,
        "At 50k chunks, in the same rounds: the query embedding alone had p95 "
        f"{ms(largest['embed_p95_ms'] / 1000)}, retrieval with the question "
        f"already embedded p95 {ms(largest['retrieval_p95_ms'] / 1000)} (k-NN p50 "
        f"{ms(largest['knn_p50_ms'] / 1000)}, BM25 scoring p50 "
        f"{ms(largest['bm25_p50_ms'] / 1000)}, the rest p50 "
        f"{ms(largest['rest_p50_ms'] / 1000)})."
        if largest
        else "",
    )
    many: tuple[str, list[Target], dict[str, Any]] = ("", [], {})
    if files:
        many = many_files(corpus, work, e5, files)
        figures["many_files"] = many[2]
    body = paragraphs(
        [
            "Generated indexes: passages of random words from the corpus' vocabulary (about "
            "320 characters, like real chunks), random unit vectors (384-d), written into one "
            "index version through the real store (Chroma collection, `bm25s` index, manifest), "
            "then grown: " + ", ".join(f"{s:,}" for s in sizes) + " chunks. Each of the "
            f"{queries} rounds per size times `Assistant.search` on a real dev-set question "
            "(hybrid, k=10: the question is embedded with e5, then searched), and, in rotating "
            "order, the query embedding alone, the retrieval alone (question already embedded), "
            f"and two of its parts: the Chroma k-NN ({CANDIDATES} candidates) and BM25 scoring "
            "of every chunk; *rest* (median of retrieval − k-NN − BM25 within a round) is "
            "mostly fetching the BM25-only candidates (text and vector) from Chroma, then fusing "
            "and removing near-duplicates. Disk = the whole index folder (Chroma + BM25).",
            table(
                [
                    "chunks",
                    "search p50",
                    "search p95",
                    "embedding p50 / p95",
                    "retrieval only p50 / p95",
                    "k-NN p50",
                    "BM25 p50",
                    "rest p50",
                    "index on disk",
                    "write + BM25 build",
                ],
                rows,
            ),
            targets_table([target]),
            misses([target]),
            many[0],
        ]
    )
    return Section("Scale", body, [target, *many[1]], figures)


class TimedIndexer(Indexer):
    """The indexer, timing its steps: reading the corpus (``_read``), reading the answering
    version back from Chroma (``_scan``) and writing the new version (``_fill``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seconds: dict[str, float] = {}

    def _timed(self, step: str, fn: Callable[..., Any], *args: Any) -> Any:
        seconds, result = timed(fn, *args)
        self.seconds[step] = self.seconds.get(step, 0.0) + seconds
        return result

    def _read(self, rebuild: bool) -> tuple[list[CorpusFile], list[Skipped], int]:
        return self._timed("read", super()._read, rebuild)

    def _scan(self, *args: Any, **kwargs: Any) -> None:
        self._timed("scan", partial(super()._scan, **kwargs), *args)

    def _fill(self, *args: Any) -> int:
        return self._timed("write", super()._fill, *args)

    def _files_of(self, *args: Any) -> dict[str, str]:
        return self._timed("scan", super()._files_of, *args)


def small_files(corpus: Path, folder: Path, n: int, pool: int = 40) -> list[Path]:
    """``n`` small notes in folders of 1,000, each one paragraph of the corpus (from a pool of
    ``pool``, so that e5 embeds only a few dozen texts), last modified an hour ago."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.rglob("*.md"))]
    found = [
        para.strip()
        for text in texts
        for para in text.split("\n\n")
        if 120 < len(para.strip()) < 340 and not para.lstrip().startswith(("---", "#", "|"))
    ]
    chosen = found[:pool] or [t[:300] for t in texts if t.strip()][:pool]
    then = time.time_ns() - 3600 * 10**9
    paths = []
    for i in range(n):
        k = i % len(chosen)
        path = folder / f"batch-{i // 1000:02d}" / f"note-{i:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'---\ntitle: "Note {k}"\n---\n\n{chosen[k]}\n', encoding="utf-8")
        os.utime(path, ns=(then, then))
        paths.append(path)
    return paths


def many_files(
    corpus: Path, work: Path, e5: E5Embeddings, n: int
) -> tuple[str, list[Target], dict[str, Any]]:
    """Re-indexing a corpus of ``n`` small files: nothing changed, then one file changed.

    Returns the Markdown, the target and the figures.
    """
    log(f"scale: a corpus of {n:,} small files")
    folder = work / "many-files" / "corpus"
    paths = small_files(corpus, folder, n)
    settings = Settings(_env_file=None, corpus_dir=folder, index_dir=work / "many-files" / "index")
    store = Store.from_settings(settings)

    def run(batch_size: int = BATCH_CHUNKS) -> tuple[float, IndexReport, dict[str, float]]:
        indexer = TimedIndexer(settings, e5, store, batch_size=batch_size)
        seconds, report = timed(indexer.run)
        return seconds, report, indexer.seconds

    # The files share a few dozen texts: the first build writes 1,000 chunks per step instead
    # of 16 (it has little to embed, and Chroma's writes cost per call).
    build = run(batch_size=1000)
    log(f"scale: built in {build[0]:.0f} s; re-indexing with nothing changed")
    noop = run()
    uncached_s, _ = timed(read_corpus, folder)

    def change(path: Path, sentence: str) -> None:
        path.write_text(path.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")

    change(paths[len(paths) // 2], "One sentence added for the benchmark.")
    log("scale: re-indexing with one file changed")
    one = run()
    change(paths[len(paths) // 3], "Another sentence added for the benchmark.")
    log("scale: re-indexing with another file changed")
    again = run()

    def row(name: str, measured: tuple[float, IndexReport, dict[str, float]]) -> tuple[Any, ...]:
        seconds, report, steps = measured
        rest = seconds - sum(steps.values())
        return (
            name,
            f"{seconds:.1f} s",
            f"{report.files_read:,}",
            report.chunks_embedded,
            f"{steps.get('read', 0):.1f} s",
            f"{steps.get('scan', 0):.1f} s",
            f"{steps.get('write', 0):.1f} s",
            f"{rest:.1f} s",
        )

    chunks = one[1].chunks
    target = Target(
        f"one-file change in a {n:,}-file corpus",
        "< 10 s",
        f"{one[0]:.1f} s",
        one[0] < 10,
        f"The full build leaves a standby copy of the index beside the answering version "
        f"(that copy is half of its {build[2].get('write', 0):.0f} s of Chroma writes); a "
        f"one-file change renames the standby, rewrites that file's records in it "
        f"({one[2].get('write', 0):.1f} s) and switches to it. The rest is reading the "
        f"corpus ({one[2].get('read', 0):.1f} s, {one[1].files_read} file opened), the "
        f"standby's ids and the answering version's file list "
        f"({one[2].get('scan', 0):.1f} s), splitting the {n:,} files and the BM25 index. A "
        f"second change (into the other version) took {again[0]:.1f} s.",
    )
    body = paragraphs(
        [
            f"A generated corpus of {n:,} small files (one paragraph of the shipped corpus each, "
            "in folders of 1,000, last modified an hour ago), indexed with e5 through "
            "`Indexer.run`; then re-indexed with nothing changed, then with one file changed "
            "(a sentence appended), then with another file changed. A file whose size and "
            "modification time are those recorded in `index/files.json` is not opened. "
            "*Reading* is walking the corpus and reading "
            "what changed; *Chroma reads* the answering version's records, vectors and file "
            "list (`_scan`, `_files_of`); *Chroma writes* the records written (`_fill`: a full "
            "build writes the version and its standby copy, a change only what changed); "
            "*rest*: splitting, the standby's ids, "
            f"fingerprints, the BM25 index, dropping old versions. Reading all {n:,} files "
            f"without the cache (`read_corpus`) took {uncached_s:.1f} s in the same run.",
            table(
                [
                    "run",
                    "time",
                    "files opened",
                    "chunks embedded",
                    "reading",
                    "Chroma reads",
                    "Chroma writes",
                    "rest",
                ],
                [
                    row(f"first build ({n:,} files, 1,000 chunks per step)", build),
                    row("nothing changed", noop),
                    row("one file changed", one),
                    row("another file changed", again),
                ],
            ),
        ]
    )
    figures = {
        "files": n,
        "chunks": chunks,
        "build_s": build[0],
        "noop_s": noop[0],
        "noop_files_read": noop[1].files_read,
        "one_change_s": one[0],
        "one_change_files_read": one[1].files_read,
        "one_change_chunks_embedded": one[1].chunks_embedded,
        "one_change_steps_s": one[2],
        "in_place_change_s": again[0],
        "in_place_steps_s": again[2],
        "noop_steps_s": noop[2],
        "read_without_cache_s": uncached_s,
    }
    return body, [target], figures


def _add_generated(
    version: IndexVersion, ids: list[str], texts: list[str], vectors: np.ndarray, span: range
) -> None:
    version.add(
        "chunks",
        [
            Record(
                ids[i],
                texts[i],
                {
                    "path": f"corpus/generated/doc-{i // 8:05d}.md",
                    "title": f"Generated document {i // 8}",
                    "language": "en",
                    "chunk": i % 8,
                    "start": 0,
                    "end": len(texts[i]),
                    "file_sha": "",
                    "key": ids[i],
                },
                vectors[i],
            )
            for i in span
        ],
    )


def _save_lexical(ids: list[str], tokens: list[list[str]], folder: Path) -> None:
    """The BM25 index ``LexicalIndex.build`` makes, from tokens already computed (the accent
    table is left out: generated text restores no diacritics)."""
    LexicalIndex.from_tokens(ids, tokens).save(folder)


def _knn(index: LoadedIndex, query: Query) -> object:
    """The dense half of a search: Chroma's k-NN for the candidates, with their vectors, for
    the question's vector that ranks (as ``Searcher.search`` makes it)."""
    return index.version.nearest_records(query.ranking, CANDIDATES)


def _bm25(index: LoadedIndex, query: Query) -> object:
    """The lexical half of a search: BM25 scores of every chunk, for the question's words
    and their alias-table expansions."""
    scores = index.lexical.scores(query.tokens)
    if query.expansion_tokens:
        scores = scores + EXPANSION_WEIGHT * index.lexical.scores(query.expansion_tokens)
    return scores
