"""A call that never finished (crash, timeout) is a finding in any mode, and never makes another hazard
look harmless. Real dying and hanging workers (tests/crashy_adapter.py), plus hand-made results."""

import json

from conftest import write_yaml
from procs import crashy_env

from portability.hazards import classify
from portability.records import Pairwise, Result
from portability.spec import load_catalog

# Two APIs document different ddof defaults; the second dies or hangs only in defaults mode (omitted ddof).
DEFAULTS_FAULTS = """
ops:
  - name: spread_hang
    category: first
    summary: numpy.std; one API hangs only in defaults mode
    params: {ddof: {value: 1, semantic: true}}
    inputs: {x: {shape: [16]}}
    reference: {call: numpy.std, args: [x], params: {ddof: ddof}}
    apis:
      numpy:
        - {call: numpy.std, args: [x], params: {ddof: ddof}, defaults: {ddof: 0}}
        - {call: numpy.std, args: [x], params: {ddof: ddof}, defaults: {ddof: 1}, label: hang-in-defaults}
  - name: spread_crash
    category: second
    summary: numpy.std; one API dies only in defaults mode
    params: {ddof: {value: 1, semantic: true}}
    inputs: {x: {shape: [16]}}
    reference: {call: numpy.std, args: [x], params: {ddof: ddof}}
    apis:
      numpy:
        - {call: numpy.std, args: [x], params: {ddof: ddof}, defaults: {ddof: 0}}
        - {call: numpy.std, args: [x], params: {ddof: ddof}, defaults: {ddof: 1}, label: crash-in-defaults}
"""


def test_a_crash_or_hang_in_defaults_mode_is_a_hazard_in_every_report(tmp_path):
    from conftest import run_cli

    j, h = tmp_path / "r.json", tmp_path / "r.html"
    proc = run_cli("run", str(write_yaml(tmp_path, DEFAULTS_FAULTS)), "--frameworks", "numpy", "--timeout", "2",
                   "--json", str(j), "--html", str(h), "--fail-on", "timeout", env=crashy_env())
    assert proc.returncode == 1, proc.stderr
    data = json.loads(j.read_text())
    status = {(r["op"], r["api"], r["mode"]): r["status"] for r in data["results"]}
    assert status[("spread_hang", "hang-in-defaults", "aligned")] == "ok"
    assert status[("spread_hang", "hang-in-defaults", "defaults")] == "timeout"
    assert status[("spread_crash", "crash-in-defaults", "aligned")] == "ok"
    assert status[("spread_crash", "crash-in-defaults", "defaults")] == "crash"
    by = {(hz["op"], hz["kind"]): hz for hz in data["hazards"]}
    timeout, crash = by[("spread_hang", "timeout")], by[("spread_crash", "crash")]
    assert timeout["apis"] == ["numpy:hang-in-defaults"] and "on default in defaults mode" in timeout["summary"]
    assert crash["apis"] == ["numpy:crash-in-defaults"] and crash["severity"] == "high"
    # the repro is the call that failed: defaults mode, ddof left out
    hang_repro = timeout["repro"]["numpy:hang-in-defaults"]
    assert "np.std(" in hang_repro and "ddof" not in hang_repro
    assert "ddof" not in crash["repro"]["numpy:crash-in-defaults"]
    # the unfinished call left the ddof mismatch unmeasured: it is not reported as harmless ("low")
    mismatch = by[("spread_hang", "default_argument_mismatch")]
    assert mismatch["severity"] == "medium" and "not measured for numpy:hang-in-defaults" in mismatch["summary"]
    assert data["summary"]["hazards_by_kind"]["timeout"] == 1 and data["summary"]["hazards_by_kind"]["crash"] == 1
    assert "(1 crash, 1 timeout)" in proc.stdout and "ended in timeout" in proc.stdout
    page = h.read_text()
    assert "ended in timeout" in page and "ended in crash" in page


