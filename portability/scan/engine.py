"""Paths in, findings out: read every file once, resolve its calls against the catalog, apply the rules.

Reading (parse + names) is the only costly step and is independent per file, so it runs in a pool of
spawned processes when there are many files; everything after it is cheap and stays in this process.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from portability.scan.findings import Finding
from portability.scan.names import FileFacts, read_file
from portability.scan.resolve import FRAMEWORK_ROOTS, Index, framework_of, normalise
from portability.scan.rules import Target, check

POOL_MIN_FILES = 24  # below this, starting processes costs more than it saves
SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", "node_modules", ".mypy_cache"}


@dataclass(frozen=True)
class ScanResult:
    findings: tuple  # Finding, sorted; PT100 included (formats show them with --verbose)
    files: int
    parse_errors: int
    checked_calls: int  # calls resolved to catalog APIs (and checked)
    not_covered: dict  # qualified name -> calls of it the catalog does not cover
    methods_not_taken: int  # catalog-named method calls left alone: the file imports another array library
    sources: dict  # path -> source frameworks (catalog keys) the file was checked as


def python_files(paths: list[str]) -> list[str]:
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                out += [os.path.join(root, f) for f in sorted(files) if f.endswith((".py", ".pyi"))]
        else:
            out.append(str(p))
    return list(dict.fromkeys(out))


def read_all(files: list[str], jobs: int | None = None) -> list[FileFacts]:
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if jobs <= 1 or len(files) < POOL_MIN_FILES:
        return [read_file(f) for f in files]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(jobs, len(files)), mp_context=multiprocessing.get_context("spawn")) as ex:
        return list(ex.map(read_file, files, chunksize=max(1, len(files) // (jobs * 4))))


def detect_sources(imports: frozenset) -> set[str]:
    """The frameworks a file is written in: the deep-learning ones it imports, else NumPy."""
    dl = {FRAMEWORK_ROOTS[r] for r in imports if r in FRAMEWORK_ROOTS and r != "numpy"}
    return dl or ({"numpy"} if "numpy" in imports else set())


def scan(paths: list[str], catalog, targets: tuple[Target, ...], source: str | None = None,
         jobs: int | None = None, recipes=None) -> ScanResult:
    files = python_files(paths)
    facts = read_all(files, jobs)
    exports = {f"{f.module}.{name}": q for f in facts if f.module for name, q in f.exports.items()}
    index = Index(catalog)
    findings: list[Finding] = []
    not_covered: Counter = Counter()
    checked = skipped_methods = errors = 0
    sources_of = {}
    for f in facts:
        if f.error:
            errors += 1
            findings.append(Finding(f.path, f.error_line, f.error_col + 1, f.error_line, f.error_col + 1,
                                    "PT900", f.error))
            continue
        # a name imported from another scanned module counts as an import of what it names there
        imports = f.imports | {_follow(q, exports).split(".", 1)[0] for q in f.exports.values()}
        sources = {source} if source else detect_sources(imports)
        sources_of[f.path] = tuple(sorted(sources))
        mine = []
        for call in f.calls:
            if call.kind == "method":
                if "torch" not in sources or call.method not in index.methods:
                    continue
                if not index.is_tensor_method(call.method, imports):
                    skipped_methods += 1
                    continue
                match = index.match(call, f.path, "")
                if match is None:
                    continue
            else:
                target = normalise(_follow(call.target, exports))
                if framework_of(target) not in sources:
                    continue
                match = index.match(call, f.path, target) if index.covers(target) else None
                if match is None:
                    not_covered[target] += 1
                    why = "not in the catalog" if not index.covers(target) else "no catalog entry fits these arguments"
                    mine.append(Finding(f.path, call.line, call.col + 1, call.end_line, call.end_col + 1, "PT100",
                                        f"{target}: {why}; not checked", api=target, call=target))
                    continue
            checked += 1
            mine += check(match, targets, recipes)
        findings += [x for x in mine if not _ignored(x, f.ignores)]
    findings.sort(key=Finding.sort_key)
    return ScanResult(tuple(findings), len(files), errors, checked, dict(not_covered.most_common()), skipped_methods,
                      sources_of)


def _follow(qualname: str, exports: dict) -> str:
    """A name imported from another scanned module (``from .common import F``) -> what that module bound."""
    for _ in range(6):
        root = qualname.split(".", 1)[0]
        if root in FRAMEWORK_ROOTS or root == "functools":
            return qualname
        parts = qualname.split(".")
        for i in range(len(parts), 0, -1):
            key = ".".join(parts[:i])
            if key in exports and exports[key] != key:
                qualname = ".".join([exports[key], *parts[i:]])
                break
        else:
            return qualname
    return qualname


def _ignored(f: Finding, ignores: dict) -> bool:
    for line in {f.line, f.end_line}:
        if line in ignores and (ignores[line] is None or f.code in ignores[line]):
            return True
    return False


def with_path(f: Finding, path: str) -> Finding:
    return replace(f, path=path)
