"""Results -> hazards. Pure functions: every hazard is derived from compared results and defaults.

A hazard is only worth reporting when it is real: numeric divergence means beyond the
accumulation-scaled tolerance against the float64 reference; a default-argument mismatch means
two APIs really default a semantic parameter differently (and says what that did to the outputs).

The backward pass has its own kinds: ``gradient_divergence`` (a gradient beyond tolerance of the reference's
derivative, or, where the reference has none, of another framework's gradient), ``gradient_nonfinite``
(NaN/Inf where the reference or another framework is finite) and ``gradient_unsupported`` (no gradient,
None, or an error). A crash or timeout is one in either pass. A backward call whose forward call already
differs is no finding of its own: the forward hazard says it. A hazard's pass is part of its identity.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from fnmatch import fnmatchcase

from portability.plan import case_ctx, framework_value
from portability.records import Hazard, Note, Pairwise, Result
from portability.transforms import UnsupportedValue

BACKWARD_KINDS = ("gradient_divergence", "gradient_nonfinite", "gradient_unsupported")
HAZARD_KINDS = (
    "numeric_divergence", "default_argument_mismatch", "unsupported", "shape_mismatch", "dtype_mismatch",
    "nonfinite_mismatch", "error", "crash", "timeout", "default_drift", "opset_drift", "argument_convention",
    "weight_layout", *BACKWARD_KINDS,
)
SEVERITY = {
    "numeric_divergence": "high", "shape_mismatch": "high", "nonfinite_mismatch": "high", "crash": "high",
    "dtype_mismatch": "medium", "unsupported": "medium", "error": "medium", "timeout": "medium",
    "default_drift": "low", "opset_drift": "high", "gradient_divergence": "high", "gradient_nonfinite": "high",
    "gradient_unsupported": "medium", "argument_convention": "medium",
    "weight_layout": "low",  # medium where a mistake keeps every shape (gate order, channel multiplier)
}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
FAULTS = ("crash", "timeout")  # the call never finished: nothing was measured
# Statuses that say nothing about a framework: not installed here, or a call this checker cannot express yet.
NOT_FINDINGS = ("not_installed", "not_expressible")


def api_id(backend: str, label: str) -> str:
    return f"{backend}:{label}"


def effective_defaults(api, live: dict, op=None) -> tuple[dict, dict]:
    """(defaults, drift) of one API in canonical terms.

    The live value wins where it maps back to canonical terms (no transform); ``drift`` holds
    params whose live default disagrees with the catalog's documented one. An ONNX API's documented
    defaults describe its newest own opset: at another opset the schema's default is simply the default
    (a difference there is a default mismatch and opset drift, not a stale catalog), named in the words of
    that opset, which the entry written for it translates (``op`` given: GridSample-20 calls bilinear
    "linear", so an opset-16 entry stamped at 28 reads the default "linear" and means bilinear)."""
    values, drift = {}, {}
    own = api.own_opsets or (api.opset,)
    judged = api.framework != "onnx" or api.opset is None or api.opset == max(o or 0 for o in own)
    vocabulary = None if judged or op is None else _vocabulary_at(op, api)
    for p, documented in api.defaults.items():
        values[p] = documented
        if p not in live:
            continue
        amap = api.params[p]
        live_value = live[p]
        if amap.transform is None:
            canonical = _unmap(amap.values, live_value)
            words = vocabulary.params.get(p) if vocabulary is not None and canonical is live_value else None
            if words is not None and words.transform is None and words.values:  # not the entry's own word
                canonical = _unmap(words.values, live_value)
            if not _same(canonical, documented):
                if judged:
                    drift[p] = {"documented": documented, "live": canonical}
                values[p] = canonical
    for p, v in api.fixed.items():
        values[p] = v
    return values, drift


def _vocabulary_at(op, api):
    """The entry of the same ONNX op type written for the newest opset at or below ``api.opset``, when it is
    not ``api``'s own: the one that knows what the attribute values mean at that opset."""
    def newest(a):
        return max(o or 0 for o in (a.own_opsets or (a.opset,)))

    written = [a for a in op.apis if a.framework == "onnx" and a.call == api.call and not a.unsupported
               and newest(a) <= (api.opset or 0)]
    best = max(written, key=newest, default=None)
    return best if best is not None and newest(best) > newest(api) else None


def _unmap(values: dict | None, v):
    if values:
        for canonical, fw in values.items():
            if _same(fw, v):
                return canonical
    return v


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b and type(a) is type(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if a == b:  # also equal infinities, where a - b is NaN
            return True
        return abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1e-30)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def classify(op, results: list[Result], pairwise: list[Pairwise], live: dict) -> list[Hazard]:
    """All hazards of one op. ``live``: (backend, label) -> {param: live default value}. A divergence every
    framework shares is no hazard (``shared_divergences``; ``notes`` says it apart)."""
    mine = [r for r in results if r.op == op.name]
    forward = [r for r in mine if r.pass_ == "forward"]
    forward_pairs = [pw for pw in pairwise if pw.pass_ == "forward"]
    shared = set(shared_divergences(mine, [pw for pw in pairwise if pw.op == op.name]))
    hazards = _outcome_hazards(op, forward, shared)
    hazards += _default_hazards(op, forward, forward_pairs, live)
    hazards += _opset_drift(op, forward, forward_pairs)
    hazards += _convention_hazards(op, forward)
    hazards += _weight_layout_hazards(op, forward)
    hazards += _backward_hazards(op, mine, [pw for pw in pairwise if pw.op == op.name and pw.pass_ == "backward"],
                                 shared)
    hazards.sort(key=lambda h: (SEVERITY_ORDER[h.severity], h.pass_, h.kind, h.apis))
    return [_with_checked_alternative(h, forward) for h in _mark_known(op, hazards, mine, shared)]


# Divergences judged against the float64 reference: a portability hazard only where the frameworks disagree.
DIVERGENCE_KINDS = ("numeric_divergence", "nonfinite_mismatch", "dtype_mismatch", "gradient_divergence",
                    "gradient_nonfinite")


def framework_of(backend: str) -> str:
    """The framework a backend runs: onnxruntime and onnx-reference are two runtimes of one (ONNX)."""
    from portability.frameworks import BACKENDS

    b = BACKENDS.get(backend)
    return b.catalog_key if b else backend


