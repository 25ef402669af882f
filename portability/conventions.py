"""Argument conventions: the same value written differently by different APIs, and the code that translates.

A port breaks when it copies an argument whose *layout* differs: torch ``F.pad(x, (1, 2))`` pads the last axis
by 1 before and 2 after, but ``np.pad(x, (1, 2))`` pads *every* axis that way. Such an argument reaches each
API through a transform of portability.transforms (canonical value -> framework value); a transform registered
here is a convention: a description, its documentation, and two snippets of plain Python, from the framework's
value to the canonical one and back. Translating from API A to API B is A's ``to_canonical`` followed by B's
``from_canonical`` (tests execute every snippet against its transform on every catalog case, so the code a
report shows is the code that was checked). An API that maps the parameter without a transform writes the
canonical value itself (``CANONICAL``).

Snippets name the framework value ``{arg}`` (filled with the API's argument name), the canonical value by the
convention's ``canonical`` name, and may read ``x`` (the tensor, for ``x.ndim``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Convention:
    describe: str  # how the API writes the value, in a few words
    canonical: str  # the canonical value's name in the snippets (a key of CANONICAL)
    to_canonical: str  # code: {arg} -> canonical
    from_canonical: str  # code: canonical -> {arg}
    source: str  # the documentation that states it


# The canonical conventions (what a transform-free mapping passes): name -> description.
CANONICAL = {
    "pairs": "one (before, after) pair per padded trailing axis, first axis first",
}

_NP_PAD = "https://numpy.org/doc/stable/reference/generated/numpy.pad.html"

CONVENTIONS = {
    "per_axis_pairs": Convention(
        "one (before, after) pair for every axis, first axis first (a bare pair pads every axis)", "pairs",
        "pairs = [tuple(p) for p in {arg}]",
        "{arg} = [(0, 0)] * (x.ndim - len(pairs)) + [tuple(p) for p in pairs]",
        _NP_PAD),
    "torch_pad": Convention(
        "flat (before, after) pairs from the last axis backwards", "pairs",
        "pairs = [({arg}[i], {arg}[i + 1]) for i in range(len({arg}) - 2, -1, -2)]",
        "{arg} = tuple(v for p in reversed(pairs) for v in p)",
        "https://pytorch.org/docs/stable/generated/torch.nn.functional.pad.html"),
    "onnx_pad": Convention(
        "all begins, then all ends, over the axes of the `axes` input", "pairs",
        "pairs = list(zip({arg}[:len({arg}) // 2], {arg}[len({arg}) // 2:]))  # axes = the padded axes",
        "{arg} = [p[0] for p in pairs] + [p[1] for p in pairs]\naxes = list(range(x.ndim - len(pairs), x.ndim))",
        "https://onnx.ai/onnx/operators/onnx__Pad.html"),
    "pairs_tuple": Convention(
        "one (before, after) pair per spatial axis only (no batch or channel pair)", "pairs",
        "pairs = [tuple(p) for p in {arg}]",
        "{arg} = tuple(tuple(p) for p in pairs)",
        "https://keras.io/api/layers/reshaping_layers/zero_padding2d/"),
    "lax_padding_config": Convention(
        "one (low, high, interior) triple for every axis", "pairs",
        "pairs = [(lo, hi) for lo, hi, _ in {arg}]",
        "{arg} = [(0, 0, 0)] * (x.ndim - len(pairs)) + [(lo, hi, 0) for lo, hi in pairs]",
        "https://docs.jax.dev/en/latest/_autosummary/jax.lax.pad.html"),
}


def convention_of(api, param: str) -> tuple[str, Convention | None] | None:
    """(argument name, convention) through which ``api`` takes ``param``; the convention is None when the API
    takes the canonical value itself, and the whole is None when it does not take ``param`` or takes it through a
    transform that is no convention (a type change, a framework constant)."""
    amap = api.params.get(param)
    if amap is not None:
        if amap.transform is None and not amap.values:
            return amap.name, None
        return (amap.name, CONVENTIONS[amap.transform]) if amap.transform in CONVENTIONS else None
    for a in api.args:
        if isinstance(a, dict) and a.get("param") == param:
            name = param  # a positional argument: named by the parameter
            if not a.get("transform"):
                return name, None
            return (name, CONVENTIONS[a["transform"]]) if a["transform"] in CONVENTIONS else None
    return None


def describe(conv: Convention | None, canonical: str) -> str:
    return conv.describe if conv is not None else CANONICAL[canonical]


def translation(source: tuple[str, Convention | None], target: tuple[str, Convention | None]) -> str:
    """The code that turns the source API's argument into the target's (through the canonical value)."""
    (src_arg, src), (dst_arg, dst) = source, target
    canonical = (src or dst).canonical
    lines = []
    lines.append(src.to_canonical.format(arg=src_arg) if src else f"{canonical} = {src_arg}")
    lines.append(dst.from_canonical.format(arg=dst_arg) if dst else f"{dst_arg} = {canonical}")
    return "\n".join(lines)
