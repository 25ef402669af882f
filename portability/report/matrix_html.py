"""The version-matrix HTML page: a merged matrix dict in, one self-contained page out.

Pure (dict -> str): Jinja2 with autoescape, inline CSS, no scripts or external resources, so the
page works from file:// and as a CI artifact. Columns are framework@version, grouped by framework;
a cell shows that version's worst finding for the op; ops with drift between versions of one
framework are marked and listed with the evidence, and so are changed default values.
"""

from __future__ import annotations

import math
from pathlib import Path

import jinja2

_TEMPLATES = Path(__file__).with_name("templates")

SYMBOL = {"high": "\u2716", "medium": "\u25b2", "low": "\u25c6", "unsupported": "\u2298", "ok": "\u25cf",
          "none": "\u2013", "not-run": "\u00b7", "not-installed": "\u25cb"}
DRIFT_WORDS = {
    "outputs": "outputs changed", "support": "support changed", "status": "status changed",
    "hazard_appeared": "hazard appeared", "hazard_disappeared": "hazard disappeared",
    "hazard_changed": "hazard severity changed", "coverage": "ran in one version only",
}


def _num(v) -> str:
    if v is None:
        return "\u2013"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        return f"{v:.3g}"
    return str(v)


def _value(v) -> str:
    return "\u2013 (not read)" if v is None else repr(v)


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    env.filters["value"] = _value
    return env


def render(merged: dict) -> str:
    columns = merged.get("columns", [])
    groups = []
    for c in columns:
        if groups and groups[-1]["framework"] == c["framework"]:
            groups[-1]["span"] += 1
        else:
            groups.append({"framework": c["framework"], "span": 1})
    drift_cols: dict[str, set] = {}
    for op in merged.get("ops", []):
        marked = set()
        for d in op.get("drift", []) + op.get("default_changes", []):
            marked.update((d["from"], d["to"]))
        drift_cols[op["name"]] = marked
    return _env().get_template("matrix.html.j2").render(
        m=merged, columns=columns, groups=groups, symbol=SYMBOL, drift_words=DRIFT_WORDS, drift_cols=drift_cols,
        several=merged.get("summary", {}).get("frameworks_with_several_versions", []),
    )


def write(merged: dict, path) -> None:
    from portability.report.jsonio import write_atomic

    write_atomic(path, render(merged))
