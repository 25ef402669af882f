"""Argument conventions (portability.conventions): the translation code a report shows is the code checked here.

Every snippet runs against its transform on every case of the bundled catalog that uses it; the finding is
derived from the catalog; a real run in NumPy and torch shows it, and the code `explain` prints for the port
turns torch's F.pad argument into one np.pad computes the same padding with."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import installed

from portability.conventions import CONVENTIONS, convention_of, translation
from portability.hazards import classify
from portability.plan import case_ctx
from portability.records import Result
from portability.spec import load_catalog
from portability.transforms import TRANSFORMS


class _Shaped:
    """What the snippets may read of the tensor: its rank."""

    def __init__(self, shape):
        self.shape, self.ndim = tuple(shape), len(shape)


def _norm(v):
    return [_norm(x) for x in v] if isinstance(v, (list, tuple)) else v


def _uses():
    """(op, api, param, arg name, convention name, case) for every convention use in the bundled catalog."""
    out = []
    for op in load_catalog().ops:
        for api in [*op.apis, op.reference]:
            for p in op.params:
                found = convention_of(api, p) if not api.unsupported and not api.not_expressible else None
                if found and found[1] is not None:
                    name = next(k for k, c in CONVENTIONS.items() if c is found[1])
                    out += [(op, api, p, found[0], name, case) for case in op.cases]
    return out


USES = _uses()


def test_the_padding_family_uses_every_pad_convention():
    assert {name for *_, name, _ in USES} >= {"per_axis_pairs", "torch_pad", "onnx_pad", "pairs_tuple",
                                              "lax_padding_config"}


@pytest.mark.parametrize("op,api,param,arg,name,case", USES,
                         ids=[f"{u[0].name}-{u[1].label}-{u[5].name}" for u in USES])
def test_each_snippet_is_its_transform_and_its_inverse(op, api, param, arg, name, case):
    conv = CONVENTIONS[name]
    canonical = case.params[param]
    x = _Shaped(next(i.shape for i in case.inputs if i.name == "x"))
    expected = TRANSFORMS[name](canonical, case_ctx(case))
    scope = {"x": x, conv.canonical: canonical}
    exec(conv.from_canonical.format(arg=arg), scope)
    assert _norm(scope[arg]) == _norm(expected)
    back = {"x": x, arg: expected}
    exec(conv.to_canonical.format(arg=arg), back)
    lead = [[0, 0]] * (x.ndim - len(canonical))  # a convention over every axis gives the leading (0, 0) pairs too
    assert _norm(back[conv.canonical]) in (_norm(canonical), lead + _norm(canonical))


def test_translation_between_two_conventions_and_the_canonical_one():
    torch_, numpy_ = ("pad", CONVENTIONS["torch_pad"]), ("pad_width", CONVENTIONS["per_axis_pairs"])
    scope = {"x": _Shaped((2, 3, 5)), "pad": (2, 1)}
    exec(translation(torch_, numpy_), scope)
    assert _norm(scope["pad_width"]) == [[0, 0], [0, 0], [2, 1]]  # np.pad(x, (2, 1)) would pad all three axes
    scope = {"pads": [[1, 2]]}
    exec(translation(("pads", None), ("pad", CONVENTIONS["torch_pad"])), scope)
    assert scope["pad"] == (1, 2)


def _ok(op, framework, api, case, mode="aligned", **kw):
    base = dict(op=op, case=case, framework=framework, api=api, mode=mode, status="ok", dtype="float32",
                shape_equal=True, dtype_equal=True, nonfinite_equal=True, within_tolerance=True, max_abs_error=0.0)
    return Result(**(base | kw))


def test_the_finding_comes_from_the_catalog_and_is_verified_only_when_every_api_matched():
    op = load_catalog().op("pad_reflect")
    apis = [("numpy", "numpy.pad"), ("torch", "torch.nn.functional.pad"), ("onnxruntime", "Pad")]
    results = [_ok(op.name, b, a, c.name) for b, a in apis for c in op.cases]
    (h,) = [h for h in classify(op, results, [], {}) if h.kind == "argument_convention"]
    assert h.known and h.fix_verified and h.param == "pads" and h.severity == "medium"
    assert set(h.apis) == {"numpy:numpy.pad", "torch:torch.nn.functional.pad", "onnxruntime:Pad"}
    assert "pad=(2, 1, 1, 2)" in h.summary and "pads=[1, 2, 2, 1]" in h.summary
    diverged = [r if r.framework != "torch" or r.case != "nchw" else _ok(op.name, "torch", r.api, "nchw",
                                                                             within_tolerance=False)
                for r in results]
    (h,) = [h for h in classify(op, diverged, [], {}) if h.kind == "argument_convention"]
    assert h.fix_verified is False
    one = [r for r in results if r.framework == "numpy"]  # one convention: nothing to translate
    assert not [h for h in classify(op, one, [], {}) if h.kind == "argument_convention"]


@pytest.mark.skipif(not installed("torch"), reason="torch not installed")
def test_explain_prints_translation_code_that_really_ports_f_pad_to_np_pad():
    proc = subprocess.run([sys.executable, "-m", "portability", "explain", "pad_reflect", "--from", "torch", "--to",
                           "numpy"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "argument_convention" in out and "`pads` from torch.nn.functional.pad to numpy.pad (checked" in out
    start = out.index("`pads` from torch.nn.functional.pad to numpy.pad")
    code = "\n".join(line.strip() for line in out[start:].splitlines()[1:3])
    import torch
    import torch.nn.functional as F

    x = np.random.default_rng(0).normal(size=(2, 3, 5, 6))
    pad = (2, 1, 0, 3)  # torch: last axis (2, 1), then H (0, 3)
    scope = {"x": x, "pad": pad}
    exec(code, scope)
    np.testing.assert_array_equal(np.pad(x, scope["pad_width"], mode="reflect"),
                                  F.pad(torch.from_numpy(x), pad, mode="reflect").numpy())
