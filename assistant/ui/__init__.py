"""The Gradio chat page and its HTTP API (``/chat`` for people, ``/ask`` for programs).

- ``page.py``: the layout and events (``build_app``);
- ``handlers.py``: what the events do (``ChatHandler``); they only call ``Assistant``;
- ``render.py``: answers as chat messages (sources per document, quotes highlighted, markers
  that open their source) and as ``/chat`` Markdown;
- ``i18n.py``: the words, in English and Vietnamese, and the intro built from the corpus;
- ``serve.py``: launching it with safe defaults (``serve``, ``launch_app``);
- ``guard.py``: what the server refuses (deep links, uploads, large request bodies);
- ``limits.py``: what keeps it usable under a flood and slow to guess (``Limits``: answers at
  once, queue size, questions per minute per address; the login lock; login files);
- ``static/``: the page's script (language, kept conversation, markers, scrolling) and styles.

Corpus text is HTML-escaped everywhere, so a note holding ``<script>`` shows that text.
"""

from __future__ import annotations

import os

from .. import _offline

# Gradio reads these when it is imported: no model-hub look-ups, and no analytics even when
# the environment asks for them (the page promises none).
_offline.apply()
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

from .handlers import FAILURE, ChatHandler, error_markdown  # noqa: E402
from .limits import Limits  # noqa: E402
from .page import DESCRIPTION, TITLE, build_app  # noqa: E402
from .render import answer_json, reply_markdown, reply_messages, streaming_markdown  # noqa: E402
from .serve import check_exposure, is_loopback, launch_app, parse_auth, serve  # noqa: E402

__all__ = [
    "DESCRIPTION",
    "FAILURE",
    "Limits",
    "TITLE",
    "ChatHandler",
    "answer_json",
    "build_app",
    "check_exposure",
    "error_markdown",
    "is_loopback",
    "launch_app",
    "parse_auth",
    "reply_markdown",
    "reply_messages",
    "serve",
    "streaming_markdown",
]
