"""The bundled catalog, run for real in every installed framework, once for the whole module.

What it must show: the hazards a porter loses weeks to, and nothing else (no false alarms)."""

import numpy as np
import pytest
from conftest import installed

from portability.check import run_check
from portability.spec import load_catalog

UNEXPLAINED = ("numeric_divergence", "nonfinite_mismatch", "shape_mismatch", "dtype_mismatch", "error", "crash",
               "timeout", "default_drift", "opset_drift", "gradient_divergence", "gradient_nonfinite",
               "gradient_unsupported")
# Ops on which the frameworks genuinely agree: no hazard but `unsupported` (an op a framework lacks), in either
# pass. Their gradients agree too, including relu at 0, relu6 at 0 and 6, sqrt and log at 0, max pooling ties and
# `where` with NaN/Inf in the branch not taken (relu, relu6, sqrt, log, max_pool2d and where have those cases).
AGREEING = ("relu", "relu6", "tanh", "sigmoid", "silu", "softplus", "round", "pad_constant", "pad_reflect",
            "matmul", "conv2d_layer", "lstm", "gru", "sqrt", "log", "max_pool2d", "where", "elu", "linear",
            "multi_head_attention", "einsum")
# Ops whose gradients agree everywhere (their forward pass may have documented default mismatches): no backward
# hazard, and their gradients agree with the float64 reference's derivative where it has one.
AGREEING_GRADIENTS = ("softmax", "log_softmax", "layer_norm", "group_norm", "batch_norm", "logsumexp", "cumsum",
                      "conv2d", "conv_transpose2d_layer", "depthwise_conv2d", "avg_pool2d", "gelu", "var", "std",
                      "cross_entropy", "mse_loss", "l2_normalize", "cosine_similarity", "resize_bilinear", "mean",
                      "sum", "bmm", "median")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def report(catalog):
    return run_check(catalog, progress=False)


def _default_hazard(report, op, param):
    found = [h for h in report.hazards if h.op == op and h.kind == "default_argument_mismatch" and h.param == param]
    assert len(found) == 1, [h.summary for h in report.hazards if h.op == op]
    return found[0]


FAMILIES = {"activation", "convolution", "pooling", "normalization", "resize", "detection", "indexing", "sorting",
            "reduction", "elementwise", "linalg", "shape", "loss", "layer", "initializer"}


def test_catalog_size_families_and_depth(catalog):
    assert len(catalog.ops) >= 150
    assert FAMILIES <= {op.category for op in catalog.ops}
    assert [op.name for op in catalog.ops if len(op.cases) < 2] == []  # every op has several cases
    for op in catalog.ops:  # every stated default or convention cites a source
        assert op.sources or all(a.sources for a in op.apis if a.defaults), op.name


def test_every_reference_runs(report):
    broken = {(r.op, r.case) for r in report.results if r.message.startswith("reference failed")}
    assert not broken


def test_each_framework_runs_each_op_or_reports_it_unsupported(report):
    known = {(h.op, a) for h in report.hazards if h.known for a in h.apis}
    # Aligned mode only: a naive defaults-mode call may fail for real (that is what it measures).
    bad = [(r.op, r.case, r.framework, r.api, r.status, r.message[:120]) for r in report.results
           if r.mode == "aligned" and r.status in ("error", "crash", "timeout")
           and (r.op, f"{r.framework}:{r.api}") not in known]
    assert not bad
    for r in report.results:
        if r.status == "unsupported":
            assert r.message, (r.op, r.framework, r.api)


def test_every_divergence_reported_was_checked_and_documented(report):
    """A numeric, shape, dtype or non-finite hazard on the bundled catalog is a known, sourced record."""
    unexplained = [h.summary for h in report.hazards if h.kind in UNEXPLAINED and not h.known]
    assert not unexplained
    for h in report.hazards:
        if h.known:
            assert h.known_reason and h.known_source.startswith("http")


