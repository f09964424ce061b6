"""Self-tests of the reports: default HTML/JUnit/Allure, the offline Allure HTML, evidence, and the
canary: a planted secret reaches no report file and no terminal line, with or without xdist."""
from __future__ import annotations

import base64
import json
import re
import textwrap
import xml.etree.ElementTree as ET

import pytest
from test_plugin import CNC_CALL, GREEN, HEADER, RED, SKIPPED, check, ini, leaks, out, project

from pms_runbook import evidence, reporting
from pms_runbook.secrets import MASK, Secret

pytest_plugins = ["pytester"]

needs_allure_cli = pytest.mark.skipif(not reporting.allure_cli().exists(),
                                      reason="Allure CLI not installed (scripts/bootstrap installs it)")


# ---------------------------------------------------------------- default reports

def test_a_run_of_checks_writes_the_default_reports(pytester):
    stale = pytester.path / "reports" / "allure-results" / "stale-result.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    project(pytester, GREEN + RED + CNC_CALL + SKIPPED)
    result = pytester.runpytest()
    assert result.ret == 1, out(result)
    reports = pytester.path / "reports"
    assert (reports / "report.html").is_file()
    html = (reports / "report.html").read_text()
    assert "<link" not in html or 'href="assets/' not in html  # self-contained: no side assets
    suite = ET.parse(reports / "junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "1", "1")
    results = list((reports / "allure-results").glob("*-result.json"))
    assert len(results) == 4 and not stale.exists()  # emptied before the run
    statuses = sorted(json.loads(p.read_text())["status"] for p in results)
    assert statuses == ["broken", "failed", "passed", "skipped"]
    assert not (reports / "allure-report.html").exists()


def test_reports_dir_no_reports_and_the_users_own_paths(pytester):
    project(pytester, GREEN)
    assert pytester.runpytest("--reports-dir", "out").ret == 0
    assert {p.name for p in (pytester.path / "out").iterdir()} == {"report.html", "junit.xml", "allure-results",
                                                                 "verdict.json", "history.jsonl"}

    assert pytester.runpytest("--no-reports", "--reports-dir", "none").ret == 0
    assert not (pytester.path / "none").exists()

    assert pytester.runpytest("--reports-dir", "mine", "--junitxml", "my-junit.xml").ret == 0
    assert (pytester.path / "my-junit.xml").is_file()
    assert not (pytester.path / "mine" / "junit.xml").exists()
    assert (pytester.path / "mine" / "report.html").is_file()


@needs_allure_cli
def test_allure_html_is_one_offline_file(pytester):
    project(pytester, GREEN + RED)
    result = pytester.runpytest("--allure-html")
    assert result.ret == 1, out(result)
    page = pytester.path / "reports" / "allure-report.html"
    assert page.is_file(), out(result)
    result.stdout.fnmatch_lines([f"allure report: {page}"])
    html = page.read_text()
    assert "allureReportData" in html  # the data is inside the file
    assert not re.search(r"<script[^>]*\bsrc=[\"']?(https?:)?//", html)
    assert "googletagmanager" not in html and "gtag(" not in html
    assert not re.search(r"<link[^>]*\bhref=[\"']?(https?:)?//", html)
    assert "RED FLAG" in result.stdout.lines[-1]


# ---------------------------------------------------------------- the canary

CANARY = "cAnArY-7f3e9b2d41c8"
CANARY_CHECKS = textwrap.dedent(f"""\
    from pms_runbook.secrets import Secret

    CANARY = Secret("{CANARY}", "canary")
    log = logging.getLogger("pms.canary")

    @pytest.fixture
    def leaky_setup():
        print("setup sees", CANARY.reveal())
        raise CouldNotCheck("the canary API", f"token {{CANARY.reveal()}} was refused")

    """) + check("D3.1") + textwrap.dedent("""\
    def test_assert_print_log_evidence(evidence):
        value = CANARY.reveal()
        print("stdout:", value)
        log.warning("log: %s", value)
        evidence.attach_text("text", f"text {value}")
        evidence.attach_json("json", {"token": value, "secret": CANARY})
        evidence.attach_table("table", f"NAME  TOKEN\\npms   {value}")
        evidence.attach_http({"method": "GET", "url": f"http://127.0.0.1:9/x?apikey={value}", "status": 401,
                              "headers": {"WWW-Authenticate": f"Bearer {value}", "Authorization": "x"},
                              "body": f"bad token {value}"})
        assert value == "something else", message(f"token {value} refused", observed=value, fix=f"echo {value}")

    """) + check("D3.2") + textwrap.dedent("""\
    def test_exception(request):
        request.node.user_properties.append(("token", CANARY.reveal()))
        raise RuntimeError(f"boom with {CANARY.reveal()}")

    """) + check("D2.5") + textwrap.dedent("""\
    def test_could_not_check(leaky_setup):
        pass

    """) + check("D2.4") + textwrap.dedent("""\
    def test_controller_secret():
        print("from the environment:", os.environ["PMS_CANARY2"])
        assert False, os.environ["PMS_CANARY2"]
    """)
# A secret the controller registers (as config does from the environment); workers never register it
# themselves, yet it must not leak from them either.
CANARY2 = "sEcOnD-canary-5a6b7c8d"
CANARY_CONFTEST = textwrap.dedent("""\
    import os
    from pms_runbook.secrets import Secret

    def pytest_configure(config):
        if not hasattr(config, "workerinput"):
            config._canary = Secret(os.environ["PMS_CANARY2"], "canary2")
    """)


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_canary_reaches_no_report_and_no_terminal_line(pytester, monkeypatch, workers):
    monkeypatch.setenv("PMS_CANARY2", CANARY2)
    project(pytester, CANARY_CHECKS, conftest=CANARY_CONFTEST)
    extra = ["--allure-html"] if reporting.allure_cli().exists() else []
    result = pytester.runpytest_subprocess("-v", "-rA", "--tb=long", "-l", "--log-cli-level=INFO",
                                           *workers, *extra, timeout=180)
    assert result.ret == 1, out(result)
    terminal = out(result)
    assert "RED FLAG: token *** refused" in terminal  # the check really failed with the canary in it
    assert "COULD NOT CHECK" in terminal
    for needle in (CANARY, CANARY2, base64.b64encode(CANARY.encode()).decode().rstrip("=")):
        assert needle not in terminal
    reports = pytester.path / "reports"
    files = {p.relative_to(reports).as_posix() for p in reports.rglob("*") if p.is_file()}
    assert {"report.html", "junit.xml"} <= files and any(f.endswith("-attachment.txt") for f in files)
    assert leaks(reports, CANARY) == [] and leaks(reports, CANARY2) == []
    assert MASK in (reports / "report.html").read_text()


# ---------------------------------------------------------------- evidence

@pytest.mark.parametrize("html_loads", ["by itself", "when a report is written (-p no:html)"])
def test_evidence_reaches_html_and_allure_from_checks_and_fixtures(pytester, html_loads):
    project(pytester, textwrap.dedent("""\
        from pms_runbook.evidence import attach

        @pytest.fixture
        def containers(request):
            attach(request, "docker ps", "NAMES  STATUS\\npms-backend  Up 2 hours", kind="table")
            return ["pms-backend"]

        """) + check() + textwrap.dedent("""\
        def test_with_evidence(containers, evidence):
            evidence.attach_json("health", {"status": "ok"})
            evidence.attach_text("note", "all good")
        """))
    if html_loads != "by itself":
        pytester.makeini(ini().replace("-p pms_runbook.plugin", "-p no:html -p pms_runbook.plugin"))
    assert pytester.runpytest_subprocess().ret == 0
    html = (pytester.path / "reports" / "report.html").read_text()
    payloads = [base64.b64decode(m).decode() for m in
                re.findall(r"data:[\w/]+;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)", html)]
    assert any("pms-backend  Up 2 hours" in p for p in payloads)
    assert any("all good" in p for p in payloads)
    assert any('"status": "ok"' in p for p in payloads)
    names = set()
    for p in (pytester.path / "reports" / "allure-results").glob("*.json"):
        data = json.loads(p.read_text())
        for holder in [data, *data.get("befores", [])]:
            names |= {a["name"] for a in holder.get("attachments", [])}
    assert {"docker ps", "health", "note"} <= names


def test_render_http_hides_credentials_and_scrubs():
    token = Secret("tok-1234567890-secret", "token")
    text = evidence.render_http({
        "method": "GET", "url": "http://127.0.0.1:8000/api/v1/x?apikey=anon-key-value&page=2",
        "status": 401, "headers": {"Authorization": "Bearer abc", "Set-Cookie": "s=1", "apikey": "k",
                                   "Content-Type": "application/json"},
        "body": b'{"detail": "bad token tok-1234567890-secret"}' + b"x" * 5000,
    })
    lines = text.splitlines()
    assert lines[0] == "GET http://127.0.0.1:8000/api/v1/x?apikey=***&page=2"
    assert lines[1] == "HTTP 401"
    assert "Authorization: <hidden>" in lines and "Set-Cookie: <hidden>" in lines and "apikey: <hidden>" in lines
    assert "Content-Type: application/json" in lines
    assert token.reveal() not in text and "bad token ***" in text
    assert "more characters" in text and "Bearer abc" not in text and "anon-key-value" not in text


def test_render_http_takes_an_httpx_response():
    httpx = pytest.importorskip("httpx")
    request = httpx.Request("HEAD", "http://127.0.0.1:8000/health")
    response = httpx.Response(503, headers={"Cookie": "c"}, content=b"down", request=request)
    text = evidence.render_http(response)
    assert text.startswith("HEAD http://127.0.0.1:8000/health\nHTTP 503\n")
    assert "cookie: <hidden>" in text.lower() and text.endswith("down")


# ---------------------------------------------------------------- reporting helpers

def test_strip_analytics_keeps_inline_and_data_scripts():
    html = ('<head><script>window.allureReportOptions = {}</script></head><body>'
            '<script   src="data:text/javascript;base64,QUJD"></script>\n'
            '<script async src="https://www.googletagmanager.com/gtag/js?id=G-X"></script>\n'
            '<script>\n window.dataLayer = window.dataLayer || [];\n function gtag(){dataLayer.push(arguments);}\n'
            " gtag('js', new Date());\n</script>\n<script src=//cdn.example/x.js></script></body>")
    clean = reporting.strip_analytics(html)
    assert "googletagmanager" not in clean and "gtag" not in clean and "cdn.example" not in clean
    assert "window.allureReportOptions" in clean and "data:text/javascript;base64,QUJD" in clean


def test_scrub_file_masks_secrets_inside_base64_payloads(tmp_path):
    secret = Secret("pAyLoAd-secret-42", "payload")
    blob = base64.b64encode(f'{{"message": "token {secret.reveal()} refused"}}'.encode()).decode()
    page = tmp_path / "r.html"
    page.write_text(f'<a href="data:text/plain;charset=utf-8;base64,{blob}">x</a><script>d("a.json","{blob}")</script>')
    assert reporting.scrub_file(page)
    assert leaks(tmp_path, secret.reveal()) == []
    assert reporting.scrub_file(page) is False  # idempotent


def test_render_allure_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PMS_ALLURE_CLI", str(tmp_path / "nope" / "allure"))
    with pytest.raises(reporting.ReportingError, match="Allure CLI is missing .* scripts/bootstrap"):
        reporting.render_allure(tmp_path, tmp_path / "out.html")


def test_allure_html_without_the_cli_is_a_message_not_a_crash(pytester, monkeypatch):
    monkeypatch.setenv("PMS_ALLURE_CLI", "/nonexistent/allure")
    pytester.makeini(ini())
    (pytester.path / "checks").mkdir()
    (pytester.path / "checks" / "test_x.py").write_text(HEADER + GREEN)
    result = pytester.runpytest("--allure-html")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["allure report not rendered: the Allure CLI is missing*"])


