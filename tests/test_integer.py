"""Integer and mixed dtypes: a case's `result_dtype`, creation ops without array inputs, Python-scalar operands,
and exact comparison of integer results. The run tests execute NumPy and torch for real."""

import numpy as np
import pytest
from conftest import installed, write_yaml

from portability.check import run_check, with_dtypes
from portability.compare import compare
from portability.errors import CatalogError
from portability.matrix import _threshold
from portability.spec import load_catalog
from portability.worker import classify_exception

CATALOG = """
ops:
  - name: sum_uint8
    category: integer
    summary: torch sums uint8 to int64, NumPy to uint64.
    params: {axis: -1}
    result_dtype: uint64
    cases:
      - name: wraps_in_uint8
        dtype: uint8
        inputs: {x: {shape: [2, 5], generator: integers, options: {low: 100, high: 255}}}
      - name: int32
        dtype: int32
        result_dtype: int64
        inputs: {x: {shape: [1, 3], generator: integers}}
    reference: {call: numpy.sum, args: [x], params: {axis: axis}}
    apis:
      numpy: {call: numpy.sum, args: [x], params: {axis: axis}}
      torch: {call: torch.sum, args: [x], params: {axis: dim}}
  - name: arange_ints
    category: creation
    summary: No array input; both infer int64 from Python ints.
    params: {start: 5, stop: -4, step: -2}
    result_dtype: int64
    cases: [{name: negative_step}]
    reference: {call: numpy.arange, args: [{param: start}, {param: stop}, {param: step}]}
    apis:
      numpy: {call: numpy.arange, args: [{param: start}, {param: stop}, {param: step}]}
      torch: {call: torch.arange, args: [{param: start}, {param: stop}, {param: step}]}
  - name: add_int_python_float
    category: promotion
    summary: NumPy 2 gives float64 for int32 + 2.5, torch its default float32.
    params: {scalar: 2.5}
    result_dtype: float64
    cases:
      - name: int32
        dtype: int32
        inputs: {x: {shape: [4], generator: integers}}
    reference: {call: numpy.add, args: [x, {param: scalar}]}
    apis:
      numpy: {call: numpy.add, args: [x, {param: scalar}]}
      torch: {call: torch.add, args: [x, {param: scalar}]}
"""


def test_result_dtype_loads_from_the_op_and_a_case_overrides_it(tmp_path):
    op = load_catalog([write_yaml(tmp_path, CATALOG)]).op("sum_uint8")
    assert {c.name: c.result_dtype for c in op.cases} == {"wraps_in_uint8": "uint64", "int32": "int64"}


def test_a_creation_op_has_cases_without_inputs(tmp_path):
    case = load_catalog([write_yaml(tmp_path, CATALOG)]).op("arange_ints").cases[0]
    assert case.inputs == () and case.params == {"start": 5, "stop": -4, "step": -2}


def test_an_unknown_result_dtype_names_file_op_and_key(tmp_path):
    bad = CATALOG.replace("result_dtype: int64\n    cases: [{name: negative_step}]",
                          "result_dtype: int65\n    cases: [{name: negative_step}]")
    with pytest.raises(CatalogError) as err:
        load_catalog([write_yaml(tmp_path, bad)])
    assert "arange_ints" in str(err.value) and "result_dtype" in str(err.value) and "int65" in str(err.value)


def test_the_dtype_sweep_leaves_cases_with_a_result_dtype_alone(tmp_path):
    text = CATALOG.replace("      - name: int32\n        dtype: int32\n        result_dtype: int64\n",
                           "      - name: float16_default\n        dtype: float16\n        result_dtype: float16\n"
                           "        inputs: {x: {shape: [3], generator: normal}}\n"
                           "      - name: float_case\n        dtype: float32\n")
    op = load_catalog([write_yaml(tmp_path, text.replace("    result_dtype: uint64\n", ""))]).op("sum_uint8")
    swept = with_dtypes(op, ["float64"])
    assert [c.name for c in swept.cases] == ["wraps_in_uint8", "float16_default", "float_case", "float_case@float64"]


