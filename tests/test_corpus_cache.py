"""Re-indexing opens only the files that changed (``corpus.FileCache``, ``index/files.json``),
with real files, the real e5 model and Chroma on disk.

A file is taken from the cache when its size, modification time and inode are those recorded;
the tests change a file's bytes while keeping (or not) its size and time, and look at what the
index then answers.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant, Settings, corpus
from assistant.corpus import CorpusFile, FileCache, read_corpus
from assistant.embeddings import E5Embeddings
from assistant.indexing import FILE_CACHE, IndexReport

#: Files the tests change, each on its own topic: (name, title, body).
TOPICS = [
    ("buyer.md", "Media buying", "A media buyer negotiates the price of advertising space."),
    ("brief.md", "Client briefs", "A client brief states the campaign objective and budget."),
    ("planner.md", "Account planning", "An account planner writes the insight of a campaign."),
    ("booth.md", "Trade shows", "At a trade show the agency builds the booth and staffs it."),
]
#: Files around them, a few hundred, whose bodies repeat (e5 embeds only a handful of texts).
FILLERS = 236
FILES = FILLERS + len(TOPICS)
FILLER_BODIES = [
    "Timesheets record the hours each person spends on a client's jobs.",
    "A traffic manager moves every job through the studio on schedule.",
    "The finance team sends the client an invoice at the end of each month.",
    "A studio artist prepares the final files for the printer.",
]
AN_HOUR_NS = 3600 * 10**9


def make_notes(corpus: Path, age_ns: int = AN_HOUR_NS) -> list[Path]:
    """The ``TOPICS`` files (returned) and the fillers, last modified ``age_ns`` ago."""
    then = time.time_ns() - age_ns
    written = []
    for name, title, body in TOPICS:
        written.append(corpus / name)
        written[-1].write_text(f'---\ntitle: "{title}"\n---\n\n{body}\n', encoding="utf-8")
    for i in range(FILLERS):
        k = i % len(FILLER_BODIES)
        path = corpus / f"team-{i // 60}" / f"note-{i:03d}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"# Agency note {k}\n\n{FILLER_BODIES[k]}\n", encoding="utf-8")
        written.append(path)
    for path in written:
        os.utime(path, ns=(then, then))
    return written[: len(TOPICS)]


def rewrite_in_place(path: Path, old: str, new: str, mtime_ns: int | None = None) -> None:
    """Replace ``old`` by ``new`` (same length) in the file's bytes, keeping its inode; then
    set its modification time to ``mtime_ns`` (by default, keep the one it had)."""
    assert len(old.encode()) == len(new.encode())
    before = path.stat()
    data = path.read_bytes().replace(old.encode(), new.encode())
    with open(path, "r+b") as handle:  # the same inode, as an editor saving in place
        handle.write(data)
    keep = before.st_mtime_ns if mtime_ns is None else mtime_ns
    os.utime(path, ns=(keep, keep))
    assert path.stat().st_size == before.st_size


def index(settings: Settings, e5: E5Embeddings, rebuild: bool = False) -> IndexReport:
    return Assistant(settings, embeddings=e5, build_if_missing=False).index(rebuild=rebuild)


def passage_of(settings: Settings, e5: E5Embeddings, path: Path, question: str) -> str | None:
    """The text the index answers ``question`` with from ``path`` (None: not among the hits)."""
    bot = Assistant(settings, embeddings=e5, build_if_missing=False)
    shown = f"corpus/{path.relative_to(settings.corpus_dir).as_posix()}"
    hits = [h for h in bot.search(question, k=5) if h.path == shown]
    return hits[0].text if hits else None


@pytest.fixture
def settings(make_corpus: Path, tmp_path: Path) -> Settings:
    return Settings(_env_file=None, corpus_dir=make_corpus, index_dir=tmp_path / "index")


def test_a_file_with_the_same_size_and_time_is_not_opened_until_a_rebuild(
    settings: Settings, e5: E5Embeddings
) -> None:
    paths = make_notes(settings.corpus_dir)
    first = index(settings, e5)
    assert (first.added, first.files_read) == (FILES, FILES)

    # The bytes change, but not the size, the time or the inode: the cache is trusted, so
    # the index keeps the old text. Had the file been opened, the change would show.
    saved = (settings.index_dir / FILE_CACHE).stat().st_mtime_ns
    rewrite_in_place(paths[0], "media buyer", "radio buyer")
    again = index(settings, e5)
    assert (again.files_read, again.updated, again.unchanged) == (0, 0, FILES)
    assert (settings.index_dir / FILE_CACHE).stat().st_mtime_ns == saved  # nothing to write
    assert "media buyer" in (passage_of(settings, e5, paths[0], "media buyer price") or "")

    rebuilt = index(settings, e5, rebuild=True)
    assert rebuilt.files_read == FILES
    assert "radio buyer" in (passage_of(settings, e5, paths[0], "radio buyer price") or "")


def test_a_file_with_the_same_size_and_a_new_time_is_read_again(
    settings: Settings, e5: E5Embeddings
) -> None:
    paths = make_notes(settings.corpus_dir)
    index(settings, e5)
    # Still long ago (not "racy"), but one second later than it was.
    rewrite_in_place(paths[1], "budget", "BUDGET", paths[1].stat().st_mtime_ns + 10**9)

    report = index(settings, e5)

    assert (report.files_read, report.updated, report.unchanged) == (1, 1, FILES - 1)
    assert "BUDGET" in (passage_of(settings, e5, paths[1], "client brief objective") or "")


def test_an_edit_in_the_same_timestamp_tick_as_the_read_is_caught(
    settings: Settings, e5: E5Embeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor saves a file while the build reads it, twice within one tick of the file
    system's clock: the second save leaves the size and the time the build saw ("racy git")."""
    paths = make_notes(settings.corpus_dir)
    planner = paths[2]
    tick = time.time_ns()
    real_stat, real_read = corpus._stat, corpus.read_file

    def saved_then_stat(path: Path) -> os.stat_result | None:
        if path == planner:
            planner.write_bytes(planner.read_bytes())  # the first save, just now
            os.utime(planner, ns=(tick, tick))
        return real_stat(path)

    def read_then_saved(path: Path, *args: Any) -> CorpusFile:
        read = real_read(path, *args)
        if path == planner:  # the second save, in the same tick
            rewrite_in_place(planner, "insight", "INSIGHT")
        return read

    monkeypatch.setattr(corpus, "_stat", saved_then_stat)
    monkeypatch.setattr(corpus, "read_file", read_then_saved)
    index(settings, e5)
    monkeypatch.undo()
    assert planner.stat().st_mtime_ns == tick

    report = index(settings, e5)

    assert (report.files_read, report.updated) == (1, 1)
    assert "INSIGHT" in (passage_of(settings, e5, planner, "account planner insight") or "")
    # Once it is old enough, the same file is trusted without being opened.
    old = tick - AN_HOUR_NS
    os.utime(planner, ns=(old, old))
    assert index(settings, e5).files_read == 1  # its time changed
    assert index(settings, e5).files_read == 0


