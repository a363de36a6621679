"""A SIGKILLed replica's jobs taken over, and the database round trips of a replica (the replicas section).

Two replicas (`python app.py`, SEEDANCE_DATABASE_URL on one database with its statement log on, one data
directory, one simulator rendering each job for `render` real seconds) run with the lease settings'
defaults. Replica B runs throughout; each trial starts a fresh replica A, submits K jobs on A's page
(A takes their leases as it makes them), waits until the provider renders all K (each has its task and
A holds its lease), SIGKILLs A, and times, from the signal, until B holds all K leases and until the
first of them is completed; then waits until all K are. The first trial also counts each replica's
statements (bench/pgcluster.py) in two windows: idle (no job), and with A following the K jobs.
"""

from __future__ import annotations

import asyncio
import math
import re
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from bench import capacity, pgcluster
from bench.capacity import REQUEST
from bench.gradio_api import Event, acall, find_page_events, session_hash
from bench.studio import Studio
from seedance_ui.config import Settings
from seedance_ui.store.records import TERMINAL_JOB_STATUSES, JobStatus

if TYPE_CHECKING:  # bench.replicas imports this module
    from bench.replicas import Plan

POLL_SECONDS = 0.05  # how often the bench reads the leases and statuses while it times a takeover
FOLLOW_TIMEOUT = 120.0  # the K jobs must be rendering within this after their submission
OWNER = "bench-takeover-owner-0123456789ab"  # one visitor submits every job of a trial
A, B = "replica-a", "replica-b"  # application names (PGAPPNAME), as the statement log shows them
_JOB_ID = re.compile(r'data-job="([^"]+)"')  # the progress card the submit answers with names the new job
_ENDED = {status.value for status in TERMINAL_JOB_STATUSES}
_AT_PROVIDER = {JobStatus.PENDING.value, JobStatus.PROCESSING.value}  # its create answered: a task to follow


@dataclass
class Trial:
    jobs: int
    held: float = float("nan")  # seconds from the SIGKILL until B held every lease
    first_done: float = float("nan")  # ... until the first of the jobs was completed
    all_done: float = float("nan")  # ... until all of them were
    completed: int = 0
    creates: int = 0  # creates the provider saw for these jobs (one each: never a second)


@dataclass
class Window:
    label: str
    seconds: float
    statements: dict[str, Counter[str]] = field(default_factory=dict)  # replica -> kind -> count

    def per_second(self, replica: str, kind: str | None = None) -> float:
        counts = self.statements.get(replica, Counter())
        return (counts[kind] if kind else sum(counts.values())) / self.seconds


@dataclass
class FollowResult:
    follow: int
    render: float
    lease_seconds: float
    scan_seconds: float
    poll_seconds: float
    trials: list[Trial] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)


def run(plan: Plan, *, work: Path, seed: int, cache: Path, pg: Any) -> FollowResult:
    """`pg`: the started PostgresServer (bench/pgcluster.py)."""
    defaults = Settings()
    result = FollowResult(plan.follow, plan.render, defaults.lease_seconds, defaults.lease_scan_seconds,
                          defaults.change_poll_seconds)
    db_url = pg.create_database("bench_takeover")
    pgcluster.statement_log(db_url)
    log = pgcluster.LogWindow(pgcluster.log_path(pg))
    work.mkdir(parents=True, exist_ok=True)
    sim, sim_url = capacity.start_simulator(work, speed=1.0, seed=seed, cache=cache, factor=(1.0, 1.0))
    caps = {"SEEDANCE_MAX_JOBS_IN_FLIGHT": str(2 * plan.follow),
            "SEEDANCE_MAX_JOBS_PER_OWNER": str(plan.follow)}
    b: Studio | None = None
    try:
        capacity.set_estimate(sim, sim_url, plan.render)
        b = _replica(work, B, db_url, sim_url, caps)
        for i in range(plan.trials):
            a = _replica(work, f"{A}-{i}" if i else A, db_url, sim_url, caps)
            try:
                result.trials.append(_trial(a, plan, db_url, sim_url, log if i == 0 else None, result))
            finally:
                a.stop()
        return result
    finally:
        for child in (b, sim):
            if child is not None:
                child.stop()


