"""ONNX op types and their attributes per opset, from a snapshot of onnx.defs (onnx_schemas.json).

The loader validates ONNX entries against it without importing onnx; ``dev/update_onnx_schemas.py``
regenerates it, and a test fails while it lags the installed onnx.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

DEFAULT_OPSET = 21  # the opset a node is built at unless its catalog entry names one
SNAPSHOT = Path(__file__).resolve().parent / "onnx_schemas.json"


@lru_cache(maxsize=1)
def _ops() -> dict:
    return json.loads(SNAPSHOT.read_text())["ops"]


def op_types() -> set[str]:
    return set(_ops())


def _in_force(op_type: str, opset: int | None) -> str | None:
    """The version of ``op_type`` a node stamped with ``opset`` runs: the newest at or below it."""
    at = [int(v) for v in _ops().get(op_type, {}) if int(v) <= (opset or DEFAULT_OPSET)]
    return str(max(at)) if at else None


def attributes(op_type: str, opset: int | None) -> set[str] | None:
    """The attribute names of ``op_type`` at ``opset`` (the newest version at or below it), or None
    when the op does not exist at that opset (not yet, or deprecated since)."""
    version = _in_force(op_type, opset)
    if version is None or _ops()[op_type][version] is None:
        return None
    return set(_ops()[op_type][version])


@lru_cache(maxsize=1)
def _defaults() -> dict:
    return json.loads(SNAPSHOT.read_text()).get("defaults", {})


def attribute_defaults(op_type: str, opset: int | None) -> dict:
    """The attribute defaults of ``op_type`` at ``opset`` (the newest version at or below it), as the ONNX
    adapter reads them live from onnx.defs: {attribute: value}, empty where none has one."""
    return dict(_defaults().get(op_type, {}).get(_in_force(op_type, opset), {}))


def introduced(op_type: str) -> int | None:
    versions = _ops().get(op_type)
    return min(int(v) for v in versions) if versions else None


def newest_opset() -> int:
    """The newest opset of the snapshot (the installed onnx's onnx_opset_version(), kept current by a test)."""
    return max(int(v) for versions in _ops().values() for v in versions)
