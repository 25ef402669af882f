"""portability scan, in process: names resolved statically, and each rule on small files written here."""

import textwrap

import pytest

from portability.scan.engine import scan
from portability.scan.rules import Target
from portability.spec import load_catalog

TF, JAX, ORT, TORCH = (Target("tensorflow", "tensorflow"), Target("jax", "jax"), Target("onnxruntime", "onnx"),
                       Target("torch", "torch"))


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def run(tmp_path, catalog, text: str, targets=(TF, JAX, ORT), source=None, name="model.py", files=None):
    """Scan one file (plus ``files``: {relative path: text}) and return its findings."""
    for rel, body in (files or {}).items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(body))
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    result = scan([str(tmp_path)], catalog, targets, source, jobs=1)
    return [f for f in result.findings if f.path == str(path)], result


def codes(findings, code=None):
    return [(f.line, f.code, f.param) for f in findings if code is None or f.code == code]


# ----------------------------------------------------------------------------- names


def test_every_import_style_resolves_to_the_same_catalog_api(tmp_path, catalog):
    found, _ = run(tmp_path, catalog, """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F1
        from torch.nn import functional as F2
        from torch import nn as nn2
        from torch.nn.functional import gelu
        torch.nn.functional.gelu(x)
        F1.gelu(x)
        F2.gelu(x)
        nn2.functional.gelu(x)
        gelu(x)
        nn.BatchNorm2d(3)
    """, targets=(JAX,))
    assert [(line, p) for line, c, p in codes(found, "PT001")] == [
        (8, "approximate"), (9, "approximate"), (10, "approximate"), (11, "approximate"), (12, "approximate")]
    assert all(f.call == "torch.nn.functional.gelu" and f.op == "gelu" for f in found if f.code == "PT001")


def test_keras_spellings_tf_keras_and_keras_src(tmp_path, catalog):
    found, _ = run(tmp_path, catalog, """
        import tensorflow as tf
        from tensorflow import keras
        from keras.src import layers
        import keras as K
        tf.keras.layers.BatchNormalization()
        keras.layers.BatchNormalization()
        layers.BatchNormalization()
        K.layers.BatchNormalization()
        layers.MaxPool2D(3, strides=2, padding="same")
    """, targets=(TORCH,))
    bn = [f for f in found if f.code == "PT001" and f.param == "eps"]
    assert [f.line for f in bn] == [6, 7, 8, 9]
    assert all(f.call == "keras.layers.BatchNormalization" for f in bn)
    # MaxPool2D is an alias of MaxPooling2D (from the signature snapshot); 'same' pooling has no torch spelling
    (pool,) = [f for f in found if f.line == 10 and f.code == "PT002"]
    assert pool.call == "keras.layers.MaxPooling2D" and "torch pooling has no 'same' padding" in pool.message


def test_jax_numpy_alias_and_detection_from_imports(tmp_path, catalog):
    found, result = run(tmp_path, catalog, """
        import jax.numpy as jnp
        from jax import nn
        jnp.std(x)
        nn.gelu(x)
    """, targets=(TORCH, TF))
    assert result.sources[str(tmp_path / "model.py")] == ("jax",)
    gelu = [f for f in found if f.call == "jax.nn.gelu"]
    assert gelu and gelu[0].source_value is True  # jax approximates by default; torch and TF do not


def test_relative_alias_through_another_scanned_module(tmp_path, catalog):
    (tmp_path / "pkg").mkdir()
    found, _ = run(tmp_path, catalog, """
        from .common import F, BN
        def f(x):
            return F.leaky_relu(x), BN(8)
    """, name="pkg/model.py", files={
        "pkg/__init__.py": "",
        "pkg/common.py": "import torch.nn.functional as F\nfrom torch.nn import BatchNorm2d as BN\n",
    })
    assert {(f.call, f.param) for f in found if f.code == "PT001"} >= {
        ("torch.nn.functional.leaky_relu", "negative_slope"), ("torch.nn.BatchNorm2d", "eps")}


