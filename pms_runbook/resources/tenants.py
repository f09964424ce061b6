"""Step 4 over every tenant: which active connections exist, which were read and how (API or SQL).

The ops user's token acts for one agency at a time (contract §3.2). Its agencies come from the read-only
database (`team_members` by the token's `sub`); each is read through the API with `x-agency-id`. The active
connections of every other agency are read through the database (`resources.database`), with the same figures. The
database also cross-checks the API: an active connection of a member agency that the API did not list is
named. A connection that neither could read is kept with the reason, never dropped.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pms_runbook.redflag import CouldNotCheck
from pms_runbook.resources import database
from pms_runbook.resources.channel_manager import BatchWindow, summarize

API, SQL = "API", "SQL"
COVERAGE_PROPERTY = "step4_coverage"  # user property of the Step 4 checks: the summary line
GRANT_HINT = ("give PMS_DB_DSN of the read-only role (README: A read-only database role for the suite); it reads "
              "team_members, agencies, channel_connections and channel_sync_logs")


@dataclass(frozen=True)
class Agency:
    id: str
    name: str | None
    member: bool

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})" if self.name else self.id


@dataclass(frozen=True)
class Checked:
    connection_id: str
    agency: Agency
    via: str  # API | SQL
    window: BatchWindow

    @property
    def label(self) -> str:
        return f"connection {self.connection_id} of agency {self.agency.label}, read via {self.via}"


@dataclass
class Coverage:
    """What Step 4 saw: windows of the connections read, and why the others could not be read."""

    checked: dict[str, Checked] = field(default_factory=dict)
    unread: dict[str, str] = field(default_factory=dict)  # connection (with agency) -> why
    not_listed: list[str] = field(default_factory=list)  # member-agency connections the API did not list
    blind: list[str] = field(default_factory=list)  # what no reader could see at all (no DSN, hidden rows)
    agencies: dict[str, Agency] = field(default_factory=dict)

    def where(self, pick: Callable[[BatchWindow], bool]) -> dict[str, Checked]:
        return {cid: c for cid, c in self.checked.items() if pick(c.window)}

    def summary(self) -> str:
        via = {API: [c for c in self.checked.values() if c.via == API],
               SQL: [c for c in self.checked.values() if c.via == SQL]}
        api_agencies = {c.agency.id for c in via[API]}
        agencies = {c.agency.id for c in self.checked.values()}
        text = (f"Step 4: {len(self.checked)} active connections of {len(agencies)} agencies "
                f"({len(via[API])} via API for {len(api_agencies)} member agencies, {len(via[SQL])} via SQL)")
        if self.unread:
            text += f"; {len(self.unread)} could not be read"
        if self.not_listed:
            text += f"; {len(self.not_listed)} not listed by the API"
        if self.blind:
            text += "; not seen: " + "; ".join(self.blind)
        return text

    def details(self) -> str:
        lines = [self.summary(), ""]
        lines += [f"{c.via}  {c.agency.label}  {cid}  {c.window.total} batch(es), failed {c.window.failed}"
                  for cid, c in sorted(self.checked.items(), key=lambda kv: (kv[1].agency.label, kv[0]))]
        lines += [f"UNREAD  {what}: {why}" for what, why in self.unread.items()]
        return "\n".join(lines)

    def require_all_read(self) -> None:
        """No red flag among what was read: say what was not (a pass would claim more than was checked)."""
        if self.unread:
            shown = "\n".join(f"{what}: {why}" for what, why in list(self.unread.items())[:20])
            raise CouldNotCheck(f"{len(self.unread)} active connection(s) of Step 4", f"they could not be read:\n{shown}",
                                hint=_hint(self.unread.values()))


def _hint(reasons) -> str | None:
    text = " ".join(reasons)
    if "batch_pages_max" in text:
        return "raise batch_pages_max in environments.toml (or PMS_BATCH_PAGES_MAX)"
    if "PMS_DB_DSN" in text or "database" in text:
        return GRANT_HINT
    return None


def token_subject(token) -> str | None:
    """The token's `sub` (the user id), read without verifying: the API verifies it, we only need who it is."""
    try:
        payload = token.reveal().split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, AttributeError):
        return None
    sub = claims.get("sub") if isinstance(claims, dict) else None
    return sub if isinstance(sub, str) and sub else None


