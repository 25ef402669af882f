"""`portability explain OP`: what each framework calls, what it defaults to, what goes wrong, and the fix."""

from __future__ import annotations

from tabulate import tabulate

from portability.frameworks import BACKENDS
from portability.hazards import _same, at_opset, base_label, effective_defaults
from portability.plan import CALL_PREFIX, case_ctx, framework_value, unsayable
from portability.recipes import summary as recipe_summary
from portability.report.terminal import WIDTH, wrap
from portability.transforms import UnsupportedValue


def explain(op, report, source: str | None = None, target: str | None = None, width: int = WIDTH) -> str:
    """The op's APIs and calls, the defaults of its semantic parameters, its hazards with their fixes, and
    with ``source`` and ``target`` the port recipes; wrapped to ``width`` columns."""
    live = {(a["framework"], a["api"]): a["live_defaults"] for a in report.ops[0]["apis"]}
    described = report.ops[0]["apis"]
    out = wrap(f"{op.name} ({op.category}): {op.summary}", width)
    out += [f"  source: {s}" for s in op.sources]
    out += ["", "APIs (aligned: every semantic parameter explicit; defaults: as a naive port writes it)"]
    for a in described:
        out.append(f"  {a['framework']}: {a['api']}")
        for mode in ("aligned", "defaults"):
            first, *more = a["calls"][mode].splitlines() or [""]
            out += wrap(f"{mode}: {first}", width, "    ", "      ")
            for line in more:  # a layer's construction, weight copies and call: one wrapped line each
                pad = "      " + line[:len(line) - len(line.lstrip())]
                out += wrap(line.strip(), width, pad, pad + "  ")
    semantic = op.semantic_params
    if semantic:
        rows = []
        for a in described:
            api = _api(op, a["framework"], a["api"])
            if api is None:
                continue
            values, _ = effective_defaults(api, live.get((a["framework"], a["api"]), {}), op)
            rows.append([f"{a['framework']}:{a['api']}"] + [_fmt(values.get(p)) for p in semantic])
        out += ["", *wrap("Defaults of semantic parameters (canonical value: "
                           + ", ".join(f"{p}={op.params[p].value!r}" for p in semantic) + ")", width)]
        table = tabulate(rows, headers=["api", *semantic], tablefmt="simple").splitlines()
        out += table if max(map(len, table)) <= width else [
            t for r in rows for t in wrap(f"{r[0]}: " + ", ".join(f"{p}={v}" for p, v in zip(semantic, r[1:])),
                                           width, "  ", "    ")]
    changes = [(api, h) for api in op.apis for h in api.history]
    if changes:  # code written for an older release that leaves the parameter out meant the old default
        out += ["", "Default history (a port of code written for an older release keeps the old value)"]
        for api, h in changes:
            out += wrap(f"{api.framework}:{api.label}: {h.param} defaulted to {h.old!r} before "
                        f"{h.package or api.framework} {h.version} (now {api.defaults[h.param]!r}); {h.source}",
                        width, "  ", "    ")
    hazards = report.hazards
    out += ["", f"Hazards ({len(hazards)})"]
    for h in hazards:
        where = " (backward pass)" if h.pass_ == "backward" else ""
        known = f" (known: {h.known_reason})" if h.known else ""
        out += wrap(f"[{h.severity}] {h.kind}{where}{known}: {h.summary}", width, "  ", "    ")
        if h.conversion:  # the checkpoint conversion, one NumPy line each (as a port writes it)
            out += ["      convert the torch checkpoint:"] + [f"        {line}" for line in h.conversion]
        elif h.fix:
            out += wrap(f"fix: {h.fix}", width, "      ", "        ")
    if source and target:
        out += ["", *(t for line in port_advice(op, report, live, source, target)
                      for t in wrap(line.strip(), width, line[:len(line) - len(line.lstrip())],
                                     line[:len(line) - len(line.lstrip())] + "    "))]
    return "\n".join(out)


