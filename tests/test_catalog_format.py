"""The catalog format: one definition gives the loader's keys and the published JSON Schema, and the short
forms (default args, `like:`) load to what the long forms say."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import ROOT, run_cli, write_yaml

from portability.catalog_format import SCHEMA_FILE, catalog_schema, keys_of, structure_problem
from portability.errors import CatalogError
from portability.spec import _Loader, load_catalog

CATALOG = ROOT / "opspecs"

OP = """
ops:
  - name: tanh
    category: activation
    summary: hyperbolic tangent
    inputs: {x: {shape: [3, 4]}}
    reference: {call: numpy.tanh}
    apis:
      numpy: {call: numpy.tanh}
      torch: [{call: torch.tanh}]
"""


def test_published_schema_is_the_one_the_code_builds():
    committed = json.loads((CATALOG / SCHEMA_FILE).read_text())
    assert committed == json.loads(json.dumps(catalog_schema())), "run dev/update_catalog_schema.py"
    jsonschema.Draft202012Validator.check_schema(committed)


@pytest.mark.parametrize("path", sorted(CATALOG.glob("*.yaml")), ids=lambda p: p.name)
def test_every_catalog_file_names_the_schema_and_fits_it(path):
    text = path.read_text()
    assert text.startswith(f"# yaml-language-server: $schema={SCHEMA_FILE}\n")
    errors = list(jsonschema.Draft202012Validator(json.loads((CATALOG / SCHEMA_FILE).read_text()))
                  .iter_errors(yaml.load(text, Loader=_Loader)))
    assert errors == []


def test_loader_keys_come_from_the_schema():
    assert keys_of("api") == set(catalog_schema()["$defs"]["api"]["properties"])
    assert {"call", "args", "params", "defaults"} <= keys_of("api") and "like" in keys_of("op")


@pytest.mark.parametrize("change, key", [
    ({"colour": 1}, "colour"),
    ({"known": [{"kind": "nope", "apis": "x", "reason": "r", "source": "s"}]}, "known.0.kind"),
    ({"inputs": {"x": {"shape": [0]}}}, "inputs.x.shape.0"),
    ({"dtype": "float8"}, "dtype"),
    ({"apis": {"torch": {"call": "torch.tanh", "argz": ["x"]}}}, "apis.torch.argz"),
])
def test_schema_names_the_key_that_is_wrong(change, key):
    doc = yaml.load(OP, Loader=_Loader)
    assert structure_problem(doc) is None
    doc["ops"][0] |= change
    index, where, message = structure_problem(doc)
    assert index == 0 and where == key and message


def test_loader_applies_the_schema_too(tmp_path):
    """A rule only the schema states (op names are snake_case) still fails the load: one line, exit 2."""
    path = write_yaml(tmp_path, OP.replace("name: tanh", "name: Tanh"))
    with pytest.raises(CatalogError, match="name.*catalog.schema.json"):
        load_catalog([path])
    r = run_cli("list", "--catalog", str(path))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_args_default_to_the_op_inputs_in_order(tmp_path):
    text = OP.replace("inputs: {x: {shape: [3, 4]}}", "inputs: {x: {shape: [3, 4]}, y: {shape: [4]}}")
    text = text.replace("torch: [{call: torch.tanh}]", "torch: [{call: torch.add, kwargs: {other: y}}]")
    (op,) = load_catalog([write_yaml(tmp_path, text)]).ops
    assert op.apis_for("numpy")[0].args == ("x", "y")
    assert op.apis_for("torch")[0].args == ("x",)  # y goes by keyword


def test_like_starts_from_another_op(tmp_path):
    text = OP + """
  - name: tanh_big
    like: tanh
    inputs: {x: {shape: [64, 65]}}
"""
    a, b = load_catalog([write_yaml(tmp_path, text)]).ops
    assert b.name == "tanh_big" and b.cases[0].inputs[0].shape == (64, 65)
    assert [x.call for x in b.apis] == [x.call for x in a.apis] and b.summary == a.summary


def test_like_names_an_op_loaded_before(tmp_path):
    text = OP.replace("  - name: tanh\n", "  - name: tanh\n    like: sigmoid\n")
    with pytest.raises(CatalogError, match="like.*no op named 'sigmoid'"):
        load_catalog([write_yaml(tmp_path, text)])


def test_schema_module_imports_no_framework():
    code = ("import sys, portability.catalog_format as f; f.catalog_schema(); "
            "print([m for m in ('torch', 'tensorflow', 'jax', 'onnxruntime') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_the_guides_typical_op_loads(tmp_path):
    """dev/CATALOG_GUIDE.md promises a typical op in a dozen lines: its example is a real, loadable entry."""
    guide = (ROOT / "dev" / "CATALOG_GUIDE.md").read_text()
    block = guide.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert len(block.strip().splitlines()) <= 15
    (op,) = load_catalog([write_yaml(tmp_path, "ops:\n" + block)]).ops
    assert op.name == "hard_shrink" and len(op.cases) == 3
    assert {a.framework for a in op.apis if not a.unsupported} == {"torch", "tensorflow", "onnx"}
    assert op.apis_for("onnx")[0].params["lambd"].name == "lambd"  # passed under its own name
