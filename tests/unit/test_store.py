"""The storage boundary on Chroma in tmp_path: versions, records, search, the manifest."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3

import numpy as np
import pytest

from assistant import ConfigError, IndexDamagedError, IndexMismatchError, Settings, StoreError
from assistant import store as store_module
from assistant.store import IndexVersion, Record, Store, os_error
from assistant.testing import FakeEmbeddings

TEXTS = [
    "account executives serve the client",
    "account directors lead the team",
    "media buyers negotiate prices",
    "planners write the strategy",
]


def filled(store: Store, fake: FakeEmbeddings, config: Settings) -> IndexVersion:
    version = store.create(
        embeddings=fake.name, chunk_size=config.chunk_size, chunk_overlap=config.chunk_overlap
    )
    vectors = fake.encode_passages(TEXTS)
    version.add(
        "chunks",
        [
            Record(f"c{i}", t, {"path": f"corpus/{i}.md", "title": f"T{i}"}, vectors[i])
            for i, t in enumerate(TEXTS)
        ],
    )
    version.add(
        "sentences",
        [
            Record(f"c{i}:0", t, {"chunk_id": f"c{i}", "n": 0}, vectors[i])
            for i, t in enumerate(TEXTS)
        ],
    )
    return version


def test_a_version_holds_what_was_added(
    store: Store, fake: FakeEmbeddings, config: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = filled(store, fake, config)
    assert version.counts() == (4, 4) and version.dimension() == 384
    monkeypatch.setattr(store_module, "PAGE", 3)  # read back across pages
    records = list(version.records("chunks", vectors=True))
    assert [r.id for r in sorted(records, key=lambda r: r.id)] == ["c0", "c1", "c2", "c3"]
    assert all(r.vector is not None and r.vector.shape == (384,) for r in records)
    bare = next(version.records("chunks", texts=False))
    assert bare.text == "" and bare.vector is None and bare.metadata["path"]
    got = {r.id: r for r in version.by_ids(["c2", "c0"])}
    assert set(got) == {"c0", "c2"} and got["c2"].text == TEXTS[2]
    assert np.allclose(got["c2"].vector, fake.encode_query(TEXTS[2]))  # type: ignore[arg-type]
    assert {r.metadata["chunk_id"] for r in version.sentences_of(["c1"])} == {"c1"}
    assert version.by_ids([]) == [] and version.sentences_of([]) == []


def test_nearest_gives_the_closest_passages_with_cosine_similarity(
    store: Store, fake: FakeEmbeddings, config: Settings
) -> None:
    version = filled(store, fake, config)
    found = version.nearest(fake.encode_query("media buyers negotiate prices"), k=2)
    assert [d.id for d, _ in found][0] == "c2" and len(found) == 2
    assert found[0][1] == pytest.approx(1.0, abs=1e-4) and found[1][1] < found[0][1]
    assert found[0][0].metadata["path"] == "corpus/2.md"
    # The same collection through langchain-chroma, for filters and MMR.
    chroma = version.as_langchain(fake)
    assert (
        chroma.similarity_search("media buyers", k=1, filter={"path": "corpus/2.md"})[0].id == "c2"
    )


def test_publish_switches_the_manifest_and_keeps_the_previous_version(
    store: Store, fake: FakeEmbeddings, config: Settings
) -> None:
    assert store.manifest() is None
    first = filled(store, fake, config)
    manifest = store.publish(first, files=4, fingerprint="abc")
    assert store.manifest() == manifest
    assert (
        manifest.version,
        manifest.embeddings,
        manifest.dimension,
        manifest.chunks,
        manifest.sentences,
        manifest.files,
    ) == (first.name, "fake", 384, 4, 4, 4)
    second = filled(store, fake, config)
    assert second.name > first.name  # names sort by age
    store.publish(second, files=4)
    assert store.previous_version() == first.name
    store.publish(second, files=4)  # published again (grown): the previous one stays
    assert store.previous_version() == first.name


def test_keep_only_drops_other_versions_and_their_lexical_folders(
    store: Store, fake: FakeEmbeddings, config: Settings
) -> None:
    old, new = filled(store, fake, config), filled(store, fake, config)
    for version in (old, new):
        version.lexical_dir.mkdir(parents=True)
    store.keep_only({new.name})
    assert set(store.versions()) == {new.name}
    assert new.lexical_dir.is_dir() and not old.lexical_dir.exists()
    assert new.lexical_dir.parent == config.index_dir / "lexical"


def test_missing_versions(store: Store, fake: FakeEmbeddings, config: Settings) -> None:
    assert store.find("v1") is None
    with pytest.raises(StoreError, match="assistant index --rebuild"):
        store.open("v1")
    version = filled(store, fake, config)
    store.client.delete_collection(store.sentences_name(version.name))  # an interrupted build
    leftover = store.find(version.name)
    assert leftover is not None and list(leftover.records("sentences")) == []
    assert leftover.counts() == (4, 0)


def test_an_index_built_with_other_settings_says_how_to_fix_it(
    store: Store, fake: FakeEmbeddings, config: Settings
) -> None:
    manifest = store.publish(filled(store, fake, config), files=4)
    manifest.check_compatible(config, "fake")  # the same: no error
    with pytest.raises(IndexMismatchError, match=r"embeddings=fake.*embeddings=e5.*--rebuild"):
        manifest.check_compatible(config, "e5")
    other = config.model_copy(update={"chunk_size": config.chunk_size + 1})
    with pytest.raises(IndexMismatchError, match="ASSISTANT_CHUNK_SIZE"):
        manifest.check_compatible(other, "fake")


def test_a_prefix_that_cannot_name_a_collection_is_refused(config: Settings) -> None:
    with pytest.raises(ConfigError, match="ASSISTANT_COLLECTION"):
        Store(None, "-bad", config.index_dir)


# --- the files on disk: dropped versions, a store replaced or damaged, paths in the way -----
def segment_folders(store: Store) -> set[str]:
    assert store.chroma_dir is not None
    return {p.name for p in store.chroma_dir.iterdir() if p.is_dir()}


def used_segments(store: Store) -> set[str]:
    assert store.chroma_dir is not None
    uri = (store.chroma_dir / "chroma.sqlite3").as_uri() + "?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        return {row[0] for row in db.execute("SELECT id FROM segments")}


def test_dropping_versions_deletes_their_vector_folders(
    store: Store, fake: FakeEmbeddings, config: Settings
) -> None:
    versions = [filled(store, fake, config) for _ in range(3)]
    assert len(segment_folders(store)) == 6  # an HNSW folder per collection (chunks, sentences)
    assert store.chroma_dir is not None
    orphan = store.chroma_dir / "0b8d4f9e-1d57-4bbf-9d0e-4a7d1c2b3e4f"  # left by an old build
    orphan.mkdir()
    (orphan / "data_level0.bin").write_bytes(b"\0" * 1000)
    other = store.chroma_dir / "notes"  # not Chroma's: left alone
    other.mkdir()

    store.keep_only({versions[-1].name})

    assert segment_folders(store) - {"notes"} <= used_segments(store)
    assert len(segment_folders(store)) == 3 and other.is_dir() and not orphan.exists()
    assert versions[-1].counts() == (4, 4)  # what is kept still answers
    store.drop(versions[-1].name)
    assert segment_folders(store) == {"notes"}


def test_a_damaged_store_names_the_file_and_a_rebuild_sets_it_aside(
    store: Store, fake: FakeEmbeddings, config: Settings
) -> None:
    store.publish(filled(store, fake, config), files=4)
    database = config.index_dir / "chroma" / "chroma.sqlite3"
    os.truncate(database, database.stat().st_size // 2)

    for read in (store.manifest, lambda: Store.from_settings(config)):
        with pytest.raises(IndexDamagedError) as caught:
            read()
        assert str(caught.value) == (
            f"The index at {database} is damaged (database disk image is malformed); "
            "rebuild it with `assistant index --rebuild`."
        )

    fresh = Store.from_settings(config, rebuild=True)
    assert fresh.manifest() is None and fresh.versions() == {}
    assert (config.index_dir / "chroma.damaged" / "chroma.sqlite3").is_file()
    fresh.publish(filled(fresh, fake, config), files=4)
    assert fresh.manifest() is not None


def test_a_store_notices_that_its_files_were_replaced_and_reopens_them(
    store: Store, fake: FakeEmbeddings, config: Settings
) -> None:
    first = store.publish(filled(store, fake, config), files=4)
    assert not store.replaced()
    # Another process deletes the index and builds a new one (a new client on a new folder).
    shutil.rmtree(config.index_dir)
    assert store.replaced() and not store.exists()
    assert store.manifest() == first  # the old client still reads the deleted files
    other = Store.from_settings(config)
    second = other.publish(filled(other, fake, config), files=4)
    assert store.replaced() and store.exists()

    store.reopen()

    assert not store.replaced() and store.manifest() == second


def test_a_file_in_the_way_is_named_in_one_line(config: Settings) -> None:
    config.index_dir.mkdir(parents=True)
    (config.index_dir / "lexical").write_text("not a folder")
    try:
        (config.index_dir / "lexical" / "kb-v1.tmp").mkdir(parents=True)
    except OSError as e:
        error = os_error(e, config.index_dir)
    assert str(error) == (
        f"Cannot use {config.index_dir / 'lexical'}: a file stands where a folder belongs. "
        "Check that the user running `assistant` may read and write it, then run the command "
        "again."
    )
    assert "\n" not in str(error)
