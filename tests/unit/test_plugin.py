"""Self-tests of the runbook plugin: check markers, "could not check", red-flag messages, exit codes.

Each test builds a throwaway project with a checks/ folder (pytester) and runs it with the plugin,
in-process where it can, in a subprocess for xdist.
"""
from __future__ import annotations

import base64
import re
import textwrap
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pms_runbook.redflag import DOCS

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
HEADER = """\
import logging, os
import pytest
from pms_runbook.redflag import CouldNotCheck, message
"""


# ---------------------------------------------------------------- helpers (also used by test_plugin_reports)

def ini() -> str:
    """The project's markers and strictness, with the plugin and the evidence fixture loaded."""
    opts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    markers = "\n    ".join(opts["markers"])
    return (
        "[pytest]\ntestpaths = checks\n"
        "addopts = --strict-markers -p no:cacheprovider -p no:hypothesispytest -p pms_runbook.plugin -p fixtures.evidence\n"
        f"markers =\n    {markers}\n"
    )


def check(flag: str = "D1.4", severity: str = "critical", schedule: str = "daily",
          anchor: str = "pms-operations-runbook.md#step-1") -> str:
    """The decorators of a well-formed check."""
    return (f"@pytest.mark.{schedule}\n@pytest.mark.{severity}\n@pytest.mark.redflag({flag!r})\n"
            f"@pytest.mark.runbook({anchor!r})\n")


def project(pytester: pytest.Pytester, body: str, *, conftest: str | None = None,
            filename: str = "test_step1") -> Path:
    pytester.makeini(ini())
    checks = pytester.path / "checks"
    checks.mkdir(exist_ok=True)
    (checks / f"{filename}.py").write_text(HEADER + textwrap.dedent(body))
    if conftest:
        pytester.makeconftest(conftest)
    return checks


def leaks(root: Path, needle: str) -> list[str]:
    """Files under root holding `needle`, raw or inside a base64 payload (self-contained HTML, Allure)."""
    raw, hits = needle.encode(), []
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        data = f.read_bytes()
        if raw in data:
            hits.append(f"{f} (raw)")
            continue
        for m in re.finditer(rb"[A-Za-z0-9+/]{12,}={0,2}", data):
            chunk = m.group(0)
            try:
                decoded = base64.b64decode(chunk + b"=" * (-len(chunk) % 4))
            except ValueError:
                continue
            if raw in decoded:
                hits.append(f"{f} (base64)")
                break
    return hits


def out(result: pytest.RunResult) -> str:
    return result.stdout.str() + "\n" + result.stderr.str()


GREEN = check() + "def test_green():\n    pass\n"
RED = check("D3.1") + textwrap.dedent("""\
    def test_one_worker():
        workers = ["pms-worker", "pms-worker-v2"]
        assert workers == ["pms-worker-v2"], message(
            "more than one worker container is up", observed=workers, fix="docker stop pms-worker")
    """)
CNC_CALL = check("D2.1") + textwrap.dedent("""\
    def test_health():
        raise CouldNotCheck("/health", "connection refused on 127.0.0.1:9")
    """)
CNC_SETUP = textwrap.dedent("""\
    @pytest.fixture
    def api():
        raise CouldNotCheck("the API", "no token", hint="set PMS_ADMIN_PASSWORD")
    """) + check("D2.2") + "def test_ready(api):\n    pass\n"
SKIPPED = check("D6.1") + "def test_skipped():\n    pytest.skip('no Docker access from this profile')\n"


# ---------------------------------------------------------------- exit codes

@pytest.mark.parametrize(("body", "args", "code", "verdict"), [
    (GREEN, [], 0, "ALL CLEAR"),
    (GREEN + RED, [], 1, "RED FLAG"),
    (GREEN + CNC_CALL, [], 10, "NOT VERIFIED"),
    (RED + CNC_CALL, [], 1, "RED FLAG"),
    ("", [], 5, "NOTHING CHECKED"),  # none collected
    (GREEN, ["-m", "weekly"], 5, "NOTHING CHECKED"),  # all deselected
    (SKIPPED, [], 5, "NOTHING CHECKED"),  # every selected check skipped
    (GREEN, ["--no-such-option"], 4, None),  # usage error stays pytest's
], ids=["clear", "red-flag", "could-not-check", "red-beats-cnc", "none-collected", "all-deselected",
        "all-skipped", "usage"])