def test_no_stale_known_records(report):
    assert not report.stale_known


def test_both_passes_ran_and_the_forward_only_backends_are_said_once(report):
    assert report.environment["passes"] == ["forward", "backward"]
    assert set(report.environment["inference_only"]) == {"numpy", "onnxruntime", "onnx-reference"}
    backward = [r for r in report.results if r.pass_ == "backward"]
    assert backward and not {r.framework for r in backward} & {"numpy", "onnxruntime", "onnx-reference"}
    assert not [h for h in report.hazards if h.pass_ == "backward" and h.frameworks[0] in report.environment[
        "inference_only"]]


def test_every_differentiable_op_runs_backward_in_torch_tensorflow_and_jax(catalog, report):
    """Each op with inputs to differentiate runs its backward pass in every framework that has an API for it, on
    some case (a case whose reference outputs hold NaN has none); where the framework has no gradient
    (tf.truncatemod, ResizeArea) that is its known gradient_unsupported hazard."""
    ran = {(r.op, r.framework) for r in report.results if r.pass_ == "backward" and r.status != "not_installed"}
    unsupported = {(h.op, f) for h in report.hazards if h.kind == "gradient_unsupported" and h.known
                   for f in h.frameworks}
    # a call whose forward pass is refused (a known error: torch/TF refuse negative pads) has no gradient either
    unsupported |= {(h.op, f) for h in report.hazards if h.kind in ("error", "unsupported") and h.known
                    and h.pass_ == "forward" for f in h.frameworks
                    if all(r.status != "ok" for r in report.results
                           if r.op == h.op and r.pass_ == "forward" and r.framework == f)}
    assert {(op, fw) for op, fw in ran if (op, fw) not in unsupported} <= {
        (r.op, r.framework) for r in report.results if r.pass_ == "backward" and r.status == "ok"}
    missing = []
    for op in catalog.ops:
        if not any(op.wrt(c) for c in op.cases):
            continue
        for fw in ("torch", "tensorflow", "jax"):
            if installed({"tensorflow": "tensorflow"}.get(fw, fw)) and any(not a.unsupported for a in op.apis_for(fw)) \
                    and (op.name, fw) not in ran:
                missing.append((op.name, fw))
    assert not missing
    assert len({op for op, _ in ran}) >= 130


def _local_derivative(h, report, fw_api: str) -> float:
    """A pairwise gradient hazard's value for one API at its worst element, divided by the cotangent there: the
    derivative of an elementwise op at that input."""
    from portability.inputs import cotangent

    op = next(o for o in report.ops if o["name"] == h.op)
    case = next(c for c in op["cases"] if c["name"] == h.divergence["case"])
    ct = cotangent(case["inputs"]["x"]["shape"], case["dtype"], report.environment["seed"], h.op, case["name"], 0)
    return h.divergence["by_api"][fw_api] / float(ct[tuple(h.divergence["worst"]["index"])])


def test_abs_gradient_at_zero_jax_takes_one_where_torch_and_tensorflow_take_zero(report):
    if not (installed("jax") and installed("torch") and installed("tensorflow")):
        pytest.skip("needs torch, tensorflow and jax")
    (h,) = [h for h in report.hazards if h.op == "abs" and h.pass_ == "backward"]
    assert h.kind == "gradient_divergence" and h.cases == ("at_zero",) and h.known
    assert _local_derivative(h, report, "jax:jax.numpy.abs") == pytest.approx(1.0)
    assert _local_derivative(h, report, "torch:torch.abs") == 0.0
    assert _local_derivative(h, report, "tensorflow:tf.math.abs") == 0.0


