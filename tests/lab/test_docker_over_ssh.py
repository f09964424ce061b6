"""`--docker-host ssh://user@host`, the README's production recipe, against a real sshd of our own.

The test starts its own sshd on a free 127.0.0.1 port (its own config, host and user keys in a temp
dir), puts an `ssh` wrapper first on PATH that adds that client config (the machine's ssh config is
never touched: OpenSSH reads ~/.ssh from the passwd entry, not $HOME), runs the daily Docker checks
against the lab through `ssh://root@127.0.0.1:PORT`, and ends that sshd by its PID.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.lab.conftest import ROOT
from tests.lab.matrix import STEP1, STEP3, STEP5

pytestmark = [pytest.mark.lab, pytest.mark.slow]

SSHD, SSH, KEYGEN = Path("/usr/sbin/sshd"), shutil.which("ssh"), shutil.which("ssh-keygen")
DOCKER_CHECKS = [n for n in STEP1 + STEP3 + STEP5 if n != "test_deployed_commit_is_the_expected_one"]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sshd(tmp_path):
    if not (SSHD.exists() and SSH and KEYGEN and shutil.which("docker")):
        pytest.skip("sshd, ssh, ssh-keygen or the docker CLI is missing: scripts/bootstrap installs "
                    "openssh-server and openssh-client")
    d = tmp_path / "ssh"
    d.mkdir(mode=0o700)
    for key in ("host_key", "id_ed25519"):
        subprocess.run([KEYGEN, "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)], check=True, timeout=30)
    (d / "authorized_keys").write_text((d / "id_ed25519.pub").read_text())
    port = _free_port()
    (d / "sshd_config").write_text(f"""\
Port {port}
ListenAddress 127.0.0.1
HostKey {d / 'host_key'}
PidFile {d / 'sshd.pid'}
AuthorizedKeysFile {d / 'authorized_keys'}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
""")
    (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {(d / 'host_key.pub').read_text()}")
    (d / "ssh_config").write_text(f"""\
Host 127.0.0.1
    IdentityFile {d / 'id_ed25519'}
    IdentitiesOnly yes
    UserKnownHostsFile {d / 'known_hosts'}
    StrictHostKeyChecking yes
    BatchMode yes
    ConnectTimeout 5
""")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "ssh"
    wrapper.write_text(f'#!/bin/sh\nexec {SSH} -F {d / "ssh_config"} "$@"\n')
    wrapper.chmod(0o755)
    # sshd insists on its privilege-separation directory (a runtime dir, not configuration).
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    log = d / "sshd.log"
    proc = subprocess.Popen([str(SSHD), "-D", "-f", str(d / "sshd_config"), "-E", str(log)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            ok = subprocess.run([str(wrapper), "-p", str(port), "root@127.0.0.1", "true"], capture_output=True,
                                timeout=15).returncode == 0
            if ok:
                break
            time.sleep(0.2)
        else:
            reason = log.read_text() if log.exists() else "no log"
            pytest.skip(f"the test's sshd could not run here: {reason[-500:]}")
        yield {"port": port, "path": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "log": log}
    finally:
        proc.send_signal(signal.SIGTERM)  # our sshd, by its PID
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_docker_checks_run_through_ssh(lab_state, sshd, tmp_path):
    junit = tmp_path / "junit.xml"
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "PMS_DOCKER_HOST")}
    env["PATH"] = sshd["path"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", "daily", f"--junitxml={junit}",
         f"--reports-dir={tmp_path / 'reports'}", "--docker-host", f"ssh://root@127.0.0.1:{sshd['port']}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    outcomes = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        outcomes[case.get("name")] = next((t for t in ("failure", "error", "skipped") if case.find(t) is not None),
                                          "passed")
    assert proc.returncode == 0, output[-4000:]
    assert {n: outcomes.get(n) for n in DOCKER_CHECKS} == dict.fromkeys(DOCKER_CHECKS, "passed"), output[-4000:]
    assert "ALL CLEAR" in output.splitlines()[-1] and "paramiko" not in output
    # The Docker answers came through our sshd (a session per client), not the local socket.
    assert "Accepted publickey for root" in sshd["log"].read_text()
