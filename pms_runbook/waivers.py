"""Waivers (waivers.toml): a red flag the team knows about, with a reason, a ticket, an owner and an expiry.

    [[waiver]]
    redflag = "D4.2"
    match = { connection = "4d6bc3d0-..." }   # optional: narrows to what the check observed
    reason = "partner API outage, retries pending"
    ticket = "OPS-123"
    owner = "oncall@example.com"
    expires = 2026-12-31                       # through the end of that day, UTC

A waived red flag is WAIVED (never passed) and does not make the exit code 1; an expired waiver is
ignored and said so; a waiver that matched nothing is reported as unused. Blocker red flags cannot be
waived, and a malformed entry is a configuration error naming its line (both: exit 4).

`match` holds for a red flag when every key names a value the check observed: a value it gave
`red_flag(..., key=value)`, a parameter of the check (`container`), or, for a key the check did not
name, the value appearing in its message (observed or fix).
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pms_runbook.config import ConfigError

FILE = "waivers.toml"
REQUIRED = ("redflag", "reason", "ticket", "owner", "expires")
KEYS = {*REQUIRED, "match"}
_ID = re.compile(r"[A-Z]\d+(\.\d+)?$")


@dataclass
class Waiver:
    index: int
    line: int
    redflag: str
    reason: str
    ticket: str
    owner: str
    expires: dt.date
    match: dict[str, str] = field(default_factory=dict)

    def expired(self, now: dt.datetime | None = None) -> bool:
        now = now or dt.datetime.now(dt.UTC)
        return now.date() > self.expires

    def label(self) -> str:
        narrowed = "".join(f" {k}={v}" for k, v in self.match.items())
        return f"{self.redflag}{narrowed}"

    def as_dict(self) -> dict:
        return {"redflag": self.redflag, "match": dict(self.match), "reason": self.reason, "ticket": self.ticket,
                "owner": self.owner, "expires": self.expires.isoformat(), "line": self.line}

    def matches(self, ids: list[str], values: Mapping[str, object], params: Mapping[str, object], text: str) -> bool:
        if self.redflag not in ids:
            return False
        for key, want in self.match.items():
            if key in values:
                if str(values[key]) != want:
                    return False
            elif key in params:
                if str(params[key]) != want:
                    return False
            elif want not in text:
                return False
        return True


def _lines(text: str) -> list[int]:
    """The line of each `[[waiver]]` header, in order."""
    return [i + 1 for i, line in enumerate(text.splitlines()) if line.strip().startswith("[[waiver]]")]


def load(path: Path, *, severity_of=None) -> list[Waiver]:
    """The waivers of `path`; ConfigError naming the line of what is wrong."""
    from pms_runbook.catalogue import load as catalogue

    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message names the line and column
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown_top = set(raw) - {"waiver"}
    if unknown_top:
        raise ConfigError(f"{path}: unknown table(s) {', '.join(sorted(unknown_top))}; entries are [[waiver]]")
    entries, lines = raw.get("waiver", []), _lines(text)
    flags = catalogue().flags
    out = []
    for i, entry in enumerate(entries):
        line = lines[i] if i < len(lines) else 0
        where = f"{path}, line {line} (waiver {i + 1})"
        missing = [k for k in REQUIRED if k not in entry]
        if missing:
            raise ConfigError(f"{where}: missing {', '.join(missing)}")
        unknown = set(entry) - KEYS
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        fid = entry["redflag"]
        if not isinstance(fid, str) or not _ID.match(fid) or fid not in flags:
            raise ConfigError(f"{where}: redflag {fid!r} is not a red-flag ID of the catalogue")
        expires = entry["expires"]
        if isinstance(expires, dt.datetime) or not isinstance(expires, dt.date):
            raise ConfigError(f"{where}: expires must be a date such as 2026-12-31 (through the end of that day, UTC)")
        for key in ("reason", "ticket", "owner"):
            if not isinstance(entry[key], str) or not entry[key].strip():
                raise ConfigError(f"{where}: {key} must be a non-empty string")
        match = entry.get("match", {})
        if not isinstance(match, dict) or not all(isinstance(v, str | int) for v in match.values()):
            raise ConfigError(f"{where}: match must be a table of values, e.g. match = {{ connection = \"...\" }}")
        severity = flags[fid].severity
        if severity == "blocker":
            raise ConfigError(f"{where}: {fid} is a blocker red flag ({flags[fid].title}) and cannot be waived")
        out.append(Waiver(i, line, fid, entry["reason"], entry["ticket"], entry["owner"], expires,
                          {k: str(v) for k, v in match.items()}))
    return out


def find(waivers: list[Waiver], ids: list[str], values: Mapping, params: Mapping, text: str,
         now: dt.datetime | None = None) -> tuple[Waiver | None, list[Waiver]]:
    """The first live waiver for this red flag, and the expired ones that would have matched."""
    expired = []
    for w in waivers:
        if w.matches(ids, values, params, text):
            if w.expired(now):
                expired.append(w)
            else:
                return w, expired
    return None, expired


def waived_text(w: Waiver, red_flag_text: str) -> str:
    return (f"WAIVED: {w.label()} until {w.expires.isoformat()} (end of day, UTC), owner {w.owner}, "
            f"ticket {w.ticket}: {w.reason}\n{red_flag_text}")