def shared_divergences(results: list[Result], pairwise: list[Pairwise]) -> dict[tuple, list[Result]]:
    """(pass, case, wrt, kind) -> the results of each divergence that every API which ran the case shares.

    The rule, per case (and in the backward pass per differentiated input), in aligned mode: a divergence of
    kind K (``DIVERGENCE_KINDS``) is shared when the APIs that ran the case (status ok) belong to at least two
    frameworks, every one of them shows K, and they agree with each other: every pair within tolerance with
    NaN/Inf in the same places and the same shape (for dtype_mismatch: the same output dtype). It is then a fact
    of the dtype (or of the reference), never a portability hazard. Anything else stays a hazard of each API
    that diverges: one that diverges alone, frameworks that diverge differently, or a single framework, which
    has nothing to agree with. (A reference beyond the dtype's range is no divergence at all: compare.in_range.)"""
    runs: dict[tuple, list[Result]] = defaultdict(list)
    for r in results:
        if r.mode == "aligned" and r.status == "ok":
            runs[(r.pass_, r.case, r.wrt)].append(r)
    agree = {(pw.pass_, pw.case, pw.wrt, frozenset((pw.a, pw.b))) for pw in pairwise
             if pw.mode == "aligned" and pw.within_tolerance and pw.shape_equal}
    out = {}
    for (pass_, case, wrt), rs in runs.items():
        if len({framework_of(r.framework) for r in rs}) < 2:
            continue
        kinds = _gradient_kinds if pass_ == "backward" else _kinds_of
        common = set(DIVERGENCE_KINDS).intersection(*(kinds(r) for r in rs))
        ids = sorted({api_id(r.framework, r.api) for r in rs})
        for kind in sorted(common):
            if kind == "dtype_mismatch":
                together = len({r.output_dtype for r in rs}) == 1
            else:
                together = all((pass_, case, wrt, frozenset((a, b))) in agree
                               for i, a in enumerate(ids) for b in ids[i + 1:])
            if together:
                out[(pass_, case, wrt, kind)] = rs
    return out


def _is_shared(r: Result, kind: str, shared) -> bool:
    return (r.pass_, r.case, r.wrt, kind) in shared


def notes(op, results: list[Result], pairwise: list[Pairwise]) -> list[Note]:
    """What the dtype explains, apart from the hazards: one note per pass, kind, cause and dtype, over its cases:
    the shared divergences (``shared_divergences``) and the outputs that overflow the dtype where the reference
    does (``Result.beyond_range``)."""
    mine = [r for r in results if r.op == op.name]
    groups: dict[tuple, list[Result]] = defaultdict(list)
    for (pass_, _, _, kind), rs in shared_divergences(mine, [pw for pw in pairwise if pw.op == op.name]).items():
        groups[(pass_, kind, "shared", rs[0].dtype)] += rs
    for r in mine:
        if r.beyond_range and r.mode == "aligned" and r.status == "ok":
            groups[(r.pass_, "nonfinite_mismatch", "range", r.dtype)].append(r)
    return [_note(op, *key, rs) for key, rs in sorted(groups.items(), key=lambda kv: kv[0])]


RANGE_LIMITS = {"float16": "65504", "bfloat16": "3.39e38", "float32": "3.40e38"}  # the largest finite values


def _note(op, pass_: str, kind: str, cause: str, dtype: str, rs: list[Result]) -> Note:
    cases = tuple(dict.fromkeys(r.case for r in rs))
    apis = tuple(dict.fromkeys(api_id(r.framework, r.api) for r in rs))
    on = f"on {', '.join(cases)}"
    what = f"the gradient ({', '.join(dict.fromkeys(f'd/d{r.wrt}' for r in rs))}) of " if pass_ == "backward" else ""
    if cause == "range":
        n = max(r.beyond_range for r in rs)
        summary = (f"{op.name}: the float64 reference overflows {dtype} (largest finite value "
                   f"{RANGE_LIMITS.get(dtype, '?')}) at up to {n} position(s) {on}; {', '.join(apis)} give the ±Inf "
                   f"it rounds to, as any {dtype} result must")
    else:
        worst = max(rs, key=lambda r: r.max_abs_error or 0.0)
        differ = {
            "nonfinite_mismatch": f"put NaN/Inf in other places than the float64 reference ({worst.nonfinite_detail})",
            "gradient_nonfinite": f"is NaN/Inf where the float64 reference's derivative is finite "
                                  f"({worst.nonfinite_detail})",
            "dtype_mismatch": f"return {worst.output_dtype}, not {dtype}",
        }.get(kind, f"differ from the float64 reference by up to {worst.max_abs_error or 0.0:.3g}")
        summary = (f"{op.name}: in {dtype}, {what}every API that ran ({', '.join(apis)}) {differ} {on}, and they "
                   f"agree with each other: a fact of {dtype} (or of the reference), not a portability hazard")
    return Note(op=op.name, kind=kind, cause=cause, dtype=dtype, apis=apis, cases=cases, summary=summary, pass_=pass_)


OUTCOME_KINDS = ("numeric_divergence", "nonfinite_mismatch", "shape_mismatch", "dtype_mismatch", "error", "crash",
                 "timeout", "unsupported")


def _with_checked_alternative(h: Hazard, results: list[Result]) -> Hazard:
    """The fix of an API's own failure names another API of the same framework that this run checked on
    every case of the hazard: it ran and matched the reference there (shape, dtype, NaN/Inf, tolerance)."""
    if h.kind not in OUTCOME_KINDS or h.pass_ != "forward" or len(h.apis) != 1 or not h.cases:
        return h
    backend, label = h.apis[0].split(":", 1)
    good: dict[str, set] = {}
    for r in results:
        if (r.framework == backend and r.api != label and r.mode == "aligned" and r.status == "ok"
                and r.shape_equal and r.dtype_equal is not False and r.nonfinite_equal and r.within_tolerance):
            good.setdefault(r.api, set()).add(r.case)
    alternative = next((api for api, cases in sorted(good.items()) if set(h.cases) <= cases), None)
    if alternative is None:
        return h
    checked = f"Use {alternative} instead: this run checked it on {', '.join(h.cases)} and it matches the reference."
    return replace(h, fix=f"{checked} {h.fix}")


