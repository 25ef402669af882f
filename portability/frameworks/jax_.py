"""JAX: jax.numpy, jax.nn, jax.lax, jax.image on the CPU, with x64 enabled so float64 stays float64."""

from __future__ import annotations

import os

from portability.frameworks import base
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
    try:
        return execute_batch([(plan, arrays)])[0]
    except Exception as exc:
        if not isinstance(exc, _untraceable()):
            raise
    args, kwargs = _native(plan, arrays)  # data-dependent output shapes (unique, nonzero): eager
    return base.outputs(plan, resolve(plan.call, KEY)(*args, **kwargs), _to_numpy)


def execute_batch(items):
    """Several calls as ONE jitted program: XLA compiles one module instead of one per call (a family of
    ops batched compiles in a third of the time here). Each call keeps its own input buffers (separate
    parameters), so no computation shares data with another. Raises if any call cannot join."""
    import jax

    calls, flat = [], []
    for plan, arrays in items:
        args, kwargs = _native(plan, arrays)
        pos = [i for i, a in enumerate(args) if isinstance(a, jax.Array)]
        kws = [k for k, v in kwargs.items() if isinstance(v, jax.Array)]
        calls.append((plan, resolve(plan.call, KEY), args, kwargs, pos, kws, len(flat)))
        flat += [args[i] for i in pos] + [kwargs[k] for k in kws]

    def program(*arrs):
        results = []
        for _, target, args, kwargs, pos, kws, start in calls:
            full, kw, j = list(args), dict(kwargs), start
            for i in pos:
                full[i], j = arrs[j], j + 1
            for k in kws:
                kw[k], j = arrs[j], j + 1
            results.append(target(*full, **kw))
        return results

    results = jax.jit(program)(*flat)
    return [base.outputs(plan, r, _to_numpy) for (plan, *_), r in zip(calls, results, strict=True)]


def _native(plan, arrays: dict):
    if plan.kind == "layer":
        raise NotImplementedError("jax has no layer objects here (flax is not a dependency)")
    return base.native_args(plan, arrays, _to_native)


def _untraceable():
    import jax

    return (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError,
            jax.errors.TracerIntegerConversionError, jax.errors.TracerArrayConversionError,
            jax.errors.NonConcreteBooleanIndexError)


def live_default(call: str, kind: str, name: str, opset=None):
    return base.signature_default(resolve(call, KEY), name)
