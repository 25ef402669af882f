"""One resolved call, assessed against the targets: the values it determines and what each target API does.

Pure functions, no I/O. Where the values come from: the catalog's documented default (``defaults``),
the API's ``fixed`` value, or the literal the call passes, mapped back to canonical terms through the
entry's ``values`` and ``transform`` (Keras ``momentum=0.9`` is canonical 0.1). Targets are judged per
framework: every API of the op there is assessed (``same``; ``differs`` when its default differs but
it can take the value; ``cannot`` when a transform raises ``UnsupportedValue`` or the API is fixed to
another value; ``depends`` when that depends on the input's shape or rank; ``required`` when the API
has no default; ``n/a`` when nothing can be said). A target framework with several APIs
(``tf.nn.leaky_relu`` and ``keras.layers.LeakyReLU``) has a *primary* API, the first catalog API of
the same kind as the source call (a layer for a layer); its verdict is ``differs`` when that one
disagrees and ``cannot`` / ``depends`` when none of them can express the value.

The explicit arguments that make a target agree come from a ``RecipeSource``; ``CatalogRecipes`` maps
the value through the catalog's parameter mapping (as ``run`` executes it). A source of verified
recipes plugs in by passing another object with the same method to ``assess``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from portability.plan import CALL_PREFIX, framework_value, unsayable
from portability.scan.findings import Fix, TargetApi, py_literal, shown
from portability.scan.signatures import MISSING
from portability.scan.values import UNKNOWN, canonical_of, case_ctx, same as _same
from portability.transforms import SPATIAL, Ctx, UnsupportedValue, needs_of


@dataclass(frozen=True)
class Target:
    name: str  # as given to --to: tensorflow, onnxruntime
    key: str  # catalog key: tensorflow, onnx


class RecipeSource(Protocol):
    def target_args(self, op, api, param: str, value, ctx: Ctx) -> dict | None:
        """Framework arguments that make ``api`` use ``value`` for ``param``; raises UnsupportedValue."""


class CatalogRecipes:
    """Explicit arguments from the catalog's parameter mapping (the same mapping `run` executes)."""

    def target_args(self, op, api, param: str, value, ctx: Ctx) -> dict | None:
        amap = api.params.get(param)
        if amap is None:
            return None
        fw = framework_value(amap, value, ctx)
        return dict(fw) if amap.name is None else {amap.name: fw}


@dataclass(frozen=True)
class Value:
    param: str
    value: object
    origin: str  # default | implied | explicit
    name: str | None  # the source API's argument name
    fix: Fix | None = None  # pins a default as an explicit keyword


@dataclass(frozen=True)
class Judged:
    """One value of one candidate, assessed in every target."""

    value: Value
    apis: tuple  # TargetApi
    verdicts: dict  # target name -> ok | differs | cannot | depends


@dataclass(frozen=True)
class Assessment:
    match: object  # resolve.Match
    targets: tuple  # Target
    judged: tuple  # (Candidate, Judged) pairs, best candidate first
    unsupported: dict = field(default_factory=dict)  # target name -> reason: no candidate op has an API there


# ----------------------------------------------------------------------------- assessment


def assess(match, targets: tuple, recipes: RecipeSource | None = None) -> Assessment:
    recipes = recipes or CatalogRecipes()
    targets = tuple(t for t in targets if t.key != match.framework)
    judged = []
    for i, cand in enumerate(match.candidates):
        values, ctx, known = read_values(cand, implied=i == 0 and not match.ambiguous)
        for v in values.values():
            if match.ambiguous and not _shared_default(v, match.alternatives):
                continue
            apis = tuple(a for t in targets for a in _assess_target(cand, v, t, ctx, known, recipes))
            judged.append((cand, Judged(v, apis, _verdicts(apis, targets))))
    return Assessment(match, targets, tuple(judged), _unsupported(match, targets))


def _shared_default(v: Value, alternatives) -> bool:
    """For a call whose op depends on a run-time value: a default every possible entry documents alike."""
    return v.origin == "default" and all(
        v.param in c.api.defaults and _same(c.api.defaults[v.param], v.value)
        and c.api.params[v.param].name == v.name for c in alternatives)


