"""The pytest plugin, driven by pytest's own `pytester`: off by default, one item per op x case x API,
new hazards fail with summary and repro, known ones xfail, -k / --junitxml / baseline work.

Kept fast: a tiny numpy + onnxruntime catalog (one check per inner run, a few seconds)."""

import json
import subprocess
import sys
import textwrap

# pytester's in-process runs restore sys.modules afterwards; import what the inner runs use up front
# (numpy cannot be imported twice in one process).
import numpy  # noqa: F401
import pytest
from conftest import DATA, ROOT

import portability.check  # noqa: F401
import portability.matrix  # noqa: F401
import portability.report.jsonio  # noqa: F401
import portability.spec  # noqa: F401

pytest_plugins = ["pytester"]

FRAMEWORKS = ("--portability-frameworks", "numpy,onnxruntime")

CATALOG = textwrap.dedent("""\
    ops:
      - name: fine
        category: test
        summary: tanh everywhere, matching the reference
        inputs: {x: {shape: [3, 5], generator: normal}}
        cases: [{name: small}, {name: big, inputs: {x: {shape: [4, 6], generator: normal}}}]
        reference: {call: numpy.tanh, args: [x]}
        apis:
          numpy: {call: numpy.tanh, args: [x]}
          onnx: {call: Tanh, args: [x]}

      - name: broken
        category: test
        summary: a numpy port that computes sin instead of tanh (a new hazard)
        inputs: {x: {shape: [3, 5], generator: normal}}
        reference: {call: numpy.tanh, args: [x]}
        apis:
          numpy: {call: numpy.sin, args: [x]}

      - name: documented
        category: test
        summary: the same divergence, documented in the catalog (a known hazard)
        inputs: {x: {shape: [3, 5], generator: normal}}
        reference: {call: numpy.tanh, args: [x]}
        apis:
          numpy: {call: numpy.sin, args: [x]}
        known:
          - kind: numeric_divergence
            apis: [numpy.sin]
            reason: sin is not tanh, and this catalog says so on purpose
            source: tests/test_pytest_plugin.py
    """)


@pytest.fixture
def catalog(pytester):
    return pytester.makefile(".yaml", ops=CATALOG)


def test_plugin_is_off_unless_asked(pytester, catalog):
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["test_plain.py::test_one"])
    assert "fine[" not in result.stdout.str() and "portability" not in result.stdout.str()
    # the option is registered and documented
    assert "--portability" in pytester.runpytest("--help").stdout.str()


def test_one_item_per_op_case_and_api(pytester, catalog):
    result = pytester.runpytest("--portability", str(catalog), *FRAMEWORKS, "--collect-only", "-q")
    assert result.ret == 0, result.stdout.str()
    ids = [ln for ln in result.stdout.lines if "::" in ln]
    assert ids == [
        "ops.yaml::fine[small-numpy:numpy.tanh]",
        "ops.yaml::fine[small-onnxruntime:Tanh]",
        "ops.yaml::fine[big-numpy:numpy.tanh]",
        "ops.yaml::fine[big-onnxruntime:Tanh]",
        "ops.yaml::broken[default-numpy:numpy.sin]",
        "ops.yaml::documented[default-numpy:numpy.sin]",
    ]


def test_new_hazard_fails_with_summary_and_repro_known_hazard_xfails(pytester, catalog):
    result = pytester.runpytest("--portability", str(catalog), *FRAMEWORKS, "-rfx", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, failed=1, xfailed=1)
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        "*high numeric_divergence: broken: numpy:numpy.sin on default differs from the float64 reference*",
        "fix: *",
        "repro (numpy:numpy.sin):",
        "    import numpy as np",
        "*out = np.sin(x)",
    ])
    assert "FAILED ops.yaml::broken[default-numpy:numpy.sin]" in out
    assert ("XFAIL ops.yaml::documented[default-numpy:numpy.sin] - known numeric_divergence: sin is not tanh"
            in out)
    assert "Traceback" not in out


