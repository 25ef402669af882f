"""The command line: run / list / explain. Exit 0: done; 1: --fail-on hazards found; 2: bad usage or catalog."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from portability.errors import UsageError

DEFAULT_JSON = "reports/portability.json"
DEFAULT_HTML = "reports/portability.html"


def _csv(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="portability", description="Cross-framework DL operation portability checker.")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the catalog in every installed framework and report hazards")
    run.add_argument("catalog", nargs="*", help="YAML files or folders (default: the bundled opspecs/)")
    run.add_argument("--ops", help="comma-separated op names")
    run.add_argument("--frameworks", help="comma-separated backends: numpy,torch,tensorflow,jax,onnxruntime,onnx-reference")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--json", default=DEFAULT_JSON, help=f"JSON report path (default {DEFAULT_JSON})")
    run.add_argument("--html", default=DEFAULT_HTML, help=f"HTML report path (default {DEFAULT_HTML})")
    run.add_argument("--fail-on", help="comma-separated hazard kinds (or 'any') that make the exit code 1")
    run.add_argument("--timeout", type=float, default=60.0, help="per-case timeout in seconds (default 60)")
    run.add_argument("--threads", type=int, default=1, help="threads per framework (default 1)")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")

    ls = sub.add_parser("list", help="the ops in the catalog and which frameworks implement them")
    ls.add_argument("catalog", nargs="*")
    ls.add_argument("--category")
    ls.add_argument("--framework")

    ex = sub.add_parser("explain", help="one op: each API's call, defaults, hazards, and the fix for a port")
    ex.add_argument("op")
    ex.add_argument("catalog", nargs="*")
    ex.add_argument("--from", dest="source", help="the framework you port from")
    ex.add_argument("--to", dest="target", help="the framework you port to")
    ex.add_argument("--seed", type=int, default=0)
    ex.add_argument("--quiet", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "list":
            return cmd_list(args)
        return cmd_explain(args)
    except UsageError as exc:
        print(f"portability: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("portability: interrupted", file=sys.stderr)
        return 130


def _check_backends(names: list[str] | None) -> None:
    from portability.frameworks import BACKENDS

    for n in names or []:
        if n not in BACKENDS:
            raise UsageError(f"unknown framework {n!r} (known: {', '.join(BACKENDS)})")


def _check_ops(catalog, names: list[str] | None) -> None:
    known = {op.name for op in catalog.ops}
    for n in names or []:
        if n not in known:
            raise UsageError(f"unknown op {n!r} (see `portability list`)")


def _fail_kinds(text: str | None) -> list[str]:
    from portability.hazards import HAZARD_KINDS

    kinds = _csv(text) or []
    for k in kinds:
        if k != "any" and k not in HAZARD_KINDS:
            raise UsageError(f"--fail-on: unknown hazard kind {k!r} (known: any, {', '.join(HAZARD_KINDS)})")
    return kinds


def cmd_run(args) -> int:
    from portability.check import run_check
    from portability.report import jsonio, terminal
    from portability.spec import load_catalog

    catalog = load_catalog(args.catalog or None)
    ops, backends = _csv(args.ops), _csv(args.frameworks)
    _check_ops(catalog, ops)
    _check_backends(backends)
    fail_on = _fail_kinds(args.fail_on)
    report = run_check(catalog, ops=ops, backends=backends, seed=args.seed, timeout=args.timeout,
                       threads=args.threads, progress=not args.quiet)
    data = jsonio.to_dict(report)
    if args.json:
        jsonio.write(data, args.json)
    if args.html:
        from portability.report import html

        html.write(data, args.html)
    print(terminal.run_summary(data))
    written = [p for p in (args.json, args.html) if p]
    if written:
        print("wrote " + ", ".join(written))
    failing = [h for h in data["hazards"] if not h["known"] and ("any" in fail_on or h["kind"] in fail_on)]
    return 1 if failing else 0


def cmd_list(args) -> int:
    from portability.frameworks import BACKENDS
    from portability.report import terminal
    from portability.spec import load_catalog

    catalog = load_catalog(args.catalog or None)
    if args.framework:
        _check_backends([args.framework])
    rows = []
    for op in catalog.ops:
        if args.category and op.category != args.category:
            continue
        impl = [b for b, spec in BACKENDS.items() if any(not a.unsupported for a in op.apis_for(spec.catalog_key))]
        if args.framework and args.framework not in impl:
            continue
        rows.append([op.name, op.category, ", ".join(impl), op.summary[:70]])
    print(terminal.list_table(rows))
    print(f"{len(rows)} ops")
    return 0


def cmd_explain(args) -> int:
    from portability.check import run_check
    from portability.explain import explain
    from portability.spec import load_catalog

    catalog = load_catalog(args.catalog or None)
    _check_ops(catalog, [args.op])
    _check_backends([b for b in (args.source, args.target) if b])
    report = run_check(catalog, ops=[args.op], seed=args.seed, progress=not args.quiet)
    print(explain(catalog.op(args.op), report, args.source, args.target))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
