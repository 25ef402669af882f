"""Hazard classification is a pure function of results: hand-made results in, hazards out."""

from dataclasses import replace

import pytest
from conftest import write_yaml

from portability.errors import CatalogError
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


def test_a_dtype_mismatch_names_the_dtype_the_output_should_have(tmp_path):
    """An index or count output is judged against the reference's dtype (int64), not the case dtype: the
    summary says so instead of "returns float32, not float32"."""
    op = _op(tmp_path)
    result = _r("torch", "torch.nn.functional.leaky_relu", dtype_equal=False, output_dtype="float32",
                expected_dtype="int64")
    (hazard,) = [h for h in classify(op, [result], [], live={}) if h.kind == "dtype_mismatch"]
    assert hazard.summary.endswith("returns float32, not int64") and "int64" in hazard.fix


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


# Known records are scoped: a record covers the cases, dtypes and modes it names and nothing more.
SCOPED = """
ops:
  - name: sq
    category: elementwise
    summary: a port that diverges on some cases
    inputs: {x: {shape: [4]}}
    cases: [{name: small}, {name: big}, {name: nan_one}, {name: nan_two}]
    reference: {call: numpy.tanh, args: [x]}
    apis:
      torch: {call: torch.tanh, args: [x]}
      jax: {call: jax.numpy.tanh, args: [x]}
    known:
      - {kind: numeric_divergence, apis: [torch.tanh], cases: [small], reason: documented on small, source: s1}
      - {kind: nonfinite_mismatch, apis: [torch], cases: ["nan*"], reason: NaN handling, source: s2}
      - {kind: numeric_divergence, apis: [jax.numpy.tanh], dtypes: [float16], reason: half only, source: s3}
"""


def _scoped(tmp_path, dtypes=()):
    from portability.check import with_dtypes

    op = load_catalog([write_yaml(tmp_path, SCOPED)]).ops[0]
    return with_dtypes(op, list(dtypes)) if dtypes else op


def _diverge(framework, api, case, **kw):
    return _r(framework, api, op="sq", case=case, **({"within_tolerance": False, "max_abs_error": 0.5,
                                                     "mismatch_fraction": 0.5} | kw))


def test_a_new_diverging_case_of_a_documented_api_is_not_known(tmp_path):
    op = _scoped(tmp_path)
    results = [_diverge("torch", "torch.tanh", "small"), _diverge("torch", "torch.tanh", "big", max_abs_error=0.9)]
    hazards = [h for h in classify(op, results, [], live={}) if h.kind == "numeric_divergence"]
    # split: the documented case stays known; the new case is a hazard of its own, open
    assert [(h.cases, h.known) for h in hazards] == [(("small",), True), (("big",), False)]
    known, new = hazards
    assert known.known_reason == "documented on small" and "big" not in known.summary
    assert "on big" in new.summary and new.divergence["max_abs_error"] == 0.9
    assert [s["kind"] for s in stale_known(op, hazards, results)] == ["nonfinite_mismatch"]  # nothing ran NaN


def test_a_hazard_inside_several_records_is_split_per_record_and_patterns_match(tmp_path):
    op = _scoped(tmp_path)
    results = [_r("torch", "torch.tanh", op="sq", case=c, nonfinite_equal=False, within_tolerance=False)
               for c in ("nan_one", "nan_two", "big")]
    hazards = [h for h in classify(op, results, [], live={}) if h.kind == "nonfinite_mismatch"]
    assert [(h.cases, h.known) for h in hazards] == [(("nan_one", "nan_two"), True), (("big",), False)]
    assert hazards[0].known_reason == "NaN handling"  # named by framework, cases by fnmatch pattern


