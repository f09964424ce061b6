"""Probes: each question to a target asked at most once per run, its answer OR its error remembered.

This is goss's `setup()`: a check that needs a probe gets the remembered answer, or the remembered
error raised again, so "could not check" is decided here, once per probe, and never by each check.

At session start (or at the first probe asked) every probe the run's selection will ask goes out
(`Probes.start`, the ones in `Probes.wanted`), side by side in a small thread pool: against a silent
host they all wait out one read timeout together instead of one after the other, and against a healthy
one they answer in the time of the slowest.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pms_runbook.redflag import CouldNotCheck

WORKERS = 8  # a run asks about a dozen questions up front


@dataclass(frozen=True)
class Spec:
    """How to ask one question: `ask(**needs)`, where `needs` are resolved before (in the main thread)."""

    ask: Callable[..., Any]
    needs: tuple[str, ...] = ()
    prefetch: bool = True  # False: asked only when a check needs it (it must wait for something first)
    after: str | None = None  # a fixture it waits for when the run selects it (then it is not prefetched)


class Probe:
    """One question, asked once: `result()` returns its answer or raises its error, every time."""

    def __init__(self, name: str, ask: Callable[[], Any]):
        self.name = name
        self._ask = ask
        self._future: Future | None = None
        self._lock = threading.Lock()

    def start(self, pool: ThreadPoolExecutor | None = None) -> None:
        with self._lock:
            if self._future is not None:
                return
            if pool is not None:
                self._future = pool.submit(self._ask)
                return
            self._future = Future()
        try:
            self._future.set_result(self._ask())
        except BaseException as exc:  # noqa: BLE001 - remembered, raised again by result()
            self._future.set_exception(exc)

    def result(self) -> Any:
        self.start()
        try:
            return self._future.result()
        except CouldNotCheck as exc:
            # A fresh error each time: raised from here, not through the worker thread's frames.
            raise CouldNotCheck(exc.what, exc.because, exc.hint) from None


class Probes:
    """The run's probes by name. `resolve(name)` gives a probe's needs (pytest fixtures, main thread only)."""

    def __init__(self, specs: dict[str, Spec], resolve: Callable[[str], Any], *, wanted: Iterable[str] = (),
                 prefetch: bool = True):
        self._specs = specs
        self._resolve = resolve
        self._probes: dict[str, Probe] = {}
        self.selected = frozenset(wanted)  # the fixtures the run's checks use
        self.wanted = self.selected & specs.keys()
        self._prefetch = prefetch
        self._pool: ThreadPoolExecutor | None = None

    def _probe(self, name: str) -> Probe:
        if name not in self._probes:
            spec = self._specs[name]
            try:
                needs = {n: self._resolve(n) for n in spec.needs}
            except BaseException as exc:  # noqa: BLE001 - a need that could not be had (could not check, a skip)
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                needs, error = None, exc  # is this probe's error too
            if needs is None:
                def ask(error=error):
                    raise error
            else:
                def ask(spec=spec, needs=needs):
                    return spec.ask(**needs)
            self._probes[name] = Probe(name, ask)
        return self._probes[name]

    def _goes_out_first(self, name: str) -> bool:
        spec = self._specs[name]
        return spec.prefetch and spec.after not in self.selected

    def start(self) -> None:
        """Send the selection's probes out together, once (a no-op when prefetch is off or none is wanted)."""
        if self._pool is not None or not self._prefetch:
            return
        # In the specs' order: a probe whose needs wait for earlier probes comes after them.
        together = [n for n in self._specs if n in self.wanted and self._goes_out_first(n)]
        if not together:
            return
        self._pool = ThreadPoolExecutor(max_workers=min(WORKERS, len(together)), thread_name_prefix="probe")
        for n in together:
            self._probe(n).start(self._pool)

    def get(self, name: str) -> Any:
        self.start()
        return self._probe(name).result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
