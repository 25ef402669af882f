"""The CLI and every worker collect garbage less often (portability.gc_tuning)."""

import subprocess
import sys

PROBE = """
import gc, sys
from portability.cli import main
before = gc.get_threshold()
main(["list"])
main(["list"])
print(before[0], gc.get_threshold()[0], gc.get_freeze_count() > 0, file=sys.stderr)
"""


def test_the_cli_raises_the_thresholds_and_freezes_its_imports_once():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    before, after, frozen = out.stderr.split()[-3:]
    assert (int(before), int(after), frozen) == (700, 200_000, "True")


def test_a_worker_tunes_its_own_collector_after_loading_its_framework(monkeypatch):
    from procs import TESTS

    from portability.runner import Worker

    monkeypatch.setenv("PYTHONPATH", str(TESTS))  # the worker inherits it and imports the probe adapter
    w = Worker("numpy", {}, "gc_probe_adapter")
    try:
        assert w.start()[0] == "ready"
        reply = w.request(("defaults", [("k", "probe", "function", None, {"gc": "gc"})]), 60)
    finally:
        w.stop()
    assert reply == ("defaults", {"k": {"gc": [200_000, True]}})
