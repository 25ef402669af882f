"""Speed benchmark (not a test): the whole bundled catalog, all backends, both modes, against the import floor.

The floor is `python -c "import tensorflow, torch, jax, onnxruntime"`: what any run must pay at least.
Peak memory is the largest sum of RSS over the run's process tree (the CLI plus its workers),
sampled every 50 ms from /proc. CPU time is the tree's user + sys (every waited descendant): on a shared
machine wall time is noise, CPU time much less so.

usage: .venv/bin/python benchmarks/speed.py [--repeat N] [--cold | --rerun | --edit OP] [extra `portability run` args]
       .venv/bin/python benchmarks/speed.py --overhead [N]

Every timed run executes all its tasks (--no-cache: the result cache is not read). --cold gives every run
an empty compilation cache (JAX compiles each call; the default cache makes repeated runs cheaper).
--rerun measures the other case: a re-run with nothing changed (one untimed run fills the cache, then each
timed run reads it), with its CPU time.

--edit OP measures a re-run after editing one op's entry: a copy of the bundled catalog runs once (untimed) to fill
its own result cache, then each timed run first edits OP's summary in the copy (a new text each time, so the
op's tasks miss the cache) and reports how many tasks it executed and how many came from the cache.

--overhead measures the harness's cost per execution on a trivial op (numpy.abs on 64 floats, the NumPy
backend): N tasks through a real worker (the parent sends the plan and arrays, the worker executes and replies,
the parent compares the result with the float64 reference), timed from the first outcome to the last, minus the
bare ``np.abs`` call. It prints the round trip alone and with the parent's comparison.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time


def _children(pid: int) -> list[int]:
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return out


def _tree_rss_kib(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            stack += _children(p)
        except OSError:
            pass
    return total


def _children_cpu() -> float:
    import resource

    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def timed(cmd: list[str]) -> tuple[float, int, int, float]:
    """(wall s, peak KiB over the process tree, exit code, CPU s of the whole tree: every waited descendant)."""
    peak = 0
    cpu0 = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def sample():
        nonlocal peak
        while proc.poll() is None:
            peak = max(peak, _tree_rss_kib(proc.pid))
            time.sleep(0.05)

    t = threading.Thread(target=sample)
    t.start()
    code = proc.wait()
    t.join()
    return time.perf_counter() - start, peak, code, _children_cpu() - cpu0


def harness_overhead(n: int = 2000) -> None:
    import timeit

    import numpy as np

    from portability.check import _reference, _result, _shapes, start_pool
    from portability.inputs import make_inputs
    from portability.plan import plan_call
    from portability.runner import Progress, Task, run_backends
    from portability.spec import load_catalog

    op = next(o for o in load_catalog().ops if o.name == "abs")
    case = op.cases[0]
    arrays = make_inputs(case, 0, op.name)
    reference = _reference(op, case, arrays)
    api = op.apis_for("numpy")[0]
    plan = plan_call(op, api, case, "aligned", _shapes(arrays))
    bare = min(timeit.repeat(lambda: np.abs(arrays["x"]), number=1000, repeat=5)) / 1000
    for compare in (False, True):
        stamps = []

        def on_outcome(o, compare=compare):
            if compare:
                _result(op, o, reference)
            stamps.append(time.perf_counter())

        tasks = [Task(i, op.name, case.name, "numpy", api.label, "aligned", plan, op.category) for i in range(n)]
        with start_pool(["numpy"]) as pool:
            outcomes, _ = run_backends(pool, {"numpy": tasks}, {(op.name, case.name): arrays}, {"numpy": []}, 60.0,
                                       Progress({"numpy": n}, False), on_outcome)
        assert all(o.status == "ok" for o in outcomes), {o.status for o in outcomes}
        per = (stamps[-1] - stamps[0]) / (n - 1)
        print(f"harness overhead per execution ({'with' if compare else 'without'} the parent's comparison): "
              f"{(per - bare) * 1e6:.0f} us ({per * 1e6:.0f} us per task, bare np.abs {bare * 1e6:.1f} us; {n} tasks)")


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--overhead"]:
        harness_overhead(int(args[1]) if len(args) > 1 else 2000)
        return
    repeat, cold = 1, False
    if args[:1] == ["--repeat"]:
        repeat, args = int(args[1]), args[2:]
    if args[:1] == ["--cold"]:
        cold, args = True, args[1:]
    if args[:1] == ["--rerun"]:
        return rerun(repeat, args[1:])
    if args[:1] == ["--edit"]:
        return edited(repeat, args[1], args[2:])
    tmp = tempfile.mkdtemp()
    floor_cmd = [sys.executable, "-c", "import tensorflow, torch, jax, onnxruntime"]
    run_cmd = [sys.executable, "-m", "portability", "run", "--quiet", "--no-cache", "--json", f"{tmp}/r.json",
               "--html", f"{tmp}/r.html", *args]
    timed(floor_cmd)  # warm the file cache once, for both
    for i in range(repeat):
        floor, floor_mem, _, floor_cpu = timed(floor_cmd)
        cache = ["--cache-dir", tempfile.mkdtemp(prefix="cold-cache-")] if cold else []
        run, run_mem, code, run_cpu = timed(run_cmd + cache)
        print(f"run {i + 1}{' (cold cache)' if cold else ''}: import floor {floor:.2f} s ({floor_mem / 1024:.0f} MiB, "
              f"{floor_cpu:.1f} CPU-s); portability run {run:.2f} s (exit {code}, peak {run_mem / 1024:.0f} MiB over "
              f"all processes, {run_cpu:.1f} CPU-s); ratio {run / floor:.2f}x wall, {run_cpu / floor_cpu:.2f}x CPU")
    import json

    with open(f"{tmp}/r.json") as f:
        s = json.load(f)["summary"]
    print(f"{s['ops']} ops, {s['cases']} cases, {s['results']} results, hazards by kind: {s['hazards_by_kind']}")


def rerun(repeat: int, args: list[str]) -> None:
    """A re-run with nothing changed, against its own cache folder: wall and CPU seconds (all processes)."""
    tmp = tempfile.mkdtemp()
    cmd = [sys.executable, "-m", "portability", "run", "--quiet", "--cache-dir", f"{tmp}/cache", "--json",
           f"{tmp}/r.json", "--html", f"{tmp}/r.html", *args]
    timed(cmd)  # fills the cache
    for i in range(repeat):
        wall, mem, code, cpu = timed(cmd)
        print(f"re-run {i + 1}, nothing changed: {wall:.2f} s wall, {cpu:.2f} s CPU (exit {code}, "
              f"peak {mem / 1024:.0f} MiB)")


def edited(repeat: int, op: str, args: list[str]) -> None:
    """A re-run after editing one op's entry, against a catalog copy and its own cache folder."""
    import json
    import shutil

    from portability.spec import DEFAULT_CATALOG

    tmp = tempfile.mkdtemp()
    shutil.copytree(DEFAULT_CATALOG, f"{tmp}/catalog")
    cmd = [sys.executable, "-m", "portability", "run", f"{tmp}/catalog", "--quiet", "--cache-dir", f"{tmp}/cache",
           "--json", f"{tmp}/r.json", "--html", f"{tmp}/r.html", *args]
    timed(cmd)  # fills the cache (and the JAX compilation cache in it)
    for i in range(repeat):
        _edit_summary(f"{tmp}/catalog", op, f"edited {i + 1}")
        wall, mem, code, cpu = timed(cmd)
        with open(f"{tmp}/r.json") as f:
            tasks = json.load(f)["summary"]["tasks"]
        print(f"re-run {i + 1} after editing {op}'s summary: {wall:.2f} s wall, {cpu:.2f} s CPU (exit {code}, peak "
              f"{mem / 1024:.0f} MiB); {tasks['executed']} tasks executed, {tasks['cached']} from the result cache")


def _edit_summary(folder: str, op: str, mark: str) -> None:
    """Change OP's summary text in place: the first text line after its `summary:` key gets `mark` appended
    (inside the quotes of a quoted one)."""
    import glob

    for path in sorted(glob.glob(f"{folder}/*.yaml")):
        lines = open(path).read().split("\n")
        if f"  - name: {op}" not in lines:
            continue
        i = lines.index(f"  - name: {op}")
        j = next(k for k in range(i + 1, len(lines)) if lines[k].startswith("    summary:"))
        if lines[j].rstrip().endswith((">-", ">", "|", "|-")):
            j += 1
        line = lines[j].rstrip()
        quote = line[-1] if line[-1] in "\"'" and line.split("summary:", 1)[-1].strip()[:1] == line[-1] else ""
        lines[j] = (line[:-1] + f" ({mark}){quote}") if quote else f"{line} ({mark})"
        with open(path, "w") as f:
            f.write("\n".join(lines))
        return
    raise SystemExit(f"no op named {op} in {folder}")


if __name__ == "__main__":
    main()
