"""The backward pass: the float64 reference gradient on hand-made functions, the gradient comparisons, the
pullback through checkpoint conversions, backward hazards from hand-made results, known records scoped by
pass, and a crash inside a backward pass (tests/crashy_backward.py: a worker that really dies)."""

from pathlib import Path

import numpy as np
import pytest
from conftest import write_yaml

from portability.array_transforms import ARRAY_TRANSFORMS, pullback
from portability.compare import gradient_metrics, gradient_pair, gradient_tolerance, tolerance_for
from portability.errors import CatalogError
from portability.gradients import SMALL, STEP, reference_gradient
from portability.hazards import classify
from portability.records import Pairwise, Result
from portability.spec import load_catalog

TOL = gradient_tolerance(tolerance_for("float32"))


def _reference(fn, x, cotangents=None, dtype="float32", **arrays):
    """The reference gradient of ``fn`` (float64 arrays -> list of outputs) with respect to ``x``."""
    quiet = fn

    def fn(a):  # the checker runs references under np.errstate too: edge values are the point here
        with np.errstate(all="ignore"):
            return quiet(a)

    outs = fn({"x": x, **arrays})
    cts = cotangents or [np.random.default_rng(1).normal(size=np.shape(o)) for o in outs]
    return reference_gradient(fn, {"x": x, **arrays}, "x", cts, dtype, TOL, 0, "op", "case"), cts


# ----------------------------------------------------------------------------- the reference gradient


def test_small_inputs_are_differenced_element_by_element_and_match_the_derivative():
    x = np.array([-1.5, -0.2, 0.3, 2.0])
    ref, (ct,) = _reference(lambda a: [np.tanh(a["x"])], x)
    assert ref.differentiable and len(ref.directions) == x.size <= SMALL
    np.testing.assert_allclose(ref.values, ct * (1 - np.tanh(x) ** 2), rtol=1e-10, atol=1e-12)
    assert (ref.errors < 1e-8).all()


def test_large_inputs_are_differenced_along_seeded_directions():
    x = np.random.default_rng(0).normal(size=(6, 7))
    ref, (ct,) = _reference(lambda a: [a["x"] ** 3 - 2 * a["x"]], x)
    assert len(ref.directions) == 2 and ref.directions.shape[1:] == x.shape
    vjp = ct * (3 * x ** 2 - 2)  # the analytic vector-Jacobian product
    np.testing.assert_allclose(ref.values, [np.sum(vjp * d) for d in ref.directions], rtol=1e-9)
    again, _ = _reference(lambda a: [a["x"] ** 3 - 2 * a["x"]], x, [ct])
    assert np.array_equal(again.directions, ref.directions)  # seeded: the same directions every run


def test_outputs_without_a_cotangent_are_not_differentiated():
    x = np.array([0.5, 1.0, 2.0])
    ref, _ = _reference(lambda a: [np.exp(a["x"]), np.argsort(a["x"])], x, [np.ones(3), None])
    np.testing.assert_allclose(ref.values, np.exp(x), rtol=1e-10)


@pytest.mark.parametrize("fn, x, words", [
    (lambda a: [np.abs(a["x"])], np.array([0.0, 1.0, -2.0]), "the one-sided derivatives differ"),
    (lambda a: [np.maximum(a["x"], a["y"])], np.array([1.0, 2.0]), "the one-sided derivatives differ"),
    (lambda a: [np.sqrt(a["x"])], np.array([0.0, 1.0]), "not finite within a step"),
    (lambda a: [np.log(a["x"])], np.array([0.0, 1.0]), "outputs are not finite here"),
    (lambda a: [a["x"] / max(np.linalg.norm(a["x"]), 1e-12)], np.zeros(3), "do not converge"),
])
def test_where_the_function_has_no_derivative_the_reference_says_why(fn, x, words):
    ref, _ = _reference(fn, x, y=np.array([1.0, 0.0]))
    assert not ref.differentiable and ref.values is None and words in ref.reason


