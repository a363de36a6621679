"""Job leases and the change feed on both store backends (#22 item 4): claim, renew, expire, steal, release,
webhook pokes; and on PostgreSQL, claimers racing in several processes never hold one job twice
(`FOR UPDATE ... SKIP LOCKED` plus the guarded upsert)."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from pg_server import truncate_all

from seedance_ui.config import Settings
from seedance_ui.jobs.leases import ChangeFeed, Replica
from seedance_ui.store import JobRecord, JobStatus
from seedance_ui.store.interface import Database
from seedance_ui.store.local import open_database

TTL = 15.0


def _jobs(db: Database, count: int, status: JobStatus = JobStatus.PROCESSING) -> list[str]:
    ids = []
    for n in range(count):
        rec = JobRecord.new("alice", {"prompt": f"job {n}", "model": "seedance-2.0-text-to-video"},
                            created_at=1000.0 + n, updated_at=1000.0 + n)
        rec.status = status
        db.insert_job(rec)
        ids.append(rec.id)
    return ids


def test_claim_renew_expire_steal_and_release(db: Database):
    a, b, _done = [*_jobs(db, 2), *_jobs(db, 1, JobStatus.COMPLETED)]
    assert db.claim_jobs("A", 100.0, TTL, 10) == [a, b]  # oldest first; finished jobs are nobody's
    assert db.claim_jobs("B", 101.0, TTL, 10) == []  # live leases are not taken
    assert not db.claim_job(a, "B", 101.0, TTL) and db.claim_job(a, "A", 101.0, TTL)  # re-claim: own only
    assert db.claim_jobs("C", 101.0, TTL, 10) == []  # a finished job is nobody's to follow
    assert db.claim_job("f" * 32, "A", 101.0, TTL)  # a new job's lease comes before its record
    db.release_lease("f" * 32, "A")
    assert db.lease_holder(a, 110.0) == "A"
    assert sorted(db.renew_leases("A", 110.0, TTL)) == sorted([a, b])  # now held until 125
    assert db.claim_jobs("B", 124.0, TTL, 10) == []
    assert db.lease_holder(a, 126.0) is None  # A stopped renewing: expired
    assert db.claim_jobs("B", 126.0, TTL, 1) == [a]  # steal, at most `limit`
    assert db.claim_job(b, "B", 126.0, TTL)
    assert db.renew_leases("A", 127.0, TTL) == []  # A learns it lost both
    assert db.lease_holder(a, 127.0) == "B"
    db.release_lease(a, "A")  # not A's any more: nothing happens
    assert db.lease_holder(a, 127.0) == "B"
    db.release_lease(a, "B")
    assert db.lease_holder(a, 127.0) is None and db.claim_jobs("C", 127.0, TTL, 10) == [a]
    db.release_leases("B")
    assert db.lease_holder(b, 127.0) is None and db.lease_holder(a, 127.0) == "C"


def test_changed_jobs_and_webhook_pokes(db: Database):
    a, b = _jobs(db, 2)
    db.claim_job(a, "A", 100.0, TTL)
    db.update_job(a, {"progress": 40, "updated_at": 2000.0})
    assert {row[0] for row in db.changed_jobs(1500.0)} == {a}
    assert db.poke_job(b, 2001.0)  # no lease yet: the job's change is still seen
    assert db.poke_job(a, 2002.0)
    rows = {row[0]: row for row in db.changed_jobs(1500.0)}
    assert rows[a] == (a, 2002.0, 2002.0) and rows[b] == (b, 2001.0, None)
    db.update_job(a, {"status": JobStatus.COMPLETED, "updated_at": 2003.0})
    assert not db.poke_job(a, 2004.0) and not db.poke_job("0" * 32, 2004.0)  # finished or unknown: ignored


def test_the_change_feed_reports_each_change_once_and_each_poke_once(db: Database):
    a, b = _jobs(db, 2)
    db.claim_job(a, "A", 100.0, TTL)
    feed = ChangeFeed(db, lookback=5.0)
    db.update_job(a, {"progress": 10, "updated_at": 2000.0})
    first = feed.poll(now=2001.0)
    assert first.changed == [a] and first.poked == []
    again = feed.poll(now=2001.5)  # the same rows in the window: nothing new
    assert again.changed == [] and again.poked == []
    db.poke_job(a, 2002.0)
    poked = feed.poll(now=2002.5)
    assert poked.changed == [a] and poked.poked == [a]
    assert feed.poll(now=2003.0).poked == []  # one webhook: one wake
    db.update_job(b, {"progress": 5, "updated_at": 2003.0})
    assert feed.poll(now=2003.5).changed == [b]
    assert feed.round_trips == 5  # one query per poll


def test_a_replica_on_sqlite_holds_every_job_without_writing_a_lease(tmp_path: Path):
    db = open_database(tmp_path / "data")
    try:
        [job] = _jobs(db, 1)
        replica = Replica(db, Settings(), shared=False)
        assert replica.claim(job) and replica.holds(job) and replica.claim_free() == []
        assert replica.renew() == set() and db.lease_holder(job, 0.0) is None
    finally:
        db.close()


def test_a_replica_learns_which_leases_it_lost(postgres_url: str):
    truncate_all(postgres_url)
    db = open_database(Path("/nonexistent"), postgres_url)
    try:
        a, b = _jobs(db, 2)
        one = Replica(db, Settings(lease_seconds=TTL), shared=True)
        two = Replica(db, Settings(lease_seconds=TTL), shared=True)
        assert sorted(one.claim_free()) == sorted([a, b]) and two.claim_free() == []
        db.renew_leases(one.id, 0.0, 0.0)  # as if `one` had stalled past its lease
        assert sorted(two.claim_free()) == sorted([a, b])
        assert one.renew() == {a, b} and one.held == set() and two.holds(a)
        two.release(a)
        assert db.lease_holder(a, 0.0) is None and not two.holds(a)
    finally:
        db.close()


CLAIMERS = 4
RACE_JOBS = 60


def _claim_until_empty(url: str, holder: str, start: object) -> list[str]:
    db = open_database(Path("/nonexistent"), url)
    try:
        start.wait()  # type: ignore[attr-defined]
        taken: list[str] = []
        while batch := db.claim_jobs(holder, 100.0, TTL, 3):
            taken += batch
        for _ in range(20):  # claiming one job at a time, too: never a job another holds
            for job_id in taken[:5]:
                assert db.claim_job(job_id, holder, 100.0, TTL)
        return taken
    finally:
        db.close()


def test_claimers_in_several_processes_never_hold_one_job_twice(postgres_url: str):
    truncate_all(postgres_url)
    db = open_database(Path("/nonexistent"), postgres_url)
    try:
        jobs = _jobs(db, RACE_JOBS)
    finally:
        db.close()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(CLAIMERS) as pool:
        start = manager.Event()
        pending = [pool.apply_async(_claim_until_empty, (postgres_url, f"R{n}", start))
                   for n in range(CLAIMERS)]
        start.set()
        results = [p.get(timeout=120) for p in pending]
    everything = [job for taken in results for job in taken]
    assert sorted(everything) == sorted(jobs)  # each job held by exactly one claimer


def test_a_replica_stopping_gracefully_hands_its_jobs_to_another_at_its_next_scan(
    postgres_url: str, tmp_path: Path, simulator: object
):
    """A stops (SIGTERM path) while its job waits on a poll: its lease is given back, B claims the job at
    its next scan and finishes it, and the provider saw one create."""
    from conftest import SERVER_KEY, RecordingProxy

    from seedance_ui.client import GenerationRequest
    from seedance_ui.jobs import JobManager
    from seedance_ui.options import CREATE_PATH, MODEL_FAST
    from seedance_ui.store import HistoryStore

    truncate_all(postgres_url)
    proxy = RecordingProxy(simulator.base_url).start()  # type: ignore[attr-defined]
    settings = Settings(api_key=SERVER_KEY, base_url=proxy.url, data_dir=tmp_path / "data",
                        poll_interval=0.05, lease_scan_seconds=0.2)
    stores = [HistoryStore(settings.data_dir, database_url=postgres_url) for _ in range(2)]
    a, b = (JobManager(store, settings) for store in stores)
    try:
        a.start()
        b.start()
        request = GenerationRequest(prompt="A hand-over at dusk", model=MODEL_FAST, duration=4,
                                    quality="480p")
        with proxy.holding("/v1/tasks/"):  # A's polls wait: the job stays in flight on A
            record = a.submit(request, "e" * 32)
            assert stores[0].db.lease_holder(record.id, time.time()) == a.replica.id
            deadline = time.monotonic() + 30
            while stores[0].get(record.id).task_id is None and time.monotonic() < deadline:
                time.sleep(0.02)
            a.stop()
            assert stores[0].db.lease_holder(record.id, time.time()) is None
        done = b.wait(record.id, timeout=60)
        assert done.status is JobStatus.COMPLETED and stores[1].video_file(done) is not None
        assert proxy.count("POST", CREATE_PATH) == 1
    finally:
        a.stop()
        b.stop()
        proxy.stop()
        for store in stores:
            store.close()


def test_a_job_cancelled_on_another_replica_while_queued_is_never_created(
    postgres_url: str, tmp_path: Path, simulator: object
):
    """B cancels a job that waits in A's queue: when A's slot frees, A does not create it."""
    from conftest import SERVER_KEY, RecordingProxy

    from seedance_ui.client import GenerationRequest
    from seedance_ui.jobs import JobManager
    from seedance_ui.options import CREATE_PATH, MODEL_FAST
    from seedance_ui.store import HistoryStore

    truncate_all(postgres_url)
    proxy = RecordingProxy(simulator.base_url).start()  # type: ignore[attr-defined]
    settings = Settings(api_key=SERVER_KEY, base_url=proxy.url, data_dir=tmp_path / "data",
                        poll_interval=0.05, max_jobs_in_flight=1)
    stores = [HistoryStore(settings.data_dir, database_url=postgres_url) for _ in range(2)]
    a, b = (JobManager(store, settings) for store in stores)
    owner = "d" * 32
    try:
        a.start()
        b.start()
        request = GenerationRequest(prompt="A queue at dawn", model=MODEL_FAST, duration=4, quality="480p")
        with proxy.holding("/v1/tasks/"):  # the first job keeps A's only slot
            first = a.submit(request, owner)
            second = a.submit(request, owner)
            assert stores[1].get(second.id).status is JobStatus.QUEUED
            b.cancel(second.id, owner)
            assert stores[1].get(second.id).status is JobStatus.CANCELLED
        assert a.wait(first.id, timeout=60).status is JobStatus.COMPLETED
        assert a.wait(second.id, timeout=5).status is JobStatus.CANCELLED
        assert proxy.count("POST", CREATE_PATH) == 1
    finally:
        a.stop()
        b.stop()
        proxy.stop()
        for store in stores:
            store.close()
