"""ONNX's own node tests (onnx.backend.test) as an oracle for the catalog's float64 references.

Each single-node test whose op type a catalog entry calls is translated back into canonical terms:
node attributes -> canonical params through the entry's ONNX parameter map (identity or `values`
maps only; a transform is not inverted), node inputs -> canonical inputs and tensor params through
its `args`. The reference then runs on the test's inputs in float64 and must reproduce the test's
expected outputs within the test's own tolerances. A test that cannot be said in the entry's terms
(an attribute with no canonical param, a transformed parameter, a derived weight) is skipped, and
counted as such: the oracle covers what it can translate and says how much that is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from portability.frameworks.numpy_ import execute_reference
from portability.frameworks.onnx_schemas import DEFAULT_OPSET
from portability.plan import plan_call
from portability.spec import CaseSpec, InputSpec


class Untranslatable(Exception):
    """The node test uses something the catalog entry cannot express in canonical terms."""


@dataclass(frozen=True)
class Verdict:
    test: str  # the ONNX node test name
    op: str  # the catalog op it was translated into
    status: str  # agree | disagree | reference_error
    detail: str = ""


def node_tests():
    """The single-node tests of the installed onnx (generated in memory: about 9 s)."""
    import warnings

    from onnx.backend.test.loader import load_node_model_tests

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return [t for t in load_node_model_tests() if t.model is not None and len(t.model.graph.node) == 1
                and t.data_sets]


DOCUMENTED = {"numeric_divergence", "shape_mismatch", "nonfinite_mismatch", "dtype_mismatch", "error"}


def candidates(catalog, op_type: str):
    """The entries that claim an ONNX op computes the catalog op: an API with a known divergence
    record (Div standing in for floor_divide, Flatten for torch.flatten) documents that it does not."""
    return [(op, api) for op in catalog.ops for api in op.apis
            if api.framework == "onnx" and api.call == op_type and not api.unsupported and not api.not_expressible
            and not any(k.kind in DOCUMENTED and not k.dtypes and _names_spec(k, api.label) for k in op.known)]
    # (a record scoped to some dtypes, such as GroupNormalization's float32 statistics in float64, says nothing
    # of the op's float32 semantics, which is what the node tests check)


def _names_spec(record, label: str) -> bool:
    """A record about the ONNX op itself (its label, `onnx`, or both runtimes), not one runtime's bug."""
    names = set(record.apis)
    return bool({label, "onnx"} & names) or {f"onnxruntime:{label}", f"onnx-reference:{label}"} <= names


def judge(test, catalog) -> Verdict | None:
    """The verdict of the first catalog entry that can state this test, or None when none can."""
    node = test.model.graph.node[0]
    verdicts = []
    for op, api in candidates(catalog, node.op_type):
        try:
            case, arrays, expected = translate(test, op, api)
        except Untranslatable:
            continue
        verdicts.append(_run(test, op, case, arrays, expected))
        if verdicts[-1].status == "agree":
            return verdicts[-1]
    return verdicts[0] if verdicts else None


def translate(test, op, api):
    """(case, canonical float64 arrays, expected outputs) for one node test, or Untranslatable."""
    from onnx import helper, numpy_helper

    node = test.model.graph.node[0]
    opset = max(o.version for o in test.model.opset_import if o.domain in ("", "ai.onnx"))
    if api.derive or api.layout or api.output_layout is not None or api.kwargs:
        raise Untranslatable("derived or transposed inputs")
    if _version(node.op_type, opset) not in {_version(node.op_type, o) for o in api.own_opsets or (DEFAULT_OPSET,)}:
        raise Untranslatable("the test is for another version of the op than the entry's opsets")
    feeds, outs = _data(test)
    params = {p.name: p.value for p in op.params.values()}
    params |= _attribute_params(node, api, opset, helper)
    arrays = _input_arrays(node, api, feeds, params)
    for p, only in api.fixed.items():
        if params.get(p) != only:
            raise Untranslatable(f"{api.label} fixes {p}")
    expected = [outs[i] for i in api.outputs] if api.outputs else outs[:len(op.outputs)]
    if len(expected) != len(op.outputs):
        raise Untranslatable("outputs")
    inputs = tuple(InputSpec(n, tuple(a.shape), str(a.dtype), "normal", {}) for n, a in arrays.items())
    case = CaseSpec(test.name, inputs, params, "float32", 1)
    return case, arrays, expected


def _version(op_type: str, opset: int) -> int:
    import onnx

    return onnx.defs.get_schema(op_type, opset).since_version


