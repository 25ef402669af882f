"""The comparator on hand-made arrays: NaN/Inf/±0 parity, ULP distance, exact integer outputs, tolerances."""

import numpy as np
import pytest

from portability.compare import TOLERANCES, compare, tolerance_for, ulp_distance
from portability.spec import Tolerance

F32 = TOLERANCES["float32"]


def test_identical_float32_is_within_tolerance_with_zero_errors():
    a = np.linspace(-3, 3, 50, dtype=np.float32)
    m = compare(a, a.astype(np.float64), tol=F32, expected_dtype="float32")
    assert m.within_tolerance and m.max_abs_error == 0 and m.max_ulp == 0 and m.mismatch_fraction == 0
    assert m.shape_equal and m.dtype_equal and m.nonfinite_equal


def test_one_ulp_apart():
    a = np.array([1.0, 2.0, -0.5], dtype=np.float32)
    b = np.nextafter(a, np.float32(np.inf))
    assert ulp_distance(b, a.astype(np.float64)).tolist() == [1, 1, 1]
    h = np.array([1.0], dtype=np.float16)
    assert ulp_distance(np.nextafter(h, np.float16(2)), h.astype(np.float64)).tolist() == [1]


def test_ulp_across_zero_counts_both_sides_and_signed_zeros_are_equal():
    tiny = np.float32(np.finfo(np.float32).smallest_subnormal)
    assert ulp_distance(np.array([tiny]), np.array([-float(tiny)])).tolist() == [2]
    assert ulp_distance(np.array([0.0], np.float32), np.array([-0.0])).tolist() == [0]


def test_signed_zero_counted_but_not_a_failure():
    m = compare(np.array([0.0, -0.0], np.float32), np.array([-0.0, -0.0]), tol=F32, expected_dtype="float32")
    assert m.within_tolerance and m.signed_zero_mismatches == 1


def test_nan_position_mismatch_is_not_hidden():
    expected = np.array([1.0, np.nan, 3.0])
    m = compare(np.array([1.0, 0.0, 3.0], np.float32), expected, tol=F32, expected_dtype="float32")
    assert not m.nonfinite_equal and not m.within_tolerance and "NaN at 1" in m.nonfinite_detail
    same = compare(np.array([1.0, np.nan, 3.0], np.float32), expected, tol=F32, expected_dtype="float32")
    assert same.nonfinite_equal and same.within_tolerance


def test_inf_sign_matters():
    m = compare(np.array([np.inf], np.float32), np.array([-np.inf]), tol=F32, expected_dtype="float32")
    assert not m.nonfinite_equal and "+Inf" in m.nonfinite_detail and "-Inf" in m.nonfinite_detail


def test_divergence_beyond_tolerance_and_worst_element():
    e = np.zeros((2, 3))
    a = np.zeros((2, 3), np.float32)
    a[1, 2] = 0.5
    m = compare(a, e, tol=F32, expected_dtype="float32")
    assert not m.within_tolerance and m.max_abs_error == 0.5
    assert m.worst_index == (1, 2) and m.worst_actual == 0.5 and m.worst_expected == 0.0
    assert m.mismatch_fraction == pytest.approx(1 / 6)


def test_float32_rounding_is_within_default_tolerance():
    e = np.random.default_rng(0).normal(size=1000)
    m = compare(e.astype(np.float32), e, tol=F32, expected_dtype="float32")
    assert m.within_tolerance and m.max_ulp <= 1


def test_accumulation_widens_tolerance_by_sqrt():
    t = tolerance_for("float32", accumulation=100)
    assert t.rtol == pytest.approx(F32.rtol * 10) and t.atol == pytest.approx(F32.atol * 10)
    over = tolerance_for("float32", {"float32": Tolerance(1e-3, 1e-3)})
    assert over.rtol == 1e-3


def test_integers_compare_exactly():
    m = compare(np.array([1, 2, 3], np.int32), np.array([1, 2, 4]), kind="int")
    assert not m.within_tolerance and m.max_abs_error == 1 and m.mismatch_fraction == pytest.approx(1 / 3)
    assert compare(np.array([-2, 1]), np.array([-2, 1]), kind="int").within_tolerance


def test_index_outputs_accept_any_integer_width_but_not_float():
    assert compare(np.array([0, 2], np.int32), np.array([0, 2], np.int64), kind="index").dtype_equal
    assert not compare(np.array([0.0, 2.0]), np.array([0, 2]), kind="index").dtype_equal


