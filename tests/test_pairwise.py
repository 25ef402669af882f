"""Pairs computed while the run goes (EarlyPairs) are the pairs computed after it: same records, same order,
whatever order the outcomes arrive in, and nothing computed twice. Outcomes are hand-made (arrays of the
planned shapes): this tests the pairing, not a framework."""

import random

import numpy as np
from conftest import write_yaml

from portability import pairwise as pairing
from portability.check import _add_cotangents, _plan_tasks, _reference, _with_reused_defaults
from portability.inputs import make_inputs
from portability.recipes import RECIPE_MODE
from portability.runner import Outcome
from portability.spec import load_catalog

OP = """
ops:
  - name: act
    category: activation
    summary: test op
    params: {slope: {value: 0.2, semantic: true}}
    inputs: {x: {shape: [3, 4]}}
    cases: [{name: a}, {name: b, inputs: {x: {shape: [5]}}}]
    reference: {call: portability.reference.leaky_relu, params: {slope: negative_slope}}
    apis:
      torch: {call: torch.nn.functional.leaky_relu, params: {slope: negative_slope}, defaults: {slope: 0.01}}
      tensorflow:
        - {call: tf.nn.leaky_relu, params: {slope: alpha}, defaults: {slope: 0.2}}
        - {call: tf.nn.relu, label: relu-port, fixed: {slope: 0.0}}
      jax: {call: jax.numpy.abs, label: no-defaults}
"""


def _outcomes(tmp_path):
    op = load_catalog([write_yaml(tmp_path, OP)]).ops[0]
    arrays = {(op.name, c.name): make_inputs(c, 0, op.name) for c in op.cases}
    for c in op.cases:  # the backward pass is planned for cases with cotangents
        _add_cotangents(op, c, arrays[(op.name, c.name)], _reference(op, c, arrays[(op.name, c.name)]), 0)
    tasks, _ = _plan_tasks([op], ["torch", "tensorflow", "jax"], arrays, ("forward", "backward"),
                           ["torch", "tensorflow", "jax"])
    rng = np.random.default_rng(0)
    out = []
    for t in (t for ts in tasks.values() for t in ts):
        x = arrays[(t.op, t.case)]["x"]
        if t.backend == "tensorflow" and t.label == "relu-port" and t.case == "b":
            out.append(Outcome(t, "error", None, "refused", 0.0))  # a failure is in no pair
        elif t.pass_ == "backward":
            out.append(Outcome(t, "ok", [x + rng.normal(0, 1e-3, x.shape).astype(x.dtype)], "", 0.0))
        else:
            out.append(Outcome(t, "ok", [np.abs(x) + rng.normal(0, 1e-6, x.shape).astype(x.dtype)], "", 0.0))
    return {op.name: op}, [t for ts in tasks.values() for t in ts], out


def test_pairs_computed_as_outcomes_arrive_equal_the_pairs_computed_after_the_run(tmp_path, monkeypatch):
    by_op, tasks, outcomes = _outcomes(tmp_path)
    assert {o.task.pass_ for o in outcomes} == {"forward", "backward"}
    assert any(o.task.mode == "defaults" for o in outcomes)  # and others reuse aligned outcomes for defaults
    final = _with_reused_defaults(sorted(outcomes, key=lambda o: o.task.id))
    after_the_run = pairing.pairwise(by_op, final)
    assert after_the_run and {p.pass_ for p in after_the_run} == {"forward", "backward"}

    early = pairing.EarlyPairs(by_op, tasks, RECIPE_MODE)
    arrival = list(outcomes)
    random.Random(3).shuffle(arrival)
    for o in arrival:
        early.add(o)
    assert not early.left and not early.arrived  # every group completed and was paired

    forward_calls, gradient_modes = [], []
    metrics, gradients = pairing.pair_metrics, pairing._gradient_pairwise
    monkeypatch.setattr(pairing, "pair_metrics", lambda *a: forward_calls.append(1) or metrics(*a))
    monkeypatch.setattr(pairing, "_gradient_pairwise", lambda *a: gradient_modes.append(a[2]) or gradients(*a))
    assert pairing.pairwise(by_op, final, early) == after_the_run
    # computed after the run: only defaults-mode pairs of an API that ran in defaults mode with one that reuses
    # its aligned outcome (that group exists only once the reused outcomes are added)
    mixed = [p for p in after_the_run if p.mode == "defaults" and p.pass_ == "forward" and _mixes_reused(p, outcomes)]
    assert mixed and len(forward_calls) == len(mixed)
    assert set(gradient_modes) == {"defaults"}


def test_a_group_missing_an_outcome_is_computed_after_the_run(tmp_path):
    by_op, tasks, outcomes = _outcomes(tmp_path)
    early = pairing.EarlyPairs(by_op, tasks, RECIPE_MODE)
    held_back = next(o for o in outcomes if o.task.case == "a" and o.task.pass_ == "forward")
    for o in outcomes:
        if o is not held_back:
            early.add(o)
    final = _with_reused_defaults(sorted(outcomes, key=lambda o: o.task.id))
    assert pairing.pairwise(by_op, final, early) == pairing.pairwise(by_op, final)


def _mixes_reused(p, outcomes) -> bool:
    """A defaults-mode pair of one API that ran in defaults mode with one that reuses its aligned outcome: the
    group exists only after the run (the reused outcomes are added then), so it is computed then."""
    ran = {(o.task.backend, o.task.label) for o in outcomes if o.task.mode == "defaults"}
    ids = {f"{b}:{label}" for b, label in ran} | {b for b, _ in ran}
    return (p.a in ids) != (p.b in ids)

