"""Capacity: 200 jobs in flight across 50 owners in the real studio, while a probe times a cheap UI event.

Three processes besides the bench: the simulator (`python -m seedance_ui.simulator`), the studio
(`python app.py`, live mode against it, SEEDANCE_MAX_JOBS_IN_FLIGHT=200, 4 per owner) and the probe
(`python -m bench.probe`, the cost-estimate event one at a time). The bench itself plays 50 browsers:
each owner presses Generate 4 times (the page's own submit event), then its page runs the watcher and
the state-change events it fires, as the page does after a submit, until every job has ended.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    PYTHON,
    ROOT,
    Child,
    cpu_seconds,
    free_port,
    machine_busy_seconds,
    percentile,
    rss_kib,
    wait_http_ok,
)
from bench.gradio_api import (
    Event,
    acall,
    astream,
    find_page_events,
    session_hash,
    state_changes,
)
from bench.polling import BASE_INTERVAL, DURATION_FACTOR, spec_of
from bench.studio import Studio
from seedance_ui.client import GenerationRequest
from seedance_ui.simulator.render import VideoCache

REQUEST = GenerationRequest(prompt="Bench capacity: a tram crosses a snowy bridge at dusk, wide shot.")
ACTIVE = ("submitting", "pending", "processing")


@dataclass
class CapacityResult:
    jobs: int
    owners: int
    speed: float
    estimate: int
    pages: bool = True
    idle: list[float] = field(default_factory=list)  # probe latencies (s) before any job
    load: list[float] = field(default_factory=list)  # from the first submit to the last job's end
    submitting: list[float] = field(default_factory=list)  # while the 200 submits went in
    running: list[float] = field(default_factory=list)  # from the last submit to the last job's end
    plateau: list[float] = field(default_factory=list)  # while every job was in flight at the provider
    finishing: list[float] = field(default_factory=list)  # from the first completion to the last
    probe_errors: int = 0
    rss_idle_kib: int = 0
    rss_peak_kib: int = 0
    max_in_flight_app: int = 0
    max_in_flight_sim: int = 0
    completed: int = 0
    with_poster: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    load_seconds: float = 0.0
    submit_seconds: float = 0.0
    gets_per_task: float = 0.0
    stream_messages: int = 0
    studio_cores: float = 0.0  # CPU the studio used during the load, in cores
    bench_cores: float = 0.0  # simulator + probe + this load generator
    other_cores: float = 0.0  # everything else on the machine meanwhile

    def p(self, which: str, q: float) -> float:
        return percentile(getattr(self, which), q)


class RssSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.pid, self.every = pid, every
        self.peak = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, rss_kib(self.pid) or 0)
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=2)


def run(*, jobs: int, owners: int, speed: float, seed: int, work: Path, cache: Path, estimate: int = 165,
        idle_seconds: float = 6.0, pages: bool = True, probe_visitors: int = 5) -> CapacityResult:
    """`pages` False: nobody watches (the submits only), to tell the job engine's cost from the pages'."""
    per_owner = -(-jobs // owners)
    result = CapacityResult(jobs, owners, speed, estimate, pages=pages)
    work.mkdir(parents=True, exist_ok=True)
    sim, sim_url = start_simulator(work, speed=speed, seed=seed, cache=cache)
    studio: Studio | None = None
    probe: Child | None = None
    sampler: RssSampler | None = None
    stop_file, probe_out = work / "probe.stop", work / "probe.json"
    stop_file.unlink(missing_ok=True)
    probe_out.unlink(missing_ok=True)
    try:
        set_estimate(sim, sim_url, estimate)
        env = {"SEEDANCE_MAX_JOBS_IN_FLIGHT": str(jobs), "SEEDANCE_MAX_JOBS_PER_OWNER": str(per_owner)}
        studio = Studio(work, "capacity", sim_url=sim_url, poll_interval=BASE_INTERVAL / speed, extra_env=env)
        events, listeners = find_page_events(studio.url)
        sampler = RssSampler(studio.pid)
        sampler.start()
        probe = Child([PYTHON, "-m", "bench.probe", "--url", studio.url, "--out", str(probe_out),
                       "--stop-file", str(stop_file), "--visitors", str(probe_visitors)], cwd=ROOT,
                      log=work / "probe.log")
        time.sleep(idle_seconds)
        result.rss_idle_kib = rss_kib(studio.pid) or 0
        helpers = (sim.pid, probe.pid, os.getpid())
        t0, busy0 = time.monotonic(), machine_busy_seconds()
        studio0, helpers0 = cpu_seconds(studio.pid), sum(cpu_seconds(p) for p in helpers)
        timeline = asyncio.run(_load([studio.url], lambda: _sqlite_statuses(studio), events, listeners,
                                     result, owners, per_owner, jobs, pages))
        elapsed = time.monotonic() - t0
        result.studio_cores = (cpu_seconds(studio.pid) - studio0) / elapsed
        result.bench_cores = (sum(cpu_seconds(p) for p in helpers) - helpers0) / elapsed
        result.other_cores = max(0.0, (machine_busy_seconds() - busy0) / elapsed - result.studio_cores
                                 - result.bench_cores)
        result.rss_peak_kib = max(sampler.peak, rss_kib(studio.pid, "VmHWM") or 0)
        stop_file.touch()
        probe.proc.wait(60)
        samples = json.loads(probe_out.read_text())["samples"]
        _split(result, samples, timeline)
        rows = studio.rows("SELECT status, poster_path FROM jobs")
        result.statuses = {}
        for row in rows:
            result.statuses[row["status"]] = result.statuses.get(row["status"], 0) + 1
            if row["status"] == "completed":
                result.completed += 1
                if row["poster_path"] and (studio.data_dir / row["poster_path"]).is_file():
                    result.with_poster += 1
        log = httpx.get(f"{sim_url}/_sim/log", timeout=30).json()
        result.max_in_flight_sim = log["max_in_flight"]
        gets = sum(1 for r in log["requests"] if r["method"] == "GET" and r["path"].startswith("/v1/tasks/"))
        result.gets_per_task = gets / max(1, log["create_count"])
        return result
    finally:
        stop_file.touch()
        if sampler is not None:
            sampler.stop()
        for child in (probe, studio, sim):
            if child is not None:
                child.stop()


def start_simulator(work: Path, *, speed: float, seed: int, cache: Path,
                    factor: tuple[float, float] = DURATION_FACTOR) -> tuple[Child, str]:
    """`python -m seedance_ui.simulator` (the clip rendered into `cache` first); the child and its URL."""
    VideoCache(cache).get(spec_of(REQUEST))  # the simulator finds the clip rendered
    sim_port = free_port()
    sim = Child([PYTHON, "-m", "seedance_ui.simulator", "--port", str(sim_port), "--speed", f"{speed:g}",
                 "--seed", str(seed), "--duration-factor", *(f"{f:g}" for f in factor),
                 "--video-cache-dir", str(cache)], cwd=ROOT, log=work / "simulator.log")
    return sim, f"http://127.0.0.1:{sim_port}"


def set_estimate(sim: Child, sim_url: str, estimate: float) -> None:
    """Wait for the simulator, then make it advertise (and render for) `estimate` simulated seconds."""
    wait_http_ok(f"{sim_url}/_sim/health", timeout=30, child=sim)
    behaviour = httpx.post(f"{sim_url}/_sim/behaviour", json={"estimated_time": estimate}, timeout=10)
    behaviour.raise_for_status()


def _sqlite_statuses(studio: Studio) -> list[tuple[str, int]]:
    return [(r[0], r[1]) for r in studio.rows("SELECT status, COUNT(*) FROM jobs GROUP BY status")]


async def _load(urls: Sequence[str], statuses: Callable[[], list[tuple[str, int]]], events: dict[str, Event],
                listeners: dict[int, list[Event]], result: CapacityResult, owners: int,
                per_owner: int, jobs: int, pages: bool) -> dict[str, float]:
    """Play the owners' browsers, owner i on `urls[i % len(urls)]` (sticky, as behind a proxy with
    sticky sessions); `statuses` counts the jobs by status. Returns the wall times of the load's phases."""
    timeline: dict[str, float] = {"start": time.time()}
    # Each owner is its own browser: its own connections and its own visitor cookie (the studio's
    # identity), as 50 people would be.
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    submitted = 0

    def count(_msg: dict[str, Any]) -> None:
        result.stream_messages += 1

    async def submit_all(http: httpx.AsyncClient, url: str, owner: str, sh: str, n: int) -> None:
        nonlocal submitted
        for _ in range(n):
            if submitted >= jobs:
                break
            submitted += 1
            out = await acall(http, url, events["submit"], [
                REQUEST.prompt, REQUEST.model, REQUEST.duration, REQUEST.quality, REQUEST.aspect_ratio,
                REQUEST.generate_audio, REQUEST.web_search, owner, None], sh)
            if "data-job=" not in str(out[3]):  # the progress card names the new job
                raise RuntimeError(f"submit for {owner} returned no job: {str(out)[:300]}")

    def fill(event: Event, owner: str) -> list[Any]:
        return [owner if kind == "browserstate" else None for kind in event.inputs]

    async def page(http: httpx.AsyncClient, url: str, owner: str, sh: str) -> None:
        # What the page runs after Generate: its watcher, and the .change events its signals fire
        # (drawing the finished video and the history), in the page's session.
        react = state_changes(listeners, lambda event: fill(event, owner))
        await astream(http, url, [(events["watch_page"], [None, owner, None])], sh,
                      on_message=count, react=react)

    async def monitor() -> None:
        while True:
            counts = dict(await asyncio.to_thread(statuses))
            total = sum(counts.values())
            active = sum(counts.get(s, 0) for s in ACTIVE)
            now = time.time()
            result.max_in_flight_app = max(result.max_in_flight_app, active)
            if active >= jobs and "plateau" not in timeline:
                timeline["plateau"] = now
            finished = total - active - counts.get("queued", 0)
            if finished > 0 and "first_done" not in timeline:
                timeline["first_done"] = now
            if total >= jobs and active == 0 and counts.get("queued", 0) == 0 \
                    and counts.get("downloading", 0) == 0:
                timeline["end"] = now
                return
            await asyncio.sleep(0.25)

    sessions = [(uuid.uuid4().hex, session_hash()) for _ in range(owners)]
    finished_submitting: list[str] = []

    async def owner_flow(url: str, owner: str, sh: str) -> None:
        # The owner presses Generate 4 times; after the last, the page watches until the end (the
        # page restarts its watcher on each Generate; the last one is the one that stays).
        async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(120.0)) as http:
            await submit_all(http, url, owner, sh, per_owner)
            finished_submitting.append(owner)
            if len(finished_submitting) == owners:
                timeline["submitted"] = time.time()
            if pages:
                await page(http, url, owner, sh)

    watch = asyncio.create_task(monitor())
    flows = (owner_flow(urls[i % len(urls)], o, sh) for i, (o, sh) in enumerate(sessions))
    await asyncio.wait_for(asyncio.gather(*flows), timeout=1500)
    await asyncio.wait_for(watch, timeout=900)
    result.submit_seconds = timeline.get("submitted", timeline["end"]) - timeline["start"]
    result.load_seconds = timeline["end"] - timeline["start"]
    return timeline


def _split(result: CapacityResult, samples: list[list[Any]], timeline: dict[str, float]) -> None:
    start, end = timeline["start"], timeline["end"]
    submitted = timeline.get("submitted", end)
    first_done = timeline.get("first_done", end)
    plateau = (timeline.get("plateau", first_done), first_done)
    for wall, latency, ok in samples:
        if not ok:
            result.probe_errors += 1
            latency = max(latency, 0.0)
        if wall < start:
            result.idle.append(latency)
        elif wall <= end:
            result.load.append(latency)
            if wall < submitted:
                result.submitting.append(latency)
            else:
                result.running.append(latency)
            if plateau[0] <= wall < plateau[1]:
                result.plateau.append(latency)
            if wall >= first_done:
                result.finishing.append(latency)
