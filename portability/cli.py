"""The command line: run / list / explain / merge / diff, and its exit codes (``EXIT_CODES``).

Every failure is one line on stderr: ``portability: error: ...`` for bad usage, catalogs and report
files (2), ``portability: internal error: ...`` for a bug in portability itself (3; the traceback goes
to a crash log, or to the screen with ``--debug``). Ctrl-C ends a run with its partial reports (130).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from pathlib import Path

from portability.errors import UsageError
from portability.gc_tuning import tune_gc
from portability.report.writing import write_reports

DEFAULT_JSON = "reports/portability.json"
DEFAULT_HTML = "reports/portability.html"
SEED_MAX = 2**32 - 1  # a 32-bit seed, like the crc32 it is paired with in every input stream (inputs.input_seed)
TEST_ADAPTERS_ENV = "PORTABILITY_TEST_ADAPTERS"
EXIT_CODES = """exit codes:
  0    the command completed (hazards may have been found)
  1    hazards of a --fail-on kind were found (diff: new hazards with --fail-on new)
  2    bad usage, a bad catalog or report file, or a report that could not be written (one line)
  3    internal error, a bug in portability: one line; the traceback goes to a crash log
       (portability-crash-*.log in the temp folder), or to the screen with --debug
  130  interrupted (Ctrl-C): `run` first writes the reports of what ran, marked "interrupted": true;
       a second Ctrl-C exits at once
"""


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as the house's one line (``portability: error: ...``, exit 2)."""

    def error(self, message: str):
        print(f"portability: error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(2)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive, finite number of seconds, not {text!r}")
    return value


def _seed(text: str) -> int:
    return _int_in(text, 0, SEED_MAX)


def _shard(text: str) -> tuple[int, int]:
    i, sep, n = text.partition("/")
    if not (sep and i.isdigit() and n.isdigit() and 1 <= int(i) <= int(n)):
        raise argparse.ArgumentTypeError(f"expected I/N with 1 <= I <= N, not {text!r}")
    return int(i), int(n)


def _threads(text: str) -> int:
    return _int_in(text, 1, None)


def _elements(text: str) -> int:
    return _int_in(text, 1, None)


def _int_in(text: str, low: int, high: int | None) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise argparse.ArgumentTypeError(f"expected an integer {bounds}, not {text!r}")
    return value


