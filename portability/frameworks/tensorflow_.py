"""TensorFlow: tf.* functions, keras.ops.* and Keras layers (Keras 3 on the TF backend), eager, CPU.
Backward: ``tf.GradientTape`` with the shared cotangents as ``output_gradients``."""

from __future__ import annotations

from portability.frameworks import base
from portability.plan import differentiated
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
    args, kwargs = base.native_args(plan, arrays, _to_native)
    fn = _callable(plan, arrays, args, kwargs)
    result = fn(*args, **(plan.call_kwargs if plan.kind == "layer" else kwargs))
    if plan.reads:  # outputs the call leaves behind (a layer's running statistics)
        result = base.read_back(plan, args, kwargs, fn if plan.kind == "layer" else None)
    return base.outputs(plan, result, _to_numpy)


def _callable(plan, arrays: dict, args: list, kwargs: dict):
    """The function, or the Keras layer built with its weights assigned."""
    target = resolve(plan.call, KEY)
    if plan.kind != "layer":
        return target
    weights = base.weight_arrays(plan, arrays)
    import keras

    keras.utils.set_random_seed(base.LAYER_SEED)
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
    return layer


def vjp(plan, arrays: dict) -> dict:
    """Gradients of the cotangent-weighted outputs with respect to ``differentiated(plan)`` (name -> array in
    the canonical layout, or None where the tape has none). Only those inputs and weight variables are
    watched: a layer's other variables (moving statistics) stay constants."""
    import tensorflow as tf

    names = differentiated(plan)
    sources: list[tuple] = []

    def leaf(name, t):
        if name in names and t.dtype.is_floating:
            sources.append((name, t))
        return t

    args, kwargs = base.native_args(plan, arrays, _to_native, leaf=leaf)
    fn = _callable(plan, arrays, args, kwargs)
    # a Keras 3 variable wraps the tf.Variable the tape can watch
    sources += [(name, getattr(v, "value", v)) for attr, name in plan.weights.items() if name in names
                for v in [base.attribute(fn, attr)]]
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        for _, t in sources:
            tape.watch(t)
        result = fn(*args, **(plan.call_kwargs if plan.kind == "layer" else kwargs))
        outs = base.differentiable_outputs(plan, result, lambda t, a: tf.squeeze(t, axis=a), tf.transpose)
    grads = tape.gradient(outs, [t for _, t in sources],
                          output_gradients=[tf.cast(ct, o.dtype) for o, ct in
                                            zip(outs, base.cotangents(plan, arrays), strict=True)])
    by_name: dict[str, list] = {}
    for (name, _), g in zip(sources, grads):
        by_name.setdefault(name, []).append(None if g is None else tf.convert_to_tensor(g).numpy())
    return {name: None if (g := base.summed(gs)) is None else base.canonical_gradient(plan, name, g)
            for name, gs in by_name.items()}


def live_default(call: str, kind: str, name: str, opset=None):
    return base.signature_default(resolve(call, KEY), name)
