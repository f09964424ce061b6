"""Read-only by construction: the HTTP target and the Docker probe refuse anything that could change a target."""
import pytest

from pms_runbook.transports.docker import exec_read
from pms_runbook.transports.http import Target, Timeouts


@pytest.mark.parametrize("method, path", [("POST", "/api/v1/channel-connections/x/sync"), ("DELETE", "/x"),
                                          ("PUT", "/x"), ("PATCH", "/x"), ("POST", "/api/v1/channel-connections/")])
def test_http_target_refuses_writes(method, path):
    target = Target("http://127.0.0.1:9", Timeouts(connect=0.5, read=0.5, total=1))
    with pytest.raises(ValueError, match="read-only"):
        target.request(method, path)


@pytest.mark.parametrize("cmd", [["docker", "restart", "pms-backend"], ["sh", "-c", "getent hosts x"],
                                 ["rm", "-rf", "/"], ["getent", "passwd"]])
def test_docker_exec_refuses_all_but_getent_hosts(cmd):
    with pytest.raises(ValueError, match="not a read command"):
        exec_read(None, "pms-backend", cmd)
