"""The HTML report: structure, escaping, self-containment and size, from the sample JSON report."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from portability.report import html, jsonio

SAMPLE = Path(__file__).parent / "data" / "sample_report.json"
HOSTILE = "<script>alert(1)</script>"


class Page(HTMLParser):
    """Every start tag with its attributes, plus the text of <script> elements."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._in_script: dict | None = None
        self._buf: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        self.tags.append((tag, a))
        if tag == "script":
            self._in_script, self._buf = a, []

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, {k: (v if v is not None else "") for k, v in attrs}))

    def handle_data(self, data):
        if self._in_script is not None:
            self._buf.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script is not None:
            self.scripts.append((self._in_script, "".join(self._buf)))
            self._in_script = None

    def find(self, tag=None, **attrs) -> list[dict]:
        out = []
        for t, a in self.tags:
            if tag and t != tag:
                continue
            if all((a.get(k.rstrip("_")) == v) if v is not True else (k.rstrip("_") in a) for k, v in attrs.items()):
                out.append(a)
        return out

    def ids(self) -> list[str]:
        return [a["id"] for _, a in self.tags if "id" in a]


def classes(a: dict) -> set[str]:
    return set(a.get("class", "").split())


@pytest.fixture(scope="module")
def sample() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def page_text(sample) -> str:
    return html.render(sample)


@pytest.fixture(scope="module")
def page(page_text) -> Page:
    return Page(page_text)


def hostile_report(sample: dict) -> dict:
    r = copy.deepcopy(sample)
    r["environment"]["platform"] = HOSTILE
    r["environment"]["framework_status"]["torch"]["message"] = HOSTILE
    r["environment"]["catalog"][0]["path"] = HOSTILE
    op = r["ops"][0]
    op["summary"] = HOSTILE
    op["category"] = 'act"><script>alert(2)</script>'
    op["sources"] = ["javascript:alert(3)", HOSTILE, "https://example.org/docs?a=1&b=2"]
    op["apis"][1]["calls"]["aligned"] = "x = 1  # " + HOSTILE
    op["cases"][0]["inputs"]["x"]["generator"] = HOSTILE
    h = r["hazards"][0]
    h["summary"] = HOSTILE
    h["fix"] = "Pass: " + HOSTILE
    h["known"], h["known_reason"], h["known_source"] = True, HOSTILE, "javascript:alert(4)"
    first = next(iter(h["repro"]))
    h["repro"][first] = "print('" + HOSTILE + "')"
    r["results"][0]["message"] = HOSTILE
    pw = next(p for p in r["pairwise"] if p["op"] == op["name"])
    old = pw["a"]
    for p in r["pairwise"]:  # an API id with a script end tag travels into the JSON data block
        for k in ("a", "b"):
            if p[k] == old:
                p[k] = "torch:</script><script>alert(5)</script><!--"
    r["stale_known"] = [{"op": op["name"], "kind": "numeric_divergence", "apis": [HOSTILE],
                         "reason": HOSTILE, "source": "javascript:alert(6)"}]
    return r


def big_report(sample: dict, copies: int = 50) -> dict:
    """A 150-op catalog's report made of renamed copies of the sample (3 ops x 50)."""
    r = copy.deepcopy(sample)
    r["ops"], r["results"], r["pairwise"], r["hazards"] = [], [], [], []
    for k in range(copies):
        rename = {o["name"]: f"{o['name']}_{k}" for o in sample["ops"]}
        for o in sample["ops"]:
            r["ops"].append(dict(o, name=rename[o["name"]], category=f"{o['category']}{k % 8}"))
        for key in ("results", "pairwise", "hazards"):
            r[key] += [dict(x, op=rename[x["op"]]) for x in sample[key]]
    r["summary"] = jsonio.summary(r["hazards"], r["results"], r["ops"])
    return r


# ----------------------------------------------------------------------------- structure


def test_one_matrix_row_per_op(sample, page):
    rows = [a for a in page.find("tr") if "op-row" in classes(a)]
    assert [a["id"] for a in rows] == [f"row-{o['name']}" for o in sample["ops"]]
    for a, o in zip(rows, sample["ops"]):
        assert a["data-category"] == o["category"]


def test_matrix_has_one_column_per_framework_and_cells(sample, page):
    fws = list(sample["environment"]["frameworks"])
    heads = [a["data-fw"] for a in page.find("th") if "data-fw" in a]
    assert heads == fws
    cells = [a for a in page.find("td") if "data-fw" in a]
    assert len(cells) == len(fws) * len(sample["ops"])


