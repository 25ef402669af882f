"""One spawned, long-lived worker per framework, all running side by side.

A crash (the worker dies), a hang (no reply within the per-case timeout) or an exception is
recorded as that case's outcome, the worker is restarted, and the run goes on: nothing already
computed is lost. Workers are fresh interpreters, never forks: a fork after torch or TF ran an op hangs.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from queue import Empty, Queue

from portability.frameworks import BACKENDS

STARTUP_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Task:
    id: int
    op: str
    case: str
    backend: str
    label: str
    mode: str
    plan: object  # CallPlan
    family: str = ""  # the op's category: a batching adapter runs a family's calls as one program


BATCH_LIMIT = 48  # calls in one batch at most: bounds the cost of a batch that has to be split up


@dataclass
class Outcome:
    task: Task
    status: str  # ok | unsupported | error | crash | timeout | not_installed
    outputs: list | None
    message: str
    elapsed_s: float


@dataclass
class BackendInfo:
    name: str
    version: str | None
    status: str  # ready | not_installed | error
    message: str = ""
    live_defaults: dict = field(default_factory=dict)  # label -> {param: value}
    restarts: int = 0


class WorkerDied(Exception):
    pass


class WorkerTimeout(Exception):
    pass


class Worker:
    """A handle on one backend's worker process; restartable after a crash or a hang.

    The worker is a fresh interpreter (``python -m portability.worker``), not a multiprocessing
    child: it never re-imports the caller's __main__, and nothing is ever forked."""

    def __init__(self, backend: str, settings: dict, module: str | None = None):
        self.backend, self.settings = backend, settings
        self.module = module or BACKENDS[backend].module
        self.log_path = os.path.join(tempfile.mkdtemp(prefix=f"portability-{backend}-"), "worker.log")
        self.proc = self.conn = None
        self.ready = False  # set once the framework has imported and the worker said so

    def start(self):
        self.launch()
        return self.receive(STARTUP_TIMEOUT_S)

    def launch(self) -> "Worker":
        """Start the process (its framework import runs while the parent prepares the tasks)."""
        self.ready = False
        parent, child = socket.socketpair()
        self.conn = Connection(parent.detach())
        fd = child.fileno()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "portability.worker", str(fd), self.module, json.dumps(self.settings)],
                pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=worker_environment(self.settings),
            )
        child.close()
        return self

    def request(self, message, timeout: float):
        try:
            self.conn.send(message)
        except OSError:
            raise WorkerDied(self._death_message()) from None
        return self.receive(timeout)

    def receive(self, timeout: float):
        try:
            has_reply = self.conn.poll(timeout)
        except OSError:
            has_reply = True
        if not has_reply:
            raise WorkerTimeout(f"no reply within {timeout:g} s")
        try:
            reply = self.conn.recv()
            self.ready = self.ready or reply[0] == "ready"
            return reply
        except (EOFError, OSError):
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
            raise WorkerDied(self._death_message()) from None

    def _death_message(self) -> str:
        code = self.proc.poll()
        tail = ""
        try:
            with open(self.log_path, errors="replace") as f:
                lines = [ln.strip() for ln in f.read().splitlines()[-3:] if ln.strip()]
            tail = " | ".join(lines)[-300:]
        except OSError:
            pass
        return f"worker exited with code {code}" + (f"; last output: {tail}" if tail else "")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def stop(self):
        """Ask a ready worker to exit; one still importing its framework is simply killed."""
        if self.ready and self.proc is not None and self.proc.poll() is None and self.conn is not None:
            try:
                self.conn.send(None)
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()


def worker_environment(settings: dict) -> dict:
    """Thread pins and quiet logs, set before the framework is imported in the worker."""
    env = dict(os.environ)
    threads = str(settings.get("threads", 1))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                "TF_NUM_INTEROP_THREADS"):
        env[var] = threads
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("KERAS_BACKEND", "tensorflow")
    env.setdefault("JAX_PLATFORMS", "cpu")
    if threads == "1":
        env.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    return env


