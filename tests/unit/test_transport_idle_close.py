"""A server that closes a kept-alive connection after each answer, without saying `Connection: close` (uvicorn
does after an unhandled 500): the next GET goes again once on a fresh connection, and a server that closes
before answering at all is still could-not-check."""
from __future__ import annotations

import socket
import threading

import pytest

from pms_runbook.redflag import CouldNotCheck
from pms_runbook.transports.http import Target, Timeouts


class OneAnswerPerConnection:
    def __init__(self, answer: bool = True):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.answer, self.connections = answer, 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                self._handle(conn)

    def _handle(self, conn):
        conn.recv(65536)
        if self.answer:
            conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\n"
                         b"content-length: 21\r\n\r\nInternal Server Error")

    def close(self):
        self.sock.close()


@pytest.fixture
def target_and_server(request):
    server = OneAnswerPerConnection(answer=request.param)
    target = Target(server.url, Timeouts(connect=2, read=2, total=4))
    yield target, server
    target.close()
    server.close()


@pytest.mark.parametrize("target_and_server", [True], indirect=True)
def test_a_connection_closed_after_an_answer_is_not_a_failure_of_the_next_request(target_and_server):
    target, server = target_and_server
    statuses = [target.get("/api/v1/bookings/x").status for _ in range(3)]
    assert statuses == [500, 500, 500] and server.connections == 3


@pytest.mark.parametrize("target_and_server", [False], indirect=True)
def test_a_server_that_never_answers_is_still_could_not_check(target_and_server):
    target, server = target_and_server
    with pytest.raises(CouldNotCheck, match="Server disconnected without sending a response"):
        target.get("/health")
    assert server.connections == 2  # sent once more on a fresh connection, not more


class ResetAfterOneAnswer(OneAnswerPerConnection):
    """Answers the first request of a connection, resets it on the next (the race of a request with the server's
    close of a kept-alive connection, seen on a loaded CI machine as ECONNRESET)."""

    def _handle(self, conn):
        import struct

        super()._handle(conn)
        conn.recv(65536)  # the next request on the kept-alive connection
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close() sends a RST


def test_a_reset_of_a_kept_alive_connection_is_asked_again_once():
    server = ResetAfterOneAnswer()
    target = Target(server.url, Timeouts(connect=2, read=2, total=4))
    try:
        assert [target.get("/health").status for _ in range(3)] == [500, 500, 500]
        assert server.connections == 3  # each reset asked again once, on a fresh connection
    finally:
        target.close()
        server.close()
