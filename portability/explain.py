"""`portability explain OP`: what each framework calls, what it defaults to, what goes wrong, and the fix."""

from __future__ import annotations

from tabulate import tabulate

from portability.frameworks import BACKENDS
from portability.hazards import effective_defaults, explicit_call


def explain(op, report, source: str | None = None, target: str | None = None) -> str:
    live = {(a["framework"], a["api"]): a["live_defaults"] for a in report.ops[0]["apis"]}
    described = report.ops[0]["apis"]
    out = [f"{op.name} ({op.category}): {op.summary}"]
    out += [f"  source: {s}" for s in op.sources]
    out += ["", "APIs (aligned: every semantic parameter explicit; defaults: as a naive port writes it)"]
    out.append(tabulate([[a["framework"], a["api"], a["calls"]["aligned"], a["calls"]["defaults"]] for a in described],
                        headers=["framework", "api", "aligned call", "defaults call"], tablefmt="simple"))
    semantic = op.semantic_params
    if semantic:
        rows = []
        for a in described:
            api = _api(op, a["framework"], a["api"])
            if api is None:
                continue
            values, _ = effective_defaults(api, live.get((a["framework"], a["api"]), {}))
            rows.append([f"{a['framework']}:{a['api']}"] + [_fmt(values.get(p)) for p in semantic])
        out += ["", "Defaults of semantic parameters (canonical value: "
                + ", ".join(f"{p}={op.params[p].value!r}" for p in semantic) + ")"]
        out.append(tabulate(rows, headers=["api", *semantic], tablefmt="simple"))
    hazards = report.hazards
    out += ["", f"Hazards ({len(hazards)})"]
    for h in hazards:
        where = " (backward pass)" if h.pass_ == "backward" else ""
        out.append(f"  [{h.severity}] {h.kind}{where}{' (known: ' + h.known_reason + ')' if h.known else ''}: "
                   f"{h.summary}")
        if h.fix:
            out.append(f"      fix: {h.fix}")
    if source and target:
        out += ["", *port_advice(op, report, live, source, target)]
    return "\n".join(out)


def port_advice(op, report, live: dict, source: str, target: str) -> list[str]:
    """The explicit calls that make each target API agree with the source's defaults."""
    src_apis = _apis_of(op, source)
    dst_apis = _apis_of(op, target)
    lines = [f"Porting {op.name} from {source} to {target}"]
    if not src_apis or not dst_apis:
        missing = source if not src_apis else target
        return lines + [f"  {missing} has no API for {op.name} in the catalog: compose it from supported ops."]
    src_api = src_apis[0]
    src_defaults, _ = effective_defaults(src_api, live.get((source, src_api.label), {}))
    for dst in dst_apis:
        if dst.unsupported:
            lines.append(f"  {dst.label}: unsupported ({dst.unsupported})")
            continue
        dst_defaults, _ = effective_defaults(dst, live.get((target, dst.label), {}))
        for p in op.semantic_params:
            want = src_defaults.get(p, op.params[p].value)
            have = dst_defaults.get(p)
            if p in dst_defaults and have != want:
                call = explicit_call(dst, p, want, op)
                lines.append(f"  {p}: {src_api.label} defaults to {want!r}, {dst.label} to {have!r} -> {call}")
            elif p in dst_defaults:
                lines.append(f"  {p}: both default to {want!r} in {src_api.label} and {dst.label}")
    for h in report.hazards:
        if target in h.frameworks and h.kind != "default_argument_mismatch":
            where = " (backward pass)" if h.pass_ == "backward" else ""
            lines.append(f"  also for {target}: [{h.severity}] {h.kind}{where}: {h.summary}")
    return lines


def _apis_of(op, backend: str):
    return op.apis_for(BACKENDS[backend].catalog_key)


def _api(op, backend: str, label: str):
    key = BACKENDS[backend].catalog_key
    return next((a for a in op.apis if a.framework == key and a.label == label and not a.unsupported), None)


def _fmt(v) -> str:
    return "-" if v is None else repr(v)
