"""Port recipes are derived from the catalog, executed beside the run, and verified (or not) by outputs."""

import pytest

from portability.check import run_check
from portability.explain import explain
from portability.recipes import Recipe, plan_recipe, recipe_text, recipe_values, summary
from portability.report import jsonio
from portability.spec import load_catalog

OPS = ["batch_norm", "local_response_norm", "resize_nearest", "leaky_relu"]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def report(catalog):
    return run_check(catalog, ops=OPS, backends=["torch", "tensorflow", "onnxruntime"], progress=False)


def _recipe(report, op, source, target) -> Recipe:
    found = [r for h in report.hazards if h.op == op for r in h.recipes if r.source == source and r.target == target]
    assert found, [summary(r) for h in report.hazards if h.op == op for r in h.recipes]
    return found[0]


def test_a_recipe_speaks_the_target_framework_units(catalog):
    op = catalog.op("batch_norm")
    keras = next(a for a in op.apis if a.label == "keras.layers.BatchNormalization")
    torch = next(a for a in op.apis if a.label == "torch.nn.BatchNorm2d")
    values = recipe_values(keras, torch)
    assert values["eps"] == 0.001 and values["momentum"] == pytest.approx(0.01)
    args, call, note = recipe_text(op, keras, torch, values)
    # a Keras layer called without `training=` infers: the torch module is put in eval mode
    assert args == {"eps": 0.001, "momentum": pytest.approx(0.01), "call.training": False} and not note
    assert call.endswith(".train(False)")
    back, back_call, _ = recipe_text(op, torch, keras, recipe_values(torch, keras))
    assert back["momentum"] == pytest.approx(0.9) and back["epsilon"] == 1e-05  # Keras keeps 0.9 of the running value
    assert back_call.endswith("(x, training=True)")  # a fresh torch module trains


def test_keras_batch_norm_to_torch_is_executed_and_verified(report):
    r = _recipe(report, "batch_norm", "tensorflow:keras.layers.BatchNormalization", "torch:torch.nn.BatchNorm2d")
    assert r.verified and r.cases >= 2 and r.residual is not None and r.residual < 1e-4
    assert "eps=0.001" in r.call and "momentum=0.01" in r.call


def test_lrn_moves_alpha_window_and_beta_together(report):
    r = _recipe(report, "local_response_norm", "torch:torch.nn.functional.local_response_norm",
                "tensorflow:tf.nn.local_response_normalization")
    assert {"alpha", "beta", "bias", "depth_radius"} <= set(r.args)
    assert r.args["alpha"] == pytest.approx(0.0001 / 5) and r.args["depth_radius"] == 2
    assert r.verified, summary(r)


def test_a_legacy_tf_nearest_resize_gets_both_coordinate_flags(report):
    r = _recipe(report, "resize_nearest", "torch:torch.nn.functional.interpolate[nearest-exact]",
                "tensorflow:tf.compat.v1.image.resize_nearest_neighbor")
    assert r.args == {"align_corners": False, "half_pixel_centers": True} and r.verified


def test_a_recipe_no_argument_can_express_names_a_verified_alternative(report):
    r = _recipe(report, "resize_nearest", "torch:torch.nn.functional.interpolate[nearest]",
                "tensorflow:tf.image.resize[nearest]")
    assert "cannot express it" in r.note and "tf.compat.v1.image.resize_nearest_neighbor" in r.call
    assert r.verified


def test_cases_where_the_apis_differ_anyway_are_not_counted(catalog):
    """A case where source and target differ even at equal values says nothing of the parameter: left out."""
    import numpy as np

    from portability.recipes import assess

    op = catalog.op("leaky_relu")
    torch_api = next(a for a in op.apis if a.label == "torch.nn.functional.leaky_relu")
    tf_api = next(a for a in op.apis if a.label == "tf.nn.leaky_relu")
    same, off = np.zeros(3), np.ones(3)
    outputs = {"nchw": same, "edge_values_batch1": same}

    def metric(case, a, b):
        return float(np.abs(a - b).max()), bool(np.allclose(a, b))

    kept = assess(op, ("torch", torch_api), ("tensorflow", tf_api), outputs,
                  {"nchw": same, "edge_values_batch1": off}, metric, frozenset({"edge_values_batch1"}))
    assert kept.verified and kept.cases == 1 and kept.other == ("edge_values_batch1",)
    counted = assess(op, ("torch", torch_api), ("tensorflow", tf_api), outputs,
                     {"nchw": same, "edge_values_batch1": off}, metric)
    assert not counted.verified and counted.agreeing == 1 and counted.residual == 1.0
    assert "not counted: edge_values_batch1" in summary(kept)


def test_leaky_relu_torch_to_tf_is_verified(report):
    r = _recipe(report, "leaky_relu", "torch:torch.nn.functional.leaky_relu", "tensorflow:tf.nn.leaky_relu")
    assert r.verified and r.args == {"alpha": 0.01}


