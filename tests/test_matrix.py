"""Merge, drift, diff and baseline gating on hand-made shards (no framework runs, except the CLI
baseline tests, which run a numpy-only catalog). Diff and the baseline compare hazards per case."""

import json
import textwrap

import pytest
from conftest import run_cli

from portability.errors import UsageError
from portability.matrix import (
    diff_reports,
    diff_table,
    hazard_key,
    merge_reports,
    merge_summary,
    version_key,
)
from portability.report import matrix_html


def result(op, fw, api, case="default", mode="aligned", status="ok", err=1e-7, within=True, **kw):
    base = {"op": op, "case": case, "framework": fw, "api": api, "mode": mode, "status": status,
            "dtype": "float32", "message": kw.pop("message", ""), "output_dtype": "float32", "output_shape": [2, 3],
            "shape_equal": True, "dtype_equal": True, "nonfinite_equal": True, "max_abs_error": err,
            "max_rel_error": err, "max_ulp": 1.0, "mismatch_fraction": 0.0 if within else 0.5,
            "within_tolerance": within, "worst": {"index": [0, 0], "actual": 1.0, "expected": 1.0},
            "rtol": 1.3e-6, "atol": 1e-5}
    if status != "ok":
        base.update({k: None for k in ("output_dtype", "output_shape", "shape_equal", "dtype_equal",
                                      "nonfinite_equal", "max_abs_error", "max_rel_error", "max_ulp",
                                      "mismatch_fraction", "within_tolerance", "worst", "rtol", "atol")})
    return base | kw


def hazard(op, kind, apis, severity="high", summary=None, known=False, param=None, **kw):
    return {"op": op, "kind": kind, "frameworks": sorted({a.split(":")[0] for a in apis}), "apis": apis,
            "severity": severity, "summary": summary or f"{op}: {kind} in {', '.join(apis)}", "fix": "",
            "cases": ["default"], "param": param, "defaults": None, "divergence": kw.pop("divergence", None),
            "repro": {}, "known": known, "known_reason": "documented" if known else None, "known_source": None} | kw


def op_desc(name, apis=(), summary="an op"):
    return {"name": name, "category": "test", "summary": summary, "path": "opspecs/test.yaml", "params": {},
            "cases": [{"name": "default"}], "apis": list(apis), "known": []}


def api_desc(fw, api, live=None, documented=None):
    return {"framework": fw, "api": api, "call": api, "kind": "function", "documented_defaults": documented or {},
            "fixed": {}, "live_defaults": live or {}, "calls": {}, "unsupported": None, "sources": []}


def shard(frameworks, ops, results, hazards, seed=0):
    return {"format_version": 1,
            "environment": {"portability": "0.1.0", "python": "3.11", "platform": "linux", "seed": seed,
                            "frameworks": frameworks, "catalog": [{"path": "opspecs/test.yaml", "sha256": "abc"}]},
            "summary": {}, "ops": ops, "results": results, "pairwise": [], "hazards": hazards, "stale_known": [],
            "timing": {"total_s": 1.0}}


def jax_shard(version):
    """Two versions of 'jax' that differ in every way the matrix reports; numpy is identical in both."""
    old = version == "0.9.2"
    gelu_live = {"approximate": False} if old else {"approximate": True}
    ops = [
        op_desc("resize_bicubic", [api_desc("jax", "jax.image.resize")], summary="bicubic <script>alert(1)</script>"),
        op_desc("gelu", [api_desc("jax", "jax.nn.gelu", live=gelu_live, documented={"approximate": True})]),
        op_desc("erfinv", [api_desc("jax", "jax.scipy.special.erfinv")]),
        op_desc("relu", [api_desc("jax", "jax.nn.relu"), api_desc("numpy", "numpy.maximum")]),
    ]
    results = [
        result("resize_bicubic", "jax", "jax.image.resize", err=1e-7 if old else 0.02, within=old),
        result("gelu", "jax", "jax.nn.gelu"),
        result("gelu", "jax", "jax.nn.gelu", mode="defaults", err=1e-7 if old else 3e-4, within=old),
        result("erfinv", "jax", "jax.scipy.special.erfinv", status="unsupported" if old else "ok",
               message="no such API" if old else ""),
        result("relu", "jax", "jax.nn.relu"),
        result("relu", "numpy", "numpy.maximum"),
    ]
    hazards = []
    if not old:
        hazards.append(hazard("resize_bicubic", "numeric_divergence", ["jax:jax.image.resize"]))
    else:
        hazards.append(hazard("erfinv", "unsupported", ["jax:jax.scipy.special.erfinv"], severity="medium"))
    return shard({"numpy": "2.4.6", "jax": version}, ops, results, hazards)


