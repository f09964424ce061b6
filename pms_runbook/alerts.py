"""Alerts of a run: Alertmanager's v2 API (one alert per root cause, ended when the check passes again)
and a Slack-compatible incoming webhook (one message per run that changed state).

    alert labels       alertname=PmsRunbookRedFlag, redflag, severity, environment, check, outcome
    alert annotations  summary, observed, fix, runbook, report

An alert is posted with endsAt a margin ahead (the dead-man's margin, 26 h by default), so it stays firing
until the next run ends it (endsAt = now) or no run comes (then it expires; the dead-man's switch says so).
Every call has a timeout; an answer other than 2xx is an error the caller reports.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import httpx

from pms_runbook import secrets
from pms_runbook.catalogue import severity_of
from pms_runbook.redflag import parse

ALERTNAME = "PmsRunbookRedFlag"
TIMEOUT = 10.0


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def check_label(nodeid: str) -> str:
    return nodeid.rsplit("::", 1)[-1]


def alert(result: Mapping, *, environment: str, report: str, starts: dt.datetime, ends: dt.datetime) -> dict:
    """The alert of one failing check (a root cause)."""
    ids = list(result.get("ids") or [])
    text = result.get("text", "")
    parts = parse(text) if result["outcome"] == "red_flag" else {"words": text.splitlines()[0] if text else "",
                                                                   "observed": "", "fix": "", "see": ""}
    if result["outcome"] == "could_not_check":
        parts["fix"] = text.partition("\nhint: ")[2].strip()
    labels = {"alertname": ALERTNAME, "redflag": ids[0] if ids else "none", "severity": severity_of(ids) or "normal",
              "environment": environment, "check": check_label(result["nodeid"]), "outcome": result["outcome"]}
    summary = f"{labels['redflag']}: {parts['words'] or text.splitlines()[0] if text else ''}"
    annotations = {"summary": summary, "observed": parts["observed"][:2000], "fix": parts["fix"],
                   "runbook": parts["see"], "report": report, "nodeid": result["nodeid"]}
    return {"labels": labels, "annotations": {k: secrets.scrub(v) for k, v in annotations.items() if v},
            "startsAt": _iso(starts), "endsAt": _iso(ends)}


def resolved(labels: Mapping[str, str], annotations: Mapping[str, str], starts: str | None, now: dt.datetime) -> dict:
    out = {"labels": dict(labels), "annotations": dict(annotations), "endsAt": _iso(now)}
    if starts:
        out["startsAt"] = starts
    return out


def post(base: str, alerts: list[dict]) -> None:
    if not alerts:
        return
    r = httpx.post(f"{base.rstrip('/')}/api/v2/alerts", json=alerts, timeout=TIMEOUT)
    if r.status_code // 100 != 2:
        raise httpx.HTTPStatusError(f"Alertmanager answered {r.status_code}: {r.text[:200]}", request=r.request,
                                    response=r)


def active(base: str, environment: str) -> list[dict]:
    """The runbook's alerts of this environment that Alertmanager holds as active (read-only GET)."""
    r = httpx.get(f"{base.rstrip('/')}/api/v2/alerts",
                  params=[("filter", f'alertname="{ALERTNAME}"'), ("filter", f'environment="{environment}"'),
                          ("silenced", "true"), ("inhibited", "true"), ("active", "true")], timeout=TIMEOUT)
    r.raise_for_status()
    return [a for a in r.json() if a.get("status", {}).get("state") != "resolved"]


def webhook_text(line: str, previous: str | None, roots: Iterable[Mapping], report: str) -> str:
    """The chat message of a run that changed state: the summary line, then each root cause and its fix."""
    head = f"{line}" + (f" (was {previous.replace('_', ' ')})" if previous else "")
    out = [head]
    for r in roots:
        parts = parse(r.get("text", ""))
        ids = r.get("ids") or ["?"]
        out.append(f"• {ids[0]} {check_label(r['nodeid'])}: {parts['words'] or r.get('text', '').splitlines()[0]}")
        if parts["fix"]:
            out.append(f"   fix: {parts['fix'].splitlines()[0]}")
        if parts["see"]:
            out.append(f"   runbook: {parts['see']}")
    out.append(f"report: {report}")
    return secrets.scrub("\n".join(out))


def notify(url: str, text: str) -> None:
    r = httpx.post(url, json={"text": text}, timeout=TIMEOUT)
    if r.status_code // 100 != 2:
        raise httpx.HTTPStatusError(f"the webhook answered {r.status_code}", request=r.request, response=r)