def test_exit_codes(pytester, body, args, code, verdict):
    project(pytester, body)
    result = pytester.runpytest("--no-reports", *args)
    assert result.ret == code, out(result)
    if verdict:
        last = result.stdout.lines[-1]
        assert verdict in last and f"[exit {code}]" in last, last


def test_exit_codes_under_xdist(pytester):
    project(pytester, GREEN + CNC_CALL + CNC_SETUP)
    result = pytester.runpytest_subprocess("--no-reports", "-n", "2", "-v", timeout=120)
    assert result.ret == 10, out(result)
    assert "2 could not check" in result.stdout.str()
    assert "COULD NOT CHECK" in result.stdout.str()
    result.stdout.fnmatch_lines(["*could not check /health because connection refused on 127.0.0.1:9*"])

    (pytester.path / "checks" / "test_step1.py").write_text(HEADER + SKIPPED)
    result = pytester.runpytest_subprocess("--no-reports", "-n", "2", timeout=120)
    assert result.ret == 5, out(result)

    (pytester.path / "checks" / "test_step1.py").write_text(HEADER + GREEN + RED)
    result = pytester.runpytest_subprocess("--no-reports", "-n", "2", timeout=120)
    assert result.ret == 1, out(result)
    result.stdout.fnmatch_lines(["*RED FLAGS*", "D3.1*test_one_worker*", "*RED FLAG: more than one worker*"])


def test_self_tests_outside_checks_keep_pytests_codes(pytester):
    pytester.makeini(ini())
    pytester.makepyfile(test_unit="import pytest\ndef test_skip():\n    pytest.skip('later')\n")
    result = pytester.runpytest("test_unit.py")
    assert result.ret == 0, out(result)
    assert "NOTHING CHECKED" not in result.stdout.str()
    assert not (pytester.path / "reports").exists()  # no default reports for self-tests


def test_a_self_test_that_could_not_check_shows_its_traceback(pytester):
    """A self-test that hits a CouldNotCheck is a failing self-test: pytest names it and shows where it came from
    (CI once printed only `1 could not check`, with no test name and no traceback)."""
    pytester.makeini(ini())
    pytester.makepyfile(test_unit=HEADER + "def test_timed_out():\n    raise CouldNotCheck('PMS API', 'no answer')\n")
    result = pytester.runpytest("test_unit.py")
    assert result.ret == 10, out(result)
    text = result.stdout.str()
    assert "FAILED test_unit.py::test_timed_out - " in text and "raise CouldNotCheck('PMS API'" in text, text


# ---------------------------------------------------------------- could not check

def test_could_not_check_is_reported_apart_from_red_flags(pytester):
    project(pytester, CNC_CALL + CNC_SETUP + GREEN)
    result = pytester.runpytest("-v", "--junitxml=junit.xml", "--no-reports")
    assert result.ret == 10
    text = result.stdout.str()
    result.stdout.fnmatch_lines([
        "*test_health COULD NOT CHECK*",
        "*test_ready COULD NOT CHECK*",
        "*= COULD NOT CHECK =*",
        "D2.1*checks/test_step1.py::test_health",
        "*could not check /health because connection refused on 127.0.0.1:9",
        "D2.2*checks/test_step1.py::test_ready",
        "*could not check the API because no token",
        "*hint: set PMS_ADMIN_PASSWORD",
    ])
    assert re.search(r"1 passed, 2 could not check", text), text
    assert "= RED FLAGS =" not in text and "FAILED" not in text and "= ERRORS =" not in text

    suite = ET.parse(pytester.path / "junit.xml").getroot().find("testsuite")
    errors = suite.findall("testcase/error")
    assert suite.findall("testcase/failure") == []
    assert sorted(e.get("message").splitlines()[0] for e in errors) == [
        "could not check /health because connection refused on 127.0.0.1:9",
        "could not check the API because no token",
    ]
    assert (suite.get("errors"), suite.get("failures")) == ("2", "0")


