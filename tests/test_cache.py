"""The result cache: each key component changed alone re-runs exactly the tasks it affects, and nothing else;
cached runs equal executed ones; --no-cache, `cache clear`, concurrent writers; a fully cached run starts no
worker and imports no framework.

The runs are real (NumPy and PyTorch workers) on a two-op catalog written here: ``lrelu`` (a
portability.reference function; a torch default, so defaults mode and live defaults run too) and ``rsum`` (a
standard deviation: a NumPy reference, the ``as_tuple`` transform, and defaults that differ between NumPy and
PyTorch, so port recipes run). Which tasks a run executed is read
off what it dispatched to the workers (``run_backends`` wrapped, not replaced)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT, installed, run_cli

import portability.check as check
from portability import cache as cache_mod
from portability.cache import ResultCache, TaskKeys
from portability.lazy_pool import DeferredPool
from portability.spec import load_catalog

pytestmark = pytest.mark.skipif(not installed("torch"), reason="needs torch (the runs are real)")

CATALOG = """\
ops:
  - name: lrelu
    category: activation
    summary: leaky relu
    params:
      negative_slope: {value: 0.2, semantic: true}
    inputs:
      x: {shape: [3, 5], generator: normal}
    cases:
      - name: plain
      - name: edges
        inputs: {x: {shape: [1, 7], generator: special}}
      - name: zeros
        inputs: {x: {shape: [9], generator: kinks, options: {values: [0.0]}}}
    reference: {call: portability.reference.leaky_relu, args: [x], params: {negative_slope: negative_slope}}
    apis:
      numpy: {unsupported: "NumPy has no leaky_relu"}
      torch:
        - call: torch.nn.functional.leaky_relu
          args: [x]
          params: {negative_slope: negative_slope}
          defaults: {negative_slope: 0.01}
  - name: rsum
    category: reduction
    summary: standard deviation over axes (named rsum for short)
    params:
      axis: [1]
      ddof: {value: 0, semantic: true}
    cases:
      - name: rows
        inputs: {x: {shape: [4, 6], generator: normal}}
      - name: batch1
        inputs: {x: {shape: [1, 5], generator: normal}}
      - name: odd
        params: {axis: [0], ddof: 1}
        inputs: {x: {shape: [3, 7], generator: normal}}
    reference: {call: numpy.std, args: [x], params: {axis: {name: axis, transform: as_tuple}, ddof: ddof}}
    known:
      - kind: default_argument_mismatch
        apis: [torch]
        param: ddof
        reason: torch.std divides by N - 1 by default
        source: https://pytorch.org/docs/stable/generated/torch.std.html
    apis:
      numpy:
        - call: numpy.std
          args: [x]
          params: {axis: {name: axis, transform: as_tuple}, ddof: ddof}
          defaults: {ddof: 0}
      torch:
        - call: torch.std
          args: [x]
          params: {axis: dim, ddof: {name: correction, values: {1: null}}}
          defaults: {ddof: 1}
