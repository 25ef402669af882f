"""References for convolution, pooling, normalization, resize and layers with weights.

All in float64, canonical (PyTorch) layout: NCHW activations, (in, out/groups, kH, kW) transposed
kernels, (out, in) dense weights. Each function states the convention it implements.
"""

from __future__ import annotations

import numpy as np

from portability.reference.core import _tuple

__all__ = [
    "conv_transpose", "max_pool", "avg_pool", "batch_norm", "layer_norm", "group_norm", "instance_norm",
    "resize_linear", "resize_nearest", "linear", "depth_to_space",
    "conv_padded", "adaptive_pool", "global_pool", "lp_pool", "local_response_norm", "rms_norm", "l2_normalize",
    "batch_norm_train", "batch_norm_running_stats",
]


def conv_transpose(x, weight, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Like torch.nn.functional.conv_transposeNd: scatter every input pixel through the kernel, then crop
    `padding` from both ends; `output_padding` adds rows/cols at the end (bottom/right)."""
    n = x.ndim - 2
    stride, padding, dilation = _tuple(stride, n), _tuple(padding, n), _tuple(dilation, n)
    output_padding = _tuple(output_padding, n)
    N, C = x.shape[:2]
    kernel = weight.shape[2:]
    og = weight.shape[1]
    cg = C // groups
    full = [(x.shape[2 + i] - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 + output_padding[i] for i in range(n)]
    out = np.zeros((N, og * groups, *full))
    for g in range(groups):
        xs = x[:, g * cg:(g + 1) * cg]
        ws = weight[g * cg:(g + 1) * cg]  # cg, og, *kernel
        for idx in np.ndindex(*kernel):
            contrib = np.einsum("nc...,co->no...", xs, ws[(slice(None), slice(None), *idx)])
            sl = tuple(slice(idx[i] * dilation[i], idx[i] * dilation[i] + (x.shape[2 + i] - 1) * stride[i] + 1, stride[i])
                       for i in range(n))
            out[(slice(None), slice(g * og, (g + 1) * og), *sl)] += contrib
    size = [full[i] - 2 * padding[i] for i in range(n)]
    crop = tuple(slice(padding[i], padding[i] + size[i]) for i in range(n))
    return out[(slice(None), slice(None), *crop)]


def _pool_geometry(size, k, s, p, d, ceil_mode):
    """torch's pooling output size: the last window must start inside the input or the left padding."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _windows(x, kernel_size, stride, padding, dilation, ceil_mode, fill):
    """Yield (kernel index, padded-input slice) over every window tap; the input is padded with `fill`
    (and extended at the end for ceil_mode windows)."""
    n = x.ndim - 2
    k, s, d = _tuple(kernel_size, n), _tuple(stride if stride is not None else kernel_size, n), _tuple(dilation, n)
    p = _tuple(padding, n)
    outs = [_pool_geometry(x.shape[2 + i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(n)]
    need = [(outs[i] - 1) * s[i] + (k[i] - 1) * d[i] + 1 for i in range(n)]
    pads = [(p[i], max(need[i] - x.shape[2 + i] - p[i], 0)) for i in range(n)]
    xp = np.pad(x, [(0, 0), (0, 0), *pads], constant_values=fill)
    for idx in np.ndindex(*k):
        sl = tuple(slice(idx[i] * d[i], idx[i] * d[i] + (outs[i] - 1) * s[i] + 1, s[i]) for i in range(n))
        yield idx, xp[(slice(None), slice(None), *sl)], outs, k, s, p


def max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """torch max_poolNd: -inf padding; ceil_mode keeps a last partial window that starts inside the input."""
    out = None
    for _, v, *_ in _windows(x, kernel_size, stride, padding, dilation, ceil_mode, -np.inf):
        out = v.copy() if out is None else np.maximum(out, v)
    return out


def avg_pool(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """torch avg_poolNd: divide by the window clipped to the zero-padded input (count_include_pad) or by the
    number of real input cells in it; ceil_mode's extra cells beyond the padding never count."""
    n = x.ndim - 2
    total = None
    for _, v, outs, k, s, p in _windows(x, kernel_size, stride, padding, 1, ceil_mode, 0.0):
        total = v.copy() if total is None else total + v
    counts = []
    for i in range(n):
        size = x.shape[2 + i]
        start = np.arange(outs[i]) * s[i] - p[i]
        end = start + k[i]
        if count_include_pad:
            c = np.minimum(end, size + p[i]) - start
        else:
            c = np.minimum(end, size) - np.maximum(start, 0)
        counts.append(c.astype(np.float64))
    div = counts[0]
    for c in counts[1:]:
        div = np.multiply.outer(div, c)
    return total / div


def _bcast(v, ndim, axis=1):
    shape = [1] * ndim
    shape[axis] = -1
    return np.reshape(v, shape)


def batch_norm(x, running_mean, running_var, weight, bias, eps):
    """Inference batch norm over axis 1 with running statistics: (x - mean) / sqrt(var + eps) * w + b."""
    d = x.ndim
    return (x - _bcast(running_mean, d)) / np.sqrt(_bcast(running_var, d) + eps) * _bcast(weight, d) + _bcast(bias, d)


def _normalize(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)  # biased variance, as every framework uses
    return (x - mean) / np.sqrt(var + eps)


def layer_norm(x, weight, bias, normalized_ndim, eps):
    """Normalize over the last `normalized_ndim` axes; elementwise weight/bias of that trailing shape."""
    axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
    return _normalize(x, axes, eps) * weight + bias


def group_norm(x, weight, bias, num_groups, eps):
    """Channels split into `num_groups` contiguous groups; statistics per (sample, group); per-channel affine."""
    N, C = x.shape[:2]
    g = x.reshape(N, num_groups, C // num_groups, *x.shape[2:])
    y = _normalize(g, tuple(range(2, g.ndim)), eps).reshape(x.shape)
    return y * _bcast(weight, x.ndim) + _bcast(bias, x.ndim)


def instance_norm(x, weight, bias, eps):
    """Statistics per (sample, channel) over the spatial axes; per-channel affine."""
    y = _normalize(x, tuple(range(2, x.ndim)), eps)
    return y * _bcast(weight, x.ndim) + _bcast(bias, x.ndim)


def _source_coords(out_size, in_size, mode):
    """Continuous input coordinate of every output pixel (ONNX coordinate_transformation_mode names)."""
    dst = np.arange(out_size, dtype=np.float64)
    if mode == "half_pixel":
        return (dst + 0.5) * (in_size / out_size) - 0.5
    if mode == "align_corners":
        return dst * ((in_size - 1) / (out_size - 1)) if out_size > 1 else np.zeros(1)
    if mode == "asymmetric":
        return dst * (in_size / out_size)
    raise ValueError(f"unknown coordinate mode {mode!r}")


def resize_linear(x, size, coordinate_mode):
    """Separable linear interpolation over the trailing spatial axes, no antialiasing; source coordinates
    outside [0, in-1] are clamped to the edge (torch, TF, ONNX and jax all agree on that)."""
    n = len(size)
    for i in range(n):
        axis = x.ndim - n + i
        in_size = x.shape[axis]
        src = np.clip(_source_coords(size[i], in_size, coordinate_mode), 0, in_size - 1)
        lo = np.floor(src).astype(np.int64)
        hi = np.minimum(lo + 1, in_size - 1)
        frac = _bcast(src - lo, x.ndim, axis)
        x = np.take(x, lo, axis=axis) * (1 - frac) + np.take(x, hi, axis=axis) * frac
    return x


_ROUND = {
    "floor": np.floor,
    "ceil": np.ceil,
    "round_prefer_floor": lambda v: np.ceil(v - 0.5),
    "round_prefer_ceil": lambda v: np.floor(v + 0.5),
}


def resize_nearest(x, size, coordinate_mode, nearest_mode):
    """Nearest neighbour in ONNX terms: source coordinate by `coordinate_mode`, rounded by `nearest_mode`,
    clamped to the input. torch 'nearest' = asymmetric + floor; torch 'nearest-exact', TF2 and jax =
    half_pixel + round_prefer_ceil (floor((dst + 0.5) * in / out))."""
    n = len(size)
    for i in range(n):
        axis = x.ndim - n + i
        in_size = x.shape[axis]
        src = _ROUND[nearest_mode](_source_coords(size[i], in_size, coordinate_mode))
        x = np.take(x, np.clip(src, 0, in_size - 1).astype(np.int64), axis=axis)
    return x


def linear(x, weight, bias):
    """y = x W^T + b with W of shape (out, in) (torch.nn.functional.linear)."""
    return x @ weight.T + bias


def depth_to_space(x, block_size, mode):
    """NCHW (N, C*r*r, H, W) -> (N, C, H*r, W*r). DCR (TF, ONNX default): input channel (i*r + j)*C + c;
    CRD (torch pixel_shuffle): input channel c*r*r + i*r + j."""
    N, Crr, H, W = x.shape
    r = block_size
    C = Crr // (r * r)
    if mode == "DCR":
        y = x.reshape(N, r, r, C, H, W).transpose(0, 3, 4, 1, 5, 2)
    elif mode == "CRD":
        y = x.reshape(N, C, r, r, H, W).transpose(0, 1, 4, 2, 5, 3)
    else:
        raise ValueError(f"unknown depth_to_space mode {mode!r}")
    return y.reshape(N, C, H * r, W * r)



_NP_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def conv_padded(x, weight, padding, padding_mode):
    """torch.nn.ConvNd(padding=p, padding_mode=m): pad every spatial side by p with np.pad's mode
    (zeros = constant, reflect = reflect (edge not repeated), replicate = edge, circular = wrap), then a
    valid cross-correlation."""
    n = x.ndim - 2
    p = _tuple(padding, n)
    xp = np.pad(x, [(0, 0), (0, 0), *[(v, v) for v in p]], mode=_NP_PAD_MODES[padding_mode])
    from portability.reference.core import conv

    return conv(xp, weight)


def adaptive_pool(x, output_size, mode):
    """torch adaptive_{avg,max}_poolNd: output cell i of a dim covers input [floor(i*in/out), ceil((i+1)*in/out)),
    so bins overlap (or vary in size) when `out` does not divide `in`."""
    n = x.ndim - 2
    out_sz = _tuple(output_size, n)
    bins = []
    for i in range(n):
        size, o = x.shape[2 + i], out_sz[i]
        bins.append([((j * size) // o, -(-((j + 1) * size) // o)) for j in range(o)])
    out = np.empty((*x.shape[:2], *out_sz))
    reduce = np.mean if mode == "avg" else np.max
    for idx in np.ndindex(*out_sz):
        sl = tuple(slice(*bins[i][idx[i]]) for i in range(n))
        out[(slice(None), slice(None), *idx)] = reduce(x[(slice(None), slice(None), *sl)], axis=tuple(range(2, 2 + n)))
    return out


def global_pool(x, mode, keepdims):
    """Mean or max over every spatial axis (2..), keeping them as size-1 axes or dropping them."""
    reduce = np.mean if mode == "avg" else np.max
    return reduce(x, axis=tuple(range(2, x.ndim)), keepdims=keepdims)


def lp_pool(x, p, kernel_size, stride=None, ceil_mode=False):
    """Lp-norm pooling: (sum over the window of |x|^p)^(1/p), no padding (the ONNX LpPool definition; torch's
    lp_pool sums x^p without the absolute value, which only agrees for even p or non-negative x)."""
    total = None
    for _, v, *_ in _windows(x, kernel_size, stride, 0, 1, ceil_mode, 0.0):
        t = np.abs(v) ** p
        total = t if total is None else total + t
    return total ** (1.0 / p)


def local_response_norm(x, size, alpha, beta, k):
    """torch F.local_response_norm: x / (k + alpha / size * sum of x^2 over channels
    [c - size // 2, c + (size - 1) // 2] clipped to the input) ** beta (the window leans back for even sizes)."""
    sq = x**2
    C = x.shape[1]
    s = np.zeros_like(x)
    for c in range(C):
        lo, hi = max(0, c - size // 2), min(C - 1, c + (size - 1) // 2)
        s[:, c] = sq[:, lo:hi + 1].sum(axis=1)
    return x / (k + alpha / size * s) ** beta


def rms_norm(x, weight, eps):
    """x / sqrt(mean(x^2 over the last axis) + eps) * weight."""
    return x / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + eps) * weight


def l2_normalize(x, axis, eps):
    """torch F.normalize(p=2): x / max(||x||_2, eps) along `axis` (eps bounds the norm, not its square)."""
    norm = np.sqrt(np.sum(x**2, axis=axis, keepdims=True))
    return x / np.maximum(norm, eps)


def batch_norm_train(x, weight, bias, eps):
    """Training-mode batch norm: batch statistics over every axis but 1, the BIASED variance (every framework)."""
    axes = (0, *range(2, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * _bcast(weight, x.ndim) + _bcast(bias, x.ndim)


def batch_norm_running_stats(x, running_mean, running_var, momentum):
    """torch's training-mode update of the running statistics (momentum = weight of the new batch):
    mean' = (1 - m) * mean + m * batch_mean, var' = (1 - m) * var + m * batch_var with the UNBIASED
    (n - 1) batch variance, n = elements per channel."""
    axes = (0, *range(2, x.ndim))
    n = x.size // x.shape[1]
    mean = x.mean(axis=axes)
    var = ((x - _bcast(mean, x.ndim)) ** 2).sum(axis=axes) / (n - 1)
    return (1 - momentum) * running_mean + momentum * mean, (1 - momentum) * running_var + momentum * var
