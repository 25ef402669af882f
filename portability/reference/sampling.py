"""References for the sampling family (float64, canonical layout)."""

from __future__ import annotations

import numpy as np  # noqa: F401

__all__: list[str] = []
