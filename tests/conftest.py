import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


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
