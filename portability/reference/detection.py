"""Detection, sorting and indexing references (float64 / int64): NMS, stable argsort, one-hot,
gather with fill, scatter-add."""

from __future__ import annotations

import numpy as np

__all__ = [
    "box_iou", "nms", "nms_onnx", "argsort_stable", "sort_nan_last", "one_hot_zero_outside",
    "take_fill", "take_along_axis_fill", "scatter_add",
]


def box_iou(a, b):
    """Pairwise IoU of corner boxes [y1, x1, y2, x2] (either diagonal: corners are min/max'ed)."""
    ay1, ay2 = np.minimum(a[:, 0], a[:, 2]), np.maximum(a[:, 0], a[:, 2])
    ax1, ax2 = np.minimum(a[:, 1], a[:, 3]), np.maximum(a[:, 1], a[:, 3])
    by1, by2 = np.minimum(b[:, 0], b[:, 2]), np.maximum(b[:, 0], b[:, 2])
    bx1, bx2 = np.minimum(b[:, 1], b[:, 3]), np.maximum(b[:, 1], b[:, 3])
    ih = np.clip(np.minimum(ay2[:, None], by2[None]) - np.maximum(ay1[:, None], by1[None]), 0.0, None)
    iw = np.clip(np.minimum(ax2[:, None], bx2[None]) - np.maximum(ax1[:, None], bx1[None]), 0.0, None)
    inter = ih * iw
    union = ((ay2 - ay1) * (ax2 - ax1))[:, None] + ((by2 - by1) * (bx2 - bx1))[None] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def nms(boxes, scores, max_output, iou_threshold=0.5, score_threshold=-np.inf):
    """Greedy NMS: keep score > score_threshold, visit by descending score (ties: lower index first),
    drop a box whose IoU with a kept box is > iou_threshold; at most max_output indices, in visit order."""
    order = np.argsort(-scores, kind="stable")
    order = order[scores[order] > score_threshold]
    iou = box_iou(boxes, boxes)
    keep: list[int] = []
    for i in order:
        if len(keep) >= max_output:
            break
        if all(iou[i, k] <= iou_threshold for k in keep):
            keep.append(int(i))
    return np.asarray(keep, dtype=np.int64)


def nms_onnx(boxes, scores, max_output, iou_threshold=0.0, score_threshold=-np.inf):
    """ONNX NonMaxSuppression (center_point_box=0): boxes (B, N, 4), scores (B, C, N) ->
    (K, 3) rows [batch, class, box], batch-major then class, each class in NMS order."""
    rows = []
    for b in range(scores.shape[0]):
        for c in range(scores.shape[1]):
            for i in nms(boxes[b], scores[b, c], max_output, iou_threshold, score_threshold):
                rows.append((b, c, i))
    return np.asarray(rows, dtype=np.int64).reshape(-1, 3)


def argsort_stable(x, axis=-1, descending=False):
    """Stable argsort, NaN greater than +Inf (NumPy/torch/JAX); descending keeps equal values in index order."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    order = np.flip(np.argsort(np.flip(x, axis=axis), axis=axis, kind="stable"), axis=axis)
    return (n - 1 - order).astype(np.int64)


def sort_nan_last(x, axis=-1, descending=False):
    """Sorted values, NaN greater than +Inf: last ascending, first descending."""
    out = np.sort(x, axis=axis)
    return np.flip(out, axis=axis) if descending else out


def one_hot_zero_outside(indices, num_classes):
    """One-hot rows (float); an index outside [0, num_classes) gives an all-zero row."""
    indices = np.asarray(indices).astype(np.int64)
    return (indices[..., None] == np.arange(num_classes)).astype(np.float64)


def _wrap_fill(x, indices, axis):
    n = x.shape[axis]
    indices = np.asarray(indices).astype(np.int64)
    wrapped = np.where(indices < 0, indices + n, indices)
    valid = (wrapped >= 0) & (wrapped < n)
    return np.where(valid, wrapped, 0), valid


def take_fill(x, indices, axis=0):
    """np.take with negative indices counted from the end and out-of-range indices giving NaN
    (jax.numpy.take's default mode='fill')."""
    safe, valid = _wrap_fill(x, indices, axis)
    out = np.take(x, safe, axis=axis)
    shape = [1] * out.ndim
    shape[axis:axis + valid.ndim] = valid.shape
    return np.where(valid.reshape(shape), out, np.nan)


def take_along_axis_fill(x, indices, axis=0):
    """np.take_along_axis with negative indices wrapped and out-of-range ones NaN (jnp's default 'fill')."""
    safe, valid = _wrap_fill(x, indices, axis)
    return np.where(valid, np.take_along_axis(x, safe, axis=axis), np.nan)


def scatter_add(x, axis, indices, src):
    """out = x; out[..., indices[i], ...] += src[i] along ``axis`` (torch.scatter_add / ONNX ScatterElements add)."""
    out = np.array(x, dtype=np.float64, copy=True)
    indices = np.asarray(indices).astype(np.int64)
    grid = list(np.indices(indices.shape, sparse=True))
    grid[axis] = indices
    np.add.at(out, tuple(grid), src[tuple(slice(0, s) for s in indices.shape)])
    return out
