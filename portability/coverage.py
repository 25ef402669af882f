"""The op x framework support matrix, read from the catalog alone (no framework imported)."""

from __future__ import annotations

from dataclasses import dataclass

from portability.frameworks import BACKENDS


@dataclass(frozen=True)
class Coverage:
    op: str
    category: str
    summary: str
    implemented: tuple[str, ...]  # backends with at least one API the catalog maps
    apis: dict  # backend -> number of APIs mapped (0 when the catalog records it unsupported)


def coverage(catalog) -> list[Coverage]:
    rows = []
    for op in catalog.ops:
        apis = {b: sum(1 for a in op.apis_for(spec.catalog_key) if not a.unsupported) for b, spec in BACKENDS.items()}
        rows.append(Coverage(op.name, op.category, op.summary, tuple(b for b, n in apis.items() if n), apis))
    return sorted(rows, key=lambda r: (r.category, r.op))
