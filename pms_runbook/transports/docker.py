"""The Docker transport: the engine at a DOCKER_HOST-style URL (unix://, tcp://, ssh://), read-only.

Inspect, list, logs and exec of read-only commands only; nothing here starts, stops or changes a
container or a network. It hands back the engine's raw answers (inspect JSON, log lines); parsing
them is `pms_runbook.resources.containers`'s job.
"""
from __future__ import annotations

import os
import sys
from types import ModuleType

from pms_runbook.redflag import CouldNotCheck
from pms_runbook.secrets import scrub

READ_COMMANDS = {("getent", "hosts")}  # the only commands the suite runs inside a container
_SSH_ADAPTER = "docker.transport.sshconn"


def _sdk() -> ModuleType:
    """The Docker SDK, imported when Docker is first read: then the import (0.1 s and more) runs while the run's
    HTTP probes wait for their answers, not before they go out.

    The SDK imports its ssh:// adapter, and with it paramiko and invoke (most of the SDK's import), whatever
    the engine's URL. A None in sys.modules makes that import fail as it does without paramiko, which
    docker.transport expects; `_ssh_adapter` brings it in when an engine is ssh://."""
    if "docker" not in sys.modules and _SSH_ADAPTER not in sys.modules:
        sys.modules[_SSH_ADAPTER] = None
        try:
            import docker
        finally:
            del sys.modules[_SSH_ADAPTER]
    import docker

    return docker


def _ssh_adapter() -> None:
    """The SDK's ssh:// adapter, where `_sdk` left it out (the client looks it up when built)."""
    import docker.api.client
    import docker.transport

    if not hasattr(docker.api.client, "SSHHTTPAdapter"):
        from docker.transport.sshconn import SSHHTTPAdapter

        docker.transport.SSHHTTPAdapter = docker.api.client.SSHHTTPAdapter = SSHHTTPAdapter


def _failures(docker: ModuleType) -> tuple[type[BaseException], ...]:
    """What the SDK raises when the engine fails (its own errors, and requests' below them)."""
    import requests

    return docker.errors.DockerException, requests.RequestException


def connect(url: str | None, timeout: float = 10.0):
    """A Docker client (docker.DockerClient) for DOCKER_HOST-style URLs: unix socket, tcp://, or ssh://user@host."""
    docker = _sdk()
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


def list_attrs(client) -> list[dict]:
    """`docker ps -a`, as the inspect JSON of each container."""
    failures = _failures(_sdk())
    try:
        return [c.attrs for c in client.containers.list(all=True, ignore_removed=True)]
    except failures as exc:
        raise CouldNotCheck("docker ps", f"the Docker engine failed: {scrub(str(exc))[:200]}") from None


def inspect_attrs(client, name: str) -> dict | None:
    """`docker inspect <name>`, or None when there is no such container."""
    docker = _sdk()
    try:
        return client.containers.get(name).attrs
    except docker.errors.NotFound:
        return None
    except _failures(docker) as exc:
        raise CouldNotCheck(f"docker inspect {name}", scrub(str(exc))[:200]) from None


def exec_read(client, name: str, cmd: list[str]) -> tuple[int, str]:
    """`docker exec <name> <cmd>` for a read command (getent hosts ...)."""
    if tuple(cmd[:2]) not in READ_COMMANDS:
        raise ValueError(f"not a read command: {cmd}")
    docker = _sdk()
    from docker.utils.socket import frames_iter

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
    except _failures(docker) as exc:
        raise CouldNotCheck(f"docker exec {name} {' '.join(cmd)}", scrub(str(exc))[:200]) from None
    return exit_code, output.decode(errors="replace")


def log_tail(client, name: str, lines: int = 100) -> list[str]:
    docker = _sdk()
    try:
        raw = client.containers.get(name).logs(tail=lines, timestamps=False)
    except docker.errors.NotFound:
        return []
    except _failures(docker) as exc:
        raise CouldNotCheck(f"docker logs {name}", scrub(str(exc))[:200]) from None
    return raw.decode(errors="replace").splitlines()
