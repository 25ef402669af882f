"""The catalog loader: the bundled catalog loads; every kind of bad file gives one clear error."""

import pytest
from conftest import run_cli, write_yaml

from portability.errors import CatalogError
from portability.spec import load_catalog

GOOD = """
ops:
  - name: tanh
    category: activation
    summary: hyperbolic tangent
    params: {eps: {value: 1e-5, semantic: true}}
    inputs: {x: {shape: [3, 4]}}
    reference: {call: numpy.tanh, args: [x], ignores: {eps: tanh has no eps}}
    apis:
      numpy: {call: numpy.tanh, args: [x]}
      torch: [{call: torch.tanh, args: [x]}]
      onnx: {call: Tanh, args: [x], params: {eps: null}}
"""


def test_bundled_catalog_loads():
    catalog = load_catalog()
    assert len(catalog.ops) >= 3
    assert len({op.name for op in catalog.ops}) == len(catalog.ops)
    for op in catalog.ops:
        assert op.cases and op.apis and op.summary


def test_good_file(tmp_path):
    catalog = load_catalog([write_yaml(tmp_path, GOOD)])
    (op,) = catalog.ops
    assert op.params["eps"].value == 1e-5 and isinstance(op.params["eps"].value, float)  # YAML 1.1 would say str
    assert op.semantic_params == ["eps"]
    assert [a.framework for a in op.apis] == ["numpy", "torch", "onnx"]
    assert op.cases[0].inputs[0].shape == (3, 4) and op.cases[0].inputs[0].dtype == "float32"
    assert catalog.files[0][1] and len(catalog.files[0][1]) == 64


@pytest.mark.parametrize(
    "old, new, key, words",
    [
        ("summary: hyperbolic tangent", "summary: hyperbolic tangent\n    colour: red", "colour", "unknown key"),
        ("inputs: {x: {shape: [3, 4]}}", "inputs: {x: {shape: [3, four]}}", "inputs.x.shape.1", "expected a positive int"),
        ("onnx: {call: Tanh, args: [x], params: {eps: null}}", "mxnet: {call: mx.tanh, args: [x]}", "apis.mxnet", "unknown key"),
        ("torch: [{call: torch.tanh, args: [x]}]", "torch: [{call: os.system, args: [x]}]", "apis.torch.0.call",
         "not in an allowed torch namespace"),
        ("torch: [{call: torch.tanh, args: [x]}]", "torch: [{call: 'torch.tanh(x)', args: [x]}]", "apis.torch.0.call",
         "not a dotted path of public names"),
        ("reference: {call: numpy.tanh, args: [x]", "reference: {call: numpy.no_such_fn, args: [x]", "reference.call",
         "does not exist"),
        ("torch: [{call: torch.tanh, args: [x]}]", "torch: [{call: torch.tanh, args: [y]}]", "apis.torch.0.args.0",
         "no input named"),
        ("torch: [{call: torch.tanh, args: [x]}]",
         "torch: [{call: torch.tanh, args: [x], params: {eps: {name: e, transform: explode}}}]",
         "apis.torch.0.params.eps.transform", "unknown transform"),
        ("inputs: {x: {shape: [3, 4]}}", "inputs: {x: {shape: [3, 4], generator: gaussian}}", "inputs.x.generator",
         "unknown generator"),
        ("inputs: {x: {shape: [3, 4]}}", "inputs: {x: {shape: [3, 0]}}", "inputs.x.shape.1", "expected a positive int"),
        ("inputs: {x: {shape: [3, 4]}}", "inputs: {x: {shape: [1, 1, 1, 1, 1, 1, 1, 1, 1]}}", "inputs.x.shape",
         "rank 9 is over the limit of 8"),
        ("inputs: {x: {shape: [3, 4]}}", "inputs: {x: {shape: [65536, 65536]}}", "cases.0.inputs.x.shape",
         "over the limit of 16,777,216"),
        ("inputs: {x: {shape: [3, 4]}}", "inputs: {x: {shape: [3, 4], generator: uniform, options: {lo: 0}}}",
         "inputs.x.options", "has no option 'lo'"),
        ("inputs: {x: {shape: [3, 4]}}", "inputs: {x: {shape: [3, 4], generator: uniform, options: {low: cold}}}",
         "inputs.x.options", "must be float"),
        ("inputs: {x: {shape: [3, 4]}}", "inputs: {x: {shape: [3, 4], generator: uniform, options: {low: 2.0}}}",
         "inputs.x.options", "low <= high"),
        ("inputs: {x: {shape: [3, 4]}}", "inputs: {x: {shape: [3, 4], generator: integers, options: {low: 0.5}}}",
         "inputs.x.options", "must be int"),
        ("torch: [{call: torch.tanh, args: [x]}]",
         "torch: [{call: torch.tanh, args: [x], params: {eps: {name: alpha, transform: lrn_alpha_per_size}}}]",
         "apis.torch.params.eps", "reads param 'size'"),
        ("torch: [{call: torch.tanh, args: [x]}]",
         "torch: [{call: torch.tanh, args: [x], params: {eps: {name: axis, transform: nhwc_axis}}}]",
         "apis.torch.params.eps", "takes values of kind 'int'"),
        ("torch: [{call: torch.tanh, args: [x]}]",
         "torch: [{call: torch.tanh, args: [x], params: {eps: {name: size, transform: tf_transpose_output_shape}}}]",
         "apis.torch.params.eps", "reads input 'weight'"),
        ("torch: [{call: torch.tanh, args: [x]}]", "torch: [{call: torch.tanh, args: [x], constants: {n: {dim: [x, 5]}}}]",
         "apis.torch.constants.n", "axis 5 out of range"),
        ("onnx: {call: Tanh, args: [x], params: {eps: null}}", "onnx: {call: Tanh, args: [x], params: {eps: null}, constants: {alpha: 0.5}}",
         "apis.onnx.0.constants.alpha", "has no attribute 'alpha'"),
        ("onnx: {call: Tanh, args: [x], params: {eps: null}}", "onnx: {call: Tanh, args: [x], params: {eps: epsilon}}",
         "apis.onnx.0.params.eps", "has no attribute 'epsilon'"),
        ("onnx: {call: Tanh, args: [x], params: {eps: null}}", "onnx: {call: Gelu, args: [x], opset: 13}", "apis.onnx.0.opset",
         "does not exist at opset 13"),
        ("onnx: {call: Tanh, args: [x], params: {eps: null}}", "onnx: {call: TanhPlusPlus, args: [x]}", "apis.onnx.0.call",
         "not an op of the default ONNX domain"),
        ("numpy: {call: numpy.tanh, args: [x]}", "numpy: {call: numpy.tanh, args: [x], output_stack: 1}",
         "apis.numpy.output_stack", "stacks only index, int or bool outputs"),
        ("numpy: {call: numpy.tanh, args: [x]}", "numpy: {call: numpy.tanh, args: [x], output_stack: 1, outputs: [0]}",
         "apis.numpy.output_stack", "cannot be combined with `outputs`"),
        ("numpy: {call: numpy.tanh, args: [x]}", "numpy: {call: numpy.tanh, args: [x], output_stack: last}",
         "apis.numpy.0.output_stack", "an axis"),
    ],
)
def test_bad_files_name_file_op_and_key(tmp_path, old, new, key, words):
    assert old in GOOD
    path = write_yaml(tmp_path, GOOD.replace(old, new))
    with pytest.raises(CatalogError) as err:
        load_catalog([path])
    e = err.value
    assert e.path == str(path) and e.op == "tanh" and key in (e.key or ""), str(e)
    assert words in str(e)
    assert "\n" not in str(e)