def test_k_selection_and_junitxml(pytester, catalog):
    xml = pytester.path / "out.xml"
    result = pytester.runpytest("--portability", str(catalog), *FRAMEWORKS, "-k", "fine and onnxruntime",
                                f"--junitxml={xml}")
    result.assert_outcomes(passed=2)
    text = xml.read_text()
    assert 'name="fine[small-onnxruntime:Tanh]"' in text and 'name="fine[big-onnxruntime:Tanh]"' in text
    assert "numpy.tanh" not in text


def _baseline(path, cases):
    """A run report (as `portability run --json` writes it) listing the `broken` hazard on ``cases``."""
    path.write_text(json.dumps({"format_version": 2, "report": "run", "environment": {"frameworks": {"numpy": "2"}},
                                "ops": [], "results": [], "hazards": [
        {"op": "broken", "kind": "numeric_divergence", "frameworks": ["numpy"], "apis": ["numpy:numpy.sin"],
         "severity": "high", "summary": "broken: sin", "cases": cases, "known": False, "param": None}]}))
    return path


def test_baseline_turns_a_listed_hazard_into_an_xfail(pytester, catalog):
    baseline = _baseline(pytester.path / "baseline.json", ["default"])
    result = pytester.runpytest("--portability", str(catalog), "--portability-frameworks", "numpy",
                                f"--portability-baseline={baseline}", "-rx", "-k", "broken")
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(["*in the baseline*baseline.json*"])


def test_baseline_excuses_a_hazard_only_on_the_cases_it_lists(pytester, catalog):
    baseline = _baseline(pytester.path / "baseline.json", ["another_case"])
    result = pytester.runpytest("--portability", str(catalog), "--portability-frameworks", "numpy",
                                f"--portability-baseline={baseline}", "-k", "broken")
    result.assert_outcomes(failed=1)


def test_a_bad_baseline_is_a_one_line_usage_error(pytester, catalog):
    bad = pytester.path / "matrix.json"
    bad.write_text(json.dumps({"format_version": 2, "report": "matrix"}))
    result = pytester.runpytest("--portability", str(catalog), "--portability-frameworks", "numpy",
                                f"--portability-baseline={bad}")
    assert result.ret != 0
    assert "--portability-baseline:" in result.stderr.str() and "this is a merged matrix" in result.stderr.str()
    assert "Traceback" not in result.stderr.str()


SCOPED = textwrap.dedent("""\
    ops:
      - name: documented
        category: test
        summary: sin for tanh, documented on the small case only
        inputs: {x: {shape: [3, 5], generator: normal}}
        cases: [{name: small}, {name: big, inputs: {x: {shape: [4, 6]}}}]
        reference: {call: numpy.tanh, args: [x]}
        apis: {numpy: {call: numpy.sin, args: [x]}}
        known:
          - {kind: numeric_divergence, apis: [numpy.sin], cases: [small], reason: documented on small, source: here}
    """)


def test_a_known_record_covers_only_the_cases_it_names(pytester):
    cat = pytester.makefile(".yaml", scoped=SCOPED)
    result = pytester.runpytest("--portability", str(cat), "--portability-frameworks", "numpy", "-rfx")
    result.assert_outcomes(failed=1, xfailed=1)
    out = result.stdout.str()
    assert "XFAIL scoped.yaml::documented[small-numpy:numpy.sin] - known numeric_divergence: documented" in out
    assert "FAILED scoped.yaml::documented[big-numpy:numpy.sin]" in out


def test_bad_catalog_and_bad_framework_are_reported_not_crashed(pytester):
    bad = pytester.makefile(".yaml", bad="ops:\n  - name: x\n    category: test\n    oops: 1\n")
    result = pytester.runpytest("--portability", str(bad), "--portability-frameworks", "numpy")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*portability catalog error:*bad.yaml*"])
    result = pytester.runpytest("--portability", str(bad), "--portability-frameworks", "mxnet")
    assert result.ret != 0
    assert "unknown framework 'mxnet'" in result.stderr.str()


def test_the_roundtrip_catalog_runs_under_the_plugin(pytester):
    result = pytester.runpytest("--portability", str(DATA / "roundtrip.yaml"), *FRAMEWORKS, "-k", "tanh")
    result.assert_outcomes(passed=2)


