"""Regenerate portability/scan/signatures.json from the installed frameworks.

`portability scan` never imports a framework, yet it has to know how a call's arguments bind: which
parameter `nn.BatchNorm2d(64, 1e-3)` sets positionally, what `F.interpolate` defaults `mode` to,
that `tf.math.reduce_std` is also spelled `tf.reduce_std`, that `x.std()` is `torch.std`'s method.
This snapshot records, for every call target of the bundled catalog (ONNX aside):

- ``apis``: dotted path (aliases expanded) -> ``overloads``: a list of parameter lists (one for a
  Python function or class, one per aten schema for a torch builtin), each parameter
  ``{name, kw (keyword-only), po (positional-only), type (any|bool|int|float|str|list|tensor|varargs|varkw),
  default (a literal, or "<object>"), has_default}``;
- ``aliases``: another public path to the same object -> the catalog's path;
- ``methods``: torch.Tensor method name -> the catalog's torch function (``std`` -> ``torch.std``),
  with the method's own overloads under ``apis["torch.Tensor.NAME"]``.

Run it after upgrading a framework (``.venv/bin/python dev/update_scan_signatures.py``); ``--check``
exits 1 while the snapshot lags the installed versions (tests/test_scan_signatures.py runs it).
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "portability" / "scan" / "signatures.json"
sys.path.insert(0, str(ROOT))

# Public namespaces searched for other spellings of a catalog target.
ALIAS_NAMESPACES = {
    "torch": ("torch", "torch.nn", "torch.nn.functional", "torch.special", "torch.linalg", "torch.fft"),
    "tensorflow": ("tensorflow", "tensorflow.math", "tensorflow.nn", "tensorflow.image", "tensorflow.linalg",
                   "tensorflow.signal", "tensorflow.compat.v1", "tensorflow.compat.v1.nn", "tensorflow.compat.v1.math",
                   "tensorflow.compat.v1.image", "keras.layers", "keras.ops", "keras.activations", "keras.losses",
                   "keras.ops.nn", "keras.ops.numpy", "keras.ops.math", "keras.ops.image"),
    "jax": ("jax.numpy", "jax.nn", "jax.lax", "jax.image", "jax.numpy.linalg", "jax.scipy.special", "jax.scipy.linalg"),
    "numpy": ("numpy", "numpy.linalg", "numpy.fft"),
}


def _literal(v):
    """A JSON-safe literal default, or a marker that there is one we cannot state."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else repr(v)
    if isinstance(v, (list, tuple)) and all(x is None or isinstance(x, (bool, int, float, str)) for x in v):
        return list(v)
    return ...


def _param(name: str, kw: bool, type_: str, default=inspect.Parameter.empty) -> dict:
    p = {"name": name, "kw": kw, "type": type_}
    if default is not inspect.Parameter.empty:
        lit = _literal(default)
        p["default"] = lit if lit is not ... else "<object>"
        p["has_default"] = True
    return p


def _py_overload(fn, drop_first: bool) -> list[dict] | None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters.values())
    if drop_first and params:
        params = params[1:]
    out = []
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            out.append({"name": "*" + p.name, "kw": False, "type": "varargs"})
        elif p.kind is p.VAR_KEYWORD:
            out.append({"name": "**" + p.name, "kw": True, "type": "varkw"})
        else:
            one = _param(p.name, p.kind is p.KEYWORD_ONLY, "any", p.default)
            if p.kind is p.POSITIONAL_ONLY:
                one["po"] = True  # cannot be passed by keyword: the codemod never writes it
            out.append(one)
    return out


def _schema_type(t: str) -> str:
    t = t.removeprefix("Optional[").removesuffix("]")
    if t in ("bool",):
        return "bool"
    if t in ("int", "SymInt"):
        return "int"
    if t in ("float", "number", "Scalar"):
        return "float"
    if t in ("str", "Dimname"):
        return "str"
    if t.startswith("List["):
        return "list"
    if t == "Tensor":
        return "tensor"
    return "any"


def _aten_overloads(name: str, drop_self: bool) -> list[list[dict]] | None:
    import torch

    packet = getattr(torch.ops.aten, name, None)
    if packet is None:
        return None
    overloads = []
    for o in packet.overloads():
        schema = getattr(packet, o)._schema
        args = list(schema.arguments)
        if any(a.name == "out" for a in args) or o.endswith("_out") or o == "out":
            continue
        if drop_self and args and args[0].name == "self":
            args = args[1:]
        params = []
        for a in args:
            default = a.default_value if a.has_default_value() else inspect.Parameter.empty
            params.append(_param("input" if a.name == "self" else a.name, a.kwarg_only, _schema_type(str(a.type)),
                                 default))
        overloads.append(params)
    return overloads or None


