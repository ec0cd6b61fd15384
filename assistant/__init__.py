"""A chat assistant that answers career questions from a corpus of articles and notes.

Example:
    >>> from assistant import Assistant
    >>> bot = Assistant()
    >>> reply = bot.ask("What does an AE do?")
    >>> print(reply.answer)
    >>> for source in reply.sources:
    ...     print(source.path, source.title)
"""

from __future__ import annotations

# First: sets the telemetry variables before anything imports gradio or chromadb.
from . import _offline  # noqa: F401
from .answer import Answer, AnswerStream, Source
from .app import Assistant
from .config import Settings
from .errors import (
    AssistantError,
    ConfigError,
    CorpusError,
    IndexDamagedError,
    IndexMismatchError,
    IndexMissingError,
    QuestionError,
    StoreError,
)
from .indexing import IndexReport
from .retrieval import HybridRetriever

__all__ = [
    "Answer",
    "AnswerStream",
    "Assistant",
    "AssistantError",
    "ConfigError",
    "CorpusError",
    "HybridRetriever",
    "IndexDamagedError",
    "IndexMismatchError",
    "IndexMissingError",
    "IndexReport",
    "QuestionError",
    "Settings",
    "Source",
    "StoreError",
]
