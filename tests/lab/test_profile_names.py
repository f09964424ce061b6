"""A check that fails against the lab prints the names of the profile in use, not the runbook's defaults."""
import re

import pytest

CHECK = "checks/daily/test_step5_triage.py::test_pms_backend_is_on_the_supabase_network"


@pytest.mark.parametrize(("model", "variable", "renamed"), [
    ("v1", "PMS_SUPABASE_NETWORK", "pms-selftest-renamed-sb-net"),
    ("v2", "PMS_COOLIFY_NETWORK", "pms-selftest-renamed-edge"),
])
def test_a_red_flag_against_the_lab_names_the_profiles_network(lab_state, run_suite, monkeypatch, model, variable,
                                                               renamed):
    # The lab's containers are on the lab's networks: a profile naming another network sees them off it.
    monkeypatch.setenv(variable, renamed)
    monkeypatch.setenv("PMS_NETWORK_MODEL", model)
    run = run_suite("--no-header", CHECK)
    name = CHECK.rsplit("::", 1)[1]
    assert run.outcomes == {name: "red flag"}, run.output
    backend = lab_state.connection_info()["containers"]["backend"]
    fix = re.search(r"fix: (.*)", run.messages[name]).group(1)
    assert f"docker network connect {renamed} {backend}" in fix, fix
    default = lab_state.supabase_network if model == "v1" else lab_state.coolify_network
    assert default not in fix, fix
