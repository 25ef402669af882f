"""PyTorch: functions (torch.*, torch.nn.functional.*) and nn.Module layers, single-threaded, CPU."""

from __future__ import annotations

from portability.frameworks import base
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

    target = resolve(plan.call, KEY)
    args, kwargs = base.native_args(plan, arrays, _to_native)
    with torch.no_grad():
        if plan.kind == "layer":
            module = target(**kwargs)
            weights = base.weight_arrays(plan, arrays)
            dtype = getattr(torch, base.first_float_dtype([*args, *weights.values()]))
            module = module.to(dtype).eval()
            for attr, value in weights.items():
                _assign(module, attr, _to_native(value))
            result = module(*args, **plan.call_kwargs)
            if plan.reads:
                result = base.read_back(plan, args, kwargs, module)
        else:
            result = target(*args, **kwargs)
            if plan.reads:
                result = base.read_back(plan, args, kwargs)
    return base.outputs(plan, result, _to_numpy)


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

