"""Port recipes: the explicit arguments that make a target API compute what a source API computes.

A naive port of a source API S calls it at its defaults: S computes with the case's values overridden
by its effective defaults D_S. The recipe for a target T passes every parameter T maps at those same
values, all together (LRN needs alpha, size and beta to move together; a legacy TF resize needs both
coordinate flags). The checker *executes* each recipe (T, planned in aligned mode at D_S) beside the
run, and a recipe is verified on a case when T's output then agrees with S's defaults-mode output
within tolerance. Pure functions: planning and assessment; the runner executes what they plan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from portability.hazards import _same, api_id, effective_defaults
from portability.plan import CALL_PREFIX, case_ctx, framework_value, plan_call, unsayable
from portability.transforms import UnsupportedValue, needs_of

RECIPE_MODE = "recipe"  # the mode of recipe tasks; a task's `variant` says which source defaults it takes


@dataclass(frozen=True)
class Recipe:
    """Porting ``source`` to ``target``: the arguments to write, and what running them showed."""

    source: str  # "backend:api"
    target: str
    values: dict  # canonical param -> the value the target must be given (the source's behaviour)
    args: dict  # target argument -> value in the target's own terms (e.g. Keras momentum 0.99 for torch's 0.1)
    call: str  # the target call fragment with those arguments
    cases: int = 0  # cases both sides ran
    agreeing: int = 0  # cases on which the target, so called, agreed with the source
    residual: float | None = None  # the largest remaining difference (max abs) over those cases
    note: str = ""  # why a recipe cannot be written or run, when it cannot
    other: tuple = ()  # cases left out: there the two APIs differ even at equal values (another hazard)

    @property
    def verified(self) -> bool:
        return self.cases > 0 and self.agreeing == self.cases


def variant_key(values: dict) -> str:
    """A stable name for one set of source defaults (the recipe tasks planned for it share it)."""
    return ";".join(f"{p}={values[p]!r}" for p in sorted(values))


def source_values(api) -> dict:
    """What a naive call of ``api`` computes with, beyond the case's values: its effective defaults as the
    catalog documents them (the recipe tasks are planned before any live default is read), except where the
    documented value is not the one in force (``_schema_defaults``)."""
    return effective_defaults(api, _schema_defaults(api))[0]


def _schema_defaults(api) -> dict:
    """An ONNX entry written for several opsets documents its newest one's defaults (hazards.effective_defaults);
    at an older opset it is written for, the schema's default is the default (Softmax written for [11, 13]:
    axis=1 at 11, -1 at 13), which classification reads live and the recipe must start from too. The snapshot
    (onnx_schemas.json) knows it without importing onnx. Other copies keep the documented words: above the
    entry's opsets a value may be spelled otherwise (GridSample's bilinear is "linear" from 20 on)."""
    own = api.own_opsets
    if api.framework != "onnx" or api.opset is None or api.opset not in own or api.opset == max(own):
        return {}
    from portability.frameworks.onnx_schemas import attribute_defaults

    schema = attribute_defaults(api.call, api.opset)
    return {p: schema[m.name] for p, m in api.params.items() if m.name in schema and p in api.defaults}


def recipe_values(source_api, target_api) -> dict:
    """The source's defaults restricted to what the target can be told (its mapped or fixed params)."""
    values = source_values(source_api)
    return {p: v for p, v in values.items() if p in target_api.params or p in target_api.fixed}


def pairs_to_port(op, apis: list[tuple[str, object]]) -> list[tuple[tuple, tuple]]:
    """Ordered (source, target) pairs of (backend, api) whose defaults differ on a semantic parameter."""
    values = {(b, a.label): source_values(a) for b, a in apis}
    by_key = {(b, a.label): (b, a) for b, a in apis}
    out = []
    for s, vs in values.items():
        for t, vt in values.items():
            if s != t and any(p in vs and p in vt and not _same(vs[p], vt[p]) for p in op.semantic_params):
                out.append((by_key[s], by_key[t]))
    return out


def unset_only_in_source(op, target_api, values: dict) -> dict:
    """The source's values that mean a parameter left unset (torch's softmax without `dim` picks an 'implicit'
    axis from the input's rank) and that the target has no word for (``plan.unsayable``): no argument carries
    them across, so no recipe call exists (the caller must pass the parameter in the source)."""
    return {p: v for p, v in values.items() if p in target_api.params and unsayable(op, p, v, target_api.params[p])}


def plan_recipe(op, source_api, target_api, case, shapes: dict):
    """The target's call at the source's defaults (aligned mode: every mapped parameter explicit), or None
    when a transform of the target cannot take one of those values at all, or the source's value is one it
    has only by leaving the parameter unset (``unset_only_in_source``)."""
    values = recipe_values(source_api, target_api)
    if unset_only_in_source(op, target_api, values):
        return None
    try:
        return plan_call(op, target_api, replace(case, params={**case.params, **values}), "aligned", shapes)
    except (TypeError, ValueError, KeyError):  # e.g. a channels-last axis transform given another kind of value
        return None


