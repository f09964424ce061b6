"""Report files: the default HTML, JUnit and Allure reports of a run of checks, and what is done to
every report file at the end (could-not-check as a JUnit <error>, secrets scrubbed, Allure rendered).

For a run of checks the defaults are `--html=DIR/report.html --self-contained-html`,
`--junitxml=DIR/junit.xml` and `--alluredir=DIR/allure-results` (each unless given), the Allure
results folder emptied first (by the controller, once: --clean-alluredir races between xdist workers).

pytest-html imports jinja2 and its report classes as it loads (about 0.05 s of every run), so it does
not load by itself (`-p no:html` in pyproject's addopts): `add_html_options` declares its options, and
`ReportFiles` loads it when the run writes an HTML report.
"""
from __future__ import annotations

import re
import shutil
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .state import Run, is_worker

ALLURE_FILES = ("*-result.json", "*-container.json", "*-attachment*", "environment.properties",
                "executor.json", "categories.json")


HTML_PLUGIN = "pytest-html (loaded by pms-runbook)"


def add_html_options(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """pytest-html's options and ini keys, as it declares them (held to its own by a self-test), when `-p no:html`
    keeps it from loading by itself; none otherwise (it declares them)."""
    if not pluginmanager.is_blocked("html"):
        return
    group = parser.getgroup("terminal reporting")
    group.addoption("--html", action="store", dest="htmlpath", metavar="path", default=None,
                    help="create html report file at given path.")
    group.addoption("--self-contained-html", action="store_true",
                    help="create a self-contained html file containing all necessary styles, scripts, and images - "
                         "this means that the report may not render or function where CSP restrictions are in "
                         "place (see https://developer.mozilla.org/docs/Web/Security/CSP)")
    group.addoption("--css", action="append", metavar="path", default=[],
                    help="append given css file content to report style file.")
    parser.addini("render_collapsed", type="string", default="passed", help="row(s) to render collapsed on open.")
    parser.addini("max_asset_filename_length", default=255,
                  help="set the maximum filename length for assets attached to the html report.")
    parser.addini("environment_table_redact_list", type="linelist",
                  help="a list of regexes corresponding to environment table variables whose values should be "
                       "redacted from the report")
    parser.addini("initial_sort", type="string", default="result", help="column to initially sort on.")
    parser.addini("generate_report_on_test", type="bool", default=False,
                  help="the HTML report will be generated after each test instead of at the end of the run.")


def _load_pytest_html(config: pytest.Config) -> None:
    """pytest-html's hooks, all but its options (declared by `add_html_options`): its pytest_configure runs at
    once (a historic hook) and registers the report, as when it loads by itself."""
    if not config.pluginmanager.is_blocked("html") or config.pluginmanager.has_plugin(HTML_PLUGIN):
        return
    from pytest_html import plugin

    hooks = {name: getattr(plugin, name) for name in dir(plugin)
             if name.startswith("pytest_") and name != "pytest_addoption"}
    config.pluginmanager.register(types.SimpleNamespace(**hooks), HTML_PLUGIN)


def _junit_could_not_check(path: Path) -> None:
    """In the JUnit file, a check that could not run is an <error>, not a <failure>."""
    tree = ET.parse(path)
    changed = False
    for suite in tree.iter("testsuite"):
        moved = 0
        for case in suite.iter("testcase"):
            for node in case:
                message = node.get("message", "")
                if node.tag in ("failure", "error") and re.match(r'(failed on setup with ")?could not check ', message):
                    moved += node.tag == "failure"
                    node.tag = "error"
                    node.set("message", message.removeprefix('failed on setup with "').removesuffix('"'))
                    changed = True
        if moved:
            suite.set("failures", str(int(suite.get("failures", "0")) - moved))
            suite.set("errors", str(int(suite.get("errors", "0")) + moved))
    if changed:
        tree.write(path, encoding="utf-8", xml_declaration=True)


def reports_dir(config: pytest.Config) -> Path:
    out = Path(config.option.reports_dir)
    return out if out.is_absolute() else config.invocation_params.dir / out


class ReportFiles:
    """Registered when the run writes a report: the defaults of a run of checks, or one given."""

    def __init__(self, config: pytest.Config, run: Run):
        self.run = run
        if run.checks and not config.option.no_reports and not config.option.collectonly:
            self._default_reports(config)
        self.html = None
        if getattr(config.option, "htmlpath", None):
            _load_pytest_html(config)
            if run.checks and hasattr(config.pluginmanager.hook, "pytest_html_results_table_html"):
                from .html_report import HtmlDiagnosis

                self.html = HtmlDiagnosis(config, run)
                config.pluginmanager.register(self.html, "pms-runbook-html-diagnosis")

    @staticmethod
    def wanted(config: pytest.Config, run: Run) -> bool:
        opt = config.option
        given = any(getattr(opt, name, None) for name in ("htmlpath", "xmlpath", "allure_report_dir"))
        return given or opt.allure_html or (run.checks and not opt.no_reports and not opt.collectonly)

    def _default_reports(self, config: pytest.Config) -> None:
        opt = config.option
        out = self.run.reports_dir = reports_dir(config)
        if hasattr(opt, "htmlpath") and not opt.htmlpath:
            opt.htmlpath = str(out / "report.html")
            opt.self_contained_html = True
        if hasattr(opt, "xmlpath") and not opt.xmlpath:
            opt.xmlpath = str(out / "junit.xml")
        if hasattr(opt, "allure_report_dir") and not opt.allure_report_dir:
            opt.allure_report_dir = str(out / "allure-results")
            if not is_worker(config) and not opt.clean_alluredir:
                shutil.rmtree(opt.allure_report_dir, ignore_errors=True)
                (out / "allure-report.html").unlink(missing_ok=True)
        out.mkdir(parents=True, exist_ok=True)

    def _files(self, config: pytest.Config) -> set[Path]:
        """The files this run's reports wrote: the HTML and JUnit files, the Allure results, and all of
        the reports folder (unless it is the project or the current folder, never scrubbed wholesale)."""
        opt = config.option
        files = {Path(p) for p in (getattr(opt, "htmlpath", None), getattr(opt, "xmlpath", None)) if p}
        alluredir = getattr(opt, "allure_report_dir", None)
        if alluredir:
            files |= {f for pattern in ALLURE_FILES for f in Path(alluredir).glob(pattern)}
        folder = self.run.reports_dir.resolve() if self.run.reports_dir else None
        shared = {config.rootpath, *config.rootpath.parents, config.invocation_params.dir,
                  *config.invocation_params.dir.parents}
        if folder and folder.is_dir() and folder not in shared:
            files |= set(folder.rglob("*"))
        return {f for f in files if f.is_file()}

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """After pytest-html and junitxml wrote theirs (at session finish); the controller only."""
        if is_worker(config):
            return
        from pms_runbook import reporting  # jinja-free, but only a run that writes reports needs it

        opt = config.option
        xml = Path(opt.xmlpath) if getattr(opt, "xmlpath", None) else None
        if xml and xml.is_file() and self.run.could_not_check:
            _junit_could_not_check(xml)
        page = Path(opt.htmlpath) if getattr(opt, "htmlpath", None) else None
        if self.html is not None and page and page.is_file() and self.run.verdict:
            self.html.write(page)  # the first screen: the diagnosis (scrubbed with the rest below)
        allure = config.pluginmanager.get_plugin("pms-runbook-allure-diagnosis")
        if allure is not None:
            allure.label_results(getattr(opt, "allure_report_dir", None))
        for path in self._files(config):
            reporting.scrub_file(path)
        if opt.allure_html:
            self._render_allure(config, reporting)

    @staticmethod
    def _render_allure(config: pytest.Config, reporting) -> None:
        tr = config.pluginmanager.get_plugin("terminalreporter")
        alluredir = getattr(config.option, "allure_report_dir", None)
        try:
            if not alluredir:
                raise reporting.ReportingError("no Allure results: pass --alluredir or drop --no-reports")
            history = None if config.option.no_history else reports_dir(config) / "allure-history.jsonl"
            rendered = reporting.render_allure(alluredir, reports_dir(config) / "allure-report.html", history=history)
            if tr:
                tr.write_line(f"allure report: {rendered}")
        except reporting.ReportingError as exc:
            if tr:
                tr.write_line(f"allure report not rendered: {exc}", red=True)
