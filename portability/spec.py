"""The catalog: YAML files -> validated, frozen op records.

The catalog is data. Every problem is reported as one ``CatalogError`` naming the file, the
op and the key, so a catalog author never reads a traceback. Call targets are only checked
for shape here (a dotted path under a known framework root); they are resolved, never
evaluated, inside each framework's worker.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from portability.errors import CatalogError
from portability.frameworks import BACKENDS, CATALOG_KEYS

DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")
RESULT_DTYPES = DTYPES + ("uint16", "uint32", "uint64")  # what a result may widen to (NumPy sums uint8 in uint64)
FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
PASSES = ("forward", "backward")  # forward: the op's outputs; backward: their vector-Jacobian product
# distribution: random values (a layer's initial weights), compared by their distribution (portability.compare)
OUTPUT_KINDS = ("float", "index", "int", "bool", "distribution")
API_KINDS = ("function", "layer")
MAX_RANK = 8
MAX_ELEMENTS = 2**24  # per input, by default: a catalog cannot ask for gigabytes (--max-elements raises it)
DEFAULT_CATALOG = Path(__file__).resolve().parent.parent / "opspecs"

_ONNX_OP = re.compile(r"^[A-Z][A-Za-z0-9]*$")


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float


@dataclass(frozen=True)
class InputSpec:
    name: str
    shape: tuple[int, ...]
    dtype: str  # resolved: the case dtype unless the input states its own
    generator: str  # a name in portability.inputs.GENERATORS
    options: dict  # generator keyword arguments (low, high, fraction, ...)


@dataclass(frozen=True)
class CaseSpec:
    name: str
    inputs: tuple[InputSpec, ...]
    params: dict  # canonical parameter values for this case (op defaults + case overrides)
    dtype: str
    accumulation: int  # length of the longest float sum per output element; widens tolerances
    # The dtype every API's outputs are expected in (integer and mixed-dtype cases: mean of int32 is float64);
    # None: the case dtype for float outputs, the reference's dtype for int outputs.
    result_dtype: str | None = None


@dataclass(frozen=True)
class ParamSpec:
    name: str
    value: Any  # the canonical value
    semantic: bool  # a choice a porter tends to leave at the framework default


@dataclass(frozen=True)
class ArgMap:
    """How one canonical parameter reaches one framework API."""

    name: str | None  # framework argument name; None when the transform returns several kwargs
    transform: str | None = None  # a name in portability.transforms.TRANSFORMS
    values: dict | None = None  # canonical value -> framework value
    implicit: bool = field(default=False, compare=False)  # unwritten: the parameter passes under its own name


@dataclass(frozen=True)
class DefaultChange:
    """A default the framework changed in a past release: code written for an older release that leaves the
    parameter out relied on ``old`` (canonical terms); from ``version`` on it gets the API's current default."""

    param: str  # canonical parameter, documented under the API's `defaults:`
    version: str  # the first release with the current default ("0.4.0", "2.0.0")
    old: Any  # the default before that release
    source: str  # release notes or docs that say so
    package: str | None = None  # the package whose version it is, where not the framework's own (keras)


@dataclass(frozen=True)
class ApiSpec:
    framework: str  # catalog key: numpy, torch, tensorflow, jax, onnx (or "reference")
    call: str  # dotted path, or an ONNX op type
    label: str  # the name results and hazards use; the call unless the entry gives one
    kind: str = "function"  # function | layer (constructed with params, then called)
    args: tuple = ()  # positional: input names, [name, ...] lists of tensors, or {param: NAME, dtype: D, transform: T}
    kwargs: dict = field(default_factory=dict)  # framework kwarg -> canonical input name
    params: dict = field(default_factory=dict)  # canonical param -> ArgMap
    constants: dict = field(default_factory=dict)  # always-passed framework kwargs (may use {dim: [input, axis]})
    call_kwargs: dict = field(default_factory=dict)  # for layers: kwargs of the call, not of the constructor
    fixed: dict = field(default_factory=dict)  # canonical param -> the only value this API implements
    defaults: dict = field(default_factory=dict)  # canonical param -> documented default (canonical terms)
    layout: dict = field(default_factory=dict)  # canonical input -> named layout or permutation
    output_layout: Any = None  # named layout or permutation applied to outputs (inverted)
    output_squeeze: int | None = None  # a size-1 axis removed from outputs first (ONNX RNNs' num_directions)
    output_stack: int | None = None  # the returned tuple of arrays stacked on this axis into the one output (np.nonzero)
    weights: dict = field(default_factory=dict)  # layer attribute -> canonical input
    derive: dict = field(default_factory=dict)  # new input -> (array transform, source inputs): checkpoint conversion
    outputs: tuple | None = None  # which returned items are the op's outputs (indices or index paths), in op order
    reads: tuple = ()  # outputs read back after the call: inputs updated in place, or a layer's attributes
    opset: int | None = None  # ONNX opset for this node (a per-opset copy: the one it is built at)
    own_opsets: tuple = ()  # ONNX: the opsets the entry is written for (`opset: N` or `[N, M]`)
    unsupported: str | None = None  # the framework lacks this op: the reason
    not_expressible: str | None = None  # the framework has it, this checker cannot express the call yet: why
    sources: tuple = ()
    ignores: dict = field(default_factory=dict)  # reference only: param -> why its outputs do not depend on it
    history: tuple = ()  # DefaultChange: defaults changed in past releases


@dataclass(frozen=True)
class OutputSpec:
    name: str
    kind: str  # float (compared with tolerances) | index | int | bool (compared exactly)


