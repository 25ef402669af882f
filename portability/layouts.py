"""Data layouts: the catalog's canonical layout is PyTorch's (NCHW activations, OIHW kernels,
(out, in) dense weights); an API that wants another layout names it, and inputs are transposed
in and outputs transposed back automatically."""

from __future__ import annotations

NAMED = {
    "NWC": (0, 2, 1),
    "NHWC": (0, 2, 3, 1),
    "NDHWC": (0, 2, 3, 4, 1),
    "WIO": (2, 1, 0),
    "HWIO": (2, 3, 1, 0),
    "DHWIO": (2, 3, 4, 1, 0),
    "IO": (1, 0),
}


def check_layout(layout) -> tuple[int, ...]:
    """A named layout or an explicit permutation; raises ValueError with a readable message."""
    if isinstance(layout, str):
        if layout not in NAMED:
            raise ValueError(f"unknown layout {layout!r} (known: {', '.join(NAMED)}, or a permutation list)")
        return NAMED[layout]
    if isinstance(layout, list) and sorted(layout) == list(range(len(layout))):
        return tuple(layout)
    raise ValueError(f"a layout is a name or a permutation of 0..n-1, got {layout!r}")


def permutation(layout) -> tuple[int, ...]:
    return check_layout(layout)


def inverse(perm: tuple[int, ...]) -> tuple[int, ...]:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)
