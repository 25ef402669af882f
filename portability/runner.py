"""One spawned, long-lived worker per framework, all running side by side.

A crash (the worker dies), a hang (no reply within the per-case timeout) or an exception is
recorded as that case's outcome, the worker is restarted, and the run goes on: nothing already
computed is lost. Workers are fresh interpreters, never forks: a fork after torch or TF ran an op hangs.

A worker that dies before it says "ready" is started again (``STARTUP_RETRIES``); one that never starts
marks its backend's remaining cases with why. ``Pool.interrupt`` (the CLI's first Ctrl-C) makes every
driver stop taking tasks and kills the workers: the calls in flight are dropped, never recorded as
crashes, and the run returns what it has.
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
STARTUP_RETRIES = 2  # a worker that dies before "ready" is started again this many times before it counts as dead


@dataclass(frozen=True)
class Task:
    id: int
    op: str
    case: str
    backend: str
    label: str
    mode: str
    plan: object  # CallPlan (with ``wrt``: the backward pass of the call)
    family: str = ""  # the op's category: a batching adapter runs a family's calls as one program

    @property
    def pass_(self) -> str:
        return self.plan.pass_


BATCH_LIMIT = 48  # calls in one batch at most: bounds the cost of a batch that has to be split up
STREAM_LIMIT = 32  # calls in one message to a non-batching worker, each answered as soon as it ran


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
    status: str  # ready | not_installed | error (load raised) | crash / timeout (never started) | interrupted
    message: str = ""
    live_defaults: dict = field(default_factory=dict)  # label -> {param: value}
    restarts: int = 0


class WorkerDied(Exception):
    pass


class WorkerTimeout(Exception):
    pass


class Stopped(Exception):
    """The pool is stopping (Ctrl-C): the call in flight is dropped, not recorded as a crash."""


class Worker:
    """A handle on one backend's worker process; restartable after a crash or a hang.

    The worker is a fresh interpreter (``python -m portability.worker``), not a multiprocessing
    child: it never re-imports the caller's __main__, and nothing is ever forked."""

    def __init__(self, backend: str, settings: dict, module: str | None = None,
                 stopping: threading.Event | None = None):
        self.backend, self.settings = backend, settings
        self.module = module or BACKENDS[backend].module
        self.stopping = stopping or threading.Event()  # set by its pool: a death is then expected, not a crash
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

    def kill_process(self):
        """Kill the process only: safe from a signal handler or another thread while the driving thread
        still holds the connection (it sees the death and closes it)."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.kill()

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
    JAX) gets that many, sharing one task queue. ``modules`` maps a backend to another adapter module.
    ``stopping`` is set by ``interrupt`` or ``close``: from then on no driver takes a task or restarts a worker."""

    def __init__(self, backends: list[str], settings: dict, modules: dict[str, str] | None = None):
        modules = modules or {}
        self.stopping = threading.Event()
        self.workers: dict[str, list[Worker]] = {}
        for b in backends:
            n = BACKENDS[b].workers if b in BACKENDS and b not in modules else 1
            self.workers[b] = [Worker(b, settings, modules.get(b), self.stopping).launch() for _ in range(max(1, n))]

    def _all(self) -> list[Worker]:
        return [w for ws in self.workers.values() for w in ws]

    def interrupt(self):
        """Stop the run now (Ctrl-C): no new task is taken, the calls in flight end with their workers."""
        self.stopping.set()
        self.kill_processes()

    def kill_processes(self):
        for w in self._all():
            w.kill_process()

    def close(self):
        self.stopping.set()
        for w in self._all():
            w.stop()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is not None:  # an error or a second Ctrl-C: no polite goodbyes, no worker left behind
            self.interrupt()
        self.close()


class _Shared:
    """What the drivers of one backend share: the task queue, the live-defaults request (sent by the first
    worker that is ready) and how many workers may still run tasks (the last one to give up marks the rest)."""

    def __init__(self, groups: list[list[Task]], defaults_request: list, workers: int, batched: bool = False):
        self.batched = batched  # groups run as one program (_run_group), else streamed (_run_stream)
        self.queue: Queue[list[Task]] = Queue()
        for group in groups:
            self.queue.put(group)
        self._defaults, self._alive, self._lock = defaults_request, workers, threading.Lock()

    def take_defaults_request(self) -> list:
        with self._lock:
            request, self._defaults = self._defaults, []
        return request

    def give_up(self) -> bool:
        """One worker cannot run tasks; True when it was the last that could."""
        with self._lock:
            self._alive -= 1
            return self._alive == 0

    def groups(self, stopping: threading.Event):
        while not stopping.is_set():
            try:
                yield self.queue.get_nowait()
            except Empty:
                return


