"""Named value transforms: canonical parameter value -> one framework's argument value.

Pure functions of (value, ctx), where ctx knows the case's canonical params and input shapes.
A transform raises ``UnsupportedValue`` when the framework cannot express the value at all,
which the checker reports as `unsupported` (an argument value one framework lacks), and
``NotExpressible`` when the framework can but this checker cannot write the call yet
(`not_expressible`: a gap of the checker, shown in coverage and results, never a hazard).
A transform that returns a dict supplies several framework arguments at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class UnsupportedValue(Exception):
    """The framework API cannot express this canonical value."""


class NotExpressible(Exception):
    """The framework can take this value, but this checker cannot express the call yet."""


@dataclass(frozen=True)
class Ctx:
    params: dict  # canonical params of the case
    shapes: dict  # canonical input name -> shape (canonical layout)


# What a transform reads besides its value, declared next to it so the loader can reject an entry
# that lacks it (instead of a KeyError in a worker): each requirement is a tuple of alternatives,
# "input:NAME" (a canonical input every case has) or "param:NAME" (a parameter of the op).
SPATIAL = ("input:weight", "input:x")  # _spatial_rank: the number of spatial dims comes from weight or x
KERNEL = ("param:kernel_size", "input:weight")  # _kernel: the window from kernel_size or the weight's shape

# The canonical values a transform accepts, checked against every case at load.
VALUE_KINDS = {
    "any": lambda v: True,
    "number": lambda v: _is_number(v),
    "number_or_none": lambda v: v is None or _is_number(v),
    "numbers": lambda v: _is_number(v) or _is_list(v) and all(_is_number(x) for x in v),
    "int": lambda v: _is_int(v),
    "ints": lambda v: _is_int(v) or _is_list(v) and all(_is_int(x) for x in v),
    "list": lambda v: _is_list(v),
    "padding": lambda v: v in ("same", "valid") or _is_int(v) or _is_list(v) and all(
        _is_int(x) or _is_list(x) and len(x) == 2 and all(_is_int(y) for y in x) for x in v),
}


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_list(v) -> bool:
    return isinstance(v, (list, tuple))


@dataclass(frozen=True)
class Needs:
    requires: tuple = ()  # tuples of alternatives: "input:NAME" | "param:NAME"
    value: str = "any"  # a key of VALUE_KINDS


def needs(*requires, value: str = "any"):
    """Declare what a transform reads (see Needs); undeclared transforms read only their value."""

    def mark(fn):
        fn.needs = Needs(tuple(r if isinstance(r, tuple) else (r,) for r in requires), value)
        return fn

    return mark


def needs_of(name: str) -> Needs:
    return getattr(TRANSFORMS[name], "needs", Needs())


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


@needs(value="number_or_none")
def one_minus(value, ctx):
    """BatchNorm momentum: torch weights the new batch by m, Keras keeps m of the running value."""
    return None if value is None else round(1.0 - value, 12)


@needs(SPATIAL, value="numbers")
def pair(value, ctx):
    return tuple(_per_dim(value, ctx))


def as_list(value, ctx):
    return list(value) if isinstance(value, (list, tuple)) else [value]


@needs(SPATIAL, value="padding")
def torch_padding(value, ctx):
    """torch conv/pool padding: 'valid', 'same' (stride 1 only: torch rejects strided 'same'), or symmetric ints."""
    if value == "same" and any(s != 1 for s in _per_dim(ctx.params.get("stride", 1), ctx)):
        raise UnsupportedValue("torch rejects padding='same' for strided convolutions; compute the SAME pads "
                               "(TF puts the odd pixel after) and F.pad first")
    if value in ("valid", "same"):
        return value
    pairs = _explicit_pairs(value, ctx)
    if any(a != b for a, b in pairs):
        raise UnsupportedValue(f"torch conv padding is symmetric; {value!r} needs an explicit F.pad first")
    return tuple(a for a, _ in pairs)


@needs(SPATIAL, value="padding")
def torch_pool_padding(value, ctx):
    """torch pooling takes symmetric ints only (no 'same'/'valid' strings)."""
    if value == "valid":
        return 0
    if value == "same":
        raise UnsupportedValue("torch pooling has no 'same' padding")
    return torch_padding(value, ctx)


@needs(SPATIAL, KERNEL, value="padding")
def symmetric_same(value, ctx):
    """What a port usually writes for TF 'SAME' in torch: padding = kernel // 2 on every side."""
    if value == "same":
        return tuple((k - 1) * d // 2 for k, d in zip(_kernel(ctx), _per_dim(ctx.params.get("dilation", 1), ctx)))
    return torch_padding(value, ctx)


@needs(SPATIAL, value="padding")
def tf_padding(value, ctx):
    """tf.nn padding: 'SAME'/'VALID' or explicit [[0,0],[t,b],[l,r],[0,0]] (NHWC)."""
    if value in ("same", "valid"):
        return value.upper()
    return [[0, 0], *_explicit_pairs(value, ctx), [0, 0]]


@needs(SPATIAL, value="padding")
def tf_pool_padding(value, ctx):
    """tf.nn pooling takes 'SAME' or 'VALID' only."""
    if value in ("same", "valid"):
        return value.upper()
    if all(a == 0 and b == 0 for a, b in _explicit_pairs(value, ctx)):
        return "VALID"
    raise UnsupportedValue("tf.nn pooling has no explicit padding (only 'SAME' / 'VALID')")


@needs(SPATIAL, value="padding")
def keras_padding(value, ctx):
    """Keras layers take 'same' or 'valid' only."""
    if value in ("same", "valid"):
        return value
    if all(a == 0 and b == 0 for a, b in _explicit_pairs(value, ctx)):
        return "valid"
    raise UnsupportedValue("Keras layers take only 'same' or 'valid' padding (explicit pads need ZeroPadding2D)")


@needs(SPATIAL, value="padding")
def jax_padding(value, ctx):
    """jax.lax padding: 'SAME'/'VALID' or [(lo, hi), ...] per spatial dim."""
    if value in ("same", "valid"):
        return value.upper()
    return [tuple(p) for p in _explicit_pairs(value, ctx)]


@needs(SPATIAL, value="padding")
def jax_pool_padding(value, ctx):
    """jax.lax.reduce_window padding covers every dim: N and C get (0, 0)."""
    if value in ("same", "valid"):
        return value.upper()
    return [(0, 0), (0, 0), *[tuple(p) for p in _explicit_pairs(value, ctx)]]


@needs(SPATIAL, value="padding")
def onnx_conv_pads(value, ctx):
    """ONNX Conv/Pool: auto_pad SAME_UPPER (TF's convention) / VALID, or pads [begins..., ends...]."""
    if value == "same":
        return {"auto_pad": "SAME_UPPER"}
    if value == "valid":
        return {"auto_pad": "VALID"}
    pairs = _explicit_pairs(value, ctx)
    return {"pads": [a for a, _ in pairs] + [b for _, b in pairs]}


@needs(SPATIAL, value="ints")
def window_nd(value, ctx):
    """A per-spatial-dim window or stride, extended with 1s over N and C (jax.lax.reduce_window)."""
    return (1, 1, *_per_dim(value, ctx))


@needs(value="list")
def torch_pad(value, ctx):
    """F.pad wants (last_before, last_after, prev_before, prev_after, ...)."""
    flat = []
    for before, after in reversed(value):
        flat += [before, after]
    return tuple(flat)


@needs(value="list")
def onnx_pad(value, ctx):
    """ONNX Pad: [x1_begin, x2_begin, ..., x1_end, x2_end, ...]."""
    return [p[0] for p in value] + [p[1] for p in value]


@needs("input:x", value="list")
def per_axis_pairs(value, ctx):
    """np.pad / tf.pad / jnp.pad / keras.ops.pad: one (before, after) pair for every axis; the canonical pairs
    cover the trailing axes, so the leading ones get (0, 0) (see portability.conventions)."""
    return [(0, 0)] * (len(ctx.shapes["x"]) - len(value)) + [tuple(p) for p in value]


@needs("input:x", value="list")
def lax_padding_config(value, ctx):
    """jax.lax.pad: one (low, high, interior) triple for every axis; no interior padding."""
    return [(0, 0, 0)] * (len(ctx.shapes["x"]) - len(value)) + [(lo, hi, 0) for lo, hi in value]


@needs("input:x", value="list")
def trailing_axes(value, ctx):
    """ONNX Pad-18 `axes`: the axes the canonical pairs cover, the last len(pairs) ones."""
    n = len(ctx.shapes["x"])
    return list(range(n - len(value), n))


@needs(value="list")
def pairs_tuple(value, ctx):
    return tuple(tuple(p) for p in value)


@needs("input:x", value="list")
def nchw_resize_shape(value, ctx):
    """jax.image.resize wants the full output shape: (N, C, *size)."""
    x = ctx.shapes["x"]
    return (*x[:2], *value)


@needs(SPATIAL, value="ints")
def tf_ksize(value, ctx):
    return list(_per_dim(value, ctx))


@needs(value="list")
def min_max(value, ctx):
    """A histogram's [lo, hi] range as torch.histc's separate min= and max= keywords."""
    lo, hi = value
    return {"min": lo, "max": hi}


def as_tuple(value, ctx):
    """A list of axes -> tuple (NumPy reductions reject a list for `axis`); None and ints pass through."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def height_width(value, ctx):
    """Keras Resizing takes the output size as two kwargs: [H, W] -> {height: H, width: W}."""
    h, w = value
    return {"height": h, "width": w}


def align_corners_flag(value, ctx):
    """torch interpolate (linear modes): half_pixel is align_corners=False, align_corners is True; no other convention."""
    if value == "half_pixel":
        return False
    if value == "align_corners":
        return True
    raise UnsupportedValue(f"torch interpolate has no {value!r} coordinate convention (only align_corners False/True)")


def tf1_resize_coords(value, ctx):
    """tf.compat.v1.image.resize_*: two flags; both False (the default) is the legacy asymmetric convention."""
    flags = {"half_pixel": (False, True), "align_corners": (True, False), "asymmetric": (False, False)}
    if value not in flags:
        raise UnsupportedValue(f"tf.compat.v1.image resize has no {value!r} coordinate convention")
    a, h = flags[value]
    return {"align_corners": a, "half_pixel_centers": h}


def tf1_nearest_rounding(value, ctx):
    """tf.compat.v1.image.resize_nearest_neighbor has no rounding argument: the coordinate flags imply it
    (floor for the legacy asymmetric mode, floor(x + 0.5) i.e. round_prefer_ceil otherwise). Adds no kwarg."""
    implied = {"asymmetric": "floor", "half_pixel": "round_prefer_ceil", "align_corners": "round_prefer_ceil"}
    mode = ctx.params.get("coordinate_mode")
    if implied.get(mode) != value:
        raise UnsupportedValue(f"tf.compat.v1 nearest resize rounds with {implied.get(mode)!r} under {mode!r}, not {value!r}")
    return {}


@needs(SPATIAL, KERNEL, value="padding")
def jax_transpose_padding(value, ctx):
    """torch conv_transpose padding p (and output_padding) -> jax.lax.conv_transpose explicit padding:
    (d*(k-1) - p, d*(k-1) - p + output_padding) per spatial dim."""
    pads = [a for a, _ in _explicit_pairs(value, ctx)]
    out_pad = _per_dim(ctx.params.get("output_padding", 0), ctx)
    dil = _per_dim(ctx.params.get("dilation", 1), ctx)
    return [(d * (k - 1) - p, d * (k - 1) - p + o) for p, o, d, k in zip(pads, out_pad, dil, _kernel(ctx))]


@needs("input:x", "input:weight", value="ints")
def tf_transpose_output_shape(value, ctx):
    """tf.nn.conv2d_transpose needs the full NHWC output shape (output_padding is implied by it):
    (H - 1) * s - 2p + d(k - 1) + output_padding + 1, out channels = weight.shape[1] (groups = 1)."""
    x, w = ctx.shapes["x"], ctx.shapes["weight"]
    s = _per_dim(ctx.params.get("stride", 1), ctx)
    p = [a + b for a, b in _explicit_pairs(ctx.params.get("padding", 0), ctx)]
    d = _per_dim(ctx.params.get("dilation", 1), ctx)
    op = _per_dim(value, ctx)
    spatial = [(x[2 + i] - 1) * s[i] - p[i] + d[i] * (w[2 + i] - 1) + op[i] + 1 for i in range(len(s))]
    return [x[0], *spatial, w[1]]


def _pads_as_same(value, ctx) -> str | None:
    """'SAME' / 'VALID' when explicit pool pads coincide with that convention for this input, else None."""
    if value in ("same", "valid"):
        return value.upper()
    pairs = _explicit_pairs(value, ctx)
    if all(a == 0 and b == 0 for a, b in pairs):
        return "VALID"
    k = _kernel(ctx)
    s = _per_dim(ctx.params.get("stride") or k, ctx)
    spatial = ctx.shapes["x"][2:]
    same = []
    for size, ki, si in zip(spatial, k, s):
        total = max((-(-size // si) - 1) * si + ki - size, 0)
        same.append([total // 2, total - total // 2])
    return "SAME" if [list(p) for p in pairs] == same else None


@needs("input:x", SPATIAL, KERNEL, value="padding")
def tf_pool_pads_as_same(value, ctx):
    """tf.nn pooling: explicit pads are expressible only where they equal TF's SAME pads for this input
    (SAME pools ignore the padded cells: max over real cells, average over real cells only)."""
    out = _pads_as_same(value, ctx)
    if out is None:
        raise UnsupportedValue(f"tf.nn pooling has only SAME/VALID; pads {value!r} are neither for this input")
    return out


@needs("input:x", SPATIAL, KERNEL, value="padding")
def keras_pool_pads_as_same(value, ctx):
    """Keras pooling layers: like tf_pool_pads_as_same, lower-case."""
    out = _pads_as_same(value, ctx)
    if out is None:
        raise UnsupportedValue(f"Keras pooling has only 'same'/'valid'; pads {value!r} are neither for this input")
    return out.lower()


def _ceil_pairs(value, ctx) -> list[list[int]]:
    """Explicit pads [[lo, hi], ...] with torch's ceil_mode folded in: extra high padding (cells of the pool's
    init value, -inf for max) keeps a last partial window, unless it would start in the high padding."""
    pairs = [list(p) for p in _explicit_pairs(value, ctx)]
    if ctx.params["ceil_mode"]:
        k, s = _kernel(ctx), _per_dim(ctx.params.get("stride") or _kernel(ctx), ctx)
        d = _per_dim(ctx.params.get("dilation", 1), ctx)
        for i, (size, (lo, hi)) in enumerate(zip(ctx.shapes["x"][2:], pairs)):
            span = size + lo + hi - (d[i] * (k[i] - 1) + 1)
            n = -(-span // s[i]) + 1
            if (n - 1) * s[i] >= size + lo:
                n -= 1
            pairs[i][1] = hi + max(0, (n - 1) * s[i] - span)
    return pairs


@needs("input:x", SPATIAL, KERNEL, "param:ceil_mode", value="padding")
def jax_ceil_window_pads(value, ctx):
    """reduce_window pads over every dim (hashable pairs), with ceil_mode as extra high padding."""
    return ((0, 0), (0, 0), *[tuple(p) for p in _ceil_pairs(value, ctx)])


@needs("input:x", SPATIAL, KERNEL, "param:ceil_mode", value="padding")
def tf_ceil_pool_padding(value, ctx):
    """tf.nn.max_pool1d/2d explicit padding [[0, 0], pads..., [0, 0]] (channels-last; max pools only), with
    ceil_mode as extra high padding; 'SAME'/'VALID' pass through."""
    if value in ("same", "valid"):
        return value.upper()
    return [[0, 0], *_ceil_pairs(value, ctx), [0, 0]]


@needs(SPATIAL, value="ints")
def jax_window_dilation(value, ctx):
    """reduce_window primitives take both dilations as hashable tuples over every dim: the window dilation
    from the canonical value, no base (input) dilation."""
    n = _spatial_rank(ctx) + 2
    return {"base_dilation": (1,) * n, "window_dilation": window_nd(value, ctx)}


@needs("input:x", KERNEL, value="ints")
def keras_transpose_port(value, ctx):
    """What a port of torch ConvTranspose2d(padding=p, output_padding=op) to Keras Conv2DTranspose writes:
    'same' when torch's output size is in * stride (e.g. k=3, s=2, p=1, op=1), 'valid' (+ output_padding)
    when p = 0; Keras has no explicit padding otherwise. 'same' reproduces torch only when
    p == (d(k-1) + 1 - s) // 2 (TF puts the odd pixel of SAME padding at the end); else outputs shift."""
    x, k = ctx.shapes["x"], _kernel(ctx)
    s, d = _per_dim(ctx.params.get("stride", 1), ctx), _per_dim(ctx.params.get("dilation", 1), ctx)
    p, op = _per_dim(value, ctx), _per_dim(ctx.params.get("output_padding", 0), ctx)
    out = [(x[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1 for i in range(len(s))]
    if out == [x[2 + i] * s[i] for i in range(len(s))]:
        return {"padding": "same", "output_padding": None}
    if not any(p):
        return {"padding": "valid", "output_padding": tuple(op) if any(op) else None}
    raise UnsupportedValue(f"Keras Conv2DTranspose has only 'same'/'valid'; torch padding {value!r} is neither here")


@needs(SPATIAL, value="ints")
def tf_strides_nd(value, ctx):
    """tf.nn.conv3d / depthwise_conv2d strides and dilations: one entry per input dim, [1, *spatial, 1] (NDHWC/NHWC)."""
    return [1, *_per_dim(value, ctx), 1]


@needs(value="int")
def lrn_depth_radius(value, ctx):
    """LRN window size (torch/ONNX `size`, centred) -> tf.nn.local_response_normalization depth_radius:
    the window is 2 * radius + 1 channels, so only odd sizes are expressible."""
    if value % 2 == 0:
        raise UnsupportedValue(f"tf.nn.local_response_normalization windows are 2*depth_radius+1 channels; size {value} is even")
    return (value - 1) // 2


@needs("param:size", value="number")
def lrn_alpha_per_size(value, ctx):
    """torch/ONNX LRN scale alpha / size * sum(x^2); TF multiplies alpha * sum(x^2): pass alpha / size."""
    return value / ctx.params["size"]


@needs(value="number")
def square(value, ctx):
    """eps on the norm -> eps on the squared norm (tf.math.l2_normalize: x * rsqrt(max(sum(x^2), epsilon)))."""
    return value * value


@needs("input:x", value="int")
def nhwc_axis(value, ctx):
    """An axis of a 4-D NCHW tensor -> the same axis of its NHWC (channels-last) transpose: channels (1)
    become -1, H and W move down by one, N stays 0. Other ranks have no NHWC counterpart."""
    rank = len(ctx.shapes["x"])
    if rank != 4:  # the layer takes any axis: what this checker cannot model is a channels-last port of rank != 4
        raise NotExpressible(f"a channels-last (NHWC) port applies to 4-D NCHW inputs; this input has rank {rank}")
    return {0: 0, 1: -1, 2: 1, 3: 2}[value % 4]


@needs(value="number")
def shrink_soft(value, ctx):
    """ONNX Shrink is hardshrink at its default bias=0; softshrink needs bias = lambd as well."""
    return {"lambd": value, "bias": value}


@needs(SPATIAL, value="padding")
def tf_same_valid(value, ctx):
    """tf.nn ops that take only 'SAME' / 'VALID' padding (conv1d, conv3d, conv1d_transpose): all-zero
    explicit pads are 'VALID'; other explicit pads need a tf.pad first."""
    if value in ("same", "valid"):
        return value.upper()
    if all(a == 0 and b == 0 for a, b in _explicit_pairs(value, ctx)):
        return "VALID"
    raise UnsupportedValue(f"this tf.nn op takes only 'SAME' or 'VALID' padding; pads {value!r} need a tf.pad (a crop after a transposed conv)")


@needs(value="number")
def tf1_cubic_coeff(value, ctx):
    """tf.compat.v1.image.resize_bicubic has no kernel argument: half_pixel_centers=True uses Keys a=-0.5,
    the legacy modes a=-0.75 (resize_bicubic_op.cc). Adds no kwarg; rejects the value the mode does not imply."""
    implied = -0.5 if ctx.params.get("coordinate_mode") == "half_pixel" else -0.75
    if value != implied:
        raise UnsupportedValue(f"tf.compat.v1 bicubic uses a={implied} under {ctx.params.get('coordinate_mode')!r}, not {value!r}")
    return {}


def tf1_cubic_exclude(value, ctx):
    """tf.compat.v1.image.resize_bicubic drops and renormalises out-of-image taps only with half_pixel_centers=True
    (the Keys path); the legacy modes clamp them to the edge. Adds no kwarg."""
    implied = ctx.params.get("coordinate_mode") == "half_pixel"
    if bool(value) != implied:
        raise UnsupportedValue(f"tf.compat.v1 bicubic has exclude_outside={implied} under {ctx.params.get('coordinate_mode')!r}")
    return {}


@needs("input:x", value="numbers")
def scaled_size(value, ctx):
    """What a port passes instead of a scale factor: the output size floor(in * scale) per spatial dim of x."""
    x = ctx.shapes["x"]
    scales = _per_dim(value, ctx)
    return [int(x[2 + i] * s // 1) for i, s in enumerate(scales)]


@needs("input:x", value="numbers")
def jax_scaled_shape(value, ctx):
    """jax.image.resize's full output shape (N, C, floor(in * scale)...)."""
    x = ctx.shapes["x"]
    return (*x[:2], *scaled_size(value, ctx))


@needs(SPATIAL, value="numbers")
def nchw_scales(value, ctx):
    """ONNX Upsample (opset 9) scales cover every dim: [1, 1, s, s]."""
    return [1.0, 1.0, *[float(s) for s in _per_dim(value, ctx)]]


@needs(value="list")
def split_indices(value, ctx):
    """Piece sizes [1, 3, 2] -> np.split's cut points [1, 4] (NumPy takes indices, torch/TF/ONNX take sizes)."""
    cuts, total = [], 0
    for size in list(value)[:-1]:
        total += size
        cuts.append(total)
    return cuts


@needs("input:x", "param:axis", value="int")
def chunk_sizes(value, ctx):
    """torch.chunk(x, n) as explicit sizes: pieces of ceil(d / n) along the case's axis, the last one smaller."""
    d = ctx.shapes["x"][ctx.params["axis"]]
    size = -(-d // value)
    return [min(size, d - i) for i in range(0, d, size)]


@needs("input:x", value="int")
def flatten_shape(value, ctx):
    """torch.flatten(x, start_dim) as a reshape target: the leading dims kept, the rest merged (-1)."""
    return (*ctx.shapes["x"][:value], -1)


@needs("input:x", "param:axis", value="int")
def repeat_on_axis(value, ctx):
    """A repeat count as per-dim sizes (1 elsewhere): what a port of np.repeat to torch Tensor.repeat writes."""
    sizes = [1] * len(ctx.shapes["x"])
    sizes[ctx.params["axis"]] = value
    return tuple(sizes)


# Canonical initializer names (portability.reference.init) as Keras writes them: a name, or the config dict
# keras.initializers.get deserializes.
KERAS_INITIALIZERS = {
    "glorot_uniform": "glorot_uniform", "zeros": "zeros", "ones": "ones",
    "normal": {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 1.0}},
    "uniform_0.05": {"class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05}},
    "constant_0.25": {"class_name": "Constant", "config": {"value": 0.25}},
}


@needs("input:x")
def keras_initializer(value, ctx):
    """A canonical initializer as a Keras initializer. torch's U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (Linear and
    Conv weights and biases) is RandomUniform with that bound, fan_in = x's channels (axis 1; the last axis of a
    dense input) times the kernel's window."""
    if value != "torch_uniform":
        if value not in KERAS_INITIALIZERS:
            raise UnsupportedValue(f"no Keras initializer for {value!r}")
        return KERAS_INITIALIZERS[value]
    x = ctx.shapes["x"]
    window = ctx.params.get("kernel_size")
    fan_in = x[-1] if window is None else x[1] * math.prod(_per_dim(window, ctx))
    bound = 1.0 / math.sqrt(fan_in)
    return {"class_name": "RandomUniform", "config": {"minval": -bound, "maxval": bound}}


TRANSFORMS = {
    f.__name__: f
    for f in (
        keras_initializer,
        one_minus, pair, as_list, torch_padding, torch_pool_padding, symmetric_same, tf_padding, tf_pool_padding,
        keras_padding, jax_padding, jax_pool_padding, onnx_conv_pads, window_nd, torch_pad, onnx_pad, pairs_tuple,
        per_axis_pairs, lax_padding_config, trailing_axes,
        nchw_resize_shape, tf_ksize, as_tuple,
        height_width, align_corners_flag, tf1_resize_coords, tf1_nearest_rounding, jax_transpose_padding,
        tf_transpose_output_shape, tf_pool_pads_as_same, keras_pool_pads_as_same, jax_ceil_window_pads, tf_ceil_pool_padding,
        jax_window_dilation,
        keras_transpose_port,
        tf_strides_nd, lrn_depth_radius, lrn_alpha_per_size, square, tf_same_valid,
        nhwc_axis, shrink_soft,
        tf1_cubic_coeff, tf1_cubic_exclude, scaled_size, jax_scaled_shape, nchw_scales,
        split_indices, chunk_sizes, flatten_shape, repeat_on_axis, min_max,
    )
}
