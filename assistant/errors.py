"""Errors the assistant raises, each saying what went wrong and how to fix it.

The tree::

    AssistantError                 anything the assistant raises on purpose
    ├── ConfigError                a setting has a value that cannot work
    ├── CorpusError                the corpus folder is missing or holds nothing readable
    ├── IndexMissingError          no index has been built yet
    ├── IndexMismatchError         the index was built with another model or chunking
    ├── StoreError                 the index cannot be reached, read or written
    │   └── IndexDamagedError      the on-disk Chroma store is damaged (rebuild it)
    └── QuestionError              the question is empty or cannot be answered as given

The CLI prints these without a traceback and exits with code 1 (2 for a bad question).
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class of every error the assistant raises on purpose."""


class ConfigError(AssistantError):
    """A setting has a value that cannot work."""


class CorpusError(AssistantError):
    """The corpus folder is missing or holds no readable document."""


class IndexMissingError(AssistantError):
    """No index has been built yet."""


class IndexMismatchError(AssistantError):
    """The index was built with another embedding model or chunking settings."""


class StoreError(AssistantError):
    """The index (the Chroma store, on disk or a server, or the index folder) cannot be
    reached, read or written."""


class IndexDamagedError(StoreError):
    """The on-disk Chroma store is damaged (e.g. a truncated ``chroma.sqlite3``).

    It holds only data derived from the corpus: ``assistant index --rebuild`` sets it aside and
    builds a new one.
    """


class QuestionError(AssistantError):
    """The question is empty or otherwise cannot be answered as given."""