def test_configuration_error_in_a_fixture_ends_the_run_with_one_message(pytester):
    pytest.importorskip("pms_runbook.config")
    project(pytester, textwrap.dedent("""\
        from pms_runbook.config import ConfigError

        @pytest.fixture(scope="session")
        def settings():
            raise ConfigError("PMS_ADMIN_PASSWORD is not set: export it or put it in .env")
        """) + check("G4") + "def test_a(settings):\n    pass\n"
        + check("G4") + "def test_b(settings):\n    pass\n")
    result = pytester.runpytest("--no-reports")
    assert result.ret == 4, out(result)
    text = result.stdout.str()
    assert "PMS_ADMIN_PASSWORD is not set" in result.stdout.lines[-1]
    assert "Traceback" not in text and "= ERRORS =" not in text
    assert "test_b" not in text.split("CONFIGURATION ERROR", 1)[0]  # the run stopped at the first


@pytest.mark.parametrize("hook", ["pytest_sessionstart(session)", "pytest_collection_modifyitems(items)"])
def test_configuration_error_at_session_start_is_a_usage_error(pytester, hook):
    pytest.importorskip("pms_runbook.config")
    project(pytester, GREEN, conftest=textwrap.dedent(f"""\
        from pms_runbook.config import ConfigError

        def {hook}:
            raise ConfigError("unknown profile 'prod'; known profiles: lab, production, staging")
        """))
    result = pytester.runpytest_subprocess("--no-reports", timeout=60)
    assert result.ret == 4, out(result)
    assert "configuration error: unknown profile 'prod'" in result.stderr.str()
    assert "INTERNALERROR" not in out(result) and "Traceback" not in out(result)


# ---------------------------------------------------------------- red-flag messages and the summary

def test_see_line_is_appended_and_introspection_kept_out(pytester, monkeypatch):
    monkeypatch.delenv("CI", raising=False)  # on CI pytest prints whole messages in the short summary too
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    project(pytester, RED + check("D1.5", anchor="02-database.md#db-dns") + textwrap.dedent("""\
        def test_has_see():
            assert False, message("already linked", observed=1, fix="nothing", see_also="step-9")
        """) + check("D1.6") + "def test_plain_bug():\n    assert {'a': 1} == {'a': 2}\n")
    result = pytester.runpytest("--no-reports", "--tb=short")  # pytest's own sections: only with -v / --tb
    assert result.ret == 1
    text = result.stdout.str()
    result.stdout.fnmatch_lines([
        "E   AssertionError: RED FLAG: more than one worker container is up",
        "E   observed: ?'pms-worker', 'pms-worker-v2'?",
        "E   fix: docker stop pms-worker",
        f"E   see: {DOCS}runbook.md#step-1",
    ])
    assert "E   assert ['pms-worker', 'pms-worker-v2'] ==" not in text  # introspection noise dropped
    assert text.count(f"see: {DOCS}runbook.md#step-9") == 2  # once in the failure, once in the summary
    assert f"see: {DOCS}runbook/02-database.md#db-dns" not in text  # a check's own see: line wins
    result.stdout.fnmatch_lines(["FAILED checks/test_step1.py::test_one_worker - RED FLAG: more than one*"])

    verbose = pytester.runpytest("--no-reports", "-vv")
    verbose.stdout.fnmatch_lines([f"E   see: {DOCS}runbook.md#step-1", "E   ", "E   assert *"])


