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


def _default_cache() -> str:
    import os

    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "portability")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="portability", description="Cross-framework DL operation portability checker.")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the catalog in every installed framework and report hazards")
    run.add_argument("catalog", nargs="*", help="YAML files or folders (default: the bundled opspecs/)")
    run.add_argument("--ops", help="comma-separated op names")
    run.add_argument("--frameworks", help="comma-separated backends: numpy,torch,tensorflow,jax,onnxruntime,onnx-reference")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--dtypes", help="extra float dtypes to sweep: float16,bfloat16,float64 (float32 always runs)")
    run.add_argument("--json", default=DEFAULT_JSON, help=f"JSON report path (default {DEFAULT_JSON})")
    run.add_argument("--html", default=DEFAULT_HTML, help=f"HTML report path (default {DEFAULT_HTML})")
    run.add_argument("--fail-on", help="comma-separated hazard kinds, 'any', or 'new' (with --baseline) that make the exit code 1")
    run.add_argument("--baseline", help="a JSON report: only hazards not in it count as new")
    run.add_argument("--timeout", type=float, default=60.0, help="per-case timeout in seconds (default 60)")
    run.add_argument("--threads", type=int, default=1, help="threads per framework (default 1)")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run.add_argument("--cache-dir", default=_default_cache(),
                     help="compilation cache for frameworks that compile each call (JAX); '' turns it off "
                          "(default: $XDG_CACHE_HOME/portability)")

    ls = sub.add_parser("list", help="the ops in the catalog and which frameworks implement them")
    ls.add_argument("catalog", nargs="*")
    ls.add_argument("--category")
    ls.add_argument("--framework")
    ls.add_argument("--coverage", action="store_true", help="the op x framework support matrix")
    ls.add_argument("--markdown", action="store_true", help="with --coverage: a Markdown table (for the README)")

    mg = sub.add_parser("merge", help="merge result shards (one per framework version) into one matrix report")
    mg.add_argument("shards", nargs="+", help="JSON reports written by `portability run`")
    mg.add_argument("--json", default="reports/matrix.json")
    mg.add_argument("--html", default="reports/matrix.html")

    df = sub.add_parser("diff", help="new, fixed and changed hazards between two JSON reports")
    df.add_argument("old")
    df.add_argument("new")
    df.add_argument("--json", default="", help="also write the diff as JSON")
    df.add_argument("--fail-on", help="'new': exit 1 when there are new hazards")

    ex = sub.add_parser("explain", help="one op: each API's call, defaults, hazards, and the fix for a port")
    ex.add_argument("op")
    ex.add_argument("catalog", nargs="*")
    ex.add_argument("--from", dest="source", help="the framework you port from")
    ex.add_argument("--to", dest="target", help="the framework you port to")
    ex.add_argument("--seed", type=int, default=0)
    ex.add_argument("--quiet", action="store_true")

    from portability.scan import command as scan_command

    scan_command.add_arguments(sub.add_parser("scan", help="static check of Python code: calls whose defaults or "
                                              "values do not port (imports no framework)"))
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "list":
            return cmd_list(args)
        if args.command == "merge":
            return cmd_merge(args)
        if args.command == "diff":
            return cmd_diff(args)
        if args.command == "scan":
            return cmd_scan(args)
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
        if k not in ("any", "new") and k not in HAZARD_KINDS:
            raise UsageError(f"--fail-on: unknown hazard kind {k!r} (known: any, new, {', '.join(HAZARD_KINDS)})")
    return kinds


def _read_report(path: str) -> dict:
    from portability.report import jsonio

    try:
        return jsonio.read(path)
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read a JSON report: {exc}") from None


