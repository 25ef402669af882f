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
    # support gaps only: a dtype a kernel lacks, or lacks at one ONNX opset (TopK takes bfloat16 from opset 24):
    # that is the refusing API's `unsupported` hazard, never an opset_drift besides
    assert not [h.summary for h in report.hazards if h.kind != "unsupported"]


# The bundled catalog's ops that show each way the sweep departs from the float64 reference without a portability
# hazard, and the real findings it made. A full sweep (every op in three more dtypes, ~5 CPU-minutes) is too slow for
# the suite; these cover: a reference beyond float16's range (exp, forward) and gradients every framework overflows
# alike (exp, backward: shared notes), a case without a float input (one_hot: not repeated), a dtype NumPy lacks
# (matmul in bfloat16: not run), a 0-d bfloat16 cotangent (mse_loss), and known records found by the sweep
# (l2_normalize and log_softmax in float16, group_norm in float64, sign and erf on special values); then the second
# pass's rules: an ONNX opset whose type constraints lack bfloat16 (elu at 21: `unsupported`, no opset_drift), a
# multi-API gradient hazard split by the scope of the known records (clip: at_bounds, and default@float16 where
# inputs round onto the bounds), ties judged as kinks in bfloat16 (topk), and records scoped to one dtype (i0's
# float16 overflow inside numpy and jax, onnx.reference's NaN sort in bfloat16 TopK).
SWEEP_OPS = ["exp", "one_hot", "matmul", "mse_loss", "l2_normalize", "group_norm", "log_softmax", "sign", "erf",
             "elu", "clip", "topk", "i0"]
UNEXPLAINED = ("numeric_divergence", "nonfinite_mismatch", "shape_mismatch", "dtype_mismatch", "error", "crash",
               "timeout", "default_drift", "opset_drift", "gradient_divergence", "gradient_nonfinite",
               "gradient_unsupported")


def test_the_dtype_sweep_reports_no_unexplained_hazard_and_says_what_the_dtype_explains():
    report = run_check(load_catalog(), ops=SWEEP_OPS, progress=False, dtypes=["float16", "bfloat16", "float64"])
    unexplained = [h.summary for h in report.hazards if h.kind in UNEXPLAINED and not h.known]
    assert not unexplained
    assert not report.stale_known
    # a dtype an opset lacks is the refusing API's `unsupported` hazard, whose fix names the opset that runs it
    elu = [h for h in report.hazards if h.op == "elu" and h.apis == ("onnx-reference:Elu@21",)]
    assert [h.kind for h in elu] == ["unsupported"] and "Use Elu@28 instead" in elu[0].fix
    assert all(c.endswith("@bfloat16") for c in elu[0].cases)
    # a known record's scope splits a gradient hazard of several APIs: each part known by its own record
    clip = {h.cases: h.known for h in report.hazards if h.op == "clip" and h.kind == "gradient_divergence"}
    assert clip[("default@float16",)] and any("at_bounds" in cases for cases in clip)
    # a tie in bfloat16 is a kink: compared between frameworks, not against the central difference
    assert not [r for r in report.results if r.op == "topk" and r.case == "ties@bfloat16" and r.pass_ == "backward"
                and r.within_tolerance is not None]
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
