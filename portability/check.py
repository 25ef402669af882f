"""The checker: catalog -> inputs and float64 references -> every backend -> comparisons -> hazards.

This is the one place that wires the pieces together; everything it calls is either pure
(plan, compare, gradients, hazards) or isolated in workers (runner). Each call runs in two passes: the
forward pass (the op's outputs against the float64 reference) and the backward pass (the gradients of
the float inputs with the case's shared cotangents, against finite differences of the reference, or
between frameworks where the reference has no derivative), in every backend that differentiates.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np

from portability import __version__
from portability.compare import (
    compare,
    gradient_metrics,
    gradient_tolerance,
    pair_metrics,
    tolerance_for,
)
from portability.frameworks import BACKENDS, installed_version, lacking_dtypes, no_backward
from portability.frameworks.numpy_ import execute_reference
from portability.gradients import DIRECTIONS, SMALL, STEP, GradientReference, reference_gradient
from portability.hazards import FAULTS, _same, api_id, at_opset, classify, notes, stale_known
from portability.inputs import cotangent, make_inputs, summarize
from portability.pairwise import EarlyPairs
from portability.pairwise import pairwise as all_pairs
from portability.plan import MODES, PASSES, api_wrt, cotangent_name, plan_call
from portability.records import Hazard, Pairwise, Result
from portability.recipes import (RECIPE_MODE, assess, pairs_to_port, plan_recipe, recipe_values, source_values,
                                 variant_key, with_alternatives)
from portability.repro import snippet
from portability.runner import Outcome, Pool, Progress, Task, run_backends
from portability.spec import FLOAT_DTYPES

# ONNX opsets a run plans each ONNX API at: numbers, "own" (the opsets its entry is written for: `opset`, else
# onnx_schemas.DEFAULT_OPSET) and "latest" (the newest both the installed onnx and onnxruntime take). The default
# keeps a full run fast: each API at its own opset and at the newest one.
DEFAULT_ONNX_OPSETS = ("own", "latest")


@dataclass
class Report:
    environment: dict
    ops: list[dict]  # op descriptions for the reports (params, cases, apis, calls)
    results: list[Result]
    pairwise: list[Pairwise]
    hazards: list[Hazard]
    stale_known: list[dict] = field(default_factory=list)
    timing: dict = field(default_factory=dict)
    interrupted: bool = False  # stopped early (Ctrl-C): everything above is what ran before the stop
    notes: list = field(default_factory=list)  # hazards.Note: divergences the dtype explains, never hazards


def select_backends(names: list[str] | None) -> list[str]:
    return [b for b in BACKENDS if names is None or b in names]


def with_dtypes(op, dtypes: list[str]):
    """The op with each float case repeated in every extra dtype (`case@float16`); integer inputs stay. A case
    that states its `result_dtype` is a dtype case already (a promotion or a default dtype): it is not repeated.
    Nor is a case without a float input: its call would be the same, and its outputs' dtype is the op's own
    (one_hot's float32), not an input's."""
    extra = []
    for case in op.cases:
        if case.dtype not in FLOAT_DTYPES or case.result_dtype or not any(i.dtype in FLOAT_DTYPES for i in case.inputs):
            continue
        for dt in dtypes:
            if dt == case.dtype:
                continue
            inputs = tuple(replace(i, dtype=dt) if i.dtype in FLOAT_DTYPES else i for i in case.inputs)
            extra.append(replace(case, name=f"{case.name}@{dt}", dtype=dt, inputs=inputs))
    return replace(op, cases=op.cases + tuple(extra)) if extra else op


def with_opsets(op, choice, latest: int):
    """The op with each ONNX API replaced by one copy per chosen opset at which its op type and every attribute it
    names exist (labels `Softmax@13`: the opset is part of the API's identity in results, hazards and diffs)."""
    from portability.frameworks.onnx_schemas import DEFAULT_OPSET, attributes

    apis = []
    for api in op.apis:
        if api.framework != "onnx" or api.unsupported or api.not_expressible:
            apis.append(api)
            continue
        own = api.own_opsets or (DEFAULT_OPSET,)
        wanted = {o for c in choice for o in (own if c == "own" else [latest] if c == "latest" else [c])}
        named = {m.name for m in api.params.values() if m.name} | set(api.constants)
        for o in sorted(wanted):
            have = attributes(api.call, o)
            if have is not None and named <= have:
                apis.append(at_opset(api, o))
    return replace(op, apis=tuple(apis))


def parse_onnx_opsets(text: str) -> tuple:
    """`11,13,own,latest` -> (11, 13, "own", "latest"); ValueError on anything else."""
    from portability.frameworks.onnx_schemas import newest_opset

    out = []
    for item in (t.strip() for t in text.split(",")):
        if item in ("own", "latest"):
            out.append(item)
        elif item.isdigit() and 1 <= int(item) <= newest_opset():
            out.append(int(item))
        else:
            raise ValueError(f"{item!r} is not an ONNX opset (1..{newest_opset()}), 'own' or 'latest'")
    if not out:
        raise ValueError("no opset given")
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=1)
def latest_onnx_opset() -> int:
    """The newest opset both the installed onnx and onnxruntime take, asked of a fresh interpreter (the parent never
    imports a framework); the snapshot's newest when onnx is not installed."""
    from portability.frameworks.onnx_schemas import newest_opset

    code = "from portability.frameworks.onnx_ import latest_opset; print(latest_opset())"
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        return int(done.stdout.split()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return newest_opset()


def start_pool(backends: list[str] | None = None, threads: int = 1, cache_dir: str | None = None,
               modules: dict[str, str] | None = None) -> Pool:
    """Launch the workers now: their framework imports overlap catalog loading and input preparation."""
    names = select_backends(backends) if modules is None else list(backends or modules)
    return Pool(names, {"threads": threads, "cache_dir": cache_dir}, modules)


def run_check(catalog, *, ops: list[str] | None = None, backends: list[str] | None = None, seed: int = 0,
              timeout: float = 60.0, threads: int = 1, progress: bool = True,
              modules: dict[str, str] | None = None, dtypes: list[str] | None = None,
              cache_dir: str | None = None, pool: Pool | None = None,
              onnx_opsets: tuple = DEFAULT_ONNX_OPSETS, passes=PASSES, cache=None) -> Report:
    """Run the selected ops in the selected backends; ``dtypes`` adds a sweep over extra float dtypes,
    ``onnx_opsets`` (see DEFAULT_ONNX_OPSETS) the opsets each ONNX API is planned at, ``passes`` chooses
    forward and/or backward.

    ``pool`` is a Pool from ``start_pool`` (launched earlier by the caller); without one, the run
    launches and closes its own. ``cache`` is a cache.ResultCache: tasks it answers are not dispatched, and
    with a DeferredPool (lazy_pool) only the backends with something left to run start a worker."""
    t0 = time.perf_counter()
    own_pool = pool is None
    if own_pool:
        pool = start_pool(backends, threads, cache_dir, modules)
    try:
        return _run(catalog, pool, ops, seed, timeout, progress, dtypes, cache_dir, threads, t0, onnx_opsets,
                    tuple(passes), cache)
    finally:
        if own_pool:
            pool.close()


def _run(catalog, pool, ops, seed, timeout, progress, dtypes, cache_dir, threads, t0, onnx_opsets, passes,
         cache=None) -> Report:
    from portability import reuse
    from portability.cache import TaskKeys
    from portability.lazy_pool import DeferredPool

    deferred = isinstance(pool, DeferredPool)
    names = list(pool.backends) if deferred else list(pool.workers)
    modules = {b: pool.module(b) if deferred else pool.workers[b][0].module for b in names}
    selected = [op for op in catalog.ops if ops is None or op.name in ops]
    keys = TaskKeys({op.name: op for op in selected}, seed, threads, modules) if cache is not None else None
    if dtypes:
        selected = [with_dtypes(op, dtypes) for op in selected]
    onnx_backends = [b for b in names if b in BACKENDS and BACKENDS[b].catalog_key == "onnx"]
    latest = None
    if onnx_backends and any(op.apis_for("onnx") for op in selected):
        from portability.frameworks.onnx_schemas import newest_opset

        latest = _latest_opset(cache, keys) if "latest" in onnx_opsets else newest_opset()
        selected = [with_opsets(op, onnx_opsets, latest) for op in selected]
    by_op = {op.name: op for op in selected}
    arrays = {(op.name, c.name): make_inputs(c, seed, op.name) for op in selected for c in op.cases}
    references = {key: _reference(op, case, arrays[key]) for op in selected for case in op.cases
                  for key in [(op.name, case.name)]}
    inference_only = {b: why for b in names if (why := no_backward(modules[b]))}
    differentiating = [b for b in names if b not in inference_only] if "backward" in passes else []
    if differentiating:
        for op in selected:
            for case in op.cases:
                _add_cotangents(op, case, arrays[(op.name, case.name)], references[(op.name, case.name)], seed)
    tasks, requests = _plan_tasks(selected, names, arrays, passes, differentiating)
    variants = _plan_recipe_tasks(selected, names, arrays, tasks) if "forward" in passes else {}
    lacking = {b: {d: why for d, why in lacking_dtypes(modules[b]).items() if d in (dtypes or ())}
               for b in names}
    lacking = {b: d for b, d in lacking.items() if d}
    tasks = {b: [t for t in ts if _case_dtype(by_op[t.op], t.case) not in lacking.get(b, {})]
             for b, ts in tasks.items()}
    gradient_refs = _GradientReferences(by_op, arrays, references, seed)
    look = reuse.lookup(cache, keys, tasks, requests, by_op, variants)
    bar = Progress({b: len(look.to_run[b]) for b in look.needed}, progress)
    compared: dict[int, list[Result]] = dict(look.results)

    def on_outcome(o: Outcome) -> None:  # runs in the driving threads while the frameworks work
        op = by_op[o.task.op]
        if o.task.mode == RECIPE_MODE:
            pending.add(o, None)
            return  # a port recipe's call: compared with its source's output after the run
        if o.task.pass_ == "backward":
            compared[o.task.id] = _gradient_results(op, o, gradient_refs.get(op, o.task.case))
        else:
            compared[o.task.id] = [_result(op, o, references[(o.task.op, o.task.case)])]
        pending.add(o, compared[o.task.id])
        early.add(o)

    every_task = [t for ts in tasks.values() for t in ts]
    stored_pairs = reuse.StoredPairs(cache, look, every_task, RECIPE_MODE)
    early = EarlyPairs(by_op, every_task, RECIPE_MODE, stored_pairs)
    pending = reuse.Pending(cache, look)
    if deferred:
        pool.launch(look.needed)
    for o in look.outcomes:  # while the workers import their frameworks
        if o.task.mode != RECIPE_MODE:
            early.add(o)
    ran, infos = ([], {}) if not look.needed or (deferred and pool.stopping.is_set()) else run_backends(
        pool, {b: look.to_run[b] for b in look.needed}, arrays, look.requests, timeout, bar, on_outcome)
    interrupted = pool.stopping.is_set()  # set before the run ends only by an interrupt
    reuse.store(cache, look, pending, infos, stored_pairs)
    infos = _with_cached_infos(infos, look, names)
    order = {b: i for i, b in enumerate(BACKENDS)}
    outcomes = sorted(ran + look.outcomes, key=lambda o: (o.task.id, order.get(o.task.backend, 99)))
    recipe_outcomes = {(o.task.op, o.task.case, o.task.backend, o.task.label, variants[o.task.id]): o
                       for o in outcomes if o.task.mode == RECIPE_MODE}
    outcomes = [o for o in outcomes if o.task.mode != RECIPE_MODE]
    bar.close()
    t_run = time.perf_counter()
    results = [r for o in outcomes for r in compared[o.task.id]]
    results += [replace(r, mode="defaults", message=r.message or "same call as aligned", elapsed_s=0.0)
                for o in _reused(outcomes) for r in compared[o.task.id]]
    results.sort(key=lambda r: (r.op, r.case, r.framework, r.api, r.mode, r.pass_, r.wrt or ""))
    pairwise = all_pairs(by_op, _with_reused_defaults(outcomes), early)
    position = {op.name: i for i, op in enumerate(selected)}
    pairwise.sort(key=lambda p: position[p.op])  # grouped by op in catalog order: shards merge to the same list
    live = {(op_name, b, label): vals for b, info in infos.items()
            for (op_name, label), vals in info.live_defaults.items()}
    forward_by_op: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.task.pass_ == "forward":
            forward_by_op.setdefault(o.task.op, []).append(o)
    hazards, stale, said = [], [], []
    results_by_op: dict[str, list[Result]] = {}  # classification looks at one op's records: grouped once, not
    pairwise_by_op: dict[str, list[Pairwise]] = {}  # scanned in full per op and per hazard
    for r in results:
        results_by_op.setdefault(r.op, []).append(r)
    for pw in pairwise:
        pairwise_by_op.setdefault(pw.op, []).append(pw)
    live_by_op = {op.name: _live_for(op, live) for op in selected}
    verdicts = reuse.StoredVerdicts(None if interrupted else cache, look, every_task, selected, live_by_op, seed, names)
    ops_out = []
    for op in selected:
        verdict = verdicts.get(op)
        if verdict is None:
            verdict = _verdict(op, results_by_op.get(op.name, []), pairwise_by_op.get(op.name, []),
                               live_by_op[op.name], forward_by_op.get(op.name, []), recipe_outcomes, seed, arrays,
                               interrupted, names, references)
            verdicts.keep(op.name, verdict)
        op_hazards, op_stale, op_said, described = verdict
        hazards += op_hazards
        stale += op_stale
        said += op_said
        ops_out.append(described)
    verdicts.store()
    environment = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "portability": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "seed": seed,
        "threads": threads,
        "compilation_cache": cache_dir,
        "dtypes": ["float32", *(d for d in dtypes or [] if d != "float32")],
        "onnx_opsets": {"chosen": [str(o) for o in onnx_opsets], "latest": latest},
        "precision": {"jax_enable_x64": True, "tf32": False},
        "passes": list(passes),
        # backends that run the forward pass only, each with why (said once here, never as hazards)
        "inference_only": inference_only,
        # backends not run in a swept dtype their framework does not have: backend -> {dtype: why} (said once)
        "dtypes_lacking": lacking,
        "gradient_reference": {"method": "central differences of the float64 reference, Richardson-extrapolated, "
                                         "along seeded directions (element by element for small inputs)",
                               "steps": {dt: STEP[dt] for dt in STEP}, "small": SMALL, "directions": DIRECTIONS},
        "frameworks": {b: _version(b, infos.get(b)) for b in names},
        "framework_status": {b: {"status": infos[b].status, "message": infos[b].message, "restarts": infos[b].restarts}
                             for b in infos},
        "catalog": [{"path": p, "sha256": h} for p, h in catalog.files],
        "argv": sys.argv[1:],
    }
    timing = {"total_s": time.perf_counter() - t0, "backends_s": t_run - t0,
              "per_backend_s": {b: round(sum(o.elapsed_s for o in outcomes if o.task.backend == b), 3) for b in names},
              "per_pass_s": {p: round(sum(o.elapsed_s for o in outcomes if o.task.pass_ == p), 3) for p in passes},
              "gradient_reference_s": round(gradient_refs.elapsed_s, 3),
              "tasks": {b: len(tasks[b]) for b in names},
              "tasks_by_pass": {p: sum(t.pass_ == p for ts in tasks.values() for t in ts) for p in passes},
              "tasks_run": {b: sum(o.task.backend == b for o in outcomes) for b in names},
              # executed by a worker in this run / answered from the result cache (recipe tasks included)
              "tasks_executed": len(ran), "tasks_cached": len(look.outcomes)}
    return Report(environment, ops_out, results, pairwise, hazards, stale, timing, interrupted, said)


def _verdict(op, mine: list[Result], pairs: list[Pairwise], live: dict, forward: list[Outcome], recipe_outcomes: dict,
             seed: int, arrays: dict, interrupted: bool, names: list[str], references: dict) -> tuple:
    """One op's share of the report, from its records: (hazards, stale known records, notes, description)."""
    found = classify(op, mine, pairs, live)
    said = notes(op, mine, pairs)
    if any(h.kind == "default_argument_mismatch" for h in found):
        build = _recipe_builder(op, forward, recipe_outcomes)
        found = [_with_recipes(op, h, build) for h in found]
    hazards = [_with_repro(op, h, seed, arrays, _repro_mode(h, mine)) for h in found]
    # a record may match a case that never ran: staleness is unknown after an interrupt
    stale = [] if interrupted else stale_known(op, found, mine)
    return hazards, stale, said, _describe(op, seed, arrays, live, names, references)


def _case_dtype(op, case: str) -> str:
    return next(c.dtype for c in op.cases if c.name == case)


def _latest_opset(cache, keys) -> int:
    """latest_onnx_opset, remembered in the result cache for the installed onnx and onnxruntime: asking costs
    a fresh interpreter that imports both."""
    if cache is None:
        return latest_onnx_opset()
    from portability.cache import framework_version

    key = keys.memo("latest_onnx_opset", framework_version("onnx-reference"), framework_version("onnxruntime"))
    hit = cache.get_many([key]).get(key)
    if hit is None:
        hit = latest_onnx_opset()
        cache.put_many({key: hit})
    return hit


def _with_cached_infos(infos: dict, look, names: list[str]) -> dict:
    """Every backend's info: a backend whose tasks all came from the cache started no worker, so its version is
    the installed one; live defaults read from the cache join those a worker read now."""
    from portability.cache import framework_version
    from portability.runner import BackendInfo

    out = dict(infos)
    for b in names:
        if b not in out and (look.live.get(b) or any(o.task.backend == b for o in look.outcomes)):
            out[b] = BackendInfo(b, framework_version(b), "ready")
        if b in out and look.live.get(b):
            out[b].live_defaults = look.live[b] | out[b].live_defaults
    return out


def _version(backend: str, info) -> str | None:
    """The version a worker reported; for a worker that never got ready although its framework is installed
    (it crashed, hung or was interrupted while starting), the installed one, so it is not shown as missing."""
    if info is not None and (info.version or info.status == "not_installed"):
        return info.version
    return installed_version(backend) if backend in BACKENDS else None


def _live_for(op, live: dict) -> dict:
    """Live defaults of one op's APIs: (backend, label) -> {param: value}."""
    return {(b, label): v for (name, b, label), v in live.items() if name == op.name}


def _reference(op, case, arrays: dict):
    """Float64 reference outputs (integer inputs stay integer), or the exception text."""
    plan = plan_call(op, op.reference, case, "aligned", _shapes(arrays))
    f64 = {k: (v.astype(np.float64) if v.dtype.kind == "f" or v.dtype.name == "bfloat16" else v)
           for k, v in arrays.items()}
    try:
        return execute_reference(plan, f64)
    except Exception as exc:  # a broken reference is reported on every result of the case
        return f"reference failed: {type(exc).__name__}: {exc}"


def _shapes(arrays: dict) -> dict:
    return {k: tuple(v.shape) for k, v in arrays.items()}


def _plan_tasks(ops, names: list[str], arrays: dict, passes=PASSES, differentiating: list[str] = ()):
    """Every call of the run: per backend, API, case and mode, the forward pass and (for the backends that
    differentiate, and the cases with inputs to differentiate) the backward pass."""
    tasks: dict[str, list[Task]] = {b: [] for b in names}
    requests: dict[str, list] = {b: [] for b in names}
    n = 0
    for op in ops:
        for b in names:
            for api in op.apis_for(BACKENDS[b].catalog_key if b in BACKENDS else b):
                if api.defaults:
                    names_map = {p: api.params[p].name for p in api.defaults if api.params[p].name}
                    requests[b].append(((op.name, api.label), api.call, api.kind, api.opset, names_map))
                for pass_ in passes:
                    if pass_ == "backward" and b not in differentiating:
                        continue
                    for case in op.cases:
                        shapes = _shapes(arrays[(op.name, case.name)])
                        if pass_ == "backward" and not (api_wrt(op, api, case) and _has_cotangents(op, shapes)):
                            continue
                        for mode in MODES:
                            if mode == "defaults" and not api.defaults and not api.fixed:
                                continue  # identical to aligned: reused, not run twice
                            plan = plan_call(op, api, case, mode, shapes, pass_)
                            if pass_ == "backward" and plan.unsupported:
                                continue  # the forward pass reports it
                            tasks[b].append(Task(n, op.name, case.name, b, api.label, mode, plan, op.category))
                            n += 1
    return tasks, requests


def _plan_recipe_tasks(ops, names: list[str], arrays: dict, tasks: dict) -> dict[int, str]:
    """Add a task per (target API, source defaults, case) that a port recipe needs and no aligned call
    already covers; returns task id -> the variant (source defaults) it runs."""
    n = 1 + max((t.id for ts in tasks.values() for t in ts), default=0)
    variants, seen = {}, set()
    for op in ops:
        apis = [(b, a) for b in names if b in BACKENDS for a in op.apis_for(BACKENDS[b].catalog_key)
                if not a.unsupported and not a.not_expressible]
        for (_, source), (backend, target) in pairs_to_port(op, apis):
            key = variant_key(recipe_values(source, target))
            for case in op.cases:
                shapes = _shapes(arrays[(op.name, case.name)])
                plan = plan_recipe(op, source, target, case, shapes)
                if plan is None or (op.name, case.name, backend, target.label, key) in seen or \
                        plan == plan_call(op, target, case, "aligned", shapes):
                    continue  # the same call runs anyway: its aligned outcome stands for the recipe
                seen.add((op.name, case.name, backend, target.label, key))
                tasks[backend].append(Task(n, op.name, case.name, backend, target.label, RECIPE_MODE, plan,
                                           op.category))
                variants[n] = key
                n += 1
    return variants


def _with_recipes(op, h: Hazard, build) -> Hazard:
    """A default mismatch with the port recipe of every ordered pair of its APIs whose defaults differ on
    its parameter, each verdict taken from the runs (the source in defaults mode, the target at the
    source's values; ``build`` from ``_recipe_builder``). A recipe no argument can express names a verified
    alternative API instead."""
    if h.kind != "default_argument_mismatch":
        return h
    apis = [(ident.split(":", 1)[0], a) for ident in h.apis if (a := _api_of(op, ident)) is not None]
    recipes = [build(s, t) for s, t in pairs_to_port(op, apis)
               if not _same(source_values(s[1]).get(h.param), source_values(t[1]).get(h.param))]
    every = [(b, a) for b in {t[0] for t in apis} for a in op.apis_for(BACKENDS[b].catalog_key)
             if not a.unsupported and not a.not_expressible]
    alternatives = [build(s, t) for s in {(b, a.label): (b, a) for b, a in apis}.values() for t in every
                    if any(r.source == api_id(s[0], s[1].label) and not r.cases and r.note for r in recipes)]
    recipes = with_alternatives(recipes, alternatives)
    verified = sum(r.verified for r in recipes)
    fix = (f"Port recipes (a source's values passed to the target, all together, then executed): "
           f"{verified}/{len(recipes)} verified (`portability explain {op.name} --from A --to B`). {h.fix}")
    return replace(h, recipes=tuple(recipes), fix=fix, fix_verified=bool(recipes) and verified == len(recipes))


def _recipe_builder(op, outcomes: list[Outcome], recipe_outcomes: dict):
    """(source, target) -> Recipe: the source's defaults-mode outputs against the target's outputs at the
    source's values: its recipe task, or the call that stood for it (its defaults when they already give
    those values, else its aligned call, which the planner found identical)."""
    by_call = {(o.task.op, o.task.case, o.task.backend, o.task.label, o.task.mode): o
               for o in _with_reused_defaults(outcomes)}

    def out(o):
        return o.outputs[0] if o is not None and o.status == "ok" and o.outputs else None

    built: dict[tuple, object] = {}  # an op's hazards (one per parameter) share their API pairs: assessed once

    def build(source, target):
        (sb, sa), (tb, ta) = source, target
        ident = (sb, sa.label, tb, ta.label)
        if ident not in built:
            built[ident] = assess_pair(source, target, sb, sa, tb, ta)
        return built[ident]

    def assess_pair(source, target, sb, sa, tb, ta):
        values = recipe_values(sa, ta)
        key = variant_key(values)
        own = source_values(ta)
        stand_in = "defaults" if all(p in own and _same(own[p], v) for p, v in values.items()) else "aligned"
        src = {c.name: out(by_call.get((op.name, c.name, sb, sa.label, "defaults"))) for c in op.cases}
        dst = {c.name: out(recipe_outcomes.get((op.name, c.name, tb, ta.label, key))
                           or by_call.get((op.name, c.name, tb, ta.label, stand_in))) for c in op.cases}
        metric = _metric(op)
        other = frozenset(c.name for c in op.cases
                          if (a := out(by_call.get((op.name, c.name, sb, sa.label, "aligned")))) is not None
                          and (b := out(by_call.get((op.name, c.name, tb, ta.label, "aligned")))) is not None
                          and not metric(c.name, a, b)[1])
        return assess(op, source, target, src, dst, metric, other)

    return build


def _metric(op):
    def metric(case_name: str, a, b):
        case = next(c for c in op.cases if c.name == case_name)
        tol = tolerance_for(case.dtype, op.tolerance, case.accumulation)
        max_abs, _, within, shape_equal = pair_metrics(a, b, op.outputs[0].kind, tol)
        return max_abs, within and shape_equal

    return metric


def _api_of(op, ident: str):
    """The API a "backend:label" id names, or None where it is unsupported or not expressible here."""
    backend, label = ident.split(":", 1)
    return next((a for a in op.apis if a.label == label and a.framework == BACKENDS[backend].catalog_key
                 and not a.unsupported and not a.not_expressible), None)


def _has_cotangents(op, shapes: dict) -> bool:
    return any(cotangent_name(i) in shapes for i, o in enumerate(op.outputs) if o.kind == "float")


def backward_skipped(op, case, reference) -> str | None:
    """Why a case has no backward pass, or None. A case whose float64 reference outputs hold NaN (NaN inputs
    that reach the outputs) has none: a NaN output has no derivative to agree on, and the gradient there is an
    accident of each backward kernel's comparisons. Infinite outputs (log at 0) and NaN inputs that the op
    masks out (where) do have one."""
    if not op.wrt(case):
        return "no input to differentiate" if any(o.kind == "float" for o in op.outputs) else "no float output"
    if isinstance(reference, str):
        return reference
    if any(spec.kind == "float" and np.isnan(np.asarray(out, dtype=np.float64)).any()
           for spec, out in zip(op.outputs, reference)):
        return "the reference outputs hold NaN here"
    return None


def _add_cotangents(op, case, arrays: dict, reference, seed: int) -> None:
    """The case's shared cotangents, one per float output, shaped like the reference's outputs (none where the
    case has no backward pass)."""
    if backward_skipped(op, case, reference):
        return
    for i, (spec, out) in enumerate(zip(op.outputs, reference)):
        if spec.kind == "float":
            arrays[cotangent_name(i)] = cotangent(np.shape(out), case.dtype, seed, op.name, case.name, i)


class _GradientReferences:
    """Reference gradients, computed per case when its first backward outcome arrives (in the driving threads,
    while the frameworks work) and kept: one lock, so a case is differenced once."""

    def __init__(self, by_op: dict, arrays: dict, references: dict, seed: int):
        import threading

        self.by_op, self.arrays, self.references, self.seed = by_op, arrays, references, seed
        self.cache: dict[tuple, dict] = {}
        self.lock = threading.Lock()
        self.elapsed_s = 0.0

    def get(self, op, case_name: str) -> dict:
        key = (op.name, case_name)
        with self.lock:
            if key not in self.cache:
                start = time.perf_counter()
                case = next(c for c in op.cases if c.name == case_name)
                self.cache[key] = _gradient_references(op, case, self.arrays[key], self.references[key], self.seed)
                self.elapsed_s += time.perf_counter() - start
            return self.cache[key]


def _gradient_references(op, case, arrays: dict, reference, seed: int) -> dict[str, GradientReference]:
    """Finite differences of the float64 reference for each input of the case the backward pass differentiates."""
    if isinstance(reference, str):
        return {w: GradientReference(w, None, None, None, None, 0.0, reference) for w in op.wrt(case)}
    plan = plan_call(op, op.reference, case, "aligned", _shapes(arrays))
    f64 = {k: (v.astype(np.float64) if v.dtype.kind == "f" or v.dtype.name == "bfloat16" else v)
           for k, v in arrays.items() if not k.startswith("cotangent:")}
    cts = [_f64_cotangent(arrays, i) if spec.kind == "float" else None for i, spec in enumerate(op.outputs)]
    tol = gradient_tolerance(tolerance_for(case.dtype, op.tolerance, case.accumulation))
    out = {}
    for w in op.wrt(case):
        try:
            out[w] = reference_gradient(lambda a: execute_reference(plan, a), f64, w, cts, case.dtype, tol, seed,
                                        op.name, case.name)
        except Exception as exc:  # a reference that fails on a perturbed input: compared between frameworks
            out[w] = GradientReference(w, None, None, None, None, 0.0, f"reference failed: {type(exc).__name__}: {exc}")
    return out


def _f64_cotangent(arrays: dict, i: int):
    ct = arrays.get(cotangent_name(i))
    return None if ct is None else ct.astype(np.float64)


def _gradient_results(op, o: Outcome, refs: dict) -> list[Result]:
    """One result per input the backward call differentiated: its gradient against the reference's directional
    derivatives, or (where the reference has none) only its shape and dtype, for the pairwise comparison."""
    t = o.task
    case = next(c for c in op.cases if c.name == t.case)
    dtypes = {i.name: i.dtype for i in case.inputs}
    tol = gradient_tolerance(tolerance_for(case.dtype, op.tolerance, case.accumulation))
    out = []
    for k, w in enumerate(t.plan.wrt):
        base = dict(op=t.op, case=t.case, framework=t.backend, api=t.label, mode=t.mode, status=o.status,
                    dtype=case.dtype, message=o.message, elapsed_s=o.elapsed_s / max(1, len(t.plan.wrt)),
                    pass_="backward", wrt=w)
        grad = o.outputs[k] if o.status == "ok" else None
        if o.status != "ok":
            out.append(Result(**base))
        elif grad is None or isinstance(grad, str):
            out.append(Result(**(base | {"status": "unsupported",
                                         "message": grad or f"{t.label} gives no gradient (None) for {w}"})))
        else:
            ref = refs[w]
            m = gradient_metrics(grad, ref, tol, dtypes[w])
            out.append(Result(
                **(base | {"message": ref.reason}), output_dtype=m.actual_dtype, output_shape=list(m.actual_shape),
                shape_equal=m.shape_equal, dtype_equal=m.dtype_equal, nonfinite_equal=m.nonfinite_equal,
                nonfinite_detail=m.nonfinite_detail, max_abs_error=m.max_abs_error, max_rel_error=m.max_rel_error,
                mismatch_fraction=m.mismatch_fraction, within_tolerance=m.within_tolerance,
                worst=({"index": list(m.worst_index), "actual": m.worst_actual, "expected": m.worst_expected}
                       if m.worst_index is not None else None),
                rtol=tol.rtol, atol=tol.atol))
    return out


def _result(op, o: Outcome, reference) -> Result:
    t = o.task
    case = next(c for c in op.cases if c.name == t.case)
    status = "not_expressible" if t.plan.not_expressible and o.status == "unsupported" else o.status
    base = dict(op=t.op, case=t.case, framework=t.backend, api=t.label, mode=t.mode, status=status,
                dtype=case.dtype, message=o.message, elapsed_s=o.elapsed_s, opset=t.plan.opset)
    if o.status != "ok":
        return Result(**base)
    if isinstance(reference, str):
        return Result(**(base | {"status": "error", "message": reference}))
    worst, beyond = None, 0
    for spec, actual, expected in zip(op.outputs, o.outputs, reference):
        tol = tolerance_for(case.dtype, op.tolerance, case.accumulation)
        m = compare(actual, expected, kind=spec.kind, tol=tol, expected_dtype=expected_dtype(case, spec, expected))
        beyond += m.beyond_range
        if worst is None or _badness(m) > _badness(worst[0]):
            worst = (m, tol, actual)
    m, tol, actual = worst
    if m.detail:  # a distribution's summary statistics: what the hazard shows instead of an element
        base["message"] = m.detail
    return Result(
        **base, output_dtype=m.actual_dtype, expected_dtype=m.expected_dtype, output_shape=list(m.actual_shape),
        shape_equal=m.shape_equal, dtype_equal=m.dtype_equal, nonfinite_equal=m.nonfinite_equal,
        nonfinite_detail=m.nonfinite_detail,
        max_abs_error=m.max_abs_error, max_rel_error=m.max_rel_error, max_ulp=m.max_ulp,
        mismatch_fraction=m.mismatch_fraction, within_tolerance=m.within_tolerance,
        worst=({"index": list(m.worst_index), "actual": m.worst_actual, "expected": m.worst_expected}
               if m.worst_index is not None else None),
        rtol=None if m.exact else tol.rtol, atol=None if m.exact else tol.atol,  # None: compared exactly
        beyond_range=beyond,
    )


def expected_dtype(case, spec, expected) -> str:
    """The dtype an API's output should have: the case's `result_dtype` where it states one (integer and mixed
    dtypes, creation ops, random creation's distribution outputs), else the case dtype for a float output and the
    reference's dtype for the others."""
    if case.result_dtype and spec.kind in ("float", "int", "distribution"):
        return case.result_dtype
    return case.dtype if spec.kind in ("float", "distribution") else str(np.asarray(expected).dtype)


def _badness(m) -> tuple:
    return (not m.shape_equal, not m.nonfinite_equal, not m.within_tolerance, m.max_abs_error or 0.0)


def _reused(outcomes: list[Outcome]) -> list[Outcome]:
    """Aligned outcomes of APIs without semantic defaults: they ran once and stand for defaults mode too."""
    def key(o):
        return o.task.op, o.task.case, o.task.backend, o.task.label, o.task.pass_

    ran_defaults = {key(o) for o in outcomes if o.task.mode == "defaults"}
    return [o for o in outcomes if o.task.mode == "aligned" and key(o) not in ran_defaults]


def _with_reused_defaults(outcomes: list[Outcome]) -> list[Outcome]:
    return outcomes + [Outcome(replace(o.task, mode="defaults"), o.status, o.outputs, o.message, 0.0)
                       for o in _reused(outcomes)]


def _repro_mode(h: Hazard, results: list[Result]) -> str:
    """The mode whose call shows the hazard: defaults for a default mismatch, and for a crash or timeout
    that happened only in defaults mode (the aligned call of that API finished)."""
    if h.kind == "default_argument_mismatch":
        return "defaults"
    if h.kind in FAULTS and not any(r.op == h.op and r.mode == "aligned" and r.status == h.kind and r.pass_ == h.pass_
                                    and api_id(r.framework, r.api) in h.apis for r in results):
        return "defaults"
    return "aligned"


def _with_repro(op, h: Hazard, seed: int, arrays: dict, mode: str) -> Hazard:
    case = next((c for c in op.cases if c.name in h.cases), op.cases[0])
    repro = {}
    for ident in h.apis:
        api = _api_of(op, ident)
        if api is None:
            continue
        backend = ident.split(":", 1)[0]
        shapes = _shapes(arrays[(op.name, case.name)])
        plan = plan_call(op, api, case, mode, shapes, h.pass_)
        if not plan.unsupported:
            repro[ident] = snippet(backend, plan, case, seed, op.name, shapes=shapes)
    return replace(h, repro=repro)


def _describe(op, seed: int, arrays: dict, live: dict, names: list[str], references: dict) -> dict:
    """What the reports show of an op besides results: params, inputs, each API's calls and defaults."""
    apis = []
    for api in op.apis:
        for b in names:
            if b not in BACKENDS or BACKENDS[b].catalog_key != api.framework:
                continue
            case = op.cases[0]
            calls = {}
            for mode in MODES:
                plan = plan_call(op, api, case, mode, _shapes(arrays[(op.name, case.name)]))
                calls[mode] = plan.unsupported and f"unsupported: {plan.unsupported}" or snippet(
                    b, plan, case, seed, op.name, call_only=True)
            apis.append({"framework": b, "api": api.label, "call": api.call, "kind": api.kind,
                         "documented_defaults": api.defaults, "fixed": api.fixed,
                         "live_defaults": live.get((b, api.label), {}), "calls": calls,
                         "unsupported": api.unsupported, "not_expressible": api.not_expressible,
                         "sources": list(api.sources)})
    return {
        "name": op.name, "category": op.category, "summary": op.summary, "sources": list(op.sources),
        "path": op.path,
        "params": {p.name: {"value": p.value, "semantic": p.semantic} for p in op.params.values()},
        "outputs": {o.name: o.kind for o in op.outputs},
        "tolerance_override": ({dt: {"rtol": t.rtol, "atol": t.atol} for dt, t in op.tolerance.items()}
                               | {"reason": op.tolerance_reason} if op.tolerance else None),
        "differentiable": bool(any(op.wrt(c) for c in op.cases)),
        "cases": [{"name": c.name, "dtype": c.dtype, "params": c.params, "accumulation": c.accumulation,
                   "wrt": list(op.wrt(c)) if not backward_skipped(op, c, references[(op.name, c.name)]) else [],
                   "backward_skipped": backward_skipped(op, c, references[(op.name, c.name)]),
                   "inputs": {i.name: {"generator": i.generator, "options": i.options,
                                       **summarize(arrays[(op.name, c.name)][i.name])} for i in c.inputs}}
                  for c in op.cases],
        "apis": apis,
        "known": [{"kind": k.kind, "apis": list(k.apis), "param": k.param, "cases": list(k.cases),
                   "dtypes": list(k.dtypes), "modes": list(k.modes), "passes": list(k.passes), "reason": k.reason,
                   "source": k.source}
                  for k in op.known],
    }
