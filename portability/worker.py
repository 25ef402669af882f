"""One framework's long-lived worker: ``python -m portability.worker FD MODULE SETTINGS`` (never forked).

The parent sends ``("run", task_id, plan, arrays)``, ``("run_many", [(task_id, plan, arrays), ...])`` (one
reply per call, each sent as soon as the call ran), ``("run_batch", items)`` (one reply) or
``("defaults", requests)``; the worker answers each. A plan with ``wrt`` is a backward pass: its outputs are
the gradients of those inputs, in order (None where the framework has none). Framework exceptions become statuses
here; a crash or hang is seen by the parent (see ``portability.runner``) and never reaches this code.
"""

from __future__ import annotations

import os
import sys
import time
import traceback

from portability.gc_tuning import tune_gc

UNSUPPORTED_HINTS = (
    "not supported", "unsupported", "not implemented", "notimplemented", "no kernel", "could not find a kernel",
    "is not available", "no registered", "does not support", "only supports", "not yet supported",
    "cannot be used with", "got an unexpected keyword argument", "is invalid", "type error", "unsupported dtype",
    "not implemented for", "no implementation for", "could not find an implementation", "not yet support",
    # dtypes a kernel lacks (the dtype sweep): TF attr lists and device placement, onnxruntime's numpy bridge
    "is not in the list of allowed values", "could not find device for node", "unimplementederror",
    "can't be converted to mldatatype", "invalid data type for", "must be either float or double",
    # an integer or mixed dtype an API refuses instead of promoting (torch.mean of ints; TF and ONNX operands of two
    # dtypes; TF converting a Python float to an integer tensor)
    "could not infer output dtype", "has inconsistent type", "was expected to be a", "to eagertensor of dtype",
    # an ONNX node valid only from a newer opset (onnxruntime: "... must be true for floating point types before opset 28")
    "before opset",
)


def classify_exception(exc: BaseException) -> str:
    """'unsupported' when the API is missing or rejects the argument value or dtype, else 'error'."""
    if isinstance(exc, (AttributeError, NotImplementedError, ModuleNotFoundError)):
        return "unsupported"
    text = f"{type(exc).__name__} {exc}".lower()
    return "unsupported" if any(h in text for h in UNSUPPORTED_HINTS) else "error"


def main(conn, module: str, settings: dict) -> None:
    """Serve one backend: ``module`` is its adapter (from the registry, or a test's own)."""
    import importlib

    try:
        mod = importlib.import_module(module)
        version = mod.load(settings)
    except ImportError as exc:
        conn.send(("not_installed", str(exc)))
        return
    except Exception as exc:  # a framework that imports but cannot start is reported, not raised
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    # a plain str: torch.__version__ is a TorchVersion, and unpickling one would import torch in the parent
    conn.send(("ready", str(version)))
    tune_gc()  # after the framework's import: its modules leave every collection
    _MARKS["ready_cpu_s"] = time.process_time()
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        if msg[0] == "run":
            conn.send(run_one(mod, *msg[1:]))
        elif msg[0] == "run_many":  # one reply per call, sent as soon as it ran
            for item in msg[1]:
                conn.send(run_one(mod, *item))
        elif msg[0] == "run_batch":
            conn.send(("batch", run_batch(mod, msg[1])))
        elif msg[0] == "defaults":
            conn.send(("defaults", read_defaults(mod, msg[1])))


def _with_derived(plan, arrays):
    if not plan.derive:
        return arrays
    from portability.array_transforms import derive

    return derive(plan.derive, arrays)


def run_batch(mod, items):
    """[(task_id, plan, arrays)] -> [(task_id, status, outputs, message, elapsed)]: one program when the
    adapter can (``execute_batch``). A call the adapter leaves out (its exception in its place) runs alone;
    a batch that fails as a whole is split in halves until the call that breaks it runs alone, with its own
    outcome."""
    batch = getattr(mod, "execute_batch", None)
    if batch is None or len(items) == 1:
        return [run_one(mod, *item)[1:] for item in items]
    start = time.perf_counter()
    try:
        prepared = [(plan, _with_derived(plan, arrays)) for _, plan, arrays in items]
        results = [r if isinstance(r, Exception) else _finish(plan, a, r)
                   for (plan, a), r in zip(prepared, batch(prepared), strict=True)]
    except Exception:
        half = len(items) // 2
        return run_batch(mod, items[:half]) + run_batch(mod, items[half:])
    each = (time.perf_counter() - start) / len(items)
    # a call the adapter left out of the batch (its exception in its place) runs alone, for its own outcome
    return [run_one(mod, *item)[1:] if isinstance(outputs, Exception) else (item[0], "ok", outputs, "", each)
            for item, outputs in zip(items, results, strict=True)]


