"""A test-only backend adapter: NumPy, except that it really dies, hangs or misbehaves on request.

It proves crash isolation with real process deaths, not mocks. Its backward pass (``_vjp``: central
differences in float64, element by element, exact enough for the elementwise calls test catalogs use) is
switched on by running it as ``crashy_backward`` (a module with a ``vjp`` differentiates; this one runs
the forward pass only, so the tests of forward faults count only forward calls). By API label:
  crash-here / hang-here               the worker exits / sleeps past the timeout, in any mode and pass;
  crash-in-defaults / hang-in-defaults the same, only in defaults mode (the call omits a parameter);
  crash-in-backward / hang-in-backward the same, only in the backward pass (the forward call is fine);
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

import numpy as np

from portability.frameworks import base, numpy_
from portability.frameworks.base import MISSING
from portability.plan import differentiated


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
    faulty = plan.label.endswith("-here") or (plan.label.endswith("-in-defaults") and plan.omitted) \
        or (plan.label.endswith("-in-backward") and plan.wrt)
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


def _vjp(plan, arrays):
    """d(sum of cotangent * outputs)/d input, element by element: each output element depends on the input
    element at the same place (tanh, exp, ...)."""
    _misbehave(plan, 5)
    cotangents = base.cotangents(plan, arrays)
    grads = {}
    for name in differentiated(plan):
        x, h = arrays[name].astype(np.float64), 1e-6
        up = numpy_.execute(plan, {**arrays, name: x + h})
        down = numpy_.execute(plan, {**arrays, name: x - h})
        g = sum(ct.astype(np.float64) * (u - d) / (2 * h) for ct, u, d in zip(cotangents, up, down))
        grads[name] = np.asarray(g).astype(arrays[name].dtype)
    return grads


def execute_batch(items):
    """Batches die too when one of their calls does: the runner must rerun each call alone."""
    for plan, _ in items:
        _misbehave(plan, 4)
    return [_vjp(plan, arrays) if plan.wrt else execute(plan, arrays) for plan, arrays in items]
