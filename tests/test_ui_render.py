"""How a reply is drawn on the page (``assistant/ui/render.py``).

Pure functions on Answers (no server, no browser): sources are one entry per document with
human titles, passages without Markdown and the quoted sentences highlighted, markers that link
to their source, general knowledge marked with a badge, an article's original link, and corpus
text that always stays text.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant import Answer, Source
from assistant.catalog import Catalog
from assistant.ui.render import (
    answer_json,
    answer_message,
    reply_messages,
    source_messages,
    user_message,
)

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
NOTE = "corpus/notes/account-manager-and-director-en.md"
ARTICLE = "corpus/articles/key-account-executive-la-gi.md"


def _source(
    text: str,
    path: str = NOTE,
    title: str = "What an AM does",
    chunk: int = 0,
    quotes: tuple[str, ...] = (),
    kind: str = "note",
    language: str = "en",
    url: str = "",
) -> Source:
    return Source(
        path=path,
        title=title,
        chunk=chunk,
        score=0.9,
        text=text,
        url=url,
        kind=kind,
        language=language,
        quotes=quotes,
    )


def test_one_source_entry_per_document_with_its_passages() -> None:
    first = _source("# What an AM does\n\nAn AM leads. More.", quotes=("An AM leads.",))
    second = _source("An AM reports to the AD.", chunk=3, quotes=("An AM reports to the AD.",))
    other = _source(
        "The ladder has three levels.", path="corpus/notes/ladder.md", title="The ladder"
    )
    answer = Answer(
        "An AM leads. [1] The ladder has three levels. [2] An AM reports. [3]",
        [first, other, second],
    )
    messages = source_messages(answer)
    assert len(messages) == 2  # the AM note once, though two of its passages are cited
    am, ladder = messages
    assert re.search(r"\[1\] \[3\]</span> What an AM does", am["metadata"]["title"])
    assert "[2]" in ladder["metadata"]["title"]
    assert am["content"].count('class="passage ') == 2
    # The quoted sentence is highlighted; the heading that repeats the title is gone.
    assert "<mark>An AM leads.</mark> More." in am["content"]
    assert "#" not in am["content"] and "corpus/notes" not in am["content"]
    assert am["metadata"]["status"] == "done"  # folded until opened


def test_markers_link_to_their_sources_and_notice_follows() -> None:
    answer = Answer(
        "An AE serves the client [1]. Nothing [7].",
        [_source("An AE serves.")],
        notice="Your question was cut.",
    )
    content = answer_message(answer.answer, "en", answer.sources, answer.notice)["content"]
    assert re.search(
        r'<a class="cite" href="#source-1"><span class="sr-only">Source </span>1</a>', content
    )
    assert "Nothing [7]" in content  # a marker with no source stays text
    assert '<p class="notice">Your question was cut.</p>' in content
    assert '<h2 class="sources-heading">Sources</h2>' in content
    assert 'lang="en"' in content


def test_a_models_markdown_is_shown_plain() -> None:
    content = answer_message(
        "## Duties\n\n- **Serves** the client [1]\n- Reports", "en", [_source("An AE serves.")]
    )["content"]
    assert "Duties<br><br>• Serves the client" in content and "**" not in content
    assert "#" not in content.replace('href="#source-1"', "")


def test_vietnamese_reply_has_vietnamese_words() -> None:
    answer = Answer(
        "AE phục vụ khách hàng. [1]",
        [_source("AE phục vụ khách hàng.", language="vi", title="AE làm gì?")],
        language="vi",
    )
    messages = reply_messages(answer)
    assert ">Nguồn</h2>" in messages[0]["content"] and 'lang="vi"' in messages[0]["content"]
    assert "ghi chú" in messages[1]["metadata"]["title"]


def test_general_knowledge_gets_a_badge_not_the_phrase() -> None:
    text = "General industry knowledge, not from the article: these timelines are only indicative."
    answer = Answer(f"{text} [1]", [_source(text, quotes=(text,))])
    shown = answer_message(answer.answer, "en", answer.sources)["content"]
    assert "General industry knowledge" not in shown
    assert "These timelines are only indicative." in shown
    source = source_messages(answer)[0]
    assert "general knowledge" in source["metadata"]["title"]
    assert 'class="badge general"' in source["content"]
    assert "<mark>" in source["content"]  # still highlighted as the quoted sentence


def test_article_shows_its_original_title_and_link() -> None:
    catalog = Catalog.load(CORPUS)
    article = _source(
        "tài khoản executive có thể hiểu cơ bản là người có trách nhiệm.",
        path=ARTICLE,
        kind="article",
        language="vi",
        url="https://www.brandsvietnam.com/",
        title="Key account executive là gì? Tại sao có key account executive?",
    )
    note = _source("An AM leads.", title="What an AM does")
    answer = Answer("x [1] y [2]", [article, note])
    art, from_note = source_messages(answer, catalog)
    assert "Key account executive là gì? Tại sao" in art["metadata"]["title"]
    assert "in Vietnamese" in art["metadata"]["title"] and "article" in art["metadata"]["title"]
    assert '<a href="https://www.brandsvietnam.com/"' in art["content"]
    assert ">brandsvietnam.com</a>" in art["content"]
    # An English note based on the article names it and links its site.
    assert "from the article" in from_note["content"]
    assert "brandsvietnam.com" in from_note["content"]


def test_corpus_text_stays_text() -> None:
    evil = (
        '<script>alert(1)</script> <img src=x onerror="alert(1)"> **bold** '
        "[link](javascript:alert(1)) ![t](http://example.com/t.png)"
    )
    answer = Answer(
        f"{evil} [1]",
        [_source(evil, title=evil, quotes=(evil,), url="javascript:alert(1)", kind="article")],
        notice="<b>cut</b>",
    )
    messages = [user_message(evil), *reply_messages(answer)]
    for message in messages:
        for part in (message["content"], message.get("metadata", {}).get("title", "")):
            assert "<script" not in part and "<img" not in part and "<b>" not in part
            assert 'href="javascript' not in part
    assert "&lt;script&gt;" in messages[1]["content"]
    title = messages[2]["metadata"]["title"]  # Markdown: its punctuation is escaped
    assert "\\*\\*bold\\*\\*" in title and "\\[link\\]" in title


def test_answer_json_numbers_sources() -> None:
    data = answer_json(Answer("a [1] b [2]", [_source("one"), _source("two", chunk=1)]))
    assert [(s["number"], s["passage"]) for s in data["sources"]] == [(1, "one"), (2, "two")]
    assert {"answer", "abstained", "notice", "sources"} <= data.keys()