def test_a_deleted_file_disappears_from_answers(settings: Settings, e5: E5Embeddings) -> None:
    booth = make_notes(settings.corpus_dir)[3]
    index(settings, e5)
    assert passage_of(settings, e5, booth, "who builds the booth at a trade show")

    booth.unlink()
    report = index(settings, e5)

    assert (report.removed, report.files_read) == (1, 0)
    assert passage_of(settings, e5, booth, "who builds the booth at a trade show") is None
    cached = json.loads((settings.index_dir / FILE_CACHE).read_text(encoding="utf-8"))
    assert "corpus/booth.md" not in cached["files"]
    assert len(cached["files"]) == FILES - 1


def test_a_binary_file_is_skipped_with_its_reason_on_every_run(
    settings: Settings, e5: E5Embeddings
) -> None:
    make_notes(settings.corpus_dir)
    (settings.corpus_dir / "logo.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

    first, second = index(settings, e5), index(settings, e5)

    for report in (first, second):
        assert [(s.path, s.reason) for s in report.skipped] == [
            ("corpus/logo.md", "binary file (contains NUL bytes), not text")
        ]
    assert second.files_read == 1  # only the skipped file is opened again


def test_a_damaged_or_foreign_cache_is_ignored(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_notes(settings.corpus_dir)
    path = tmp_path / "files.json"
    cache = FileCache.load(path)  # none yet: empty, quietly
    files, _ = read_corpus(settings.corpus_dir, cache=cache)
    cache.save(path)
    assert (cache.read, len(files)) == (FILES, FILES)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("files")] == ["files.json"]

    again = FileCache.load(path)
    read_corpus(settings.corpus_dir, cache=again)
    assert (again.read, again.reused) == (0, FILES)

    # The same files seen through another folder (a copy, a moved corpus) are read again.
    moved = settings.corpus_dir.rename(tmp_path / "elsewhere")
    elsewhere = FileCache.load(path)
    read_corpus(moved, cache=elsewhere)
    assert elsewhere.read == FILES

    for damage in (
        '{"format": 1, "files": {"corpus/x.md": ',
        '{"format": 1, "files": {}, "started_ns": "x"}',
    ):
        path.write_text(damage, encoding="utf-8")
        with caplog.at_level("WARNING", logger="assistant.corpus"):
            damaged = FileCache.load(path)
        assert "ignoring the file cache" in caplog.text
        read_corpus(moved, cache=damaged)
        assert damaged.read == FILES
        caplog.clear()
