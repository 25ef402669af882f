"""References for activations, elementwise math and reductions."""

from __future__ import annotations

import numpy as np

__all__: list[str] = [
    "softmax", "log_softmax", "elu", "selu", "silu", "hard_sigmoid", "hard_swish", "sigmoid", "topk",
    "rsqrt", "erf", "logsumexp", "flatten", "chunk",
]

# The SELU constants to full precision (Klambauer et al. 2017; the values torch/TF/JAX hard-code).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def selu(x):
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))


def sigmoid(x):
    # Both branches are evaluated; exp(-|x|) never overflows.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def silu(x):
    return x * sigmoid(x)


def hard_sigmoid(x, alpha, beta):
    """clip(alpha * x + beta, 0, 1): alpha=1/6 is relu6(x + 3) / 6 (torch, Keras 3, JAX); ONNX defaults alpha=0.2."""
    return np.clip(alpha * x + beta, 0.0, 1.0)


def hard_swish(x):
    return x * np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def topk(x, k, axis):
    """The k largest along ``axis``, sorted descending; ties keep the lower index first (a stable sort). NaN
    counts as the largest value (NumPy's sort order, which torch.topk, jax.lax.top_k and ONNX TopK follow):
    argsort(-x) alone would put it last."""
    order = np.argsort(np.where(np.isnan(x), -np.inf, -x), axis=axis, kind="stable")
    order = np.take_along_axis(order, np.argsort(~np.isnan(np.take_along_axis(x, order, axis=axis)), axis=axis,
                                                 kind="stable"), axis=axis)
    indices = np.take(order, np.arange(k), axis=axis)
    return np.take_along_axis(x, indices, axis=axis), indices


def rsqrt(x):
    """1 / sqrt(x): +0 -> +inf, -0 -> -inf, negatives -> NaN (IEEE division and sqrt)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / np.sqrt(x)


def erf(x):
    """The error function in float64 (NumPy has none; math.erf is correctly rounded enough)."""
    import math

    return np.vectorize(math.erf, otypes=[np.float64])(x)


def logsumexp(x, axis, keepdims=False):
    """log(sum(exp(x))) along ``axis``, shifted by the max so large magnitudes neither overflow nor vanish.
    Over an empty axis the sum is 0, so the result is -inf (ONNX's reduce_log_sum_exp_empty_set)."""
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):  # log(0) = -inf is the answer over an empty axis
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def flatten(x, start_dim):
    """Merge the axes from ``start_dim`` to the last into one (torch.flatten with end_dim=-1)."""
    return x.reshape(*x.shape[:start_dim], -1)


def chunk(x, chunks, axis):
    """torch.chunk: pieces of ceil(n / chunks) along ``axis``, the last one smaller (and possibly fewer pieces)."""
    size = -(-x.shape[axis] // chunks)
    return tuple(np.take(x, np.arange(i, min(i + size, x.shape[axis])), axis=axis)
                 for i in range(0, x.shape[axis], size))
