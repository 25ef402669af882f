"""The self-contained HTML report: the JSON report dict in, one offline HTML page out.

``render`` is pure (dict -> str). Everything the page shows is derived here into a small view
model, so the Jinja2 template (autoescape on) stays declarative. The page works from file://
without network access: inline CSS, inline vanilla JS, no external resources. The core tables
render fully without JavaScript; JS adds filters, sorting, the porting view, the heatmap case
picker, copy buttons and deep-link expansion.

Size: results can be many thousands, so they are summarised per op (one compact grid, plus the
worst element of each divergent result); the pairwise records travel once, as compact JSON, for
the heatmap picker.

Passes: the matrix has a cell per op, framework and pass (forward outputs, backward gradients) and a
switch between the two views; an op section's results grid has a row per API, mode and, for the backward
pass, differentiated input, and its heatmaps compare gradients too.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import jinja2

from portability.hazards import SEVERITY_ORDER as SEVERITY_RANK
from portability.cells import cell_state
from portability.report.jsonio import clean, pass_of, write_atomic

SEVERITIES = ("high", "medium", "low")

# Matrix cell states: (rank for "worst" ordering, symbol, word). Symbol + word: never colour alone.
CELL_STATES = {
    "high": (6, "\u2716", "high"),
    "medium": (5, "\u25b2", "medium"),
    "low": (4, "\u25c6", "low"),
    "unsupported": (3, "\u2298", "unsupported"),
    "ok": (2, "\u25cf", "ok"),
    "not-expressible": (1, "\u25cc", "not expressible"),
    "none": (1, "\u2013", "no API"),
    "forward-only": (1, "\u2205", "forward only"),
    "not-installed": (0, "\u25cb", "not installed"),
}
PASSES = ("forward", "backward")
CELL_HELP = {
    "high": "at least one high-severity hazard involves this framework",
    "medium": "worst hazard is medium (unsupported case, dtype mismatch, error, timeout)",
    "low": "worst hazard is low (default drift, harmless default mismatch)",
    "unsupported": "every API of this framework is unsupported for this op",
    "ok": "ran and matched the float64 reference; no hazard",
    "not-expressible": "the framework has the op, but this checker cannot write the call yet (not a hazard)",
    "none": "no result for this framework (backward view: nothing to differentiate)",
    "forward-only": "backward view: this framework runs inference only (no backward pass)",
    "not-installed": "framework not installed (a worker that never started shows its crash or timeout)",
}

_TEMPLATES = Path(__file__).with_name("templates")


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.ChainableUndefined,  # tolerate older or partial report dicts
    )
    env.filters["num"] = fmt_num
    env.filters["pyrepr"] = pyrepr
    env.filters["safe_url"] = safe_url
    return env


def render(report: dict) -> str:
    """The HTML page for one JSON report dict (as ``jsonio.to_dict`` or ``jsonio.read`` gives it)."""
    model = build_model(report)
    return _squeeze(_env().get_template("report.html.j2").render(**model))


_PRE = re.compile(r"(<pre\b.*?</pre>|<code class=\"call1\">.*?</code>)", re.S)
_INDENT = re.compile(r"\n[ \t]+")


def _squeeze(text: str) -> str:
    """Drop template indentation (a sizeable share of a big page), never inside <pre> or pre-wrapped code."""
    parts = _PRE.split(text)
    return "".join(part if i % 2 else _INDENT.sub("\n", part) for i, part in enumerate(parts))


def write(report: dict, path) -> None:
    """Render and write atomically (readers never see half a page)."""
    write_atomic(path, render(report))


# ----------------------------------------------------------------------------- formatting


def _float(v):
    """A number from a report value: floats, ints, or the strings jsonio writes for non-finite floats."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and v.lower() in ("nan", "inf", "-inf", "infinity", "-infinity"):
        return float(v)
    return None


