"""ONNX: each op built as a one-node model with onnx.helper and checked with onnx.checker.

Shared by two backends that execute the same model: onnxruntime and onnx.reference.ReferenceEvaluator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from portability.frameworks import base
from portability.frameworks.onnx_schemas import DEFAULT_OPSET, op_types
from portability.inputs import cast
from portability.plan import Input, Value

IR_VERSION = 10  # the IR that opset 21 ships with; onnxruntime accepts it


def version() -> str:
    import onnx

    return onnx.__version__


@dataclass(frozen=True)
class NodeModel:
    """The one-node model of a plan, framework-free: what build_model materializes with onnx.helper and
    what a repro snippet writes out as code, so the two can never disagree."""

    op_type: str
    inputs: tuple[str, ...]  # node input names in order; "" is an omitted optional input
    feeds: tuple[tuple[str, tuple | None], ...]  # (graph input = canonical input, layout permutation or None)
    initializers: tuple[tuple[str, object, str], ...]  # (name, value, dtype): constant inputs
    attributes: dict  # attribute -> plain value (tuples as lists, bools as ints)
    outputs: tuple[str, ...]
    opset: int
    ir_version: int = IR_VERSION


def node_model(plan) -> NodeModel:
    """Describe the node a plan calls. An untyped constant input is int64 for ints and sequences, else
    float32 (a typed one keeps its dtype: ``dtype: case`` follows the case)."""
    if plan.call not in op_types():  # the loader checked it; checked again here (defence in depth)
        raise ValueError(f"{plan.call!r} is not an op type of the default ONNX domain")
    names, feeds, inits = [], [], []
    for i, item in enumerate(_flat(plan.args)):
        if isinstance(item, Input):
            names.append(item.name)
            feeds.append((item.name, plan.layouts.get(item.name)))
        elif isinstance(item, Value):
            dtype = item.dtype or ("int64" if isinstance(item.value, (int, list, tuple)) else "float32")
            inits.append((f"const{i}", item.value, dtype))
            names.append(f"const{i}")
        else:
            names.append("")
    n_out = plan.n_outputs if plan.outputs is None else max(plan.outputs) + 1
    return NodeModel(plan.call, tuple(names), tuple(feeds), tuple(inits),
                     {k: _attr(v) for k, v in plan.kwargs.items()}, tuple(f"out{i}" for i in range(n_out)),
                     plan.opset or DEFAULT_OPSET)


def build_model(plan, arrays: dict):
    """A checked one-node ModelProto plus its feed dict (inputs in the catalog's NCHW layout)."""
    import onnx
    from onnx import helper, numpy_helper

    desc = node_model(plan)
    feeds, graph_inputs = {}, []
    for name, perm in desc.feeds:
        a = np.ascontiguousarray(np.transpose(arrays[name], perm)) if perm else arrays[name]
        feeds[name] = a
        graph_inputs.append(helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape))
    initializers = [numpy_helper.from_array(cast(np.asarray(v), dt), n) for n, v, dt in desc.initializers]
    node = helper.make_node(desc.op_type, list(desc.inputs), list(desc.outputs), **desc.attributes)
    graph = helper.make_graph([node], plan.label, graph_inputs,
                              [helper.make_value_info(n, onnx.TypeProto()) for n in desc.outputs],
                              initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", desc.opset)], ir_version=desc.ir_version)
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    _type_untyped_outputs(model, graph_inputs)
    onnx.checker.check_model(model, full_check=True)
    return model, feeds


def _type_untyped_outputs(model, graph_inputs) -> None:
    """Where shape inference gives an output no type (GroupNormalization does not), declare the
    first input's element type with unknown dims: the checker needs a type, the runtimes do not care."""
    if not graph_inputs:
        return
    elem = graph_inputs[0].type.tensor_type.elem_type
    for out in model.graph.output:
        if not out.type.HasField("tensor_type") or out.type.tensor_type.elem_type == 0:
            out.type.tensor_type.elem_type = elem
            out.type.tensor_type.shape.SetInParent()  # present, with unknown rank


def _flat(args) -> list:
    """A list of tensors becomes that many node inputs (Concat is variadic)."""
    out = []
    for item in args:
        out.extend(item if isinstance(item, tuple) else [item])
    return out


def _attr(item):
    v = item.value if isinstance(item, Value) else item
    if isinstance(v, tuple):
        v = list(v)
    if isinstance(v, bool):
        v = int(v)
    return v


def finish(plan, result):
    return base.outputs(plan, result, np.asarray)


def live_default(call: str, kind: str, name: str, opset: int | None):
    """An attribute's default from the op schema at the planned opset."""
    import onnx
    from onnx import helper

    try:
        schema = onnx.defs.get_schema(call, opset or DEFAULT_OPSET)
    except onnx.defs.SchemaError:
        return base.MISSING
    attr = schema.attributes.get(name)
    if attr is None or not attr.default_value.name:
        return base.MISSING
    value = helper.get_attribute_value(attr.default_value)
    return value.decode() if isinstance(value, bytes) else value


def latest_opset() -> int:
    """The newest default-domain opset that both the installed onnx and onnxruntime (when installed) take:
    onnx.defs.onnx_opset_version(), lowered until onnxruntime loads a one-node model stamped with it."""
    import onnx
    from onnx import TensorProto, helper

    newest = onnx.defs.onnx_opset_version()
    try:
        import onnxruntime as ort
    except ImportError:
        return newest
    value = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    for opset in range(newest, 0, -1):
        graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "probe", [value],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=IR_VERSION)
        try:
            ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            return opset
        except Exception:  # noqa: BLE001 - any refusal means: not this opset
            continue
    return newest
