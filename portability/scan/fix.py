"""The codemod behind ``--fix`` / ``--diff``: pin left-out defaults as explicit keyword arguments.

``nn.BatchNorm2d(64)`` becomes ``nn.BatchNorm2d(64, eps=1e-05, momentum=0.1)``: libcst rewrites only
the flagged calls, so formatting and comments stay as they were; a multi-line call with a trailing
comma gets one argument per line in its own indentation. A finding carries a fix only when the
rewrite is certain (``rules._pin``): the parameter is known not to be given positionally, the call has
no ``*args`` / ``**kwargs``, the keyword is not positional-only. The rewrite is idempotent: a pinned
keyword is given, so the finding (and its fix) is gone on the next scan, and a keyword already
present is never written twice.

Calls are found by their exact source range (start and end line and column, in characters), the
range ``ast`` reported when the file was scanned; a file that changed in between is left alone.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections import defaultdict
from pathlib import Path


def plan(findings) -> dict:
    """path -> {(line, col, end_line, end_col): [(keyword, source), ...]} from the findings that carry a fix."""
    out: dict = defaultdict(lambda: defaultdict(list))
    for f in findings:
        if f.fix is None:
            continue
        key = (f.line, f.col - 1, f.end_line, f.end_col - 1)
        for kw in f.fix.keywords:
            if kw not in out[f.path][key]:
                out[f.path][key].append(kw)
    return {p: dict(v) for p, v in out.items()}


def rewrite(source: str, edits: dict) -> str:
    """The source with each call at an edit's range given its keywords (those it lacks)."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    class Pin(cst.CSTTransformer):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
            r = self.get_metadata(PositionProvider, original)
            kws = edits.get((r.start.line, r.start.column, r.end.line, r.end.column))
            if not kws or any(a.star for a in updated.args):
                return updated
            have = {a.keyword.value for a in updated.args if a.keyword is not None}
            todo = [(k, v) for k, v in kws if k not in have]
            return _append(updated, todo) if todo else updated

    wrapper = MetadataWrapper(cst.parse_module(source))
    return wrapper.visit(Pin()).code


def _append(call, keywords):
    import libcst as cst

    new = [cst.Arg(keyword=cst.Name(k), value=cst.parse_expression(v),
                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                         whitespace_after=cst.SimpleWhitespace("")))
           for k, v in keywords]
    args = list(call.args)
    space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if not args:
        return call.with_changes(args=[a.with_changes(comma=space) for a in new[:-1]] + new[-1:])
    last = args[-1]
    if isinstance(last.comma, cst.Comma) and isinstance(last.comma.whitespace_after, cst.ParenthesizedWhitespace):
        # One argument per line, trailing comma: the new ones follow in the same indentation.
        closing = last.comma.whitespace_after
        prev = args[-2].comma if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) else None
        line_ws = (prev.whitespace_after if prev is not None and isinstance(prev.whitespace_after,
                                                                            cst.ParenthesizedWhitespace)
                   else call.whitespace_before_args)
        if not isinstance(line_ws, cst.ParenthesizedWhitespace):
            line_ws = closing
        between = cst.Comma(whitespace_after=line_ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[]))
        # the old last argument keeps its own comment, now followed by the new lines
        args[-1] = last.with_changes(comma=last.comma.with_changes(
            whitespace_after=closing.with_changes(indent=line_ws.indent, last_line=line_ws.last_line)))
        end = cst.Comma(whitespace_after=closing.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[]))
        new = [a.with_changes(comma=between) for a in new[:-1]] + [new[-1].with_changes(comma=end)]
        return call.with_changes(args=args + new)
    trailing_comma = isinstance(last.comma, cst.Comma)
    moved = last.whitespace_after_arg  # a comment after the last argument stays at the end of the line
    args[-1] = last.with_changes(comma=space, whitespace_after_arg=cst.SimpleWhitespace(""))
    new = [a.with_changes(comma=space) for a in new[:-1]] + [
        new[-1].with_changes(comma=last.comma if trailing_comma else cst.MaybeSentinel.DEFAULT,
                             whitespace_after_arg=moved)]
    return call.with_changes(args=args + new)


def diff(path: str, old: str, new: str) -> str:
    """A unified diff; git's a/ b/ prefixes for a relative path (``git apply``), the path as is otherwise."""
    a, b = (path, path) if os.path.isabs(path) else (f"a/{path}", f"b/{path}")
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=a, tofile=b))


def write_keeping_mode(path: str, text: str) -> None:
    """Replace a source file atomically, keeping its permissions."""
    p = Path(path)
    mode = p.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def apply(findings, write: bool) -> list[tuple[str, str, str]]:
    """Rewrite every file with fixes: [(path, old, new)] for the files that change (written when ``write``)."""
    changed = []
    for path, edits in plan(findings).items():
        with open(path, encoding="utf-8", newline="") as f:
            old = f.read()
        new = rewrite(old, edits)
        if new != old:
            if write:
                write_keeping_mode(path, new)
            changed.append((path, old, new))
    return changed
