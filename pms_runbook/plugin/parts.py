"""The registration of the living-with parts (plugin/living.py has their options): each only when on.

  Waivers        waivers.toml at the root or --waivers PATH            plugin/waivers.py
  History        every run of checks: trends, verdict.json's summary line; its file unless --no-history
  SummaryLine    --summary-line                                        plugin/history.py
  Alerting       --alertmanager URL / --notify-webhook URL             plugin/alerting.py
  Metrics        --metrics-file PATH / --pushgateway URL               plugin/metrics.py
"""
from __future__ import annotations

import pytest

from .living import value
from .state import Run, is_worker


def register(config: pytest.Config, run: Run) -> None:
    register = config.pluginmanager.register
    from .waivers import Waivers, waivers_path

    path = waivers_path(config)
    if path is not None:
        register(Waivers(config, run, path), "pms-runbook-waivers")
    from .history import History, SummaryLine

    if not run.checks:  # self-tests and other pytest runs: none of this
        return
    if is_worker(config):  # the values a red flag observed, sent along with its report
        register(History(config, run, None), "pms-runbook-history")
        return
    register(History(config, run, History.wanted(config)), "pms-runbook-history")  # trends, summary line
    if config.option.summary_line:
        register(SummaryLine(config, run), "pms-runbook-summary-line")
    if value(config, "alertmanager") or value(config, "notify_webhook"):
        from .alerting import Alerting

        register(Alerting(config, run), "pms-runbook-alerting")
    if config.option.metrics_file or value(config, "pushgateway"):
        from .metrics import Metrics

        register(Metrics(config, run), "pms-runbook-metrics")