def test_a_kink_too_small_to_matter_is_no_kink():
    """A jump in the derivative far below the comparison tolerance is absorbed: the reference still judges."""
    x = np.array([0.0, 1.0, -2.0])
    ref, _ = _reference(lambda a: [a["x"] + 1e-12 * np.abs(a["x"])], x)
    assert ref.differentiable


def test_a_kink_half_precision_would_absorb_is_still_a_kink_in_a_half_precision_case():
    """The jump is the float64 reference's, judged as in float32: bfloat16's wide tolerance would absorb a tie
    whose frameworks' subgradients still miss the central difference (topk on ties@bfloat16)."""
    x = np.array([0.0, 1.0, -2.0])
    fn = lambda a: [a["x"] + 1e-3 * np.abs(a["x"])]  # noqa: E731  a jump of 2e-3 at 0
    bf16 = gradient_tolerance(tolerance_for("bfloat16"))
    assert 2e-3 < bf16.rtol  # within bfloat16's tolerance, far beyond float32's
    ref = reference_gradient(fn, {"x": x}, "x", [np.ones(3)], "bfloat16", bf16, 0, "op", "case")
    assert not ref.differentiable and "one-sided derivatives differ" in ref.reason
    smooth = reference_gradient(lambda a: [np.sin(a["x"])], {"x": x}, "x", [np.ones(3)], "bfloat16", bf16, 0,
                                "op", "case")
    assert smooth.differentiable  # a smooth function at bfloat16's step is no kink


def test_the_step_follows_the_case_dtype():
    x = np.array([0.3, 0.7])
    half, _ = _reference(lambda a: [np.sin(a["x"])], x, dtype="float16")
    assert half.step == STEP["float16"] > STEP["float32"] > STEP["float64"]


# ----------------------------------------------------------------------------- comparisons


def test_a_gradient_is_judged_through_the_reference_directions():
    x = np.random.default_rng(2).normal(size=(5, 5))
    ref, (ct,) = _reference(lambda a: [np.sin(a["x"])], x)
    good = (ct * np.cos(x)).astype(np.float32)
    m = gradient_metrics(good, ref, TOL, "float32")
    assert m.within_tolerance and m.dtype_equal and m.max_abs_error < 1e-4
    wrong = good.copy()
    wrong[2, 3] += 0.5  # another subgradient at one element is far beyond rounding
    assert gradient_metrics(wrong, ref, TOL, "float32").within_tolerance is False
    nan = good.copy()
    nan[0, 0] = np.nan
    m = gradient_metrics(nan, ref, TOL, "float32")
    assert m.nonfinite_equal is False and "NaN at 1 position" in m.nonfinite_detail
    assert gradient_metrics(good.reshape(25), ref, TOL, "float32").shape_equal is False
    assert gradient_metrics(good.astype(np.float64), ref, TOL, "float32").dtype_equal is False


def test_without_a_reference_derivative_only_frameworks_are_compared():
    ref, _ = _reference(lambda a: [np.abs(a["x"])], np.array([0.0, 1.0]))
    assert gradient_metrics(np.array([0.0, 1.0], np.float32), ref, TOL, "float32").within_tolerance is None
    p = gradient_pair(np.array([0.0, 0.7], np.float32), np.array([0.3, 0.7], np.float32), TOL)
    assert not p.within_tolerance and p.worst["index"] == [0]
    assert (p.worst["a"], p.worst["b"]) == (0.0, pytest.approx(0.3))
    nan = gradient_pair(np.array([np.nan, 1.0]), np.array([0.0, 1.0]), TOL)
    assert not nan.within_tolerance and nan.nonfinite_detail == "non-finite in a where b is finite at 1 position(s)"
    assert gradient_pair(np.array([1.0, 2.0]), np.array([1.0 + 1e-7, 2.0]), TOL).within_tolerance


