"""Dotted call targets, resolved by attribute lookup inside known packages only (never eval)."""

from __future__ import annotations

import importlib

ALIASES = {"np": "numpy", "tf": "tensorflow", "jnp": "jax.numpy"}


def resolve(dotted: str, allowed_roots: tuple[str, ...]):
    """Import the longest importable module prefix, then walk attributes.

    Raises AttributeError (the API does not exist in this version) or ValueError (outside the
    framework's packages)."""
    root, _, rest = dotted.partition(".")
    if root not in allowed_roots:
        raise ValueError(f"{dotted!r} is outside the allowed packages {allowed_roots}")
    dotted = ALIASES.get(root, root) + ("." + rest if rest else "")
    parts = dotted.split(".")
    obj, i = None, len(parts)
    while i > 0:
        try:
            obj = importlib.import_module(".".join(parts[:i]))
            break
        except ImportError:
            i -= 1
    if obj is None:
        raise AttributeError(f"cannot import {parts[0]!r}")
    for name in parts[i:]:
        if name.startswith("_"):
            raise ValueError(f"private attribute {name!r} in {dotted!r}")
        obj = getattr(obj, name)
    return obj


def resolve_reference(dotted: str):
    """A reference is numpy.* or portability.reference.*; raise ValueError when it does not exist."""
    try:
        if dotted.startswith("portability.reference."):
            from portability import reference

            return getattr(reference, dotted.removeprefix("portability.reference."))
        return resolve(dotted, ("numpy",))
    except AttributeError as exc:
        raise ValueError(f"reference {dotted!r} does not exist: {exc}") from None
