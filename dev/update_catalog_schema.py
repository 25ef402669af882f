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


GUIDE = ROOT / "dev" / "CATALOG_GUIDE.md"
BEGIN, END = "<!-- reference:begin (written by dev/update_catalog_schema.py) -->", "<!-- reference:end -->"


def _first_line(doc: str | None) -> str:
    text = " ".join((doc or "").split())
    return text.split(". ")[0].rstrip(".") if text else ""


def guide_reference() -> str:
    """The names an entry may use, with what each does: generated, so the guide never lags the code."""
    from portability.array_transforms import ARRAY_TRANSFORMS
    from portability.hazards import HAZARD_KINDS
    from portability.inputs import GENERATORS
    from portability.transforms import TRANSFORMS, needs_of

    lines = [BEGIN, "", "## Reference: the names an entry may use", "",
             "**Generators** (`inputs.NAME.generator`, options under `options`):", ""]
    lines += [f"- `{n}`: {g.doc}" for n, g in GENERATORS.items()]
    lines += ["", "**Value transforms** (`params: {p: {name: ARG, transform: T}}`; reads: what the case must have):", ""]
    for n, fn in sorted(TRANSFORMS.items()):
        need = needs_of(n)
        reads = "; reads " + ", ".join(" or ".join(a) for a in need.requires) if need.requires else ""
        lines.append(f"- `{n}`: {_first_line(fn.__doc__) or '(see portability/transforms.py)'}{reads}")
    lines += ["", "**Array transforms** (`derive: {new: {transform: T, inputs: [...]}}`):", ""]
    lines += [f"- `{n}`: {_first_line(fn.__doc__)}" for n, fn in sorted(ARRAY_TRANSFORMS.items())]
    lines += ["", "**Hazard kinds** (`known.kind`): " + ", ".join(f"`{k}`" for k in HAZARD_KINDS), "", END]
    return "\n".join(lines)


def rendered_guide() -> str:
    text = GUIDE.read_text()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return head + guide_reference() + tail


def main(argv: list[str]) -> int:
    if "--check" in argv:
        return 0 if TARGET.exists() and TARGET.read_text() == rendered() and GUIDE.read_text() == rendered_guide() else 1
    TARGET.write_text(rendered())
    GUIDE.write_text(rendered_guide())
    for f in sorted(TARGET.parent.glob("*.yaml")):  # every file names its schema, for editors
        text = f.read_text()
        if not text.startswith(HEADER):
            f.write_text(HEADER + text)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
