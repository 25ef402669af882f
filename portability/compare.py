"""Pure metrics on arrays: shape/dtype equality, NaN/Inf parity, abs/rel/ULP error, mismatch fraction.

NaN and Inf positions are compared explicitly and never hidden (no nan_to_num before allclose).
Float outputs are judged against tolerances from one per-dtype table, widened by the accumulation
length of the op (a float32 sum of K terms carries ~sqrt(K) rounding steps); integer, index and
bool outputs compare exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from portability.spec import Tolerance

# In the spirit of torch.testing.assert_close's defaults.
TOLERANCES: dict[str, Tolerance] = {
    "float64": Tolerance(rtol=1e-7, atol=1e-7),
    "float32": Tolerance(rtol=1.3e-6, atol=1e-5),
    "float16": Tolerance(rtol=1e-3, atol=1e-5),
    "bfloat16": Tolerance(rtol=1.6e-2, atol=1e-5),
}
EXACT_KINDS = ("index", "int", "bool")
# A `distribution` output (a freshly built layer's initial weights) is random: it is compared by the
# distribution of its values, never element by element. The two-sample Kolmogorov-Smirnov statistic D (the
# largest gap between the two empirical CDFs) against its critical value at KS_ALPHA for the two sample sizes:
# samples of one distribution exceed it once in a million comparisons; U(-1/sqrt(fan_in), .) against glorot's
# wider bound, or N(0, 1) against U(-0.05, 0.05), exceed it by far at a few hundred values.
KS_ALPHA = 1e-6
# A half-precision result computed in half precision carries rounding relative to the tensor's scale, not
# to each element (x - mean cancels to values near 0 whose error is eps * |x|): there atol grows to
# rtol * max|expected|. Float32 and float64 keep the strict per-element rule.
LOW_PRECISION = ("float16", "bfloat16")
# The smallest magnitude that rounds to Inf in each float dtype (round to nearest even): its largest finite
# value plus half an ULP there, 2**(emax + 1) * (1 - 2**-(mantissa bits + 2)); float16's largest is 65504.
# A reference value this large has no finite representation: a framework that gives the ±Inf is right.
OVERFLOW_AT = {"float16": 65520.0, "bfloat16": 2.0**128 * (1 - 2.0**-9), "float32": 2.0**128 * (1 - 2.0**-25)}


def effective_atol(tol: Tolerance, expected: np.ndarray, dtype: str) -> float:
    if dtype not in LOW_PRECISION:
        return tol.atol
    finite = np.abs(expected[np.isfinite(expected)])
    return max(tol.atol, tol.rtol * float(finite.max())) if finite.size else tol.atol


@dataclass(frozen=True)
class Metrics:
    shape_equal: bool
    dtype_equal: bool
    actual_shape: tuple
    expected_shape: tuple
    actual_dtype: str
    expected_dtype: str
    nonfinite_equal: bool  # NaN, +Inf and -Inf sit at the same positions
    nonfinite_detail: str
    max_abs_error: float | None
    max_rel_error: float | None
    max_ulp: float | None
    mismatch_fraction: float | None
    within_tolerance: bool
    worst_index: tuple | None = None
    worst_actual: float | None = None
    worst_expected: float | None = None
    signed_zero_mismatches: int = 0
    beyond_range: int = 0  # elements whose reference overflows the output's dtype, given as that dtype's ±Inf
    exact: bool = False  # compared without tolerance (integer, index and bool results)
    detail: str = ""  # distribution outputs: the summary statistics of both samples and the KS verdict


def tolerance_for(dtype: str, overrides: dict | None = None, accumulation: int = 1) -> Tolerance:
    """The tolerance for one dtype, widened by sqrt(accumulation length)."""
    base = (overrides or {}).get(dtype) or TOLERANCES.get(dtype) or TOLERANCES["float32"]
    scale = math.sqrt(max(1, accumulation))
    return Tolerance(base.rtol * scale, base.atol * scale)


def _float_dtype(a: np.ndarray) -> bool:
    return a.dtype.kind == "f" or a.dtype.name == "bfloat16"


def _as_f64(a: np.ndarray) -> np.ndarray:
    return np.asarray(a).astype(np.float64)


def ulp_distance(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """ULPs between actual and expected rounded to actual's float dtype (+0 and -0 are 0 apart)."""
    dt = actual.dtype
    bits = {2: np.int16, 4: np.int32, 8: np.int64}[dt.itemsize]
    with np.errstate(over="ignore"):  # a reference beyond the dtype's range becomes Inf: such positions are masked
        e = np.asarray(expected).astype(dt)

    def ordered(x):
        i = x.view(bits).astype(np.int64)
        # Map the sign-magnitude float bit pattern onto a monotonic integer line.
        return np.where(i < 0, np.iinfo(bits).min - i, i)

    return np.abs(ordered(np.ascontiguousarray(actual)) - ordered(np.ascontiguousarray(e))).astype(np.float64)


