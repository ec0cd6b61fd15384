"""The index on a real Chroma server (``chroma run``), through ``chromadb.HttpClient``.

Everything the on-disk index does holds there too: incremental builds, deletions, the no-op,
crash safety (versions are swapped at collection level), a settings mismatch, and a second
machine that rebuilds its lexical index from the server. A token is checked by a real
reverse proxy in front of the server: Chroma 1.x's own server has no token auth to turn on.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from support import free_port
from test_indexing import (
    OLD_PATH,
    OLD_QUESTION,
    RETAINER,
    TOPICS,
    Recording,
    chunk_count,
    write,
)

from assistant import Assistant, IndexMismatchError, Settings, StoreError
from assistant.embeddings import E5Embeddings, SentenceTransformerEmbeddings
from assistant.indexing import Indexer
from assistant.store import Store, connect

pytestmark = pytest.mark.slow

CHROMA = Path(sys.executable).with_name("chroma")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real ``chroma run`` on 127.0.0.1; yields its port."""
    if not CHROMA.exists():
        pytest.skip(f"no chroma command at {CHROMA}")
    port = free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [
            str(CHROMA),
            "run",
            "--path",
            str(folder / "data"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/v2/heartbeat")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "chroma run did not start: "
                    + (folder / "server.log").read_text(errors="replace")[-2000:]
                )
            time.sleep(0.2)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def server_settings(corpus: Path, index_dir: Path, port: int, name: str, **extra: Any) -> Settings:
    return Settings(
        corpus_dir=corpus,
        index_dir=index_dir,
        chroma_host="127.0.0.1",
        chroma_port=port,
        collection=name,
        **extra,
    )


def stored_paths(store: Store) -> set[str]:
    manifest = store.manifest()
    assert manifest is not None
    return {r.metadata["path"] for r in store.open(manifest.version).records("chunks")}


def test_index_ask_update_and_delete_on_the_server(
    chroma_server: int, make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:4])
    index_dir = tmp_path / "index"
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(make_corpus),
        "ASSISTANT_INDEX_DIR": str(index_dir),
        "ASSISTANT_CHROMA_HOST": "127.0.0.1",
        "ASSISTANT_CHROMA_PORT": str(chroma_server),
        "ASSISTANT_COLLECTION": "kb-cli",
    }

    def index_command() -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "assistant", "index", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    config = server_settings(make_corpus, index_dir, chroma_server, "kb-cli")
    chunks = chunk_count(config, *[t[0] for t in TOPICS[:4]])
    first = index_command()
    again = index_command()
    (make_corpus / "timesheets.md").unlink()
    after_delete = index_command()

    assert (first["added"], first["chunks_embedded"]) == (4, chunks)
    assert (again["unchanged"], again["chunks_embedded"]) == (4, 0)
    assert (
        after_delete["removed"],
        after_delete["unchanged"],
        after_delete["chunks_embedded"],
    ) == (1, 3, 0)
    assert not (index_dir / "chroma").exists()  # nothing was stored on local disk
    bot = Assistant(config, embeddings=e5, build_if_missing=False)
    assert stored_paths(bot.store) == {
        "corpus/media-buying.md",
        "corpus/client-brief.md",
        "corpus/pitching.md",
    }
    reply = bot.ask(OLD_QUESTION)
    assert not reply.abstained and reply.sources[0].path == OLD_PATH

    minilm = SentenceTransformerEmbeddings("all-MiniLM-L6-v2")
    with pytest.raises(
        IndexMismatchError,
        match=rf"Chroma server 127.0.0.1:{chroma_server} was built with "
        r"embeddings=e5.*sentence-transformers:all-MiniLM-L6-v2",
    ):
        Indexer(config, minilm, bot.store).run()


