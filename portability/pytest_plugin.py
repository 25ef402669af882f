"""pytest plugin (entry point ``pytest11``): the catalog as test items. Off unless ``--portability``.

    pytest --portability [CATALOG...] [--portability-frameworks numpy,onnxruntime] [-k ...] [-n 4]

Each op x case x framework API of the catalog files given (YAML files or folders; the bundled
catalog when no path is given) becomes one test item, ``<op>[<case>-<framework>:<api>]``, and a second one
for its backward pass, ``<op>[<case>-<framework>:<api>-backward]``, where the framework differentiates and
the op has inputs to differentiate in that case (``--portability-passes`` chooses). The
checker runs once per catalog file before the first item (all selected ops and frameworks together,
in its usual isolated workers), then each item reports its share:

- a hazard that involves the API on that case and is not known fails the item with the hazard's
  summary, its fix and the API's copy-paste repro snippet;
- a known hazard (catalog ``known:`` record, or listed for that case in ``--portability-baseline``,
  a run report) is an xfail with its reason, and so is a hazard of a kind ``--portability-fail-on``
  does not name (default: any kind fails);
- an API that is unsupported for the case (the framework lacks the op or the value) skips with the
  reason, as pytest skips what does not apply; so does a framework that is not installed;
  otherwise the item passes.

Under pytest-xdist each worker checks one op at a time for the items it is given (items carry an
``xdist_group`` mark per op, so ``--dist loadgroup`` keeps an op on one worker).

Loading this module imports no framework (and nothing heavy): it only adds options, and collects
items only when ``--portability`` is given.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_KEY = "_portability_state"


def pytest_addoption(parser):
    g = parser.getgroup("portability", "cross-framework op portability (portability.pytest_plugin)")
    g.addoption("--portability", action="store_true", default=False,
                help="collect catalog YAML files given as arguments (or the bundled catalog when none is given) "
                     "as one test item per op x case x framework API")
    g.addoption("--portability-frameworks", metavar="LIST", default=None,
                help="comma-separated backends to check (default: all): numpy,torch,tensorflow,jax,onnxruntime,"
                     "onnx-reference")
    g.addoption("--portability-baseline", metavar="FILE", default=None,
                help="a JSON report: hazards listed in it are expected (xfail) rather than new (fail)")
    g.addoption("--portability-seed", type=int, default=0, metavar="N", help="input seed (default 0)")
    g.addoption("--portability-timeout", type=float, default=60.0, metavar="S",
                help="per-case timeout in seconds inside the framework workers (default 60)")
    g.addoption("--portability-fail-on", metavar="KINDS", default="any",
                help="comma-separated hazard kinds that fail an item, or 'any' (default); a hazard of another kind "
                     "is an xfail with its summary. An API that is unsupported for a case is always a skip.")
    g.addoption("--portability-passes", metavar="LIST", default="forward,backward",
                help="forward, backward or both (default): an item per op x case x API and pass")


class _State:
    def __init__(self, config):
        from portability.frameworks import BACKENDS

        text = config.getoption("portability_frameworks")
        names = [t.strip() for t in text.split(",") if t.strip()] if text else None
        for n in names or []:
            if n not in BACKENDS:
                raise pytest.UsageError(f"--portability-frameworks: unknown framework {n!r} "
                                        f"(known: {', '.join(BACKENDS)})")
        self.backends = [b for b in BACKENDS if names is None or b in names]
        from portability.plan import PASSES

        passes = [t.strip() for t in config.getoption("portability_passes").split(",") if t.strip()]
        for p in passes:
            if p not in PASSES:
                raise pytest.UsageError(f"--portability-passes: unknown pass {p!r} (known: {', '.join(PASSES)})")
        self.passes = tuple(p for p in PASSES if p in passes) or ("forward",)
        self.seed = config.getoption("portability_seed")
        self.timeout = config.getoption("portability_timeout")
        self.baseline_path = config.getoption("portability_baseline")
        self.fail_on = _fail_on(config.getoption("portability_fail_on"))
        self.baseline: set = set()
        if self.baseline_path:
            from portability.errors import UsageError
            from portability.matrix import hazard_units
            from portability.report import jsonio

            try:
                data = jsonio.read(self.baseline_path, want="run")
            except OSError as exc:
                raise pytest.UsageError(f"--portability-baseline: {self.baseline_path}: cannot read the report: "
                                        f"{exc.strerror or exc}") from None
            except UsageError as exc:
                raise pytest.UsageError(f"--portability-baseline: {exc}") from None
            self.baseline = {u for h in data["hazards"] for u in hazard_units(h)}
        self.xdist_worker = hasattr(config, "workerinput")


def pytest_configure(config):
    config.addinivalue_line("markers", "portability: an op x case x framework API item of the portability plugin")
    config.addinivalue_line("markers", "xdist_group(name): keep items of one group on one pytest-xdist worker")
    if not config.getoption("portability"):
        return
    setattr(config, _KEY, _State(config))
    if getattr(config, "args_source", None) != pytest.Config.ArgsSource.ARGS:
        # no paths on the command line: check the bundled catalog instead of the test paths
        from portability.spec import DEFAULT_CATALOG

        config.args = [str(DEFAULT_CATALOG)]


def _state(config) -> _State | None:
    return getattr(config, _KEY, None)


def pytest_collect_file(file_path: Path, parent):
    state = _state(parent.config)
    if state is None or file_path.suffix not in (".yaml", ".yml") or not _is_catalog(file_path):
        return None
    return CatalogFile.from_parent(parent, path=file_path)


def _is_catalog(path: Path) -> bool:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and isinstance(data.get("ops"), list)


class CatalogError(Exception):
    pass


class CatalogFile(pytest.File):
    """One catalog YAML file: collects its items; runs the checker once for the selected ones."""

    def collect(self):
        from portability.errors import UsageError
        from portability.frameworks import BACKENDS, no_backward
        from portability.plan import api_wrt
        from portability.spec import load_catalog

        state = _state(self.config)
        try:
            self.catalog = load_catalog([self.path])
        except UsageError as exc:
            raise CatalogError(str(exc)) from None
        self._reports: dict[frozenset, dict | BaseException] = {}
        for op in self.catalog.ops:
            for case in op.cases:
                for backend in state.backends:
                    for api in op.apis_for(BACKENDS[backend].catalog_key):
                        for pass_ in state.passes:
                            if pass_ == "backward" and (no_backward(BACKENDS[backend].module) or api.unsupported
                                                        or not api_wrt(op, api, case)):
                                continue
                            suffix = "-backward" if pass_ == "backward" else ""
                            item = PortabilityItem.from_parent(
                                self, name=f"{op.name}[{case.name}-{backend}:{api.label}{suffix}]",
                                op=op.name, case=case.name, backend=backend, api=api.label, pass_=pass_)
                            item.add_marker(pytest.mark.portability)
                            item.add_marker(pytest.mark.xdist_group(op.name))
                            yield item

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CatalogError):
            return f"portability catalog error: {excinfo.value}"
        return super().repr_failure(excinfo)

    def _mine(self) -> list[PortabilityItem]:
        return [i for i in self.session.items if isinstance(i, PortabilityItem) and i.parent is self]

    def prepare(self, ops: set[str] | None = None) -> dict | BaseException:
        """The JSON report dict of one check for the given ops (default: every selected item's op)."""
        items = self._mine()
        if ops is None:
            ops = {i.op for i in items}
        key = frozenset(ops)
        if key not in self._reports:
            state = _state(self.config)
            backends = [b for b in state.backends if any(i.backend == b and i.op in ops for i in items)] or None
            try:
                from portability.check import run_check
                from portability.report import jsonio

                passes = [p for p in state.passes if any(i.pass_ == p and i.op in ops for i in items)] or ["forward"]
                report = run_check(self.catalog, ops=sorted(ops), backends=backends, seed=state.seed,
                                   timeout=state.timeout, progress=False, passes=passes)
                self._reports[key] = jsonio.to_dict(report)
            except Exception as exc:  # every item of the selection reports it
                self._reports[key] = exc
        return self._reports[key]

    def report_for(self, item: PortabilityItem) -> dict:
        state = _state(self.config)
        for key, data in self._reports.items():
            if item.op in key:
                break
        else:
            data = self.prepare({item.op} if state.xdist_worker else None)
        if isinstance(data, BaseException):
            raise data
        return data


def _fail_on(text: str) -> set[str] | None:
    """The hazard kinds that fail an item; None for any."""
    from portability.hazards import HAZARD_KINDS

    kinds = {t.strip() for t in (text or "any").split(",") if t.strip()}
    if "any" in kinds:
        return None
    for k in kinds:
        if k not in HAZARD_KINDS:
            raise pytest.UsageError(f"--portability-fail-on: unknown hazard kind {k!r} "
                                    f"(known: any, {', '.join(HAZARD_KINDS)})")
    return kinds


class HazardFailure(Exception):
    def __init__(self, hazards: list[dict], api: str):
        super().__init__("; ".join(h["summary"] for h in hazards))
        self.hazards, self.api = hazards, api


class PortabilityItem(pytest.Item):
    def __init__(self, *, op: str, case: str, backend: str, api: str, pass_: str = "forward", **kwargs):
        super().__init__(**kwargs)
        self.op, self.case, self.backend, self.api, self.pass_ = op, case, backend, api, pass_

    @property
    def api_id(self) -> str:
        return f"{self.backend}:{self.api}"

    def runtest(self):
        from portability.report.jsonio import pass_of

        data = self.parent.report_for(self)
        results = [r for r in data["results"] if r["op"] == self.op and r["case"] == self.case
                   and r["framework"] == self.backend and r["api"] == self.api and pass_of(r) == self.pass_]
        if results and all(r["status"] == "not_installed" for r in results):
            pytest.skip(f"{self.backend} is not installed: {results[0].get('message') or ''}".rstrip(": "))
        if self.pass_ == "backward" and not results:
            op = next((o for o in data["ops"] if o["name"] == self.op), {})
            why = next((c.get("backward_skipped") for c in op.get("cases", []) if c.get("name") == self.case), None)
            pytest.skip(f"no backward pass on this case: {why or 'nothing was differentiated'}")
        if results and all(r["status"] in ("unsupported", "not_expressible") for r in results):
            # as pytest skips what does not apply: the framework lacks the op or this value
            pytest.skip(f"{self.api_id} is unsupported here: {results[0].get('message') or ''}".rstrip(": "))
        state = _state(self.config)
        from portability.matrix import hazard_key, unit_cases

        mine = [h for h in data["hazards"] if h["op"] == self.op and self.api_id in h["apis"]
                and pass_of(h) == self.pass_ and (not h.get("cases") or self.case in h["cases"])
                and h["kind"] != "unsupported"]
        # the baseline excuses a hazard on this item's case, not the same hazard on another case
        new = [h for h in mine if not h.get("known")
               and (hazard_key(h), self.case if self.case in unit_cases(h) else "") not in state.baseline]
        failing = [h for h in new if state.fail_on is None or h["kind"] in state.fail_on]
        if failing:
            raise HazardFailure(failing, self.api_id)
        if mine:
            reasons = []
            for h in mine:
                why = (h.get("known_reason") if h.get("known") else
                       f"in the baseline {state.baseline_path}" if h not in new else
                       f"{h['summary']} (not a --portability-fail-on kind)")
                label = "known " if h.get("known") or h not in new else ""
                reasons.append(f"{label}{h['kind']}: {' '.join((why or '').split())}")
            pytest.xfail("; ".join(reasons))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, HazardFailure):
            lines = []
            for h in excinfo.value.hazards:
                lines.append(f"{h['severity']} {h['kind']}: {h['summary']}")
                if h.get("fix"):
                    lines.append(f"fix: {h['fix']}")
                snippet = (h.get("repro") or {}).get(self.api_id)
                if snippet:
                    lines.append(f"repro ({self.api_id}):")
                    lines += ["    " + ln for ln in snippet.splitlines()]
                lines.append("")
            return "\n".join(lines).rstrip()
        return super().repr_failure(excinfo)

    def reportinfo(self):
        suffix = " backward" if self.pass_ == "backward" else ""
        return self.path, None, f"{self.op}[{self.case}] {self.api_id}{suffix}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtestloop(session):
    """Run the checker once per catalog file before the first item, outside any item's timeout."""
    state = _state(session.config)
    runs = (state is not None and not state.xdist_worker and not session.config.option.collectonly
            and not (session.testsfailed and not session.config.option.continue_on_collection_errors))
    if runs:
        files = list(dict.fromkeys(i.parent for i in session.items if isinstance(i, PortabilityItem)))
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        for f in files:
            if tr is not None:
                n = len(f._mine())
                tr.write_line(f"portability: checking {f.path.name} ({n} items) in "
                              f"{', '.join(sorted({i.backend for i in f._mine()}))}")
            f.prepare()
    yield
