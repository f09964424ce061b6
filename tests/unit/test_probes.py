"""Probes (goss's setup()): asked once per run, the answer or the error remembered, the wanted ones together."""
from __future__ import annotations

import threading
import time

import pytest

from pms_runbook.probes import Probe, Probes, Spec
from pms_runbook.redflag import CouldNotCheck


def test_a_probe_is_asked_once_and_remembers_its_answer():
    calls = []
    probe = Probe("p", lambda: calls.append(1) or "answer")
    assert probe.result() == probe.result() == "answer"
    assert calls == [1]


def test_a_probe_remembers_its_error_and_raises_it_again_each_time():
    calls = []

    def ask():
        calls.append(1)
        raise CouldNotCheck("GET /health", "no answer within 10s")

    probe = Probe("p", ask)
    for _ in range(3):
        with pytest.raises(CouldNotCheck, match="no answer within 10s") as err:
            probe.result()
        assert err.value.what == "GET /health"
    assert calls == [1]


def test_the_first_probe_asked_starts_the_wanted_ones_together():
    started: dict[str, float] = {}
    gate = threading.Barrier(3, timeout=5)  # passes only if three asks run at the same time

    def slow(name):
        def ask():
            started[name] = time.monotonic()
            gate.wait()
            return name
        return ask

    specs = {n: Spec(slow(n)) for n in ("a", "b", "c")} | {"later": Spec(lambda: "later", prefetch=False),
                                                           "unused": Spec(lambda: pytest.fail("not wanted"))}
    probes = Probes(specs, resolve=lambda name: None, wanted={"a", "b", "c", "later", "some_fixture"})
    try:
        assert probes.get("a") == "a"
        assert set(started) == {"a", "b", "c"}  # "later" waits for its own turn, "unused" is never asked
        assert probes.get("b") == "b" and probes.get("later") == "later"
        assert probes.wanted == {"a", "b", "c", "later"} and "some_fixture" in probes.selected
    finally:
        probes.close()


def test_a_need_that_cannot_be_had_is_the_probes_error():
    def resolve(name):
        raise CouldNotCheck("the token", "the gateway did not answer")

    probes = Probes({"p": Spec(lambda token: pytest.fail("asked without its need"), ("token",))}, resolve,
                    prefetch=False)
    for _ in range(2):
        with pytest.raises(CouldNotCheck, match="the gateway did not answer"):
            probes.get("p")


def test_without_prefetch_each_probe_is_asked_on_first_use_only():
    asked = []
    probes = Probes({n: Spec(lambda n=n: asked.append(n) or n) for n in ("a", "b")}, lambda name: None,
                    wanted={"a", "b"}, prefetch=False)
    assert probes.get("a") == "a" and asked == ["a"]


@pytest.mark.parametrize("selected, prefetched", [({"version"}, {"version", "health"}),
                                                  ({"version", "settled"}, {"health"})])
def test_a_probe_that_waits_for_a_fixture_goes_out_first_only_when_the_run_does_not_select_it(selected,
                                                                                            prefetched):
    asked = []
    specs = {"health": Spec(lambda: asked.append("health")), "version": Spec(lambda: asked.append("version"),
                                                                             after="settled")}
    probes = Probes(specs, resolve=lambda name: None, wanted={"health", *selected})
    try:
        probes.start()
        deadline = time.monotonic() + 5
        while set(asked) != prefetched and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        assert set(asked) == prefetched
        probes.get("version")
        assert sorted(asked) == ["health", "version"]  # asked once, whichever way
    finally:
        probes.close()


def test_start_is_a_no_op_without_prefetch_or_without_a_wanted_probe():
    asked = []
    for probes in (Probes({"a": Spec(lambda: asked.append("a"))}, lambda name: None, wanted={"a"}, prefetch=False),
                   Probes({"a": Spec(lambda: asked.append("a"))}, lambda name: None, wanted={"other"})):
        probes.start()
        time.sleep(0.05)
        assert asked == [] and probes._pool is None


def test_probes_go_out_in_the_specs_order_so_a_need_on_an_earlier_probe_does_not_ask_it_again_inline():
    """Step 4's probe needs the token (a probe's answer): the token is already out, in a probe thread."""
    ran_in: dict[str, str] = {}

    def ask(name):
        def run(**_):
            ran_in[name] = threading.current_thread().name
            return name
        return run

    probes: Probes

    def resolve(need):
        return probes.get("token_answer")  # the token fixture reads the token probe

    specs = {"token_answer": Spec(ask("token_answer")), "step4_coverage": Spec(ask("step4_coverage"), ("token",))}
    probes = Probes(specs, resolve, wanted=set(specs))
    try:
        probes.start()
        assert probes.get("step4_coverage") == "step4_coverage"
        assert all(thread.startswith("probe") for thread in ran_in.values()), ran_in
    finally:
        probes.close()


@pytest.mark.parametrize("because", [
    "the connection failed: [Errno 111] Connection refused",
    "it answered 503 (service unavailable): no available server",  # Traefik: the container unhealthy or gone
    "it answered 503 (service unavailable): 503 Service Unavailable: no upstreams available",  # Caddy
    "it answered 404: 404 page not found",  # Traefik: no router left for the host
    "it answered HTTP 502: 502 Bad Gateway: dial tcp: lookup pms-admin on 127.0.0.11:53: no such host",  # Caddy
])
def test_an_admin_gone_from_behind_its_proxy_is_seen_missing_while_the_api_answers(because):
    from types import SimpleNamespace

    from pms_runbook.api_probes import admin_seen_over_http
    from pms_runbook.redflag import CouldNotCheck

    api = SimpleNamespace(get=lambda path: SimpleNamespace(status=200, endpoint=f"GET https://api.x{path}"))
    seen = admin_seen_over_http(CouldNotCheck("GET https://admin.x/api/ops/version", because), SimpleNamespace(target=api))
    assert seen.missing and "the API answers GET https://api.x/health 200" in seen.missing


def test_an_admin_answering_an_error_of_its_own_is_not_called_missing():
    from types import SimpleNamespace

    from pms_runbook.api_probes import admin_seen_over_http
    from pms_runbook.redflag import CouldNotCheck

    api = SimpleNamespace(get=lambda path: SimpleNamespace(status=200, endpoint=f"GET https://api.x{path}"))
    seen = admin_seen_over_http(CouldNotCheck("GET https://admin.x/api/ops/version", "it answered 500: Internal"),
                                SimpleNamespace(target=api))
    assert seen.missing is None and seen.failure is not None
