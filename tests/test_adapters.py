"""Each adapter round-trips real framework calls: functions, layers with weights, layouts, two outputs."""

import pytest
from conftest import DATA, installed

from portability.check import run_check
from portability.frameworks import BACKENDS
from portability.spec import load_catalog


@pytest.fixture(scope="module")
def report():
    return run_check(load_catalog([DATA / "roundtrip.yaml"]), progress=False)


def _module(backend):
    return {"onnxruntime": "onnxruntime", "onnx-reference": "onnx", "tensorflow": "tensorflow"}.get(backend, backend)


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_every_call_agrees_with_the_reference(report, backend):
    if not installed(_module(backend)):
        pytest.skip(f"{backend} is not installed")
    mine = [r for r in report.results if r.framework == backend and r.mode == "aligned"]
    assert mine, f"no results for {backend}"
    for r in mine:
        assert r.status == "ok", (r.op, r.api, r.mode, r.message)
        assert r.shape_equal and r.dtype_equal and r.within_tolerance, (r.op, r.api, r.max_abs_error)
    assert report.environment["frameworks"][backend]


def test_layers_and_functions_both_ran(report):
    apis = {(r.framework, r.api) for r in report.results if r.op == "dense"}
    for needed in [("torch", "torch.nn.Linear"), ("torch", "torch.nn.functional.linear")]:
        if installed("torch"):
            assert needed in apis
    if installed("tensorflow"):
        assert ("tensorflow", "keras.layers.Dense") in apis


def test_live_defaults_are_read_from_each_framework(report):
    status = report.environment["framework_status"]
    live = {(a["framework"], a["api"]): a["live_defaults"] for op in report.ops for a in op["apis"]}
    expect = {
        ("torch", "torch.nn.functional.leaky_relu"): 0.01,
        ("tensorflow", "tf.nn.leaky_relu"): 0.2,
        ("jax", "jax.nn.leaky_relu"): 0.01,
        ("onnxruntime", "LeakyRelu"): 0.01,
    }
    for (backend, api), value in expect.items():
        if status.get(backend, {}).get("status") == "ready":
            assert live[(backend, api)]["negative_slope"] == pytest.approx(value, rel=1e-6)


def test_the_defaults_mismatch_of_the_test_op_is_found(report):
    (h,) = [h for h in report.hazards if h.op == "nhwc_relu6" and h.kind == "default_argument_mismatch"]
    if installed("tensorflow") and installed("torch"):
        assert h.defaults["tensorflow:tf.nn.leaky_relu"] == 0.2
        assert h.defaults["torch:torch.nn.functional.leaky_relu"] == 0.01
        assert h.severity == "high" and "alpha=0.01" in h.fix


def test_derived_weights_reach_the_framework(report):
    ran = [r for r in report.results if r.op == "dense_two_biases" and r.mode == "aligned"]
    assert ran and all(r.status in ("ok", "not_installed") for r in ran)
    assert all(r.within_tolerance for r in ran if r.status == "ok")