def _data(test):
    from onnx import numpy_helper

    data_set = test.data_sets[0]
    return [np.asarray(a) for a in data_set[0]], [np.asarray(a) for a in data_set[1]]


def _attribute_params(node, api, opset, helper) -> dict:
    """Canonical params from the node's attributes (and the schema's defaults for the ones it omits)."""
    import onnx

    by_name = {m.name: (p, m) for p, m in api.params.items() if m.name is not None}
    if any(m.transform for _, m in by_name.values()) or any(m.name is None for m in api.params.values()):
        raise Untranslatable("transformed parameter")
    given = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    schema = onnx.defs.get_schema(node.op_type, opset)
    out = {}
    for attr, (p, m) in by_name.items():
        if attr in given:
            value = given.pop(attr)
        else:
            default = schema.attributes.get(attr)
            if default is None or not default.default_value.name:
                raise Untranslatable(f"no default for {attr}")
            value = helper.get_attribute_value(default.default_value)
        out[p] = _canonical(_plain(value), m.values)
    for attr, value in given.items():  # attributes the entry passes as constants must match them
        if attr not in api.constants or _plain(value) != api.constants[attr]:
            raise Untranslatable(f"attribute {attr}")
    for attr, constant in api.constants.items():  # and a constant the node omits must be the schema default
        if attr not in given and attr not in {a.name for a in node.attribute}:
            default = schema.attributes.get(attr)
            if default is None or _plain(helper.get_attribute_value(default.default_value)) != constant:
                raise Untranslatable(f"constant {attr}")
    return out


def _plain(v):
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


def _canonical(value, values: dict | None):
    if values:
        for canonical, fw in values.items():
            if fw == value:
                return canonical
        raise Untranslatable(f"value {value!r} has no canonical name")
    return value


def _input_arrays(node, api, feeds, params) -> dict:
    """Canonical inputs (float64) from the node's inputs, following the entry's positional args."""
    names = list(node.input)
    flat_args = []
    for a in api.args:
        flat_args.extend(a if isinstance(a, tuple) else [a])
    if len(names) > len(flat_args):
        raise Untranslatable("more node inputs than the entry's args")
    arrays, fed = {}, iter(feeds)
    for arg, name in zip(flat_args, names + [""] * (len(flat_args) - len(names))):
        value = next(fed) if name else None
        if isinstance(arg, str):
            if arg == "" or value is None:
                if arg != "" and value is None:
                    raise Untranslatable("missing input")
                continue
            arrays[arg] = _float64(value)
        elif "param" in arg:
            if arg.get("transform") or value is None:
                raise Untranslatable("tensor param")
            params[arg["param"]] = value.tolist()
        elif value is None or not np.array_equal(value, np.asarray(arg["value"])):
            raise Untranslatable("constant input omitted or different")
    return arrays


def _float64(a: np.ndarray) -> np.ndarray:
    """Float inputs (bfloat16 included, a NumPy 'V' kind) in float64, as every reference runs."""
    return a.astype(np.float64) if a.dtype.kind == "f" or a.dtype.name == "bfloat16" else a


def _run(test, op, case, arrays, expected) -> Verdict:
    plan = plan_call(op, op.reference, case, "aligned", {k: tuple(v.shape) for k, v in arrays.items()})
    if plan.unsupported:
        return Verdict(test.name, op.name, "reference_error", plan.unsupported)
    try:
        with np.errstate(all="ignore"):
            got = execute_reference(plan, arrays)
    except Exception as exc:  # a reference that rejects a case ONNX defines
        return Verdict(test.name, op.name, "reference_error", f"{type(exc).__name__}: {exc}"[:200])
    for spec, g, e in zip(op.outputs, got, expected):
        g = np.asarray(g)
        if g.shape != e.shape:
            return Verdict(test.name, op.name, "disagree", f"shape {g.shape} vs {e.shape}")
        e = _float64(e)
        if spec.kind != "float" or e.dtype.kind not in "fc":
            if not np.array_equal(g, e):
                return Verdict(test.name, op.name, "disagree", "exact values differ")
            continue
        if not np.array_equal(np.isnan(g), np.isnan(e)):
            return Verdict(test.name, op.name, "disagree", "NaN positions differ")
        if not np.allclose(g, e, rtol=max(test.rtol, 1e-6), atol=max(test.atol, 1e-6),
                           equal_nan=True):
            err = float(np.nanmax(np.abs(g - e))) if g.size else 0.0
            return Verdict(test.name, op.name, "disagree", f"max abs error {err:.3g}")
    return Verdict(test.name, op.name, "agree")
