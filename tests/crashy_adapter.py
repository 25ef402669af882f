"""A test-only backend adapter: NumPy, except that it really dies or hangs on request.

It proves crash isolation with real process deaths, not mocks: label 'crash-here' makes the
worker process exit mid-case; 'hang-here' makes it sleep past the per-case timeout."""

import os
import time

from portability.frameworks import numpy_

load = numpy_.load
live_default = numpy_.live_default


def execute(plan, arrays):
    if plan.label == "crash-here":
        os._exit(3)
    if plan.label == "hang-here":
        time.sleep(600)
    return numpy_.execute(plan, arrays)


def execute_batch(items):
    """Batches die too when one of their calls does: the runner must rerun each call alone."""
    for plan, arrays in items:
        if plan.label == "crash-here":
            os._exit(4)
        if plan.label == "hang-here":
            time.sleep(600)
    return [numpy_.execute(plan, arrays) for plan, arrays in items]
