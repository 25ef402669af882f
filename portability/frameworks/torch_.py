"""PyTorch: functions (torch.*, torch.nn.functional.*) and nn.Module layers, single-threaded, CPU.
Backward: autograd (``torch.autograd.grad`` with the shared cotangents)."""

from __future__ import annotations

from portability.frameworks import base
from portability.plan import differentiated
from portability.resolve import resolve

KEY = "torch"  # catalog key: the sandbox policy of portability.resolve


def load(settings: dict) -> str:
    import torch

    torch.set_num_threads(settings.get("threads", 1))
    torch.set_num_interop_threads(settings.get("threads", 1))
    # TF32 would silently lower float32 matmul/conv precision on GPUs; keep full float32 everywhere.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return torch.__version__


def _to_native(a):
    import torch

    if a.dtype.name == "bfloat16":
        return torch.from_numpy(a.view("uint16").astype("int32") << 16).view(torch.float32).to(torch.bfloat16)
    return torch.from_numpy(a.copy())


def _to_numpy(t):
    import torch

    if not isinstance(t, torch.Tensor):
        return t
    t = t.detach()
    if t.dtype == torch.bfloat16:
        import ml_dtypes

        return t.float().numpy().astype(ml_dtypes.bfloat16)
    return t.numpy()


def execute(plan, arrays: dict):
    import torch

    args, kwargs = base.native_args(plan, arrays, _to_native)
    with torch.no_grad():
        fn = _callable(plan, arrays, args, kwargs)
        result = fn(*args, **(call_kwargs(plan) if plan.kind == "layer" else kwargs))
        if plan.reads:  # outputs the call leaves behind (running statistics updated in place)
            result = base.read_back(plan, args, kwargs, fn if plan.kind == "layer" else None)
    return base.outputs(plan, result, _to_numpy)


def call_kwargs(plan) -> dict:
    """A layer's call kwargs: ``training`` is no argument of nn.Module.forward but its mode (see _callable)."""
    return {k: v for k, v in plan.call_kwargs.items() if k != "training"}


def _callable(plan, arrays: dict, args: list, kwargs: dict):
    """The function, or the layer built with its weights copied in. A layer runs in the mode the user leaves it
    in: a freshly built nn.Module is in training mode (batch statistics, dropout active) until ``.eval()``; the
    plan's ``training`` call kwarg (a `call.training` parameter) sets it with ``module.train(mode)``."""
    import torch

    target = resolve(plan.call, KEY)
    if plan.kind != "layer":
        return target
    torch.manual_seed(base.LAYER_SEED)
    module = target(**kwargs)
    weights = base.weight_arrays(plan, arrays)
    dtype = getattr(torch, base.first_float_dtype([*args, *weights.values()]))
    module = module.to(dtype)
    if "training" in plan.call_kwargs:
        module.train(bool(plan.call_kwargs["training"]))
    with torch.no_grad():
        for attr, value in weights.items():
            _assign(module, attr, _to_native(value))
    return module


def vjp(plan, arrays: dict) -> dict:
    """Gradients of the cotangent-weighted outputs with respect to ``differentiated(plan)``: name -> array in
    the canonical layout, None where autograd has none (allow_unused), or a string saying why there is none."""
    import torch

    names = differentiated(plan)
    leaves: dict[str, list] = {}

    def leaf(name, t):
        if name in names and t.is_floating_point():
            t = t.requires_grad_()
            leaves.setdefault(name, []).append(t)
        return t

    args, kwargs = base.native_args(plan, arrays, _to_native, leaf=leaf)
    fn = _callable(plan, arrays, args, kwargs)
    grads_of: dict = {}
    for attr, name in plan.weights.items():
        if name in names:
            param = base.attribute(fn, attr)
            if isinstance(param, torch.nn.Parameter) and param.requires_grad:
                leaves.setdefault(name, []).append(param)
            else:
                grads_of[name] = f"{plan.label}.{attr} is a buffer, not a parameter: it has no gradient"
    with torch.enable_grad():
        result = fn(*args, **(call_kwargs(plan) if plan.kind == "layer" else kwargs))
        outs = base.differentiable_outputs(plan, result, torch.squeeze, torch.permute)
    sources = [(name, t) for name, ts in leaves.items() for t in ts]
    cotangents = [_to_native(ct).to(o.dtype) for o, ct in zip(outs, base.cotangents(plan, arrays), strict=True)]
    grads = torch.autograd.grad(outs, [t for _, t in sources], grad_outputs=cotangents, allow_unused=True)
    by_name: dict[str, list] = {}
    for (name, _), g in zip(sources, grads):
        by_name.setdefault(name, []).append(None if g is None else _to_numpy(g))
    for name, gs in by_name.items():
        g = base.summed(gs)
        grads_of[name] = None if g is None else base.canonical_gradient(plan, name, g)
    return grads_of


def _assign(module, attr: str, value):
    """Copy a weight into a module parameter or buffer, found by dotted attribute path."""
    current = base.attribute(module, attr)
    if tuple(current.shape) != tuple(value.shape):
        raise ValueError(f"weight {attr}: layer expects {tuple(current.shape)}, got {tuple(value.shape)}")
    current.copy_(value.to(current.dtype))


def live_default(call: str, kind: str, name: str, opset=None):
    """inspect.signature where torch has one; for C++ builtins, the aten schema's default."""
    target = resolve(call, KEY)
    value = base.signature_default(target, name)
    if value is not base.MISSING:
        return value
    return _schema_default(call.rsplit(".", 1)[-1], name)


def _schema_default(op_name: str, arg: str):
    import torch

    packet = getattr(torch.ops.aten, op_name, None)
    if packet is None:
        return base.MISSING
    for overload in packet.overloads():
        schema = getattr(packet, overload)._schema
        for a in schema.arguments:
            if a.name == arg and a.has_default_value():
                return a.default_value
    return base.MISSING

