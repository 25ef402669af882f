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
            # an ONNX API runs once per opset (LeakyRelu@21, LeakyRelu@28): its live default at each
            read = [v for (b, a), v in live.items() if b == backend and (a == api or a.startswith(api + "@")) and v]
            assert read and all(v["negative_slope"] == pytest.approx(value, rel=1e-6) for v in read), live


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


def test_jax_batch_gives_the_same_outputs_as_one_call_at_a_time():
    """JAX runs an op's calls as one jitted program; that must not change any output."""
    if not installed("jax"):
        pytest.skip("jax is not installed")
    import numpy as np

    from portability.check import _plan_tasks
    from portability.frameworks import jax_
    from portability.inputs import make_inputs

    catalog = load_catalog([DATA / "roundtrip.yaml"])
    arrays = {(op.name, c.name): make_inputs(c, 0, op.name) for op in catalog.ops for c in op.cases}
    tasks = [t for t in _plan_tasks(catalog.ops, ["jax"], arrays)[0]["jax"] if not t.plan.unsupported]
    jax_.load({})
    assert len(tasks) >= 3
    batched = jax_.execute_batch([(t.plan, arrays[(t.op, t.case)]) for t in tasks])
    for t, outs in zip(tasks, batched, strict=True):
        alone = jax_.execute(t.plan, arrays[(t.op, t.case)])
        for a, b in zip(outs, alone, strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), (t.op, t.mode)
