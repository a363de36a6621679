"""Detection delay and GETs per task (the studio's JobManager against the naive client), and completion to
playable in process. Both run against the simulator, time-scaled by `speed`.

Each duration gets two simulators with the same seed: one for the studio, one for the naive client.
Every task has the same parameters, so the i-th task created on either gets the same random run time
(0.6-1.5 x the advertised estimated_time): the two clients face identical sets of tasks, at once.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from bench.common import BENCH_KEY, Clock, mean, percentile
from bench.naive import naive_create, naive_follow
from seedance_ui.client import GenerationRequest
from seedance_ui.config import Settings
from seedance_ui.jobs import JobManager
from seedance_ui.simulator import Simulator, VideoSpec
from seedance_ui.simulator.handler import Server
from seedance_ui.store import HistoryStore, JobRecord, JobStatus

MAX_LOST_SHARE = 0.1  # tasks lost to network errors (either client) before a race counts as failed

DURATION_FACTOR = (0.6, 1.5)
BASE_INTERVAL = 5.0  # the provider's suggested poll interval, and the studio's default base
# Small clips for the polling race (the video work is not what it measures).
RACE_REQUEST = GenerationRequest(prompt="Bench: a paper boat drifts down a rainy gutter, close-up.",
                                 duration=4, quality="480p", generate_audio=False)
# A default-sized clip (720p, 5 s, audio) for completion to playable.
PLAYABLE_REQUEST = GenerationRequest(prompt="Bench: a lighthouse beam sweeps a stormy sea at night.")


def roomy_backlog() -> None:
    """Let this process's simulators queue more connections than socketserver's default of 5, which drops
    some when two dozen clients connect at once on a busy machine (seen as connection resets). Called by
    the benchmarks only, never on import."""
    Server.request_queue_size = max(Server.request_queue_size, 128)


def spec_of(request: GenerationRequest) -> VideoSpec:
    return VideoSpec(request.prompt, request.duration, request.quality, request.aspect_ratio,
                     request.generate_audio, request.model)


def settings_for(sim: Simulator, data_dir: Path, speed: float, jobs: int) -> Settings:
    return Settings(api_key=BENCH_KEY, base_url=sim.base_url, data_dir=data_dir,
                    poll_interval=BASE_INTERVAL / speed, max_jobs_in_flight=max(8, jobs),
                    max_jobs_per_owner=max(2, jobs))


def wait_terminal(store: HistoryStore, ids: list[str], timeout: float) -> list[JobRecord]:
    deadline = time.monotonic() + timeout
    while True:
        records = [store.get(i) for i in ids]
        if all(r is not None and r.terminal for r in records):
            return [r for r in records if r is not None]
        if time.monotonic() > deadline:
            stuck = [f"{r.id}: {r.status.value}" for r in records if r is not None and not r.terminal]
            raise TimeoutError(f"jobs still running after {timeout:g} s: {stuck[:5]}")
        time.sleep(0.05)


@dataclass
class RaceResult:
    estimate: int
    tasks: int
    ours_delay: list[float]  # simulated seconds, completion on the server -> the job sees it
    naive_delay: list[float]
    ours_gets: list[int]
    naive_gets: list[int]
    actual: list[float]  # simulated run time of each task / estimate
    lost: int = 0  # tasks left out: a network error ended them (ours: create outcome unknown)

    def summary(self) -> dict[str, float]:
        ours_gets, naive_gets = mean(self.ours_gets), mean(self.naive_gets)
        return {
            "estimate": self.estimate,
            "tasks": self.tasks,
            "ours_p50": percentile(self.ours_delay, 50),
            "ours_p95": percentile(self.ours_delay, 95),
            "naive_p50": percentile(self.naive_delay, 50),
            "naive_p95": percentile(self.naive_delay, 95),
            "ours_gets": ours_gets,
            "naive_gets": naive_gets,
            "gets_ratio": ours_gets / naive_gets if naive_gets else float("nan"),
            "factor_min": min(self.actual) if self.actual else float("nan"),
            "factor_max": max(self.actual) if self.actual else float("nan"),
            "lost": self.lost,
            # polls the naive client's 5 s grid calls for (the first at or after completion included)
            "naive_expected": mean([math.ceil(f * self.estimate / BASE_INTERVAL) for f in self.actual]),
        }


def race(estimate: int, *, tasks: int, speed: float, seed: int, work: Path, cache: Path) -> RaceResult:
    """`tasks` jobs through the studio's JobManager and `tasks` through the naive client, concurrently."""
    roomy_backlog()
    clock = Clock()
    sims = [Simulator(speed=speed, seed=seed, duration_factor=DURATION_FACTOR, video_cache_dir=cache).start()
            for _ in range(2)]
    ours_sim, naive_sim = sims
    for sim in sims:
        sim.set_behaviour(estimated_time=estimate)
    ours_sim.videos.get(spec_of(RACE_REQUEST))  # render the clip now, not on the first download
    store = HistoryStore(work / f"ours-{estimate}")
    manager = JobManager(store, settings_for(ours_sim, store.data_dir, speed, tasks))
    # Start times spread over one naive interval, the same for both clients.
    rng = random.Random(seed)
    offsets = sorted(rng.uniform(0, BASE_INTERVAL / speed) for _ in range(tasks))
    interval = BASE_INTERVAL / speed
    try:
        manager.start()

        async def main() -> tuple[list[str], list[tuple[dict, float]]]:
            headers = {"Authorization": f"Bearer {BENCH_KEY}"}
            limits = httpx.Limits(max_connections=tasks + 4, max_keepalive_connections=tasks + 4)
            async with httpx.AsyncClient(base_url=naive_sim.base_url, headers=headers, limits=limits,
                                         timeout=30) as http:

                async def naive_one(offset: float) -> tuple[dict, float]:
                    await asyncio.sleep(offset)
                    task = await naive_create(http, RACE_REQUEST.to_body())
                    return await naive_follow(http, task["id"], interval)

                async def naive_safe(offset: float) -> tuple[dict, float] | None:
                    try:
                        return await naive_one(offset)
                    except httpx.TransportError:
                        return None

                async def ours_all() -> list[str]:
                    ids = []
                    t0 = time.monotonic()
                    for offset in offsets:
                        await asyncio.sleep(max(0.0, t0 + offset - time.monotonic()))
                        ids.append((await asyncio.to_thread(manager.submit, RACE_REQUEST, "bench")).id)
                    return ids

                results = await asyncio.gather(ours_all(), *(naive_safe(o) for o in offsets))
                return results[0], [r for r in results[1:] if r is not None]

        ids, naive = asyncio.run(main())
        records = wait_terminal(store, ids, timeout=estimate * DURATION_FACTOR[1] / speed * 3 + 60)
    finally:
        manager.stop(grace=1.0)
        store.close()
        for sim in sims:
            sim.stop()

    result = RaceResult(estimate, tasks, [], [], [], [], [])
    result.lost = tasks - len(naive)
    for rec in records:
        if rec.status == JobStatus.UNKNOWN_OUTCOME:
            result.lost += 1
            continue
        if rec.status != JobStatus.COMPLETED or rec.task_id is None or rec.completed_at is None:
            raise RuntimeError(f"job {rec.id} ended {rec.status.value}: {rec.error_message}")
        done = ours_sim.task_completed_at(rec.task_id)
        assert done is not None
        result.ours_delay.append((clock.mono(rec.completed_at) - done) * speed)
        result.ours_gets.append(ours_sim.count("GET", f"/v1/tasks/{rec.task_id}"))
    for task, seen in naive:
        done = naive_sim.task_completed_at(task["id"])
        if task.get("status") != "completed" or done is None:
            raise RuntimeError(f"naive task {task.get('id')} ended {task.get('status')}")
        result.naive_delay.append((seen - done) * speed)
        result.naive_gets.append(naive_sim.count("GET", f"/v1/tasks/{task['id']}"))
        started = naive_sim._tasks[task["id"]]  # the simulator's own record of the run time
        result.actual.append(started.run_seconds * speed / estimate)
    if result.lost > MAX_LOST_SHARE * 2 * tasks:
        raise RuntimeError(f"{result.lost} of {2 * tasks} tasks lost to network errors")
    return result


