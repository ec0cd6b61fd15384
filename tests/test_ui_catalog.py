"""What the page says about the corpus (``assistant/catalog.py``, ``assistant/ui/i18n.py``).

The catalog reads titles, kinds, links and ``examples:`` from the corpus's front matter, and the
intro is built from it, so it stays true when an article is added.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.catalog import Catalog
from assistant.ui.i18n import documents_markdown, intro_markdown

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
NOTE = "corpus/notes/account-manager-and-director-en.md"
ARTICLE = "corpus/articles/key-account-executive-la-gi.md"


def test_catalog_reads_titles_links_and_examples() -> None:
    catalog = Catalog.load(CORPUS)
    assert catalog is Catalog.load(CORPUS)  # read once
    article = catalog.document(ARTICLE)
    assert article is not None and article.kind == "article"
    assert article.url == "https://www.brandsvietnam.com/"
    note = catalog.document(NOTE)
    assert note is not None and note.based_on == ARTICLE
    assert catalog.examples("en") and catalog.examples("vi")
    assert all(q.endswith("?") for q in catalog.examples("en") + catalog.examples("vi"))
    assert "hiring" in catalog.uncovered  # no document names hiring or job openings


def test_intro_comes_from_the_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("assistant.catalog.CHECK_EVERY", 0.0)  # look at the files every time
    shutil.copytree(CORPUS, tmp_path / "corpus")
    before = Catalog.load(tmp_path / "corpus")
    intro = intro_markdown(before, "en")
    assert intro.startswith("I answer questions from one article and 7 notes")
    assert "hiring or job openings" in documents_markdown(before, "en")
    assert "What an Account Executive \\(AE\\) does" in documents_markdown(before, "en")
    assert "Account Executive \\(AE\\) làm gì?" in documents_markdown(before, "vi")
    # An article about hiring is added: the intro counts it, names it, and no longer says
    # that hiring is beyond it; its example questions are offered.
    (tmp_path / "corpus" / "articles" / "hiring.md").write_text(
        "---\ntitle: Hiring in agencies\nlanguage: en\nkind: article\n"
        'source: https://example.com/hiring\nexamples: ["How do agencies hire an AE?"]\n'
        "---\nAgencies post a job opening for each account executive they are hiring.\n",
        "utf-8",
    )
    after = Catalog.load(tmp_path / "corpus")
    assert intro_markdown(after, "en").startswith("I answer questions from 2 articles and 7 notes")
    assert "hiring or job openings" not in documents_markdown(after, "en")
    assert "Hiring in agencies" in documents_markdown(after, "en")
    assert "How do agencies hire an AE?" in after.examples("en", limit=20)
