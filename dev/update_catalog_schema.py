"""Write opspecs/catalog.schema.json from portability.catalog_format (the definitions the loader validates with).

    python dev/update_catalog_schema.py          # rewrite it
    python dev/update_catalog_schema.py --check  # exit 1 when the committed file lags the code
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portability.catalog_format import SCHEMA_FILE, catalog_schema  # noqa: E402

TARGET = ROOT / "opspecs" / SCHEMA_FILE
HEADER = f"# yaml-language-server: $schema={SCHEMA_FILE}\n"


def rendered() -> str:
    return json.dumps(catalog_schema(), indent=1, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    if "--check" in argv:
        return 0 if TARGET.exists() and TARGET.read_text() == rendered() else 1
    TARGET.write_text(rendered())
    for f in sorted(TARGET.parent.glob("*.yaml")):  # every file names its schema, for editors
        text = f.read_text()
        if not text.startswith(HEADER):
            f.write_text(HEADER + text)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
