"""Plain, frozen records that flow from the checker to the reporters (terminal, JSON, HTML).

``pass_`` is written ``pass`` in the JSON report (a Python keyword cannot name a field): forward, or
backward (the vector-Jacobian product, with respect to the input named by ``wrt``)."""

from __future__ import annotations

from dataclasses import dataclass, field

# not_expressible: this checker cannot express the call yet (a gap of portability, not of the framework):
# reported in coverage and results, never as a hazard. unsupported: the framework lacks it (a hazard).
STATUSES = ("ok", "unsupported", "not_expressible", "error", "crash", "timeout", "not_installed")


@dataclass(frozen=True)
class Result:
    """One op x case x backend x API x mode, compared against the float64 reference."""

    op: str
    case: str
    framework: str  # backend name
    api: str  # API label (its dotted call unless the catalog names it)
    mode: str  # aligned | defaults
    status: str
    dtype: str  # the case dtype
    message: str = ""
    output_dtype: str | None = None
    expected_dtype: str | None = None  # the dtype the output should have (the case's, or its result_dtype)
    output_shape: list | None = None
    shape_equal: bool | None = None
    dtype_equal: bool | None = None
    nonfinite_equal: bool | None = None
    nonfinite_detail: str = ""
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    max_ulp: float | None = None
    mismatch_fraction: float | None = None
    within_tolerance: bool | None = None
    worst: dict | None = None  # index, actual, expected
    rtol: float | None = None
    atol: float | None = None
    elapsed_s: float = 0.0
    opset: int | None = None  # ONNX: the opset the node was built at (the label ends in @opset)
    pass_: str = "forward"  # forward | backward
    wrt: str | None = None  # backward: the input differentiated


@dataclass(frozen=True)
class Pairwise:
    """Divergence between two APIs' outputs on the same case and mode (first output)."""

    op: str
    case: str
    mode: str
    a: str  # "backend:api"
    b: str
    max_abs_error: float | None
    max_ulp: float | None
    within_tolerance: bool
    shape_equal: bool = True
    pass_: str = "forward"
    wrt: str | None = None  # backward: the input whose gradients are compared
    nonfinite_detail: str = ""  # backward: NaN/Inf in one gradient where the other is finite
    worst: dict | None = None  # backward: {"index", "a", "b"} of the element that differs most


@dataclass(frozen=True)
class Hazard:
    op: str
    kind: str
    frameworks: tuple[str, ...]
    apis: tuple[str, ...]  # "backend:api" for each API involved
    severity: str  # high | medium | low
    summary: str
    fix: str
    cases: tuple[str, ...] = ()
    param: str | None = None
    defaults: dict | None = None  # "backend:api" -> default value
    divergence: dict | None = None  # metrics that show the hazard
    repro: dict = field(default_factory=dict)  # "backend:api" -> snippet
    known: bool = False
    known_reason: str | None = None
    known_source: str | None = None
    recipes: tuple = ()  # portability.recipes.Recipe, one per (source -> target) port (default mismatches)
    fix_verified: bool | None = None  # every recipe ran and made its target agree with its source
    pass_: str = "forward"  # the pass it was found in: part of its identity
    conversion: tuple = ()  # weight_layout: the NumPy lines that turn the torch checkpoint into this API's weights
