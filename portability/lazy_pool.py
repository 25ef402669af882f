"""A pool whose workers start only when a run has work for them.

With a warm result cache most runs need few frameworks or none, and a worker's start is the cost of importing
its framework (seconds). The run asks ``launch`` for the backends with uncached tasks once it has looked them
up; until then a Ctrl-C has nothing to kill, and after ``interrupt`` or ``close`` nothing launches."""

from __future__ import annotations

from portability.frameworks import BACKENDS
from portability.runner import Pool, Worker


class DeferredPool(Pool):
    def __init__(self, backends: list[str], settings: dict, modules: dict[str, str] | None = None):
        super().__init__([], settings, modules)
        self.backends = list(backends)
        self.settings = settings
        self.modules = {b: (modules or {}).get(b) or BACKENDS[b].module for b in self.backends}
        self._own = set(modules or {})

    def module(self, backend: str) -> str:
        return self.modules[backend]

    def launch(self, backends: list[str]) -> None:
        """Start the workers of ``backends`` (those not started yet), as Pool would have up front."""
        if self.stopping.is_set():
            return
        for b in backends:
            if b in self.workers:
                continue
            n = BACKENDS[b].workers if b in BACKENDS and b not in self._own else 1
            self.workers[b] = [Worker(b, self.settings, self.modules[b], self.stopping).launch()
                               for _ in range(max(1, n))]
