"""Named array transforms for weights that reach a framework in another arrangement.

Converting a checkpoint between frameworks is more than a transpose: LSTM/GRU gate orders differ
(torch i,f,g,o; Keras i,f,c,o; ONNX i,o,f,c), torch keeps two biases where Keras keeps one.
An API declares `derive: {new_input: {transform: NAME, inputs: [a, b]}}`; the worker computes the
derived array from the shared canonical inputs with one of these pure NumPy functions, so the
catalog shows exactly what a checkpoint conversion involves.
"""

from __future__ import annotations

import numpy as np


def add(*arrays):
    """Sum of arrays (torch's bias_ih + bias_hh is Keras' single bias)."""
    return np.sum(np.stack(arrays), axis=0).astype(arrays[0].dtype)


def concat0(*arrays):
    """Concatenate along the first axis (ONNX LSTM/GRU B = [Wb, Rb])."""
    return np.concatenate(arrays, axis=0)


def stack0(*arrays):
    """Stack along a new first axis: Keras GRU with reset_after=True keeps its input-side and
    recurrent-side biases as the two rows of one (2, 3H) `bias` (torch: bias_ih, bias_hh)."""
    return np.stack(arrays, axis=0)


def swap01(a):
    """Swap the first two axes: batch-first (N, L, F) <-> time-major (L, N, F). ONNX LSTM/GRU read X
    time-major by default (layout=0), and onnxruntime's CPU kernels implement only that layout."""
    return np.swapaxes(a, 0, 1)


def add_leading_axis(a):
    """ONNX recurrent weights carry a num_directions axis in front."""
    return a[None]


def _reorder_gates(a, order: list[int], axis: int = 0):
    blocks = np.split(a, len(order), axis=axis)
    return np.concatenate([blocks[i] for i in order], axis=axis)


def gates_ifgo_to_iofc(a):
    """torch LSTM gate blocks (i, f, g, o) -> ONNX LSTM order (i, o, f, c)."""
    return _reorder_gates(a, [0, 3, 1, 2])


def gates_rzn_to_zrh(a):
    """torch GRU gate blocks (r, z, n) -> ONNX/Keras GRU order (z, r, h)."""
    return _reorder_gates(a, [1, 0, 2])


def depthwise_kernel_hwcm(weight, x):
    """torch's depthwise kernel (C * mult, 1, kH, kW), output channel c * mult + m, as TF/Keras' (kH, kW, C, mult)
    (TF numbers its outputs the same way, k * channel_multiplier + q): a reshape, not only a transpose."""
    channels = x.shape[1]
    return weight.reshape(channels, weight.shape[0] // channels, *weight.shape[2:]).transpose(2, 3, 0, 1)


def along_axis_coords(indices, axis):
    """Per-axis indices (torch.scatter_add / ONNX ScatterElements: index[i][j] replaces the coordinate on `axis`)
    -> full N-d coordinates (..., rank), what tf.tensor_scatter_nd_add and jax.lax.scatter_add take."""
    grids = list(np.meshgrid(*[np.arange(n) for n in indices.shape], indexing="ij"))
    grids[axis % indices.ndim] = indices
    return np.stack(grids, axis=-1).astype(np.int64)


ARRAY_TRANSFORMS = {
    f.__name__: f
    for f in (add, concat0, stack0, swap01, add_leading_axis, gates_ifgo_to_iofc, gates_rzn_to_zrh,
              depthwise_kernel_hwcm, along_axis_coords)
}


# The NumPy line a port writes for each transform, with {0}, {1}, ... the names of its inputs ({args}: all of
# them): the conversion code of a `weight_layout` finding. tests/test_hazards.py evaluates every template
# against its function.
CODE = {
    "add": "{plus}",
    "concat0": "np.concatenate([{args}], axis=0)",
    "stack0": "np.stack([{args}], axis=0)",
    "swap01": "np.swapaxes({0}, 0, 1)",
    "add_leading_axis": "{0}[None]",
    "gates_ifgo_to_iofc": "np.concatenate([np.split({0}, 4)[k] for k in (0, 3, 1, 2)])",
    "gates_rzn_to_zrh": "np.concatenate([np.split({0}, 3)[k] for k in (1, 0, 2)])",
    "depthwise_kernel_hwcm": "{0}.reshape({1}.shape[1], -1, *{0}.shape[2:]).transpose(2, 3, 0, 1)",
    "along_axis_coords": "along_axis_coords({args})",
}
# Transforms whose mistake keeps every shape (a silently wrong model, not a loud error): gate blocks of equal
# size swapped, a channel-multiplier axis split the wrong way round.
SILENT = ("gates_ifgo_to_iofc", "gates_rzn_to_zrh", "depthwise_kernel_hwcm")


def code(transform: str, names: list[str]) -> str:
    """The NumPy expression of ``transform`` applied to the arrays (or literal values) ``names``."""
    return CODE[transform].format(*names, args=", ".join(names), plus=" + ".join(names))


def derive(derived: dict, arrays: dict) -> dict:
    """The case's arrays plus each derived one, computed in declaration order (later ones may use earlier)."""
    out = dict(arrays)
    for name, (transform, inputs) in derived.items():
        args = [out[i] if isinstance(i, str) else i.value for i in inputs]  # a Value: a parameter's value
        out[name] = np.ascontiguousarray(ARRAY_TRANSFORMS[transform](*args))
    return out


def pullback(derived: dict, arrays: dict, grads: dict) -> dict:
    """The backward pass through `derive`: gradients of derived weights (``grads``: name -> array or None)
    added into the gradients of their sources, in reverse declaration order (a derived weight may come from
    another). Every transform here copies elements (a permutation, a reshape, a sum across its inputs), so
    its adjoint is read off by probing: each source in turn numbered 1..n, the others zero, shows which
    source element each output element copies. A transform that is not such a copy is refused."""
    out = dict(grads)
    for name in reversed(list(derived)):
        transform, sources = derived[name]
        g = out.get(name)
        if g is None:
            continue
        fn = ARRAY_TRANSFORMS[transform]
        for s in dict.fromkeys(x for x in sources if isinstance(x, str)):  # a parameter value has no gradient
            if arrays[s].dtype.kind != "f" and arrays[s].dtype.name != "bfloat16":
                continue  # an integer source (a shape donor) has no gradient
            index = _copied_from(fn, sources, arrays, s)
            flat = np.asarray(g, dtype=np.float64).reshape(-1)
            mask = index >= 0
            part = np.bincount(index[mask], weights=flat[mask], minlength=arrays[s].size)
            part = part.reshape(arrays[s].shape).astype(np.asarray(g).dtype)
            out[s] = part if out.get(s) is None else out[s] + part
    return out


def _copied_from(fn, sources, arrays: dict, s: str) -> np.ndarray:
    """For each output element of ``fn``, the flat index of the element of source ``s`` it copies (-1: none)."""
    def probe(values):
        args = [values if src == s else np.zeros(arrays[src].shape) if isinstance(src, str) else src.value
                for src in sources]
        return np.asarray(fn(*args), dtype=np.float64).reshape(-1)

    n = arrays[s].size
    index = np.rint(probe(np.arange(1.0, n + 1).reshape(arrays[s].shape))).astype(np.int64) - 1
    check = np.random.default_rng(0).normal(size=arrays[s].shape)
    copied = np.where(index >= 0, check.reshape(-1)[np.maximum(index, 0)], 0.0)
    if index.max(initial=-1) >= n or not np.array_equal(probe(check), copied):
        raise ValueError(f"derive transform {fn.__name__} is not an element copy of {s}: no pullback")
    return index
