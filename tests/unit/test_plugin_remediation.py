"""Self-tests of --fix without a lab: the read-only checks never see the elevated credentials, a root cause
without a remedy needs a human (its fix printed, nothing applied), the remedies' data is well-formed; the SQL
remedies' statements (parameters only, one transaction or chunks, bounds), the sync triggers (one per connection,
the cap, refused without a worker), the elevated API token; and --recheck (green once the check passes again,
red with its bound named when it runs out)."""
from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from pms_runbook import diagnosis, remedies
from tests.unit.test_plugin import check, project

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]


def test_no_check_or_fixture_imports_the_remedies():
    for folder in ("checks", "fixtures"):
        for path in (ROOT / folder).rglob("*.py"):
            assert not re.search(r"pms_runbook\.remedies|from pms_runbook import remedies", path.read_text()), path


def test_checks_run_before_the_elevated_credentials_are_read(pytester, monkeypatch):
    monkeypatch.setenv("PMS_FIX_DB_DSN", "postgresql://fixer:elevated-pw-123@127.0.0.1:9/postgres")
    project(pytester, check("D1.6") + textwrap.dedent("""\
        def test_commit():
            from pms_runbook.remedies import credentials
            assert credentials.LOADED is False, "a check saw the elevated credentials"
            assert False, message("SOURCE_COMMIT does not match", observed="abc", fix="redeploy in Coolify")
        """))
    result = pytester.runpytest_subprocess("--fix", timeout=120)
    text = result.stdout.str()
    assert result.ret == 1, text
    assert "a check saw the elevated credentials" not in text
    assert "needs a human (never applied by --fix)" in text and "redeploy in Coolify" in text, text
    audit = [json.loads(line) for line in (pytester.path / "reports" / "remediation-audit.jsonl").read_text().splitlines()]
    assert [e["kind"] for e in audit] == ["plan"] and audit[0]["items"][0]["status"] == "needs a human"
    for path in (pytester.path / "reports").rglob("*"):
        if path.is_file():
            assert b"elevated-pw-123" not in path.read_bytes(), path


def test_apply_without_a_terminal_and_without_yes_applies_nothing(pytester):
    project(pytester, check("D1.6") + "def test_commit():\n    assert False, message('x', observed=1, fix='y')\n")
    result = pytester.runpytest_subprocess("--fix=apply", timeout=120)
    assert result.ret == 1
    assert "none applied" in result.stdout.str()  # no remedy for a human's fix: nothing to confirm either


def test_every_remedy_fixes_a_check_the_diagnosis_knows_and_fills_its_names():
    from pms_runbook.catalogue import RUNBOOK_NAMES

    names = {n.split("def ", 1)[1].split("(")[0] for p in (ROOT / "checks").rglob("test_*.py")
             for n in p.read_text().splitlines() if n.startswith("def test_")}
    for name, entry in remedies.load().items():
        for sel in entry["fixes"]:
            assert sel.split("[")[0] in names, (name, sel)
        result = {"nodeid": f"checks/x.py::{entry['fixes'][0]}", "ids": [], "outcome": "red_flag",
                  "text": "RED FLAG: pms-worker-v2 is exited"}
        found = remedies.remedy_for(result, {**RUNBOOK_NAMES, "network_model": "v1"})
        assert found and not re.search(r"\{[a-z_]+\}", json.dumps(found[1])), (name, found)
    assert diagnosis.selector_cycles() == []


# ----------------------------------------------------------------- the SQL and API remedies, without a lab

