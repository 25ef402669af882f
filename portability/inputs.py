"""Named, seeded input generators: one set of arrays per case, handed bit-identical to every framework.

Each input draws from its own stream, seeded by (run seed, crc32 of op/case/input), so adding a
case or an op never changes the inputs of another, and a repro snippet can rebuild them alone.
"""

from __future__ import annotations

import inspect
import math
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Generator:
    draw: Callable  # (rng, shape, **options) -> float64 or int64 array
    doc: str
    code: Callable  # (shape, **options) -> lines of standalone NumPy that assign `v` from `rng`


def literal(value) -> str:
    """Python source for a plain value; NaN and infinities as float('nan') / float('inf'), which a bare
    repr would print as an undefined name. A NaN keeps its sign bit (-float('nan')): YAML's `.nan` and x86's
    0/0 are negative NaNs, and XLA's sort and top_k order NaN by that bit."""
    if isinstance(value, float) and value != value:
        return "-float('nan')" if math.copysign(1.0, value) < 0 else "float('nan')"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return f"float({repr(value)!r})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


# Each generator is a pair: the draw, and the same draw as standalone NumPy lines for repro snippets
# (tests/test_inputs.py checks that every pair rebuilds identical bits).


def _normal(rng, shape, loc=0.0, scale=1.0):
    return rng.normal(loc, scale, size=shape)


def _normal_code(shape, loc=0.0, scale=1.0):
    return [f"v = rng.normal({literal(loc)}, {literal(scale)}, size={shape})"]


def _uniform(rng, shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape)


def _uniform_code(shape, low=-1.0, high=1.0):
    return [f"v = rng.uniform({literal(low)}, {literal(high)}, size={shape})"]


def _positive(rng, shape, low=0.1, high=2.0):
    return rng.uniform(low, high, size=shape)


def _positive_code(shape, low=0.1, high=2.0):
    return _uniform_code(shape, low, high)


def _integers(rng, shape, low=-10, high=10):
    return rng.integers(low, high, size=shape, endpoint=True)


def _integers_code(shape, low=-10, high=10):
    return [f"v = rng.integers({literal(low)}, {literal(high)}, size={shape}, endpoint=True)"]


def _ties(rng, shape, values=(-1.0, 0.0, 1.0, 2.0)):
    return rng.choice(np.asarray(values, dtype=np.float64), size=shape)


def _ties_code(shape, values=(-1.0, 0.0, 1.0, 2.0)):
    return [f"v = rng.choice(np.asarray({literal(list(values))}, dtype=np.float64), size={shape})"]


def _halves(rng, shape, low=-4, high=4):
    return rng.integers(low, high, size=shape, endpoint=True) + 0.5 * rng.choice([-1.0, 0.0, 1.0], size=shape)


def _halves_code(shape, low=-4, high=4):
    return [f"v = rng.integers({literal(low)}, {literal(high)}, size={shape}, endpoint=True)"
            f" + 0.5 * rng.choice([-1.0, 0.0, 1.0], size={shape})"]


def _special(rng, shape, fraction=0.2):
    x = rng.normal(0.0, 1.0, size=shape)
    flat = x.reshape(-1)
    specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0])
    n = max(len(specials), int(fraction * flat.size))
    where = rng.choice(flat.size, size=min(n, flat.size), replace=False)
    flat[where] = specials[np.arange(where.size) % len(specials)]
    return x


def _special_code(shape, fraction=0.2):
    return [
        f"v = rng.normal(0.0, 1.0, size={shape})",
        "specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0])",
        f"n = min(max(len(specials), int({literal(fraction)} * v.size)), v.size)",
        "where = rng.choice(v.size, size=n, replace=False)",
        "v.reshape(-1)[where] = specials[np.arange(n) % len(specials)]",
    ]


def _arange(rng, shape, start=0.0, step=1.0):
    return start + step * np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)


