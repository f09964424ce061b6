"""The Step 4 pager against a small local HTTP server: whole windows over many pages, whatever the order.

The server holds batches in memory and answers `sync-batches?limit&offset` in the order it is told
(the documented COALESCE(updated_at_max, created_at_min) DESC, created_at_min DESC, or none), and the
connection list as a bare array or an `{items, limit, offset[, total]}` envelope. A hook can change a
batch between two requests, as the stale sweep of a trigger does.
"""
from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from pms_runbook.redflag import CouldNotCheck
from pms_runbook.resources.channel_manager import summarize
from pms_runbook.resources.pms_api import FIRST_PAGE, PAGE, PmsApi
from pms_runbook.secrets import Secret
from pms_runbook.transports.http import Target, Timeouts

NOW = datetime.now(UTC)
SINCE = NOW - timedelta(hours=24)
CID = "11111111-1111-4111-8111-111111111111"


def _iso(t):
    return t.isoformat().replace("+00:00", "Z") if t else None


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.batches: dict[str, dict] = {}
        self.order = "documented"
        self.requests: list[dict] = []
        self.after_request = None  # called with the request count, may change batches
        self.connections: list[dict] = []
        self.envelope = None  # None: bare array; "total" / "no-total": {items, limit, offset[, total]}
        self.list_page = 4

    def add(self, n, *, status="success", created, updated=None):
        bid = f"b{len(self.batches):05d}"
        self.batches[bid] = {"batch_id": bid, "connection_id": CID, "batch_status": status,
                             "status_counts": {"triggered": 0, "running": 0, "success": 3 if status == "success" else 2,
                                               "failed": 1 if status == "failed" else 0, "other": 0},
                             "created_at_min": created, "updated_at_max": updated or created + timedelta(seconds=5)}
        return bid

    def sorted(self):
        items = list(self.batches.values())
        if self.order == "documented":
            items.sort(key=lambda b: (b["updated_at_max"] or b["created_at_min"], b["created_at_min"]), reverse=True)
        elif self.order == "created":
            items.sort(key=lambda b: b["created_at_min"], reverse=True)
        else:  # no order at all: by id, which is unrelated to time here
            items.sort(key=lambda b: hash(b["batch_id"]) % 9973)
        return items

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        srv = self.server
        srv.requests.append({"path": url.path, "query": q, "agency": self.headers.get("x-agency-id")})
        if url.path == "/api/v1/channel-connections/":
            offset = int(q.get("offset", 0))
            if srv.envelope is None:
                body = srv.connections
            else:
                items = srv.connections[offset:offset + srv.list_page]
                body = {"items": items, "limit": srv.list_page, "offset": offset}
                if srv.envelope == "total":
                    body["total"] = len(srv.connections)
        else:
            limit, offset = min(int(q.get("limit", 50)), PAGE), int(q.get("offset", 0))
            page = srv.sorted()[offset:offset + limit]
            body = {"items": [{**b, "created_at_min": _iso(b["created_at_min"]),
                               "updated_at_max": _iso(b["updated_at_max"]), "operations": []} for b in page],
                    "limit": limit, "offset": offset}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        if srv.after_request:
            srv.after_request(len(srv.requests))


@pytest.fixture
def server():
    srv = Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def api(server):
    target = Target(server.url, Timeouts(connect=2, read=5, total=10), name="PMS API")
    yield PmsApi(target)
    target.close()


TOKEN = Secret("header.payload.signature", "access_token")


def _busy_day(srv, *, in_window=280, failed_oldest=100, swept=10, history=400):
    """A connection with more than a page of batches a day; the failures are the window's oldest."""
    every = min(5.0, 23 * 60 / in_window)  # minutes: all of them inside the 24 h
    for k in range(in_window):
        srv.add(1, status="failed" if k >= in_window - failed_oldest else "success",
                created=NOW - timedelta(minutes=3 + every * k))
    for k in range(swept):  # created before the window, just swept to failed: they sort first
        srv.add(1, status="failed", created=NOW - timedelta(hours=26 + k), updated=NOW - timedelta(minutes=1))
    for k in range(history):  # older history: never needed
        srv.add(1, created=NOW - timedelta(hours=30 + 2 * k))


def _window(batches):
    return summarize(batches, now=NOW, hours=24)


@pytest.mark.parametrize("order", ["documented", "created"])
def test_the_whole_window_is_read_over_many_pages_in_either_documented_order(server, api, order):
    server.order = order
    _busy_day(server)
    w = _window(api.batches_since(TOKEN, CID, SINCE))
    assert (w.total, w.failed) == (280, 100)
    assert w.failed_share > 0.10
    pages = [r for r in server.requests if "sync-batches" in r["path"]]
    assert pages[0]["query"]["limit"] == str(FIRST_PAGE)
    # Bounded: the 400 history batches beyond the window are not all read (one page past it at most, plus the
    # re-read of the top).
    assert len(pages) <= 5, [r["query"] for r in pages]


