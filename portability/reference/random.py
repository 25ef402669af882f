"""References for random creation ops (torch.rand, numpy.random.random, tf.random.uniform, ...): seeded samples.

The values of a random creation op are not portable (each framework has its own generator), only their
distribution: the reference is a seeded float64 sample of the documented distribution, compared by the
two-sample Kolmogorov-Smirnov statistic (portability.compare), never element by element.
"""

from __future__ import annotations

import numpy as np

__all__ = ["uniform_sample", "normal_sample"]

SEED = 20261128  # any fixed seed: the comparison is statistical


def uniform_sample(shape):
    """``shape`` values of U[0, 1), what rand / random / random.uniform draw without bounds."""
    return np.random.default_rng(SEED).random(tuple(shape))


def normal_sample(shape):
    """``shape`` values of N(0, 1), what randn / standard_normal / random.normal draw without arguments."""
    return np.random.default_rng(SEED).standard_normal(tuple(shape))