def test_shadowing_aliases_partial_and_scopes(tmp_path, catalog):
    found, _ = run(tmp_path, catalog, """
        import torch.nn as nn
        import torch.nn.functional as F
        from functools import partial

        def shadowed(F):
            return F.leaky_relu(x)          # a parameter named F: not torch

        def aliased():
            norm = nn.BatchNorm2d
            return norm(8)                  # an alias of a framework name

        class Block:
            F = None
            def forward(self, x):
                return F.gelu(x)            # class attributes do not shadow in methods

        norm_layer = partial(nn.BatchNorm2d, eps=1e-3)
    """, targets=(TF, JAX))
    got = {(f.line, f.param) for f in found if f.code == "PT001"}
    assert (7, "negative_slope") not in got
    assert {(11, "eps"), (11, "momentum"), (16, "approximate"), (18, "momentum")} <= got
    assert (18, "eps") not in got  # the partial gives eps


def test_a_file_that_does_not_parse_is_a_finding_and_the_rest_is_scanned(tmp_path, catalog):
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")
    found, result = run(tmp_path, catalog, "import torch.nn as nn\nnn.BatchNorm2d(3)\n")
    assert result.parse_errors == 1
    (err,) = [f for f in result.findings if f.code == "PT900"]
    assert err.path.endswith("broken.py") and err.line == 1 and "cannot parse" in err.message
    assert any(f.code == "PT001" for f in found)


# ----------------------------------------------------------------------------- PT001


def test_batchnorm_defaults_with_values_targets_fix_and_anchor(tmp_path, catalog):
    found, _ = run(tmp_path, catalog, """
        import torch.nn as nn
        a = nn.BatchNorm2d(64)
        b = nn.BatchNorm2d(64, 1e-3, 0.01)     # eps and momentum positionally
        c = nn.BatchNorm2d(64, **kwargs)       # anything may be in kwargs
        dd = {"device": None, "dtype": None}
        d = nn.BatchNorm2d(64, **dd)           # a dict literal: its keys are known
    """, targets=(TF, ORT))
    got = codes(found, "PT001")
    assert [g for g in got if g[2] != "training"] == [(3, "PT001", "eps"), (3, "PT001", "momentum"),
                                                      (7, "PT001", "eps"), (7, "PT001", "momentum")]
    # the call mode is no constructor argument: every module built trains by default, whatever it was given
    assert [g for g in got if g[2] == "training"] == [(line, "PT001", "training") for line in (3, 4, 5, 7)]
    eps = found[0]
    assert (eps.op, eps.api, eps.origin, eps.source_value) == ("batch_norm", "torch.nn.BatchNorm2d", "default", 1e-5)
    keras = next(t for t in eps.targets if t.api == "keras.layers.BatchNormalization")
    assert keras.value == 1e-3 and keras.status == "differs" and keras.explicit == {"epsilon": 1e-5}
    assert keras.primary  # a layer for a layer
    assert not any(t.framework == "onnxruntime" for t in eps.targets)  # ONNX's epsilon is 1e-5 too
    assert eps.fix.text() == "eps=1e-05" and eps.anchor == "#op-batch_norm"
    momentum = found[1]
    assert "momentum=0.99" in momentum.message  # shown in Keras' own terms
    assert (eps.line, eps.col, eps.end_line, eps.end_col) == (3, 5, 3, 23)


def test_std_correction_through_overloads_and_tensor_methods(tmp_path, catalog):
    found, result = run(tmp_path, catalog, """
        import torch
        def f(x):
            a = torch.std(x)
            b = x.std()
            c = x.std(0)            # dim=0: correction still at its default
            d = x.std(0, True)      # unbiased=True: the ddof is set another way
            e = x.std(unbiased=False)
            g = x.var(dim=1, correction=0)
            s = "a,b".split(",")    # never a tensor method
            return a, b, c, d, e, g, s
    """, targets=(TF, JAX))
    ddof = {f.line for f in found if f.code == "PT001" and f.param == "ddof"}
    assert ddof == {4, 5, 6}
    (std,) = [f for f in found if f.line == 5 and f.param == "ddof"]
    assert std.call == "torch.Tensor.std" and std.fix is None  # correction=None is torch's "unset": no pin
    tf = next(t for t in std.targets if t.framework == "tensorflow")
    assert tf.status == "cannot" and tf.note == "always ddof=0"


