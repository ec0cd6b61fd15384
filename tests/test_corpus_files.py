"""Reading corpus/: every kind of bad file is skipped with a reason naming it; the rest is read."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.corpus import MAX_FILE_BYTES, read_corpus
from assistant.embeddings import E5Embeddings

GOOD = """---
title: "What an Account Executive (AE) does"
language: en
kind: note
---
# What an Account Executive (AE) does

An Account Executive (AE) serves the client and takes in the client's requests every day.
"""

HTML = """<!doctype html>
<html lang="en-GB">
<head><title>Account Manager duties</title>
<style>body { color: red }</style>
<script>window.tracking = "SCRIPT-TEXT";</script></head>
<body>
<header><nav><a href="/">NAV-HOME</a> | <a href="/jobs">NAV-JOBS</a></nav></header>
<aside>ASIDE-TEXT: related posts</aside>
<main>
  <h1>What an Account Manager does</h1>
  <p>An Account Manager (AM) plans the <b>account</b> strategy and
     leads the Account Executives on the team.</p>
  <ul><li><p>Keeps the client relationship healthy.</p></li><li>Reviews budgets.</li></ul>
  <div hidden>HIDDEN-TEXT</div>
</main>
<footer>FOOTER-TEXT © 2024</footer>
<script>track("SCRIPT-TEXT-2")</script>
</body></html>
"""


@contextlib.contextmanager
def _unblocked(fifo: Path) -> Iterator[None]:
    """Should a reader ever open ``fifo``, give it an end of file instead of a hang."""
    done = threading.Event()

    def writer() -> None:
        while not done.wait(0.2):
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:  # no reader: nothing to unblock
                continue

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def reasons(corpus: Path) -> dict[str, str]:
    files, skipped = read_corpus(corpus)
    return {s.path: s.reason for s in skipped}


def test_an_html_table_is_read_as_a_table_and_a_layout_table_as_text(make_corpus: Path) -> None:
    (make_corpus / "pay.html").write_text(
        "<html><body><main><h2>Salary</h2><table>"
        "<tr><th>Level</th><th>Salary (USD per year)</th></tr>"
        "<tr><td>Junior UX writer</td><td>$65,000-$80,000</td></tr>"
        "<tr><td>Senior UX writer</td><td>$120,000-$150,000</td></tr>"
        "</table><table><tr><td><table><tr><td>Inner</td></tr></table></td>"
        "<td>Laid out beside it.</td></tr><tr><td>Row</td></tr></table></main></body></html>",
        "utf-8",
    )
    files, skipped = read_corpus(make_corpus)
    assert skipped == []
    text = files[0].document.page_content
    # Rows keep their columns, so that each is quoted with the columns' names.
    assert (
        "Level: Junior UX writer; Salary (USD per year): $65,000-$80,000\n"
        "Level: Senior UX writer; Salary (USD per year): $120,000-$150,000"
    ) in text
    assert "Laid out beside it." in text and "Inner;" not in text


def test_good_markdown_html_and_plain_text_are_read(make_corpus: Path) -> None:
    (make_corpus / "ae.md").write_text(GOOD, "utf-8")
    (make_corpus / "am.html").write_text(HTML, "utf-8")
    (make_corpus / "notes").mkdir()
    (make_corpus / "notes" / "plain-ad-notes.txt").write_text(
        "An Account Director (AD) owns the agency's relationship with a few key clients.\n", "utf-8"
    )
    (make_corpus / "README.md").write_text("# About this folder\n", "utf-8")  # not a document

    files, skipped = read_corpus(make_corpus)

    assert skipped == []
    by_path = {f.path: f.document for f in files}
    assert sorted(by_path) == ["corpus/ae.md", "corpus/am.html", "corpus/notes/plain-ad-notes.txt"]
    ae = by_path["corpus/ae.md"]
    assert ae.metadata["title"] == "What an Account Executive (AE) does"
    assert "title:" not in ae.page_content  # front matter is not text

    page = by_path["corpus/am.html"]
    assert page.metadata["title"] == "Account Manager duties"
    assert page.metadata["language"] == "en"
    text = page.page_content
    # The main text is kept, as flowing sentences (source line breaks are not sentence breaks).
    assert "# What an Account Manager does" in text
    assert (
        "An Account Manager (AM) plans the account strategy and leads the Account "
        "Executives on the team."
    ) in text
    assert "- Keeps the client relationship healthy." in text
    assert "- Reviews budgets." in text
    for dropped in (
        "NAV-HOME",
        "NAV-JOBS",
        "SCRIPT-TEXT",
        "FOOTER-TEXT",
        "ASIDE-TEXT",
        "HIDDEN-TEXT",
        "color: red",
    ):
        assert dropped not in text

    plain = by_path["corpus/notes/plain-ad-notes.txt"]
    assert plain.metadata["title"] == "plain ad notes"  # from the file name
    assert plain.metadata["language"] == "en"


def test_each_bad_file_is_skipped_with_a_reason(make_corpus: Path) -> None:
    (make_corpus / "good.md").write_text(GOOD, "utf-8")
    (make_corpus / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    (make_corpus / "empty.md").write_bytes(b"")
    (make_corpus / "blank.txt").write_text("  \n\n \t\n", "utf-8")
    (make_corpus / "latin1.md").write_bytes(
        "# Chức vụ\n\nCafé crème".encode("latin-1", "replace")
        + "\n\nnaïve résumé".encode("latin-1")
    )
    (make_corpus / "utf16.txt").write_text("An AE serves the client.", "utf-16")
    (make_corpus / "bad-yaml.md").write_text(
        "---\ntitle: [unclosed\nlanguage: en\n---\n# Text\n\nSome words here.\n", "utf-8"
    )
    (make_corpus / "unclosed.md").write_text(
        "---\ntitle: Never closed\nlanguage: en\n\n# Text\n\nSome words here.\n", "utf-8"
    )
    (make_corpus / "list-front-matter.md").write_text(
        "---\n- just\n- a list\n---\n# Text\n\nSome words here.\n", "utf-8"
    )
    (make_corpus / "only-front-matter.md").write_text("---\ntitle: Nothing else\n---\n", "utf-8")
    (make_corpus / "huge.txt").write_bytes(b"word " * (MAX_FILE_BYTES // 5 + 1))
    (make_corpus / "dangling.md").symlink_to(make_corpus / "does-not-exist.md")
    (make_corpus / "loop-a.md").symlink_to(make_corpus / "loop-b.md")
    (make_corpus / "loop-b.md").symlink_to(make_corpus / "loop-a.md")
    os.mkfifo(make_corpus / "pipe.md")  # reading it would block forever

    with _unblocked(make_corpus / "pipe.md"):
        files, skipped = read_corpus(make_corpus)

    assert [f.path for f in files] == ["corpus/good.md"]
    got = {s.path: s.reason for s in skipped}
    expected = {
        "corpus/image.md": "binary file",
        "corpus/empty.md": "empty file",
        "corpus/blank.txt": "empty file",
        "corpus/latin1.md": "not UTF-8 text",
        "corpus/utf16.txt": "UTF-16 text; save it as UTF-8",
        "corpus/bad-yaml.md": "broken front matter",
        "corpus/unclosed.md": "broken front matter: no closing --- line",
        "corpus/list-front-matter.md": "broken front matter: expected 'key: value'",
        "corpus/only-front-matter.md": "no text after the front matter",
        "corpus/huge.txt": f"larger than {MAX_FILE_BYTES:,} bytes",
        "corpus/dangling.md": "a symlink to a file that does not exist",
        "corpus/loop-a.md": "Too many levels of symbolic links",
        "corpus/loop-b.md": "Too many levels of symbolic links",
        "corpus/pipe.md": "not a regular file",
    }
    assert sorted(got) == sorted(expected)
    for path, reason in expected.items():
        assert reason in got[path], (path, got[path])
    assert "save it as UTF-8" in got["corpus/latin1.md"]
    assert "split it into smaller files" in got["corpus/huge.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_is_skipped(make_corpus: Path) -> None:
    (make_corpus / "good.md").write_text(GOOD, "utf-8")
    locked = make_corpus / "locked.md"
    locked.write_text(GOOD, "utf-8")
    locked.chmod(0)
    try:
        assert "Permission denied" in reasons(make_corpus)["corpus/locked.md"]
    finally:
        locked.chmod(0o644)


def test_a_file_name_that_is_not_utf8_is_skipped(make_corpus: Path) -> None:
    (make_corpus / "good.md").write_text(GOOD, "utf-8")
    with open(os.path.join(os.fsencode(make_corpus), b"caf\xe9.md"), "wb") as handle:
        handle.write(GOOD.encode("utf-8"))

    got = reasons(make_corpus)

    assert got == {"corpus/caf\\xe9.md": "its name is not valid UTF-8; rename it"}


def test_symlinked_folders_are_read_once_and_a_loop_is_not_followed(
    make_corpus: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "shared-notes"
    outside.mkdir()
    (outside / "am.md").write_text(
        GOOD.replace("Account Executive (AE)", "Account Manager"), "utf-8"
    )
    (make_corpus / "shared").symlink_to(outside, target_is_directory=True)
    (make_corpus / "sub").mkdir()
    (make_corpus / "sub" / "good.md").write_text(GOOD, "utf-8")
    (make_corpus / "sub" / "back-to-top").symlink_to(make_corpus, target_is_directory=True)

    files, skipped = read_corpus(make_corpus)

    assert [f.path for f in files] == ["corpus/shared/am.md", "corpus/sub/good.md"]
    assert [(s.path, s.reason.split(";")[0]) for s in skipped] == [
        ("corpus/sub/back-to-top", "a symlinked folder that is read already (a loop)")
    ]


def test_windows_line_endings_and_a_bom_are_read(make_corpus: Path) -> None:
    (make_corpus / "crlf.md").write_bytes(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())

    files, skipped = read_corpus(make_corpus)

    assert skipped == []
    assert files[0].document.metadata["title"] == "What an Account Executive (AE) does"
    assert "\r" not in files[0].document.page_content


def test_bad_files_do_not_stop_the_index_and_are_reported(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings, caplog: pytest.LogCaptureFixture
) -> None:
    (make_corpus / "good.md").write_text(GOOD, "utf-8")
    (make_corpus / "page.html").write_text(HTML, "utf-8")
    (make_corpus / "empty.md").write_bytes(b"")
    (make_corpus / "latin1.txt").write_bytes("Café crème".encode("latin-1"))
    bot = Assistant(Settings(corpus_dir=make_corpus, index_dir=tmp_path / "index"), embeddings=e5)

    with caplog.at_level(logging.WARNING, logger="assistant.corpus"):
        report = bot.index()

    assert (report.added, report.chunks_embedded) == (2, report.chunks)
    assert [s.path for s in report.skipped] == ["corpus/empty.md", "corpus/latin1.txt"]
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "skipped corpus/empty.md: empty file" in warned
    assert "skipped corpus/latin1.txt: not UTF-8 text" in warned
    hits = bot.search("Who leads the Account Executives and plans the account strategy?", k=3)
    assert hits[0].path == "corpus/page.html"
    assert all("NAV-HOME" not in h.text and "SCRIPT-TEXT" not in h.text for h in hits)


def test_cli_warns_about_skipped_files_and_reports_them_in_json(
    make_corpus: Path, tmp_path: Path
) -> None:
    (make_corpus / "good.md").write_text(GOOD, "utf-8")
    (make_corpus / "broken.md").write_text("---\ntitle: [oops\n---\ntext\n", "utf-8")
    (make_corpus / "binary.md").write_bytes(b"\x00\x01\x02binary")
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(make_corpus),
        "ASSISTANT_INDEX_DIR": str(tmp_path / "index"),
    }

    first = subprocess.run(
        [sys.executable, "-m", "assistant", "index"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    again = subprocess.run(
        [sys.executable, "-m", "assistant", "index", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert first.returncode == 0, first.stderr
    # Without a terminal: one warning per skipped file, no progress bar, no other logging.
    warnings = first.stderr.splitlines()
    assert len(warnings) == 2, first.stderr
    assert "corpus/binary.md" in warnings[0] and "binary file" in warnings[0]
    assert "corpus/broken.md" in warnings[1] and "broken front matter" in warnings[1]
    assert first.stdout.startswith(
        "1 file: 1 added, 0 updated, 0 removed, 0 unchanged, 2 skipped; "
    )
    assert "chunks embedded in" in first.stdout
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert list(report) == [
        "added",
        "updated",
        "removed",
        "unchanged",
        "chunks_embedded",
        "skipped",
    ]
    assert (report["unchanged"], report["chunks_embedded"]) == (1, 0)
    assert [(s["path"], s["reason"].split(":")[0]) for s in report["skipped"]] == [
        ("corpus/binary.md", "binary file (contains NUL bytes), not text"),
        ("corpus/broken.md", "broken front matter"),
    ]
