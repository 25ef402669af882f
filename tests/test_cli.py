"""The CLI as a user runs it (real processes): exit codes 0/1/2/3, reports written, clean piped output."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DATA, ROOT, run_cli, write_yaml
from procs import crashy_env, start_cli, wait_for, worker_pids

from portability.cli import SEED_MAX, build_parser, main

FRAMEWORK_MODULES = ("torch", "tensorflow", "jax", "onnx", "onnxruntime", "keras")


def test_import_and_catalog_load_import_no_framework():
    code = (
        "import sys, portability, portability.cli, portability.check, portability.explain\n"
        "from portability.spec import load_catalog\n"
        "from portability.report import jsonio, terminal\n"
        "load_catalog()\n"
        f"loaded = [m for m in {FRAMEWORK_MODULES!r} if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "print('clean')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and "clean" in proc.stdout, proc.stderr


def test_a_run_imports_no_framework_in_the_parent():
    """What workers send back is plain data: torch's worker once reported its version as a TorchVersion, and
    unpickling that imported torch into the parent (2 CPU-s and 190 MiB per run)."""
    code = (
        "import sys\nfrom portability.cli import main\n"
        f"main(['run', {str(DATA / 'roundtrip.yaml')!r}, '--ops', 'tanh', '--frameworks', 'torch,tensorflow,jax,onnxruntime',"
        " '--json', '', '--html', '', '--quiet'])\n"
        f"loaded = [m for m in {FRAMEWORK_MODULES!r} if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "print('clean')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0 and "clean" in proc.stdout, proc.stdout + proc.stderr


def test_run_writes_json_and_html_and_exits_0(tmp_path):
    j, h = tmp_path / "r.json", tmp_path / "r.html"
    proc = run_cli("run", str(DATA / "roundtrip.yaml"), "--ops", "tanh,nhwc_relu6", "--json", str(j), "--html", str(h))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(j.read_text())
    assert data["format_version"] >= 1
    assert {"python", "platform", "seed", "frameworks"} <= set(data["environment"])
    for r in data["results"]:
        assert {"op", "case", "framework", "api", "mode", "status", "dtype", "max_abs_error", "max_rel_error",
                "max_ulp", "mismatch_fraction", "message"} <= set(r)
    for hz in data["hazards"]:
        assert {"op", "kind", "frameworks", "apis", "severity", "summary", "fix"} <= set(hz)
    assert {r["op"] for r in data["results"]} == {"tanh", "nhwc_relu6"}
    assert h.read_text().lstrip().lower().startswith("<!doctype html")
    assert "nhwc_relu6" in proc.stdout and "wrote" in proc.stdout
    # piped: no progress bar escapes, no framework chatter on stderr
    assert "\x1b[" not in proc.stderr and "oneDNN" not in proc.stderr and proc.stderr.strip() == ""


def test_fail_on_kind_exits_1(tmp_path):
    proc = run_cli("run", str(DATA / "roundtrip.yaml"), "--ops", "nhwc_relu6", "--frameworks", "torch,jax,tensorflow",
                   "--json", str(tmp_path / "r.json"), "--html", "", "--fail-on", "default_argument_mismatch")
    assert proc.returncode == 1, proc.stdout + proc.stderr


def test_fail_on_kind_not_found_exits_0(tmp_path):
    proc = run_cli("run", str(DATA / "roundtrip.yaml"), "--ops", "tanh", "--frameworks", "numpy,onnxruntime",
                   "--json", "", "--html", "", "--fail-on", "numeric_divergence")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_bad_usage_exits_2_with_one_line():
    for args in (["run", "--frameworks", "mxnet"], ["run", "--ops", "no_such_op"], ["run", "--fail-on", "oops"],
                 ["explain", "no_such_op"], ["run", "/no/such/catalog.yaml"]):
        proc = run_cli(*args, "--quiet") if args[0] == "run" else run_cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr


def test_list_shows_ops_and_frameworks():
    proc = run_cli("list", str(DATA / "roundtrip.yaml"))
    assert proc.returncode == 0
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("topk_pair"))
    assert "torch" in line and "onnxruntime" in line and "numpy" not in line
    filtered = run_cli("list", str(DATA / "roundtrip.yaml"), "--framework", "numpy")
    assert "tanh" in filtered.stdout and "dense" not in filtered.stdout


def test_explain_gives_the_fix_for_a_port():
    proc = run_cli("explain", "nhwc_relu6", str(DATA / "roundtrip.yaml"), "--from", "torch", "--to", "tensorflow")
    assert proc.returncode == 0, proc.stderr
    assert "Porting nhwc_relu6 from torch to tensorflow" in proc.stdout
    assert "tf.nn.leaky_relu(..., alpha=0.01): verified on" in proc.stdout  # the port recipe, executed
    flat = " ".join(proc.stdout.split())  # calls wrap at 100 columns
    assert "tf.nn.leaky_relu(tf.constant(np.ascontiguousarray(np.transpose(x, (0, 2, 3, 1)))))" in flat
    assert max(len(line) for line in proc.stdout.splitlines()) <= 100


def test_progress_shows_on_a_terminal_and_quiet_silences_it(tmp_path):
    """stderr on a pseudo-terminal: the per-framework progress line appears; --quiet removes it."""
    import os
    import pty

    def stderr_on_tty(*extra):
        master, slave = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "portability", "run", str(DATA / "roundtrip.yaml"), "--ops",
                                 "tanh", "--frameworks", "numpy,onnxruntime", "--json", "", "--html", "", *extra],
                                stdout=subprocess.PIPE, stderr=slave, cwd=ROOT)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(120)
        os.close(master)
        return proc.returncode, b"".join(chunks).decode(errors="replace")

    code, text = stderr_on_tty()
    assert code == 0 and "numpy 1/1" in text and "onnxruntime 2/2" in text  # own opset and latest
    code, text = stderr_on_tty("--quiet")
    assert code == 0 and "onnxruntime 1/1" not in text


def test_help_documents_the_exit_codes():
    for args in (["--help"], ["run", "--help"]):
        proc = run_cli(*args)
        assert proc.returncode == 0
        assert "exit codes:" in proc.stdout and "internal error" in proc.stdout and "130" in proc.stdout


@pytest.mark.parametrize("option, value", [
    ("--timeout", "0"), ("--timeout", "-1"), ("--timeout", "inf"), ("--timeout", "nan"), ("--timeout", "soon"),
    ("--seed", "-1"), ("--seed", str(SEED_MAX + 1)), ("--seed", "1.5"),
    ("--threads", "0"), ("--threads", "-2"), ("--threads", "many"),
])
def test_a_bad_option_value_exits_2_with_one_line_naming_the_option(option, value, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", option, value])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.count("\n") == 1 and err.startswith(f"portability: error: argument {option}: ") and value in err


def test_option_values_at_their_bounds_are_accepted():
    args = build_parser().parse_args(["run", "--seed", str(SEED_MAX), "--threads", "1", "--timeout", "0.5"])
    assert (args.seed, args.threads, args.timeout) == (SEED_MAX, 1, 0.5)
    assert build_parser().parse_args(["explain", "gelu", "--seed", "0"]).seed == 0


def test_a_bad_option_value_exits_2_from_the_shell_too():
    proc = run_cli("run", "--timeout", "-3")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "portability: error: argument --timeout: expected a positive, finite number of seconds, not '-3' "
        "(see `portability run --help`)"]


def test_an_internal_error_exits_3_with_one_line_and_a_crash_log(tmp_path, monkeypatch, capsys):
    """Any unexpected exception is a bug in portability: one line, exit 3, the traceback in a file."""
    import tempfile

    import portability.coverage

    def broken(catalog):
        raise RuntimeError("coverage is\nbroken")

    monkeypatch.setattr(portability.coverage, "coverage", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert main(["list", str(DATA / "roundtrip.yaml")]) == 3
    err = capsys.readouterr().err
    (log,) = tmp_path.glob("portability-crash-*.log")
    assert err.splitlines() == [f"portability: internal error: RuntimeError: coverage is broken; "
                                f"traceback written to {log}"]
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "in broken" in text and "RuntimeError" in text


def test_debug_lets_the_traceback_show(monkeypatch):
    import portability.coverage

    monkeypatch.setattr(portability.coverage, "coverage", lambda catalog: 1 / 0)
    for argv in (["--debug", "list"], ["list", "--debug"]):
        with pytest.raises(ZeroDivisionError):
            main(argv + [str(DATA / "roundtrip.yaml")])


def test_a_bug_in_a_driving_thread_exits_3_and_leaves_no_worker(tmp_path):
    """An adapter that returns no outputs breaks its contract: the parent's comparison fails in a driving
    thread. That is a bug in portability, raised in the main thread (exit 3), never lost with its thread."""
    catalog = write_yaml(tmp_path, """
