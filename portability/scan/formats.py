"""The scan's outputs. Each format is one function: ScanReport in, text out (the caller writes it).

- ``text``: one line per finding in ruff/flake8 style (``path:line:col: CODE [*] message``; ``[*]``:
  ``--fix`` can pin it), details and the report anchor with ``--verbose``, then a summary;
- ``json``: a documented, versioned document (README, "portability scan: JSON");
- ``sarif``: SARIF 2.1.0 for code-scanning UIs;
- ``github``: GitHub Actions workflow commands (``::warning file=...,line=...::message``).

FORMAT_VERSION history (json):
  1: format_version, tool, source, targets, rules, findings (with `known`), summary.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from portability.report.jsonio import clean
from portability.scan.findings import shown
from portability.scan.rules import RULES, RULES_BY_CODE

FORMAT_VERSION = 1
TOOL = "portability scan"
REPORT = "reports/portability.html"


@dataclass(frozen=True)
class ScanReport:
    result: object  # engine.ScanResult
    findings: tuple  # the findings to show (after --select / --ignore; PT100 only with --verbose)
    source: str | None  # --from, or None (detected per file)
    targets: tuple  # target names
    verbose: bool = False
    fixed: int = 0  # calls rewritten by --fix


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("portability")
    except metadata.PackageNotFoundError:
        return "0"


def counts(findings) -> dict:
    return dict(sorted(Counter(f.code for f in findings).items()))


# ----------------------------------------------------------------------------- text


def text(rep: ScanReport) -> str:
    lines = []
    for f in rep.findings:
        mark = " [*]" if f.fix else ""
        lines.append(f"{f.path}:{f.line}:{f.col}: {f.code}{mark} {f.message}")
        if rep.verbose and f.code not in ("PT100", "PT900"):
            lines += _details(f)
    lines.append(summary_line(rep))
    if rep.verbose and rep.result.not_covered:
        top = list(rep.result.not_covered.items())
        lines.append("Not covered by the catalog (calls): " + ", ".join(f"{k} ({v})" for k, v in top))
    return "\n".join(lines)


def _details(f) -> list[str]:
    out = []
    for t in f.targets:
        if t.status == "same":
            continue
        if t.explicit:
            args = ", ".join(f"{k}={shown(v)}" for k, v in t.explicit.items())
            out.append(f"    {t.framework}: {t.api}(..., {args})")
        elif t.note:
            out.append(f"    {t.framework}: {t.api}: {t.note}")
    if f.known:
        out.append(f"    known: {f.known}")
    if f.fix:
        out.append(f"    fix: {f.fix.text()}")
    if f.anchor:
        out.append(f"    see {REPORT}{f.anchor}")
    return out


def summary_line(rep: ScanReport) -> str:
    r = rep.result
    shown_findings = [f for f in rep.findings if f.code != "PT100"]
    by = ", ".join(f"{k}: {v}" for k, v in counts(shown_findings).items())
    fixable = sum(1 for f in shown_findings if f.fix)
    files = f"{r.files} file{'s' if r.files != 1 else ''}"
    parts = [f"Found {len(shown_findings)} finding{'s' if len(shown_findings) != 1 else ''}"
             + (f" ({by})" if by else "") + f" in {files}"]
    n_cov = sum(r.not_covered.values())
    parts.append(f"{r.checked_calls} call{'s' if r.checked_calls != 1 else ''} checked against the catalog, "
                 f"{n_cov} framework call{'s' if n_cov != 1 else ''} not covered ({len(r.not_covered)} APIs"
                 + ("" if rep.verbose else "; --verbose lists them") + ")")
    if r.methods_not_taken:
        parts.append(f"{r.methods_not_taken} method call{'s' if r.methods_not_taken != 1 else ''} not taken as "
                     "tensor methods (the file imports another array library)")
    if r.parse_errors:
        parts.append(f"{r.parse_errors} file{'s' if r.parse_errors != 1 else ''} skipped (parse errors)")
    if rep.fixed:
        parts.append(f"fixed {rep.fixed} call{'s' if rep.fixed != 1 else ''}")
    elif fixable:
        parts.append(f"{fixable} fixable with --fix")
    return "; ".join(parts) + "."


# ----------------------------------------------------------------------------- json


def finding_dict(f) -> dict:
    rule = RULES_BY_CODE[f.code]
    return {
        "path": f.path, "line": f.line, "col": f.col, "end_line": f.end_line, "end_col": f.end_col,
        "code": f.code, "rule": rule.name, "level": rule.level, "message": f.message,
        "op": f.op, "api": f.api, "call": f.call, "param": f.param, "origin": f.origin,
        "source_value": f.source_value,
        "targets": [{"framework": t.framework, "api": t.api, "value": t.value, "status": t.status,
                     "primary": t.primary, "explicit": t.explicit, "note": t.note} for t in f.targets],
        "fix": ({"keywords": {k: v for k, v in f.fix.keywords}, "text": f.fix.text()} if f.fix else None),
        "anchor": f.anchor, "known": f.known,
    }


def json_doc(rep: ScanReport) -> dict:
    r = rep.result
    return clean({
        "format_version": FORMAT_VERSION,
        "tool": {"name": TOOL, "version": _version()},
        "source": rep.source,
        "targets": list(rep.targets),
        "rules": [{"code": x.code, "name": x.name, "level": x.level, "summary": x.summary} for x in RULES],
        "findings": [finding_dict(f) for f in rep.findings],
        "summary": {
            "files": r.files, "parse_errors": r.parse_errors, "calls_checked": r.checked_calls,
            "findings": counts(rep.findings), "fixable": sum(1 for f in rep.findings if f.fix), "fixed": rep.fixed,
            "not_covered": {"calls": sum(r.not_covered.values()), "apis": r.not_covered},
            "methods_not_taken": r.methods_not_taken,
        },
    })


def json_text(rep: ScanReport) -> str:
    return json.dumps(json_doc(rep), indent=1, default=repr)


# ----------------------------------------------------------------------------- sarif


def _uri(path: str) -> str:
    p = Path(path)
    return p.resolve().as_uri() if p.is_absolute() else p.as_posix()


def sarif(rep: ScanReport) -> dict:
    rules = [{"id": x.code, "name": "".join(w.capitalize() for w in x.name.split("-")),
              "shortDescription": {"text": x.summary}, "fullDescription": {"text": x.summary},
              "defaultConfiguration": {"level": x.level}} for x in RULES]
    index = {x.code: i for i, x in enumerate(RULES)}
    results = []
    for f in rep.findings:
        props = {k: v for k, v in finding_dict(f).items()
                 if k in ("op", "api", "call", "param", "origin", "source_value", "targets", "fix", "anchor", "known")}
        results.append({
            "ruleId": f.code, "ruleIndex": index[f.code], "level": RULES_BY_CODE[f.code].level,
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(f.path)},
                "region": {"startLine": f.line, "startColumn": f.col, "endLine": f.end_line, "endColumn": f.end_col},
            }}],
            "properties": props,
        })
    return clean({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "portability-scan", "version": _version(), "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })


def sarif_text(rep: ScanReport) -> str:
    return json.dumps(sarif(rep), indent=1, default=repr)


# ----------------------------------------------------------------------------- github


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github(rep: ScanReport) -> str:
    levels = {"error": "error", "warning": "warning", "note": "notice"}
    lines = []
    for f in rep.findings:
        rule = RULES_BY_CODE[f.code]
        props = (f"file={_escape_prop(f.path)},line={f.line},col={f.col},endLine={f.end_line},"
                 f"endColumn={f.end_col},title={_escape_prop(f'{f.code} {rule.name}')}")
        lines.append(f"::{levels[rule.level]} {props}::{_escape_data(f.message)}")
    lines.append(summary_line(rep))
    return "\n".join(lines)


FORMATS = {"text": text, "json": json_text, "sarif": sarif_text, "github": github}