def test_a_record_scoped_to_a_dtype_does_not_cover_another_dtype(tmp_path):
    op = _scoped(tmp_path, dtypes=["float16"])
    assert [c.name for c in op.cases if c.name.startswith("small")] == ["small", "small@float16"]
    results = [_diverge("jax", "jax.numpy.tanh", "small@float16", dtype="float16"),
               _diverge("jax", "jax.numpy.tanh", "small")]
    hazards = classify(op, results, [], live={})
    assert [(h.cases, h.known) for h in hazards] == [(("small@float16",), True), (("small",), False)]
    # and the torch record scoped to `small` covers its float16 sweep too (no dtype named: every dtype)
    swept = [_diverge("torch", "torch.tanh", "small@float16", dtype="float16")]
    (h,) = classify(op, swept, [], live={})
    assert h.known and h.known_reason == "documented on small"


def test_stale_known_is_judged_per_scope_and_only_on_what_ran(tmp_path):
    op = _scoped(tmp_path)
    results = [_diverge("torch", "torch.tanh", "small"), _r("jax", "jax.numpy.tanh", op="sq", case="small")]
    hazards = classify(op, results, [], live={})
    stale = stale_known(op, hazards, results)
    # the NaN record matched nothing; the float16 record was not exercised (no float16 case ran)
    assert [(s["kind"], s["part"]) for s in stale] == [("nonfinite_mismatch", "record")]
    assert stale[0]["detail"] == "matches no hazard" and stale[0]["cases"] == ["nan*"]

    swept = _scoped(tmp_path, dtypes=["float16"])
    stale = stale_known(swept, classify(swept, results, [], live={}), results)
    assert ("numeric_divergence", "record") in [(s["kind"], s["part"]) for s in stale]  # float16 ran: stale

    # a record whose scope matched only in part: which part
    two = replace(op, known=(replace(op.known[0], cases=("small", "big")), *op.known[1:]))
    stale = stale_known(two, classify(two, results, [], live={}), results)
    (part,) = [s for s in stale if s["kind"] == "numeric_divergence"]
    assert part["part"] == "scope" and part["unmatched"] == {"cases": ["big"]}
    assert part["detail"] == "cases big match no hazard"

    # an API that did not run is not judged (given the results); without them it is
    only_jax = [_r("jax", "jax.numpy.tanh", op="sq", case="small")]
    assert [s["kind"] for s in stale_known(op, [], only_jax)] == []
    assert len(stale_known(op, [], None)) == 2


def test_a_caseless_hazard_lies_in_no_case_scope(tmp_path):
    from portability.hazards import known_matches
    from portability.records import Hazard

    op = _scoped(tmp_path)
    h = Hazard(op="sq", kind="numeric_divergence", frameworks=("torch",), apis=("torch:torch.tanh",),
               severity="high", summary="", fix="", cases=())
    assert not known_matches(op.known[0], h, op)
    assert known_matches(op.known[0], replace(h, cases=("small",)), op)
    assert not known_matches(op.known[0], replace(h, cases=("small", "big")), op)


@pytest.mark.parametrize("record, key, words", [
    ("{kind: error, apis: [torch.tanh], cases: [smal], reason: r, source: s}", "known.0.cases.0",
     "'smal' matches no case of this op (cases: small, big)"),
    ("{kind: error, apis: [torch.tanh], cases: [small@float16], reason: r, source: s}", "known.0.cases.0",
     "scope the dtype with `dtypes`"),
    ("{kind: error, apis: [torch.tanh], dtypes: [float17], reason: r, source: s}", "known.0.dtypes.0",
     "unknown dtype 'float17'"),
    ("{kind: error, apis: [torch.tanh], modes: [eager], reason: r, source: s}", "known.0.modes.0",
     "unknown mode 'eager' (known: aligned, defaults)"),
    ("{kind: error, apis: [torch.tanh], cases: {a: 1}, reason: r, source: s}", "known.0.cases",
     "expected a list of strings"),
])


