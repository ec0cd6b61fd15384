"""Shared fixtures: the real corpus indexed once per session with the real e5 model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import _offline

_offline.apply()  # offline and quiet, before a test imports gradio or chromadb

from assistant import Assistant, Settings  # noqa: E402
from assistant.embeddings import E5Embeddings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def e5() -> E5Embeddings:
    """One loaded e5 model for the whole session."""
    return E5Embeddings()


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, e5: E5Embeddings) -> Settings:
    """Settings whose index holds the shipped corpus (built once per session)."""
    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("index"))
    Assistant(settings, embeddings=e5).index()
    return settings


@pytest.fixture(scope="session")
def bot(corpus_index: Settings, e5: E5Embeddings) -> Assistant:
    """The assistant on the shipped corpus, default settings."""
    return Assistant(corpus_index, embeddings=e5)


@pytest.fixture
def make_corpus(tmp_path: Path) -> Iterator[Path]:
    """An empty corpus folder (with the shipped alias table) to fill in a test."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "aliases.yaml").write_text((CORPUS / "aliases.yaml").read_text("utf-8"), "utf-8")
    yield folder
