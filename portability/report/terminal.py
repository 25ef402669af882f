"""Terminal tables (tabulate): the run summary, the op list and the explain view."""

from __future__ import annotations

from tabulate import tabulate

from portability.cells import cells_of
from portability.hazards import SEVERITY_ORDER
from portability.report.jsonio import pass_of

SYMBOL = {"high": "✖ high", "medium": "▲ medium", "low": "• low"}


def op_matrix(report: dict) -> str:
    """One row per op, one column per framework: its cell state (portability.cells, as the HTML page shows)."""
    backends = list(report["environment"]["frameworks"])
    cells = cells_of(report)
    rows = [[op["name"], *(_cell_text(cells[(op["name"], b)]) for b in backends)] for op in report["ops"]]
    return tabulate(rows, headers=["op", *backends], tablefmt="simple")


def _cell_text(cell) -> str:
    if cell.state in SYMBOL:
        return f"{SYMBOL[cell.state]}{' known' if cell.known else ''} ({cell.hazards})"
    return {"none": "-", "not-installed": "not installed", "not-expressible": "not expressible"}.get(cell.state,
                                                                                                    cell.state)


FAULT_STATUSES = ("crash", "timeout", "error")  # results that say a call did not produce outputs


WIDTH = 100  # the terminal report fits this many columns


def run_summary(report: dict, verbose: bool = False, width: int = WIDTH) -> str:
    """What to change first: the headline, hazards by severity then op with their fixes, one coverage line
    per framework for what it lacks (each unsupported hazard with ``verbose``), then the run's facts."""
    s = report["summary"]
    hazards = report["hazards"]
    listed = [h for h in hazards if verbose or h["kind"] != "unsupported"]
    faults = ", ".join(f"{n} {k.replace('_', ' ')}" for k in FAULT_STATUSES + ("not_expressible",)
                       if (n := s.get("results_by_status", {}).get(k)))
    backward = sum(pass_of(r) == "backward" and r["status"] in FAULT_STATUSES for r in report["results"])
    if backward:  # most follow from a forward call that already failed; say how many are the backward pass's
        faults += f"; {backward} of them in the backward pass"
    versions = ", ".join(f"{b} {v or 'not installed'}" for b, v in report["environment"]["frameworks"].items())
    lines = [*([op_matrix(report), ""] if verbose else []), *wrap(headline(report), width), ""]
    lines += hazard_list(listed, width, reasons=verbose)
    lines += ["", *coverage_lines(report, width)] if not verbose else []
    recipes = s.get("recipes") or {}
    if recipes.get("default_mismatches"):
        lines += wrap(f"port recipes: {recipes['recipes_verified']}/{recipes['recipes']} executed and verified; "
                       f"{recipes['verified']}/{recipes['default_mismatches']} default mismatches verified for every "
                       "pair (`portability explain OP --from A --to B`)", width)
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(s["hazards_by_kind"].items())) or "none"
    lines += wrap(f"{s['ops']} ops, {s['cases']} cases, {s['results']} results{f' ({faults})' if faults else ''}; "
                   f"{s['hazards']} hazards ({kinds})", width)
    lines += [t for line in pass_lines(report) for t in wrap(line, width)]
    lines += [t for line in note_lines(report, verbose) for t in wrap(line, width)]
    lines += wrap(f"seed {report['environment']['seed']}; {versions}; {report['timing'].get('total_s', 0):.1f} s",
                   width)
    lines += [t for n in worker_notes(report) for t in wrap(n, width)]
    lines += [t for k in report.get("stale_known", [])
              for t in wrap(f"stale known record: {k['op']}: {k['kind']} on {', '.join(k['apis'])}: "
                             f"{k.get('detail') or 'matches no hazard'}", width)]
    lines += [interrupted_note(report)] if report.get("interrupted") else []
    return "\n".join(lines)


def headline(report: dict) -> str:
    hazards = report["hazards"]
    high = [h for h in hazards if h["severity"] == "high"]
    open_high = [h for h in high if not h.get("known")]
    return (f"{len(open_high)} high-severity hazard{'s' * (len(open_high) != 1)} not yet documented "
            f"({len(high)} high in all, {len(high) - len(open_high)} of them known records; "
            f"{len(hazards)} hazards of every severity)")


def hazard_list(hazards: list[dict], width: int = WIDTH, reasons: bool = False) -> list[str]:
    """Grouped by severity, then op; each hazard with its summary and its fix (and with ``reasons``, a known
    record's reason), wrapped to ``width``."""
    lines = []
    for severity in sorted({h["severity"] for h in hazards}, key=lambda v: SEVERITY_ORDER.get(v, 9)):
        mine = [h for h in hazards if h["severity"] == severity]
        lines.append(f"{SYMBOL.get(severity, severity).upper()} ({len(mine)})")
        for op in dict.fromkeys(h["op"] for h in sorted(mine, key=lambda h: h["op"])):
            lines.append(f"  {op}")
            for h in (h for h in mine if h["op"] == op):
                tag = (f"{h['kind']}{' [' + h['param'] + ']' if h.get('param') else ''}"
                       f"{' (backward pass)' if pass_of(h) == 'backward' else ''}{' (known)' if h.get('known') else ''}")
                lines += wrap(f"{tag}: {h['summary'].removeprefix(op + ': ')}", width, "    ", "      ")
                fix = h.get("fix") or ""
                if reasons and h.get("known") and h.get("known_reason"):
                    lines += wrap(f"known: {h['known_reason']}", width, "      ", "        ")
                if fix:
                    lines += wrap(f"fix: {fix}", width, "      ", "        ")
    return lines