def test_terminal_summary_lists_red_flags_could_not_check_and_a_verdict(pytester):
    project(pytester, RED + CNC_CALL + GREEN + check("D5.1") + "def test_bug():\n    1 / 0\n")
    result = pytester.runpytest("--no-reports")
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        "*= RED FLAGS: 2 root cause(s), 0 following =*",
        "D3.1 *checks/test_step1.py::test_one_worker",
        "*ROOT CAUSE: RED FLAG: more than one worker container is up",
        "*fix:",
        "*    docker stop pms-worker",
        f"*see: {DOCS}runbook.md#step-1",
        "D5.1 *checks/test_step1.py::test_bug",
        "*call failed: ZeroDivisionError: division by zero",
        "*= COULD NOT CHECK =*",
        "D2.1 *checks/test_step1.py::test_health",
        "*could not check /health because connection refused on 127.0.0.1:9",
    ])
    verdict = result.stdout.lines[-1]
    assert re.search(r"RED FLAG: 2 failed \(D3\.1, D5\.1\); 1 clear, 1 could not check, 0 not checked; "
                     r"3 root causes, 0 following from them +\[exit 1\]", verdict), verdict
    text = result.stdout.str()  # the ops summary alone: one copy of each red flag, no traceback
    assert text.count("more than one worker container is up") == 1, text
    assert "= FAILURES =" not in text and "short test summary" not in text and "Traceback" not in text, text
    detail = pytester.runpytest("--no-reports", "-v")  # -v / --tb bring pytest's sections back
    assert "= FAILURES =" in detail.stdout.str() and "short test summary" in detail.stdout.str()


# ---------------------------------------------------------------- markers of a check

@pytest.mark.parametrize(("decorators", "problem"), [
    ("@pytest.mark.critical\n@pytest.mark.redflag('D1.4')\n@pytest.mark.runbook('x.md#a')\n", "no schedule marker"),
    # without a marker the severity is the red flag's (the catalogue's): an unknown ID has none
    ("@pytest.mark.daily\n@pytest.mark.redflag('D9.9')\n@pytest.mark.runbook('x.md#a')\n",
     "needs exactly one severity marker of blocker, critical, normal, minor (none found)"),
    (("@pytest.mark.daily\n@pytest.mark.minor\n@pytest.mark.critical\n@pytest.mark.redflag('D1.4')\n"
      "@pytest.mark.runbook('x.md#a')\n"), "(found critical, minor)"),
    ("@pytest.mark.daily\n@pytest.mark.critical\n@pytest.mark.runbook('x.md#a')\n", "no redflag marker"),
    ("@pytest.mark.daily\n@pytest.mark.critical\n@pytest.mark.redflag('D9.9')\n@pytest.mark.runbook('x.md#a')\n",
     "redflag ID(s) not in red-flags.md: D9.9"),
    ("@pytest.mark.daily\n@pytest.mark.critical\n@pytest.mark.redflag('D1.4')\n", "no runbook marker"),
], ids=["schedule", "no-severity", "two-severities", "redflag", "unknown-id", "runbook"])
def test_a_check_without_its_markers_is_a_collection_error(pytester, decorators, problem):
    project(pytester, GREEN + decorators + "def test_bare():\n    pass\n")
    result = pytester.runpytest("--no-reports")
    assert result.ret == pytest.ExitCode.INTERRUPTED, out(result)
    result.stdout.fnmatch_lines(["*ERROR collecting checks/test_step1.py*",
                                 f"checks/test_step1.py::test_bare: *{problem}*"])
    assert "test_green:" not in result.stdout.str()


def test_module_level_markers_count_and_tests_outside_checks_are_free(pytester):
    project(pytester, textwrap.dedent("""\
        pytestmark = [pytest.mark.daily, pytest.mark.postdeploy, pytest.mark.runbook("step-2"),
                      pytest.mark.critical]

        @pytest.mark.redflag("D2.1", "G3")
        def test_health():
            pass

        class TestReady:
            @pytest.mark.redflag("D2.2")
            @pytest.mark.parametrize("path", ["/health/ready", "/ready"])
            def test_ready(self, path):
                pass
        """))
    pytester.makepyfile(test_free="def test_no_markers():\n    pass\n")
    result = pytester.runpytest("--no-reports", "checks", "test_free.py")
    assert result.ret == 0, out(result)
    result.assert_outcomes(passed=4)


