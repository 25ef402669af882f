"""ONNX opsets as a dimension, and the not_expressible status: real runs on small catalogs."""

import pytest
from conftest import installed, run_cli, write_yaml

from portability.check import parse_onnx_opsets, run_check, with_opsets
from portability.coverage import coverage
from portability.report import jsonio, terminal
from portability.spec import load_catalog

needs_ort = pytest.mark.skipif(not installed("onnxruntime"), reason="onnxruntime not installed")

SOFTMAX = """
ops:
  - name: softmax3d
    category: activation
    summary: softmax over axis 1 of a 3-D input
    params: {axis: 1}
    inputs: {x: {shape: [2, 3, 4], generator: normal}}
    cases: [{name: axis1}, {name: axis1_again, inputs: {x: {shape: [3, 2, 5]}}}]
    reference: {call: portability.reference.softmax, args: [x], params: {axis: axis}}
    apis:
      onnx: {call: Softmax, args: [x], params: {axis: axis}}
  - name: relu_op
    category: activation
    summary: max(x, 0)
    inputs: {x: {shape: [4, 5], generator: normal}}
    cases: [{name: a}, {name: b, inputs: {x: {shape: [7]}}}]
    reference: {call: numpy.maximum, args: [x, {value: 0.0}]}
    apis:
      onnx: {call: Relu, args: [x]}
  - name: s2d
    category: resize
    summary: SpaceToDepth with a mode attribute (opset 28 only)
    params: {mode: CRD, block_size: 2}
    inputs: {x: {shape: [1, 2, 4, 4], generator: normal}}
    cases: [{name: crd}, {name: dcr, params: {mode: DCR}}]
    reference: {call: portability.reference.space_to_depth, args: [x], params: {mode: mode, block_size: block_size}}
    apis:
      onnx: {call: SpaceToDepth, opset: 28, args: [x], params: {mode: mode, block_size: blocksize}}
"""


@pytest.fixture
def catalog(tmp_path):
    return load_catalog([write_yaml(tmp_path, SOFTMAX)])


def test_opset_choice_parses_numbers_own_and_latest():
    assert parse_onnx_opsets("11, 13,own,latest,13") == (11, 13, "own", "latest")
    for bad in ("", "0", "99", "newest", "11;13"):
        with pytest.raises(ValueError):
            parse_onnx_opsets(bad)


def test_each_onnx_api_is_planned_where_its_op_and_attributes_exist(catalog):
    s2d = with_opsets(catalog.op("s2d"), (11, 21, "own", "latest"), 28)
    assert [a.label for a in s2d.apis] == ["SpaceToDepth@28"]  # `mode` exists from opset 28 only
    softmax = with_opsets(catalog.op("softmax3d"), (11, 13, "own"), 28)
    assert [(a.label, a.opset) for a in softmax.apis] == [("Softmax@11", 11), ("Softmax@13", 13), ("Softmax@21", 21)]


@needs_ort
def test_softmax_11_vs_13_on_a_3d_input_with_axis_1_is_an_opset_drift(catalog):
    report = run_check(catalog, ops=["softmax3d"], backends=["onnxruntime"], progress=False, onnx_opsets=(11, 13))
    assert {r.opset for r in report.results} == {11, 13}
    drift = [h for h in report.hazards if h.kind == "opset_drift"]
    assert len(drift) == 1, [h.summary for h in report.hazards]
    assert drift[0].apis == ("onnxruntime:Softmax@11", "onnxruntime:Softmax@13")
    assert set(drift[0].cases) == {"axis1", "axis1_again"} and drift[0].severity == "high"
    # Softmax-13 is the reference's semantics; Softmax-11 flattens from the axis on
    diverging = {h.apis[0] for h in report.hazards if h.kind == "numeric_divergence"}
    assert diverging == {"onnxruntime:Softmax@11"}


@needs_ort
def test_an_op_whose_semantics_did_not_change_has_no_opset_drift(catalog):
    report = run_check(catalog, ops=["relu_op"], backends=["onnxruntime", "onnx-reference"], progress=False,
                       onnx_opsets=(11, 13, 17, 21, "latest"))
    ran = {(r.framework, r.opset) for r in report.results if r.status == "ok"}
    assert {o for _, o in ran} >= {11, 13, 17, 21} and len(ran) >= 8  # it really ran at every opset
    assert [h.summary for h in report.hazards] == []
    assert report.environment["onnx_opsets"]["latest"] >= 21


NOT_EXPRESSIBLE = """
ops:
  - name: lse
    category: reduction
    summary: logsumexp
    params: {axis: -1}
    inputs: {x: {shape: [3, 4], generator: normal}}
    cases: [{name: a}, {name: b, inputs: {x: {shape: [2, 5]}}}]
    reference: {call: portability.reference.logsumexp, args: [x], params: {axis: axis}}
    apis:
      numpy: {not_expressible: "numpy.logaddexp.reduce is a ufunc method"}
      torch: {unsupported: "pretend torch lacks it"}
"""


def test_not_expressible_is_a_status_and_coverage_mark_never_a_hazard(tmp_path):
    cat = load_catalog([write_yaml(tmp_path, NOT_EXPRESSIBLE)])
    (row,) = coverage(cat)
    assert row.apis["numpy"] == 0 and row.not_expressible["numpy"] == 1 and row.not_expressible["torch"] == 0
    table = terminal.coverage_table([row], ["numpy", "torch"])
    cells = table.splitlines()[-1].split()  # op, category, numpy, torch, backward
    assert cells[2:4] == ["n/e", "-"], cells
    report = run_check(cat, backends=["numpy", "torch"], progress=False)
    statuses = {(r.framework, r.status) for r in report.results}
    assert statuses == {("numpy", "not_expressible"), ("torch", "unsupported")}
    assert [(h.kind, h.frameworks) for h in report.hazards] == [("unsupported", ("torch",))]
    data = jsonio.to_dict(report)
    assert data["summary"]["results_by_status"]["not_expressible"] == 4  # 2 cases, aligned and defaults mode
    assert "4 not expressible" in terminal.run_summary(data)
    assert "not expressible" in terminal.op_matrix(data)


def test_a_transform_can_say_not_expressible(tmp_path):
    from portability.plan import plan_call

    cat = load_catalog()
    op = cat.op("softmax_axes")
    api = next(a for a in op.apis if a.label == "keras.layers.Softmax[NHWC]")
    case = next(c for c in op.cases if len(c.inputs[0].shape) != 4)
    plan = plan_call(op, api, case, "aligned", {i.name: i.shape for i in case.inputs})
    assert plan.unsupported and plan.not_expressible


def test_an_entry_is_unsupported_or_not_expressible_not_both(tmp_path):
    from portability.errors import CatalogError

    bad = NOT_EXPRESSIBLE.replace('numpy: {not_expressible: "numpy.logaddexp.reduce is a ufunc method"}',
                                  'numpy: {not_expressible: "x", unsupported: "y"}')
    with pytest.raises(CatalogError, match="not both"):
        load_catalog([write_yaml(tmp_path, bad)])


def test_list_coverage_shows_not_expressible_apis():
    p = run_cli("list", "--coverage")
    assert p.returncode == 0
    row = next(line for line in p.stdout.splitlines() if line.startswith("logsumexp "))
    assert "n/e" in row
    assert "APIs not expressible by this checker yet" in p.stdout.splitlines()[-1]


def test_run_takes_onnx_opsets_and_rejects_bad_ones(tmp_path):
    bad = run_cli("run", "--ops", "relu", "--onnx-opsets", "11,banana", "--json", "", "--html", "")
    assert bad.returncode == 2 and "banana" in bad.stderr