"""
BACKENDS = ["numpy", "torch"]


def ident(t) -> tuple:
    return (t.op, t.case, t.backend, t.label, t.mode, t.pass_)


class Runs:
    """Runs of one catalog file against one cache folder, recording what each dispatched."""

    def __init__(self, folder: Path, catalog: Path, monkeypatch):
        self.folder, self.catalog = folder, catalog
        self.dispatched: list[tuple] = []
        real = check.run_backends

        def spy(pool, tasks, *args, **kw):
            self.dispatched += [ident(t) for ts in tasks.values() for t in ts]
            return real(pool, tasks, *args, **kw)

        monkeypatch.setattr(check, "run_backends", spy)

    def run(self, *, text: str | None = None, backends=BACKENDS, **kw):
        """(report, tasks executed by a worker, every task's identity, the pool)."""
        if text is not None:
            self.catalog.write_text(text)
        self.dispatched = []
        cache = ResultCache(str(self.folder))
        pool = DeferredPool(backends, {"threads": 1, "cache_dir": None})
        try:
            report = check.run_check(load_catalog([self.catalog]), backends=backends, progress=False, pool=pool,
                                     cache=cache, **kw)
        finally:
            pool.close()
            cache.close()
        every = {(r.op, r.case, r.framework, r.api, r.mode, r.pass_) for r in report.results}
        return report, set(self.dispatched), every, pool


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """A cache filled by one cold run of the catalog, and that run's report and executed tasks."""
    folder = tmp_path_factory.mktemp("warm")
    catalog = folder / "cat.yaml"
    catalog.write_text(CATALOG)
    mp = pytest.MonkeyPatch()
    try:
        runs = Runs(folder / "cache", catalog, mp)
        report, executed, _, _ = runs.run()
    finally:
        mp.undo()
    assert report.timing["tasks_cached"] == 0 and executed
    assert {t[0] for t in executed} == {"lrelu", "rsum"} and {t[5] for t in executed} == {"forward", "backward"}
    assert any(t[4] == "recipe" for t in executed), "the catalog should make a port-recipe task"
    return folder, report, executed


@pytest.fixture
def runs(warm, tmp_path, monkeypatch):
    """A copy of the warm cache (each test changes one thing against the same starting point)."""
    folder, _, _ = warm
    shutil.copytree(folder / "cache", tmp_path / "cache")
    catalog = tmp_path / "cat.yaml"
    catalog.write_text(CATALOG)
    return Runs(tmp_path / "cache", catalog, monkeypatch)


def comparable(report) -> str:
    """The report as JSON text (NaN equals NaN there), without timing and where the run happened."""
    from portability.report import jsonio

    data = jsonio.to_dict(report)
    data.pop("timing")
    # the catalog file sits in each test's own folder
    data["environment"] = {k: v for k, v in data["environment"].items() if k not in ("generated_at", "argv", "catalog")}
    data["ops"] = [{k: v for k, v in op.items() if k != "path"} for op in data["ops"]]
    data["results"] = [{k: v for k, v in r.items() if k != "elapsed_s"} for r in data["results"]]
    return json.dumps(data, sort_keys=True, default=repr)


def test_nothing_changed_runs_nothing_starts_no_worker_and_reports_the_same(warm, runs):
    _, cold, executed = warm
    report, ran, _, pool = runs.run()
    assert ran == set() and pool.workers == {}
    assert report.timing["tasks_executed"] == 0 and report.timing["tasks_cached"] == cold.timing["tasks_executed"]
    assert comparable(report) == comparable(cold)


def test_an_unchanged_run_reads_its_pairs_instead_of_comparing_the_outputs_again(warm, runs, monkeypatch):
    """The cold run stored each group's pairwise records under its tasks' keys (reuse.StoredPairs): a run whose
    tasks all come from the cache computes no pair metric and reports the same pairs."""
    import portability.pairwise as pairing

    _, cold, _ = warm
    calls = []
    for name in ("pair_metrics", "_gradient_pairwise"):
        real = getattr(pairing, name)
        monkeypatch.setattr(pairing, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))
    report, ran, _, _ = runs.run()
    assert ran == set() and calls == []
    assert cold.pairwise
    assert comparable(report) == comparable(cold)
    runs.run(text=CATALOG.replace("summary: standard deviation over axes", "summary: standard deviation over the axes"))
    assert "pair_metrics" in calls  # the edited op's pairs: compared again


def test_an_unchanged_op_reads_its_hazards_and_an_edited_one_is_classified_again(warm, runs, monkeypatch):
    """Each op's hazards, notes and description are stored under its entry, its tasks' keys, its live defaults
    and portability's files (reuse.StoredVerdicts): a run with nothing changed classifies nothing and reports
    the same; editing one op's entry classifies that op only."""
    _, cold, _ = warm
    classified = []
    real = check.classify
    monkeypatch.setattr(check, "classify", lambda op, *a, **k: classified.append(op.name) or real(op, *a, **k))
    report, _, _, _ = runs.run()
    assert classified == [] and comparable(report) == comparable(cold)
    runs.run(text=CATALOG.replace("summary: standard deviation over axes", "summary: standard deviation over the axes"))
    assert classified == ["rsum"]


