"""A worker that dies or hangs mid-case is recorded as that case's outcome; the run goes on, nothing is lost."""

import json
from pathlib import Path

from conftest import write_yaml

from portability.check import run_check
from portability.spec import load_catalog

CATALOG = """
ops:
  - name: op_{label}
    category: test
    summary: one API that {label}s, one that works
    inputs: {{x: {{shape: [4]}}}}
    reference: {{call: numpy.tanh, args: [x]}}
    apis:
      numpy:
        - {{call: numpy.tanh, args: [x], label: {label}-here}}
        - {{call: numpy.tanh, args: [x]}}
  - name: after_{label}
    category: test
    summary: runs after the bad case
    inputs: {{x: {{shape: [4]}}}}
    reference: {{call: numpy.exp, args: [x]}}
    apis:
      numpy: {{call: numpy.exp, args: [x]}}
"""


def _run(tmp_path, monkeypatch, label, timeout=60.0):
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))
    catalog = load_catalog([write_yaml(tmp_path, CATALOG.format(label=label))])
    return run_check(catalog, backends=["numpy"], modules={"numpy": "crashy_adapter"}, progress=False,
                     timeout=timeout)


def test_worker_crash_is_an_outcome_and_the_run_continues(tmp_path, monkeypatch):
    report = _run(tmp_path, monkeypatch, "crash")
    by = {(r.op, r.api): r for r in report.results if r.mode == "aligned"}
    crashed = by[("op_crash", "crash-here")]
    assert crashed.status == "crash" and "exited with code 3" in crashed.message
    assert by[("op_crash", "numpy.tanh")].status == "ok" and by[("op_crash", "numpy.tanh")].within_tolerance
    assert by[("after_crash", "numpy.exp")].status == "ok"
    # The adapter batches an op's calls: the batch died (exit 4), then each call ran alone and only
    # crash-here died again (exit 3), so the crash is recorded against that one case.
    assert report.environment["framework_status"]["numpy"]["restarts"] == 2
    assert any(h.kind == "crash" and h.apis == ("numpy:crash-here",) for h in report.hazards)


def test_worker_hang_times_out_and_the_run_continues(tmp_path, monkeypatch):
    report = _run(tmp_path, monkeypatch, "hang", timeout=2.0)
    by = {(r.op, r.api): r for r in report.results if r.mode == "aligned"}
    assert by[("op_hang", "hang-here")].status == "timeout"
    assert by[("op_hang", "numpy.tanh")].status == "ok"
    assert by[("after_hang", "numpy.exp")].status == "ok"
    assert report.timing["total_s"] < 60


def test_a_framework_that_is_not_installed_is_reported_so_not_as_a_failure(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))
    catalog = load_catalog([write_yaml(tmp_path, CATALOG.format(label="crash"))])
    report = run_check(catalog, ops=["after_crash"], backends=["numpy"], modules={"numpy": "no_such_framework_xyz"},
                       progress=False)
    assert {r.status for r in report.results} == {"not_installed"}
    assert report.environment["framework_status"]["numpy"]["status"] == "not_installed"
    assert not report.hazards  # not installed is not a hazard


def test_a_call_that_cannot_join_a_batch_is_split_out_and_runs_alone():
    """worker.run_batch bisects a failing batch: the others still run batched, the odd one alone."""
    from types import SimpleNamespace

    from portability.worker import run_batch

    batches = []

    def execute_batch(items):
        if any(plan.label == "odd" for plan, _ in items):
            raise ValueError("cannot trace this one")
        batches.append(len(items))
        return [[plan.label] for plan, _ in items]

    def execute(plan, arrays):
        if plan.label == "odd":
            raise RuntimeError("odd one out")
        return [plan.label]

    mod = SimpleNamespace(execute_batch=execute_batch, execute=execute)
    items = [(i, SimpleNamespace(label="odd" if i == 5 else f"call{i}", derive={}, wrt=()), {}) for i in range(8)]
    out = {r[0]: r for r in run_batch(mod, items)}
    assert out[5][1] == "error" and "odd one out" in out[5][3]
    assert all(out[i][1] == "ok" and out[i][2] == [f"call{i}"] for i in range(8) if i != 5)
    assert batches == [4, 2]  # halves that no longer hold the odd call ran batched; its neighbour ran alone


def test_a_worker_that_dies_on_its_first_start_is_started_again(tmp_path, monkeypatch):
    marker = tmp_path / "died-once"
    monkeypatch.setenv("CRASHY_LOAD", f"die-once:{marker}")
    report = _run(tmp_path, monkeypatch, "crash")
    assert marker.exists()  # it really died once
    status = report.environment["framework_status"]["numpy"]
    assert status["status"] == "ready" and status["restarts"] == 1 + 2  # one failed start, then the crash case
    by = {(r.op, r.api): r.status for r in report.results if r.mode == "aligned"}
    assert by[("op_crash", "numpy.tanh")] == "ok" and by[("after_crash", "numpy.exp")] == "ok"


def test_a_worker_that_cannot_be_restarted_marks_the_remaining_cases(tmp_path, monkeypatch):
    """After the crash case, no restart gets ready: the cases left are marked with why, none is lost."""
    monkeypatch.setenv("CRASHY_LOAD", f"start-once:{tmp_path / 'started'}")
    report = _run(tmp_path, monkeypatch, "crash")
    status = report.environment["framework_status"]["numpy"]
    assert status["status"] == "crash" and "restart failed: worker never started (3 attempts)" in status["message"]
    by = {(r.op, r.api): r for r in report.results if r.mode == "aligned"}
    assert by[("op_crash", "crash-here")].status == "crash"  # the batch died (exit 4): the restart failed
    assert by[("after_crash", "numpy.exp")].status == "crash"
    assert "restart failed" in by[("after_crash", "numpy.exp")].message
    assert len(report.results) == 2 * 3  # every planned case has its result (aligned, and reused for defaults)


def test_a_framework_whose_worker_never_starts_is_a_crash_finding(tmp_path):
    """Its load() kills the process every time: after the retries every case is marked, the environment says
    why, the terminal says so, and --fail-on crash exits 1."""
    from conftest import run_cli
    from procs import crashy_env

    from portability.runner import STARTUP_RETRIES

    j, h = tmp_path / "r.json", tmp_path / "r.html"
    proc = run_cli("run", str(write_yaml(tmp_path, CATALOG.format(label="crash"))), "--frameworks", "numpy",
                   "--json", str(j), "--html", str(h), "--fail-on", "crash", env=crashy_env(CRASHY_LOAD="die"))
    assert proc.returncode == 1, proc.stderr
    data = json.loads(j.read_text())
    status = data["environment"]["framework_status"]["numpy"]
    attempts = f"worker never started ({STARTUP_RETRIES + 1} attempts): worker exited with code 9"
    assert status["status"] == "crash" and status["restarts"] == STARTUP_RETRIES and attempts in status["message"]
    assert data["environment"]["frameworks"]["numpy"]  # installed: not shown as "not installed"
    assert {r["status"] for r in data["results"]} == {"crash"}
    assert {hz["kind"] for hz in data["hazards"]} == {"crash"}
    assert f"numpy: worker crash: {attempts}" in proc.stdout
    assert "not installed" not in proc.stdout.split("severity")[0]  # the matrix shows the crash, not "not installed"
    assert f"<strong>numpy:</strong> worker crash: {attempts}" in h.read_text()