ops:
  - name: empty
    category: test
    summary: the adapter returns nothing
    inputs: {x: {shape: [4]}}
    reference: {call: numpy.tanh, args: [x]}
    apis:
      numpy: {call: numpy.tanh, args: [x], label: no-outputs-here}
""")
    proc = run_cli("run", str(catalog), "--frameworks", "numpy", "--json", "", "--html", "",
                   "--cache-dir", str(tmp_path / "cache"), env=crashy_env(TMPDIR=str(tmp_path)))
    assert proc.returncode == 3, proc.stderr
    (log,) = tmp_path.glob("portability-crash-*.log")
    assert proc.stderr.strip().splitlines() == [
        f"portability: internal error: TypeError: cannot unpack non-iterable NoneType object; "
        f"traceback written to {log}"]
    assert "in _result" in log.read_text()
    assert not worker_pids(str(tmp_path / "cache"))


def test_an_unwritable_report_path_exits_2_before_the_run(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    for json_path, html_path in ((blocker / "r.json", ""), ("", tmp_path), ("/proc/no/such/root/r.json", "")):
        started = time.monotonic()
        proc = run_cli("run", str(DATA / "roundtrip.yaml"), "--ops", "tanh", "--frameworks", "numpy", "--quiet",
                       "--json", str(json_path), "--html", str(html_path))
        took = time.monotonic() - started
        assert proc.returncode == 2, proc.stderr
        (line,) = proc.stderr.strip().splitlines()
        assert line.startswith(f"portability: error: cannot write the report {json_path or html_path}: ")
        assert proc.stdout == ""  # nothing ran
        assert took < 5, took  # the interpreter's start; no worker was launched


def test_the_writability_probe_leaves_nothing_behind(tmp_path):
    from portability.cli import _unwritable

    assert _unwritable(str(tmp_path / "a" / "b" / "r.json")) is None
    assert list(tmp_path.iterdir()) == []
    assert _unwritable(str(tmp_path)) == "it is a folder"


@pytest.mark.parametrize("broken", ["json", "html"])
def test_a_report_that_cannot_be_written_does_not_drop_the_other(tmp_path, broken):
    """One report's folder turns into a file while the run is in flight: the other report is still written,
    the summary shown, and the exit code is 2 with one line naming the broken path. The page is written by a
    forked child (portability.report.writing), so a broken page tests what that child sends back."""
    catalog = write_yaml(tmp_path, """
