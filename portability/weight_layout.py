"""Weight layouts: what converting a torch checkpoint into another API's weights involves, as NumPy code.

The catalog's weights are PyTorch's (OIHW kernels, (out, in) dense weights, LSTM/GRU gate blocks in torch's
order). An API that holds them otherwise says so with `layout:` (a transpose) and `derive:` (an array
transform, portability.array_transforms). This module reads those declarations back as the lines a port
writes, so a `weight_layout` finding shows the conversion instead of hiding it in the checker's plumbing.
Pure and framework-free.
"""

from __future__ import annotations

from portability.array_transforms import SILENT, code
from portability.layouts import NAMED, permutation

KERNEL_LAYOUTS = ("WIO", "HWIO", "DHWIO", "IO")  # named layouts that only a weight takes (activations: N...C)


def weight_inputs(op) -> set[str]:
    """The op's canonical inputs that are weights: a layer's weights in any API (back through `derive:` to
    their sources), or inputs given a kernel layout; never the data a layer is called on (its first argument),
    which a transform may read only for a size (depthwise kernels read the channel count from x)."""
    data = {a.args[0] for a in op.apis if a.kind == "layer" and a.args and isinstance(a.args[0], str)}
    found = set()
    for api in op.apis:
        names = set(api.weights.values()) | {n for n, lay in api.layout.items() if lay in KERNEL_LAYOUTS}
        for name in reversed(list(api.derive)):  # later derived names come from earlier ones
            if name in names:
                names |= {s for s in api.derive[name][1] if isinstance(s, str)}
        found |= names
    canonical = {i.name for c in op.cases for i in c.inputs}
    return (found & canonical) - data


def conversion(op, api, weights: set[str] | None = None) -> tuple[str, ...]:
    """The NumPy lines that turn the torch checkpoint's weights into what ``api`` takes (empty: as they are)."""
    weights = weight_inputs(op) if weights is None else weights
    if api.unsupported or api.not_expressible:
        return ()
    involved, lines = set(weights), []
    target = {v: k for k, v in api.weights.items()}
    last = {n: n for n in api.layout}  # the name whose line ends with the array the API takes

    def note(name, *parts):
        parts = [p for p in (*parts, f"layer.{target[name]}" if name in target and last.get(name) == name
                             else None) if p]
        return f"  # {', '.join(parts)}" if parts else ""

    for name, (transform, sources) in api.derive.items():
        if involved & {s for s in sources if isinstance(s, str)}:
            involved.add(name)
            names = [s if isinstance(s, str) else repr(s["param"]) for s in sources]
            last.setdefault(name, None if name in api.layout else name)
            lines.append(f"{name} = {code(transform, names)}{note(name) if name not in api.layout else ''}")
    for name, lay in api.layout.items():
        if name in involved:
            named = lay if isinstance(lay, str) and lay in NAMED else None
            lines.append(f"{name} = np.transpose({name}, {permutation(lay)}){note(name, named)}")
    return tuple(lines)


def steps(api, weights: set[str]) -> list[str]:
    """The kinds of rearrangement ``api`` applies to the weights: array transforms and layouts, in order."""
    involved, out = set(weights), []
    for name, (transform, sources) in api.derive.items():
        if involved & {s for s in sources if isinstance(s, str)}:
            involved.add(name)
            out.append(transform)
    out += [lay if isinstance(lay, str) else f"axes {tuple(lay)}" for n, lay in api.layout.items() if n in involved]
    return list(dict.fromkeys(out))


def converted(api, weights: set[str]) -> list[str]:
    """The canonical weights ``api`` takes rearranged: sources of its derived weights, or given a layout."""
    used = {s for _, sources in api.derive.values() for s in sources if isinstance(s, str)} | set(api.layout)
    return sorted(used & weights)


def silent(api) -> bool:
    """A conversion whose mistake keeps every shape (gate blocks, channel multipliers): a silently wrong model."""
    return any(t in SILENT for t, _ in api.derive.values())
