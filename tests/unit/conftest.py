"""Fixtures of the fast tests: the deterministic fake model, a tiny corpus, Chroma in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Settings
from assistant.store import Store
from assistant.testing import FakeEmbeddings

NOTES = {
    "account-executive.md": (
        "An Account Executive serves the client and takes in the client's requests every "
        "day.\n\nThe Account Executive is the entry level of account management in an "
        "advertising agency."
    ),
    "account-director.md": (
        "An Account Director leads the account team and owns the relationship with the "
        "client's senior people.\n\nThe Account Director advises the client on strategy."
    ),
    "media-buying.md": (
        "A media buyer negotiates the price of advertising space with newspapers, websites "
        "and television channels."
    ),
}


def note(stem: str, body: str) -> str:
    title = stem.replace("-", " ").title()
    return f'---\ntitle: "{title}"\nlanguage: en\nkind: note\n---\n# {title}\n\n{body}\n'


@pytest.fixture
def fake() -> FakeEmbeddings:
    return FakeEmbeddings()


@pytest.fixture
def config(make_corpus: Path, tmp_path: Path) -> Settings:
    """Default settings (no ``.env``) on a three-note corpus and an empty index folder."""
    for stem, body in NOTES.items():
        (make_corpus / stem).write_text(note(stem.removesuffix(".md"), body), "utf-8")
    return Settings(_env_file=None, corpus_dir=make_corpus, index_dir=tmp_path / "index")


@pytest.fixture
def store(config: Settings) -> Store:
    return Store.from_settings(config)
