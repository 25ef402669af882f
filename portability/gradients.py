"""The float64 reference gradient: central finite differences of the float64 NumPy reference, taken along
the vector-Jacobian product's direction, so it stays cheap and needs no framework.

For one case and one input x, with the case's shared cotangents g_k on the float outputs y_k, the scalar
f(x) = sum_k <g_k, y_k(x)> has gradient VJP(x) = J(x)^T g, the quantity every framework computes. Along a
direction d, <VJP, d> is f's directional derivative, which central differences give from a few reference
evaluations:

- **directions**: an input of at most ``SMALL`` elements is differenced element by element (the unit
  directions: the full reference gradient); a larger one along ``DIRECTIONS`` seeded normal directions.
  A framework's gradient v is then checked through <v, d_j> (portability.compare.gradient_metrics).
- **step** per case dtype (``STEP``), Richardson-extrapolated from h, h/2 and h/4: the O(h^2) and O(h^4)
  truncation errors cancel; the change between the two first-level extrapolations estimates the error left
  (which widens the tolerance). Where it alone exceeds the tolerance, or halving the step changes the
  differences more the second time than the first (a smooth function's error shrinks 4x; a jump in f
  grows them as 1/h), the differences do not converge: a jump (hard_shrink at lambda) or a feature below
  the step (x / max(|x|, 1e-12) at 0).
- **kinks**: along each direction the second differences give a jump estimate
  J = (4 * delta2(h/2) - delta2(h)) / h (delta2 the second difference), which is O(h^3) for a smooth f
  and the jump of the directional derivative at a kink, tie or singular point (relu or abs at 0, max of
  equal values, the norm of a zero vector). Where J exceeds what rounding and the comparison tolerance
  allow, or the reference is not finite within a step of x (log or sqrt at 0, NaN inputs), the reference
  says the function is not differentiable here, and gradients are compared between frameworks only.

Pure NumPy; nothing here imports a framework.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from portability.inputs import input_seed

SMALL = 8  # inputs of at most this many elements are differenced element by element
DIRECTIONS = 2  # seeded random directions for larger inputs
STEP = {"float64": 1e-4, "float32": 1e-3, "float16": 1e-2, "bfloat16": 1e-2}  # absolute step along a direction
EPS64 = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class GradientReference:
    """The reference's view of one (case, input): directional derivatives, or why there are none."""

    wrt: str
    directions: np.ndarray | None  # (m, *shape) float64: unit vectors for small inputs, else seeded normals
    values: np.ndarray | None  # (m,) directional derivatives <VJP, d_j> (Richardson-extrapolated)
    errors: np.ndarray | None  # (m,) their finite-difference error estimates (truncation and rounding)
    jumps: np.ndarray | None  # (m,) one-sided derivative jump estimates: ~0 where f is smooth
    step: float
    reason: str = ""  # set when the reference gives no values: not differentiable or not finite here

    @property
    def differentiable(self) -> bool:
        return self.values is not None


def directions(shape, wrt: str, seed: int, op: str, case: str) -> np.ndarray:
    """The directions the reference differences ``wrt`` along (same seed, same directions)."""
    n = int(np.prod(shape))
    if n <= SMALL:
        return np.eye(n).reshape((n, *shape))
    rng = np.random.default_rng(input_seed(seed, op, case, f"direction:{wrt}"))
    return rng.normal(size=(DIRECTIONS, *shape))