def compare(actual, expected, *, kind: str = "float", tol: Tolerance | None = None,
            expected_dtype: str | None = None) -> Metrics:
    """Compare one output against its expectation; ``expected_dtype`` is the dtype the API should return."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    want_dtype = expected_dtype or str(expected.dtype)
    base = dict(actual_shape=tuple(actual.shape), expected_shape=tuple(expected.shape),
                actual_dtype=str(actual.dtype), expected_dtype=want_dtype,
                dtype_equal=_dtype_equal(actual, want_dtype, kind))
    if kind == "distribution":
        return _compare_distribution(actual, expected, base)
    if actual.shape != expected.shape:
        return Metrics(shape_equal=False, nonfinite_equal=False, nonfinite_detail="", max_abs_error=None,
                       max_rel_error=None, max_ulp=None, mismatch_fraction=None, within_tolerance=False, **base)
    if kind in EXACT_KINDS or not (_float_dtype(actual) or _float_dtype(expected)):
        return _compare_exact(actual, expected, base)
    return _compare_float(actual, expected, tol or tolerance_for(want_dtype), base)


def _dtype_equal(actual: np.ndarray, want: str, kind: str) -> bool:
    if kind == "index":  # int32 vs int64 indices are both fine; a float index is not
        return actual.dtype.kind in "iu"
    if kind == "bool":
        return actual.dtype == np.bool_
    return str(actual.dtype) == want


def _compare_exact(actual, expected, base) -> Metrics:
    a, e = _as_f64(actual), _as_f64(expected)
    diff = np.abs(a - e) if a.size else np.zeros(0)
    bad = ~((a == e) | (np.isnan(a) & np.isnan(e)))
    worst = _worst(bad.astype(float), a, e) if bad.any() else {}
    return Metrics(shape_equal=True, nonfinite_equal=True, nonfinite_detail="",
                   max_abs_error=float(np.nanmax(diff)) if diff.size else 0.0, max_rel_error=None, max_ulp=None,
                   mismatch_fraction=float(bad.mean()) if a.size else 0.0, within_tolerance=not bad.any(),
                   exact=True, **worst, **base)


def in_range(expected: np.ndarray, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """(expectation, beyond): the float64 reference as a ``dtype`` output can hold it, a value beyond the dtype's
    range becoming the ±Inf it rounds to, and where that happened. The range is the dtype's, not a framework's:
    every framework must overflow there, so an Inf there is no divergence (the report notes it apart)."""
    limit = OVERFLOW_AT.get(dtype)
    if limit is None:
        return expected, np.zeros(expected.shape, dtype=bool)
    beyond = np.isfinite(expected) & (np.abs(expected) >= limit)
    return np.where(beyond, np.copysign(np.inf, expected), expected), beyond


def _compare_float(actual, expected, tol: Tolerance, base) -> Metrics:
    a, e = _as_f64(actual), _as_f64(expected)
    if _float_dtype(actual):  # the range of the dtype the output has (a float32 output in a float16 case holds 1e5)
        e, beyond = in_range(e, actual.dtype.name)
    else:
        beyond = np.zeros(e.shape, dtype=bool)
    if np.isfinite(a).all() and np.isfinite(e).all():
        return _compare_finite(actual, expected, a, e, tol, base)
    parity = {
        "NaN": np.isnan(a) != np.isnan(e),
        "+Inf": (a == np.inf) != (e == np.inf),
        "-Inf": (a == -np.inf) != (e == -np.inf),
    }
    nonfinite_bad = parity["NaN"] | parity["+Inf"] | parity["-Inf"]
    detail = ", ".join(f"{name} at {int(m.sum())} position(s)" for name, m in parity.items() if m.any())
    both_finite = np.isfinite(a) & np.isfinite(e)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(both_finite, np.abs(a - e), 0.0)
    limit = effective_atol(tol, e, base["expected_dtype"]) + tol.rtol * np.abs(e)
    over = both_finite & (diff > limit)
    bad = over | nonfinite_bad
    n = a.size or 1
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(both_finite & (np.abs(e) > tol.atol), diff / np.abs(e), 0.0)
    ulp = None
    if _float_dtype(actual) and a.size:
        u = np.where(both_finite, ulp_distance(actual, expected), 0.0)
        ulp = float(u.max())
    signed_zero = int(np.sum((a == 0) & (e == 0) & (np.signbit(a) != np.signbit(e))))
    worst = _worst(np.where(nonfinite_bad, np.inf, diff / np.maximum(limit, 1e-300)), a, e) if a.size else {}
    return Metrics(shape_equal=True, nonfinite_equal=not nonfinite_bad.any(), nonfinite_detail=detail,
                   max_abs_error=float(diff.max()) if a.size else 0.0, max_rel_error=float(rel.max()) if a.size else 0.0,
                   max_ulp=ulp, mismatch_fraction=float(bad.sum() / n), within_tolerance=not bad.any(),
                   signed_zero_mismatches=signed_zero, beyond_range=int((beyond & (a == e)).sum()), **worst, **base)


def _compare_finite(actual, expected, a, e, tol: Tolerance, base) -> Metrics:
    """``_compare_float`` where both sides are finite everywhere (most results): the same metrics without the
    NaN/Inf bookkeeping, in half the array passes."""
    with np.errstate(over="ignore"):
        diff = np.abs(a - e)
    abs_e = np.abs(e)
    limit = effective_atol(tol, e, base["expected_dtype"]) + tol.rtol * abs_e
    bad = diff > limit
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(abs_e > tol.atol, diff / abs_e, 0.0)
    ulp = float(ulp_distance(actual, expected).max()) if _float_dtype(actual) and a.size else None
    signed_zero = int(np.sum((a == 0) & (e == 0) & (np.signbit(a) != np.signbit(e))))
    worst = _worst(diff / np.maximum(limit, 1e-300), a, e) if a.size else {}
    return Metrics(shape_equal=True, nonfinite_equal=True, nonfinite_detail="",
                   max_abs_error=float(diff.max()) if a.size else 0.0, max_rel_error=float(rel.max()) if a.size else 0.0,
                   max_ulp=ulp, mismatch_fraction=float(bad.sum() / (a.size or 1)), within_tolerance=not bad.any(),
                   signed_zero_mismatches=signed_zero, **worst, **base)


def ks_statistic(a, b) -> float:
    """The two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs of a and b."""
    a, b = np.sort(_as_f64(a).ravel()), np.sort(_as_f64(b).ravel())
    if not a.size or not b.size:
        return 0.0 if a.size == b.size else 1.0
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / a.size
    cdf_b = np.searchsorted(b, points, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


def ks_limit(n: int, m: int, alpha: float = KS_ALPHA) -> float:
    """The critical D for samples of sizes n and m: c(alpha) * sqrt((n + m) / (n * m)) (the asymptotic
    Kolmogorov distribution), so the tolerance shrinks as the samples grow."""
    return math.sqrt(-math.log(alpha / 2) / 2) * math.sqrt((n + m) / (n * m)) if n and m else 0.0


def _stats(a: np.ndarray) -> str:
    return f"mean {a.mean():.4g}, std {a.std():.4g}, range [{a.min():.4g}, {a.max():.4g}]" if a.size else "empty"


def _compare_distribution(actual, expected, base) -> Metrics:
    """Same number of values, all finite where the reference's are, and a KS statistic within its limit."""
    a, e = _as_f64(actual).ravel(), _as_f64(expected).ravel()
    if a.size != e.size:
        return Metrics(shape_equal=False, nonfinite_equal=False, nonfinite_detail="", max_abs_error=None,
                       max_rel_error=None, max_ulp=None, mismatch_fraction=None, within_tolerance=False, **base)
    finite = bool(np.isfinite(a).all()) == bool(np.isfinite(e).all())
    d, limit = ks_statistic(a, e), ks_limit(a.size, e.size)
    within = finite and d <= limit
    detail = (f"distribution: {_stats(a)} vs the reference's {_stats(e)}; KS D = {d:.3g} "
              f"({'within' if within else 'beyond'} {limit:.3g} for {a.size} values)")
    return Metrics(shape_equal=True, nonfinite_equal=finite, nonfinite_detail="" if finite else "non-finite values",
                   max_abs_error=d, max_rel_error=None, max_ulp=None, mismatch_fraction=None, within_tolerance=within,
                   detail=detail, **base)