def test_a_second_machine_rebuilds_its_lexical_index_from_the_server(
    chroma_server: int, make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:4])
    first_machine = server_settings(make_corpus, tmp_path / "a", chroma_server, "kb-two")
    Assistant(first_machine, embeddings=e5).index()
    second_machine = server_settings(
        make_corpus, tmp_path / "b", chroma_server, "kb-two", retrieval="bm25"
    )
    bot = Assistant(second_machine, embeddings=e5, build_if_missing=False)

    hits = bot.search("timesheets working hours bill the client", k=3)

    assert "corpus/timesheets.md" in {h.path for h in hits}
    version = bot.store.manifest().version  # type: ignore[union-attr]
    assert (tmp_path / "b" / "lexical" / f"kb-two-{version}" / "ids.json").is_file()
    # ...and an up-to-date index is not rebuilt from there either.
    again = Assistant(second_machine, embeddings=e5).index()
    assert (again.unchanged, again.chunks_embedded) == (4, 0)


def test_a_failed_build_on_the_server_leaves_the_old_index_answering(
    chroma_server: int, make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    write(make_corpus, TOPICS[:2])
    config = server_settings(make_corpus, tmp_path / "index", chroma_server, "kb-crash")
    store = Store(connect(config), config.collection, config.index_dir)
    Indexer(config, e5, store).run()
    old = store.manifest()
    write(make_corpus, TOPICS[2:12])

    with pytest.raises(RuntimeError):
        Indexer(config, Recording(e5, fail_on_call=3), store, batch_size=2).run()

    assert store.manifest() == old
    bot = Assistant(config, embeddings=e5, build_if_missing=False)
    bot.searcher.check_seconds = 0.0  # notice the next switch at once
    assert bot.search(OLD_QUESTION, k=1)[0].path == OLD_PATH
    report = Indexer(config, e5, store).run()
    assert report.added == 10
    assert report.chunks_embedded == chunk_count(config, *[t[0] for t in TOPICS[2:12]]) - 2
    assert set(store.versions()) == {old.version, report.version}  # type: ignore[union-attr]
    assert "corpus/retainer-fees.md" in {h.path for h in bot.search(RETAINER, k=3)}


class _TokenProxy(BaseHTTPRequestHandler):
    """Forwards requests that carry the right bearer token to the Chroma server."""

    protocol_version = "HTTP/1.1"
    upstream = 0
    token = ""
    seen: list[str | None] = []

    def _forward(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            payload = b'{"error":"Unauthorized"}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream, timeout=60)
        headers = {
            k: v
            for k, v in self.headers.items()
            if k.lower() not in {"host", "connection", "authorization"}
        }
        conn.request(self.command, self.path, body=body or None, headers=headers)
        answer = conn.getresponse()
        payload = answer.read()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in {"transfer-encoding", "connection", "content-length"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def token_proxy(chroma_server: int) -> Iterator[tuple[int, type[_TokenProxy]]]:
    handler = type(
        "Proxy", (_TokenProxy,), {"upstream": chroma_server, "token": "s3cret-token", "seen": []}
    )
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy.server_address[1], handler
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_a_token_is_sent_to_a_server_that_asks_for_one(
    token_proxy: tuple[int, type[_TokenProxy]], make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    port, proxy = token_proxy
    write(make_corpus, TOPICS[:2])
    config = server_settings(
        make_corpus, tmp_path / "index", port, "kb-token", chroma_token="s3cret-token"
    )

    bot = Assistant(config, embeddings=e5)
    report = bot.index()
    hits = bot.search(OLD_QUESTION, k=1)

    assert report.added == 2 and hits[0].path == OLD_PATH
    assert proxy.seen and set(proxy.seen) == {"Bearer s3cret-token"}
    for token in (None, "wrong"):
        bad = server_settings(make_corpus, tmp_path / "index", port, "kb-token", chroma_token=token)
        with pytest.raises(StoreError, match="ASSISTANT_CHROMA_TOKEN"):
            Assistant(bad, embeddings=e5).index()


def test_an_unreachable_server_is_a_clear_error(
    make_corpus: Path, tmp_path: Path, e5: E5Embeddings
) -> None:
    config = server_settings(make_corpus, tmp_path / "index", free_port(), "kb-none")

    with pytest.raises(
        StoreError,
        match=r"Cannot open the Chroma server at 127\.0\.0\.1:\d+"
        r".*`chroma run --path DIR --host 127\.0\.0\.1 --port N`",
    ):
        Assistant(config, embeddings=e5).index()
