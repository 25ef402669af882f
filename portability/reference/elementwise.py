"""References for activations, elementwise math and reductions."""

from __future__ import annotations

import numpy as np

__all__: list[str] = [
    "softmax", "log_softmax", "elu", "selu", "silu", "hard_sigmoid", "hard_swish", "sigmoid", "topk",
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
    """The k largest along ``axis``, sorted descending; ties keep the lower index first (a stable sort)."""
    order = np.argsort(-x, axis=axis, kind="stable")
    indices = np.take(order, np.arange(k), axis=axis)
    return np.take_along_axis(x, indices, axis=axis), indices