def test_editing_one_entry_reruns_that_op_only(warm, runs):
    _, _, executed = warm
    edited = CATALOG.replace("summary: standard deviation over axes", "summary: standard deviation over the axes")
    _, ran, _, _ = runs.run(text=edited)
    assert ran == {t for t in executed if t[0] == "rsum"}


def test_editing_one_case_reruns_that_case_only(warm, runs):
    _, _, executed = warm
    _, ran, _, _ = runs.run(text=CATALOG.replace("shape: [1, 5]", "shape: [1, 6]"))
    assert ran == {t for t in executed if t[:2] == ("rsum", "batch1")}


def test_editing_a_known_record_runs_nothing_and_reclassifies(warm, runs):
    _, cold, _ = warm
    assert any(h.known for h in cold.hazards if h.op == "rsum" and h.kind == "default_argument_mismatch")
    report, ran, _, _ = runs.run(text=CATALOG.replace("apis: [torch]\n        param", "apis: [jax]\n        param"))
    assert ran == set()
    mismatch = [h for h in report.hazards if h.op == "rsum" and h.kind == "default_argument_mismatch"]
    assert mismatch and not any(h.known for h in mismatch)


def test_changing_the_reference_source_reruns_its_op_only(warm, runs, monkeypatch):
    import portability.reference as reference

    original = reference.leaky_relu

    def leaky_relu(x, negative_slope):  # same values, other code
        return original(x, negative_slope=negative_slope)

    leaky_relu.__module__ = original.__module__
    monkeypatch.setattr(reference, "leaky_relu", leaky_relu)
    from portability.resolve import reference_functions

    reference_functions.cache_clear()  # a new process reads the edited source; this one built the table once
    _, _, executed = warm
    try:
        _, ran, _, _ = runs.run()
    finally:
        monkeypatch.undo()
        reference_functions.cache_clear()
    assert ran == {t for t in executed if t[0] == "lrelu"}


def test_changing_a_transform_source_reruns_its_users_only(warm, runs, monkeypatch):
    from portability import transforms

    original = transforms.TRANSFORMS["as_tuple"]

    def as_tuple(value, ctx):
        return tuple(original(value, ctx))

    monkeypatch.setitem(transforms.TRANSFORMS, "as_tuple", as_tuple)
    _, _, executed = warm
    _, ran, _, _ = runs.run()
    assert ran == {t for t in executed if t[0] == "rsum"}


def test_another_seed_reruns_everything(warm, runs):
    _, _, executed = warm
    _, ran, _, _ = runs.run(seed=1)
    assert ran == executed


def test_a_dtype_sweep_runs_the_new_dtype_only(warm, runs):
    _, _, executed = warm
    report, ran, every, _ = runs.run(dtypes=["float64"])
    assert ran and all(t[1].endswith("@float64") for t in ran)
    assert {t for t in executed if t[4] != "recipe"} <= every and report.timing["tasks_cached"] == len(executed)


def test_adding_a_pass_runs_that_pass_only(runs):
    _, forward, _, _ = runs.run(seed=7, passes=("forward",))
    assert forward and {t[5] for t in forward} == {"forward"}
    _, ran, _, _ = runs.run(seed=7)
    assert ran and {t[5] for t in ran} == {"backward"}


def test_a_framework_upgrade_reruns_that_framework_only(warm, runs, monkeypatch):
    real = cache_mod.framework_version
    monkeypatch.setattr(cache_mod, "framework_version", lambda b: "99.0" if b == "torch" else real(b))
    _, _, executed = warm
    _, ran, _, _ = runs.run()
    assert ran == {t for t in executed if t[2] == "torch"}


def test_a_portability_upgrade_reruns_everything(warm, runs, monkeypatch):
    monkeypatch.setattr(cache_mod, "portability_version", lambda: "999.0")
    _, _, executed = warm
    _, ran, _, _ = runs.run()
    assert ran == executed


