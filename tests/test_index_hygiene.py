"""The index folder as an operator meets it, with the real e5 model and Chroma on disk: its
size across many small rebuilds, an index deleted and rebuilt under a running assistant, a
damaged store, and a folder the build cannot write."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from support import clean_env
from test_indexing import OLD_PATH, OLD_QUESTION, RETAINER, TOPICS, article, write

from assistant import Assistant, IndexMissingError, Settings
from assistant.embeddings import E5Embeddings

T = TypeVar("T")


def cli(config: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m assistant ARGS`` on the settings' corpus and index, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_env(
            ASSISTANT_CORPUS_DIR=str(config.corpus_dir), ASSISTANT_INDEX_DIR=str(config.index_dir)
        ),
    )


def within(seconds: float, attempt: Callable[[], T | None]) -> T:
    """The first result of ``attempt`` that is not None (an exception counts as none)."""
    deadline = time.monotonic() + seconds
    error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = attempt()
            if result is not None:
                return result
        except Exception as e:
            error = e
        time.sleep(0.2)
    pytest.fail(f"nothing within {seconds} s (last error: {error!r})")


def folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


# --- disk -----------------------------------------------------------------------------------
def test_twenty_small_rebuilds_keep_the_index_size_flat(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:10])
    config = Settings(corpus_dir=make_corpus, index_dir=tmp_path / "index")
    bot = Assistant(config, embeddings=e5)
    bot.index()
    chroma = config.index_dir / "chroma"
    sizes, folders = [], []
    for n in range(20):  # one file changed per build, each build switching versions
        stem, title, body = TOPICS[n % 10]
        (make_corpus / f"{stem}.md").write_text(article(title, body, f" Revision {n}."), "utf-8")
        assert bot.index().updated == 1
        sizes.append(folder_size(config.index_dir))
        folders.append(sorted(p.name for p in chroma.iterdir() if p.is_dir()))

    # The answering version and the previous one: two HNSW folders each, two BM25 folders.
    assert [len(f) for f in folders] == [4] * 20, folders
    assert len(list((config.index_dir / "lexical").iterdir())) == 2
    # Chroma's database keeps its freed pages for reuse: it settles after a few builds.
    assert sizes[-1] <= 1.2 * sizes[1], sizes
    assert sizes[-1] <= 1.1 * sizes[9], sizes
    assert TOPICS[9][0] == "influencer-contracts"  # changed last
    assert "Revision 19." in bot.search("the fee paid to the content creator", k=1)[0].text


# --- an index deleted and built again under a running assistant --------------------------
def test_a_running_assistant_follows_an_index_deleted_and_rebuilt_by_another_process(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:3])
    config = Settings(corpus_dir=make_corpus, index_dir=tmp_path / "index")
    bot = Assistant(config, embeddings=e5)  # a running page, reading every 2 s
    bot.index()
    assert bot.ask(OLD_QUESTION).sources[0].path == OLD_PATH

    shutil.rmtree(config.index_dir)  # rm -rf index/
    for file in make_corpus.glob("*.md"):
        file.unlink()
    write(make_corpus, TOPICS[5:9])

    # Until it is built again the assistant says so, instead of answering from deleted files.
    def refused() -> str | None:
        try:
            bot.ask(OLD_QUESTION)
        except IndexMissingError as e:
            return str(e)
        return None

    assert within(5, refused) == (
        f"The index in {config.index_dir} was deleted. Build it again with `assistant index`."
    )
    built = cli(config, "index")
    assert built.returncode == 0, built.stderr

    def answered() -> list[str] | None:
        paths = [s.path for s in bot.ask(RETAINER).sources]
        return paths if paths and paths[0] == "corpus/retainer-fees.md" else None

    assert OLD_PATH not in within(5, answered)
    assert all(h.path != OLD_PATH for h in bot.search(OLD_QUESTION, k=5))


# --- a damaged store ------------------------------------------------------------------------
def test_a_damaged_store_is_named_in_one_line_and_index_rebuild_recovers_it(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:3])
    config = Settings(corpus_dir=make_corpus, index_dir=tmp_path / "index")
    page = Assistant(config, embeddings=e5)
    page.index()
    assert page.ask(OLD_QUESTION).sources[0].path == OLD_PATH
    database = config.index_dir / "chroma" / "chroma.sqlite3"
    os.truncate(database, database.stat().st_size // 2)

    asked, indexed = cli(config, "ask", OLD_QUESTION), cli(config, "index")

    message = (
        f"error: The index at {database} is damaged (database disk image is malformed); "
        "rebuild it with `assistant index --rebuild`.\n"
    )
    for result in (asked, indexed):
        assert (result.returncode, result.stderr) == (1, message)
    rebuilt = cli(config, "index", "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "Traceback" not in rebuilt.stderr and "3 added" in rebuilt.stdout
    assert (config.index_dir / "chroma.damaged" / "chroma.sqlite3").is_file()
    again = cli(config, "ask", OLD_QUESTION)
    assert again.returncode == 0 and OLD_PATH in again.stdout
    # The page that was open all along answers from the new store too.
    assert within(5, lambda: page.ask(OLD_QUESTION).sources[0].path) == OLD_PATH


def test_a_damaged_store_is_rebuilt_by_a_running_assistant(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:3])
    config = Settings(corpus_dir=make_corpus, index_dir=tmp_path / "index")
    bot = Assistant(config, embeddings=e5)
    bot.index()
    database = config.index_dir / "chroma" / "chroma.sqlite3"
    os.truncate(database, database.stat().st_size // 2)

    report = bot.index(rebuild=True)

    assert report.added == 3 and (config.index_dir / "chroma.damaged").is_dir()
    assert bot.ask(OLD_QUESTION).sources[0].path == OLD_PATH


# --- folders the build cannot write ----------------------------------------------------------
def built_index(make_corpus: Path, tmp_path: Path, e5: E5Embeddings) -> Settings:
    write(make_corpus, TOPICS[:2])
    config = Settings(corpus_dir=make_corpus, index_dir=tmp_path / "index")
    Assistant(config, embeddings=e5).index()
    write(make_corpus, TOPICS[2:3])  # something to build
    return config


def assert_one_line(result: subprocess.CompletedProcess[str], path: Path, reason: str) -> None:
    assert result.returncode == 1
    assert result.stderr == (
        f"error: Cannot use {path}: {reason}. Check that the user running `assistant` may read "
        "and write it, then run the command again.\n"
    )


def test_a_file_where_the_lexical_folder_belongs_is_one_line(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    config = built_index(make_corpus, tmp_path, e5)
    lexical = config.index_dir / "lexical"
    shutil.rmtree(lexical)
    lexical.write_text("a file", "utf-8")

    assert_one_line(cli(config, "index"), lexical, "a file stands where a folder belongs")


def test_a_read_only_lexical_folder_is_one_line(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    config = built_index(make_corpus, tmp_path, e5)
    lexical = config.index_dir / "lexical"
    if os.geteuid() != 0:
        lexical.chmod(0o555)
        undo = ["chmod", "755", str(lexical)]
        reason = "Permission denied"
    else:  # root writes through a mode; an immutable folder refuses even root (ext4, xfs)
        made = subprocess.run(["chattr", "+i", str(lexical)], capture_output=True, check=False)
        if made.returncode != 0:
            pytest.skip("running as root on a file system without chattr +i")
        undo = ["chattr", "-i", str(lexical)]
        reason = "Operation not permitted"
    try:
        assert_one_line(cli(config, "index"), lexical, reason)
    finally:
        subprocess.run(undo, check=True)