ops:
  - name: slow
    category: test
    summary: hangs past the timeout, so the test can act while the run is in flight
    inputs: {x: {shape: [4]}}
    reference: {call: numpy.tanh, args: [x]}
    apis:
      numpy: {call: numpy.tanh, args: [x], label: hang-here}
""")
    hanging, folder = tmp_path / "hanging", tmp_path / "out"
    paths = {"json": tmp_path / "r.json", "html": tmp_path / "r.html"}
    paths[broken] = folder / f"r.{broken}"
    other = paths["html" if broken == "json" else "json"]
    folder.mkdir()
    proc = start_cli("run", str(catalog), "--frameworks", "numpy", "--timeout", "2", "--json", str(paths["json"]),
                     "--html", str(paths["html"]), env=crashy_env(CRASHY_HANG_MARKER=str(hanging)))
    try:
        wait_for(hanging.exists, 120, "the run to be in flight")
        folder.rmdir()
        folder.write_text("now a file")
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 2, err
    assert err.strip().splitlines() == [
        f"portability: error: cannot write the report {paths[broken]}: [Errno 17] File exists: '{folder}'"]
    assert "slow" in out and f"wrote {other}" in out
    assert "timeout" in other.read_text()


FORKED_BUG_PROBE = """
import os, sys
from portability.report import html
from portability.cli import main

