"""Every fault turns exactly its checks red (or could-not-check), and the healthy lab is all green."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.lab.matrix import (
    ALL,
    BROWSER_MATRIX,
    FIX_NAMES,
    MATRIX,
    PAIRS,
    PROVEN_ELSEWHERE,
    RACY,
    ROOTS,
    TIMED,
    V2_MATRIX,
    V2_ROOTS,
    C,
    N,
    R,
    render,
)

pytestmark = [pytest.mark.lab, pytest.mark.slow]

SELECTION = ["-m", "(daily or weekly or monthly or postdeploy or nightly) and not browser"]


def _args(lab_state):
    return [*SELECTION, "--expected-commit", lab_state.commit, "--ready-wait", "3"]


def test_healthy_lab_passes_every_check(lab_state, run_suite):
    run = run_suite(*_args(lab_state))
    assert set(run.outcomes) == set(ALL), f"checks differ from the matrix: {set(run.outcomes) ^ set(ALL)}"
    assert run.not_passed() == {}, run.output[-4000:]
    assert run.returncode == 0


@pytest.mark.parametrize("fault", list(MATRIX))
def test_fault_turns_exactly_its_checks_red(fault, healed_lab, run_suite, suite_info):
    from lab import faults

    faults.inject(healed_lab, fault)
    run = run_suite(*_args(healed_lab))
    expected = dict(MATRIX[fault])
    for name, allowed in RACY.get(fault, {}).items():
        seen = run.not_passed().get(name, "passed")
        assert seen in allowed, (name, seen, run.output[-3000:])
        if seen == "passed":
            expected.pop(name, None)
        else:
            expected[name] = seen
    assert run.not_passed() == dict(sorted(expected.items())), run.output[-6000:]
    for name, outcome in expected.items():
        message = run.messages[name]
        if outcome == R:
            assert "RED FLAG:" in message and "fix:" in message and "see:" in message, message
        elif outcome == C:
            assert "could not check" in message, message
    red, cnc = (any(o == x for o in expected.values()) for x in (R, C))
    assert run.returncode == (1 if red else 10 if cnc else 0), run.output[-3000:]
    assert_diagnosis(run, expected, ROOTS[fault])
    assert_fixes(run, fault, suite_info)
    if any(o == N for o in expected.values()):
        assert " NOT CHECKED: " in run.output and "ALL CLEAR" not in run.output, run.output[-3000:]


def assert_diagnosis(run, expected: dict[str, str], roots: set[str]) -> None:
    """The root causes are exactly `roots`, and every other non-passing check follows from one of them."""
    assert run.verdict is not None, run.output[-3000:]
    assert run.roots() == roots, (run.roots(), run.output[-4000:])
    failing = {n for n, o in expected.items() if o in (R, C)}
    follows = run.follows_from()
    assert set(follows) == failing - roots, (follows, run.output[-4000:])
    assert set(follows.values()) <= roots, follows


PLACEHOLDER = re.compile(r"\$CID|\.\.\./|\.\.\.\s|<(old|agency|ops user id|name)>|\{[a-z_]+\}|\$PMS_API_URL|\$PMS_ADMIN_URL")


def assert_fixes(run, fault: str, info: dict) -> None:
    """Every printed fix holds no placeholder for a value the run knew, and the root cause's names the
    component observed down."""
    printed = [c for c in run.verdict["checks"] if c["fix"]]
    for c in printed:
        assert not PLACEHOLDER.search(c["fix"]), (c["nodeid"], c["fix"])
    values = {"supabase_network": info["supabase_network"], "api_url": info["api_url"]}
    for c in (c for c in printed if c.get("root_cause")):
        for name in FIX_NAMES.get(fault, ()):
            assert name.format(**values) in c["fix"], (c["nodeid"], name, c["fix"])


@pytest.mark.parametrize("pair", PAIRS, ids=["+".join(p) for p in PAIRS])
def test_two_unrelated_faults_are_both_root_causes(pair, healed_lab, run_suite):
    from lab import faults

    for fault in pair:
        faults.inject(healed_lab, fault)
    run = run_suite(*_args(healed_lab))
    expected_roots = set().union(*(ROOTS[f] for f in pair))
    assert expected_roots <= run.roots(), (run.roots(), run.output[-4000:])
    failing = {n for n, o in run.not_passed().items() if o in (R, C)}
    assert set(run.follows_from()) == failing - run.roots()
    assert run.roots() == expected_roots, (run.roots(), run.output[-4000:])


def test_every_fault_of_the_matrix_has_its_root_causes():
    assert set(ROOTS) == set(MATRIX) and set(V2_ROOTS) == set(V2_MATRIX)
    for fault, roots in ROOTS.items():
        assert roots <= {n for n, o in MATRIX[fault].items() if o in (R, C)}, fault


def test_every_check_is_turned_red_by_some_fault():
    never = [n for n in ALL if not any(row.get(n) == R for row in MATRIX.values())]
    assert never == sorted(PROVEN_ELSEWHERE, key=ALL.index), f"checks no fault turns red: {never}"


def test_every_lab_fault_is_in_the_matrix():
    from lab.faults import FAULTS

    assert set(FAULTS) == set(MATRIX) | set(TIMED) | set(V2_MATRIX) | set(BROWSER_MATRIX)


def test_detection_matrix_doc_is_current():
    doc = Path(__file__).resolve().parents[2] / "docs" / "detection-matrix.md"
    assert doc.read_text() == render(), "regenerate: python -m tests.lab.matrix > docs/detection-matrix.md"


@pytest.mark.parametrize("selection", [["-m", "daily"], ["-m", "daily", "-n", "2"], ["-m", "postdeploy"],
                                       ["-m", "nightly"], ["-m", "weekly or monthly"]])
def test_healthy_lab_selection_is_all_clear_through_the_edge_with_nothing_skipped(selection, lab_state, run_suite,
                                                                                   suite_info):
    if "postdeploy" in selection:
        selection = [*selection, "--expected-commit", lab_state.commit]
    run = run_suite(*selection)
    assert run.returncode == 0 and "ALL CLEAR" in run.output, run.output[-3000:]
    assert run.outcomes and set(run.outcomes.values()) == {"passed"}, run.not_passed()
    # through coolify-proxy, as production goes through Traefik, and the edge's own checks ran
    targets = run.verdict["run"]["targets"]
    assert targets["api_url"] == suite_info["edge_api_url"] and targets["admin_url"] == suite_info["edge_admin_url"]
    edge = [c for c in run.verdict["checks"] if c["nodeid"].startswith("checks/edge/")]
    assert (len(edge) >= 18) == ("weekly or monthly" not in selection), len(edge)


def test_token_is_fetched_once_per_run_under_xdist(lab_state, run_suite):
    import docker

    gateway = docker.from_env().containers.get("supabase-auth")
    since = int(__import__("time").time())
    # the browser walk logs in to the admin, whose server asks the gateway for the admin's own token
    run = run_suite("-m", "daily and not browser", "-n", "2")
    assert run.returncode == 0, run.output[-3000:]
    grants = [line for line in gateway.logs(since=since).decode().splitlines()
              if "POST /auth/v1/token" in line]
    assert len(grants) == 1, grants


def _dom(page: Path) -> str:
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no Debian chromium to open the HTML report (scripts/bootstrap installs it)")
    proc = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_html_report_leads_with_the_diagnosis(healed_lab, run_suite, tmp_path, suite_info):
    """Opened in headless Chromium: the first thing after the title is the verdict, the root cause with its
    fix, the profile, the target and the deployed commit, with the terminal's counts."""
    import re

    from lab import faults

    faults.inject(healed_lab, "db-network-disconnect")
    run = run_suite(*_args(healed_lab))
    dom = _dom(tmp_path / "reports" / "report.html")
    first = dom[dom.index("</h1>"):]
    assert first.index('id="pms-diagnosis"') < first.index('id="environment"') < first.index('id="results-table"')
    section = first[first.index('id="pms-diagnosis"'):first.index("</section>")]
    assert "ROOT CAUSE D5.2" in section and "test_pms_backend_is_on_the_supabase_network" in section
    assert f"docker network connect {healed_lab.supabase_network} pms-backend" in section
    assert "id=\"pms-profile\">lab<" in section and suite_info["api_url"] in section
    assert healed_lab.commit in section  # the deployed commit the run read
    counts = re.search(r"data-root-causes=\"(\d+)\" data-following=\"(\d+)\"", section).groups()
    terminal = re.search(r"; (\d+) root causes?, (\d+) following from", run.output).groups()
    assert counts == terminal, (counts, terminal)
    assert "Traceback" not in dom
