"""Call targets: the sandbox between a catalog (data from strangers) and the frameworks.

A catalog names what to call by a dotted path. A path is only ever resolved as NAMESPACE.NAME:
NAMESPACE is one of the namespaces its framework's registry entry allows (``torch.nn.functional``,
``tf.math``, ``jax.numpy``, ...), reached by the registry's own path, never the catalog's; NAME is
one public attribute of it. So no path can walk through a module object a framework happens to
import (``torch.<mod>.os.system``), into a private module (``torch._C``), or to a name the
framework re-exports from elsewhere: the object must not be a module, must be callable, and must
be defined inside the framework's own packages. Names that do I/O, run arbitrary callables or
change global state are refused even inside an allowed namespace.

``check_name`` decides everything that the name alone decides, without importing a framework (the
loader calls it); ``resolve`` checks it again in the worker, then checks the object itself.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

ALIASES = {"np": "numpy", "tf": "tensorflow", "jnp": "jax.numpy"}

# Fragments of names that read or write files, open sockets, spawn processes, (un)pickle, download,
# wrap arbitrary Python callables or deserialize configs: refused in every namespace.
_IO_FRAGMENTS = (
    "save", "load", "file", "dump", "pickle", "download", "url", "callback", "py_func", "numpy_function",
    "print", "write", "read", "open", "exec", "eval", "compile", "system", "spawn", "popen", "process", "socket",
    "serial", "config", "memmap", "datasource", "txt", "regex", "stringlookup", "integerlookup", "vectoriz", "lambda", "tfsm",
    "wrapper", "jaxlayer", "flaxlayer", "debug", "profil", "summary", "checkpoint", "environ", "feed", "show",
    "import", "attr", "library",
    "seed",  # global RNG state (numpy.random.seed, torch.manual_seed, keras.random.SeedGenerator): random ops draw unseeded
)
_DENIED_NAMES = {"hub", "function", "get", "seterr", "seterrcall", "setbufsize", "info"}
_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class TargetRefused(ValueError):
    """The catalog names something outside the sandbox (a load-time error, exit 2)."""


@dataclass(frozen=True)
class Policy:
    """What one catalog key may call: namespaces (dotted, aliases expanded) and the packages that
    must define the object. A namespace may be a class (``torch.Tensor``): its methods are targets."""

    key: str
    namespaces: tuple[str, ...]
    packages: tuple[str, ...]


def policy_for(key: str) -> Policy:
    """The policy of a catalog key (``torch``, ``tensorflow``, ...) or ``reference``."""
    from portability.frameworks import BACKENDS

    if key == "reference":
        numpy = next(b for b in BACKENDS.values() if b.catalog_key == "numpy")
        return Policy("reference", numpy.namespaces, numpy.packages)
    backend = next((b for b in BACKENDS.values() if b.catalog_key == key), None)
    if backend is None:
        raise TargetRefused(f"unknown framework key {key!r}")
    return Policy(key, backend.namespaces, backend.packages)


def expand(dotted: str) -> str:
    root, _, rest = dotted.partition(".")
    return ALIASES.get(root, root) + ("." + rest if rest else "")


def check_name(dotted: str, policy: Policy) -> tuple[str, str]:
    """(namespace, name) of an allowed target; TargetRefused otherwise. Imports nothing."""
    if not isinstance(dotted, str) or not all(_IDENT.match(p) for p in dotted.split(".")):
        raise TargetRefused(f"{dotted!r} is not a dotted path of public names (no private or dunder parts)")
    full = expand(dotted)
    namespace = max((ns for ns in policy.namespaces if full.startswith(ns + ".")), key=len, default=None)
    if namespace is None:
        allowed = ", ".join(policy.namespaces)
        raise TargetRefused(f"{dotted!r} is not in an allowed {policy.key} namespace (allowed: {allowed})")
    name = full[len(namespace) + 1:]
    if "." in name:
        raise TargetRefused(f"{dotted!r} walks through {namespace}.{name.rsplit('.', 1)[0]}: a target is "
                            f"one function or class of an allowed namespace, e.g. {namespace}.NAME")
    lowered = name.lower()
    hit = next((f for f in _IO_FRAGMENTS if f in lowered), None)
    if name in _DENIED_NAMES or lowered.startswith("set_") or hit:
        why = f"names containing {hit!r}" if hit else f"{name!r}"
        raise TargetRefused(f"{dotted!r} is refused: {why} may do I/O, run arbitrary callables or change "
                            "global state, which a catalog may not")
    return namespace, name


def resolve(dotted: str, key: str):
    """The framework object a catalog target names, after every sandbox check (in the worker).

    Raises TargetRefused (outside the sandbox) or AttributeError (the installed version lacks it). A target
    that passed is remembered with the namespace that holds it: a worker resolves the same few hundred targets
    thousands of times, and a repeat costs one attribute lookup (the holder must still hold the same object,
    or every check runs again)."""
    seen = _RESOLVED.get((dotted, key))
    if seen is not None and getattr(seen[0], seen[1], None) is seen[2]:
        return seen[2]
    policy = policy_for(key)
    namespace, name = check_name(dotted, policy)
    holder = _namespace_object(namespace, policy)
    obj = getattr(holder, name)  # AttributeError: this version has no such API
    _check_object(dotted, obj, policy)
    _RESOLVED[(dotted, key)] = (holder, name, obj)
    return obj


_RESOLVED: dict[tuple[str, str], tuple] = {}  # (dotted, key) -> (holder, name, object) of a target that passed


def _namespace_object(namespace: str, policy: Policy):
    """The namespace, reached from its package root along the registry's own path."""
    parts = namespace.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=2):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            obj = getattr(obj, part)  # lazily exported sub-namespaces (tf.nn, keras.ops)
    origin = obj.__name__ if isinstance(obj, ModuleType) else getattr(obj, "__module__", "")
    if not (isinstance(obj, ModuleType) or inspect.isclass(obj)) or not _inside(origin, policy.packages):
        raise TargetRefused(f"namespace {namespace!r} does not resolve to a {policy.key} module")
    return obj


