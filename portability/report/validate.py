"""What a report file must hold before `diff`, `merge`, `run --baseline` or the pytest plugin read it.

One pure check. Every problem is one ``ReportError`` line naming the file and the key, so a reader
of a bad, truncated, foreign or too-new file sees what is wrong instead of a traceback.

Two kinds of report share the format: a *run* report (``portability run``, ``"report": "run"``) and
a merged *matrix* (``portability merge``, ``"report": "matrix"``). Files of format version 1 have no
``report`` field: there a matrix is told by its ``"kind": "portability-matrix"``, anything else is a
run report.
"""

from __future__ import annotations

from portability.errors import UsageError

READABLE_VERSIONS = (1, 2, 3)  # 3 added the backward pass (`pass`, `wrt`); older records are forward
REPORT_KINDS = ("run", "matrix")
_NAMES = {"run": "run report", "matrix": "merged matrix"}
_WRITTEN_BY = {"run": "`portability run`", "matrix": "`portability merge`"}

# Top-level keys each kind must have, with their JSON types.
REQUIRED = {
    "run": {"environment": dict, "ops": list, "results": list, "hazards": list},
    "matrix": {"columns": list, "frameworks": dict, "shards": list, "ops": list, "drift": list},
}
# What the readers use of each record (diff, merge, baseline, plugin); other keys are free to grow.
HAZARD_KEYS = {"op": str, "kind": str, "frameworks": list, "apis": list, "severity": str, "summary": str,
               "cases": list, "known": bool}
RESULT_KEYS = {"op": str, "case": str, "framework": str, "api": str, "mode": str, "status": str}
OP_KEYS = {"name": str}
_EXPECTED = {dict: "a mapping", list: "a list", str: "a string", bool: "true or false"}


class ReportError(UsageError):
    """A report file that cannot be read, located by file and key."""

    def __init__(self, path, key: str | None, message: str):
        self.path, self.key, self.detail = str(path), key, message
        super().__init__(f"{self.path}: " + (f"key '{key}': " if key else "") + message)


def report_kind(data: dict) -> str | None:
    """"run" or "matrix" (a version-1 file: told by its ``kind``); None when the file says neither."""
    if "report" in data:
        return data["report"] if data["report"] in REPORT_KINDS else None
    if data.get("format_version") == 1:
        return "matrix" if data.get("kind") == "portability-matrix" else "run"
    return None


def check(data, path, want: str | None = "run") -> dict:
    """``data`` when it is a readable report of kind ``want`` (either kind when None); else ReportError."""
    if not isinstance(data, dict):
        raise ReportError(path, None, f"not a portability JSON report (the top level is {_type_name(data)})")
    if "format_version" not in data:
        raise ReportError(path, None, "not a portability JSON report (no format_version)")
    version = data["format_version"]
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise ReportError(path, "format_version", f"report format_version {version!r} is not readable; "
                          f"this release reads {', '.join(map(str, READABLE_VERSIONS))}")
    if version >= 2 and "report" not in data:
        raise ReportError(path, "report", f"missing required key (one of: {', '.join(REPORT_KINDS)})")
    kind = report_kind(data)
    if kind is None:
        raise ReportError(path, "report", f"unknown report kind {data.get('report')!r} "
                          f"(known: {', '.join(REPORT_KINDS)})")
    if want is not None and kind != want:
        raise ReportError(path, "report", f"this is a {_NAMES[kind]} (written by {_WRITTEN_BY[kind]}), "
                          f"not a {_NAMES[want]}; give the file {_WRITTEN_BY[want]} wrote")
    for key, typ in REQUIRED[kind].items():
        _typed(path, key, data, key, typ)
    if kind == "run":
        _typed(path, "environment.frameworks", data["environment"], "frameworks", dict)
        _records(path, "hazards", data["hazards"], HAZARD_KEYS)
        _records(path, "results", data["results"], RESULT_KEYS)
        _records(path, "ops", data["ops"], OP_KEYS)
        for i, h in enumerate(data["hazards"]):
            for key in ("apis", "frameworks", "cases"):
                for j, item in enumerate(h[key]):
                    if not isinstance(item, str):
                        raise ReportError(path, f"hazards.{i}.{key}.{j}", f"expected a string, got {_type_name(item)}")
    return data


def _records(path, key: str, items: list, required: dict) -> None:
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ReportError(path, f"{key}.{i}", f"expected a mapping, got {_type_name(item)}")
        for k, typ in required.items():
            _typed(path, f"{key}.{i}.{k}", item, k, typ)


def _typed(path, where: str, mapping: dict, key: str, typ) -> None:
    if key not in mapping:
        raise ReportError(path, where, "missing required key")
    value = mapping[key]
    if not isinstance(value, typ) or (isinstance(value, bool) and typ is not bool):
        raise ReportError(path, where, f"expected {_EXPECTED[typ]}, got {_type_name(value)}")


def _type_name(value) -> str:
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)
