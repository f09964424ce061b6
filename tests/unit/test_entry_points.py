"""One set of entry points, and runs of the checks that import only what they use.

The README's commands must work as printed on a fresh machine (after scripts/bootstrap), and
scripts/, tox.ini and .ci/run must call the same few commands rather than repeat them.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What a run of the checks never uses: the self-tests' fuzzer, the lab's services and their web stack,
# and the popup guard's parser outside the guard.
NOT_IN_A_RUN_OF_CHECKS = ("hypothesis", "tree_sitter", "tree_sitter_javascript", "tree_sitter_typescript",
                          "lab.services", "fastapi", "starlette", "uvicorn", "celery", "kombu", "redis",
                          "paramiko", "invoke", "click", "rich", "jwt",  # ssh:// only; httpx's CLI; pyjwt
                          "playwright", "greenlet", "pyee")  # the browser walk: imported by its fixture only


def _readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    lines = [ln.split("#")[0].strip() for b in blocks for ln in b.splitlines()]
    return [ln for ln in lines if ln and not ln.startswith(("export ", "psql "))]


def test_readme_commands_exist_as_printed():
    scripts = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"])
    commands = _readme_commands()
    assert commands
    for cmd in commands:
        program = cmd.split()[0]
        if program.startswith(".venv/bin/"):
            # Console scripts exist once scripts/bootstrap installed the project; pytest/python come with the venv.
            assert program.removeprefix(".venv/bin/") in scripts | {"pytest", "python"}, cmd
        else:
            assert program.startswith("scripts/"), f"README command not runnable as printed: {cmd}"
            assert os.access(ROOT / program, os.X_OK), cmd


def test_scripts_tox_and_ci_call_the_same_commands():
    callers = {p: p.read_text() for p in [*(ROOT / "scripts").iterdir(), ROOT / "tox.ini", ROOT / ".ci" / "run"]
               if p.name != "pytest"}
    for path, text in callers.items():
        # pytest runs only through scripts/pytest (bytecode caching on), never the venv's pytest directly.
        assert ".venv/bin/pytest" not in text, path
    assert "scripts/selftest" in callers[ROOT / ".ci" / "run"]
    tox = callers[ROOT / "tox.ini"]
    assert {"scripts/pytest -m daily", "scripts/pytest -m postdeploy", "scripts/selftest"} <= {
        m for m in re.findall(r"scripts/\w+(?: -m \w+)?", tox)}
    for script in ("daily", "selftest"):
        text = callers[ROOT / "scripts" / script]
        assert "scripts/bootstrap" in text and ".venv/bin/pms-lab up" in text and "scripts/pytest" in text, script


def test_a_run_of_checks_imports_only_what_it_uses(tmp_path):
    """Collect the daily checks against a dead staging target (nothing is sent) and list the modules loaded."""
    (tmp_path / "modules.py").write_text(
        "import sys\n"
        "def pytest_collection_finish(session):\n"
        "    print('MODULES', ' '.join(sorted(sys.modules)))\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PMS_", "SB_", "ANON_KEY", "DOCKER_HOST"))}
    env = {**clean, "PYTHONPATH": str(tmp_path), "ANON_KEY": "anon-canary", "PMS_ADMIN_EMAIL": "ops@example.com",
           "PMS_ADMIN_PASSWORD": "password-canary"}
    dead = "http://127.0.0.1:9"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "modules", "--collect-only", "-q", "-s", "-m", "daily", "--no-reports",
         "--pms-env", "staging", "--api-url", dead, "--admin-url", dead, "--sb-url", dead, "--docker-host", "none",
         f"--env-file={tmp_path / 'no.env'}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("MODULES ")), None)
    assert line, (proc.stdout + proc.stderr)[-3000:]
    loaded = set(line.split()[1:])
    assert "checks.daily.test_step1_containers" in loaded or any(m.endswith("test_step1_containers") for m in loaded)
    unwanted = sorted(m for m in loaded if m.split(".")[0] in NOT_IN_A_RUN_OF_CHECKS
                      or any(m == u or m.startswith(u + ".") for u in NOT_IN_A_RUN_OF_CHECKS))
    assert not unwanted, f"a run of the checks imported {unwanted}"