def port_advice(op, report, live: dict, source: str, target: str) -> list[str]:
    """For every source API (functions and layers): its defaults in its own terms, and for every target API
    the port recipe the run executed (the arguments, and whether the target then agreed), or why none is
    needed. A default the catalog does not document is never invented: the source then passes it."""
    src_apis = [a for a in _planned(op, report, source) if not a.unsupported]
    dst_apis = _planned(op, report, target)
    lines = [f"Porting {op.name} from {source} to {target}"]
    if not src_apis or not dst_apis or all(a.unsupported for a in dst_apis):
        missing = source if not src_apis else target
        reason = next((a.unsupported for a in dst_apis if a.unsupported), "")
        return lines + [f"  {missing} has no API for {op.name} in the catalog{': ' + reason if reason else ''}; "
                        "compose it from supported ops."]
    recipes = {(r.source, r.target): r for h in report.hazards for r in h.recipes}
    for src in src_apis:
        values, _ = effective_defaults(src, live.get((source, src.label), {}), op)
        lines.append(f"  from {src.label}: {_in_own_terms(op, src, values) or 'no documented defaults'}")
        undocumented = [p for p in op.semantic_params if p in src.params and p not in values]
        if undocumented:
            lines.append(f"    (no default for {', '.join(undocumented)}: a call of {src.label} passes "
                         f"{'it' if len(undocumented) == 1 else 'them'} explicitly, and a port keeps that value)")
        for dst in dst_apis:
            if dst.unsupported:
                lines.append(f"    -> {dst.label}: unsupported ({dst.unsupported})")
                continue
            recipe = recipes.get((f"{source}:{src.label}", f"{target}:{dst.label}"))
            if recipe is not None:
                text = recipe_summary(recipe).split(" -> ", 1)[1]
                lines.append(f"    -> {text if text.startswith(dst.label) else f'{dst.label}: {text}'}")
                continue
            own, _ = effective_defaults(dst, live.get((target, dst.label), {}), op)
            shared = [p for p in op.semantic_params if p in values and p in own]
            carried = [p for p in undocumented if p in dst.params]
            required = [p for p in op.semantic_params if p in values and p not in own and p not in dst.fixed
                        and dst.params.get(p) is not None and dst.params[p].name]
            differing = [p for p in shared if not _same(values[p], own[p])]
            equal = [p for p in shared if p not in differing]
            if carried:
                lines.append(f"    -> {dst.label}: pass " + ", ".join(
                    f"{dst.params[p].name or p}=<your value>" + (f" (its default, {own[p]!r}, would replace it)"
                                                               if p in own else "") for p in carried) + " explicitly")
                continue
            said = []
            if differing:  # no recipe ran for this pair (one would have been printed above)
                said.append("defaults differ (" + ", ".join(f"{p}: {values[p]!r} here, {own[p]!r} there"
                                                            for p in differing)
                            + "; this run executed no recipe for the pair): pass the values explicitly")
            if required:  # the target documents no default: a call of it passes the value
                said.append("pass " + ", ".join(_required(op, dst, p, values[p]) for p in required))
            if equal:
                said.append(("no arguments needed: " if not said else "")
                            + "both default to " + ", ".join(f"{p}={values[p]!r}" for p in equal))
            lines.append(f"    -> {dst.label}: " + ("; ".join(said) or "no semantic default to carry over"))
    lines += _translations(op, report, source, target)
    for h in report.hazards:
        if target in h.frameworks and h.kind not in ("default_argument_mismatch", "argument_convention"):
            where = " (backward pass)" if h.pass_ == "backward" else ""
            lines.append(f"  also for {target}: [{h.severity}] {h.kind}{where}: {h.summary}")
    return lines


