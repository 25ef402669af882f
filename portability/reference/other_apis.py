"""References for the other API of an op, where it has its own semantics (opspecs/other_apis.yaml)."""

from __future__ import annotations

import numpy as np

__all__: list[str] = [
    "truncate_divide", "round_half_away_from_zero", "xlog1py", "divide_no_nan", "multiply_no_nan",
    "cumsum_reverse", "cumsum_exclusive", "pad_crop", "reciprocal_no_nan",
]


def truncate_divide(x, y):
    """Integer division rounding toward zero (C, jax.lax.div, tf.truncatediv), in the operands' dtype."""
    q = np.abs(x) // np.abs(y)
    return np.where((x < 0) != (y < 0), -q, q).astype(np.result_type(x, y))


def round_half_away_from_zero(x):
    """C round(): exact halves move away from zero (jax.lax.round's default); x - trunc(x) is exact."""
    t = np.trunc(x)
    with np.errstate(invalid="ignore"):  # inf - inf
        away = np.abs(x - t) >= 0.5
    return np.where(away, t + np.sign(x), t)


def xlog1py(x, y):
    """x * log1p(y), 0 where x == 0 unless y is NaN (torch.special.xlog1py, scipy.special.xlog1py)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log1p(y))


def divide_no_nan(x, y):
    """x / y, 0 where y == 0 (tf.math.divide_no_nan): also 0/0 and inf/0; a NaN divisor still gives NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y == 0, 0.0, x / y)


def multiply_no_nan(x, y):
    """x * y, 0 where y == 0 even if x is NaN or Inf (tf.math.multiply_no_nan)."""
    with np.errstate(invalid="ignore"):
        return np.where(y == 0, 0.0, x * y)


def cumsum_reverse(x, axis):
    """Cumulative sum from the end of the axis (tf.math.cumsum(reverse=True), lax.cumsum(reverse=True))."""
    return np.flip(np.cumsum(np.flip(x, axis), axis), axis)


def cumsum_exclusive(x, axis):
    """Cumulative sum of the elements strictly before each one (tf.math.cumsum(exclusive=True)): starts at 0."""
    head = np.zeros_like(np.take(x, [0], axis=axis))
    body = np.cumsum(np.take(x, np.arange(x.shape[axis] - 1), axis=axis), axis=axis)
    return np.concatenate([head, body], axis=axis)


def pad_crop(x, pads):
    """Constant (zero) padding whose negative entries crop ([[before, after], ...] over the trailing axes), as
    torch F.pad, jax.lax.pad and onnxruntime's Pad read them."""
    lead = x.ndim - len(pads)
    grow = [(0, 0)] * lead + [(max(a, 0), max(b, 0)) for a, b in pads]
    out = np.pad(x, grow)
    index = [slice(None)] * lead + [slice(-min(a, 0), out.shape[lead + i] + min(b, 0)) for i, (a, b) in enumerate(pads)]
    return out[tuple(index)]


def reciprocal_no_nan(x):
    """1 / x, 0 where x == 0 (tf.math.reciprocal_no_nan)."""
    with np.errstate(divide="ignore"):
        return np.where(x == 0, 0.0, 1.0 / np.where(x == 0, 1.0, x))