def test_only_report_files_are_scrubbed_never_the_project(pytester):
    project(pytester, GREEN, conftest="from pms_runbook.secrets import Secret\nKEY = Secret('kEeP-me-in-my-file-99')\n")
    notes = pytester.path / "notes.txt"
    notes.write_text("kEeP-me-in-my-file-99\n")
    result = pytester.runpytest("--reports-dir", ".")
    assert result.ret == 0, out(result)
    assert (pytester.path / "junit.xml").is_file()
    assert notes.read_text() == "kEeP-me-in-my-file-99\n"  # not a report: left alone


# ---------------------------------------------------------------- pytest-html, loaded when an HTML report is written

def test_the_html_options_are_pytest_htmls_own():
    """`add_html_options` (for `-p no:html` runs) declares what pytest-html declares: names, actions, defaults."""
    from _pytest.config.argparsing import Parser
    from pytest_html import plugin as pytest_html

    from pms_runbook.plugin.reports import add_html_options

    class Blocked:
        @staticmethod
        def is_blocked(name):
            return name == "html"

    def declared(parser):
        options = [(tuple(o.names()), {k: v for k, v in o.attrs().items() if k not in ("help", "container")})
                   for group in parser._groups for o in group.options]
        return options, {name: (kind, default) for name, (_help, kind, default) in parser._inidict.items()}

    theirs, ours = Parser(), Parser()
    pytest_html.pytest_addoption(theirs)
    add_html_options(ours, Blocked())
    assert declared(ours) == declared(theirs)
    assert declared(theirs)[0] and declared(theirs)[1]  # something was compared

    class Loaded:
        @staticmethod
        def is_blocked(name):
            return False

    none = Parser()
    add_html_options(none, Loaded())  # pytest-html loads by itself and declares them
    assert declared(none) == ([], {})


