"""Copy-paste repro snippets: standalone Python that rebuilds a case's inputs bit for bit and makes the call.

Framework-specific text is limited to how a tensor is made and how a layer is built; ONNX
snippets build the same one-node model the checker ran.
"""

from __future__ import annotations

from portability import inputs as inputs_mod
from portability.inputs import literal
from portability.plan import Input, Ref, Value

IMPORTS = {
    "numpy": [],
    "torch": ["import torch"],
    "tensorflow": ["import tensorflow as tf", "import keras"],
    "jax": ["import jax", "import jax.numpy as jnp", "jax.config.update('jax_enable_x64', True)"],
    "onnxruntime": ["import onnx", "import onnxruntime as ort", "from onnx import helper, numpy_helper"],
    "onnx-reference": ["import onnx", "from onnx import helper, numpy_helper",
                       "from onnx.reference import ReferenceEvaluator"],
}
TENSOR = {
    "numpy": "{}",
    "torch": "torch.from_numpy({})",
    "tensorflow": "tf.constant({})",
    "jax": "jnp.asarray({})",
}
ALIASES = (("np.", "numpy."), ("tf.", "tensorflow."), ("jnp.", "jax.numpy."))


def _target(call: str) -> str:
    for short, full in ALIASES:
        if call.startswith(full):
            return short + call[len(full):]
    return call


def _expr(item, plan, backend: str) -> str:
    if isinstance(item, tuple):
        return "[" + ", ".join(_expr(i, plan, backend) for i in item) + "]"
    if isinstance(item, Input):
        name = item.name
        perm = plan.layouts.get(name)
        arr = f"np.ascontiguousarray(np.transpose({name}, {perm}))" if perm else name
        return TENSOR.get(backend, "{}").format(arr)
    if isinstance(item, Ref):
        built = f"({', '.join(f'{k}={literal(v)}' for k, v in item.kwargs)})" if item.kwargs else ""
        return _target(item.dotted) + built
    if isinstance(item, Value):
        if item.dtype:
            return TENSOR.get(backend, "{}").format(f"np.asarray({literal(item.value)}, dtype=np.{item.dtype})")
        return literal(item.value)
    return literal(item)


def _call_text(plan, backend: str) -> str:
    args = [_expr(a, plan, backend) for a in plan.args]
    kwargs = [f"{k}={_expr(v, plan, backend)}" for k, v in plan.kwargs.items()]
    return f"{_target(plan.call)}({', '.join(args + kwargs)})"


def snippet(backend: str, plan, case, seed: int, op_name: str, call_only: bool = False) -> str:
    if backend in ("onnxruntime", "onnx-reference"):
        body = _onnx_lines(plan, backend)
        if call_only:
            return body[0]
    elif plan.kind == "layer":
        body = _layer_lines(plan, backend)
    else:
        body = [f"out = {_call_text(plan, backend)}"]
    if call_only:
        return "\n".join(body)
    lines = ["import numpy as np", *IMPORTS.get(backend, [])]
    if any(i.dtype == "bfloat16" for i in case.inputs):
        lines.append("import ml_dtypes")
    for spec in case.inputs:
        lines += inputs_mod.snippet(spec, seed, op_name, case.name)
    for name, (transform, sources) in plan.derive.items():
        lines.append(f"from portability.array_transforms import {transform}  # checkpoint conversion")
        lines.append(f"{name} = {transform}({', '.join(s if isinstance(s, str) else literal(s.value) for s in sources)})")
    lines += body
    if plan.reads:  # outputs read back after the call (torch.from_numpy shares memory with the array)
        owner = "layer." if plan.kind == "layer" else ""
        lines.append(f"out = [{', '.join(owner + r for r in plan.reads)}]")
    if plan.output_squeeze is not None:
        lines.append(f"# the checker drops axis {plan.output_squeeze} (size 1) of the outputs first")
    if plan.output_perm:
        lines.append(f"# outputs are in the framework's layout; np.transpose(out, {plan.output_perm}) gives NCHW")
    lines.append("print(out)")
    return "\n".join(lines)


def _layer_lines(plan, backend: str) -> list[str]:
    args = ", ".join(_expr(a, plan, backend) for a in plan.args)
    ctor = ", ".join(f"{k}={_expr(v, plan, backend)}" for k, v in plan.kwargs.items())
    call_kw = "".join(f", {k}={literal(v)}" for k, v in plan.call_kwargs.items())
    if backend == "torch":
        lines = [f"layer = {_target(plan.call)}({ctor}).eval()", "with torch.no_grad():"]
        for attr, name in plan.weights.items():
            lines.append(f"    layer.{attr}.copy_({_expr(Input(name), plan, backend)})")
        lines.append(f"    out = layer({args}{call_kw})")
        return lines
    first = _expr(plan.args[0], plan, backend) if plan.args else "x"
    lines = [f"layer = {_target(plan.call)}({ctor})", f"layer.build(tuple({first}.shape))"]
    for attr, name in plan.weights.items():
        lines.append(f"layer.{attr}.assign({_expr(Input(name), plan, 'numpy')})")
    lines.append(f"out = layer({args}{call_kw})")
    return lines


def _onnx_lines(plan, backend: str) -> list[str]:
    """The node the checker ran (portability.frameworks.onnx_.node_model), written out as code."""
    from portability.frameworks.onnx_ import node_model

    desc = node_model(plan)
    graph_inputs, feeds = [], []
    for name, perm in desc.feeds:
        value = f"np.ascontiguousarray(np.transpose({name}, {perm}))" if perm else name
        graph_inputs.append(f"helper.make_tensor_value_info({name!r}, helper.np_dtype_to_tensor_dtype({value}.dtype), "
                            f"{value}.shape)")
        feeds.append(f"{name!r}: {value}")
    inits = [f"numpy_helper.from_array(np.asarray({literal(v)}, dtype=np.{dt}), {n!r})" for n, v, dt in desc.initializers]
    if any(dt == "bfloat16" for _, _, dt in desc.initializers):
        inits = [i.replace("dtype=np.bfloat16", "dtype=ml_dtypes.bfloat16") for i in inits]
    attrs = "".join(f", {k}={literal(v)}" for k, v in desc.attributes.items())
    run = ("out = ort.InferenceSession(model.SerializeToString(), providers=['CPUExecutionProvider'])"
           f".run(None, {{{', '.join(feeds)}}})" if backend == "onnxruntime"
           else f"out = ReferenceEvaluator(model).run(None, {{{', '.join(feeds)}}})")
    return [
        f"node = helper.make_node({desc.op_type!r}, {list(desc.inputs)!r}, {list(desc.outputs)!r}{attrs})",
        f"graph = helper.make_graph([node], 'repro', [{', '.join(graph_inputs)}], "
        f"[helper.make_value_info(n, onnx.TypeProto()) for n in {list(desc.outputs)!r}], initializer=[{', '.join(inits)}])",
        f"model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', {desc.opset})], "
        f"ir_version={desc.ir_version})",
        "model = onnx.shape_inference.infer_shapes(model, strict_mode=True)",
        run,
    ]
