"""The version matrix: merge result shards, find drift between framework versions, diff two reports.

A *shard* is an ordinary JSON report written by ``portability run`` (typically one framework, one
version, one tox environment or CI job). Its ``environment.frameworks`` records the versions it
ran, so shards from any machine merge the same way. Merging gives one matrix whose columns are
``framework@version``; for two versions of one framework it records *drift*, per op:

- ``outputs``: an API's error against the float64 reference moved by more than the tolerance
  (which means its outputs moved at least that much: the reference and the inputs are the same
  for the same seed), or its shape, dtype, NaN/Inf placement or within-tolerance verdict changed;
- ``support``: an API became supported or unsupported (aligned-mode status ok <-> unsupported);
- ``status``: any other status change (ok -> error, crash, timeout, ...);
- ``hazard_appeared`` / ``hazard_disappeared`` / ``hazard_changed`` (severity);
- ``coverage``: an API or case ran in one version only (usually a catalog difference);

and, separately, ``default_changes``: the live default of a semantic parameter (read from the API's
signature by each shard) differs between the two versions.

``diff_reports`` compares two reports by hazard identity ``(op, kind, sorted apis, param, pass)`` and case
(``unit_cases``): a new diverging case of an API that already had a hazard is new, and a backward hazard is
never the same as a forward one (a report before format 3 has forward hazards only).
Pure functions on report dicts; nothing here imports a framework.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from pathlib import Path

from portability.cells import cell_state
from portability.hazards import SEVERITY_ORDER, per_case
from portability.report.jsonio import FORMAT_VERSION, pass_of
from portability.report.validate import report_kind

DRIFT_KINDS = ("outputs", "support", "status", "hazard_appeared", "hazard_disappeared", "hazard_changed",
               "coverage")


# ---------------------------------------------------------------------------------------------
# hazard identity and diff


def hazard_key(h: dict) -> tuple:
    """The stable identity of a hazard across runs: (op, kind, sorted apis, param, pass)."""
    return (h["op"], h["kind"], tuple(sorted(h.get("apis") or ())), h.get("param") or "", pass_of(h))


def unit_cases(h: dict) -> list[str]:
    """The cases a hazard is a fact about, one diff unit each; [""] for a hazard about a default
    (its cases only say where the effect showed) or one without cases. A case name carries its
    dtype (`case@float16` in a dtype sweep), so a unit is down to case and dtype."""
    return list(dict.fromkeys(h.get("cases") or ())) if per_case(h["kind"]) and h.get("cases") else [""]


def hazard_units(h: dict, key=hazard_key) -> list[tuple]:
    """(identity, case) per case of the hazard: what diff, --baseline and the plugin compare."""
    k = key(h)
    return [(k, c) for c in unit_cases(h)]


def key_text(key: tuple, cases=()) -> str:
    op, kind, apis, param, pass_ = key
    return (f"{op}/{kind}/{'+'.join(apis)}" + (f"/{param}" if param else "")
            + ("/backward" if pass_ == "backward" else "") + (f"@{','.join(cases)}" if cases else ""))


def match_units(old: list[dict], new: list[dict], key=hazard_key):
    """Two lists of hazards compared unit by unit (identity and case).

    Returns (added, removed, pairs): ``added`` are (new hazard, its cases that ``old`` lacks),
    ``removed`` (old hazard, its cases that ``new`` lacks), ``pairs`` (old, new) hazards sharing a unit.
    A hazard that gained a case is in ``added`` with that case and in ``pairs`` for the rest."""
    def units(hs):
        return {u: h for h in hs for u in hazard_units(h, key)}

    uo, un = units(old), units(new)

    def grouped(mine, other):
        out: dict[int, tuple] = {}
        for u, h in mine.items():
            if u not in other:
                out.setdefault(id(h), (h, []))[1].append(u[1])
        return [(h, [c for c in cases if c]) for h, cases in out.values()]

    pairs = {(id(uo[u]), id(un[u])): (uo[u], un[u]) for u in un if u in uo}
    return grouped(un, uo), grouped(uo, un), list(pairs.values())


def _checked_in(report: dict, h: dict, cases=()) -> bool:
    """Whether ``report`` ran the op, every framework of hazard ``h`` and the cases (else absence proves nothing)."""
    ops = {o["name"]: o for o in report.get("ops", [])}
    fws = {f for f, v in (report.get("environment", {}).get("frameworks") or {}).items() if v}
    if h["op"] not in ops or not all(f in fws for f in h.get("frameworks") or ()):
        return False
    ran = {c.get("name") for c in ops[h["op"]].get("cases") or () if isinstance(c, dict)}
    return not ran or all(c in ran for c in cases)


def _metric(h: dict, name: str):
    d = h.get("divergence") or {}
    v = d.get(name)
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def diff_reports(old: dict, new: dict) -> dict:
    """New, fixed and changed hazards from ``old`` to ``new``, compared per case (see ``unit_cases``).

    new: a hazard with cases not in ``old`` and not known (a known catalog hazard is never new);
    ``diff_cases`` lists those cases, so a new diverging case of an API that already had a hazard
    is new. fixed: cases of an ``old`` hazard gone from ``new``, where ``new`` ran that op, case and
    all the hazard's frameworks. unchecked: gone, but ``new`` did not run them. changed: a hazard
    sharing cases with an old one, with another severity, known flag, summary or divergence metrics;
    each entry is the new hazard plus ``before`` (the old one's fields) and ``changes`` (field names).
    """
    out = {"new": [], "fixed": [], "changed": [], "unchecked": [], "known_new": []}
    added, removed, pairs = match_units(old.get("hazards", []), new.get("hazards", []))
    for h, cases in added:
        out["known_new" if h.get("known") else "new"].append(_with_id(h, cases))
    for h, cases in removed:
        if not cases:
            out["fixed" if _checked_in(new, h) else "unchecked"].append(_with_id(h, []))
            continue
        for status, checked in (("fixed", True), ("unchecked", False)):
            part = [c for c in cases if _checked_in(new, h, [c]) is checked]
            if part:
                out[status].append(_with_id(h, part))
    for o, h in pairs:
        changes = [f for f in ("severity", "known", "summary") if o.get(f) != h.get(f)]
        for m in ("max_abs_error", "max_ulp", "mismatch_fraction"):
            a, b = _metric(o, m), _metric(h, m)
            if (a is None) != (b is None) or (a is not None and not math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)):
                changes.append(m)
        if changes:
            shared = [c for c in unit_cases(h) if c and c in unit_cases(o)]
            entry = _with_id(h, shared)
            entry["before"] = {f: o.get(f) for f in ("severity", "known", "summary", "divergence")}
            entry["changes"] = changes
            out["changed"].append(entry)
    for lst in out.values():
        lst.sort(key=lambda h: (SEVERITY_ORDER.get(h.get("severity"), 3), h["op"], h["kind"], h["id"]))
    out["counts"] = {k: len(v) for k, v in out.items()}
    out["old"] = _env_brief(old)
    out["new_report"] = _env_brief(new)
    return out


def _with_id(h: dict, cases: list[str]) -> dict:
    """The hazard with its diff ``id`` and ``diff_cases``: the cases this entry is about ([]: the whole hazard)."""
    return dict(h, id=key_text(hazard_key(h), cases), diff_cases=list(cases))


def _env_brief(report: dict) -> dict:
    env = report.get("environment", {})
    return {"frameworks": env.get("frameworks", {}), "seed": env.get("seed"), "platform": env.get("platform")}


def diff_table(d: dict) -> str:
    from tabulate import tabulate

    rows = []
    for status in ("new", "fixed", "changed", "unchecked"):
        for h in d.get(status, []):
            summary = h.get("summary", "")
            if status == "changed":
                summary = f"[{', '.join(h['changes'])}] " + summary
                if "severity" in h["changes"]:
                    summary = f"severity {h['before']['severity']} -> {h['severity']}; " + summary
            rows.append([status, h.get("severity", ""), h["kind"], h["op"], _short_apis(h.get("apis") or []),
                         _clip(", ".join(h.get("diff_cases") or []), 40), _clip(summary, 110)])
    counts = d.get("counts") or {k: len(d.get(k, [])) for k in ("new", "fixed", "changed", "unchecked")}
    tail = (f"{counts.get('new', 0)} new, {counts.get('fixed', 0)} fixed, {counts.get('changed', 0)} changed"
            + (f", {counts['unchecked']} not checked by the new report" if counts.get("unchecked") else "")
            + (f" ({counts['known_new']} new but known, not counted)" if counts.get("known_new") else ""))
    if not rows:
        return "no hazard differences\n" + tail
    return tabulate(rows, headers=["", "severity", "kind", "op", "apis", "cases", "summary"]) + "\n" + tail


def _short_apis(apis: list[str]) -> str:
    return _clip(", ".join(apis), 60)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


# ---------------------------------------------------------------------------------------------
# merge


def version_key(version: str) -> tuple:
    """Sort key for version strings (PEP 440 when ``packaging`` is there, else numeric runs)."""
    try:
        from packaging.version import InvalidVersion, Version

        try:
            return (0, Version(version))
        except InvalidVersion:
            pass
    except ImportError:  # pragma: no cover - packaging ships with pip/setuptools
        pass
    return (1, tuple(int(x) for x in re.findall(r"\d+", version)), version)


def column_id(framework: str, version: str) -> str:
    return f"{framework}@{version}"


def merge_reports(shards: list[dict], names: list[str] | None = None) -> dict:
    """One matrix from result shards; columns are framework@version (first shard wins a duplicate)."""
    names = names or [f"shard{i}" for i in range(len(shards))]
    columns: dict[str, dict] = {}
    shard_info, warnings = [], []
    for i, shard in enumerate(shards):
        if report_kind(shard) != "run" or "results" not in shard:
            from portability.errors import UsageError

            raise UsageError(f"{names[i]}: not a result shard (a merged matrix or another file); "
                             "merge the reports written by `portability run`")
        env = shard.get("environment", {})
        cols = []
        for fw, ver in (env.get("frameworks") or {}).items():
            if not ver:
                continue
            cid = column_id(fw, ver)
            if cid in columns:
                columns[cid]["also_in"].append(names[i])
                continue
            columns[cid] = {"id": cid, "framework": fw, "version": ver, "shard": i, "source": names[i], "also_in": []}
            cols.append(cid)
        shard_info.append({
            "source": names[i], "columns": cols,
            "frameworks": env.get("frameworks", {}), "platform": env.get("platform"), "python": env.get("python"),
            "seed": env.get("seed"), "portability": env.get("portability"),
            "catalog": env.get("catalog", []), "argv": env.get("argv", []),
            "total_s": (shard.get("timing") or {}).get("total_s"),
        })
    seeds = {s["seed"] for s in shard_info}
    outputs_comparable = len(seeds) <= 1
    if not outputs_comparable:
        warnings.append(f"shards ran with different seeds {sorted(seeds, key=str)}: output drift is not compared")
    catalogs: dict[tuple, list[str]] = {}
    for s in shard_info:
        catalogs.setdefault(tuple(sorted((c.get("path"), c.get("sha256")) for c in s["catalog"])), []).append(s["source"])
    if len(catalogs) > 1:
        groups = " vs ".join("[" + ", ".join(Path(n).name for n in g) + "]" for g in catalogs.values())
        warnings.append(f"shards ran different catalog files (paths or hashes differ: {groups}); drift is only "
                        "meaningful between shards of one catalog, and `coverage` drift may be a catalog change")

    # framework groups, versions sorted oldest first
    by_fw: dict[str, list[str]] = defaultdict(list)
    for cid, c in columns.items():
        by_fw[c["framework"]].append(cid)
    fw_order = list(dict.fromkeys(c["framework"] for c in columns.values()))
    ordered = []
    for fw in fw_order:
        by_fw[fw].sort(key=lambda cid: version_key(columns[cid]["version"]))
        ordered += by_fw[fw]
    column_list = [columns[c] for c in ordered]

    # per column: its shard's op descriptions, results and hazards for that framework
    views = {cid: _ColumnView(shards[c["shard"]], c["framework"]) for cid, c in columns.items()}
    op_meta: dict[str, dict] = {}
    for shard in shards:
        for o in shard.get("ops", []):
            op_meta.setdefault(o["name"], {"name": o["name"], "category": o.get("category", ""),
                                           "summary": o.get("summary", ""), "path": o.get("path", "")})

    ops_out, all_drift, all_defaults = [], [], []
    for name, meta in op_meta.items():
        cells = {cid: views[cid].cell(name) for cid in ordered}
        drift, defaults = [], []
        for fw in fw_order:
            vs = by_fw[fw]
            for a, b in zip(vs, vs[1:]):
                va, vb = views[a], views[b]
                if not (va.has_op(name) and vb.has_op(name)):
                    continue
                drift += _result_drift(name, fw, a, b, va, vb, outputs_comparable)
                drift += _hazard_drift(name, fw, a, b, va, vb)
                defaults += _default_changes(name, fw, a, b, va, vb)
        ops_out.append(dict(meta, cells=cells, drift=drift, default_changes=defaults))
        all_drift += drift
        all_defaults += defaults

    frameworks = {fw: [columns[c]["version"] for c in by_fw[fw]] for fw in fw_order}
    summary = {
        "shards": len(shards),
        "columns": len(ordered),
        "ops": len(ops_out),
        "frameworks_with_several_versions": [fw for fw, vs in frameworks.items() if len(vs) > 1],
        "drift": len(all_drift),
        "drift_by_kind": _count(d["kind"] for d in all_drift),
        "ops_with_drift": sorted({d["op"] for d in all_drift} | {d["op"] for d in all_defaults}),
        "default_changes": len(all_defaults),
    }
    return {
        "format_version": FORMAT_VERSION,
        "report": "matrix",
        "columns": column_list,
        "frameworks": frameworks,
        "shards": shard_info,
        "warnings": warnings,
        "summary": summary,
        "ops": ops_out,
        "drift": all_drift,
        "default_changes": all_defaults,
    }


def _count(items) -> dict:
    out: dict = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return out


class _ColumnView:
    """One framework's part of one shard, indexed by op."""

    def __init__(self, shard: dict, fw: str):
        self.fw = fw
        self.ops = {o["name"]: o for o in shard.get("ops", [])}
        self.results: dict[str, dict[tuple, dict]] = defaultdict(dict)
        for r in shard.get("results", []):
            if r.get("framework") == fw:
                self.results[r["op"]][(r["api"], r["case"], r["mode"], pass_of(r), r.get("wrt") or "")] = r
        self.hazards: dict[str, list[dict]] = defaultdict(list)
        for h in shard.get("hazards", []):
            if fw in (h.get("frameworks") or ()):
                self.hazards[h["op"]].append(h)

    def has_op(self, op: str) -> bool:
        return op in self.ops

    def fw_key(self, h: dict) -> tuple:
        """A hazard's identity restricted to this framework's APIs (other frameworks may be in other shards)."""
        mine = tuple(sorted(a for a in h.get("apis") or () if a.split(":", 1)[0] == self.fw))
        return (h["kind"], mine, h.get("param") or "", pass_of(h))

    def live_defaults(self, op: str) -> dict[str, dict]:
        return {a["api"]: {"live": a.get("live_defaults") or {}, "documented": a.get("documented_defaults") or {},
                           "call": a.get("call", "")}
                for a in self.ops.get(op, {}).get("apis", []) if a.get("framework") == self.fw}

    def cell(self, op: str) -> dict:
        if op not in self.ops:
            return {"state": "not-run", "label": "not run"}
        rs = list(self.results.get(op, {}).values())
        if not rs:
            return {"state": "none", "label": "no API"}
        statuses = _count(r["status"] for r in rs)
        hz = self.hazards.get(op, [])
        open_ = [h for h in hz if not h.get("known")]
        aligned = [r for r in rs if r["mode"] == "aligned" and r["status"] == "ok" and pass_of(r) == "forward"]
        errs = [r["max_abs_error"] for r in aligned if isinstance(r.get("max_abs_error"), (int, float))]
        cell = cell_state(rs, hz, True)  # the one rule the terminal and the run page use
        return {
            "state": cell.state,
            "label": cell.label,
            "results": statuses,
            "max_abs_error": max(errs) if errs else None,
            "hazards": [{"kind": h["kind"], "severity": h["severity"], "known": bool(h.get("known")),
                         "summary": h.get("summary", ""), "param": h.get("param")} for h in hz],
            "known": len(hz) - len(open_),
        }


def _threshold(ra: dict, rb: dict) -> float | None:
    """How far the max abs error may move before the outputs count as changed: atol + rtol * |reference|
    (0 for a result compared exactly: an ok result without tolerances is an integer, index or bool one)."""
    tols = [(r.get("atol"), r.get("rtol"), (r.get("worst") or {}).get("expected")) for r in (ra, rb)]
    best = None
    for atol, rtol, expected in tols:
        if atol is None and rtol is None:
            best = 0.0 if best is None else best
            continue
        if not isinstance(atol, (int, float)) or not isinstance(rtol, (int, float)):
            continue
        mag = abs(expected) if isinstance(expected, (int, float)) and math.isfinite(expected) else 0.0
        t = atol + rtol * mag
        best = t if best is None else max(best, t)
    return best


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return repr(v) if v is not None else "-"


def _outputs_change(ra: dict, rb: dict) -> tuple[str, float | None] | None:
    """(what changed, |delta max abs error|) between two ok results of one API/case/mode, or None."""
    reasons = []
    if ra.get("output_shape") != rb.get("output_shape"):
        reasons.append(f"shape {ra.get('output_shape')} -> {rb.get('output_shape')}")
    if ra.get("output_dtype") != rb.get("output_dtype"):
        reasons.append(f"dtype {ra.get('output_dtype')} -> {rb.get('output_dtype')}")
    if ra.get("nonfinite_equal") != rb.get("nonfinite_equal"):
        reasons.append(f"NaN/Inf placement matches the reference: {ra.get('nonfinite_equal')} -> "
                       f"{rb.get('nonfinite_equal')}")
    ea, eb = ra.get("max_abs_error"), rb.get("max_abs_error")
    delta = None
    if isinstance(ea, (int, float)) and isinstance(eb, (int, float)) and math.isfinite(ea) and math.isfinite(eb):
        delta = abs(ea - eb)
        thr = _threshold(ra, rb)
        if thr is not None and delta > thr:
            reasons.append(f"max abs error vs the float64 reference {_fmt(ea)} -> {_fmt(eb)} "
                           f"(moved {delta:.3g} > tolerance {thr:.3g})")
    if ra.get("within_tolerance") != rb.get("within_tolerance") and not reasons:
        reasons.append(f"within tolerance: {ra.get('within_tolerance')} -> {rb.get('within_tolerance')} "
                       f"(max abs error {_fmt(ea)} -> {_fmt(eb)})")
    elif ra.get("within_tolerance") != rb.get("within_tolerance"):
        reasons.append(f"within tolerance: {ra.get('within_tolerance')} -> {rb.get('within_tolerance')}")
    return ("; ".join(reasons), delta) if reasons else None


def _result_drift(op, fw, a, b, va: _ColumnView, vb: _ColumnView, outputs_comparable: bool) -> list[dict]:
    ra_all, rb_all = va.results.get(op, {}), vb.results.get(op, {})
    grouped: dict[tuple, dict] = {}

    def add(kind, api, case, mode, detail, before=None, after=None, delta=None):
        g = grouped.setdefault((kind, api, detail if kind != "outputs" else ""), {
            "op": op, "framework": fw, "from": a, "to": b, "kind": kind, "api": api,
            "cases": [], "modes": [], "detail": detail, "before": before, "after": after, "max_delta": None,
            "examples": []})
        if case not in g["cases"]:
            g["cases"].append(case)
        if mode not in g["modes"]:
            g["modes"].append(mode)
        if kind == "outputs":
            g["examples"].append(f"{case}/{mode}: {detail}")
            if delta is not None and (g["max_delta"] is None or delta > g["max_delta"]):
                g["max_delta"] = delta
                g["detail"] = f"{case}/{mode}: {detail}"

    for key in list(dict.fromkeys(list(ra_all) + list(rb_all))):
        api, case, mode, pass_, wrt = key
        if pass_ == "backward":  # the backward pass shows as its own api: "<api> d/d<wrt>"
            api = f"{api} d/d{wrt}"
        ra, rb = ra_all.get(key), rb_all.get(key)
        if ra is None or rb is None:
            add("coverage", api, case, mode, f"ran in {a if rb is None else b} only")
            continue
        sa, sb = ra["status"], rb["status"]
        if "not_installed" in (sa, sb):
            continue
        if sa != sb:
            if {sa, sb} == {"ok", "unsupported"}:
                if sb == "unsupported":
                    detail = "became unsupported" + (f": {rb.get('message')}" if rb.get("message") else "")
                else:
                    detail = "became supported" + (f" (was: {ra.get('message')})" if ra.get("message") else "")
                add("support", api, case, mode, detail, sa, sb)
            else:
                msg = rb.get("message") or ra.get("message") or ""
                add("status", api, case, mode, f"{sa} -> {sb}" + (f": {_clip(msg, 160)}" if msg else ""), sa, sb)
            continue
        if sa == "ok" and outputs_comparable:
            ch = _outputs_change(ra, rb)
            if ch:
                add("outputs", api, case, mode, ch[0], ra.get("max_abs_error"), rb.get("max_abs_error"), ch[1])
    out = []
    for g in grouped.values():
        g["examples"] = g["examples"][:5]
        out.append(g)
    return out


def _hazard_drift(op, fw, a, b, va: _ColumnView, vb: _ColumnView) -> list[dict]:
    """Hazards of one framework that appeared, disappeared or changed severity, per case (as in a diff)."""
    added, removed, pairs = match_units(va.hazards.get(op, []), vb.hazards.get(op, []), key=va.fw_key)
    out = []

    def rec(kind, h, cases, detail, before=None, after=None):
        out.append({"op": op, "framework": fw, "from": a, "to": b, "kind": kind, "api": ", ".join(h.get("apis") or []),
                    "cases": list(cases or h.get("cases") or []), "modes": [], "detail": detail, "before": before,
                    "after": after, "hazard_kind": h["kind"], "severity": h.get("severity"),
                    "known": bool(h.get("known")), "param": h.get("param"), "max_delta": None, "examples": []})

    for h, cases in added:
        on = f" on {', '.join(cases)}" if cases else ""
        rec("hazard_appeared", h, cases, f"{h['kind']} ({h.get('severity')}) appeared in {b}{on}: "
            f"{h.get('summary', '')}", None, h.get("severity"))
    for o, h in pairs:
        if o.get("severity") != h.get("severity"):
            rec("hazard_changed", h, None, f"{h['kind']} severity {o.get('severity')} -> {h.get('severity')}: "
                f"{h.get('summary', '')}", o.get("severity"), h.get("severity"))
    for h, cases in removed:
        on = f" on {', '.join(cases)}" if cases else ""
        rec("hazard_disappeared", h, cases, f"{h['kind']} ({h.get('severity')}) of {a} is gone in {b}{on}: "
            f"{h.get('summary', '')}", h.get("severity"), None)
    return out


def _same(x, y) -> bool:
    if isinstance(x, bool) or isinstance(y, bool):
        return x is y
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return len(x) == len(y) and all(_same(p, q) for p, q in zip(x, y))
    return x == y


def _default_changes(op, fw, a, b, va: _ColumnView, vb: _ColumnView) -> list[dict]:
    da, db = va.live_defaults(op), vb.live_defaults(op)
    out = []
    for api in [x for x in da if x in db]:
        la, lb = da[api]["live"], db[api]["live"]
        for p in list(dict.fromkeys(list(la) + list(lb))):
            before, after = la.get(p), lb.get(p)
            if p in la and p in lb and _same(before, after):
                continue
            note = ""
            if p not in la:
                note = f"not read in {a}"
            elif p not in lb:
                note = f"not read in {b}"
            documented = db[api]["documented"].get(p, da[api]["documented"].get(p))
            out.append({"op": op, "framework": fw, "api": api, "param": p, "from": a, "to": b,
                        "before": before, "after": after, "documented": documented, "note": note,
                        "detail": f"{api} default {p}: {before!r} in {a} -> {after!r} in {b}"
                                  + (f" ({note})" if note else "")})
    return out


def merge_summary(merged: dict) -> str:
    s = merged["summary"]
    lines = [f"merged {s['shards']} shard(s): {s['columns']} column(s) "
             f"({', '.join(c['id'] for c in merged['columns'])}), {s['ops']} op(s)"]
    several = s["frameworks_with_several_versions"]
    if not several:
        lines.append("no framework has two versions: nothing to compare for drift")
    else:
        lines.append(f"compared versions of {', '.join(several)}: {s['drift']} drift record(s)"
                     + (f" ({', '.join(f'{k} {v}' for k, v in s['drift_by_kind'].items())})" if s["drift"] else "")
                     + f", {s['default_changes']} default value change(s)")
    for w in merged.get("warnings", []):
        lines.append(f"warning: {w}")
    shown = 0
    for d in merged["default_changes"]:
        if shown >= 15:
            break
        lines.append(f"  default  {d['op']}: {d['detail']}")
        shown += 1
    for d in merged["drift"]:
        if shown >= 15:
            break
        lines.append(f"  {d['kind']:<8} {d['op']}: {d['framework']} {d['from']} -> {d['to']}: {d['api']}: "
                     f"{_clip(d['detail'], 140)}")
        shown += 1
    rest = len(merged["drift"]) + len(merged["default_changes"]) - shown
    if rest > 0:
        lines.append(f"  ... and {rest} more (see the HTML/JSON)")
    return "\n".join(lines)