def test_severity_red_flag_and_runbook_reach_allure(pytester):
    project(pytester, GREEN)
    result = pytester.runpytest("--alluredir=allure", "--no-reports")
    assert result.ret == 0
    import json

    (res,) = [json.loads(p.read_text()) for p in (pytester.path / "allure").glob("*-result.json")]
    labels = {(lab["name"], lab["value"]) for lab in res["labels"]}
    assert {("severity", "critical"), ("tag", "D1.4"), ("tag", "daily")} <= labels
    assert res["links"] == [{"type": "link", "url": f"{DOCS}runbook.md#step-1",
                             "name": "pms-operations-runbook.md#step-1"}]


def test_a_check_without_a_severity_marker_takes_its_red_flags(pytester):
    project(pytester, "@pytest.mark.daily\n@pytest.mark.redflag('D1.1')\n@pytest.mark.runbook('step-1')\n"
                      "def test_backend():\n    pass\n" + GREEN)
    result = pytester.runpytest("--alluredir=allure", "--no-reports", "-m", "blocker")
    assert result.ret == 0, out(result)
    result.assert_outcomes(passed=1)  # D1.1 is a blocker; test_green (critical by its marker) is deselected
    import json

    (res,) = [json.loads(p.read_text()) for p in (pytester.path / "allure").glob("*-result.json")]
    assert res["name"] == "D1.1: pms-backend missing or not Up"  # titled with the red flag's words
    assert {"name": "severity", "value": "blocker"} in res["labels"]


# ---------------------------------------------------------------- red-flag coverage

def test_redflag_ids_come_from_the_red_flags_table():
    from pms_runbook.plugin import redflag_ids

    ids = redflag_ids()
    assert list(ids)[:3] == ["D1.1", "D1.2", "D1.3"]
    assert {"D6.2", "F1", "F5", "G1", "G4", "Q7"} <= set(ids)
    assert ids["D3.1"] == "more than one worker container"
    rows = re.findall(r"^\| ([A-Z]\d+(?:\.\d+)?) \|", (ROOT / "pms_runbook" / "data" / "red-flags.md").read_text(),
                      re.MULTILINE)
    assert rows == list(ids)


def test_the_red_flags_copy_keeps_every_shared_id():
    shared = ROOT.parent / "shared" / "red-flags.md"
    if not shared.exists():
        pytest.skip("no shared/ folder beside the repository")
    from pms_runbook.plugin import redflag_ids

    shared_ids = re.findall(r"^\| ([A-Z]\d+(?:\.\d+)?) \|", shared.read_text(), re.MULTILINE)
    # every shared ID, in order; the suite may add its own IDs (D4.5 beside its Step) in between
    assert [i for i in redflag_ids() if i in set(shared_ids)] == shared_ids


def test_redflag_coverage_lists_covered_and_missing_ids(pytester):
    project(pytester, RED + GREEN + CNC_CALL)
    result = pytester.runpytest("--redflag-coverage")
    assert result.ret == 0, out(result)
    result.stdout.fnmatch_lines([
        "*RED-FLAG COVERAGE*",
        "D1.1 *NO *pms-backend missing or not Up*-",
        "D1.4 *ok *a PMS container is restarting*test_green",
        "D3.1 *ok *more than one worker container*test_one_worker",
        "3 of * red flags have a check",
        "without a check: D1.1, D1.2, D1.3, D1.5,*",
    ])
    assert "no tests ran" in result.stdout.lines[-1]  # nothing ran
    assert not (pytester.path / "reports").exists()


# ---------------------------------------------------------------- an honest verdict: NOT CHECKED

NO_DOCKER = "no Docker access (give --docker-host ssh://user@host)"
DOCKER_SKIPS = textwrap.dedent(f"""\
    @pytest.fixture
    def docker_client():
        pytest.skip("{NO_DOCKER}\\nprofile 'production': docker = none")
    """) + "".join(check(flag) + f"def test_docker_{n}(docker_client):\n    pass\n"
                   for n, flag in (("old_worker", "D1.5"), ("one_container", "D3.1")))
GATE_SKIP = check("D3.2") + textwrap.dedent("""\
    def test_celery_workers():
        pytest.skip("the backend does not check Celery (ENABLE_CELERY_HEALTHCHECK is off): count the workers by hand")
    """)


