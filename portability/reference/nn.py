"""References for convolution, pooling, normalization, resize and layers with weights."""

from __future__ import annotations

import numpy as np  # noqa: F401

__all__: list[str] = []