def _worst(score: np.ndarray, a: np.ndarray, e: np.ndarray) -> dict:
    idx = np.unravel_index(int(np.argmax(score)), score.shape) if score.ndim else ()
    return {"worst_index": tuple(int(i) for i in idx), "worst_actual": float(a[idx]), "worst_expected": float(e[idx])}


def pair_metrics(a, b, kind: str, tol: Tolerance) -> tuple[float | None, float | None, bool, bool]:
    """(max_abs, max_ulp, within_tolerance, shape_equal) between two frameworks' outputs.

    The lean sibling of ``compare`` for the many API pairs: same NaN/Inf parity and tolerance rule,
    no per-element worst-case bookkeeping."""
    a, b = np.asarray(a), np.asarray(b)
    if kind == "distribution":
        if a.size != b.size:
            return None, None, False, False
        d = ks_statistic(a, b)
        return d, None, d <= ks_limit(a.size, b.size), True
    if a.shape != b.shape:
        return None, None, False, False
    fa, fb = _as_f64(a), _as_f64(b)
    if kind in EXACT_KINDS or not (_float_dtype(a) or _float_dtype(b)):
        same = (fa == fb) | (np.isnan(fa) & np.isnan(fb))
        with np.errstate(invalid="ignore"):
            diff = np.where(same, 0.0, np.abs(fa - fb))
        return (float(np.nanmax(diff)) if diff.size else 0.0), None, bool(same.all()), True
    finite = np.isfinite(fa) & np.isfinite(fb)
    if finite.all():  # the common case, with the same result in fewer array passes (tens of thousands of pairs)
        with np.errstate(over="ignore"):
            diff = np.abs(fa - fb)
        atol = effective_atol(tol, fb, a.dtype.name)
        within = bool((diff <= atol + tol.rtol * np.abs(fb)).all())
        ulp = float(ulp_distance(a, fb).max()) if _float_dtype(a) and a.size else None
        return (float(diff.max()) if diff.size else 0.0), ulp, within, True
    parity = (np.isnan(fa) == np.isnan(fb)) & ((fa == np.inf) == (fb == np.inf)) & ((fa == -np.inf) == (fb == -np.inf))
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(finite, np.abs(fa - fb), 0.0)
    atol = effective_atol(tol, fb, a.dtype.name)
    with np.errstate(invalid="ignore"):  # a NaN in both places is parity, not an error: its bound is not NaN
        within = bool(parity.all() and (diff <= atol + tol.rtol * np.where(finite, np.abs(fb), 0.0)).all())
    ulp = None
    if _float_dtype(a) and a.size:
        ulp = float(np.where(finite, ulp_distance(a, fb), 0.0).max())
    return (float(diff.max()) if diff.size else 0.0), ulp, within, True