@dataclass(frozen=True)
class KnownHazard:
    """A documented divergence: reported as known, and as stale when nothing matches it.

    It covers what it names and nothing more: a hazard is known only when it lies entirely inside
    the scope below (an empty cases/dtypes/modes means every one)."""

    kind: str
    apis: tuple[str, ...]  # api labels, backend:label ids or framework names; a hazard involving one of them
    reason: str
    source: str
    param: str | None = None  # for default hazards: the parameter
    cases: tuple[str, ...] = ()  # case names or fnmatch patterns (`nan*`), without a sweep's `@dtype` suffix
    dtypes: tuple[str, ...] = ()  # case dtypes (a sweep's `case@float16` has float16)
    modes: tuple[str, ...] = ()  # aligned | defaults: the mode the hazard was seen in
    workaround: str | None = None  # what a port writes instead, as the framework documents it
    passes: tuple[str, ...] = ("forward",)  # forward | backward: gradient_* kinds default to backward, others forward


@dataclass(frozen=True)
class OpSpec:
    name: str
    category: str
    summary: str
    path: str
    sources: tuple[str, ...]
    params: dict  # name -> ParamSpec
    outputs: tuple[OutputSpec, ...]
    cases: tuple[CaseSpec, ...]
    reference: ApiSpec
    apis: tuple[ApiSpec, ...]
    tolerance: dict  # dtype -> Tolerance (overrides of the table in portability.compare)
    tolerance_reason: str | None
    known: tuple[KnownHazard, ...] = ()
    # The inputs the backward pass differentiates: None = every float input of a case; () = none (an op whose
    # outputs are piecewise constant: floor, sign, ...). Ops without float outputs have no backward pass either.
    differentiable: tuple[str, ...] | None = None

    @property
    def semantic_params(self) -> list[str]:
        return [p.name for p in self.params.values() if p.semantic]

    def apis_for(self, catalog_key: str) -> list[ApiSpec]:
        return [a for a in self.apis if a.framework == catalog_key]

    def wrt(self, case: CaseSpec) -> tuple[str, ...]:
        """The inputs of ``case`` the backward pass differentiates: float inputs the op does not opt out of,
        and none when the op has no float output."""
        if not any(o.kind == "float" for o in self.outputs):
            return ()
        return tuple(i.name for i in case.inputs if i.dtype in FLOAT_DTYPES
                     and (self.differentiable is None or i.name in self.differentiable))


