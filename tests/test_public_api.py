"""The public surface of ``assistant`` is pinned: changing it is a decision, not an accident."""

from __future__ import annotations

import assistant


def test_all_is_pinned() -> None:
    assert sorted(assistant.__all__) == [
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
    for name in assistant.__all__:
        assert getattr(assistant, name) is not None


def test_errors_form_one_tree() -> None:
    for name in (
        "ConfigError",
        "CorpusError",
        "IndexDamagedError",
        "IndexMismatchError",
        "IndexMissingError",
        "QuestionError",
        "StoreError",
    ):
        assert issubclass(getattr(assistant, name), assistant.AssistantError)
    assert issubclass(assistant.IndexDamagedError, assistant.StoreError)


def test_every_setting_is_documented() -> None:
    for name, field in assistant.Settings.model_fields.items():
        assert field.description, f"Settings.{name} has no description"


def test_default_path_imports_no_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys, assistant; from assistant import cli, app, retrieval, indexing; "
        "print('torch' in sys.modules, 'gradio' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "False"]
