"""Helpers for tests that run the CLI with tests/crashy_adapter.py in real processes."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT

TESTS = Path(__file__).resolve().parent


def crashy_env(**extra: str) -> dict:
    """The environment of a CLI run whose numpy backend is tests/crashy_adapter.py (importable in the workers)."""
    path = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH", "")) if p)
    return dict(os.environ, PYTHONPATH=path, PORTABILITY_TEST_ADAPTERS="numpy=crashy_adapter", **extra)


def start_cli(*args: str, env: dict) -> subprocess.Popen:
    """`python -m portability ...` in a session of its own, so a signal can go to its whole process group
    the way a terminal sends Ctrl-C."""
    return subprocess.Popen([sys.executable, "-m", "portability", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def ctrl_c(proc: subprocess.Popen) -> float:
    """SIGINT to the process group, as a terminal's Ctrl-C; returns when it was sent."""
    sent = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    return sent


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def worker_pids(marker: str) -> list[int]:
    """Live worker processes whose command line holds ``marker`` (a run's unique --cache-dir is in the
    settings each worker gets on its command line)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
        if b"portability.worker" in cmdline and marker.encode() in cmdline:
            pids.append(int(entry.name))
    return pids
