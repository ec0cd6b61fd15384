"""The shipped corpus: the article word for word, notes with front matter, every topic reachable
in English and in Vietnamese (with and without diacritics)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import yaml

from assistant import Assistant
from assistant.corpus import read_corpus

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
ARTICLE = CORPUS / "articles" / "key-account-executive-la-gi.md"
SEED = ROOT.parent / "shared" / "seed" / "key-account-executive-la-gi.txt"
# sha256 of the seed article as received: the body in corpus/ must stay byte for byte.
SEED_SHA256 = "274e99c7f84ea9917c5e323bdcba236e75f368b2d12b959add86c5954d5e7bb2"


def body(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return re.split(r"^---\s*$", text, maxsplit=2, flags=re.M)[2].lstrip("\n")


def test_article_is_kept_word_for_word() -> None:
    text = body(ARTICLE)
    if SEED.is_file():
        assert text == SEED.read_text(encoding="utf-8")
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == SEED_SHA256


def test_every_corpus_file_parses() -> None:
    files, skipped = read_corpus(CORPUS)
    assert skipped == []
    assert len(files) >= 15
    for file in files:
        meta = file.document.metadata
        assert meta["title"] and meta["language"] in {"vi", "en"}
        assert meta["kind"] in {"article", "note"}


def test_article_front_matter() -> None:
    meta = yaml.safe_load(ARTICLE.read_text("utf-8").split("---")[1])
    assert meta["language"] == "vi" and meta["kind"] == "article"
    assert meta["title"] and meta["source"].startswith("https://www.brandsvietnam.com")


@pytest.mark.parametrize("note", sorted((CORPUS / "notes").glob("*.md")), ids=lambda p: p.name)
def test_every_note_has_front_matter(note: Path) -> None:
    text = note.read_text("utf-8")
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---")[1])
    assert meta["kind"] == "note" and meta["title"]
    assert meta["language"] == ("en" if note.stem.endswith("-en") else "vi")
    words = len(body(note).split())
    assert 80 <= words <= 600, f"{note.name} has {words} words: keep notes short, one topic"


def test_notes_come_in_pairs() -> None:
    stems = {p.stem.rsplit("-", 1)[0] for p in (CORPUS / "notes").glob("*.md")}
    for stem in stems:
        assert (CORPUS / "notes" / f"{stem}-en.md").is_file()
        assert (CORPUS / "notes" / f"{stem}-vi.md").is_file()


def test_aliases_file_is_valid() -> None:
    data = yaml.safe_load((CORPUS / "aliases.yaml").read_text("utf-8"))
    groups = data["groups"]
    assert len(groups) >= 10 and all(isinstance(g, list) and len(g) >= 2 for g in groups)


# Each topic: an English and a Vietnamese way in (and Vietnamese typed without diacritics),
# and a phrase the passage that answers it must contain (any language).
TOPICS = {
    "account-executive": (
        [
            "What is the job of an account executive?",
            "Account executive làm công việc gì?",
            "account executive lam cong viec gi",
        ],
        r"serv\w* the client|phục vụ|execution|thực (hiện|thi)",
    ),
    "account-manager-and-director": (
        [
            "What does an account director do?",
            "Account director chịu trách nhiệm gì?",
            "account director chiu trach nhiem gi",
        ],
        r"strateg|chiến lược|plan|quản lý|manag",
    ),
    "career-ladder": (
        [
            "How many years from account manager to account director?",
            "Từ account manager lên account director mất mấy năm?",
            "tu account manager len account director mat may nam",
        ],
        r"5\s*[-–]\s*6",
    ),
    "glossary": (
        [
            "What does KH mean in the article?",
            "KH trong bài viết nghĩa là gì?",
            "KH trong bai viet nghia la gi",
        ],
        r"khách hàng|client",
    ),
    "key-account-vs-account-executive": (
        [
            "Is a key account executive different from an account executive?",
            "Key account executive khác account executive thế nào?",
            "key account executive khac account executive the nao",
        ],
        r"key account|KAE",
    ),
    "moving-up": (
        [
            "What should an account executive learn to get promoted?",
            "AE nên học gì để được thăng tiến?",
            "AE nen hoc gi de duoc thang tien",
        ],
        r"marketing|mkt",
    ),
}


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_each_topic_has_a_way_in_per_language(bot: Assistant, topic: str) -> None:
    questions, fact = TOPICS[topic]
    for question in questions:
        reply = bot.ask(question)
        assert not reply.abstained, question
        cited = " ".join(s.text for s in reply.sources)
        assert re.search(fact, reply.answer + cited, re.I), (question, reply.answer)
        top = bot.search(question, k=3)
        assert any(re.search(fact, s.text, re.I) for s in top), question
