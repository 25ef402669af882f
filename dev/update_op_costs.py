"""Regenerate portability/op_costs.json, the cost table `portability run --shard I/N` splits the catalog by.

    portability run --json /tmp/full.json --html '' --no-cache     # a full default run, every task executed
    python dev/update_op_costs.py /tmp/full.json

An op's cost is the seconds its calls took in every framework and pass together (the report's per-result
``elapsed_s``, summed). The table is committed so that every machine splits the catalog the same way; rerun this
after adding many ops or changing how they run (ops missing from the table count the median).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "portability" / "op_costs.json"


def costs(report: dict) -> dict[str, float]:
    total = {op["name"]: 0.0 for op in report["ops"]}
    for r in report["results"]:
        total[r["op"]] = total.get(r["op"], 0.0) + float(r.get("elapsed_s") or 0.0)
    return {name: round(seconds, 4) for name, seconds in sorted(total.items())}


def main(path: str) -> None:
    report = json.loads(Path(path).read_text())
    env = report["environment"]
    if report.get("timing", {}).get("tasks_cached"):
        sys.exit(f"{path}: {report['timing']['tasks_cached']} tasks came from the result cache (their times are "
                 "old): run with --no-cache")
    table = {"measured": {"generated_at": env.get("generated_at"), "argv": env.get("argv"),
                          "frameworks": env.get("frameworks"), "passes": env.get("passes")},
             "seconds_per_op": costs(report)}
    OUT.write_text(json.dumps(table, indent=1) + "\n")
    print(f"wrote {OUT}: {len(table['seconds_per_op'])} ops, {sum(table['seconds_per_op'].values()):.1f} s in all")


if __name__ == "__main__":
    main(sys.argv[1])
