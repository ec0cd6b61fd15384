"""The index lifecycle with the real e5 model and Chroma on disk: add, edit, delete, no-op,
rebuild, crashes (an exception, ``kill -9``), readers during a switch, and settings mismatch."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant import Assistant, IndexMismatchError, Settings, StoreError, indexing
from assistant.chunking import paragraphs
from assistant.embeddings import E5Embeddings, SentenceTransformerEmbeddings
from assistant.indexing import Embedder, Indexer, IndexReport, split_corpus
from assistant.retrieval import Searcher
from assistant.store import Store, connect

# Short articles (one chunk each) on distinct agency topics: (file stem, title, body).
TOPICS = [
    (
        "media-buying",
        "Media buying",
        "A media buyer negotiates the price of advertising space "
        "with newspapers, websites and television channels.",
    ),
    (
        "client-brief",
        "Writing a client brief",
        "A client brief states the campaign objective, "
        "the target audience, the budget and the deadline in one page.",
    ),
    (
        "pitching",
        "Pitching for new business",
        "In a new-business pitch the agency presents "
        "ideas to a prospective client that is choosing between several agencies.",
    ),
    (
        "timesheets",
        "Timesheets in agencies",
        "Agency staff record their working hours in "
        "timesheets so that the agency can bill the client for the time spent.",
    ),
    (
        "creative-review",
        "Creative review meetings",
        "In a creative review the creative team "
        "shows draft designs and the account team checks them against the brief.",
    ),
    (
        "social-listening",
        "Social listening",
        "Social listening tools track what consumers say "
        "about a brand on social networks and forums.",
    ),
    (
        "event-activation",
        "Event activation",
        "An activation event lets consumers try a product "
        "in a shopping mall or at a music festival.",
    ),
    (
        "retainer-fees",
        "Retainer fees",
        "A retainer is a monthly fee that a client pays an agency "
        "for a fixed scope of ongoing work.",
    ),
    (
        "kpi-reporting",
        "KPI reporting",
        "A monthly report compares the campaign's results, such "
        "as reach and conversions, with the key performance indicators agreed with the client.",
    ),
    (
        "influencer-contracts",
        "Influencer contracts",
        "An influencer contract fixes the number "
        "of posts, the publication dates and the fee paid to the content creator.",
    ),
    (
        "production-houses",
        "Working with production houses",
        "A production house films the "
        "television commercial after the client has approved the storyboard.",
    ),
    (
        "brand-guidelines",
        "Brand guidelines",
        "Brand guidelines describe the logo, the colours, "
        "the fonts and the tone of voice that every piece of communication must follow.",
    ),
    (
        "agency-holding-groups",
        "Agency holding groups",
        "Large holding groups own many agencies "
        "around the world, such as creative, media and public relations agencies.",
    ),
    (
        "public-relations",
        "Public relations",
        "Public relations work earns coverage in the press "
        "through press releases, interviews and media events.",
    ),
    (
        "market-research",
        "Market research",
        "Market research uses surveys and focus groups to "
        "learn what consumers think about a product before a campaign starts.",
    ),
    (
        "campaign-calendar",
        "Campaign calendars",
        "A campaign calendar lists every launch date, "
        "every media flight and every deliverable for the coming quarter.",
    ),
    (
        "purchase-orders",
        "Purchase orders",
        "The client's procurement team issues a purchase "
        "order before the agency may start work that will be invoiced.",
    ),
    (
        "copywriting",
        "Copywriting",
        "A copywriter writes the headlines, slogans and scripts "
        "of a campaign together with the art director.",
    ),
    (
        "digital-banners",
        "Digital banners",
        "Display banners come in standard sizes and are "
        "placed on websites through ad networks and programmatic platforms.",
    ),
    (
        "sponsorship",
        "Sponsorship deals",
        "In a sponsorship deal a brand pays to have its name "
        "attached to a sports team, a television show or a concert.",
    ),
    (
        "crisis-communication",
        "Crisis communication",
        "When a brand faces a scandal, the crisis "
        "team prepares a public statement within a few hours.",
    ),
    (
        "packaging-design",
        "Packaging design",
        "Packaging design decides how a product looks on "
        "the supermarket shelf, from the shape of the box to its colours.",
    ),
    (
        "search-advertising",
        "Search advertising",
        "Search advertising shows text ads to people "
        "who type particular keywords into a search engine.",
    ),
    (
        "annual-planning",
        "Annual planning",
        "Each autumn the client and the agency agree on the "
        "next year's marketing plan and the budget for every quarter.",
    ),
    (
        "agency-reviews",
        "Agency reviews",
        "Twice a year the client scores the agency on service, "
        "creativity and value, and the account director discusses the scores.",
    ),
    (
        "out-of-home",
        "Out-of-home advertising",
        "Out-of-home advertising uses billboards, bus "
        "shelters and screens in airports to reach people outside their homes.",
    ),
    (
        "email-marketing",
        "Email marketing",
        "An email campaign sends newsletters and offers to "
        "customers who agreed to receive messages from the brand.",
    ),
    (
        "trade-marketing",
        "Trade marketing",
        "Trade marketing persuades shops and distributors to "
        "stock a product and to display it well.",
    ),
    (
        "photo-shoots",
        "Photo shoots",
        "For a photo shoot the agency books the photographer, the "
        "models and the studio, and the client approves the final pictures.",
    ),
    (
        "translation",
        "Translating campaigns",
        "A regional campaign is translated and adapted so "
        "that its jokes and references make sense in every country.",
    ),
]
assert len({stem for stem, _, _ in TOPICS}) == len(TOPICS)

OLD_QUESTION = "Who negotiates the price of advertising space with television channels?"
OLD_PATH = "corpus/media-buying.md"
RETAINER = "What is the monthly fee a client pays its agency for ongoing work called?"


def article(title: str, body: str, extra: str = "") -> str:
    second = (
        f"The account team explains {title.lower()} to junior staff during their first "
        "month at the agency."
    )
    return (
        f'---\ntitle: "{title}"\nlanguage: en\nkind: note\n---\n# {title}\n\n'
        f"{body} {second}{extra}\n"
    )


def write(corpus: Path, topics: list[tuple[str, str, str]]) -> None:
    for stem, title, body in topics:
        (corpus / f"{stem}.md").write_text(article(title, body), "utf-8")


class Recording(E5Embeddings):
    """The real e5 model, recording every passage it embeds (and failing on demand)."""

    def __init__(self, model: E5Embeddings, fail_on_call: int | None = None) -> None:
        super().__init__()
        self._model = model.model
        self.texts: list[str] = []
        self.calls = 0
        self.fail_on_call = fail_on_call

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if self.fail_on_call is not None and self.calls >= self.fail_on_call:
            raise RuntimeError("embedding back-end crashed")
        self.texts.extend(texts)
        return super().encode_passages(texts)


def setup(corpus: Path, tmp_path: Path, **settings: Any) -> tuple[Settings, Store]:
    config = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", **settings)
    return config, Store(connect(config), config.collection, config.index_dir)


def run(
    config: Settings, store: Store, embeddings: Embedder, rebuild: bool = False, **kwargs: Any
) -> IndexReport:
    return Indexer(config, embeddings, store, **kwargs).run(rebuild=rebuild)


def chunk_count(config: Settings, *stems: str) -> int:
    from assistant.corpus import read_corpus

    files, _ = read_corpus(config.corpus_dir)
    wanted = {f"corpus/{s}.md" for s in stems}
    return len(split_corpus([f for f in files if f.path in wanted], config, "e5"))


def stored_paths(store: Store) -> set[str]:
    manifest = store.manifest()
    assert manifest is not None
    return {r.metadata["path"] for r in store.open(manifest.version).records("chunks")}


def embedded_files(recording: Recording) -> set[str]:
    """Titles of the articles whose chunk was embedded (a chunk is embedded as title + text)."""
    return {
        title for _, title, _ in TOPICS for text in recording.texts if text.startswith(title + "\n")
    }


# --- add, edit, delete, no-op, rebuild -------------------------------------------------
def test_first_build_indexes_every_file_and_answers(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:3])
    config, store = setup(make_corpus, tmp_path)

    report = run(config, store, e5)

    assert report.to_dict() == {
        "added": 3,
        "updated": 0,
        "removed": 0,
        "unchanged": 0,
        "chunks_embedded": chunk_count(config, *[t[0] for t in TOPICS[:3]]),
        "skipped": [],
    }
    manifest = store.manifest()
    assert manifest is not None and manifest.fingerprint
    assert (manifest.embeddings, manifest.files, manifest.chunks) == ("e5", 3, report.chunks)
    assert (
        json.loads((config.index_dir / "manifest.json").read_text())["version"] == manifest.version
    )
    assert Assistant(config, embeddings=e5).search(OLD_QUESTION, k=1)[0].path == OLD_PATH


def test_no_op_embeds_nothing_and_writes_nothing(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(make_corpus, TOPICS[:3])
    config, store = setup(make_corpus, tmp_path)
    run(config, store, e5)
    before = (
        store.manifest(),
        set(store.versions()),
        (config.index_dir / "manifest.json").stat().st_mtime_ns,
    )
    recording = Recording(e5)
    # The fast path compares fingerprints; it must not read the stored chunks back.
    monkeypatch.setattr(
        Indexer,
        "_stored_fingerprint",
        lambda *a: pytest.fail("the no-op path read the whole index"),
    )

    report = run(config, store, recording)

    assert report.to_dict() == {
        "added": 0,
        "updated": 0,
        "removed": 0,
        "unchanged": 3,
        "chunks_embedded": 0,
        "skipped": [],
    }
    assert recording.calls == 0
    after = (
        store.manifest(),
        set(store.versions()),
        (config.index_dir / "manifest.json").stat().st_mtime_ns,
    )
    assert after == before


def test_an_index_from_before_fingerprints_is_recognised_as_up_to_date(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:2])
    config, store = setup(make_corpus, tmp_path)
    run(config, store, e5)
    manifest = store.manifest()
    assert manifest is not None
    store.switch(replace(manifest, fingerprint=""), previous=None)  # as older builds wrote it
    recording = Recording(e5)

    report = run(config, store, recording)

    assert (report.unchanged, report.chunks_embedded, recording.calls) == (2, 0, 0)
    upgraded = store.manifest()
    assert upgraded is not None
    assert upgraded.version == manifest.version and upgraded.fingerprint == manifest.fingerprint


def test_adding_files_embeds_only_the_new_files(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:3])
    config, store = setup(make_corpus, tmp_path)
    run(config, store, e5)
    write(make_corpus, TOPICS[3:5])
    recording = Recording(e5)

    report = run(config, store, recording)

    assert (report.added, report.updated, report.removed, report.unchanged) == (2, 0, 0, 3)
    assert report.chunks_embedded == chunk_count(config, TOPICS[3][0], TOPICS[4][0])
    assert embedded_files(recording) == {TOPICS[3][1], TOPICS[4][1]}
    hits = Assistant(config, embeddings=e5).search(
        "Why do agency staff record their working hours?", k=3
    )
    assert "corpus/timesheets.md" in {h.path for h in hits}


def test_editing_a_file_re_embeds_only_its_changed_chunks(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:3])
    config, store = setup(make_corpus, tmp_path)
    run(config, store, e5)
    stem, title, body = TOPICS[1]
    (make_corpus / f"{stem}.md").write_text(
        article(title, body, " A good brief also names the person who approves the work."), "utf-8"
    )
    recording = Recording(e5)

    report = run(config, store, recording)

    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 2)
    assert report.chunks_embedded == chunk_count(config, stem) == 1
    assert embedded_files(recording) == {title}
    hits = Assistant(config, embeddings=e5).search(
        "Who approves the work according to the brief?", k=3
    )
    assert any(
        h.path == f"corpus/{stem}.md" and "names the person who approves the work" in h.text
        for h in hits
    )


def test_deleting_a_file_removes_its_chunks(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:3])
    config, store = setup(make_corpus, tmp_path)
    run(config, store, e5)
    (make_corpus / "media-buying.md").unlink()
    recording = Recording(e5)

    report = run(config, store, recording)

    assert report.to_dict() == {
        "added": 0,
        "updated": 0,
        "removed": 1,
        "unchanged": 2,
        "chunks_embedded": 0,
        "skipped": [],
    }
    assert recording.calls == 0
    assert stored_paths(store) == {"corpus/client-brief.md", "corpus/pitching.md"}
    bot = Assistant(config, embeddings=e5, build_if_missing=False)
    assert OLD_PATH not in {h.path for h in bot.search(OLD_QUESTION, k=5)}
    # The BM25 side forgot it too: a search on its very words alone does not find it.
    words_only = Assistant(
        config.model_copy(update={"retrieval": "bm25"}), embeddings=e5, build_if_missing=False
    )
    assert OLD_PATH not in {
        h.path for h in words_only.search("media buyer negotiates price advertising space", k=5)
    }


def test_rebuild_embeds_everything_again(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:3])
    config, store = setup(make_corpus, tmp_path)
    first = run(config, store, e5)
    recording = Recording(e5)

    report = run(config, store, recording, rebuild=True)

    assert (report.unchanged, report.chunks_embedded) == (3, first.chunks)
    assert embedded_files(recording) == {t[1] for t in TOPICS[:3]}
    assert store.manifest().version == report.version  # type: ignore[union-attr]


def test_maintainer_adds_twenty_edits_two_deletes_one(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:5])
    config, store = setup(make_corpus, tmp_path)
    run(config, store, e5)
    added, edited, deleted = TOPICS[5:25], TOPICS[1:3], TOPICS[3]
    write(make_corpus, added)
    for stem, title, body in edited:
        (make_corpus / f"{stem}.md").write_text(
            article(title, body, " Since last year the agency reviews this every quarter."), "utf-8"
        )
    (make_corpus / f"{deleted[0]}.md").unlink()
    recording = Recording(e5)

    report = run(config, store, recording)

    assert report.to_dict() == {
        "added": 20,
        "updated": 2,
        "removed": 1,
        "unchanged": 2,
        "chunks_embedded": chunk_count(config, *[t[0] for t in added + edited]),
        "skipped": [],
    }
    assert embedded_files(recording) == {t[1] for t in added + edited}
    assert stored_paths(store) == {f"corpus/{t[0]}.md" for t in TOPICS[:25] if t != deleted}
    bot = Assistant(config, embeddings=e5, build_if_missing=False)
    assert "corpus/sponsorship.md" in {
        h.path for h in bot.search("Who pays to have its name on a sports team?", k=3)
    }
    assert "corpus/timesheets.md" not in {
        h.path for h in bot.search("Why do agency staff record their working hours?", k=5)
    }


# --- crash safety -------------------------------------------------------------------------
def test_an_exception_mid_build_leaves_the_old_index_answering(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:2])
    config, store = setup(make_corpus, tmp_path)
    run(config, store, e5)
    old = store.manifest()
    write(make_corpus, TOPICS[2:12])
    # Batches of two chunks: call 1 embeds two chunks, call 2 their sentences, call 3 fails.
    failing = Recording(e5, fail_on_call=3)

    with pytest.raises(RuntimeError, match="embedding back-end crashed"):
        run(config, store, failing, batch_size=2)

    assert store.manifest() == old
    bot = Assistant(config, embeddings=e5, build_if_missing=False)
    bot.searcher.check_seconds = 0.0  # notice the next switch at once
    reply = bot.ask(OLD_QUESTION)
    assert reply.sources[0].path == OLD_PATH
    assert {s.path for s in bot.search(RETAINER, k=5)} <= {
        "corpus/media-buying.md",
        "corpus/client-brief.md",
    }
    assert len(store.versions()) == 2  # the answering version and the unfinished one

    report = run(config, store, e5)

    assert (report.added, report.unchanged) == (10, 2)
    new = chunk_count(config, *[t[0] for t in TOPICS[2:12]])
    assert report.chunks_embedded == new - 2  # the two chunks written before the crash are reused
    assert set(store.versions()) == {old.version, report.version}  # type: ignore[union-attr]
    assert "corpus/retainer-fees.md" in {h.path for h in bot.search(RETAINER, k=3)}


def _start_index(config: Settings, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(config.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(config.index_dir),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "-v", "index", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_line(stream: Any, needle: str, timeout: float) -> list[str]:
    """Lines of ``stream`` up to the first that holds ``needle`` (fails after ``timeout``)."""
    seen: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in stream:
            seen.append(line)
            if needle in line:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(timeout), f"no {needle!r} in {seen}"
    return seen


def test_a_build_killed_part_way_leaves_the_old_index_and_the_next_run_finishes(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:2])
    config, store = setup(make_corpus, tmp_path)
    old = run(config, store, e5)
    new_topics = TOPICS[2:] + [
        (f"{stem}-2", f"{title} in practice", f"In practice, {body}")
        for stem, title, body in TOPICS[2:12]
    ]
    write(make_corpus, new_topics)
    total = chunk_count(config, *[t[0] for t in new_topics])
    assert total > 32  # three batches of 16 or more: the kill lands with work left

    build = _start_index(config)
    try:
        _wait_for_line(build.stderr, f"embedded 16 of {total} new chunks", timeout=240)
    finally:
        build.send_signal(signal.SIGKILL)
        build.wait()
    assert build.returncode == -signal.SIGKILL

    bot = Assistant(config, embeddings=e5, build_if_missing=False)
    bot.searcher.check_seconds = 0.0  # notice the next switch at once
    assert store.manifest().version == old.version  # type: ignore[union-attr]
    reply = bot.ask(OLD_QUESTION)
    assert not reply.abstained and reply.sources[0].path == OLD_PATH

    report = run(config, store, e5)

    assert (report.added, report.unchanged) == (len(new_topics), 2)
    assert 0 < report.chunks_embedded <= total - 16
    assert set(store.versions()) == {old.version, report.version}
    assert "corpus/sponsorship.md" in {
        h.path for h in bot.search("Who pays to have its name on a sports team?", k=3)
    }


def test_a_reader_keeps_answering_while_a_build_switches_versions(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:3])
    config, store = setup(make_corpus, tmp_path)
    first = run(config, store, e5)
    question = "Who pays to have its name on a sports team?"
    reader = Searcher(config, e5, store, check_seconds=0.0)  # reads the manifest every query
    stale = Searcher(config, e5, store, check_seconds=3600.0)  # keeps what it loaded
    stale.search(question, k=1)
    seen: list[str] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def ask_again_and_again() -> None:
        while not stop.is_set():
            try:
                seen.append(reader.search(question, k=1)[0].document.metadata["path"])
            except BaseException as e:  # noqa: BLE001 - any failure is what we look for
                errors.append(e)

    thread = threading.Thread(target=ask_again_and_again)
    thread.start()
    try:
        write(make_corpus, TOPICS[19:20])  # sponsorship.md
        second = run(config, store, e5)
        deadline = time.monotonic() + 30
        while (not seen or seen[-1] != "corpus/sponsorship.md") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join()

    assert errors == []
    assert seen[0] != "corpus/sponsorship.md" and seen[-1] == "corpus/sponsorship.md"
    assert reader.index.manifest.version == second.version
    # A reader that has not looked at the manifest since still answers from the previous
    # version, which is kept one round; the round after, it is dropped.
    assert stale.index.manifest.version == first.version
    assert stale.search(question, k=1)[0].document.metadata["path"] != "corpus/sponsorship.md"
    assert set(store.versions()) == {first.version, second.version}
    (make_corpus / "media-buying.md").unlink()
    third = run(config, store, e5)
    assert set(store.versions()) == {second.version, third.version}
    assert not (config.index_dir / "lexical" / f"{store.prefix}-{first.version}").exists()


def test_an_interrupted_rebuild_is_finished_by_the_next_rebuild(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:6])
    config, store = setup(make_corpus, tmp_path)
    old = run(config, store, e5)

    with pytest.raises(RuntimeError):
        run(config, store, Recording(e5, fail_on_call=3), rebuild=True, batch_size=2)
    report = run(config, store, e5, rebuild=True)

    assert store.manifest().version == report.version != old.version  # type: ignore[union-attr]
    # What the interrupted rebuild embedded (one batch of two chunks) is kept.
    assert report.chunks_embedded == chunk_count(config, *[t[0] for t in TOPICS[:6]]) - 2
    assert set(store.versions()) == {old.version, report.version}


def test_two_builds_at_once_do_not_interleave(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    import fcntl as locks

    write(make_corpus, TOPICS[:1])
    config, store = setup(make_corpus, tmp_path)
    config.index_dir.mkdir(parents=True, exist_ok=True)
    with open(config.index_dir / ".build.lock", "a+b") as other_build:
        locks.flock(other_build, locks.LOCK_EX | locks.LOCK_NB)
        with pytest.raises(StoreError, match="Another `assistant index` is updating"):
            run(config, store, e5)
    assert store.manifest() is None
    assert run(config, store, e5).added == 1  # once the other build is gone


# --- settings mismatch ------------------------------------------------------------------
def test_opening_the_index_with_another_model_or_chunking_fails_clearly(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:2])
    config, store = setup(make_corpus, tmp_path)
    run(config, store, e5)
    minilm = SentenceTransformerEmbeddings("all-MiniLM-L6-v2")  # never loaded: fails first

    with pytest.raises(IndexMismatchError) as raised:
        run(config, store, minilm)
    message = str(raised.value)
    assert (
        f"built with embeddings=e5, chunk_size={config.chunk_size}, "
        f"chunk_overlap={config.chunk_overlap}"
    ) in message
    assert "ask for embeddings=sentence-transformers:all-MiniLM-L6-v2" in message
    assert "`assistant index --rebuild`" in message

    other = config.chunk_size + 100
    larger = Settings(corpus_dir=make_corpus, index_dir=config.index_dir, chunk_size=other)
    with pytest.raises(
        IndexMismatchError, match=rf"chunk_size={config.chunk_size}.*chunk_size={other}.*--rebuild"
    ):
        Assistant(larger, embeddings=e5).ask(OLD_QUESTION)


def test_cli_prints_the_mismatch_without_a_traceback(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:2])
    config, store = setup(make_corpus, tmp_path)
    run(config, store, e5)
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(make_corpus),
        "ASSISTANT_INDEX_DIR": str(config.index_dir),
    }

    index = subprocess.run(
        [sys.executable, "-m", "assistant", "index"],
        capture_output=True,
        text=True,
        env={**env, "ASSISTANT_EMBEDDINGS": "sentence-transformers:all-MiniLM-L6-v2"},
        timeout=300,
    )
    ask = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", OLD_QUESTION],
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "ASSISTANT_CHUNK_SIZE": str(config.chunk_size + 100)},
    )

    assert index.returncode == 1 and ask.returncode == 1
    assert index.stderr.startswith("error: The index in ")
    assert "embeddings=e5" in index.stderr
    assert "sentence-transformers:all-MiniLM-L6-v2" in index.stderr
    assert f"chunk_size={config.chunk_size}," in ask.stderr
    assert f"chunk_size={config.chunk_size + 100}," in ask.stderr
    for result in (index, ask):
        assert "assistant index --rebuild" in result.stderr
        assert "Traceback" not in result.stderr


# --- what the command shows ---------------------------------------------------------------
def test_cli_shows_a_progress_bar_on_a_terminal(make_corpus: Path, tmp_path: Path) -> None:
    write(make_corpus, TOPICS[:2])
    config, _ = setup(make_corpus, tmp_path)
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(make_corpus),
        "ASSISTANT_INDEX_DIR": str(config.index_dir),
    }
    leader, follower = pty.openpty()
    # A terminal of 24 rows and 120 columns (a fresh pseudo-terminal has none).
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "assistant", "index"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            timeout=300,
        )
        os.close(follower)
        terminal = b""
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the terminal is closed and drained
                break
            if not data:
                break
            terminal += data
    finally:
        os.close(leader)

    assert result.returncode == 0
    bar = terminal.decode("utf-8", "replace")
    assert "Embedding 2 files" in bar  # files
    assert "2/2" in bar  # chunks
    assert "chunk/s" in bar  # rate
    assert result.stdout.startswith("2 files: 2 added")


def test_passages_are_paragraphs_with_their_offsets() -> None:
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=300, chunk_overlap=20, add_start_index=True
    )
    first = "First idea: the account person serves the client. " * 3
    second = "Second idea: the account person presents the agency's work. " * 3
    long = "The account person keeps every project on time and on budget. " * 8
    text = f"# A title\n\n{first}\n\nShort.\n\n{second}\n\n{long}\n"
    pieces = paragraphs(text, splitter, 300)
    for start, piece in pieces:
        assert text[start : start + len(piece)] == piece
    assert pieces[0][1] == f"# A title\n\n{first.strip()}"  # a heading joins the next
    assert pieces[1][1] == f"Short.\n\n{second.strip()}"  # so does a short paragraph
    assert len(pieces) > 3 and all(len(p) <= 300 for _, p in pieces[2:])  # a long one is split


def test_a_change_to_what_is_embedded_is_not_a_no_op(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same files, same chunk ids, but new text to embed (a new title format, a new way to
    cut sentences): the vectors are computed again, and the report says so."""
    write(make_corpus, TOPICS[:2])
    config, store = setup(make_corpus, tmp_path)
    run(config, store, e5)

    def rekeyed(name: str) -> None:
        original = getattr(indexing, name)

        def changed(*args: Any, **kwargs: Any) -> list[Any]:
            items = original(*args, **kwargs)
            return [
                replace(i, key=f"{i.key}-{name}", metadata={**i.metadata, "key": f"{i.key}-{name}"})
                for i in items
            ]

        monkeypatch.setattr(indexing, name, changed)

    rekeyed("split_corpus")
    report = run(config, store, e5)
    assert (report.chunks_embedded, report.sentences_embedded) == (2, 0)

    rekeyed("chunk_sentences")
    report = run(config, store, e5)
    assert report.chunks_embedded == 0 and report.sentences_embedded >= 2
    assert "up to date" not in report.summary() and "sentences" in report.summary()