def _dispatch_target(fn):
    """torch's boolean_dispatch wrappers take (*args, **kwargs): the wrapped functions hold the signature."""
    cells = [c.cell_contents for c in (getattr(fn, "__closure__", None) or ()) if callable(c.cell_contents)]
    cells = [c for c in cells if inspect.isfunction(c)]
    return max(cells, key=lambda f: len(inspect.signature(f).parameters), default=None)


def overloads_of(path: str, obj, framework: str, method: bool = False) -> list[list[dict]] | None:
    target = obj.__init__ if inspect.isclass(obj) else obj
    one = _py_overload(target, drop_first=inspect.isclass(obj) or method)
    if one is not None and [p["type"] for p in one] == ["varargs", "varkw"]:
        inner = _dispatch_target(target)
        one = _py_overload(inner, drop_first=method) if inner is not None else None
        if one is not None:
            one = [p for p in one if p["name"] != "return_indices"] + [_param("return_indices", False, "bool", False)]
    if one is not None:
        return [one]
    if framework == "torch":
        return _aten_overloads(path.rsplit(".", 1)[-1], drop_self=method)
    return None


def _namespace(dotted: str):
    parts = dotted.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=2):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
    return obj


def snapshot() -> dict:
    from portability.frameworks import installed_version
    from portability.resolve import expand, resolve
    from portability.spec import load_catalog

    catalog = load_catalog()
    apis, aliases, methods = {}, {}, {}
    by_id: dict[str, dict[int, str]] = {}
    for op in catalog.ops:
        for api in op.apis:
            if api.unsupported or api.not_expressible or api.framework == "onnx":
                continue
            path = expand(api.call)
            if path in apis:
                continue
            try:
                obj = resolve(api.call, api.framework)
            except Exception as exc:  # noqa: BLE001 - a version without the API: leave it out, say so
                print(f"skip {api.call}: {exc}", file=sys.stderr)
                continue
            ov = overloads_of(path, obj, api.framework)
            if ov is None:
                print(f"no signature for {api.call}", file=sys.stderr)
                continue
            apis[path] = {"overloads": ov}
            by_id.setdefault(api.framework, {})[id(obj)] = path
            if api.framework == "torch" and path.count(".") == 1:
                import torch

                name = path.split(".")[1]
                meth = getattr(torch.Tensor, name, None)
                if meth is not None:
                    mov = overloads_of(f"torch.Tensor.{name}", meth, "torch", method=True)
                    if mov is not None:
                        apis[f"torch.Tensor.{name}"] = {"overloads": mov}
                        methods[name] = path
    for framework, namespaces in ALIAS_NAMESPACES.items():
        known = by_id.get(framework, {})
        for ns in namespaces:
            try:
                holder = _namespace(ns)
            except ImportError:
                continue
            for name in dir(holder) if holder is not None else ():
                if name.startswith("_"):
                    continue
                try:
                    obj = getattr(holder, name)
                except Exception:  # noqa: BLE001 - lazy attributes may fail to load; not an alias then
                    continue
                path = known.get(id(obj))
                alias = f"{ns}.{name}"
                if path and alias != path and alias not in apis:
                    aliases[alias] = path
    versions = {b: installed_version(b) for b in ("numpy", "torch", "tensorflow", "jax")}
    import keras

    versions["keras"] = keras.__version__
    return {"versions": versions, "apis": dict(sorted(apis.items())), "aliases": dict(sorted(aliases.items())),
            "methods": dict(sorted(methods.items()))}


def render(data: dict) -> str:
    return json.dumps(data, indent=None, separators=(",", ":"), sort_keys=False) + "\n"


if __name__ == "__main__":
    fresh = render(snapshot())
    if "--check" in sys.argv:  # exit 1 when the committed snapshot lags the installed frameworks
        if OUT.read_text() != fresh:
            print(f"{OUT} is stale: run .venv/bin/python dev/update_scan_signatures.py", file=sys.stderr)
            sys.exit(1)
        print("current", file=sys.stderr)
        sys.exit(0)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(fresh)
    print(f"wrote {OUT}", file=sys.stderr)
