"""Citation clean-up while a reply streams, and the passage an uncited sentence copies."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from assistant.citations import CitationFilter, clean_citations, source_support
from assistant.retrieval import Hit


def hit(text: str, title: str = "") -> Hit:
    return Hit(Document(page_content=text, metadata={"title": title}), 1.0)


HITS = [
    hit("An Account Executive serves the client and takes in requests every day."),
    hit("An Account Director leads the account team and advises on strategy."),
]


@pytest.mark.parametrize(
    ("text", "clean", "cited"),
    [
        ("No marker at all.", "No marker at all.", []),
        ("Cut [1", "Cut", []),
        ("Out of range [3][0].", "Out of range.", []),
        ("B [2]. A [1]. B again [2].", "B [1]. A [2]. B again [1].", [2, 1]),
        ("Nguồn [nguồn 1; 2]", "Nguồn [1][2]", [1, 2]),
    ],
)
def test_markers_are_kept_renumbered_or_dropped(text: str, clean: str, cited: list[int]) -> None:
    assert clean_citations(text, 2) == (clean, cited)
    f = CitationFilter(2)
    pieces = [f.feed(text[i : i + 3]) for i in range(0, len(text), 3)] + [f.close()]
    assert "".join(pieces) == clean == f.text


def test_an_uncited_sentence_gets_the_marker_of_the_passage_it_copies() -> None:
    support = source_support(HITS)
    assert support("The Account Director leads the account team.") == 2
    assert support("Short one.") is None  # too few content words to tell
    assert support("Bananas grow in warm tropical countries.") is None
    reply = "The Account Director leads the account team. They advise [1]."
    assert clean_citations(reply, 2, support) == (
        "The Account Director leads the account team. [1] They advise [2].",
        [2, 1],
    )