def test_tensor_methods_are_left_alone_where_numpy_is_imported(tmp_path, catalog):
    found, result = run(tmp_path, catalog, """
        import numpy as np
        import torch
        y = x.std()
        z = torch.std(x)
    """, targets=(TF,))
    assert [f.line for f in found if f.code == "PT001"] == [5]
    assert result.methods_not_taken == 1


def test_gelu_leaky_relu_softmax_and_interpolate(tmp_path, catalog):
    found, _ = run(tmp_path, catalog, """
        import torch.nn.functional as F
        F.gelu(x)
        F.leaky_relu(x)
        F.softmax(x)
        F.softmax(x, -1)
        F.interpolate(x, size=(8, 8))
        F.interpolate(x, scale_factor=2)
        F.interpolate(x, size=(8, 8), mode=self.mode)
    """)
    by = {(f.line, f.param): f for f in found if f.code == "PT001"}
    assert by[(3, "approximate")].fix.text() == 'approximate="none"'
    assert "jax.nn.gelu" in by[(3, "approximate")].message
    leaky = by[(4, "negative_slope")]
    assert "tf.nn.leaky_relu: alpha=0.2" in leaky.message and "keras.layers.LeakyReLU: negative_slope=0.3" in leaky.message
    soft = by[(5, "axis")]
    assert soft.fix is None and "left unset ('implicit')" in soft.message
    assert (6, "axis") not in by
    # mode left at 'nearest': torch's asymmetric/floor nearest, half-pixel everywhere else
    assert {(7, "coordinate_mode"), (7, "nearest_mode")} <= set(by)
    # an integer scale factor: every nearest convention agrees
    assert not [f for f in found if f.line == 8]
    # mode decided at run time: only what every possible resize entry shares (nothing here)
    assert not [f for f in found if f.line == 9 and f.code in ("PT001", "PT002")]


def test_avg_pool_count_include_pad_matters_only_with_padding(tmp_path, catalog):
    found, _ = run(tmp_path, catalog, """
        import torch.nn as nn
        nn.AvgPool2d(2)
        nn.AvgPool2d(3, stride=1, padding=1)
    """, targets=(TF,))
    assert [(line, p) for line, c, p in codes(found, "PT001")] == [(4, "count_include_pad")]


# ----------------------------------------------------------------------------- PT002


def test_values_a_target_cannot_express(tmp_path, catalog):
    found, _ = run(tmp_path, catalog, """
        import torch.nn as nn
        nn.MaxPool2d(3, 2, ceil_mode=True)
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        nn.Conv2d(3, 8, 3, 1, 1)            # 'same' at stride 1: Keras can say it
        nn.Conv2d(3, 8, 3, 2, 1)            # stride 2: Keras' 'same' pads (0, 1), torch (1, 1)
        nn.Conv2d(3, 8, kernel_size=k, padding=1)   # undecidable without the kernel size
    """)
    got = {(line, p) for line, c, p in codes(found, "PT002")}
    # explicit max-pool pads are expressible everywhere since the catalog maps tf.nn.max_pool2d's explicit
    # padding and jax.lax.reduce_window's pads (line 4); Keras' pooling layer still has no ceil mode (line 3)
    assert got == {(3, "ceil_mode"), (6, "padding")}
    ceil = next(f for f in found if f.line == 3 and f.code == "PT002")
    assert "tensorflow" in ceil.message and "onnxruntime" not in ceil.message
    assert ceil.origin == "explicit" and ceil.source_value is True
    conv = next(f for f in found if f.line == 6 and f.code == "PT002")
    assert "Keras layers take only 'same' or 'valid' padding" in conv.message  # whatever the kernel size


def test_keras_strided_same_padding_to_torch(tmp_path, catalog):
    found, _ = run(tmp_path, catalog, """
        from tensorflow import keras
        keras.layers.Conv2D(8, 3, strides=2, padding="same")
        keras.layers.Conv2D(8, 3, padding="same")
    """, targets=(TORCH,))
    (f,) = codes(found, "PT002")
    assert f == (3, "PT002", "padding")
    assert "torch rejects padding='same' for strided convolutions" in found[[x.code for x in found].index("PT002")].message


