"""The run history (reports/history.jsonl, or a path a CI cache keeps): one JSON line per check per run,
and one per run, appended at the end of each run of checks.

    {"type": "run", "run": "<id>", "time": "2026-12-02T01:00:00+00:00", "profile": "lab", "schedule": "nightly",
     "verdict": "red_flag", "exit_code": 1, "duration": 12.3, "counts": {...}, "root_causes": [...]}
    {"type": "check", "run": "<id>", "time": ..., "profile": ..., "schedule": ..., "nodeid": ..., "ids": [...],
     "outcome": "red_flag", "duration": 0.4, "figures": {"connection": "...", "share": "0.42"}, "alerted": true}

From it, per check: "red since <time> (N runs)" and "flaky: 3 of the last 10 runs".
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

RED = ("red_flag",)
FAILING = ("red_flag", "could_not_check")
WINDOW = 10


def read(path: Path) -> list[dict]:
    """Every record of the file; a line that is not JSON (a torn write) is skipped."""
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def append(path: Path, records: Iterable[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")


def parse_time(text: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(text)
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


@dataclass
class Trend:
    red_since: str | None  # the time of the first run of the current red streak
    red_runs: int  # runs in that streak (this one included)
    failed: int  # failing runs among the last `window`
    window: int  # runs of this check looked at (at most WINDOW)
    flaky: bool

    def text(self) -> str:
        parts = []
        if self.red_runs:
            parts.append(f"red since {self.red_since} ({self.red_runs} run{'s' if self.red_runs != 1 else ''})")
        if self.flaky:
            parts.append(f"flaky: {self.failed} of the last {self.window} runs")
        return "; ".join(parts)

    def as_dict(self) -> dict:
        return {"red_since": self.red_since, "red_runs": self.red_runs, "flaky": self.flaky,
                "failed_of_last": [self.failed, self.window], "text": self.text()}


def trend(outcomes: list[tuple[str, str]], window: int = WINDOW) -> Trend:
    """From this check's (time, outcome) in run order, the newest last: its red streak and flakiness.
    Flaky: among the last `window` runs both red and passing, changing state at least twice."""
    streak, since = 0, None
    for time, outcome in reversed(outcomes):
        if outcome not in RED:
            break
        streak, since = streak + 1, time
    last = [o for _, o in outcomes[-window:] if o in ("passed", *FAILING, "waived")]
    failed = sum(o in FAILING for o in last)
    changes = sum((a in FAILING) != (b in FAILING) for a, b in zip(last, last[1:], strict=False))
    return Trend(since, streak, failed, len(last), 0 < failed < len(last) and changes >= 2)


def check_outcomes(records: list[dict], nodeid: str, profile: str | None = None) -> list[tuple[str, str]]:
    return [(r["time"], r["outcome"]) for r in records
            if r.get("type") == "check" and r.get("nodeid") == nodeid
            and (profile is None or r.get("profile") == profile)]


def runs(records: list[dict], *, schedule: str | None = None, profile: str | None = None) -> list[dict]:
    return [r for r in records if r.get("type") == "run" and (schedule is None or r.get("schedule") == schedule)
            and (profile is None or r.get("profile") == profile)]


def last_alerted(records: list[dict], profile: str | None) -> dict[str, dict]:
    """The checks alerted by the last run of this profile that alerted anything: nodeid -> its record."""
    by_run: dict[str, dict[str, dict]] = {}
    order: list[str] = []
    for r in records:
        if r.get("type") == "check" and r.get("profile") == profile:
            if r["run"] not in by_run:
                order.append(r["run"])
                by_run[r["run"]] = {}
            if r.get("alerted"):
                by_run[r["run"]][r["nodeid"]] = r
    return by_run[order[-1]] if order else {}


# The key figures of a check, read from the resources it was given (its fixtures), by fixture name:
# each gives {figure name: value} or {figure name: {label value: value}} (a figure per connection).
def _failed_share(coverage) -> dict:
    return {"failed_share": {cid: round(c.window.failed_share, 4) for cid, c in coverage.checked.items()}}


def _retention(retention) -> dict:
    return {"sync_logs_beyond_retention": retention.older, "sync_logs_total": retention.total}


FIGURES = {"step4": _failed_share, "retention": _retention}


def figures(funcargs: dict) -> dict:
    out: dict = {}
    for name, read in FIGURES.items():
        if name in funcargs:
            try:
                out.update(read(funcargs[name]))
            except (AttributeError, TypeError, ValueError):  # a resource of another shape: no figure
                pass
    return out


# ------------------------------------------------------------------- the dead-man's switch reads these

COMPLETED = (0, 1, 10)  # a run that reached its verdict (not interrupted, not a configuration error)


def last_completed(records: list[dict], schedule: str, profile: str | None) -> dict | None:
    done = [r for r in runs(records, schedule=schedule, profile=profile) if r.get("exit_code") in COMPLETED]
    return max(done, key=lambda r: parse_time(r["time"])) if done else None


def pushgateway_last_run(url: str, environment: str, schedule: str, timeout: float = 10.0) -> dt.datetime | None:
    """pms_runbook_last_run_timestamp_seconds of this environment and schedule, from the Pushgateway's API."""
    import httpx

    r = httpx.get(f"{url.rstrip('/')}/api/v1/metrics", timeout=timeout)
    r.raise_for_status()
    for group in r.json().get("data", []):
        labels = group.get("labels", {})
        if labels.get("job") != "pms_runbook" or labels.get("instance") != environment \
                or labels.get("schedule") != schedule:
            continue
        family = group.get("pms_runbook_last_run_timestamp_seconds")
        for metric in (family or {}).get("metrics", []):
            return dt.datetime.fromtimestamp(float(metric["value"]), dt.UTC)
    return None


def human_age(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"
