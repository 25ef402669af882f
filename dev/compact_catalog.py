"""Rewrite catalog files into the short form: drop what the loader now infers.

Removes `args` that equal the default (the op's inputs in order, less kwargs/weights/derive sources) and
identity parameter maps (`axis: axis`), and writes `PARAM: null` where an API deliberately does not take a
parameter (before, leaving it out meant that; now an unlisted parameter passes under its own name). Text
edits keep comments and layout. `--check` proves the rewrite changes nothing: every op loads to the same
records before (HEAD's loader on the old text) and after.

    python dev/compact_catalog.py opspecs/*.yaml            # rewrite in place
    python dev/compact_catalog.py --lines opspecs/*.yaml    # lines per op only
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _items(node):
    return {k.value: (k, v) for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}


def _plain(node):
    return yaml.safe_load(yaml.serialize(node)) if node is not None else None


def _op_inputs(op_node) -> list[str]:
    items = _items(op_node)
    names = list(_plain(items["inputs"][1]) or {}) if "inputs" in items else []
    for case in (_plain(items["cases"][1]) if "cases" in items else []) or []:
        for n in case.get("inputs") or {}:
            if n not in names:
                names.append(n)
    return names


def _api_nodes(op_node):
    items = _items(op_node)
    yield items["reference"][1]
    for _, value in _items(items["apis"][1]).values():
        yield from (value.value if isinstance(value, yaml.SequenceNode) else [value])


def _span(text, key, value) -> str:
    return text[key.start_mark.index:value.end_mark.index]


def _render_flow(text, node, drop: set, append: list, replace: dict) -> str:
    """A flow mapping written again from its own source slices, less `drop`, plus `append`."""
    parts = []
    for k, v in node.value:
        if k.value in drop:
            continue
        parts.append(f"{k.value}: {replace[k.value]}" if k.value in replace else _span(text, k, v))
    return "{" + ", ".join(parts + append) + "}"


def _own_lines(text, key, value):
    """The line span of a block pair, when it is alone on its lines; else None."""
    start, end = key.start_mark.index, value.end_mark.index
    end = len(text[:end].rstrip())  # a block value ends where the next key's line begins
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    before, after = text[line_start:start].strip(), text[end:line_end].strip()
    if before not in ("", "-") or (after and not after.startswith("#")):
        raise ValueError(f"cannot remove {text[start:end]!r} on line {key.start_mark.line + 1}: not alone on it")
    if before == "-":  # `- args: [x]`: the list item's first key; keep the dash for the next key
        raise ValueError(f"line {key.start_mark.line + 1}: the first key of a list item; move it down by hand")
    return line_start, line_end + 1


def _default_args(api: dict, inputs: list[str]) -> list[str]:
    elsewhere = set((api.get("kwargs") or {}).values()) | set((api.get("weights") or {}).values())
    for spec in (api.get("derive") or {}).values():
        srcs = spec["inputs"] if isinstance(spec["inputs"], list) else [spec["inputs"]]
        elsewhere |= {s for s in srcs if isinstance(s, str)}
    return [n for n in inputs if n not in elsewhere]


def _not_taken(api: dict, params: list[str]) -> list[str]:
    """Parameters the old loader did not pass and the new one would: they must become `null`."""
    used = set(api.get("params") or {}) | set(api.get("fixed") or {}) | set(api.get("constants") or {})
    used |= set(api.get("call_kwargs") or {}) | set(api.get("ignores") or {})
    used |= {a["param"] for a in api.get("args") or [] if isinstance(a, dict) and "param" in a}
    for spec in (api.get("derive") or {}).values():
        srcs = spec["inputs"] if isinstance(spec["inputs"], list) else [spec["inputs"]]
        used |= {s["param"] for s in srcs if isinstance(s, dict)}
    return [p for p in params if p not in used]


def compact(text: str) -> str:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    edits = []  # (start, end, replacement), non-overlapping
    uses: dict[int, int] = {}  # an anchored API block serves several ops: rewrite it for none of them
    for op_node in _items(root)["ops"][1].value:
        for api_node in _api_nodes(op_node):
            uses[id(api_node)] = uses.get(id(api_node), 0) + 1

    for op_node in _items(root)["ops"][1].value:
        op = _plain(op_node)
        inputs, params = _op_inputs(op_node), list(op.get("params") or {})
        for api_node in _api_nodes(op_node):
            if uses[id(api_node)] > 1:
                continue
            api, items = _plain(api_node), _items(api_node)
            if "call" not in api:
                continue
            drop = set()
            if "args" in items and api["args"] == _default_args(api, inputs):
                drop.add("args")
            missing = [f"{p}: null" for p in _not_taken(api, params)]
            pnode = items.get("params")
            pdrop = set()
            if pnode is not None:
                pdrop = {k.value for k, v in pnode[1].value
                         if isinstance(v, yaml.ScalarNode) and v.tag.endswith(":str") and v.value == k.value}
                if pdrop == {k.value for k, _ in pnode[1].value} and not missing:
                    drop.add("params")
            replace = {}
            if pnode is not None and "params" not in drop and (pdrop or missing):
                if pnode[1].flow_style:
                    replace["params"] = _render_flow(text, pnode[1], pdrop, missing, {})
                else:
                    for k, v in pnode[1].value:
                        if k.value in pdrop:
                            edits.append((*_own_lines(text, k, v), ""))
                    first = pnode[1].value[0][0]
                    indent = " " * first.start_mark.column
                    at = first.start_mark.index - first.start_mark.column
                    edits.append((at, at, "".join(f"{indent}{m}\n" for m in missing)))
            append = [f"params: {{{', '.join(missing)}}}"] if pnode is None and missing else []
            if api_node.flow_style:
                if drop or replace or append:
                    edits.append((api_node.start_mark.index, api_node.end_mark.index,
                                  _render_flow(text, api_node, drop, append, replace)))
                continue
            for name in drop:
                edits.append((*_own_lines(text, *items[name]), ""))
            if "params" in replace:
                k, v = pnode
                edits.append((v.start_mark.index, v.end_mark.index, replace["params"]))
            if append:
                call_key, call_value = items["call"]
                line_end = text.find("\n", call_value.end_mark.index)
                edits.append((line_end + 1, line_end + 1, " " * call_key.start_mark.column + append[0] + "\n"))
    out = text
    for start, end, rep in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + rep + out[end:]
    return out


WIDTH = 116  # the catalog's longest lines today


def _flow_text(text, node) -> str | None:
    """A node written on one line from its own source slices; None when it cannot be (a multi-line or
    commented scalar)."""
    if isinstance(node, yaml.ScalarNode):
        span = text[node.start_mark.index:node.end_mark.index]
        if "\n" in span or node.style in ("|", ">"):
            return None
        if node.style is None and any(c in span for c in "[]{},"):  # plain in a block, not in a flow
            import json

            return json.dumps(node.value)
        return span
    if node.flow_style:
        span = text[node.start_mark.index:node.end_mark.index]
        return None if "\n" in span else span
    if isinstance(node, yaml.SequenceNode):
        parts = [_flow_text(text, v) for v in node.value]
        return None if None in parts else "[" + ", ".join(parts) + "]"
    parts = []
    for k, v in node.value:
        value = _flow_text(text, v)
        if value is None:
            return None
        parts.append(f"{k.value}: {value}")
    return "{" + ", ".join(parts) + "}"


def _commented(text, node) -> bool:
    end = len(text[:node.end_mark.index].rstrip())
    line_end = text.find("\n", end)
    span = text[node.start_mark.index:line_end if line_end >= 0 else len(text)]
    return " #" in span or "\t#" in span


def flow(text: str) -> str:
    """Block API entries and cases that fit on one line, written as one flow mapping."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    edits, done = [], set()

    def one_line(node, prefix_end: int, prefix: str):
        if id(node) in done:
            return
        done.add(id(node))
        if node.flow_style or not isinstance(node, yaml.MappingNode) or _commented(text, node):
            return
        rendered = _flow_text(text, node)
        if rendered is None:
            return
        line_start = text.rfind("\n", 0, prefix_end) + 1
        if len(text[line_start:prefix_end]) + len(prefix) + len(rendered) > WIDTH:
            return
        end = len(text[:node.end_mark.index].rstrip())
        edits.append((prefix_end, end, prefix + rendered))

    for op_node in _items(root)["ops"][1].value:
        items = _items(op_node)
        one_line(items["reference"][1], items["reference"][0].end_mark.index, ": ")
        for key, value in _items(items["apis"][1]).values():
            if isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    one_line(item, item.start_mark.index, "")
            else:
                one_line(value, key.end_mark.index, ": ")
        if "cases" in items:
            for item in items["cases"][1].value:
                one_line(item, item.start_mark.index, "")
    out = text
    for start, end, rep in sorted(edits, reverse=True):
        out = out[:start] + rep + out[end:]
    return out


