"""The environment variables that keep the assistant quiet and offline, in one place.

gradio, huggingface_hub, transformers and chromadb read these when they are *imported*, so
they must be set before that. Two groups:

- ``TELEMETRY``: no analytics or telemetry calls. Set (unless the user set them) as soon as
  ``assistant`` is imported: this module is the package's first import.
- ``OFFLINE``: no model-hub look-ups. Set by the chat page (``assistant.ui``), the tests, the
  benchmarks and the Makefile, which run only bundled or installed models; left alone for a
  library user who may want ``sentence-transformers:<hub name>`` downloaded.

Run as a script (``python assistant/_offline.py``) it prints ``NAME=value`` lines, which the
Makefile exports; that reads this file without importing the package.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

TELEMETRY = {
    "GRADIO_ANALYTICS_ENABLED": "False",  # gradio
    "HF_HUB_DISABLE_TELEMETRY": "1",  # huggingface_hub
    "ANONYMIZED_TELEMETRY": "False",  # chromadb
}
OFFLINE = {
    "HF_HUB_OFFLINE": "1",  # huggingface_hub
    "TRANSFORMERS_OFFLINE": "1",  # transformers
}
#: Every variable, as the tests, the benchmarks and the Makefile set them.
ENVIRONMENT = {**TELEMETRY, **OFFLINE}


def apply(offline: bool = True, env: MutableMapping[str, str] | None = None) -> None:
    """Set the variables the user has not set (``offline=False``: the telemetry ones only).

    Args:
        offline: also forbid model-hub look-ups.
        env: the environment to change; ``os.environ`` by default.
    """
    target = os.environ if env is None else env
    for name, value in (ENVIRONMENT if offline else TELEMETRY).items():
        target.setdefault(name, value)


def environment(base: MutableMapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """A copy of ``base`` (``os.environ``) with every variable set, then ``extra``: for a
    subprocess that must be quiet and offline whatever the caller's environment says."""
    env = dict(os.environ if base is None else base)
    env.update(ENVIRONMENT)
    env.update(extra)
    return env


apply(offline=False)

if __name__ == "__main__":
    print("\n".join(f"{name}={value}" for name, value in ENVIRONMENT.items()))