class _Conn:
    """A psycopg connection's stand-in: records (sql, params); answers counts and rowcounts from lists."""

    def __init__(self, log, counts=None, rowcounts=None):  # the lists are shared by the connections of a test
        self.log, self.counts, self.rowcounts = log, counts or [], rowcounts or []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def transaction(self):
        self.log.append(("BEGIN", None))
        return self

    def execute(self, sql, params=None):
        self.log.append((sql, params))
        conn = self

        class Cursor:
            rowcount = (min(conn.rowcounts.pop(0), (params or {}).get("chunk", 10**9))  # LIMIT holds
                        if sql.lstrip().startswith(("UPDATE", "DELETE")) else -1)

            @staticmethod
            def fetchone():
                if sql.startswith("SELECT now()"):
                    from datetime import UTC, datetime

                    return (datetime(2026, 1, 1, tzinfo=UTC),)
                return (conn.counts.pop(0),)

        return Cursor()


def _fake_db(monkeypatch, counts=(), rowcounts=()):
    from pms_runbook.remedies import sql_actions

    log, conns = [], []
    state = {"counts": list(counts), "rowcounts": list(rowcounts)}

    def connect(dsn, *, readonly):
        c = _Conn(log, state["counts"], state["rowcounts"])
        c.readonly = readonly
        conns.append(c)
        return c

    monkeypatch.setattr(sql_actions, "_connect", connect)
    return log, conns


def _remedy(name):
    from pms_runbook.catalogue import RUNBOOK_NAMES

    return remedies._filled(remedies.load()[name], {**RUNBOOK_NAMES, "network_model": "v1"}, name)


def test_marking_stale_logs_failed_is_the_documented_sql_with_parameters_in_one_transaction(monkeypatch):
    from pms_runbook.remedies import sql_actions

    log, conns = _fake_db(monkeypatch, counts=[12, 3, 0, 3], rowcounts=[12])
    before, after = sql_actions.apply("postgresql://x", _remedy("mark-stale-sync-logs-failed"), {})
    assert before == {"rows": 12, "stale_triggered_or_queued": 3}
    assert after == {"rows": 0, "stale_triggered_or_queued": 3, "marked_failed": 12}
    assert len(conns) == 1 and conns[0].readonly is False and log[0] == ("BEGIN", None)
    update = [(sql, p) for sql, p in log if sql.startswith("UPDATE")]
    assert len(update) == 1
    sql, params = update[0]
    assert params == {"minutes": 60, "error": "Task timed out or worker crashed (auto-cleaned)"}
    assert "status = 'failed'" in sql and "status = 'running'" in sql and "updated_at = now()" in sql
    assert "%(error)s" in sql and "auto-cleaned" not in sql and "60" not in sql  # values only as parameters


def test_marking_more_rows_than_the_bound_is_refused_before_any_update(monkeypatch):
    from pms_runbook.remedies import sql_actions

    log, _ = _fake_db(monkeypatch, counts=[10_001, 0])
    with pytest.raises(sql_actions.Refused, match="above the bound of 10000"):
        sql_actions.apply("postgresql://x", _remedy("mark-stale-sync-logs-failed"), {})
    assert not [sql for sql, _ in log if sql.startswith("UPDATE")]


def test_the_retention_cleanup_deletes_in_chunks_each_its_own_transaction_then_counts_again(monkeypatch):
    from pms_runbook.remedies import sql_actions

    log, conns = _fake_db(monkeypatch, counts=[9_500, 0], rowcounts=[5_000, 4_500])
    before, after = sql_actions.apply("postgresql://x", _remedy("retention-cleanup"), {"days": "90"})
    assert before["rows"] == 9_500 and after == {"rows": 0, "deleted": 9_500, "chunk_rows": 5_000,
                                                 "older_than_days": 90}
    deletes = [(sql, p) for sql, p in log if sql.startswith("DELETE")]
    assert [p["chunk"] for _, p in deletes] == [5_000, 4_500]  # never more than the preview counted
    assert all("%(cutoff)s" in sql and "%(chunk)s" in sql and "LIMIT" in sql for sql, _ in deletes)
    assert len({id(p["cutoff"]) for _, p in deletes}) == 1  # one cutoff, fixed at the preview
    writers = [c for c in conns if not c.readonly]
    assert len(writers) == 2  # a connection and a transaction per chunk
    assert conns[0].readonly and conns[-1].readonly  # the preview and the re-count change nothing