def test_bad_scope_is_one_catalog_error_naming_file_op_and_key(tmp_path, record, key, words):
    text = SCOPED.split("    known:")[0].replace("{name: nan_one}, {name: nan_two}", "") \
        .replace("[{name: small}, {name: big}, ]", "[{name: small}, {name: big}]") + f"    known: [{record}]\n"
    with pytest.raises(CatalogError) as exc:
        load_catalog([write_yaml(tmp_path, text)])
    msg = str(exc.value)
    assert "\n" not in msg and "cat.yaml" in msg and "op 'sq'" in msg and f"key '{key}'" in msg and words in msg


def test_every_array_transform_has_conversion_code_that_computes_it():
    """The NumPy line a weight_layout finding shows is the transform itself: evaluated, it gives the same array."""
    import numpy as np

    from portability.array_transforms import ARRAY_TRANSFORMS, code

    rng = np.random.default_rng(0)
    arrays = {"a": rng.normal(size=(12, 5)), "b": rng.normal(size=(12, 5)), "w": rng.normal(size=(6, 1, 3, 3)),
              "x": rng.normal(size=(2, 3, 7, 7)), "idx": rng.integers(0, 4, size=(3, 4))}
    calls = {"add": ["a", "b"], "concat0": ["a", "b"], "stack0": ["a", "b"], "swap01": ["a"], "add_leading_axis": ["a"],
             "gates_ifgo_to_iofc": ["a"], "gates_rzn_to_zrh": ["a"], "depthwise_kernel_hwcm": ["w", "x"],
             "along_axis_coords": ["idx", "1"]}
    assert set(calls) == set(ARRAY_TRANSFORMS)
    for name, fn in ARRAY_TRANSFORMS.items():
        names = calls[name]
        expected = fn(*[arrays[n] if n in arrays else int(n) for n in names])
        got = eval(code(name, names), {"np": np, "along_axis_coords": fn, **arrays})  # noqa: S307 - our own code
        assert np.array_equal(got, expected), name


LAYERS = """
ops:
  - name: gru_like
    category: layer
    summary: test op
    inputs:
      x: {shape: [2, 3, 5]}
      weight_ih: {shape: [12, 5]}
      bias_ih: {shape: [12]}
    reference: {call: portability.reference.linear, args: [x, weight_ih, bias_ih]}
    apis:
      torch:
        - {call: torch.nn.Linear, kind: layer, args: [x], weights: {weight: weight_ih, bias: bias_ih}}
      tensorflow:
        - call: keras.layers.Dense
          kind: layer
          args: [x]
          derive:
            kernel: {transform: gates_rzn_to_zrh, inputs: [weight_ih]}
            x_tm: {transform: swap01, inputs: [x]}
          layout: {kernel: IO, x: [0, 2, 1]}
          weights: {kernel: kernel, bias: bias_ih}
        - {call: keras.layers.Dense, label: plain, kind: layer, args: [x], layout: {weight_ih: IO},
           weights: {kernel: weight_ih, bias: bias_ih}}
      onnx:
        - {call: Gemm, args: [x, weight_ih, bias_ih], constants: {transB: 1}}
"""


def test_weight_layout_findings_carry_the_checkpoint_conversion(tmp_path):
    """Derived and transposed weights become one weight_layout finding per API that ran, with the NumPy lines a port
    writes; the data input's own transpose and derive are not weight conversions, and an API that takes torch's
    arrangement as is (ONNX Gemm) has no finding."""
    op = load_catalog([write_yaml(tmp_path, LAYERS)]).ops[0]
    ran = [_r("torch", "torch.nn.Linear"), _r("tensorflow", "keras.layers.Dense"), _r("tensorflow", "plain"),
           _r("onnxruntime", "Gemm")]
    found = {h.apis: h for h in classify(op, [replace(r, op="gru_like") for r in ran], [], live={})
             if h.kind == "weight_layout"}
    assert set(found) == {("tensorflow:keras.layers.Dense",), ("tensorflow:plain",)}
    gates = found[("tensorflow:keras.layers.Dense",)]
    assert gates.severity == "medium"  # a gate-order mistake keeps every shape
    assert gates.conversion == ("kernel = np.concatenate([np.split(weight_ih, 3)[k] for k in (1, 0, 2)])",
                                "kernel = np.transpose(kernel, (1, 0))  # IO, layer.kernel")
    plain = found[("tensorflow:plain",)]
    assert plain.severity == "low" and plain.conversion == ("weight_ih = np.transpose(weight_ih, (1, 0))  # IO, layer.kernel",)
    assert "np.transpose(weight_ih, (1, 0))" in plain.fix
    # an API that did not run has no finding
    assert not [h for h in classify(op, [replace(ran[0], op="gru_like")], [], live={}) if h.kind == "weight_layout"]
