"""Replicas (#22): the capacity load on PostgreSQL held by 1 and by 2 studio processes, the takeover of a
SIGKILLed replica's jobs (bench/takeover.py), the database round trips each replica makes, and what the
replicas' claim adds to a change of a board (bench/board_edits.py).

One throwaway PostgreSQL (bench/pgcluster.py) holds a fresh database per run. A replica is `python app.py`
with SEEDANCE_DATABASE_URL set; the replicas of one run share the database, the data directory (media)
and one simulator. The load is bench/capacity.py's: N jobs submitted by M owners' pages, each page then
watching until every job has ended, the owners split over the replicas (owner i on replica i mod R, as a
proxy with sticky sessions sends them), and the cheap-event probe (bench/probe.py) split the same way.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import board_edits, capacity, pgcluster, takeover
from bench.capacity import CapacityResult
from bench.common import PYTHON, ROOT, Child, cpu_seconds, machine_busy_seconds, rss_kib
from bench.gradio_api import find_page_events
from bench.polling import BASE_INTERVAL
from bench.studio import Studio


@dataclass(frozen=True)
class Plan:
    """How big the replicas section runs; QUICK is the smoke scale."""

    jobs: int = 200  # the capacity section's load, split over the replicas
    owners: int = 50
    speed: float = 3.0
    estimate: int = 165
    idle: float = 3.0
    probe_visitors: int = 5
    follow: int = 20  # jobs replica A follows when it is SIGKILLed (and during the round-trip window)
    trials: int = 3
    render: float = 90.0  # real seconds each followed job renders (outlasts the windows and the takeover)
    window: float = 20.0  # seconds each round-trip window lasts
    board_changes: int = 400  # board changes with the replicas' claim, and as many without (board_edits.py)


FULL = Plan()
QUICK = Plan(jobs=6, owners=3, speed=60.0, estimate=60, idle=1.0, follow=3, trials=1, render=40.0, window=5.0,
             board_changes=20)


@dataclass
class LoadRun:
    replicas: int
    result: CapacityResult
    rss_peak_kib: list[int] = field(default_factory=list)  # per replica


@dataclass
class ReplicasResult:
    loads: list[LoadRun]
    follow: takeover.FollowResult
    edits: board_edits.EditsResult


def run(plan: Plan, work: Path, seed: int) -> ReplicasResult:
    """The three measurements on one PostgreSQL server."""
    work.mkdir(parents=True, exist_ok=True)
    cache = work / "videos"
    with pgcluster.server() as pg:
        loads = [load(n, plan, work=work / f"load-{n}", seed=seed, cache=cache,
                      db_url=pg.create_database(f"bench_load_{n}")) for n in (1, 2)]
        follow = takeover.run(plan, work=work / "takeover", seed=seed, cache=cache, pg=pg)
        edits = board_edits.run(pg.create_database("bench_board_edits"), work / "board-edits",
                                plan.board_changes)
    return ReplicasResult(loads, follow, edits)


def pg_statuses(db_url: str) -> Callable[[], list[tuple[str, int]]]:
    """Counts the jobs by status (what capacity's monitor reads)."""
    import psycopg

    def statuses() -> list[tuple[str, int]]:
        with psycopg.connect(db_url, autocommit=True) as conn:
            return [(r[0], r[1]) for r in conn.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status")]
    return statuses


def load(n: int, plan: Plan, *, work: Path, seed: int, cache: Path, db_url: str) -> LoadRun:
    """The capacity load on `n` replicas of one database."""
    result = CapacityResult(plan.jobs, plan.owners, plan.speed, plan.estimate)
    work.mkdir(parents=True, exist_ok=True)
    sim, sim_url = capacity.start_simulator(work, speed=plan.speed, seed=seed, cache=cache)
    studios: list[Studio] = []
    probes: list[tuple[Child, Path]] = []
    stop_file = work / "probe.stop"
    per_owner = -(-plan.jobs // plan.owners)
    caps = {"SEEDANCE_MAX_JOBS_IN_FLIGHT": str(plan.jobs), "SEEDANCE_MAX_JOBS_PER_OWNER": str(per_owner)}
    try:
        capacity.set_estimate(sim, sim_url, plan.estimate)
        for i in range(n):
            env = pgcluster.replica_env(db_url, work / "data", f"replica-{i}", caps)
            studios.append(Studio(work, f"replica-{i}", sim_url=sim_url,
                                  poll_interval=BASE_INTERVAL / plan.speed, extra_env=env))
        events, listeners = find_page_events(studios[0].url)
        for i, studio in enumerate(studios):
            visitors = plan.probe_visitors // n + (i < plan.probe_visitors % n)
            out = work / f"probe-{i}.json"
            probes.append((Child([PYTHON, "-m", "bench.probe", "--url", studio.url, "--out", str(out),
                                  "--stop-file", str(stop_file), "--visitors", str(visitors)], cwd=ROOT,
                                 log=work / f"probe-{i}.log"), out))
        time.sleep(plan.idle)
        helpers = [sim.pid, *(p.pid for p, _ in probes)]
        timeline = _measured_load(result, studios, helpers, lambda: asyncio.run(capacity._load(
            [s.url for s in studios], pg_statuses(db_url), events, listeners, result, plan.owners, per_owner,
            plan.jobs, True)))
        stop_file.touch()
        samples: list[list[Any]] = []
        for probe, out in probes:
            probe.proc.wait(60)
            samples += json.loads(out.read_text())["samples"]
        capacity._split(result, sorted(samples), timeline)
        _outcome(result, db_url, work / "data", sim_url)
        return LoadRun(n, result, [rss_kib(s.pid, "VmHWM") or 0 for s in studios])
    finally:
        stop_file.touch()
        for child in [*(p for p, _ in probes), *studios, sim]:
            child.stop()


def _measured_load(result: CapacityResult, studios: list[Studio], helpers: list[int],
                   play: Callable[[], dict[str, float]]) -> dict[str, float]:
    """Run the load; the CPU the replicas, the bench's helpers and everything else used meanwhile."""
    helpers = [*helpers, os.getpid()]
    t0, busy0 = time.monotonic(), machine_busy_seconds()
    studio0 = sum(cpu_seconds(s.pid) for s in studios)
    helpers0 = sum(cpu_seconds(p) for p in helpers)
    timeline = play()
    elapsed = time.monotonic() - t0
    result.studio_cores = (sum(cpu_seconds(s.pid) for s in studios) - studio0) / elapsed
    result.bench_cores = (sum(cpu_seconds(p) for p in helpers) - helpers0) / elapsed
    result.other_cores = max(0.0, (machine_busy_seconds() - busy0) / elapsed - result.studio_cores
                             - result.bench_cores)
    return timeline


def _outcome(result: CapacityResult, db_url: str, data: Path, sim_url: str) -> None:
    """Every job's end (from the database, posters on the shared disk) and the simulator's counts."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute("SELECT status, poster_path FROM jobs").fetchall()
    for status, poster in rows:
        result.statuses[status] = result.statuses.get(status, 0) + 1
        if status == "completed":
            result.completed += 1
            result.with_poster += bool(poster and (data / poster).is_file())
    log = httpx.get(f"{sim_url}/_sim/log", timeout=30).json()
    result.max_in_flight_sim = log["max_in_flight"]
    gets = sum(1 for r in log["requests"] if r["method"] == "GET" and r["path"].startswith("/v1/tasks/"))
    result.gets_per_task = gets / max(1, log["create_count"])
