"""References for activations, elementwise math and reductions."""

from __future__ import annotations

import numpy as np  # noqa: F401

__all__: list[str] = []
