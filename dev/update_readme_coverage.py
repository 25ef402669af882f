"""Regenerate the coverage table in README.md from the bundled catalog (tests check it is current)."""

from pathlib import Path

from portability.coverage import readme_block, replace_readme_block
from portability.spec import load_catalog

if __name__ == "__main__":
    readme = Path(__file__).resolve().parent.parent / "README.md"
    readme.write_text(replace_readme_block(readme.read_text(), readme_block(load_catalog())))
    print("README.md coverage table updated")
