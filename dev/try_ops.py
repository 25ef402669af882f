"""Developer loop: run some ops of a catalog file and print every non-agreeing result and hazard.

usage: .venv/bin/python dev/try_ops.py opspecs/FILE.yaml [op,op,...] [backend,backend,...]
"""

import sys
import time

from portability.check import run_check
from portability.spec import load_catalog

if __name__ == "__main__":
    catalog = load_catalog([sys.argv[1]])
    ops = sys.argv[2].split(",") if len(sys.argv) > 2 and sys.argv[2] else None
    backends = sys.argv[3].split(",") if len(sys.argv) > 3 else None
    t = time.time()
    r = run_check(catalog, ops=ops, backends=backends, progress=False)
    print(f"ran in {time.time() - t:.1f}s")
    for res in r.results:
        if res.pass_ == "backward" and res.status == "ok" and res.within_tolerance is None:
            continue  # the reference has no derivative there: the frameworks are compared with each other
        if res.status != "ok" or not res.within_tolerance or res.dtype_equal is False:
            grad = f" d/d{res.wrt}" if res.pass_ == "backward" else ""
            print(f"  {res.op}/{res.case} {res.framework}:{res.api}{grad} [{res.mode}] {res.status} "
                  f"abs={res.max_abs_error} ulp={res.max_ulp} shape={res.output_shape} dtype={res.output_dtype} "
                  f"{res.message[:200]}")
    print("--- hazards")
    for h in r.hazards:
        print(f"[{h.severity}] {h.pass_} {h.kind}{' (known)' if h.known else ''}: {h.summary[:300]}")
        if h.fix:
            print(f"     fix: {h.fix[:300]}")
    for s in r.stale_known:
        print("STALE known record:", s)