# ----------------------------------------------------------------------------- checkpoint conversions


@pytest.mark.parametrize("transform, sources", [
    ("gates_ifgo_to_iofc", ["w"]), ("gates_rzn_to_zrh", ["w"]), ("add", ["a", "b"]), ("stack0", ["a", "b"]),
    ("concat0", ["a", "b"]), ("swap01", ["m"]), ("add_leading_axis", ["w"]), ("depthwise_kernel_hwcm", ["k", "x"]),
])
def test_the_pullback_through_a_derived_weight_is_its_exact_adjoint(transform, sources):
    rng = np.random.default_rng(3)
    arrays = {"w": rng.normal(size=(12, 5)), "a": rng.normal(size=(12,)), "b": rng.normal(size=(12,)),
              "m": rng.normal(size=(2, 3, 4)), "k": rng.normal(size=(6, 1, 3, 3)), "x": rng.normal(size=(2, 3, 4, 4))}
    derived = ARRAY_TRANSFORMS[transform](*[arrays[s] for s in sources])
    g = rng.normal(size=derived.shape)
    grads = pullback({"d": (transform, tuple(sources))}, arrays, {"d": g})
    for s in dict.fromkeys(sources):  # <g, T(e_i)> for every unit vector e_i of each source: the adjoint
        expected = np.zeros(arrays[s].size)
        for i in range(arrays[s].size):
            e = np.zeros(arrays[s].size)
            e[i] = 1.0
            probe = {k: (e.reshape(arrays[s].shape) if k == s else np.zeros_like(v)) for k, v in arrays.items()}
            expected[i] = np.sum(g * ARRAY_TRANSFORMS[transform](*[probe[t] for t in sources]))
        np.testing.assert_allclose(grads[s].reshape(-1), expected, atol=1e-12, err_msg=s)


# ----------------------------------------------------------------------------- hazards from results

OP = """
ops:
  - name: kinky
    category: elementwise
    summary: abs, for hand-made backward results
    inputs: {x: {shape: [4]}}
    cases: [{name: at_zero}, {name: smooth}]
    reference: {call: numpy.abs, args: [x]}
    apis:
      torch: {call: torch.abs, args: [x]}
      tensorflow: {call: tf.math.abs, args: [x]}
      jax: {call: jax.numpy.abs, args: [x]}
    known:
      - {kind: gradient_divergence, apis: [jax.numpy.abs], cases: [at_zero], reason: jax takes 1 at 0,
         source: "https://example.org/abs"}
      - {kind: numeric_divergence, apis: [jax.numpy.abs], reason: a forward record, source: "https://example.org/f"}
"""
APIS = {"torch": "torch.abs", "tensorflow": "tf.math.abs", "jax": "jax.numpy.abs"}


def _r(fw, case="at_zero", pass_="backward", **kw):
    base = dict(op="kinky", case=case, framework=fw, api=APIS[fw], mode="aligned", status="ok", dtype="float32",
                shape_equal=True, dtype_equal=True, nonfinite_equal=True, within_tolerance=None, pass_=pass_,
                wrt="x" if pass_ == "backward" else None)
    return Result(**(base | kw))


def _pw(a, b, within, case="at_zero", **kw):
    return Pairwise("kinky", case, "aligned", f"{a}:{APIS[a]}", f"{b}:{APIS[b]}", 0.0 if within else 1.0, None,
                    within, True, "backward", "x", kw.get("detail", ""), kw.get("worst"))


def _kinky(tmp_path):
    return load_catalog([write_yaml(tmp_path, OP)]).ops[0]


