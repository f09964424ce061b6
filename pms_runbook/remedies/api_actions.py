"""The API remedies, with the elevated API token: trigger a full sync of a connection that had no batch in the
window (runbook Step 4, red flag D4.1), as the runbook's curl does:

    POST {api_url}/api/v1/channel-connections/{cid}/sync  {"sync_type": "full"}  (header x-agency-id)

Every request has the run's HTTP timeouts; the lab's edge (pinned names, its CA) is honoured as the checks'
targets honour it. The checks' transport refuses to write: this module has its own client, used only here.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

SYNC_PATH = "/api/v1/channel-connections/{cid}/sync"
READY_PATH = "/health/ready"


def client(base_url: str, settings):
    """An httpx client for `base_url` with the run's timeouts, and the edge's pins and CA on its host names."""
    import httpx

    from pms_runbook.transports.http import Timeouts, _pin, parse_pins, tls_context_for

    timeouts = Timeouts(connect=settings.http_connect_timeout, read=settings.http_read_timeout,
                        total=settings.http_total_deadline)
    try:
        pins = parse_pins(settings.edge_resolve)
    except ValueError:
        pins = {}
    ca = settings.edge_ca_file if urlsplit(base_url).hostname in {p.split(":")[0] for p in pins} else None
    c = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeouts.httpx(), verify=tls_context_for(ca),
                     headers={"User-Agent": "pms-runbook --fix"}, follow_redirects=False)
    if pins:
        _pin(c, pins)
    return c


def backend_ready(settings) -> tuple[bool, str]:
    """GET /health/ready answers 200 (read only): a trigger to a backend that is not ready is refused."""
    try:
        with client(settings.api_url, settings) as c:
            status = c.get(READY_PATH).status_code
    except Exception as exc:  # noqa: BLE001  (any failure to answer: the precondition does not hold)
        return False, f"{settings.api_url}{READY_PATH}: no answer ({type(exc).__name__})"
    return status == 200, f"{settings.api_url}{READY_PATH}: HTTP {status}"


def connections(values: list[dict]) -> list[dict]:
    """One trigger per connection: the observed (cid, agency) pairs, first seen first, without repeats."""
    seen, out = set(), []
    for v in values:
        if v.get("cid") and v["cid"] not in seen:
            seen.add(v["cid"])
            out.append({"cid": v["cid"], "agency": v.get("agency"), "via": v.get("via")})
    return out


def trigger_sync(settings, token: str, values: list[dict], budget: int) -> tuple[dict, dict, int]:
    """POST a full sync for each observed connection, at most `budget`; (before, after, triggers sent)."""
    wanted = connections(values)
    todo = wanted[:max(0, budget)]
    before: dict[str, Any] = {"connections": [w["cid"] for w in wanted]}
    results = []
    with client(settings.api_url, settings) as c:
        for w in todo:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            if w["agency"]:
                headers["x-agency-id"] = w["agency"]
            answer = c.post(SYNC_PATH.format(cid=w["cid"]), json={"sync_type": "full"}, headers=headers)
            body = _json(answer)
            results.append({"cid": w["cid"], "http": answer.status_code, "status": body.get("status"),
                            "batch_id": body.get("batch_id")})
            if answer.status_code >= 300:
                detail = body.get("detail") or body.get("message") or answer.text[:200]
                raise TriggerFailed(f"POST {SYNC_PATH.format(cid=w['cid'])} answered HTTP {answer.status_code}: "
                                    f"{detail}", results)
    after = {"triggered": results, "not_triggered (action cap)": [w["cid"] for w in wanted[len(todo):]]}
    return before, after, len(results)


class TriggerFailed(Exception):
    def __init__(self, message: str, results: list[dict]):
        super().__init__(message)
        self.results = results


def _json(answer) -> dict:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
