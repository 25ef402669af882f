"""The catalog format, defined once: the keys of every section, their types and their documentation.

The loader (``portability.spec``) validates each file against the JSON Schema built here before it
checks meaning (names that resolve, inputs that exist, transforms that get what they read), and the
published schema (``opspecs/catalog.schema.json``, written by ``dev/update_catalog_schema.py``) is the
same object, so an editor with a YAML language server completes and checks entries as they are typed
with exactly the rules the loader applies. Enumerations (dtypes, generators, transforms, hazard kinds)
come from the modules that implement them, never from a copy.
"""

from __future__ import annotations

from functools import lru_cache

SCHEMA_ID = "https://github.com/portability/portability/opspecs/catalog.schema.json"
SCHEMA_FILE = "catalog.schema.json"  # next to the YAML files it describes


def _str_list(doc: str) -> dict:
    return {"description": doc, "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}


def _obj(doc: str, properties: dict, required=(), extra=False) -> dict:
    schema = {"type": "object", "description": doc, "properties": properties, "additionalProperties": extra}
    if required:
        schema["required"] = list(required)
    return schema


def _enum(doc: str, values) -> dict:
    return {"description": doc, "enum": list(values)}


@lru_cache(maxsize=1)
def catalog_schema() -> dict:
    """The JSON Schema (draft 2020-12) of one catalog file."""
    from portability.array_transforms import ARRAY_TRANSFORMS
    from portability.frameworks import CATALOG_KEYS
    from portability.hazards import HAZARD_KINDS
    from portability.inputs import GENERATORS
    from portability.plan import MODES
    from portability.spec import API_KINDS, DTYPES, MAX_RANK, OUTPUT_KINDS, PASSES, RESULT_DTYPES
    from portability.transforms import TRANSFORMS

    defs = {}

    def ref(name: str, schema: dict) -> dict:
        defs[name] = schema
        return {"$ref": f"#/$defs/{name}"}

    dtype = ref("dtype", _enum("an element type", DTYPES))
    result_dtype = ref("result_dtype", _enum(
        "the dtype every API's outputs are expected in (integer and mixed dtypes, creation ops); absent: the case "
        "dtype for float outputs, the reference's dtype for int outputs", RESULT_DTYPES))
    positive = {"type": "integer", "minimum": 1}
    ref("transform", _enum("a value transform of portability.transforms", sorted(TRANSFORMS)))
    name_list = _str_list("a name, or a list of names")
    accumulation = {
        "description": "the length of the longest float sum per output element (widens tolerances by its sqrt): "
                       "an int, or the product of some axes of an input",
        "anyOf": [
            {"type": "integer"},
            _obj("the product of these axes of this input's shape",
                 {"input": {"type": "string"}, "axes": {"type": "array", "items": {"type": "integer"}}},
                 required=("input", "axes")),
        ],
    }
    input_ = ref("input", _obj(
        "an input array: its shape, dtype and the seeded generator that fills it (a case may give only the keys "
        "it changes; the merged input needs a shape)",
        {
            "shape": {"type": "array", "items": positive, "maxItems": MAX_RANK, "description": "positive dims"},
            "dtype": dtype,
            "generator": _enum("a generator of portability.inputs", sorted(GENERATORS)),
            "options": {"type": "object", "description": "the generator's keyword arguments"},
        },
    ))
    param = {
        "description": "a canonical parameter: its value, or {value, semantic, doc}",
        "anyOf": [
            _obj("a parameter", {
                "value": {"description": "the canonical value"},
                "semantic": {"type": "boolean", "description": "a choice a porter tends to leave at the framework "
                                                                "default: defaults mode omits it"},
                "doc": {"type": "string"},
            }, required=("value",)),
            {"not": {"type": "object"}},
        ],
    }
    case = ref("case", _obj("one case: a name, and what it changes from the op's inputs, params and dtype", {
        "name": {"type": "string"},
        "inputs": {"type": "object", "additionalProperties": input_},
        "params": {"type": "object", "description": "parameter values of this case (declared under the op's params)"},
        "dtype": dtype,
        "result_dtype": result_dtype,
        "accumulation": accumulation,
    }, required=("name",)))
    known = ref("known", _obj("a documented divergence: reported as known while it matches, as stale when nothing does", {
        "kind": _enum("the hazard kind", HAZARD_KINDS),
        "apis": _str_list("API labels, backend:label ids or framework names"),
        "reason": {"type": "string", "description": "what differs and why (checked by hand)"},
        "source": {"type": "string", "description": "a docs URL or an issue that says so"},
        "param": {"type": "string", "description": "for default hazards: the parameter"},
        "cases": _str_list("case names or fnmatch patterns it covers (all when absent)"),
        "dtypes": {"anyOf": [dtype, {"type": "array", "items": dtype}], "description": "case dtypes it covers"},
        "modes": {"anyOf": [_enum("a mode", MODES), {"type": "array", "items": _enum("a mode", MODES)}]},
        "passes": {"anyOf": [_enum("a pass", PASSES), {"type": "array", "items": _enum("a pass", PASSES)}]},
        "workaround": {"type": "string", "description": "what a port writes instead, as the framework documents it"},
    }, required=("kind", "apis", "reason", "source")))
    argmap = ref("argmap", {
        "description": "how a canonical parameter reaches the API: the framework's argument name, "
                       "{name, transform, values}, or null when the API does not take it (it reaches the call "
                       "through args or derive, or does not change the outputs). Unlisted parameters pass "
                       "under their own name.",
        "anyOf": [
            {"type": "string"},
            {"type": "null"},
            _obj("a renamed or translated parameter", {
                "name": {"type": ["string", "null"], "description": "the framework argument (null or absent: the "
                                                                    "transform returns several keyword arguments)"},
                "transform": {"$ref": "#/$defs/transform"},
                "values": {"type": "object", "description": "canonical value -> framework value"},
            }),
        ],
    })
    arg = ref("arg", {
        "description": "a positional argument: an input name, a list of inputs (variadic), or "
                       "{param, value, dtype, transform}",
        "anyOf": [
            {"type": "string"},
            {"type": "array", "items": {"type": "string"}},
            _obj("a parameter or a constant passed positionally", {
                "param": {"type": "string"},
                "value": {},
                "dtype": {"anyOf": [dtype, {"const": "case"}]},
                "transform": {"$ref": "#/$defs/transform"},
            }),
        ],
    })
    derive = ref("derive", _obj("an input computed from others (a checkpoint conversion)", {
        "transform": _enum("an array transform of portability.array_transforms", sorted(ARRAY_TRANSFORMS)),
        "inputs": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"anyOf": [
            {"type": "string"}, _obj("a parameter's value", {"param": {"type": "string"}}, required=("param",))]}}]},
    }, required=("transform", "inputs")))
    opset = {"type": "integer", "minimum": 1}
    api_props = {
        "call": {"type": "string", "description": "a dotted path in an allowed namespace, or an ONNX op type"},
        "label": {"type": "string", "description": "the name results use (the call by default)"},
        "kind": _enum("function, or layer (built with the params, then called)", API_KINDS),
        "args": {"type": "array", "items": arg, "description": "positional arguments (default: the op's inputs "
                                                               "in order)"},
        "kwargs": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "framework keyword -> input name"},
        "params": {"type": "object", "additionalProperties": argmap,
                   "description": "only the parameters that are renamed, translated or not taken"},
        "constants": {"type": "object", "description": "keyword arguments always passed (may be {dim: [input, "
                                                       "axis]}, {dims: [input, [axes]]} or {ref: NAME})"},
        "call_kwargs": {"type": "object", "description": "layers: keyword arguments of the call"},
        "fixed": {"type": "object", "description": "param -> the only value this API implements"},
        "defaults": {"type": "object", "description": "param -> the API's documented default (canonical terms)"},
        "layout": {"type": "object", "description": "input -> named layout or permutation"},
        "output_layout": {"description": "a named layout or permutation applied to the outputs (inverted)"},
        "output_squeeze": {"type": "integer", "description": "a size-1 axis removed from the outputs"},
        "output_stack": {"type": "integer", "description": "the returned tuple of index arrays stacked on this "
                                                          "axis into the op's one output (np.nonzero)"},
        "weights": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "layer attribute -> input"},
        "derive": {"type": "object", "additionalProperties": derive},
        "outputs": {"type": "array", "description": "which returned items are the op's outputs, in op order"},
        "reads": _str_list("outputs read back after the call (inputs updated in place, a layer's attributes)"),
        "opset": {"anyOf": [opset, {"type": "array", "items": opset}], "description": "ONNX: the opsets written for"},
        "unsupported": {"type": "string", "description": "the framework lacks this op: why"},
        "not_expressible": {"type": "string", "description": "this checker cannot write the call yet: why"},
        "sources": _str_list("docs URLs"),
        "ignores": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "reference only: param -> why the outputs do not depend on it"},
        "history": {"type": "array", "description": "defaults the framework changed in past releases",
                    "items": _obj("one default change: before `version`, the default was `old`", {
                        "param": {"type": "string", "description": "a parameter under `defaults:`"},
                        "version": {"type": "string", "description": "the first release with today's default"},
                        "old": {"description": "the default before that release (canonical terms)"},
                        "source": {"type": "string", "description": "release notes or docs (a URL)"},
                        "package": {"type": "string", "description": "whose version (keras), where not the "
                                                                      "framework's own"},
                    }, required=("param", "version", "old", "source"))},
    }
    api = ref("api", _obj("one framework API of the op", api_props))
    op_props = {
        "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "like": {"type": "string", "description": "start from this op's entry (any file loaded before); the keys "
                                                  "given here replace its keys"},
        "category": {"type": "string"},
        "summary": {"type": "string"},
        "sources": _str_list("docs URLs for every stated default and convention"),
        "params": {"type": "object", "additionalProperties": param},
        "dtype": dtype,
        "result_dtype": result_dtype,
        "inputs": {"type": "object", "additionalProperties": input_},
        "cases": {"type": "array", "items": case, "minItems": 1},
        "outputs": {"description": "output names (float), or name -> kind", "anyOf": [
            {"type": "array", "items": {"type": "string"}, "minItems": 1},
            {"type": "object", "additionalProperties": _enum("an output kind", OUTPUT_KINDS), "minProperties": 1}]},
        "reference": api,
        "apis": _obj("the APIs of each framework", {k: {"anyOf": [api, {"type": "array", "items": api}]}
                                                    for k in CATALOG_KEYS}),
        "tolerance": _obj("tolerance overrides per dtype, with the reason",
                          {"reason": {"type": "string"}} | {d: _obj("a tolerance", {
                              "rtol": {"type": "number"}, "atol": {"type": "number"}}, required=("rtol", "atol"))
                              for d in DTYPES}, required=("reason",)),
        "accumulation": accumulation,
        "known": {"type": "array", "items": known},
        "differentiable": {"description": "true (every float input), false (no backward pass) or the inputs",
                           "anyOf": [{"type": "boolean"}, {"type": "string"},
                                     {"type": "array", "items": {"type": "string"}}]},
    }
    op = _obj("one op", op_props)
    op |= {"if": {"required": ["like"]}, "then": {"required": ["name"]},  # `like:` inherits the rest
           "else": {"required": ["name", "category", "summary", "reference", "apis"]}}
    op = ref("op", op)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "portability catalog file",
        "description": "A file of the portability op catalog (see dev/CATALOG_GUIDE.md).",
        "type": "object",
        "properties": {"ops": {"type": "array", "items": op}},
        "required": ["ops"],
        "additionalProperties": False,
        "$defs": defs,
    }


