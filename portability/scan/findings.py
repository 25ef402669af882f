"""The scan's records: plain frozen dataclasses that every output format and the codemod read."""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class TargetApi:
    """What one target API does with the parameter a finding is about."""

    framework: str  # target name as given to --to (onnxruntime, tensorflow)
    api: str  # the catalog's label
    value: object  # canonical value the API uses when the argument is left out (default or fixed); None if neither
    status: str  # same | differs | cannot | depends | required (no default: a port writes it) | n/a
    primary: bool  # the API a port most likely uses (same kind as the source call, first in the catalog)
    explicit: dict | None = None  # framework arguments that make it agree with the source ({"epsilon": 1e-05})
    note: str | None = None  # why it cannot (the catalog transform's reason, or "always X")
    shown: str | None = None  # the default in the API's own terms (Keras momentum=0.99), for messages


@dataclass(frozen=True)
class Fix:
    """Keyword arguments the codemod appends to the call, as Python source."""

    keywords: tuple  # ((name, source_text), ...)

    def text(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.keywords)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int  # 1-based
    col: int  # 1-based, in characters
    end_line: int
    end_col: int
    code: str
    message: str
    op: str | None = None
    api: str | None = None  # the source API's catalog label (or the uncovered call's name)
    call: str | None = None  # the call's qualified name as resolved (torch.Tensor.std for x.std())
    param: str | None = None  # canonical parameter
    origin: str | None = None  # default | implied | explicit: where the source value comes from
    source_value: object = None  # canonical value the call uses
    targets: tuple = ()  # TargetApi, for every API of every target framework the finding is about
    fix: Fix | None = None
    anchor: str | None = None  # the op's section in the HTML report (#op-NAME)
    known: str | None = None  # the catalog's `known` record for this difference: why it is documented

    def sort_key(self):
        return (self.path, self.line, self.col, self.code, self.param or "")


def py_literal(value) -> str | None:
    """Python source for a value, or None when it has no plain literal (inf, NaN, objects)."""
    if value is None or isinstance(value, bool):
        text = repr(value)
    elif isinstance(value, int):
        text = repr(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            return None
        text = repr(value)
    elif isinstance(value, str):
        text = json.dumps(value)
    elif isinstance(value, (list, tuple)):
        items = [py_literal(v) for v in value]
        if any(i is None for i in items):
            return None
        inner = ", ".join(items)
        text = f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(items) == 1 else ''})"
    else:
        return None
    try:
        if ast.literal_eval(text) != value:
            return None
    except (ValueError, SyntaxError):
        return None
    return text


def shown(value) -> str:
    """A value as a message shows it."""
    if isinstance(value, str):
        return repr(value)
    return py_literal(value) or repr(value)
