"""Core references shared by several families (conv, SAME padding, GELU, leaky ReLU).

Each is a short pure function with explicit arguments, in the canonical (PyTorch) layout.
Only real semantics get code here; where NumPy has the op, the catalog calls NumPy directly.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["leaky_relu", "gelu", "conv", "same_pads", "pad_pairs", "roundtrip_linear", "roundtrip_topk", "roundtrip_linear2"]


def leaky_relu(x, negative_slope):
    return np.where(x >= 0, x, x * negative_slope)


def gelu(x, approximate):
    if approximate:
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def same_pads(size: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TF/ONNX SAME_UPPER: output ceil(size/s); the odd pixel of padding goes after (bottom/right)."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def pad_pairs(padding, spatial, kernel, stride, dilation):
    n = len(spatial)
    if padding == "valid":
        return [(0, 0)] * n
    if padding == "same":
        return [same_pads(spatial[i], kernel[i], stride[i], dilation[i]) for i in range(n)]
    if isinstance(padding, int):
        return [(padding, padding)] * n
    if all(isinstance(p, int) for p in padding):
        return [(p, p) for p in padding]
    return [tuple(p) for p in padding]


def _tuple(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def conv(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """N-d cross-correlation, NC... input, O(I/groups)... kernel, like torch.nn.functional.convNd."""
    n = x.ndim - 2
    stride, dilation = _tuple(stride, n), _tuple(dilation, n)
    kernel = weight.shape[2:]
    pads = pad_pairs(padding, x.shape[2:], kernel, stride, dilation)
    x = np.pad(x, [(0, 0), (0, 0), *pads])
    out_sp = [(x.shape[2 + i] - (kernel[i] - 1) * dilation[i] - 1) // stride[i] + 1 for i in range(n)]
    N, C = x.shape[:2]
    O = weight.shape[0]
    cg, og = C // groups, O // groups
    out = np.zeros((N, O, *out_sp))
    for g in range(groups):
        xs = x[:, g * cg:(g + 1) * cg]
        ws = weight[g * og:(g + 1) * og]
        for idx in np.ndindex(*kernel):
            sl = tuple(slice(idx[i] * dilation[i], idx[i] * dilation[i] + (out_sp[i] - 1) * stride[i] + 1, stride[i])
                       for i in range(n))
            patch = xs[(slice(None), slice(None), *sl)]  # N, cg, *out
            out[:, g * og:(g + 1) * og] += np.einsum("nc...,oc->no...", patch, ws[(slice(None), slice(None), *idx)])
    if bias is not None:
        out += bias.reshape(1, -1, *([1] * n))
    return out


def roundtrip_linear(x, weight, bias):
    """y = x W^T + b with W in (out, in): the adapter round-trip test's dense reference."""
    return x @ weight.T + bias


def roundtrip_topk(x, k):
    """Largest k along the last axis, descending, indices of the first occurrence on ties."""
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, idx, axis=-1), idx


def roundtrip_linear2(x, weight, bias_a, bias_b):
    """y = x W^T + a + b: torch-style two biases (the round-trip test of derived weights)."""
    return x @ weight.T + bias_a + bias_b
