"""``portability scan``: the command line around the engine. I/O lives here and nowhere below.

Exit codes (as ``run``): 0 done; 1 findings of a ``--fail-on`` code (or ``any``); 2 bad usage (one
line, ``portability: error: ...``); 3 an internal error (one line; ``PORTABILITY_DEBUG=1`` re-raises).
"""

from __future__ import annotations

import os
import sys

from portability.errors import UsageError

SOURCES = ("numpy", "torch", "tensorflow", "jax")
DEFAULT_TARGETS = ("torch", "tensorflow", "jax", "onnxruntime")


def add_arguments(p) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="Python files or folders")
    p.add_argument("--from", dest="source", help=f"the framework the code is written in ({', '.join(SOURCES)}); "
                   "default: detected from each file's imports")
    p.add_argument("--to", dest="targets", help="comma-separated frameworks you port to "
                   f"(default: {','.join(DEFAULT_TARGETS)}, less the source)")
    p.add_argument("--format", default="text", choices=("text", "json", "sarif", "github"))
    p.add_argument("--output", help="write the report to this file instead of stdout")
    p.add_argument("--fail-on", help="comma-separated rule codes or names (PT001, default-differs), or 'any': "
                   "exit 1 when one is found")
    fixing = p.add_mutually_exclusive_group()
    fixing.add_argument("--fix", action="store_true", help="pin left-out defaults as explicit keywords, in place")
    fixing.add_argument("--diff", action="store_true", help="print the --fix rewrite as a unified diff; write nothing")
    p.add_argument("--select", help="comma-separated rule codes or prefixes to report (e.g. PT001,PT002)")
    p.add_argument("--ignore", help="comma-separated rule codes or prefixes not to report")
    p.add_argument("--verbose", action="store_true", help="details, the report anchor, and the calls not covered (PT100)")
    p.add_argument("--catalog", action="append", help="catalog YAML file or folder (default: the bundled opspecs/)")
    p.add_argument("--jobs", type=int, default=None, help="processes that read files (default: CPU count)")


def _csv(text: str | None) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


def _codes(text: str | None, option: str) -> list[str]:
    from portability.scan.rules import RULES

    out = []
    for c in _csv(text):
        c = c.upper()
        if not any(r.code.startswith(c) for r in RULES):
            raise UsageError(f"{option}: unknown rule code {c!r} (known: {', '.join(r.code for r in RULES)})")
        out.append(c)
    return out


def _fail_on(text: str | None) -> set[str]:
    from portability.scan.rules import RULES

    by_name = {r.name: r.code for r in RULES}
    out = set()
    for k in _csv(text):
        if k == "any":
            out |= {r.code for r in RULES if r.code != "PT100"}
        elif k in by_name:
            out.add(by_name[k])
        elif k.upper() in {r.code for r in RULES}:
            out.add(k.upper())
        else:
            raise UsageError(f"--fail-on: unknown rule {k!r} (known: any, "
                             + ", ".join(f"{r.code}/{r.name}" for r in RULES) + ")")
    return out


def _targets(args):
    from portability.frameworks import BACKENDS
    from portability.scan.rules import Target

    if args.source and args.source not in SOURCES:
        raise UsageError(f"--from: unknown framework {args.source!r} (choose from {', '.join(SOURCES)})")
    names = _csv(args.targets) or [t for t in DEFAULT_TARGETS if t != args.source]
    out = []
    for n in names:
        if n not in BACKENDS:
            raise UsageError(f"--to: unknown framework {n!r} (known: {', '.join(BACKENDS)})")
        out.append(Target(n, BACKENDS[n].catalog_key))
    return tuple(out)


def _selected(f, select: list[str], ignore: list[str]) -> bool:
    return (not select or any(f.code.startswith(c) for c in select)) and not any(f.code.startswith(c) for c in ignore)


def _shown(f, select: list[str], verbose: bool) -> bool:
    """PT100 (not covered) is a count unless --verbose or --select asks for the list."""
    return f.code != "PT100" or verbose or any(c.startswith("PT1") for c in select)


def run(args) -> int:
    try:
        return _run(args)
    except (UsageError, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - the one place an unexpected error becomes exit 3
        if os.environ.get("PORTABILITY_DEBUG"):
            raise
        print(f"portability: internal error: {type(exc).__name__}: {exc} (PORTABILITY_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 3


def _run(args) -> int:
    from portability.scan import fix as codemod
    from portability.scan.engine import scan
    from portability.scan.formats import FORMATS, ScanReport
    from portability.spec import load_catalog

    targets = _targets(args)
    select, ignore = _codes(args.select, "--select"), _codes(args.ignore, "--ignore")
    fail_on = _fail_on(args.fail_on)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    for p in args.paths:
        if not os.path.exists(p):
            raise UsageError(f"{p}: no such file or folder")
    try:
        import libcst  # noqa: F401 - --fix and --diff need it; say so before scanning
    except ImportError:
        if args.fix or args.diff:
            raise UsageError("--fix and --diff need libcst (pip install libcst)") from None
    catalog = load_catalog(args.catalog or None)

    def once():
        result = scan(args.paths, catalog, targets, args.source, jobs=args.jobs)
        return result, tuple(f for f in result.findings if _selected(f, select, ignore))

    result, findings = once()
    fixed = 0
    if args.fix or args.diff:
        changes = codemod.apply(findings, write=args.fix)
        fixed = sum(len(edits) for p, edits in codemod.plan(findings).items() if p in {c[0] for c in changes})
        if args.diff:
            sys.stdout.write("".join(codemod.diff(p, old, new) for p, old, new in changes))
            return 1 if _failing(findings, fail_on) else 0
        if changes:
            result, findings = once()  # report what the rewrite left
    shown = tuple(f for f in findings if _shown(f, select, args.verbose))
    report = ScanReport(result, shown, args.source, tuple(t.name for t in targets), args.verbose, fixed)
    out = FORMATS[args.format](report)
    if args.output:
        from portability.report.jsonio import write_atomic

        try:
            write_atomic(args.output, out + "\n")
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc}") from None
    else:
        print(out)
    return 1 if _failing(findings, fail_on) else 0


def _failing(findings, fail_on: set[str]) -> bool:
    return any(f.code in fail_on for f in findings)
