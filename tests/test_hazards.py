"""Hazard classification is a pure function of results: hand-made results in, hazards out."""

from conftest import write_yaml

from portability.hazards import classify, effective_defaults, stale_known
from portability.records import Pairwise, Result
from portability.spec import load_catalog

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
      tensorflow:
        - {call: tf.nn.leaky_relu, args: [x], params: {slope: alpha}, defaults: {slope: 0.2}}
        - {call: tf.nn.relu, args: [x], label: relu-port, fixed: {slope: 0.0}}
      jax: {call: jax.nn.leaky_relu, args: [x], params: {slope: negative_slope}, defaults: {slope: 0.2}}
    known:
      - {kind: unsupported, apis: [relu-port], reason: relu has no slope, source: "https://example.org/relu"}
      - {kind: crash, apis: [jax], reason: stale on purpose, source: "https://example.org/none"}
"""


def _op(tmp_path):
    return load_catalog([write_yaml(tmp_path, OP)]).ops[0]


def _r(framework, api, mode="aligned", **kw):
    base = dict(op="act", case="default", framework=framework, api=api, mode=mode, status="ok", dtype="float32",
                shape_equal=True, dtype_equal=True, nonfinite_equal=True, within_tolerance=True, max_abs_error=0.0,
                max_ulp=0.0, mismatch_fraction=0.0, rtol=1.3e-6, atol=1e-5)
    return Result(**(base | kw))


def _all_ran():
    return [_r("torch", "torch.nn.functional.leaky_relu"), _r("tensorflow", "tf.nn.leaky_relu"),
            _r("tensorflow", "relu-port"), _r("jax", "jax.nn.leaky_relu")]


def test_defaults_mismatch_with_observed_divergence_is_high_and_has_a_fix(tmp_path):
    op = _op(tmp_path)
    results = _all_ran()
    pairwise = [Pairwise("act", "default", "defaults", "torch:torch.nn.functional.leaky_relu",
                         "tensorflow:tf.nn.leaky_relu", 0.3, 1e6, False)]
    hazards = classify(op, results, pairwise, live={})
    (h,) = [h for h in hazards if h.kind == "default_argument_mismatch"]
    assert h.param == "slope" and h.severity == "high"
    assert h.defaults["torch:torch.nn.functional.leaky_relu"] == 0.01
    assert h.defaults["tensorflow:tf.nn.leaky_relu"] == 0.2
    assert h.defaults["tensorflow:relu-port"] == 0.0  # a fixed value counts as that API's default
    assert "negative_slope=0.2" in h.fix and "alpha=0.2" in h.fix and "relu-port cannot change slope" in h.fix
    assert h.divergence["max_abs_error"] == 0.3


def test_defaults_mismatch_without_observed_divergence_is_low(tmp_path):
    op = _op(tmp_path)
    pairwise = [Pairwise("act", "default", "defaults", "torch:torch.nn.functional.leaky_relu",
                         "tensorflow:tf.nn.leaky_relu", 0.0, 0.0, True)]
    (h,) = [h for h in classify(op, _all_ran(), pairwise, live={}) if h.kind == "default_argument_mismatch"]
    assert h.severity == "low" and "within tolerance" in h.summary


def test_live_default_overrides_documented_and_reports_drift(tmp_path):
    op = _op(tmp_path)
    live = {("jax", "jax.nn.leaky_relu"): {"slope": 0.01}}
    values, drift = effective_defaults(op.apis[3], live[("jax", "jax.nn.leaky_relu")])
    assert values["slope"] == 0.01 and drift == {"slope": {"documented": 0.2, "live": 0.01}}
    hazards = classify(op, _all_ran(), [], live)
    (d,) = [h for h in hazards if h.kind == "default_drift"]
    assert d.apis == ("jax:jax.nn.leaky_relu",) and d.severity == "low"


def test_numeric_divergence_only_beyond_tolerance(tmp_path):
    op = _op(tmp_path)
    results = [_r("torch", "torch.nn.functional.leaky_relu", within_tolerance=False, max_abs_error=0.5,
                  max_ulp=1e7, mismatch_fraction=0.25),
               _r("jax", "jax.nn.leaky_relu", max_abs_error=1e-7)]
    hazards = classify(op, results, [], live={})
    div = [h for h in hazards if h.kind == "numeric_divergence"]
    assert [h.apis for h in div] == [("torch:torch.nn.functional.leaky_relu",)]
    assert div[0].severity == "high" and "0.5" in div[0].summary


def test_nonfinite_shape_and_dtype_kinds(tmp_path):
    op = _op(tmp_path)
    results = [_r("torch", "torch.nn.functional.leaky_relu", nonfinite_equal=False, within_tolerance=False,
                  nonfinite_detail="NaN at 2 position(s)"),
               _r("jax", "jax.nn.leaky_relu", shape_equal=False, within_tolerance=False, output_shape=[2, 2]),
               _r("tensorflow", "tf.nn.leaky_relu", dtype_equal=False, output_dtype="float64")]
    kinds = {(h.kind, h.apis[0]) for h in classify(op, results, [], live={})}
    assert ("nonfinite_mismatch", "torch:torch.nn.functional.leaky_relu") in kinds
    assert ("shape_mismatch", "jax:jax.nn.leaky_relu") in kinds
    assert ("dtype_mismatch", "tensorflow:tf.nn.leaky_relu") in kinds
    assert ("numeric_divergence", "torch:torch.nn.functional.leaky_relu") not in kinds


def test_unsupported_known_and_stale(tmp_path):
    op = _op(tmp_path)
    results = [_r("tensorflow", "relu-port", status="unsupported", message="implements only slope=0.0")]
    hazards = classify(op, results, [], live={})
    (u,) = [h for h in hazards if h.kind == "unsupported"]
    assert u.known and u.known_reason == "relu has no slope" and u.known_source == "https://example.org/relu"
    stale = stale_known(op, hazards)
    assert [s["kind"] for s in stale] == ["crash"]


def test_errors_and_defaults_mode_results_are_not_divergence(tmp_path):
    op = _op(tmp_path)
    results = [_r("jax", "jax.nn.leaky_relu", status="error", message="ValueError: boom"),
               _r("torch", "torch.nn.functional.leaky_relu", mode="defaults", within_tolerance=False)]
    kinds = [h.kind for h in classify(op, results, [], live={}) if h.kind != "default_argument_mismatch"]
    assert kinds == ["error"]


def test_defaults_of_apis_that_did_not_run_are_out_of_scope(tmp_path):
    op = _op(tmp_path)
    only_torch = [_r("torch", "torch.nn.functional.leaky_relu")]
    assert [h for h in classify(op, only_torch, [], live={}) if h.kind == "default_argument_mismatch"] == []
    not_installed = _all_ran()[:1] + [_r("tensorflow", "tf.nn.leaky_relu", status="not_installed")]
    assert [h for h in classify(op, not_installed, [], live={}) if h.kind == "default_argument_mismatch"] == []
