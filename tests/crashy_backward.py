"""tests/crashy_adapter.py with its backward pass switched on: it has a `vjp`, so the checker differentiates in it."""

from crashy_adapter import _vjp as vjp  # noqa: F401
from crashy_adapter import execute, execute_batch, live_default, load  # noqa: F401