def read_values(cand, implied: bool = True) -> tuple[dict, Ctx, frozenset]:
    """The canonical value of each parameter the call determines: {param: Value}, the Ctx transforms
    read, and the parameter names the call gives literally (transforms that read only those do not
    depend on the input's shape). ``implied``: include the API's fixed values (only the best candidate's:
    a fixed value belongs to the scenario an entry describes, interpolate's antialias path say)."""
    op, api, b = cand.op, cand.api, cand.binding
    mapped = {m.name: p for p, m in api.params.items() if m.name}
    extra = {n: a.value for n, a in b.given.items() if a.literal and n not in mapped and n not in op.params}
    ctx = case_ctx(op, extra)
    selected_by_default = any(not isinstance(v, dict) and k not in cand.selected_by for k, v in api.constants.items())
    values, known, settled = {}, set(extra), {}
    for p in op.params:
        if p in api.fixed:
            settled[p] = api.fixed[p]
            known.add(p)
            if implied:
                values[p] = Value(p, api.fixed[p], "default" if selected_by_default else "implied", None)
            continue
        amap = api.params.get(p)
        if amap is not None and (amap.name or "").startswith(CALL_PREFIX):
            # a layer's call kwarg (`call.training`): no constructor argument, so never read and never pinned
            # here, but its default is what every call of the built layer gets (a torch module trains until
            # .eval(); a Keras layer called without training= infers)
            if p in api.defaults and api.kind == "layer":
                values[p] = Value(p, api.defaults[p], "default", amap.name)
                known.add(p)
            continue
        if amap is None or amap.name is None:
            continue
        state, got = b.status(amap.name)
        if state == "given" and got.literal:
            canonical = canonical_of(op, api, p, got.value, ctx)
            if canonical is not UNKNOWN:
                values[p] = Value(p, canonical, "explicit", amap.name)
                known.add(p)
        elif state == "absent" and p in api.defaults:
            values[p] = Value(p, api.defaults[p], "default", amap.name,
                              _pin(api, amap, p, api.defaults[p], ctx, b))
            known.add(p)
        elif state == "absent" and got not in (MISSING, "<object>", None):
            # no documented default, but the signature's (Conv2d stride=1): certain, though no finding of its own
            canonical = canonical_of(op, api, p, got, ctx)
            if canonical is not UNKNOWN:
                settled[p] = canonical
                known.add(p)
    ctx = case_ctx(op, extra | settled | {p: v.value for p, v in values.items()})
    values = {p: v for p, v in values.items() if not (p in INERT and INERT[p](ctx.params, known))}
    return values, ctx, frozenset(known)


def _no_padding(params: dict, known) -> bool:
    pad = params.get("padding")
    zero = pad == "valid" or pad == 0 or isinstance(pad, (list, tuple)) and all(
        x == 0 or isinstance(x, (list, tuple)) and not any(x) for x in pad)
    return "padding" in known and zero and "ceil_mode" in known and not params.get("ceil_mode")


def _integral_scale(params: dict, known) -> bool:
    scale = params.get("scale")
    scales = scale if isinstance(scale, (list, tuple)) else [scale]
    return "scale" in known and all(isinstance(x, (int, float)) and float(x).is_integer() for x in scales)


# Parameters that change nothing under some values of others, so a difference in them is no hazard there
# (scan-side knowledge: the catalog's cases exercise them where they matter). Keyed by canonical name.
INERT = {
    "count_include_pad": _no_padding,  # no padded cell to count (and no ceil_mode overhang)
    "recompute_scale": _integral_scale,  # an integer scale factor gives the same grid either way
}


def _pin(api, amap, p: str, value, ctx: Ctx, binding) -> Fix | None:
    """The keyword that pins a left-out default, when the rewrite is certain: a known argument name
    that takes keywords, a mapping that needs no input shape, and a plain literal that is not the
    API's 'unset' sentinel (torch.std's correction=None, softmax's dim=None)."""
    if amap.name in binding.positional_only or (amap.transform and needs_of(amap.transform).requires):
        return None
    try:
        fw = framework_value(amap, value, ctx)
    except Exception:  # noqa: BLE001 - not expressible: nothing to pin
        return None
    text = py_literal(fw) if fw is not None else None
    return Fix(((amap.name, text),)) if text is not None else None


