"""One call, planned: (op, case, API, mode) -> the exact arguments a framework receives.

Pure and framework-free, so the parent process can plan, snippet and explain calls without
importing any framework; workers only execute plans.

Modes:
- ``aligned``: every parameter passed explicitly at its canonical value;
- ``defaults``: parameters the API documents a default for are omitted, as a naive port writes it.

Passes: a plan with ``wrt`` is the backward pass of the same call: the vector-Jacobian product of its
float outputs, with the case's shared cotangents, with respect to those canonical inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from portability.layouts import inverse, permutation
from portability.spec import PASSES
from portability.transforms import TRANSFORMS, Ctx, NotExpressible, UnsupportedValue

MODES = ("aligned", "defaults")
CALL_PREFIX = "call."  # a parameter mapped to `call.NAME` is a layer call kwarg
__all__ = ["MODES", "PASSES", "CallPlan", "plan_call", "api_wrt", "differentiated", "cotangent_name"]


@dataclass(frozen=True)
class Value:
    """A literal argument; with a dtype, it becomes a tensor (ONNX inputs, index tensors)."""

    value: object
    dtype: str | None = None


@dataclass(frozen=True)
class Input:
    name: str


@dataclass(frozen=True)
class Ref:
    """A framework callable passed as an argument (jax.lax.reduce_window's computation), by dotted path; with
    ``kwargs``, the object it returns for them (jax.lax.ScatterDimensionNumbers(...)): lists become tuples."""

    dotted: str
    kwargs: tuple = ()  # (name, value) pairs


@dataclass(frozen=True)
class CallPlan:
    backend_key: str
    call: str
    label: str
    kind: str
    args: tuple  # Input | Value | tuple of Input (a list of tensors) | "" (an omitted optional ONNX input)
    kwargs: dict  # framework kwarg -> Input | Value (function call, or layer constructor)
    call_kwargs: dict  # layer call kwargs
    weights: dict  # layer attribute -> input name
    derive: dict  # derived input -> (array transform, source inputs), computed in the worker
    layouts: dict  # input name -> permutation into the framework's layout
    output_perm: tuple | None  # permutation that brings outputs back to the canonical layout
    output_squeeze: int | None  # size-1 axis dropped from outputs before that permutation
    outputs: tuple | None
    n_outputs: int
    opset: int | None
    unsupported: str | None = None  # why this call is not made (the framework lacks it, or see not_expressible)
    omitted: tuple = field(default_factory=tuple)  # semantic params left to the API default
    not_expressible: bool = False  # `unsupported` is a gap of this checker, not of the framework
    reads: tuple = ()  # outputs read back after the call: inputs updated in place, or layer attributes
    wrt: tuple = ()  # backward pass: the canonical inputs to differentiate (empty: the forward pass)
    float_outputs: tuple = ()  # backward pass: True for each output the cotangents weight (float outputs)
    output_stack: int | None = None  # the returned tuple of arrays is stacked on this axis into the one output

    @property
    def pass_(self) -> str:
        return "backward" if self.wrt else "forward"


def cotangent_name(index: int) -> str:
    """Where a case's arrays keep the shared cotangent of output ``index`` (no input name has a colon)."""
    return f"cotangent:{index}"


def api_wrt(op, api, case) -> tuple[str, ...]:
    """The inputs of ``case`` the backward pass of ``api`` differentiates: the op's differentiable inputs
    that the API takes (as an argument, a layer weight, or the source of a derived weight)."""
    if api.unsupported or api.not_expressible:
        return ()
    taken = set(api.kwargs.values()) | set(api.weights.values())
    for a in api.args:
        taken |= set(a) if isinstance(a, tuple) else {a} if isinstance(a, str) else set()
    for _, sources in api.derive.values():
        taken |= {s for s in sources if isinstance(s, str)}  # a source may also be a {param: NAME} value
    return tuple(n for n in op.wrt(case) if n in taken)


def differentiated(plan: CallPlan) -> tuple[str, ...]:
    """The names an adapter differentiates for a backward plan: the inputs the call itself takes (arguments,
    layer weights) that are wrt inputs or derived from one; the worker pulls a derived weight's gradient back
    to its sources (portability.array_transforms.pullback)."""
    depends = set(plan.wrt)
    for derived, (_, sources) in plan.derive.items():  # in declaration order: later ones may use earlier
        if depends & {s for s in sources if isinstance(s, str)}:
            depends.add(derived)
    return tuple(n for n in dict.fromkeys(_direct_inputs(plan)) if n in depends)


def _direct_inputs(plan: CallPlan) -> list[str]:
    names = []
    for item in [*plan.args, *plan.kwargs.values()]:
        for i in item if isinstance(item, tuple) else (item,):
            if isinstance(i, Input):
                names.append(i.name)
    return names + list(plan.weights.values())


def plan_call(op, api, case, mode: str, shapes: dict, pass_: str = "forward") -> CallPlan:
    """Plan one call; an unsupported value becomes a plan that carries the reason instead of args.
    ``pass_="backward"`` plans its vector-Jacobian product with respect to ``api_wrt``."""
    base = dict(backend_key=api.framework, call=api.call, label=api.label, kind=api.kind, reads=api.reads,
                outputs=api.outputs, n_outputs=len(op.outputs), opset=api.opset, output_squeeze=api.output_squeeze,
                output_stack=api.output_stack)
    if pass_ == "backward":
        base |= dict(wrt=api_wrt(op, api, case), float_outputs=tuple(o.kind == "float" for o in op.outputs))
    if api.unsupported:
        return _unsupported(base, api.unsupported)
    if api.not_expressible:
        return _unsupported(base, api.not_expressible, not_expressible=True)
    ctx = Ctx(case.params, shapes)
    for p, only in api.fixed.items():
        # A naive port (defaults mode) still calls the API and silently gets its fixed behaviour.
        if mode == "aligned" and case.params.get(p) != only:
            return _unsupported(base, f"{api.label} implements only {p}={only!r}; the case needs {case.params.get(p)!r}")
    omitted = tuple(p for p in api.defaults if mode == "defaults")
    try:
        params = {}
        for p, amap in api.params.items():
            if p in omitted:
                continue
            params.update(_map_param(amap, case.params[p], ctx))
        args = tuple(_arg(a, case.params, ctx, case.dtype) for a in api.args)
    except UnsupportedValue as exc:
        return _unsupported(base, str(exc))
    except NotExpressible as exc:
        return _unsupported(base, str(exc), not_expressible=True)
    constants = {k: _constant(v, shapes) for k, v in api.constants.items()}
    # `call.NAME` maps a parameter to the layer's call, not its constructor (Keras `training`; torch's adapter
    # turns a `training` call kwarg into nn.Module.train(mode)); omitted in defaults mode like any other.
    call_params = {k.split(".", 1)[1]: v.value for k, v in params.items() if k.startswith(CALL_PREFIX)}
    params = {k: v for k, v in params.items() if not k.startswith(CALL_PREFIX)}
    kwargs = {k: Input(v) for k, v in api.kwargs.items()} | constants | params
    layouts = {name: permutation(lay) for name, lay in api.layout.items()}
    for name, perm in layouts.items():
        if name in shapes and len(perm) != len(shapes[name]):
            return _unsupported(base, f"{api.label} takes {name} in layout {api.layout[name]} "
                                      f"({len(perm)}-D); this case gives it {len(shapes[name])}-D")
    out_perm = inverse(permutation(api.output_layout)) if api.output_layout is not None else None
    return CallPlan(**base, args=args, kwargs=kwargs, call_kwargs=dict(api.call_kwargs) | call_params, weights=dict(api.weights),
                    derive=_derive(api.derive, case.params), layouts=layouts, output_perm=out_perm, omitted=omitted)


def _derive(derive: dict, params: dict) -> dict:
    """Derived inputs with each {param: NAME} source replaced by the case's value (a Value)."""
    return {name: (transform, tuple(s if isinstance(s, str) else Value(params[s["param"]]) for s in sources))
            for name, (transform, sources) in derive.items()}


def _unsupported(base: dict, reason: str, not_expressible: bool = False) -> CallPlan:
    return CallPlan(**base, args=(), kwargs={}, call_kwargs={}, weights={}, derive={}, layouts={}, output_perm=None,
                    unsupported=reason, not_expressible=not_expressible)


def case_ctx(case, values: dict | None = None) -> Ctx:
    """The transforms' context for a case (its params, overridden by ``values``) before any array exists:
    the shapes come from the case's input specs."""
    return Ctx({**case.params, **(values or {})}, {i.name: i.shape for i in case.inputs})


def framework_value(amap, value, ctx: Ctx):
    """The value one framework receives for a canonical value (values map, then transform)."""
    value = mapped_value(amap.values, value)
    if amap.transform:
        value = TRANSFORMS[amap.transform](value, ctx)
    return value


def mapped_value(values: dict | None, value):
    """A canonical value through a `values` map (canonical -> framework); unmapped values pass through."""
    if values is not None and _hashable(value) and value in values:
        return values[value]
    return value


def is_sentinel(op, p: str, value) -> bool:
    """A canonical value that some API maps to None ('implicit', 'flatten'): it means 'left unset' there,
    and only an API whose values list it can express it."""
    return isinstance(value, str) and any(
        a.params.get(p) is not None and a.params[p].values and value in a.params[p].values
        and a.params[p].values[value] is None for a in op.apis)


def unsayable(op, p: str, value, amap) -> bool:
    """A sentinel (``is_sentinel``) that the API mapped by ``amap`` has no word for: no argument of it says
    'left unset' the way the API that maps it to None does (torch's implicit softmax dim, in TF or ONNX)."""
    return is_sentinel(op, p, value) and not (amap.values and value in amap.values)


def _map_param(amap, value, ctx: Ctx) -> dict:
    value = framework_value(amap, value, ctx)
    if amap.name is None:
        if not isinstance(value, dict):
            raise TypeError(f"transform {amap.transform} must return a dict when the param has no name")
        return {k: Value(v) for k, v in value.items()}
    return {amap.name: Value(value)}


def _arg(item, params: dict, ctx: Ctx, case_dtype: str = "float32"):
    """One positional argument. ``dtype: case`` makes a tensor in the case's dtype: ONNX types Clip's
    bounds or Pad's constant_value like the data input, so a float16 case needs float16 bounds (Resize's
    scales, by contrast, are always float32)."""
    if isinstance(item, tuple):
        return tuple(Input(name) for name in item)
    if isinstance(item, str):
        return Input(item) if item else ""
    dtype = item.get("dtype")
    if dtype == "case":
        dtype = case_dtype
    if "param" in item:
        value = params[item["param"]]
        if item.get("transform"):
            value = TRANSFORMS[item["transform"]](value, ctx)
        return Value(value, dtype)
    return Value(item["value"], dtype)


def _constant(value, shapes: dict):
    """A constant kwarg; {dim: [input, axis]} reads a size from an input's canonical shape,
    {ref: dotted.path} passes a framework callable."""
    if isinstance(value, dict) and set(value) in ({"ref"}, {"ref", "kwargs"}):
        return Ref(value["ref"], tuple((k, _tuples(v)) for k, v in value.get("kwargs", {}).items()))
    if isinstance(value, dict) and set(value) == {"dim"}:
        name, axis = value["dim"]
        return Value(shapes[name][axis])
    if isinstance(value, dict) and set(value) == {"dims"}:
        name, axes = value["dims"]
        return Value(tuple(shapes[name][a] for a in axes))
    return Value(value)


def _hashable(v) -> bool:
    try:
        hash(v)
        return True
    except TypeError:
        return False


def _tuples(v):
    return tuple(_tuples(x) for x in v) if isinstance(v, (list, tuple)) else v
