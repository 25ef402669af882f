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