def test_mode_pass_and_opset_are_in_the_key(warm):
    """Modes and opsets are not chosen alone on the command line: the keys of one task that differ in only
    one of them differ (the runs above show that a key that differs re-runs)."""
    folder, _, _ = warm
    catalog = load_catalog([folder / "cat.yaml"])
    op = catalog.op("rsum")
    keys = TaskKeys({op.name: op}, 0, 1, {"torch": "portability.frameworks.torch_"})
    from portability.plan import plan_call
    from portability.runner import Task

    case = op.cases[0]
    api = op.apis_for("torch")[0]
    plan = plan_call(op, api, case, "aligned", {"x": (4, 6)})
    task = Task(0, op.name, case.name, "torch", api.label, "aligned", plan)
    base = keys.task(task, case)
    assert base == keys.task(replace(task, id=5), case)  # the id is the run's numbering, not content
    assert keys.task(replace(task, mode="defaults"), case) != base
    assert keys.task(replace(task, plan=replace(plan, wrt=("x",))), case) != base
    assert keys.task(replace(task, plan=replace(plan, opset=13)), case) != base
    assert keys.task(task, case, variant="negative_slope=0.2") != base


def test_an_onnx_opset_runs_its_tasks_only(tmp_path, monkeypatch):
    pytest.importorskip("onnx")
    catalog = tmp_path / "cat.yaml"
    catalog.write_text(CATALOG)
    r = Runs(tmp_path / "cache", catalog, monkeypatch)
    relu = textwrap.dedent("""\
          - name: r
            category: activation
            summary: relu
            inputs:
              x: {shape: [5], generator: normal}
            cases: [{name: a}, {name: b, inputs: {x: {shape: [1, 3], generator: special}}}, {name: c}]
            reference: {call: numpy.abs, args: [x]}
            apis:
              onnx: [{call: Abs, args: [x]}]
        """)
    text = "ops:\n" + textwrap.indent(relu, "  ")
    _, first, _, _ = r.run(text=text, backends=["onnx-reference"], onnx_opsets=(6,), passes=("forward",))
    assert first and {t[3] for t in first} == {"Abs@6"}
    _, ran, _, _ = r.run(backends=["onnx-reference"], onnx_opsets=(6, 13), passes=("forward",))
    assert ran and {t[3] for t in ran} == {"Abs@13"}


def test_concurrent_writers_do_not_corrupt(tmp_path):
    code = textwrap.dedent("""\
        import sys
        from portability.cache import ResultCache
        c = ResultCache(sys.argv[1])
        for i in range(150):
            c.put_many({f"{sys.argv[2]}-{i}-{j}": ("ok", [i, j] * 50, "", 0.0, None) for j in range(10)})
        """)
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), name], cwd=ROOT) for name in ("a", "b")]
    assert [p.wait(300) for p in procs] == [0, 0]
    c = ResultCache(str(tmp_path))
    got = c.get_many([f"{n}-{i}-{j}" for n in "ab" for i in range(150) for j in range(10)])
    assert len(got) == 3000 and got["b-149-9"] == ("ok", [149, 9] * 50, "", 0.0, None)
    assert c.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    c.close()


def test_runs_opening_a_new_cache_at_the_same_instant_all_succeed(tmp_path):
    """Switching a new file to WAL needs an exclusive lock, and SQLite refuses it at once (no busy wait) when
    another opener holds a shared one: before the retry, about one opener in six failed with "database is
    locked" (CI saw it once in test_concurrent_writers_do_not_corrupt)."""
    code = textwrap.dedent("""\
        import sys, time
        from portability.cache import ResultCache
        start = float(sys.argv[3])
        while time.time() < start:
            pass
        ResultCache(sys.argv[1]).put_many({sys.argv[2]: 1})
        """)
    for trial in range(6):
        folder, start = tmp_path / str(trial), time.time() + 1.0
        procs = [subprocess.Popen([sys.executable, "-c", code, str(folder), str(i), str(start)], cwd=ROOT,
                                  stderr=subprocess.PIPE, text=True) for i in range(4)]
        outcomes = [(p.wait(120), p.stderr.read()) for p in procs]
        assert all(rc == 0 for rc, _ in outcomes), [err for rc, err in outcomes if rc]
        assert len(ResultCache(str(folder)).get_many(map(str, range(4)))) == 4


