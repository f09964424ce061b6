"""--metrics-file PATH / --pushgateway URL: the run's Prometheus metrics (pms_runbook/metrics.py), after the verdict."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from .state import Run


class Metrics:
    def __init__(self, config: pytest.Config, run: Run):
        from .living import value

        self.config, self.run = config, run
        self.file = config.option.metrics_file
        self.pushgateway = value(config, "pushgateway")
        self.said: list[str] = []

    def after_verdict(self, history_part) -> dict:
        from pms_runbook import metrics

        from .history import profile_of, schedule_of

        env, sched = profile_of(self.config) or "unknown", schedule_of(self.config)
        doc = {"environment": env, "schedule": sched, "ended": time.time(),
               "duration": time.time() - (self.run.started or time.time()), "exit_code": self.run.exit_code,
               "results": [{**r, "duration": history_part.durations.get(r["nodeid"], 0.0),
                            "figures": history_part.values.get(r["nodeid"], {})} for r in self.run.results]}
        reg = metrics.registry(doc)
        if self.file:
            try:
                metrics.write_file(Path(self.file), reg)
                self.said.append(f"metrics written to {self.file}")
            except OSError as exc:
                self.said.append(f"could not write the metrics to {self.file}: {exc}")
        if self.pushgateway:
            try:
                metrics.push(self.pushgateway, reg, env, sched)
                self.said.append(f"metrics pushed to {self.pushgateway} (job {metrics.JOB}, instance {env}, "
                                 f"schedule {sched})")
            except Exception as exc:  # noqa: BLE001  (a broken Pushgateway is said, never a verdict)
                self.said.append(f"could not push the metrics to {self.pushgateway}: {exc}")
        return {}

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.said:
            terminalreporter.section("METRICS", sep="-")
            for line in self.said:
                terminalreporter.write_line(line)