class Progress:
    """Cases done / total per framework on stderr, only when stderr is a terminal."""

    def __init__(self, totals: dict[str, int], enabled: bool):
        self.totals, self.done = totals, {k: 0 for k in totals}
        self.enabled = enabled and sys.stderr.isatty()
        self.lock = threading.Lock()
        self.last = 0.0

    def advance(self, backend: str, n: int = 1):
        with self.lock:
            self.done[backend] += n
            now = time.monotonic()
            if self.enabled and (now - self.last > 0.1 or self.done[backend] == self.totals[backend]):
                self.last = now
                parts = [f"{b} {self.done[b]}/{self.totals[b]}" for b in self.totals]
                sys.stderr.write("\r\x1b[2K" + " | ".join(parts))
                sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


class Pool:
    """The workers of a run, launched up front so framework imports overlap the parent's own preparation.

    A backend whose registry entry asks for several workers (cheap import, costly per-call compile:
    JAX) gets that many, sharing one task queue. ``modules`` maps a backend to another adapter module."""

    def __init__(self, backends: list[str], settings: dict, modules: dict[str, str] | None = None):
        modules = modules or {}
        self.workers: dict[str, list[Worker]] = {}
        for b in backends:
            n = BACKENDS[b].workers if b in BACKENDS and b not in modules else 1
            self.workers[b] = [Worker(b, settings, modules.get(b)).launch() for _ in range(max(1, n))]

    def close(self):
        for ws in self.workers.values():
            for w in ws:
                w.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_backends(pool: Pool, tasks: dict[str, list[Task]], arrays: dict, defaults_requests: dict[str, list],
                 timeout: float, progress: Progress, on_outcome=None) -> tuple[list[Outcome], dict[str, BackendInfo]]:
    """Run each backend's tasks in its pool workers, all backends in parallel; return every outcome.

    ``on_outcome(outcome)`` is called from the driving threads as outcomes arrive, so the parent can
    compare results while the frameworks are still working."""
    outcomes: list[Outcome] = []
    infos: dict[str, BackendInfo] = {}
    lock = threading.Lock()

    def drive(worker: Worker, queue: "Queue[list[Task]]", first: bool):
        backend = worker.backend
        result, info = _drive_backend(worker, queue, arrays, defaults_requests.get(backend, []) if first else [],
                                      timeout, progress, on_outcome)
        with lock:
            outcomes.extend(result)
            if first or backend not in infos:
                infos[backend] = info if backend not in infos else _merge(info, infos[backend])
            else:
                infos[backend] = _merge(infos[backend], info)

    threads = []
    for backend, backend_tasks in tasks.items():
        queue: Queue[list[Task]] = Queue()
        for group in _groups(backend_tasks, batches(pool.workers[backend][0].module)):
            queue.put(group)
        for i, worker in enumerate(pool.workers[backend]):
            threads.append(threading.Thread(target=drive, args=(worker, queue, i == 0), name=f"drive-{backend}-{i}",
                                            daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    order = {b: i for i, b in enumerate(BACKENDS)}
    outcomes.sort(key=lambda o: (o.task.id, order.get(o.task.backend, 99)))
    return outcomes, infos


def batches(module: str) -> bool:
    """Whether an adapter runs several calls as one program (``execute_batch``): JAX, where each program
    compiles, runs an op's calls together in half the time. Adapters import their framework lazily."""
    import importlib

    try:
        return hasattr(importlib.import_module(module), "execute_batch")
    except ImportError:  # its worker reports it as not installed
        return False


def _groups(tasks: list[Task], batched: bool) -> list[list[Task]]:
    """Queue items: one task each, or for a batching adapter the calls of one family (op category) in
    batches of up to BATCH_LIMIT. Measured for JAX: 391 calls compile in 30.4 s one by one, 15.5 s
    batched per op and 10.4 s batched per family."""
    if not batched:
        return [[t] for t in tasks]
    families: dict[str, list[Task]] = {}
    for t in tasks:
        families.setdefault(t.family or t.op, []).append(t)
    return [ts[i:i + BATCH_LIMIT] for ts in families.values() for i in range(0, len(ts), BATCH_LIMIT)]


def _merge(primary: BackendInfo, other: BackendInfo) -> BackendInfo:
    """The first worker's info (version, live defaults) with every worker's restarts."""
    primary.restarts += other.restarts
    return primary


def _drive_backend(worker, queue, arrays, defaults_request, timeout, progress, on_outcome=None):
    backend = worker.backend
    on_outcome = on_outcome or (lambda o: None)
    outcomes: list[Outcome] = []

    def drain():
        while True:
            try:
                yield queue.get_nowait()
            except Empty:
                return

    try:
        info = _ready(worker, backend)
        if info.status != "ready":
            status = "not_installed" if info.status == "not_installed" else "error"
            for group in drain():
                for t in group:
                    outcomes.append(Outcome(t, status, None, info.message, 0.0))
                    on_outcome(outcomes[-1])
                    progress.advance(backend)
            return outcomes, info
        if defaults_request:
            try:
                info.live_defaults = worker.request(("defaults", defaults_request), timeout)[1]
            except (WorkerDied, WorkerTimeout) as exc:
                info.message = f"reading live defaults failed: {exc}"
                worker.kill()
                _restart(worker, info)
        for group in drain():
            for outcome in _run_group(worker, info, group, arrays, timeout):
                outcomes.append(outcome)
                on_outcome(outcome)
                progress.advance(backend)
        return outcomes, info
    finally:
        worker.stop()


def _ready(worker: Worker, backend: str) -> BackendInfo:
    try:
        reply = worker.receive(STARTUP_TIMEOUT_S)
    except (WorkerDied, WorkerTimeout) as exc:
        return BackendInfo(backend, None, "error", f"worker failed to start: {exc}")
    if reply[0] == "ready":
        return BackendInfo(backend, reply[1], "ready")
    return BackendInfo(backend, None, reply[0], reply[1])


def _restart(worker: Worker, info: BackendInfo) -> None:
    info.restarts += 1
    reply = worker.start()
    if reply[0] != "ready":
        raise WorkerDied(f"restart failed: {reply[1]}")


def _run_group(worker: Worker, info: BackendInfo, group: list[Task], arrays: dict, timeout: float) -> list[Outcome]:
    """Several calls as one batch; if the batch crashes or hangs, each call again on its own, so the crash
    or hang is recorded against the case that caused it."""
    runnable = [t for t in group if not t.plan.unsupported]
    if len(runnable) < 2 or info.status != "ready":
        return [_run_task(worker, info, t, arrays[(t.op, t.case)], timeout) for t in group]
    outcomes = [_run_task(worker, info, t, arrays[(t.op, t.case)], timeout) for t in group if t.plan.unsupported]
    items = [(t.id, t.plan, arrays[(t.op, t.case)]) for t in runnable]
    try:
        replies = {r[0]: r for r in worker.request(("run_batch", items), timeout * len(items))[1]}
        return outcomes + [Outcome(t, *replies[t.id][1:]) for t in runnable]
    except (WorkerDied, WorkerTimeout):
        worker.kill()
        _restart(worker, info)
        return outcomes + [_run_task(worker, info, t, arrays[(t.op, t.case)], timeout) for t in runnable]


def _run_task(worker: Worker, info: BackendInfo, task: Task, arrays: dict, timeout: float) -> Outcome:
    if task.plan.unsupported:
        return Outcome(task, "unsupported", None, task.plan.unsupported, 0.0)
    if info.status != "ready":
        return Outcome(task, "error", None, f"{info.name} worker unavailable: {info.message}", 0.0)
    start = time.perf_counter()
    try:
        reply = worker.request(("run", task.id, task.plan, arrays), timeout)
        _, _, status, outputs, text, elapsed = reply
        return Outcome(task, status, outputs, text, elapsed)
    except (WorkerDied, WorkerTimeout) as exc:
        status = "timeout" if isinstance(exc, WorkerTimeout) else "crash"
        worker.kill()
        try:
            _restart(worker, info)
        except (WorkerDied, WorkerTimeout) as again:
            info.status, info.message = "error", str(again)
        return Outcome(task, status, None, str(exc), time.perf_counter() - start)
