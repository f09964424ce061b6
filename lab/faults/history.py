"""Faults of the sync history (runbook Step 4, the nightly pipeline): an active connection whose recent
batches failed, are stuck, hold an unexpected status, are missing, or are too many for a page, in the
ops user's agency, its second agency, or an agency it is not a member of.

Rows a fault adds carry `details->>'lab_fault'` (and `platform_metadata->>'lab_fault'` on its
connection), so healing removes exactly them.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

from lab import records, stack
from lab.faults.base import Fault
from lab.state import LabState

# Which agency a history fault lands in: the ops user's first membership (what the API shows without
# x-agency-id), its second membership, or an agency it is not a member of (only the database sees it).
AGENCIES = {"ops": ("agency", "ops"), "member": ("agency", "member"), "other": ("agency", "other", 0)}


def _agency(which: str = "ops") -> str:
    return str(records.lab_uuid(*AGENCIES[which]))


def _remove_tagged(state: LabState, tag: str) -> None:
    with stack.db_connect(state) as conn:
        conn.execute("DELETE FROM channel_sync_logs WHERE details->>'lab_fault' = %s", (tag,))
        conn.execute("DELETE FROM channel_connections WHERE platform_metadata->>'lab_fault' = %s", (tag,))


def _tagged_connection_exists(conn, tag: str) -> bool:
    return conn.execute("SELECT 1 FROM channel_connections WHERE platform_metadata->>'lab_fault' = %s",
                        (tag,)).fetchone() is not None


class History(Fault):
    """An active connection of `agency` (AGENCIES) whose recent sync history is `history`: the statuses of
    each batch, and its age."""

    history: ClassVar[list[tuple[list[str], timedelta]]]
    agency: ClassVar[str] = "ops"

    def inject(self, state):
        with stack.db_connect(state) as conn:
            if _tagged_connection_exists(conn, self.name):
                return
            cid = records.add_connection(conn, _agency(self.agency), status="active", platform_type="booking_com",
                                         tag=self.name)
            now = datetime.now(UTC)
            for statuses, age in self.history:
                records.insert_batch(conn, cid, statuses, now - age, tag=self.name)

    def heal(self, state):
        _remove_tagged(state, self.name)


_OK, _ONE_FAILED = ["success"] * 3, ["success", "failed", "success"]
# 4 of 10 batches failed (40 %), 4 of 30 sync logs (13 %): both over the runbook's 10 %.
_FAILED_40 = [(_ONE_FAILED if i in (1, 3, 5, 7) else _OK, timedelta(hours=2 * i + 1)) for i in range(10)]
_NONE_RECENT = [(_OK, timedelta(days=d)) for d in (2, 3, 5)]


class FailedBatches(History):
    name = "failed-batches"
    summary = "an active connection whose last 24 h of sync batches are 40 % failed"
    history = _FAILED_40


class StuckBatches(History):
    name = "stuck-batches"
    summary = "an active connection whose every recent batch is stuck running"
    history = [(["running", "triggered", "triggered"], timedelta(hours=h, minutes=10)) for h in (1, 3, 5, 7)]


class UnexpectedStatus(History):
    name = "unexpected-status"
    summary = "a recent batch holds a status outside the lifecycle (status_counts.other > 0)"
    history = ([(_OK, timedelta(hours=2 * i + 1)) for i in range(6)]
               + [(["success", "cancelled", "success"], timedelta(minutes=40))])


class NoRecentBatches(History):
    name = "no-recent-batches"
    summary = "an active connection with no sync batch in the last 24 h"
    history = _NONE_RECENT


# Other tenants: the same failures on a connection of the ops user's second agency (the API shows it only
# with x-agency-id) and of an agency it is not a member of (only the read-only database sees it).
class FailedBatchesMemberAgency(History):
    name = "failed-batches-member-agency"
    summary = ("an active connection of the ops user's second agency (Lab Partner Agency) whose last 24 h of sync "
               "batches are 40 % failed")
    history, agency = _FAILED_40, "member"


class FailedBatchesOtherAgency(History):
    name = "failed-batches-other-agency"
    summary = ("an active connection of an agency the ops user is not a member of whose last 24 h of sync batches "
               "are 40 % failed")
    history, agency = _FAILED_40, "other"


class NoRecentBatchesOtherAgency(History):
    name = "no-recent-batches-other-agency"
    summary = ("an active connection of an agency the ops user is not a member of with no sync batch in the "
               "last 24 h")
    history, agency = _NONE_RECENT, "other"


BUSY_BATCHES, BUSY_FAILED, BUSY_SWEPT = 280, 100, 10


class BusyConnection(Fault):
    name = "busy-connection"
    summary = (f"an active connection with {BUSY_BATCHES} batches in 24 h (more than a page of 200): {BUSY_SWEPT} "
               f"older batches the stale sweep just marked failed sort first, and its {BUSY_FAILED} failed "
               "batches are its oldest of the window, on later pages")

    def inject(self, state):
        with stack.db_connect(state) as conn:
            if _tagged_connection_exists(conn, self.name):
                return
            cid = records.add_connection(conn, _agency("ops"), status="active", platform_type="airbnb", tag=self.name)
            now = datetime.now(UTC)
            # One every 5 min, newest first; the oldest BUSY_FAILED of the window failed one operation.
            for k in range(BUSY_BATCHES):
                statuses = _ONE_FAILED if k >= BUSY_BATCHES - BUSY_FAILED else _OK
                records.insert_batch(conn, cid, statuses, now - timedelta(minutes=3 + 5 * k), tag=self.name)
            # Created before the window, stuck, and just marked failed by the stale sweep of a trigger: their
            # updated_at is now, so the API's sort (COALESCE(updated_at_max, created_at_min) DESC) puts them first.
            for k in range(BUSY_SWEPT):
                records.insert_batch(conn, cid, ["failed"] * 3, now - timedelta(hours=26 + k / 2), tag=self.name,
                                     updated_at=now - timedelta(minutes=1),
                                     error="Marked stale (no update for 1560 minutes). Likely worker restart or "
                                           "lost DB connection.")

    def heal(self, state):
        _remove_tagged(state, self.name)


FAULTS = (FailedBatches, StuckBatches, UnexpectedStatus, NoRecentBatches, FailedBatchesMemberAgency,
          FailedBatchesOtherAgency, NoRecentBatchesOtherAgency, BusyConnection)
