import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@pytest.fixture(autouse=True)
def own_cache_dir(tmp_path_factory, monkeypatch):
    """Each test's CLI runs (in-process or child processes) get a fresh cache folder: a result cached by one
    test (or by the user's own runs in ~/.cache) must never decide what another test executes."""
    monkeypatch.setenv("PORTABILITY_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def data_dir() -> Path:
    return DATA


def write_yaml(tmp_path: Path, text: str, name: str = "cat.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None):
    """The CLI as a user runs it: a real process, its exit code, stdout and stderr."""
    import subprocess

    full_env = dict(os.environ) | (env or {})
    return subprocess.run([sys.executable, "-m", "portability", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=full_env, timeout=600)
