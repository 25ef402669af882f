"""onnxruntime: one-node ONNX models on the CPU execution provider, single-threaded."""

from __future__ import annotations

from portability.frameworks import onnx_

# No `vjp`: the backward pass skips this backend, and the report says why once.
INFERENCE_ONLY = ("onnxruntime's InferenceSession runs inference only (gradients need onnxruntime-training and a "
                  "training graph)")

_SETTINGS: dict = {}


def load(settings: dict) -> str:
    import onnxruntime

    _SETTINGS.update(settings)
    return onnxruntime.__version__


def execute(plan, arrays: dict):
    import onnxruntime as ort

    model, feeds = onnx_.build_model(plan, arrays)
    options = ort.SessionOptions()
    options.intra_op_num_threads = _SETTINGS.get("threads", 1)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return onnx_.finish(plan, session.run(None, feeds))


def live_default(call: str, kind: str, name: str, opset=None):
    return onnx_.live_default(call, kind, name, opset)
