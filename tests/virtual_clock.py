"""A virtual clock for tests: seconds pass only when code sleeps on it (or a request is charged to it).

Installed into chosen modules in place of their `time` module (and their `asyncio.sleep`), so the real
client and the real simulator run over real loopback HTTP while their timing is exact and repeatable:
a busy machine changes nothing, and a wrong schedule fails the same way every time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from types import ModuleType, SimpleNamespace
from typing import Any

import httpx
import pytest

from seedance_ui.client import RetryPolicy

# Waits of 0.03 s against a 0.2 s total cap: on the virtual clock six fit (0.18 s), a seventh would
# pass the cap, so a call that keeps failing is tried exactly seven times.
CAPPED_RETRY = RetryPolicy(max_attempts=100, base_delay=0.03, max_delay=0.03, max_total=0.2, jitter=0)


class VirtualClock:
    """Stands in for the `time` module (monotonic, time) and for asyncio.sleep in the modules it is
    installed into. `sleeps` lists every sleep asked for, in order."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()  # the simulator reads the clock from its server threads
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def time(self) -> float:
        """Epoch seconds stay real (the simulator stamps task ids with them)."""
        return time.time()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, seconds)

    async def sleep(self, seconds: float, result: Any = None) -> Any:
        """Advance the clock instead of waiting; still yields to the event loop once."""
        self.sleeps.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)
        return result

    def install(self, monkeypatch: pytest.MonkeyPatch, *modules: ModuleType) -> VirtualClock:
        """Replace `time` (and `asyncio`, with only `sleep`) in each module's namespace; undone by
        monkeypatch at the end of the test."""
        for module in modules:
            if hasattr(module, "time"):
                monkeypatch.setattr(module, "time", self)
            if hasattr(module, "asyncio"):
                monkeypatch.setattr(module, "asyncio", SimpleNamespace(sleep=self.sleep))
        return self


class LatencyTransport(httpx.AsyncBaseTransport):
    """Real HTTP (httpx's own transport) where every request costs `latency` virtual seconds: half on
    the way there, half on the way back."""

    def __init__(self, clock: VirtualClock, latency: float) -> None:
        self.clock = clock
        self.latency = latency
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.clock.advance(self.latency / 2)
        response = await self._inner.handle_async_request(request)
        self.clock.advance(self.latency / 2)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
