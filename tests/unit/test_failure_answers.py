"""Answers that show the failure are red flags, in exactly their documented shapes (issue 8, items 6 and 7).

Two levels, both against throwaway servers on 127.0.0.1 (never the lab, never Docker):

- the plumbing: `resources.pms_api.expect_ok` / `failure_shown` on real HTTP answers of every documented shape
  (contract §2.1, §3.2, §3.3, §5.1, §11 item 24; every [CONFLICT] variant), and on undocumented
  look-alikes, which stay "could not check";
- the checks: the real selections (`daily or postdeploy`, staging profile, docker = "none") in a
  subprocess against a scripted PMS whose channel manager answers one shape; each named check gets
  exactly its outcome (red flag / could not check / passed).
"""
from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pms_runbook.redflag import DOCS, CouldNotCheck, RedFlagAnswer
from pms_runbook.resources.health import parse_liveness
from pms_runbook.resources.pms_api import expect_ok
from pms_runbook.secrets import Secret
from pms_runbook.transports.http import Target, Timeouts
from tests.unit.test_hostile_targets import ClosedPort, _env

ROOT = Path(__file__).resolve().parents[2]
COMMIT = "0123456789abcdef"
CONNECTIONS = "/api/v1/channel-connections/"
CID = "11111111-2222-3333-4444-555555555555"

# --------------------------------------------------------------------------- the documented shapes

DRIFT = {  # status, body: each one a schema-drift answer (F4)
    "503 error/message": (503, {"error": "service_unavailable", "message": "Database schema not installed or out "
                                "of date: column \"status\" does not exist. Run Supabase migrations: supabase/"
                                "migrations/20260101030000_channel_connections_schema_upgrade.sql"}),
    "503 sync logs table": (503, {"error": "service_unavailable", "message": "Channel sync logs schema not installed "
                                  "(missing table: channel_sync_logs). Run DB migration: supabase/migrations/"
                                  "20251227000000_create_channel_sync_logs.sql"}),
    "503 detail string": (503, {"detail": "Database schema not installed/out of date. Missing column in "
                                "channel_connections: column \"status\" does not exist. Run Supabase migrations"}),
    "503 detail object": (503, {"detail": {"error": "service_unavailable",
                                           "message": "Database schema not installed or out of date..."}}),
    "503 functions": (503, {"detail": "Database schema/function definitions out of date or duplicated: x()"}),
    "503 constraint": (503, {"error": "service_unavailable", "message": "Database schema out of date: "
                             "channel_sync_logs.operation_type constraint blocks 'bookings'"}),
    "500 relation": (500, {"detail": "relation \"channel_connections\" does not exist"}),
    "500 column": (500, {"detail": "column channel_connections.platform_metadata does not exist"}),
    "500 column of relation": (500, {"message": "column \"deleted_at\" of relation \"channel_connections\" "
                                     "does not exist"}),
    "500 UndefinedTable": (500, {"detail": {"error": "UndefinedTableError", "message": "Failed to list"}}),
    "500 UndefinedColumn": (500, {"detail": "UndefinedColumn: column \"status\" does not exist"}),
}
AUTH_401 = {  # the documented refusals of a token (§3.3), and the fix each one names
    "bad signature": ({"detail": "Invalid authentication token"}, "JWT_SECRET"),
    "expired": ({"detail": "Token has expired"}, "fetch a fresh one"),
    "header lost": ({"detail": "Not authenticated"}, "Authorization header did not reach"),
}
AGENCY = {  # no agency context (§3.2)
    "403 missing agency_id": (403, {"detail": "Missing agency_id in token claims"}),
    "400 agency context": (400, {"detail": "Agency context not available in token"}),
    "400 cannot resolve": (400, {"detail": "Cannot resolve agency: user has 2 memberships; set x-agency-id header"}),
    "404 no membership at all": (404, {"detail": "No agency membership found for this user"}),
}
UNDIAGNOSED = {  # answers that show no diagnosis: could not check, never a red flag
    "500 generic (SEC-P0)": (500, {"detail": "Internal server error"}),
    "500 Failed to X": (500, {"detail": "Failed to list channel connections"}),
    "503 DB unavailable": (503, {"error": "service_unavailable", "message": "Database is temporarily unavailable."}),
    "502 HTML": (502, "<html><body>502 Bad Gateway</body></html>"),
    "403 undocumented": (403, {"detail": "Forbidden"}),
    "403 not a member": (403, {"detail": "Not a member of the agency in x-agency-id"}),
    "401 undocumented": (401, {"detail": "Unauthorized"}),
    "400 other": (400, {"detail": "Invalid x-agency-id header: must be a UUID"}),
    "404": (404, {"detail": "Not Found"}),
    "404 connection not found": (404, {"detail": "Connection not found"}),
    "404 property of another agency": (404, {"detail": "Property not found or does not belong to your agency"}),
    "200-ish drift text on 404": (404, {"detail": "relation \"x\" does not exist"}),
}


