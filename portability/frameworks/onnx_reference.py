"""onnx.reference.ReferenceEvaluator: ONNX's own Python implementation of each op's specification."""

from __future__ import annotations

from portability.frameworks import onnx_

# No `vjp`: the backward pass skips this backend, and the report says why once.
INFERENCE_ONLY = ("the ONNX reference evaluator runs inference only: a one-node ONNX model has no backward pass "
                  "(gradients need a training graph, e.g. onnxruntime-training)")


def load(settings: dict) -> str:
    import onnx.reference  # noqa: F401

    return onnx_.version()


def execute(plan, arrays: dict):
    from onnx.reference import ReferenceEvaluator

    model, feeds = onnx_.build_model(plan, arrays)
    return onnx_.finish(plan, ReferenceEvaluator(model).run(None, feeds))


def live_default(call: str, kind: str, name: str, opset=None):
    return onnx_.live_default(call, kind, name, opset)
