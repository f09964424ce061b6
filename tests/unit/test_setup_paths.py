"""Set-up paths an operator takes: every missing or unusable setting is a configuration error (exit 4)
before any check runs, and the guards that have nothing to judge say so instead of passing.

Each case runs the suite in a subprocess with a clean environment and no lab (profiles staging and
production), so nothing is ever sent to a target.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"ANON_KEY": "anon-key-for-tests", "PMS_ADMIN_EMAIL": "ops@example.com",
           "PMS_ADMIN_PASSWORD": "password-for-tests", "PMS_DB_DSN": "postgresql://ro:pw-for-tests@127.0.0.1:9/x"}


def _run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PMS_", "SB_", "ANON_KEY", "DOCKER_HOST"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
         f"--reports-dir={tmp_path / 'reports'}", f"--env-file={tmp_path / 'no.env'}", *args],
        cwd=ROOT, env={**clean, **(env or {})}, capture_output=True, text=True, timeout=120)


def test_readme_role_sql_is_the_labs_own():
    from lab.migrate import readonly_role_sql

    readme = (ROOT / "README.md").read_text()
    assert "```sql\n" + readonly_role_sql("pms_runbook_ro") + "```" in readme
    assert "relrowsecurity" in readonly_role_sql("pms_runbook_ro")  # RLS-enabled tables are covered


def test_staging_without_urls_is_a_configuration_error_naming_each(tmp_path):
    proc = _run(tmp_path, "-m", "daily or postdeploy", "--pms-env", "staging", "--expected-commit", "5767b15",
                env=SECRETS)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 4, output[-3000:]
    for name in ("PMS_API_URL", "PMS_ADMIN_URL", "SB_URL", "PMS_DOCKER_HOST"):
        assert f"- {name}:" in output, output[-3000:]
    assert "AttributeError" not in output and "RED FLAG" not in output and " passed" not in output


@pytest.mark.parametrize("url", ["ftp://api.example.com", "api.example.com", "https://"])
def test_an_unusable_url_is_named_with_every_missing_value_at_once(tmp_path, url):
    proc = _run(tmp_path, "-m", "daily", "--pms-env", "staging", "--docker-host", "none", f"--api-url={url}",
                "--admin-url=https://admin.example.com", "--sb-url=https://sb.example.com",
                env={"PMS_ADMIN_EMAIL": "ops@example.com"})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 4, output[-3000:]
    assert f"api_url = {url!r} is not an http(s) URL" in output, output[-3000:]
    assert "- ANON_KEY:" in output and "- PMS_ADMIN_PASSWORD:" in output, output[-3000:]
    assert "- PMS_API_URL:" not in output  # the bad URL is named once, as invalid
    assert "AttributeError" not in output and " passed" not in output


def test_production_asks_for_docker_access(tmp_path):
    proc = _run(tmp_path, "-m", "daily", "--pms-env", "production", env=SECRETS)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 4, output[-3000:]
    assert "PMS_DOCKER_HOST" in output and "--docker-host ssh://user@host" in output
    assert "--docker-host none" in output, output[-3000:]
    # Without Docker checks in the selection, nothing asks for it.
    proc = _run(tmp_path, "-m", "monthly", "--pms-env", "production", f"--frontend-dir={ROOT / 'lab' / 'frontend'}")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]


POPUPS = "checks/reminders/test_step6_popups.py"


def test_popup_guard_with_no_source_file_is_not_checked(tmp_path):
    empty = tmp_path / "frontend"
    (empty / "node_modules" / "x").mkdir(parents=True)
    (empty / "node_modules" / "x" / "index.js").write_text("alert('vendored')\n")
    (empty / "README.md").write_text("no code here\n")
    proc = _run(tmp_path, POPUPS, "--pms-env", "staging", f"--frontend-dir={empty}", "-rs")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 5, output[-3000:]
    assert f"the popup guard found no JS/TS source in {empty}" in output and ".tsx" in output, output[-3000:]
    assert "NOTHING CHECKED: 1 NOT CHECKED" in output and "ALL CLEAR" not in output


def test_popup_guard_names_files_it_could_not_read(tmp_path):
    tree = tmp_path / "frontend"
    tree.mkdir()
    (tree / "ok.ts").write_text("export const x = 1;\n")
    (tree / "huge.js").write_text("// " + "x" * (2 * 1024 * 1024 + 10) + "\n")
    proc = _run(tmp_path, POPUPS, "--pms-env", "staging", f"--frontend-dir={tree}")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 10, output[-3000:]
    assert "could not check the popup guard on 1 file(s)" in output and "huge.js" in output, output[-3000:]
    (tree / "bad.js").write_text("alert('x')\n")
    proc = _run(tmp_path, POPUPS, "--pms-env", "staging", f"--frontend-dir={tree}")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "RED FLAG: browser popups" in output and "not scanned: huge.js" in output


def test_migrations_comparison_without_a_directory_is_named_not_checked(tmp_path):
    # F4's comparison reads the database too: an unreachable DSN would make it "could not check",
    # so this proves the order: no migrations directory is NOT CHECKED before the DB is asked.
    proc = _run(tmp_path, "-m", "postdeploy", "-k", "test_every_migration_is_applied", "--pms-env", "staging",
                "--docker-host", "none", "--api-url=https://api.example.com", "--admin-url=https://a.example.com",
                "--sb-url=https://sb.example.com", "--expected-commit=5767b15", env=SECRETS)
    output = proc.stdout + proc.stderr
    assert "NOT CHECKED: no migrations directory for this profile" in output, output[-3000:]
