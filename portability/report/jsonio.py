"""The JSON report: a contract. Keep these keys; add freely, and bump FORMAT_VERSION when a key changes.

FORMAT_VERSION history (one version for both kinds of report: a run report and a merged matrix):
  1: environment, ops, results, pairwise, hazards, stale_known, timing.
  2: a top-level ``report``: "run" (``portability run``) or "matrix" (``portability merge``, which wrote
     ``"kind": "portability-matrix"`` before); readers tell version-1 files apart by that ``kind``.
     ``stale_known`` entries say which part of a known record matched nothing (``part``, ``unmatched``,
     ``detail``), and known records carry their scope (``cases``, ``dtypes``, ``modes``).
  3: the backward pass. Results and pairwise records carry ``pass`` ("forward" or "backward") and ``wrt``
     (the input a backward record differentiates, else null); hazards carry ``pass`` (part of their identity,
     so a diff tells a forward hazard from a backward one); known records and stale entries carry ``passes``;
     ``environment`` gains ``passes``, ``inference_only`` (backend -> why it runs no backward pass) and
     ``gradient_reference``; ``summary`` gains ``hazards_by_pass``; ops gain ``differentiable`` and a ``wrt``
     list per case. Readers take a record without ``pass`` (versions 1 and 2) as forward.
  (3, added) ``notes``: divergences from the reference that the dtype explains (``hazards.Note``: a value beyond
     the dtype's range, or a divergence every framework that ran shares); they are never hazards.
Readers (``read``) accept every version in ``validate.READABLE_VERSIONS`` and check the keys they use.
"""

from __future__ import annotations

import copy
import json
import math
import os
import tempfile
from dataclasses import fields, is_dataclass
from pathlib import Path

FORMAT_VERSION = 3


def to_dict(report) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "report": "run",
        "environment": report.environment,
        "summary": summary(report.hazards, report.results, report.ops),
        "ops": report.ops,
        "results": [record(r) for r in report.results],
        "pairwise": [record(p) for p in report.pairwise],
        "hazards": [_hazard(h) for h in report.hazards],
        "stale_known": report.stale_known,
        "timing": report.timing,
        "interrupted": report.interrupted,  # a partial report: the run was stopped (Ctrl-C) before it finished
        "notes": [record(n) for n in report.notes],  # divergences the dtype explains (hazards.notes): no hazards
    }


def record(obj) -> dict:
    """A record as JSON wants it: its ``pass_`` field (a Python keyword cannot name a field) written ``pass``."""
    d = plain(obj)
    if "pass_" in d:
        d["pass"] = d.pop("pass_")
    return d


_ATOMS = (str, int, float, bool, type(None))


def plain(obj):
    """``dataclasses.asdict`` for our records, without its generic deep copy (a run has ~10^6 values to convert):
    a dataclass becomes a dict of its fields, lists, tuples and dicts keep their type, anything else is copied."""
    if type(obj) in _ATOMS:
        return obj
    names = _FIELDS.get(type(obj))
    if names is None and is_dataclass(obj) and not isinstance(obj, type):
        names = _FIELDS[type(obj)] = tuple(f.name for f in fields(obj))
    if names is not None:
        return {n: plain(getattr(obj, n)) for n in names}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*[plain(v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return type(obj)(plain(v) for v in obj)
    if isinstance(obj, dict):
        return type(obj)((plain(k), plain(v)) for k, v in obj.items())
    return copy.deepcopy(obj)


_FIELDS: dict[type, tuple[str, ...]] = {}


def pass_of(d: dict) -> str:
    """The pass of a result, pairwise record or hazard read from a report (reports before version 3: forward)."""
    return d.get("pass") or "forward"


def _hazard(h) -> dict:
    d = record(h)
    d["frameworks"], d["apis"], d["cases"] = list(h.frameworks), list(h.apis), list(h.cases)
    d["recipes"] = [plain(r) | {"verified": r.verified} for r in h.recipes]
    return d


def _field(record, name: str):
    return record.get(name) if isinstance(record, dict) else getattr(record, name, None)


def summary(hazards, results, ops) -> dict:
    by_kind, by_severity, by_pass = {}, {}, {}
    for h in hazards:
        key = h.kind if not isinstance(h, dict) else h["kind"]
        sev = h.severity if not isinstance(h, dict) else h["severity"]
        pass_ = h.pass_ if not isinstance(h, dict) else pass_of(h)
        by_kind[key] = by_kind.get(key, 0) + 1
        by_severity[sev] = by_severity.get(sev, 0) + 1
        by_pass.setdefault(pass_, {"hazards": 0, "known": 0, "by_kind": {}})
        by_pass[pass_]["hazards"] += 1
        by_pass[pass_]["known"] += bool(h.known if not isinstance(h, dict) else h.get("known"))
        by_pass[pass_]["by_kind"][key] = by_pass[pass_]["by_kind"].get(key, 0) + 1
    by_status = {}
    for r in results:
        s = r.status if not isinstance(r, dict) else r["status"]
        by_status[s] = by_status.get(s, 0) + 1
    mismatches = [h for h in hazards if _field(h, "kind") == "default_argument_mismatch"]
    recipes = [r for h in mismatches for r in (_field(h, "recipes") or [])]
    return {
        "ops": len(ops),
        "cases": sum(len(o["cases"]) for o in ops),
        "results": len(results),
        "results_by_status": by_status,
        "hazards": len(hazards),
        "hazards_by_kind": by_kind,
        "hazards_by_severity": by_severity,
        # default mismatches whose every port recipe ran and made its target agree with its source
        "recipes": {"default_mismatches": len(mismatches),
                    "verified": sum(bool(_field(h, "fix_verified")) for h in mismatches),
                    "recipes": len(recipes),
                    "recipes_verified": sum(bool(_field(r, "verified")) for r in recipes)},
        "hazards_by_pass": by_pass,
    }


def clean(obj):
    """JSON has no NaN/Inf: non-finite floats become strings, tuples lists."""
    t = type(obj)
    if t is str or t is int or t is bool or obj is None:  # most values: returned before any isinstance check
        return obj
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    return obj


def dumps(data: dict) -> str:
    return json.dumps(clean(data), separators=(",", ":"), default=repr)  # compact: reports run to megabytes


def write_atomic(path: str | Path, text: str) -> None:
    """Write to a temporary file beside the target, then rename: readers never see half a report."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write(report_dict: dict, path: str | Path) -> None:
    write_atomic(path, dumps(report_dict))


def read(path: str | Path, want: str | None = "run") -> dict:
    """A report of kind ``want`` ("run", "matrix", None for either), checked by ``validate.check``.

    A file that is not a readable report raises ``validate.ReportError`` (a UsageError: one line,
    exit 2); one that cannot be opened raises OSError."""
    from portability.report.validate import ReportError, check

    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ReportError(path, None, "not a JSON report (not UTF-8 text)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        ends_early = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        what = "JSON that ends early (a truncated file?)" if ends_early else "not JSON"
        raise ReportError(path, None, f"{what}: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    return check(data, path, want)