def test_stale_swept_batches_on_top_no_longer_end_the_read(server, api):
    # The old rule stopped at the first page holding a batch created before the window: here page one.
    _busy_day(server)
    first = server.sorted()[:FIRST_PAGE]
    assert min(b["created_at_min"] for b in first) < SINCE
    assert all(b["batch_status"] == "success" for b in first if b["created_at_min"] >= SINCE)
    assert _window(api.batches_since(TOKEN, CID, SINCE)).failed == 100


def test_a_page_in_no_order_is_read_to_the_end(server, api):
    server.order = "none"
    _busy_day(server, history=150)
    w = _window(api.batches_since(TOKEN, CID, SINCE))
    assert (w.total, w.failed) == (280, 100)
    assert w.seen == 280 + 10 + 150


def test_a_batch_that_moves_to_the_top_while_paging_is_read(server, api):
    _busy_day(server, failed_oldest=0)
    # The window's oldest batch (the last page) fails and is swept after the first request: it jumps to the
    # top, above the offset already read.
    oldest = min((b for b in server.batches.values() if b["created_at_min"] >= SINCE),
                 key=lambda b: b["created_at_min"])

    def sweep(n):
        if n == 1:
            oldest.update(batch_status="failed", updated_at_max=datetime.now(UTC))

    server.after_request = sweep
    w = _window(api.batches_since(TOKEN, CID, SINCE))
    assert w.total == 280
    assert [b.batch_id for b in w.with_status("failed")] == [oldest["batch_id"]]


def test_duplicates_of_a_shifting_page_are_counted_once(server, api):
    _busy_day(server, failed_oldest=0)
    newest = NOW + timedelta(seconds=30)

    def arrive(n):  # new batches arrive between pages: everything shifts down
        if n in (1, 2):
            server.add(1, created=newest)

    server.after_request = arrive
    w = _window(api.batches_since(TOKEN, CID, SINCE))
    assert w.total == 282 and len({b.batch_id for b in w.batches}) == 282


def test_the_page_cap_is_could_not_check_never_a_silent_cut(server, api):
    _busy_day(server, in_window=900, failed_oldest=100)
    with pytest.raises(CouldNotCheck) as exc:
        api.batches_since(TOKEN, CID, SINCE, max_pages=3)
    assert CID in exc.value.what and "batch_pages_max" in exc.value.because + (exc.value.hint or "")
    assert len([r for r in server.requests if "sync-batches" in r["path"]]) == 3
    # With room for them, the same window is read whole.
    assert _window(api.batches_since(TOKEN, CID, SINCE, max_pages=10)).total == 900


def test_one_capped_connection_does_not_hide_the_others(server, api):
    _busy_day(server, in_window=900)
    errors = {}
    got = api.sync_history(TOKEN, [CID], hours=24, now=NOW, max_pages=2, errors=errors)
    assert got == {} and set(errors) == {CID}
    with pytest.raises(CouldNotCheck):
        api.sync_history(TOKEN, [CID], hours=24, now=NOW, max_pages=2)


def test_requests_act_for_the_given_agency(server, api):
    _busy_day(server, in_window=3, swept=0, history=0)
    api.batches_since(TOKEN, CID, SINCE, agency_id="agency-2")
    api.connections(TOKEN, "agency-2")
    api.connections(TOKEN)
    assert [r["agency"] for r in server.requests] == ["agency-2", "agency-2", None]


@pytest.mark.parametrize("envelope", [None, "total", "no-total"])
def test_the_connection_list_is_read_to_its_end(server, api, envelope):
    server.envelope = envelope
    server.connections = [{"id": f"c{i}", "status": "active" if i % 3 else "paused"} for i in range(10)]
    got = api.connections(TOKEN)
    assert [c.id for c in got] == [f"c{i}" for i in range(10)]
    lists = [r for r in server.requests if r["path"].endswith("channel-connections/")]
    assert len(lists) == (1 if envelope is None else 3 if envelope == "total" else 3)


def test_a_connection_list_beyond_the_cap_is_could_not_check(server, api):
    server.envelope = "total"
    server.connections = [{"id": f"c{i}", "status": "active"} for i in range(30)]
    with pytest.raises(CouldNotCheck, match="batch_pages_max"):
        api.connections(TOKEN, max_pages=3)
