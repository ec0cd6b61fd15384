"""Builds with the fake model: what is embedded, re-used and reported; the pure helpers."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from assistant import Settings
from assistant.corpus import read_corpus
from assistant.indexing import (
    Embedder,
    Indexer,
    IndexReport,
    chunk_sentences,
    fingerprint,
    split_corpus,
)
from assistant.retrieval import Searcher
from assistant.store import Store
from assistant.testing import FakeEmbeddings


def embedder(model: FakeEmbeddings) -> Embedder:
    """The fake where the package types an Embedder (the e5 or sentence-transformers model)."""
    return cast(Embedder, model)


def build(
    config: Settings, store: Store, fake: FakeEmbeddings, rebuild: bool = False
) -> IndexReport:
    return Indexer(config, embedder(fake), store).run(rebuild=rebuild)


def test_a_build_embeds_every_passage_once_and_the_searcher_finds_them(
    config: Settings, store: Store, fake: FakeEmbeddings
) -> None:
    report = build(config, store, fake)
    assert (report.added, report.chunks_embedded) == (3, report.chunks)
    manifest = store.manifest()
    assert manifest is not None and manifest.embeddings == "fake" and manifest.files == 3
    assert store.open(manifest.version).lexical_dir.is_dir()
    searcher = Searcher(config, embedder(fake), store)
    hits = searcher.search("media buyer negotiates the price of advertising space", k=1)
    assert hits[0].document.metadata["path"] == "corpus/media-buying.md"


def test_an_unchanged_corpus_embeds_nothing_and_an_edit_only_its_passages(
    config: Settings, store: Store, fake: FakeEmbeddings
) -> None:
    first = build(config, store, fake)
    fake.passages.clear()
    again = build(config, store, fake)
    assert (again.unchanged, again.chunks_embedded, fake.passages) == (3, 0, [])
    assert again.version == first.version  # nothing written
    note = Path(config.corpus_dir) / "media-buying.md"
    note.write_text(note.read_text("utf-8") + "\nBuyers also plan the media mix.\n", "utf-8")
    edited = build(config, store, fake)
    assert (edited.updated, edited.unchanged, edited.chunks_embedded) == (1, 2, 1)
    assert all(t.startswith("Media Buying\n") for t in fake.passages if "\n" in t)
    assert set(store.versions()) == {first.version, edited.version}


def test_a_rebuild_embeds_everything_again(
    config: Settings, store: Store, fake: FakeEmbeddings
) -> None:
    first = build(config, store, fake)
    fake.passages.clear()
    report = build(config, store, fake, rebuild=True)
    assert report.chunks_embedded == first.chunks and report.version != first.version


def test_the_fingerprint_changes_with_any_id_key_or_model(config: Settings) -> None:
    files, _ = read_corpus(config.corpus_dir)
    chunks = split_corpus(files, config, "fake")
    sentences = chunk_sentences(chunks, "fake")
    assert chunks and sentences
    assert all(s.metadata["chunk_id"] in {c.id for c in chunks} for s in sentences)

    def of(model: str, drop: int = 0) -> str:
        return fingerprint(
            model, [f"{c.id}={c.key}" for c in chunks[drop:]], [(s.id, s.key) for s in sentences]
        )

    assert of("fake") == of("fake") != of("e5")
    assert of("fake", drop=1) != of("fake")