def run_backends(pool: Pool, tasks: dict[str, list[Task]], arrays: dict, defaults_requests: dict[str, list],
                 timeout: float, progress: Progress, on_outcome=None) -> tuple[list[Outcome], dict[str, BackendInfo]]:
    """Run each backend's tasks in its pool workers, all backends in parallel; return every outcome.

    ``on_outcome(outcome)`` is called from the driving threads as outcomes arrive, so the parent can
    compare results while the frameworks are still working. After ``pool.interrupt()`` it returns the
    outcomes gathered so far; an exception in a driving thread is raised here, never lost with its thread."""
    outcomes: list[Outcome] = []
    infos: dict[str, BackendInfo] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def drive(worker: Worker, shared: _Shared):
        try:
            result, info = _drive_backend(worker, shared, arrays, timeout, progress, on_outcome)
            with lock:
                outcomes.extend(result)
                infos[worker.backend] = _merge(infos.get(worker.backend), info)
        except BaseException as exc:  # a bug in the parent's own code: stop the run and raise it in the main thread
            if not pool.stopping.is_set():
                errors.append(exc)
                pool.interrupt()

    threads = []
    for backend, backend_tasks in tasks.items():
        workers = pool.workers[backend]
        batched = batches(workers[0].module)
        shared = _Shared(_groups(backend_tasks, batched), defaults_requests.get(backend, []), len(workers), batched)
        threads += [threading.Thread(target=drive, args=(w, shared), name=f"drive-{backend}-{i}", daemon=True)
                    for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    _join(threads, pool)
    if errors:
        raise errors[0]
    order = {b: i for i, b in enumerate(BACKENDS)}
    outcomes.sort(key=lambda o: (o.task.id, order.get(o.task.backend, 99)))
    return outcomes, infos


def _join(threads: list[threading.Thread], pool: Pool) -> None:
    """Wait for the driving threads. Once the pool stops, kill any worker a driver launched meanwhile, so no
    driver waits on a worker's start; a KeyboardInterrupt here (no handler installed) stops the pool first."""
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.5)
                if pool.stopping.is_set():
                    pool.kill_processes()
    except BaseException:
        pool.interrupt()
        raise


def batches(module: str) -> bool:
    """Whether an adapter runs several calls as one program (``execute_batch``): JAX, where each program
    compiles, runs an op's calls together in half the time. Adapters import their framework lazily."""
    import importlib

    try:
        return hasattr(importlib.import_module(module), "execute_batch")
    except ImportError:  # its worker reports it as not installed
        return False


def _groups(tasks: list[Task], batched: bool) -> list[list[Task]]:
    """Queue items: up to STREAM_LIMIT tasks in order, or for a batching adapter the calls of one family (op
    category) and pass in batches of up to BATCH_LIMIT (a backward call that cannot join never splits a forward batch). Measured for
    JAX: 391 calls compile in 30.4 s one by one, 15.5 s batched per op and 10.4 s batched per family."""
    if not batched:  # streamed: one message, one reply per call (see _run_stream)
        return [tasks[i:i + STREAM_LIMIT] for i in range(0, len(tasks), STREAM_LIMIT)]
    families: dict[tuple, list[Task]] = {}
    for t in tasks:
        families.setdefault((t.family or t.op, t.pass_), []).append(t)
    return [ts[i:i + BATCH_LIMIT] for ts in families.values() for i in range(0, len(ts), BATCH_LIMIT)]


def _merge(seen: BackendInfo | None, info: BackendInfo) -> BackendInfo:
    """One backend's info from its workers: a ready worker's version and live defaults, every worker's
    restarts, and a word on a worker that never started while another one ran the cases."""
    if seen is None:
        return info
    primary, other = (seen, info) if seen.status == "ready" or info.status != "ready" else (info, seen)
    primary.restarts = seen.restarts + info.restarts
    primary.live_defaults = primary.live_defaults or other.live_defaults
    if primary.status == "ready" and other.status not in ("ready", "interrupted"):
        primary.message = "; ".join(m for m in (primary.message, f"a second worker: {other.message}") if m)
    return primary


def _drive_backend(worker: Worker, shared: _Shared, arrays, timeout, progress, on_outcome=None):
    """One worker's share of its backend's tasks. A worker that cannot run (never started, or could not be
    restarted) leaves the queue to its siblings; the last one marks the remaining tasks with why."""
    on_outcome = on_outcome or (lambda o: None)
    outcomes: list[Outcome] = []

    def record(outcome: Outcome) -> None:
        outcomes.append(outcome)
        on_outcome(outcome)
        progress.advance(worker.backend)

    info = _interrupted(worker.backend)
    try:
        info = _ready(worker)
        if info.status == "ready":
            _read_live_defaults(worker, info, shared.take_defaults_request(), timeout)
            run = _run_group if shared.batched else _run_stream
            for group in shared.groups(worker.stopping):
                for outcome in run(worker, info, group, arrays, timeout, record):
                    record(outcome)
                if info.status != "ready":  # its worker could not be restarted
                    break
        if info.status not in ("ready", "interrupted") and shared.give_up():
            for group in shared.groups(worker.stopping):
                for t in group:
                    record(_unavailable(t, info))
    except Stopped:
        pass
    finally:
        worker.stop()
    return outcomes, info


