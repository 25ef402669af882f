"""The --fix codemod: exact rewrites that keep formatting and comments, re-scanned clean, idempotent."""

import ast
import textwrap

import pytest

from portability.scan import fix
from portability.scan.engine import scan
from portability.scan.rules import Target
from portability.spec import load_catalog

TARGETS = (Target("tensorflow", "tensorflow"), Target("jax", "jax"))

BEFORE = textwrap.dedent('''\
    import torch.nn as nn
    import torch.nn.functional as F

    a = nn.BatchNorm2d(64)
    b = nn.BatchNorm2d(
        64,
        affine=True,  # keep affine
    )
    c = nn.BatchNorm2d(
        64,  # channels
    )
    d = nn.BatchNorm2d(64,
                       affine=True)
    e = nn.BatchNorm2d(
        64  # channels
    )
    f = F.leaky_relu(x)  # act
    g = nn.BatchNorm2d(*args)
    h = nn.BatchNorm2d(64, **kw)
    i = nn.BatchNorm2d(64, 1e-3)
    j = F.gelu(x,)
    k = F.avg_pool2d(x, 3, 1, 1)
    m = F.softmax(x)
''')

AFTER = textwrap.dedent('''\
    import torch.nn as nn
    import torch.nn.functional as F

    a = nn.BatchNorm2d(64, eps=1e-05, momentum=0.1)
    b = nn.BatchNorm2d(
        64,
        affine=True,  # keep affine
        eps=1e-05,
        momentum=0.1,
    )
    c = nn.BatchNorm2d(
        64,  # channels
        eps=1e-05,
        momentum=0.1,
    )
    d = nn.BatchNorm2d(64,
                       affine=True, eps=1e-05, momentum=0.1)
    e = nn.BatchNorm2d(
        64, eps=1e-05, momentum=0.1  # channels
    )
    f = F.leaky_relu(x, negative_slope=0.01)  # act
    g = nn.BatchNorm2d(*args)
    h = nn.BatchNorm2d(64, **kw)
    i = nn.BatchNorm2d(64, 1e-3, momentum=0.1)
    j = F.gelu(x, approximate="none",)
    k = F.avg_pool2d(x, 3, 1, 1, count_include_pad=True)
    m = F.softmax(x)
''')


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_fix_rewrites_exactly_and_keeps_comments(tmp_path, catalog):
    path = tmp_path / "m.py"
    path.write_text(BEFORE)
    result = scan([str(path)], catalog, TARGETS, jobs=1)
    changes = fix.apply(result.findings, write=True)
    assert [c[0] for c in changes] == [str(path)]
    assert path.read_text() == AFTER
    ast.parse(path.read_text())


def test_fixed_file_rescans_clean_and_a_second_fix_changes_nothing(tmp_path, catalog):
    path = tmp_path / "m.py"
    path.write_text(BEFORE)
    first = scan([str(path)], catalog, TARGETS, jobs=1)
    pinned = {(f.line, f.param) for f in first.findings if f.fix}
    assert len(pinned) == 14
    fix.apply(first.findings, write=True)
    again = scan([str(path)], catalog, TARGETS, jobs=1)
    assert not [f for f in again.findings if f.fix]  # nothing left to pin
    remaining = {f.param for f in again.findings if f.code == "PT001"}
    # softmax's implicit dim has no certain pin; a module's call mode is no argument to pin: both still reported
    assert remaining <= {"axis", "training"}
    text = path.read_text()
    assert fix.apply(again.findings, write=True) == [] and path.read_text() == text


def test_rewrite_skips_calls_that_changed_and_keywords_already_there():
    src = "import torch.nn as nn\nx = nn.BatchNorm2d(3, eps=1e-3)\n"
    edits = {(2, 4, 2, 31): [("eps", "1e-05"), ("momentum", "0.1")]}
    assert fix.rewrite(src, edits) == "import torch.nn as nn\nx = nn.BatchNorm2d(3, eps=1e-3, momentum=0.1)\n"
    assert fix.rewrite(src, {(2, 4, 2, 30): [("momentum", "0.1")]}) == src  # not that call's range


def test_fix_keeps_file_mode_and_crlf(tmp_path, catalog):
    path = tmp_path / "w.py"
    path.write_bytes(b"import torch.nn.functional as F\r\ny = F.leaky_relu(x)\r\n")
    path.chmod(0o750)
    fix.apply(scan([str(path)], catalog, TARGETS, jobs=1).findings, write=True)
    assert path.read_bytes() == b"import torch.nn.functional as F\r\ny = F.leaky_relu(x, negative_slope=0.01)\r\n"
    assert path.stat().st_mode & 0o777 == 0o750
