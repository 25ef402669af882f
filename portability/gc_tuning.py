"""Fewer garbage collections in the CLI and in every worker.

A run builds hundreds of thousands of small, acyclic objects (plans, outcomes, results, report dicts) and a
worker's framework holds a million more (TensorFlow, JAX): CPython's default thresholds start a collection
every 700 allocations and re-scan that whole heap in the older generations. ``gc.freeze`` moves what exists now
(the imported modules) out of every later collection, and the thresholds are mypy's, tuned for the same
pattern ("otherwise we can spend a large fraction of cpu in gc", mypy/build.py). Measured on the full default
run: ~10% less CPU over all processes (benchmarks/PROFILE.md, "Garbage collection")."""

from __future__ import annotations

import gc
import platform

_tuned = False


def tune_gc() -> None:
    """Once per process: a process that calls ``cli.main`` many times (the test suite) freezes only once."""
    global _tuned
    if _tuned or platform.python_implementation() != "CPython":
        return
    _tuned = True
    gc.freeze()
    gc.set_threshold(200 * 1000, 30, 30)