def _outcome_hazards(op, results: list[Result], shared=frozenset()) -> list[Hazard]:
    """Per API: divergence, shape/dtype/non-finite mismatches, unsupported and error in aligned mode (what
    defaults mode does differently is the default mismatches' evidence), and crash and timeout in any mode:
    a call that never finished is a finding wherever it happened."""
    aligned = {(r.case, r.framework, r.api): r for r in results if r.mode == "aligned"}
    groups: dict[tuple, list[Result]] = defaultdict(list)
    for r in results:
        if r.status in NOT_FINDINGS or (r.mode != "aligned" and not _own_fault(r, aligned)):
            continue
        for kind in _kinds_of(r):
            if not _is_shared(r, kind, shared):
                groups[(kind, r.framework, r.api)].append(r)
    hazards = []
    for (kind, backend, label), rs in groups.items():
        hazards.append(_outcome_hazard(op, kind, backend, label, rs))
    return hazards


def _own_fault(r: Result, aligned: dict) -> bool:
    """A crash or timeout of a defaults-mode call that is not the aligned call's outcome again (an API
    without defaults reuses its aligned result for defaults mode)."""
    same = aligned.get((r.case, r.framework, r.api))
    return r.status in FAULTS and not (same and same.status == r.status and same.message == r.message)


def _kinds_of(r: Result) -> list[str]:
    if r.status != "ok":
        return [r.status]
    kinds = []
    if r.shape_equal is False:
        return ["shape_mismatch"]
    if r.dtype_equal is False:
        kinds.append("dtype_mismatch")
    if r.nonfinite_equal is False:
        kinds.append("nonfinite_mismatch")
    elif r.within_tolerance is False:
        kinds.append("numeric_divergence")
    return kinds


def _outcome_hazard(op, kind: str, backend: str, label: str, rs: list[Result]) -> Hazard:
    cases = tuple(dict.fromkeys(r.case for r in rs))
    worst = max(rs, key=lambda r: (r.max_abs_error or 0.0))
    runs = dict.fromkeys(r.case + (" in defaults mode" if r.mode == "defaults" else "") for r in rs)
    where = f"{api_id(backend, label)} on {', '.join(runs)}"
    pass_ = rs[0].pass_
    if pass_ == "backward":
        wrt = ", ".join(dict.fromkeys(f"d/d{r.wrt}" for r in rs))
        where = f"the gradient ({wrt}) of {where}"
    if kind in BACKWARD_KINDS:
        summary, fix = _gradient_text(op, kind, where, worst, rs)
    elif kind == "numeric_divergence":
        ulp = f"max {worst.max_ulp:.0f} ULP, " if worst.max_ulp is not None else ""
        limits = f"rtol={worst.rtol:.2g}, atol={worst.atol:.2g}" if worst.rtol is not None else "exact comparison"
        summary = (f"{op.name}: {where} differs from the float64 reference by up to {worst.max_abs_error:.3g} "
                   f"({ulp}{worst.mismatch_fraction or 0:.0%} of elements beyond {limits})")
        fix = "Check the API's semantics (padding, coordinate convention, rounding); see the known-hazard notes."
    elif kind == "nonfinite_mismatch":
        summary = f"{op.name}: {where} puts NaN/Inf in other places than the reference ({worst.nonfinite_detail})"
        fix = "Guard the inputs (clip, where) or choose an API whose NaN/Inf semantics match."
    elif kind == "shape_mismatch":
        summary = (f"{op.name}: {where} returns shape {worst.output_shape}, "
                   f"not the reference's shape")
        fix = "Reshape explicitly or pass the shape-controlling arguments (keepdims, padding, ceil_mode)."
    elif kind == "dtype_mismatch":
        want = worst.expected_dtype or worst.dtype
        summary = f"{op.name}: {where} returns {worst.output_dtype}, not {want}"
        fix = f"Cast the result to {want} explicitly (or pass the API's dtype argument, where it has one)."
    elif kind == "unsupported":
        summary = f"{op.name}: {where} is unsupported: {rs[0].message}"
        declared = any(a.unsupported and a.label == label for a in op.apis)
        fix = ("The framework has no API for this op: compose it from supported ops (the reason above names how)."
               if declared else
               f"{label} cannot take this value or dtype: pick another API of {backend} from this op's list, "
               "or compose the op from supported ones.")
    else:  # error, crash, timeout
        summary = f"{op.name}: {where} ended in {kind}: {rs[0].message}"
        fix = "Report upstream with the repro snippet; avoid this API/argument combination meanwhile."
    divergence = None
    if worst.status == "ok":
        divergence = {k: getattr(worst, k) for k in ("max_abs_error", "max_rel_error", "max_ulp", "mismatch_fraction")}
        divergence |= {"case": worst.case, "worst": worst.worst}
        if pass_ == "backward":
            divergence["wrt"] = worst.wrt
    return Hazard(op=op.name, kind=kind, frameworks=(backend,), apis=(api_id(backend, label),),
                  severity=SEVERITY[kind], summary=summary, fix=fix, cases=cases, divergence=divergence, pass_=pass_)


# What to write so the gradients agree, per backward kind.
GRADIENT_FIXES = {
    "gradient_divergence": (
        "Where the function has no derivative (a kink, a tie, a bound) each framework picks its own subgradient: "
        "if training can sit there, state the gradient you want (torch.autograd.Function, tf.custom_gradient, "
        "jax.custom_jvp) or write the op so every framework takes the same branch (e.g. where(x > 0, x, -x) for "
        "abs, an explicit mask for max or clip); elsewhere, check the API's semantics in the backward pass."),
    "gradient_nonfinite": (
        "A NaN/Inf gradient at a singular point (a norm or sqrt at 0, log at 0, 0/0): use a safe formulation, "
        "e.g. sqrt(sum(x**2) + eps) or the double where: where(m, f(where(m, x, safe)), fallback), so that the "
        "branch not taken never sees the singular value; or clip the input away from it."),
    "gradient_unsupported": (
        "The framework gives no gradient here: write one (tf.custom_gradient, torch.autograd.Function, "
        "jax.custom_vjp), use a differentiable API of the framework for the op, or stop the gradient explicitly "
        "if none is intended."),
}