def test_the_chunks_stop_at_the_bound_and_when_a_chunk_comes_short(monkeypatch):
    from pms_runbook.remedies import sql_actions

    rowcounts = [100, 100, 40]
    log = []
    assert sql_actions.chunks(lambda: _Conn(log, rowcounts=rowcounts), "cutoff", 100, 1_000) == 240
    assert sql_actions.chunks(lambda: _Conn(log, rowcounts=[100] * 10), "cutoff", 100, 250) == 250


def test_a_retention_window_below_a_day_is_refused(monkeypatch):
    from pms_runbook.remedies import sql_actions

    _fake_db(monkeypatch, counts=[1])
    with pytest.raises(ValueError, match="refused"):
        sql_actions.apply("postgresql://x", _remedy("retention-cleanup"), {"days": "0"})


D41 = ("RED FLAG: 2 active connection(s) without a sync batch in the last 24 h\nobserved:\n"
       "connection 6f1c2d3e-0000-4000-8000-000000000001 of agency Lab Ops (11111111-2222-4333-8444-555555555555), "
       "read via API\n"
       "connection 6f1c2d3e-0000-4000-8000-000000000002 of agency 11111111-2222-4333-8444-666666666666, read via SQL")


def _d41_item():
    from pms_runbook.catalogue import RUNBOOK_NAMES

    result = {"nodeid": "checks/daily/test_step4_channel_manager.py::test_every_active_connection_synced_in_the_last_24h",
              "ids": ["D4.1"], "outcome": "red_flag", "text": D41}
    items = remedies.plan([result], {result["nodeid"]: None}, {**RUNBOOK_NAMES, "network_model": "v1"})
    assert len(items) == 1 and items[0].remedy_name == "trigger-sync"
    return items[0]


def test_trigger_sync_reads_each_connection_and_its_agency_from_the_observed_message():
    from pms_runbook.remedies.api_actions import connections

    item = _d41_item()
    assert connections(item.values) == [
        {"cid": "6f1c2d3e-0000-4000-8000-000000000001", "agency": "11111111-2222-4333-8444-555555555555", "via": "API"},
        {"cid": "6f1c2d3e-0000-4000-8000-000000000002", "agency": "11111111-2222-4333-8444-666666666666", "via": "SQL"}]
    assert "pms-worker-v2" in item.remedy["what"] and "$CID" not in item.remedy["what"]


class _Settings:
    api_url = "http://127.0.0.1:9"
    http_connect_timeout = http_read_timeout = http_total_deadline = 5.0
    edge_resolve = edge_ca_file = None


def _mock_api(monkeypatch, status=200):
    import httpx

    from pms_runbook.remedies import api_actions

    seen = []

    def handler(request):
        seen.append(request)
        if request.url.path == "/health/ready":
            return httpx.Response(status, json={"status": "ok"})
        return httpx.Response(status, json={"status": "triggered", "batch_id": "b-1", "task_ids": ["t"]})

    monkeypatch.setattr(api_actions, "client", lambda url, settings: httpx.Client(
        base_url=url, transport=httpx.MockTransport(handler), timeout=5))
    return seen


def test_trigger_sync_posts_once_per_connection_with_its_agency_and_no_more_than_the_budget(monkeypatch):
    from pms_runbook.remedies import api_actions

    seen = _mock_api(monkeypatch)
    before, after, sent = api_actions.trigger_sync(_Settings, "tok-123", _d41_item().values * 2, budget=1)
    assert sent == 1 and len(seen) == 1
    req = seen[0]
    assert req.method == "POST" and req.url.path == "/api/v1/channel-connections/6f1c2d3e-0000-4000-8000-000000000001/sync"
    assert json.loads(req.content) == {"sync_type": "full"}
    assert req.headers["x-agency-id"] == "11111111-2222-4333-8444-555555555555"
    assert req.headers["authorization"] == "Bearer tok-123"
    assert len(before["connections"]) == 2 and after["not_triggered (action cap)"] == [
        "6f1c2d3e-0000-4000-8000-000000000002"]


