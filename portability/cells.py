"""The state of one op x framework cell: one rule, read by the terminal, the HTML page and the version matrix.

Worst first: a framework that is not installed; no API for the op; every call one this checker cannot
express yet (not a hazard); every call unsupported; the worst hazard that involves the framework, known or not (a documented divergence
is still one a port must handle: the cell says `known` when every hazard at that severity is); ok.
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
STATES = ("high", "medium", "low", "unsupported", "ok", "not-expressible", "none", "not-installed")  # worst first
UNSUPPORTED_STATUSES = {"unsupported", "not_expressible"}


@dataclass(frozen=True)
class Cell:
    state: str  # one of STATES
    hazards: int = 0  # hazards involving this framework
    open: int = 0  # of those, not documented as known
    known: bool = False  # every hazard at the cell's severity is a known record

    @property
    def label(self) -> str:
        if self.state not in SEVERITY_RANK:
            return self.state.replace("-", " ")
        return f"{self.state}{' known' if self.known else ''} ({self.hazards})"


def cell_state(results: list[dict], hazards: list[dict], installed: bool) -> Cell:
    """``results`` and ``hazards``: this op's, already restricted to this framework (report dicts)."""
    statuses = {r["status"] for r in results}
    if not installed or (statuses and statuses <= {"not_installed"}):
        return Cell("not-installed")
    if not results:
        return Cell("none")
    if statuses <= {"not_expressible"}:  # the framework has it; this checker cannot write the call yet
        return Cell("not-expressible")
    if statuses <= UNSUPPORTED_STATUSES:
        return Cell("unsupported", len(hazards), sum(not h.get("known") for h in hazards))
    if hazards:
        worst = min((h["severity"] for h in hazards), key=lambda s: SEVERITY_RANK.get(s, 1))
        worst = worst if worst in SEVERITY_RANK else "medium"
        top = [h for h in hazards if h["severity"] == worst]
        return Cell(worst, len(hazards), sum(not h.get("known") for h in hazards), all(h.get("known") for h in top))
    return Cell("ok")


def cells_of(report: dict) -> dict[tuple[str, str], Cell]:
    """(op, framework) -> Cell for every op and framework of a run report."""
    results: dict[tuple, list] = {}
    hazards: dict[tuple, list] = {}
    for r in report["results"]:
        results.setdefault((r["op"], r["framework"]), []).append(r)
    for h in report["hazards"]:
        for fw in dict.fromkeys(h["frameworks"]):
            hazards.setdefault((h["op"], fw), []).append(h)
    frameworks = report["environment"]["frameworks"]
    return {(op["name"], fw): cell_state(results.get((op["name"], fw), []), hazards.get((op["name"], fw), []),
                                         version is not None)
            for op in report["ops"] for fw, version in frameworks.items()}