def _gradient_text(op, kind: str, where: str, worst: Result, rs: list[Result]) -> tuple[str, str]:
    """Summary and fix of a backward hazard judged against the reference's derivative, per API."""
    if kind == "gradient_unsupported":
        summary = f"{op.name}: {where} has no gradient: {rs[0].message}"
    elif kind == "gradient_nonfinite":
        summary = (f"{op.name}: {where} is not finite where the float64 reference's derivative is "
                   f"({worst.nonfinite_detail})")
    elif worst.shape_equal is False:
        summary = f"{op.name}: {where} has shape {worst.output_shape}, not the input's"
    else:
        at = worst.worst or {}
        summary = (f"{op.name}: {where} differs from the float64 reference's derivative by up to "
                   f"{worst.max_abs_error:.3g} along {worst.mismatch_fraction or 0:.0%} of the directions checked "
                   f"(got {at.get('actual', float('nan')):.4g}, finite differences give "
                   f"{at.get('expected', float('nan')):.4g}; rtol={worst.rtol:.2g})")
    return summary, GRADIENT_FIXES[kind]


def _gradient_kinds(r: Result) -> list[str]:
    """The backward kinds of one result judged against the reference (none where the reference has no
    derivative: then the frameworks are compared with each other)."""
    if r.status in FAULTS:
        return [r.status]
    if r.status != "ok":
        return ["gradient_unsupported"]
    if r.shape_equal is False:
        return ["gradient_divergence"]
    kinds = ["dtype_mismatch"] if r.dtype_equal is False else []
    if r.nonfinite_equal is False:
        kinds.append("gradient_nonfinite")
    elif r.within_tolerance is False:
        kinds.append("gradient_divergence")
    return kinds


def _clean(r: Result) -> bool:
    return r.status == "ok" and r.shape_equal is not False and r.dtype_equal is not False \
        and r.nonfinite_equal is not False and r.within_tolerance is not False


def _backward_hazards(op, results: list[Result], pairwise: list[Pairwise], shared=frozenset()) -> list[Hazard]:
    """Per API against the reference's derivative, and between frameworks where the reference has none.
    A call whose forward twin (same case, API and mode) already differs is skipped, faults apart."""
    forward = {(r.case, r.framework, r.api, r.mode): r for r in results if r.pass_ == "forward"}

    def forward_differs(r: Result) -> bool:
        twin = forward.get((r.case, r.framework, r.api, r.mode))
        return twin is not None and not _clean(twin)

    backward = [r for r in results if r.pass_ == "backward" and r.status != "not_installed"]
    aligned = {(r.case, r.framework, r.api, r.wrt): r for r in backward if r.mode == "aligned"}
    groups: dict[tuple, list[Result]] = defaultdict(list)
    for r in backward:
        if r.mode != "aligned":
            same = aligned.get((r.case, r.framework, r.api, r.wrt))
            if not (r.status in FAULTS and not (same and same.status == r.status and same.message == r.message)):
                continue
        if r.status not in FAULTS and forward_differs(r):
            continue
        for kind in _gradient_kinds(r):
            if not _is_shared(r, kind, shared):
                groups[(kind, r.framework, r.api)].append(r)
    hazards = [_outcome_hazard(op, kind, backend, label, rs) for (kind, backend, label), rs in groups.items()]
    comparable = {(r.case, api_id(r.framework, r.api), r.wrt) for r in backward if r.mode == "aligned"
                  and r.status == "ok" and r.within_tolerance is None and r.shape_equal and not forward_differs(r)}
    return hazards + _pairwise_gradient_hazards(op, [pw for pw in pairwise if pw.mode == "aligned"
                                                     and (pw.case, pw.a, pw.wrt) in comparable
                                                     and (pw.case, pw.b, pw.wrt) in comparable])


def _pairwise_gradient_hazards(op, pairwise: list[Pairwise]) -> list[Hazard]:
    """Where the reference has no derivative (a kink, tie or singular point), frameworks against each other:
    per case and input, the APIs whose gradient is NaN/Inf where another one's is finite (gradient_nonfinite),
    and, among the others, the groups of APIs that agree with each other but not across groups
    (gradient_divergence, naming every API of every group). One hazard per kind and set of APIs, over the
    cases where it happened, split by the known record whose scope holds each case (as ``_split_by_scope``
    splits one API's hazard): a documented case stays known when another case, in a dtype the record does
    not name, shows the same thing."""
    found: dict[tuple, list] = defaultdict(list)  # (kind, apis, record) -> [(case, wrt, pairwise records)]

    def owner(kind: str, apis: tuple, case: str) -> int | None:
        probe = Hazard(op=op.name, kind=kind, frameworks=tuple(dict.fromkeys(a.split(":", 1)[0] for a in apis)),
                       apis=apis, severity=SEVERITY[kind], summary="", fix="", cases=(case,), pass_="backward")
        return next((i for i, k in enumerate(op.known) if _covers_case(k, probe, case, op)), None)

    by_case: dict[tuple, list[Pairwise]] = defaultdict(list)
    for pw in pairwise:
        by_case[(pw.case, pw.wrt)].append(pw)
    for (case, wrt), pws in by_case.items():
        nonfinite = set()
        for pw in pws:
            if not pw.within_tolerance and pw.nonfinite_detail:
                nonfinite |= {side for side, name in ((pw.a, "in a where"), (pw.b, "in b where"))
                              if name in pw.nonfinite_detail}
        if nonfinite:
            apis = tuple(sorted(nonfinite))
            found[("gradient_nonfinite", apis, owner("gradient_nonfinite", apis, case))].append((case, wrt, pws))
        finite = [pw for pw in pws if not pw.nonfinite_detail and pw.shape_equal]
        groups = _agreeing_groups(finite)
        if len(groups) > 1:
            apis = tuple(sorted(a for g in groups for a in g))
            found[("gradient_divergence", apis, owner("gradient_divergence", apis, case))].append((case, wrt, finite))
    return [_pairwise_gradient_hazard(op, kind, apis, seen) for (kind, apis, _), seen in found.items()]


def _agreeing_groups(pairs: list[Pairwise]) -> list[list[str]]:
    """The APIs in groups that agree within tolerance (connected by agreeing pairs)."""
    parent: dict[str, str] = {}

    def root(a: str) -> str:
        while parent.setdefault(a, a) != a:
            a = parent[a]
        return a

    for pw in pairs:
        root(pw.a), root(pw.b)
        if pw.within_tolerance:
            parent[root(pw.a)] = root(pw.b)
    groups: dict[str, list[str]] = defaultdict(list)
    for a in list(parent):
        groups[root(a)].append(a)
    return sorted(sorted(g) for g in groups.values())


