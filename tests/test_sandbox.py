"""A catalog is data from strangers: hostile entries are refused at load (exit 2, one line, no side
effect), and the worker refuses them again if the loader is bypassed (defence in depth)."""

import pytest
from conftest import run_cli, write_yaml

from portability.resolve import TargetRefused, check_name, policy_for, resolve

TEMPLATE = """
ops:
  - name: hostile
    category: test
    summary: an entry that tries to reach the operating system
    inputs: {{x: {{shape: [3]}}}}
    reference: {reference}
    apis:
      {key}: {api}
"""
SAFE_REFERENCE = "{call: numpy.tanh, args: [x]}"


def _catalog(tmp_path, marker, *, key="torch", call=None, api=None, reference=SAFE_REFERENCE):
    """A one-op catalog whose call, if it ever ran, would create ``marker``."""
    command = f"touch {marker}"
    api = api or f"{{call: {call}, args: [{{value: '{command}'}}]}}"
    return write_yaml(tmp_path, TEMPLATE.format(key=key, api=api, reference=reference.replace("MARKER", command)))


# (catalog key, call target): attribute walks through os/sys/importlib/builtins, I/O functions,
# private modules, pickles, downloads and process spawning, each through a module a framework imports.
HOSTILE_CALLS = [
    ("torch", "torch.nn.modules.conv.os.system"),
    ("torch", "torch.serialization.os.system"),
    ("torch", "os.system"),
    ("torch", "torch._C._get_tracing_state"),
    ("torch", "torch.__builtins__.exec"),
    ("torch", "torch.save"),
    ("torch", "torch.load"),
    ("torch", "torch.from_file"),
    ("torch", "torch.hub.load"),
    ("torch", "torch.utils.model_zoo.load_url"),
    ("torch", "torch.Tensor.__reduce_ex__"),
    ("torch", "torch.UntypedStorage.from_file"),
    ("torch", "torch.compile"),
    ("numpy", "numpy.lib.npyio.os.system"),
    ("numpy", "numpy.os.system"),
    ("numpy", "numpy.save"),
    ("numpy", "numpy.load"),
    ("numpy", "numpy.fromfile"),
    ("numpy", "numpy.genfromtxt"),
    ("numpy", "numpy.fromregex"),
    ("numpy", "numpy.memmap"),
    ("numpy", "numpy.DataSource"),
    ("numpy", "np.testing.os.system"),
    ("numpy", "numpy.importlib.import_module"),
    ("tensorflow", "tf.io.write_file"),
    ("tensorflow", "tf.io.gfile.remove"),
    ("tensorflow", "tf.keras.utils.get_file"),
    ("tensorflow", "keras.utils.get_file"),
    ("tensorflow", "tf.saved_model.load"),
    ("tensorflow", "tf.py_function"),
    ("tensorflow", "tf.numpy_function"),
    ("tensorflow", "tf.print"),
    ("tensorflow", "tf.load_library"),
    ("tensorflow", "keras.layers.Lambda"),
    ("tensorflow", "keras.layers.TFSMLayer"),
    ("tensorflow", "keras.layers.StringLookup"),
    ("tensorflow", "keras.losses.deserialize"),
    ("tensorflow", "tf.math.sys.exit"),
    ("jax", "jax.numpy.load"),
    ("jax", "jax.pure_callback"),
    ("jax", "jax.experimental.io_callback"),
    ("jax", "jax.numpy.os.system"),
    ("jax", "jnp.subprocess.run"),
    ("jax", "jax._src.util.os.system"),
    ("onnx", "System"),
    ("onnx", "os.system"),
    # global RNG state: random creation ops (numpy.random, tf.random, keras.random, jax.random) draw unseeded
    ("torch", "torch.manual_seed"),
    ("torch", "torch.seed"),
    ("numpy", "numpy.random.seed"),
    ("numpy", "np.random.set_state"),
    ("tensorflow", "tf.random.set_seed"),
    ("tensorflow", "keras.random.SeedGenerator"),
    ("tensorflow", "tf.random.set_global_generator"),
]


@pytest.mark.parametrize("key, call", HOSTILE_CALLS)
def test_hostile_call_targets_are_refused_by_name(key, call):
    with pytest.raises(TargetRefused):
        check_name(call, policy_for(key)) if key != "onnx" else _onnx(call)


def _onnx(call):
    from portability.frameworks.onnx_schemas import op_types

    if call not in op_types():
        raise TargetRefused(call)


@pytest.mark.parametrize("key, call", HOSTILE_CALLS[::3])
def test_hostile_catalogs_exit_2_before_anything_runs(tmp_path, key, call):
    marker = tmp_path / "pwned"
    proc = run_cli("list", str(_catalog(tmp_path, marker, key=key, call=call)))
    _assert_refused(proc, marker, "hostile")


