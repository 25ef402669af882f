"""Qualified names -> the catalog's APIs: which ops a call site may be, and how its arguments bind.

A call's qualified name (``names.py``) is normalised first: ``tensorflow.keras.*`` and ``tf_keras.*``
are Keras 3's ``keras.*``, ``keras.src.layers.<module>.Conv2D`` is ``keras.layers.Conv2D``,
``torch.nn.modules.<module>.BatchNorm2d`` is ``torch.nn.BatchNorm2d``, and the other public
spellings of a catalog target (``tf.reduce_std``, ``keras.layers.MaxPool2D``) are read from the
signature snapshot.

One target can be several catalog entries (``torch.nn.functional.interpolate`` is seven resize ops,
``F.batch_norm`` is inference or training). A candidate is dropped when the call contradicts one of
its ``constants`` (``mode="bilinear"`` given, or left at a signature default that differs); the rest
are ranked: a constant the call confirms, keywords the entry knows, an entry that is not a labelled
variant. Rules read every surviving candidate, best first.

Tensor methods (documented heuristic): ``recv.NAME(...)`` is taken as ``torch.Tensor.NAME`` only
when (1) the file imports torch and no other array library (numpy, tensorflow, keras, jax, pandas,
cupy), (2) ``torch.Tensor.NAME`` is the method of a catalog torch function (``std``, ``var``,
``softmax``...), (3) no builtin type (str, list, dict, ...) has an attribute NAME (so ``.split``,
``.sort``, ``.index`` never count), (4) the receiver is not a module name, ``self`` or a literal,
and (5) the arguments bind to one of the method's signatures. Anything else is not a tensor method.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from portability.scan.signatures import MISSING, Binding, bind, overloads, snapshot
from portability.scan.values import UNKNOWN, canonical_of, case_ctx, equivalent, known_values, same

# Top-level packages -> the catalog key of the framework they belong to.
FRAMEWORK_ROOTS = {"torch": "torch", "tensorflow": "tensorflow", "keras": "tensorflow", "tf_keras": "tensorflow",
                   "jax": "jax", "numpy": "numpy"}
OTHER_ARRAY_LIBRARIES = {"numpy", "tensorflow", "keras", "tf_keras", "jax", "pandas", "cupy"}
_BUILTIN_ATTRS = frozenset().union(*(dir(t) for t in (str, bytes, list, dict, set, frozenset, tuple, int, float,
                                                       complex, bytearray)))


@dataclass(frozen=True)
class Candidate:
    op: object  # spec.OpSpec
    api: object  # spec.ApiSpec
    binding: Binding
    score: float
    selected_by: tuple  # constants the call sets explicitly to this entry's value (mode="nearest")


@dataclass(frozen=True)
class Match:
    call: object  # names.CallFacts
    path: str  # the file
    target: str  # normalised qualified name (torch.nn.BatchNorm2d, torch.Tensor.std)
    framework: str  # catalog key of the call's framework
    candidates: tuple  # of Candidate: the best-scored (ties kept, catalog order)
    ambiguous: bool = False  # the entries differ in an argument the call leaves undetermined (mode=self.mode)
    alternatives: tuple = ()  # every surviving Candidate (an ambiguous call is judged on what they share)


def normalise(qualname: str) -> str:
    q = qualname
    if q.startswith("tensorflow.keras."):
        q = "keras." + q.removeprefix("tensorflow.keras.")
    elif q.startswith("tf_keras."):
        q = "keras." + q.removeprefix("tf_keras.")
    if q.startswith("keras.src."):
        parts = q.split(".")
        q = ".".join(["keras", parts[2], parts[-1]] if len(parts) > 4 else ["keras", *parts[2:]])
    elif q.startswith("torch.nn.modules.") and q.count(".") >= 4:
        q = "torch.nn." + q.rsplit(".", 1)[1]
    return snapshot()["aliases"].get(q, q)


def framework_of(qualname: str) -> str | None:
    return FRAMEWORK_ROOTS.get(qualname.split(".", 1)[0])


class Index:
    """The catalog by call target (aliases expanded), and torch's tensor methods."""

    def __init__(self, catalog):
        from portability.resolve import expand

        self.by_target: dict[str, list] = defaultdict(list)
        for op in catalog.ops:
            for api in op.apis:
                if api.unsupported or api.not_expressible or api.framework == "onnx":
                    continue
                self.by_target[expand(api.call)].append((op, api))
        self.methods = {name: path for name, path in snapshot()["methods"].items() if path in self.by_target}
        for path in self.by_target:
            if path.startswith("torch.Tensor."):
                self.methods[path.rsplit(".", 1)[1]] = path

    def covers(self, target: str) -> bool:
        return target in self.by_target

    def is_tensor_method(self, name: str, imports: frozenset) -> bool:
        return (name in self.methods and name not in _BUILTIN_ATTRS and "torch" in imports
                and not imports & OTHER_ARRAY_LIBRARIES)

    def match(self, call, path: str, target: str) -> Match | None:
        """The catalog entries one call may be; None when none survives its arguments."""
        if call.kind == "method":
            entries = self.by_target.get(self.methods[call.method], [])
            sig_path = f"torch.Tensor.{call.method}"
            shown = sig_path
        else:
            entries = self.by_target.get(target, [])
            sig_path = shown = target
        sig = overloads(sig_path)
        cands = []
        varied = _varied_constants(entries)
        for op, api in entries:
            n_inputs = 0 if api.kind == "layer" else max(0, len(api.args) - (call.kind == "method"))
            binding = bind(call, sig, n_inputs) if sig is not None else None
            if binding is None:
                if sig is not None and call.kind == "method":
                    return None  # a method call that fits no signature of the tensor method: not a tensor
                binding = bind(call, None, n_inputs)
            c = _rank(op, api, call, binding, varied)
            if c is not None:
                cands.append(c)
        cands = _semantic_fit(cands)
        if not cands:
            return None
        cands.sort(key=lambda c: -c.score)  # stable: catalog order breaks ties
        best = tuple(c for c in cands if c.score == cands[0].score)
        return Match(call, path, shown, cands[0].api.framework, best, _ambiguous(cands), tuple(cands))


