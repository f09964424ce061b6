"""Self-tests of --fix without a lab: the read-only checks never see the elevated credentials, a root cause
without a remedy needs a human (its fix printed, nothing applied), the remedies' data is well-formed."""
from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

from pms_runbook import diagnosis, remedies
from tests.unit.test_plugin import check, project

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]


def test_no_check_or_fixture_imports_the_remedies():
    for folder in ("checks", "fixtures"):
        for path in (ROOT / folder).rglob("*.py"):
            assert not re.search(r"pms_runbook\.remedies|from pms_runbook import remedies", path.read_text()), path


def test_checks_run_before_the_elevated_credentials_are_read(pytester, monkeypatch):
    monkeypatch.setenv("PMS_FIX_DB_DSN", "postgresql://fixer:elevated-pw-123@127.0.0.1:9/postgres")
    project(pytester, check("D1.6") + textwrap.dedent("""\
        def test_commit():
            from pms_runbook.remedies import credentials
            assert credentials.LOADED is False, "a check saw the elevated credentials"
            assert False, message("SOURCE_COMMIT does not match", observed="abc", fix="redeploy in Coolify")
        """))
    result = pytester.runpytest_subprocess("--fix", timeout=120)
    text = result.stdout.str()
    assert result.ret == 1, text
    assert "a check saw the elevated credentials" not in text
    assert "needs a human (never applied by --fix)" in text and "redeploy in Coolify" in text, text
    audit = [json.loads(line) for line in (pytester.path / "reports" / "remediation-audit.jsonl").read_text().splitlines()]
    assert [e["kind"] for e in audit] == ["plan"] and audit[0]["items"][0]["status"] == "needs a human"
    for path in (pytester.path / "reports").rglob("*"):
        if path.is_file():
            assert b"elevated-pw-123" not in path.read_bytes(), path


def test_apply_without_a_terminal_and_without_yes_applies_nothing(pytester):
    project(pytester, check("D1.6") + "def test_commit():\n    assert False, message('x', observed=1, fix='y')\n")
    result = pytester.runpytest_subprocess("--fix=apply", timeout=120)
    assert result.ret == 1
    assert "none applied" in result.stdout.str()  # no remedy for a human's fix: nothing to confirm either


def test_every_remedy_fixes_a_check_the_diagnosis_knows_and_fills_its_names():
    from pms_runbook.catalogue import RUNBOOK_NAMES

    names = {n.split("def ", 1)[1].split("(")[0] for p in (ROOT / "checks").rglob("test_*.py")
             for n in p.read_text().splitlines() if n.startswith("def test_")}
    for name, entry in remedies.load().items():
        for sel in entry["fixes"]:
            assert sel.split("[")[0] in names, (name, sel)
        result = {"nodeid": f"checks/x.py::{entry['fixes'][0]}", "ids": [], "outcome": "red_flag",
                  "text": "RED FLAG: pms-worker-v2 is exited"}
        found = remedies.remedy_for(result, {**RUNBOOK_NAMES, "network_model": "v1"})
        assert found and not re.search(r"\{[a-z_]+\}", json.dumps(found[1])), (name, found)
    assert diagnosis.selector_cycles() == []
