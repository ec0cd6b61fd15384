"""From an Answer to what people read: the page's chat messages and the ``/chat`` Markdown.

On the page a reply is one Gradio chat message for the answer, then one collapsible message
(Gradio's ``metadata={"title": ...}``) per source document: its human title, whether it is an
article or a note written for this assistant, the original article's link, and the passages
used, with the quoted sentences highlighted. Each ``[n]`` marker of the answer becomes a link
that opens source ``n``.

Every piece of corpus text is HTML-escaped, and put where Markdown leaves it alone (inside one
HTML block with no blank line), so a note holding ``<script>`` or ``# heading`` shows that text
rather than running or formatting it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..answer import SOURCES_HEADING, Answer, Source
from ..catalog import GENERAL_KNOWLEDGE, Catalog
from ..text import detect_language
from .i18n import markdown_text, reply_words

MARKER = re.compile(r"\[(\d{1,3})\]")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_GENERAL_THEN_LETTER = re.compile(GENERAL_KNOWLEDGE.pattern + r"(\w)?")
_BOLD = re.compile(r"(?<![\w*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])")


# --- /chat: Markdown for people reading the API's reply ---------------------------------------
def reply_markdown(answer: Answer) -> str:
    """The reply ``/chat`` returns.

    The answer with its ``[n]`` markers, the notice if any, then one ``<details>`` element per
    source: the summary holds the number, title and corpus path, the body the passage. Every
    piece of corpus text is HTML-escaped, and each source stays on one line so that Markdown
    reads the passage as plain text (no ``*``, ``#`` or links made from corpus text).
    """
    parts = [streaming_markdown(answer.answer)]
    if answer.notice:
        parts.append(f"_{html.escape(answer.notice, quote=False)}_")
    if answer.sources:
        heading = SOURCES_HEADING.get(answer.language, SOURCES_HEADING["en"])
        lines = [_source_line(n, s) for n, s in enumerate(answer.sources, 1)]
        parts.append(f"**{heading}**\n\n" + "\n".join(lines))
    return "\n\n".join(parts)


def streaming_markdown(text: str) -> str:
    """The answer text as it grows: HTML-escaped, and no Markdown image.

    An image would make every reader's browser fetch a URL chosen by corpus text (or by a
    model that read it); ``![alt](url)`` is shown as a link instead.
    """
    return html.escape(text, quote=False).replace("![", "!\\[")


def _source_line(number: int, source: Source) -> str:
    title = html.escape(source.title or source.path)
    path = html.escape(source.path)
    passage = html.escape(source.text.strip()).replace("\r", "").replace("\n", "<br>")
    return (
        f'<details class="source"><summary>[{number}] {title} — <code>{path}</code>'
        f'</summary><div class="source-passage">{passage}</div></details>'
    )


# --- /ask: JSON --------------------------------------------------------------------------------
def answer_json(answer: Answer) -> dict[str, Any]:
    """``Answer.to_dict()`` with each source's ``number`` (its [n]) and ``passage``."""
    data = answer.to_dict()
    for n, source in enumerate(data["sources"], 1):
        source["number"] = n
        source["passage"] = source["text"]
    return data


# --- the page ------------------------------------------------------------------------------
def user_message(question: str) -> dict[str, Any]:
    """The user's bubble: their text as text, in its language."""
    language = detect_language(question)
    text = html.escape(question.strip(), quote=False).replace("\n", "<br>")
    return {"role": "user", "content": f'<div lang="{language}">{text}</div>'}


