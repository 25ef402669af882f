"""The HTML report in a real headless Chromium: the JS filters, deep links, porting view, no script errors.

Checked through ``--dump-dom`` (the DOM after the page's script ran), with the filter state passed in
the URL query, as the page supports. Skips only when no Chromium/Chrome binary is installed.
Also leaves a full-page screenshot in reports/screenshots/report.png for a human to look at.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from portability.report import html

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = Path(__file__).parent / "data" / "sample_report.json"
SCREENSHOT = ROOT / "reports" / "screenshots" / "report.png"
TIMEOUT_S = 25

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome",
                                                         "google-chrome-stable")) if p), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no headless browser: install chromium (apt-get install chromium) to run these tests")


class Dom(HTMLParser):
    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: (v if v is not None else "") for k, v in attrs}))

    handle_startendtag = handle_starttag

    def by_id(self, ident: str) -> dict:
        found = [a for _, a in self.tags if a.get("id") == ident]
        assert len(found) == 1, (ident, len(found))
        return found[0]

    def all(self, tag: str, cls: str | None = None) -> list[dict]:
        return [a for t, a in self.tags if t == tag and (cls is None or cls in a.get("class", "").split())]

    def first(self, tag: str) -> dict:
        return next(a for t, a in self.tags if t == tag)


def _flags(profile: Path) -> list[str]:
    return [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
            "--disable-default-apps", "--mute-audio", f"--user-data-dir={profile}"]


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


@pytest.fixture(scope="module")
def sample() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def site(tmp_path_factory, sample) -> Path:
    d = tmp_path_factory.mktemp("site")
    html.write(sample, d / "report.html")
    return d


@pytest.fixture(scope="module")
def dump(site, tmp_path_factory):
    """url suffix -> (Dom, stderr) of the page after its script ran; cached per suffix."""
    cache: dict[str, tuple[Dom, str]] = {}

    def get(suffix: str = "", page: str = "report.html") -> tuple[Dom, str]:
        key = page + suffix
        if key not in cache:
            profile = tmp_path_factory.mktemp("profile")
            url = (site / page).as_uri() + suffix
            p = _run(_flags(profile) + ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000",
                                        "--dump-dom", url])
            assert p.returncode == 0, p.stderr[-2000:]
            assert "<html" in p.stdout, p.stderr[-2000:]
            cache[key] = (Dom(p.stdout), p.stderr)
        return cache[key]

    return get


def page_errors(stderr: str) -> list[str]:
    """Console errors and uncaught exceptions reported from the page (Chromium logs them as CONSOLE lines)."""
    return [line for line in stderr.splitlines()
            if "Uncaught" in line or ("CONSOLE" in line and ("error" in line.lower() or "report.html" in line))]


def visible_rows(dom: Dom) -> list[str]:
    return [a["id"] for a in dom.all("tr", "op-row") if "hidden" not in a]


def hidden_rows(dom: Dom) -> list[str]:
    return [a["id"] for a in dom.all("tr", "op-row") if "hidden" in a]


# ----------------------------------------------------------------------------- tests


def test_page_runs_without_errors(dump, sample):
    dom, stderr = dump()
    body = dom.first("body")
    assert body.get("data-js") == "ready", "the page script did not finish"
    assert "data-js-error" not in body, body["data-js-error"]
    assert not page_errors(stderr), page_errors(stderr)
    assert visible_rows(dom) == [f"row-{o['name']}" for o in sample["ops"]]
    assert body.get("data-filtered") == "no"


def test_filter_by_name_from_the_url(dump):
    dom, _ = dump("?q=conv")
    assert visible_rows(dom) == ["row-conv2d"]
    assert set(hidden_rows(dom)) == {"row-leaky_relu", "row-gelu"}
    # a category with no visible rows hides its group
    assert "hidden" in dom.by_id("cat-activation")
    assert "hidden" not in dom.by_id("cat-convolution")


def test_filter_by_framework_kind_severity(dump):
    dom, _ = dump("?framework=numpy&severity=medium")
    assert set(visible_rows(dom)) == {"row-leaky_relu", "row-conv2d"}  # numpy is unsupported there
    dom, _ = dump("?kind=default_argument_mismatch")
    assert set(visible_rows(dom)) == {"row-leaky_relu", "row-gelu"}
    dom, _ = dump("?category=convolution&severity=high&framework=torch")
    assert visible_rows(dom) == ["row-conv2d"]
    focus = [a for _, a in dom.tags if "col-focus" in a.get("class", "").split()]
    assert focus and all(a.get("data-fw") == "torch" for a in focus)


def test_deep_link_opens_the_op(dump):
    dom, stderr = dump("#op-conv2d")
    section = dom.by_id("op-conv2d")
    assert "is-target" in section["class"].split()
    details = [a for _, a in dom.tags if a.get("class") == "op-details"]
    assert [("open" in a) for a in details] == [False, False, True]  # only conv2d's details opened
    assert not page_errors(stderr)


def test_deep_link_to_a_hazard_opens_its_op(dump):
    dom, _ = dump("#hazard-leaky_relu-1")
    assert "is-target" in dom.by_id("hazard-leaky_relu-1")["class"].split()
    details = [a for _, a in dom.tags if a.get("class") == "op-details"]
    assert [("open" in a) for a in details] == [True, False, False]


def test_deep_link_with_a_filter(dump):
    dom, _ = dump("?q=conv#op-conv2d")
    assert visible_rows(dom) == ["row-conv2d"]
    assert "is-target" in dom.by_id("op-conv2d")["class"].split()


def test_porting_view_from_the_url(dump, sample):
    dom, _ = dump("?from=torch&to=jax")
    items = dom.all("li", "port-item")
    shown = ["hidden" not in a for a in items]
    assert shown == ["jax" in h["frameworks"] for h in sample["hazards"]]
    # default-mismatch tables keep only the source and target rows, labelled by role
    roles = [a for t, a in dom.tags if t == "tr" and "data-fw" in a and "hidden" not in a]
    assert roles and {a["data-fw"] for a in roles} == {"torch", "jax"}
    assert all({"is-src", "is-dst"} & set(a.get("class", "").split()) for a in roles)
    # gelu: torch and tensorflow default `approximate` alike, which the page says; leaky_relu's differ
    dom, _ = dump("?from=torch&to=tensorflow")
    same = [a for a in dom.all("li", "port-item") if "port-same" in a["class"].split()]
    assert len(same) == 1
    dom, _ = dump("?from=numpy&to=torch&both=1")
    shown = ["hidden" not in a for a in dom.all("li", "port-item")]
    assert shown == [{"numpy", "torch"} <= set(h["frameworks"]) for h in sample["hazards"]]


def test_heatmap_picker_is_filled(dump, sample):
    dom, _ = dump()
    selects = dom.all("select", "heat-select")
    assert len(selects) == len({p["op"] for p in sample["pairwise"]})
    n_options = sum(1 for t, _ in dom.tags if t == "option")
    views = {(p["op"], p["case"], p["mode"]) for p in sample["pairwise"]}
    assert n_options >= len(views)


def test_hostile_report_runs_clean(site, dump, sample):
    from test_html import hostile_report  # same folder: pytest puts tests/ on sys.path

    html.write(hostile_report(sample), site / "hostile.html")
    dom, stderr = dump("#op-leaky_relu", page="hostile.html")
    body = dom.first("body")
    assert body.get("data-js") == "ready" and "data-js-error" not in body
    assert sum(1 for t, _ in dom.tags if t == "script") == 2
    assert not page_errors(stderr)


def test_screenshot(site, tmp_path):
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    out = tmp_path / "report.png"
    p = _run(_flags(tmp_path / "profile") + ["--hide-scrollbars", "--window-size=1400,3000",
                                              "--virtual-time-budget=3000", f"--screenshot={out}",
                                              (site / "report.html").as_uri()])
    assert p.returncode == 0, p.stderr[-2000:]
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    shutil.copyfile(out, SCREENSHOT)


def _page_requests(page: Path, tmp_path: Path) -> set[str]:
    """http(s)/ws URLs the page itself asked for, from Chromium's net log (a file:// page's requests
    carry the opaque initiator "null"; the browser's own background requests are "not an origin")."""
    log = tmp_path / f"{page.stem}.netlog.json"
    p = _run(_flags(tmp_path / f"profile-{page.stem}") + [f"--log-net-log={log}", "--virtual-time-budget=3000",
                                                          "--dump-dom", page.as_uri() + "?expand=all"])
    assert p.returncode == 0, p.stderr[-2000:]
    if not log.exists():
        pytest.skip("this Chromium wrote no net log")
    try:
        events = json.loads(log.read_text(errors="replace"))["events"]
    except (ValueError, KeyError):
        pytest.skip("unreadable net log")
    return {e["params"]["url"] for e in events
            if isinstance(e.get("params"), dict) and str(e["params"].get("url", "")).startswith(("http", "ws"))
            and e["params"].get("initiator") not in (None, "not an origin")}