@pytest.mark.parametrize(("body", "code", "pattern"), [
    (GREEN, 0, r"ALL CLEAR: 1 checks clear, every selected check ran +\[exit 0\]"),
    (GREEN + DOCKER_SKIPS, 0,
     r"NO RED FLAG in 1 checks; 2 NOT CHECKED: no Docker access \(give --docker-host ssh://user@host\); "
     r"an old pms-worker beside pms-worker-v2 is seen by no check \(D1\.5, D3\.1 not checked\) +\[exit 0\]"),
    (GREEN + GATE_SKIP, 0, r"NO RED FLAG in 1 checks; 1 NOT CHECKED: the backend does not check Celery "
                           r"\(ENABLE_CELERY_HEALTHCHECK is off\)"),
    (DOCKER_SKIPS, 5, r"NOTHING CHECKED: 2 NOT CHECKED: no Docker access \(give --docker-host ssh://user@host\)"),
    (GREEN + RED + DOCKER_SKIPS, 1,
     r"RED FLAG: 1 failed \(D3\.1\); 1 clear, 0 could not check, 2 NOT CHECKED: no Docker access"),
    (GREEN + CNC_CALL + DOCKER_SKIPS, 10, r"NOT VERIFIED: no red flag, but 1 check\(s\) could not run; "
                                          r"1 clear, 1 could not check, 2 NOT CHECKED: no Docker access"),
], ids=["all-ran", "docker-skipped", "gate-off", "all-skipped", "red-and-skipped", "cnc-and-skipped"])
def test_verdict_says_what_was_not_checked(pytester, body, code, pattern):
    project(pytester, body)
    result = pytester.runpytest("--no-reports")
    assert result.ret == code, out(result)
    last = result.stdout.lines[-1]
    assert re.search(pattern, last), last
    assert ("ALL CLEAR" in last) == (body == GREEN), last
    if "NOT CHECKED" in last:
        result.stdout.fnmatch_lines(["*= NOT CHECKED =*"])


def test_not_checked_section_lists_each_reason_once_with_its_checks(pytester):
    project(pytester, GREEN + DOCKER_SKIPS + GATE_SKIP)
    result = pytester.runpytest("--no-reports")
    assert result.ret == 0, out(result)
    text = result.stdout.str()
    section = text[text.index("= NOT CHECKED ="):text.index("BLIND SPOT")]
    assert section.count(NO_DOCKER) == 1 and section.count("ENABLE_CELERY_HEALTHCHECK is off") == 1, section
    result.stdout.fnmatch_lines([
        "*= NOT CHECKED =*",
        f"{NO_DOCKER}  (2 check(s))",
        "*profile 'production': docker = none",
        "  D1.5 *checks/test_step1.py::test_docker_old_worker",
        "  D3.1 *checks/test_step1.py::test_docker_one_container",
        "the backend does not check Celery*(1 check(s))",
        "  D3.2 *checks/test_step1.py::test_celery_workers",
        "BLIND SPOT: an old pms-worker beside pms-worker-v2 is seen by no check (D1.5, D3.1, D3.2 not checked)",
    ])
    last = result.stdout.lines[-1]
    assert "3 NOT CHECKED" in last and "seen by no check" in last and "ALL CLEAR" not in last, last


def test_no_blind_spot_while_one_of_its_checks_ran(pytester):
    project(pytester, DOCKER_SKIPS + check("D3.2") + "def test_celery_workers():\n    pass\n")
    result = pytester.runpytest("--no-reports")
    assert result.ret == 0, out(result)
    assert "BLIND SPOT" not in result.stdout.str() and "seen by no check" not in result.stdout.lines[-1]


def test_not_checked_verdict_under_xdist(pytester):
    project(pytester, GREEN + DOCKER_SKIPS)
    result = pytester.runpytest_subprocess("--no-reports", "-n", "2", timeout=120)
    assert result.ret == 0, out(result)
    assert re.search(r"NO RED FLAG in 1 checks; 2 NOT CHECKED: no Docker access", result.stdout.lines[-1])