def test_pytest_html_loads_only_when_an_html_report_is_written(pytester):
    project(pytester, GREEN)
    pytester.makeini(ini().replace("-p pms_runbook.plugin", "-p no:html -p pms_runbook.plugin"))
    pytester.makeconftest("import sys\n"
                          "def pytest_unconfigure(config):\n"
                          "    print('JINJA2', 'jinja2' in sys.modules)\n")
    quiet = pytester.runpytest_subprocess("--no-reports", "-s")
    assert quiet.ret == 0 and "JINJA2 False" in quiet.stdout.str(), out(quiet)
    assert not (pytester.path / "reports").exists()

    default = pytester.runpytest_subprocess("-s")
    assert default.ret == 0 and "JINJA2 True" in default.stdout.str(), out(default)
    html = (pytester.path / "reports" / "report.html").read_text()
    assert "test_step1.py::test_" in html and 'href="assets/' not in html  # the report, self-contained

    given = pytester.runpytest_subprocess("--no-reports", "--html", "mine.html", "--css", "x.css")
    assert given.ret != 0 and "Missing CSS file" in out(given)  # pytest-html's own option handling
    (pytester.path / "x.css").write_text("body {}")
    given = pytester.runpytest_subprocess("--no-reports", "--html", "mine.html", "--css", "x.css")
    assert given.ret == 0 and (pytester.path / "mine.html").is_file(), out(given)