def reference_gradient(fn, arrays: dict, wrt: str, cotangents: list, dtype: str, tol, seed: int, op: str,
                       case: str) -> GradientReference:
    """Finite differences of ``fn`` (float64 arrays -> list of outputs) with respect to input ``wrt``.

    ``cotangents`` has one array per output, None for outputs that are not differentiated (index outputs);
    ``tol`` is the gradient comparison's tolerance (portability.compare.gradient_tolerance): a kink whose
    jump it would absorb anyway does not count."""
    h = STEP.get(dtype, STEP["float32"])
    x = np.asarray(arrays[wrt], dtype=np.float64)
    dirs = directions(x.shape, wrt, seed, op, case)

    def f(point) -> float:
        outs = fn({**arrays, wrt: point})
        with np.errstate(all="ignore"):
            return float(sum(np.sum(np.asarray(g, dtype=np.float64) * np.asarray(y, dtype=np.float64))
                             for g, y in zip(cotangents, outs) if g is not None))

    f0 = f(x)
    if not np.isfinite(f0):
        return GradientReference(wrt, dirs, None, None, None, h, "the reference's outputs are not finite here")
    values, errors, jumps, drifts = [], [], [], []
    for d in dirs:
        at = [(f(x + t * d), f(x - t * d)) for t in (h, h / 2, h / 4)]
        if not all(np.isfinite(v) for pair in at for v in pair):
            return GradientReference(wrt, dirs, None, None, None, h,
                                     f"the reference is not finite within a step ({h:g}) of this input: "
                                     "a singular point")
        d1, d2, d3 = ((fp - fm) / (2 * t) for (fp, fm), t in zip(at, (h, h / 2, h / 4)))
        r1, r2 = (4 * d2 - d1) / 3, (4 * d3 - d2) / 3  # Richardson: the h^2 error term cancels
        rounding = 16 * EPS64 * (abs(f0) + sum(abs(v) for pair in at for v in pair)) / h
        values.append((16 * r2 - r1) / 15)  # and the h^4 one
        errors.append(abs(r2 - r1) / 15 + rounding)
        # Halving the step shrinks a smooth function's error 4x; where the differences change more the
        # second time than the first, they do not converge (a jump in f itself grows them as 1/h)
        diverging = abs(d3 - d2) > max(0.5 * abs(d2 - d1), 8 * rounding)
        drifts.append(np.inf if diverging else abs(r2 - r1))
        (fp, fm), (fp2, fm2) = at[0], at[1]
        jump = abs(4 * (fp2 - 2 * f0 + fm2) - (fp - 2 * f0 + fm)) / h
        jumps.append(jump if jump > 8 * rounding else 0.0)  # below rounding: no evidence of a kink
    values, jumps, drifts = np.array(values), np.array(jumps), np.array(drifts)
    allowance = _allowance(values, dirs, tol)
    kink_allowance = _allowance(values, dirs, _kink_tolerance(tol, dtype))
    for j in range(len(dirs)):
        along = f"element {np.unravel_index(j, x.shape)}" if len(dirs) == x.size else f"direction {j}"
        why = None
        if jumps[j] > kink_allowance[j]:
            why = f"the one-sided derivatives differ by {jumps[j]:.3g} (a kink, tie or singular point)"
        elif drifts[j] > allowance[j]:
            why = f"the differences do not converge as the step shrinks (a jump, or a feature below {h:g})"
        if why:
            return GradientReference(wrt, dirs, None, None, jumps, h, f"not differentiable here: along {along} {why}")
    return GradientReference(wrt, dirs, values, np.array(errors), jumps, h)


def _kink_tolerance(tol, dtype: str):
    """The tolerance a kink's jump is judged against: float32's relative tolerance for a half-precision case.
    The jump is a property of the float64 reference at the (rounded) input, not of the case's rounding, and
    half precision's wide tolerance would absorb real ties: at a tie of top_k the frameworks' index order picks
    a permutation whose directional derivative need not lie between the one-sided ones, so a jump the bfloat16
    tolerance absorbs still leaves them far from the central difference (topk on ties@bfloat16)."""
    from dataclasses import replace

    from portability.compare import LOW_PRECISION, TOLERANCES

    if dtype not in LOW_PRECISION:
        return tol
    return replace(tol, rtol=tol.rtol * TOLERANCES["float32"].rtol / TOLERANCES[dtype].rtol)


def _allowance(values: np.ndarray, dirs: np.ndarray, tol) -> np.ndarray:
    """The comparison's allowance per direction (portability.compare.direction_allowance), estimated from the
    reference alone: exact for unit directions (the values are the gradient), and from the gradient's size
    for random ones (E <v, d>^2 = |v|^2 for normal d, and mean |v_i| <= |v| / sqrt(n))."""
    from portability.compare import direction_allowance

    n = dirs[0].size
    if len(dirs) == n and n <= SMALL:
        return direction_allowance(values.reshape(dirs.shape[1:]), dirs, tol)
    scale = float(np.sqrt(np.mean(values ** 2)) / np.sqrt(n))
    return direction_allowance(np.full(dirs.shape[1:], scale), dirs, tol)