def cmd_run(args) -> int:
    from portability.check import FLOAT_DTYPES, run_check, start_pool
    from portability.report import jsonio, terminal
    from portability.spec import load_catalog

    ops, backends, dtypes = _csv(args.ops), _csv(args.frameworks), _csv(args.dtypes)
    _check_backends(backends)
    fail_on = _fail_kinds(args.fail_on)
    for d in dtypes or []:
        if d not in FLOAT_DTYPES:
            raise UsageError(f"--dtypes: {d!r} is not a float dtype (choose from {', '.join(FLOAT_DTYPES)})")
    if "new" in fail_on and not args.baseline:
        raise UsageError("--fail-on new needs --baseline FILE")
    baseline = _read_report(args.baseline) if args.baseline else None
    # Workers import their frameworks (seconds) while the catalog loads and the inputs are made.
    with start_pool(backends, args.threads, args.cache_dir or None) as pool:
        catalog = load_catalog(args.catalog or None)
        _check_ops(catalog, ops)
        report = run_check(catalog, ops=ops, seed=args.seed, timeout=args.timeout, threads=args.threads,
                           progress=not args.quiet, dtypes=dtypes, cache_dir=args.cache_dir or None, pool=pool)
    data = jsonio.to_dict(report)
    print(terminal.run_summary(data))  # first: a report file that cannot be written loses nothing on screen
    try:
        if args.json:
            jsonio.write(data, args.json)
        if args.html:
            from portability.report import html

            html.write(data, args.html)
    except OSError as exc:  # the run is done; say where it could not be written, as bad usage
        raise UsageError(f"cannot write the report: {exc}") from None
    written = [p for p in (args.json, args.html) if p]
    if written:
        print("wrote " + ", ".join(written))
    failing = [h for h in data["hazards"] if not h["known"] and ("any" in fail_on or h["kind"] in fail_on)]
    if baseline is not None:
        from portability.matrix import diff_reports

        new = diff_reports(baseline, data)["new"]
        print(f"{len(new)} hazard(s) not in the baseline {args.baseline}")
        if "new" in fail_on:
            failing += new
    return 1 if failing else 0


def cmd_merge(args) -> int:
    from portability.matrix import merge_reports
    from portability.report import jsonio, matrix_html

    paths = _shard_paths(args.shards)
    merged = merge_reports([_read_report(p) for p in paths], names=paths)
    if args.json:
        jsonio.write(merged, args.json)
    if args.html:
        jsonio.write_atomic(args.html, matrix_html.render(merged))
    from portability.matrix import merge_summary

    print(merge_summary(merged))
    print("wrote " + ", ".join(p for p in (args.json, args.html) if p))
    return 0


def _shard_paths(items: list[str]) -> list[str]:
    """Shard arguments: files, folders (their *.json) and glob patterns (for shells that do not expand them)."""
    import glob

    paths: list[str] = []
    for item in items:
        if Path(item).is_dir():
            paths += sorted(str(p) for p in Path(item).glob("*.json"))
        elif any(c in item for c in "*?[") and not Path(item).exists():
            paths += sorted(glob.glob(item))
        else:
            paths.append(item)
    if not paths:
        raise UsageError(f"no shards found in {' '.join(items)} (run some shard environments first, e.g. `tox -e jax`)")
    return list(dict.fromkeys(paths))


def cmd_diff(args) -> int:
    from portability.matrix import diff_reports, diff_table
    from portability.report import jsonio

    if args.fail_on and args.fail_on != "new":
        raise UsageError("diff --fail-on takes only 'new'")
    d = diff_reports(_read_report(args.old), _read_report(args.new))
    print(diff_table(d))
    if args.json:
        jsonio.write(d, args.json)
    return 1 if args.fail_on == "new" and d["new"] else 0


def cmd_list(args) -> int:
    from portability.frameworks import BACKENDS
    from portability.report import terminal
    from portability.spec import load_catalog

    catalog = load_catalog(args.catalog or None)
    if args.framework:
        _check_backends([args.framework])
    from portability.coverage import coverage

    rows = [r for r in coverage(catalog)
            if (not args.category or r.category == args.category)
            and (not args.framework or args.framework in r.implemented)]
    if args.category and not rows and args.category not in {op.category for op in catalog.ops}:
        raise UsageError(f"unknown category {args.category!r}")
    if args.coverage:
        print(terminal.coverage_table(rows, list(BACKENDS), markdown=args.markdown))
    else:
        print(terminal.list_table([[r.op, r.category, ", ".join(r.implemented), r.summary[:70]] for r in rows]))
    if not args.markdown:
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


def cmd_scan(args) -> int:
    from portability.scan.command import run

    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