class _Elevated:
    source = "test"

    def __init__(self):
        self.used = []

    def docker(self):
        raise AssertionError("no Docker here")

    def token(self, settings):
        self.used.append("token")
        return "tok"

    def dsn(self):
        self.used.append("dsn")
        return "postgresql://x"


def test_trigger_sync_is_refused_when_the_worker_is_not_running_and_nothing_is_sent(monkeypatch):
    from pms_runbook.remedies import docker_actions

    seen = _mock_api(monkeypatch)
    monkeypatch.setattr(docker_actions, "state", lambda client, name: {
        "name": name, "status": "exited" if name == "pms-worker-v2" else "running", "restarting": False})
    item, elevated, audit = _d41_item(), _Elevated(), []
    ctx = remedies.Context(elevated, {}, _Settings)
    ctx._docker = object()
    remedies.apply([item], ctx, cap=3, recheck=lambda *a: pytest.fail("no re-check of a refused remedy"),
                   audit=lambda kind, **kw: audit.append((kind, kw)))
    assert item.status == "refused" and "pms-worker-v2: exited" in item.detail
    assert [k for k, _ in audit] == ["refused"] and elevated.used == []
    assert [r.url.path for r in seen] == ["/health/ready"]  # the read-only precondition, no POST


def test_the_triggers_count_against_the_action_cap(monkeypatch):
    from pms_runbook.remedies import docker_actions

    seen = _mock_api(monkeypatch)
    monkeypatch.setattr(docker_actions, "state", lambda client, name: {"name": name, "status": "running",
                                                                        "restarting": False})
    item, audit = _d41_item(), []
    ctx = remedies.Context(_Elevated(), {}, _Settings)
    ctx._docker = object()
    checks = [{"nodeid": item.root["nodeid"], "outcome": "passed"}]
    remedies.apply([item], ctx, cap=1, recheck=lambda ids, bound: {"checks": checks},
                   audit=lambda kind, **kw: audit.append((kind, kw)))
    posts = [r for r in seen if r.method == "POST"]
    assert len(posts) == 1 and item.status == "applied, red flag gone"
    action = dict(audit)["action"]
    assert action["actions"] == 1 and action["after"]["not_triggered (action cap)"]


def test_a_sql_remedy_with_nothing_to_change_is_refused(monkeypatch):
    from pms_runbook.remedies import sql_actions

    monkeypatch.setattr(sql_actions, "preview", lambda dsn, remedy, values: {"rows": 0, "older_than_days": 90})
    result = {"nodeid": "checks/reminders/test_step6_retention.py::test_sync_logs_are_within_the_retention_window",
              "ids": ["D6.1"], "outcome": "red_flag",
              "text": "RED FLAG: 5 channel_sync_logs rows are older than the 90-day retention"}
    (item,) = remedies.plan([result], {result["nodeid"]: None}, {"network_model": "v1"})
    assert item.remedy_name == "retention-cleanup" and item.values == [{"days": "90"}]
    audit = []
    remedies.apply([item], remedies.Context(_Elevated(), {}, _Settings), cap=3, recheck=lambda *a: None,
                   audit=lambda kind, **kw: audit.append(kind))
    assert item.status == "refused" and "0 row(s) to change" in item.detail and audit == ["refused"]


# ----------------------------------------------------------------- --recheck, without a lab

RECHECKED = """\
def test_commit():
    from pathlib import Path
    seen = Path(__file__).parent / "runs"
    runs = int(seen.read_text()) if seen.exists() else 0
    seen.write_text(str(runs + 1))
    assert runs >= {heals_after}, message("SOURCE_COMMIT does not match", observed=f"run {{runs}}", fix="redeploy")
"""