def lines_per_op(paths) -> tuple[int, int]:
    lines = sum(len(Path(p).read_text().splitlines()) for p in paths)
    ops = sum(len(yaml.safe_load(Path(p).read_text())["ops"]) for p in paths)
    return lines, ops


def _records(load, paths):
    from dataclasses import asdict

    def strip(x):  # `implicit` is new and not part of what a record means
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "implicit"}
        if isinstance(x, (list, tuple)):
            return [strip(v) for v in x]
        return x

    return {op.name: strip(asdict(op)) for op in load(list(paths)).ops}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--lines", action="store_true", help="print lines per op and stop")
    ap.add_argument("--old-spec", help="a copy of the previous portability/spec.py, to prove the rewrite")
    args = ap.parse_args(argv)
    lines, ops = lines_per_op(args.files)
    print(f"before: {lines} lines, {ops} ops, {lines / ops:.1f} lines per op")
    if args.lines:
        return 0
    before = None
    if args.old_spec:
        import importlib.util

        spec = importlib.util.spec_from_file_location("portability._old_spec", args.old_spec)
        old = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = old
        spec.loader.exec_module(old)
        before = _records(old.load_catalog, args.files)
    for f in args.files:
        p = Path(f)
        p.write_text(flow(compact(p.read_text())))
    lines, ops = lines_per_op(args.files)
    print(f"after:  {lines} lines, {ops} ops, {lines / ops:.1f} lines per op")
    if before is not None:
        from portability.spec import load_catalog

        after = _records(load_catalog, args.files)
        bad = [n for n in before if before[n] != after.get(n)]
        for n in bad[:10]:
            b, a = before[n], after[n]
            for i, (x, y) in enumerate(zip(b["apis"] + [b["reference"]], a["apis"] + [a["reference"]])):
                if x != y:
                    print(n, {k: (x[k], y[k]) for k in x if x[k] != y[k]})
        print(f"equivalence: {len(before) - len(bad)}/{len(before)} ops load to the same records")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
