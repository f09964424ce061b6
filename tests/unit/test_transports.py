"""The transport is chosen by the target's URL, in one place (`transports.kind`, opened by `transports.connect`)."""
from __future__ import annotations

import socket

import pytest

from pms_runbook import transports
from pms_runbook.redflag import CouldNotCheck
from pms_runbook.secrets import Secret
from pms_runbook.transports import kind
from pms_runbook.transports.http import Target, Timeouts


@pytest.mark.parametrize(("url", "expected"), [
    ("http://api:8000", "http"), ("https://x", "http"), ("unix:///var/run/docker.sock", "docker"),
    ("tcp://10.0.0.1:2375", "docker"), ("ssh://ops@host", "docker"), ("postgresql://ro@db/postgres", "sql"),
    ("postgres://ro@db/postgres", "sql"), ("host=db dbname=postgres user=ro", "sql"),
])
def test_the_transport_is_chosen_by_url(url, expected):
    assert kind(url) == expected


def test_a_url_without_a_known_scheme_has_no_transport():
    with pytest.raises(ValueError, match="no transport for ftp://"):
        kind("ftp://x")
    with pytest.raises(ValueError, match="without a scheme"):
        kind("localhost")


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:  # bound, then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connect_opens_the_transport_the_url_names(closed_port):
    target = transports.connect(f"http://127.0.0.1:{closed_port}/", timeouts=Timeouts(1, 1, 1), name="API")
    try:
        assert isinstance(target, Target) and target.base_url == f"http://127.0.0.1:{closed_port}"
    finally:
        target.close()
    with pytest.raises(CouldNotCheck, match="Docker engine at tcp://127.0.0.1"):
        transports.connect(f"tcp://127.0.0.1:{closed_port}", timeout=1)
    dsn = Secret(f"postgresql://ro:not-the-password@127.0.0.1:{closed_port}/postgres", "db_dsn")
    with pytest.raises(CouldNotCheck, match=r"the database \(PMS_DB_DSN\)") as caught:
        transports.connect(dsn, connect_timeout=1)
    assert "not-the-password" not in str(caught.value)
    with pytest.raises(ValueError, match="no transport for ftp://"):
        transports.connect("ftp://x")

