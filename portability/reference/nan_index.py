"""References for running extrema (NumPy has them only as ufunc methods, which the catalog cannot call)."""

from __future__ import annotations

import numpy as np

__all__: list[str] = ["cummax", "cummin"]


def cummax(x, axis):
    """Running maximum; np.fmax would skip NaN, np.maximum propagates it to every later position."""
    return np.maximum.accumulate(x, axis=axis)


def cummin(x, axis):
    return np.minimum.accumulate(x, axis=axis)
