"""--alertmanager URL / --notify-webhook URL: the alerts of a run (pms_runbook/alerts.py), after the verdict.

Each root cause (red flag or could not check) is posted; a waived red flag is not. An alert of an earlier run
(the history's last alerted checks, and Alertmanager's own active alerts of this environment) whose check
passed or was waived in this run is ended. The webhook gets one message when the run's state differs from
the previous run of the same profile and schedule (from the history). Failing to post never changes the
verdict; it is said in the terminal summary.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pms_runbook import alerts
from pms_runbook import history as hist

from .state import Run

MARGIN_HOURS = 26.0


class Alerting:
    def __init__(self, config: pytest.Config, run: Run):
        from .living import value

        self.config, self.run = config, run
        self.alertmanager = value(config, "alertmanager")
        self.webhook = value(config, "notify_webhook")
        self.said: list[str] = []

    def after_verdict(self, history_part) -> dict[str, dict]:
        """Called by plugin/history.py after the verdict; returns the checks now firing (for the history)."""
        from .history import profile_of, report_link, schedule_of

        run, config = self.run, self.config
        env = profile_of(config) or "unknown"
        report = report_link(config)
        now = dt.datetime.now(dt.UTC)
        margin = float(getattr(config.option, "deadman_hours", None) or MARGIN_HOURS)
        roots = [r for r in run.results if r["outcome"] in ("red_flag", "could_not_check")
                 and run.roots.get(r["nodeid"], "x") is None]
        self.labels: dict[str, dict] = {}
        self.n_resolved = 0
        if self.alertmanager:
            try:
                self._alertmanager(history_part, roots, env, report, now, margin)
                self.said.append(f"Alertmanager {self.alertmanager}: {len(roots)} alert(s) firing, "
                                 f"{self.n_resolved} resolved")
            except Exception as exc:  # noqa: BLE001  (a broken Alertmanager is said, never a verdict)
                self.said.append(f"could not post the alerts to {self.alertmanager}: {exc}")
        if self.webhook:
            previous = hist.runs(history_part.records, schedule=schedule_of(config), profile=profile_of(config))
            before = previous[-1]["verdict"] if previous else None
            from .verdict_json import _status

            now_status = _status(run.verdict)
            if before != now_status and not (before is None and now_status in ("all_clear", "no_red_flag")):
                try:
                    alerts.notify(self.webhook, alerts.webhook_text(run.extra.get("summary_line", run.verdict),
                                                                    before, roots, report))
                    self.said.append(f"webhook: state changed ({before or 'first run'} -> {now_status}), message sent")
                except Exception as exc:  # noqa: BLE001
                    self.said.append(f"could not notify the webhook: {exc}")
        return self.labels or {r["nodeid"]: {} for r in roots}

    def _alertmanager(self, history_part, roots, env, report, now, margin) -> None:
        ends = now + dt.timedelta(hours=margin)
        trends = self.run.extra.get("checks", {})
        new = []
        for r in roots:
            since = trends.get(r["nodeid"], {}).get("history", {}).get("red_since")
            starts = hist.parse_time(since) if since else now
            new.append(alerts.alert(r, environment=env, report=report, starts=starts, ends=ends))
        outcome = {r["nodeid"]: r["outcome"] for r in self.run.results}
        cleared = {n for n, o in outcome.items() if o in ("passed", "waived")}
        to_end: dict[str, dict] = {}
        from .history import profile_of

        for nodeid, rec in hist.last_alerted(history_part.records, profile_of(self.config)).items():
            if nodeid in cleared:
                labels = rec.get("alert_labels") or {}
                if labels:
                    to_end[nodeid] = alerts.resolved(labels, {}, None, now)
        for a in alerts.active(self.alertmanager, env):
            nodeid = a.get("annotations", {}).get("nodeid")
            if nodeid in cleared:
                to_end[nodeid] = alerts.resolved(a["labels"], a.get("annotations", {}), a.get("startsAt"), now)
        self.n_resolved = len(to_end)
        self.labels = {a["annotations"]["nodeid"]: a["labels"] for a in new}
        alerts.post(self.alertmanager, new + list(to_end.values()))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.said:
            terminalreporter.section("ALERTS", sep="-")
            for line in self.said:
                terminalreporter.write_line(line)
