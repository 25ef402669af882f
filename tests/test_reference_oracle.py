"""ONNX's own node tests, a reference no one here wrote, check the catalog's float64 references.

Every node test that a catalog entry can state in its own terms runs through the entry's reference
(tests/onnx_oracle.py says how a test is translated); each one that does not reproduce ONNX's
expected outputs must be listed, with its reason, in tests/data/onnx_oracle_intentional.yaml.
"""

from collections import Counter

import numpy as np
import pytest
import yaml
from conftest import DATA

from portability.spec import load_catalog

onnx = pytest.importorskip("onnx")

MIN_AGREEING = 170  # measured: 178 of 198 translatable tests with onnx 1.23; the oracle must not go quiet


@pytest.fixture(scope="module")
def verdicts():
    from onnx_oracle import judge, node_tests

    catalog = load_catalog()
    return [v for t in node_tests() if (v := judge(t, catalog)) is not None]


def test_references_reproduce_onnx_node_tests_except_the_listed_differences(verdicts):
    intentional = yaml.safe_load((DATA / "onnx_oracle_intentional.yaml").read_text())
    counts = Counter(v.status for v in verdicts)
    print(f"ONNX node-test oracle: {len(verdicts)} translated, {dict(counts)}")
    assert counts["agree"] >= MIN_AGREEING, counts
    unexplained = [v for v in verdicts if v.status != "agree" and v.test not in intentional]
    assert not unexplained, "\n".join(f"{v.test} ({v.op}): {v.status}: {v.detail}" for v in unexplained)
    by_test = {v.test: v for v in verdicts}
    stale = [name for name in intentional if name not in by_test or by_test[name].status == "agree"]
    assert not stale, f"listed as intentional but no longer differing (or no longer translated): {stale}"
    for name, entry in intentional.items():
        expected = "reference_error" if entry["kind"] == "refuses" else "disagree"
        assert by_test[name].status == expected, (name, by_test[name])


def test_the_oracle_covers_many_op_families(verdicts):
    ops = {v.op for v in verdicts if v.status == "agree"}
    assert len(ops) >= 40, sorted(ops)  # measured: 45 ops (conv and pooling pads go through transforms: skipped)
    assert {"softmax", "layer_norm", "group_norm", "resize_nearest", "cross_entropy", "gelu", "scatter_add"} <= ops


def test_logsumexp_over_an_empty_axis_is_minus_infinity():
    from portability.reference import logsumexp

    out = logsumexp(np.zeros((2, 0, 4)), axis=1)
    assert out.shape == (2, 4) and np.all(out == -np.inf)
    assert np.isclose(logsumexp(np.array([1.0, 2.0]), axis=0), np.log(np.e + np.e**2))


def test_a_reference_refuses_a_parameter_value_it_does_not_implement():
    """NMS boxes in center format (center_point_box=1): the reference implements corners only and says so."""
    import dataclasses

    from portability.frameworks.numpy_ import execute_reference
    from portability.inputs import make_inputs
    from portability.plan import plan_call

    op = load_catalog().op("non_max_suppression_onnx")
    case = dataclasses.replace(op.cases[0], params=op.cases[0].params | {"center_point_box": 1})
    arrays = make_inputs(case, 0, op.name)
    plan = plan_call(op, op.reference, case, "aligned", {k: v.shape for k, v in arrays.items()})
    with pytest.raises(ValueError, match="implements only center_point_box=0"):
        execute_reference(plan, arrays)


def test_the_loader_rejects_a_reference_that_ignores_a_parameter(tmp_path):
    from conftest import write_yaml

    from portability.errors import CatalogError

    text = """
ops:
  - name: blur
    category: test
    summary: a parameter every API passes and the reference silently ignores
    params: {antialias: {value: true, semantic: true}}
    inputs: {x: {shape: [3]}}
    reference: {call: numpy.tanh, args: [x]}
    apis:
      torch: {call: torch.tanh, args: [x], params: {antialias: antialias}}
"""
    with pytest.raises(CatalogError, match="the reference neither takes nor fixes parameter 'antialias'"):
        load_catalog([write_yaml(tmp_path, text)])
