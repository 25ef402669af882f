"""Between planning and dispatch: which tasks the result cache already answers, and storing what ran.

``lookup`` splits a run's planned tasks (and its live-default questions) into those answered from the cache
and those a worker must run; ``store`` keeps the new answers. A cached task comes back as the Outcome it had
(outputs included: pairwise comparisons and port recipes are recomputed from them) with the Results its
comparison gave."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from portability.cache import CACHEABLE, ResultCache, TaskKeys, dumps
from portability.runner import BackendInfo, Outcome, Task


@dataclass
class Lookup:
    outcomes: list[Outcome] = field(default_factory=list)  # answered from the cache
    results: dict[int, list | None] = field(default_factory=dict)  # task id -> its compared Results (None: recipe)
    to_run: dict[str, list[Task]] = field(default_factory=dict)  # backend -> tasks a worker must run
    requests: dict[str, list] = field(default_factory=dict)  # backend -> live-default questions to ask
    live: dict[str, dict] = field(default_factory=dict)  # backend -> cached live defaults {(op, label): values}
    keys: dict[int, str] = field(default_factory=dict)  # task id -> key, for the tasks that run
    hit_keys: dict[int, str] = field(default_factory=dict)  # task id -> key, for the tasks the cache answered
    request_keys: dict[str, dict] = field(default_factory=dict)  # backend -> {(op, label): key}

    @property
    def needed(self) -> list[str]:
        """The backends that need a worker: tasks to run or live defaults to read."""
        return [b for b in self.to_run if self.to_run[b] or self.requests[b]]


def lookup(cache: ResultCache | None, keys: TaskKeys | None, tasks: dict[str, list[Task]],
           requests: dict[str, list], by_op: dict, variants: dict[int, str]) -> Lookup:
    look = Lookup(to_run={b: [] for b in tasks}, requests={b: [] for b in tasks}, live={b: {} for b in tasks},
                  request_keys={b: {} for b in tasks})
    if cache is None or keys is None:
        look.to_run = {b: list(ts) for b, ts in tasks.items()}
        look.requests = {b: list(requests.get(b, [])) for b in tasks}
        return look
    cases = {(op.name, c.name): c for op in by_op.values() for c in op.cases}
    for b, ts in tasks.items():
        for t in ts:
            key = keys.task(t, cases[(t.op, t.case)], variants.get(t.id))
            if key is not None:
                look.keys[t.id] = key
        for r in requests.get(b, []):
            key = keys.defaults(b, r)
            if key is not None:
                look.request_keys[b][r[0]] = key
    found = cache.get_many([*look.keys.values(), *(k for ks in look.request_keys.values() for k in ks.values())])
    for b, ts in tasks.items():
        for t in ts:
            hit = found.get(look.keys.get(t.id))
            if hit is None:
                look.to_run[b].append(t)
                continue
            status, outputs, message, elapsed_s, results = hit
            look.outcomes.append(Outcome(t, status, outputs, message, elapsed_s))
            look.results[t.id] = results
            look.hit_keys[t.id] = look.keys.pop(t.id)
        for r in requests.get(b, []):
            values = found.get(look.request_keys[b].get(r[0]))
            if values is None:
                look.requests[b].append(r)
            else:
                look.live[b][r[0]] = values
    return look


class Pending:
    """What a run will store, pickled as each outcome arrives (in the driving threads, while the frameworks still
    work) rather than all at once after the last one; ``store`` writes it in one transaction."""

    def __init__(self, cache: ResultCache | None, look: Lookup):
        self.cache, self.keys, self.rows = cache, look.keys, []

    def add(self, o: Outcome, results: list | None) -> None:
        """Keep one outcome worth keeping (CACHEABLE) with the Results its comparison gave (None: a recipe's)."""
        key = self.keys.get(o.task.id)
        if self.cache is not None and key is not None and o.status in CACHEABLE:
            self.rows.append((key, dumps((o.status, o.outputs, o.message, o.elapsed_s, results))))


class _Stored:
    """Records derived from a group of tasks, stored under those tasks' keys (and what else they depend on):
    read back for a group whose every task the cache answered, computed and kept for the others."""

    def __init__(self, cache: ResultCache | None, look: Lookup, members: dict[object, list[int]], key):
        """``members``: group -> its task ids in task order; ``key(group, task keys)`` -> the record's key."""
        import threading

        key_of = {**look.keys, **look.hit_keys}
        self.keys = {} if cache is None else {g: key(g, [key_of[i] for i in ids]) for g, ids in members.items()
                                              if all(i in key_of for i in ids)}
        unchanged = [k for g, k in self.keys.items() if all(i in look.hit_keys for i in members[g])]
        self.found = cache.get_many(unchanged) if unchanged else {}
        self.rows: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()  # groups complete in the driving threads

    def get(self, group):
        """The records stored for a group whose tasks all came from the cache, or None."""
        return self.found.get(self.keys.get(group))

    def keep(self, group, records) -> None:
        key = self.keys.get(group)
        if key is not None and key not in self.found:
            with self.lock:
                self.rows.append((key, dumps(records)))


def _members(tasks, group) -> dict[object, list[int]]:
    out: dict[object, list[int]] = {}
    for t in sorted(tasks, key=lambda t: t.id):
        out.setdefault(group(t), []).append(t.id)
    return out


class StoredPairs(_Stored):
    """Pairwise records of each group (op, case, mode, pass), stored under the keys of its tasks (and the
    pairwise code): a re-run after editing one entry reads the unchanged cases' pairs instead of comparing
    their outputs again (~3 CPU-s of 284 ops, spent while the workers import their frameworks). Only a group
    whose every task the cache answered is read; one with a task that ran now is compared, then stored."""

    def __init__(self, cache: ResultCache | None, look: Lookup, tasks, skip_mode: str):
        from portability.cache import _sha, module_digest
        from portability.pairwise import group_of

        code = module_digest("portability.pairwise")
        super().__init__(cache, look, _members([t for t in tasks if t.mode != skip_mode], group_of),
                         lambda group, task_keys: _sha("pairs", code, *task_keys))


class StoredVerdicts(_Stored):
    """Each op's share of the report (hazards with their recipes and repros, stale known records, notes, its
    description), stored under everything it is computed from: the op as loaded (known records included), the
    keys of all its tasks, its APIs' live defaults, the seed, the backends and every file of portability. A
    re-run after editing one entry classifies that op only (~1.6 s of the full catalog's tail). Read only for an
    op whose every task the cache answered; never after an interrupt (its report is partial)."""

    def __init__(self, cache: ResultCache | None, look: Lookup, tasks, ops, live: dict, seed: int, names):
        from portability.cache import _sha
        from portability.run_memo import package_digest

        self.cache = cache
        by_name = {op.name: op for op in ops}
        members = _members(tasks, lambda t: t.op)
        members = {name: members.get(name, []) for name in by_name}
        code = package_digest() if cache is not None else None

        def key(name, task_keys):
            # the op's file path is no input (a copied catalog reads the same); get() sets it in the description
            return _sha("verdict", code, repr(replace(by_name[name], path="")), seed, list(names),
                        sorted(live[name].items(), key=repr), task_keys)

        super().__init__(cache, look, members, key)

    def get(self, op):
        verdict = super().get(op.name)
        if verdict is None:
            return None
        hazards, stale, said, described = verdict
        return hazards, stale, said, described | {"path": op.path}

    def store(self) -> None:
        if self.cache is not None and self.rows:
            self.cache.put_rows(self.rows)


def store(cache: ResultCache | None, look: Lookup, pending: Pending, infos: dict[str, BackendInfo],
          pairs: StoredPairs | None = None) -> None:
    """Write the pending outcomes and the live defaults a ready worker read."""
    if cache is None:
        return
    items = {}
    for b, info in infos.items():
        if info.status != "ready":
            continue
        for r in look.requests.get(b, []):
            key = look.request_keys[b].get(r[0])
            if key is not None and r[0] in info.live_defaults:
                items[key] = info.live_defaults[r[0]]
    cache.put_rows(pending.rows + (pairs.rows if pairs is not None else []) + [(k, dumps(v)) for k, v in items.items()])
