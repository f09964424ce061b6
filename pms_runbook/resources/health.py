"""GET /health (liveness) and GET /health/ready (readiness): data types and parsers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pms_runbook.resources.answer import (
    BadAnswer,
    compact_repr,
    excerpt_of,
    expect_object,
    json_type,
    load_json,
    loose_str,
    opt_str,
    timestamp_field,
    total,
)

LIVE_STATUSES = frozenset({"up", "healthy", "ok"})


@dataclass(frozen=True)
class Liveness:
    status: str
    checked_at: datetime | None = None
    service: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def alive(self) -> bool:
        return self.status.strip().lower() in LIVE_STATUSES


@total("/health")
def parse_liveness(body: Any, *, endpoint: str = "/health", max_bytes: int | None = None) -> Liveness:
    """`{"status":"up","checked_at":…}` (PROD) or the older `healthy` / `ok` (+`service`) bodies."""
    data = expect_object(load_json(body, endpoint=endpoint, max_bytes=max_bytes), endpoint, body)
    status = opt_str(data, "status", endpoint, body)
    if status is None:
        raise BadAnswer(endpoint, "no `status` field", excerpt_of(body))
    return Liveness(
        status=status,
        checked_at=timestamp_field(data, "checked_at", endpoint, body, strict=False),
        service=loose_str(data.get("service")),
        raw=data,
    )


_UP_WORDS = frozenset({"up", "ok", "healthy", "ready", "pass", "passing", "true"})
_DOWN_WORDS = frozenset({"down", "unhealthy", "degraded", "error", "fail", "failed", "failing",
                         "not_ready", "unavailable", "false"})
_SKIPPED_WORDS = frozenset({"skipped", "disabled"})
_COMPONENT_ALIASES = {"database": "db", "postgres": "db", "postgresql": "db", "broker": "redis",
                      "worker": "celery", "workers": "celery"}
_READY_META_KEYS = frozenset({"status", "checked_at", "components", "checks", "celery_workers",
                              "timestamp", "version", "service", "message", "detail", "error"})


def _norm_status(v: Any) -> str:
    """Normalise a status word: up / down / skipped, or the lowercased unknown word as is."""
    if isinstance(v, bool):
        return "up" if v else "down"
    s = str(v).strip().lower()[:64]
    if s in _UP_WORDS:
        return "up"
    if s in _DOWN_WORDS:
        return "down"
    if s in _SKIPPED_WORDS:
        return "skipped"
    return s or "unknown"


@dataclass(frozen=True)
class Component:
    name: str
    status: str  # "up" | "down" | "skipped" | an unknown word, lowercased
    details: dict | None = None
    error: str | None = None
    checked_at: datetime | None = None

    @property
    def up(self) -> bool:
        return self.status == "up"

    @property
    def skipped(self) -> bool:
        return self.status == "skipped" or bool(self.details and self.details.get("skipped") is True)

    @property
    def down(self) -> bool:
        return not self.up and not self.skipped


@dataclass(frozen=True)
class Readiness:
    status: str  # "up" | "down"
    components: dict[str, Component]
    shape: str  # "components" (PROD) | "checks" (legacy ready/degraded) | "flat"
    raw_status: str = ""
    checked_at: datetime | None = None
    celery_workers: tuple[str, ...] | None = None  # legacy top-level list, if present
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def up(self) -> bool:
        return self.status == "up"

    @property
    def down_components(self) -> list[str]:
        return [name for name, c in self.components.items() if c.down]

    @property
    def workers(self) -> list[str] | None:
        """Celery worker names: `components.celery.details.workers`, else legacy `celery_workers`."""
        celery = self.components.get("celery")
        if celery is not None and celery.details is not None and "workers" in celery.details:
            found = _workers(celery.details.get("workers"))
            if found is not None:
                return found
        if self.celery_workers is not None:
            return list(self.celery_workers)
        return None

    @property
    def worker_count(self) -> int | None:
        """How many Celery workers: the names counted, else the number celery's error gives when `details` is null
        ("Expected exactly 1 worker, found 2", contract §3: the count is in the error), 0 for "No active Celery
        workers"; None when the answer does not say."""
        if self.workers is not None:
            return len(self.workers)
        celery = self.components.get("celery")
        error = (celery.error or "") if celery is not None else ""
        found = re.search(r"\bfound (\d+)", error)
        if found:
            return int(found.group(1))
        return 0 if re.search(r"no active celery workers", error, re.IGNORECASE) else None

    def component(self, name: str) -> Component | None:
        return self.components.get(_COMPONENT_ALIASES.get(name, name))


