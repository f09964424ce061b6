"""Living with the runbook every night: the options of waivers, history, alerts, metrics and the summary
line (each part's plugin object is registered by plugin/parts.py only when its option or file is on).

  Waivers        waivers.toml at the root or --waivers PATH   plugin/waivers.py
  History        always: trends and verdict.json's summary line; the file: reports/ or --history PATH
  Alerts         --alertmanager URL / --notify-webhook URL   plugin/alerting.py
  Metrics        --metrics-file PATH / --pushgateway URL   plugin/metrics.py
  SummaryLine    --summary-line (verdict.json always carries it)   plugin/history.py
"""
from __future__ import annotations

import os

import pytest

ENV = {"alertmanager": "PMS_ALERTMANAGER_URL", "pushgateway": "PMS_PUSHGATEWAY_URL",
       "notify_webhook": "PMS_NOTIFY_WEBHOOK", "history": "PMS_HISTORY", "report_url": "PMS_REPORT_URL"}


def add_options(parser: pytest.Parser) -> None:
    g = parser.getgroup("pms-runbook living with it (waivers, history, alerts, metrics)")
    g.addoption("--waivers", default=None, metavar="PATH",
                help="waivers of known red flags (default: waivers.toml at the project root, when there)")
    g.addoption("--history", default=None, metavar="PATH",
                help="the run history, one JSON line per check per run (default: REPORTS_DIR/history.jsonl; "
                     "env PMS_HISTORY)")
    g.addoption("--no-history", action="store_true", help="read and write no history")
    g.addoption("--alertmanager", default=None, metavar="URL",
                help="post each root cause to this Alertmanager's /api/v2/alerts, resolve it when it passes "
                     "(env PMS_ALERTMANAGER_URL)")
    g.addoption("--notify-webhook", default=None, metavar="URL",
                help="a Slack-compatible incoming webhook: one message per run that changed state "
                     "(env PMS_NOTIFY_WEBHOOK)")
    g.addoption("--metrics-file", default=None, metavar="PATH",
                help="write Prometheus metrics of the run here (node_exporter textfile collector, *.prom)")
    g.addoption("--pushgateway", default=None, metavar="URL",
                help="push Prometheus metrics of the run to this Pushgateway (env PMS_PUSHGATEWAY_URL)")
    g.addoption("--deadman-hours", type=float, default=None, metavar="HOURS",
                help="the dead-man's switch (R1.1): red when the last nightly is older than this (default: "
                     "PMS_DEADMAN_HOURS, else 26); also the life of a posted alert")
    g.addoption("--summary-line", action="store_true",
                help="print a one-line summary for chat (profile, verdict, root causes, counts, report link)")
    g.addoption("--report-url", default=None, metavar="URL",
                help="the link to this run's report in alerts and the summary line (env PMS_REPORT_URL; "
                     "default: the local report path)")


def value(config: pytest.Config, name: str) -> str | None:
    """An option, else its environment variable."""
    given = getattr(config.option, name, None)
    return given or (os.environ.get(ENV[name]) or None if name in ENV else None)