def test_integer_results_compare_exactly_and_their_dtype_against_the_expected_one():
    big = np.array([2**40, 7], dtype=np.int64)
    m = compare(big + np.array([1, 0]), big, kind="int", expected_dtype="int64")
    assert m.exact and not m.within_tolerance and m.max_abs_error == 1.0  # 1 in 2**40: no relative tolerance
    wrapped = np.array([100, 100], dtype=np.int8) + np.array([100, 27], dtype=np.int8)
    m = compare(wrapped, np.array([200, 127]), kind="float", expected_dtype="int64")
    assert m.exact and m.dtype_equal is False and not m.within_tolerance and m.actual_dtype == "int8"


def test_an_exact_result_moves_in_a_diff_by_any_amount():
    assert _threshold({"rtol": None, "atol": None}, {"rtol": None, "atol": None}) == 0.0
    assert _threshold({"rtol": 1e-6, "atol": 1e-5, "worst": {"expected": 0.0}}, {}) == pytest.approx(1e-5)


def test_dtype_refusals_instead_of_promotion_are_unsupported_not_errors():
    refusals = [
        RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
                     "dtype. Got: Int"),  # torch.mean of int32
        TypeError("Cannot convert 2.5 to EagerTensor of dtype int32"),  # tf.math.less(int32, 2.5)
        ValueError("cannot compute AddV2 as input #1(zero-based) was expected to be a int32 tensor but is a float "
                   "tensor [Op:AddV2]"),  # tf.math.add(int32, float32)
        ValueError("[ShapeInferenceError] (op_type:Add): B has inconsistent type tensor(float)"),  # ONNX Add
    ]
    assert [classify_exception(e) for e in refusals] == ["unsupported"] * 4
    assert classify_exception(ValueError("operands could not be broadcast together")) == "error"


@pytest.mark.skipif(not installed("torch"), reason="needs torch")
def test_numpy_and_torch_run_result_dtypes_creation_ops_and_python_scalars(tmp_path):
    report = run_check(load_catalog([write_yaml(tmp_path, CATALOG)]), backends=["numpy", "torch"],
                       progress=False, passes=("forward",))
    res = {(r.op, r.case, r.framework): r for r in report.results if r.mode == "aligned"}
    assert len(res) == 8 and all(r.status == "ok" for r in res.values())
    # NumPy sums uint8 in uint64, torch in int64: same values, a dtype mismatch against the stated result dtype
    np_sum, torch_sum = res[("sum_uint8", "wraps_in_uint8", "numpy")], res[("sum_uint8", "wraps_in_uint8", "torch")]
    assert (np_sum.output_dtype, np_sum.dtype_equal, np_sum.within_tolerance) == ("uint64", True, True)
    assert (torch_sum.output_dtype, torch_sum.expected_dtype, torch_sum.dtype_equal) == ("int64", "uint64", False)
    assert torch_sum.within_tolerance and torch_sum.rtol is None  # compared exactly
    assert res[("sum_uint8", "int32", "torch")].dtype_equal  # the case's own result_dtype: int64
    # no array input at all: both build [5, 3, 1, -1, -3] as int64
    assert all(res[("arange_ints", "negative_step", fw)].output_shape == [5] and
               res[("arange_ints", "negative_step", fw)].dtype_equal for fw in ("numpy", "torch"))
    # a Python float operand reaches both as a Python float
    assert res[("add_int_python_float", "int32", "numpy")].output_dtype == "float64"
    assert res[("add_int_python_float", "int32", "torch")].output_dtype == "float32"
    found = {(h.op, h.kind, h.apis) for h in report.hazards}
    assert ("sum_uint8", "dtype_mismatch", ("torch:torch.sum",)) in found
    assert ("add_int_python_float", "dtype_mismatch", ("torch:torch.add",)) in found
    summary = next(h.summary for h in report.hazards if h.op == "sum_uint8")
    assert "returns int64, not uint64" in summary