def _assess_target(cand, v: Value, target: Target, ctx: Ctx, known: frozenset, recipes) -> list[TargetApi]:
    op = cand.op
    apis = [a for a in op.apis_for(target.key) if not a.unsupported and not a.not_expressible]
    if not apis:
        return []
    primary = next((a for a in apis if a.kind == cand.api.kind), apis[0])
    return [_assess_api(op, a, a is primary, v, target, ctx, known, recipes) for a in apis]


def _assess_api(op, a, primary: bool, v: Value, target: Target, ctx: Ctx, known, recipes) -> TargetApi:
    p, want = v.param, v.value
    base = dict(framework=target.name, api=a.label, primary=primary)
    if p in a.fixed:
        have = a.fixed[p]
        if _same(have, want):
            return TargetApi(**base, value=have, status="same")
        if _axis_alias(p, have, want):
            return TargetApi(**base, value=have, status="depends",
                             note=f"always {p}={shown(have)}: the same axis only for inputs of some rank")
        return TargetApi(**base, value=have, status="cannot", note=f"always {p}={shown(have)}")
    amap = a.params.get(p)
    if amap is None:
        return TargetApi(**base, value=None, status="n/a")
    has_default = p in a.defaults
    have = a.defaults.get(p)
    shown_default = _framework_shown(amap, have, ctx) if has_default else None
    if has_default and _same(have, want):
        return TargetApi(**base, value=have, status="same", shown=shown_default)
    explicit, note, state = None, None, "cannot"
    others = _equivalents(p, want, ctx, known)
    for candidate in (want, *(others or ())):
        if unsayable(op, p, candidate, amap):
            note = f"no {shown(candidate)} setting" + (f" (default {shown_default or shown(have)})" if has_default else "")
            continue
        explicit, note, state = _expressible(recipes, op, a, p, candidate, ctx, _shape_dependent(amap, known))
        if explicit is not None:
            break
    if explicit is None:
        if state == "unknown" or others is None:
            # undecided (a mapping that failed on something it does not declare, a kernel size that is not a
            # literal): claim nothing
            return TargetApi(**base, value=have, status="n/a", note=note)
        return TargetApi(**base, value=have, status=state, note=note, shown=shown_default)
    if has_default:
        return TargetApi(**base, value=have, status="differs", explicit=explicit, shown=shown_default)
    return TargetApi(**base, value=None, status="required", explicit=explicit)


def _expressible(recipes, op, a, p: str, value, ctx: Ctx, dependent: bool):
    """(explicit arguments or None, why not, "ok" | "cannot" | "depends" (on the input's shape) | "unknown").

    A mapping that reads the input's shape (TF pooling's explicit pads are SAME only for some sizes)
    is tried on every case's shapes of the op and on the first case grown by one pixel per spatial
    dim: it is expressible only if it is for all of them."""
    contexts = [ctx]
    if dependent:
        contexts += [Ctx(ctx.params, {i.name: i.shape for i in c.inputs}) for c in op.cases[1:]]
        contexts.append(Ctx(ctx.params, {k: (*s[:2], *(d + 1 for d in s[2:])) for k, s in ctx.shapes.items()}))
    results, note = [], None
    for c in contexts:
        try:
            results.append(recipes.target_args(op, a, p, value, c))
        except UnsupportedValue as exc:
            note = note or str(exc)
            results.append(None)
        except Exception as exc:  # noqa: BLE001 - not a declared refusal: no verdict on this API
            return None, f"cannot map {shown(value)} ({type(exc).__name__})", "unknown"
    if all(r is not None for r in results):
        return results[0], None, "ok"
    return None, note, "depends" if dependent else "cannot"


def _axis_alias(p: str, a, b) -> bool:
    """Two axes, one counted from the end, that name the same axis for some rank (dim=1 and -1 in 2-D)."""
    return ("axis" in p or "dim" in p) and all(isinstance(x, int) and not isinstance(x, bool) for x in (a, b)) \
        and (a < 0) != (b < 0)