def test_cell_states_follow_the_worst_finding(sample):
    model = html.build_model(sample)
    cells = {(row["name"], c["fw"]): c for g in model["groups"] for row in g["rows"] for c in row["cells"]}
    assert cells[("leaky_relu", "numpy")]["state"] == "unsupported"
    assert cells[("gelu", "numpy")]["state"] == "none"
    assert cells[("gelu", "jax")]["state"] == "high"
    assert cells[("conv2d", "torch")]["state"] == "high"
    assert cells[("conv2d", "tensorflow")]["state"] == "ok"
    # every state says itself in words and a symbol, not only in colour
    for c in cells.values():
        assert c["word"] and c["symbol"]


def test_not_installed_framework(sample):
    r = copy.deepcopy(sample)
    r["environment"]["frameworks"]["jax"] = None
    text = html.render(r)
    p = Page(text)
    jax_cells = [a for a in p.find("td") if a.get("data-fw") == "jax"]
    assert jax_cells and all("st-not-installed" in classes(a) for a in jax_cells)
    assert "not installed" in text


def test_anchors_for_ops_and_hazards(sample, page):
    ids = page.ids()
    assert len(ids) == len(set(ids)), "duplicate ids"
    for o in sample["ops"]:
        assert f"op-{o['name']}" in ids
        assert page.find("section", id=f"op-{o['name']}")
    counts: dict[str, int] = {}
    for h in sample["hazards"]:
        counts[h["op"]] = counts.get(h["op"], 0) + 1
        assert f"hazard-{h['op']}-{counts[h['op']]}" in ids
    assert len([a for a in page.find("article") if "hazard" in classes(a)]) == len(sample["hazards"])
    # every in-page link points to an existing id
    for a in page.find("a"):
        href = a.get("href", "")
        if href.startswith("#"):
            assert href[1:] in ids, href


def test_header_environment(sample, page_text):
    env = sample["environment"]
    for v in (env["platform"], env["python"], *[v for v in env["frameworks"].values() if v]):
        assert v in page_text
    for c in env["catalog"]:
        assert c["path"] in page_text and c["sha256"] in page_text
    assert "jax_enable_x64=True" in page_text and "tf32=False" in page_text


def test_summary_and_svg_charts(sample, page_text, page):
    assert len(page.find("svg")) == 2
    assert len(page.find("rect")) >= 2
    for kind in sample["summary"]["hazards_by_kind"]:
        assert kind.replace("_", " ") in page_text


def test_op_details(sample, page_text, page):
    for o in sample["ops"]:
        for a in [a for a in o["apis"] if not a["unsupported"]]:
            for call in a["calls"].values():
                first = call.splitlines()[0] if call else ""
                assert html_escape(first) in page_text
    # repro snippets have copy buttons pointing at existing code blocks
    ids = set(page.ids())
    buttons = [a for a in page.find("button") if "copy" in classes(a)]
    assert len(buttons) == sum(len(h["repro"]) for h in sample["hazards"])
    assert all(b["data-target"] in ids for b in buttons)
    # the heatmap is rendered server-side for one case/mode per op with pairwise records
    assert len([a for a in page.find("table") if "heat" in classes(a)]) == len({p["op"] for p in sample["pairwise"]})
    # worst element of the divergent conv2d result
    assert "[1, 5, 2, 3]" in page_text


def test_porting_view(sample, page):
    items = [a for a in page.find("li") if "port-item" in classes(a)]
    assert len(items) == len(sample["hazards"])
    assert [set(a["data-fws"].split()) for a in items] == [set(h["frameworks"]) for h in sample["hazards"]]
    assert page.find("select", id="port-src") and page.find("select", id="port-dst")
    # default mismatch rows carry the framework for the source/target roles
    fw_rows = [a for a in page.find("tr") if "data-fw" in a]
    assert {a["data-fw"] for a in fw_rows} >= {"torch", "jax", "tensorflow"}


def test_defaults_and_port_recipes_come_from_structured_fields(sample):
    """No prose is parsed: defaults rows from `defaults`, recipe rows from `recipes` (source -> target)."""
    import copy

    data = copy.deepcopy(sample)
    h = next(h for h in data["hazards"] if h["kind"] == "default_argument_mismatch" and h["op"] == "leaky_relu")
    h["recipes"] = [{"source": "torch:torch.nn.functional.leaky_relu", "target": "tensorflow:tf.nn.leaky_relu",
                     "values": {"negative_slope": 0.01}, "args": {"alpha": 0.01}, "call": "tf.nn.leaky_relu(..., alpha=0.01)",
                     "cases": 2, "agreeing": 2, "residual": 0.0, "note": "", "other": [], "verified": True}]
    model = html.build_model(data)
    view = next(v for v in model["hazards"] if v["kind"] == "default_argument_mismatch" and v["op"] == "leaky_relu")
    rows = {d["api"]: d for d in view["defaults_rows"]}
    assert rows["torch:torch.nn.functional.leaky_relu"]["value"] == 0.01 and "explicit" not in rows["torch:torch.nn.functional.leaky_relu"]
    (recipe,) = view["recipe_rows"]
    assert (recipe["src_fw"], recipe["dst_fw"], recipe["dst_api"]) == ("torch", "tensorflow", "tf.nn.leaky_relu")
    page = html.render(data)
    assert 'data-src="torch" data-dst="tensorflow"' in page and "tf.nn.leaky_relu(..., alpha=0.01)" in page


