"""Writing a run's reports: each whatever happens to the others, the page beside the JSON where it can be.

The page is the largest step of a run's tail (~1.3 s of the full run's) and the run's workers have exited by
then, so a core is idle: with two reports the page is rendered in a forked copy of the CLI while the CLI writes
the JSON. Forking is safe here: the CLI never imports a framework (``import portability`` promises it, so the
rule against forking after torch or TensorFlow ran does not bite), and it forks only with no other thread alive
(a lock one held would stay held in the child) and where there is fork (POSIX)."""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import threading
import traceback


def write_reports(data: dict, targets: list[tuple]) -> tuple[list[str], list[str]]:
    """Write every report, each whatever happened to the others: (paths written, one line per failure).
    A failure that is no OSError is a bug, raised once the other reports are written."""
    if len(targets) < 2 or not hasattr(os, "fork") or threading.active_count() > 1:
        outcomes = [_write_one(data, path, write) for path, write in targets]
    else:
        *here, (path, write) = targets
        child = _forked(lambda: _write_one(data, path, write))
        outcomes = [_write_one(data, p, w) for p, w in here] + [child()]
    written = [path for (path, _), (status, _) in zip(targets, outcomes) if status == "ok"]
    failed = [text for status, text in outcomes if status == "oserror"]
    bugs = [text for status, text in outcomes if status == "bug"]
    if bugs:
        bug = ReportWriterBug(bugs[0].strip().splitlines()[-1])
        bug.add_note(bugs[0])  # the writer's own traceback, in the crash log
        raise bug
    return written, failed


class ReportWriterBug(RuntimeError):
    """A report writer failed with something other than an OSError: a bug in portability."""


def _write_one(data: dict, path: str, write) -> tuple[str, str]:
    """("ok", ""), ("oserror", the line to print) or ("bug", the traceback): plain values, so a forked
    writer can send them back."""
    try:
        write(data, path)
        return "ok", ""
    except OSError as exc:
        return "oserror", f"cannot write the report {path}: {exc}"
    except Exception:
        return "bug", traceback.format_exc()


def _forked(work):
    """Run ``work`` (returning JSON-able data) in a forked child; returns a function that waits for its
    result. The child leaves with os._exit: no atexit handlers, no flushing of buffers it inherited."""
    sys.stdout.flush()
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    gc.freeze()  # the child's collector would otherwise visit (and so copy) every page of the parent's heap
    pid = os.fork()
    if pid == 0:
        try:
            gc.disable()
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # a Ctrl-C ends the child at once; the parent reports it
            os.close(read_fd)
            try:
                result = work()
            except BaseException:
                result = ("bug", traceback.format_exc())
            payload = json.dumps(result).encode()
            while payload:
                payload = payload[os.write(write_fd, payload):]
        finally:
            os._exit(0)
    gc.unfreeze()  # the parent's own objects: collectable again (a test process calls main() many times)
    os.close(write_fd)

    def wait():
        with os.fdopen(read_fd, "rb") as pipe:
            text = pipe.read()
        _, status = os.waitpid(pid, 0)
        if not text:
            return "bug", f"the forked report writer ended without a result (wait status {status})"
        return tuple(json.loads(text))

    return wait