def recipe_text(op, source_api, target_api, values: dict) -> tuple[dict, str, str]:
    """(args in the target's terms, call fragment, note) for giving ``values`` to the target, together with
    each semantic parameter the source passes explicitly (it has no default) and the target would
    otherwise default: its value is the caller's own, shown here for the op's first case."""
    case = op.cases[0]
    ctx = case_ctx(case, values)
    passed = [p for p in op.semantic_params if p not in values and p in source_api.params
              and p in target_api.defaults]
    args, notes, per_case = {}, [], []
    unset = unset_only_in_source(op, target_api, values)
    for p, v in [*values.items(), *((p, case.params[p]) for p in passed)]:
        if p in unset:
            name = source_api.params[p].name or p
            args[target_api.params[p].name or p] = "<your value>"
            notes.append(f"{source_api.label} without {name} uses {p}={v!r}, which {target_api.label} has no value "
                         f"for: pass {name} explicitly in the source, and the same value here")
            continue
        if p in target_api.fixed:
            if not _same(target_api.fixed[p], v):
                notes.append(f"{target_api.label} always uses {p}={target_api.fixed[p]!r}; the source uses {v!r}")
            continue
        amap = target_api.params[p]
        try:
            fw = framework_value(amap, v, ctx)
        except UnsupportedValue as exc:
            notes.append(f"{p}={v!r}: {exc}")
            continue
        except (TypeError, ValueError, KeyError):  # a value of another kind than the target's transform takes
            notes.append(f"{target_api.label} has no way to say {p}={v!r}")
            continue
        args.update(fw if amap.name is None else {amap.name: fw})
        reads = [r.split(":", 1)[1] for alts in (needs_of(amap.transform).requires if amap.transform else ())
                 for r in alts if r.startswith("param:")]
        per_case += [q for q in ([p] if p in passed else []) + reads if q in case.params]
    written = ", ".join(f"{k}={val}" if val == "<your value>" else f"{k}={val!r}"
                        for k, val in args.items() if not k.startswith(CALL_PREFIX))
    if target_api.framework == "onnx":  # the opset of a per-opset copy: Softmax's default axis moved at 13
        node = f"{target_api.call} (opset {target_api.opset})" if target_api.opset else target_api.call
        call = f"ONNX {node} with attributes {written}" if written else f"ONNX {node}"
    else:
        call = f"{target_api.label}(..., {written})" if written else f"{target_api.label}(...)"
        call += _call_part(target_api, {k[len(CALL_PREFIX):]: v for k, v in args.items() if k.startswith(CALL_PREFIX)})
    if per_case:
        call += " [for " + ", ".join(f"{q}={case.params[q]!r}" for q in dict.fromkeys(per_case)) + "]"
    return args, call, "; ".join(notes)


def _call_part(api, call_kwargs: dict) -> str:
    """A layer's call kwargs after its construction: torch's call mode is module.train(mode)."""
    part = ""
    if api.framework == "torch" and "training" in call_kwargs:
        part += f".train({call_kwargs.pop('training')!r})"
    if call_kwargs:
        part += f"(x, {', '.join(f'{k}={v!r}' for k, v in call_kwargs.items())})"
    return part


def assess(op, source: tuple, target: tuple, source_outputs: dict, target_outputs: dict, metric,
           other: frozenset = frozenset()) -> Recipe:
    """One recipe, with the verdict of its runs. ``source_outputs``/``target_outputs``: case -> first output
    or None (the call failed); ``metric(case, a, b)`` -> (max_abs, within). Cases in ``other`` are left
    out: there the two APIs disagree even when both are given the same values (a hazard of its own,
    e.g. NaN handling), which no argument of this parameter can fix."""
    (sb, sa), (tb, ta) = source, target
    values = recipe_values(sa, ta)
    args, call, note = recipe_text(op, sa, ta, values)
    if unset_only_in_source(op, ta, values):  # no call to run: the note says what to write instead
        return Recipe(api_id(sb, sa.label), api_id(tb, ta.label), values, args, call, note=note)
    cases = agreeing = 0
    residual = None
    failed = []
    for case_name, a in source_outputs.items():
        if a is None or case_name in other:
            continue
        b = target_outputs.get(case_name)
        if b is None:
            failed.append(case_name)
            continue
        cases += 1
        max_abs, within = metric(case_name, a, b)
        agreeing += bool(within)
        if max_abs is not None:
            residual = max_abs if residual is None else max(residual, max_abs)
    if failed and not note:
        note = f"the target call failed on {', '.join(failed)}"
    if not cases and not note:
        note = "the target could not be called at the source's values"
    return Recipe(api_id(sb, sa.label), api_id(tb, ta.label), values, args, call, cases, agreeing, residual, note,
                  tuple(sorted(other)))


def with_alternatives(recipes: list[Recipe], candidates: list[Recipe]) -> list[Recipe]:
    """A recipe no argument can express (the target fixes a value, or a transform refuses it) says what
    to write instead: another API of the target's framework, from the same source, that was verified."""
    out = []
    for r in recipes:
        backend = r.target.split(":", 1)[0]
        alt = None if (r.cases or not r.note) else next(
            (o for o in [*recipes, *candidates] if o.source == r.source and o.verified
             and o.target.split(":", 1)[0] == backend and o.target != r.target), None)
        if alt is None:
            out.append(r)
            continue
        out.append(replace(r, call=alt.call, cases=alt.cases, agreeing=alt.agreeing, residual=alt.residual,
                           note=f"{r.target.split(':', 1)[1]} cannot express it ({r.note}); write {alt.call} instead"))
    return out


def summary(recipe: Recipe) -> str:
    """One line: what to write, and what running it showed."""
    if recipe.verified:
        shown = f"verified on {recipe.cases} case{'s' * (recipe.cases != 1)}"
    elif recipe.cases:
        shown = (f"NOT verified: agrees on {recipe.agreeing}/{recipe.cases} cases, residual "
                 f"{recipe.residual:.3g}" if recipe.residual is not None else
                 f"NOT verified: agrees on {recipe.agreeing}/{recipe.cases} cases")
    else:
        shown = "not run"
    note = f" ({recipe.note})" if recipe.note else ""
    if recipe.other:
        note += f" (not counted: {', '.join(recipe.other)}, where the two differ at equal values too)"
    return f"{recipe.source} -> {recipe.call}: {shown}{note}"