@dataclass(frozen=True)
class Catalog:
    ops: tuple[OpSpec, ...]
    files: tuple[tuple[str, str], ...]  # (path, sha256)

    def op(self, name: str) -> OpSpec:
        for op in self.ops:
            if op.name == name:
                return op
        raise KeyError(name)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader (libyaml's when present: 6x faster) that reads 1e-5 as a float (YAML 1.1 wants 1.0e-5)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


class _Where:
    """Carries file / op / key so every validation error can say where it is."""

    def __init__(self, path: str, op: str | None = None, key: str | None = None):
        self.path, self.op, self.key = path, op, key

    def at(self, key: str) -> "_Where":
        return _Where(self.path, self.op, f"{self.key}.{key}" if self.key else key)

    def fail(self, message: str):
        raise CatalogError(self.path, self.op, self.key, message)

    def mapping(self, value, allowed: set[str], required: set[str] = frozenset()) -> dict:
        if not isinstance(value, dict):
            self.fail(f"expected a mapping, got {type(value).__name__}")
        for k in value:
            if k not in allowed:
                self.at(str(k)).fail(f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for k in required:
            if k not in value:
                self.at(k).fail("missing required key")
        return value

    def typed(self, value, types, what: str):
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            self.fail(f"expected {what}, got a boolean")
        if not isinstance(value, types):
            self.fail(f"expected {what}, got {type(value).__name__}")
        return value

    def str_list(self, value) -> tuple[str, ...]:
        if isinstance(value, str):
            return (value,)
        self.typed(value, list, "a list of strings")
        for i, item in enumerate(value):
            self.at(str(i)).typed(item, str, "a string")
        return tuple(value)


def _keys(section: str) -> frozenset[str]:
    from portability.catalog_format import keys_of

    return keys_of(section)


def load_catalog(paths: list[str | Path] | None = None, max_elements: int = MAX_ELEMENTS) -> Catalog:
    """Load every YAML file under the given files or folders (the bundled catalog by default)."""
    files: list[Path] = []
    for p in [Path(p) for p in (paths or [DEFAULT_CATALOG])]:
        if p.is_dir():
            files.extend(sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml")))
        elif p.is_file():
            files.append(p)
        else:
            raise CatalogError(p, None, None, "no such file or folder")
    if not files:
        raise CatalogError(paths[0] if paths else DEFAULT_CATALOG, None, None, "no catalog files found")
    ops: list[OpSpec] = []
    seen: dict[str, str] = {}
    entries: dict[str, dict] = {}  # op name -> its resolved entry, for `like:`
    hashes = []
    for f in files:
        raw = f.read_bytes()
        hashes.append((str(f), hashlib.sha256(raw).hexdigest()))
        for op in _load_file(f, raw, entries):
            if op.name in seen:
                raise CatalogError(f, op.name, "name", f"duplicate op (first defined in {seen[op.name]})")
            seen[op.name] = str(f)
            ops.append(op)
    _check_sizes(ops, max_elements)
    return Catalog(tuple(ops), tuple(hashes))


def _load_file(path: Path, raw: bytes, entries: dict) -> list[OpSpec]:
    where = _Where(str(path))
    try:
        doc = yaml.load(raw, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        where.fail(f"not valid YAML{line}: {getattr(exc, 'problem', exc)}")
    doc = where.mapping(doc, {"ops"}, {"ops"})
    items = where.at("ops").typed(doc["ops"], list, "a list of ops")
    ops = []
    for i, entry in enumerate(items):
        entry = _resolve_like(_Where(str(path), None, f"ops.{i}"), entry, entries)
        op = _load_op(_Where(str(path), None, f"ops.{i}"), entry)
        entries.setdefault(op.name, entry)
        ops.append(op)
    from portability.catalog_format import file_problem

    problem = file_problem(raw, doc)  # the published schema agrees with the checks above, or says where not
    if problem is not None:
        index, key, message = problem
        name = items[index].get("name") if index is not None and isinstance(items[index], dict) else None
        raise CatalogError(path, name, key or None, f"{message} (catalog.schema.json)")
    return ops


def _resolve_like(where: _Where, entry, entries: dict):
    """`like: OP` starts from OP's entry (loaded before this one); the keys given replace its keys."""
    if not isinstance(entry, dict) or "like" not in entry:
        return entry
    if isinstance(entry.get("name"), str):
        where = _Where(where.path, entry["name"])
    base = entries.get(where.at("like").typed(entry["like"], str, "an op name"))
    if base is None:
        where.at("like").fail(f"no op named {entry['like']!r} is loaded before this one (files load in name order)")
    import copy

    return copy.deepcopy(base) | {k: v for k, v in entry.items() if k != "like"}


def _load_op(where: _Where, entry) -> OpSpec:
    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
        where = _Where(where.path, entry["name"])
    where.mapping(entry, _keys("op"), {"name", "category", "summary", "apis", "reference"})
    name = where.at("name").typed(entry["name"], str, "a string")
    params = _load_params(where.at("params"), entry.get("params", {}))
    dtype = _dtype(where.at("dtype"), entry.get("dtype", "float32"))
    result_dtype = entry.get("result_dtype")
    if result_dtype is not None:
        _dtype(where.at("result_dtype"), result_dtype, RESULT_DTYPES)
    outputs = _load_outputs(where.at("outputs"), entry.get("outputs", ["out"]))
    base_inputs = where.at("inputs").typed(entry.get("inputs", {}), dict, "a mapping of inputs")
    accumulation = entry.get("accumulation")
    cases_raw = entry.get("cases", [{"name": "default"}])
    where.at("cases").typed(cases_raw, list, "a list of cases")
    if not cases_raw:
        where.at("cases").fail("an op needs at least one case")
    cases = tuple(_load_case(where.at(f"cases.{i}"), c, params, dtype, base_inputs, accumulation, result_dtype)
                  for i, c in enumerate(cases_raw))
    input_names = {i.name for c in cases for i in c.inputs}
    ordered_inputs = tuple(dict.fromkeys([*base_inputs, *(n for c in cases_raw for n in c.get("inputs") or {})]))
    tol, reason = _load_tolerance(where.at("tolerance"), entry.get("tolerance"))
    apis_raw = where.at("apis").mapping(entry["apis"], set(CATALOG_KEYS))
    apis: list[ApiSpec] = []
    for key, items in apis_raw.items():
        items = items if isinstance(items, list) else [items]
        for i, item in enumerate(items):
            apis.append(_load_api(where.at(f"apis.{key}.{i}"), key, item, params, ordered_inputs))
    labels = [(a.framework, a.label) for a in apis]
    for a in apis:
        if labels.count((a.framework, a.label)) > 1:
            where.at(f"apis.{a.framework}").fail(f"two APIs share the label '{a.label}'; give one a `label`")
    reference = _load_api(where.at("reference"), "reference", entry["reference"], params, ordered_inputs)
    _check_reference_covers(where.at("reference"), reference, params, apis)
    for i, api in enumerate(apis):
        _check_reads(where.at(f"apis.{api.framework}"), api, params, cases)
    _check_reads(where.at("reference"), reference, params, cases)
    for api in [*apis, reference]:
        _check_output_stack(where.at(f"apis.{api.framework}.output_stack" if api is not reference
                                     else "reference.output_stack"), api, outputs)
    known = tuple(_load_known(where.at(f"known.{i}"), k, [c.name for c in cases])
                  for i, k in enumerate(entry.get("known", [])))
    differentiable = _load_differentiable(where.at("differentiable"), entry.get("differentiable", True), input_names)
    return OpSpec(
        name=name,
        category=where.at("category").typed(entry["category"], str, "a string"),
        summary=where.at("summary").typed(entry["summary"], str, "a string"),
        path=where.path,
        sources=where.at("sources").str_list(entry.get("sources", [])),
        params=params,
        outputs=outputs,
        cases=cases,
        reference=reference,
        apis=tuple(apis),
        tolerance=tol,
        tolerance_reason=reason,
        known=known,
        differentiable=differentiable,
    )


def _check_output_stack(where: _Where, api: ApiSpec, outputs) -> None:
    """`output_stack` turns a tuple of per-axis index arrays (np.nonzero, torch.nonzero(as_tuple=True)) into the
    op's one output, so it needs an op with exactly one output, no `outputs` pick, and an exact (non-float)
    output: stacking a differentiable output would need each framework's own stack in the backward pass."""
    if api.output_stack is None:
        return
    if len(outputs) != 1:
        where.fail(f"stacks the returned arrays into one output, but the op has {len(outputs)} outputs")
    if api.outputs is not None:
        where.fail("cannot be combined with `outputs` (the whole returned tuple is stacked)")
    if outputs[0].kind == "float":
        where.fail("stacks only index, int or bool outputs (a float output is differentiated)")


def _load_differentiable(where: _Where, raw, input_names: set[str]) -> tuple[str, ...] | None:
    """`true` (the default: every float input), `false` (no backward pass), or the inputs to differentiate."""
    if raw is True:
        return None
    if raw is False:
        return ()
    names = where.str_list(raw)
    for i, name in enumerate(names):
        if name not in input_names:
            where.at(str(i)).fail(f"no input named {name!r}")
    return names


def _dtype(where: _Where, value, known: tuple = DTYPES) -> str:
    if value not in known:
        where.fail(f"unknown dtype {value!r} (known: {', '.join(known)})")
    return value


def _load_params(where: _Where, raw) -> dict:
    where.typed(raw, dict, "a mapping of parameters")
    params = {}
    for name, spec in raw.items():
        w = where.at(str(name))
        if isinstance(spec, dict):
            w.mapping(spec, {"value", "semantic", "doc"}, {"value"})
            semantic = w.at("semantic").typed(spec.get("semantic", False), bool, "true or false")
            params[name] = ParamSpec(name, spec["value"], semantic)
        else:
            params[name] = ParamSpec(name, spec, False)
    return params


def _load_outputs(where: _Where, raw) -> tuple[OutputSpec, ...]:
    if isinstance(raw, list):
        raw = {where.at(str(i)).typed(n, str, "an output name"): "float" for i, n in enumerate(raw)}
    where.typed(raw, dict, "a list of output names or a mapping name -> kind")
    out = []
    for name, kind in raw.items():
        if kind not in OUTPUT_KINDS:
            where.at(str(name)).fail(f"unknown output kind {kind!r} (known: {', '.join(OUTPUT_KINDS)})")
        out.append(OutputSpec(name, kind))
    if not out:
        where.fail("an op needs at least one output")
    return tuple(out)


def _load_case(where: _Where, raw, params: dict, dtype: str, base_inputs: dict, accumulation,
               result_dtype: str | None = None) -> CaseSpec:
    where.mapping(raw, _keys("case"), {"name"})
    case_dtype = _dtype(where.at("dtype"), raw.get("dtype", dtype))
    overrides = where.at("params").typed(raw.get("params", {}), dict, "a mapping of parameter values")
    for k in overrides:
        if k not in params:
            where.at(f"params.{k}").fail("not a parameter of this op (declare it under the op's `params`)")
    merged_params = {name: p.value for name, p in params.items()} | overrides
    case_inputs = where.at("inputs").typed(raw.get("inputs", {}), dict, "a mapping of inputs")
    # No input at all is a creation op (arange, zeros, eye): its parameters are its only arguments.
    names = list(dict.fromkeys(list(base_inputs) + list(case_inputs)))
    inputs = []
    for n in names:
        base_spec, case_spec = dict(base_inputs.get(n) or {}), dict(case_inputs.get(n) or {})
        if "generator" in case_spec and case_spec["generator"] != base_spec.get("generator", "normal"):
            base_spec.pop("options", None)  # another generator: the base options belong to the old one
        spec = base_spec | case_spec
        inputs.append(_load_input(where.at(f"inputs.{n}"), n, spec, case_dtype))
    acc = raw.get("accumulation", accumulation)
    result_dtype = raw.get("result_dtype", result_dtype)
    if result_dtype is not None:
        _dtype(where.at("result_dtype"), result_dtype, RESULT_DTYPES)
    return CaseSpec(
        name=where.at("name").typed(raw["name"], str, "a string"),
        inputs=tuple(inputs),
        params=merged_params,
        dtype=case_dtype,
        accumulation=_accumulation(where.at("accumulation"), acc, inputs, merged_params),
        result_dtype=result_dtype,
    )


def _load_input(where: _Where, name: str, spec: dict, case_dtype: str) -> InputSpec:
    from portability.inputs import GENERATORS, option_problem

    where.mapping(spec, {"shape", "dtype", "generator", "options"}, {"shape"})
    shape = where.at("shape").typed(spec["shape"], list, "a list of positive ints")
    if len(shape) > MAX_RANK:
        where.at("shape").fail(f"rank {len(shape)} is over the limit of {MAX_RANK}")
    for i, d in enumerate(shape):
        where.at(f"shape.{i}").typed(d, int, "a positive int")
        if d < 1:
            where.at(f"shape.{i}").fail(f"expected a positive int, got {d}")
    gen = where.at("generator").typed(spec.get("generator", "normal"), str, "a generator name")
    if gen not in GENERATORS:
        where.at("generator").fail(f"unknown generator {gen!r} (known: {', '.join(sorted(GENERATORS))})")
    options = where.at("options").typed(spec.get("options", {}), dict, "a mapping")
    problem = option_problem(gen, options)
    if problem:
        where.at("options").fail(problem)
    return InputSpec(name, tuple(shape), _dtype(where.at("dtype"), spec.get("dtype", case_dtype)), gen, options)


def _check_sizes(ops: list[OpSpec], max_elements: int) -> None:
    """Every input under the element cap, checked before any array is made."""
    for op in ops:
        for i, case in enumerate(op.cases):
            for inp in case.inputs:
                n = math.prod(inp.shape)
                if n > max_elements:
                    raise CatalogError(op.path, op.name, f"cases.{i}.inputs.{inp.name}.shape",
                                       f"{n:,} elements is over the limit of {max_elements:,} per input "
                                       "(raise it with --max-elements)")


def _accumulation(where: _Where, raw, inputs: list[InputSpec], params: dict) -> int:
    """An int, or {input: NAME, axes: [..]} (product of those dims), or {param: NAME} (its value)."""
    if raw is None:
        return 1
    if isinstance(raw, int) and not isinstance(raw, bool):
        return max(1, raw)
    where.mapping(raw, {"input", "axes"}, {"input", "axes"})
    by_name = {i.name: i for i in inputs}
    if raw["input"] not in by_name:
        where.at("input").fail(f"no input named {raw['input']!r} in this case")
    shape = by_name[raw["input"]].shape
    n = 1
    for ax in where.at("axes").typed(raw["axes"], list, "a list of axes"):
        try:
            n *= shape[ax]
        except (IndexError, TypeError):
            where.at("axes").fail(f"axis {ax!r} out of range for shape {list(shape)}")
    return max(1, n)


def _load_tolerance(where: _Where, raw):
    if raw is None:
        return {}, None
    where.mapping(raw, set(DTYPES) | {"reason"}, {"reason"})
    tol = {}
    for dt, v in raw.items():
        if dt == "reason":
            continue
        w = where.at(dt)
        w.mapping(v, {"rtol", "atol"}, {"rtol", "atol"})
        tol[dt] = Tolerance(float(w.at("rtol").typed(v["rtol"], (int, float), "a number")),
                            float(w.at("atol").typed(v["atol"], (int, float), "a number")))
    return tol, where.at("reason").typed(raw["reason"], str, "a string")


def _load_known(where: _Where, raw, case_names: list[str]) -> KnownHazard:
    from fnmatch import fnmatchcase

    from portability.hazards import BACKWARD_KINDS, HAZARD_KINDS
    from portability.plan import MODES

    where.mapping(raw, _keys("known"), {"kind", "apis", "reason", "source"})
    if raw["kind"] not in HAZARD_KINDS:
        where.at("kind").fail(f"unknown hazard kind {raw['kind']!r}")
    cases = where.at("cases").str_list(raw.get("cases", []))
    for i, pattern in enumerate(cases):
        if "@" in pattern:
            where.at(f"cases.{i}").fail(f"{pattern!r}: name the case without its @dtype suffix and scope the "
                                        "dtype with `dtypes`")
        if not any(fnmatchcase(c, pattern) for c in case_names):
            where.at(f"cases.{i}").fail(f"{pattern!r} matches no case of this op (cases: {', '.join(case_names)})")
    dtypes = where.at("dtypes").str_list(raw.get("dtypes", []))
    for i, d in enumerate(dtypes):
        _dtype(where.at(f"dtypes.{i}"), d)
    modes = where.at("modes").str_list(raw.get("modes", []))
    for i, m in enumerate(modes):
        if m not in MODES:
            where.at(f"modes.{i}").fail(f"unknown mode {m!r} (known: {', '.join(MODES)})")
    gradient_kind = raw["kind"] in BACKWARD_KINDS
    passes = where.at("passes").str_list(raw.get("passes", ["backward" if gradient_kind else "forward"]))
    for i, p in enumerate(passes):
        if p not in PASSES:
            where.at(f"passes.{i}").fail(f"unknown pass {p!r} (known: {', '.join(PASSES)})")
        if gradient_kind and p != "backward":
            where.at(f"passes.{i}").fail(f"a {raw['kind']} hazard is found in the backward pass only")
    workaround = raw.get("workaround")
    if workaround is not None:
        where.at("workaround").typed(workaround, str, "a sentence")
    return KnownHazard(raw["kind"], where.at("apis").str_list(raw["apis"]), raw["reason"], raw["source"],
                       raw.get("param"), cases, dtypes, modes, workaround=workaround, passes=passes)


def _load_api(where: _Where, key: str, raw, params: dict, op_inputs: tuple[str, ...]) -> ApiSpec:
    """One API. What an entry leaves out is the obvious: `args` default to the op's inputs in order (less
    those passed as `kwargs`, layer `weights` or `derive` sources), and every parameter the API does not
    rename, translate, fix, pass positionally or map to null passes under its own name."""
    input_names = set(op_inputs)
    where.mapping(raw, _keys("api"))
    if "unsupported" in raw and "not_expressible" in raw:
        where.at("not_expressible").fail("an API is either unsupported (the framework lacks it) or not expressible "
                                         "(this checker cannot write the call yet), not both")
    for status, label in (("unsupported", "no API"), ("not_expressible", "not expressible")):
        if status in raw and "call" not in raw:
            reason = where.at(status).typed(raw[status], str, "a reason")
            return ApiSpec(framework=key, call="", label=f"{key} ({label})", **{status: reason},
                           sources=where.at("sources").str_list(raw.get("sources", [])))
    if "call" not in raw:
        where.at("call").fail("missing required key (or give `unsupported: REASON` or `not_expressible: REASON`)")
    call = where.at("call").typed(raw["call"], str, "a dotted path")
    _check_target(where.at("call"), key, call)
    derive = _load_derive(where.at("derive"), raw.get("derive", {}), input_names, params)
    input_names = input_names | set(derive)
    kind = raw.get("kind", "function")
    if kind not in API_KINDS:
        where.at("kind").fail(f"unknown kind {kind!r} (known: {', '.join(API_KINDS)})")
    kwargs = where.at("kwargs").typed(raw.get("kwargs", {}), dict, "a mapping kwarg -> input")
    for k, v in kwargs.items():
        if v not in input_names:
            where.at(f"kwargs.{k}").fail(f"no input named {v!r}")
    weights = where.at("weights").typed(raw.get("weights", {}), dict, "a mapping attribute -> input")
    for k, v in weights.items():
        if v not in input_names:
            where.at(f"weights.{k}").fail(f"no input named {v!r}")
    elsewhere = set(kwargs.values()) | set(weights.values()) | {
        s for _, sources in derive.values() for s in sources if isinstance(s, str)}
    args_raw = raw.get("args", [n for n in op_inputs if n not in elsewhere])
    where.at("args").typed(args_raw, list, "a list of arguments")
    args = tuple(_load_arg(where.at(f"args.{i}"), a, params, input_names) for i, a in enumerate(args_raw))
    pmap, not_taken = {}, set()
    for p, m in where.at("params").typed(raw.get("params", {}), dict, "a mapping").items():
        w = where.at(f"params.{p}")
        if p not in params:
            w.fail("not a parameter of this op")
        if m is None:
            not_taken.add(p)
        else:
            pmap[p] = _load_argmap(w, m)
            if (pmap[p].name or "").startswith("call.") and raw.get("kind", "function") != "layer":
                w.fail("only a layer takes call kwargs (`call.NAME`): a function's arguments are all in its call")
    for section in ("fixed", "defaults"):
        for p in where.at(section).typed(raw.get(section, {}), dict, "a mapping"):
            if p not in params:
                where.at(f"{section}.{p}").fail("not a parameter of this op")
    positional = {a["param"] for a in args if isinstance(a, dict) and "param" in a}
    positional |= {s["param"] for _, sources in derive.values() for s in sources if isinstance(s, dict)}
    implicit = set(params) - set(pmap) - not_taken - positional - set(raw.get("fixed", {}))
    implicit -= set(raw.get("constants", {})) | set(raw.get("call_kwargs", {})) | set(raw.get("ignores", {}))
    for p in params:  # identity maps, in the op's parameter order
        if p in implicit:
            pmap[p] = ArgMap(p, implicit=True)
    for p in raw.get("defaults", {}):
        if p not in pmap:
            where.at(f"defaults.{p}").fail("a default needs the parameter passed to the API (not null, fixed or "
                                           "positional)")
    layout = where.at("layout").typed(raw.get("layout", {}), dict, "a mapping input -> layout")
    from portability.layouts import check_layout

    for k, v in layout.items():
        if k not in input_names:
            where.at(f"layout.{k}").fail(f"no input named {k!r}")
        _catch(where.at(f"layout.{k}"), check_layout, v)
    if raw.get("output_layout") is not None:
        _catch(where.at("output_layout"), check_layout, raw["output_layout"])
    outputs = raw.get("outputs")
    if outputs is not None:
        where.at("outputs").typed(outputs, list, "a list of indices")
        outputs = tuple(outputs)
    reads = where.at("reads").str_list(raw.get("reads", []))
    for i, r in enumerate(reads):
        if kind != "layer" and r not in input_names:
            where.at(f"reads.{i}").fail(f"a function's reads name inputs it updates in place; no input named {r!r}")
    own = raw.get("opset")
    own = own if isinstance(own, list) else [] if own is None else [own]
    for i, o in enumerate(own):
        where.at(f"opset.{i}" if isinstance(raw["opset"], list) else "opset").typed(o, int, "an opset number")
    if own and key != "onnx":
        where.at("opset").fail("only an ONNX API has an opset")
    opset = min(own) if own else None
    constants = _load_constants(where.at("constants"), key, raw.get("constants", {}))
    if key == "onnx":
        for o in own or [None]:
            _check_onnx_attributes(where, call, o, pmap, constants)
    return ApiSpec(
        framework=key,
        call=call,
        label=where.at("label").typed(raw.get("label", call), str, "a string"),
        kind=kind,
        args=args,
        kwargs=kwargs,
        params=pmap,
        constants=constants,
        call_kwargs=where.at("call_kwargs").typed(raw.get("call_kwargs", {}), dict, "a mapping"),
        fixed=raw.get("fixed", {}),
        defaults=raw.get("defaults", {}),
        layout=layout,
        output_layout=raw.get("output_layout"),
        output_squeeze=(where.at("output_squeeze").typed(raw["output_squeeze"], int, "an axis")
                        if "output_squeeze" in raw else None),
        output_stack=(where.at("output_stack").typed(raw["output_stack"], int, "an axis")
                      if "output_stack" in raw else None),
        weights=weights,
        derive=derive,
        outputs=outputs,
        reads=reads,
        opset=opset,
        own_opsets=tuple(sorted(own)),
        unsupported=raw.get("unsupported"),
        not_expressible=(where.at("not_expressible").typed(raw["not_expressible"], str, "a reason")
                         if "not_expressible" in raw else None),
        sources=where.at("sources").str_list(raw.get("sources", [])),
        ignores=_load_ignores(where.at("ignores"), key, raw.get("ignores", {}), params),
        history=_load_history(where.at("history"), raw.get("history", []), raw.get("defaults", {})),
    )


def _load_history(where: _Where, raw, defaults: dict) -> tuple:
    """`history: [{param, version, old, source, package?}]`: a default changed in a past release."""
    where.typed(raw, list, "a list of default changes")
    out = []
    for i, item in enumerate(raw):
        w = where.at(str(i))
        w.mapping(item, {"param", "version", "old", "source", "package"}, {"param", "version", "old", "source"})
        if item["param"] not in defaults:
            w.at("param").fail("a changed default is one the API documents under `defaults:`")
        w.at("version").typed(item["version"], str, "a release (a quoted string: \"0.4.0\")")
        if not str(w.at("source").typed(item["source"], str, "a URL")).startswith("http"):
            w.at("source").fail("a default change cites its release notes or docs (a URL)")
        out.append(DefaultChange(item["param"], item["version"], item["old"], item["source"],
                                 w.at("package").typed(item["package"], str, "a package name")
                                 if "package" in item else None))
    return tuple(out)


def _load_ignores(where: _Where, key: str, raw, params: dict) -> dict:
    if raw and key != "reference":
        where.fail("only a reference may list parameters it ignores")
    where.typed(raw, dict, "a mapping param -> why the outputs do not depend on it")
    for p, why in raw.items():
        if p not in params:
            where.at(str(p)).fail("not a parameter of this op")
        where.at(str(p)).typed(why, str, "a reason")
    return raw


def _load_constants(where: _Where, key: str, raw) -> dict:
    where.typed(raw, dict, "a mapping")
    for k, v in raw.items():
        if isinstance(v, dict) and "ref" in v:
            where.at(k).mapping(v, {"ref", "kwargs"})
            where.at(f"{k}.kwargs").typed(v.get("kwargs", {}), dict, "a mapping of plain values")
            where.at(f"{k}.ref").typed(v["ref"], str, "a dotted path")
            _check_target(where.at(f"{k}.ref"), key, v["ref"])
    return raw


def _load_derive(where: _Where, raw, input_names: set[str], params: dict) -> dict:
    from portability.array_transforms import ARRAY_TRANSFORMS

    where.typed(raw, dict, "a mapping new_input -> {transform, inputs}")
    derive, known = {}, set(input_names)
    for name, spec in raw.items():
        w = where.at(str(name))
        w.mapping(spec, {"transform", "inputs"}, {"transform", "inputs"})
        if spec["transform"] not in ARRAY_TRANSFORMS:
            w.at("transform").fail(f"unknown array transform {spec['transform']!r} "
                                   f"(known: {', '.join(sorted(ARRAY_TRANSFORMS))})")
        items = spec["inputs"] if isinstance(spec["inputs"], list) else [spec["inputs"]]
        for i, item in enumerate(items):
            if isinstance(item, dict):  # {param: NAME}: a parameter's value, passed after the arrays
                w.at(f"inputs.{i}").mapping(item, {"param"}, {"param"})
                if item["param"] not in params:
                    w.at(f"inputs.{i}.param").fail(f"not a parameter of this op: {item['param']!r}")
            elif not isinstance(item, str) or item not in known:
                w.at(f"inputs.{i}").fail(f"no input named {item!r}")
        derive[name] = (spec["transform"], tuple(i if isinstance(i, str) else dict(i) for i in items))
        known.add(name)
    return derive


def _catch(where: _Where, fn, *args):
    try:
        return fn(*args)
    except ValueError as exc:
        where.fail(str(exc))


def _check_target(where: _Where, key: str, call: str) -> None:
    """The sandbox rule, decided from the name alone (no framework import); workers check it again."""
    from portability.resolve import TargetRefused, check_name, policy_for, resolve_reference

    if key == "onnx":
        _check_onnx_op(where, call)
        return
    if key == "reference":  # NumPy is the parent's own dependency: a reference is resolved in full here
        _catch(where, resolve_reference, call)
        return
    try:
        check_name(call, policy_for(key))
    except TargetRefused as exc:
        where.fail(str(exc))


def _check_reference_covers(where: _Where, reference: ApiSpec, params: dict, apis: list) -> None:
    """A reference implements or rejects every parameter that matters: each semantic parameter, and each
    one an API passes, is mapped by the reference, `fixed` on it (it implements only that value, and
    refuses a case with another), or listed in `ignores` with why its outputs do not depend on it."""
    def used(api):
        return set(api.params) | set(api.fixed) | {a["param"] for a in api.args if isinstance(a, dict) and "param" in a}

    passed = set().union(*(used(a) for a in apis if not a.unsupported))
    accepts = _keywords_of(reference.call)
    for name, p in params.items():
        taken = name in used(reference) and (accepts is None or reference.params.get(name) is None
                                             or reference.params[name].name is None
                                             or reference.params[name].name in accepts)
        if (p.semantic or name in passed) and not taken and name not in reference.ignores:
            how = f" ({reference.call} has no argument {name!r})" if name in used(reference) else ""
            where.fail(f"the reference neither takes nor fixes parameter {name!r}{how}: map it under `params`, "
                       f"give `fixed: {{{name}: VALUE}}` if it implements one value, or `ignores: {{{name}: WHY}}`")


def _keywords_of(call: str) -> set[str] | None:
    """The keyword arguments a reference function accepts (None when it takes any, or cannot be inspected): an
    unmapped parameter passes under its own name, so a reference without that argument would fail only at run
    time; the loader says so first."""
    import inspect

    import numpy as np

    from portability.resolve import resolve_reference

    try:
        fn = resolve_reference(call)
    except Exception:
        return None
    if isinstance(fn, np.ufunc):
        return {"out", "where", "casting", "order", "dtype", "subok", "signature"}
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return None
    return {n for n, p in sig.parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def _check_reads(where: _Where, api: ApiSpec, params: dict, cases: tuple) -> None:
    """What an API's transforms and shape constants read must exist in every case, and each value a
    transform gets must be of the kind it declares (portability.transforms.needs)."""
    from portability.plan import mapped_value
    from portability.transforms import VALUE_KINDS, needs_of

    uses = [(f"params.{p}", p, m.transform, m.values) for p, m in api.params.items() if m.transform]
    uses += [(f"args.{i}", a["param"], a["transform"], None) for i, a in enumerate(api.args)
             if isinstance(a, dict) and a.get("transform") and "param" in a]
    for key, p, transform, values in uses:
        need = needs_of(transform)
        for case in cases:
            inputs = {i.name for i in case.inputs}
            for alternatives in need.requires:
                if not any(a.split(":", 1)[1] in (inputs if a.startswith("input:") else params) for a in alternatives):
                    wanted = " or ".join(f"{a.split(':', 1)[0]} {a.split(':', 1)[1]!r}" for a in alternatives)
                    where.at(key).fail(f"transform {transform} reads {wanted}, which case {case.name!r} lacks")
            value = mapped_value(values, case.params[p])
            if not VALUE_KINDS[need.value](value):
                where.at(key).fail(f"transform {transform} takes values of kind {need.value!r}; "
                                   f"case {case.name!r} gives {p}={value!r}")
    for k, v in api.constants.items():
        if isinstance(v, dict) and set(v) & {"dim", "dims"}:
            for case in cases:
                _check_dim_constant(where.at(f"constants.{k}"), v, case)


def _check_dim_constant(where: _Where, value: dict, case: CaseSpec) -> None:
    """{dim: [input, axis]} / {dims: [input, [axes]]}: the input exists and has those axes in this case."""
    key = "dim" if "dim" in value else "dims"
    spec = value[key]
    if set(value) != {key} or not isinstance(spec, list) or len(spec) != 2:
        where.fail(f"expected {{{key}: [input, {'axis' if key == 'dim' else '[axes]'}]}}")
    name, axes = spec
    shapes = {i.name: i.shape for i in case.inputs}
    if name not in shapes:
        where.fail(f"no input named {name!r} in case {case.name!r}")
    for ax in axes if key == "dims" else [axes]:
        if not isinstance(ax, int) or isinstance(ax, bool) or not -len(shapes[name]) <= ax < len(shapes[name]):
            where.fail(f"axis {ax!r} out of range for {name} of shape {list(shapes[name])} in case {case.name!r}")


def _check_onnx_op(where: _Where, call: str) -> None:
    from portability.frameworks.onnx_schemas import op_types

    if not _ONNX_OP.match(call):
        where.fail(f"{call!r} is not an ONNX op type (e.g. LeakyRelu)")
    if call not in op_types():
        where.fail(f"{call!r} is not an op of the default ONNX domain (onnx.defs)")


def _check_onnx_attributes(where: _Where, call: str, opset, pmap: dict, constants: dict) -> None:
    """Mapped parameters and constants are node attributes: each must exist in the op's schema at its opset."""
    from portability.frameworks.onnx_schemas import DEFAULT_OPSET, attributes, introduced

    known = attributes(call, opset)
    if known is None:
        where.at("opset").fail(f"ONNX {call} does not exist at opset {opset or DEFAULT_OPSET} "
                               f"(introduced in opset {introduced(call)})")
    named = {f"params.{p}": (m.name, m.implicit) for p, m in pmap.items() if m.name is not None}
    named |= {f"constants.{k}": (k, False) for k in constants}
    for key, (attr, implicit) in named.items():
        if attr not in known:
            hint = (f"; an unmapped parameter passes under its own name: map it, or write `{attr}: null` under "
                    "`params` when the op does not take it" if implicit else "")
            where.at(key).fail(f"ONNX {call} (opset {opset or DEFAULT_OPSET}) has no attribute {attr!r} "
                               f"(attributes: {', '.join(sorted(known)) or 'none'}){hint}")


def _load_arg(where: _Where, item, params: dict, input_names: set[str]):
    if isinstance(item, list):  # a list of tensors (concat, stack); ONNX gets them as variadic inputs
        for i, name in enumerate(item):
            if not isinstance(name, str) or name not in input_names:
                where.at(str(i)).fail(f"no input named {name!r}")
        return tuple(item)
    if isinstance(item, str):
        if item != "" and item not in input_names:
            where.fail(f"no input named {item!r}")
        return item
    where.mapping(item, {"param", "dtype", "value", "transform"})
    if "transform" in item:
        from portability.transforms import TRANSFORMS

        if item["transform"] not in TRANSFORMS:
            where.at("transform").fail(f"unknown transform {item['transform']!r}")
    if "param" in item:
        if item["param"] not in params:
            where.at("param").fail(f"not a parameter of this op: {item['param']!r}")
    elif "value" not in item:
        where.fail("an argument is an input name, {param: NAME} or {value: V}")
    if "dtype" in item and item["dtype"] != "case":  # `case`: the case's own dtype
        _dtype(where.at("dtype"), item["dtype"])
    return dict(item)


def _load_argmap(where: _Where, raw) -> ArgMap:
    if isinstance(raw, str):
        return ArgMap(raw)
    where.mapping(raw, {"name", "transform", "values"})
    transform = raw.get("transform")
    if transform is not None:
        from portability.transforms import TRANSFORMS

        if transform not in TRANSFORMS:
            where.at("transform").fail(f"unknown transform {transform!r} (known: {', '.join(sorted(TRANSFORMS))})")
    values = raw.get("values")
    if values is not None:
        where.at("values").typed(values, dict, "a mapping canonical -> framework value")
    name = raw.get("name")
    if name is None and transform is None:
        where.at("name").fail("a parameter maps to a framework argument name")
    return ArgMap(name, transform, values)