class Scripted(BaseHTTPRequestHandler):
    """Answers GET `path` with `server.routes[(path, authorized)]` = (status, body)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _any(self) -> None:
        if self.headers.get("Content-Length"):
            self.rfile.read(int(self.headers["Content-Length"]))
        path = self.path.split("?")[0]
        authorized = self.headers.get("Authorization", "").startswith("Bearer ")
        status, body = self.server.route(self.command, path, authorized)
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if isinstance(body, str) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_POST = _any


class PmsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes: dict | None = None, default=(404, {"detail": "Not Found"})):
        super().__init__(("127.0.0.1", 0), Scripted)
        self.routes, self.default = dict(routes or {}), default
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def route(self, method: str, path: str, authorized: bool):
        for key in ((method, path, authorized), (path, authorized), path):
            if key in self.routes:
                return self.routes[key]
        return self.default

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


def _jwt(exp_in: float = 3600) -> str:
    def part(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    claims = {"sub": "9f0c1d2e-0000-4000-8000-000000000001", "aud": "authenticated", "role": "authenticated",
              "exp": int(time.time() + exp_in)}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJlLW9mLXRoZS10ZXN0cw"


TOKEN = Secret(_jwt(), "access_token")


def _answer(status: int, body, *, token: Secret | None = TOKEN):
    with PmsServer({CONNECTIONS: (status, body)}) as server:
        target = Target(server.url, Timeouts(connect=2, read=5, total=8), name="PMS API")
        try:
            return target.get(CONNECTIONS, token=token)
        finally:
            target.close()


# --------------------------------------------------------------------------- the plumbing

@pytest.mark.parametrize("shape", list(DRIFT))
def test_every_schema_drift_answer_is_a_red_flag_F4(shape):
    status, body = DRIFT[shape]
    with pytest.raises(RedFlagAnswer) as caught:
        expect_ok(_answer(status, body), TOKEN, {"backend": "pms-backend-of-the-profile"})
    flag = caught.value
    assert flag.flag_id == "F4" and str(flag).startswith("RED FLAG: schema drift"), flag
    assert "apply_supabase_migrations.sh" in flag.fix and "pms-backend-of-the-profile" in flag.fix
    assert f"see: {DOCS}runbook/02-database.md#schema-drift" in str(flag)
    assert not isinstance(flag, CouldNotCheck)


def test_the_drift_fix_names_the_migration_of_the_answer():
    status, body = DRIFT["503 sync logs table"]
    with pytest.raises(RedFlagAnswer) as caught:
        expect_ok(_answer(status, body), TOKEN)
    assert "supabase/migrations/20251227000000_create_channel_sync_logs.sql" in caught.value.fix


def test_drift_without_a_token_is_still_drift():  # the version endpoint needs no token
    status, body = DRIFT["500 relation"]
    with pytest.raises(RedFlagAnswer):
        expect_ok(_answer(status, body, token=None))


@pytest.mark.parametrize("shape", list(AUTH_401))
def test_every_documented_token_refusal_is_a_red_flag_F3(shape):
    body, fix = AUTH_401[shape]
    with pytest.raises(RedFlagAnswer) as caught:
        expect_ok(_answer(401, body), TOKEN, {"backend": "pms-backend-of-the-profile"})
    assert caught.value.flag_id == "F3" and fix in caught.value.fix, caught.value
    assert "JWT 401 despite a fresh token" in str(caught.value)


def test_a_403_not_authenticated_to_a_token_is_f3_too():  # §3.3: 401 or 403 "Not authenticated"
    with pytest.raises(RedFlagAnswer) as caught:
        expect_ok(_answer(403, {"detail": "Not authenticated"}), TOKEN)
    assert caught.value.flag_id == "F3" and "JWT 403" in str(caught.value)


def test_a_refusal_of_no_token_is_not_the_tokens_fault():
    with pytest.raises(CouldNotCheck) as caught:
        expect_ok(_answer(401, {"detail": "Not authenticated"}, token=None))
    assert "no token was sent" in str(caught.value)


@pytest.mark.parametrize("shape", list(AGENCY))
def test_every_no_agency_answer_is_a_red_flag(shape):
    status, body = AGENCY[shape]
    with pytest.raises(RedFlagAnswer) as caught:
        expect_ok(_answer(status, body), TOKEN)
    assert caught.value.flag_id == "F3" and "no agency" in str(caught.value)
    assert "team_members" in caught.value.fix and "x-agency-id" in caught.value.fix


@pytest.mark.parametrize("shape", list(UNDIAGNOSED))
def test_answers_without_a_diagnosis_stay_could_not_check(shape):
    status, body = UNDIAGNOSED[shape]
    with pytest.raises(CouldNotCheck) as caught:
        expect_ok(_answer(status, body), TOKEN)
    assert str(caught.value).startswith("could not check GET http://127.0.0.1:"), caught.value


def test_a_red_flag_answer_survives_pickling():  # xdist ships exceptions between processes
    import pickle

    flag = RedFlagAnswer("F4", case="answer", observed="HTTP 503", names={"backend": "api-of-the-profile"},
                         endpoint="GET /x", status=503, named="")
    again = pickle.loads(pickle.dumps(flag))
    assert str(again) == str(flag) and again.flag_id == "F4" and isinstance(again, AssertionError)
    assert again.fix == flag.fix and "api-of-the-profile" in again.fix and again.see_also == "02-database.md#schema-drift"


@pytest.mark.parametrize("status,alive", [("up", True), ("healthy", True), ("ok", True), ("OK", True),
                                          ("down", False), ("degraded", False), ("starting", False)])
def test_health_bodies(status, alive):
    assert parse_liveness({"status": status}).alive is alive


# --------------------------------------------------------------------------- the checks, end to end

READY = {"status": "up", "checked_at": "2026-01-01T00:00:00+00:00",
         "components": {"db": {"status": "up"}, "redis": {"status": "up"},
                        "celery": {"status": "up", "details": {"workers": ["celery@pms-worker-v2"]}}}}
VERSION = {"service": "pms-backend", "source_commit": COMMIT, "environment": "staging", "api_version": "v1",
           "started_at": "2026-01-01T00:00:00+00:00"}


def healthy_routes() -> dict:
    return {
        ("POST", "/auth/v1/token", False): (200, {"access_token": _jwt(), "token_type": "bearer", "expires_in": 3600,
                                                  "refresh_token": "refresh-token-of-the-tests"}),
        "/health": (200, {"status": "up", "checked_at": "2026-01-01T00:00:00+00:00"}),
        "/health/ready": (200, READY),
        "/api/v1/ops/version": (200, VERSION),
        "/api/ops/version": (200, VERSION),
        (CONNECTIONS, False): (401, {"detail": "Not authenticated"}),
        (CONNECTIONS, True): (200, []),
        (f"{CONNECTIONS}00000000-0000-0000-0000-000000000000/sync-batches", False): (401, {"detail": "Not authenticated"}),
        (f"{CONNECTIONS}00000000-0000-0000-0000-000000000000/sync-logs", False): (401, {"detail": "Not authenticated"}),
    }


R, C, OK = "red flag", "could not check", "passed"
STEP4 = ["test_every_active_connection_synced_in_the_last_24h", "test_failed_batches_stay_under_the_threshold",
         "test_recent_batches_are_not_all_stuck_running", "test_recent_batches_hold_no_unexpected_status"]
F3, F4, BEARER, NO_TOKEN = ("test_api_accepts_the_gateway_token", "test_api_shows_no_schema_drift",
                            "test_channel_manager_accepts_the_bearer_token_alone",
                            "test_channel_manager_refuses_a_call_without_token")
HEALTH = ["test_health_answers_200_to_head", "test_health_is_200"]
WATCHED = STEP4 + [F3, F4, BEARER, NO_TOKEN] + HEALTH


def _all(outcome, names):
    return {n: outcome for n in names}


# scenario -> (routes changed from healthy, the outcome of each watched check; unnamed ones must pass,
# except STEP4, which has no active connection to read on an empty list: could not check)
SCENARIOS = {
    "agency-403": ({(CONNECTIONS, True): AGENCY["403 missing agency_id"]},
                   {**_all(R, STEP4), F3: R, BEARER: R, F4: C}),
    "agency-400": ({(CONNECTIONS, True): AGENCY["400 cannot resolve"]},
                   {**_all(R, STEP4), F3: R, BEARER: R, F4: C}),
    "drift-500": ({(CONNECTIONS, True): DRIFT["500 relation"]}, {**_all(R, STEP4), F4: R, BEARER: R}),
    "drift-503-detail-object": ({(CONNECTIONS, True): DRIFT["503 detail object"]},
                                {**_all(R, STEP4), F4: R, BEARER: R}),
    "bad-signature": ({(CONNECTIONS, True): (401, AUTH_401["bad signature"][0])},
                      {**_all(R, STEP4), F3: R, BEARER: R, F4: C}),
    "expired": ({(CONNECTIONS, True): (401, AUTH_401["expired"][0])}, {**_all(R, STEP4), F3: R, BEARER: R, F4: C}),
    "header-lost": ({(CONNECTIONS, True): (401, AUTH_401["header lost"][0])},
                    {**_all(R, STEP4), F3: R, BEARER: R, F4: C}),
    "header-lost-403": ({(CONNECTIONS, True): (403, AUTH_401["header lost"][0])},
                        {**_all(R, STEP4), F3: R, BEARER: R, F4: C}),
    "undocumented-401": ({(CONNECTIONS, True): UNDIAGNOSED["401 undocumented"]},  # F3 is any 401 to a fresh token
                         {**_all(C, STEP4), F3: R, BEARER: R, F4: C}),
    "generic-500": ({(CONNECTIONS, True): UNDIAGNOSED["500 generic (SEC-P0)"]},
                    {**_all(C, STEP4), F3: C, F4: C, BEARER: R}),
    "undocumented-403": ({(CONNECTIONS, True): UNDIAGNOSED["403 undocumented"]},
                         {**_all(C, STEP4), F3: C, F4: C, BEARER: R}),
    "health-down": ({"/health": (200, {"status": "down", "checked_at": "2026-01-01T00:00:00+00:00"})},
                    {**_all(C, STEP4), **_all(R, HEALTH)}),
    "health-healthy": ({"/health": (200, {"status": "healthy"})}, _all(C, STEP4)),
    "health-ok-service": ({"/health": (200, {"status": "ok", "service": "pms-backend"})}, _all(C, STEP4)),
    "batches-open": ({(f"{CONNECTIONS}00000000-0000-0000-0000-000000000000/sync-batches", False): (200, {"items": []})},
                     {**_all(C, STEP4), NO_TOKEN: R}),
    "logs-open": ({(f"{CONNECTIONS}00000000-0000-0000-0000-000000000000/sync-logs", False):
                   (200, {"connection_id": CID, "logs": [], "limit": 1, "offset": 0})},
                  {**_all(C, STEP4), NO_TOKEN: R}),
    "no-token-403": ({(CONNECTIONS, False): (403, {"detail": "Not authenticated"})}, _all(C, STEP4)),
}


def _outcome(case: ET.Element) -> tuple[str, str]:
    for node in case:
        message = "\n".join(filter(None, (node.get("message"), node.text)))
        head = (node.get("message") or "").split("\n")[0]
        if node.tag == "skipped":
            return "skipped", message
        if "RED FLAG:" in head:  # a check's assertion, or a fixture's answer that shows the failure (setup)
            return R, message
        if "could not check" in head:
            return C, message
        return "broken", message
    return OK, ""


def _run(scenario: str, tmp: Path) -> tuple[int, dict, str]:
    changes, _ = SCENARIOS[scenario]
    routes = {**healthy_routes(), **changes}
    closed = ClosedPort()
    closed.start()
    try:
        with PmsServer(routes) as server:
            url = server.url
            reports = tmp / scenario
            reports.mkdir()
            proc = subprocess.run(
                [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
                 "-m", "daily or postdeploy", "-k", " or ".join(WATCHED), "--pms-env=staging",
                 f"--api-url={url}", f"--admin-url={url}", f"--sb-url={url}", f"--expected-commit={COMMIT}",
                 "--ready-wait=0", f"--reports-dir={reports}", f"--env-file={reports / 'no.env'}"],
                cwd=ROOT, env=_env({"connect": 1.0, "read": 3.0, "total": 5.0}, closed.port),
                capture_output=True, text=True, timeout=120, check=False)
    finally:
        closed.stop()
    cases = {}
    junit = reports / "junit.xml"
    if junit.is_file():
        for case in ET.parse(junit).getroot().iter("testcase"):
            cases[case.get("name")] = _outcome(case)
    return proc.returncode, cases, proc.stdout[-5000:] + proc.stderr[-2000:]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("answers")
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = {s: pool.submit(_run, s, tmp) for s in SCENARIOS}
        yield {s: f.result() for s, f in futures.items()}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_each_answer_gets_exactly_its_outcome(runs, scenario):
    code, cases, output = runs[scenario]
    expected = {name: SCENARIOS[scenario][1].get(name, OK) for name in WATCHED}
    observed = {name: cases.get(name, ("missing", ""))[0] for name in WATCHED}
    assert observed == expected, output
    assert code == (1 if R in expected.values() else 10), output
    for name, outcome in expected.items():
        message = cases[name][1]
        if outcome == R:
            assert "fix:" in message and "see:" in message, message


def test_the_red_flags_say_what_the_answer_showed(runs):
    def message(scenario, check):
        return runs[scenario][1][check][1]

    assert "(F4)" in message("drift-500", STEP4[0]) and 'relation "channel_connections"' in message("drift-500", STEP4[0])
    assert "apply_supabase_migrations.sh" in message("drift-500", F4)
    assert "Missing agency_id in token claims" in message("agency-403", F3)
    assert "team_members" in message("agency-403", F3) and "x-agency-id" in message("agency-403", BEARER)
    assert "JWT_SECRET" in message("bad-signature", F3) and "(F3)" in message("bad-signature", STEP4[1])
    assert "signature" in message("bad-signature", F3) and "does not document" in message("undocumented-401", F3)
    assert "Authorization header did not reach" in message("header-lost-403", STEP4[0])
    assert "fetch a fresh one" in message("expired", F3)
    assert 'status \\"down\\"' in message("health-down", "test_health_is_200") or \
        'status "down"' in message("health-down", "test_health_is_200")
    assert "/sync-batches" in message("batches-open", NO_TOKEN) and "/sync-logs" in message("logs-open", NO_TOKEN)