def _framework_shown(amap, value, ctx) -> str | None:
    """A canonical default in the API's own terms (Keras momentum 0.01 -> momentum=0.99)."""
    try:
        fw = framework_value(amap, value, ctx)
    except Exception:  # noqa: BLE001 - shown in canonical terms then
        return None
    if amap.name is None or isinstance(fw, dict):
        return None
    if amap.name.startswith(CALL_PREFIX):
        return f"its calls get {amap.name[len(CALL_PREFIX):]}={shown(fw)} by default"
    text = f"{amap.name}={shown(fw)}"
    if (amap.transform or (amap.values and fw != value)) and shown(fw) != shown(value):
        text += f", i.e. {shown(value)} in the catalog's terms"  # Keras momentum=0.99 is canonical 0.01; 1 is True
    return text


def _equivalents(p: str, value, ctx: Ctx, known: frozenset) -> list | None:
    """Other canonical spellings of the same behaviour: explicit pads of zero are 'valid', symmetric pads
    of d*(k-1)/2 at stride 1 are 'same', and a 1x1 kernel makes 'same' and 'valid' one (SAME pads nothing).
    None when that cannot be decided because the call's kernel size, stride or dilation is not a
    literal (``padding=1`` with ``kernel_size=k``)."""
    if p != "padding" or "stride" not in ctx.params:
        return []
    params = ctx.params
    if value in ("same", "valid"):
        k = params.get("kernel_size")
        ones = "kernel_size" in known and (k == 1 or isinstance(k, (list, tuple)) and all(x == 1 for x in k))
        return [{"same": "valid", "valid": "same"}[value]] if ones else []
    if "kernel_size" not in known or not {"stride", "dilation"} & set(params) <= known:
        return None
    k, s, d = params.get("kernel_size"), params.get("stride", 1), params.get("dilation", 1)
    n = len(ctx.shapes.get("x", ())) - 2 if "x" in ctx.shapes else 2

    def per_dim(x):
        return [x] * n if isinstance(x, int) else list(x) if isinstance(x, (list, tuple)) else None

    ks, ss, ds, ps = per_dim(k), per_dim(s), per_dim(d), per_dim(value)
    if None in (ks, ss, ds, ps) or not all(isinstance(x, int) for x in ps) or len({len(ks), len(ss), len(ds), len(ps)}) != 1:
        return []
    if all(x == 0 for x in ps):
        return ["valid"]
    if all(si == 1 and (ki - 1) * di % 2 == 0 and pi == (ki - 1) * di // 2 for ki, si, di, pi in zip(ks, ss, ds, ps)):
        return ["same"]
    return []


def _shape_dependent(amap, known: frozenset) -> bool:
    """Whether a transform's answer depends on the input's shape: it reads an input other than for the
    number of spatial dims, or a parameter the call does not give."""
    if not amap.transform:
        return False
    for alternatives in needs_of(amap.transform).requires:
        if alternatives == SPATIAL:
            continue
        if not any(a.startswith("param:") and a.split(":", 1)[1] in known for a in alternatives):
            return True
    return False


def _verdicts(apis: tuple, targets: tuple) -> dict:
    out = {}
    for t in targets:
        mine = [a for a in apis if a.framework == t.name and a.status != "n/a"]
        if not mine:
            continue
        if all(a.status in ("cannot", "depends") for a in mine):
            out[t.name] = "depends" if any(a.status == "depends" for a in mine) else "cannot"
        elif any(a.primary and a.status in ("differs", "cannot", "depends") for a in mine):
            out[t.name] = "differs"
        else:
            out[t.name] = "ok"
    return out


def _unsupported(match, targets: tuple) -> dict:
    """Targets where no reading of the call has an API: every surviving entry, not only the best ones
    (``nn.Conv2d(..., bias=False)`` reads best as the padding-mode entry, which TF lacks, but it is also
    the plain conv layer, which TF has), and each says so with an ``unsupported:`` entry (an op with no
    entry at all for a framework is not covered there, which is no claim)."""
    out = {}
    for t in targets:
        reasons = []
        for cand in match.alternatives or match.candidates:
            apis = cand.op.apis_for(t.key)
            if not apis or any(not a.unsupported for a in apis):
                break
            reasons.append(next(a.unsupported for a in apis if a.unsupported))
        else:
            out[t.name] = reasons[0]
    return out
