"""The float64 special-function references (portability/reference/special.py) against closed forms.

They are what every framework's lgamma, digamma, erfc, erfinv, logit and xlogy are judged by, so their
values and their conventions at poles and domain edges are pinned here, without SciPy."""

import math

import numpy as np

from portability.reference import digamma, erfc, erfinv, lgamma, logit, xlogy

EULER_GAMMA = 0.5772156649015329


def test_lgamma_closed_forms_and_the_c99_poles():
    x = np.array([0.5, 1.0, 2.0, 10.0, -0.5, 0.0, -0.0, -3.0, np.inf, -np.inf, np.nan])
    out = lgamma(x)
    assert np.allclose(out[:5], [math.log(math.sqrt(math.pi)), 0.0, 0.0, math.log(362880.0),
                                 math.log(2 * math.sqrt(math.pi))], rtol=1e-14, atol=1e-15)
    assert np.all(out[5:10] == np.inf) and np.isnan(out[10])


def test_digamma_closed_forms_reflection_and_the_pole_conventions():
    x = np.array([1.0, 0.5, 2.0, 100.5, -0.5, -2.25])
    expected = [-EULER_GAMMA, -EULER_GAMMA - 2 * math.log(2), 1 - EULER_GAMMA]
    out = digamma(x)
    assert np.allclose(out[:3], expected, rtol=1e-14)
    # psi(x + 1) = psi(x) + 1/x, and the reflection psi(1 - x) - psi(x) = pi / tan(pi x)
    assert np.isclose(digamma(np.array([101.5]))[0], out[3] + 1 / 100.5, rtol=1e-14)
    assert np.isclose(digamma(np.array([1.5]))[0] - out[4], math.pi / math.tan(math.pi * -0.5), atol=1e-12)
    assert np.isclose(digamma(np.array([3.25]))[0] - out[5], math.pi / math.tan(math.pi * -2.25), rtol=1e-13)
    poles = digamma(np.array([0.0, -0.0, -1.0, -4.0, np.inf, -np.inf, np.nan]))
    assert poles[0] == -np.inf and poles[1] == np.inf  # SciPy's and torch's one-sided limits
    assert np.all(np.isnan(poles[[2, 3, 5, 6]])) and poles[4] == np.inf


def test_erfc_keeps_the_tail_that_one_minus_erf_loses():
    out = erfc(np.array([0.0, 10.0, -np.inf, np.inf]))
    assert out[0] == 1.0 and out[2] == 2.0 and out[3] == 0.0
    assert np.isclose(out[1], 2.088487583762545e-45, rtol=1e-13)  # 1 - erf(10) is exactly 0 in float64


def test_erfinv_inverts_erf_up_to_the_edges():
    x = np.array([-0.999, -0.3, 1e-30, 0.5, 0.9999999, 1 - 2.0**-24, 1 - 2.0**-52])
    y = erfinv(x)
    back = np.array([math.erf(v) for v in y])
    assert np.allclose(back[:5], x[:5], rtol=1e-14, atol=0)
    assert np.allclose([math.erfc(v) for v in y[5:]], 1 - x[5:], rtol=1e-12)  # the residual near 1, via erfc
    edges = erfinv(np.array([1.0, -1.0, 1.5, -2.0, np.nan, -0.0]))
    assert edges[0] == np.inf and edges[1] == -np.inf and np.all(np.isnan(edges[2:5]))
    assert edges[5] == 0 and np.signbit(edges[5])


def test_logit_and_xlogy_conventions():
    assert np.array_equal(logit(np.array([0.0, 1.0, 0.5])), [-np.inf, np.inf, 0.0])
    assert np.all(np.isnan(logit(np.array([-0.5, 1.5, np.nan]))))
    assert np.isclose(logit(np.array([1e-30]))[0], math.log(1e-30))
    out = xlogy(np.array([0.0, 0.0, 0.0, 2.0, 0.0, 1.0]), np.array([0.0, np.inf, np.nan, np.e, -1.0, 0.0]))
    assert out[0] == 0 and out[1] == 0 and np.isnan(out[2]) and np.isclose(out[3], 2.0)
    assert out[4] == 0 and out[5] == -np.inf  # x == 0 wins over log of a negative; 1 * log 0 = -Inf
