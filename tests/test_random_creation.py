"""Random creation ops (opspecs/creation.yaml rand_uniform, randn_normal): the default dtype each framework draws
in is a known `dtype_mismatch`, and the values are compared by distribution (two-sample KS), never element by
element. NumPy and torch execute for real."""

from pathlib import Path

import pytest
from conftest import installed, write_yaml

from portability.check import run_check
from portability.spec import load_catalog

CREATION = Path(__file__).resolve().parent.parent / "opspecs" / "creation.yaml"

# torch.randn under a U[0, 1) reference: a wrong distribution the KS test must resolve at 512 values
WRONG = """
ops:
  - name: rand_wrong
    category: creation
    differentiable: false
    summary: torch.randn where U[0, 1) is expected.
    params: {shape: [16, 32]}
    outputs: {out: distribution}
    result_dtype: float32
    cases: [{name: matrix_512}]
    reference: {call: portability.reference.uniform_sample}
    apis:
      torch: {call: torch.randn, params: {shape: size}}
"""


@pytest.mark.skipif(not installed("torch"), reason="torch not installed")
def test_random_creation_reports_known_float32_defaults_and_same_distributions():
    report = run_check(load_catalog([CREATION]), ops=["rand_uniform", "randn_normal"], backends=["numpy", "torch"],
                       progress=False, passes=("forward",))
    res = [r for r in report.results if r.mode == "aligned"]
    assert len(res) == 14 and all(r.status == "ok" for r in res)
    assert all(r.within_tolerance and r.shape_equal for r in res)  # same distribution: KS within its limit
    assert {r.output_dtype for r in res if r.framework == "numpy"} == {"float64"}
    assert {r.output_dtype for r in res if r.framework == "torch"} == {"float32"}
    assert all(r.expected_dtype == "float64" for r in res)
    found = {(h.op, h.kind, h.apis, h.known) for h in report.hazards}
    assert found == {("rand_uniform", "dtype_mismatch", ("torch:torch.rand",), True),
                     ("randn_normal", "dtype_mismatch", ("torch:torch.randn",), True)}
    summary = next(h.summary for h in report.hazards if h.op == "rand_uniform")
    assert "returns float32, not float64" in summary


@pytest.mark.skipif(not installed("torch"), reason="torch not installed")
def test_a_wrong_distribution_is_a_divergence_not_an_element_mismatch(tmp_path):
    report = run_check(load_catalog([write_yaml(tmp_path, WRONG)]), backends=["torch"], progress=False,
                       passes=("forward",))
    (r,) = [r for r in report.results if r.mode == "aligned"]
    assert r.status == "ok" and r.dtype_equal and not r.within_tolerance
    assert "KS D" in r.message and "beyond" in r.message
    assert [h.kind for h in report.hazards] == ["numeric_divergence"]