def gather(pms, token, db, *, hours: float, now: datetime, max_pages: int) -> Coverage:
    """Every active connection of every agency, read via the API (member agencies) or SQL (the rest).

    db: a read-only connection, or None (no PMS_DB_DSN), or a CouldNotCheck (the database is unusable).
    """
    cov = Coverage()
    db_error = db if isinstance(db, CouldNotCheck) else None
    db = None if db_error else db
    db_conns: list[database.DbConnection] | None = None
    members: list[tuple[str, str | None, str]] = []
    if db is not None:
        try:
            db_conns = database.connections(db)
            sub = token_subject(token)
            members = database.memberships(db, sub) if sub else []
        except CouldNotCheck as exc:
            db_conns, db_error = None, exc
    names = {c.agency_id: c.agency_name for c in db_conns or ()}
    for agency_id, name, _role in members:
        cov.agencies[agency_id] = Agency(agency_id, name or names.get(agency_id), member=True)

    _read_members_via_api(cov, pms, token, members, db_conns, hours=hours, now=now, max_pages=max_pages)

    if db_conns is None:
        cov.blind.append("agencies the ops user is not a member of, and its memberships beyond the default agency: "
                         + (f"the database could not be read ({db_error.because})" if db_error
                            else "no PMS_DB_DSN"))
        return cov

    member_ids = {a for a, _n, _r in members} | {c.agency.id for c in cov.checked.values() if c.via == API}
    others = [c for c in db_conns if c.status == "active" and c.agency_id not in member_ids]
    for c in others:
        cov.agencies.setdefault(c.agency_id, Agency(c.agency_id, c.agency_name, member=False))
    try:
        found = database.batches(db, [c.id for c in others], now - timedelta(hours=hours))
    except CouldNotCheck as exc:
        for c in others:
            cov.unread[f"connection {c.id} of agency {cov.agencies[c.agency_id].label} (SQL)"] = exc.because
        return cov
    for c in others:
        cov.checked[c.id] = Checked(c.id, cov.agencies[c.agency_id], SQL,
                                    summarize(found.get(c.id, []), now=now, hours=hours))

    # The cross-check: what the database holds as active in a member agency, the API must have listed.
    api_seen = {c.connection_id for c in cov.checked.values() if c.via == API}
    unread_ids = {k.split()[1] for k in cov.unread if k.startswith("connection ")}
    for c in db_conns:
        if c.status == "active" and c.agency_id in member_ids and c.id not in api_seen and c.id not in unread_ids:
            cov.not_listed.append(f"connection {c.id} of agency {cov.agencies[c.agency_id].label}: active in the "
                                  "database, not among the API's active connections")
    known = {c.id for c in db_conns}
    hidden = sorted(api_seen - known)
    if hidden:
        cov.blind.append(f"{len(hidden)} connection(s) the API lists are invisible to the database role "
                         f"({', '.join(hidden[:5])}): row-level security or grants hide rows, so other agencies' "
                         "connections may be hidden too")
    return cov


def _read_members_via_api(cov: Coverage, pms, token, members, db_conns, *, hours, now, max_pages) -> None:
    """Each member agency through the API with x-agency-id (no membership known: the token's default agency)."""
    targets = [(a, True) for a, _n, _r in members] or [(None, False)]
    for agency_id, explicit in targets:
        try:
            listed = [c for c in pms.connections(token, agency_id if explicit else None, max_pages=max_pages)
                      if c.active]
        except CouldNotCheck as exc:
            if not explicit:
                raise
            known = [c for c in db_conns or () if c.status == "active" and c.agency_id == agency_id]
            for c in known:
                cov.unread[f"connection {c.id} of agency {cov.agencies[agency_id].label} (API)"] = \
                    f"the API could not be read: {exc.because}"
            if not known:  # none known active, but the API must be readable to say so
                cov.unread[f"agency {cov.agencies[agency_id].label} (API)"] = \
                    f"its connection list could not be read: {exc.because}"
            continue
        if not explicit:  # the default agency: its id is the connections' tenant_id
            tenant = next((str(c.raw.get("tenant_id")) for c in listed if c.raw.get("tenant_id")), "default agency")
            agency_id = tenant
            cov.agencies.setdefault(tenant, Agency(tenant, None, member=True))
        agency = cov.agencies[agency_id]
        errors: dict[str, CouldNotCheck] = {}
        history = pms.sync_history(token, [c.id for c in listed], hours=hours, now=now,
                                   agency_id=agency_id if explicit else None, max_pages=max_pages, errors=errors)
        for cid, batches in history.items():
            cov.checked[cid] = Checked(cid, agency, API, summarize(batches, now=now, hours=hours))
        for cid, exc in errors.items():
            cov.unread[f"connection {cid} of agency {agency.label} (API)"] = exc.because
