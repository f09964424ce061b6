"""The public site's middleware (Q3) against a small local server, no lab: a site whose middleware does not run
(every `/api/v1/*` path passes) and one that answers every method. The operator's command in a subprocess."""
from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECK = "checks/quickref/test_q3_q4_public_site.py::test_middleware_lets_only_the_public_api_through"


def _site(mode: str):
    class Site(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status: int, body: bytes = b"{}"):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802
            private = self.path.startswith("/api/v1/") and not self.path.startswith("/api/v1/public/")
            self._send(404 if private and mode != "no-middleware" else 200, b"[]")

        def do_OPTIONS(self):  # noqa: N802
            self._send(405 if mode == "healthy" else 204, b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _run(server, tmp_path: Path) -> subprocess.CompletedProcess:
    url = f"http://127.0.0.1:{server.server_address[1]}"
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", CHECK, "--pms-env=staging",
                           f"--public-url={url}", f"--api-url={url}", "--public-host=fewo.example.test",
                           f"--reports-dir={tmp_path}", f"--env-file={tmp_path / 'no.env'}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("mode, expected", [("healthy", None), ("no-middleware", "/api/v1/website/pages"),
                                            ("every-method", "OPTIONS")])
def test_the_middleware_check_sees_a_site_that_lets_everything_through(mode, expected, tmp_path):
    server = _site(mode)
    try:
        run = _run(server, tmp_path)
    finally:
        server.shutdown()
    out = run.stdout + run.stderr
    if expected is None:
        assert run.returncode == 0, out[-3000:]
        return
    assert run.returncode == 1, out[-3000:]
    assert "RED FLAG" in out and "Q3" in out and expected in out, out[-3000:]