# ----------------------------------------------------------------------------- gradients
# A gradient is the adjoint of the forward computation: each element sums the contributions of every output
# it fed (a broadcast input's gradient sums over the broadcast axes, a conv kernel's over batch and space),
# and its terms cancel (softmax and normalization gradients subtract a mean). So an element's rounding is
# relative to the scale of the whole gradient, not to its own value: the allowance per element is
# rtol * (|v_i| + mean |v|) + atol, with the forward tolerance widened by BACKWARD_WIDENING.
BACKWARD_WIDENING = 8.0


def gradient_tolerance(tol: Tolerance) -> Tolerance:
    return Tolerance(tol.rtol * BACKWARD_WIDENING, tol.atol * BACKWARD_WIDENING)


def element_allowance(v: np.ndarray, tol: Tolerance) -> np.ndarray:
    """What rounding explains in each element of a gradient (see BACKWARD_WIDENING)."""
    a = np.abs(_as_f64(v))
    finite = a[np.isfinite(a)]
    scale = float(finite.mean()) if finite.size else 0.0
    return tol.atol + tol.rtol * (np.where(np.isfinite(a), a, 0.0) + scale)


def direction_allowance(v: np.ndarray, directions: np.ndarray, tol: Tolerance) -> np.ndarray:
    """What rounding explains in <v, d_j> for each direction: the element allowances weighted by |d_j|."""
    allow = element_allowance(v, tol).reshape(-1)
    return np.abs(directions.reshape(len(directions), -1)) @ allow