def test_mode_nearest_is_a_choice_a_target_cannot_make(tmp_path, catalog):
    found, _ = run(tmp_path, catalog, """
        import torch.nn.functional as F
        F.interpolate(x, size=(7, 7), mode="nearest")
    """, targets=(JAX, ORT))
    pt002 = {f.param: f for f in found if f.code == "PT002"}
    assert set(pt002) == {"coordinate_mode", "nearest_mode"}
    assert "implied by mode='nearest'" in pt002["nearest_mode"].message
    pt001 = {f.param for f in found if f.code == "PT001"}
    assert pt001 == {"coordinate_mode", "nearest_mode"}  # ONNX can say it, with explicit attributes


# ----------------------------------------------------------------------------- PT003, PT100, ignores


def test_unsupported_op_and_calls_not_covered(tmp_path, catalog):
    found, result = run(tmp_path, catalog, """
        import torch
        import torch.nn.functional as F
        F.grid_sample(x, g)
        torch.nn.Sequential()
        torch.cartesian_prod(a)
        torch.cartesian_prod(b)
    """, targets=(TF, JAX))
    (pt3,) = codes(found, "PT003")
    assert pt3[0] == 4 and "tensorflow" in found[0].message and "jax" in found[0].message
    assert result.not_covered == {"torch.cartesian_prod": 2, "torch.nn.Sequential": 1}
    assert [f.line for f in found if f.code == "PT100"] == [5, 6, 7]


def test_ignore_comments(tmp_path, catalog):
    found, _ = run(tmp_path, catalog, """
        import torch.nn as nn
        nn.BatchNorm2d(3)  # portability: ignore
        nn.BatchNorm2d(3)  # portability: ignore[PT001]
        nn.BatchNorm2d(3)  # portability: ignore[PT003]
        nn.BatchNorm2d(
            3,
        )  # portability: ignore[PT001, PT003]
    """, targets=(TF, JAX))
    assert codes(found) == [(4, "PT003", None), (5, "PT001", "eps"), (5, "PT001", "momentum"),
                            (5, "PT001", "training")]


def test_keras_values_read_back_in_canonical_terms(tmp_path, catalog):
    found, _ = run(tmp_path, catalog, """
        from tensorflow import keras
        keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
        keras.layers.BatchNormalization(momentum=0.99)
    """, targets=(TORCH,))
    # Keras momentum=0.9 is torch's 0.1: nothing to say about line 3; line 4 keeps 0.99 = torch 0.01, on purpose
    assert [c for c in codes(found, "PT001") if c[2] != "training"] == [(4, "PT001", "eps")]
    # a Keras layer called without training= infers; a torch module built from it trains until .eval()
    training = [f for f in found if f.param == "training"]
    assert [f.line for f in training] == [3, 4] and all(f.fix is None for f in training)
    assert "its calls get training=True by default" in training[0].message
    assert not codes(found, "PT002")


def test_a_pool_of_processes_reads_like_one(tmp_path, catalog):
    for i in range(30):
        (tmp_path / f"m{i:02}.py").write_text(f"import torch.nn as nn\nnn.BatchNorm2d({i})\n")
    one = scan([str(tmp_path)], catalog, (TF,), jobs=1)
    two = scan([str(tmp_path)], catalog, (TF,), jobs=2)
    assert one == two and len(one.findings) == 90  # eps, momentum and the call mode of each


def test_unsupported_only_when_no_reading_of_the_call_has_an_api(tmp_path, catalog):
    found, _ = run(tmp_path, catalog, """
        import torch.nn as nn
        nn.Conv2d(3, 8, 3, bias=False)   # best read as the padding-mode entry (TF has none), yet a plain conv
        nn.Conv2d(3, 8, 3, padding_mode="reflect")
    """, targets=(TF,))
    assert codes(found, "PT003") == [(4, "PT003", None)]