def _workers(v: Any) -> list[str] | None:
    if isinstance(v, str):
        return [v]
    if isinstance(v, list):
        return [w if isinstance(w, str) else compact_repr(w, 200) for w in v[:1000]]
    if isinstance(v, dict):  # celery inspect style {"celery@x": {...}}
        return [str(k) for k in list(v)[:1000]]
    return None


def _component(name: str, value: Any, endpoint: str, body: Any, default_checked: datetime | None) -> Component:
    name = _COMPONENT_ALIASES.get(name, name)
    if isinstance(value, dict):
        if "status" not in value:
            raise BadAnswer(endpoint, f"component {name!r} has no status", excerpt_of(body))
        st = value.get("status")
        if not isinstance(st, (str, bool)):
            raise BadAnswer(endpoint, f"component {name!r} status is {json_type(st)}", excerpt_of(body))
        details = value.get("details")
        if details is not None and not isinstance(details, dict):
            details = {"value": details}
        checked = timestamp_field(value, "checked_at", endpoint, body, strict=False) or default_checked
        return Component(name, _norm_status(st), details, loose_str(value.get("error")), checked)
    if isinstance(value, (str, bool)):
        return Component(name, _norm_status(value), None, None, default_checked)
    raise BadAnswer(endpoint, f"component {name!r} is {json_type(value)}", excerpt_of(body))


@total("/health/ready")
def parse_readiness(body: Any, *, endpoint: str = "/health/ready", max_bytes: int | None = None) -> Readiness:
    """The three documented readiness shapes, normalised.

    - PROD: `{"status":"up|down","components":{"db":{status,details,error,checked_at},…},"checked_at"}`
    - legacy: `{"status":"ready|degraded","checks":{"database":"up",…},"celery_workers":[…]}`
    - flat: `{"status":"healthy|unhealthy","db":"up","redis":"up","celery":"up"}`
    """
    data = expect_object(load_json(body, endpoint=endpoint, max_bytes=max_bytes), endpoint, body)
    raw_status = data.get("status")
    if raw_status is None:
        raise BadAnswer(endpoint, "no `status` field (an error body instead of a readiness answer?)",
                        excerpt_of(body))
    if not isinstance(raw_status, (str, bool)):
        raise BadAnswer(endpoint, f"`status` is {json_type(raw_status)}, expected a string", excerpt_of(body))
    checked_at = timestamp_field(data, "checked_at", endpoint, body, strict=False)

    components: dict[str, Component] = {}
    # PROD nests the components in `components`, legacy in `checks`; else they stand flat.
    shape = next((key for key in ("components", "checks") if data.get(key) is not None), "flat")
    if shape != "flat":
        comps = data[shape]
        if not isinstance(comps, dict):
            raise BadAnswer(endpoint, f"`{shape}` is {json_type(comps)}, expected an object", excerpt_of(body))
        items = comps.items()
    else:
        items = [(k, v) for k, v in data.items()
                 if k not in _READY_META_KEYS and (isinstance(v, (str, bool)) or
                                                   (isinstance(v, dict) and "status" in v))]
    for name, value in list(items)[:200]:
        comp = _component(str(name)[:100], value, endpoint, body, checked_at)
        components[comp.name] = comp

    celery_workers = None
    if "celery_workers" in data:
        w = _workers(data.get("celery_workers"))
        celery_workers = tuple(w) if w is not None else None

    status = _norm_status(raw_status)
    if status != "up":
        status = "down"  # not positively up is not ready; raw_status keeps the word
    return Readiness(status=status, components=components, shape=shape, raw_status=str(raw_status),
                     checked_at=checked_at, celery_workers=celery_workers, raw=data)


def down_summary(ready: Readiness | None) -> str:
    """The components /health/ready reports down, with their errors: 'db: connection refused, ...'."""
    if ready is None:
        return "-"
    return ", ".join(f"{n}: {ready.components[n].error or ready.components[n].status}"
                     for n in ready.down_components) or "-"