def gradient_metrics(actual, reference, tol: Tolerance, expected_dtype: str) -> Metrics:
    """A framework's gradient against the reference's directional derivatives (portability.gradients).

    Where the reference gives none (not differentiable or not finite here), only shape and dtype are judged
    and ``within_tolerance`` is None: the comparison is then between frameworks (``gradient_pair``)."""
    actual = np.asarray(actual)
    shape = tuple(reference.directions.shape[1:]) if reference.directions is not None else actual.shape
    base = dict(actual_shape=tuple(actual.shape), expected_shape=shape, actual_dtype=str(actual.dtype),
                expected_dtype=expected_dtype, dtype_equal=str(actual.dtype) == expected_dtype)
    none = dict(max_abs_error=None, max_rel_error=None, max_ulp=None, mismatch_fraction=None)
    if actual.shape != shape:
        return Metrics(shape_equal=False, nonfinite_equal=False, nonfinite_detail="", within_tolerance=False,
                       **none, **base)
    v = _as_f64(actual)
    bad = ~np.isfinite(v)
    detail = ", ".join(f"{name} at {int(m.sum())} position(s)" for name, m in
                       (("NaN", np.isnan(v)), ("+Inf", v == np.inf), ("-Inf", v == -np.inf)) if m.any())
    if reference.values is None:
        return Metrics(shape_equal=True, nonfinite_equal=True, nonfinite_detail=detail, within_tolerance=None,
                       **none, **base)
    dirs = reference.directions.reshape(len(reference.directions), -1)
    allow = direction_allowance(v, reference.directions, tol) + 4 * reference.errors
    if bad.any():  # the reference is finite along every direction: NaN/Inf in the gradient is a mismatch
        worst = np.unravel_index(int(np.argmax(bad)), v.shape)
        return Metrics(shape_equal=True, nonfinite_equal=False, nonfinite_detail=detail, within_tolerance=False,
                       max_abs_error=None, max_rel_error=None, max_ulp=None,
                       mismatch_fraction=float(bad.mean()), worst_index=tuple(int(i) for i in worst),
                       worst_actual=float(v[worst]), worst_expected=None, **base)
    got = dirs @ v.reshape(-1)
    diff = np.abs(got - reference.values)
    over = diff > allow
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(np.abs(reference.values) > 0, diff / np.abs(reference.values), 0.0)
    j = int(np.argmax(diff / np.maximum(allow, 1e-300)))
    return Metrics(shape_equal=True, nonfinite_equal=True, nonfinite_detail="", within_tolerance=not over.any(),
                   max_abs_error=float(diff.max()), max_rel_error=float(rel.max()), max_ulp=None,
                   mismatch_fraction=float(over.mean()), worst_index=(j,), worst_actual=float(got[j]),
                   worst_expected=float(reference.values[j]), **base)


@dataclass(frozen=True)
class GradientPair:
    max_abs_error: float | None
    within_tolerance: bool
    shape_equal: bool
    nonfinite_detail: str = ""  # where one has NaN/Inf and the other not: "NaN in a where b is finite at 3 ..."
    worst: dict | None = None  # {"index", "a", "b"}: the element that differs most (non-finite first)


def gradient_pair(a, b, tol: Tolerance) -> GradientPair:
    """Two frameworks' gradients element by element: NaN/Inf placement, then each element against the
    allowance of both (see BACKWARD_WIDENING)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return GradientPair(None, False, False)
    fa, fb = _as_f64(a), _as_f64(b)
    parity = (np.isnan(fa) == np.isnan(fb)) & ((fa == np.inf) == (fb == np.inf)) & ((fa == -np.inf) == (fb == -np.inf))
    finite = np.isfinite(fa) & np.isfinite(fb)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(finite, np.abs(fa - fb), 0.0)
    allow = np.maximum(element_allowance(fa, tol), element_allowance(fb, tol))
    over = diff > allow
    detail = ""
    if not parity.all():
        na, nb = int((~np.isfinite(fa) & np.isfinite(fb)).sum()), int((np.isfinite(fa) & ~np.isfinite(fb)).sum())
        detail = ", ".join(t for t in (f"non-finite in a where b is finite at {na} position(s)" if na else "",
                                       f"non-finite in b where a is finite at {nb} position(s)" if nb else "") if t)
    score = np.where(~parity, np.inf, diff / np.maximum(allow, 1e-300))
    worst = None
    if a.size and (not parity.all() or over.any()):
        idx = np.unravel_index(int(np.argmax(score)), a.shape) if a.ndim else ()
        worst = {"index": [int(i) for i in idx], "a": float(fa[idx]), "b": float(fb[idx])}
    return GradientPair(float(diff.max()) if diff.size else 0.0, bool(parity.all() and not over.any()), True,
                        detail, worst)
