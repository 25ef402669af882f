"""Findings from an assessed call: each rule is a small object (code, name, level, summary) and a check.

The codes are stable (README, "Rule codes"):

- PT001 default-differs: a semantic parameter the call leaves out (at its default, or implied by the
  API it calls) whose value a target's primary API does not use when left out, or cannot use;
- PT002 value-not-portable: a value the call writes (or selects, ``mode="nearest"``) that no API of a
  target framework can express;
- PT003 unsupported-op: no reading of the call has an API in a target (the catalog's ``unsupported:``);
- PT004 default-changed: a parameter the call leaves out whose default the framework changed in a past release
  (the catalog's ``history:``): code written for an older release relied on the old value;
- PT100 not-covered: a framework call the catalog does not cover (not checked; counted, listed with --verbose);
- PT900 parse-error: a file that does not parse (skipped).

PT100 and PT900 are raised by the engine; the others by ``check`` from ``assess.assess``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from portability.plan import CALL_PREFIX, is_sentinel
from portability.scan.assess import Assessment, RecipeSource, Target, Value, assess
from portability.scan.findings import Finding, TargetApi, shown

__all__ = ["RULES", "RULES_BY_CODE", "Rule", "Target", "check"]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    level: str  # error | warning | note (SARIF levels; GitHub: error | warning | notice)
    summary: str
    check: Callable | None = None  # (Assessment) -> list[Finding]; None: raised by the engine (PT100, PT900)


# ----------------------------------------------------------------------------- rules


def _finding(a: Assessment, code: str, message: str, cand=None, v: Value | None = None, apis=(), fix=None) -> Finding:
    from portability.report.html import slug

    c = a.match.call
    if c.via:
        message += f" (through `{c.via}`, where it keeps its default)"
        fix = None  # a caller may pass another factory: no certain rewrite
    kinds = {"PT001": ("default_argument_mismatch",), "PT002": ("unsupported",), "PT003": ("unsupported",),
             "PT004": ()}[code]
    op = (cand or a.match.candidates[0]).op
    known = next((k.reason for k in op.known if k.kind in kinds and (not v or not k.param or k.param == v.param)
                  and ((cand or a.match.candidates[0]).api.label in k.apis  # the source's side of it
                       or any(t.api in k.apis or t.framework in k.apis or f"{t.framework}:{t.api}" in k.apis
                              for t in apis))), None)
    return Finding(
        known=" ".join(known.split()) if known else None,
        path=a.match.path, line=c.line, col=c.col + 1, end_line=c.end_line, end_col=c.end_col + 1, code=code,
        message=message, op=cand.op.name if cand else a.match.candidates[0].op.name,
        api=(cand or a.match.candidates[0]).api.label, call=a.match.target,
        param=v.param if v else None, origin=v.origin if v else None, source_value=v.value if v else None,
        targets=tuple(apis), fix=fix, anchor="#op-" + slug((cand or a.match.candidates[0]).op.name))


def _argument(v: Value) -> str:
    if v.name and v.name.startswith(CALL_PREFIX):  # a layer's call kwarg: what each call of the built layer gets
        return f"{v.name[len(CALL_PREFIX):]} (of each call of the built layer)"
    if v.name and v.name != v.param:
        return f"{v.name} ({v.param})"
    return v.name or v.param


def _listing(apis, names: list[str]) -> str:
    parts = []
    for t in names:
        bad = [x for x in apis if x.framework == t and x.status in ("differs", "cannot", "depends")]
        items = []
        for x in bad:
            what = x.note if x.status != "differs" else (x.shown or shown(x.value))
            items.append(f"{x.api}: {what}")
        parts.append(f"{t} ({'; '.join(items)})" if items else t)
    return ", ".join(parts)


def check_default_differs(a: Assessment) -> list[Finding]:
    out, seen = [], set()
    for cand, j in a.judged:
        v = j.value
        if v.param in seen or not cand.op.params[v.param].semantic or v.origin == "explicit":
            continue
        wanted = ("differs", "cannot", "depends") if v.origin == "default" else ("differs",)
        names = [t for t, verdict in j.verdicts.items() if verdict in wanted]
        if not names:
            continue
        seen.add(v.param)
        if v.origin != "default":
            how = f"is implied by the API: {shown(v.value)}"
        elif is_sentinel(cand.op, v.param, v.value):
            how = f"is left unset ({shown(v.value)})"
        else:
            how = f"is left at its default {shown(v.value)}"
            if (v.name or "").startswith(CALL_PREFIX) and cand.api.framework == "torch":
                how += " (a module is built in training mode: .eval() switches it)"
        msg = (f"{a.match.target}: {_argument(v)} {how}; "
               f"it differs in {_listing(j.apis, names)}")
        apis = [x for x in j.apis if x.framework in names]
        out.append(_finding(a, "PT001", msg, cand, v, apis, v.fix if v.origin == "default" else None))
    return out


def check_value_not_portable(a: Assessment) -> list[Finding]:
    out, seen = [], set()
    for cand, j in a.judged:
        v = j.value
        if v.param in seen or v.origin == "default" or (v.origin == "implied" and not cand.op.params[v.param].semantic):
            continue
        names = [t for t, verdict in j.verdicts.items() if verdict in ("cannot", "depends")]
        if not names:
            continue
        seen.add(v.param)
        what = f"{_argument(v)}={shown(v.value)}" if v.origin == "explicit" else \
            f"{v.param}={shown(v.value)} (implied by {', '.join(f'{k}={shown(cand.api.constants[k])}' for k in cand.selected_by) or cand.api.label})"
        depends = any(j.verdicts[t] == "depends" for t in names)
        msg = (f"{a.match.target}: {what} cannot be expressed in {_listing(j.apis, names)}"
               + (" for some input shapes" if depends else ""))
        out.append(_finding(a, "PT002", msg, cand, v, [x for x in j.apis if x.framework in names]))
    return out


def check_unsupported(a: Assessment) -> list[Finding]:
    if not a.unsupported:
        return []
    cand = a.match.candidates[0]
    where = ", ".join(f"{t} ({_first_clause(r)})" for t, r in a.unsupported.items())
    apis = [TargetApi(framework=t, api="(none)", value=None, status="cannot", primary=True, note=r)
            for t, r in a.unsupported.items()]
    msg = f"{a.match.target}: {cand.op.name} has no API in {where}"
    return [_finding(a, "PT003", msg, cand, None, apis)]


def check_default_changed(a: Assessment) -> list[Finding]:
    """A parameter left at its default where the framework changed that default in a past release: the value
    the call gets now is not the one its author got on the older release. No rewrite is offered: only the
    author knows which release the code was written for."""
    out, seen = [], set()
    for cand, j in a.judged:
        v = j.value
        if v.param in seen or v.origin != "default":
            continue
        changes = [h for h in cand.api.history if h.param == v.param]
        if not changes:
            continue
        seen.add(v.param)
        when = "; ".join(f"before {h.package or cand.api.framework} {h.version} it was "
                         f"{_as_written(cand, v.param, h.old)}" for h in changes)
        msg = (f"{a.match.target}: {_argument(v)} is left at its default {_as_written(cand, v.param, v.value)}, "
               f"which changed in a past "
               f"release ({when}): code written for an older release meant the old value; pass it explicitly")
        out.append(_finding(a, "PT004", msg, cand, v))
    return out


def _as_written(cand, p: str, value) -> str:
    """A canonical value as the API's own argument (align_corners=True), else in the catalog's terms."""
    from portability.scan.assess import _framework_shown
    from portability.scan.values import case_ctx

    text = _framework_shown(cand.api.params[p], value, case_ctx(cand.op, {}))
    return text.split(", i.e.")[0] if text else shown(value)


def _first_clause(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


RULES = (
    Rule("PT001", "default-differs", "warning",
         "A semantic parameter left at its default (or implied by the API) has another value in a target", 
         check_default_differs),
    Rule("PT002", "value-not-portable", "warning",
         "A value the call writes or selects cannot be expressed by any API of a target", check_value_not_portable),
    Rule("PT003", "unsupported-op", "warning", "The op has no API in a target framework", check_unsupported),
    Rule("PT004", "default-changed", "warning",
         "A parameter left at a default the framework changed in a past release (the old code meant the old value)",
         check_default_changed),
    Rule("PT100", "not-covered", "note", "A framework call the catalog does not cover: not checked"),
    Rule("PT900", "parse-error", "error", "The file does not parse: skipped"),
)
RULES_BY_CODE = {r.code: r for r in RULES}


def check(match, targets: tuple, recipes: RecipeSource | None = None) -> list[Finding]:
    """Every finding of one resolved call."""
    a = assess(match, targets, recipes)
    return [f for r in RULES if r.check is not None for f in r.check(a)]
