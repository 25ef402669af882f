"""The dtype sweep: every float case again in float16/bfloat16/float64; a dtype a framework lacks is `unsupported`."""

from conftest import DATA

from portability.check import run_check
from portability.spec import load_catalog


def test_dtype_sweep_runs_each_case_per_dtype_and_never_errors():
    report = run_check(load_catalog([DATA / "roundtrip.yaml"]), ops=["tanh", "topk_pair"], progress=False,
                       dtypes=["float16", "bfloat16", "float64"])
    cases = {r.case for r in report.results}
    assert {"default", "default@float16", "default@bfloat16", "default@float64"} <= cases
    assert report.environment["dtypes"] == ["float32", "float16", "bfloat16", "float64"]
    for r in report.results:
        assert r.status in ("ok", "unsupported", "not_installed"), (r.case, r.framework, r.api, r.message)
        if r.status == "ok":
            assert r.dtype == ({"default": "float32"} | {c: c.split("@")[1] for c in cases if "@" in c})[r.case]
            assert r.within_tolerance and r.dtype_equal, (r.case, r.framework, r.api, r.max_abs_error, r.output_dtype)
    half = [r for r in report.results if r.case == "default@float16" and r.status == "ok"]
    assert half and all(r.output_dtype == "float16" for r in half)
    # support gaps only: a dtype a kernel lacks, or lacks at one ONNX opset (TopK takes bfloat16 from opset 24)
    assert not [h for h in report.hazards if h.kind != "unsupported"
                and not (h.kind == "opset_drift" and " runs only at " in h.summary)]


# The bundled catalog's ops that show each way the sweep departs from the float64 reference without a portability
# hazard, and the real findings it made. A full sweep (every op in three more dtypes, ~5 CPU-minutes) is too slow for
# the suite; these cover: a reference beyond float16's range (exp, forward) and gradients every framework overflows
# alike (exp, backward: shared notes), a case without a float input (one_hot: not repeated), a dtype NumPy lacks
# (matmul in bfloat16: not run), a 0-d bfloat16 cotangent (mse_loss), and known records found by the sweep
# (l2_normalize and log_softmax in float16, group_norm in float64, sign and erf on special values).
SWEEP_OPS = ["exp", "one_hot", "matmul", "mse_loss", "l2_normalize", "group_norm", "log_softmax", "sign", "erf"]
UNEXPLAINED = ("numeric_divergence", "nonfinite_mismatch", "shape_mismatch", "dtype_mismatch", "error", "crash",
               "timeout", "default_drift", "opset_drift", "gradient_divergence", "gradient_nonfinite",
               "gradient_unsupported")


def _support_gap(h) -> bool:
    """A dtype one ONNX opset's type constraints lack and a later one admits (bfloat16 joined most ops at opset 22):
    `unsupported` at one opset, the same as a kernel that lacks the dtype."""
    return h.kind == "opset_drift" and " runs only at " in h.summary and ": unsupported: " in h.summary


def test_the_dtype_sweep_reports_no_unexplained_hazard_and_says_what_the_dtype_explains():
    report = run_check(load_catalog(), ops=SWEEP_OPS, progress=False, dtypes=["float16", "bfloat16", "float64"])
    unexplained = [h.summary for h in report.hazards if h.kind in UNEXPLAINED and not h.known and not _support_gap(h)]
    assert not unexplained
    assert not report.stale_known
    ran = {(r.op, r.case) for r in report.results}
    assert ("exp", "wide@float16") in ran and ("group_norm", "g4_c8_5x5@float64") in ran
    assert not [c for op, c in ran if op == "one_hot" and "@" in c]  # integer inputs only: nothing to sweep
    assert not [r for r in report.results if r.framework == "numpy" and r.dtype == "bfloat16"]
    assert "bfloat16" in report.environment["dtypes_lacking"]["numpy"]
    said = {(n.op, n.pass_, n.cause, n.kind) for n in report.notes}
    assert ("exp", "forward", "range", "nonfinite_mismatch") in said  # every framework overflows float16 alike
    assert ("exp", "backward", "shared", "gradient_nonfinite") in said
    assert not [h for h in report.hazards if h.op == "exp" and h.kind != "unsupported"]
    known = {(h.op, h.kind) for h in report.hazards if h.known}
    assert {("group_norm", "numeric_divergence"), ("l2_normalize", "nonfinite_mismatch")} <= known
