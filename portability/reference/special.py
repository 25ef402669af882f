"""Float64 references for the special functions NumPy lacks (lgamma, digamma, erfc, erfinv, logit, xlogy).

NumPy 2 has no special functions and SciPy is no dependency, so each is built from ``math`` (correctly
rounded enough for float32 and float64 comparisons) or a short series, with the IEEE/C99 conventions at
poles and domain edges stated where they matter: those edges are where frameworks disagree.
"""

from __future__ import annotations

import math

import numpy as np

__all__: list[str] = ["lgamma", "digamma", "erfc", "erfinv", "logit", "xlogy"]


def _lgamma1(v: float) -> float:
    """C99 lgamma: +inf at the poles (0 and the negative integers), log|gamma| elsewhere."""
    if v <= 0 and (v == -math.inf or v == math.floor(v)):
        return math.inf  # math.lgamma raises a domain error at the poles; C99 returns +HUGE_VAL
    return math.lgamma(v)


def lgamma(x):
    """log|Gamma(x)|: +inf at 0, at the negative integers and at ±inf; NaN stays NaN."""
    with np.errstate(invalid="ignore"):  # a NaN input is a NaN output, not an event
        return np.vectorize(_lgamma1, otypes=[np.float64])(x)


# Bernoulli terms B_2k / (2k) of the asymptotic series psi(x) ~ log x - 1/(2x) - sum B_2k / (2k x^2k).
_PSI_TERMS = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)


def _digamma1(v: float) -> float:
    if math.isnan(v) or v == -math.inf:
        return math.nan
    if v == math.inf:
        return math.inf
    if v == 0:
        return -math.copysign(math.inf, v)  # the pole's one-sided limits: -inf at +0, +inf at -0 (SciPy)
    if v < 0:
        if v == math.floor(v):  # (v is finite here)
            return math.nan  # a pole whose two sides have opposite signs
        # reflection: psi(1 - x) - psi(x) = pi / tan(pi x)
        return _digamma1(1.0 - v) - math.pi / math.tan(math.pi * v)
    acc = 0.0
    while v < 10.0:  # recurrence psi(x) = psi(x + 1) - 1/x up to where the series converges fast
        acc -= 1.0 / v
        v += 1.0
    inv2 = 1.0 / (v * v)
    series, power = 0.0, inv2
    for term in _PSI_TERMS:
        series += term * power
        power *= inv2
    return acc + math.log(v) - 0.5 / v - series


def digamma(x):
    """psi(x) = d/dx log Gamma(x): -inf at +0, +inf at -0 (SciPy's convention), NaN at negative integers."""
    return np.vectorize(_digamma1, otypes=[np.float64])(x)


def erfc(x):
    """1 - erf(x) without the cancellation: erfc(10) = 2.1e-45, where 1 - erf(10) is 0."""
    return np.vectorize(math.erfc, otypes=[np.float64])(x)


def _erfinv1(v: float) -> float:
    if math.isnan(v) or abs(v) > 1:
        return math.nan
    if abs(v) == 1:
        return math.copysign(math.inf, v)
    if v == 0:
        return v  # keeps the sign of zero
    a = abs(v)
    # Start from the inverse of erf(y) ~ sign * sqrt(1 - exp(-y^2 * (4/pi + c y^2) / (1 + c y^2))), then Newton.
    c = 0.147
    ln = math.log1p(-a * a)
    t = 2 / (math.pi * c) + ln / 2
    y = math.sqrt(math.sqrt(t * t - ln / c) - t)
    for _ in range(6):
        # erfc keeps the residual exact near 1, where erf(y) - a cancels.
        residual = (1.0 - a) - math.erfc(y) if a > 0.5 else math.erf(y) - a
        y -= residual / (2 / math.sqrt(math.pi) * math.exp(-y * y))
    return math.copysign(y, v)


def erfinv(x):
    """The inverse error function on [-1, 1]: ±1 -> ±inf, |x| > 1 -> NaN, -0 -> -0."""
    return np.vectorize(_erfinv1, otypes=[np.float64])(x)


def logit(x):
    """log(x / (1 - x)): 0 -> -inf, 1 -> +inf, outside [0, 1] NaN (torch.logit without eps, SciPy)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x) - np.log1p(-x)


def xlogy(x, y):
    """x * log(y), 0 where x == 0 (even where log(y) is -inf or +inf), NaN where y is NaN (SciPy, torch)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log(y))