@dataclass
class PlayableResult:
    jobs: int
    detect: list[float]  # simulated seconds: completion on the server -> the job sees it
    pipeline: list[float]  # real seconds: seen -> video on disk, probed, poster written, record COMPLETED
    total: list[float]  # detect + pipeline: what a user would wait in the real world
    video_bytes: int


def playable(*, jobs: int, speed: float, seed: int, work: Path, cache: Path, estimate: int = 60,
             spacing: float = 0.4) -> PlayableResult:
    """Jobs of the default size, started `spacing` real seconds apart (their completions do not pile up)."""
    roomy_backlog()
    clock = Clock()
    sim = Simulator(speed=speed, seed=seed, duration_factor=DURATION_FACTOR, video_cache_dir=cache).start()
    sim.set_behaviour(estimated_time=estimate)
    sim.videos.get(spec_of(PLAYABLE_REQUEST))
    store = HistoryStore(work / "playable")
    manager = JobManager(store, replace(settings_for(sim, store.data_dir, speed, jobs)))
    try:
        manager.start()
        ids = []
        for _ in range(jobs):
            ids.append(manager.submit(PLAYABLE_REQUEST, "bench").id)
            time.sleep(spacing)
        records = wait_terminal(store, ids, timeout=estimate * DURATION_FACTOR[1] / speed * 3 + 60)
        result = PlayableResult(jobs, [], [], [], 0)
        for rec in records:
            poster = store.poster_file(rec)
            video = store.video_file(rec)
            if rec.status != JobStatus.COMPLETED or poster is None or video is None or rec.task_id is None:
                raise RuntimeError(f"job {rec.id} ended {rec.status.value} without its video and poster")
            done = sim.task_completed_at(rec.task_id)
            assert done is not None and rec.completed_at is not None
            detect = (clock.mono(rec.completed_at) - done) * speed
            pipeline = rec.updated_at - rec.completed_at
            result.detect.append(detect)
            result.pipeline.append(pipeline)
            result.total.append(detect + pipeline)
            result.video_bytes = video.stat().st_size
        return result
    finally:
        manager.stop(grace=1.0)
        store.close()
        sim.stop()