@lru_cache(maxsize=None)
def keys_of(section: str) -> frozenset[str]:
    """The keys a section allows, read from the schema (the loader's key checks use these)."""
    schema = catalog_schema()
    return frozenset((schema if section == "file" else schema["$defs"][section])["properties"])


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(catalog_schema())


def structure_problem(doc) -> tuple[int | None, str, str] | None:
    """The first way ``doc`` breaks the schema, as (op index, dotted key, message); None when it fits.

    The message says what was expected in the catalog's words, not the validator's internals."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(doc))
    if error is None:
        return None
    path = list(error.absolute_path)
    index = path[1] if len(path) >= 2 and path[0] == "ops" and isinstance(path[1], int) else None
    if error.validator == "additionalProperties":  # name the unknown key, not the mapping holding it
        path += sorted(set(error.instance) - set(error.schema.get("properties", {})))[:1]
    elif error.validator == "required":
        path += [k for k in error.validator_value if k not in error.instance][:1]
    key = ".".join(str(p) for p in (path[2:] if index is not None else path))
    return index, key, _message(error)


def _message(error) -> str:
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"unknown key {', '.join(map(repr, extra))} (allowed: {allowed})"
    if error.validator == "required":
        return error.message.replace("is a required property", "is missing (a required key)")
    if error.validator == "enum":
        values = error.validator_value
        shown = ", ".join(map(str, values[:20])) + (", ..." if len(values) > 20 else "")
        return f"unknown value {error.instance!r} (known: {shown})"
    if error.validator in ("anyOf", "oneOf"):
        doc = error.schema.get("description")
        return f"{error.instance!r} is not {doc}" if doc else error.message
    return error.message


@lru_cache(maxsize=1)
def _format_digest() -> bytes:
    """What a remembered verdict depends on besides the file: this module's definitions and portability's
    version (read once per process, not once per catalog file)."""
    from pathlib import Path

    from portability import __version__

    return Path(__file__).read_bytes() + __version__.encode()


def file_problem(raw: bytes, doc) -> tuple[int | None, str, str] | None:
    """``structure_problem`` for one file, remembered per (file, format) digest: validating the whole catalog
    costs ~0.5 s, an unchanged file costs one stat."""
    import hashlib
    from pathlib import Path

    from portability.cache import resolve_dir

    folder = resolve_dir(None)  # the result cache's folder ($PORTABILITY_CACHE_DIR; '' turns memos off)
    if folder is None:
        return structure_problem(doc)
    marker = Path(folder) / "schema-valid" / hashlib.sha256(raw + _format_digest()).hexdigest()
    if marker.exists():
        return None
    problem = structure_problem(doc)
    if problem is None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # a read-only home: validate again next time
    return problem