def _pairwise_gradient_hazard(op, kind: str, apis: tuple, seen: list) -> Hazard:
    cases = tuple(dict.fromkeys(case for case, _, _ in seen))
    wrt = ", ".join(dict.fromkeys(f"d/d{w}" for _, w, _ in seen))
    bad = [pw for _, _, pws in seen for pw in pws if not pw.within_tolerance
           and (bool(pw.nonfinite_detail) == (kind == "gradient_nonfinite"))]
    worst = max(bad, key=lambda pw: pw.max_abs_error or 0.0)
    at = worst.worst or {}
    same = [pw for pw in bad if pw.case == worst.case and pw.wrt == worst.wrt and pw.worst]
    values: dict[str, float] = {}
    for pw in same:
        values.setdefault(pw.a, pw.worst["a"])
        values.setdefault(pw.b, pw.worst["b"])
    by_value: dict[str, list[str]] = defaultdict(list)
    for a, v in values.items():
        by_value[f"{v:.4g}"].append(a)
    listing = "; ".join(f"{', '.join(sorted(names))} {'gives' if len(names) == 1 else 'give'} {v}"
                        for v, names in by_value.items())
    where = (f"at element {tuple(at.get('index', ()))} of d/d{worst.wrt} on {worst.case} (the cotangent-weighted "
             f"gradient): {listing}")
    if kind == "gradient_nonfinite":
        summary = (f"{op.name}: where the function has no derivative, the gradient ({wrt}) of {', '.join(apis)} "
                   f"is NaN/Inf where another framework's is finite, on {', '.join(cases)}; {where}")
    else:
        summary = (f"{op.name}: where the function has no derivative (a kink, tie or bound), the frameworks choose "
                   f"different gradients ({wrt}) on {', '.join(cases)}; {where}")
    return Hazard(op=op.name, kind=kind, frameworks=tuple(dict.fromkeys(a.split(":", 1)[0] for a in apis)), apis=apis,
                  severity=SEVERITY[kind], summary=summary, fix=GRADIENT_FIXES[kind], cases=cases, pass_="backward",
                  divergence={"max_abs_error": worst.max_abs_error, "between": [worst.a, worst.b],
                              "case": worst.case, "wrt": worst.wrt, "worst": worst.worst, "by_api": values,
                              "nonfinite_detail": worst.nonfinite_detail})


def base_label(label: str) -> str:
    """An API label without the `@opset` of a per-opset ONNX copy (`Softmax@13` -> `Softmax`)."""
    head, _, tail = label.rpartition("@")
    return head if head and tail.isdigit() else label


def at_opset(api, opset: int):
    """The per-opset copy of an ONNX API (label `Softmax@13`) a run plans and reports; base_label undoes it."""
    return replace(api, label=f"{api.label}@{opset}", opset=opset)


def _opset_drift(op, results: list[Result], pairwise: list[Pairwise]) -> list[Hazard]:
    """The same ONNX API at neighbouring opsets (of those this run planned it at): outputs that differ beyond
    tolerance, or a case one opset runs and the other refuses. One hazard per API, opset pair and kind of change.

    A dtype-sweep case (``@dtype``) that one opset refuses as ``unsupported`` is no drift: the sweep's dtype is
    missing from that opset's type constraints (bfloat16 joined most ops at opset 22), which is a support gap
    of that opset, reported as the refusing API's ``unsupported`` hazard (whose fix names the opset that runs
    it), not a second hazard saying the same."""
    runs: dict[tuple, dict[int, Result]] = defaultdict(dict)
    for r in results:
        if r.mode == "aligned" and r.opset is not None and r.status not in NOT_FINDINGS:
            runs[(r.framework, base_label(r.api), r.case)][r.opset] = r
    pairs = {(pw.case, frozenset((pw.a, pw.b))): pw for pw in pairwise if pw.op == op.name and pw.mode == "aligned"}
    found: dict[tuple, list] = defaultdict(list)
    for (backend, label, case), by_opset in runs.items():
        opsets = sorted(by_opset)
        for lo, hi in zip(opsets, opsets[1:]):
            a, b = by_opset[lo], by_opset[hi]
            ids = (api_id(backend, a.api), api_id(backend, b.api))
            if (a.status == "ok") != (b.status == "ok"):
                good, bad = (a, b) if a.status == "ok" else (b, a)
                if bad.status == "unsupported" and case != base_case(case):
                    continue  # the swept dtype at an opset that lacks it: the `unsupported` hazard says so
                found[(backend, label, lo, hi, f"runs only at {good.opset}")].append(
                    (case, ids, f"at {bad.opset}: {bad.status}: {bad.message}", None))
            elif a.status == b.status == "ok":
                pw = pairs.get((case, frozenset(ids)))
                if pw is not None and (not pw.within_tolerance or not pw.shape_equal):
                    found[(backend, label, lo, hi, "outputs")].append((case, ids, None, pw))
    hazards = []
    for (backend, label, lo, hi, what), items in found.items():
        cases = tuple(dict.fromkeys(c for c, *_ in items))
        ids = items[0][1]
        if what != "outputs":
            summary = (f"{op.name}: {api_id(backend, label)} at opsets {lo} and {hi} {what} on {', '.join(cases)} "
                       f"({items[0][2][:160]})")
            severity, divergence = "medium", None
        else:
            worst = max((pw for *_, pw in items), key=lambda pw: pw.max_abs_error or 0.0)
            shape = "" if worst.shape_equal else " (output shapes differ)"
            summary = (f"{op.name}: {api_id(backend, label)} computes something else at opset {lo} than at {hi} on "
                       f"{', '.join(cases)}: outputs differ by up to {worst.max_abs_error or 0.0:.3g}{shape}")
            severity = "high"
            divergence = {"max_abs_error": worst.max_abs_error, "max_ulp": worst.max_ulp, "between": list(ids),
                          "case": worst.case}
        hazards.append(Hazard(
            op=op.name, kind="opset_drift", frameworks=(backend,), apis=ids, severity=severity, summary=summary,
            fix=(f"Export and run at one opset, or translate the node when its opset changes "
                 f"(https://onnx.ai/onnx/operators/onnx__{op_type(op, label)}.html lists each version)."),
            cases=cases, divergence=divergence))
    return hazards


def op_type(op, label: str) -> str:
    return next((a.call for a in op.apis if a.framework == "onnx" and base_label(a.label) == label), label)


