"""Between planning and dispatch: which tasks the result cache already answers, and storing what ran.

``lookup`` splits a run's planned tasks (and its live-default questions) into those answered from the cache
and those a worker must run; ``store`` keeps the new answers. A cached task comes back as the Outcome it had
(outputs included: pairwise comparisons and port recipes are recomputed from them) with the Results its
comparison gave."""

from __future__ import annotations

from dataclasses import dataclass, field

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
            del look.keys[t.id]
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


def store(cache: ResultCache | None, look: Lookup, pending: Pending, infos: dict[str, BackendInfo]) -> None:
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
    cache.put_rows(pending.rows + [(k, dumps(v)) for k, v in items.items()])