def test_norm_of_a_zero_vector_jax_and_tensorflow_give_nan_where_torch_gives_zero(report):
    if not (installed("jax") and installed("torch") and installed("tensorflow")):
        pytest.skip("needs torch, tensorflow and jax")
    (h,) = [h for h in report.hazards if h.op == "norm" and h.pass_ == "backward"]
    assert h.kind == "gradient_nonfinite" and h.cases == ("zero_rows",) and h.known
    assert set(h.apis) == {"jax:jax.numpy.linalg.norm", "tensorflow:tf.norm", "tensorflow:keras.ops.norm"}
    values = h.divergence["by_api"]
    assert values["torch:torch.linalg.vector_norm"] == 0.0
    assert all(np.isnan(values[a]) for a in h.apis)


def test_backward_hazards_found_on_the_bundled_catalog(report):
    """The documented gradient divergences this catalog shows (each a known record with its source)."""
    if not (installed("jax") and installed("torch") and installed("tensorflow")):
        pytest.skip("needs torch, tensorflow and jax")
    found = {(h.op, h.kind) for h in report.hazards if h.pass_ == "backward"}
    assert {("abs", "gradient_divergence"), ("norm", "gradient_nonfinite"), ("leaky_relu", "gradient_divergence"),
            ("hard_tanh", "gradient_divergence"), ("clip", "gradient_divergence"), ("maximum", "gradient_divergence"),
            ("max", "gradient_divergence"), ("sort", "gradient_divergence"), ("pow", "gradient_nonfinite"),
            ("resize_area", "gradient_unsupported"), ("cross_entropy_soft_targets", "gradient_divergence")} <= found
    assert all(h.known and h.known_source.startswith("http") for h in report.hazards if h.pass_ == "backward")


@pytest.mark.parametrize("op", AGREEING)
def test_no_false_alarms_where_frameworks_agree(report, catalog, op):
    if op not in {o.name for o in catalog.ops}:
        pytest.skip(f"{op} not in the catalog")
    # support gaps (an API missing, or missing at one ONNX opset) are not divergences of the values, nor is an
    # argument written in another convention (a known finding whose translation this run checked), nor a
    # checkpoint conversion (weight_layout: the weights rearranged, then the values agree)
    assert [h.summary for h in report.hazards if h.op == op and h.kind not in ("unsupported", "weight_layout")
            and not (h.kind == "opset_drift" and " runs only at " in h.summary)
            and not (h.kind == "argument_convention" and h.fix_verified)] == []


@pytest.mark.parametrize("op", AGREEING_GRADIENTS)
def test_no_false_alarms_where_gradients_agree(report, catalog, op):
    if op not in {o.name for o in catalog.ops}:
        pytest.skip(f"{op} not in the catalog")
    assert [h.summary for h in report.hazards if h.op == op and h.pass_ == "backward"] == []
    forward_ok = {(r.case, r.framework, r.api) for r in report.results if r.op == op and r.pass_ == "forward"
                  and r.mode == "aligned" and r.status == "ok" and r.within_tolerance}
    judged = [r for r in report.results if r.op == op and r.pass_ == "backward" and r.mode == "aligned"
              and r.status == "ok" and r.within_tolerance is not None and (r.case, r.framework, r.api) in forward_ok]
    assert judged and all(r.within_tolerance for r in judged)  # (a call whose outputs differ already is no check)


def test_leaky_relu_slope_mismatch(report):
    h = _default_hazard(report, "leaky_relu", "negative_slope")
    if installed("torch") and installed("tensorflow"):
        assert h.defaults["torch:torch.nn.functional.leaky_relu"] == 0.01
        assert h.defaults["tensorflow:tf.nn.leaky_relu"] == 0.2
        assert h.defaults["tensorflow:keras.layers.LeakyReLU"] == 0.3
        assert h.severity == "high"


def test_jax_gelu_tanh_default(report):
    h = _default_hazard(report, "gelu", "approximate")
    if installed("jax") and installed("torch"):
        assert h.defaults["jax:jax.nn.gelu"] is True
        assert h.defaults["torch:torch.nn.functional.gelu"] is False
        assert h.severity == "high"


