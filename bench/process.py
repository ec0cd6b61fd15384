"""Processes the benchmarks start: the CLI one-shot, and the chat page until it answers."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from support import clean_env, free_port, stop

from assistant import Settings
from bench.measure import timed


def subprocess_env(settings: Settings) -> dict[str, str]:
    """The environment of the CLI runs: default settings on the bench's index (quiet and
    offline, as the tests run them)."""
    return clean_env(
        ASSISTANT_CORPUS_DIR=str(settings.corpus_dir.resolve()),
        ASSISTANT_INDEX_DIR=str(settings.index_dir.resolve()),
        PYTHONUNBUFFERED="1",
    )


@dataclass
class ChatServer:
    """A running ``assistant chat`` process and how long its page took to answer."""

    process: subprocess.Popen[bytes]
    url: str
    served_s: float


@contextmanager
def chat_server(
    settings: Settings, work: Path, timeout: float = 180.0, env: Mapping[str, str] | None = None
) -> Iterator[ChatServer]:
    """Start ``python -m assistant chat`` and wait until ``GET /`` answers 200 (``env``: more
    environment variables, e.g. ``ASSISTANT_RATE_LIMIT``)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    logfile = work / f"chat-{port}.log"
    with open(logfile, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "chat", "--host", "127.0.0.1", "--port", str(port)],
            env={**subprocess_env(settings), **(env or {})},
            cwd=work,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"`assistant chat` exited with {process.returncode}:\n"
                        + logfile.read_text(errors="replace")[-2000:]
                    )
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"`assistant chat` did not serve {url} in {timeout} s")
                try:
                    with urllib.request.urlopen(url, timeout=1.0) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    pass
                time.sleep(0.02)
            yield ChatServer(process, url, time.perf_counter() - started)
        finally:
            stop(process, timeout=15)


def run_command(args: list[str], env: dict[str, str], cwd: Path) -> float:
    """Seconds until the command exits; raises if it fails."""
    seconds, done = timed(
        partial(subprocess.run, args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    )
    if done.returncode != 0 or (args[-2:-1] == ["ask"] and not done.stdout.strip()):
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds
