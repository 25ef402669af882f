"""Copy-paste repro snippets: standalone Python that rebuilds a case's inputs bit for bit and makes the call.

Framework-specific text is limited to how a tensor is made and how a layer is built; ONNX
snippets build the same one-node model the checker ran. A backward plan's snippet rebuilds the case's
cotangents too and prints each gradient: torch autograd, a TensorFlow GradientTape, jax.vjp.
"""

from __future__ import annotations

from portability import inputs as inputs_mod
from portability.inputs import literal
from portability.layouts import inverse
from portability.plan import Input, Ref, Value, cotangent_name, differentiated

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


def _expr(item, plan, backend: str, bound: dict | None = None) -> str:
    if isinstance(item, tuple):
        return "[" + ", ".join(_expr(i, plan, backend, bound) for i in item) + "]"
    if isinstance(item, Input) and bound and item.name in bound:
        return bound[item.name]  # a tensor the backward snippet differentiates, made beforehand
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


def _call_text(plan, backend: str, bound: dict | None = None) -> str:
    args = [_expr(a, plan, backend, bound) for a in plan.args]
    kwargs = [f"{k}={_expr(v, plan, backend, bound)}" for k, v in plan.kwargs.items()]
    return f"{_target(plan.call)}({', '.join(args + kwargs)})"


def snippet(backend: str, plan, case, seed: int, op_name: str, call_only: bool = False,
            shapes: dict | None = None) -> str:
    """The snippet of one call; a backward plan (``plan.wrt``) needs the case's ``shapes`` (its cotangents')."""
    if plan.wrt and not call_only:
        return _backward_snippet(backend, plan, case, seed, op_name, shapes or {})
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
    lines = _preamble(backend, plan, case, seed, op_name) + body
    if plan.reads:  # outputs read back after the call (torch.from_numpy shares memory with the array)
        owner = "layer." if plan.kind == "layer" else ""
        tail = ".detach()" if plan.kind == "layer" and backend == "torch" else ""  # a parameter requires grad
        lines.append(f"out = [{', '.join(owner + r + tail for r in plan.reads)}]")
    if plan.output_stack is not None:
        lines.append(f"# the checker stacks the returned arrays: np.stack(out, axis={plan.output_stack})")
    if plan.output_squeeze is not None:
        lines.append(f"# the checker drops axis {plan.output_squeeze} (size 1) of the outputs first")
    if plan.output_perm:
        lines.append(f"# outputs are in the framework's layout; np.transpose(out, {plan.output_perm}) gives NCHW")
    lines.append("print(out)")
    return "\n".join(lines)


def _preamble(backend: str, plan, case, seed: int, op_name: str) -> list[str]:
    lines = ["import numpy as np", *IMPORTS.get(backend, [])]
    if any(i.dtype == "bfloat16" for i in case.inputs):
        lines.append("import ml_dtypes")
    for spec in case.inputs:
        lines += inputs_mod.snippet(spec, seed, op_name, case.name)
    for name, (transform, sources) in plan.derive.items():
        lines.append(f"from portability.array_transforms import {transform}  # checkpoint conversion")
        lines.append(f"{name} = {transform}({', '.join(s if isinstance(s, str) else literal(s.value) for s in sources)})")
    return lines