def _arange_code(shape, start=0.0, step=1.0):
    return [f"v = {literal(start)} + {literal(step)} * np.arange({int(np.prod(shape))}, dtype=np.float64).reshape({shape})"]


def _constant(rng, shape, value=1.0):
    return np.full(shape, value, dtype=np.float64)


def _constant_code(shape, value=1.0):
    return [f"v = np.full({shape}, {literal(value)}, dtype=np.float64)"]


def _wide(rng, shape, low=-30.0, high=30.0):
    """Magnitudes where exp/softplus/sigmoid saturate."""
    return rng.uniform(low, high, size=shape)


def _wide_code(shape, low=-30.0, high=30.0):
    return _uniform_code(shape, low, high)


def _kinks(rng, shape, values=(0.0,), fraction=0.25, scale=1.0):
    """Normal, with a fraction of the elements exactly at the given points (the kinks and bounds of a
    piecewise function: 0 for relu and abs, 6 for relu6, the clip bounds), where frameworks choose a
    subgradient. At least one element of each value."""
    x = rng.normal(0.0, scale, size=shape)
    flat = x.reshape(-1)
    points = np.asarray(values, dtype=np.float64)
    n = min(max(len(points), int(fraction * flat.size)), flat.size)
    where = rng.choice(flat.size, size=n, replace=False)
    flat[where] = points[np.arange(n) % len(points)]
    return x


def _kinks_code(shape, values=(0.0,), fraction=0.25, scale=1.0):
    return [
        f"v = rng.normal(0.0, {literal(scale)}, size={shape})",
        f"points = np.asarray({literal(list(values))}, dtype=np.float64)",
        f"n = min(max(len(points), int({literal(fraction)} * v.size)), v.size)",
        "where = rng.choice(v.size, size=n, replace=False)",
        "v.reshape(-1)[where] = points[np.arange(n) % len(points)]",
    ]


GENERATORS: dict[str, Generator] = {
    "normal": Generator(_normal, "normal(loc=0, scale=1)", _normal_code),
    "uniform": Generator(_uniform, "uniform in [low=-1, high=1)", _uniform_code),
    "positive": Generator(_positive, "uniform in [low=0.1, high=2): variances, scales, sqrt/log inputs",
                          _positive_code),
    "integers": Generator(_integers, "integers in [low=-10, high=10]", _integers_code),
    "ties": Generator(_ties, "values drawn from a small set (ties for argmax/topk/sort)", _ties_code),
    "halves": Generator(_halves, "integers and exact halves (rounding)", _halves_code),
    "special": Generator(_special, "normal with NaN, +Inf, -Inf, +0 and -0 sprinkled in", _special_code),
    "arange": Generator(_arange, "0, 1, 2, ... in row-major order", _arange_code),
    "constant": Generator(_constant, "every element equal to value", _constant_code),
    "wide": Generator(_wide, "uniform in [-30, 30): saturating magnitudes", _wide_code),
    "kinks": Generator(_kinks, "normal(scale=1) with a fraction (0.25) of elements exactly at values (0): kinks, "
                       "bounds", _kinks_code),
}