def _convention_hazards(op, results: list[Result]) -> list[Hazard]:
    """One per parameter that the APIs this run executed write in more than one convention
    (portability.conventions): each convention with its APIs and the value of the op's first case, and the code
    that translates. Known by construction (the conventions cite their docs); its fix is verified when every API
    so called matched the reference wherever it ran."""
    from portability.conventions import convention_of, describe

    ran = {(r.framework, r.api) for r in results if r.status not in NOT_FINDINGS}
    apis = [(b, a) for a in op.apis for b in _backends(a) if (b, a.label) in ran]
    ctx = case_ctx(op.cases[0])
    hazards = []
    for p in op.params:
        groups: dict = defaultdict(list)  # convention (None: the canonical value) -> [(backend, api, arg name)]
        for backend, api in apis:
            found = convention_of(api, p)
            if found is not None:
                groups[found[1]].append((backend, api, found[0]))
        if len(groups) < 2:
            continue
        canonical = next(c.canonical for c in groups if c is not None)
        parts = []
        for conv, members in groups.items():
            backend, api, arg = members[0]
            parts.append(f"{describe(conv, canonical)} in {', '.join(api_id(b, a.label) for b, a, _ in members)} "
                         f"(first case: {arg}={_convention_value(api, p, ctx)!r})")
        ids = tuple(api_id(b, a.label) for members in groups.values() for b, a, _ in members)
        mine = [r for r in results if r.mode == "aligned" and api_id(r.framework, r.api) in ids and r.status == "ok"]
        checked = {api_id(r.framework, r.api) for r in mine}
        verified = set(ids) <= checked and all(r.shape_equal and r.within_tolerance is not False
                                               and r.nonfinite_equal is not False for r in mine)
        sources = list(dict.fromkeys(c.source for c in groups if c is not None))
        hazards.append(Hazard(
            op=op.name, kind="argument_convention",
            frameworks=tuple(dict.fromkeys(b for members in groups.values() for b, _, _ in members)),
            apis=ids, severity=SEVERITY["argument_convention"], param=p,
            summary=(f"{op.name}: `{p}` is written in {len(groups)} conventions, so a value copied from one API to "
                     f"another means something else (or fails): " + "; ".join(parts)),
            fix=("Translate the value (portability explain OP --from A --to B shows the code for one pair). "
                 + ("This run called every API with its translation of each case's value, and each matched the "
                    "reference wherever it ran." if verified else
                    "Not every API so called matched the reference on this run: see its other hazards.")),
            fix_verified=verified, known=True, known_source=", ".join(sources),
            known_reason="argument conventions documented by each framework (portability.conventions)"))
    return hazards


def _convention_value(api, p: str, ctx):
    """What ``api`` receives for parameter ``p`` in the context ``ctx`` (a mapped param or a positional one)."""
    from portability.transforms import TRANSFORMS

    if p in api.params:
        return framework_value(api.params[p], ctx.params[p], ctx)
    arg = next(a for a in api.args if isinstance(a, dict) and a.get("param") == p)
    return TRANSFORMS[arg["transform"]](ctx.params[p], ctx) if arg.get("transform") else ctx.params[p]


def _default_hazards(op, results, pairwise, live) -> list[Hazard]:
    """Defaults of the APIs this run executed (a framework not selected or not installed is out of scope)."""
    hazards = []
    ran = {(r.framework, r.api) for r in results if r.status not in NOT_FINDINGS}
    apis = [(b, a) for a in op.apis for b in _backends(a) if (b, a.label) in ran]
    table = {}
    for backend, api in apis:
        defaults, drift = effective_defaults(api, live.get((backend, api.label), {}), op)
        table[(backend, api.label)] = (api, defaults)
        for p, d in drift.items():
            hazards.append(Hazard(
                op=op.name, kind="default_drift", frameworks=(backend,), apis=(api_id(backend, api.label),),
                severity="low", param=p,
                summary=(f"{op.name}: the catalog documents {api.label} default {p}={d['documented']!r}, "
                         f"but the installed version has {d['live']!r}"),
                fix=f"Update the catalog entry's `defaults.{p}` for this version (or pin the framework).",
                defaults={api_id(backend, api.label): d["live"]}))
    for p in op.semantic_params:
        having = {key: d[p] for key, (api, d) in table.items() if p in d}
        distinct = []
        for v in having.values():
            if not any(_same(v, u) for u in distinct):
                distinct.append(v)
        if len(distinct) < 2:
            continue
        hazards.append(_default_mismatch(op, p, having, table, results, pairwise))
    return hazards


def _weight_layout_hazards(op, results: list[Result]) -> list[Hazard]:
    """One per API that ran and takes the torch checkpoint's weights rearranged (`layout:` on a weight, or a
    `derive:` from one): the finding is the conversion itself, as the NumPy lines a port writes. A pure
    transpose is low (most mistakes change a shape and fail loudly); a gate reorder or a channel-multiplier
    reshape is medium (a mistake keeps every shape: a silently wrong model)."""
    from portability.weight_layout import conversion, converted, silent, steps, weight_inputs

    weights = weight_inputs(op)
    if not weights:
        return []
    ran = {(r.framework, r.api) for r in results if r.status not in NOT_FINDINGS}
    found: dict[tuple, tuple] = {}  # (framework, label without @opset, lines) -> (api, ids): one per API, not per opset
    for api in op.apis:
        ids = tuple(api_id(b, api.label) for b in _backends(api) if (b, api.label) in ran)
        lines = conversion(op, api, weights) if ids else ()
        if lines:
            key = (api.framework, base_label(api.label), lines)
            found[key] = (found[key][0] if key in found else api, found.get(key, (None, ()))[1] + ids)
    hazards = []
    for (_, label, lines), (api, ids) in found.items():
        hazards.append(Hazard(
            op=op.name, kind="weight_layout", frameworks=tuple(dict.fromkeys(i.split(":", 1)[0] for i in ids)),
            apis=ids, severity="medium" if silent(api) else "low",
            summary=(f"{op.name}: {label} takes the torch checkpoint's {', '.join(converted(api, weights))} in "
                     f"another arrangement ({', '.join(steps(api, weights))}): a port converts them"),
            fix="Convert the checkpoint: " + "; ".join(line.split("  #")[0] for line in lines),
            conversion=lines))
    return hazards


def _backends(api) -> list[str]:
    from portability.frameworks import backends_for_key

    return [b.name for b in backends_for_key(api.framework)]


