"""The cap on jobs in flight holds for the whole deployment (#22 item 6): two studio processes (`python
app.py`) on one PostgreSQL and the real simulator, with SEEDANCE_MAX_JOBS_IN_FLIGHT=2 (and a per-owner cap
above it, so only the total binds). Each process used to admit 2, putting 4 at the provider; now every
admission takes a slot in the database, a job waiting on one replica starts when a job of the other
finishes (its change poll notices), and a job whose replica is SIGKILLed keeps its slot while the other
replica finishes it. The simulator's `max_in_flight` (tasks pending or processing at once) is the judge.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from app_process import app_env, call_tool, start_app, stop_app, wait_healthy
from conftest import free_port, wait_until
from pg_server import truncate_all
from test_replicas_takeover import TOOL_ARGS

from seedance_ui.simulator import Simulator
from seedance_ui.store import JobStatus

KEY = "sk-replicas-slots-key"
CAP = 2
SPEED = 10  # simulated seconds per real second
SHORT, LONG = 30, 100  # estimated (simulated) seconds: about 3 s and 10 s of rendering
LEASE = 3.0  # short leases: a SIGKILLed replica's jobs are taken over within about 4 s
FINISH_TIMEOUT = 120.0


@dataclass
class Cluster:
    a: Any  # the two app processes
    b: Any
    urls: dict[str, str]  # "a" / "b" -> base URL
    logs: dict[str, Path]
    simulator: Simulator
    db_url: str


def _rows(db_url: str, sql: str, *args: Any) -> list[dict[str, Any]]:
    with psycopg.connect(db_url, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute(sql, args).fetchall()


def _status(cluster: Cluster, job_id: str) -> str:
    return _rows(cluster.db_url, "SELECT status FROM jobs WHERE id = %s", job_id)[0]["status"]


def _start(cluster: Cluster, replica: str, prompt: str) -> str:
    answer = call_tool(cluster.urls[replica], "start_video", [prompt, *TOOL_ARGS])
    job_id = answer.get("job_id") or answer.get("id")
    assert job_id, answer
    return job_id


def _holder(cluster: Cluster, job_id: str) -> str | None:
    """The replica following the job under a live lease, or None."""
    rows = _rows(cluster.db_url, "SELECT holder FROM job_leases WHERE job_id = %s AND expires_at >= %s",
                 job_id, time.time())
    return rows[0]["holder"] if rows else None


def _all_done(cluster: Cluster, jobs: list[str]) -> bool:
    return all(_status(cluster, job_id) == JobStatus.COMPLETED.value for job_id in jobs)


@pytest.fixture(scope="module")
def cluster(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    truncate_all(postgres_url)
    root = tmp_path_factory.mktemp("slots")
    sim = Simulator(speed=SPEED, api_key=KEY).start()
    sim.set_behaviour(estimated_time=SHORT)
    procs, urls, logs = {}, {}, {}
    try:
        for name in ("a", "b"):
            port = free_port()
            env = app_env(sim.base_url, KEY, root / "data", port) | {
                "SEEDANCE_DATABASE_URL": postgres_url, "SEEDANCE_MAX_JOBS_IN_FLIGHT": str(CAP),
                "SEEDANCE_MAX_JOBS_PER_OWNER": "8", "SEEDANCE_LEASE_SECONDS": str(LEASE),
                "SEEDANCE_LEASE_SCAN_SECONDS": "0.5"}
            logs[name] = root / f"{name}.log"
            procs[name] = start_app(env, logs[name])
            urls[name] = f"http://127.0.0.1:{port}"
            # one after the other: two first starts on one data directory race writing its placeholders
            wait_healthy(urls[name], procs[name], logs[name])
        yield Cluster(procs["a"], procs["b"], urls, logs, sim, postgres_url)
    finally:
        for proc in procs.values():
            stop_app(proc)
        sim.stop()


def test_three_jobs_on_each_replica_never_put_more_than_the_cap_at_the_provider(cluster: Cluster):
    jobs = [_start(cluster, replica, f"Slots check {n}: a paper boat on a rain gutter ({replica})")
            for n in range(3) for replica in ("a", "b")]
    wait_until(lambda: _all_done(cluster, jobs), timeout=FINISH_TIMEOUT, interval=0.2)
    print(f"\nmax in flight at the provider: {cluster.simulator.max_in_flight} (cap {CAP}), "
          f"creates: {cluster.simulator.create_count}")
    assert cluster.simulator.create_count == 6
    assert cluster.simulator.max_in_flight <= CAP
    assert not _rows(cluster.db_url, "SELECT job_id FROM flight_slots s JOIN jobs j ON j.id = s.job_id "
                                     "WHERE j.status = %s", JobStatus.COMPLETED.value)  # released


def test_a_killed_replicas_jobs_keep_their_slots_until_the_other_finishes_them(cluster: Cluster):
    """A has the two slots; B's job waits. A is SIGKILLed: B takes A's jobs over, their slots with them
    (now B's), and starts its own job only once one of them has finished."""
    cluster.simulator.reset()
    cluster.simulator.set_behaviour(estimated_time=LONG)
    on_a = [_start(cluster, "a", f"Slots check: a kite over dunes, take {n}") for n in range(CAP)]
    wait_until(lambda: all(_status(cluster, j) == JobStatus.PROCESSING.value for j in on_a), timeout=30)
    waiting = _start(cluster, "b", "Slots check: a heron waits in the reeds")
    assert _status(cluster, waiting) == JobStatus.QUEUED.value
    a_id = _holder(cluster, on_a[0])
    assert a_id and _holder(cluster, on_a[1]) == a_id
    cluster.a.send_signal(signal.SIGKILL)
    cluster.a.wait(timeout=10)
    wait_until(lambda: all(_holder(cluster, j) not in (None, a_id) for j in on_a), timeout=30)
    slots = _rows(cluster.db_url, "SELECT s.job_id, s.holder, l.holder AS follower FROM flight_slots s "
                                  "JOIN job_leases l ON l.job_id = s.job_id")
    assert sorted(r["job_id"] for r in slots) == sorted(on_a)  # the jobs kept their slots
    assert all(r["holder"] == r["follower"] for r in slots)  # now counted as B's
    assert _status(cluster, waiting) == JobStatus.QUEUED.value
    wait_until(lambda: _all_done(cluster, [*on_a, waiting]), timeout=FINISH_TIMEOUT, interval=0.2)
    print(f"\nafter the SIGKILL: max in flight {cluster.simulator.max_in_flight} (cap {CAP})")
    assert cluster.simulator.create_count == CAP + 1  # never a second create for a taken-over job
    assert cluster.simulator.max_in_flight <= CAP