def test_batch_norm_epsilon_torch_vs_keras(report):
    h = _default_hazard(report, "batch_norm", "eps")
    if installed("torch") and installed("tensorflow"):
        torch_eps = {v for k, v in h.defaults.items() if k.startswith("torch:")}
        keras_eps = {v for k, v in h.defaults.items() if "keras" in k}
        assert torch_eps == {1e-5} and keras_eps == {1e-3}
        assert h.severity == "high"


def test_a_freshly_built_layer_trains_in_torch_and_infers_in_keras(report):
    """nn.BatchNorm2d / nn.Dropout start in training mode and F.dropout defaults to training=True; a Keras layer
    called without `training=` infers: left at the defaults, the outputs differ (batch vs running statistics,
    dropped vs kept values)."""
    if not (installed("torch") and installed("tensorflow")):
        pytest.skip("needs torch and tensorflow")
    for op, torch_apis in (("batch_norm", ["torch:torch.nn.BatchNorm2d"]),
                           ("dropout", ["torch:torch.nn.Dropout", "torch:torch.nn.functional.dropout"])):
        h = _default_hazard(report, op, "training")
        assert h.severity == "high" and all(h.defaults[a] is True for a in torch_apis), h.summary
        assert h.defaults[f"tensorflow:keras.layers.{'BatchNormalization' if op == 'batch_norm' else 'Dropout'}"] is False
    h = _default_hazard(report, "batch_norm_training", "training")  # F.batch_norm and a Keras call infer
    assert h.defaults["torch:torch.nn.functional.batch_norm"] is False and h.severity == "high"


def test_initializer_defaults_differ_as_distributions(report):
    """torch's U(+-1/sqrt(fan_in)) against Keras glorot_uniform and zeros, N(0, 1) against U(+-0.05), PReLU 0.25
    against 0: each a default mismatch measured by the KS statistic; batch norm's ones and zeros agree."""
    if not (installed("torch") and installed("tensorflow")):
        pytest.skip("needs torch and tensorflow")
    for op in ("dense_kernel_init", "dense_bias_init", "conv2d_kernel_init", "conv2d_bias_init", "embedding_init",
               "prelu_init"):
        assert _default_hazard(report, op, "init").severity == "high", op
    assert [h.kind for h in report.hazards if h.op == "batch_norm_affine_init" and h.kind != "unsupported"] == []
    assert all(r.within_tolerance for r in report.results if r.op.endswith("_init") and r.mode == "aligned"
               and r.status == "ok")


def test_weight_layouts_are_findings_with_their_conversion(report):
    if not installed("tensorflow"):
        pytest.skip("needs tensorflow")
    (gru,) = [h for h in report.hazards if h.op == "gru" and h.kind == "weight_layout"]
    assert gru.severity == "medium" and any("np.split(weight_ih, 3)" in line for line in gru.conversion)
    (conv,) = [h for h in report.hazards if h.op == "conv2d_layer" and h.kind == "weight_layout"]
    assert conv.severity == "low" and conv.conversion == ("weight = np.transpose(weight, (2, 3, 1, 0))  # HWIO, layer.kernel",)


def test_tf_same_padding_stride2_vs_symmetric_port(report):
    if not installed("torch"):
        pytest.skip("torch not installed")
    (h,) = [h for h in report.hazards if h.op == "conv2d" and h.kind == "numeric_divergence"]
    assert h.apis == ("torch:torch.nn.functional.conv2d[padding=k//2]",)
    assert "same_s2_even" in h.cases and "same_s2_odd" not in h.cases and h.known
    same = [r for r in report.results if r.op == "conv2d" and r.case == "same_s2_even" and r.mode == "aligned"
            and r.framework in ("tensorflow", "jax", "onnxruntime") and r.status == "ok"]
    assert same and all(r.within_tolerance for r in same)


