"""portability scan as a user runs it (real processes): exit codes, every format, --fix / --diff, no framework."""

import json
import textwrap

import pytest
import yaml

from conftest import ROOT, run_cli

MODEL = textwrap.dedent("""\
    import torch
    import torch.nn as nn
    import torch.nn.functional as F


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm2d(64)
            self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
            self.body = nn.Sequential()

        def forward(self, x):
            x = F.gelu(self.bn(x))
            return self.pool(x).std()
""")


@pytest.fixture
def model(tmp_path):
    p = tmp_path / "net.py"
    p.write_text(MODEL)
    return p


def scan_cli(*args, **kw):
    return run_cli("scan", *args, **kw)


def test_text_output_like_ruff_and_exit_0_without_fail_on(model):
    proc = scan_cli(str(model), "--to", "tensorflow,jax")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert f"{model}:9:19: PT001 [*] torch.nn.BatchNorm2d: eps is left at its default 1e-05;" in proc.stdout
    assert any(line.startswith(f"{model}:10:21: PT002 torch.nn.MaxPool2d: ceil_mode=True") for line in lines)
    assert "PT100" not in proc.stdout.replace("PT100:", "")  # listed only with --verbose
    assert lines[-1].startswith("Found ") and "1 framework call not covered" in lines[-1]
    assert proc.stderr == ""


def test_verbose_lists_details_anchor_and_calls_not_covered(model):
    proc = scan_cli(str(model), "--to", "tensorflow", "--verbose")
    assert proc.returncode == 0, proc.stderr
    assert f"{model}:11:21: PT100 torch.nn.Sequential: not in the catalog; not checked" in proc.stdout
    assert "    tensorflow: keras.layers.BatchNormalization(..., epsilon=1e-05)" in proc.stdout
    assert "    see reports/portability.html#op-batch_norm" in proc.stdout
    assert "Not covered by the catalog (calls): torch.nn.Sequential (1)" in proc.stdout


def test_fail_on_codes_names_and_any(model):
    assert scan_cli(str(model), "--to", "tensorflow", "--fail-on", "any").returncode == 1
    assert scan_cli(str(model), "--to", "tensorflow", "--fail-on", "default-differs").returncode == 1
    assert scan_cli(str(model), "--to", "tensorflow", "--fail-on", "PT003").returncode == 0
    assert scan_cli(str(model), "--to", "tensorflow", "--fail-on", "PT001", "--ignore", "PT001").returncode == 0
    assert scan_cli(str(model), "--to", "tensorflow", "--fail-on", "PT100").returncode == 1  # counted even unlisted


@pytest.mark.parametrize("args, message", [
    (["--to", "tensorflw"], "--to: unknown framework 'tensorflw'"),
    (["--from", "mxnet"], "--from: unknown framework 'mxnet'"),
    (["--select", "PT7"], "--select: unknown rule code 'PT7'"),
    (["--fail-on", "sometimes"], "--fail-on: unknown rule 'sometimes'"),
    (["does/not/exist.py"], "does/not/exist.py: no such file or folder"),
])
def test_bad_usage_is_one_line_and_exit_2(model, args, message):
    paths = [] if args[0].endswith(".py") else [str(model)]
    proc = scan_cli(*paths, *args)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"portability: error: {message}" + proc.stderr.strip().split(message, 1)[1]]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_fix_and_diff_together_is_bad_usage(model):
    proc = scan_cli(str(model), "--fix", "--diff")
    assert proc.returncode == 2 and "not allowed with argument" in proc.stderr