def _varied_constants(entries) -> set:
    """Constants that tell entries of one call apart: set to different values by different entries
    (interpolate's mode, F.batch_norm's training). A constant one unlabelled entry alone sets (the
    padding-mode entry's bias=False) is incidental to its test setup."""
    values: dict = {}
    for _, api in entries:
        for k, v in api.constants.items():
            if not isinstance(v, dict):
                values.setdefault(k, set()).add(repr(v))
    return {k for k, vs in values.items() if len(vs) > 1}


def _semantic_fit(cands: list) -> list:
    """Entries that can represent what the call sets: a semantic parameter the call passes at a value
    other than its documented default (``padding_mode="reflect"``) rules out the entries that do not map it."""
    if len(cands) < 2:
        return cands
    decisive = set()
    for c in cands:
        for p, m in c.api.params.items():
            if not m.name or not c.op.params[p].semantic or p not in c.api.defaults:
                continue
            state, got = c.binding.status(m.name)
            if state == "given" and got.literal:
                canonical = canonical_of(c.op, c.api, p, got.value, case_ctx(c.op))
                if canonical is not UNKNOWN and not same(canonical, c.api.defaults[p]):
                    decisive.add(m.name)
    fits = [c for c in cands if decisive <= {m.name for m in c.api.params.values() if m.name}]
    return fits or cands


def _rank(op, api, call, binding: Binding, varied: set = frozenset()) -> Candidate | None:
    """A candidate entry with its score, or None when the call contradicts it: a constant set (or left at
    a signature default) to another value, or a string-valued parameter at a value the catalog never
    names for this op (interpolate's mode="nearest" is not the antialias entry's bilinear/bicubic).

    Score: +1 per keyword of the call the entry knows (a parameter, constant or input), -0.5 per one it
    does not, +1 per constant the call confirms positionally, +0.25 per constant a signature default
    confirms (-1 per incidental one it contradicts, see ``_varied_constants``; a telling one rules the
    entry out), +0.5 for an entry that is not a labelled variant, +0.25 when the op's name is in the
    function's (``mean`` for ``torch.mean``, ``max`` for ``torch.amax``)."""
    score, selected = 0.0, []
    keywords = {name for name, _ in call.keywords}
    for name, value in api.constants.items():
        if isinstance(value, dict):  # {dim: ...} / {ref: ...}: a shape or a callable, nothing to compare
            continue
        state, got = binding.status(name)
        if state == "given" and got.literal:
            if not (equivalent(got.value, value) or equivalent(value, got.value)):  # output_size=(1, 1) is 1
                return None
            selected.append(name)
            score += 0 if name in keywords else 1  # a keyword counts below, with the others
        elif state == "absent" and got not in (MISSING, None) and not binding.open_world:
            if same(_plain(got), _plain(value)):
                score += 0.25
            elif name in varied or api.label != api.call:
                return None  # None above: it often means "decide later" (align_corners), no verdict
            else:
                score -= 1  # an incidental constant of the entry's own test setup: a weak mismatch
    if _outside_catalog(op, api, binding):
        return None
    known = {m.name for m in api.params.values() if m.name} | set(api.constants) | set(api.kwargs)
    for name, _ in call.keywords:
        score += 1 if name in known else -0.5
    if api.label == api.call:
        score += 0.5
    if op.name in api.call.rsplit(".", 1)[-1]:  # torch.amax is the `max` reduction before it is a global pool
        score += 0.25
    return Candidate(op, api, binding, score, tuple(selected))


def _ambiguous(cands: list) -> bool:
    """Surviving entries that set one argument to different literals, which the call does not settle
    (``F.interpolate(x, size=s, mode=self.mode)``): which op it is depends on a run-time value."""
    seen: dict = {}
    for c in cands:
        for name, value in c.api.constants.items():
            if isinstance(value, dict):
                continue
            state, got = c.binding.status(name)
            if state == "given" and got.literal:
                continue
            seen.setdefault(name, []).append(value)
    return any(len({repr(v) for v in values}) > 1 for values in seen.values())


def _outside_catalog(op, api, binding: Binding) -> bool:
    for p, amap in api.params.items():
        if not amap.name:
            continue
        state, got = binding.status(amap.name)
        literal = got.value if state == "given" and got.literal else got if state == "absent" else None
        if not isinstance(literal, str) or literal == MISSING:
            continue
        known = [v for v in known_values(op, p) if isinstance(v, str)]
        if not known:
            continue
        canonical = canonical_of(op, api, p, literal, case_ctx(op))
        if canonical is UNKNOWN or canonical not in known:
            return True
    return False


def _plain(v):
    return list(v) if isinstance(v, tuple) else v