def _default_mismatch(op, p, having: dict, table: dict, results, pairwise) -> Hazard:
    """One semantic parameter whose defaults differ; its effect is measured only on pairs of APIs
    that agree on every other semantic default, so one parameter's divergence is never charged to another."""
    ids = {key: api_id(*key) for key in having}

    def used(key, q):  # the value an API runs with in defaults mode
        return table[key][1].get(q, op.params[q].value)

    others = [q for q in op.semantic_params if q != p]
    clean, confounded = set(), {}
    for k1, v1 in having.items():
        for k2, v2 in having.items():
            if k1 < k2 and not _same(v1, v2):
                pair = frozenset((ids[k1], ids[k2]))
                also = [q for q in others if not _same(used(k1, q), used(k2, q))]
                (confounded.__setitem__(pair, also) if also else clean.add(pair))
    pairs = [pw for pw in pairwise if pw.op == op.name and pw.mode == "defaults" and frozenset((pw.a, pw.b)) in clean]
    observed = max((pw.max_abs_error or 0.0 for pw in pairs), default=None)
    beyond = any(not pw.within_tolerance for pw in pairs)
    worst = max(pairs, key=lambda pw: pw.max_abs_error or 0.0, default=None)
    canonical = op.params[p].value
    groups = defaultdict(list)
    for key, v in having.items():
        groups[repr(v)].append(ids[key])
    listing = "; ".join(f"{v} in {', '.join(keys)}" for v, keys in groups.items())
    reshaped = [pw for pw in pairs if not pw.shape_equal]
    if reshaped:
        effect, severity = (f"left at the defaults, output shapes differ (e.g. {reshaped[0].a} vs {reshaped[0].b})",
                            "high")
    elif observed is not None and beyond:
        effect, severity = f"outputs differ by up to {observed:.3g} when left at the defaults", "high"
    elif observed is not None:
        effect = f"left at the defaults, outputs differed by at most {observed:.3g} (within tolerance) on these inputs"
        severity = "low"
    elif confounded:
        also = sorted({q for qs in confounded.values() for q in qs})
        effect = (f"its effect could not be isolated here (the APIs that differ in it also differ in "
                  f"{', '.join(also)})")
        severity = "medium"
    else:
        effect, severity = "no two of them finished in defaults mode here", "low"
    unfinished = _unfinished(having, results)
    if unfinished:  # what a call that never finished would have shown is unknown: never report it as harmless
        names = ", ".join(api_id(*key) for key in unfinished)
        effect += f"; not measured for {names} (crash or timeout in defaults mode)"
        severity = min(severity, "medium", key=SEVERITY_ORDER.get)
    fixes = list(dict.fromkeys(f for key in having if (f := explicit_call(table[key][0], p, canonical, op)) is not None))
    return Hazard(
        op=op.name, kind="default_argument_mismatch",
        frameworks=tuple(dict.fromkeys(k[0] for k in having)), apis=tuple(ids[k] for k in having),
        severity=severity, param=p,
        summary=f"{op.name}: the default of `{p}` differs: {listing}; {effect}",
        fix=f"Pass {p} explicitly everywhere: " + "; ".join(fixes) if fixes else "",
        cases=tuple(dict.fromkeys(pw.case for pw in pairs if not pw.within_tolerance)),
        defaults={ids[k]: v for k, v in having.items()},
        divergence=({"max_abs_error": observed, "between": [worst.a, worst.b], "case": worst.case,
                     "max_ulp": worst.max_ulp} if worst else None),
    )


def _unfinished(having: dict, results: list[Result]) -> list[tuple]:
    """The (backend, label) of APIs in ``having`` whose defaults-mode call crashed or timed out on some case."""
    return [key for key in having
            if any((r.framework, r.api) == key and r.mode == "defaults" and r.status in FAULTS for r in results)]


def explicit_call(api, p: str, value, op) -> str | None:
    """The explicit argument that sets ``p`` to ``value`` in one API (a call or constructor fragment)."""
    if p in api.fixed:
        return f"{api.label} cannot change {p} (always {api.fixed[p]!r})"
    amap = api.params.get(p)
    if amap is None:
        return None
    ctx = case_ctx(op.cases[0], {p: value})
    try:
        fw = framework_value(amap, value, ctx)
    except UnsupportedValue as exc:
        return f"{api.label}: {exc}"
    if amap.name is None:
        args = ", ".join(f"{k}={v!r}" for k, v in fw.items())
    else:
        args = f"{amap.name}={fw!r}"
    if api.framework == "onnx":
        return f"ONNX {api.call} attribute {args}"
    if (amap.name or "").startswith("call."):  # a layer's call kwarg; torch's call mode is module.train(mode)
        name = amap.name.split(".", 1)[1]
        if api.framework == "torch" and name == "training":
            return f"{api.label}(...).train({fw!r})"
        return f"{api.label}(...)(x, {name}={fw!r})"
    return f"{api.label}(..., {args})"


# Hazards about an API's default rather than about a case: one per parameter, their `cases` only say
# where the effect showed. They are never split per case, nor keyed per case in a diff.
_DEFAULT_KINDS = ("default_argument_mismatch", "default_drift", "argument_convention")


def per_case(kind: str) -> bool:
    """Whether a hazard of this kind is a fact about each of its cases (an outcome of one API's calls)."""
    return kind not in _DEFAULT_KINDS


def hazard_mode(kind: str) -> str | None:
    """The mode a hazard of this kind is seen in: outcomes in aligned mode, default mismatches in
    defaults mode; a default drift is read from a signature, in no mode."""
    return {"default_argument_mismatch": "defaults", "default_drift": None, "argument_convention": None}.get(kind, "aligned")


def base_case(case: str) -> str:
    """A case name without the `@dtype` suffix a dtype sweep gives it."""
    return case.rpartition("@")[0] or case


def case_dtype(op, case: str) -> str | None:
    """The dtype a case ran in: the op's own record of it, else a sweep's `@dtype` suffix."""
    for c in op.cases if op is not None else ():
        if c.name == case:
            return c.dtype
    return case.rpartition("@")[2] if "@" in case else None


def _mark_known(op, hazards: list[Hazard], results: list[Result] = (), shared=frozenset()) -> list[Hazard]:
    """Each hazard that lies entirely inside a known record's scope becomes known (reason, source).

    An outcome hazard (one API, several cases) whose cases fall in different records' scopes, or
    partly in none, is split first: one hazard per record and one for the cases no record covers,
    each rebuilt from its own results. So a documented case stays known, and a new diverging case
    of the same API is a hazard of its own, never absorbed."""
    out = []
    for h in hazards:
        for part in _split_by_scope(op, h, results, shared):
            rec = next((k for k in op.known if known_matches(k, part, op)), None)
            out.append(_as_known(part, rec) if rec else part)
    return out


