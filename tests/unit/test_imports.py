"""The package's imports, read from the source (``ast``): one direction, and the heavy or
third-party stores behind one module each. Runs in milliseconds; imports nothing it checks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "assistant"


def imports_of(path: Path, runtime_only: bool = False) -> set[str]:
    """Every module ``path`` imports (at the top, in functions or, unless ``runtime_only``,
    under ``if TYPE_CHECKING:``), package modules as ``assistant.<name>``."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(str(node.module))
            elif node.module:  # from .x import y
                found.add(f"assistant.{node.module}")
            else:  # from . import x
                found.update(f"assistant.{alias.name}" for alias in node.names)
    return found


def package_graph() -> dict[str, set[str]]:
    """``assistant.<module>`` -> the package modules it imports."""
    modules = {f"assistant.{p.stem}": p for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return {
        name: {m for m in imports_of(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (``[a, b, ..., a]``), or None."""
    state: dict[str, str] = {}  # "open" while on the path, "done" after

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [node, nxt] if nxt in path else [node, nxt]
            if nxt not in state and (cycle := visit(nxt, path + [node])):
                return cycle
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [])):
            return cycle
    return None


def importers_of(prefix: str) -> set[str]:
    """The package modules that import ``prefix`` or one of its submodules."""
    return {
        p.stem
        for p in PACKAGE.glob("*.py")
        if any(m == prefix or m.startswith(prefix + ".") for m in imports_of(p))
    }


def test_the_package_has_no_import_cycle() -> None:
    assert find_cycle(package_graph()) is None, " -> ".join(find_cycle(package_graph()) or [])


def test_the_cycle_finder_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


@pytest.mark.parametrize(
    ("library", "allowed"),
    [
        ("chromadb", {"store"}),
        ("langchain_chroma", {"store"}),
        ("gradio", {"ui"}),
        ("torch", set()),
    ],
)
def test_a_library_is_imported_only_by_its_module(library: str, allowed: set[str]) -> None:
    assert importers_of(library) <= allowed


def test_the_llm_answerer_does_not_know_the_assistant() -> None:
    assert "assistant.app" not in package_graph()["assistant.llm"]


def test_retrieval_reads_the_index_through_the_store_only() -> None:
    runtime = imports_of(PACKAGE / "retrieval.py", runtime_only=True)
    assert "assistant.indexing" not in runtime and "assistant.store" in runtime
