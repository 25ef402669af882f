"""Terminal tables (tabulate): the run summary, the op list and the explain view."""

from __future__ import annotations

from tabulate import tabulate

from portability.hazards import SEVERITY_ORDER
from portability.report.jsonio import pass_of

SYMBOL = {"high": "✖ high", "medium": "▲ medium", "low": "• low"}


def _worst(hazards: list[dict]) -> str | None:
    return min((h["severity"] for h in hazards), key=SEVERITY_ORDER.get, default=None)


def op_matrix(report: dict) -> str:
    """One row per op, one column per framework: the worst finding, or ok / n/a / not installed."""
    backends = list(report["environment"]["frameworks"])
    hazards, results = {}, {}
    for h in report["hazards"]:
        for b in h["frameworks"]:
            if not h["known"]:
                hazards.setdefault((h["op"], b), []).append(h)
    for r in report["results"]:
        results.setdefault((r["op"], r["framework"]), []).append(r)
    rows = []
    for op in report["ops"]:
        row = [op["name"]]
        for b in backends:
            hz = hazards.get((op["name"], b), [])
            ran = results.get((op["name"], b), [])
            if report["environment"]["frameworks"][b] is None:
                cell = "not installed"
            elif not ran:
                cell = "-"
            elif hz:
                cell = f"{SYMBOL[_worst(hz)]} ({len(hz)})"
            elif all(r["status"] == "unsupported" for r in ran):
                cell = "unsupported"
            else:
                cell = "ok"
            row.append(cell)
        rows.append(row)
    return tabulate(rows, headers=["op", *backends], tablefmt="simple")


def hazard_table(report: dict, limit: int | None = None) -> str:
    hazards = sorted(report["hazards"], key=lambda h: (pass_of(h), SEVERITY_ORDER[h["severity"]], h["op"], h["kind"]))
    rows = [[SYMBOL[h["severity"]], h["op"], pass_of(h), h["kind"] + (" (known)" if h.get("known") else ""),
             _clip(h["summary"], 110)] for h in hazards[:limit]]
    return tabulate(rows, headers=["severity", "op", "pass", "kind", "summary"], tablefmt="simple")


FAULT_STATUSES = ("crash", "timeout", "error")  # results that say a call did not produce outputs


def run_summary(report: dict) -> str:
    s = report["summary"]
    versions = ", ".join(f"{b} {v or 'not installed'}" for b, v in report["environment"]["frameworks"].items())
    faults = ", ".join(f"{n} {k}" for k in FAULT_STATUSES if (n := s.get("results_by_status", {}).get(k)))
    backward = sum(pass_of(r) == "backward" and r["status"] in FAULT_STATUSES for r in report["results"])
    if backward:  # most follow from a forward call that already failed; say how many are the backward pass's
        faults += f"; {backward} of them in the backward pass"
    return "\n".join([
        op_matrix(report),
        "",
        hazard_table(report),
        "",
        f"{s['ops']} ops, {s['cases']} cases, {s['results']} results{f' ({faults})' if faults else ''}",
        *pass_lines(report),
        f"seed {report['environment']['seed']}; {versions}; {report['timing'].get('total_s', 0):.1f} s",
        *worker_notes(report),
        *(f"stale known record: {k['op']}: {k['kind']} on {', '.join(k['apis'])}: "
          f"{k.get('detail') or 'matches no hazard'}"
          for k in report.get("stale_known", [])),
        *([interrupted_note(report)] if report.get("interrupted") else []),
    ])


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


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def coverage_table(rows, backends: list[str], markdown: bool = False) -> str:
    """✓ (or ✓N for N APIs) where a backend implements the op, '-' where it does not; the last column says
    whether the op has a backward pass."""
    body = [[r.op, r.category] + [("✓" if r.apis[b] == 1 else f"✓{r.apis[b]}") if r.apis[b] else "-" for b in backends]
            + ["✓" if r.backward else "-"] for r in rows]
    return tabulate(body, headers=["op", "category", *backends, "backward"],
                    tablefmt="github" if markdown else "simple")
