"""Named value transforms: canonical parameter value -> one framework's argument value.

Pure functions of (value, ctx), where ctx knows the case's canonical params and input shapes.
A transform raises ``UnsupportedValue`` when the framework cannot express the value at all,
which the checker reports as `unsupported` (an argument value one framework lacks).
A transform that returns a dict supplies several framework arguments at once.
"""

from __future__ import annotations

from dataclasses import dataclass


class UnsupportedValue(Exception):
    """The framework API cannot express this canonical value."""


@dataclass(frozen=True)
class Ctx:
    params: dict  # canonical params of the case
    shapes: dict  # canonical input name -> shape (canonical layout)


def _spatial_rank(ctx: Ctx) -> int:
    w = ctx.shapes.get("weight") or ctx.shapes.get("x")
    return len(w) - 2


def _explicit_pairs(value, ctx: Ctx) -> list[list[int]]:
    """Canonical explicit padding -> [[before, after], ...] per spatial dim."""
    n = _spatial_rank(ctx)
    if isinstance(value, int):
        return [[value, value]] * n
    if all(isinstance(v, int) for v in value):
        if len(value) != n:
            raise UnsupportedValue(f"padding {value!r} does not match {n} spatial dims")
        return [[v, v] for v in value]
    return [list(p) for p in value]


def _kernel(ctx: Ctx) -> list[int]:
    if "kernel_size" in ctx.params:
        k = ctx.params["kernel_size"]
        return [k] * _spatial_rank(ctx) if isinstance(k, int) else list(k)
    return list(ctx.shapes["weight"][2:])


def _per_dim(v, ctx: Ctx) -> list[int]:
    return [v] * _spatial_rank(ctx) if isinstance(v, int) else list(v)


def one_minus(value, ctx):
    """BatchNorm momentum: torch weights the new batch by m, Keras keeps m of the running value."""
    return None if value is None else round(1.0 - value, 12)


def pair(value, ctx):
    return tuple(_per_dim(value, ctx))


def as_list(value, ctx):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def torch_padding(value, ctx):
    """torch conv/pool padding: 'valid', 'same' (stride 1 only: torch rejects strided 'same'), or symmetric ints."""
    if value in ("valid", "same"):
        return value
    pairs = _explicit_pairs(value, ctx)
    if any(a != b for a, b in pairs):
        raise UnsupportedValue(f"torch conv padding is symmetric; {value!r} needs an explicit F.pad first")
    return tuple(a for a, _ in pairs)


def torch_pool_padding(value, ctx):
    """torch pooling takes symmetric ints only (no 'same'/'valid' strings)."""
    if value == "valid":
        return 0
    if value == "same":
        raise UnsupportedValue("torch pooling has no 'same' padding")
    return torch_padding(value, ctx)


def symmetric_same(value, ctx):
    """What a port usually writes for TF 'SAME' in torch: padding = kernel // 2 on every side."""
    if value == "same":
        return tuple((k - 1) * d // 2 for k, d in zip(_kernel(ctx), _per_dim(ctx.params.get("dilation", 1), ctx)))
    return torch_padding(value, ctx)


def tf_padding(value, ctx):
    """tf.nn padding: 'SAME'/'VALID' or explicit [[0,0],[t,b],[l,r],[0,0]] (NHWC)."""
    if value in ("same", "valid"):
        return value.upper()
    return [[0, 0], *_explicit_pairs(value, ctx), [0, 0]]


def tf_pool_padding(value, ctx):
    """tf.nn pooling takes 'SAME' or 'VALID' only."""
    if value in ("same", "valid"):
        return value.upper()
    if all(a == 0 and b == 0 for a, b in _explicit_pairs(value, ctx)):
        return "VALID"
    raise UnsupportedValue("tf.nn pooling has no explicit padding (only 'SAME' / 'VALID')")


def keras_padding(value, ctx):
    """Keras layers take 'same' or 'valid' only."""
    if value in ("same", "valid"):
        return value
    if all(a == 0 and b == 0 for a, b in _explicit_pairs(value, ctx)):
        return "valid"
    raise UnsupportedValue("Keras layers take only 'same' or 'valid' padding (explicit pads need ZeroPadding2D)")


def jax_padding(value, ctx):
    """jax.lax padding: 'SAME'/'VALID' or [(lo, hi), ...] per spatial dim."""
    if value in ("same", "valid"):
        return value.upper()
    return [tuple(p) for p in _explicit_pairs(value, ctx)]


def jax_pool_padding(value, ctx):
    """jax.lax.reduce_window padding covers every dim: N and C get (0, 0)."""
    if value in ("same", "valid"):
        return value.upper()
    return [(0, 0), (0, 0), *[tuple(p) for p in _explicit_pairs(value, ctx)]]


def onnx_conv_pads(value, ctx):
    """ONNX Conv/Pool: auto_pad SAME_UPPER (TF's convention) / VALID, or pads [begins..., ends...]."""
    if value == "same":
        return {"auto_pad": "SAME_UPPER"}
    if value == "valid":
        return {"auto_pad": "VALID"}
    pairs = _explicit_pairs(value, ctx)
    return {"pads": [a for a, _ in pairs] + [b for _, b in pairs]}


def window_nd(value, ctx):
    """A per-spatial-dim window or stride, extended with 1s over N and C (jax.lax.reduce_window)."""
    return (1, 1, *_per_dim(value, ctx))


def torch_pad(value, ctx):
    """F.pad wants (last_before, last_after, prev_before, prev_after, ...)."""
    flat = []
    for before, after in reversed(value):
        flat += [before, after]
    return tuple(flat)


def onnx_pad(value, ctx):
    """ONNX Pad: [x1_begin, x2_begin, ..., x1_end, x2_end, ...]."""
    return [p[0] for p in value] + [p[1] for p in value]


def pairs_tuple(value, ctx):
    return tuple(tuple(p) for p in value)


def nchw_resize_shape(value, ctx):
    """jax.image.resize wants the full output shape: (N, C, *size)."""
    x = ctx.shapes["x"]
    return (*x[:2], *value)


def tf_ksize(value, ctx):
    return list(_per_dim(value, ctx))


TRANSFORMS = {
    f.__name__: f
    for f in (
        one_minus, pair, as_list, torch_padding, torch_pool_padding, symmetric_same, tf_padding, tf_pool_padding,
        keras_padding, jax_padding, jax_pool_padding, onnx_conv_pads, window_nd, torch_pad, onnx_pad, pairs_tuple,
        nchw_resize_shape, tf_ksize,
    )
}