OP = """
ops:
  - name: act
    category: activation
    summary: test op
    params: {slope: {value: 0.2, semantic: true}}
    inputs: {x: {shape: [4]}}
    reference: {call: portability.reference.leaky_relu, args: [x], params: {slope: negative_slope}}
    apis:
      torch: {call: torch.nn.functional.leaky_relu, args: [x], params: {slope: negative_slope}, defaults: {slope: 0.01}}
      tensorflow: {call: tf.nn.leaky_relu, args: [x], params: {slope: alpha}, defaults: {slope: 0.2}}
      jax: {call: jax.nn.leaky_relu, args: [x], params: {slope: negative_slope}, defaults: {slope: 0.01}}
"""
TORCH, TF, JAX = "torch.nn.functional.leaky_relu", "tf.nn.leaky_relu", "jax.nn.leaky_relu"


def _r(framework, api, mode="aligned", **kw):
    base = dict(op="act", case="default", framework=framework, api=api, mode=mode, status="ok", dtype="float32",
                shape_equal=True, dtype_equal=True, nonfinite_equal=True, within_tolerance=True, max_abs_error=0.0)
    return Result(**(base | kw))


def _mismatch(tmp_path, results, pairwise):
    op = load_catalog([write_yaml(tmp_path, OP)]).ops[0]
    hazards = classify(op, results, pairwise, live={})
    return hazards, next(h for h in hazards if h.kind == "default_argument_mismatch")


def _aligned_ok():
    return [_r("torch", TORCH), _r("tensorflow", TF), _r("jax", JAX)]


def test_a_timeout_in_defaults_mode_never_makes_a_default_mismatch_low(tmp_path):
    """torch vs TF measured within tolerance (alone: low); jax vs TF timed out in jax: unmeasured, so medium."""
    results = _aligned_ok() + [_r("torch", TORCH, "defaults"), _r("tensorflow", TF, "defaults"),
                               _r("jax", JAX, "defaults", status="timeout", message="no reply within 2 s")]
    pairwise = [Pairwise("act", "default", "defaults", f"torch:{TORCH}", f"tensorflow:{TF}", 1e-7, 1.0, True)]
    hazards, h = _mismatch(tmp_path, results, pairwise)
    assert h.severity == "medium" and f"not measured for jax:{JAX}" in h.summary
    (t,) = [x for x in hazards if x.kind == "timeout"]
    assert t.apis == (f"jax:{JAX}",) and "in defaults mode" in t.summary
    # without the timeout the same measurement is low
    done = [r for r in results if r.status == "ok"] + [_r("jax", JAX, "defaults")]
    assert _mismatch(tmp_path, done, pairwise)[1].severity == "low"


def test_a_timeout_keeps_a_measured_high_mismatch_high(tmp_path):
    results = _aligned_ok() + [_r("torch", TORCH, "defaults"), _r("tensorflow", TF, "defaults"),
                               _r("jax", JAX, "defaults", status="crash", message="worker exited with code 3")]
    pairwise = [Pairwise("act", "default", "defaults", f"torch:{TORCH}", f"tensorflow:{TF}", 0.3, 1e6, False)]
    _, h = _mismatch(tmp_path, results, pairwise)
    assert h.severity == "high" and "outputs differ by up to 0.3" in h.summary


def test_a_fault_reused_from_aligned_mode_is_one_hazard_not_two(tmp_path):
    """An API without defaults stands for defaults mode with its aligned result: its crash counts once."""
    results = [_r("torch", TORCH, status="crash", message="worker exited with code 3"),
               _r("torch", TORCH, "defaults", status="crash", message="worker exited with code 3")]
    op = load_catalog([write_yaml(tmp_path, OP)]).ops[0]
    (h,) = [h for h in classify(op, results, [], live={}) if h.kind == "crash"]
    assert h.cases == ("default",) and "defaults mode" not in h.summary
