"""JAX: jax.numpy, jax.nn, jax.lax, jax.image on the CPU, with x64 enabled so float64 stays float64.
Backward: ``jax.vjp`` inside the same jitted programs as the forward calls."""

from __future__ import annotations

import os

from portability.frameworks import base
from portability.plan import differentiated
from portability.resolve import resolve

KEY = "jax"  # catalog key: the sandbox policy of portability.resolve


def load(settings: dict) -> str:
    import jax

    # Without x64, JAX silently turns float64 (and int64) into 32-bit types.
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    # Every call compiles; a persistent cache makes repeated runs cheap (settings["cache_dir"], None = off).
    if settings.get("cache_dir"):
        jax.config.update("jax_compilation_cache_dir", os.path.join(settings["cache_dir"], "jax"))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return jax.__version__


def _to_native(a):
    import jax

    # device_put is a plain transfer; jnp.asarray runs (and compiles) a convert primitive per shape.
    return jax.device_put(a)


def _to_numpy(t):
    import numpy as np

    return np.asarray(t)


def execute(plan, arrays: dict):
    """Run the call under jax.jit, as production JAX code runs; eager only when it cannot be traced.

    Eager JAX compiles every primitive separately (2-3x slower here); under jit, arrays are traced
    and every other argument is closed over as a static value."""
    if _UNTRACEABLE.pop(id(plan), None) is not plan:  # a batch just found it untraceable: no second trace
        try:
            return _one(execute_batch([(plan, arrays)])[0])
        except Exception as exc:
            if not isinstance(exc, _untraceable()):
                raise
    args, kwargs = _native(plan, arrays)  # data-dependent output shapes (unique, nonzero): eager
    return base.outputs(plan, resolve(plan.call, KEY)(*args, **kwargs), _to_numpy)


# Forward plans whose trace in the last batch failed as untraceable (id -> the plan, held so the id stays its own):
# the worker runs each alone next (``execute``), and tracing it again alone would fail the same way.
_UNTRACEABLE: dict[int, object] = {}


def vjp(plan, arrays: dict) -> dict:
    """The backward pass of one call: a batch of one (see execute_batch)."""
    return _one(execute_batch([(plan, arrays)])[0])


def _one(result):
    if isinstance(result, Exception):
        raise result
    return result


def execute_batch(items):
    """Several calls as ONE jitted program: XLA compiles one module instead of one per call (a family of
    ops batched compiles in a third of the time here). Each call keeps its own input buffers (separate
    parameters), so no computation shares data with another.

    A backward plan (``plan.wrt``) joins the same way: its call runs under ``jax.vjp`` with respect to the
    inputs it differentiates, its cotangents are parameters too, and it returns {name: gradient}. A call
    that fails while the program is traced (it cannot be traced, or a naive call returns another shape than
    the cotangent's) leaves the program and gets its exception in its place: the worker runs it alone, and
    the others are not compiled again."""
    import jax

    calls, flat = [], []
    for plan, arrays in items:
        names = differentiated(plan) if plan.wrt else ()
        leaves: list = []
        args, kwargs = _native(plan, arrays, lambda name, a: _Leaf(name, a) if name in names else a)
        tree = _slots([args, kwargs], leaves)
        cotangents = base.cotangents(plan, arrays) if plan.wrt else []
        calls.append((plan, resolve(plan.call, KEY), tree, [n for n, _ in leaves], len(flat), len(leaves)))
        flat += [a for _, a in leaves] + [_to_native(ct) for ct in cotangents]
    failed: dict[int, Exception] = {}

    def program(*arrs):
        results = []
        for k, call in enumerate(calls):
            try:
                results.append(_traced_call(call, arrs))
            except Exception as exc:  # recorded while tracing: this call leaves the program
                failed[k] = exc
                results.append(())
        return results

    results = jax.jit(program)(*flat)
    _UNTRACEABLE.clear()
    _UNTRACEABLE.update((id(plan), plan) for k, (plan, _) in enumerate(items)
                        if k in failed and not plan.wrt and isinstance(failed[k], _untraceable()))
    out = []
    for k, ((plan, _, _, slot_names, _, _), r) in enumerate(zip(calls, results, strict=True)):
        if k in failed:
            out.append(failed[k])
        elif not plan.wrt:
            out.append(base.outputs(plan, r, _to_numpy))
        else:
            by_name: dict[str, list] = {}
            for name, g in zip([n for n in slot_names if n is not None], r):
                by_name.setdefault(name, []).append(_to_numpy(g))
            out.append({name: base.canonical_gradient(plan, name, base.summed(gs)) for name, gs in by_name.items()})
    return out