def test_merge_columns_are_framework_at_version_sorted_and_deduplicated():
    merged = merge_reports([jax_shard("0.10.2"), jax_shard("0.9.2")], names=["new.json", "old.json"])
    assert [c["id"] for c in merged["columns"]] == ["numpy@2.4.6", "jax@0.9.2", "jax@0.10.2"]
    numpy_col = merged["columns"][0]
    assert numpy_col["source"] == "new.json" and numpy_col["also_in"] == ["old.json"]
    assert merged["frameworks"] == {"numpy": ["2.4.6"], "jax": ["0.9.2", "0.10.2"]}
    assert merged["summary"]["frameworks_with_several_versions"] == ["jax"]
    json.dumps(merged)  # JSON-serialisable as is


def test_version_key_orders_numerically():
    assert sorted(["0.10.0", "0.9.2", "0.4.38"], key=version_key) == ["0.4.38", "0.9.2", "0.10.0"]
    assert sorted(["2.13.0+cpu", "2.4.1"], key=version_key) == ["2.4.1", "2.13.0+cpu"]


def test_drift_between_versions_outputs_hazards_support_and_defaults():
    merged = merge_reports([jax_shard("0.9.2"), jax_shard("0.10.2")])
    ops = {o["name"]: o for o in merged["ops"]}

    kinds = {d["kind"] for d in ops["resize_bicubic"]["drift"]}
    assert kinds == {"outputs", "hazard_appeared"}
    out = next(d for d in ops["resize_bicubic"]["drift"] if d["kind"] == "outputs")
    assert (out["from"], out["to"], out["api"]) == ("jax@0.9.2", "jax@0.10.2", "jax.image.resize")
    assert "1e-07 -> 0.02" in out["detail"] and out["max_delta"] == pytest.approx(0.02 - 1e-7)
    assert ops["resize_bicubic"]["cells"]["jax@0.9.2"]["state"] == "ok"
    assert ops["resize_bicubic"]["cells"]["jax@0.10.2"]["state"] == "high"

    support = [d for d in ops["erfinv"]["drift"] if d["kind"] == "support"]
    assert len(support) == 1 and support[0]["detail"].startswith("became supported")
    assert any(d["kind"] == "hazard_disappeared" for d in ops["erfinv"]["drift"])

    # gelu: the live default changed; and the defaults-mode output moved with it
    (change,) = ops["gelu"]["default_changes"]
    assert change == {**change, "framework": "jax", "api": "jax.nn.gelu", "param": "approximate",
                      "before": False, "after": True, "from": "jax@0.9.2", "to": "jax@0.10.2", "documented": True}
    assert [d["modes"] for d in ops["gelu"]["drift"] if d["kind"] == "outputs"] == [["defaults"]]

    assert ops["relu"]["drift"] == [] and ops["relu"]["default_changes"] == []
    assert merged["summary"]["ops_with_drift"] == ["erfinv", "gelu", "resize_bicubic"]
    assert merged["summary"]["default_changes"] == 1

    text = merge_summary(merged)
    assert "compared versions of jax" in text and "approximate: False in jax@0.9.2 -> True in jax@0.10.2" in text


def test_no_drift_between_identical_versions_and_small_error_moves_are_not_drift():
    a, b = jax_shard("0.9.2"), jax_shard("0.9.2")
    b["environment"]["frameworks"]["jax"] = "0.9.1"
    for r in b["results"]:
        if r["max_abs_error"] is not None:
            r["max_abs_error"] += 2e-6  # well inside atol=1e-5
    merged = merge_reports([a, b])
    assert merged["drift"] == [] and merged["default_changes"] == []
    assert "0 drift record(s)" in merge_summary(merged)


