"""References for the sampling family (float64, canonical layout).

Resampling by kernels (cubic, antialiased), area resize, scale-factor resize, grid sampling, affine
grids, RoI align / RoI max pooling and space_to_depth. NCHW activations; grids are (N, H, W, 2) with
(x, y) in the last axis, as torch and ONNX take them. Each function states the convention it implements.
"""

from __future__ import annotations

import math

import numpy as np

from portability.reference.nn import _source_coords

__all__ = [
    "resize_kernel", "resize_scale", "resize_area", "upsample_nearest", "grid_sample", "affine_grid",
    "roi_align", "max_roi_pool", "space_to_depth",
]


def _cubic(a):
    """The Keys cubic convolution kernel with coefficient a (-0.5: Keys/TF/PIL, -0.75: torch/OpenCV/ONNX)."""
    def k(t):
        t = np.abs(t)
        near = ((a + 2) * t - (a + 3)) * t * t + 1
        far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
        return np.where(t <= 1, near, np.where(t < 2, far, 0.0))
    return k, 2.0


def _triangle(t):
    return np.maximum(0.0, 1.0 - np.abs(t))


def _kernel(method, cubic_coeff_a):
    if method == "linear":
        return _triangle, 1.0
    if method == "cubic":
        return _cubic(cubic_coeff_a)
    raise ValueError(f"unknown resize method {method!r}")


def _weight_matrix(src, in_size, kernel, radius, support_scale, exclude_outside):
    """(out, in) weights: kernel((j - src) / support_scale) for every tap j within the support.
    Taps outside [0, in-1] are dropped (exclude_outside) or clamped onto the edge pixel; every row is
    then normalised to sum to one (a no-op for interpolating kernels with all taps inside)."""
    out = np.zeros((len(src), in_size))
    reach = radius * support_scale
    for i, c in enumerate(src):
        for j in range(math.floor(c - reach), math.ceil(c + reach) + 1):
            w = float(kernel((j - c) / support_scale))
            if w == 0.0:
                continue
            if 0 <= j < in_size:
                out[i, j] += w
            elif not exclude_outside:
                out[i, min(max(j, 0), in_size - 1)] += w
        total = out[i].sum()
        if total != 0:
            out[i] /= total
    return out


def _apply(x, mats):
    """Apply one (out, in) matrix per trailing spatial axis."""
    n = len(mats)
    for i, m in enumerate(mats):
        axis = x.ndim - n + i
        x = np.moveaxis(np.tensordot(x, m, axes=([axis], [1])), -1, axis)
    return x


def resize_kernel(x, size, method, coordinate_mode="half_pixel", cubic_coeff_a=-0.75, exclude_outside=False,
                  antialias=False):
    """Separable kernel resampling over the trailing spatial axes, in ONNX Resize terms.

    Source coordinate of each output pixel by `coordinate_mode` (not clamped); taps of the `method`
    kernel (triangle for linear, Keys cubic with `cubic_coeff_a`); taps outside the input clamped to the
    edge or, with `exclude_outside`, dropped and the rest renormalised. `antialias` widens the kernel by
    in/out when downsampling (a low-pass filter, as PIL, torch antialias=True, TF and jax do; they all
    also exclude outside taps, ONNX only with exclude_outside=1)."""
    kernel, radius = _kernel(method, cubic_coeff_a)
    mats = []
    for i, out_size in enumerate(size):
        in_size = x.shape[x.ndim - len(size) + i]
        src = _source_coords(out_size, in_size, coordinate_mode)
        scale = max(in_size / out_size, 1.0) if antialias else 1.0
        mats.append(_weight_matrix(src, in_size, kernel, radius, scale, exclude_outside))
    return _apply(x, mats)


def resize_scale(x, scale, method="linear", recompute_scale=False):
    """Resize by scale factors: output size floor(in * scale) (torch and ONNX both floor); half-pixel source
    coordinates (dst + 0.5) / scale - 0.5 with the given scale, or with in / out when `recompute_scale`
    (what passing the rounded size instead does). Linear taps clamp to the edge."""
    kernel, radius = _kernel(method, -0.75)
    mats = []
    for i, s in enumerate(scale):
        in_size = x.shape[x.ndim - len(scale) + i]
        out_size = math.floor(in_size * s)
        step = in_size / out_size if recompute_scale else 1.0 / s
        src = (np.arange(out_size) + 0.5) * step - 0.5
        mats.append(_weight_matrix(src, in_size, kernel, radius, 1.0, False))
    return _apply(x, mats)


