"""Shared pieces of the job manager tests: following a job's changes, and job managers that talk
to the contract simulator over loopback HTTP through the real SeedanceClient (optionally behind the
recording proxy of conftest, which records the key every request carried)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from conftest import RecordingProxy

from seedance_ui.client import GenerationRequest, RetryPolicy, SeedanceClient
from seedance_ui.config import Settings
from seedance_ui.jobs import JobManager
from seedance_ui.jobs.meta import MetaStore
from seedance_ui.options import MODEL_FAST
from seedance_ui.simulator import Simulator
from seedance_ui.store import HistoryStore, JobRecord, JobStatus

# One prompt and one set of parameters: the simulator renders (and caches) a single clip.
SIM_REQ = GenerationRequest(prompt="A red kite over green hills, wide shot", model=MODEL_FAST, quality="480p",
                            duration=4, generate_audio=False)
# Client retries that take milliseconds, so a fault that needs every attempt is quick to reach.
QUICK_RETRY = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.005, max_total=5.0)


# -- following a job ---------------------------------------------------------------------------------
def wait_status(m: JobManager, job_id: str, owner: str, status: JobStatus) -> None:
    """Follow the job until it reaches `status`; AssertionError if it ends (or 10 s pass) first."""

    async def go() -> None:
        async for r in m.watch(job_id, owner, timeout=10):
            if r.status == status:
                return
        raise AssertionError(f"never reached {status}")

    asyncio.run(go())


async def collect_hints(m: JobManager, job_id: str, owner: str = "alice") -> list:
    """The error hint of every change of the job, until it ends."""
    return [r.error_hint async for r in m.watch(job_id, owner, timeout=10)]


def wait_for(probe: Any, timeout: float, interval: float = 0.01) -> Any:
    """Poll `probe` every `interval` s until it returns something truthy; AssertionError when `timeout`
    s pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out")


def finishes_without_suspending(coro: Any) -> bool:
    """Run a coroutine one step: True when it returned in that step (never awaited anything)."""
    try:
        coro.send(None)
    except StopIteration:
        return True
    coro.close()
    return False


# -- jobs as a stop or a crash leaves them -----------------------------------------------------------
def add_unsent_job(store: HistoryStore, owner: str, request: GenerationRequest, key_source: str) -> JobRecord:
    """A queued job written to disk (history and key source) that was never sent to the provider."""
    rec = JobRecord.new(owner, request.to_params())
    meta = MetaStore(store.data_dir)
    meta.add(rec.id, key_source, None)
    meta.close()
    store.add(rec)
    return rec


def admit_then_stop(m: JobManager, job_id: str, owner: str) -> JobStatus:
    """Admit a queued job (SUBMITTING written, its runner not started yet) and stop the manager at
    once; returns the status the admission wrote."""

    async def go() -> JobStatus:
        m._enqueue(job_id, owner)
        admitted = m.store.get(job_id).status
        await m._shutdown(grace=1)
        return admitted

    status = m._call(go())
    m.stop()
    return status


# -- job managers against the simulator ----------------------------------------------------------------
class SimJobs:
    """A simulator (behind a recording proxy when `proxy`), and job managers over one data directory:
    each `manager()` call is a new process start (its own store), closed at the end."""

    def __init__(self, data_dir: Path, *, proxy: bool = False, speed: float = 200) -> None:
        self.sim = Simulator(speed=speed).start()
        self.proxy = RecordingProxy(self.sim.base_url).start() if proxy else None
        base_url = self.proxy.url if self.proxy else self.sim.base_url
        self.settings = Settings(api_key="sk-sim-test", base_url=base_url, data_dir=data_dir,
                                 poll_interval=0.1, request_timeout=2.0)
        self._made: list[tuple[JobManager, HistoryStore]] = []

    def manager(
        self, retry: RetryPolicy | None = None, url_lifetime: float | None = None, **overrides: Any
    ) -> JobManager:
        """A started JobManager; with `retry`, its real clients retry by that policy (else the default);
        `url_lifetime` shortens how long a finished video's link is taken to live."""
        settings = replace(self.settings, **overrides)
        store = HistoryStore(settings.data_dir)
        factory = None
        if retry is not None:
            def factory(key: str) -> SeedanceClient:
                return SeedanceClient(key, settings.base_url, poll_interval=settings.poll_interval,
                                      request_timeout=settings.request_timeout,
                                      download_timeout=settings.download_timeout,
                                      max_download_bytes=settings.max_download_bytes, retry=retry)
        lifetime = {} if url_lifetime is None else {"url_lifetime": url_lifetime}
        manager = JobManager(store, settings, client_factory=factory, **lifetime)
        manager.start()
        self._made.append((manager, store))
        return manager

    def keys_sent(self) -> set[str | None]:
        """Every Authorization header the provider saw (needs `proxy`)."""
        assert self.proxy is not None
        with self.proxy._lock:
            return {r.authorization for r in self.proxy.records}

    def close(self) -> None:
        for manager, store in self._made:
            manager.stop(grace=0.5)
            store.close()
        if self.proxy is not None:
            self.proxy.stop()
        self.sim.stop()
