"""Self-tests of the diagnosis (root causes, what follows from them), verdict.json against its published schema,
--redflag and --verdict-stdout."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from pms_runbook import catalogue, diagnosis
from tests.unit.test_plugin import CNC_CALL, GREEN, RED, SKIPPED, check, project

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "verdict.schema.json").read_text())


def _r(nodeid, outcome="red_flag", text="", ids=()):
    return {"nodeid": f"checks/x.py::{nodeid}", "ids": list(ids), "outcome": outcome, "text": text}


# ---------------------------------------------------------------- the graph

def test_the_graph_has_no_cycle_and_every_selector_names_a_check_or_an_id():
    assert diagnosis.selector_cycles() == []
    names = {line.split("def ", 1)[1].split("(")[0] for p in (ROOT / "checks").rglob("test_*.py")
             for line in p.read_text().splitlines() if line.startswith("def test_")}
    from pms_runbook.plugin.state import redflag_ids

    for edge in diagnosis.load():
        for sel in edge.cause + edge.explains:
            assert sel.split("[")[0] in names or sel in redflag_ids(), sel


def test_follows_from_only_what_failed_in_this_run():
    net = _r("test_pms_backend_is_on_the_supabase_network", ids=["D5.2"])
    dns = _r("test_supabase_db_resolves_inside_pms_backend", ids=["D5.1"])
    db = _r("test_ready_component_is_up[db]", text='RED FLAG: db: "down" in /health/ready', ids=["D2.3"])
    ready = _r("test_ready_answers_200_to_head", text="RED FLAG: HEAD /health/ready answered 503", ids=["D2.2"])
    step4 = _r("test_failed_batches_stay_under_the_threshold", "could_not_check",
               "could not check ... answered 503: Database is temporarily unavailable", ids=["D4.2"])
    roots = diagnosis.diagnose([net, dns, db, ready, step4])
    assert roots == {net["nodeid"]: None, dns["nodeid"]: net["nodeid"], db["nodeid"]: net["nodeid"],
                     ready["nodeid"]: net["nodeid"], step4["nodeid"]: net["nodeid"]}
    # the network attached and the DB still down: the DB is its own root cause
    attached = {**net, "outcome": "passed"}
    roots = diagnosis.diagnose([attached, db, ready, step4])
    assert roots == {db["nodeid"]: None, ready["nodeid"]: db["nodeid"], step4["nodeid"]: db["nodeid"]}


def test_evidence_in_the_message_decides():
    crash = _r("test_no_container_crashes_at_startup", text="RED FLAG: ImportError at startup: pms-backend crashes",
               ids=["F2"])
    worker = _r("test_pms_container_is_up[pms-worker-v2]", text="RED FLAG: pms-worker-v2 is exited", ids=["D1.3"])
    backend = _r("test_pms_container_is_up[pms-backend]", text="RED FLAG: pms-backend is restarting", ids=["D1.1"])
    roots = diagnosis.diagnose([crash, worker, backend], containers=["pms-worker-v2", "pms-backend", "pms-worker"])
    assert roots == {crash["nodeid"]: None, backend["nodeid"]: crash["nodeid"], worker["nodeid"]: None}
    unrelated = _r("test_failed_batches_stay_under_the_threshold", text="RED FLAG: failed batches above 10%",
                   ids=["D4.2"])
    db = _r("test_ready_component_is_up[db]", text="RED FLAG: db down", ids=["D2.3"])
    assert diagnosis.diagnose([db, unrelated]) == {db["nodeid"]: None, unrelated["nodeid"]: None}


# ---------------------------------------------------------------- verdict.json

def _verdict(pytester, *args):
    result = pytester.runpytest(*args)
    doc = json.loads((pytester.path / "reports" / "verdict.json").read_text())
    jsonschema.validate(doc, SCHEMA)
    return result, doc


@pytest.mark.parametrize(("body", "code", "status"), [
    (GREEN, 0, "all_clear"), (GREEN + RED + SKIPPED, 1, "red_flag"), (CNC_CALL, 10, "not_verified"),
], ids=["healthy", "red", "dead-target"])
def test_verdict_json_validates_against_its_schema(pytester, body, code, status):
    project(pytester, body)
    result, doc = _verdict(pytester)
    assert result.ret == code and doc["verdict"]["exit_code"] == code and doc["verdict"]["status"] == status
    assert doc["verdict"]["line"] in result.stdout.str()
    for c in doc["checks"]:
        if c["outcome"] in ("red_flag", "could_not_check"):
            assert c.get("root_cause") is True or c.get("follows_from")
    if code == 1:
        red = next(c for c in doc["checks"] if c["outcome"] == "red_flag")
        assert red["redflag"] == "D3.1" and red["fix"] == "docker stop pms-worker" and red["root_cause"] is True
        assert doc["root_causes"] == [red["nodeid"]]
        skipped = next(c for c in doc["checks"] if c["outcome"] == "not_checked")
        assert "no Docker access" in skipped["reason"]


def test_verdict_json_is_scrubbed_and_names_targets_without_credentials(pytester, monkeypatch):
    monkeypatch.setenv("PMS_API_URL", "http://ops:hunter2hunter2@127.0.0.1:9/")
    project(pytester, check("D2.1") + textwrap.dedent("""\
        def test_health():
            from pms_runbook import secrets
            secrets.register("s3cr3t-value-xyz")
            raise CouldNotCheck("/health", "the server said s3cr3t-value-xyz")
        """))
    _, doc = _verdict(pytester)
    text = json.dumps(doc)
    assert "s3cr3t-value-xyz" not in text and "hunter2" not in text


def test_verdict_on_stdout_is_the_last_line_and_redflag_selects(pytester):
    project(pytester, GREEN + RED)
    result = pytester.runpytest("--no-reports", "--verdict-stdout", "--redflag", "D3.1")
    doc = json.loads(result.stdout.lines[-1])
    jsonschema.validate(doc, SCHEMA)
    assert [c["redflag"] for c in doc["checks"]] == ["D3.1"] and result.ret == 1
    assert doc["run"]["selection"]["redflags"] == ["D3.1"]


def test_consequences_are_listed_beneath_their_root_cause_once(pytester):
    project(pytester, check("D5.2") + textwrap.dedent("""\
        def test_pms_backend_is_on_the_supabase_network():
            assert False, message("pms-backend is not attached", observed="coolify", fix="docker network connect n b")
        """) + check("D2.3") + textwrap.dedent("""\
        @pytest.mark.parametrize("component", ["db"])
        def test_ready_component_is_up(component):
            assert False, message('db: "down" in /health/ready', observed="down", fix="see D5")
        """))
    result, doc = _verdict(pytester)
    text = result.stdout.str()
    assert text.count('db: "down" in /health/ready') == 1, text
    result.stdout.fnmatch_lines(["*RED FLAGS: 1 root cause(s), 1 following*", "D5.2 *test_pms_backend_is_on_the*",
                                 "*ROOT CAUSE: RED FLAG: pms-backend is not attached", "*fix:",
                                 "*    docker network connect n b", "*follows from it (1):",
                                 "*D2.3 *test_ready_component_is_up[[]db]", "*RED FLAG: db: \"down\"*",
                                 "*1 root cause, 1 following from it*"])
    results = [json.loads(p.read_text()) for p in (pytester.path / "reports" / "allure-results").glob("*-result.json")]
    by_title = {r["name"]: {lb["name"]: lb["value"] for lb in r["labels"] if lb["name"] != "tag"} |
                {"tags": [lb["value"] for lb in r["labels"] if lb["name"] == "tag"]} for r in results}
    root = by_title["D5.2: " + catalogue.flag("D5.2").title]  # the red flag's words with its ID
    assert root["root_cause"] == "yes" and root["severity"] == "critical" and "D5.2" in root["tags"]
    other = by_title["D2.3: db down[db]"]
    assert other["root_cause"] == "no" and other["follows_from"].endswith("test_pms_backend_is_on_the_supabase_network")
    follows = next(c for c in doc["checks"] if c["redflag"] == "D2.3")
    assert follows["follows_from"].endswith("test_pms_backend_is_on_the_supabase_network")
    assert doc["verdict"]["counts"]["root_causes"] == 1 and doc["verdict"]["counts"]["following"] == 1


def test_a_consequence_with_the_roots_reason_says_so_once(pytester):
    """Three checks stopped by one reason: the reason is printed at the root, its consequences say "the same"."""
    reason = "the API does not judge the X-Forwarded-Host this run sends (unknown.example sent: HTTP 200)"
    project(pytester, check("E5") + textwrap.dedent(f"""\
        def test_unknown_host_gets_the_documented_403():
            raise CouldNotCheck("the host allowlist for unknown.example", {reason!r})
        """) + check("E5") + textwrap.dedent(f"""\
        def test_public_host_is_allowed():
            raise CouldNotCheck("the host allowlist for fewo.test", {reason!r})
        """))
    result, _ = _verdict(pytester)
    text = result.stdout.str()
    assert text.count("does not judge the X-Forwarded-Host") == 1, text
    result.stdout.fnmatch_lines(["*COULD NOT CHECK*", "*test_unknown_host_gets_the_documented_403",
                                 "*follows from it (1):", "*test_public_host_is_allowed",
                                 "*could not check the host allowlist for fewo.test: the same reason"])