def test_the_report_counts_verified_recipes_and_explain_prints_them(catalog, report):
    data = jsonio.to_dict(report)
    counts = data["summary"]["recipes"]
    assert counts["recipes"] > 10 and 0 < counts["recipes_verified"] <= counts["recipes"]
    assert counts["verified"] <= counts["default_mismatches"]
    hazard = next(h for h in data["hazards"] if h["kind"] == "default_argument_mismatch")
    assert hazard["recipes"] and "verified" in hazard["recipes"][0] and "fix_verified" in hazard
    sub = run_check(catalog, ops=["batch_norm"], backends=["torch", "tensorflow"], progress=False)
    text = explain(catalog.op("batch_norm"), sub, "tensorflow", "torch")
    flat = " ".join(text.split())  # explain wraps at 100 columns
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "momentum=0.99 (canonical momentum=0.01)" in flat  # Keras's own units, and the conversion
    assert "torch.nn.BatchNorm2d(..., eps=0.001, momentum=0.01).train(False): verified on" in flat
    assert "pass eps=<your value>" in flat  # tf.nn.batch_normalization has no default: none is invented


def test_explain_shows_each_onnx_opset_as_the_run_planned_it(catalog):
    """Softmax-11 defaults to axis=1, Softmax-13 to -1: the defaults table has a row per planned opset, and a
    port to ONNX prints the recipe run for each (never "both default to" for values that differ)."""
    pytest.importorskip("onnxruntime")
    sub = run_check(catalog, ops=["softmax"], backends=["torch", "onnxruntime"], progress=False)
    text = explain(catalog.op("softmax"), sub, "torch", "onnxruntime")
    rows = {line.split()[0]: line.split()[1] for line in text.splitlines() if line.startswith("onnxruntime:Softmax@")}
    assert rows == {"onnxruntime:Softmax@11": "1", "onnxruntime:Softmax@13": "-1", "onnxruntime:Softmax@28": "-1"}
    port = " ".join(text[text.index("Porting softmax"):].split())
    assert "both default to" not in port
    # torch's dim left unset ('implicit': an axis picked from the rank) is no value ONNX has: no call to run,
    # and the recipe says so instead of passing the word along
    assert all(f"-> Softmax@{o}: ONNX Softmax (opset {o}) with attributes axis=<your value>: not run "
               f"(torch.nn.functional.softmax without dim uses axis='implicit', which Softmax@{o} has no value "
               "for: pass dim explicitly in the source, and the same value here)" in port for o in (11, 13, 28))
    op = catalog.op("softmax")
    torch_api = next(a for a in op.apis if a.label == "torch.nn.functional.softmax")
    onnx_api = next(a for a in op.apis if a.framework == "onnx")
    assert plan_recipe(op, torch_api, onnx_api, op.cases[0], {"x": (16, 10)}) is None  # no recipe task
    recipes = [r for h in sub.hazards for r in h.recipes if r.source.startswith("torch:")]
    assert recipes and all(r.cases == 0 and not r.verified and "implicit" not in r.call for r in recipes)


def test_an_onnx_copy_at_an_older_opset_of_its_entry_starts_its_recipes_from_that_opsets_default(catalog):
    """Softmax is written for [11, 13] and documents opset 13's axis=-1; at 11 the schema's default (axis=1,
    from the onnx_schemas.json snapshot, as classification reads it live) is what a naive port computes with,
    so recipes from Softmax@11 pass 1 and recipes into it are planned (TF's -1 is not its default)."""
    from portability.check import with_opsets
    from portability.recipes import source_values

    op = with_opsets(catalog.op("softmax"), ("own", 28), 28)
    onnx = {a.label: a for a in op.apis if a.framework == "onnx"}
    assert {label: source_values(a)["axis"] for label, a in onnx.items()} == {
        "Softmax@11": 1, "Softmax@13": -1, "Softmax@28": -1}
    tf = next(a for a in op.apis if a.label == "tf.nn.softmax")
    assert recipe_values(tf, onnx["Softmax@11"]) == {"axis": -1}
    assert plan_recipe(op, tf, onnx["Softmax@11"], op.cases[0], {"x": (16, 10)}) is not None


def test_explain_asks_for_a_value_where_the_target_documents_no_default(catalog):
    """tf.nn.batch_normalization has no default epsilon: torch's 1e-05 is passed in TF's terms; torch.cumsum
    has no default dim, and NumPy's 'flatten' (axis=None) is no value torch takes: the user picks the axis."""
    def port(name, source, target):
        sub = run_check(catalog, ops=[name], backends=[source, target], progress=False)
        text = explain(catalog.op(name), sub, source, target)
        return " ".join(text[text.index("Porting"):].split())

    assert ("-> tf.nn.batch_normalization: pass variance_epsilon=1e-05 (canonical eps=1e-05) (no documented "
            "default there); both default to training=False") in port("batch_norm", "torch", "tensorflow")
    assert ("-> torch.cumsum: pass dim=<your value> (no documented default there; axis='flatten' here)"
            in port("cumsum", "numpy", "torch"))