def resize_area(x, size, weighting):
    """Area resize. 'fractional' (TF area, jax 'area'): output pixel o covers [o*in/out, (o+1)*in/out) of the
    input; each input pixel weighs by its overlap with that interval. 'adaptive' (torch mode='area' =
    adaptive_avg_pool): the plain mean of input pixels floor(o*in/out) .. ceil((o+1)*in/out) - 1."""
    mats = []
    for i, out_size in enumerate(size):
        in_size = x.shape[x.ndim - len(size) + i]
        m = np.zeros((out_size, in_size))
        for o in range(out_size):
            if weighting == "fractional":
                lo, hi = o * in_size / out_size, (o + 1) * in_size / out_size
                for j in range(in_size):
                    m[o, j] = max(0.0, min(hi, j + 1) - max(lo, j))
            elif weighting == "adaptive":
                lo, hi = (o * in_size) // out_size, -(-((o + 1) * in_size) // out_size)
                m[o, lo:hi] = 1.0
            else:
                raise ValueError(f"unknown area weighting {weighting!r}")
            m[o] /= m[o].sum()
        mats.append(m)
    return _apply(x, mats)


def upsample_nearest(x, factor):
    """Integer-factor nearest upsampling of H and W: every pixel repeated factor x factor times."""
    return np.repeat(np.repeat(x, factor, axis=-2), factor, axis=-1)


def _unnormalize(g, size, align_corners):
    return (g + 1) / 2 * (size - 1) if align_corners else ((g + 1) * size - 1) / 2


def _reflect(c, size, align_corners):
    """torch's reflect_coordinates: reflect about the edges ([0, size-1] with align_corners, else
    [-0.5, size-0.5]) until inside, then clip to [0, size-1]."""
    lo, hi = (0.0, size - 1.0) if align_corners else (-0.5, size - 0.5)
    span = hi - lo
    if span <= 0:
        return np.zeros_like(c)
    d = np.abs(c - lo)
    flips = np.floor(d / span)
    extra = np.fmod(d, span)
    r = np.where(flips % 2 == 0, lo + extra, hi - extra)
    return np.clip(r, 0, size - 1)


def _pad_coord(c, size, padding_mode, align_corners):
    if padding_mode == "border":
        return np.clip(c, 0, size - 1)
    if padding_mode == "reflection":
        return _reflect(c, size, align_corners)
    return c


def grid_sample(x, grid, mode="bilinear", padding_mode="zeros", coordinate_mode="half_pixel", cubic_coeff_a=-0.75):
    """torch F.grid_sample / ONNX GridSample in 2-D: grid (N, Ho, Wo, 2) holds normalised (x, y) in [-1, 1];
    -1 and 1 are the outer edges of the corner pixels (half_pixel, align_corners=False) or their centres
    (align_corners). Padding: zeros (taps outside read 0), border (clamp), reflection (mirror at the edges).
    Nearest rounds half to even; bicubic (a = -0.75) applies the padding to each of its 16 taps."""
    N, C, H, W = x.shape
    ac = coordinate_mode == "align_corners"
    gx = _unnormalize(grid[..., 0], W, ac)
    gy = _unnormalize(grid[..., 1], H, ac)
    if mode != "bicubic":
        gx, gy = _pad_coord(gx, W, padding_mode, ac), _pad_coord(gy, H, padding_mode, ac)
    n_idx = np.arange(N)[:, None, None]

    def read(iy, ix):  # (N, Ho, Wo) integer taps -> (N, C, Ho, Wo), zero outside
        inside = (iy >= 0) & (iy < H) & (ix >= 0) & (ix < W)
        v = x[n_idx, :, np.clip(iy, 0, H - 1), np.clip(ix, 0, W - 1)]  # (N, Ho, Wo, C)
        return np.moveaxis(np.where(inside[..., None], v, 0.0), -1, 1)

    if mode == "nearest":
        return read(np.rint(gy).astype(np.int64), np.rint(gx).astype(np.int64))
    if mode == "bilinear":
        x0, y0 = np.floor(gx), np.floor(gy)
        fx, fy = (gx - x0)[:, None], (gy - y0)[:, None]
        x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
        return (read(y0, x0) * (1 - fx) * (1 - fy) + read(y0, x0 + 1) * fx * (1 - fy)
                + read(y0 + 1, x0) * (1 - fx) * fy + read(y0 + 1, x0 + 1) * fx * fy)
    if mode == "bicubic":
        k, _ = _cubic(cubic_coeff_a)
        x0, y0 = np.floor(gx), np.floor(gy)
        out = 0.0
        for dy in range(-1, 3):
            for dx in range(-1, 3):
                ty, tx = y0 + dy, x0 + dx
                w = (k(gx - tx) * k(gy - ty))[:, None]
                ty = _pad_coord(ty, H, padding_mode, ac)
                tx = _pad_coord(tx, W, padding_mode, ac)
                out = out + w * read(np.rint(ty).astype(np.int64), np.rint(tx).astype(np.int64))
        return out
    raise ValueError(f"unknown grid_sample mode {mode!r}")


def affine_grid(theta, size, coordinate_mode="half_pixel"):
    """torch F.affine_grid / ONNX AffineGrid (2-D): (N, H, W, 2) = theta @ (x, y, 1) over a base grid of
    normalised pixel coordinates: pixel centres (2i + 1) / size - 1 (half_pixel, align_corners=False) or
    linspace(-1, 1, size) (align_corners)."""
    _, _, H, W = size

    def base(n):
        if coordinate_mode == "align_corners":
            return np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
        return (2.0 * np.arange(n) + 1.0) / n - 1.0

    xs, ys = np.meshgrid(base(W), base(H))  # (H, W)
    pts = np.stack([xs, ys, np.ones_like(xs)], axis=-1)  # (H, W, 3)
    return np.einsum("hwk,njk->nhwj", pts, theta)