def _backward_snippet(backend: str, plan, case, seed: int, op_name: str, shapes: dict) -> str:
    """Inputs and cotangents, the call with the differentiated tensors made first, then each gradient printed
    in the canonical layout (a derived weight's gradient is its own: the checker pulls it back to its sources)."""
    lines = _preamble(backend, plan, case, seed, op_name)
    cts = []
    for i, differentiable in enumerate(plan.float_outputs):
        if differentiable and cotangent_name(i) in shapes:
            shape = shapes[cotangent_name(i)]
            lines += inputs_mod.cotangent_snippet(f"ct{i}", shape, case.dtype, seed, op_name, case.name, i)
            if plan.output_perm and len(plan.output_perm) == len(shape):  # cotangents in the framework's layout
                lines.append(f"ct{i} = np.ascontiguousarray(np.transpose(ct{i}, {inverse(plan.output_perm)}))")
            cts.append(f"ct{i}")
    picks = [f"out{''.join(f'[{j}]' for j in (i if isinstance(i, (list, tuple)) else [i]))}"
             for i in (plan.outputs if plan.outputs is not None else range(plan.n_outputs))]
    picks = ["out"] if plan.outputs is None and plan.n_outputs == 1 else picks
    ys = "[" + ", ".join(p for p, f in zip(picks, plan.float_outputs) if f) + "]"
    inputs, weights = _gradient_sources(plan)
    bound = {n: f"{n}_t" for n in inputs}
    # a Keras 3 variable wraps the tf.Variable a GradientTape watches (.value)
    sources = [f"{n}_t" for n in inputs] + [f"layer.{attr}{'.value' if backend == 'tensorflow' else ''}"
                                            for attr, _ in weights]
    labels = gradient_labels(plan)
    tensor = {n: _expr(Input(n), plan, backend) for n in inputs}
    if backend == "torch":
        lines += [f"{n}_t = {tensor[n]}.requires_grad_()" for n in inputs]
        if plan.kind == "layer":
            lines += _layer_setup(plan, backend)
            lines.append(f"out = layer({', '.join(_expr(a, plan, backend, bound) for a in plan.args)}"
                         f"{''.join(f', {k}={literal(v)}' for k, v in _call_kwargs(plan, backend).items())})")
        else:
            lines.append(f"out = {_call_text(plan, backend, bound)}")
        lines.append(f"grads = torch.autograd.grad({ys}, [{', '.join(sources)}], "
                     f"grad_outputs=[{', '.join(f'torch.from_numpy({c})' for c in cts)}], allow_unused=True)")
        to_numpy = "g.detach().numpy()"
    elif backend == "tensorflow":
        lines += [f"{n}_t = {tensor[n]}" for n in inputs]
        call = f"out = {_call_text(plan, backend, bound)}"
        if plan.kind == "layer":
            lines += _layer_setup(plan, backend)
            call = (f"out = layer({', '.join(_expr(a, plan, backend, bound) for a in plan.args)}"
                    f"{''.join(f', {k}={literal(v)}' for k, v in _call_kwargs(plan, backend).items())})")
        lines += ["with tf.GradientTape(watch_accessed_variables=False) as tape:",
                  *[f"    tape.watch({src})" for src in sources], f"    {call}",
                  f"grads = tape.gradient({ys}, [{', '.join(sources)}], "
                  f"output_gradients=[{', '.join(f'tf.constant({c})' for c in cts)}])"]
        to_numpy = "tf.convert_to_tensor(g).numpy()"
    else:  # jax: a function of the differentiated inputs
        lines += [f"def f({', '.join(bound[n] for n in inputs)}):", f"    out = {_call_text(plan, backend, bound)}",
                  f"    return {ys}",
                  f"ys, pullback = jax.vjp(f, {', '.join(tensor[n] for n in inputs)})",
                  f"grads = pullback([{', '.join(f'jnp.asarray({c})' for c in cts)}])"]
        to_numpy = "np.asarray(g)"
    lines += ["out = []  # the gradients, in the order of the names below", f"for name, g in zip({labels!r}, grads):",
              f"    g = None if g is None else {to_numpy}"]
    perms = {n: inverse(plan.layouts[n]) for n in labels if n in plan.layouts}
    if perms:  # gradients come in the framework's layout of each input
        lines.append(f"    g = np.transpose(g, {perms!r}[name]) if g is not None and name in {perms!r} else g")
    lines += ["    print(name, g)", "    out.append(g)"]
    return "\n".join(lines)


def _gradient_sources(plan) -> tuple[list[str], list[tuple[str, str]]]:
    names = differentiated(plan)
    return ([n for n in names if n not in plan.weights.values()],
            [(attr, n) for attr, n in plan.weights.items() if n in names])


def gradient_labels(plan) -> list[str]:
    """The inputs a backward snippet differentiates, in the order its `out` lists their gradients."""
    inputs, weights = _gradient_sources(plan)
    return inputs + [n for _, n in weights]


def _call_kwargs(plan, backend: str) -> dict:
    """A layer's call kwargs as written: torch's `training` is the module's mode, not an argument."""
    return {k: v for k, v in plan.call_kwargs.items() if not (backend == "torch" and k == "training")}


def _torch_mode(plan) -> str:
    """A torch module runs as built (training mode) unless the plan sets its mode, as the adapter does."""
    return f".train({bool(plan.call_kwargs['training'])})" if "training" in plan.call_kwargs else ""


def _layer_setup(plan, backend: str) -> list[str]:
    """The layer built and its weights set (the call itself comes after, where gradients are recorded)."""
    ctor = ", ".join(f"{k}={_expr(v, plan, backend)}" for k, v in plan.kwargs.items())
    if backend == "torch":
        lines = [f"layer = {_target(plan.call)}({ctor}){_torch_mode(plan)}", "with torch.no_grad():"]
        lines += [f"    layer.{attr}.copy_({_expr(Input(name), plan, backend)})" for attr, name in plan.weights.items()]
        return lines if plan.weights else lines[:1]
    first = _expr(plan.args[0], plan, backend) if plan.args else "x"
    lines = [f"layer = {_target(plan.call)}({ctor})", f"layer.build(tuple({first}.shape))"]
    return lines + [f"layer.{attr}.assign({_expr(Input(name), plan, 'numpy')})" for attr, name in plan.weights.items()]


def _layer_lines(plan, backend: str) -> list[str]:
    args = ", ".join(_expr(a, plan, backend) for a in plan.args)
    ctor = ", ".join(f"{k}={_expr(v, plan, backend)}" for k, v in plan.kwargs.items())
    call_kw = "".join(f", {k}={literal(v)}" for k, v in _call_kwargs(plan, backend).items())
    if backend == "torch":
        lines = [f"layer = {_target(plan.call)}({ctor}){_torch_mode(plan)}", "with torch.no_grad():"]
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
