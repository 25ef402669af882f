"""Shards of one run: split the catalog by measured cost (``run --shard I/N``), and join the N reports into the
report a single run gives (``merge --run``).

The split must be the same on every machine, so it reads only data committed with the code: ``op_costs.json``
(seconds per op, every framework and pass together, measured from a full run by dev/update_op_costs.py). Ops go
to the lightest shard, largest first, ties by name (the classic longest-processing-time rule, within 4/3 of the
best split); an op missing from the table counts the table's median.
"""

from __future__ import annotations

import heapq
import json
import statistics
from functools import lru_cache
from pathlib import Path

from portability.errors import UsageError

COSTS_PATH = Path(__file__).resolve().parent / "op_costs.json"
# Environment keys every shard of one run must share (where the run happened may differ: cache folder, argv).
SAME_RUN = ("portability", "python", "seed", "threads", "dtypes", "onnx_opsets", "passes", "frameworks",
            "inference_only", "precision")


@lru_cache(maxsize=1)
def load_costs(path: str = str(COSTS_PATH)) -> dict[str, float]:
    try:
        return json.loads(Path(path).read_text())["seconds_per_op"]
    except FileNotFoundError:
        return {}


def partition(names: list[str], n: int, costs: dict[str, float]) -> list[list[str]]:
    """``n`` lists of op names, balanced by cost; each list keeps the order of ``names``."""
    default = statistics.median(costs.values()) if costs else 1.0
    cost = {name: costs.get(name, default) for name in names}
    heap = [(0.0, i) for i in range(n)]
    parts: list[set[str]] = [set() for _ in range(n)]
    for name in sorted(names, key=lambda x: (-cost[x], x)):
        load, i = heapq.heappop(heap)
        parts[i].add(name)
        heapq.heappush(heap, (load + cost[name], i))
    return [[x for x in names if x in part] for part in parts]


def shard_ops(names: list[str], index: int, count: int) -> list[str]:
    """The ops of shard ``index`` (1-based) of ``count``."""
    return partition(names, count, load_costs())[index - 1]


def merge_run(shards: list[dict], names: list[str]) -> dict:
    """The run report of one run from its ``--shard I/N`` reports: ops, results, pairwise records, hazards
    and stale records in the order an unsharded run writes them, summary recomputed, timing per shard."""
    from portability.report.jsonio import summary

    infos = []
    for name, shard in zip(names, shards):
        info = (shard.get("environment") or {}).get("shard")
        if not info:
            raise UsageError(f"{name}: environment.shard is missing: not written by `portability run --shard I/N`")
        infos.append(info)
    count = infos[0]["count"]
    indices = sorted(i["index"] for i in infos)
    if any(i["count"] != count for i in infos) or indices != list(range(1, count + 1)):
        got = ", ".join(f"{i['index']}/{i['count']}" for i in infos)
        raise UsageError(f"shards {got}: need each of 1/{count} .. {count}/{count} exactly once")
    first = shards[0]["environment"]
    for name, shard in zip(names[1:], shards[1:]):
        env = shard["environment"]
        for key in SAME_RUN:
            if env.get(key) != first.get(key):
                raise UsageError(f"{name}: environment.{key} differs from {names[0]}'s: not a shard of the same run")
        if [c["sha256"] for c in env.get("catalog", [])] != [c["sha256"] for c in first.get("catalog", [])] or \
                infos[0]["of"] != env["shard"]["of"]:
            raise UsageError(f"{name}: another catalog or op selection than {names[0]}'s: not a shard of the same run")
    position = {op: i for i, op in enumerate(infos[0]["of"])}

    def gather(key: str, by_op=lambda d: d["op"]) -> list:
        items = [d for s in shards for d in s.get(key) or []]
        return sorted(items, key=lambda d: position.get(by_op(d), len(position)))  # stable: a shard's order stays

    results = sorted((r for s in shards for r in s["results"]),
                     key=lambda r: (r["op"], r["case"], r["framework"], r["api"], r["mode"], r.get("pass") or "forward",
                                    r.get("wrt") or ""))
    ops, hazards = gather("ops", lambda d: d["name"]), gather("hazards")
    environment = {k: v for k, v in first.items() if k != "shard"}
    environment["generated_at"] = max(s["environment"]["generated_at"] for s in shards)
    environment["framework_status"] = _status(shards)
    merged = dict(shards[0])
    merged.update(environment=environment, ops=ops, results=results, pairwise=gather("pairwise"), hazards=hazards,
                  stale_known=gather("stale_known"), interrupted=any(s.get("interrupted") for s in shards),
                  summary=summary(hazards, results, ops),
                  timing={"shards": [s.get("timing") for s in shards],
                          "total_s": max((s.get("timing") or {}).get("total_s", 0.0) for s in shards)})
    tasks = [s.get("summary", {}).get("tasks") or {} for s in shards]
    merged["summary"]["tasks"] = {k: sum(t.get(k, 0) for t in tasks) for k in ("executed", "cached")}
    return merged


def _status(shards: list[dict]) -> dict:
    """Each backend's status over the shards: the first that was not ready (else ready), restarts summed."""
    out: dict[str, dict] = {}
    for s in shards:
        for b, st in (s["environment"].get("framework_status") or {}).items():
            seen = out.setdefault(b, dict(st, restarts=0))
            if seen["status"] == "ready" and st["status"] != "ready":
                seen.update(status=st["status"], message=st["message"])
            seen["restarts"] += st.get("restarts", 0)
    return out