def test_merge_warns_when_seeds_differ_and_rejects_a_merged_matrix():
    a, b = jax_shard("0.9.2"), jax_shard("0.10.2")
    b["environment"]["seed"] = 1
    merged = merge_reports([a, b])
    assert any("different seeds" in w for w in merged["warnings"])
    assert not any(d["kind"] == "outputs" for d in merged["drift"])
    with pytest.raises(UsageError):
        merge_reports([merged])


def test_matrix_html_is_self_contained_and_escaped():
    page = matrix_html.render(merge_reports([jax_shard("0.9.2"), jax_shard("0.10.2")]))
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "http://" not in page and "https://" not in page and "<link" not in page
    for text in ("jax@0.9.2", "0.10.2", "approximate", "became supported", "hazard appeared", "drift"):
        assert text in page


def make_diff_pair():
    shared = hazard("a", "numeric_divergence", ["torch:f", "jax:g"], divergence={"max_abs_error": 0.1})
    old = shard({"torch": "2.13.0", "jax": "0.10.2", "tensorflow": "2.21.0"}, [op_desc(n) for n in "abcdt"], [], [
        shared,
        hazard("b", "unsupported", ["torch:h"], severity="medium"),                     # fixed
        hazard("c", "default_argument_mismatch", ["torch:x", "jax:y"], severity="low", param="eps",
               summary="c: eps differs"),                                                 # changed
        hazard("t", "error", ["tensorflow:k"], severity="medium"),                      # not checked by new
    ])
    new = shard({"torch": "2.13.0", "jax": "0.10.2", "tensorflow": None}, [op_desc(n) for n in "abcdt"], [], [
        dict(shared, apis=["jax:g", "torch:f"]),                                         # same, reordered
        hazard("c", "default_argument_mismatch", ["jax:y", "torch:x"], severity="high", param="eps",
               summary="c: eps differs"),
        hazard("d", "numeric_divergence", ["jax:z"]),                                   # new
        hazard("d", "dtype_mismatch", ["jax:z"], severity="medium", known=True),          # new but known
    ])
    return old, new


def test_hazard_identity_ignores_api_order():
    h1 = hazard("a", "numeric_divergence", ["torch:f", "jax:g"])
    h2 = hazard("a", "numeric_divergence", ["jax:g", "torch:f"], summary="other words")
    assert hazard_key(h1) == hazard_key(h2) == ("a", "numeric_divergence", ("jax:g", "torch:f"), "", "forward")


def test_diff_new_fixed_changed_and_known_never_new():
    old, new = make_diff_pair()
    d = diff_reports(old, new)
    assert [h["op"] for h in d["new"]] == ["d"] and d["new"][0]["kind"] == "numeric_divergence"
    assert [h["op"] for h in d["fixed"]] == ["b"]
    assert [(h["op"], h["changes"]) for h in d["changed"]] == [("c", ["severity"])]
    assert d["changed"][0]["before"]["severity"] == "low"
    assert [h["op"] for h in d["unchecked"]] == ["t"]  # tensorflow did not run in the new report
    assert [h["kind"] for h in d["known_new"]] == ["dtype_mismatch"]
    table = diff_table(d)
    assert "new" in table and "fixed" in table and "severity low -> high" in table
    assert "1 new, 1 fixed, 1 changed" in table
    assert diff_reports(new, new)["new"] == [] and diff_reports(new, new)["changed"] == []


def test_diff_changed_metrics():
    old = shard({"jax": "1"}, [op_desc("a")], [], [hazard("a", "numeric_divergence", ["jax:g"],
                                                          divergence={"max_abs_error": 0.1})])
    new = shard({"jax": "1"}, [op_desc("a")], [], [hazard("a", "numeric_divergence", ["jax:g"],
                                                          divergence={"max_abs_error": 0.3})])
    (ch,) = diff_reports(old, new)["changed"]
    assert ch["changes"] == ["max_abs_error"]


