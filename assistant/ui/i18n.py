"""The page's words in English and Vietnamese, and the intro built from the corpus catalog.

The page's words follow the browser's language: the page loads in English and its load event
(given ``navigator.languages`` by the page's script) switches them. Gradio's own ``gr.I18n``
cannot: it only selects a locale Gradio ships, and Vietnamese is not one (6.31). Words inside a
reply follow the answer's language.
"""

from __future__ import annotations

import html
import re

from ..catalog import Catalog

LANGUAGES = ("en", "vi")

#: Words the page shows, by language; keys are Gradio i18n keys.
PAGE: dict[str, dict[str, str]] = {
    "en": {
        "heading": "Career assistant",
        "about": "What this assistant knows",
        "placeholder": "Type your question…",
        "question": "Your question",
        "send": "Send",
        "new": "New conversation",
        "chat": "Conversation",
        "examples": "Try asking",
        "empty_chat": "Ask a question below, or tap an example above.",
    },
    "vi": {
        "heading": "Trợ lý nghề nghiệp",
        "about": "Trợ lý này biết gì",
        "placeholder": "Nhập câu hỏi của bạn…",
        "question": "Câu hỏi của bạn",
        "send": "Gửi",
        "new": "Cuộc trò chuyện mới",
        "chat": "Cuộc trò chuyện",
        "examples": "Thử hỏi",
        "empty_chat": "Nhập câu hỏi bên dưới, hoặc chạm vào một câu hỏi mẫu ở trên.",
    },
}

#: Words inside a reply, by the answer's language.
REPLY: dict[str, dict[str, str]] = {
    "en": {
        "sources": "Sources",
        "source": "Source {n}",
        "article": "article",
        "note": "note",
        "general": "general knowledge",
        "general_title": "General industry knowledge, not from the article",
        "in_en": "in English",
        "in_vi": "in Vietnamese",
        "published": "Published at",
        "note_about": "A note written for this assistant.",
        "based_on": "A note written for this assistant from the article",
        "passage": "Passage {n}",
        "failure": "Sorry, something went wrong while answering. The server log has the details.",
        "unavailable": "Sorry, I cannot answer right now: my documents cannot be read. Please "
        "try again later; the server log has the details.",
        "cut": "Your question was {length} characters long; only the first {limit} were used.",
    },
    "vi": {
        "sources": "Nguồn",
        "source": "Nguồn {n}",
        "article": "bài viết",
        "note": "ghi chú",
        "general": "kiến thức chung",
        "general_title": "Kiến thức chung trong ngành, không có trong bài viết",
        "in_en": "bằng tiếng Anh",
        "in_vi": "bằng tiếng Việt",
        "published": "Đăng tại",
        "note_about": "Ghi chú viết cho trợ lý này.",
        "based_on": "Ghi chú viết cho trợ lý này, dựa trên bài viết",
        "passage": "Đoạn {n}",
        "failure": "Xin lỗi, đã có lỗi khi trả lời. Chi tiết nằm trong nhật ký của máy chủ.",
        "unavailable": "Xin lỗi, tôi chưa trả lời được lúc này: không đọc được các tài liệu của "
        "tôi. Vui lòng thử lại sau; chi tiết nằm trong nhật ký của máy chủ.",
        "cut": "Câu hỏi của bạn dài {length} ký tự; chỉ {limit} ký tự đầu tiên được dùng.",
    },
}

_INTRO: dict[str, dict[str, str]] = {
    "en": {
        "knows": "I answer questions from {what}, quoting them: tap a source's number to read "
        "the passage it comes from.",
        "article": "one article",
        "articles": "{n} articles",
        "note": "one note",
        "notes": "{n} notes",
        "and": " and ",
        "not": "I cannot answer anything else, for example about {topics}: I say so rather "
        "than guess.",
        "not_plain": "I cannot answer anything else: I say so rather than guess.",
        "languages": "Ask in English or Vietnamese.",
        "documents": "What I have read:",
        "empty": "No documents are indexed yet.",
    },
    "vi": {
        "knows": "Tôi trả lời câu hỏi dựa trên {what}, có trích dẫn nguồn: chạm vào số của "
        "nguồn để đọc đoạn văn gốc.",
        "article": "một bài viết",
        "articles": "{n} bài viết",
        "note": "một ghi chú",
        "notes": "{n} ghi chú",
        "and": " và ",
        "not": "Tôi không trả lời được những câu hỏi khác, ví dụ về {topics}: khi đó tôi nói "
        "rõ là không biết thay vì đoán.",
        "not_plain": "Tôi không trả lời được những câu hỏi khác: khi đó tôi nói rõ là không "
        "biết thay vì đoán.",
        "languages": "Hỏi bằng tiếng Việt hoặc tiếng Anh.",
        "documents": "Những tài liệu tôi đã đọc:",
        "empty": "Chưa có tài liệu nào được lập chỉ mục.",
    },
}
#: The intro names at most this many kinds of fact the corpus does not give.
MAX_UNCOVERED = 5
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def markdown_text(text: str) -> str:
    """``text`` shown as itself in Markdown: HTML-escaped and Markdown punctuation escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def intro_markdown(catalog: Catalog, language: str) -> str:
    """The intro's first words: what the assistant answers from, in plain words."""
    words = _INTRO[language]
    documents = catalog.in_language(language)
    if not documents:
        return words["empty"]
    counts = []
    for kind in ("article", "note"):
        n = sum(1 for d in documents if (d.kind == "article") == (kind == "article"))
        if n:
            counts.append(words[kind] if n == 1 else words[f"{kind}s"].format(n=n))
    return f"{words['knows'].format(what=words['and'].join(counts))} {words['languages']}"


def documents_markdown(catalog: Catalog, language: str) -> str:
    """After the examples: the documents' titles, and what the assistant cannot answer (kinds
    of fact no document names)."""
    words = _INTRO[language]
    documents = catalog.in_language(language)
    if not documents:
        return ""
    items = "\n".join(f"- {markdown_text(d.title)}" for d in documents)
    topics = [labels[language] for labels in catalog.uncovered.values()][:MAX_UNCOVERED]
    cannot = (
        words["not"].format(topics=", ".join(markdown_text(t) for t in topics))
        if topics
        else words["not_plain"]
    )
    return f"{words['documents']}\n\n{items}\n\n{cannot}"


def cut_notice(length: int, limit: int, language: str) -> str:
    """Says that a question of ``length`` characters was cut to its first ``limit``."""
    sep = "." if language == "vi" else ","  # Vietnamese groups thousands with a dot

    def number(n: int) -> str:
        return f"{n:,}".replace(",", sep)

    return reply_words(language)["cut"].format(length=number(length), limit=number(limit))


def reply_words(language: str) -> dict[str, str]:
    """The words inside a reply in ``language`` (English for any other)."""
    return REPLY.get(language, REPLY["en"])
