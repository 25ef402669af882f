"""One Python file, read and never run: what its names import, and every call it makes.

The standard library's ``ast`` reads the file (libcst only rewrites it, in ``fix.py``): reading
timm's ``models/`` folder (3.9 MB) takes about 2 s with ``ast``; libcst's parser alone took 13 s
on this machine and its QualifiedNameProvider another 80 s, far over the scan's 10 s budget.

Names are resolved the way Python binds them, statically:

- ``import torch.nn as nn``, ``from torch.nn import functional as F``, ``from tensorflow import keras``,
  ``import jax.numpy as jnp`` bind a name to a qualified name; relative imports
  (``from .common import F``) become ``package.common.F``, which ``resolve.py`` follows through the
  other scanned files' module-level names;
- a name assigned from another name (``norm = nn.BatchNorm2d``) is an alias when that is its only
  binding in the scope; a parameter whose default names a factory (``norm_layer=nn.BatchNorm2d``, or
  ``if norm_layer is None: norm_layer = nn.BatchNorm2d``) reads as that factory, marked ``via`` the
  parameter (findings say so, and the codemod leaves such calls alone: a caller may pass another);
- a function's parameters and local assignments shadow module-level names (a name is local to a
  function if it is bound anywhere in it); class bodies do not enclose their methods;
- where a name has both an import and another binding in one scope (``try: import torch`` /
  ``except ImportError: torch = None``), the import wins.

A call is recorded with its qualified target, or, when the callee is ``receiver.NAME(...)`` on
something that is not an imported name, as a method call ``NAME`` (``x.std()``); ``resolve.py``
decides which method calls are tensor methods. ``functools.partial(nn.BatchNorm2d, eps=1e-3)`` is
recorded as a call of ``nn.BatchNorm2d`` with the remaining arguments.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

_LITERAL_NODES = (ast.Constant, ast.UnaryOp, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.BinOp)
_IGNORE = re.compile(r"#\s*portability:\s*ignore(?:\[([A-Za-z0-9_, ]*)\])?")
_NOT_TENSORS = ("self", "cls", "super")


@dataclass(frozen=True)
class Arg:
    """One argument of a call: its literal value when it has one, else the dotted name it spells."""

    value: object = None
    literal: bool = False
    qualname: str | None = None  # an argument that names an import (partial's target)


@dataclass(frozen=True)
class CallFacts:
    line: int  # 1-based
    col: int  # 0-based, in characters
    end_line: int
    end_col: int
    kind: str  # call | method | partial
    target: str | None  # qualified name (call, partial); None for a method call
    method: str | None  # the attribute name of a method call
    args: tuple[Arg, ...]
    keywords: tuple[tuple[str, Arg], ...]
    star_at: int | None = None  # index of the first *args
    double_star: bool = False  # a **kwargs
    via: str | None = None  # the parameter whose default the target is (norm_layer=nn.BatchNorm2d)


@dataclass(frozen=True)
class FileFacts:
    path: str
    module: str | None  # dotted module name, when the file sits in a package
    imports: frozenset[str]  # top-level packages imported anywhere in the file
    exports: dict  # module-level name -> qualified name (what other files may import from it)
    calls: tuple[CallFacts, ...]
    ignores: dict = field(default_factory=dict)  # line -> frozenset of codes, or None for every code
    error: str | None = None  # the file does not parse: why
    error_line: int = 1
    error_col: int = 0


def module_name(path: Path) -> tuple[str | None, bool]:
    """(dotted module name, is a package __init__) from the folders with an __init__.py above it."""
    path = path.resolve()
    parts = [] if path.stem == "__init__" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if not parts or not all(p.isidentifier() for p in parts):
        return None, False
    return ".".join(parts), path.stem == "__init__"


def read_file(path: str) -> FileFacts:
    """Parse one file and collect its facts; a file that does not parse comes back with ``error``."""
    p = Path(path)
    try:
        source = p.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return FileFacts(path, None, frozenset(), {}, (), error=f"cannot read: {exc}")
    module, is_package = module_name(p)
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return FileFacts(path, module, frozenset(), {}, (), error=f"cannot parse: {exc.msg}",
                         error_line=exc.lineno or 1, error_col=max((exc.offset or 1) - 1, 0))
    except ValueError as exc:  # null bytes
        return FileFacts(path, module, frozenset(), {}, (), error=f"cannot parse: {exc}")
    reader = _Reader(source, module, is_package)
    reader.module(tree)
    return FileFacts(path, module, frozenset(reader.roots), reader.exports(), tuple(reader.resolve_calls()),
                     ignores=_ignores(source))


def _ignores(source: str) -> dict:
    """``# portability: ignore`` (every code) or ``# portability: ignore[PT001,PT002]`` per line."""
    if "portability:" not in source:
        return {}
    out = {}
    for i, line in enumerate(source.splitlines(), start=1):
        m = _IGNORE.search(line)
        if m:
            codes = m.group(1)
            out[i] = None if codes is None else frozenset(c.strip().upper() for c in codes.split(",") if c.strip())
    return out