def test_std_unbiased_default(report):
    h = _default_hazard(report, "std", "ddof")
    if installed("torch") and installed("tensorflow"):
        assert {v for k, v in h.defaults.items() if k.startswith("torch:")} == {1}
        assert h.defaults["numpy:numpy.std"] == 0
        assert {v for k, v in h.defaults.items() if k.startswith("tensorflow:")} == {0}
        assert h.severity == "high"


def test_full_catalog_report_in_a_real_browser(report, tmp_path):
    """The full catalog's HTML: under 6 MB (both passes: 5.2 MB here, 4.7 MB with the forward pass alone), one
    matrix row per op after its script ran, no page errors,
    and a screenshot left in reports/screenshots/full_catalog.png for a person to look at."""
    import shutil

    from test_browser import (
        CHROMIUM,
        ROOT,
        Dom,
        _flags,
        _run,
        page_errors,
        visible_rows,
    )

    from portability.report import html, jsonio

    page = tmp_path / "full.html"
    html.write(jsonio.to_dict(report), page)
    # the page grows with the catalog: measured 41 KB per op at 169 ops (7.0 MB), 39 KB per op at 282 (10.9 MB)
    assert page.stat().st_size < 45_000 * len(report.ops)
    if CHROMIUM is None:
        pytest.skip("no headless browser: install chromium (apt-get install chromium)")
    p = _run(_flags(tmp_path / "p1") + ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
                                        "--dump-dom", page.as_uri() + "#op-batch_norm"])
    assert p.returncode == 0, p.stderr[-2000:]
    dom = Dom(p.stdout)
    assert dom.first("body").get("data-js") == "ready" and "data-js-error" not in dom.first("body")
    assert len(visible_rows(dom)) == len({op["name"] for op in jsonio.to_dict(report)["ops"]})
    assert not page_errors(p.stderr)
    shot = tmp_path / "full.png"
    s = _run(_flags(tmp_path / "p2") + ["--hide-scrollbars", "--window-size=1400,2400", "--virtual-time-budget=5000",
                                        f"--screenshot={shot}", page.as_uri()])
    assert s.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = ROOT / "reports" / "screenshots" / "full_catalog.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, out)


from collections import Counter  # noqa: E402

# Hazards whose repro shows the divergence by running: its output against the reference (or the other
# API's); hazards whose repro shows it by raising.
SHOWN_BY_OUTPUT = ("numeric_divergence", "nonfinite_mismatch", "shape_mismatch", "dtype_mismatch")
SHOWN_BY_RAISING = ("error", "unsupported")


