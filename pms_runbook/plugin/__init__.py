"""The runbook's pytest plugin: a few small objects, each registered only when its part is on.

Loaded by the root conftest.py (`pytest_plugins = ["pms_runbook.plugin", ...]`) or `-p pms_runbook.plugin`.

  MarkerDiscipline  always        a check names its schedule, severity, red flag, runbook section
  Redaction         always        no registered secret in a report, a log record, an xdist message
  ConfigErrors      always        a ConfigError before the checks run is a usage error (exit 4)
  SettingsGate      not coverage  a run of checks starts only with every setting it needs
  Verdict           not coverage  red flag / could not check / not checked, the last line, exit code
  TerminalSummary   not coverage, controller   the sections above the last line
  ReportFiles       a report is written        default reports, JUnit errors, final scrub, Allure HTML
  Waivers, History, Alerting, Metrics   their option / file (plugin/parts.py, options in living.py)
  RedflagCoverage   --redflag-coverage         which red flags have checks; runs nothing

Exit codes: 0 clear, 1 red flag, 2/3 pytest's, 4 configuration error, 5 nothing checked,
10 could not check (see verdict.py). The state they share is `state.Run`, in config.stash.
"""
from __future__ import annotations

import os

import pytest

from . import hookspecs
from .config_errors import ConfigErrors
from .markers import MarkerDiscipline
from .redaction import Redaction
from .state import RUN, SEVERITIES, Run, is_worker, redflag_ids, targets_checks

__all__ = ["SEVERITIES", "redflag_ids"]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    from pms_runbook import options

    from .reports import add_html_options

    options.add_options(parser)
    from .living import add_options as add_living_options

    add_living_options(parser)
    add_html_options(parser, pluginmanager)
    group = parser.getgroup("pms-runbook reports")
    group.addoption("--reports-dir", default="reports", metavar="DIR",
                    help="where the default HTML, JUnit and Allure reports of a check run go (default: reports)")
    group.addoption("--no-reports", action="store_true", help="write no default reports")
    group.addoption("--allure-html", action="store_true",
                    help="render the Allure results to DIR/allure-report.html (one offline file) at the end")
    group.addoption("--verdict-json", default=None, metavar="PATH",
                    help="also write the machine-readable verdict here (default: DIR/verdict.json of every run of checks)")
    group.addoption("--verdict-stdout", action="store_true",
                    help="print the verdict JSON (docs/verdict.schema.json) on one line, the last line of the output")
    run_group = parser.getgroup("pms-runbook run")
    run_group.addoption("--redflag", action="append", default=[], metavar="ID",
                        help="run only the checks of this red flag (repeatable), e.g. --redflag D4.2")
    run_group.addoption("--recheck", type=float, default=None, metavar="SECONDS",
                        help="re-run the failing checks until they pass or SECONDS have passed (after a fix by hand)")
    run_group.addoption("--fix", nargs="?", const="plan", default=None, choices=("plan", "apply"),
                        help="--fix: the remediation plan for the root causes of this run (changes nothing); "
                             "--fix=apply: apply it (elevated credentials, confirmation or --yes), then re-check")
    run_group.addoption("--fix-max-actions", type=int, default=None, metavar="N",
                        help="with --fix=apply: at most N actions per run (default: PMS_FIX_MAX_ACTIONS, else 3)")
    run_group.addoption("--yes", action="store_true", help="with --fix=apply: do not ask for confirmation (CI)")
    group.addoption("--redflag-coverage", action="store_true",
                    help="print which red-flag IDs of red-flags.md have checks, and run nothing")


@pytest.hookimpl(tryfirst=True)  # before pytest-html, junitxml and allure-pytest read their options
def pytest_configure(config: pytest.Config) -> None:
    for line in ("allure_label: allure label marker", "allure_link: allure link marker"):
        config.addinivalue_line("markers", line)  # ours to add even when allure-pytest is disabled
    run = config.stash[RUN] = Run(checks=targets_checks(config))
    from pms_runbook import redflag

    # the links of collection time (Allure's) already point where the option or variable says; the profile's
    # runbook_url, if any, takes over once the settings are resolved
    redflag.set_base(getattr(config.option, "runbook_url", None) or os.environ.get("PMS_RUNBOOK_URL"))
    register = config.pluginmanager.register
    register(MarkerDiscipline(), "pms-runbook-markers")
    register(ConfigErrors(), "pms-runbook-config-errors")
    if config.option.redflag_coverage:
        from .coverage import RedflagCoverage

        register(Redaction(config), "pms-runbook-redaction")
        register(RedflagCoverage(config), "pms-runbook-coverage")
        return
    from .settings import SettingsGate
    from .verdict import Verdict

    # Both makereport wrappers are trylast, where the one registered first is the outer: Redaction
    # scrubs the exception before the verdict reads it, and the report after the verdict chose its crash line.
    register(Redaction(config), "pms-runbook-redaction")
    register(Verdict(run), "pms-runbook-verdict")
    register(SettingsGate(), "pms-runbook-settings")
    run.detail = config.option.verbose > 0 or getattr(config.option, "tbstyle", "auto") != "auto"
    if run.checks and getattr(config.option, "tbstyle", None) == "auto":
        config.option.tbstyle = "short"  # the check's assert line and its message, not pages of plumbing
    if not is_worker(config):
        from .summary import TerminalSummary

        register(TerminalSummary(run), "pms-runbook-summary")
    if config.option.redflag:
        from .selection import RedflagSelection

        register(RedflagSelection(config.option.redflag), "pms-runbook-redflag-selection")
    if config.option.recheck and not is_worker(config):
        from .selection import Recheck

        register(Recheck(run, config.option.recheck), "pms-runbook-recheck")
    if run.checks or config.args:
        from .allure_diagnosis import AllureDiagnosis

        register(AllureDiagnosis(run), "pms-runbook-allure-diagnosis")
    if config.option.fix and not is_worker(config):
        from .remediation import Remediation

        register(Remediation(run, config.option.fix), "pms-runbook-remediation")
    from .parts import register as register_living

    register_living(config, run)  # waivers, history, alerts, metrics: each only when on (plugin/parts.py)
    from .reports import ReportFiles

    if ReportFiles.wanted(config, run):
        register(ReportFiles(config, run), "pms-runbook-reports")
