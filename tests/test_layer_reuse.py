"""A Keras layer built once and reused (tensorflow_._fresh_layer) computes what a freshly built one does: the
forward and backward calls of a case share one build, every variable set back to its just-built values, so a
training-mode call that moved the moving statistics leaves nothing behind. Runs real TensorFlow, in its own
process (the test process imports no framework)."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT, installed

SCRIPT = r"""
import json
import numpy as np
from portability.check import _shapes
from portability.frameworks import tensorflow_ as tfa
from portability.inputs import make_inputs
from portability.plan import plan_call
from portability.spec import load_catalog
from portability.worker import _with_derived

tfa.load({"threads": 1})
catalog = load_catalog()
checked, reused = 0, 0
for name in ("batch_norm_running_stats", "batch_norm_training", "gru", "lstm", "conv2d_kernel_init", "layer_norm"):
    op = catalog.op(name)
    for api in op.apis_for("tensorflow"):
        if api.kind != "layer" or api.unsupported or api.not_expressible:
            continue
        for case in op.cases:
            arrays = make_inputs(case, 0, op.name)
            plan = plan_call(op, api, case, "aligned", _shapes(arrays))
            if plan.unsupported:
                continue
            arrays = _with_derived(plan, arrays)  # the worker derives weights in another arrangement first
            tfa._BUILT.clear()
            fresh = tfa.execute(plan, arrays)
            built = len(tfa._BUILT)
            for _ in range(2):
                again = tfa.execute(plan, arrays)
                assert len(tfa._BUILT) == built, "a second build"
                for a, b in zip(fresh, again, strict=True):
                    np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=f"{name} {api.label} {case.name}")
            checked += 1
            reused += built
# State no weight assignment resets: a Dropout's seed-generator state advances with each training call, a
# BatchNormalization's moving statistics move; a reused layer starts from its just-built values again.
import keras
import tensorflow as tf
from types import SimpleNamespace

x = tf.constant(np.random.default_rng(0).normal(size=(4, 6)).astype("float32"))
for target, kwargs, read in ((keras.layers.Dropout, {"rate": 0.5}, None),
                             (keras.layers.BatchNormalization, {"momentum": 0.5}, "moving_mean")):
    plan = SimpleNamespace(call=target.__name__, call_kwargs={"training": True})
    tfa._BUILT.clear()
    seen = []
    for _ in range(3):
        layer = tfa._fresh_layer(target, plan, [x], dict(kwargs), "float32")
        out = layer(x, training=True)
        seen.append(np.asarray(getattr(layer, read) if read else out).copy())
    assert len(tfa._BUILT) == 1
    assert all(np.array_equal(seen[0], s) for s in seen[1:]), target.__name__
    checked += 1
print(json.dumps({"checked": checked, "reused": reused}))
"""


@pytest.mark.skipif(not installed("tensorflow"), reason="tensorflow is not installed")
def test_a_reused_keras_layer_gives_what_a_fresh_one_gives():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=600,
                          env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-3000:]
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["checked"] >= 14 and counts["reused"] == counts["checked"] - 2