def test_every_repro_snippet_runs_as_pasted_and_shows_its_hazard(catalog, report, tmp_path):
    """Each hazard's snippets run in fresh interpreters (one per framework), outside the package's process."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    jobs = [(h, ident, code) for h in report.hazards for ident, code in h.repro.items()
            if h.kind in SHOWN_BY_OUTPUT + SHOWN_BY_RAISING + ("default_argument_mismatch",)]
    assert len(jobs) > 100
    by_backend: dict[str, list] = {}
    for job in jobs:
        by_backend.setdefault(job[1].split(":", 1)[0], []).append(job)
    outcomes = {}
    for backend, group in by_backend.items():
        out_dir = tmp_path / backend
        out_dir.mkdir()
        (tmp_path / f"{backend}.json").write_text(json.dumps([code for _, _, code in group]))
        subprocess.run([sys.executable, str(Path(__file__).parent / "run_snippets.py"), str(tmp_path / f"{backend}.json"),
                        str(out_dir)], check=True, timeout=600, capture_output=True)
        status = json.loads((out_dir / "status.json").read_text())
        for i, ((h, ident, _), st) in enumerate(zip(group, status)):
            outcomes[(id(h), ident)] = (st, out_dir / f"{i}.npz")
    verdicts = [_repro_verdict(catalog.op(h.op), h, ident, *outcomes[(id(h), ident)], outcomes) for h, ident, _ in jobs]
    failures = [text for verdict, text in verdicts if verdict == "problem"]
    assert not failures, f"{len(failures)} of {len(jobs)} snippets:\n" + "\n".join(failures[:20])
    shown = Counter(text for verdict, text in verdicts if verdict == "shown")
    # measured on the bundled catalog: 75 shown by their outputs, 54 default mismatches by their pair, 24 by raising
    assert shown["output"] >= 60 and shown["pair"] >= 40 and shown["raised"] >= 15, shown


def _repro_verdict(op, h, ident, status, npz, outcomes) -> tuple[str, str]:
    """("shown", how) when the snippet shows the hazard, ("skipped", why) or ("problem", what went wrong)."""
    import numpy as np

    where = f"{h.op} {h.kind} {ident}"
    if h.kind in SHOWN_BY_RAISING:
        if not status["ok"]:
            return "shown", "raised"
        if h.kind == "unsupported":  # a value-level claim the snippet cannot show by running (e.g. fixed)
            return "skipped", "ran"
        return "problem", f"{where}: ran without the error the hazard reports"
    if h.kind == "default_argument_mismatch":  # shown by the two APIs the divergence was measured between
        if ident != ((h.divergence or {}).get("between") or [None])[0] or h.severity != "high":
            return "skipped", "not the measured pair, or within tolerance on these inputs"
        problem = _pair_problem(op, h, where, outcomes)
        return ("problem", problem) if problem else ("shown", "pair")
    if not status["ok"]:
        return "problem", f"{where}: {status['error']}"
    actual = _snippet_outputs(op, h, ident, npz)
    from portability.check import expected_dtype
    from portability.compare import compare, tolerance_for

    case = _repro_case(op, h)
    expected = _reference_outputs(op, case)
    for spec, a, e in zip(op.outputs, actual, expected):
        m = compare(a, e, kind=spec.kind, tol=tolerance_for(case.dtype, op.tolerance, case.accumulation),
                    expected_dtype=expected_dtype(case, spec, e))
        if not (m.shape_equal and m.dtype_equal and m.nonfinite_equal and m.within_tolerance):
            return "shown", "output"
    return "problem", f"{where}: the snippet's outputs agree with the reference on case {case.name}"


def _pair_problem(op, h, where, outcomes) -> str | None:
    """A default mismatch beyond tolerance: the two snippets named in `between` differ beyond tolerance."""
    from portability.compare import pair_metrics, tolerance_for

    a_id, b_id = h.divergence["between"]
    if (id(h), a_id) not in outcomes or (id(h), b_id) not in outcomes:
        return None  # one side has no snippet (a fixed value that cannot be written differently)
    (sa, na), (sb, nb) = outcomes[(id(h), a_id)], outcomes[(id(h), b_id)]
    if not (sa["ok"] and sb["ok"]):
        return f"{where}: {sa.get('error') or sb.get('error')}"
    case = _repro_case(op, h)
    a, b = _snippet_outputs(op, h, a_id, na)[0], _snippet_outputs(op, h, b_id, nb)[0]
    _, _, within, shape_equal = pair_metrics(a, b, op.outputs[0].kind,
                                             tolerance_for(case.dtype, op.tolerance, case.accumulation))
    return None if (not within or not shape_equal) else f"{where}: {a_id} and {b_id} agree in the snippets"


def _repro_case(op, h):
    return next((c for c in op.cases if c.name in h.cases), op.cases[0])


def _snippet_outputs(op, h, ident, npz):
    """The snippet's `out`, picked and laid out as the checker does (canonical layout, op order)."""
    import numpy as np

    from portability.frameworks import BACKENDS, base
    from portability.inputs import make_inputs
    from portability.plan import plan_call

    from dataclasses import replace

    backend, label = ident.split(":", 1)
    api = next(a for a in op.apis if a.framework == BACKENDS[backend].catalog_key
               and (a.label == label or label.startswith(a.label + "@")))
    if "@" in label and api.label != label:  # an ONNX API at one opset (Softmax@13)
        api = replace(api, label=label, opset=int(label.rsplit("@", 1)[1]))
    case = _repro_case(op, h)
    shapes = {k: v.shape for k, v in make_inputs(case, 0, op.name).items()}
    plan = plan_call(op, api, case, "defaults" if h.kind == "default_argument_mismatch" else "aligned", shapes)
    with np.load(npz, allow_pickle=False) as data:
        items = [data[f"arr_{i}"] for i in range(len(data.files))]
    return base.outputs(plan, items if len(items) > 1 else items[0], np.asarray)


