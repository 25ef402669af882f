"""JAX: jax.numpy, jax.nn, jax.lax, jax.image on the CPU, with x64 enabled so float64 stays float64."""

from __future__ import annotations

from portability.frameworks import base
from portability.resolve import resolve

ROOTS = ("jax", "jnp")


def load(settings: dict) -> str:
    import jax

    # Without x64, JAX silently turns float64 (and int64) into 32-bit types.
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    return jax.__version__


def _to_native(a):
    import jax.numpy as jnp

    return jnp.asarray(a)


def _to_numpy(t):
    import numpy as np

    return np.asarray(t)


def execute(plan, arrays: dict):
    if plan.kind == "layer":
        raise NotImplementedError("jax has no layer objects here (flax is not a dependency)")
    target = resolve(plan.call, ROOTS)
    args, kwargs = base.native_args(plan, arrays, _to_native)
    return base.outputs(plan, target(*args, **kwargs), _to_numpy)


def live_default(call: str, kind: str, name: str, opset=None):
    return base.signature_default(resolve(call, ROOTS), name)
