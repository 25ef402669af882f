"""CPU time per process of one `portability run` (not a test): the parent and every framework worker.

usage: .venv/bin/python benchmarks/profile_run.py OUTDIR [--calls | --calls-parent] [portability run args...]

Each worker writes its own CPU time (user + sys, and the CPU spent until it said "ready": imports and load)
to OUTDIR/<adapter>-<pid>.json (PORTABILITY_PROFILE); the parent's own CPU time and its children's are read
with resource.getrusage. With --calls, every process also runs under cProfile (the parent's driving threads
too) and the top functions by cumulative time are printed per process; cProfile inflates CPU time in
Python-heavy code (JAX tracing), so take CPU totals from a run without --calls. --calls-parent profiles the
parent only.
"""

from __future__ import annotations

import cProfile
import glob
import json
import os
import pstats
import resource
import sys
import threading
import time


def main() -> None:
    out, args = sys.argv[1], sys.argv[2:]
    calls = args[:1] in (["--calls"], ["--calls-parent"])
    if calls:
        workers_too, args = args[0] == "--calls", args[1:]
    os.makedirs(out, exist_ok=True)
    for f in glob.glob(os.path.join(out, "*")):
        os.remove(f)
    os.environ["PORTABILITY_PROFILE"] = out
    if calls and workers_too:
        os.environ["PORTABILITY_PROFILE_CALLS"] = "1"
    from portability.cli import main as cli_main

    profiles: list[cProfile.Profile] = []

    def hook(*_):  # first event in a new thread: profile that thread from here on
        p = cProfile.Profile()
        profiles.append(p)
        p.enable()

    start, cpu0 = time.perf_counter(), time.process_time()
    if calls:
        threading.setprofile(hook)
        main_prof = cProfile.Profile()
        profiles.append(main_prof)
        code = main_prof.runcall(cli_main, ["run", "--quiet", *args])
    else:
        code = cli_main(["run", "--quiet", *args])
    wall = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    rows = [("parent", own.ru_utime, own.ru_stime, None, own.ru_maxrss)]
    for path in sorted(glob.glob(os.path.join(out, "*.json"))):
        with open(path) as f:
            w = json.load(f)
        rows.append((os.path.basename(path)[:-5], w["user_s"], w["sys_s"], w.get("ready_cpu_s"), w["max_rss_kib"]))
    print(f"exit {code}; wall {wall:.2f} s; parent CPU {time.process_time() - cpu0:.2f} s in the run; "
          f"children (waited) {kids.ru_utime + kids.ru_stime:.2f} s")
    print(f"{'process':28} {'user':>7} {'sys':>6} {'total':>7} {'ready@':>7} {'maxrss':>8}")
    for name, u, s, ready, rss in rows:
        print(f"{name:28} {u:7.2f} {s:6.2f} {u + s:7.2f} {ready if ready is not None else float('nan'):7.2f} "
              f"{rss / 1024:6.0f}Mi")
    print(f"{'all':28} {sum(r[1] for r in rows):7.2f} {sum(r[2] for r in rows):6.2f} "
          f"{sum(r[1] + r[2] for r in rows):7.2f}")
    if calls:
        threading.setprofile(None)
        for p in profiles:
            p.disable()
        stats = pstats.Stats(profiles[0])
        for p in profiles[1:]:
            stats.add(p)
        stats.dump_stats(os.path.join(out, "parent.prof"))
        for path in [os.path.join(out, "parent.prof"), *sorted(glob.glob(os.path.join(out, "*-*.prof")))]:
            print(f"\n=== {os.path.basename(path)}")
            pstats.Stats(path).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