def coverage_lines(report: dict, width: int = WIDTH) -> list[str]:
    """One line per framework: ops it cannot run at all (every call unsupported; the cell state), and ops
    where only some value or dtype is unsupported."""
    cells = cells_of(report)
    partly: dict[str, set] = {}
    for h in report["hazards"]:
        for fw in h["frameworks"] if h["kind"] == "unsupported" else ():
            if cells[(h["op"], fw)].state != "unsupported":
                partly.setdefault(fw, set()).add(h["op"])
    lines = []
    for fw in report["environment"]["frameworks"]:
        whole = sum(c.state == "unsupported" for (_, f), c in cells.items() if f == fw)
        none = sum(c.state == "none" for (_, f), c in cells.items() if f == fw)
        if whole or none or partly.get(fw):
            lines += wrap(f"{fw}: no API for {none} ops, every call unsupported in {whole}, some values or dtypes "
                           f"unsupported in {len(partly.get(fw, ()))}", width, "  ", "    ")
    return ["coverage (--verbose lists each unsupported hazard):", *lines] if lines else []


def wrap(text: str, width: int = WIDTH, first: str = "", rest: str = "  ") -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=rest,
                         break_long_words=True, break_on_hyphens=False) or [first.rstrip()]


def pass_lines(report: dict) -> list[str]:
    """The hazards of each pass apart (the backward ones are about gradients), and the backends that run the
    forward pass only, said once."""
    hazards = report["hazards"]
    passes = report["environment"].get("passes") or sorted({pass_of(h) for h in hazards}) or ["forward"]
    lines = []
    for p in passes:
        mine = [h for h in hazards if pass_of(h) == p]
        kinds: dict[str, int] = {}
        for h in mine:
            kinds[h["kind"]] = kinds.get(h["kind"], 0) + 1
        known = sum(bool(h.get("known")) for h in mine)
        listing = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none"
        lines.append(f"{p} pass: {len(mine)} hazards, {known} known ({listing})")
    for b, why in (report["environment"].get("inference_only") or {}).items():
        if "backward" in passes:
            lines.append(f"{b}: no backward pass: {why}")
    return lines


def note_lines(report: dict, verbose: bool = False) -> list[str]:
    """The divergences the dtype explains (never hazards): one line, each note with ``verbose``; and the backends
    a sweep did not run in a dtype their framework lacks."""
    notes = report.get("notes") or []
    lines = []
    if notes:
        causes = ", ".join(f"{c} {sum(n['cause'] == c for n in notes)}" for c in sorted({n["cause"] for n in notes}))
        lines.append(f"{len(notes)} notes on dtypes, not hazards ({causes}): divergences from the float64 reference "
                     f"that every framework that ran shares, or that the dtype's range explains"
                     f"{'' if verbose else ' (--verbose lists them)'}")
        lines += [f"  note: {n['summary']}" for n in notes] if verbose else []
    for b, lacks in (report["environment"].get("dtypes_lacking") or {}).items():
        lines += [f"{b}: not run in {d}: {why}" for d, why in lacks.items()]
    return lines


def worker_notes(report: dict) -> list[str]:
    """A line per framework whose worker did not simply run: never started, restarted, or had a problem."""
    notes = []
    for b, st in report["environment"].get("framework_status", {}).items():
        if st["status"] not in ("ready", "not_installed"):
            notes.append(f"{b}: worker {st['status']}: {st['message']}")
        elif st["status"] == "ready" and (st.get("restarts") or st.get("message")):
            restarts = f"restarted {st['restarts']} time(s)" if st.get("restarts") else ""
            notes.append(f"{b}: worker " + "; ".join(t for t in (restarts, st.get("message")) if t))
    return notes


def interrupted_note(report: dict) -> str:
    """How partial an interrupted report is: calls run of calls planned."""
    planned, ran = report["timing"].get("tasks", {}), report["timing"].get("tasks_run", {})
    return (f"INTERRUPTED: a partial report, {sum(ran.values())} of {sum(planned.values())} calls ran "
            "before the run was stopped")


def list_table(rows: list[list]) -> str:
    return tabulate(rows, headers=["op", "category", "frameworks", "summary"], tablefmt="simple")


def coverage_table(rows, backends: list[str], markdown: bool = False) -> str:
    """✓ (or ✓N for N APIs) where a backend implements the op, '-' where it does not, 'n/e' where it has an API
    this checker cannot express yet (never a hazard: a gap of the checker, not of the framework); the last
    column says whether the op has a backward pass."""
    def cell(r, b):
        gaps = (r.not_expressible or {}).get(b, 0)
        ran = ("✓" if r.apis[b] == 1 else f"✓{r.apis[b]}") if r.apis[b] else ""
        return (ran + "+n/e" if ran else "n/e") if gaps else ran or "-"

    body = [[r.op, r.category] + [cell(r, b) for b in backends] + ["✓" if r.backward else "-"] for r in rows]
    return tabulate(body, headers=["op", "category", *backends, "backward"],
                    tablefmt="github" if markdown else "simple")
