"""What every adapter shares: turning a CallPlan plus canonical arrays into a call, and back.

An adapter supplies ``to_native`` / ``to_numpy`` and how to call a layer; the argument wiring,
layout transposes and output selection live here once, for the forward pass (``execute``) and the
backward pass (``vjp``: the cotangent-weighted gradients of a plan's ``wrt`` inputs).
"""

from __future__ import annotations

import inspect

import numpy as np

from portability.inputs import cast
from portability.layouts import inverse
from portability.plan import CallPlan, Input, Ref, Value, cotangent_name

MISSING = "<no default>"
# Every adapter seeds its framework's generator with this right before it builds a layer, so a layer's initial
# weights (initializer ops read them back) and a training-mode dropout mask repeat from run to run.
LAYER_SEED = 0


def native_args(plan: CallPlan, arrays: dict, to_native, value_to_native=None, leaf=None):
    """Positional args and kwargs for the framework, inputs transposed into its layout. ``leaf(name, native)``
    sees (and may replace) each input tensor: the backward pass marks the ones it differentiates."""

    def conv(item):
        if isinstance(item, tuple):
            return [conv(i) for i in item]
        if isinstance(item, Input):
            a = arrays[item.name]
            perm = plan.layouts.get(item.name)
            native = to_native(np.ascontiguousarray(np.transpose(a, perm)) if perm else a)
            return leaf(item.name, native) if leaf else native
        if isinstance(item, Ref):
            target = _resolve_ref(plan, item.dotted)
            return target(**dict(item.kwargs)) if item.kwargs else target
        if isinstance(item, Value):
            if item.dtype is not None:
                return (value_to_native or to_native)(cast(np.asarray(item.value), item.dtype))
            return item.value
        return item

    args = [conv(a) for a in plan.args]
    kwargs = {k: conv(v) for k, v in plan.kwargs.items()}
    return args, kwargs


def _resolve_ref(plan: CallPlan, dotted: str):
    """A callable argument (jax.lax.reduce_window's computation): the same sandbox as a call target."""
    from portability.resolve import resolve

    return resolve(dotted, plan.backend_key)


def weight_arrays(plan: CallPlan, arrays: dict) -> dict:
    """Layer attribute -> array in the framework's layout."""
    out = {}
    for attr, name in plan.weights.items():
        perm = plan.layouts.get(name)
        out[attr] = np.ascontiguousarray(np.transpose(arrays[name], perm)) if perm else arrays[name]
    return out


def pick(plan: CallPlan, result) -> list:
    """The op's outputs among what the call returned, in op order, still the framework's objects."""
    items = list(result) if isinstance(result, (tuple, list)) else [result]
    if plan.outputs is not None:
        items = [_pick(items, i) for i in plan.outputs]
    elif len(items) != plan.n_outputs:
        if plan.n_outputs == 1:
            items = items[:1]
        else:
            raise ValueError(f"{plan.label} returned {len(items)} outputs, the op has {plan.n_outputs}")
    return items


def outputs(plan: CallPlan, result, to_numpy) -> list[np.ndarray]:
    """The op's outputs, in op order, as NumPy arrays in the canonical layout."""
    if plan.output_stack is not None:  # a tuple of per-axis index arrays (np.nonzero) -> the op's one output
        items = list(result) if isinstance(result, (tuple, list)) else [result]
        arrays = [np.stack([np.asarray(to_numpy(x)) for x in items], axis=plan.output_stack)]
    else:
        arrays = [np.asarray(to_numpy(x)) for x in pick(plan, result)]
    if plan.output_squeeze is not None:
        arrays = [np.squeeze(a, axis=plan.output_squeeze) if a.ndim > plan.output_squeeze
                  and a.shape[plan.output_squeeze] == 1 else a for a in arrays]
    if plan.output_perm is not None:
        arrays = [np.transpose(a, plan.output_perm) if a.ndim == len(plan.output_perm) else a for a in arrays]
    return arrays


def read_back(plan: CallPlan, args: list, kwargs: dict, layer=None) -> list:
    """The outputs a call leaves behind rather than returns (``plan.reads``): a layer's attributes, or the native
    tensors passed for inputs that the call updates in place (torch's running statistics)."""
    if layer is not None:
        return [attribute(layer, name) for name in plan.reads]
    passed = {item.name: native for item, native in zip(plan.args, args) if isinstance(item, Input)}
    passed |= {item.name: kwargs[k] for k, item in plan.kwargs.items() if isinstance(item, Input)}
    return [passed[name] for name in plan.reads]
def differentiable_outputs(plan: CallPlan, result, squeeze, transpose) -> list:
    """The outputs the backward pass weights (float outputs), still framework tensors but in the canonical
    layout, brought there with the framework's own ``squeeze(t, axis)`` / ``transpose(t, perm)`` so that the
    cotangents (``cotangents``), made in the canonical layout, apply as they are."""
    out = []
    for i, item in enumerate(pick(plan, result)):
        if not plan.float_outputs[i]:
            continue
        shape = tuple(item.shape)
        if plan.output_squeeze is not None and len(shape) > plan.output_squeeze and shape[plan.output_squeeze] == 1:
            item = squeeze(item, plan.output_squeeze)
            shape = shape[:plan.output_squeeze] + shape[plan.output_squeeze + 1:]
        if plan.output_perm is not None and len(shape) == len(plan.output_perm):
            item = transpose(item, plan.output_perm)
        out.append(item)
    return out


def cotangents(plan: CallPlan, arrays: dict) -> list[np.ndarray]:
    """The case's shared cotangents of the outputs ``differentiable_outputs`` returns, in the same order."""
    return [arrays[cotangent_name(i)] for i, differentiable in enumerate(plan.float_outputs) if differentiable]


def canonical_gradient(plan: CallPlan, name: str, grad: np.ndarray) -> np.ndarray:
    """A gradient in the framework's layout of input ``name`` brought back to the canonical layout."""
    perm = plan.layouts.get(name)
    return np.transpose(grad, inverse(perm)) if perm else grad


def summed(grads: list):
    """The gradient of an input the call takes more than once (or None when no occurrence has one)."""
    present = [g for g in grads if g is not None]
    if not present:
        return None
    total = present[0]
    for g in present[1:]:
        total = total + g
    return total


def _pick(items: list, index):
    """An output by index, or by a path of indices into nested results (torch LSTM: [1, 0] is h_n)."""
    if isinstance(index, int):
        return items[index]
    obj = items
    for i in index:
        obj = obj[i]
    return obj


def first_float_dtype(arrays) -> str:
    """The dtype a layer is built in: its first floating input or weight (index inputs are int64)."""
    for a in arrays:
        name = getattr(a.dtype, "name", str(a.dtype)).split(".")[-1]  # torch.float32 -> float32
        if "float" in name:
            return name
    return "float32"


def signature_default(target, name: str):
    """The default of one argument from inspect.signature (the constructor's, for classes)."""
    try:
        sig = inspect.signature(target.__init__ if inspect.isclass(target) else target)
    except (TypeError, ValueError):
        return MISSING
    p = sig.parameters.get(name)
    if p is None or p.default is inspect.Parameter.empty:
        return MISSING
    return p.default


def attribute(obj, dotted: str):
    """A layer's weight by dotted path (Keras RNN variables live on `cell`, e.g. `cell.kernel`)."""
    for name in dotted.split("."):
        obj = getattr(obj, name)
    return obj