def _bilinear_roi(img, y, x):
    """RoIAlign's bilinear sample (Detectron / ONNX): 0 beyond one pixel outside, else clamp to the edge."""
    H, W = img.shape[-2:]
    if y < -1.0 or y > H or x < -1.0 or x > W:
        return np.zeros(img.shape[:-2])
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= H - 1:
        y0 = y1 = H - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= W - 1:
        x0 = x1 = W - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * img[..., y0, x0] + (1 - ly) * lx * img[..., y0, x1]
            + ly * (1 - lx) * img[..., y1, x0] + ly * lx * img[..., y1, x1])


def roi_align(x, rois, batch_indices, output_height, output_width, spatial_scale=1.0, sampling_ratio=0, mode="avg",
              coordinate_mode="half_pixel"):
    """RoIAlign (Mask R-CNN; ONNX RoiAlign, torchvision roi_align): rois (R, 4) as (x1, y1, x2, y2) in input
    pixels times spatial_scale. half_pixel (torchvision aligned=True, ONNX opset 16 default) shifts the box by
    -0.5 pixel; output_half_pixel (the legacy, ONNX opset 10) does not and stretches boxes to at least 1x1.
    Each output bin averages (avg) or takes the max of (max) a grid of bilinear samples at sub-bin centres,
    sampling_ratio per side or, when 0, ceil(roi_size / output_size)."""
    oh, ow = output_height, output_width
    offset = 0.5 if coordinate_mode == "half_pixel" else 0.0
    out = np.zeros((len(rois), x.shape[1], oh, ow))
    for r, (box, b) in enumerate(zip(rois, batch_indices)):
        x1, y1, x2, y2 = (float(v) * spatial_scale - offset for v in box)
        rw, rh = x2 - x1, y2 - y1
        if coordinate_mode != "half_pixel":
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / oh, rw / ow
        gh = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / oh)
        gw = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / ow)
        for ph in range(oh):
            for pw in range(ow):
                samples = [_bilinear_roi(x[int(b)], y1 + ph * bh + (iy + 0.5) * bh / gh,
                                         x1 + pw * bw + (ix + 0.5) * bw / gw)
                           for iy in range(gh) for ix in range(gw)]
                if not samples:
                    continue
                s = np.stack(samples)
                out[r, :, ph, pw] = s.max(axis=0) if mode == "max" else s.sum(axis=0) / max(gh * gw, 1)
    return out


def max_roi_pool(x, rois, pooled_shape, spatial_scale=1.0):
    """Fast R-CNN RoI max pooling (Caffe; ONNX MaxRoiPool): rois (R, 5) as (batch, x1, y1, x2, y2); box corners
    rounded half away from zero after scaling, the box is inclusive (+1), bin p spans
    floor(p * size / pooled) .. ceil((p + 1) * size / pooled) clipped to the input; an empty bin gives 0."""
    N, C, H, W = x.shape
    ph_n, pw_n = pooled_shape

    def rnd(v):
        return math.floor(abs(v) + 0.5) * (1 if v >= 0 else -1)

    out = np.zeros((len(rois), C, ph_n, pw_n))
    for r, roi in enumerate(rois):
        b = int(roi[0])
        xs, ys, xe, ye = (rnd(float(v) * spatial_scale) for v in roi[1:])
        rh, rw = max(ye - ys + 1, 1), max(xe - xs + 1, 1)
        bh, bw = rh / ph_n, rw / pw_n
        for ph in range(ph_n):
            hs = min(max(math.floor(ph * bh) + ys, 0), H)
            he = min(max(math.ceil((ph + 1) * bh) + ys, 0), H)
            for pw in range(pw_n):
                ws = min(max(math.floor(pw * bw) + xs, 0), W)
                we = min(max(math.ceil((pw + 1) * bw) + xs, 0), W)
                if he > hs and we > ws:
                    out[r, :, ph, pw] = x[b, :, hs:he, ws:we].max(axis=(-2, -1))
    return out


def space_to_depth(x, block_size, mode="DCR"):
    """NCHW (N, C, H*r, W*r) -> (N, C*r*r, H, W), the inverse of depth_to_space. DCR (TF, ONNX SpaceToDepth):
    output channel (i*r + j)*C + c holds pixel (i, j) of each block; CRD (torch pixel_unshuffle): c*r*r + i*r + j."""
    N, C, Hr, Wr = x.shape
    r = block_size
    H, W = Hr // r, Wr // r
    y = x.reshape(N, C, H, r, W, r)
    if mode == "DCR":
        y = y.transpose(0, 3, 5, 1, 2, 4)
    elif mode == "CRD":
        y = y.transpose(0, 1, 3, 5, 2, 4)
    else:
        raise ValueError(f"unknown space_to_depth mode {mode!r}")
    return y.reshape(N, C * r * r, H, W)