# The dtype sweep's rule: a divergence every framework that ran shares (and agrees on) is a note, never a hazard.
def _half(framework, api, case="wide@float16", **kw):
    return _r(framework, api, case=case, dtype="float16", **kw)


NAN_AT_2 = dict(nonfinite_equal=False, within_tolerance=False, nonfinite_detail="+Inf at 2 position(s)")
TORCH, JAX, TF = "torch:torch.nn.functional.leaky_relu", "jax:jax.nn.leaky_relu", "tensorflow:tf.nn.leaky_relu"


def _pairs(*ids, within=True, case="wide@float16"):
    return [Pairwise("act", case, "aligned", a, b, 0.0, 0.0, within) for i, a in enumerate(ids) for b in ids[i + 1:]]


def test_a_divergence_every_framework_shares_and_agrees_on_is_a_note_not_a_hazard(tmp_path):
    from portability.hazards import notes

    op = _op(tmp_path)
    results = [_half("torch", "torch.nn.functional.leaky_relu", **NAN_AT_2),
               _half("jax", "jax.nn.leaky_relu", **NAN_AT_2),
               _half("tensorflow", "tf.nn.leaky_relu", **NAN_AT_2)]
    pairs = _pairs(TORCH, JAX, TF)
    assert [h for h in classify(op, results, pairs, live={}) if h.kind == "nonfinite_mismatch"] == []
    (n,) = notes(op, results, pairs)
    assert (n.kind, n.cause, n.dtype, n.cases) == ("nonfinite_mismatch", "shared", "float16", ("wide@float16",))
    assert set(n.apis) == {TORCH, JAX, TF} and "agree with each other" in n.summary


def test_frameworks_that_diverge_but_disagree_with_each_other_are_hazards(tmp_path):
    from portability.hazards import notes

    op = _op(tmp_path)
    results = [_half("torch", "torch.nn.functional.leaky_relu", **NAN_AT_2),
               _half("jax", "jax.nn.leaky_relu", **NAN_AT_2)]
    pairs = _pairs(TORCH, JAX, within=False)
    assert len([h for h in classify(op, results, pairs, live={}) if h.kind == "nonfinite_mismatch"]) == 2
    assert notes(op, results, pairs) == []
    # a missing pairwise record is no evidence of agreement either
    assert len([h for h in classify(op, results, [], live={}) if h.kind == "nonfinite_mismatch"]) == 2


def test_one_framework_that_diverges_where_another_matches_is_a_hazard(tmp_path):
    op = _op(tmp_path)
    results = [_half("torch", "torch.nn.functional.leaky_relu", **NAN_AT_2), _half("jax", "jax.nn.leaky_relu")]
    found = [h for h in classify(op, results, _pairs(TORCH, JAX, within=False), live={}) if h.kind != "unsupported"]
    assert [(h.kind, h.apis) for h in found if h.kind != "default_argument_mismatch"] == [
        ("nonfinite_mismatch", (TORCH,))]