def option_problem(generator: str, options: dict) -> str | None:
    """Why these options cannot drive this generator (the loader's check), or None.

    Each option must be a keyword of the generator's draw, of the kind its default has (a number,
    or a list of numbers), and a range must not be reversed."""
    params = inspect.signature(GENERATORS[generator].draw).parameters
    allowed = {n: p.default for n, p in params.items() if n not in ("rng", "shape")}
    for name, value in options.items():
        if name not in allowed:
            return f"generator {literal(generator)} has no option {literal(name)} (options: {', '.join(allowed) or 'none'})"
        default = allowed[name]
        if isinstance(default, tuple):
            ok = isinstance(value, list) and value and all(_number(v) for v in value)
        else:
            ok = _number(value) and (not isinstance(default, int) or isinstance(value, int))
        if not ok:
            kind = "a non-empty list of numbers" if isinstance(default, tuple) else type(default).__name__
            return f"option {literal(name)} of generator {literal(generator)} must be {kind}, got {literal(value)}"
        if not math.isfinite(value if _number(value) else 0.0):
            return f"option {literal(name)} of generator {literal(generator)} must be finite, got {literal(value)}"
    merged = allowed | options
    if "low" in merged and "high" in merged and not merged["low"] <= merged["high"]:
        return f"generator {literal(generator)} needs low <= high, got low={merged['low']!r}, high={merged['high']!r}"
    if "fraction" in merged and not 0.0 <= merged["fraction"] <= 1.0:
        return f"option 'fraction' of generator {literal(generator)} must lie in [0, 1], got {merged['fraction']!r}"
    return None


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def input_seed(seed: int, op: str, case: str, name: str) -> list[int]:
    return [seed, zlib.crc32(f"{op}/{case}/{name}".encode())]


def make_input(spec, seed: int, op: str, case: str) -> np.ndarray:
    """The exact array every framework receives (already cast to the input's dtype)."""
    rng = np.random.default_rng(input_seed(seed, op, case, spec.name))
    raw = GENERATORS[spec.generator].draw(rng, tuple(spec.shape), **spec.options)
    return cast(raw, spec.dtype)


def cast(values: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "bfloat16":
        import ml_dtypes  # ships with jax and tensorflow; needed only for bfloat16 cases

        return np.asarray(values).astype(ml_dtypes.bfloat16)
    return np.asarray(values).astype(dtype)


def make_inputs(case, seed: int, op: str) -> dict[str, np.ndarray]:
    return {spec.name: make_input(spec, seed, op, case.name) for spec in case.inputs}


def cotangent(shape, dtype: str, seed: int, op: str, case: str, output: int) -> np.ndarray:
    """The cotangent of one output of a case, shared by every framework's backward pass: normal(0, 1) from
    its own stream (the seed of an input named `cotangent:<output>`), in the case's dtype."""
    rng = np.random.default_rng(input_seed(seed, op, case, f"cotangent:{output}"))
    return cast(rng.normal(0.0, 1.0, size=tuple(shape)), dtype)


def cotangent_snippet(name: str, shape, dtype: str, seed: int, op: str, case: str, output: int) -> list[str]:
    """Standalone NumPy lines that rebuild ``cotangent`` bit for bit, as ``name``."""
    cast_to = "ml_dtypes.bfloat16" if dtype == "bfloat16" else f"np.{dtype}"
    return [f"rng = np.random.default_rng({input_seed(seed, op, case, f'cotangent:{output}')})",
            f"{name} = rng.normal(0.0, 1.0, size={tuple(shape)}).astype({cast_to})"]


def summarize(array: np.ndarray) -> dict:
    """Shape, dtype and value range of an input, for the report."""
    a = np.asarray(array)
    summary = {"shape": list(a.shape), "dtype": str(a.dtype)}
    if a.size:
        f = a.astype(np.float64)
        finite = f[np.isfinite(f)]
        summary |= {
            "min": float(finite.min()) if finite.size else None,
            "max": float(finite.max()) if finite.size else None,
            "nan": int(np.isnan(f).sum()),
            "inf": int(np.isinf(f).sum()),
        }
    return summary


def snippet(spec, seed: int, op: str, case: str) -> list[str]:
    """Standalone NumPy lines that rebuild this input bit for bit (for repro snippets)."""
    rng = f"rng = np.random.default_rng({input_seed(seed, op, case, spec.name)})"
    lines = [rng, *GENERATORS[spec.generator].code(tuple(spec.shape), **spec.options)]
    if spec.dtype == "bfloat16":
        lines.append(f"{spec.name} = v.astype(ml_dtypes.bfloat16)")
    else:
        lines.append(f"{spec.name} = v.astype(np.{spec.dtype})")
    return lines
