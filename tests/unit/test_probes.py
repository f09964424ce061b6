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
