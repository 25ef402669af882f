"""Speed benchmark (not a test): the whole bundled catalog, all backends, both modes, against the import floor.

The floor is `python -c "import tensorflow, torch, jax, onnxruntime"`: what any run must pay at least.
Peak memory is the largest sum of RSS over the run's process tree (the CLI plus its workers),
sampled every 50 ms from /proc.

usage: .venv/bin/python benchmarks/speed.py [--repeat N] [--cold | --rerun] [extra `portability run` args]

Every timed run executes all its tasks (--no-cache: the result cache is not read). --cold gives every run
an empty compilation cache (JAX compiles each call; the default cache makes repeated runs cheaper).
--rerun measures the other case: a re-run with nothing changed (one untimed run fills the cache, then each
timed run reads it), with its CPU time.
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


def timed(cmd: list[str]) -> tuple[float, int, int]:
    peak = 0
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
    return time.perf_counter() - start, peak, code


def main() -> None:
    args = sys.argv[1:]
    repeat, cold = 1, False
    if args[:1] == ["--repeat"]:
        repeat, args = int(args[1]), args[2:]
    if args[:1] == ["--cold"]:
        cold, args = True, args[1:]
    if args[:1] == ["--rerun"]:
        return rerun(repeat, args[1:])
    tmp = tempfile.mkdtemp()
    floor_cmd = [sys.executable, "-c", "import tensorflow, torch, jax, onnxruntime"]
    run_cmd = [sys.executable, "-m", "portability", "run", "--quiet", "--no-cache", "--json", f"{tmp}/r.json",
               "--html", f"{tmp}/r.html", *args]
    timed(floor_cmd)  # warm the file cache once, for both
    for i in range(repeat):
        floor, floor_mem, _ = timed(floor_cmd)
        cache = ["--cache-dir", tempfile.mkdtemp(prefix="cold-cache-")] if cold else []
        run, run_mem, code = timed(run_cmd + cache)
        print(f"run {i + 1}{' (cold cache)' if cold else ''}: import floor {floor:.2f} s ({floor_mem / 1024:.0f} MiB); "
              f"portability run {run:.2f} s (exit {code}, peak {run_mem / 1024:.0f} MiB over all processes); "
              f"ratio {run / floor:.2f}x")
    import json

    with open(f"{tmp}/r.json") as f:
        s = json.load(f)["summary"]
    print(f"{s['ops']} ops, {s['cases']} cases, {s['results']} results, hazards by kind: {s['hazards_by_kind']}")


def rerun(repeat: int, args: list[str]) -> None:
    """A re-run with nothing changed, against its own cache folder: wall and CPU seconds (all processes)."""
    import resource

    tmp = tempfile.mkdtemp()
    cmd = [sys.executable, "-m", "portability", "run", "--quiet", "--cache-dir", f"{tmp}/cache", "--json",
           f"{tmp}/r.json", "--html", f"{tmp}/r.html", *args]
    timed(cmd)  # fills the cache
    for i in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall, mem, code = timed(cmd)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        print(f"re-run {i + 1}, nothing changed: {wall:.2f} s wall, {cpu:.2f} s CPU (exit {code}, "
              f"peak {mem / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