def test_cli_cached_runs_import_no_framework_no_cache_executes_all_and_clear_empties(tmp_path):
    cache, out, html = tmp_path / "cache", tmp_path / "r.json", tmp_path / "r.html"
    catalog = tmp_path / "cat.yaml"
    catalog.write_text(CATALOG)
    args = ["run", str(catalog), "--frameworks", "numpy,torch", "--quiet", "--json", str(out), "--html", str(html),
            "--cache-dir", str(cache)]
    cold = run_cli(*args)
    assert cold.returncode == 0, cold.stderr
    total = json.loads(out.read_text())["summary"]["tasks"]["executed"]
    assert total > 0 and f"{total} tasks: {total} executed, 0 from the result cache" in cold.stdout
    probe = ("import sys\nfrom portability.cli import main\ncode = main(sys.argv[1:])\n"
             "print('IMPORTED', sorted(m for m in ('torch', 'tensorflow', 'jax', 'onnx', 'onnxruntime', 'keras') "
             "if m in sys.modules), code)")

    def probed():
        done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=ROOT,
                              timeout=300)
        assert "IMPORTED [] 0" in done.stdout, done.stdout + done.stderr
        return done.stdout

    # A known record edited: the run memo misses (the catalog changed), every task comes from the result cache.
    catalog.write_text(CATALOG.replace("torch.std divides", "torch.std, by default, divides"))
    warm = probed()
    assert f"{total} tasks: 0 executed, {total} from the result cache" in warm and "reproduced" not in warm
    assert json.loads(out.read_text())["summary"]["tasks"] == {"executed": 0, "cached": total}
    assert "torch.std, by default, divides" in out.read_text()
    # Nothing changed at all: the run memo writes the same reports again, byte for byte.
    before = out.read_bytes(), html.read_bytes()
    out.unlink()
    html.unlink()
    same = probed()
    assert "its reports reproduced" in same and (out.read_bytes(), html.read_bytes()) == before
    memos = "SELECT COUNT(*) FROM results WHERE key LIKE 'run:%'"
    assert sqlite3.connect(cache / "results.sqlite3").execute(memos).fetchone()[0] == 1
    again = run_cli(*args, "--no-cache")
    assert f"{total} tasks: {total} executed, 0 from" in again.stdout, again.stdout + again.stderr
    # its results are stored for the next run; its reports are not: no run with --no-cache could reproduce them
    assert sqlite3.connect(cache / "results.sqlite3").execute(memos).fetchone()[0] == 1
    info = run_cli("cache", "info", "--cache-dir", str(cache))
    assert info.returncode == 0 and " 0 entries" not in info.stdout
    cleared = run_cli("cache", "clear", "--cache-dir", str(cache))
    assert cleared.returncode == 0 and "removed" in cleared.stdout
    assert " 0 entries" in run_cli("cache", "info", "--cache-dir", str(cache)).stdout
    assert sqlite3.connect(cache / "results.sqlite3").execute("SELECT COUNT(*) FROM results").fetchone()[0] == 0
    after = run_cli(*args)
    assert f"{total} tasks: {total} executed, 0 from" in after.stdout, after.stdout + after.stderr


def test_explain_reads_the_result_cache_and_then_imports_no_framework(tmp_path):
    """`explain OP` after a run (or a first explain) makes no call again: same text, no framework imported."""
    catalog = tmp_path / "cat.yaml"
    catalog.write_text(CATALOG)
    args = ["explain", "lrelu", str(catalog), "--from", "torch", "--to", "numpy", "--quiet", "--cache-dir",
            str(tmp_path / "cache")]
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    probe = ("import sys\nfrom portability.cli import main\ncode = main(sys.argv[1:])\n"
             "print('IMPORTED', sorted(m for m in ('torch', 'tensorflow', 'jax', 'onnx', 'onnxruntime', 'keras') "
             "if m in sys.modules), code)")
    again = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=ROOT,
                           timeout=300)
    assert again.stdout.endswith("IMPORTED [] 0\n"), again.stdout + again.stderr
    assert again.stdout[: -len("IMPORTED [] 0\n")] == first.stdout and "Porting lrelu from torch to numpy" in first.stdout
    fresh = run_cli(*args, "--no-cache")
    assert fresh.returncode == 0 and fresh.stdout == first.stdout
