"""References for the activations family (float64, canonical layout)."""

from __future__ import annotations

import numpy as np

__all__: list[str] = [
    "prelu", "mish", "hard_tanh", "softsign", "log_sigmoid", "celu", "glu", "swish", "thresholded_relu",
    "hard_shrink", "soft_shrink", "tanhshrink", "relu_capped", "softmin",
]


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _keep_nan(x, y):
    """An elementwise activation propagates NaN (IEEE): comparisons with NaN are false, so a where() chain
    would otherwise silently map NaN to one of its branches."""
    return np.where(np.isnan(x), x, y)


def prelu(x, weight):
    """max(x, 0) + weight[c] * min(x, 0), one slope per channel (axis 1, NCHW); a 1-element weight is shared."""
    w = np.asarray(weight, dtype=np.float64).reshape(-1)
    if w.size > 1:
        w = w.reshape((1, -1) + (1,) * (x.ndim - 2))
    return np.where(x >= 0, x, w * x)


def mish(x):
    """x * tanh(softplus(x)); softplus computed stably as logaddexp(0, x)."""
    return x * np.tanh(np.logaddexp(0.0, x))


def hard_tanh(x, min_val, max_val):
    return np.clip(x, min_val, max_val)


def softsign(x):
    return x / (1.0 + np.abs(x))


def log_sigmoid(x):
    """log(1 / (1 + exp(-x))) = -softplus(-x), stable for large |x|."""
    return -np.logaddexp(0.0, -x)


def celu(x, alpha):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)); unlike elu, the exponent is scaled by 1/alpha."""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0) / alpha))


def glu(x, axis):
    """First half * sigmoid(second half), split in two along ``axis`` (its size must be even)."""
    a, b = np.split(x, 2, axis=axis)
    return a * _sigmoid(b)


def swish(x, beta):
    return x * _sigmoid(beta * x)


def thresholded_relu(x, alpha):
    """x if x > alpha else 0 (strict: x == alpha gives 0); NaN propagates."""
    return _keep_nan(x, np.where(x > alpha, x, 0.0))


def hard_shrink(x, lambd):
    """x if |x| > lambd else 0 (strict); NaN propagates."""
    return _keep_nan(x, np.where(np.abs(x) > lambd, x, 0.0))


def soft_shrink(x, lambd):
    """x - lambd if x > lambd, x + lambd if x < -lambd, else 0; NaN propagates."""
    return _keep_nan(x, np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0.0)))


def tanhshrink(x):
    return x - np.tanh(x)


def relu_capped(x, max_value, negative_slope, threshold):
    """keras.layers.ReLU: max_value if x >= max_value, x if threshold < x < max_value, else
    negative_slope * (x - threshold) (Keras compares x > threshold strictly); max_value None: no cap.
    Written for threshold >= 0 (Keras clips the kept part to [0, max_value])."""
    kept = x if max_value is None else np.minimum(x, max_value)
    below = negative_slope * (x - threshold) if negative_slope != 0 else np.zeros_like(x)  # 0 * -inf is NaN
    return _keep_nan(x, np.where(x > threshold, kept, below))


def softmin(x, axis):
    """softmax(-x) along ``axis``."""
    z = -x
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
