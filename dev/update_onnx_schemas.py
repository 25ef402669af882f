"""Regenerate portability/frameworks/onnx_schemas.json from the installed onnx.defs.

The loader checks ONNX op types and attribute names against this snapshot, so loading a catalog
never imports onnx (a framework). Run it after upgrading onnx; tests/test_sandbox.py fails while
the snapshot lags the installed onnx.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "portability" / "frameworks" / "onnx_schemas.json"


def snapshot() -> dict:
    """{onnx_version, ops: {OpType: {since_version: [attribute, ...] or null}}} for the default ONNX domain;
    null: the op is deprecated (removed) from that opset on (Upsample-10, Scatter-11)."""
    import onnx
    from onnx import defs

    ops: dict[str, dict[str, list[str] | None]] = {}
    for schema in defs.get_all_schemas_with_history():
        if schema.domain not in ("", "ai.onnx"):
            continue
        ops.setdefault(schema.name, {})[str(schema.since_version)] = (
            None if schema.deprecated else sorted(schema.attributes))
    return {"onnx_version": onnx.__version__,
            "ops": {name: dict(sorted(v.items(), key=lambda kv: int(kv[0]))) for name, v in sorted(ops.items())}}


if __name__ == "__main__":
    OUT.write_text(json.dumps(snapshot(), indent=0, sort_keys=False) + "\n")
    print(f"wrote {OUT}", file=sys.stderr)
