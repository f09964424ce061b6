"""reports/remediation-audit.jsonl: every plan and every action of a remedy, appended, scrubbed of secrets:
who, when, what, to what, before and after, result."""
from __future__ import annotations

import datetime as dt
import getpass
import json
import socket
from pathlib import Path
from typing import Any

from pms_runbook import secrets

FILE = "remediation-audit.jsonl"


def who() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001  (no login name in a container)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def append(path: Path, kind: str, **fields: Any) -> dict:
    entry = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "who": who(), "kind": kind, **fields}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(secrets.scrub(json.dumps(entry, ensure_ascii=False, default=str)) + "\n")
    return entry
