"""Pairwise comparison of the APIs that ran one case: every pair's agreement, the evidence hazards read when no
reference can be trusted.

The pairs of a case are computed as soon as its last outcome arrives (``EarlyPairs.add``, called from the
driving threads), so the slowest framework's tail overlaps the parent's comparisons instead of being followed
by them; ``pairwise`` then takes what was already computed and computes the rest. Both paths go through the
same functions with the outcomes in the same order, so the records are the same whichever computed them.
"""

from __future__ import annotations

import threading
from collections import Counter

import numpy as np

from portability.compare import gradient_pair, gradient_tolerance, pair_metrics, tolerance_for
from portability.hazards import api_id
from portability.records import Pairwise


def group_of(task) -> tuple:
    """The tasks whose outcomes are compared with each other: one op, case, mode and pass."""
    return task.op, task.case, task.mode, task.pass_


class EarlyPairs:
    """Pair metrics computed while the run goes: forward metrics per pair of task ids (a defaults-mode group
    that reuses aligned outcomes reuses their metrics too), backward records per group of task ids (a gradient
    pair's ``worst`` element depends on the whole group)."""

    def __init__(self, by_op: dict, tasks, skip_mode: str, stored=None):
        self.by_op, self.stored = by_op, stored  # stored: reuse.StoredPairs (records of unchanged groups)
        self.left = Counter(group_of(t) for t in tasks if t.mode != skip_mode)
        self.arrived: dict[tuple, list] = {}
        self.forward: dict[tuple[int, int], tuple] = {}
        self.backward: dict[tuple[int, ...], list[Pairwise]] = {}
        self.lock = threading.Lock()

    def add(self, outcome) -> None:
        """Record one outcome; the last of its group computes the group's pairs."""
        key = group_of(outcome.task)
        with self.lock:
            if key not in self.left:
                return
            self.arrived.setdefault(key, []).append(outcome)
            self.left[key] -= 1
            if self.left[key]:
                return
            del self.left[key]
            done = self.arrived.pop(key)
        ok = sorted((o for o in done if o.status == "ok"), key=lambda o: o.task.id)
        if len(ok) < 2:
            return
        ids = tuple(o.task.id for o in ok)
        pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]]
        backward = key[3] == "backward"
        records = self.stored.get(key) if self.stored is not None else None
        if records is not None and (backward or len(records) == len(pairs)):
            if backward:
                self.backward[ids] = records
            else:
                self.forward.update(zip(pairs, records))
            return
        _group_pairs(self.by_op[key[0]], key, ok, self)
        if self.stored is not None:
            self.stored.keep(key, self.backward[ids] if backward else [self.forward[p] for p in pairs])


def pairwise(by_op: dict, outcomes: list, early: EarlyPairs | None = None) -> list[Pairwise]:
    """Every pair of APIs that ran the same case in the same mode and pass: the first output in the forward
    pass (exact for index outputs), each differentiated input's whole gradient in the backward pass.
    ``outcomes`` are in task order; ``early`` holds pairs already computed."""
    groups: dict[tuple, list] = {}
    for o in outcomes:
        if o.status == "ok":
            groups.setdefault(group_of(o.task), []).append(o)
    out = []
    for key, os_ in groups.items():
        if len(os_) > 1:  # one API alone has no pair
            out += _group_pairs(by_op[key[0]], key, os_, early)
    return out


def _group_pairs(op, key: tuple, outcomes: list, memo: EarlyPairs | None) -> list[Pairwise]:
    op_name, case_name, mode, pass_ = key
    case = next(c for c in op.cases if c.name == case_name)
    tol = tolerance_for(case.dtype, op.tolerance, case.accumulation)
    if pass_ == "backward":
        ids = tuple(o.task.id for o in outcomes)
        if memo is not None and ids in memo.backward:
            return [p if p.mode == mode else _with_mode(p, mode) for p in memo.backward[ids]]
        found = _gradient_pairwise(op_name, case_name, mode, outcomes, gradient_tolerance(tol))
        if memo is not None:
            memo.backward[ids] = found
        return found
    out = []
    for i, a in enumerate(outcomes):
        for b in outcomes[i + 1:]:
            ids = (a.task.id, b.task.id)
            metrics = memo.forward.get(ids) if memo is not None else None
            if metrics is None:
                metrics = pair_metrics(a.outputs[0], b.outputs[0], op.outputs[0].kind, tol)
                if memo is not None:
                    memo.forward[ids] = metrics
            max_abs, ulp, within, shape_equal = metrics
            out.append(Pairwise(op_name, case_name, mode, api_id(a.task.backend, a.task.label),
                                api_id(b.task.backend, b.task.label), max_abs, ulp, within, shape_equal))
    return out


def _with_mode(p: Pairwise, mode: str) -> Pairwise:
    from dataclasses import replace

    return replace(p, mode=mode)


def _gradient_pairwise(op_name: str, case_name: str, mode: str, outcomes: list, tol) -> list[Pairwise]:
    """Each pair of APIs' gradients of one input, element by element. Every pair's ``worst`` shows the same
    element, the one where the APIs spread most (a NaN/Inf disagreement first), so a hazard can say what each
    framework gives there."""
    by_wrt: dict[str, list[tuple]] = {}
    for o in outcomes:
        for w, g in zip(o.task.plan.wrt, o.outputs):
            if g is not None and not isinstance(g, str):
                by_wrt.setdefault(w, []).append((api_id(o.task.backend, o.task.label), np.asarray(g)))
    out = []
    for w, entries in by_wrt.items():
        at = _spread_index([g for _, g in entries], tol)
        for i, (ia, ga) in enumerate(entries):
            for ib, gb in entries[i + 1:]:
                g = gradient_pair(ga, gb, tol)
                worst = g.worst
                if worst is not None and at is not None and ga.shape == gb.shape:
                    worst = {"index": list(at), "a": float(ga[at]), "b": float(gb[at])}
                out.append(Pairwise(op_name, case_name, mode, ia, ib, g.max_abs_error, None, g.within_tolerance,
                                    g.shape_equal, "backward", w, g.nonfinite_detail, worst))
    return out


def _spread_index(grads: list, tol) -> tuple | None:
    """The element where same-shaped gradients differ most, relative to what rounding explains (an element
    some have finite and others not comes first)."""
    shapes = {g.shape for g in grads}
    if len(grads) < 2 or len(shapes) != 1 or not grads[0].size:
        return None
    from portability.compare import element_allowance

    stack = np.stack([g.astype(np.float64) for g in grads])
    finite = np.isfinite(stack)
    with np.errstate(invalid="ignore"):
        spread = np.where(finite.all(0), np.ptp(np.where(finite, stack, 0.0), axis=0), 0.0)
    allow = np.max([element_allowance(g, tol) for g in grads], axis=0)
    score = np.where(finite.any(0) & ~finite.all(0), np.inf, spread / np.maximum(allow, 1e-300))
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(score)), grads[0].shape)) if grads[0].ndim else ()
