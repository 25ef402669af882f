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
    layer = _fresh_layer(target, plan, args, kwargs, base.first_float_dtype([*args, *weights.values()]))
    for attr, value in weights.items():
        var = base.attribute(layer, attr)
        if tuple(var.shape) != tuple(value.shape):
            raise ValueError(f"weight {attr}: layer expects {tuple(var.shape)}, got {tuple(value.shape)}")
        var.assign(value.astype(var.dtype))
    return layer


_BUILT: dict = {}  # key -> (layer, the values of its variables right after its build), oldest first
_BUILT_KEEP = 16  # a case's forward and backward calls come a few cases apart in a worker's stream


def _fresh_layer(target, plan, args: list, kwargs: dict, dtype: str):
    """A layer as freshly built: the one an earlier call built with the same constructor arguments, dtype and
    input shapes, every variable (weights, moving statistics, seed-generator states) set back to its values
    right after that build. Building costs 4-6 ms, mostly Keras variable creation, and a case's forward and
    backward calls (and every mode with equal arguments) build the same layer."""
    import keras

    shapes = tuple((tuple(a.shape), str(a.dtype)) for a in args)
    key = (plan.call, dtype, shapes, repr(sorted(kwargs.items())), repr(sorted(plan.call_kwargs.items())))
    reusable = all(_plain(v) for v in kwargs.values()) and all(_plain(v) for v in plan.call_kwargs.values())
    if reusable and key in _BUILT:
        layer, initial = _BUILT.pop(key)
        _BUILT[key] = (layer, initial)  # most recently used last
        for var, value in zip(layer.variables, initial, strict=True):
            var.assign(value)
        return layer
    keras.utils.set_random_seed(base.LAYER_SEED)
    layer = target(**kwargs, dtype=dtype)
    if not hasattr(layer, "build"):
        pass  # a keras.losses.Loss: a callable object with no weights
    elif len(args) == 1:
        layer.build(tuple(args[0].shape))
    else:  # multi-input layers (attention) build with their own signature: one call builds them
        layer(*args, **plan.call_kwargs)
    if reusable and hasattr(layer, "build"):  # a Loss object is cheap to make and has no variables
        _BUILT[key] = (layer, [var.numpy() for var in layer.variables])
        while len(_BUILT) > _BUILT_KEEP:
            del _BUILT[next(iter(_BUILT))]
    return layer


def _plain(v) -> bool:
    """A constructor argument whose repr is the whole value (a key part): no arrays, tensors or objects."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return True
    if isinstance(v, (list, tuple)):
        return all(_plain(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _plain(x) for k, x in v.items())
    return False


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
