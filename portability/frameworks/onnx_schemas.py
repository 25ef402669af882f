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


def attributes(op_type: str, opset: int | None) -> set[str] | None:
    """The attribute names of ``op_type`` at ``opset`` (the newest version at or below it), or None
    when the op does not exist at that opset (not yet, or deprecated since)."""
    versions = _ops().get(op_type, {})
    at = [int(v) for v in versions if int(v) <= (opset or DEFAULT_OPSET)]
    if not at or versions[str(max(at))] is None:
        return None
    return set(versions[str(max(at))])


@lru_cache(maxsize=1)
def _defaults() -> dict:
    return json.loads(SNAPSHOT.read_text()).get("defaults", {})


def attribute_defaults(op_type: str, opset: int | None) -> dict:
    """The attribute defaults of ``op_type`` at ``opset`` (the newest version at or below it), as the ONNX
    adapter reads them live from onnx.defs: {attribute: value}, empty where none has one."""
    versions = _defaults().get(op_type, {})
    at = [int(v) for v in versions if int(v) <= (opset or DEFAULT_OPSET)]
    newest_at = max((int(v) for v in _ops().get(op_type, {}) if int(v) <= (opset or DEFAULT_OPSET)), default=None)
    if not at or newest_at is None or max(at) != newest_at:  # the version in force has no default at all
        return {}
    return dict(versions[str(max(at))])


def introduced(op_type: str) -> int | None:
    versions = _ops().get(op_type)
    return min(int(v) for v in versions) if versions else None


def newest_opset() -> int:
    """The newest opset of the snapshot (the installed onnx's onnx_opset_version(), kept current by a test)."""
    return max(int(v) for versions in _ops().values() for v in versions)
