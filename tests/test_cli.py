"""The CLI as a user runs it (real processes): exit codes 0/1/2, reports written, clean piped output."""

import json
import subprocess
import sys

from conftest import DATA, ROOT, run_cli

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
    assert "tf.nn.leaky_relu(..., alpha=0.01)" in proc.stdout
    assert "tf.nn.leaky_relu(tf.constant(np.ascontiguousarray(np.transpose(x, (0, 2, 3, 1)))))" in proc.stdout


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
    assert code == 0 and "numpy 1/1" in text and "onnxruntime 1/1" in text
    code, text = stderr_on_tty("--quiet")
    assert code == 0 and "onnxruntime 1/1" not in text


def test_an_unwritable_report_path_exits_2_after_showing_the_results(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = run_cli("run", str(DATA / "roundtrip.yaml"), "--ops", "tanh", "--frameworks", "numpy", "--quiet",
                   "--json", str(blocker / "r.json"), "--html", "")
    assert proc.returncode == 2 and "cannot write the report" in proc.stderr and "Traceback" not in proc.stderr
    assert "tanh" in proc.stdout  # the summary was printed before the write failed