def test_frameworks_that_disagree_where_the_reference_has_no_derivative_are_one_known_hazard(tmp_path):
    op = _kinky(tmp_path)
    results = [_r(fw) for fw in APIS] + [_r(fw, pass_="forward", within_tolerance=True) for fw in APIS]
    worst = {"index": [2], "a": 0.0, "b": 1.8}
    pairwise = [_pw("torch", "tensorflow", True), _pw("torch", "jax", False, worst=worst),
                _pw("tensorflow", "jax", False, worst=worst)]
    (h,) = classify(op, results, pairwise, live={})
    assert (h.kind, h.pass_, h.cases, h.known) == ("gradient_divergence", "backward", ("at_zero",), True)
    assert h.apis == ("jax:jax.numpy.abs", "tensorflow:tf.math.abs", "torch:torch.abs")
    assert "tensorflow:tf.math.abs, torch:torch.abs give 0; jax:jax.numpy.abs gives 1.8" in h.summary
    assert h.fix and h.known_source == "https://example.org/abs"


def test_nan_where_another_framework_is_finite_is_gradient_nonfinite_on_the_nan_side(tmp_path):
    op = _kinky(tmp_path)
    results = [_r(fw, case="smooth") for fw in APIS]
    nan = "non-finite in b where a is finite at 2 position(s)"
    pairwise = [_pw("torch", "tensorflow", False, case="smooth", detail=nan),
                _pw("torch", "jax", False, case="smooth", detail=nan), _pw("tensorflow", "jax", True, case="smooth")]
    (h,) = classify(op, results, pairwise, live={})
    assert (h.kind, h.known) == ("gradient_nonfinite", False)  # the record covers at_zero only
    assert h.apis == ("jax:jax.numpy.abs", "tensorflow:tf.math.abs") and h.severity == "high"


def test_against_the_reference_each_api_has_its_own_backward_hazards(tmp_path):
    op = _kinky(tmp_path)
    results = [_r("torch", case="smooth", within_tolerance=False, max_abs_error=2.0, rtol=1e-5,
                  worst={"index": [0], "actual": 1.0, "expected": -1.0}, mismatch_fraction=1.0),
               _r("tensorflow", case="smooth", status="error", message="LookupError: no gradient"),
               _r("jax", case="smooth", status="crash", message="worker exited with code 5")]
    kinds = {(h.kind, h.apis[0], h.pass_) for h in classify(op, results, [], live={})}
    assert kinds == {("gradient_divergence", "torch:torch.abs", "backward"),
                     ("gradient_unsupported", "tensorflow:tf.math.abs", "backward"),
                     ("crash", "jax:jax.numpy.abs", "backward")}


def test_a_backward_call_whose_forward_call_already_differs_is_no_finding_of_its_own(tmp_path):
    op = _kinky(tmp_path)
    results = [_r("torch", case="smooth", pass_="forward", within_tolerance=False, max_abs_error=1.0),
               _r("torch", case="smooth", status="error", message="shape mismatch in the cotangent"),
               _r("jax", case="smooth", pass_="forward", shape_equal=False),
               _r("jax", case="smooth", status="crash", message="worker exited")]
    hazards = classify(op, results, [], live={})
    assert {(h.kind, h.pass_) for h in hazards} == {("numeric_divergence", "forward"), ("shape_mismatch", "forward"),
                                                    ("crash", "backward")}  # a crash is a finding in any pass


def test_a_forward_record_never_covers_a_backward_hazard_and_the_reverse(tmp_path):
    op = _kinky(tmp_path)
    forward = [r for r in (_r("jax", case="smooth", pass_="forward", within_tolerance=False, max_abs_error=1.0),)]
    (h,) = classify(op, forward, [], live={})
    assert h.known and h.known_reason == "a forward record"
    backward = [_r("jax", case="at_zero", within_tolerance=False, max_abs_error=1.0, rtol=1e-5,
                   worst={"index": [0], "actual": 1.0, "expected": 0.0})]
    (h,) = classify(op, backward, [], live={})
    assert h.kind == "gradient_divergence" and h.known  # the backward record, scoped to at_zero
    assert [k.passes for k in op.known] == [("backward",), ("forward",)]