def test_factory_parameters_read_as_their_default_and_say_so(tmp_path, catalog):
    found, _ = run(tmp_path, catalog, """
        import torch.nn as nn

        class Block(nn.Module):
            def __init__(self, c, norm_layer=None, act=nn.LeakyReLU):
                if norm_layer is None:
                    norm_layer = nn.BatchNorm2d
                self.bn = norm_layer(c)

        def stem(c, norm_layer=nn.BatchNorm2d):
            return norm_layer(c, eps=1e-3)

        def other(norm_layer):
            return norm_layer(3)            # no default: unknown
    """, targets=(TF,))
    got = {(f.line, f.param): f for f in found if f.code == "PT001"}
    assert set(got) == {(8, "eps"), (8, "momentum"), (11, "momentum"), (8, "training"), (11, "training")}
    assert got[(8, "eps")].message.endswith("(through `norm_layer`, where it keeps its default)")
    assert all(f.fix is None for f in got.values())  # a caller may pass another norm layer


def test_same_padding_of_a_1x1_kernel_is_valid_padding(tmp_path, catalog):
    found, _ = run(tmp_path, catalog, """
        from tensorflow import keras
        keras.layers.Conv2D(8, (1, 1), strides=(2, 2), padding="same")   # xception's residual
        keras.layers.Conv2D(8, 3, strides=2, padding="same")
    """, targets=(TORCH,))
    assert [line for line, c, p in codes(found, "PT002")] == [4]


def test_an_op_the_catalog_does_not_cover_in_a_target_is_no_unsupported_claim(tmp_path, catalog):
    op = catalog.op("multi_head_attention")
    assert not op.apis_for("tensorflow")  # not covered there (keras.layers.MultiHeadAttention exists)
    found, _ = run(tmp_path, catalog, """
        import torch.nn as nn
        nn.MultiheadAttention(16, 4, batch_first=True)
    """, targets=(TF,))
    assert not codes(found, "PT003")


def test_findings_carry_the_catalogs_known_record(tmp_path, catalog):
    found, _ = run(tmp_path, catalog, """
        import torch.nn as nn
        import torch.nn.functional as F
        nn.BatchNorm2d(8)
        F.adaptive_avg_pool2d(x, (1, 1))    # the global pool: (1, 1) is output_size=1
    """, targets=(TF, ORT))
    by = {(f.line, f.param): f for f in found}
    assert "inert in inference" in by[(4, "momentum")].known
    assert by[(4, "eps")].known is None
    assert {f.op for f in found if f.line == 5} <= {"global_avg_pool2d"} and not codes(found, "PT003")


def test_a_default_changed_in_a_past_release_is_flagged_until_it_is_passed(tmp_path, catalog):
    """PT004 from the catalog's `history:`: F.grid_sample without align_corners meant True before torch 1.3.0; a
    Keras GRU without reset_after meant False (TF 1.x) and hard_sigmoid gates (before Keras 2.3.0 / TF 2.0).
    Passing the parameter, or calling an API without a history, raises none."""
    found, _ = run(tmp_path, catalog, """
        import torch.nn.functional as F
        F.grid_sample(x, grid)
        F.grid_sample(x, grid, align_corners=False)
        F.gelu(x)
    """, targets=(TF, ORT))
    assert codes(found, "PT004") == [(3, "PT004", "coordinate_mode")]
    (f,) = [f for f in found if f.code == "PT004"]
    assert "before torch 1.3.0 it was align_corners=True" in f.message and f.fix is None
    found, _ = run(tmp_path, catalog, """
        import keras
        keras.layers.GRU(8, return_sequences=True)
        keras.layers.GRU(8, return_sequences=True, reset_after=True, recurrent_activation="sigmoid")
    """, targets=(TORCH,), name="keras_model.py")
    assert sorted(codes(found, "PT004")) == [(3, "PT004", "recurrent_activation"), (3, "PT004", "reset_after")]
    msg = next(f.message for f in found if f.code == "PT004" and f.param == "recurrent_activation")
    assert "before keras 2.3.0 it was recurrent_activation='hard_sigmoid'" in msg and "before tensorflow 2.0.0" in msg