def _replica(work: Path, name: str, db_url: str, sim_url: str, caps: dict[str, str]) -> Studio:
    env = pgcluster.replica_env(db_url, work / "data", name, caps)
    return Studio(work, name, sim_url=sim_url, extra_env=env)


def _trial(a: Studio, plan: Plan, db_url: str, sim_url: str, log: pgcluster.LogWindow | None,
           result: FollowResult) -> Trial:
    """Submit K jobs on A, kill A once all render, time B's takeover; windows of statements on the first."""
    if log is not None:
        result.windows.append(_window(log, "idle (no job)", plan.window))
    creates0 = _creates(sim_url)
    ids = asyncio.run(_submit(a.url, plan.follow))
    holder = _wait_followed(db_url, ids)
    if log is not None:
        result.windows.append(_window(log, f"{len(ids)} jobs followed by A", plan.window))
    trial = Trial(len(ids))
    a.child.proc.send_signal(signal.SIGKILL)  # the process only, as a lost machine: no lease given back
    killed = time.monotonic()
    a.child.proc.wait(10)
    deadline = killed + result.lease_seconds + result.scan_seconds + plan.render + FOLLOW_TIMEOUT
    taken: set[int] = set()  # jobs seen under B's lease (a job B finished has given its lease back)
    while time.monotonic() < deadline:
        rows = _leases(db_url, ids)
        now = time.monotonic() - killed
        taken.update(i for i, (h, _) in enumerate(rows) if h not in (None, holder))
        if math.isnan(trial.held) and len(taken) == len(rows):
            trial.held = now
        done = sum(status == JobStatus.COMPLETED.value for _, status in rows)
        if done and math.isnan(trial.first_done):
            trial.first_done = now
        if all(status in _ENDED for _, status in rows):
            trial.all_done, trial.completed = now, done
            break
        time.sleep(POLL_SECONDS)
    trial.creates = _creates(sim_url) - creates0
    return trial


def _window(log: pgcluster.LogWindow, label: str, seconds: float) -> Window:
    log.start()
    time.sleep(seconds)
    return Window(label, seconds, log.stop())


async def _submit(url: str, jobs: int) -> list[str]:
    """Press Generate `jobs` times on the page of one visitor of `url`; the new jobs' ids."""
    events: dict[str, Event] = find_page_events(url)[0]
    sh = session_hash()
    ids: list[str] = []
    async with httpx.AsyncClient(timeout=httpx.Timeout(120.0)) as http:
        for _ in range(jobs):
            out = await acall(http, url, events["submit"], [
                REQUEST.prompt, REQUEST.model, REQUEST.duration, REQUEST.quality, REQUEST.aspect_ratio,
                REQUEST.generate_audio, REQUEST.web_search, OWNER, None], sh)
            found = _JOB_ID.search(str(out[3]))  # the progress card names the new job
            if found is None:
                raise RuntimeError(f"submit returned no job: {str(out)[:300]}")
            ids.append(found[1])
    return ids


def _wait_followed(db_url: str, ids: list[str]) -> str:
    """Wait until every job has its task at the provider (create answered) and one holder; that holder (A)."""
    deadline = time.monotonic() + FOLLOW_TIMEOUT
    while time.monotonic() < deadline:
        rows = _leases(db_url, ids)
        holders = {h for h, _ in rows}
        rendering = all(s in _AT_PROVIDER for _, s in rows)
        if len(holders) == 1 and None not in holders and rendering:
            return holders.pop()
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"the jobs were not all rendering under one lease within {FOLLOW_TIMEOUT:g} s: {rows}")


def _leases(db_url: str, ids: list[str]) -> list[tuple[str | None, str]]:
    """(live lease holder or None, status) of each job."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        return [(r[0], r[1]) for r in conn.execute(
            "SELECT l.holder, j.status FROM jobs j LEFT JOIN job_leases l ON l.job_id = j.id "
            "AND l.expires_at >= %s WHERE j.id = ANY(%s) ORDER BY j.id", (time.time(), ids))]


def _creates(sim_url: str) -> int:
    return int(httpx.get(f"{sim_url}/_sim/log", timeout=30).json()["create_count"])

