"""Run repro snippets as a user would paste them: ``python run_snippets.py SNIPPETS.json OUTDIR``.

One fresh interpreter per framework runs that framework's snippets one after another, each in its
own namespace with stdout silenced; for each it writes OUTDIR/<i>.npz (the items of `out`, as
NumPy arrays) or records the exception. The test that calls it compares what came out.
"""

import contextlib
import io
import json
import sys
from pathlib import Path

import numpy as np


def _items(out):
    items = list(out) if isinstance(out, (list, tuple)) else [out]
    return [np.asarray(getattr(x, "numpy", lambda: x)()) if hasattr(x, "numpy") else np.asarray(x) for x in items]


def main(snippets_path: str, out_dir: str) -> None:
    snippets = json.loads(Path(snippets_path).read_text())
    status = []
    for i, code in enumerate(snippets):
        namespace: dict = {"__name__": "__repro__"}
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(code, f"<snippet {i}>", "exec"), namespace)
            np.savez(Path(out_dir) / f"{i}.npz", *_items(namespace["out"]))
            status.append({"ok": True})
        except Exception as exc:  # the snippet's own failure is the result
            status.append({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]})
    (Path(out_dir) / "status.json").write_text(json.dumps(status))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
