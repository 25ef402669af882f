"""Loss references (float64): cross-entropy, binary cross-entropy, focal, regression losses, KL, cosine.

Class scores are (N, C) with the class axis last (== torch's class axis 1 for 2-D inputs).
``reduction`` follows torch: 'none', 'mean', 'sum'; KL adds 'batchmean'; the per-sample Keras
convention (mean over the last axis, no batch reduction) is 'mean_last_axis'.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "log_softmax", "reduce_loss", "cross_entropy", "cross_entropy_soft", "categorical_crossentropy_probs",
    "sparse_categorical_crossentropy_probs", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "binary_focal_crossentropy", "mse_loss", "l1_loss", "huber_loss", "kl_div", "kl_divergence",
    "cosine_similarity",
]


def log_softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    z = x - m
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def reduce_loss(loss, reduction, denominator=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return np.sum(loss)
    if reduction == "mean":
        return np.sum(loss) / (loss.size if denominator is None else denominator)
    if reduction == "mean_last_axis":
        return np.mean(loss, axis=-1)
    raise ValueError(f"unknown reduction {reduction!r}")


def cross_entropy(x, target, reduction="mean", label_smoothing=0.0, ignore_index=None, weight=None):
    """torch.nn.functional.cross_entropy on (N, C) logits and class-index targets.

    Ignored targets contribute 0 and are left out of the mean; with class weights the mean divides
    by the summed weights of the (non-ignored) targets."""
    if x.ndim != 2:
        raise ValueError(f"the cross_entropy reference takes (N, C) logits, not {x.ndim}-D (spatial targets)")
    n, c = x.shape
    logp = log_softmax(x, axis=-1)
    target = np.asarray(target).astype(np.int64)
    keep = np.ones(n, bool) if ignore_index is None else target != ignore_index
    safe = np.where(keep, target, 0)
    w = np.ones(c) if weight is None else np.asarray(weight, np.float64)
    nll = -logp[np.arange(n), safe] * w[safe]
    smooth = -np.sum(logp * w, axis=-1) / c
    loss = np.where(keep, (1.0 - label_smoothing) * nll + label_smoothing * smooth, 0.0)
    return reduce_loss(loss, reduction, denominator=np.sum(np.where(keep, w[safe], 0.0)))


def cross_entropy_soft(x, target, label_smoothing=0.0):
    """Per-sample -sum(t' * log_softmax(x)) with t' = t (1 - ls) + ls / C (torch and Keras smoothing)."""
    c = x.shape[-1]
    t = target * (1.0 - label_smoothing) + label_smoothing / c
    return -np.sum(t * log_softmax(x, axis=-1), axis=-1)


def categorical_crossentropy_probs(target, probs):
    """Per-sample -sum(t * log p) on the probabilities exactly as given (no renormalisation)."""
    return -np.sum(target * np.log(probs), axis=-1)


def sparse_categorical_crossentropy_probs(target, probs):
    """Per-sample -log p[target] on the probabilities exactly as given (no renormalisation)."""
    target = np.asarray(target).astype(np.int64)
    return -np.log(probs[np.arange(probs.shape[0]), target])


def binary_cross_entropy(probs, target, reduction="none"):
    """torch.nn.functional.binary_cross_entropy: each log term clamped to >= -100 (documented)."""
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(probs), -100.0)
        log_1mp = np.maximum(np.log1p(-probs), -100.0)
    return reduce_loss(-(target * log_p + (1.0 - target) * log_1mp), reduction)


def _softplus(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def binary_cross_entropy_with_logits(x, target, pos_weight=None, reduction="none"):
    """(1 - t) x + (1 + (pw - 1) t) softplus(-x), the stable form torch and tf.nn both document."""
    pw = 1.0 if pos_weight is None else pos_weight
    return reduce_loss((1.0 - target) * x + (1.0 + (pw - 1.0) * target) * _softplus(-x), reduction)


def binary_focal_crossentropy(target, probs, gamma=2.0, alpha=0.25, apply_class_balancing=False):
    """Keras binary focal cross-entropy on probabilities, mean over the last axis."""
    bce = -(target * np.log(probs) + (1.0 - target) * np.log1p(-probs))
    p_t = target * probs + (1.0 - target) * (1.0 - probs)
    loss = (1.0 - p_t) ** gamma * bce
    if apply_class_balancing:
        loss = (target * alpha + (1.0 - target) * (1.0 - alpha)) * loss
    return np.mean(loss, axis=-1)


def mse_loss(x, y, reduction="mean"):
    return reduce_loss((x - y) ** 2, reduction)


def l1_loss(x, y, reduction="mean"):
    return reduce_loss(np.abs(x - y), reduction)


def huber_loss(x, y, delta=1.0, reduction="mean"):
    d = np.abs(x - y)
    return reduce_loss(np.where(d <= delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def kl_div(log_q, p, reduction="mean"):
    """torch.nn.functional.kl_div(input=log q, target=p): p (log p - log q), 0 where p == 0.

    'mean' averages over every element; 'batchmean' divides the sum by the batch size (the true KL)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        pointwise = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1.0)) - log_q), 0.0)
    if reduction == "batchmean":
        return np.sum(pointwise) / p.shape[0]
    return reduce_loss(pointwise, reduction)


def kl_divergence(p, q):
    """Keras kl_divergence(y_true=p, y_pred=q): sum p log(p / q) over the last axis."""
    with np.errstate(divide="ignore"):
        return np.sum(p * np.log(p / q), axis=-1)


def cosine_similarity(x1, x2, axis=-1):
    dot = np.sum(x1 * x2, axis=axis)
    n = np.sqrt(np.sum(x1 * x1, axis=axis)) * np.sqrt(np.sum(x2 * x2, axis=axis))
    return np.where(n > 0, dot / np.where(n > 0, n, 1.0), 0.0)
