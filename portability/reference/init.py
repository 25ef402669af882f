"""References for the initial weights of freshly built layers: samples of the documented distribution.

A layer's initial weights are random, so the reference is a seeded float64 sample of the distribution the
canonical framework (PyTorch) documents, in torch's shapes; outputs of kind `distribution` are compared by
their distribution (portability.compare.ks_statistic), never element by element. Fans follow
torch.nn.init._calculate_fan_in_and_fan_out: fan_in = in_channels * prod(kernel), fan_out = out * prod(kernel).
"""

from __future__ import annotations

import numpy as np

__all__ = ["dense_kernel_init", "dense_bias_init", "conv_kernel_init", "conv_bias_init", "embedding_init",
           "prelu_init", "norm_affine_init"]

SEED = 20240611  # any fixed seed: the comparison is statistical


def sample(shape, init: str, fan_in: int = 1, fan_out: int = 1) -> np.ndarray:
    """``shape`` values of the named distribution (the catalog's canonical initializer names)."""
    rng = np.random.default_rng(SEED)
    if init == "torch_uniform":  # kaiming_uniform_(a=sqrt(5)) for weights, the same bound for biases
        bound = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, size=shape)
    if init == "glorot_uniform":
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound, size=shape)
    if init == "normal":
        return rng.normal(0.0, 1.0, size=shape)
    if init == "uniform_0.05":
        return rng.uniform(-0.05, 0.05, size=shape)
    constants = {"zeros": 0.0, "ones": 1.0, "constant_0.25": 0.25}
    if init in constants:
        return np.full(shape, constants[init])
    raise ValueError(f"unknown initializer {init!r}")


def dense_kernel_init(x, units, init):
    """torch.nn.Linear(x.shape[-1], units).weight: (units, in)."""
    fan_in = x.shape[-1]
    return sample((units, fan_in), init, fan_in, units)


def dense_bias_init(x, units, init):
    """torch.nn.Linear(...).bias: (units,), drawn with the kernel's fan_in."""
    return sample((units,), init, x.shape[-1], units)


def conv_kernel_init(x, filters, kernel_size, init):
    """torch.nn.Conv2d(x.shape[1], filters, kernel_size).weight: (filters, in, k, k)."""
    k = kernel_size * kernel_size
    return sample((filters, x.shape[1], kernel_size, kernel_size), init, x.shape[1] * k, filters * k)


def conv_bias_init(x, filters, kernel_size, init):
    """torch.nn.Conv2d(...).bias: (filters,), drawn with the kernel's fan_in."""
    k = kernel_size * kernel_size
    return sample((filters,), init, x.shape[1] * k, filters * k)


def embedding_init(indices, num_embeddings, dim, init):
    """torch.nn.Embedding(num_embeddings, dim).weight: (num_embeddings, dim)."""
    return sample((num_embeddings, dim), init, dim, num_embeddings)


def prelu_init(x, init):
    """torch.nn.PReLU(num_parameters=C).weight: one slope per channel (axis 1)."""
    return sample((x.shape[1],), init)


def norm_affine_init(x, weight_init, bias_init):
    """A normalization layer's per-channel scale and shift (axis 1): (weight, bias)."""
    return sample((x.shape[1],), weight_init), sample((x.shape[1],), bias_init)
