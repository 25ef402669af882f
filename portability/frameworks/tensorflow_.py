"""TensorFlow: tf.* functions, keras.ops.* and Keras layers (Keras 3 on the TF backend), eager, CPU."""

from __future__ import annotations

from portability.frameworks import base
from portability.resolve import resolve

KEY = "tensorflow"  # catalog key: the sandbox policy of portability.resolve


def load(settings: dict) -> str:
    import os

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import tensorflow as tf

    threads = settings.get("threads", 1)
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.config.experimental.enable_tensor_float_32_execution(False)
    return tf.__version__


def _to_native(a):
    import tensorflow as tf

    return tf.constant(a)


def _to_numpy(t):
    return t.numpy() if hasattr(t, "numpy") else t


def execute(plan, arrays: dict):
    target = resolve(plan.call, KEY)
    args, kwargs = base.native_args(plan, arrays, _to_native)
    if plan.kind == "layer":
        weights = base.weight_arrays(plan, arrays)
        layer = target(**kwargs, dtype=base.first_float_dtype([*args, *weights.values()]))
        if not hasattr(layer, "build"):
            pass  # a keras.losses.Loss: a callable object with no weights
        elif len(args) == 1:
            layer.build(tuple(args[0].shape))
        else:  # multi-input layers (attention) build with their own signature: one call builds them
            layer(*args, **plan.call_kwargs)
        for attr, value in weights.items():
            var = base.attribute(layer, attr)
            if tuple(var.shape) != tuple(value.shape):
                raise ValueError(f"weight {attr}: layer expects {tuple(var.shape)}, got {tuple(value.shape)}")
            var.assign(value.astype(var.dtype))
        result = layer(*args, **plan.call_kwargs)
        if plan.reads:
            result = base.read_back(plan, args, kwargs, layer)
    else:
        result = target(*args, **kwargs)
        if plan.reads:
            result = base.read_back(plan, args, kwargs)
    return base.outputs(plan, result, _to_numpy)


def live_default(call: str, kind: str, name: str, opset=None):
    return base.signature_default(resolve(call, KEY), name)