def _finish(plan, arrays, result):
    """A forward result as it is; a backward one ({name: gradient}, from ``vjp`` or a batch) as one entry per
    ``plan.wrt`` input: the gradients of derived weights pulled back to their sources, then None where the
    framework gave none, or its reason (a string)."""
    if not plan.wrt:
        return result
    from portability.array_transforms import pullback

    grads = pullback(plan.derive, arrays, {k: v for k, v in result.items() if not isinstance(v, str)})
    reasons = {k: v for k, v in result.items() if isinstance(v, str)}
    return [reasons.get(name, grads.get(name)) for name in plan.wrt]


def run_one(mod, task_id, plan, arrays):
    start = time.perf_counter()
    try:
        arrays = _with_derived(plan, arrays)
        outputs = _finish(plan, arrays, mod.vjp(plan, arrays) if plan.wrt else mod.execute(plan, arrays))
    except Exception as exc:
        status = classify_exception(exc)
        message = f"{type(exc).__name__}: {exc}".strip()
        if status == "error":
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            message += f" (at {os.path.basename(tb.filename)}:{tb.lineno})"
        return ("done", task_id, status, None, _short(message), time.perf_counter() - start)
    return ("done", task_id, "ok", outputs, "", time.perf_counter() - start)


def read_defaults(mod, requests):
    """requests: [(key, call, kind, opset, {param: framework_name})] -> {key: {param: value}}."""
    from portability.frameworks.base import MISSING

    out = {}
    for key, call, kind, opset, names in requests:
        values = {}
        for param, name in names.items():
            try:
                v = mod.live_default(call, kind, name, opset)
            except Exception:
                v = MISSING
            if v is not MISSING and v != MISSING:
                values[param] = _plain(v)
        out[key] = values
    return out


def _plain(v):
    """Live defaults cross the process boundary and land in JSON: keep them plain."""
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return repr(v)


_MARKS: dict = {}  # CPU-time marks for a profiled worker (PORTABILITY_PROFILE)


def _profiled(run, directory: str) -> None:
    """Record the worker's CPU time (import + load until ready, then serving) in DIR (benchmarks/profile_run.py
    sets PORTABILITY_PROFILE=DIR), and with PORTABILITY_PROFILE_CALLS=1 its cProfile stats: one file per process."""
    import cProfile
    import json
    import resource

    prof = cProfile.Profile() if os.environ.get("PORTABILITY_PROFILE_CALLS") else None
    try:
        prof.runcall(run) if prof else run()
    finally:
        use = resource.getrusage(resource.RUSAGE_SELF)
        stem = os.path.join(directory, f"{sys.argv[2].rsplit('.', 1)[-1]}-{os.getpid()}")
        if prof:
            prof.dump_stats(stem + ".prof")
        with open(stem + ".json", "w") as f:
            json.dump({"module": sys.argv[2], "user_s": use.ru_utime, "sys_s": use.ru_stime,
                       "max_rss_kib": use.ru_maxrss, **_MARKS}, f)


def _short(text: str, limit: int = 600) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


if __name__ == "__main__":
    import json
    import signal

    # Ctrl-C in a terminal reaches the whole process group: the parent decides (it stops the run and kills
    # its workers), so a worker never dies mid-case with a KeyboardInterrupt traceback in its log.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from multiprocessing.connection import Connection

    conn = Connection(int(sys.argv[1]))
    if os.environ.get("PORTABILITY_PROFILE"):
        _profiled(lambda: main(conn, sys.argv[2], json.loads(sys.argv[3])), os.environ["PORTABILITY_PROFILE"])
    else:
        main(conn, sys.argv[2], json.loads(sys.argv[3]))
    # Nothing is left to save: skip the interpreter's teardown, which takes TensorFlow ~0.9 s and torch ~0.5 s
    # (module finalizers, thread pools), time the parent's last driver would otherwise spend waiting.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
