"""The signature snapshot the scan binds arguments with: complete for the catalog, current, and read right."""

import subprocess
import sys

import pytest

from conftest import ROOT, installed
from portability.resolve import expand
from portability.scan.names import Arg, CallFacts
from portability.scan.signatures import MISSING, bind, snapshot
from portability.spec import load_catalog

# Catalog targets with no Python signature and no aten schema under their own name: their calls bind
# keywords by name only (positional arguments past the op's inputs make a parameter uncertain).
NO_SIGNATURE = {"torch.nn.functional.logsigmoid", "torch.nn.LSTM", "torch.nn.GRU", "torch.linalg.vector_norm",
                "torch.linalg.matrix_norm", "torch.Tensor.type", "torch.special.xlog1py"}


def test_every_catalog_target_is_in_the_snapshot():
    apis = snapshot()["apis"]
    missing = {expand(a.call) for op in load_catalog().ops for a in op.apis
               if not a.unsupported and not a.not_expressible and a.framework != "onnx"} - set(apis)
    assert missing == NO_SIGNATURE


def test_the_snapshot_matches_the_installed_frameworks():
    for module in ("torch", "tensorflow", "jax", "keras"):
        if not installed(module):
            pytest.skip(f"{module} not installed: the snapshot cannot be regenerated here")
    proc = subprocess.run([sys.executable, str(ROOT / "dev" / "update_scan_signatures.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr.strip().endswith("current")


def call(*args, star_at=None, double_star=False, **kw):
    lit = [a if isinstance(a, Arg) else Arg(a, True) for a in args]
    return CallFacts(1, 0, 1, 1, "call", "f", None, tuple(lit), tuple((k, Arg(v, True)) for k, v in kw.items()),
                     star_at, double_star)


STD = snapshot()["apis"]["torch.Tensor.std"]["overloads"]


@pytest.mark.parametrize("c, state", [
    (call(), "absent"),
    (call(0), "absent"),  # dim=0 (an int is not the bool `unbiased`)
    (call(dim=1, keepdim=True), "absent"),
    (call(0, True), "uncertain"),  # std.dim's unbiased=True sets the ddof another way
    (call(True), "uncertain"),  # std(unbiased)
    (call(unbiased=False), "uncertain"),
    (call(correction=0), "given"),
    (call(Arg(), star_at=0), "uncertain"),
    (call(0, double_star=True), "uncertain"),
])
def test_overloads_decide_whether_correction_is_left_at_its_default(c, state):
    b = bind(c, STD)
    assert b is not None and b.status("correction")[0] == state


def test_positional_order_keyword_only_and_defaults():
    bn = snapshot()["apis"]["torch.nn.BatchNorm2d"]["overloads"]
    b = bind(call(64, 1e-3), bn)
    assert b.status("eps") == ("given", Arg(1e-3, True)) and b.status("momentum") == ("absent", 0.1)
    gelu = snapshot()["apis"]["torch.nn.functional.gelu"]["overloads"]
    assert bind(call(Arg(), "tanh"), gelu) is None  # approximate is keyword-only
    assert bind(call(Arg(), nope=1), gelu) is None  # no such keyword
    interp = snapshot()["apis"]["torch.nn.functional.interpolate"]["overloads"]
    assert bind(call(Arg(), size=4), interp).status("mode") == ("absent", "nearest")


def test_without_a_signature_keywords_bind_and_extra_positionals_are_uncertain():
    assert bind(call(Arg(), 0.2), None, n_inputs=1).status("negative_slope")[0] == "uncertain"
    assert bind(call(Arg()), None, n_inputs=1).status("negative_slope") == ("absent", MISSING)
    assert bind(call(Arg(), negative_slope=0.2), None, n_inputs=1).status("negative_slope")[0] == "given"