def _check_object(dotted: str, obj, policy: Policy) -> None:
    if isinstance(obj, ModuleType):
        raise TargetRefused(f"{dotted!r} is a module, not a function or class")
    if not callable(obj):
        raise TargetRefused(f"{dotted!r} is not callable")
    origin = _defining_module(obj)
    if not _inside(origin, policy.packages):
        raise TargetRefused(f"{dotted!r} is defined in {origin or 'an unknown module'!r}, "
                            f"outside the {policy.key} packages ({', '.join(policy.packages)})")


def _defining_module(obj) -> str:
    """Where an object was defined; a method descriptor (torch.Tensor.repeat) by its class."""
    module = getattr(obj, "__module__", None)
    if not module and hasattr(obj, "__objclass__"):
        module = getattr(obj.__objclass__, "__module__", None)
    return module or ""


def _inside(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


@lru_cache(maxsize=1)
def reference_functions() -> dict:
    """NAME -> function for ``portability.reference.NAME``: functions defined in that package only. Built once:
    every reference call (thousands per run, finite differences included) looks a name up here."""
    from portability import reference

    return {name: fn for name, fn in vars(reference).items()
            if inspect.isfunction(fn) and not name.startswith("_")
            and fn.__module__.startswith("portability.reference.")}


def resolve_reference(dotted: str):
    """A reference is a numpy call (the numpy sandbox) or a function of portability.reference.

    Raises TargetRefused when it is neither or does not exist."""
    if dotted.startswith("portability.reference."):
        name = dotted.removeprefix("portability.reference.")
        fn = reference_functions().get(name)
        if fn is None:
            raise TargetRefused(f"reference {dotted!r} is not a function of portability.reference")
        return fn
    try:
        return resolve(dotted, "reference")
    except AttributeError as exc:
        raise TargetRefused(f"reference {dotted!r} does not exist: {exc}") from None
