"""ONNX: each op built as a one-node model with onnx.helper and checked with onnx.checker.

Shared by two backends that execute the same model: onnxruntime and onnx.reference.ReferenceEvaluator.
"""

from __future__ import annotations

import numpy as np

from portability.frameworks import base
from portability.frameworks.onnx_schemas import DEFAULT_OPSET, op_types
from portability.inputs import cast
from portability.plan import Input, Value

IR_VERSION = 10  # the IR that opset 21 ships with; onnxruntime accepts it


def version() -> str:
    import onnx

    return onnx.__version__


def build_model(plan, arrays: dict):
    """A checked one-node ModelProto plus its feed dict (inputs in the catalog's NCHW layout)."""
    import onnx
    from onnx import helper, numpy_helper

    graph_inputs, initializers, names, feeds = [], [], [], {}
    for i, item in enumerate(_flat(plan.args)):
        if item == "":
            names.append("")
        elif isinstance(item, Input):
            a = arrays[item.name]
            perm = plan.layouts.get(item.name)
            a = np.ascontiguousarray(np.transpose(a, perm)) if perm else a
            feeds[item.name] = a
            graph_inputs.append(helper.make_tensor_value_info(item.name, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape))
            names.append(item.name)
        elif isinstance(item, Value):
            name = f"const{i}"
            dtype = item.dtype or ("int64" if isinstance(item.value, (int, list, tuple)) else "float32")
            initializers.append(numpy_helper.from_array(cast(np.asarray(item.value), dtype), name))
            names.append(name)
    if plan.call not in op_types():  # the loader checked it; the worker checks again (defence in depth)
        raise ValueError(f"{plan.call!r} is not an op type of the default ONNX domain")
    attrs = {k: _attr(v) for k, v in plan.kwargs.items()}
    out_names = [f"out{i}" for i in range(plan.n_outputs if plan.outputs is None else max(plan.outputs) + 1)]
    node = helper.make_node(plan.call, names, out_names, **attrs)
    graph = helper.make_graph([node], plan.label, graph_inputs,
                              [helper.make_value_info(n, onnx.TypeProto()) for n in out_names], initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", plan.opset or DEFAULT_OPSET)],
                              ir_version=IR_VERSION)
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
