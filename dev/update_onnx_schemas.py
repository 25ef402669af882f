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
    """{onnx_version, ops: {OpType: {since_version: [attribute, ...] or null}}, defaults: {OpType:
    {since_version: {attribute: default}}}} for the default ONNX domain; null: the op is deprecated (removed)
    from that opset on (Upsample-10, Scatter-11). A default is read as the ONNX adapter's live_default reads it
    (strings decoded); one that is no plain value (a tensor) is left out."""
    import onnx
    from onnx import defs, helper

    ops: dict[str, dict[str, list[str] | None]] = {}
    defaults: dict[str, dict[str, dict]] = {}
    for schema in defs.get_all_schemas_with_history():
        if schema.domain not in ("", "ai.onnx"):
            continue
        version = str(schema.since_version)
        ops.setdefault(schema.name, {})[version] = None if schema.deprecated else sorted(schema.attributes)
        found = {}
        for name, attr in sorted(schema.attributes.items()):
            if attr.default_value.name:
                value = helper.get_attribute_value(attr.default_value)
                value = value.decode() if isinstance(value, bytes) else value
                value = [v.decode() if isinstance(v, bytes) else v for v in value] if isinstance(value, list) else value
                if isinstance(value, (int, float, str, list)):
                    found[name] = value
        if found and not schema.deprecated:
            defaults.setdefault(schema.name, {})[version] = found
    def ordered(d):
        return {name: dict(sorted(v.items(), key=lambda kv: int(kv[0]))) for name, v in sorted(d.items())}

    return {"onnx_version": onnx.__version__, "ops": ordered(ops), "defaults": ordered(defaults)}


if __name__ == "__main__":
    OUT.write_text(json.dumps(snapshot(), indent=0, sort_keys=False) + "\n")
    print(f"wrote {OUT}", file=sys.stderr)
