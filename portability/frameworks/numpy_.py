"""NumPy as a framework under test (float32 in, whatever NumPy returns out), and the float64 reference runner."""

from __future__ import annotations

from portability.frameworks import base
from portability.resolve import resolve, resolve_reference

KEY = "numpy"  # catalog key: the sandbox policy of portability.resolve
# No `vjp`: the backward pass skips this backend, and the report says why once.
INFERENCE_ONLY = "NumPy has no automatic differentiation: it runs the forward pass only"
# A sweep does not run NumPy in these dtypes: judging what it gives there would judge an extension, not NumPy.
LACKS_DTYPES = {
    "bfloat16": "NumPy has no bfloat16 dtype: ml_dtypes adds it as a storage type with elementwise loops only, so "
                "reductions accumulate in bfloat16 (np.sum of 1,000 values from 0.1 to 3 gives 1024, not 1550) and "
                "matmul, clip or linalg.norm return float32 or float64",
}


def load(settings: dict) -> str:
    import numpy

    return numpy.__version__


def execute(plan, arrays: dict):
    fn = resolve(plan.call, KEY)
    return _call(fn, plan, arrays)


def execute_reference(plan, arrays: dict):
    """The float64 reference: a numpy.* call or a portability.reference function. A case the reference
    does not implement (a value other than its `fixed` one) is refused, never computed as something else."""
    if plan.unsupported:
        raise ValueError(f"the reference does not implement this case: {plan.unsupported}")
    return _call(resolve_reference(plan.call), plan, arrays)


def _call(fn, plan, arrays):
    import warnings

    import numpy as np

    args, kwargs = base.native_args(plan, arrays, lambda a: a)
    # Edge-value cases divide by zero and reduce all-NaN rows on purpose ("Mean of empty slice", "All-NaN slice
    # encountered" are Python warnings, not floating-point flags): the outputs say what happened.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return base.outputs(plan, fn(*args, **kwargs), np.asarray)


def live_default(call: str, kind: str, name: str, opset=None):
    return base.signature_default(resolve(call, KEY), name)