def _translations(op, report, source: str, target: str) -> list[str]:
    """For each parameter the two frameworks write in different conventions: the code per pair of APIs."""
    from portability.conventions import convention_of, translation

    lines = []
    for h in report.hazards:
        if h.kind != "argument_convention" or source not in h.frameworks or target not in h.frameworks:
            continue
        named = {(a.split(":", 1)[0], base_label(a.split(":", 1)[1])) for a in h.apis}  # Pad@18 is Pad
        pairs = [(s, d) for s in _apis_of(op, source) for d in _apis_of(op, target)
                 if (source, s.label) in named and (target, d.label) in named]
        for s, d in pairs:
            src, dst = convention_of(s, h.param), convention_of(d, h.param)
            if src[1] == dst[1]:
                continue
            checked = " (checked on every case of this run)" if h.fix_verified else ""
            lines.append(f"  `{h.param}` from {s.label} to {d.label}{checked}:")
            lines += [f"      {line}" for line in translation(src, dst).splitlines()]
    return lines


def _required(op, dst, p: str, value) -> str:
    """A source default the target must be given (it documents none), in the target's terms when they can
    say it (torch's implicit softmax dim has no counterpart: the user picks the axis)."""
    unsaid = f"{dst.params[p].name}=<your value> (no documented default there; {p}={value!r} here)"
    if unsayable(op, p, value, dst.params[p]):
        return unsaid  # 'implicit', 'flatten': an unset argument of another API, no value of this one
    try:
        framework_value(dst.params[p], value, case_ctx(op.cases[0], {p: value}))
    except Exception:  # noqa: BLE001 - a transform that cannot take this canonical value
        return unsaid
    return f"{_in_own_terms(op, dst, {p: value})} (no documented default there)"


def _in_own_terms(op, api, values: dict) -> str:
    """Each default as the framework writes it, with the canonical value where they differ (Keras
    BatchNormalization writes momentum=0.99, which is 0.01 in the catalog's canonical, torch-like terms)."""
    parts = []
    ctx = case_ctx(op.cases[0], values)
    for p, v in values.items():
        amap = api.params.get(p)
        if amap is None or p in api.fixed:
            parts.append(f"{p}={v!r} (fixed)")
            continue
        try:
            fw = framework_value(amap, v, ctx)
        except UnsupportedValue:
            fw = v
        if isinstance(fw, dict):
            own = ", ".join(f"{k}={x!r}" for k, x in fw.items())
        elif (amap.name or "").startswith(CALL_PREFIX):  # the call mode of the built layer, not a constructor argument
            name = amap.name[len(CALL_PREFIX):]
            own = (f"{name}={fw!r} (a built module's mode)" if api.framework == "torch" and name == "training"
                   else f"{name}={fw!r} (each call of the built layer)")
            parts.append(own)
            continue
        else:
            own = f"{amap.name}={fw!r}"
        parts.append(own if own == f"{p}={v!r}" else f"{own} (canonical {p}={v!r})")
    return ", ".join(parts)


def _apis_of(op, backend: str):
    return op.apis_for(BACKENDS[backend].catalog_key)


def _planned(op, report, backend: str) -> list:
    """The backend's APIs as the run planned and reported them: an ONNX entry once per opset (Softmax@11,
    Softmax@13), whose defaults, live values and recipes are that opset's; unsupported ones as written."""
    raw = _apis_of(op, backend)
    planned = [a for d in report.ops[0]["apis"] if d["framework"] == backend
               for a in [_api(op, backend, d["api"])] if a is not None]
    return planned + [a for a in raw if a.unsupported] if planned else raw


def _api(op, backend: str, label: str):
    """The catalog API a report row names; an ONNX row (`Softmax@13`) is its entry planned at that opset, as the
    run planned it (check.with_opsets), so its defaults are that opset's."""
    key = BACKENDS[backend].catalog_key
    base = base_label(label)
    for a in op.apis:
        if a.framework != key or a.unsupported:
            continue
        if a.label == label:
            return a
        if base != label and a.label == base:
            return at_opset(a, int(label.rpartition("@")[2]))
    return None


def _fmt(v) -> str:
    return "-" if v is None else repr(v)