def broken(data, path):
    raise ValueError("a bug in the page")

html.write = broken
forks, real_fork = [], os.fork
os.fork = lambda: forks.append(1) or real_fork()  # the real fork, counted
code = main(sys.argv[1:])
print("forks", len(forks), "code", code)
"""


def test_a_bug_in_the_forked_page_writer_is_an_internal_error_with_its_traceback(tmp_path):
    """The page's writer raising something other than an OSError is a bug: exit 3, one line, and the crash log
    holds the child's own traceback; the JSON is written all the same (in a fresh process: one thread, so the
    page is written by a forked child)."""
    out_json = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "-c", FORKED_BUG_PROBE, "run", str(DATA / "roundtrip.yaml"), "--ops", "tanh",
         "--frameworks", "numpy", "--quiet", "--cache-dir", "", "--json", str(out_json), "--html",
         str(tmp_path / "r.html")], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.stdout.strip().splitlines()[-1] == "forks 1 code 3", proc.stdout + proc.stderr
    assert json.loads(out_json.read_text())["results"]
    assert not (tmp_path / "r.html").exists()
    err = proc.stderr.strip()
    assert err.startswith("portability: internal error: ReportWriterBug: ValueError: a bug in the page; "
                          "traceback written to "), err
    log = Path(err.rsplit("traceback written to ", 1)[1]).read_text()
    assert 'in broken\nValueError: a bug in the page' in log  # the writer's own frame, from the child


def test_passes_choose_forward_backward_or_both(tmp_path):
    """The default run checks both passes; --passes forward checks the outputs only; the JSON says which."""
    both, fwd = tmp_path / "both.json", tmp_path / "fwd.json"
    args = ("run", str(DATA / "roundtrip.yaml"), "--ops", "tanh", "--frameworks", "numpy,torch,jax", "--html", "")
    assert run_cli(*args, "--json", str(both)).returncode == 0
    assert run_cli(*args, "--json", str(fwd), "--passes", "forward").returncode == 0
    b, f = json.loads(both.read_text()), json.loads(fwd.read_text())
    assert b["format_version"] == 3 and b["environment"]["passes"] == ["forward", "backward"]
    assert {(r["pass"], r["wrt"]) for r in b["results"]} >= {("forward", None), ("backward", "x")}
    assert {r["framework"] for r in b["results"] if r["pass"] == "backward"} <= {"torch", "jax"}
    assert b["environment"]["inference_only"]["numpy"].startswith("NumPy has no automatic differentiation")
    assert f["environment"]["passes"] == ["forward"] and {r["pass"] for r in f["results"]} == {"forward"}
    proc = run_cli("run", "--passes", "sideways", "--quiet")
    assert proc.returncode == 2 and "--passes: unknown pass 'sideways'" in proc.stderr


def test_coverage_says_which_ops_have_a_backward_pass_and_which_backends_run_forward_only():
    proc = run_cli("list", "--coverage")
    assert proc.returncode == 0, proc.stderr
    header = next(ln for ln in proc.stdout.splitlines() if ln.startswith("op "))
    assert header.split()[-1] == "backward"
    rows = {ln.split()[0]: ln.split()[-1] for ln in proc.stdout.splitlines()
            if ln and ln.split()[0] in ("abs", "floor")}
    assert rows == {"abs": "✓", "floor": "-"}
    for backend in ("numpy", "onnxruntime", "onnx-reference"):
        assert sum(ln.startswith(f"{backend}: forward only: ") for ln in proc.stdout.splitlines()) == 1