def test_a_single_framework_has_nothing_to_agree_with_even_with_two_apis(tmp_path):
    """Two APIs of one framework (here two ONNX runtimes, one framework) agreeing prove nothing about portability."""
    from portability.hazards import notes

    op = _op(tmp_path)
    results = [_half("torch", "torch.nn.functional.leaky_relu", **NAN_AT_2)]
    assert [h.kind for h in classify(op, results, [], live={}) if h.kind != "unsupported"] == ["nonfinite_mismatch"]
    assert notes(op, results, []) == []
    onnx = [_half("onnxruntime", "LeakyRelu", **NAN_AT_2), _half("onnx-reference", "LeakyRelu", **NAN_AT_2)]
    pairs = _pairs("onnxruntime:LeakyRelu", "onnx-reference:LeakyRelu")
    assert len([h for h in classify(op, onnx, pairs, live={}) if h.kind == "nonfinite_mismatch"]) == 2
    assert notes(op, onnx, pairs) == []


def test_shared_is_judged_per_case_and_kind_and_apis_that_did_not_run_do_not_count(tmp_path):
    op = _op(tmp_path)
    wide = [_half("torch", "torch.nn.functional.leaky_relu", **NAN_AT_2), _half("jax", "jax.nn.leaky_relu", **NAN_AT_2),
            _half("tensorflow", "tf.nn.leaky_relu", status="unsupported", message="no float16 kernel")]
    # on another case only torch diverges: that case stays a hazard of torch, the shared one does not join it
    small = [_half("torch", "torch.nn.functional.leaky_relu", case="small@float16", **NAN_AT_2),
             _half("jax", "jax.nn.leaky_relu", case="small@float16")]
    pairs = _pairs(TORCH, JAX) + _pairs(TORCH, JAX, within=False, case="small@float16")
    found = [h for h in classify(op, wide + small, pairs, live={}) if h.kind == "nonfinite_mismatch"]
    assert [(h.apis, h.cases) for h in found] == [((TORCH,), ("small@float16",))]
    # a shared dtype mismatch needs the same output dtype everywhere
    f32 = dict(dtype_equal=False, output_dtype="float32")
    same = [_half("torch", "torch.nn.functional.leaky_relu", **f32), _half("jax", "jax.nn.leaky_relu", **f32)]
    assert [h for h in classify(op, same, _pairs(TORCH, JAX), live={}) if h.kind == "dtype_mismatch"] == []
    other = [same[0], _half("jax", "jax.nn.leaky_relu", dtype_equal=False, output_dtype="float64")]
    assert len([h for h in classify(op, other, _pairs(TORCH, JAX), live={}) if h.kind == "dtype_mismatch"]) == 2


def test_a_value_beyond_the_dtype_range_is_a_note_even_for_a_single_framework(tmp_path):
    from portability.hazards import notes

    op = _op(tmp_path)
    results = [_half("torch", "torch.nn.functional.leaky_relu", beyond_range=3)]
    assert [h for h in classify(op, results, [], live={}) if h.kind != "unsupported"] == []
    (n,) = notes(op, results, [])
    assert (n.cause, n.apis) == ("range", (TORCH,)) and "65504" in n.summary


def test_an_onnx_default_read_at_a_newer_opset_is_named_in_that_opsets_words():
    """GridSample-20 renamed bilinear to "linear": an entry written for opset 16 and stamped at 28 reads the
    schema default "linear", which the opset-20 entry translates back to bilinear (no false default mismatch);
    a value the entry maps itself (align_corners 0) keeps its own translation."""
    pytest.importorskip("onnx")
    from portability.check import with_opsets

    op = with_opsets(next(o for o in load_catalog().ops if o.name == "grid_sample"), ("own", 28), 28)
    old = next(a for a in op.apis if a.label == "GridSample[opset16]@28")
    live = {"mode": "linear", "padding_mode": "zeros", "coordinate_mode": 0}
    assert effective_defaults(old, live)[0]["mode"] == "linear"  # without the op: the raw word
    values, drift = effective_defaults(old, live, op)
    assert values["mode"] == "bilinear" and values["coordinate_mode"] == "half_pixel" and not drift
    own = next(a for a in op.apis if a.label == "GridSample[opset16]@16")
    assert effective_defaults(own, {"mode": "bilinear"}, op)[0]["mode"] == "bilinear"