def test_shape_mismatch():
    m = compare(np.zeros((2, 3), np.float32), np.zeros((3, 2)), tol=F32)
    assert not m.shape_equal and not m.within_tolerance and m.max_abs_error is None


def test_dtype_mismatch_reported():
    m = compare(np.zeros(3, np.float64), np.zeros(3), tol=F32, expected_dtype="float32")
    assert not m.dtype_equal and m.within_tolerance


def test_half_precision_tolerance_scales_with_the_tensor_not_each_element():
    tol = TOLERANCES["float16"]
    expected = np.array([100.0, 1e-3])  # a large value and a cancellation residue
    off = np.array([100.0, 1e-3 + 0.05], dtype=np.float16)  # 0.05 off: within rtol * max|e| = 0.1
    assert compare(off, expected, tol=tol, expected_dtype="float16").within_tolerance
    way_off = np.array([100.0, 1e-3 + 0.5], dtype=np.float16)
    assert not compare(way_off, expected, tol=tol, expected_dtype="float16").within_tolerance
    # float32 keeps the strict per-element rule
    assert not compare(off.astype(np.float32), expected, tol=F32, expected_dtype="float32").within_tolerance


def test_index_outputs_compare_layout_not_only_values():
    """The same coordinates in ONNX NonZero's (ndim, n) layout are a shape mismatch against (n, ndim), even where
    the element count happens to agree; only an entry's output_layout brings them back."""
    coords = np.argwhere(np.array([[1.0, 0.0], [np.nan, 2.0]]))  # (3, 2)
    m = compare(coords.T, coords, kind="index")
    assert not m.shape_equal and not m.within_tolerance
    square = np.argwhere(np.eye(2))  # (2, 2): a transposed layout has the right shape but wrong values
    assert not compare(square.T[::-1], square, kind="index").within_tolerance


def test_output_stack_turns_a_tuple_of_index_arrays_into_argwhere_layout():
    """np.nonzero returns ndim arrays of length n; the catalog's `output_stack: 1` stacks them into np.argwhere's
    (n, ndim), and without it the first array alone would be compared (and fail on shape)."""
    from portability.frameworks import base
    from portability.plan import plan_call
    from portability.spec import load_catalog

    (op,) = [o for o in load_catalog(["opspecs/detection.yaml"]).ops if o.name == "nonzero"]
    api = next(a for a in op.apis if a.call == "numpy.nonzero")
    case = op.cases[1]  # 3-D
    x = np.zeros(case.inputs[0].shape)
    x[0, 1, 2] = x[1, 0, 0] = np.nan
    x[1, 2, 3] = -1.0
    plan = plan_call(op, api, case, "aligned", {"x": x.shape})
    assert plan.output_stack == 1
    (stacked,) = base.outputs(plan, np.nonzero(x), np.asarray)
    m = compare(stacked, np.argwhere(x), kind="index")
    assert m.shape_equal and m.within_tolerance and stacked.shape == (3, 3)
    unstacked = base.outputs(plan.__class__(**{**plan.__dict__, "output_stack": None}), np.nonzero(x), np.asarray)
    assert not compare(unstacked[0], np.argwhere(x), kind="index").shape_equal
def test_distribution_outputs_are_compared_by_their_distribution_not_elementwise():
    """Two samples of one distribution agree (though no element does); a wider bound, or a constant, does not;
    the limit shrinks with the sample size, so a small gap is told apart only with many values."""
    from portability.compare import compare, ks_limit, pair_metrics

    rng = np.random.default_rng(1)
    a, b = rng.uniform(-0.125, 0.125, size=(64, 16)), rng.uniform(-0.125, 0.125, size=(16, 64))
    m = compare(a.astype(np.float32), b, kind="distribution", expected_dtype="float32")
    assert m.shape_equal and m.within_tolerance and not np.allclose(a.ravel(), b.ravel())  # shapes may differ
    assert "KS D" in m.detail and "mean" in m.detail
    glorot = rng.uniform(-0.27, 0.27, size=1024)
    wide = compare(glorot, b, kind="distribution")
    assert not wide.within_tolerance and wide.max_abs_error > 0.2
    assert not compare(np.zeros(256), rng.uniform(-1, 1, 256), kind="distribution").within_tolerance
    assert compare(np.ones(8), np.ones(8), kind="distribution").max_abs_error == 0.0
    assert not compare(np.ones(8), np.ones(9), kind="distribution").shape_equal
    assert ks_limit(100, 100) > ks_limit(10000, 10000)
    d, _, within, same = pair_metrics(a, glorot, "distribution", None)
    assert same and not within and d > 0.2