def test_no_network_requests(site, tmp_path):
    control = tmp_path / "control.html"
    control.write_text('<img src="http://example.invalid/x.png">', encoding="utf-8")
    assert _page_requests(control, tmp_path) == {"http://example.invalid/x.png"}, "the net-log check sees nothing"
    assert _page_requests(site / "report.html", tmp_path) == set()


def test_without_javascript_the_matrix_is_complete(site, tmp_path, sample):
    """The page with its script removed (Chromium's --dump-dom itself needs scripting, so disabling
    JavaScript in the browser would dump nothing): every row and hazard is there, filters do nothing."""
    text = (site / "report.html").read_text(encoding="utf-8")
    start = text.rindex("<script>")
    nojs = tmp_path / "nojs.html"
    nojs.write_text(text[:start] + text[text.index("</script>", start) + len("</script>"):], encoding="utf-8")
    p = _run(_flags(tmp_path / "profile") + ["--virtual-time-budget=2000", "--dump-dom", nojs.as_uri() + "?q=conv"])
    assert p.returncode == 0, p.stderr[-2000:]
    dom = Dom(p.stdout)
    assert dom.first("body").get("data-js") == "off"
    assert sum(1 for t, _ in dom.tags if t == "script") == 1  # only the JSON data block is left
    assert visible_rows(dom) == [f"row-{o['name']}" for o in sample["ops"]]  # the filter simply does nothing
    assert len(dom.all("article", "hazard")) == len(sample["hazards"])
    assert len(dom.all("li", "port-item")) == len(sample["hazards"])


def test_the_pass_switch_shows_the_backward_view(tmp_path):
    """?pass=backward redraws each matrix cell from its backward view; no page errors."""
    from test_html import with_backward

    report = with_backward(json.loads(SAMPLE.read_text(encoding="utf-8")))
    page = tmp_path / "grads.html"
    html.write(report, page)
    p = _run(_flags(tmp_path / "profile") + ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000",
                                             "--dump-dom", page.as_uri() + "?pass=backward"])
    assert p.returncode == 0, p.stderr[-2000:]
    dom = Dom(p.stdout)
    assert dom.first("body").get("data-js") == "ready" and "data-js-error" not in dom.first("body")
    assert not page_errors(p.stderr)
    assert dom.by_id("matrix-table")["data-pass"] == "backward"
    cells = {a["data-fw"]: a for t, a in dom.tags if t == "td" and "gelu" in a.get("title", "") and "data-fw" in a}
    assert "st-forward-only" in cells["numpy"]["class"] and "st-ok" in cells["torch"]["class"]
    assert "st-high" in cells["jax"]["class"]
    assert dom.by_id("row-gelu")["data-hazards"] == "1"
