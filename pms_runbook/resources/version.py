"""GET /api/v1/ops/version (backend) and /api/ops/version (admin), and the verify-deploy commit rule."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pms_runbook.resources.answer import (
    BadAnswer,
    excerpt_of,
    expect_object,
    json_type,
    load_json,
    loose_str,
    opt_str,
    timestamp_field,
    total,
)

_UNSET_COMMITS = frozenset({"", "null", "none", "(not set)", "not set", "unknown", "undefined"})
_HEX = re.compile(r"[0-9a-fA-F]+")


@dataclass(frozen=True)
class Version:
    service: str | None
    source_commit: str | None  # None when unset ("(not set)", "", null)
    environment: str | None
    api_version: str | None  # `api_version`, or `version` in the March-era field set
    started_at: datetime | None
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    python_version: str | None = None
    uptime_seconds: float | None = None
    shape: str = "runbook"  # "runbook" (service/api_version/started_at) | "march" (version/uptime)

    @property
    def commit_set(self) -> bool:
        return self.source_commit is not None


@total("/api/v1/ops/version")
def parse_version(body: Any, *, endpoint: str = "/api/v1/ops/version", max_bytes: int | None = None) -> Version:
    """Both documented field sets: service/source_commit/environment/api_version/started_at (PROD)
    and version/source_commit/python_version/uptime_seconds (2026-03); admin has no api_version."""
    data = expect_object(load_json(body, endpoint=endpoint, max_bytes=max_bytes), endpoint, body)
    known = {"service", "source_commit", "version", "api_version", "environment", "started_at"}
    if not known & data.keys():
        raise BadAnswer(endpoint, "none of the version fields (service, source_commit, version) present",
                        excerpt_of(body))
    commit = opt_str(data, "source_commit", endpoint, body)
    if commit is not None:
        commit = commit.strip()
        if commit.lower() in _UNSET_COMMITS:
            commit = None
    api_version = data.get("api_version", data.get("version"))
    if api_version is not None and not isinstance(api_version, str):
        if isinstance(api_version, (int, float)) and not isinstance(api_version, bool):
            api_version = str(api_version)
        else:
            raise BadAnswer(endpoint, f"api_version is {json_type(api_version)}", excerpt_of(body))
    uptime = data.get("uptime_seconds")
    if isinstance(uptime, bool) or not isinstance(uptime, (int, float)) or not math.isfinite(uptime):
        uptime = None
    return Version(
        service=opt_str(data, "service", endpoint, body),
        source_commit=commit,
        environment=opt_str(data, "environment", endpoint, body),
        api_version=api_version,
        started_at=timestamp_field(data, "started_at", endpoint, body, strict=False),
        raw=data,
        python_version=loose_str(data.get("python_version")),
        uptime_seconds=float(uptime) if uptime is not None else None,
        shape="march" if ("uptime_seconds" in data or "python_version" in data) and "service" not in data
        else "runbook",
    )


def commit_matches(deployed: str | None, expected: str) -> bool:
    """The verify-deploy rule: the deployed commit starts with the expected one, case-insensitively.

    None (SOURCE_COMMIT unset) never matches. A deployed *short* SHA (>= 7 hex) that is a prefix of
    the expected full SHA also matches, since both name the same commit.
    """
    if not isinstance(deployed, str) or not isinstance(expected, str):
        return False
    d, e = deployed.strip().lower(), expected.strip().lower()
    if not d or not e or not _HEX.fullmatch(d) or not _HEX.fullmatch(e):
        return False
    return d.startswith(e) or (len(d) >= 7 and e.startswith(d))


def validate_expected_commit(s: Any) -> str:
    """A git SHA given as the expected deploy: hex, at least 7 characters. Returns it lowercased."""
    if not isinstance(s, str):
        raise ValueError(f"expected commit must be a git SHA string, got {type(s).__name__}")  # noqa: TRY004
    v = s.strip()
    if not v:
        raise ValueError("expected commit is empty: pass --expected-commit <sha> or set EXPECTED_COMMIT")
    if not _HEX.fullmatch(v):
        raise ValueError(f"expected commit {v[:50]!r} is not a hex git SHA (did you pass a branch or tag name? "
                         "use `git rev-parse HEAD`)")
    if len(v) < 7:
        raise ValueError(f"expected commit {v!r} is too short: give at least 7 hex characters")
    if len(v) > 64:
        raise ValueError(f"expected commit is {len(v)} characters long; a git SHA has 40 (or 64)")
    return v.lower()