def test_a_short_lead_fragment_is_quoted_with_its_sentence() -> None:
    text = (
        "Brief. The document in which a client tells the agency what it needs.\n"
        "# Heading\nWhat is a pitch?\nA pitch is a presentation that tries to win a client."
    )
    chunk = indexing.Chunk("c1", text, "k", text, {"language": "en"})
    quoted = [s.text for s in indexing.chunk_sentences([chunk], "e5")]
    assert quoted == [
        "Brief. The document in which a client tells the agency what it needs.",
        "A pitch is a presentation that tries to win a client.",
    ]


def test_a_large_index_is_brought_up_to_date_in_place(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From ``IN_PLACE_MIN_CHUNKS`` on, a full build leaves a standby copy beside the answering
    version, and a build that changes a few files rewrites those in the standby and switches
    to it: no copy of every record."""
    monkeypatch.setattr(indexing, "IN_PLACE_MIN_CHUNKS", 1)
    write(make_corpus, TOPICS[:6])
    config, store = setup(make_corpus, tmp_path)
    first = run(config, store, e5).version
    assert len(store.versions()) == 2  # the answering version and its standby copy

    written: list[int] = []
    add = indexing.IndexVersion.add

    def counting(self: Any, kind: str, records: Any) -> None:
        written.append(len(records))
        add(self, kind, records)  # type: ignore[arg-type]

    monkeypatch.setattr(indexing.IndexVersion, "add", counting)
    (make_corpus / f"{TOPICS[1][0]}.md").write_text(
        article(TOPICS[1][1], TOPICS[1][2], " The brief now has a budget line."), "utf-8"
    )
    report = run(config, store, e5)
    # The standby is renamed and updated: the edited file's records are written, not all six.
    assert report.version != first and report.updated == 1
    assert set(store.versions()) == {first, report.version}
    assert 0 < sum(written) <= chunk_count(config, TOPICS[1][0]) * 6, written
    assert report.chunks_embedded == chunk_count(config, TOPICS[1][0])

    searcher = Searcher(config, e5, store)
    hits = searcher.search("Does the brief have a budget line?", k=1)
    assert "budget line" in hits[0].document.page_content
    version = store.open(report.version)
    texts = [r.text for r in version.records("chunks")]
    assert sum("budget line" in t for t in texts) == 1 and len(texts) == report.chunks

    # The next standby is the first version, which lacks the edit above: it gets both.
    written.clear()
    (make_corpus / f"{TOPICS[0][0]}.md").write_text(
        article(TOPICS[0][1], TOPICS[0][2], " Edited once."), "utf-8"
    )
    second = report.version
    report = run(config, store, e5)
    assert set(store.versions()) == {second, report.version}
    assert 0 < sum(written) <= chunk_count(config, TOPICS[0][0], TOPICS[1][0]) * 6, written
    texts = [r.text for r in store.open(report.version).records("chunks")]
    assert sum("budget line" in t or "Edited once" in t for t in texts) == 2

    (make_corpus / f"{TOPICS[2][0]}.md").unlink()
    report = run(config, store, e5)
    assert report.removed == 1
    paths = {r.metadata["path"] for r in store.open(report.version).records("chunks")}
    assert not any(TOPICS[2][0] in p for p in paths) and len(paths) == 5


def test_an_update_in_place_that_fails_leaves_the_answering_version_and_is_finished_next_time(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexing, "IN_PLACE_MIN_CHUNKS", 1)
    write(make_corpus, TOPICS[:4])
    config, store = setup(make_corpus, tmp_path)
    answering = run(config, store, e5).version
    (make_corpus / f"{TOPICS[1][0]}.md").write_text(
        article(TOPICS[1][1], TOPICS[1][2], " The brief now has a budget line."), "utf-8"
    )
    with pytest.raises(RuntimeError):
        run(config, store, Recording(e5, fail_on_call=1))  # after the standby was renamed
    assert store.manifest().version == answering  # type: ignore[union-attr]
    assert not any("budget line" in r.text for r in store.open(answering).records("chunks"))

    report = run(config, store, e5)
    assert report.version != answering and len(store.versions()) == 2
    texts = [r.text for r in store.open(report.version).records("chunks")]
    assert sum("budget line" in t for t in texts) == 1 and len(texts) == report.chunks