def test_recheck_ends_green_when_the_failing_check_passes_again(pytester):
    project(pytester, check("D1.6") + RECHECKED.format(heals_after=2))
    result = pytester.runpytest_subprocess("--recheck", "60", timeout=180)
    text = result.stdout.str()
    assert result.ret == 0, text
    assert "RECHECK: 1 failing check(s), for up to 60 s" in text and "RECHECK 2: ALL CLEAR" in text, text
    assert "(after --recheck)  [exit 0]" in text
    assert "bound of 60 s is reached" not in text


def test_recheck_ends_red_with_its_bound_named_when_it_runs_out(pytester):
    project(pytester, check("D1.6") + RECHECKED.format(heals_after=10**6))
    result = pytester.runpytest_subprocess("--recheck", "1", timeout=180)
    text = result.stdout.str()
    assert result.ret == 1, text
    assert "RECHECK: 1 failing check(s), for up to 1 s" in text and "RECHECK 1: RED FLAG" in text, text
    assert "RECHECK 2" not in text and "(after --recheck)  [exit 1]" in text, text
    assert "RECHECK: the bound of 1 s is reached and the checks still fail" in text, text


def test_the_elevated_api_token_comes_from_its_own_variables_or_the_lab_and_is_scrubbed(monkeypatch):
    from pms_runbook import secrets
    from pms_runbook.remedies import credentials

    given = credentials.load("staging", {"PMS_FIX_API_TOKEN": "fix-token-abc-123"})
    assert given.token(_Settings) == "fix-token-abc-123"
    assert "fix-token-abc-123" not in secrets.scrub("Bearer fix-token-abc-123")
    none = credentials.load("staging", {})
    with pytest.raises(credentials.NoElevatedCredentials, match="PMS_FIX_API_TOKEN.*PMS_FIX_API_EMAIL"):
        none.token(_Settings)
    lab = credentials.load("lab", {}, lab_status=lambda: {"admin_email": "ops@lab", "admin_password": "lab-pw-987"})
    assert lab.api_login[0] == "ops@lab" and lab.source == "the lab's state"
    assert "lab-pw-987" not in secrets.scrub("password lab-pw-987")


def test_the_elevated_login_asks_the_gateway_as_the_checks_token_is_fetched(monkeypatch):
    import base64

    from pms_runbook import secrets, transports
    from pms_runbook.remedies import credentials
    from pms_runbook.secrets import Secret
    from pms_runbook.transports.http import Answer

    part = base64.urlsafe_b64encode(json.dumps({"sub": "u", "exp": 4102444800}).encode()).decode().rstrip("=")
    jwt = f"eyJhbGciOiJIUzI1NiJ9.{part}.c2lnbmF0dXJlLWxvZ2luLXRlc3Q"
    asked = []

    class Gateway:
        def post_for_token(self, path, **kw):
            asked.append((path, kw))
            return Answer("POST", "http://gw" + path, 200, {}, json.dumps({"access_token": jwt}).encode(), 1.0, {})

        def close(self):
            pass

    monkeypatch.setattr(transports, "connect", lambda url, **kw: Gateway())

    class Settings(_Settings):
        sb_url, anon_key = "http://127.0.0.1:9", Secret("anon-key-xyz")

    elevated = credentials.load("staging", {"PMS_FIX_API_EMAIL": "fixer@x", "PMS_FIX_API_PASSWORD": "fix-pw-555"})
    assert elevated.token(Settings) == jwt and jwt not in secrets.scrub(f"token {jwt}")
    (path, kw), = asked
    assert path == "/auth/v1/token?grant_type=password" and kw["json"] == {"email": "fixer@x", "password": "fix-pw-555"}
    assert kw["headers"]["apikey"] == "anon-key-xyz"


def test_every_remedy_has_its_lab_self_test():
    text = (ROOT / "tests" / "lab" / "test_remediation.py").read_text()
    block = text[text.index("REMEDIES = {"):text.index("}", text.index("REMEDIES = {"))]
    proven = set(re.findall(r'"[a-z-]+": "([a-z-]+)"', block))
    assert proven == set(remedies.load()), set(remedies.load()) ^ proven