def test_internal_error_is_exit_3_in_one_line(model, monkeypatch, capsys):
    from portability import cli
    from portability.scan import engine

    def boom(*a, **k):
        raise RuntimeError("kaput")

    monkeypatch.setattr(engine, "scan", boom)
    assert cli.main(["scan", str(model)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["portability: internal error: RuntimeError: kaput (PORTABILITY_DEBUG=1 shows the traceback)"]


def test_a_file_that_does_not_parse_is_reported_not_a_crash(tmp_path, model):
    (tmp_path / "bad.py").write_text("x = (\n")
    proc = scan_cli(str(tmp_path), "--to", "tensorflow", "--fail-on", "PT001")
    assert proc.returncode == 1, proc.stderr
    assert f"{tmp_path / 'bad.py'}:1:5: PT900 cannot parse" in proc.stdout
    assert "1 file skipped (parse errors)" in proc.stdout and "Traceback" not in proc.stderr


def test_json_report_schema(model):
    proc = scan_cli(str(model), "--to", "tensorflow,jax,onnxruntime", "--format", "json", "--verbose")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["format_version"] == 1 and doc["source"] is None
    assert doc["targets"] == ["tensorflow", "jax", "onnxruntime"]
    assert [r["code"] for r in doc["rules"]] == ["PT001", "PT002", "PT003", "PT004", "PT100", "PT900"]
    keys = {"path", "line", "col", "end_line", "end_col", "code", "rule", "level", "message", "op", "api", "call",
            "param", "origin", "source_value", "targets", "fix", "anchor", "known"}
    assert all(set(f) == keys for f in doc["findings"])
    (eps,) = [f for f in doc["findings"] if f["code"] == "PT001" and f["param"] == "eps"]
    assert eps["source_value"] == 1e-5 and eps["origin"] == "default" and eps["anchor"] == "#op-batch_norm"
    assert eps["fix"] == {"keywords": {"eps": "1e-05"}, "text": "eps=1e-05"}
    keras = next(t for t in eps["targets"] if t["api"] == "keras.layers.BatchNormalization")
    assert keras == {"framework": "tensorflow", "api": "keras.layers.BatchNormalization", "value": 0.001,
                     "status": "differs", "primary": True, "explicit": {"epsilon": 1e-05}, "note": None}
    s = doc["summary"]
    assert s["files"] == 1 and s["parse_errors"] == 0 and s["calls_checked"] == 4
    assert s["not_covered"] == {"calls": 1, "apis": {"torch.nn.Sequential": 1}}
    assert s["findings"]["PT100"] == 1 and s["fixable"] >= 3


def test_sarif_2_1_0_structure(model, tmp_path):
    out = tmp_path / "scan.sarif"
    proc = scan_cli(str(model), "--to", "tensorflow,jax", "--format", "sarif", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "portability-scan"
    assert [r["id"] for r in rules] == ["PT001", "PT002", "PT003", "PT004", "PT100", "PT900"]
    assert all(r["shortDescription"]["text"] and r["defaultConfiguration"]["level"] in ("error", "warning", "note")
               for r in rules)
    assert run["results"]
    for res in run["results"]:
        assert res["ruleId"] == rules[res["ruleIndex"]]["id"]
        assert res["level"] in ("error", "warning", "note") and res["message"]["text"]
        (loc,) = res["locations"]
        phys = loc["physicalLocation"]
        assert phys["artifactLocation"]["uri"] == model.resolve().as_uri()
        region = phys["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) >= (region["startLine"], region["startColumn"])


def test_github_annotations(model):
    proc = scan_cli(str(model), "--to", "tensorflow", "--format", "github")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert f"::warning file={model},line=9,col=19,endLine=9,endColumn=37,title=PT001 default-differs::" \
           "torch.nn.BatchNorm2d: eps is left at its default 1e-05; it differs in tensorflow" in proc.stdout
    assert all(line.startswith("::warning ") for line in lines[:-1]) and lines[-1].startswith("Found ")


def test_diff_prints_the_rewrite_and_writes_nothing(model):
    before = model.read_text()
    proc = scan_cli(str(model), "--to", "tensorflow,jax", "--diff")
    assert proc.returncode == 0, proc.stderr
    assert model.read_text() == before
    assert f"--- {model}\n+++ {model}\n" in proc.stdout  # absolute: as is (a/ b/ prefixes for relative paths)
    assert "-        self.bn = nn.BatchNorm2d(64)\n+        self.bn = nn.BatchNorm2d(64, eps=1e-05, momentum=0.1)\n" \
           in proc.stdout
    assert '+        x = F.gelu(self.bn(x), approximate="none")\n' in proc.stdout


def test_fix_writes_reports_what_is_left_and_is_idempotent(model):
    proc = scan_cli(str(model), "--to", "tensorflow,jax", "--fix", "--select", "PT001")
    assert proc.returncode == 0, proc.stderr
    text = model.read_text()
    assert "nn.BatchNorm2d(64, eps=1e-05, momentum=0.1)" in text and 'F.gelu(self.bn(x), approximate="none")' in text
    assert "[*]" not in proc.stdout and "fixed 2 calls" in proc.stdout
    assert "torch.Tensor.std: correction (ddof) is left at its default 1" in proc.stdout  # no certain pin
    again = scan_cli(str(model), "--to", "tensorflow,jax", "--fix")
    assert again.returncode == 0 and model.read_text() == text


def test_select_and_from(model):
    proc = scan_cli(str(model), "--to", "tensorflow", "--select", "PT002")
    assert [line.split(": ")[1].split()[0] for line in proc.stdout.splitlines()[:-1]] == ["PT002"]
    proc = scan_cli(str(model), "--from", "jax", "--to", "tensorflow")
    assert proc.stdout.startswith("Found 0 findings")  # a torch file read as jax code: nothing of jax in it


def test_scan_imports_no_framework(model, tmp_path):
    """Frameworks shadowed by packages that raise on import: the scan (and --fix) still works."""
    shadow = tmp_path / "shadow"
    for name in ("torch", "tensorflow", "jax", "jaxlib", "keras", "tf_keras", "onnx", "onnxruntime"):
        (shadow / name).mkdir(parents=True)
        (shadow / name / "__init__.py").write_text(f"raise RuntimeError('portability scan imported {name}')\n")
    env = {"PYTHONPATH": f"{shadow}:{ROOT}", "PORTABILITY_DEBUG": "1"}
    proc = scan_cli(str(model), "--to", "tensorflow,jax,onnxruntime", "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["calls_checked"] == 4  # it did resolve the torch calls
    proc = scan_cli(str(model), "--to", "tensorflow", "--fix", env=env)
    assert proc.returncode == 0, proc.stderr and "fixed" in proc.stdout


def test_pre_commit_hook_definition():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "portability-scan" and hook["language"] == "python"
    assert hook["entry"].split()[:2] == ["portability", "scan"] and hook["types"] == ["python"]
    assert "--fail-on" in hook["args"]