def answer_message(
    text: str, language: str, sources: list[Source] | None = None, notice: str | None = None
) -> dict[str, Any]:
    """The answer's bubble: the text (its markers linked to ``sources``) and the notice."""
    sources = sources or []
    words = reply_words(language)
    # A model's answer may use Markdown: shown plain, like the passages.
    body = html.escape(_plain(_without_general_marker(text), ""), quote=False)

    def cite(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if not 1 <= n <= len(sources):
            return match.group(0)
        # The sanitizer keeps classes but drops aria-label: the name is hidden text.
        said = html.escape(str(words["source"]).format(n=""))
        return f'<a class="cite" href="#source-{n}"><span class="sr-only">{said}</span>{n}</a>'

    body = MARKER.sub(cite, body).replace("\r", "").replace("\n", "<br>")
    notice_html = f'<p class="notice">{html.escape(notice, quote=False)}</p>' if notice else ""
    heading = f'<h2 class="sources-heading">{words["sources"]}</h2>' if sources else ""
    return {
        "role": "assistant",
        "content": f'<div class="answer" lang="{language}"><p>{body}</p>{notice_html}'
        f"{heading}</div>",
    }


@dataclass
class _Document:
    path: str
    title: str
    kind: str
    language: str
    url: str
    sources: list[tuple[int, Source]] = field(default_factory=list)


def source_messages(answer: Answer, catalog: Catalog | None = None) -> list[dict[str, Any]]:
    """One collapsible message per source document, in the order the answer first cites it."""
    catalog = catalog or Catalog()
    documents: dict[str, _Document] = {}
    for n, source in enumerate(answer.sources, 1):
        doc = documents.get(source.path)
        if doc is None:
            doc = documents[source.path] = _Document(
                source.path, source.title or source.path, source.kind, source.language, source.url
            )
        doc.sources.append((n, source))
    return [_document_message(doc, answer.language, catalog) for doc in documents.values()]


def reply_messages(answer: Answer, catalog: Catalog | None = None) -> list[dict[str, Any]]:
    """Every message of a finished reply: the answer, then its sources."""
    return [
        answer_message(answer.answer, answer.language, answer.sources, answer.notice),
        *source_messages(answer, catalog),
    ]


def _document_message(doc: _Document, language: str, catalog: Catalog) -> dict[str, Any]:
    words = reply_words(language)
    info = catalog.document(doc.path)
    general = any(GENERAL_KNOWLEDGE.search(s.text) for _, s in doc.sources)
    numbers = " ".join(f"[{n}]" for n, _ in doc.sources)
    kind = "article" if doc.kind == "article" else "note"
    badges = [str(words[kind])]
    if doc.language and doc.language != language:
        badges.append(words.get(f"in_{doc.language}", doc.language))
    if general:
        badges.append(str(words["general"]))
    badge_html = "".join(f' <span class="badge">{html.escape(b)}</span>' for b in badges)
    title = f'<span class="source-numbers">{numbers}</span> {markdown_text(doc.title)}{badge_html}'

    origin = ""
    if kind == "article" and doc.url:
        origin = f'<p class="origin">{words["published"]} {_link(doc.url)}</p>'
    elif kind == "note":
        article = catalog.document(info.based_on) if info and info.based_on else None
        if article is not None:
            shown, lang = html.escape(article.title), html.escape(article.language)
            link = f" — {_link(article.url)}" if article.url else ""
            origin = (
                f'<p class="origin">{words["based_on"]} <cite lang="{lang}">'
                f"{shown}</cite>{link}</p>"
            )
        else:
            origin = f'<p class="origin">{words["note_about"]}</p>'
    passages = "".join(_passage_html(n, s, doc.title, words) for n, s in doc.sources)
    content = (
        f'<div class="source-doc" lang="{html.escape(doc.language or language)}">'
        f"{origin}{passages}</div>"
    )
    return {"role": "assistant", "content": content, "metadata": {"title": title, "status": "done"}}


def _passage_html(number: int, source: Source, title: str, words: dict[str, str]) -> str:
    text = _plain(source.text, title)
    spans = _quote_spans(text, source.quotes)
    out: list[str] = []
    at = 0
    for start, end in spans:
        out.append(_escape_passage(text[at:start], words))
        out.append(f"<mark>{_escape_passage(text[start:end], words)}</mark>")
        at = end
    out.append(_escape_passage(text[at:], words))
    said = html.escape(str(words["source"]).format(n=""))
    return (
        f'<div class="passage source-{number}">'
        f'<span class="passage-number"><span class="sr-only">{said}</span>{number}</span>'
        f"<p>{''.join(out)}</p></div>"
    )


def _escape_passage(text: str, words: dict[str, str]) -> str:
    escaped = html.escape(text, quote=False).replace("\r", "").replace("\n", "<br>")
    badge = (
        f'<span class="badge general" title="{html.escape(str(words["general_title"]))}">'
        f"{html.escape(str(words['general']))}</span> "
    )
    return GENERAL_KNOWLEDGE.sub(lambda _: badge, escaped)


def _plain(text: str, title: str) -> str:
    """A passage without Markdown: headings that repeat the title go, other marks are dropped."""
    lines = []
    for line in text.strip().replace("\r", "").split("\n"):
        if _HEADING.match(line):
            heading = _HEADING.sub("", line).strip()
            if heading.casefold() == title.strip().casefold() or not heading:
                continue
            line = heading
        line = _BULLET.sub("• ", line)
        lines.append(_BOLD.sub(r"\1", line))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _quote_spans(text: str, quotes: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where each quoted sentence lies in ``text`` (spaces may differ), in order, no overlap."""
    spans: list[tuple[int, int]] = []
    for quote in quotes:
        words = quote.split()
        if not words:
            continue
        match = re.search(r"\s+".join(re.escape(w) for w in words), text)
        if match:
            spans.append(match.span())
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _without_general_marker(text: str) -> str:
    """The answer without the notes' general-knowledge phrase (the source shows a badge); the
    sentence it opened begins with a capital again."""
    return _GENERAL_THEN_LETTER.sub(lambda m: (m.group(1) or "").upper(), text)


def _link(url: str) -> str:
    """An outside link from front matter: http(s) only, shown as its site's name."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return html.escape(url)
    site = parts.netloc.removeprefix("www.")
    return (
        f'<a href="{html.escape(url)}" rel="noopener noreferrer" target="_blank">'
        f"{html.escape(site)}</a>"
    )


def error_message(text: str, language: str) -> dict[str, Any]:
    """A bubble for a message that is not an answer (an error)."""
    return {
        "role": "assistant",
        "content": f'<div class="answer" lang="{language}"><p>'
        f"{html.escape(text, quote=False)}</p></div>",
    }
