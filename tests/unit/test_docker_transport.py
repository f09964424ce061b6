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


def test_a_local_engine_does_not_import_paramiko_and_an_ssh_one_still_gets_its_adapter():
    """The SDK is imported when Docker is first read, its ssh:// adapter (paramiko, invoke) only for an ssh:// engine."""
    import subprocess
    import sys

    code = ("import sys\n"
            "import pms_runbook.transports.docker as d\n"
            "assert 'docker' not in sys.modules, 'the SDK imported before Docker is read'\n"
            "d._sdk()\n"
            "import docker.api.client as c\n"
            "assert 'paramiko' not in sys.modules and not hasattr(c, 'SSHHTTPAdapter'), 'paramiko imported'\n"
            "d._ssh_adapter()\n"
            "assert c.SSHHTTPAdapter.__name__ == 'SSHHTTPAdapter' and 'paramiko' in sys.modules\n"
            "a = c.APIClient(base_url='ssh://ops@vps.invalid', use_ssh_client=True, version='1.41')\n"
            "assert type(a._custom_adapter).__name__ == 'SSHHTTPAdapter'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
