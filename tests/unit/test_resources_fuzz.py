"""Every parser is total: typed result or BadAnswer, never another exception, whatever it is fed."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pms_runbook.resources.answer import EXCERPT_CHARS, MAX_BODY_BYTES, BadAnswer, parse_timestamp
from pms_runbook.resources.auth import Token, parse_token_response
from pms_runbook.resources.channel_manager import (
    Batch,
    Connection,
    parse_batch,
    parse_batch_list,
    parse_connection,
    parse_connection_list,
)
from pms_runbook.resources.containers import Container, parse_container
from pms_runbook.resources.errors import ErrorBody, parse_error_body, schema_drift_message
from pms_runbook.resources.health import Liveness, Readiness, parse_liveness, parse_readiness
from pms_runbook.resources.version import Version, commit_matches, parse_version, validate_expected_commit

DATA = Path(__file__).parent / "data"

FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def _isolated_secret_registry():
    """Fuzzed env entries and tokens get registered as secrets; keep them out of the other tests."""
    from pms_runbook import secrets

    with secrets._lock:
        saved = set(secrets._values)
    yield
    with secrets._lock:
        secrets._values.clear()
        secrets._values.update(saved)

# parser, result check, recorded samples of its documented shapes
PARSERS = [
    (parse_liveness, lambda r: isinstance(r, Liveness), ["health_up.json", "health_ok.json"]),
    (parse_readiness, lambda r: isinstance(r, Readiness),
     ["ready_prod_up.json", "ready_two_workers.json", "ready_legacy_degraded.json", "ready_flat_healthy.json"]),
    (parse_version, lambda r: isinstance(r, Version), ["version_prod.json", "version_march.json"]),
    (parse_connection_list, lambda r: isinstance(r, list) and all(isinstance(c, Connection) for c in r),
     ["connections_array.json", "connections_items.json"]),
    (parse_connection, lambda r: isinstance(r, Connection), []),
    (parse_batch_list, lambda r: isinstance(r, list) and all(isinstance(b, Batch) for b in r),
     ["batches_items.json", "batches_array.json"]),
    (parse_batch, lambda r: isinstance(r, Batch), ["batch_detail.json"]),
    (parse_token_response, lambda r: isinstance(r, Token), ["token_ok.json"]),
    (parse_error_body, lambda r: isinstance(r, ErrorBody),
     ["error_schema_detail_obj.json", "error_host_not_allowed.json"]),
    (parse_container, lambda r: isinstance(r, Container),
     ["inspect_backend_running.json", "inspect_backend_restarting.json"]),
]
IDS = [p[0].__name__ for p in PARSERS]


def total(parser, check, body, **kw):
    """The property under test."""
    try:
        result = parser(body, **kw)
    except BadAnswer as e:
        assert isinstance(e.reason, str) and isinstance(e.excerpt, str)
        assert len(e.excerpt) <= EXCERPT_CHARS
        return None
    assert check(result), result
    return result


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
# JSON values that also use the keys the parsers look for
KEYS = ["status", "components", "checks", "celery_workers", "details", "workers", "error", "checked_at", "db",
        "redis", "celery", "service", "source_commit", "version", "api_version", "started_at", "uptime_seconds",
        "items", "id", "platform_type", "property_id", "batch_id", "batch_status", "status_counts", "other",
        "created_at_min", "updated_at_max", "operations", "access_token", "expires_at", "message", "detail",
        "Name", "State", "Status", "Config", "Env", "NetworkSettings", "Networks", "RestartCount", "StartedAt",
        "FinishedAt", "Health", "ExitCode", "Restarting"]
keyed_values = st.recursive(
    json_scalars | st.sampled_from(["up", "down", "ready", "2026-01-06T10:00:00Z", "0001-01-01T00:00:00Z",
                                    "a.b.c", "null", "running", "/pms-backend", "KEY=value"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(KEYS), children, max_size=6),
    max_leaves=25,
)


def paths(value, prefix=()):
    """Every path (tuple of keys/indices) inside a JSON document."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, prefix + (i,))


def replaced(doc, path, new):
    if not path:
        return new
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return doc


@pytest.mark.parametrize("parser,check,samples", PARSERS, ids=IDS)
@FUZZ
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes(parser, check, samples, data):
    total(parser, check, data)


@pytest.mark.parametrize("parser,check,samples", PARSERS, ids=IDS)
@FUZZ
@given(text=st.text(max_size=200))
def test_arbitrary_text(parser, check, samples, text):
    total(parser, check, text)


