"""Inputs: seeded, independent per input, and rebuilt bit for bit by the repro snippet lines."""

import numpy as np
import pytest

from portability.inputs import GENERATORS, make_input, snippet
from portability.spec import InputSpec, load_catalog

OPTIONS = {"normal": {"scale": 3.0}, "uniform": {"low": -2.0, "high": 5.0}, "integers": {"low": 0, "high": 4},
           "ties": {"values": [1.0, 2.0]}, "special": {"fraction": 0.5}, "constant": {"value": 7.0},
           "kinks": {"values": [0.0, 6.0], "fraction": 0.5, "scale": 4.0}}


@pytest.mark.parametrize("generator", sorted(GENERATORS))
@pytest.mark.parametrize("dtype", ["float32", "float16", "int64"])
def test_snippet_rebuilds_the_exact_input(generator, dtype):
    if generator == "special" and dtype == "int64":
        pytest.skip("NaN and Inf have no integer form")
    spec = InputSpec("x", (3, 5), dtype, generator, OPTIONS.get(generator, {}))
    expected = make_input(spec, 7, "op", "case")
    namespace = {"np": np}
    exec("\n".join(snippet(spec, 7, "op", "case")), namespace)  # our own generated code, not catalog text
    assert namespace["x"].dtype == expected.dtype
    assert np.array_equal(namespace["x"], expected, equal_nan=True)


def test_snippet_keeps_the_sign_bit_of_a_nan():
    """A catalog's `.nan` is a negative NaN (PyYAML builds it as inf / inf, as x86 does 0/0), and XLA's top_k
    ranks a negative NaN below -inf: a repro that rebuilt it as a positive NaN would not reproduce."""
    (op,) = [o for o in load_catalog(["opspecs/reductions.yaml"]).ops if o.name == "topk"]
    (spec,) = next(c for c in op.cases if c.name == "nan_inf_rows").inputs
    expected = make_input(spec, 7, "topk", "nan_inf_rows")
    assert np.signbit(expected[np.isnan(expected)]).all()
    namespace = {"np": np}
    exec("\n".join(snippet(spec, 7, "topk", "nan_inf_rows")), namespace)  # our own generated code
    assert namespace["x"].tobytes() == expected.tobytes()


def test_inputs_are_seeded_and_independent_of_other_inputs():
    a = InputSpec("a", (4,), "float32", "normal", {})
    b = InputSpec("b", (4,), "float32", "normal", {})
    assert np.array_equal(make_input(a, 0, "op", "c"), make_input(a, 0, "op", "c"))
    assert not np.array_equal(make_input(a, 0, "op", "c"), make_input(b, 0, "op", "c"))
    assert not np.array_equal(make_input(a, 0, "op", "c"), make_input(a, 1, "op", "c"))


def test_every_catalog_input_can_be_made():
    for op in load_catalog().ops:
        for case in op.cases:
            for spec in case.inputs:
                arr = make_input(spec, 0, op.name, case.name)
                assert arr.shape == spec.shape and str(arr.dtype) == spec.dtype, (op.name, case.name, spec.name)


def test_kinks_put_elements_exactly_at_the_given_points():
    x = make_input(InputSpec("x", (8, 8), "float32", "kinks", {"values": [0.0, 6.0], "fraction": 0.25}), 0, "op", "c")
    assert (x == 0.0).sum() >= 8 and (x == 6.0).sum() >= 8


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_the_cotangent_snippet_rebuilds_the_shared_cotangent(dtype):
    from portability.inputs import cotangent, cotangent_snippet

    expected = cotangent((3, 4), dtype, 7, "op", "case", 1)
    namespace = {"np": np}
    if dtype == "bfloat16":
        import ml_dtypes

        namespace["ml_dtypes"] = ml_dtypes
    exec("\n".join(cotangent_snippet("ct1", (3, 4), dtype, 7, "op", "case", 1)), namespace)
    assert namespace["ct1"].dtype == expected.dtype and np.array_equal(namespace["ct1"], expected)
    assert not np.array_equal(cotangent((3, 4), dtype, 7, "op", "case", 0), expected)  # one stream per output