def _split_by_scope(op, h: Hazard, results: list[Result], shared=frozenset()) -> list[Hazard]:
    if not per_case(h.kind) or len(h.cases) < 2 or len(h.apis) != 1 or not op.known:
        return [h]
    if any(known_matches(k, h, op) for k in op.known):
        return [h]  # one record covers it all
    owner = {c: next((i for i, k in enumerate(op.known) if _covers_case(k, h, c, op)), None) for c in h.cases}
    if len(set(owner.values())) == 1:
        return [h]  # no record covers any of its cases
    backend, label = h.apis[0].split(":", 1)
    kinds = _gradient_kinds if h.pass_ == "backward" else _kinds_of
    groups: dict = defaultdict(list)
    for r in results:
        if (r.op, r.mode, r.framework, r.api, r.pass_) == (h.op, "aligned", backend, label, h.pass_) \
                and r.case in owner and h.kind in kinds(r) and not _is_shared(r, h.kind, shared):
            groups[owner[r.case]].append(r)
    if {r.case for rs in groups.values() for r in rs} != set(h.cases):
        return [h]  # not the results it came from: left whole (and known only if a record covers all of it)
    return [_outcome_hazard(op, h.kind, backend, label, rs) for rs in groups.values()]


def _as_known(h: Hazard, record) -> Hazard:
    """A hazard inside a known record: its reason and source, and the documented workaround as its fix
    (said to be documented, not executed), in place of the generic advice."""
    fix = h.fix
    if record.workaround:
        fix = f"Documented workaround (from the catalog's known record; not executed): {record.workaround}"
    elif h.kind in ("error", "crash", "timeout"):
        fix = "Documented behaviour (see the known record's reason and source): keep the inputs in the range every " \
              "framework accepts, or use an API that handles them."
    return replace(h, known=True, known_reason=record.reason, known_source=record.source, fix=fix)


def known_matches(record, hazard: Hazard, op=None) -> bool:
    """Whether ``record`` covers ``hazard`` entirely: its kind, param and mode, one of the hazard's APIs
    or frameworks (for a default mismatch: an API whose default the record explains), and every case
    of the hazard by name and dtype. A hazard without cases lies in no record scoped to cases or dtypes."""
    if not _covers_all_but_cases(record, hazard):
        return False
    if not (record.cases or record.dtypes):
        return True
    return bool(hazard.cases) and all(_case_in_scope(record, c, op) for c in hazard.cases)


def _covers_case(record, hazard: Hazard, case: str, op) -> bool:
    return _covers_all_but_cases(record, hazard) and _case_in_scope(record, case, op)


def _covers_all_but_cases(record, hazard: Hazard) -> bool:
    if record.kind != hazard.kind or (record.param and record.param != hazard.param):
        return False
    if hazard.pass_ not in record.passes:
        return False
    if record.modes and hazard_mode(hazard.kind) not in record.modes:
        return False
    return any(n in _names(hazard) for n in record.apis)


def _names(hazard: Hazard) -> set[str]:
    """What a record may name a hazard's APIs by: backend:label ids, labels, backends; a per-opset ONNX copy
    (`Softmax@13`) also by its entry's label (`Softmax`, `onnxruntime:Softmax`)."""
    return _api_names(hazard.apis) | set(hazard.frameworks)


def _api_names(ids) -> set[str]:
    names = set()
    for ident in ids:
        backend, label = ident.split(":", 1)
        names |= {ident, label, f"{backend}:{base_label(label)}", base_label(label)}
    return names


def _case_in_scope(record, case: str, op) -> bool:
    if record.cases and not any(fnmatchcase(base_case(case), p) for p in record.cases):
        return False
    return not record.dtypes or case_dtype(op, case) in record.dtypes


def stale_known(op, hazards: list[Hazard], results: list[Result] | None = None) -> list[dict]:
    """Known records of ``op``, or parts of their scope, that matched no hazard of this run.

    Only what the run exercised is judged: a dtype it did not run, or (given ``results``) an API that
    did not run, is not stale. One entry per stale record: ``part`` "record" when it covers no hazard,
    else "scope", with ``unmatched`` listing the APIs, cases, dtypes and modes it names that no
    covered hazard has; ``detail`` says it in words."""
    mine = [h for h in hazards if h.op == op.name]
    ran = None if results is None else _ran_names(op, results)
    passes = None if results is None else {r.pass_ for r in results if r.op == op.name}
    out = []
    for k in op.known:
        cases = [c for c in op.cases if _case_in_scope(k, c.name, op)]
        apis = [a for a in k.apis if ran is None or a in ran]
        if not cases or not apis or (passes is not None and not set(k.passes) & passes):
            continue  # the run did not exercise it
        hit = [h for h in mine if known_matches(k, h, op)]
        if not hit:
            part, unmatched, detail = "record", {}, "matches no hazard"
        else:
            names = set().union(*(_names(h) for h in hit))
            seen = [c for h in hit for c in h.cases]
            unmatched = {
                "apis": [a for a in apis if a not in names],
                "cases": [p for p in k.cases if any(fnmatchcase(base_case(c.name), p) for c in cases)
                          and not any(fnmatchcase(base_case(c), p) for c in seen)],
                "dtypes": [d for d in k.dtypes if any(c.dtype == d for c in cases)
                           and not any(case_dtype(op, c) == d for c in seen)],
                "modes": [m for m in k.modes if not any(hazard_mode(h.kind) == m for h in hit)],
            }
            unmatched = {key: v for key, v in unmatched.items() if v}
            if not unmatched:
                continue
            part = "scope"
            detail = "; ".join(f"{key} {', '.join(v)}" for key, v in unmatched.items()) + " match no hazard"
        out.append({"op": op.name, "kind": k.kind, "apis": list(k.apis), "param": k.param, "cases": list(k.cases),
                    "dtypes": list(k.dtypes), "modes": list(k.modes), "passes": list(k.passes), "reason": k.reason,
                    "source": k.source, "part": part, "unmatched": unmatched, "detail": detail})
    return out


def _ran_names(op, results: list[Result]) -> set[str]:
    ran = set()
    for r in results:
        if r.op == op.name and r.status not in NOT_FINDINGS:
            ran |= _api_names([api_id(r.framework, r.api)]) | {r.framework}
    return ran