def _read_live_defaults(worker: Worker, info: BackendInfo, request: list, timeout: float) -> None:
    if not request:
        return
    try:
        info.live_defaults = worker.request(("defaults", request), timeout)[1]
    except (WorkerDied, WorkerTimeout) as exc:
        if worker.stopping.is_set():
            raise Stopped from None
        info.message = f"reading live defaults failed: {exc}"
        _restart(worker, info)


def _ready(worker: Worker) -> BackendInfo:
    """Wait for the worker's "ready"; one that dies first is started again, up to STARTUP_RETRIES times.
    A worker that never answers within STARTUP_TIMEOUT_S is not retried (that would cost as much again)."""
    backend, death = worker.backend, None
    for attempt in range(STARTUP_RETRIES + 1):
        if attempt:
            worker.kill()
            if worker.stopping.is_set():
                return _interrupted(backend, attempt)
            worker.launch()
        try:
            reply = worker.receive(STARTUP_TIMEOUT_S)
        except WorkerTimeout as exc:
            return BackendInfo(backend, None, "timeout", f"worker never started: {exc}", restarts=attempt)
        except WorkerDied as exc:
            if worker.stopping.is_set():
                return _interrupted(backend, attempt)
            death = exc
            continue
        if reply[0] == "ready":
            return BackendInfo(backend, reply[1], "ready", restarts=attempt)
        return BackendInfo(backend, None, reply[0], reply[1], restarts=attempt)
    return BackendInfo(backend, None, "crash", f"worker never started ({STARTUP_RETRIES + 1} attempts): {death}",
                       restarts=STARTUP_RETRIES)


def _interrupted(backend: str, restarts: int = 0) -> BackendInfo:
    return BackendInfo(backend, None, "interrupted", "stopped before the worker was ready", restarts=restarts)


def _restart(worker: Worker, info: BackendInfo) -> None:
    """A fresh worker after a crash or hang; if none starts, ``info`` says so and the backend stops running."""
    worker.kill()
    if worker.stopping.is_set():
        raise Stopped
    worker.launch()
    again = _ready(worker)
    info.restarts += 1 + again.restarts
    if again.status == "interrupted":
        raise Stopped
    if again.status != "ready":
        info.status, info.message = again.status, f"restart failed: {again.message}"


def _unavailable(task: Task, info: BackendInfo) -> Outcome:
    """A task its backend could not run: the backend's status (not_installed, error, crash, timeout) and why."""
    if task.plan.unsupported:
        return Outcome(task, "unsupported", None, task.plan.unsupported, 0.0)
    return Outcome(task, info.status, None, info.message, 0.0)


def _run_stream(worker: Worker, info: BackendInfo, group: list[Task], arrays: dict, timeout: float,
                record) -> list[Outcome]:
    """Several calls in one message, each answered as soon as it ran: the worker goes on with the next call while
    the parent compares the last one (no round trip per call), and every call keeps its own timeout. A crash or
    hang is recorded against the call that caused it, exactly as one call per message would; the worker is
    restarted and the calls after it are sent again. Outcomes are passed to ``record`` as they arrive, in order."""
    runnable = [t for t in group if not t.plan.unsupported]
    if len(runnable) < 2 or info.status != "ready":
        for t in group:
            record(_run_task(worker, info, t, arrays[(t.op, t.case)], timeout))
        return []
    try:
        worker.conn.send(("run_many", [(t.id, t.plan, arrays[(t.op, t.case)]) for t in runnable]))
    except OSError:
        pass  # a dead worker: the first receive below says so
    for i, t in enumerate(group):
        if t.plan.unsupported:
            record(_unavailable(t, info))
            continue
        start = time.perf_counter()
        try:
            _, _, status, outputs, text, elapsed = worker.receive(timeout)
            record(Outcome(t, status, outputs, text, elapsed))
        except (WorkerDied, WorkerTimeout) as exc:
            if worker.stopping.is_set():
                raise Stopped from None
            _restart(worker, info)
            record(Outcome(t, "timeout" if isinstance(exc, WorkerTimeout) else "crash", None, str(exc),
                           time.perf_counter() - start))
            return _run_stream(worker, info, group[i + 1:], arrays, timeout, record)
    return []


def _run_group(worker: Worker, info: BackendInfo, group: list[Task], arrays: dict, timeout: float,
               record=None) -> list[Outcome]:
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
        if worker.stopping.is_set():
            raise Stopped from None
        _restart(worker, info)
        return outcomes + [_run_task(worker, info, t, arrays[(t.op, t.case)], timeout) for t in runnable]


def _run_task(worker: Worker, info: BackendInfo, task: Task, arrays: dict, timeout: float) -> Outcome:
    if task.plan.unsupported or info.status != "ready":
        return _unavailable(task, info)
    start = time.perf_counter()
    try:
        reply = worker.request(("run", task.id, task.plan, arrays), timeout)
        _, _, status, outputs, text, elapsed = reply
        return Outcome(task, status, outputs, text, elapsed)
    except (WorkerDied, WorkerTimeout) as exc:
        if worker.stopping.is_set():
            raise Stopped from None
        status = "timeout" if isinstance(exc, WorkerTimeout) else "crash"
        _restart(worker, info)
        return Outcome(task, status, None, str(exc), time.perf_counter() - start)
