"""A test-only backend adapter: NumPy, except that it really dies, hangs or misbehaves on request.

It proves crash isolation with real process deaths, not mocks. By API label:
  crash-here / hang-here               the worker exits / sleeps past the timeout, in any mode;
  crash-in-defaults / hang-in-defaults the same, only in defaults mode (the call omits a parameter);
  no-outputs-here                      returns no outputs: an adapter breaking its contract is a bug in
                                       portability itself, which the CLI reports as an internal error.
By environment (set by a test, inherited by the worker):
  CRASHY_LOAD=die                      the worker exits while starting, every time;
  CRASHY_LOAD=die-once:PATH            it exits on the first start only (PATH marks that it happened);
  CRASHY_LOAD=start-once:PATH          it starts once, and exits on every later start (a failed restart);
  CRASHY_HANG_MARKER=PATH              a hanging call first creates PATH, so a test knows it is in flight.
"""

import os
import time

from portability.frameworks import numpy_
from portability.frameworks.base import MISSING


def load(settings):
    how = os.environ.get("CRASHY_LOAD", "")
    if how == "die":
        os._exit(9)
    if how.startswith(("die-once:", "start-once:")):
        marker = how.split(":", 1)[1]
        started = os.path.exists(marker)
        open(marker, "w").close()
        if started == how.startswith("start-once:"):
            os._exit(9)
    return numpy_.load(settings)


def live_default(call, kind, name, opset=None):
    """None: a test's catalog states the defaults it needs (two APIs may share one NumPy call)."""
    return MISSING


def _misbehave(plan, exit_code: int):
    faulty = plan.label.endswith("-here") or (plan.label.endswith("-in-defaults") and plan.omitted)
    if faulty and plan.label.startswith("crash-"):
        os._exit(exit_code)
    if faulty and plan.label.startswith("hang-"):
        marker = os.environ.get("CRASHY_HANG_MARKER")
        if marker:
            open(marker, "w").close()
        time.sleep(600)


def execute(plan, arrays):
    _misbehave(plan, 3)
    if plan.label == "no-outputs-here":
        return []
    return numpy_.execute(plan, arrays)


def execute_batch(items):
    """Batches die too when one of their calls does: the runner must rerun each call alone."""
    for plan, _ in items:
        _misbehave(plan, 4)
    return [execute(plan, arrays) for plan, arrays in items]