def test_accessibility_basics(page, page_text):
    for tag, a in page.tags:
        if tag == "th":
            assert "scope" in a, a
    # every form control is labelled (wrapped in its <label>)
    labelled = re.findall(r'<label[^>]*>(?:(?!</label>).)*?<(?:select|input)[^>]*id="([^"]+)"', page_text, re.S)
    controls = [a["id"] for t, a in page.tags if t in ("select", "input") and "id" in a]
    assert controls and set(controls) <= set(labelled), set(controls) - set(labelled)
    assert page.find("html", lang="en")


# ----------------------------------------------------------------------------- self-contained


def test_no_external_resources(sample, page_text, page):
    assert not [a for a in page.find("script") if "src" in a]
    assert not page.find("link")
    assert not page.find("iframe") and not page.find("img")
    lowered = page_text.lower()
    for needle in ("@import", "url(http", "url(//", "fetch(", "xmlhttprequest", "cdn.", "fonts.googleapis"):
        assert needle not in lowered, needle
    allowed = set()
    for o in sample["ops"]:
        allowed |= set(o["sources"])
        for a in o["apis"]:
            allowed |= set(a.get("sources") or [])
    for a in page.find("a"):
        href = a.get("href", "")
        assert href.startswith("#") or href in allowed, href
    for t, a in page.tags:
        for k in ("src", "srcset", "data", "poster", "action", "formaction"):
            assert k not in a or not a[k], (t, a)


def test_page_data_is_valid_json(page):
    blocks = [(a, s) for a, s in page.scripts if a.get("type") == "application/json"]
    assert len(blocks) == 1
    data = json.loads(blocks[0][1])
    assert set(data) >= {"heat", "frameworks"}


# ----------------------------------------------------------------------------- escaping


def test_hostile_strings_are_escaped(sample):
    text = html.render(hostile_report(sample))
    assert HOSTILE not in text
    assert "<script>alert(" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    p = Page(text)
    scripts = [a for t, a in p.tags if t == "script"]
    assert len(scripts) == 2, scripts  # the JSON data block and the page script, nothing injected
    assert not any("alert(" in s for _, s in p.scripts if _.get("type") != "application/json")
    # no javascript: URL became a link
    assert not [a for a in p.find("a") if a.get("href", "").lower().startswith("javascript:")]
    # an attribute value cannot be broken out of
    assert any(a.get("data-category") == 'act"><script>alert(2)</script>' for a in p.find("tr"))
    # the safe http source is still a link, with its & escaped in the markup
    assert 'href="https://example.org/docs?a=1&amp;b=2"' in text


def test_json_block_cannot_close_the_script(sample):
    text = html.render(hostile_report(sample))
    start = text.index('<script type="application/json" id="page-data">')
    end = text.index("</script>", start)
    block = text[start + len('<script type="application/json" id="page-data">'):end]
    assert "</" not in block and "<!--" not in block and "<" not in block
    data = json.loads(block)
    apis = [a for h in data["heat"].values() for a in h["apis"]]
    assert "torch:</script><script>alert(5)</script><!--" in apis


def test_script_json_escapes():
    s = html.script_json({"x": "</script><!-- & \u2028", "n": float("nan")})
    assert "<" not in s and ">" not in s and "&" not in s
    assert json.loads(s) == {"x": "</script><!-- & \u2028", "n": "nan"}


# ----------------------------------------------------------------------------- robustness and size


def test_non_finite_numbers_from_json(sample, tmp_path):
    r = copy.deepcopy(sample)
    ok = next(x for x in r["results"] if x["status"] == "ok")
    ok.update(max_abs_error=float("nan"), max_ulp=float("inf"), within_tolerance=False)
    r["pairwise"][0]["max_abs_error"] = float("inf")
    html.render(r)  # live floats
    path = tmp_path / "r.json"
    jsonio.write(r, path)
    text = html.render(jsonio.read(path))  # "nan"/"inf" strings
    assert "NaN" in text and "+Inf" in text


