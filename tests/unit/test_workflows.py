"""The GitHub workflows: valid YAML, valid against the GitHub workflow schema (check-jsonschema's
vendored copy, no network), and running the suite with markers and options that really exist."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
POSTDEPLOY, NIGHTLY = WORKFLOWS / "postdeploy.yml", WORKFLOWS / "nightly.yml"
SECRETS = {"ANON_KEY", "PMS_ADMIN_EMAIL", "PMS_ADMIN_PASSWORD", "PMS_DB_DSN"}
YAMLLINT = "{extends: default, rules: {document-start: disable, truthy: {check-keys: false}, line-length: {max: 120}}}"


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(workflow: dict) -> list[dict]:
    (job,) = workflow["jobs"].values()
    return job["steps"]


def pytest_commands(workflow: dict) -> list[list[str]]:
    runs = [s["run"] for s in steps(workflow) if "run" in s]
    return [shlex.split(line) for run in runs for line in run.splitlines() if re.search(r"\bpytest\b", line)]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)


def test_workflows_pass_yamllint():
    result = run("yamllint", "-s", "-d", YAMLLINT, str(POSTDEPLOY), str(NIGHTLY))
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_match_the_github_workflow_schema(tmp_path):
    result = run("check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(POSTDEPLOY), str(NIGHTLY))
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yml"  # the validator does catch a bad workflow
    broken.write_text(POSTDEPLOY.read_text().replace("runs-on:", "runs_on:"))
    assert run("check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(broken)).returncode == 1


def test_postdeploy_triggers_inputs_and_secrets():
    wf = load(POSTDEPLOY)
    dispatch, call = wf["on"]["workflow_dispatch"]["inputs"], wf["on"]["workflow_call"]["inputs"]
    assert set(dispatch) == set(call) == {"commit_sha", "environment"}
    assert dispatch["environment"]["options"] == ["lab", "staging", "production"]
    assert set(wf["on"]["workflow_call"]["secrets"]) == SECRETS
    (job,) = wf["jobs"].values()
    assert job["environment"] == "${{ inputs.environment }}"
    assert {k: v for k, v in job["env"].items() if k in SECRETS} == {s: f"${{{{ secrets.{s} }}}}" for s in SECRETS}
    assert job["env"]["EXPECTED_COMMIT"] == "${{ inputs.commit_sha }}"


def test_nightly_is_scheduled_and_can_be_started_by_hand():
    wf = load(NIGHTLY)
    (cron,) = [entry["cron"] for entry in wf["on"]["schedule"]]
    assert len(cron.split()) == 5
    assert "workflow_dispatch" in wf["on"]
    (job,) = wf["jobs"].values()
    assert SECRETS <= set(job["env"])


@pytest.mark.parametrize("path", [POSTDEPLOY, NIGHTLY], ids=["postdeploy", "nightly"])
def test_lab_is_set_up_and_reports_are_kept_always(path):
    all_steps = steps(load(path))
    lab_runs = [s["run"] for s in all_steps if "lab'" in str(s.get("if", "")) and "==" in str(s.get("if"))]
    assert any("pms-lab up" in r for r in lab_runs)
    names = [s.get("name", s.get("uses", "")) for s in all_steps]
    assert names.index("Keep the reports") > max(i for i, s in enumerate(all_steps) if "pytest" in s.get("run", ""))
    (upload,) = [s for s in all_steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert upload["if"] == "always()"
    kept = upload["with"]["path"].split()
    assert {"reports/report.html", "reports/junit.xml", "reports/allure-results/", "reports/allure-report.html"} <= set(kept)


@pytest.mark.parametrize("path", [POSTDEPLOY, NIGHTLY], ids=["postdeploy", "nightly"])
def test_workflows_call_the_repos_entry_points_without_repeating_the_set_up(path):
    # The same commands as scripts/selftest and .ci/run: scripts/bootstrap for every target, then
    # .venv/bin/pms-lab up for the lab, then scripts/pytest; no set-up of their own beside them.
    all_steps = steps(load(path))
    runs = [line.strip() for s in all_steps for line in s.get("run", "").splitlines()]
    (setup,) = [s for s in all_steps if "scripts/bootstrap" in s.get("run", "")]
    assert "if" not in setup, "every target is set up by scripts/bootstrap"
    assert [cmd[0] for cmd in pytest_commands(load(path))] == ["scripts/pytest"]
    repeated = [r for r in runs if re.search(r"pip install|-m venv|npm (ci|install)|\.venv/bin/pytest", r)]
    assert repeated == []


def test_run_commands_use_real_markers_and_options():
    markers = {m.split(":")[0].split("(")[0] for m in
               tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["markers"]}
    help_text = run("pytest", "--help", "-p", "no:cacheprovider").stdout
    known = set(re.findall(r"^\s+(--[a-z][\w-]*)", help_text, re.MULTILINE))
    seen = {}
    for path, schedule in ((POSTDEPLOY, "postdeploy"), (NIGHTLY, "nightly")):
        (cmd,) = pytest_commands(load(path))
        expr = cmd[cmd.index("-m") + 1]
        assert expr == schedule
        assert set(re.findall(r"\w+", expr)) - {"and", "or", "not"} <= markers
        options = {a.split("=")[0] for a in cmd if a.startswith("--")}
        assert options <= known, f"{path.name} uses options pytest does not know: {options - known}"
        seen[schedule] = options
    assert {"--pms-env", "--expected-commit"} <= seen["postdeploy"]
    assert "--allure-html" in seen["nightly"]


@pytest.mark.parametrize("path", [POSTDEPLOY, NIGHTLY], ids=["postdeploy", "nightly"])
def test_the_summary_line_is_published_and_the_history_kept_between_runs(path):
    all_steps = steps(load(path))
    names = [s.get("name", "") for s in all_steps]
    (cmd,) = pytest_commands(load(path))
    assert "--summary-line" in cmd
    checks = next(i for i, s in enumerate(all_steps) if "pytest" in s.get("run", ""))
    restore = all_steps[names.index("Restore the run history")]
    save = all_steps[names.index("Keep the run history")]
    publish = all_steps[names.index("Publish the summary line")]
    assert names.index("Restore the run history") < checks < names.index("Publish the summary line")
    assert restore["uses"].startswith("actions/cache/restore@") and save["uses"].startswith("actions/cache/save@")
    assert restore["with"]["path"] == save["with"]["path"] == "reports/history.jsonl"
    # A new key per run (caches are immutable), restored by its prefix: the newest history of the environment.
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"]) and "github.run_id" in save["with"]["key"]
    assert save["if"] == publish["if"] == "always()"
    assert '["summary_line"]' in publish["run"] and "$GITHUB_STEP_SUMMARY" in publish["run"]
    env = next(iter(load(path)["jobs"].values()))["env"]
    assert {"PMS_ALERTMANAGER_URL", "PMS_PUSHGATEWAY_URL", "PMS_NOTIFY_WEBHOOK", "PMS_REPORT_URL"} <= set(env)