def fmt_num(v, digits: int = 3) -> str:
    if v is None:
        return "\u2013"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    f = _float(v)
    if f is None:
        return str(v)
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "0"
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return f"{f:.{digits}g}"


def pyrepr(v) -> str:
    """Python-like display of a parameter value (the catalog is Python-flavoured: True, None, 'same')."""
    if isinstance(v, float):
        return fmt_num(v, 6)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(pyrepr(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {pyrepr(x)}" for k, x in v.items()) + "}"
    return repr(v)


_URL_OK = re.compile(r"^https?://", re.IGNORECASE)


def safe_url(v) -> str | None:
    """Only http(s) links become hrefs; anything else (javascript:, data:) is shown as text."""
    return v if isinstance(v, str) and _URL_OK.match(v) else None


def script_json(data) -> str:
    """JSON safe inside <script type="application/json">: no '<', '>' or '&' survive literally, so neither
    '</script>' nor '<!--' in the data can end or confuse the script element."""
    text = json.dumps(clean(data), separators=(",", ":"), ensure_ascii=False, default=repr)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def slug(text: str) -> str:
    """An id-safe fragment (op names are usually identifiers already; keep them readable)."""
    s = re.sub(r"[^A-Za-z0-9_.:-]+", "_", str(text))
    return s or "_"


# ----------------------------------------------------------------------------- view model


def build_model(report: dict) -> dict:
    env = report.get("environment") or {}
    frameworks = list((env.get("frameworks") or {}).keys())
    fw_versions = env.get("frameworks") or {}
    fw_status = env.get("framework_status") or {}
    ops = report.get("ops") or []
    results = report.get("results") or []
    hazards = report.get("hazards") or []
    pairwise = report.get("pairwise") or []

    op_ids = {}
    for op in ops:
        base = "op-" + slug(op["name"])
        ident, n = base, 2
        while ident in op_ids.values():
            ident, n = f"{base}-{n}", n + 1
        op_ids[op["name"]] = ident
    category_of = {op["name"]: op.get("category") or "uncategorised" for op in ops}
    inference_only = env.get("inference_only") or {}

    # hazards: ids, grouping
    hz_by_op = defaultdict(list)
    hz_views = []
    for h in hazards:
        n = len(hz_by_op[h["op"]]) + 1
        hv = _hazard_view(h, f"hazard-{slug(h['op'])}-{n}", n, ops)
        hz_by_op[h["op"]].append(hv)
        hz_views.append(hv)

    # The page shows the backward pass in aligned mode (gradients of the calls as a careful port writes them);
    # the JSON report keeps the defaults-mode gradients too.
    res_by_op = defaultdict(list)
    for r in results:
        if pass_of(r) == "forward" or r["mode"] == "aligned":
            res_by_op[r["op"]].append(r)
    pw_by_op = defaultdict(list)
    for p in pairwise:
        if pass_of(p) == "forward" or p["mode"] == "aligned":
            pw_by_op[p["op"]].append(p)

    # matrix
    categories = list(dict.fromkeys(category_of[op["name"]] for op in ops))
    groups = []
    for cat in categories:
        rows = [_matrix_row(op, frameworks, fw_versions, res_by_op[op["name"]], hz_by_op[op["name"]], op_ids,
                            inference_only)
                for op in ops if category_of[op["name"]] == cat]
        groups.append({"category": cat, "id": "cat-" + slug(cat), "rows": rows,
                       "hazards": sum(r["hazards"] for r in rows),
                       "hazards_backward": sum(r["backward"]["hazards"] for r in rows)})

    # charts
    per_fw = {fw: Counter() for fw in frameworks}
    per_cat = {cat: Counter() for cat in categories}
    for h in hazards:
        for fw in dict.fromkeys(h.get("frameworks") or []):
            per_fw.setdefault(fw, Counter())[h["severity"]] += 1
        per_cat.setdefault(category_of.get(h["op"], "uncategorised"), Counter())[h["severity"]] += 1
    charts = [
        _bar_chart("Hazards per framework", "chart-fw", per_fw,
                   "A hazard that involves several frameworks counts once for each of them."),
        _bar_chart("Hazards per category", "chart-cat", per_cat, "Each hazard counts once, under its op's category."),
    ]

    # op sections + heatmap data
    op_views, heat_data = [], {}
    for op in ops:
        ov, heat = _op_view(op, op_ids[op["name"]], hz_by_op[op["name"]], res_by_op[op["name"]],
                            pw_by_op[op["name"]], fw_versions)
        op_views.append(ov)
        if heat:
            heat_data[op_ids[op["name"]]] = heat

    installed = [fw for fw in frameworks if fw_versions.get(fw)]
    # the usual direction: from torch (when installed) to the next installed framework
    src_default = "torch" if "torch" in installed else (installed or frameworks or [""])[0]
    preferred = ["tensorflow", "jax", "onnxruntime"] + installed + frameworks
    dst_default = next((fw for fw in preferred if fw in installed and fw != src_default), src_default)

    summary = report.get("summary") or {}
    cross = defaultdict(Counter)
    for h in hazards:
        cross[h["kind"]][h["severity"]] += 1
        cross[h["kind"]]["known"] += bool(h.get("known"))
    kinds = sorted({h["kind"] for h in hazards} | set((summary.get("hazards_by_kind") or {}).keys()))
    by_pass = {p: [h for h in hazards if pass_of(h) == p] for p in PASSES}
    return {
        "passes": [{"name": p, "hazards": len(by_pass[p]), "known": sum(bool(h.get("known")) for h in by_pass[p])}
                   for p in PASSES if p in (env.get("passes") or ["forward"]) or by_pass[p]],
        "inference_only": inference_only,
        "alerts": _alerts(report, fw_status),
        "report": report,
        "env": env,
        "frameworks": [{"name": fw, "version": fw_versions.get(fw),
                        "status": fw_status.get(fw) or {}} for fw in frameworks],
        "framework_names": frameworks,
        "summary": summary,
        "severities": SEVERITIES,
        "kinds": kinds,
        "cross": [{"kind": k, "counts": cross[k]} for k in sorted(cross, key=lambda k: (-sum(
            cross[k][s] for s in SEVERITIES), k))],
        "categories": categories,
        "groups": groups,
        "cell_states": [{"state": k, "symbol": s, "word": w, "help": CELL_HELP[k]}
                        for k, (_, s, w) in sorted(CELL_STATES.items(), key=lambda kv: -kv[1][0])],
        "charts": charts,
        "ops": op_views,
        "hazards": hz_views,
        "stale_known": report.get("stale_known") or [],
        "notes": report.get("notes") or [],
        "dtypes_lacking": env.get("dtypes_lacking") or {},
        "timing": report.get("timing") or {},
        "port_src": src_default,
        "port_dst": dst_default,
        "heat_css": heat_css(),
        "page_data": script_json({"heat": heat_data, "frameworks": frameworks,
                                  "cell_states": {k: [sym, word] for k, (_, sym, word) in CELL_STATES.items()}}),
        "op_count": len(ops),
    }


def _alerts(report: dict, fw_status: dict) -> list[dict]:
    """Banners at the top of the page: a partial (interrupted) report, and each worker that never ran."""
    alerts = []
    if report.get("interrupted"):
        timing = report.get("timing") or {}
        ran, planned = sum((timing.get("tasks_run") or {}).values()), sum((timing.get("tasks") or {}).values())
        alerts.append({"kind": "interrupted", "title": "Interrupted",
                       "text": f"the run was stopped before it finished; this partial report holds the "
                               f"{ran} of {planned} calls that ran."})
    for fw, st in fw_status.items():
        if (st or {}).get("status") not in (None, "ready", "not_installed"):
            detail = f": {st['message']}" if st.get("message") else ""
            alerts.append({"kind": "worker", "title": fw, "text": f"worker {st['status']}{detail}"})
    return alerts


def _hazard_view(h: dict, ident: str, n: int, ops: list[dict]) -> dict:
    op = next((o for o in ops if o["name"] == h["op"]), None)
    calls = {}
    if op:
        for a in op.get("apis") or []:
            calls[f"{a['framework']}:{a['api']}"] = (a.get("calls") or {}).get("aligned")
    defaults = []
    for api_key, value in (h.get("defaults") or {}).items():
        backend, _, label = api_key.partition(":")
        defaults.append({"api": api_key, "framework": backend, "label": label, "value": value,
                         "aligned_call": calls.get(api_key)})
    recipes = [{**r, "src_fw": r["source"].partition(":")[0], "dst_fw": r["target"].partition(":")[0],
                "src_api": r["source"].partition(":")[2], "dst_api": r["target"].partition(":")[2]}
               for r in h.get("recipes") or []]
    repro = [{"api": k, "framework": k.partition(":")[0], "code": v, "id": f"{ident}-repro-{i}"}
             for i, (k, v) in enumerate((h.get("repro") or {}).items(), 1)]
    div = h.get("divergence") or None
    return {**h, "id": ident, "n": n, "defaults_rows": defaults, "recipe_rows": recipes, "repro_list": repro,
            "div": div, "frameworks": list(h.get("frameworks") or []), "apis": list(h.get("apis") or []),
            "cases": list(h.get("cases") or [])}


def _matrix_row(op, frameworks, fw_versions, results, hazards, op_ids, inference_only: dict) -> dict:
    """One matrix row: per framework the forward cell (the page's view without JavaScript) carrying its backward
    twin under ``backward``; the row's tokens, worst rank and hazard count per pass for the switch."""
    name = op["name"]
    views = {}
    for p in PASSES:
        mine = [h for h in hazards if pass_of(h) == p]
        rs = [r for r in results if pass_of(r) == p]
        views[p] = _matrix_cells(name, frameworks, fw_versions, rs, mine, op_ids, p, inference_only)
    cells = [dict(c, backward=b) for c, b in zip(views["forward"]["cells"], views["backward"]["cells"])]
    forward = views["forward"]
    return {"name": name, "id": "row-" + slug(name), "op_id": op_ids[name], "category": op.get("category") or "",
            "summary": op.get("summary") or "", "cells": cells, "tokens": forward["tokens"],
            "hazards": forward["hazards"], "worst_rank": forward["worst_rank"],
            "backward": {k: views["backward"][k] for k in ("tokens", "hazards", "worst_rank", "worst")},
            "worst": forward["worst"]}


def _matrix_cells(name, frameworks, fw_versions, results, hazards, op_ids, pass_: str, inference_only: dict) -> dict:
    cells, tokens = [], []
    for h in hazards:
        for fw in dict.fromkeys(h["frameworks"]):
            tokens.append(f"{fw}|{h['kind']}|{h['severity']}")
    worst_rank = 0
    for fw in frameworks:
        mine = [h for h in hazards if fw in h["frameworks"]]
        rs = [r for r in results if r["framework"] == fw]
        cell = cell_state(rs, mine, bool(fw_versions.get(fw)))
        state = cell.state
        if state != "not-installed" and pass_ == "backward" and fw in inference_only:
            state = "forward-only"
        rank, symbol, word = CELL_STATES[state]
        worst_rank = max(worst_rank, rank)
        top = [h for h in mine if h["severity"] == state] or mine
        known = cell.known
        title = f"{name} \u00d7 {fw}{' (backward)' if pass_ == 'backward' else ''}: {word}"
        if state == "forward-only":
            title += f" \u2014 {inference_only[fw]}"
        if mine:
            kinds = ", ".join(dict.fromkeys(h["kind"] for h in mine))
            title += f" \u2014 {len(mine)} hazard{'s' if len(mine) != 1 else ''}: {kinds}"
        cells.append({"fw": fw, "state": state, "rank": rank, "symbol": symbol, "word": word, "count": len(mine),
                      "known": known, "title": title, "href": "#" + (top[0]["id"] if top else op_ids[name])})
    worst = max(cells, key=lambda c: c["rank"], default=None)
    return {"cells": cells, "tokens": " ".join(dict.fromkeys(tokens)), "hazards": len(hazards),
            "worst_rank": worst_rank, "worst": ({k: worst[k] for k in ("state", "symbol", "word")} if worst else None)}


def _bar_chart(title: str, ident: str, counts: dict, note: str) -> dict:
    label_w, bar_w, row_h = 150, 380, 22
    maxv = max((sum(c.values()) for c in counts.values()), default=0) or 1
    rows = []
    for i, (label, c) in enumerate(counts.items()):
        x = label_w
        segs = []
        for sev in SEVERITIES:
            v = c.get(sev, 0)
            if v:
                w = bar_w * v / maxv
                segs.append({"sev": sev, "x": round(x, 1), "w": round(max(w, 1.5), 1), "v": v})
                x += w
        total = sum(c.values())
        rows.append({"label": label, "y": i * row_h + 4, "segs": segs, "total": total,
                     "end": round(x + 6, 1),
                     "desc": f"{label}: {total} hazard{'s' if total != 1 else ''}"
                     + (" (" + ", ".join(f"{c.get(s, 0)} {s}" for s in SEVERITIES if c.get(s)) + ")" if total else "")})
    return {"title": title, "id": ident, "rows": rows, "width": label_w + bar_w + 60,
            "height": max(len(rows), 1) * row_h + 8, "label_w": label_w, "row_h": row_h, "note": note}


def _op_view(op, ident, hazards, results, pairwise, fw_versions) -> tuple[dict, dict | None]:
    apis = []
    for a in op.get("apis") or []:
        calls = a.get("calls") or {}
        aligned, defaults = calls.get("aligned"), calls.get("defaults")
        apis.append({**a, "id": f"{a['framework']}:{a['api']}", "aligned": aligned,
                     "defaults_call": defaults if defaults != aligned else None,
                     "installed": bool(fw_versions.get(a["framework"]))})

    # default-values table: param x API
    params = list(dict.fromkeys(
        [p for p, spec in (op.get("params") or {}).items() if spec.get("semantic")]
        + [p for a in apis for key in ("documented_defaults", "live_defaults", "fixed") for p in (a.get(key) or {})]))
    default_rows = []
    for p in params:
        cells = []
        for a in apis:
            doc = (a.get("documented_defaults") or {})
            live = (a.get("live_defaults") or {})
            fixed = (a.get("fixed") or {})
            cells.append({"has_doc": p in doc, "doc": doc.get(p), "has_live": p in live, "live": live.get(p),
                          "has_fixed": p in fixed, "fixed": fixed.get(p)})
        spec = (op.get("params") or {}).get(p) or {}
        default_rows.append({"param": p, "value": spec.get("value"), "has_value": "value" in spec,
                             "semantic": spec.get("semantic"), "cells": cells})
    show_defaults = any(c["has_doc"] or c["has_live"] or c["has_fixed"] for r in default_rows for c in r["cells"])

    # results grid: rows = API x mode (defaults rows only where that mode really ran), cols = cases
    cases = [c["name"] for c in op.get("cases") or []]
    same_call = {a["id"] for a in apis if not a["defaults_call"]}
    grid = {}
    for r in results:
        key = (f"{r['framework']}:{r['api']}", r["mode"], pass_of(r), r.get("wrt") or "")
        if r["mode"] == "defaults" and (r.get("message") == "same call as aligned"
                                        or f"{r['framework']}:{r['api']}" in same_call):
            continue
        grid.setdefault(key, {})[r["case"]] = r
    order = {a["id"]: i for i, a in enumerate(apis)}
    grid_rows = []
    for (api_key, mode, pass_, wrt), by_case in sorted(
            grid.items(), key=lambda kv: (kv[0][2] != "forward", order.get(kv[0][0], 999), kv[0][0], kv[0][3],
                                          kv[0][1] != "aligned")):
        grid_rows.append({"api": api_key, "mode": mode, "pass": pass_, "wrt": wrt,
                          "cells": [_result_cell(by_case.get(c)) for c in cases]})
    tolerances = {}
    for r in results:
        if r.get("rtol") is not None and r["case"] not in tolerances and pass_of(r) == "forward":
            tolerances[r["case"]] = f"rtol={fmt_num(r['rtol'])}, atol={fmt_num(r.get('atol'))}"
    case_heads = [{"name": c, "tol": tolerances.get(c, "")} for c in cases]
    divergent = [r for r in results if r["status"] == "ok" and (
        r.get("within_tolerance") is False or r.get("shape_equal") is False or r.get("nonfinite_equal") is False
        or r.get("dtype_equal") is False)]
    divergent.sort(key=lambda r: -(_float(r.get("max_abs_error")) or 0.0))

    heat, initial = _heat(op, apis, pairwise)
    return ({**op, "id": ident, "apis_v": apis, "default_rows": default_rows, "show_defaults": show_defaults,
             "hazards_v": hazards, "case_heads": case_heads, "grid_rows": grid_rows, "divergent": divergent,
             "heat_initial": initial, "n_results": len(results),
             "worst_severity": min((h["severity"] for h in hazards), key=lambda s: SEVERITY_RANK.get(s, 9),
                                   default=None)},
            heat)


def _result_cell(r) -> dict:
    if r is None:
        return {"cls": "none", "text": "\u2013", "title": "not run"}
    if pass_of(r) == "backward" and r["status"] == "ok" and r.get("within_tolerance") is None:
        # the reference has no derivative here: the gradient is judged against the other frameworks' (the
        # caption says so; the reason is in the JSON report's message)
        if r.get("nonfinite_detail"):
            return {"cls": "warn", "text": "\u21c4 NaN/Inf", "title": r["nonfinite_detail"]}
        return {"cls": "ok", "text": "\u21c4", "title": ""}
    if pass_of(r) == "backward" and r["status"] == "ok" and r.get("within_tolerance") and r.get("dtype_equal"):
        return {"cls": "ok", "text": f"\u2713 {fmt_num(r.get('max_rel_error'), 2)}", "title": ""}
    st = r["status"]
    if st != "ok":
        sym = {"unsupported": "\u2298", "not_installed": "\u25cb", "not_expressible": "\u25cb"}.get(st, "\u2716")
        return {"cls": "unsupported" if st in ("unsupported", "not_installed", "not_expressible") else "error",
                "text": f"{sym} {st.replace('_', ' ')}", "title": r.get("message") or st}
    bad = (r.get("within_tolerance") is False or r.get("shape_equal") is False or r.get("nonfinite_equal") is False)
    ulp = r.get("max_ulp")
    text = ("\u2716 " if bad else "\u2713 ") + (f"{fmt_num(ulp)} ULP" if ulp is not None else
                                                 f"{fmt_num(r.get('max_rel_error'), 2)}" if pass_of(r) == "backward"
                                                 and r.get("max_rel_error") is not None else "ok")
    if r.get("shape_equal") is False:
        text = f"\u2716 shape {r.get('output_shape')}"
    title = f"abs {fmt_num(r.get('max_abs_error'))}, rel {fmt_num(r.get('max_rel_error'))}"
    if r.get("dtype_equal") is False:
        text += f" (dtype {r.get('output_dtype')})"
    if r.get("nonfinite_detail"):
        title += f"; {r['nonfinite_detail']}"
    return {"cls": "bad" if bad else ("warn" if r.get("dtype_equal") is False else "ok"), "text": text, "title": title}


def _heat(op, apis, pairwise) -> tuple[dict | None, dict | None]:
    """Compact pairwise data for the page's heatmap (JSON) and the server-rendered initial grid."""
    if not pairwise:
        return None, None
    names = list(dict.fromkeys([a["id"] for a in apis] + [p["a"] for p in pairwise] + [p["b"] for p in pairwise]))
    index = {n: i for i, n in enumerate(names)}
    used = sorted({index[p["a"]] for p in pairwise} | {index[p["b"]] for p in pairwise})
    names = [names[i] for i in used]
    index = {n: i for i, n in enumerate(names)}
    views = {}
    for p in pairwise:
        key = f"{p['case']}|{p['mode']}" + (f"|d/d{p.get('wrt')}" if pass_of(p) == "backward" else "")
        views.setdefault(key, []).append([index[p["a"]], index[p["b"]], clean(p.get("max_abs_error")),
                                          clean(p.get("max_ulp")), bool(p.get("within_tolerance"))])
    # gradient views only where two frameworks disagree: an agreeing one adds nothing the results grid lacks
    views = {k: v for k, v in views.items() if k.count("|") == 1 or any(not r[4] for r in v)}
    if not views:
        return None, None
    case_order = {c["name"]: i for i, c in enumerate(op.get("cases") or [])}
    keys = sorted(views, key=lambda k: (k.count("|"), case_order.get(k.split("|")[0], 999),
                                        k.split("|")[1] != "aligned", k))

    def badness(k):
        errs = [_float(v[2]) for v in views[k]]
        return max((math.inf if e is not None and math.isnan(e) else (e or 0.0)) for e in errs)

    first = max(keys, key=lambda k: (k.count("|") == 1, any(not v[4] for v in views[k]), badness(k)))  # forward first
    return {"apis": names, "views": {k: views[k] for k in keys}, "order": keys, "initial": first}, \
        _heat_grid(names, views[first], first)


HEAT_STEPS = 10


def heat_class(err) -> str:
    """CSS class for a max_abs_error: log10 buckets h0 (<= 1e-9) .. h10 (>= 10); hz zero, hn none, hx NaN/Inf."""
    f = _float(err)
    if f is None:
        return "hn"
    if math.isnan(f) or math.isinf(f):
        return "hx"
    if f == 0:
        return "hz"
    t = min(max((math.log10(f) + 9) / 10, 0.0), 1.0)
    return f"h{round(t * HEAT_STEPS)}"


def heat_css() -> str:
    """The bucket colours: green (tiny) through yellow to deep red (large), dark text on light cells."""
    rules = []
    for i in range(HEAT_STEPS + 1):
        t = i / HEAT_STEPS
        light = 92 - 52 * t
        rules.append(f".heat .h{i}{{background:hsl({120 * (1 - t):.0f},70%,{light:.0f}%);"
                     f"color:{'#fff' if light < 55 else '#111'}}}")
    rules.append(".heat .hz{background:#f4fbf4;color:#1b5e20}.heat .hn{background:#e8e8e8;color:#333}"
                 ".heat .hx{background:#5b0014;color:#fff}")
    return "\n".join(rules)


def _heat_grid(names, records, key) -> dict:
    n = len(names)
    cells = [[None] * n for _ in range(n)]
    for i, j, err, ulp, within in records:
        cell = {"err": fmt_num(err, 2), "ulp": fmt_num(ulp, 3), "within": within, "cls": heat_class(err)}
        cells[i][j] = cell
        cells[j][i] = cell
    case, mode, *grad = key.split("|")
    return {"names": names, "cells": cells, "case": case, "mode": mode, "key": key,
            "gradient": grad[0] if grad else None}