def test_duplicate_op_across_files(tmp_path):
    a = write_yaml(tmp_path, GOOD, "a.yaml")
    write_yaml(tmp_path, GOOD, "b.yaml")
    with pytest.raises(CatalogError, match="duplicate op"):
        load_catalog([tmp_path])
    assert a.exists()


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = write_yaml(tmp_path, "ops:\n  - name: [unclosed\n")
    with pytest.raises(CatalogError, match=r"line \d+"):
        load_catalog([path])


def test_the_element_cap_can_be_raised(tmp_path):
    path = write_yaml(tmp_path, GOOD.replace("shape: [3, 4]", "shape: [4096, 4097]"))
    with pytest.raises(CatalogError, match="over the limit"):
        load_catalog([path])
    assert load_catalog([path], max_elements=2**25).ops[0].cases[0].inputs[0].shape == (4096, 4097)


def test_missing_path():
    with pytest.raises(CatalogError, match="no such file"):
        load_catalog(["/nonexistent/catalog.yaml"])


def test_cli_bad_catalog_exits_2_with_one_line_and_no_traceback(tmp_path):
    path = write_yaml(tmp_path, GOOD.replace("args: [x]}]", "args: [x], colour: red}]"))
    proc = run_cli("run", str(path), "--quiet", "--json", "", "--html", "")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert str(path) in lines[0] and "op 'tanh'" in lines[0] and "apis.torch.0.colour" in lines[0]


def test_readme_coverage_table_is_current():
    from conftest import ROOT

    from portability.coverage import README_END, README_START, readme_block

    text = (ROOT / "README.md").read_text()
    current = text[text.index(README_START):text.index(README_END) + len(README_END)]
    assert current == readme_block(load_catalog()), "run: .venv/bin/python dev/update_readme_coverage.py"


def test_cli_max_elements_caps_and_raises_the_input_size(tmp_path):
    path = write_yaml(tmp_path, GOOD.replace("shape: [3, 4]", "shape: [3, 40]"))
    proc = run_cli("list", str(path), "--max-elements", "100")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "op 'tanh'" in proc.stderr and "cases.0.inputs.x.shape" in proc.stderr and "--max-elements" in proc.stderr
    assert run_cli("list", str(path), "--max-elements", "120").returncode == 0
