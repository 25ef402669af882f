"""Ctrl-C on a real `portability run`: the first stops the run and writes what ran, marked interrupted
(exit 130); a second exits at once. No traceback, and no worker process outlives the run."""

import json
import os
import signal
import time

from conftest import write_yaml
from procs import crashy_env, ctrl_c, start_cli, wait_for, worker_pids

from portability.runner import Worker

# "quick" runs first (its own family, so its own batch); "stuck" then hangs in the worker until killed.
HANGING = """
ops:
  - name: quick
    category: first
    summary: runs before the hang
    inputs: {x: {shape: [4]}}
    reference: {call: numpy.tanh, args: [x]}
    apis:
      numpy: {call: numpy.tanh, args: [x]}
  - name: stuck
    category: second
    summary: its batch hangs until the worker is killed
    inputs: {x: {shape: [4]}}
    reference: {call: numpy.tanh, args: [x]}
    apis:
      numpy:
        - {call: numpy.tanh, args: [x], label: hang-here}
        - {call: numpy.tanh, args: [x]}
    known:
      - {kind: timeout, apis: [hang-here], reason: it hangs on purpose, source: "https://example.org/hang"}
"""

# A reference that takes many seconds in the parent (a pure-Python loop over a million LSTM steps): the
# first Ctrl-C lands while the parent is busy, so the second one is what ends the process.
SLOW_REFERENCE = """
ops:
  - name: long_lstm
    category: layer
    summary: a float64 reference that keeps the parent busy
    inputs:
      x: {shape: [1, 1000000, 1]}
      weight_ih: {shape: [4, 1]}
      weight_hh: {shape: [4, 1]}
      bias_ih: {shape: [4]}
      bias_hh: {shape: [4]}
    reference: {call: portability.reference.lstm, args: [x, weight_ih, weight_hh, bias_ih, bias_hh]}
    apis:
      numpy: {call: numpy.tanh, args: [x]}
"""


def _run(tmp_path, catalog: str, **env):
    paths = {"json": tmp_path / "r.json", "html": tmp_path / "r.html", "cache": tmp_path / "cache"}
    proc = start_cli("run", str(write_yaml(tmp_path, catalog)), "--frameworks", "numpy", "--timeout", "300",
                     "--json", str(paths["json"]), "--html", str(paths["html"]), "--cache-dir", str(paths["cache"]),
                     env=crashy_env(**env))
    return proc, paths


def test_first_ctrl_c_writes_the_partial_reports_and_exits_130(tmp_path):
    hanging = tmp_path / "hanging"
    proc, paths = _run(tmp_path, HANGING, CRASHY_HANG_MARKER=str(hanging))
    try:
        wait_for(hanging.exists, 120, "the worker to hang")  # "quick" has run by now
        assert worker_pids(str(paths["cache"]))
        sent = ctrl_c(proc)  # to the whole process group, workers included, as a terminal does
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert took < 10, took
    assert err.strip().splitlines() == [
        f"portability: interrupted; partial reports written to {paths['json']}, {paths['html']}"]
    data = json.loads(paths["json"].read_text())
    assert data["interrupted"] is True
    ran = {(r["op"], r["api"], r["status"]) for r in data["results"]}
    assert ("quick", "numpy.tanh", "ok") in ran
    assert not [r for r in data["results"] if r["op"] == "stuck"]  # dropped in flight: not recorded as a crash
    assert not [h for h in data["hazards"] if h["kind"] in ("crash", "timeout")]
    assert data["timing"]["tasks_run"] == {"numpy": 1} and data["timing"]["tasks"] == {"numpy": 3}
    assert data["stale_known"] == []  # "stuck" never ran: whether its known record still matches is unknown
    assert "INTERRUPTED: a partial report, 1 of 3 calls ran" in out
    page = paths["html"].read_text()
    assert "<strong>Interrupted:</strong>" in page and "1 of 3 calls" in page
    assert not worker_pids(str(paths["cache"]))


def test_second_ctrl_c_exits_at_once(tmp_path):
    proc, paths = _run(tmp_path, SLOW_REFERENCE)
    try:
        wait_for(lambda: worker_pids(str(paths["cache"])), 120, "the worker to start")
        time.sleep(1.5)  # the parent is computing the reference now
        ctrl_c(proc)
        time.sleep(1.0)
        assert proc.poll() is None, "the first Ctrl-C let the run finish: this test would prove nothing"
        sent = ctrl_c(proc)
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert took < 3, took
    assert err.strip().splitlines() == ["portability: interrupted"]
    assert not paths["json"].exists()
    assert not worker_pids(str(paths["cache"]))


def test_a_worker_ignores_ctrl_c_its_parent_decides():
    """A terminal's Ctrl-C reaches the workers too: they keep serving until the parent kills them."""
    worker = Worker("numpy", {"threads": 1}).launch()
    try:
        assert worker.receive(120)[0] == "ready"
        os.kill(worker.proc.pid, signal.SIGINT)
        time.sleep(0.5)
        assert worker.proc.poll() is None
        assert worker.request(("defaults", []), 60) == ("defaults", {})
    finally:
        worker.stop()
