"""Helpers the tests (and bench/) share for servers they start on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant import Assistant, Settings, _offline

#: The repository's root (its ``corpus/`` is the shipped corpus).
ROOT = Path(__file__).resolve().parent.parent
#: The fields of a source in a JSON answer (`assistant ask --json`, `Answer.to_dict()`).
SOURCE_FIELDS = {"path", "title", "chunk", "score", "text", "url", "kind", "language", "quotes"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the developer's ASSISTANT_* settings, plus ``extra``."""
    return _offline.environment(
        {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}, **extra
    )


def wait_until_served(
    url: str,
    process: subprocess.Popen[Any] | None = None,
    timeout: float = 120.0,
    log: Path | None = None,
) -> None:
    """Poll ``url`` until it answers over HTTP (any status); fail if the process exits.

    ``log`` is the file the process writes to, shown when it fails (else its pipes are read).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            output = (
                log.read_text(errors="replace")
                if log is not None
                else "\n".join(map(str, process.communicate()))
            )
            pytest.fail(f"the server exited with {process.returncode}:\n{output}")
        try:
            httpx.get(url, timeout=2.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    pytest.fail(f"nothing answered at {url} within {timeout:.0f} s")


def stop(process: subprocess.Popen[Any], timeout: float = 30.0) -> None:
    """Stop a server the test started: SIGTERM, then SIGKILL if it does not exit in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serving_chat(
    *args: str, cwd: Path, env: dict[str, str]
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``assistant chat --port N *args`` in a subprocess, once it answers over HTTP; yields
    (process, page url) and stops it after. Its output is piped: read it with
    ``process.communicate()`` once it has stopped."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "chat", "--port", str(port), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_served(url, process)
        yield process, url
    finally:
        stop(process, timeout=20)


def with_article(tmp_path: Path, embeddings: Any, name: str, text: str, **others: str) -> Assistant:
    """An assistant over a copy of the shipped corpus plus one article (``articles/<name>``)
    and any ``others`` (file name without ``.md``: text), indexed into ``tmp_path``."""
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    for file, article in {name: text, **{f"{n}.md": t for n, t in others.items()}}.items():
        (corpus / "articles" / file).write_text(article, "utf-8")
    bot = Assistant(
        Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embeddings=embeddings
    )
    bot.index()
    return bot
