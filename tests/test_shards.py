"""`run --shard I/N` splits the catalog by measured cost, the same on every machine; `merge --run` joins the
shard reports of one run into the report an unsharded run gives (real NumPy and PyTorch runs)."""

from __future__ import annotations

import json

import pytest
from conftest import installed, run_cli

from portability.shards import load_costs, partition, shard_ops
from portability.spec import load_catalog

OPS = ["sum", "std", "abs", "argmax"]


def test_partition_balances_cost_not_count():
    costs = {"big": 10.0, "a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 1.0}
    parts = partition(list(costs), 2, costs)
    assert parts == [["big"], ["a", "b", "c", "d", "e"]]  # 10 vs 5: the count is 1 vs 5


def test_partition_is_deterministic_complete_and_ties_go_by_name():
    costs = {n: 1.0 for n in "edcba"}
    parts = partition(list("edcba"), 2, costs)
    assert parts == partition(list("edcba"), 2, dict(reversed(costs.items())))
    assert sorted(x for p in parts for x in p) == list("abcde")
    assert [sorted(p) for p in parts] == [["a", "c", "e"], ["b", "d"]]  # a, b, c, ... dealt to the lightest


def test_an_op_missing_from_the_table_costs_the_median():
    costs = {"a": 1.0, "b": 2.0, "c": 9.0}
    parts = partition(["a", "b", "c", "new"], 2, costs)
    assert parts == [["c"], ["a", "b", "new"]]  # new counts 2: 9 vs 1 + 2 + 2


def test_the_committed_table_splits_the_catalog_evenly():
    """Ops added since the table was measured count its median (dev/update_op_costs.py measures them)."""
    import statistics

    costs = load_costs()
    names = [op.name for op in load_catalog(None).ops]
    assert len(set(names) & set(costs)) >= len(costs) // 2, "the table should describe this catalog"
    cost = {n: costs.get(n, statistics.median(costs.values())) for n in names}
    loads = [sum(cost[n] for n in p) for p in partition(names, 4, costs)]
    assert max(loads) - min(loads) <= max(cost.values())
    assert sorted(x for i in range(1, 5) for x in shard_ops(names, i, 4)) == sorted(names)


@pytest.mark.skipif(not installed("torch"), reason="needs torch (the runs are real)")
def test_merged_shards_equal_the_unsharded_run(tmp_path):
    common = ["--ops", ",".join(OPS), "--frameworks", "numpy,torch", "--quiet", "--html", ""]
    whole = run_cli("run", *common, "--json", str(tmp_path / "whole.json"), "--cache-dir", str(tmp_path / "c1"))
    assert whole.returncode in (0, 1), whole.stderr
    shards = []
    for i in (1, 2, 3):
        path = tmp_path / f"shard{i}.json"
        done = run_cli("run", *common, "--shard", f"{i}/3", "--json", str(path), "--cache-dir", str(tmp_path / "c2"))
        assert done.returncode in (0, 1), done.stderr
        shards.append(path)
    ran = [json.loads(p.read_text())["environment"]["shard"]["ops"] for p in shards]
    assert all(ran) and sorted(x for r in ran for x in r) == sorted(OPS)
    merged = run_cli("merge", "--run", *map(str, reversed(shards)), "--json", str(tmp_path / "merged.json"),
                     "--html", str(tmp_path / "merged.html"))
    assert merged.returncode == 0, merged.stderr
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("whole.json", "merged.json"))
    assert a["summary"]["tasks"]["executed"] > 0 and a["summary"]["tasks"]["cached"] == 0
    for key in ("ops", "pairwise", "hazards", "stale_known", "summary", "interrupted", "format_version", "report"):
        assert a[key] == b[key], key
    assert [{k: v for k, v in r.items() if k != "elapsed_s"} for r in a["results"]] == \
           [{k: v for k, v in r.items() if k != "elapsed_s"} for r in b["results"]]
    assert any(h["recipes"] for h in a["hazards"]), "the subset should hold a port recipe"
    skip = ("generated_at", "argv", "compilation_cache")
    assert {k: v for k, v in a["environment"].items() if k not in skip} == \
           {k: v for k, v in b["environment"].items() if k not in skip}
    missing = run_cli("merge", "--run", str(shards[0]), str(shards[2]), "--json", str(tmp_path / "x.json"),
                      "--html", "")
    assert missing.returncode == 2 and "exactly once" in missing.stderr and len(missing.stderr.splitlines()) == 1
