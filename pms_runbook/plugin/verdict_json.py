"""reports/verdict.json: the machine-readable verdict of a run of checks (docs/verdict.schema.json).

What chat bots, dashboards and `--fix` read: the run (profile, selection, targets without secrets, start
and end, tool version), the verdict line and exit code, and one object per check with its outcome, its
red flag's words, what was observed, the fix for this profile, and for every non-passing check either
`"root_cause": true` or `"follows_from": "<nodeid>"`. Scrubbed of every registered secret like every report.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from pms_runbook import secrets
from pms_runbook.catalogue import severity_of
from pms_runbook.redflag import fix_lines, parse

from .state import Run

SCHEMA_VERSION = "1.0.0"
SCHEMA_ID = "https://github.com/pms-runbook/pms-runbook/blob/main/docs/verdict.schema.json"
OUTCOMES = ("passed", "red_flag", "could_not_check", "not_checked", "waived")
FILE = "verdict.json"


def _status(line: str) -> str:
    for prefix, status in (("ALL CLEAR", "all_clear"), ("NO RED FLAG", "no_red_flag"), ("RED FLAG", "red_flag"),
                           ("NOT VERIFIED", "not_verified"), ("NOTHING CHECKED", "nothing_checked"),
                           ("CONFIGURATION ERROR", "configuration_error")):
        if line.startswith(prefix):
            return status
    return "not_verified"


def _url(value: str | None) -> str | None:
    """A target URL without credentials, query or fragment."""
    if not value:
        return None
    parts = urlsplit(str(value))
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("pms-runbook")
    except metadata.PackageNotFoundError:  # pragma: no cover  (run from a checkout without install)
        return "unknown"


def _check(run: Run, result: dict) -> dict[str, Any]:
    ids = result["ids"]
    out: dict[str, Any] = {"nodeid": result["nodeid"], "redflag": ids[0] if ids else None, "redflags": ids,
                           "severity": severity_of(ids), "outcome": result["outcome"],
                           "observed": "", "fix": "", "fix_lines": [], "words": "", "see": "", "reason": ""}
    text = result.get("text", "")
    if result["outcome"] == "red_flag":
        parts = parse(text)
        out.update(words=parts["words"] or text.splitlines()[0] if text else "", observed=parts["observed"],
                   fix=parts["fix"], fix_lines=fix_lines(parts["fix"]) if parts["fix"] else [], see=parts["see"])
    elif result["outcome"] == "could_not_check":
        first, _, hint = text.partition("\nhint: ")
        out.update(observed=first, reason=first, fix=hint.strip())
    elif result["outcome"] == "not_checked":
        out.update(reason=text)
    elif result["outcome"] == "waived":  # plugin/waivers.py: the waiver line, then the red flag's message
        first, _, flag = text.partition("\n")
        parts = parse(flag)
        out.update(words=parts["words"], observed=parts["observed"], fix=parts["fix"], see=parts["see"],
                   fix_lines=fix_lines(parts["fix"]) if parts["fix"] else [], reason=first)
        waiver = next((w["waiver"] for w in run.waived if w["nodeid"] == result["nodeid"]), None)
        if waiver:
            out["waiver"] = {k: waiver[k] for k in ("redflag", "match", "reason", "ticket", "owner", "expires")}
    out.update(run.extra.get("checks", {}).get(result["nodeid"], {}))  # history figures (plugin/history.py)
    if result["outcome"] in ("red_flag", "could_not_check"):
        root = run.roots.get(result["nodeid"])
        out["root_cause" if root is None else "follows_from"] = True if root is None else root
    return out


def document(config: pytest.Config, run: Run, exit_code: int) -> dict[str, Any]:
    from .settings import SETTINGS, run_settings

    settings = run_settings(config) if run.results else config.stash.get(SETTINGS, None)
    opt = config.option
    checks = [_check(run, r) for r in run.results]
    n_roots, n_following = run.root_counts()
    counts = {o: sum(c["outcome"] == o for c in checks) for o in OUTCOMES}
    line = run.verdict.rsplit("  [exit", 1)[0]
    return {
        "$schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "run": {
            "profile": getattr(settings, "profile", None) or getattr(opt, "pms_env", None),
            "selection": {"markers": opt.markexpr or "", "keywords": opt.keyword or "",
                          "args": [str(a) for a in config.args], "redflags": list(getattr(opt, "redflag", None) or [])},
            "targets": {name: _url(getattr(settings, name, None)) for name in ("api_url", "admin_url", "sb_url")},
            "started": _iso(run.started or time.time()),
            "ended": _iso(time.time()),
            "tool_version": _version(),
        },
        "verdict": {"line": line, "status": _status(line), "exit_code": exit_code,
                    "counts": {**counts, "root_causes": n_roots, "following": n_following}},
        "root_causes": [c["nodeid"] for c in checks if c.get("root_cause")],
        "checks": checks,
        **({"waivers": run.waivers} if run.waivers else {}),
        **{k: v for k, v in run.extra.items() if k != "checks"},
    }


def text(config: pytest.Config, run: Run, exit_code: int, *, indent: int | None = 2) -> str:
    return secrets.scrub(json.dumps(document(config, run, exit_code), indent=indent, ensure_ascii=False))


def write(path: Path, config: pytest.Config, run: Run, exit_code: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text(config, run, exit_code) + "\n", encoding="utf-8")
    return path
