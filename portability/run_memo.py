"""The run memo: a `portability run` repeated with nothing changed reproduces its reports without work.

The result cache spares a re-run every framework call, but the parent still loads the catalog, plans, compares,
classifies and renders some 25 MB of reports, seconds of CPU for the full catalog. When nothing that a report
depends on changed (the catalog files' bytes, portability's own files, the installed framework versions,
Python, the platform, the command line and the cache folder), the reports would be byte for byte the ones the
last such run wrote: the memo stores them (compressed, in the result cache's database) and writes them again.
A reproduced report is the stored one verbatim, its ``generated_at``, ``timing`` and ``summary.tasks`` included;
the terminal says it was reproduced. Only a run that finished without a crash or timeout is stored, and never
with ``--no-cache`` or ``--baseline`` (the baseline file is outside the key).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import zlib
from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_FAULTS = ("crash", "timeout")


def _catalog_files(paths: list[str]) -> list[Path] | None:
    """The files load_catalog reads, found the same way; None where it would fail (it says why)."""
    from portability.spec import DEFAULT_CATALOG

    files: list[Path] = []
    for p in [Path(p) for p in (paths or [DEFAULT_CATALOG])]:
        if p.is_dir():
            files += sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml"))
        elif p.is_file():
            files.append(p)
        else:
            return None
    return files or None


@lru_cache(maxsize=1)
def package_digest() -> str:
    """Every file of the package (a run in this process reads the files as they were when it started)."""
    h = hashlib.sha256()
    for p in sorted(_PACKAGE.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(_PACKAGE)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def key(argv: list[str], catalog: list[str], backends: list[str], cache_dir: str | None) -> str | None:
    """The memo key of this command line, or None when the catalog cannot be read (the run reports why)."""
    from portability.cache import companion_versions, framework_version, module_digest, result_environment

    files = _catalog_files(catalog)
    if files is None:
        return None
    adapters = os.environ.get("PORTABILITY_TEST_ADAPTERS", "")
    slot = hashlib.sha256(json.dumps([argv, os.getcwd(), cache_dir], default=repr).encode()).hexdigest()
    parts = [1, sys.version, platform.platform(), package_digest(),
             [(str(f), hashlib.sha256(f.read_bytes()).hexdigest()) for f in files],
             {b: (framework_version(b), companion_versions(b)) for b in backends}, framework_version("onnxruntime"),
             result_environment(),
             adapters, [module_digest(m.partition("=")[2]) for m in adapters.split(",") if "=" in m]]
    return f"run:{slot}:" + hashlib.sha256(json.dumps(parts, default=repr).encode()).hexdigest()


def lookup(cache, memo_key: str | None) -> dict | None:
    if cache is None or memo_key is None:
        return None
    hit = cache.get_many([memo_key]).get(memo_key)
    if hit is None:
        return None
    return {name: (zlib.decompress(v).decode() if isinstance(v, bytes) else v) for name, v in hit.items()}


def reproduce(hit: dict, paths: list[str]) -> list[str]:
    """Write the stored reports to the same paths (the key holds the command line, so the same paths)."""
    from portability.report.jsonio import write_atomic

    written = []
    for path, text in zip(paths, hit["reports"].split("\0")):
        write_atomic(path, text)
        written.append(path)
    return written


def store(cache, memo_key: str | None, data: dict, targets: list[tuple], written: list[str], summary: str,
          code: int) -> None:
    """Keep this run's reports, read back from their files, when it may be reproduced (see the module doc).
    It replaces the memo of the same command line (in the same folder, with the same cache): one per command."""
    if cache is None or memo_key is None or data.get("interrupted") or len(written) != len(targets):
        return
    if any(data["summary"]["results_by_status"].get(s) for s in _FAULTS):
        return
    texts = [Path(path).read_text(encoding="utf-8") for path, _ in targets]
    tasks = data["summary"].get("tasks") or {}
    cache.delete_prefix(memo_key.rsplit(":", 1)[0] + ":")
    cache.put_many({memo_key: {"reports": zlib.compress("\0".join(texts).encode(), 1), "summary": summary,
                               "code": code, "generated_at": data["environment"].get("generated_at"),
                               "tasks": sum(tasks.values())}})