def test_empty_report_renders():
    text = html.render({"format_version": 1, "environment": {}, "summary": {}, "ops": [], "results": [],
                        "pairwise": [], "hazards": [], "stale_known": [], "timing": {}})
    assert "Operation portability report" in text


def test_stale_known_listed(sample):
    r = copy.deepcopy(sample)
    r["stale_known"] = [{"op": "gelu", "kind": "numeric_divergence", "apis": ["jax"], "reason": "fixed in 0.5",
                         "source": "https://github.com/google/jax/issues/1"}]
    text = html.render(r)
    assert 'id="stale"' in text and "fixed in 0.5" in text
    assert 'id="stale"' not in html.render(sample)


def test_write_is_atomic_and_equal_to_render(sample, tmp_path):
    out = tmp_path / "sub" / "report.html"
    html.write(sample, out)
    assert out.read_text(encoding="utf-8") == html.render(sample)
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]


def test_render_is_pure(sample):
    before = json.dumps(sample, sort_keys=True)
    html.render(sample)
    assert json.dumps(sample, sort_keys=True) == before


def test_size_for_a_150_op_catalog(sample):
    r = big_report(sample)
    assert len(r["ops"]) == 150
    text = html.render(r)
    size = len(text.encode("utf-8"))
    assert size < 5_000_000, size
    p = Page(text)
    assert len([a for a in p.find("tr") if "op-row" in classes(a)]) == 150
    assert len(set(p.ids())) == len(p.ids())


def html_escape(s: str) -> str:
    from markupsafe import escape

    return str(escape(s))


def with_backward(sample: dict) -> dict:
    """The sample report as format 3 with a backward pass: gelu's gradients in torch and jax, where jax's
    diverges (a backward hazard), numpy forward only."""
    report = copy.deepcopy(sample)
    report["format_version"] = 3
    report["environment"] |= {"passes": ["forward", "backward"],
                              "inference_only": {"numpy": "NumPy has no automatic differentiation"}}
    base = {k: v for k, v in report["results"][0].items()} | {"op": "gelu", "case": "exact", "mode": "aligned",
                                                              "status": "ok", "pass": "backward", "wrt": "x",
                                                              "shape_equal": True, "dtype_equal": True,
                                                              "nonfinite_equal": True, "message": ""}
    report["results"] += [base | {"framework": "torch", "api": "torch.nn.functional.gelu", "within_tolerance": True,
                                  "max_abs_error": 1e-7, "max_rel_error": 2e-8},
                          base | {"framework": "jax", "api": "jax.nn.gelu", "within_tolerance": False,
                                  "max_abs_error": 0.4, "max_rel_error": 0.1,
                                  "worst": {"index": [1], "actual": 1.0, "expected": 0.6}}]
    report["hazards"].append({"op": "gelu", "kind": "gradient_divergence", "pass": "backward", "frameworks": ["jax"],
                              "apis": ["jax:jax.nn.gelu"], "severity": "high", "cases": ["exact"], "known": False,
                              "summary": "gelu: the gradient (d/dx) of jax:jax.nn.gelu differs", "fix": "write it",
                              "divergence": {"max_abs_error": 0.4, "case": "exact", "wrt": "x",
                                             "worst": {"index": [1], "actual": 1.0, "expected": 0.6}}})
    return report


def test_the_matrix_switches_between_passes_and_op_sections_show_gradients(sample):
    report = with_backward(sample)
    model = html.build_model(report)
    assert [p["name"] for p in model["passes"]] == ["forward", "backward"]
    cells = {(row["name"], c["fw"]): c for g in model["groups"] for row in g["rows"] for c in row["cells"]}
    assert cells[("gelu", "jax")]["state"] == "high"  # the forward view: the default mismatch
    assert cells[("gelu", "jax")]["backward"]["state"] == "high"  # the backward view: the gradient hazard
    assert cells[("gelu", "torch")]["backward"]["state"] == "ok"
    assert cells[("gelu", "numpy")]["backward"]["state"] == "forward-only"
    assert cells[("conv2d", "torch")]["backward"]["state"] == "none"  # no gradient results there
    p = Page(html.render(report))
    assert [a["value"] for a in p.find("input", name="pass")] == ["forward", "backward"]
    jax = next(a for a in p.find("td") if a.get("data-fw") == "jax" and "gelu" in a.get("title", ""))
    assert jax["data-b"].split()[:4] == ["high", "6", "1", "-"]
    page = html.render(report)
    assert "&nabla; d/dx" in page and '<span class="badge pass">backward</span>' in page
    assert "numpy</strong>: NumPy has no automatic differentiation" in page
