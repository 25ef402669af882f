"""Diff two run reports (JSON) on what a run computes, ignoring timing: exit 0 when they agree, 1 when not.

A speed change must not change what a run computes. Before/after a change, run the same ops twice and diff:

    .venv/bin/python benchmarks/diff_reports.py before.json after.json

Compared: every result (status, dtypes, shapes, metrics, message), every pairwise record, every hazard (with its
recipes and repro snippets), stale known records, the op descriptions and the summary. Ignored: ``timing``, each
result's ``elapsed_s``, catalog paths' directories (runs from two checkouts), line numbers in
error messages' "(at FILE.py:LINE)", and the environment's timestamp, argv, framework status and compilation cache.
``--ignore-ops A,B`` leaves ops out (random creation ops: only JAX's draws are seeded, so their values and the
distances between them change from run to run while their hazards stay):

    .venv/bin/python benchmarks/diff_reports.py before.json after.json --ignore-ops rand_uniform,randn_normal
"""

from __future__ import annotations

import json
import os
import re
import sys

IGNORED_ENV = ("generated_at", "argv", "compilation_cache", "framework_status")


def _without(report: dict, ops: set) -> dict:
    if not ops:
        return report
    out = dict(report)
    for section in ("results", "pairwise", "hazards", "stale_known", "notes"):
        if isinstance(report.get(section), list):
            out[section] = [r for r in report[section] if not (isinstance(r, dict) and r.get("op") in ops)]
    if isinstance(report.get("ops"), list):
        out["ops"] = [o for o in report["ops"] if o.get("name") not in ops]
    out.pop("summary", None)  # counts over every op
    return out


def _strip(report: dict) -> dict:
    out = {k: v for k, v in report.items() if k != "timing"}
    out["environment"] = {k: v for k, v in report["environment"].items() if k not in IGNORED_ENV}
    out["results"] = sorted((_unlined(_key(r)), {k: v for k, v in r.items() if k != "elapsed_s"})
                            for r in report["results"])
    out["pairwise"] = sorted((_key(p), p) for p in report["pairwise"])
    return out


def _key(d: dict) -> str:
    return json.dumps({k: v for k, v in d.items() if k != "elapsed_s"}, sort_keys=True, default=str)


_AT_LINE = re.compile(r"\(at ([\w.]+\.py):\d+\)")


def _unlined(text: str) -> str:
    """An error message's "(at jax_.py:138)" without the line number: editing an adapter moves its lines."""
    return _AT_LINE.sub(r"(at \1)", text)


def _walk(a, b, path: str, out: list, limit: int = 20):
    if len(out) >= limit:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'after' if k not in a else 'before'}")
            elif k == "path" and isinstance(a[k], str) and isinstance(b[k], str):  # a catalog file in another checkout
                if os.path.basename(a[k]) != os.path.basename(b[k]):
                    out.append(f"{path}.{k}: {a[k]!r} != {b[k]!r}")
            else:
                _walk(a[k], b[k], f"{path}.{k}", out, limit)
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items before, {len(b)} after")
        for i, (x, y) in enumerate(zip(a, b)):
            _walk(x, y, f"{path}[{i}]", out, limit)
    elif isinstance(a, str) and isinstance(b, str):
        if _unlined(a) != _unlined(b):
            out.append(f"{path}: {a!r:.200} != {b!r:.200}")
    elif a != b and not (isinstance(a, float) and isinstance(b, float) and a != a and b != b):
        out.append(f"{path}: {a!r:.200} != {b!r:.200}")


def diff(before: dict, after: dict, ignore_ops: set = frozenset()) -> list[str]:
    out: list[str] = []
    _walk(_strip(_without(before, ignore_ops)), _strip(_without(after, ignore_ops)), "", out)
    return out


def main() -> int:
    args = sys.argv[1:]
    ignore: set = set()
    if "--ignore-ops" in args:
        i = args.index("--ignore-ops")
        ignore = set(args[i + 1].split(","))
        del args[i:i + 2]
    with open(args[0]) as f:
        before = json.load(f)
    with open(args[1]) as f:
        after = json.load(f)
    found = diff(before, after, ignore)
    for line in found:
        print(line)
    print(f"{len(before['results'])} results, {len(before['hazards'])} hazards: "
          + ("identical (ignoring timing)" if not found else f"{len(found)}+ differences"))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
