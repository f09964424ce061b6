"""Docker access as the profile and DOCKER_HOST say: ssh:// goes through the ssh binary (no paramiko)."""
import docker
import pytest

from pms_runbook.redflag import CouldNotCheck
from pms_runbook.transports.docker import connect


@pytest.mark.parametrize("given, env", [("ssh://ops@vps.invalid", None), ("local", "ssh://ops@vps.invalid")])
def test_ssh_docker_host_uses_the_ssh_client(monkeypatch, given, env):
    seen = {}

    class FakeClient:
        def __init__(self, base_url=None, timeout=None, use_ssh_client=False):
            seen.update(base_url=base_url, use_ssh_client=use_ssh_client)

        def ping(self):
            return True

    monkeypatch.setattr(docker, "DockerClient", FakeClient)
    if env:
        monkeypatch.setenv("DOCKER_HOST", env)
    connect(given)
    assert seen == {"base_url": "ssh://ops@vps.invalid", "use_ssh_client": True}


def test_unreachable_engine_is_could_not_check():
    with pytest.raises(CouldNotCheck, match="could not check Docker because the Docker engine at tcp://127.0.0.1:9"):
        connect("tcp://127.0.0.1:9", timeout=2)
