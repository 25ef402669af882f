"""The framework registry: names, catalog keys and adapter modules, imported lazily.

Nothing here imports a framework. A backend is one executable target in the report; two
backends (onnxruntime, onnx-reference) share the catalog's ``onnx`` entries and one adapter.
Adding a framework means one adapter module and one line in ``BACKENDS``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Backend:
    name: str  # used everywhere: CLI, JSON, HTML
    catalog_key: str  # the key under an op's `apis:` in the catalog
    module: str  # adapter module, imported only inside that backend's worker (or for snippets)
    # The sandbox (portability.resolve): namespaces a catalog may call into (aliases np/tf/jnp expanded;
    # a class such as torch.Tensor exposes its methods), and the packages that must define the object.
    # Empty for ONNX, whose targets are op types of onnx.defs.
    namespaces: tuple[str, ...]
    packages: tuple[str, ...]
    workers: int = 1  # processes sharing this backend's queue: >1 where import is cheap but each call compiles


BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend("numpy", "numpy", "portability.frameworks.numpy_",
                ("numpy", "numpy.linalg", "numpy.fft", "numpy.random"), ("numpy",)),
        Backend("torch", "torch", "portability.frameworks.torch_",
                ("torch", "torch.nn", "torch.nn.functional", "torch.linalg", "torch.special", "torch.fft",
                 "torch.Tensor"), ("torch",)),
        Backend("tensorflow", "tensorflow", "portability.frameworks.tensorflow_",
                ("tensorflow", "tensorflow.nn", "tensorflow.math", "tensorflow.image", "tensorflow.linalg",
                 "tensorflow.signal", "tensorflow.random", "tensorflow.compat.v1.nn", "tensorflow.compat.v1.image",
                 "tensorflow.experimental.numpy", "keras.layers", "keras.ops", "keras.ops.image", "keras.losses", "keras.activations", "keras.random"),
                ("tensorflow", "keras", "tf_keras")),
        Backend("jax", "jax", "portability.frameworks.jax_",
                ("jax.numpy", "jax.numpy.linalg", "jax.numpy.fft", "jax.nn", "jax.lax", "jax.image",
                 "jax.scipy.special", "jax.scipy.linalg", "jax.random"), ("jax", "jaxlib"), workers=2),
        Backend("onnxruntime", "onnx", "portability.frameworks.onnxruntime_", (), ()),
        Backend("onnx-reference", "onnx", "portability.frameworks.onnx_reference", (), ()),
    )
}

CATALOG_KEYS: tuple[str, ...] = tuple(dict.fromkeys(b.catalog_key for b in BACKENDS.values()))


def backends_for_key(catalog_key: str) -> list[Backend]:
    return [b for b in BACKENDS.values() if b.catalog_key == catalog_key]


def adapter(name: str):
    """Import and return the adapter module of one backend (imports its framework lazily)."""
    return importlib.import_module(BACKENDS[name].module)


def no_backward(module: str) -> str | None:
    """Why an adapter module runs no backward pass (its ``INFERENCE_ONLY``), or None when it has ``vjp``.
    Adapters import their framework lazily: this imports none."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None  # not installed: its worker says so, for every pass
    if hasattr(mod, "vjp"):
        return None
    return getattr(mod, "INFERENCE_ONLY", f"{module} has no vjp: inference only")


def lacking_dtypes(module: str) -> dict[str, str]:
    """The float dtypes an adapter module's framework does not have (its ``LACKS_DTYPES``: dtype -> why): its
    calls in those dtypes are not run, and the report says why once. Imports no framework."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return {}
    return dict(getattr(mod, "LACKS_DTYPES", {}))


def installed_version(name: str) -> str | None:
    """The installed distribution version of a backend's framework, without importing it."""
    from importlib import metadata

    dists = {
        "numpy": ("numpy",),
        "torch": ("torch",),
        "tensorflow": ("tensorflow", "tensorflow-cpu"),
        "jax": ("jax",),
        "onnxruntime": ("onnxruntime",),
        "onnx-reference": ("onnx",),
    }[name]
    for dist in dists:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None