@pytest.mark.parametrize("reference", [
    "{call: numpy.lib.npyio.os.system, args: [{value: 'MARKER'}]}",
    "{call: numpy.save, args: [{value: 'MARKER'}, x]}",
    "{call: portability.reference.np, args: [x]}",
    "{call: portability.reference.os.system, args: [{value: 'MARKER'}]}",
    "{call: portability.reference.core.np, args: [x]}",
])
def test_hostile_references_exit_2(tmp_path, reference):
    marker = tmp_path / "pwned"
    reference = reference.replace("MARKER", f"touch {marker}")
    proc = run_cli("list", str(_catalog(tmp_path, marker, call="torch.tanh", reference=reference)))
    _assert_refused(proc, marker, "reference.call")


@pytest.mark.parametrize("constant", ["{ref: os.system}", "{ref: torch.save}", "{ref: torch.nn.modules.os.system}",
                                      "{ref: torch._C._nn.gelu}"])
def test_constants_that_name_callables_are_sandboxed(tmp_path, constant):
    marker = tmp_path / "pwned"
    api = f"{{call: torch.tanh, args: [x], constants: {{fn: {constant}}}}}"
    proc = run_cli("list", str(_catalog(tmp_path, marker, api=api)))
    _assert_refused(proc, marker, "constants.fn.ref")


@pytest.mark.parametrize("text", [
    "ops: !!python/object/apply:os.system ['touch MARKER']",
    "ops:\n  - !!python/object/new:subprocess.Popen [['touch', 'MARKER']]",
    "ops:\n  - name: !!python/name:os.system ''",
    "ops: !!binary aGVsbG8=",
])
def test_yaml_tags_never_construct_objects(tmp_path, text):
    marker = tmp_path / "pwned"
    path = write_yaml(tmp_path, text.replace("MARKER", str(marker)))
    proc = run_cli("list", str(path))
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not marker.exists()


def test_a_hostile_run_exits_2_and_leaves_no_workers_side_effect(tmp_path):
    marker = tmp_path / "pwned"
    path = _catalog(tmp_path, marker, key="numpy", call="numpy.lib.npyio.os.system")
    proc = run_cli("run", str(path), "--frameworks", "numpy", "--quiet", "--json", str(tmp_path / "r.json"),
                   "--html", "")
    _assert_refused(proc, marker, "apis.numpy.0.call")
    assert not (tmp_path / "r.json").exists()


def _assert_refused(proc, marker, key):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "op 'hostile'" in lines[0] and key in lines[0], lines[0]
    assert not marker.exists()


def test_every_bundled_target_passes_the_name_rule():
    from portability.spec import load_catalog

    apis = [a for op in load_catalog().ops for a in op.apis
            if not a.unsupported and not a.not_expressible and a.framework != "onnx"]
    assert len(apis) > 300
    for api in apis:
        check_name(api.call, policy_for(api.framework))


def test_the_worker_refuses_what_the_name_rule_cannot_see():
    """numpy's namespaces hold nothing foreign; the rule is exercised on an object defined elsewhere.
    ``jax.numpy.can_cast`` passes the name rule but is numpy's, not JAX's: refused in the worker."""
    jax = pytest.importorskip("jax")
    assert jax.numpy.can_cast.__module__.startswith("numpy")
    check_name("jax.numpy.can_cast", policy_for("jax"))
    with pytest.raises(TargetRefused, match="outside the jax packages"):
        resolve("jax.numpy.can_cast", "jax")
    assert callable(resolve("jax.numpy.tanh", "jax"))


def test_defence_in_depth_a_plan_that_bypassed_the_loader_is_refused_in_a_real_worker():
    """A CallPlan built by hand (no loader) reaches the numpy worker: it refuses, the run records an error."""
    import dataclasses

    from portability.check import run_check
    from portability.spec import load_catalog

    op = next(o for o in load_catalog().ops if o.name == "tanh")
    api = next(a for a in op.apis if a.framework == "numpy")
    evil = dataclasses.replace(api, call="numpy.lib.npyio.os.system", label="evil")
    catalog = dataclasses.replace(load_catalog(), ops=(dataclasses.replace(op, apis=(evil,)),))
    report = run_check(catalog, ops=["tanh"], backends=["numpy"], progress=False)
    (r, *_) = [r for r in report.results if r.api == "evil"]
    assert r.status == "error" and "TargetRefused" in r.message and "walks through" in r.message
    assert any(h.kind == "error" and h.apis == ("numpy:evil",) for h in report.hazards)


def test_the_onnx_snapshot_matches_the_installed_onnx():
    onnx = pytest.importorskip("onnx")
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "dev"))
    from update_onnx_schemas import snapshot

    from portability.frameworks.onnx_schemas import SNAPSHOT

    import json

    saved = json.loads(SNAPSHOT.read_text())
    if saved["onnx_version"] != onnx.__version__:
        pytest.skip(f"snapshot of onnx {saved['onnx_version']}, installed {onnx.__version__}")
    assert saved == snapshot(), "run: .venv/bin/python dev/update_onnx_schemas.py"
