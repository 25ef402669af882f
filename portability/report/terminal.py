"""Terminal tables (tabulate): the run summary, the op list and the explain view."""

from __future__ import annotations

from tabulate import tabulate

from portability.hazards import SEVERITY_ORDER

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
            elif all(r["status"] == "not_expressible" for r in ran):
                cell = "not expressible"
            else:
                cell = "ok"
            row.append(cell)
        rows.append(row)
    return tabulate(rows, headers=["op", *backends], tablefmt="simple")


def hazard_table(report: dict, limit: int | None = None) -> str:
    hazards = sorted(report["hazards"], key=lambda h: (SEVERITY_ORDER[h["severity"]], h["op"], h["kind"]))
    rows = [[SYMBOL[h["severity"]], h["op"], h["kind"] + (" (known)" if h.get("known") else ""), _clip(h["summary"], 110)]
            for h in hazards[:limit]]
    return tabulate(rows, headers=["severity", "op", "kind", "summary"], tablefmt="simple")


FAULT_STATUSES = ("crash", "timeout", "error")  # results that say a call did not produce outputs


def run_summary(report: dict) -> str:
    s = report["summary"]
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(s["hazards_by_kind"].items())) or "none"
    versions = ", ".join(f"{b} {v or 'not installed'}" for b, v in report["environment"]["frameworks"].items())
    faults = ", ".join(f"{n} {k.replace('_', ' ')}" for k in FAULT_STATUSES + ("not_expressible",)
                       if (n := s.get("results_by_status", {}).get(k)))
    return "\n".join([
        op_matrix(report),
        "",
        hazard_table(report),
        "",
        f"{s['ops']} ops, {s['cases']} cases, {s['results']} results{f' ({faults})' if faults else ''}; "
        f"{s['hazards']} hazards ({kinds})",
        f"seed {report['environment']['seed']}; {versions}; {report['timing'].get('total_s', 0):.1f} s",
        *worker_notes(report),
        *(f"stale known record: {k['op']}: {k['kind']} on {', '.join(k['apis'])}: "
          f"{k.get('detail') or 'matches no hazard'}"
          for k in report.get("stale_known", [])),
        *([interrupted_note(report)] if report.get("interrupted") else []),
    ])


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
    """✓ (or ✓N for N APIs) where a backend implements the op, '-' where it does not, 'n/e' where it has an API
    this checker cannot express yet (never a hazard: a gap of the checker, not of the framework)."""
    def cell(r, b):
        gaps = (r.not_expressible or {}).get(b, 0)
        ran = ("✓" if r.apis[b] == 1 else f"✓{r.apis[b]}") if r.apis[b] else ""
        return (ran + "+n/e" if ran else "n/e") if gaps else ran or "-"

    body = [[r.op, r.category] + [cell(r, b) for b in backends] for r in rows]
    return tabulate(body, headers=["op", "category", *backends], tablefmt="github" if markdown else "simple")