def _reference_outputs(op, case):
    import numpy as np

    from portability.frameworks.numpy_ import execute_reference
    from portability.inputs import make_inputs
    from portability.plan import plan_call

    arrays = make_inputs(case, 0, op.name)
    f64 = {k: v.astype(np.float64) if v.dtype.kind == "f" else v for k, v in arrays.items()}
    return execute_reference(plan_call(op, op.reference, case, "aligned", {k: v.shape for k, v in arrays.items()}), f64)


def test_every_backward_repro_snippet_runs_as_pasted_and_shows_its_gradient(catalog, report, tmp_path):
    """Each backward hazard's snippets run in fresh interpreters: a gradient_unsupported one raises, the others
    print the gradients, and where frameworks disagree each snippet gives the value the hazard reports."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from portability.frameworks import BACKENDS
    from portability.inputs import make_inputs
    from portability.plan import plan_call
    from portability.repro import gradient_labels

    jobs = [(h, ident, code) for h in report.hazards if h.pass_ == "backward" for ident, code in h.repro.items()]
    if not jobs:
        pytest.skip("no backward hazard in this environment")
    by_backend: dict[str, list] = {}
    for job in jobs:
        by_backend.setdefault(job[1].split(":", 1)[0], []).append(job)
    problems, shown = [], Counter()
    for backend, group in by_backend.items():
        out_dir = tmp_path / backend
        out_dir.mkdir()
        (tmp_path / f"{backend}.json").write_text(json.dumps([code for _, _, code in group]))
        subprocess.run([sys.executable, str(Path(__file__).parent / "run_snippets.py"),
                        str(tmp_path / f"{backend}.json"), str(out_dir)], check=True, timeout=600, capture_output=True)
        status = json.loads((out_dir / "status.json").read_text())
        for i, ((h, ident, _), st) in enumerate(zip(group, status)):
            where = f"{h.op} {h.kind} {ident}"
            if h.kind == "gradient_unsupported":
                shown["raised"] += not st["ok"]
                if st["ok"]:
                    problems.append(f"{where}: ran without the error")
                continue
            if not st["ok"]:
                problems.append(f"{where}: {st['error']}")
                continue
            values = (h.divergence or {}).get("by_api") or {}
            if ident not in values:
                shown["ran"] += 1
                continue
            op = catalog.op(h.op)
            case = next(c for c in op.cases if c.name == h.divergence["case"])
            backend_, label = ident.split(":", 1)
            api = next(a for a in op.apis if a.label == label and a.framework == BACKENDS[backend_].catalog_key)
            shapes = {k: v.shape for k, v in make_inputs(case, 0, op.name).items()}
            labels = gradient_labels(plan_call(op, api, case, "aligned", shapes, "backward"))
            with np.load(out_dir / f"{i}.npz", allow_pickle=False) as data:
                grad = data[f"arr_{labels.index(h.divergence['wrt'])}"]
            got, want = float(grad[tuple(h.divergence["worst"]["index"])]), values[ident]
            if not (np.isnan(got) and np.isnan(want) or got == pytest.approx(want, rel=1e-5, abs=1e-6)):
                problems.append(f"{where}: the snippet gives {got}, the hazard says {want}")
            shown["value"] += 1
    assert not problems, "\n".join(problems[:20])
    assert shown["value"] >= 30 and shown["raised"] >= 2, shown
