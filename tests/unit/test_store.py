"""The storage boundary on Chroma in tmp_path: versions, records, search, the manifest."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import ConfigError, IndexMismatchError, Settings, StoreError
from assistant import store as store_module
from assistant.store import IndexVersion, Record, Store
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