def test_xdist_runs_items_on_workers(pytester, catalog):
    pytest.importorskip("xdist")
    result = pytester.runpytest_subprocess("--portability", str(catalog), "--portability-frameworks", "numpy",
                                           "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1, xfailed=1)


def test_loading_the_plugin_imports_no_framework():
    code = ("import sys, portability.pytest_plugin\n"
            "bad = [m for m in ('torch', 'tensorflow', 'jax', 'onnx', 'onnxruntime', 'keras') if m in sys.modules]\n"
            "assert not bad, bad\n"
            "from importlib.metadata import entry_points\n"
            "eps = [e.value for e in entry_points(group='pytest11') if e.name == 'portability']\n"
            "assert eps == ['portability.pytest_plugin'], eps\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


UNSUPPORTED = textwrap.dedent("""\
    ops:
      - name: lacking
        category: test
        summary: numpy has no such op; onnxruntime does
        inputs: {x: {shape: [3, 5], generator: normal}}
        reference: {call: numpy.tanh, args: [x]}
        apis:
          numpy: {unsupported: "NumPy has no fused tanh op (compose it)"}
          onnx: {call: Tanh, args: [x]}
    """)


def test_an_unsupported_api_is_a_skip_with_its_reason_not_a_failure(pytester):
    catalog = pytester.makefile(".yaml", lacking=UNSUPPORTED)
    result = pytester.runpytest("--portability", str(catalog), *FRAMEWORKS, "-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*SKIPPED*numpy (no API) is unsupported here: NumPy has no fused tanh op*"])


def test_fail_on_chooses_the_kinds_that_fail(pytester, catalog):
    result = pytester.runpytest("--portability", str(catalog), *FRAMEWORKS, "--portability-fail-on", "dtype_mismatch",
                                "-rx", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, xfailed=2)
    result.stdout.fnmatch_lines(["*XFAIL*broken*numeric_divergence*not a --portability-fail-on kind*"])
    bad = pytester.runpytest("--portability", str(catalog), *FRAMEWORKS, "--portability-fail-on", "explosions")
    assert bad.ret != 0 and "unknown hazard kind 'explosions'" in bad.stderr.str() + bad.stdout.str()
BACKWARD = textwrap.dedent("""\
    ops:
      - name: smooth
        category: test
        summary: tanh in numpy (forward only) and torch (both passes)
        inputs: {x: {shape: [3, 5], generator: normal}}
        reference: {call: numpy.tanh, args: [x]}
        apis:
          numpy: {call: numpy.tanh, args: [x]}
          torch: {call: torch.tanh, args: [x]}
      - name: stepwise
        category: test
        summary: piecewise constant, so no backward item
        differentiable: false
        inputs: {x: {shape: [3, 5], generator: normal}}
        reference: {call: numpy.floor, args: [x]}
        apis:
          torch: {call: torch.floor, args: [x]}
    """)


def test_an_item_per_pass_where_the_framework_differentiates(pytester):
    cat = pytester.makefile(".yaml", grads=BACKWARD)
    result = pytester.runpytest("--portability", str(cat), "--portability-frameworks", "numpy,torch",
                                "--collect-only", "-q")
    assert [ln for ln in result.stdout.lines if "::" in ln] == [
        "grads.yaml::smooth[default-numpy:numpy.tanh]",
        "grads.yaml::smooth[default-torch:torch.tanh]",
        "grads.yaml::smooth[default-torch:torch.tanh-backward]",
        "grads.yaml::stepwise[default-torch:torch.floor]",
    ]
    forward_only = pytester.runpytest("--portability", str(cat), "--portability-frameworks", "torch",
                                      "--portability-passes", "forward", "--collect-only", "-q")
    assert not [ln for ln in forward_only.stdout.lines if "-backward]" in ln]


def test_backward_items_pass_where_gradients_agree(pytester):
    pytest.importorskip("torch")
    cat = pytester.makefile(".yaml", grads=BACKWARD)
    result = pytester.runpytest("--portability", str(cat), "--portability-frameworks", "torch", "-k", "backward")
    result.assert_outcomes(passed=1)
