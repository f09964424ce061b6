"""The Docker transport: the engine at a DOCKER_HOST-style URL (unix://, tcp://, ssh://), read-only.

Inspect, list, logs and exec of read-only commands only; nothing here starts, stops or changes a
container or a network. It hands back the engine's raw answers (inspect JSON, log lines); parsing
them is `pms_runbook.resources.containers`'s job.
"""
from __future__ import annotations

import os
import sys

# The SDK imports its ssh:// adapter, and with it paramiko and invoke (about 0.15 s, most of the SDK's
# import), whatever the engine's URL. A None in sys.modules makes that import fail as it would without
# paramiko, which docker.transport expects; `_ssh_adapter` brings it in when an engine is ssh://.
_SSH_ADAPTER = "docker.transport.sshconn"
if "docker" not in sys.modules and _SSH_ADAPTER not in sys.modules:
    sys.modules[_SSH_ADAPTER] = None
    try:
        import docker
    finally:
        del sys.modules[_SSH_ADAPTER]
import docker  # noqa: E402
import requests  # noqa: E402
from docker.utils.socket import frames_iter  # noqa: E402

from pms_runbook.redflag import CouldNotCheck
from pms_runbook.secrets import scrub

READ_COMMANDS = {("getent", "hosts")}  # the only commands the suite runs inside a container


def _ssh_adapter() -> None:
    """The SDK's ssh:// adapter, where the import above left it out (the client looks it up when built)."""
    import docker.api.client
    import docker.transport

    if not hasattr(docker.api.client, "SSHHTTPAdapter"):
        from docker.transport.sshconn import SSHHTTPAdapter

        docker.transport.SSHHTTPAdapter = docker.api.client.SSHHTTPAdapter = SSHHTTPAdapter


def connect(url: str | None, timeout: float = 10.0) -> docker.DockerClient:
    """A Docker client for DOCKER_HOST-style URLs: unix socket, tcp://, or ssh://user@host."""
    if url in (None, "", "local") and os.environ.get("DOCKER_HOST", "").startswith("ssh://"):
        url = os.environ["DOCKER_HOST"]  # through the ssh binary, as --docker-host ssh://... is
    try:
        if url in (None, "", "local"):
            client = docker.from_env(timeout=int(timeout))
        else:
            if url.startswith("ssh://"):
                _ssh_adapter()
            client = docker.DockerClient(base_url=url, timeout=int(timeout), use_ssh_client=url.startswith("ssh://"))
        client.ping()
        return client
    except Exception as exc:  # the SDK raises several families here (DockerException, requests, paramiko)
        raise CouldNotCheck("Docker", f"the Docker engine at {url or 'DOCKER_HOST/local socket'} is not "
                            f"reachable: {scrub(str(exc))[:200]}") from None


def list_attrs(client: docker.DockerClient) -> list[dict]:
    """`docker ps -a`, as the inspect JSON of each container."""
    try:
        return [c.attrs for c in client.containers.list(all=True, ignore_removed=True)]
    except (docker.errors.DockerException, requests.RequestException) as exc:
        raise CouldNotCheck("docker ps", f"the Docker engine failed: {scrub(str(exc))[:200]}") from None


def inspect_attrs(client: docker.DockerClient, name: str) -> dict | None:
    """`docker inspect <name>`, or None when there is no such container."""
    try:
        return client.containers.get(name).attrs
    except docker.errors.NotFound:
        return None
    except (docker.errors.DockerException, requests.RequestException) as exc:
        raise CouldNotCheck(f"docker inspect {name}", scrub(str(exc))[:200]) from None


def exec_read(client: docker.DockerClient, name: str, cmd: list[str]) -> tuple[int, str]:
    """`docker exec <name> <cmd>` for a read command (getent hosts ...)."""
    if tuple(cmd[:2]) not in READ_COMMANDS:
        raise ValueError(f"not a read command: {cmd}")
    try:
        container = client.containers.get(name)
        exec_id = client.api.exec_create(container.id, cmd, stdout=True, stderr=True)["Id"]
        # The SDK's own read, with the close here: over ssh:// the socket's close writes to a dial-stdio process
        # that may have ended with the exec (BrokenPipeError), which in exec_run loses an answer already read.
        sock = client.api.exec_start(exec_id, socket=True)
        try:
            output = b"".join(data for _stream, data in frames_iter(sock, tty=False))
        finally:
            try:
                sock.close()
            except OSError:
                pass
        exit_code = client.api.exec_inspect(exec_id)["ExitCode"]
    except docker.errors.NotFound:
        raise CouldNotCheck(f"docker exec {name} {' '.join(cmd)}", f"there is no container {name}") from None
    except docker.errors.APIError as exc:
        raise CouldNotCheck(f"docker exec {name} {' '.join(cmd)}",
                            f"{name} cannot run commands now ({exc.explanation or exc})") from None
    except (docker.errors.DockerException, requests.RequestException) as exc:
        raise CouldNotCheck(f"docker exec {name} {' '.join(cmd)}", scrub(str(exc))[:200]) from None
    return exit_code, output.decode(errors="replace")


def log_tail(client: docker.DockerClient, name: str, lines: int = 100) -> list[str]:
    try:
        raw = client.containers.get(name).logs(tail=lines, timestamps=False)
    except docker.errors.NotFound:
        return []
    except (docker.errors.DockerException, requests.RequestException) as exc:
        raise CouldNotCheck(f"docker logs {name}", scrub(str(exc))[:200]) from None
    return raw.decode(errors="replace").splitlines()