def test_diff_is_per_case_a_new_diverging_case_of_a_documented_api_is_new():
    fw = {"torch": "2.13.0"}
    documented = hazard("a", "numeric_divergence", ["torch:f"], known=True, cases=["small"])
    old = shard(fw, [op_desc("a")], [], [documented])
    old["ops"][0]["cases"] = [{"name": "small"}, {"name": "big"}]
    # the catalog record names `small`; `big` now diverges too: a hazard of its own, not known
    new = shard(fw, [op_desc("a")], [], [documented, hazard("a", "numeric_divergence", ["torch:f"], cases=["big"])])
    new["ops"] = old["ops"]
    d = diff_reports(old, new)
    assert [(h["diff_cases"], h["known"]) for h in d["new"]] == [(["big"], False)]
    assert d["new"][0]["id"] == "a/numeric_divergence/torch:f@big"
    assert d["changed"] == [] and d["fixed"] == [] and d["known_new"] == []
    assert "big" in diff_table(d)

    # one open hazard that gains a case: the case is new, the shared case is compared as before
    grew = shard(fw, [op_desc("a")], [], [hazard("a", "numeric_divergence", ["torch:f"], cases=["small", "big"])])
    grew["ops"] = old["ops"]
    was = shard(fw, [op_desc("a")], [], [hazard("a", "numeric_divergence", ["torch:f"], cases=["small"])])
    was["ops"] = old["ops"]
    assert [h["diff_cases"] for h in diff_reports(was, grew)["new"]] == [["big"]]
    # and the other way: the case that went away is fixed when the new report ran it, else unchecked
    back = diff_reports(grew, was)
    assert [h["diff_cases"] for h in back["fixed"]] == [["big"]] and back["new"] == []
    was["ops"] = [dict(old["ops"][0], cases=[{"name": "small"}])]
    assert [h["diff_cases"] for h in diff_reports(grew, was)["unchecked"]] == [["big"]]


def test_default_hazards_are_one_unit_whatever_their_cases():
    fw = {"torch": "2.13.0", "jax": "0.10.2"}
    mk = lambda cases: hazard("g", "default_argument_mismatch", ["torch:x", "jax:y"], param="approximate",
                              cases=cases)
    d = diff_reports(shard(fw, [op_desc("g")], [], [mk(["a"])]), shard(fw, [op_desc("g")], [], [mk(["a", "b"])]))
    assert d["new"] == [] and d["fixed"] == []


def test_cli_diff_and_merge(tmp_path):
    old, new = make_diff_pair()
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    proc = run_cli("diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--json", str(tmp_path / "d.json"))
    assert proc.returncode == 0, proc.stderr
    assert "1 new, 1 fixed, 1 changed" in proc.stdout
    assert json.loads((tmp_path / "d.json").read_text())["counts"]["new"] == 1
    proc = run_cli("diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--fail-on", "new")
    assert proc.returncode == 1
    proc = run_cli("diff", str(tmp_path / "new.json"), str(tmp_path / "new.json"), "--fail-on", "new")
    assert proc.returncode == 0 and "no hazard differences" in proc.stdout

    shards = tmp_path / "shards"
    shards.mkdir()
    (shards / "jax0.9.json").write_text(json.dumps(jax_shard("0.9.2")))
    (shards / "jax0.10.json").write_text(json.dumps(jax_shard("0.10.2")))
    out_json, out_html = tmp_path / "matrix.json", tmp_path / "matrix.html"
    proc = run_cli("merge", str(shards), "--json", str(out_json), "--html", str(out_html))  # a folder of shards
    assert proc.returncode == 0, proc.stderr
    assert "compared versions of jax" in proc.stdout
    merged = json.loads(out_json.read_text())
    assert [c["id"] for c in merged["columns"]] == ["numpy@2.4.6", "jax@0.9.2", "jax@0.10.2"]
    assert "jax@0.10.2" in out_html.read_text()
    assert run_cli("merge", str(tmp_path / "empty-*.json")).returncode == 2
    assert run_cli("merge", str(out_json), "--json", "", "--html", "").returncode == 2  # a matrix is no shard


CATALOG = textwrap.dedent("""\
    ops:
      - name: fine
        category: test
        summary: tanh
        inputs: {x: {shape: [3, 5], generator: normal}}
        reference: {call: numpy.tanh, args: [x]}
        apis: {numpy: {call: numpy.tanh, args: [x]}}
      - name: documented
        category: test
        summary: a documented divergence
        inputs: {x: {shape: [3, 5], generator: normal}}
        reference: {call: numpy.tanh, args: [x]}
        apis: {numpy: {call: numpy.sin, args: [x]}}
        known: [{kind: numeric_divergence, apis: [numpy.sin], reason: on purpose, source: here}]
    """)