def _csv(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = _Parser(prog="portability", description="Cross-framework DL operation portability checker.",
                epilog=EXIT_CODES, formatter_class=fmt)
    p.add_argument("--debug", action="store_true",
                   help="show the traceback of an internal error (exit 3) on the screen, not in a crash log")
    common = argparse.ArgumentParser(add_help=False)  # --debug after the command works too
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, parents=[common], epilog=EXIT_CODES, formatter_class=fmt)

    def catalog_limits(parser: argparse.ArgumentParser) -> None:
        from portability.spec import MAX_ELEMENTS

        parser.add_argument("--max-elements", type=_elements, default=MAX_ELEMENTS,
                            help=f"largest input a catalog may ask for, in elements (default {MAX_ELEMENTS:,})")

    run = command("run", "run the catalog in every installed framework and report hazards")
    run.add_argument("catalog", nargs="*", help="YAML files or folders (default: the bundled opspecs/)")
    run.add_argument("--ops", help="comma-separated op names")
    run.add_argument("--frameworks", help="comma-separated backends: numpy,torch,tensorflow,jax,onnxruntime,onnx-reference")
    run.add_argument("--seed", type=_seed, default=0, help=f"input seed, 0..{SEED_MAX} (default 0)")
    run.add_argument("--dtypes", help="extra float dtypes to sweep: float16,bfloat16,float64 (float32 always runs)")
    run.add_argument("--onnx-opsets", default="own,latest",
                     help="ONNX opsets to plan each ONNX API at: numbers, 'own' (its entry's opset) and 'latest' "
                          "(the newest the installed onnx and onnxruntime take); default own,latest")
    run.add_argument("--passes", default="forward,backward",
                     help="forward (the outputs), backward (the gradients of every differentiable op in the frameworks "
                          "that differentiate), or both, comma-separated (default: forward,backward)")
    run.add_argument("--json", default=DEFAULT_JSON, help=f"JSON report path (default {DEFAULT_JSON})")
    run.add_argument("--html", default=DEFAULT_HTML, help=f"HTML report path (default {DEFAULT_HTML})")
    run.add_argument("--fail-on", help="comma-separated hazard kinds, 'any', or 'new' (with --baseline) that make the exit code 1")
    run.add_argument("--baseline", help="a JSON report: only hazards not in it count as new")
    run.add_argument("--timeout", type=_seconds, default=60.0, help="per-case timeout in seconds, > 0 (default 60)")
    run.add_argument("--threads", type=_threads, default=1, help="threads per framework, >= 1 (default 1)")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run.add_argument("--verbose", action="store_true",
                     help="also the op x framework matrix and every unsupported hazard (one line per framework without)")
    run.add_argument("--cache-dir", default=None,
                     help="cache folder: the result cache (results.sqlite3) and JAX's compilation cache; '' turns both "
                          "off (default: $PORTABILITY_CACHE_DIR, else $XDG_CACHE_HOME/portability or ~/.cache/portability)")
    run.add_argument("--no-cache", action="store_true",
                     help="execute every task: read nothing from the result cache (fresh results are still stored)")
    run.add_argument("--shard", type=_shard,
                     help="I/N: run only the I-th of N parts of the catalog (1-based), split by measured cost; "
                          "`portability merge --run` joins the N reports into the report one run gives")
    catalog_limits(run)

    ls = command("list", "the ops in the catalog and which frameworks implement them")
    ls.add_argument("catalog", nargs="*")
    ls.add_argument("--category")
    ls.add_argument("--framework")
    ls.add_argument("--coverage", action="store_true", help="the op x framework support matrix")
    ls.add_argument("--markdown", action="store_true", help="with --coverage: a Markdown table (for the README)")
    catalog_limits(ls)

    mg = command("merge", "merge result shards (one per framework version) into one matrix report")
    mg.add_argument("shards", nargs="+", help="JSON reports written by `portability run`")
    mg.add_argument("--run", action="store_true",
                    help="the reports are the --shard I/N parts of ONE run (same environment): join them into the "
                         "run report an unsharded run gives (default paths reports/portability.{json,html})")
    mg.add_argument("--json", default=None, help="default reports/matrix.json (with --run: reports/portability.json)")
    mg.add_argument("--html", default=None,
                    help="default reports/matrix.html (with --run: reports/portability.html)")

    ca = command("cache", "the result cache: where it is and how big (info), or empty it (clear)")
    ca.add_argument("action", choices=("info", "clear"))
    ca.add_argument("--cache-dir", default=None,
                    help="as for `run` (default: $PORTABILITY_CACHE_DIR, else ~/.cache/portability)")

    df = command("diff", "new, fixed and changed hazards between two JSON reports")
    df.add_argument("old")
    df.add_argument("new")
    df.add_argument("--json", default="", help="also write the diff as JSON")
    df.add_argument("--fail-on", help="'new': exit 1 when there are new hazards")

    ex = command("explain", "one op: each API's call, defaults, hazards, and the fix for a port")
    ex.add_argument("op")
    ex.add_argument("catalog", nargs="*")
    ex.add_argument("--from", dest="source", help="the framework you port from")
    ex.add_argument("--to", dest="target", help="the framework you port to")
    ex.add_argument("--seed", type=_seed, default=0)
    ex.add_argument("--quiet", action="store_true")
    ex.add_argument("--cache-dir", default=None, help="as for `run`: the op's calls `run` already made are read, "
                                                      "not made again")
    ex.add_argument("--no-cache", action="store_true", help="execute every call (fresh results are still stored)")
    catalog_limits(ex)

    from portability.scan import command as scan_command

    scan_command.add_arguments(command("scan", "static check of Python code: calls whose defaults or values do not "
                                               "port (imports no framework)"))
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tune_gc()
    commands = {"run": cmd_run, "list": cmd_list, "merge": cmd_merge, "diff": cmd_diff, "explain": cmd_explain,
                "scan": cmd_scan, "cache": cmd_cache}
    try:
        return commands[args.command](args)
    except UsageError as exc:
        print(f"portability: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("portability: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # stdout closed early (`| head`): not a bug; say nothing more on a dead pipe
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        if args.debug:
            raise
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    """Exit 3: one line on stderr; the full traceback in a crash log that a bug report can attach."""
    import tempfile
    import time
    import traceback

    from portability import __version__

    text = "".join(traceback.format_exception(exc))
    path = os.path.join(tempfile.gettempdir(),
                        f"portability-crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log")
    try:
        with open(path, "w", encoding="utf-8") as log:
            log.write(f"portability {__version__}, Python {sys.version.split()[0]}\n"
                      f"command: {' '.join(sys.argv)}\n\n{text}")
        where = f"traceback written to {path}"
    except OSError as err:  # no crash log: the traceback must not be lost, so it goes to the screen
        sys.stderr.write(text)
        where = f"traceback above (could not write {path}: {err.strerror or err})"
    message = " ".join(str(exc).split())
    print(f"portability: internal error: {type(exc).__name__}: {message}; {where}", file=sys.stderr)
    return 3


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


def _passes(text: str) -> tuple[str, ...]:
    from portability.plan import PASSES

    passes = _csv(text) or []
    for p in passes:
        if p not in PASSES:
            raise UsageError(f"--passes: unknown pass {p!r} (known: {', '.join(PASSES)})")
    if not passes:
        raise UsageError(f"--passes: name at least one of {', '.join(PASSES)}")
    return tuple(p for p in PASSES if p in passes)


def _fail_kinds(text: str | None) -> list[str]:
    from portability.hazards import HAZARD_KINDS

    kinds = _csv(text) or []
    for k in kinds:
        if k not in ("any", "new") and k not in HAZARD_KINDS:
            raise UsageError(f"--fail-on: unknown hazard kind {k!r} (known: any, new, {', '.join(HAZARD_KINDS)})")
    return kinds


def _read_report(path: str) -> dict:
    """A run report; a bad one raises validate.ReportError (a UsageError naming the file and key)."""
    from portability.report import jsonio

    try:
        return jsonio.read(path, want="run")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the report: {exc.strerror or exc}") from None


def cmd_run(args) -> int:
    from portability import run_memo
    from portability.cache import resolve_dir
    from portability.frameworks import BACKENDS

    # First the run memo: a command that ran before, with nothing changed since, needs no more than its key
    # (no catalog, no numpy, no renderer): its reports are written again as they were.
    backends, modules = _csv(args.frameworks), _test_adapters()
    _check_backends(backends)
    names = [b for b in BACKENDS if backends is None or b in backends] if modules is None else list(backends or modules)
    cache_dir = resolve_dir(args.cache_dir)
    cache = _open_cache(cache_dir, args.no_cache)
    # --no-cache never reads, so a memo stored under its command line (part of the key) could never be used
    memo_key = None if cache is None or args.baseline or args.no_cache else run_memo.key(
        sorted((k, str(v)) for k, v in vars(args).items()) + [sys.argv[1:]], args.catalog, names, cache_dir)
    hit = run_memo.lookup(cache, memo_key)
    if hit is not None:
        print(hit["summary"])
        written = run_memo.reproduce(hit, [p for p in (args.json, args.html) if p])
        print(f"{hit['tasks']} tasks: 0 executed, {hit['tasks']} from the result cache {cache.path} (nothing changed "
              f"since the run at {hit['generated_at']}: its reports reproduced)")
        if written:
            print("wrote " + ", ".join(written))
        return hit["code"]
    return _run_command(args, backends, modules, names, cache_dir, cache, memo_key)


def _run_command(args, backends, modules, names, cache_dir, cache, memo_key) -> int:
    from portability.check import FLOAT_DTYPES, parse_onnx_opsets, run_check
    from portability.spec import load_catalog

    ops, dtypes = _csv(args.ops), _csv(args.dtypes)
    try:
        onnx_opsets = parse_onnx_opsets(args.onnx_opsets)
    except ValueError as exc:
        raise UsageError(f"--onnx-opsets: {exc}") from None
    passes = _passes(args.passes)
    fail_on = _fail_kinds(args.fail_on)
    for d in dtypes or []:
        if d not in FLOAT_DTYPES:
            raise UsageError(f"--dtypes: {d!r} is not a float dtype (choose from {', '.join(FLOAT_DTYPES)})")
    if "new" in fail_on and not args.baseline:
        raise UsageError("--fail-on new needs --baseline FILE")
    baseline = _read_report(args.baseline) if args.baseline else None
    targets = _report_targets(args.json, args.html)  # before the run: a bad path costs a second, not the run
    pool = _pool(cache, names, args.threads, cache_dir, modules)
    with pool, _ctrl_c_stops(pool):
        catalog = load_catalog(args.catalog or None, max_elements=args.max_elements)
        _check_ops(catalog, ops)
        if args.shard:
            from portability.shards import shard_ops

            every = [op.name for op in catalog.ops if ops is None or op.name in ops]
            ops = shard_ops(every, *args.shard)
        report = run_check(catalog, ops=ops, seed=args.seed, timeout=args.timeout, threads=args.threads,
                           progress=not args.quiet, dtypes=dtypes, cache_dir=cache_dir, pool=pool,
                           onnx_opsets=onnx_opsets, passes=passes, cache=cache)
        pool.close()  # the run is over: from here on a Ctrl-C exits at once
        if args.shard:
            # "of": the whole run's ops in catalog order, so `merge --run` restores the unsharded order
            report.environment["shard"] = {"index": args.shard[0], "count": args.shard[1], "ops": ops, "of": every}
        return _report_run(report, targets, fail_on, baseline, args.baseline, args.verbose, cache, memo_key)


def _pool(cache, names: list[str], threads: int, cache_dir: str | None, modules: dict | None = None):
    """Cold: every worker starts now and imports its framework while the catalog loads and the inputs are
    made. Warm: a worker starts only for a backend with tasks the cache does not answer (none when nothing
    changed)."""
    from portability.check import start_pool
    from portability.lazy_pool import DeferredPool

    if cache is not None and cache.has_entries():
        return DeferredPool(names, {"threads": threads, "cache_dir": cache_dir}, modules)
    return start_pool(names, threads, cache_dir, modules)


def _open_cache(folder: str | None, no_cache: bool):
    """The result cache in ``folder`` (None: off). With --no-cache it is still written, never read."""
    import sqlite3

    from portability.cache import ResultCache

    if folder is None:
        return None
    try:
        cache = ResultCache(folder)
    except (OSError, sqlite3.Error) as exc:
        raise UsageError(f"cannot open the result cache in {folder}: {exc}") from None
    return _WriteOnly(cache) if no_cache else cache


class _WriteOnly:
    """--no-cache: every lookup misses, every fresh result is stored (the next run may use it)."""

    def __init__(self, cache):
        self.cache, self.path = cache, cache.path

    def get_many(self, keys) -> dict:
        return {}

    def put_many(self, items: dict) -> None:
        self.cache.put_many(items)

    def put_rows(self, rows: list) -> None:
        self.cache.put_rows(rows)

    def delete_prefix(self, prefix: str) -> None:
        self.cache.delete_prefix(prefix)

    def has_entries(self) -> bool:
        return False


def cmd_cache(args) -> int:
    from portability.cache import resolve_dir

    folder = resolve_dir(args.cache_dir)
    if folder is None:
        raise UsageError("--cache-dir '' names no cache")
    cache = _open_cache(folder, False)
    if args.action == "clear":
        print(f"removed {cache.clear()} entries from {cache.path}")
    else:
        info = cache.info()
        print(f"{info['path']}: {info['entries']} entries, {info['bytes'] / 2**20:.1f} MiB")
    cache.close()
    return 0


def _report_run(report, targets: list, fail_on: list[str], baseline: dict | None, baseline_path: str | None,
                verbose: bool = False, cache=None, memo_key: str | None = None) -> int:
    """Summary, report files, exit code: 130 when interrupted, 2 when a report could not be written, 1 for
    --fail-on hazards, else 0."""
    from portability.report import jsonio, terminal

    data = jsonio.to_dict(report)
    executed, cached = report.timing.get("tasks_executed", 0), report.timing.get("tasks_cached", 0)
    data["summary"]["tasks"] = {"executed": executed, "cached": cached}
    summary = terminal.run_summary(data, verbose=verbose)
    print(summary)  # first: a report file that cannot be written loses nothing on screen
    where = f"the result cache {cache.path}" if cache is not None else "no result cache (--cache-dir '')"
    print(f"{executed + cached} tasks: {executed} executed, {cached} from {where}")
    written, failed = write_reports(data, targets)
    for line in failed:
        print(f"portability: error: {line}", file=sys.stderr)
    if report.interrupted:
        where = f"partial reports written to {', '.join(written)}" if written else "no report written"
        print(f"portability: interrupted; {where}", file=sys.stderr)
        return 130
    if written:
        print("wrote " + ", ".join(written))
    failing = [h for h in data["hazards"] if not h["known"] and ("any" in fail_on or h["kind"] in fail_on)]
    if baseline is not None:
        from portability.matrix import diff_reports

        new = diff_reports(baseline, data)["new"]
        print(f"{len(new)} hazard(s) not in the baseline {baseline_path}")
        if "new" in fail_on:
            failing += new
    if failed:
        return 2
    code = 1 if failing else 0
    from portability import run_memo

    run_memo.store(cache, memo_key, data, targets, written, summary, code)
    return code


def _report_targets(json_path: str, html_path: str) -> list[tuple]:
    """(path, writer) of each report asked for, each checked writable now."""
    from portability.report import html, jsonio

    targets = [(p, w) for p, w in ((json_path, jsonio.write), (html_path, html.write)) if p]
    if json_path and json_path == html_path:
        raise UsageError(f"--json and --html name the same file {json_path}")
    for path, _ in targets:
        problem = _unwritable(path)
        if problem:
            raise UsageError(f"cannot write the report {path}: {problem}")
    return targets


def _unwritable(path: str) -> str | None:
    """Why no report can be written at ``path``, or None. Tried for real (root may write anywhere, a file
    system may be read-only): missing folders are made and a probe file written, then all removed again."""
    import tempfile

    target = Path(path)
    if target.is_dir():
        return "it is a folder"
    created: list[Path] = []
    try:
        for folder in reversed([d for d in (target.parent, *target.parent.parents) if not d.exists()]):
            folder.mkdir()
            created.append(folder)
        fd, probe = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
    return None


@contextlib.contextmanager
def _ctrl_c_stops(pool):
    """While a run goes, the first Ctrl-C stops it: no new task starts, the workers are killed, and the
    reports of what ran are still written. Once the pool is stopping (a first Ctrl-C, or the run is
    over) Ctrl-C raises KeyboardInterrupt at once."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return

    def on_sigint(signum, frame):
        if pool.stopping.is_set():
            pool.kill_processes()
            raise KeyboardInterrupt
        pool.interrupt()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)


def _test_adapters() -> dict[str, str] | None:
    """A testing seam: ``PORTABILITY_TEST_ADAPTERS=numpy=crashy_adapter`` runs a backend with another adapter
    module, so the CLI's handling of crashes, hangs and Ctrl-C is tested with workers that really die
    (tests/crashy_adapter.py). It is read from the user's own environment only, never from a catalog
    (catalogs are untrusted data), and names a module that user could run anyway."""
    text = os.environ.get(TEST_ADAPTERS_ENV, "")
    pairs = [item.partition("=") for item in _csv(text) or []]
    if any(not (backend and sep and module) for backend, sep, module in pairs):
        raise UsageError(f"{TEST_ADAPTERS_ENV}: expected backend=module[,backend=module], not {text!r}")
    modules = {backend.strip(): module.strip() for backend, _, module in pairs}
    _check_backends(list(modules))
    return modules or None


def cmd_merge(args) -> int:
    from portability.matrix import merge_reports
    from portability.report import jsonio, matrix_html

    paths = _shard_paths(args.shards)
    if args.run:
        return _merge_run(paths, DEFAULT_JSON if args.json is None else args.json,
                          DEFAULT_HTML if args.html is None else args.html)
    args.json = "reports/matrix.json" if args.json is None else args.json
    args.html = "reports/matrix.html" if args.html is None else args.html
    merged = merge_reports([_read_report(p) for p in paths], names=paths)
    if args.json:
        jsonio.write(merged, args.json)
    if args.html:
        jsonio.write_atomic(args.html, matrix_html.render(merged))
    from portability.matrix import merge_summary

    print(merge_summary(merged))
    print("wrote " + ", ".join(p for p in (args.json, args.html) if p))
    return 0


def _merge_run(paths: list[str], json_path: str, html_path: str) -> int:
    """`merge --run`: the shards of one run become its run report (summary on screen, JSON and HTML written)."""
    from portability.report import terminal
    from portability.shards import merge_run

    targets = _report_targets(json_path, html_path)
    data = merge_run([_read_report(p) for p in paths], paths)
    print(terminal.run_summary(data))
    written, failed = write_reports(data, targets)
    for line in failed:
        print(f"portability: error: {line}", file=sys.stderr)
    if written:
        print(f"merged {len(paths)} shards; wrote " + ", ".join(written))
    return 2 if failed else 0


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

    catalog = load_catalog(args.catalog or None, max_elements=args.max_elements)
    if args.framework:
        _check_backends([args.framework])
    from portability.coverage import coverage

    rows = [r for r in coverage(catalog)
            if (not args.category or r.category == args.category)
            and (not args.framework or args.framework in r.implemented)]
    if args.category and not rows and args.category not in {op.category for op in catalog.ops}:
        raise UsageError(f"unknown category {args.category!r}")
    if args.coverage:
        from portability.coverage import forward_only

        print(terminal.coverage_table(rows, list(BACKENDS), markdown=args.markdown))
        for b, why in forward_only().items():
            print(f"{b}: forward only: {why}")
    else:
        print(terminal.list_table([[r.op, r.category, ", ".join(r.implemented), r.summary[:70]] for r in rows]))
    if not args.markdown:
        gaps = sum(n for r in rows for n in (r.not_expressible or {}).values())
        print(f"{len(rows)} ops" + (f"; {gaps} APIs not expressible by this checker yet (n/e)" if gaps else ""))
    return 0


def cmd_explain(args) -> int:
    from portability.cache import resolve_dir
    from portability.check import run_check
    from portability.explain import explain
    from portability.frameworks import BACKENDS
    from portability.spec import load_catalog

    catalog = load_catalog(args.catalog or None, max_elements=args.max_elements)
    _check_ops(catalog, [args.op])
    _check_backends([b for b in (args.source, args.target) if b])
    # The result cache as `run` uses it: after a run, explaining an op starts no framework at all.
    cache_dir = resolve_dir(args.cache_dir)
    cache = _open_cache(cache_dir, args.no_cache)
    names = list(BACKENDS)
    pool = _pool(cache, names, 1, cache_dir)
    with pool, _ctrl_c_stops(pool):
        report = run_check(catalog, ops=[args.op], seed=args.seed, progress=not args.quiet, pool=pool,
                           cache_dir=cache_dir, cache=cache)
    print(explain(catalog.op(args.op), report, args.source, args.target))
    return 0


def cmd_scan(args) -> int:
    from portability.scan.command import run

    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
