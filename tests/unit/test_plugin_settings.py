"""The plugin's settings: resolved once, the lab's values through its own plugin's hook, and
pms_runbook never importing the lab."""
from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from test_plugin import check, out, project

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]


def _clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith(("PMS_", "SB_", "ANON_KEY", "SUPABASE_", "EXPECTED_COMMIT", "EXPECT_COMMIT")):
            monkeypatch.delenv(name)


def test_the_lab_profile_takes_the_labs_values_from_the_hook(pytester, monkeypatch):
    _clean_env(monkeypatch)
    project(pytester, check("D2.1") + textwrap.dedent("""\
        def test_api(settings):
            assert settings.api_url == "http://127.0.0.1:18000"
            assert settings.sources["api_url"] == "lab status api_url"
            assert settings.db_dsn.reveal() == "postgresql://ro:lab-pw-77@127.0.0.1:1/x"
        """), conftest=textwrap.dedent("""\
        pytest_plugins = ["fixtures.settings"]
        ASKED = []

        def pytest_pms_lab_status(config):
            ASKED.append(1)
            assert len(ASKED) == 1, "asked once per run"
            return {"api_url": "http://127.0.0.1:18000", "db_dsn": "postgresql://ro:lab-pw-77@127.0.0.1:1/x"}
        """))
    result = pytester.runpytest("--no-reports", f"--env-file={pytester.path / 'none.env'}")
    assert result.ret == 0, out(result)


def test_an_old_variable_name_works_and_is_named_in_the_warnings(pytester, monkeypatch):
    _clean_env(monkeypatch)
    monkeypatch.setenv("EXPECT_COMMIT", "95503f1")
    project(pytester, check("D2.1") + "def test_sha(settings):\n    assert settings.expected_commit == '95503f1'\n",
            conftest='pytest_plugins = ["fixtures.settings"]\n')
    result = pytester.runpytest("--no-reports", "--pms-env", "production", "--docker-host", "none")
    assert result.ret == 0, out(result)
    assert "EXPECT_COMMIT is the old name of EXPECTED_COMMIT: rename it (still read)" in out(result)


def test_another_profile_never_asks_the_lab(pytester, monkeypatch):
    _clean_env(monkeypatch)
    project(pytester, check("D2.1") + "def test_api(settings):\n    assert settings.api_url.startswith('https://api.')\n",
            conftest=textwrap.dedent("""\
        pytest_plugins = ["fixtures.settings"]

        def pytest_pms_lab_status(config):
            raise AssertionError("the lab was asked for a production run")
        """))
    result = pytester.runpytest("--no-reports", "--pms-env", "production", "--docker-host", "none")
    assert result.ret == 0, out(result)


def test_incomplete_settings_are_one_configuration_error_before_any_check(pytester, monkeypatch):
    _clean_env(monkeypatch)
    project(pytester, check("D2.1") + "def test_api(settings, api_target):\n    raise AssertionError('CHECK-BODY-RAN')\n",
            conftest=textwrap.dedent("""\
        import pytest
        pytest_plugins = ["fixtures.settings"]

        @pytest.fixture
        def api_target(settings):
            return settings.api_url
        """))
    result = pytester.runpytest_subprocess("--no-reports", "--pms-env", "staging", timeout=60)
    assert result.ret == 4, out(result)
    assert "- PMS_API_URL: PMS API base URL; pass --api-url" in out(result)
    assert "CHECK-BODY-RAN" not in out(result) and "Traceback" not in out(result)


def test_lab_plugin_reads_the_lab_state_only_when_there_is_one(monkeypatch):
    from lab import pytest_plugin, state

    monkeypatch.setattr(state.LabState, "exists", classmethod(lambda cls: False))
    assert pytest_plugin.pytest_pms_lab_status(config=None) == {}

    class Loaded:
        def profile_info(self, via_edge=True):
            edge = {"api_url": "https://api.pms.lab.test", "admin_url": "https://admin.pms.lab.test"}
            return edge if via_edge else {"api_url": "http://127.0.0.1:18000", "admin_url": "http://127.0.0.1:18300"}

    monkeypatch.setattr(state.LabState, "exists", classmethod(lambda cls: True))
    monkeypatch.setattr(state.LabState, "load", classmethod(lambda cls: Loaded()))
    monkeypatch.delenv("PMS_LAB_VIA_EDGE", raising=False)
    # by default through the edge, as production goes through Traefik; PMS_LAB_VIA_EDGE=0: the direct ports
    assert pytest_plugin.pytest_pms_lab_status(config=None)["api_url"] == "https://api.pms.lab.test"
    monkeypatch.setenv("PMS_LAB_VIA_EDGE", "0")
    assert pytest_plugin.pytest_pms_lab_status(config=None)["api_url"] == "http://127.0.0.1:18000"
    monkeypatch.setenv("PMS_LAB_VIA_EDGE", "1")
    assert pytest_plugin.pytest_pms_lab_status(config=None)["admin_url"] == "https://admin.pms.lab.test"


def test_lab_profile_info_swaps_every_http_url_for_the_edge_and_keeps_the_rest():
    from lab.state import LabState

    info = {"api_url": "http://127.0.0.1:18000", "admin_url": "http://127.0.0.1:18300",
            "public_url": "http://127.0.0.1:18400", "sb_url": "http://127.0.0.1:18999",
            "edge_api_url": "https://api.pms.lab.test", "edge_admin_url": "https://admin.pms.lab.test",
            "edge_site_url": "https://fewo.pms.lab.test"}
    fake = type("S", (), {"connection_info": lambda self: dict(info)})()
    edge = LabState.profile_info(fake)
    assert (edge["api_url"], edge["admin_url"], edge["public_url"]) == (
        "https://api.pms.lab.test", "https://admin.pms.lab.test", "https://fewo.pms.lab.test")
    assert edge["sb_url"] == info["sb_url"]  # the auth gateway is not behind coolify-proxy
    assert LabState.profile_info(fake, via_edge=False) == info


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["pms_runbook", "fixtures"])
def test_the_runbook_never_imports_the_lab(package):
    offenders = {str(p.relative_to(ROOT)): sorted(n for n in _imports(p) if n == "lab" or n.startswith("lab."))
                 for p in (ROOT / package).rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_fixture_module_defines_a_hook():
    hooks = {str(p.relative_to(ROOT)): [n.name for n in ast.walk(ast.parse(p.read_text()))
                                         if isinstance(n, ast.FunctionDef) and n.name.startswith("pytest_")]
             for p in (ROOT / "fixtures").glob("*.py")}
    assert {k: v for k, v in hooks.items() if v} == {}
