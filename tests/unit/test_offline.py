"""The quiet, offline environment: set once, never over what the user chose."""

from __future__ import annotations

import subprocess
import sys

from assistant import _offline


def test_apply_keeps_what_the_user_set() -> None:
    env = {"HF_HUB_OFFLINE": "0"}
    _offline.apply(offline=False, env=env)
    assert env == {"HF_HUB_OFFLINE": "0", **_offline.TELEMETRY}
    _offline.apply(env=env)
    assert env["HF_HUB_OFFLINE"] == "0" and env["TRANSFORMERS_OFFLINE"] == "1"


def test_a_subprocess_environment_is_always_quiet_and_offline() -> None:
    env = _offline.environment({"HF_HUB_OFFLINE": "0", "PATH": "/bin"}, EXTRA="1")
    assert env == {"PATH": "/bin", "EXTRA": "1", **_offline.ENVIRONMENT}


def test_the_makefile_reads_the_variables_from_the_script() -> None:
    out = subprocess.run(
        [sys.executable, _offline.__file__], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [f"{k}={v}" for k, v in _offline.ENVIRONMENT.items()]