def _traced_call(call, arrs):
    """One call inside the batch program: its outputs, or for a backward plan the gradients of its
    differentiated slots (jax.vjp with the cotangents, which follow the call's slots among the parameters)."""
    import jax

    plan, target, tree, slot_names, start, n = call
    values = list(arrs[start:start + n])
    if not plan.wrt:
        args, kwargs = _fill(tree, values)
        return target(*args, **kwargs)
    wrt = [i for i, name in enumerate(slot_names) if name is not None]

    def f(*primals):
        vals = list(values)
        for i, p in zip(wrt, primals):
            vals[i] = p
        args, kwargs = _fill(tree, vals)
        return base.differentiable_outputs(plan, target(*args, **kwargs), _squeeze, _transpose)

    outs, pullback = jax.vjp(f, *[values[i] for i in wrt])
    cts = arrs[start + n:start + n + len(outs)]
    for o, ct in zip(outs, cts, strict=True):
        if o.shape != ct.shape:
            raise ValueError(f"{plan.label} returns shape {tuple(o.shape)}, not the reference's {tuple(ct.shape)}: "
                             "the cotangent does not apply")
    return pullback([ct.astype(o.dtype) for ct, o in zip(cts, outs, strict=True)])


class _Leaf:
    """An input the backward pass differentiates, marked while the call's arguments are built."""

    def __init__(self, name, array):
        self.name, self.array = name, array


class _Slot:
    def __init__(self, index):
        self.index = index


def _slots(obj, leaves: list):
    """The arguments with every array replaced by a numbered slot: (name or None, array) in ``leaves``."""
    import jax

    if isinstance(obj, _Leaf):
        leaves.append((obj.name, obj.array))
        return _Slot(len(leaves) - 1)
    if isinstance(obj, jax.Array):
        leaves.append((None, obj))
        return _Slot(len(leaves) - 1)
    if isinstance(obj, (list, tuple)):
        return _rebuilt(obj, [_slots(o, leaves) for o in obj])
    if isinstance(obj, dict):
        return {k: _slots(v, leaves) for k, v in obj.items()}
    return obj


def _fill(obj, values: list):
    if isinstance(obj, _Slot):
        return values[obj.index]
    if isinstance(obj, (list, tuple)):
        return _rebuilt(obj, [_fill(o, values) for o in obj])
    if isinstance(obj, dict):
        return {k: _fill(v, values) for k, v in obj.items()}
    return obj


def _rebuilt(obj, items: list):
    """A list or tuple of the same type with new items; a named tuple (jax.lax.ScatterDimensionNumbers) takes
    them as separate arguments."""
    return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)


def _squeeze(t, axis):
    import jax.numpy as jnp

    return jnp.squeeze(t, axis)


def _transpose(t, perm):
    import jax.numpy as jnp

    return jnp.transpose(t, perm)


def _native(plan, arrays: dict, leaf=None):
    if plan.kind == "layer":
        raise NotImplementedError("jax has no layer objects here (flax is not a dependency)")
    return base.native_args(plan, arrays, _to_native, leaf=leaf)


def _untraceable():
    import jax

    return (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError,
            jax.errors.TracerIntegerConversionError, jax.errors.TracerArrayConversionError,
            jax.errors.NonConcreteBooleanIndexError)


def live_default(call: str, kind: str, name: str, opset=None):
    return base.signature_default(resolve(call, KEY), name)
