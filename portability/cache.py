"""The result cache: one executed task's outcome, stored under a key that covers everything it depends on.

A re-run of what did not change then starts no worker and imports no framework: the parent looks every task
up before it dispatches any, and recomputes hazards, recipes and reports from the cached results (they are
cheap). The store is the standard library's SQLite in WAL mode: tox runs environments in parallel against
one cache folder, and a run killed mid-write leaves the last committed state, never a torn file.

A task's key (``TaskKeys.task``) is content-addressed. It covers
  - the op's entry as loaded (every field but ``known``, the file path and the other cases: editing a known
    record changes only the classification, which is recomputed anyway),
  - the code of the reference function and of every value and array transform the entry names, and the
    helpers they call (compiled code, so moving a function in its file changes nothing),
  - the case (with a sweep's dtype), seed, mode, pass, API label with its ONNX opset, a recipe's variant,
    and the worker threads,
  - the framework's exact installed version (importlib.metadata, never an import) and its companions' (Keras,
    jaxlib, onnx: COMPANIONS), the adapter module, NumPy's version (the reference runs in NumPy), Python's
    version, the CPU architecture and the environment variables that change results (RESULT_ENV),
    portability's version and a digest of the engine (the modules that plan, execute and compare a call).
Only outcomes that say something about the call are stored (ok, unsupported, error): a crash, a timeout or a
missing framework is a fact about that machine at that moment, and runs again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pickle
import platform
import sqlite3
import time
import types
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

CACHE_ENV = "PORTABILITY_CACHE_DIR"
DB_NAME = "results.sqlite3"
CACHEABLE = frozenset({"ok", "unsupported", "error"})  # outcome statuses worth keeping
_FORMAT = 1  # bump when what a stored value holds changes
_CHUNK = 500  # keys per SELECT: under SQLite's bound-parameter limit
_LOCK_WAIT_S = 60.0  # how long a run waits for another run's write
_PACKAGE = Path(__file__).resolve().parent
# Modules whose code decides what a call computes and how it is compared. Presentation (reports, hazards,
# explain, the CLI), the pairwise comparison of outcomes and orchestration (runner) are left out: they are
# recomputed on every run or change nothing.
# transforms, array_transforms and reference are digested per function, so an edit re-runs only its users.
_ENGINE_SKIP = {"cli.py", "hazards.py", "matrix.py", "explain.py", "coverage.py", "pytest_plugin.py", "repro.py",
                "runner.py", "cache.py", "shards.py", "lazy_pool.py", "reuse.py", "run_memo.py", "transforms.py",
                "array_transforms.py", "cells.py", "errors.py", "__main__.py", "pairwise.py"}


def default_dir() -> str:
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "portability")


def resolve_dir(explicit: str | None) -> str | None:
    """The cache folder: ``--cache-dir``, else $PORTABILITY_CACHE_DIR, else ~/.cache/portability
    ($XDG_CACHE_HOME respected); an empty string turns the on-disk caches off (None)."""
    if explicit is None:
        explicit = os.environ.get(CACHE_ENV)
    if explicit is None:
        return default_dir()
    return explicit or None


def dumps(value) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _retry_locked(step, wait_s: float | None = None) -> None:
    """Run ``step`` until SQLite stops answering "locked"/"busy" without waiting, for up to ``wait_s``."""
    deadline = time.monotonic() + (_LOCK_WAIT_S if wait_s is None else wait_s)
    pause = 0.005
    while True:
        try:
            return step()
        except sqlite3.OperationalError as e:
            if not any(w in str(e) for w in ("locked", "busy")) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.25)


class ResultCache:
    """Key -> pickled value in one SQLite file. Values are pickles: the cache folder is the user's own, like
    a pip or JAX cache; never point it at a folder others can write."""

    def __init__(self, folder: str):
        Path(folder).mkdir(parents=True, exist_ok=True)
        self.path = os.path.join(folder, DB_NAME)
        self.db = sqlite3.connect(self.path, timeout=_LOCK_WAIT_S, isolation_level=None, check_same_thread=False)
        _retry_locked(self._set_up)

    def _set_up(self) -> None:
        # WAL is a property of the file, so only the first opener switches to it. That switch (and the first
        # CREATE TABLE) upgrades a shared lock to an exclusive one; when two runs open a new cache at the same
        # moment, SQLite answers "database is locked" at once instead of waiting (waiting could deadlock), so
        # the caller retries.
        if self.db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a crash loses at most the last commit
        self.db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value BLOB NOT NULL)")

    def get_many(self, keys) -> dict:
        keys = list(dict.fromkeys(keys))
        found = {}
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i:i + _CHUNK]
            rows = self.db.execute(f"SELECT key, value FROM results WHERE key IN ({','.join('?' * len(chunk))})",
                                   chunk)
            for key, value in rows:
                try:
                    found[key] = pickle.loads(value)
                except Exception:  # written by another version of a record class: a miss, overwritten later
                    continue
        return found

    def put_many(self, items: dict) -> None:
        """One transaction: a concurrent run waits for the lock (up to a minute), a killed one commits nothing."""
        self.put_rows([(k, dumps(v)) for k, v in items.items()])

    def put_rows(self, rows: list[tuple[str, bytes]]) -> None:
        """``put_many`` of values already pickled by ``dumps`` (a run pickles each outcome as it arrives)."""
        if not rows:
            return
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("INSERT OR REPLACE INTO results (key, value) VALUES (?, ?)", rows)

    def delete_prefix(self, prefix: str) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM results WHERE substr(key, 1, ?) = ?", (len(prefix), prefix))

    def has_entries(self) -> bool:
        return self.db.execute("SELECT 1 FROM results LIMIT 1").fetchone() is not None

    def info(self) -> dict:
        n = self.db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        size = sum(os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p))
        return {"path": self.path, "entries": n, "bytes": size}

    def clear(self) -> int:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            n = self.db.execute("DELETE FROM results").rowcount
        self.db.execute("VACUUM")
        return n

    def close(self) -> None:
        self.db.close()


# ---- keys ---------------------------------------------------------------------------------------------------

def _sha(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, default=repr, separators=(",", ":")).encode()).hexdigest()


def _code_bytes(code: types.CodeType, out: list) -> None:
    out += [code.co_name, code.co_code, repr(code.co_names), repr(code.co_varnames)]
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            _code_bytes(c, out)
        else:
            out.append(repr(c))


def function_digest(fn) -> str:
    """The compiled code of ``fn`` and of every portability function it calls by a global name, transitively
    (a reference's private helpers count; line numbers do not)."""
    seen, parts, todo = set(), [], [fn]
    while todo:
        f = todo.pop()
        f = getattr(f, "__wrapped__", f)
        code = getattr(f, "__code__", None)
        if code is None or id(f) in seen:
            continue
        seen.add(id(f))
        _code_bytes(code, parts)
        names = set(code.co_names)
        stack = [code]
        while stack:
            c = stack.pop()
            names.update(c.co_names)
            stack += [k for k in c.co_consts if isinstance(k, types.CodeType)]
        for name in sorted(names):
            g = f.__globals__.get(name)
            if isinstance(g, types.FunctionType) and g.__module__.startswith("portability."):
                todo.append(g)
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@lru_cache(maxsize=1)
def engine_digest() -> str:
    """The engine's source files (see _ENGINE_SKIP for what is left out) and the adapters."""
    h = hashlib.sha256()
    files = [p for p in sorted(_PACKAGE.glob("*.py")) if p.name not in _ENGINE_SKIP]
    files += sorted(p for p in (_PACKAGE / "frameworks").iterdir() if p.suffix in (".py", ".json"))
    for p in files:
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


@lru_cache(maxsize=None)
def module_digest(module: str) -> str:
    """An adapter module's file, found without importing it (a test adapter lives outside the package)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    origin = getattr(spec, "origin", None)
    if not origin or not os.path.exists(origin):
        return "missing"
    return hashlib.sha256(Path(origin).read_bytes()).hexdigest()


# Distributions besides a backend's own whose version changes what its calls compute (Keras 3 is its own
# package; jaxlib holds JAX's kernels; the ONNX Runtime backend builds its models with onnx).
COMPANIONS = {"tensorflow": ("keras", "tf_keras"), "jax": ("jaxlib",), "onnxruntime": ("onnx",)}
# Environment variables the workers' frameworks read that change results (devices, precision, kernels).
RESULT_ENV = ("KERAS_BACKEND", "JAX_PLATFORMS", "JAX_ENABLE_X64", "XLA_FLAGS", "CUDA_VISIBLE_DEVICES",
              "TF_ENABLE_ONEDNN_OPTS", "NVIDIA_TF32_OVERRIDE", "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE")


def companion_versions(backend: str) -> dict:
    from importlib import metadata

    out = {}
    for dist in COMPANIONS.get(backend, ()):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def result_environment() -> dict:
    return {k: os.environ.get(k) for k in RESULT_ENV} | {"machine": platform.machine()}


def framework_version(backend: str) -> str | None:
    """The installed version of a backend's framework, from package metadata (no import). Tests replace
    this to fake an upgrade."""
    from portability.frameworks import BACKENDS, installed_version

    return installed_version(backend) if backend in BACKENDS else None


def portability_version() -> str:
    from portability import __version__

    return __version__


def op_digest(op) -> str:
    """The op's entry as loaded, without its known records, file path and cases (each task's key holds its own
    case, so editing one case re-runs that case only), plus the code of its reference and of the transforms
    the entry names (in any case: a case naming a transform of its own is rare and only costs a re-run)."""
    from portability.array_transforms import ARRAY_TRANSFORMS
    from portability.resolve import reference_functions
    from portability.transforms import TRANSFORMS

    text = repr(replace(op, known=(), path="", cases=()))
    code = []
    if op.reference.call and op.reference.call.startswith("portability.reference."):
        fn = reference_functions().get(op.reference.call.removeprefix("portability.reference."))
        code.append(("reference", fn and function_digest(fn)))
    # A transform is named in the entry as a quoted string; a word that only looks like one costs a re-run.
    named = text + repr(op.cases)
    for registry, label in ((TRANSFORMS, "transform"), (ARRAY_TRANSFORMS, "array_transform")):
        for name in sorted(registry):
            if f"'{name}'" in named:
                code.append((label, name, function_digest(registry[name])))
    return _sha("op", text, code)


class TaskKeys:
    """The key of every task of one run: one environment part per backend, one digest per op."""

    def __init__(self, ops_by_name: dict, seed: int, threads: int, modules: dict[str, str]):
        self.ops, self.seed, self.threads, self.modules = ops_by_name, seed, threads, modules
        self._ops: dict[str, str] = {}
        self._env: dict[str, str | None] = {}
        self._common = _sha(_FORMAT, portability_version(), engine_digest(), platform.python_version(),
                            framework_version("numpy"), result_environment())

    def backend(self, backend: str) -> str | None:
        """The backend's part of every key; None (never cached) when its framework is not installed."""
        if backend not in self._env:
            version = framework_version(backend)
            module = self.modules[backend]
            self._env[backend] = None if version is None else _sha(self._common, backend, version, module,
                                                                   module_digest(module), self.threads,
                                                                   companion_versions(backend))
        return self._env[backend]

    def op(self, name: str) -> str:
        if name not in self._ops:
            self._ops[name] = op_digest(self.ops[name])
        return self._ops[name]

    def task(self, task, case, variant: str | None = None) -> str | None:
        env = self.backend(task.backend)
        if env is None:
            return None
        return _sha("task", env, self.op(task.op), repr(case), self.seed, task.label,
                    task.plan.opset, task.mode, task.pass_, variant)

    def defaults(self, backend: str, request) -> str | None:
        """A live-defaults question (op, API label, call, kind, opset, param -> name) to one framework."""
        env = self.backend(backend)
        return None if env is None else _sha("defaults", env, request)

    def memo(self, *parts) -> str:
        return _sha("memo", self._common, *parts)
