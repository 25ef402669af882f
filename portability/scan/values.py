"""Canonical values <-> a framework's literals, through the catalog's parameter mappings (no framework)."""

from __future__ import annotations

from portability.hazards import _same
from portability.plan import framework_value, mapped_value
from portability.transforms import VALUE_KINDS, Ctx, needs_of

UNKNOWN = object()  # a literal no canonical value maps to


def case_ctx(op, params: dict | None = None) -> Ctx:
    """The Ctx transforms read: the op's first case, with the call's values laid over its params."""
    return Ctx(dict(op.cases[0].params) | (params or {}), {i.name: i.shape for i in op.cases[0].inputs})


def known_values(op, p: str) -> list:
    """Every canonical value the catalog names for one parameter: cases, values maps, defaults, fixed."""
    out = [c.params.get(p) for c in op.cases]
    for a in op.apis:
        m = a.params.get(p)
        if m is not None and m.values:
            out += list(m.values)
        out += [a.defaults[p]] if p in a.defaults else []
        out += [a.fixed[p]] if p in a.fixed else []
    return out


def canonical_of(op, api, p: str, literal, ctx: Ctx):
    """The canonical value a framework literal stands for: the candidate whose mapping gives it back
    (Keras momentum=0.9 -> 0.1 through one_minus; torch approximate='tanh' -> True); UNKNOWN if none."""
    amap = api.params[p]
    cands = [literal]
    if amap.values:
        cands = [k for k, fw in amap.values.items() if equivalent(fw, literal)] + cands
    if amap.transform:
        try:
            cands.append(framework_value(type(amap)(None, amap.transform), literal, ctx))
        except Exception:  # noqa: BLE001 - a transform that cannot take the literal: not a candidate
            pass
    for c in cands + known_values(op, p):
        try:
            fw = framework_value(amap, c, ctx)
        except Exception:  # noqa: BLE001 - idem
            continue
        if equivalent(fw, literal) and valid(op, p, c):
            return c
    return UNKNOWN


def valid(op, p: str, value) -> bool:
    """Whether a value is of the kind every transform of this parameter declares it takes (a resize
    ``size`` is a list: interpolate's ``output_size=1`` is not one)."""
    for a in op.apis:
        m = a.params.get(p)
        if m is None or not m.transform:
            continue
        v = mapped_value(m.values, value)
        if not VALUE_KINDS[needs_of(m.transform).value](v):
            return False
    return True


def equivalent(fw, literal) -> bool:
    """A framework value and a literal that mean the same (padding=1 is (1, 1); "SAME" is "same")."""
    if isinstance(fw, (list, tuple)) and not isinstance(literal, (list, tuple)):
        return len(fw) > 0 and all(_same(x, literal) for x in fw)
    if isinstance(fw, str) and isinstance(literal, str):
        return fw.lower() == literal.lower()
    if isinstance(fw, (list, tuple)) and isinstance(literal, (list, tuple)):
        return len(fw) == len(literal) and all(equivalent(x, y) for x, y in zip(fw, literal))
    return _same(fw, literal)


def same(a, b) -> bool:
    return _same(a, b)