class _Scope:
    __slots__ = ("kind", "parent", "bound", "globals")

    def __init__(self, kind: str, parent: "_Scope | None"):
        self.kind, self.parent = kind, parent
        self.bound: dict[str, tuple | None] = {}  # ("import", qualname) | ("alias", root, attrs, scope) | None
        self.globals: set[str] = set()

    def bind(self, name: str, how: tuple | None) -> None:
        if name in self.globals:
            scope = self
            while scope.parent is not None:
                scope = scope.parent
            scope.bind(name, how)
            return
        old = self.bound.get(name, 0)
        if old == 0:
            self.bound[name] = how
        elif old is not None and old[0] == "import":
            if how is not None and how[0] == "import":
                self.bound[name] = how  # the later import (both are imports: the usual case is the same one)
        elif how is not None and how[0] == "import":
            self.bound[name] = how  # an import wins over a fallback assignment
        elif old == ("param",) and how is not None and how[0] == "alias" and len(how) == 4:
            # `if norm_layer is None: norm_layer = nn.BatchNorm2d`: the parameter's default factory
            self.bound[name] = (*how, name)
        else:
            self.bound[name] = None  # two non-import bindings: unknown


class _Reader:
    """One walk over the tree: bindings per scope, and call sites resolved once every scope is complete."""

    def __init__(self, source: str, module: str | None, is_package: bool):
        self.lines = source.splitlines()
        self.module_name, self.is_package = module, is_package
        self.roots: set[str] = set()
        self.calls: list[tuple] = []  # (node, scope)
        self.top: _Scope | None = None

    # ---- walking
    def module(self, tree: ast.Module) -> None:
        self.top = _Scope("module", None)
        for stmt in tree.body:
            self.visit(stmt, self.top)

    def visit(self, node, scope: _Scope) -> None:
        t = type(node)
        if t is ast.Call:
            self.calls.append((node, scope))
        elif t is ast.Import:
            for a in node.names:
                self.roots.add(a.name.split(".")[0])
                if a.asname:
                    scope.bind(a.asname, ("import", a.name))
                else:
                    root = a.name.split(".")[0]
                    scope.bind(root, ("import", root))
            return
        elif t is ast.ImportFrom:
            base = self._from_module(node)
            if node.level == 0 and node.module:
                self.roots.add(node.module.split(".")[0])
            for a in node.names:
                if a.name == "*":
                    continue
                scope.bind(a.asname or a.name, ("import", f"{base}.{a.name}") if base else None)
            return
        elif t in (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda):
            self._function(node, scope)
            return
        elif t is ast.ClassDef:
            scope.bind(node.name, None)
            for n in (*node.decorator_list, *node.bases, *node.keywords):
                self.visit(n, scope)
            inner = _Scope("class", scope)
            for stmt in node.body:
                self.visit(stmt, inner)
            return
        elif t is ast.Assign:
            self.visit(node.value, scope)
            keys = _dict_keys(node.value)
            if keys is not None and len(node.targets) == 1 and type(node.targets[0]) is ast.Name:
                scope.bind(node.targets[0].id, ("dict", keys))  # dd = dict(device=device, dtype=dtype)
                return
            alias = _chain(node.value) if len(node.targets) == 1 else None
            for target in node.targets:
                self._bind_target(target, scope, alias)
            return
        elif t in (ast.AnnAssign, ast.AugAssign):
            if node.value is not None:
                self.visit(node.value, scope)
            alias = _chain(node.value) if t is ast.AnnAssign and node.value is not None else None
            self._bind_target(node.target, scope, alias)
            return
        elif t in (ast.For, ast.AsyncFor):
            self._bind_target(node.target, scope, None)
        elif t in (ast.With, ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    self._bind_target(item.optional_vars, scope, None)
        elif t is ast.ExceptHandler:
            if node.name:
                scope.bind(node.name, None)
        elif t is ast.NamedExpr:
            self._bind_target(node.target, scope, None)
        elif t in (ast.Global, ast.Nonlocal):
            if t is ast.Global:
                scope.globals.update(node.names)
            return
        elif t is ast.comprehension:
            # Comprehension variables live in their own scope; they are left unbound here (rarely a module alias).
            self.visit(node.iter, scope)
            for cond in node.ifs:
                self.visit(cond, scope)
            return
        for child in ast.iter_child_nodes(node):
            self.visit(child, scope)

    def _function(self, node, scope: _Scope) -> None:
        if type(node) is not ast.Lambda:
            scope.bind(node.name, None)
            for d in node.decorator_list:
                self.visit(d, scope)
        args = node.args
        for d in (*args.defaults, *[d for d in args.kw_defaults if d is not None]):
            self.visit(d, scope)
        inner = _Scope("function", scope)
        positional = [*args.posonlyargs, *args.args]
        defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
        defaults |= {a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None}
        for a in (*positional, *args.kwonlyargs, args.vararg, args.kwarg):
            if a is None:
                continue
            chain = _chain(defaults[a.arg]) if a.arg in defaults else None
            # a parameter whose default names a factory (norm_layer=nn.BatchNorm2d) reads as that factory,
            # marked: the caller may pass another one
            inner.bind(a.arg, ("alias", chain[0], chain[1], scope, a.arg) if chain else ("param",))
        body = [node.body] if type(node) is ast.Lambda else node.body
        for stmt in body:
            self.visit(stmt, inner)

    def _bind_target(self, target, scope: _Scope, alias) -> None:
        t = type(target)
        if t is ast.Name:
            scope.bind(target.id, ("alias", alias[0], alias[1], scope) if alias else None)
        elif t in (ast.Tuple, ast.List):
            for e in target.elts:
                self._bind_target(e, scope, None)
        elif t is ast.Starred:
            self._bind_target(target.value, scope, None)
        else:  # attribute or subscript: no name is bound, but its parts are evaluated
            self.visit(target, scope)

    def _from_module(self, node: ast.ImportFrom) -> str | None:
        if node.level == 0:
            return node.module
        if self.module_name is None:
            return None
        parts = self.module_name.split(".")
        if not self.is_package:
            parts = parts[:-1]
        if node.level - 1 > len(parts):
            return None
        parts = parts[: len(parts) - (node.level - 1)]
        if node.module:
            parts.append(node.module)
        return ".".join(parts) or None

    # ---- resolution (every scope is complete now)
    def binding(self, name: str, scope: _Scope):
        """The one binding a name has where it is used (None: unbound, or bound several ways)."""
        s = scope
        first = True
        while s is not None:
            if s.kind == "class" and not first:
                s = s.parent
                continue
            if name in s.globals and s.parent is not None:
                s = self.top
                continue
            if name in s.bound:
                return s.bound[name]
            first = False
            s = s.parent
        return None

    def lookup(self, name: str, scope: _Scope) -> str | None:
        return self.resolve(name, scope)[0]

    def resolve(self, name: str, scope: _Scope, depth: int = 0) -> tuple[str | None, str | None]:
        """(qualified name, the parameter it comes through as a default, if any)."""
        how = self.binding(name, scope)
        if how is None or how[0] in ("dict", "param"):
            return None, None
        if how[0] == "import":
            return how[1], None
        if depth > 8:
            return None, None
        base, via = self.resolve(how[1], how[3], depth + 1)
        via = via or (how[4] if len(how) > 4 else None)
        return (f"{base}.{'.'.join(how[2])}" if base and how[2] else base), via

    def exports(self) -> dict:
        out = {}
        for name in self.top.bound:
            q = self.lookup(name, self.top)
            if q:
                out[name] = q
        return out

    def resolve_calls(self):
        for node, scope in self.calls:
            facts = self._call(node, scope)
            if facts is not None:
                yield facts

    def _call(self, node: ast.Call, scope: _Scope) -> CallFacts | None:
        func = node.func
        chain = _chain(func)
        target = method = via = None
        if chain is not None:
            root, attrs = chain
            base, via = self.resolve(root, scope)
            if base is not None:
                target = f"{base}.{'.'.join(attrs)}" if attrs else base
            elif attrs and not (root in _NOT_TENSORS and len(attrs) == 1):  # self.std() is not a tensor's
                method = attrs[-1]
        elif type(func) is ast.Attribute and type(func.value) not in (ast.Constant, ast.JoinedStr, ast.List,
                                                                         ast.Dict, ast.Set, ast.Tuple):
            method = func.attr
        if target is None and method is None:
            return None
        args, star_at = [], None
        for i, a in enumerate(node.args):
            if type(a) is ast.Starred:
                star_at = i if star_at is None else star_at
                args.append(Arg())
            else:
                args.append(_arg(a))
        keywords, double_star = [], False
        for k in node.keywords:
            if k.arg is not None:
                keywords.append((k.arg, _arg(k.value)))
                continue
            spread = _dict_items(k.value)  # **{"eps": 1e-3} / **dict(eps=1e-3): known keywords
            if spread is None and type(k.value) is ast.Name:
                how = self.binding(k.value.id, scope)
                spread = [(key, Arg()) for key in how[1]] if how and how[0] == "dict" else None
            if spread is None:
                double_star = True
            else:
                keywords += spread
        kind = "method" if method else "call"
        if target in ("functools.partial", "functools.partialmethod") and args and star_at != 0:
            inner = _chain(node.args[0])
            inner_target, via = self.resolve(inner[0], scope) if inner else (None, None)
            if inner_target is None:
                return None
            target = f"{inner_target}.{'.'.join(inner[1])}" if inner[1] else inner_target
            args, kind = args[1:], "partial"
            star_at = None if star_at is None else star_at - 1
        line, col = node.lineno, self._chars(node.lineno, node.col_offset)
        end_line, end_col = node.end_lineno or line, self._chars(node.end_lineno or line, node.end_col_offset or 0)
        return CallFacts(line, col, end_line, end_col, kind, target, method, tuple(args), tuple(keywords),
                         star_at, double_star, via)

    def _chars(self, line: int, byte_col: int) -> int:
        """ast columns count UTF-8 bytes; findings (and libcst) count characters."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _chain(node) -> tuple[str, tuple[str, ...]] | None:
    """``a.b.c`` -> ("a", ("b", "c")); None for anything that is not a dotted name."""
    attrs = []
    while type(node) is ast.Attribute:
        attrs.append(node.attr)
        node = node.value
    if type(node) is not ast.Name:
        return None
    return node.id, tuple(reversed(attrs))


def _dict_items(node) -> list | None:
    """A dict display or dict(...) call with string keys -> [(key, Arg)]; None for anything else."""
    if type(node) is ast.Dict:
        if not all(type(k) is ast.Constant and isinstance(k.value, str) for k in node.keys):
            return None  # a **spread (key None) or a computed key
        return [(k.value, _arg(v)) for k, v in zip(node.keys, node.values)]
    if (type(node) is ast.Call and type(node.func) is ast.Name and node.func.id == "dict" and not node.args
            and all(k.arg is not None for k in node.keywords)):
        return [(k.arg, _arg(k.value)) for k in node.keywords]
    return None


def _dict_keys(node) -> tuple | None:
    items = _dict_items(node)
    return None if items is None else tuple(k for k, _ in items)


def _arg(node) -> Arg:
    if type(node) in _LITERAL_NODES:
        try:
            return Arg(ast.literal_eval(node), True)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return Arg()
    return Arg()
