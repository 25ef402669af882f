"""Report files read back by `diff`, `merge` and `run --baseline`: a bad file is one line on stderr
naming the file and the key, and exit 2; never a traceback. A run report and a merged matrix are
told apart, also in files written before the `report` field existed (format_version 1)."""

import json

import pytest
from conftest import run_cli
from test_matrix import jax_shard, make_diff_pair

from portability.matrix import merge_reports
from portability.report import jsonio
from portability.report.validate import READABLE_VERSIONS, ReportError, check, report_kind


def _run_report() -> dict:
    old, _ = make_diff_pair()
    return dict(old, format_version=jsonio.FORMAT_VERSION, report="run")


def _matrix() -> dict:
    return merge_reports([jax_shard("0.9.2"), jax_shard("0.10.2")])


def _bad(tmp_path, name: str, data) -> str:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(p)


def _one_line_exit_2(proc, *words):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def _without(key):
    def mutate(d):
        del d[key]
    return mutate


def _truncate_hazard(d):
    del d["hazards"][1]["severity"]


BAD = {
    "unknown_version": (lambda d: d.update(format_version=9),
                        ["key 'format_version'", "report format_version 9 is not readable; this release reads 1, 2"]),
    "missing_hazards": (_without("hazards"), ["key 'hazards': missing required key"]),
    "missing_report_kind": (_without("report"), ["key 'report': missing required key"]),
    "truncated_hazard": (_truncate_hazard, ["key 'hazards.1.severity': missing required key"]),
    "apis_not_a_list": (lambda d: d["hazards"][0].update(apis="torch:f"), ["key 'hazards.0.apis'", "expected a list"]),
    "not_a_report": (lambda d: d.clear(), ["not a portability JSON report (no format_version)"]),
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_report_is_one_line_naming_file_and_key_and_exit_2(tmp_path, name):
    mutate, words = BAD[name]
    data = _run_report()
    mutate(data)
    bad = _bad(tmp_path, f"{name}.json", data)
    good = _bad(tmp_path, "good.json", _run_report())
    _one_line_exit_2(run_cli("diff", good, bad), bad, *words)


def test_readable_versions_are_1_to_3():
    assert READABLE_VERSIONS == (1, 2, 3) and jsonio.FORMAT_VERSION == 3


@pytest.mark.parametrize("text, words", [
    ("this is not json\n", ["not JSON: line 1, column 1"]),
    ('{"format_version": 2, "report": "run", "hazards": [{"op": "a", "ki', ["JSON that ends early"]),
    ("[1, 2, 3]", ["not a portability JSON report (the top level is a list)"]),
])
def test_non_json_and_truncated_files_exit_2(tmp_path, text, words):
    bad = _bad(tmp_path, "bad.json", text)
    good = _bad(tmp_path, "good.json", _run_report())
    _one_line_exit_2(run_cli("diff", bad, good), bad, *words)
    _one_line_exit_2(run_cli("merge", good, bad, "--json", "", "--html", ""), bad, *words)


def test_a_truncated_real_report_exits_2(tmp_path):
    whole = json.dumps(_run_report())
    bad = _bad(tmp_path, "cut.json", whole[: len(whole) // 2])
    _one_line_exit_2(run_cli("run", "--baseline", bad, "--json", "", "--html", ""), bad, "JSON that ends early")


@pytest.mark.parametrize("version", [2, 1])
def test_a_matrix_where_a_run_report_is_needed_is_exit_2(tmp_path, version):
    matrix = _matrix()
    if version == 1:  # written before `report`: a matrix said "kind": "portability-matrix"
        matrix = {k: v for k, v in matrix.items() if k != "report"} | {"format_version": 1,
                                                                         "kind": "portability-matrix"}
    m = _bad(tmp_path, "matrix.json", matrix)
    run = _bad(tmp_path, "run.json", _run_report())
    words = ["key 'report'", "this is a merged matrix (written by `portability merge`), not a run report"]
    _one_line_exit_2(run_cli("diff", run, m), m, *words)
    _one_line_exit_2(run_cli("merge", run, m, "--json", "", "--html", ""), m, *words)
    _one_line_exit_2(run_cli("run", "--baseline", m, "--json", "", "--html", ""), m, *words)


def test_merge_writes_a_matrix_that_reads_back_as_one(tmp_path):
    a, b = _bad(tmp_path, "a.json", jax_shard("0.9.2")), _bad(tmp_path, "b.json", jax_shard("0.10.2"))
    out = tmp_path / "m.json"
    proc = run_cli("merge", a, b, "--json", str(out), "--html", "")
    assert proc.returncode == 0, proc.stderr
    m = jsonio.read(out, want="matrix")
    assert (m["format_version"], m["report"]) == (jsonio.FORMAT_VERSION, "matrix") and "kind" not in m
    with pytest.raises(ReportError, match="this is a merged matrix"):
        jsonio.read(out)  # the default: a run report


def test_version_1_files_are_read_and_kinds_told_apart():
    run_v1 = make_diff_pair()[0]
    assert "report" not in run_v1 and run_v1["format_version"] == 1
    assert report_kind(run_v1) == "run" and check(run_v1, "old.json") is run_v1
    assert report_kind({"format_version": 1, "kind": "portability-matrix"}) == "matrix"
    assert report_kind({"format_version": 2}) is None
    with pytest.raises(ReportError, match=r"key 'report': unknown report kind 'shard' \(known: run, matrix\)"):
        check(dict(_run_report(), report="shard"), "x.json")
    assert check(_matrix(), "m.json", want=None)["report"] == "matrix"
    with pytest.raises(ReportError, match="not a merged matrix"):
        check(_run_report(), "r.json", want="matrix")


def test_run_writes_the_report_kind(tmp_path):
    from portability.check import Report

    report = Report(environment={"frameworks": {}}, ops=[], results=[], pairwise=[], hazards=[])
    d = jsonio.to_dict(report)
    assert (d["format_version"], d["report"]) == (3, "run")
    jsonio.write(d, tmp_path / "r.json")
    assert jsonio.read(tmp_path / "r.json") == json.loads((tmp_path / "r.json").read_text())


def test_an_unreadable_path_is_exit_2(tmp_path):
    good = _bad(tmp_path, "good.json", _run_report())
    _one_line_exit_2(run_cli("diff", good, str(tmp_path / "missing.json")), "missing.json", "cannot read the report")