BROKEN = """\
  - name: broken
    category: test
    summary: a new divergence
    inputs: {x: {shape: [3, 5], generator: normal}}
    reference: {call: numpy.tanh, args: [x]}
    apis: {numpy: {call: numpy.sin, args: [x]}}
"""


def test_run_baseline_fails_only_on_hazards_not_in_the_baseline(tmp_path):
    cat = tmp_path / "cat.yaml"
    cat.write_text(CATALOG)
    base = tmp_path / "base.json"
    args = ["--frameworks", "numpy", "--html", "", "--quiet"]
    # the baseline: known hazards only; a later run with them never fails
    proc = run_cli("run", str(cat), *args, "--json", str(base))
    assert proc.returncode == 0, proc.stderr
    assert [h["known"] for h in json.loads(base.read_text())["hazards"]] == [True]
    proc = run_cli("run", str(cat), *args, "--json", "", "--baseline", str(base), "--fail-on", "new")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 hazard(s) not in the baseline" in proc.stdout
    # a new hazard fails the run ...
    cat.write_text(CATALOG + BROKEN)
    new_report = tmp_path / "new.json"
    proc = run_cli("run", str(cat), *args, "--json", str(new_report), "--baseline", str(base), "--fail-on", "new")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 hazard(s) not in the baseline" in proc.stdout
    # ... until it is in the baseline
    proc = run_cli("run", str(cat), *args, "--json", "", "--baseline", str(new_report), "--fail-on", "new")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # --fail-on new needs a baseline
    assert run_cli("run", str(cat), *args, "--json", "", "--fail-on", "new").returncode == 2


SCOPED = textwrap.dedent("""\
    ops:
      - name: documented
        category: test
        summary: a divergence documented on one case
        inputs: {x: {shape: [3, 5], generator: normal}}
        cases: [{name: small}]
        reference: {call: numpy.tanh, args: [x]}
        apis: {numpy: {call: numpy.sin, args: [x]}}
        known: [{kind: numeric_divergence, apis: [numpy.sin], cases: [small], reason: on purpose, source: here}]
    """)


def test_a_new_case_of_a_documented_api_fails_the_baseline_gate_and_is_new_in_diff(tmp_path):
    cat = tmp_path / "cat.yaml"
    cat.write_text(SCOPED)
    base, new = tmp_path / "base.json", tmp_path / "new.json"
    args = ["--frameworks", "numpy", "--html", "", "--quiet"]
    assert run_cli("run", str(cat), *args, "--json", str(base)).returncode == 0
    # the same divergence on a case the record does not name
    cat.write_text(SCOPED.replace("cases: [{name: small}]",
                                  "cases: [{name: small}, {name: big, inputs: {x: {shape: [4, 6]}}}]"))
    proc = run_cli("run", str(cat), *args, "--json", str(new), "--baseline", str(base), "--fail-on", "new")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 hazard(s) not in the baseline" in proc.stdout
    hazards = json.loads(new.read_text())["hazards"]
    assert sorted((h["cases"], h["known"]) for h in hazards) == [(["big"], False), (["small"], True)]
    proc = run_cli("diff", str(base), str(new), "--fail-on", "new")
    assert proc.returncode == 1 and "1 new, 0 fixed, 0 changed" in proc.stdout, proc.stdout + proc.stderr
    assert "big" in proc.stdout


def test_a_backward_hazard_is_never_the_forward_one_in_a_diff():
    """Hazard identity includes the pass: a gradient hazard on the same op, kind and APIs as a forward one is
    new (and --fail-on new catches it); a report before format 3 holds forward hazards only."""
    forward = hazard("abs", "crash", ["jax:jax.numpy.abs"])
    old = shard({"jax": "0.10.2"}, [op_desc("abs")], [], [dict(forward)])
    old["format_version"] = 2  # no `pass` anywhere: read as forward
    new = shard({"jax": "0.10.2"}, [op_desc("abs")], [], [dict(forward, **{"pass": "forward"}),
                                                         dict(forward, **{"pass": "backward"})])
    d = diff_reports(old, new)
    assert [(h["kind"], h["pass"]) for h in d["new"]] == [("crash", "backward")]
    assert d["new"][0]["id"] == "abs/crash/jax:jax.numpy.abs/backward@default"
    assert not d["fixed"] and not d["changed"]
    assert hazard_key(dict(forward, **{"pass": "backward"})) != hazard_key(forward)