def test_known_records_name_their_pass_and_the_loader_checks_it(tmp_path):
    bad = OP.replace("source: \"https://example.org/abs\"}", "source: \"https://example.org/abs\", passes: [forward]}")
    with pytest.raises(CatalogError, match="found in the backward pass only"):
        load_catalog([write_yaml(tmp_path, bad)])
    with pytest.raises(CatalogError, match="unknown pass 'sideways'"):
        load_catalog([write_yaml(tmp_path, OP.replace("reason: a forward record,",
                                                      "passes: [sideways], reason: a forward record,"), "b.yaml")])
    both = OP.replace("reason: a forward record,", "passes: [forward, backward], reason: a forward record,")
    assert load_catalog([write_yaml(tmp_path, both, "c.yaml")]).ops[0].known[1].passes == ("forward", "backward")


def test_which_inputs_are_differentiated(tmp_path):
    text = OP.replace("    inputs: {x: {shape: [4]}}", "    differentiable: false\n    inputs: {x: {shape: [4]}}")
    op = load_catalog([write_yaml(tmp_path, text)]).ops[0]
    assert op.wrt(op.cases[0]) == ()
    wrong = OP.replace("    inputs: {x: {shape: [4]}}", "    differentiable: [y]\n    inputs: {x: {shape: [4]}}")
    with pytest.raises(CatalogError, match="no input named 'y'"):
        load_catalog([write_yaml(tmp_path, wrong, "d.yaml")])
    catalog = load_catalog()
    assert catalog.op("floor").wrt(catalog.op("floor").cases[0]) == ()  # piecewise constant: opted out
    assert catalog.op("argmax").wrt(catalog.op("argmax").cases[0]) == ()  # index outputs: nothing to weight
    bn = catalog.op("batch_norm")
    assert bn.wrt(bn.cases[0]) == ("x", "weight", "bias")  # running statistics are buffers
    ce = catalog.op("cross_entropy")
    assert ce.wrt(ce.cases[0]) == ("x",)  # integer targets have no gradient


# ----------------------------------------------------------------------------- a crash inside a backward pass

CRASHY = """
ops:
  - name: grad_crash
    category: test
    summary: one API whose backward call kills its worker, one that differentiates fine
    inputs: {x: {shape: [6]}}
    reference: {call: numpy.tanh, args: [x]}
    apis:
      numpy:
        - {call: numpy.tanh, args: [x], label: crash-in-backward}
        - {call: numpy.tanh, args: [x]}
  - name: after
    category: test
    summary: runs after the crash
    inputs: {x: {shape: [6]}}
    reference: {call: numpy.exp, args: [x]}
    apis:
      numpy: {call: numpy.exp, args: [x]}
"""


def test_a_worker_that_dies_in_a_backward_pass_is_a_backward_crash_and_the_run_goes_on(tmp_path, monkeypatch):
    from portability.check import run_check

    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))
    catalog = load_catalog([write_yaml(tmp_path, CRASHY)])
    report = run_check(catalog, backends=["numpy"], modules={"numpy": "crashy_backward"}, progress=False)
    by = {(r.op, r.api, r.pass_): r for r in report.results if r.mode == "aligned"}
    assert by[("grad_crash", "crash-in-backward", "forward")].status == "ok"  # only its backward call dies
    crashed = by[("grad_crash", "crash-in-backward", "backward")]
    assert crashed.status == "crash" and "exited with code 5" in crashed.message and crashed.wrt == "x"
    fine = [by[("grad_crash", "numpy.tanh", "backward")], by[("after", "numpy.exp", "backward")]]
    assert all(r.status == "ok" and r.within_tolerance for r in fine)  # before and after the crash
    (h,) = [h for h in report.hazards if h.kind == "crash"]
    assert (h.pass_, h.apis) == ("backward", ("numpy:crash-in-backward",))
    assert "numpy" not in report.environment["inference_only"]  # this adapter differentiates
    assert report.environment["framework_status"]["numpy"]["restarts"] >= 1