@pytest.mark.parametrize("parser,check,samples", PARSERS, ids=IDS)
@FUZZ
@given(value=json_values)
def test_arbitrary_json(parser, check, samples, value):
    total(parser, check, value)
    total(parser, check, json.dumps(value).encode())


@pytest.mark.parametrize("parser,check,samples", PARSERS, ids=IDS)
@FUZZ
@given(value=keyed_values)
def test_json_with_the_right_keys(parser, check, samples, value):
    total(parser, check, value)


@pytest.mark.parametrize("parser,check,samples", [p for p in PARSERS if p[2]], ids=[i for p, i in zip(PARSERS, IDS) if p[2]])
@FUZZ
@given(data=st.data())
def test_wrong_types_in_the_right_keys(parser, check, samples, data):
    """Take a recorded answer, replace one value anywhere in it by any JSON value."""
    doc = json.loads((DATA / data.draw(st.sampled_from(samples))).read_text())
    path = data.draw(st.sampled_from(list(paths(doc))))
    new = data.draw(json_values)
    total(parser, check, replaced(doc, path, new))


@pytest.mark.parametrize("parser,check,samples", [p for p in PARSERS if p[2]], ids=[i for p, i in zip(PARSERS, IDS) if p[2]])
@FUZZ
@given(data=st.data())
def test_keys_removed(parser, check, samples, data):
    doc = json.loads((DATA / data.draw(st.sampled_from(samples))).read_text())
    candidates = [p for p in paths(doc) if p]
    path = data.draw(st.sampled_from(candidates))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    total(parser, check, doc)


@pytest.mark.parametrize("parser,check,samples", [p for p in PARSERS if p[2]], ids=[i for p, i in zip(PARSERS, IDS) if p[2]])
def test_recorded_samples_parse(parser, check, samples):
    for name in samples:
        assert check(parser((DATA / name).read_bytes()))


@pytest.mark.parametrize("parser,check,samples", PARSERS, ids=IDS)
def test_huge_and_hostile_bodies(parser, check, samples):
    six_mb = b'{"status": "up", "pad": "' + b"x" * (6 * 1024 * 1024) + b'"}'
    with pytest.raises(BadAnswer, match="limit"):
        parser(six_mb)
    with pytest.raises(BadAnswer, match="limit"):
        parser(six_mb.decode())
    for hostile in (b"[" * 200_000, b'{"a":' * 100_000, b"1" * 5000, b"NaN", b'{"status": Infinity}',
                    b'\xef\xbb\xbf{"status": "up"}', "\ud800".encode("utf-8", "surrogatepass"), b"\x00" * 1000):
        total(parser, check, hostile)
    deep: object = "up"
    for _ in range(5000):
        deep = {"status": deep, "items": [deep] if not isinstance(deep, dict) else []}
    total(parser, check, deep)


def test_large_but_legal_list_is_parsed_in_bounded_time():
    import time

    item = json.loads((DATA / "batches_array.json").read_text())[0]
    body = json.dumps({"items": [dict(item, batch_id=f"b{i}") for i in range(5000)], "limit": 5000}).encode()
    assert len(body) < MAX_BODY_BYTES
    t0 = time.perf_counter()
    assert len(parse_batch_list(body)) == 5000
    assert time.perf_counter() - t0 < 2.0


@FUZZ
@given(value=json_values | st.binary(max_size=200) | st.text(max_size=200))
def test_schema_drift_message_never_raises(value):
    out = schema_drift_message(value)
    assert out is None or isinstance(out, str)


@FUZZ
@given(deployed=st.none() | st.text(max_size=50), expected=st.text(max_size=50))
def test_commit_matches_is_total(deployed, expected):
    assert commit_matches(deployed, expected) in (True, False)


@FUZZ
@given(s=st.text(max_size=80))
def test_validate_expected_commit_is_value_error_or_hex(s):
    try:
        v = validate_expected_commit(s)
    except ValueError:
        return
    assert 7 <= len(v) <= 64 and all(c in "0123456789abcdef" for c in v)


@FUZZ
@given(value=st.text(max_size=80) | st.integers() | st.none())
def test_parse_timestamp_is_datetime_none_or_value_error(value):
    try:
        dt = parse_timestamp(value)
    except (ValueError, OverflowError):
        return
    assert dt is None or dt.tzinfo is not None
