"""Jobs-in-flight slots on both store backends (#22 item 6): the caps on jobs at the provider hold for the
whole deployment. `take_slot` counts and inserts in one transaction that serialises every taker (SQLite:
BEGIN IMMEDIATE; PostgreSQL: one advisory lock), so two replicas (two database objects, own connections,
in two threads) racing for the last slot never both get it; a slot is the job's (a replica taking the job
over keeps it), and slots of jobs whose provider task is over or that are gone free themselves."""

from __future__ import annotations

import threading

from seedance_ui.config import Settings
from seedance_ui.jobs.limits import FlightSlots, Scheduler
from seedance_ui.store import JobRecord, JobStatus
from seedance_ui.store.interface import Database
from seedance_ui.store.records import OWNER_SLOTS_FULL, SLOTS_FULL

ROUNDS = 30
RACERS = 2


_made = iter(range(1000, 10**6))  # created_at of the jobs made here: each one newer than the last


def _job(db: Database, owner: str = "alice", status: JobStatus = JobStatus.QUEUED) -> str:
    made = float(next(_made))
    rec = JobRecord.new(owner, {"prompt": "A lighthouse", "model": "seedance-2.0-text-to-video"},
                        created_at=made, updated_at=made)
    rec.status = status
    db.insert_job(rec)
    return rec.id


def test_the_caps_hold_across_replicas_and_a_slot_is_the_jobs(db_pair: tuple[Database, Database]):
    a, b = db_pair
    a1, a2, b1, c1 = (_job(a, owner) for owner in ("alice", "alice", "bob", "carol"))
    assert a.take_slot(a1, "alice", "A", 3, 2) is None
    assert b.take_slot(a2, "alice", "B", 3, 2) is None
    a3 = _job(a, "alice")
    assert a.take_slot(a3, "alice", "A", 3, 2) == OWNER_SLOTS_FULL  # alice's two count on both replicas
    assert b.take_slot(b1, "bob", "B", 3, 2) is None
    assert a.take_slot(c1, "carol", "A", 3, 2) == SLOTS_FULL
    # B takes a1 over (A died): the job keeps its one slot, the count does not change
    assert b.take_slot(a1, "alice", "B", 0, 0) is None
    assert a.take_slot(c1, "carol", "A", 3, 2) == SLOTS_FULL
    # a job that ends (or starts downloading) on any replica frees its slot, released or not
    b.update_job(a2, {"status": JobStatus.DOWNLOADING})
    assert a.take_slot(c1, "carol", "A", 3, 2) is None
    a.update_job(c1, {"status": JobStatus.PROCESSING})
    b.update_job(b1, {"status": JobStatus.COMPLETED})
    assert b.delete_job(b1, "bob") is not None  # and gone altogether
    assert a.take_slot(a3, "alice", "A", 3, 2) is None
    d1 = _job(b, "dave")
    assert b.take_slot(d1, "dave", "B", 3, 2) == SLOTS_FULL  # a1, c1, a3
    a.release_slot(c1)  # released by its replica (its provider task is over)
    assert b.take_slot(d1, "dave", "B", 3, 2) is None
    # a job found at the provider on recovery is counted whatever the caps say
    assert a.take_slot(_job(a, "erin", JobStatus.PROCESSING), "erin", "A", 0, 0) is None
    assert a.take_slot(_job(a, "frank"), "frank", "A", 4, 2) == SLOTS_FULL


def test_a_freed_slot_goes_to_the_oldest_waiting_job_whichever_replica_queued_it(
        db_pair: tuple[Database, Database]):
    """B's own jobs end and B's next ones ask first, yet the slots go to the jobs A queued before them (as
    many as their owners' caps let through); a waiting job whose owner is at the cap keeps nobody waiting."""
    a, b = db_pair
    running = [_job(b, "bob") for _ in range(2)]
    for job_id in running:
        assert b.take_slot(job_id, "bob", "B", 2, 2) is None
    on_a = [_job(a, "alice"), _job(a, "alice"), _job(a, "carol")]
    on_b = _job(b, "bob")
    for job_id, owner in zip(on_a, ("alice", "alice", "carol"), strict=True):
        assert a.take_slot(job_id, owner, "A", 2, 2) == SLOTS_FULL
    b.update_job(running[0], {"status": JobStatus.COMPLETED})
    assert b.take_slot(on_b, "bob", "B", 2, 2) == SLOTS_FULL  # owed to A's older jobs
    assert a.take_slot(on_a[0], "alice", "A", 2, 2) is None
    b.update_job(running[1], {"status": JobStatus.COMPLETED})
    assert b.take_slot(on_b, "bob", "B", 2, 1) == SLOTS_FULL  # alice's second (cap 1: hers is taken) is
    assert a.take_slot(on_a[2], "carol", "A", 2, 1) is None  # not owed one; carol's job is, and gets it
    a.update_job(on_a[2], {"status": JobStatus.COMPLETED})
    assert b.take_slot(on_b, "bob", "B", 2, 1) is None  # alice waits for her own: bob's goes


def _race(db: Database, worker: int, jobs: list[str], barrier: threading.Barrier, won: list[bool]) -> None:
    for n in range(ROUNDS):
        barrier.wait(30)
        won[n] = db.take_slot(jobs[n], f"owner-{worker}-{n}", f"replica-{worker}", 1, 1) is None
        barrier.wait(30)


def test_two_replicas_racing_for_the_last_slot_never_both_get_it(db_pair: tuple[Database, Database]):
    """Each round both replicas ask at the same moment for the one slot left (cap 1) for a job each, made
    at the same time by a new owner (neither comes first); then both jobs end. Exactly one of them gets
    the slot every round."""
    jobs: list[list[str]] = [[], []]
    for n in range(ROUNDS):
        for w in range(RACERS):
            rec = JobRecord.new(f"owner-{w}-{n}", {"prompt": "A race", "model": "seedance-2.0-text-to-video"},
                                created_at=float(n), updated_at=float(n))
            db_pair[0].insert_job(rec)
            jobs[w].append(rec.id)
    won = [[False] * ROUNDS for _ in range(RACERS)]
    barrier = threading.Barrier(RACERS, action=lambda: _end_raced(db_pair[0], jobs, won))
    threads = [threading.Thread(target=_race, args=(db_pair[w], w, jobs[w], barrier, won[w]))
               for w in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads)
    for n in range(ROUNDS):
        winners = sum(won[w][n] for w in range(RACERS))
        assert winners == 1, f"round {n}: {winners} replicas got the one slot"


def _end_raced(db: Database, jobs: list[list[str]], won: list[list[bool]]) -> None:
    """Run by the barrier (racers waiting): the jobs of every round someone won end."""
    for n in range(ROUNDS):
        if any(won[w][n] for w in range(RACERS)):
            for w in range(RACERS):
                ended = JobStatus.COMPLETED if won[w][n] else JobStatus.CANCELLED
                db.update_job(jobs[w][n], {"status": ended})


def test_a_scheduler_admits_what_the_deployments_slots_allow_in_its_own_order(
        db_pair: tuple[Database, Database]):
    """Replica B's local line is empty of A's jobs, yet its admission counts them: B admits only what is
    left, skips an owner at the deployment's per-owner cap without blocking others, and keeps its order."""
    settings = Settings(max_jobs_in_flight=3, max_jobs_per_owner=1)
    caps = (settings.max_jobs_in_flight, settings.max_jobs_per_owner)
    on_a = Scheduler(*caps, FlightSlots(db_pair[0], "A", *caps))
    on_b = Scheduler(*caps, FlightSlots(db_pair[1], "B", *caps))
    first = _job(db_pair[0], "alice")
    on_a.enqueue(first, "alice")
    assert on_a.admit() == [first]
    queued = [(_job(db_pair[1], owner), owner) for owner in ("alice", "bob", "carol", "dave")]
    for job_id, owner in queued:
        on_b.enqueue(job_id, owner)
    assert on_b.admit() == [queued[1][0], queued[2][0]]  # alice's waits (hers runs on A); 3 in all
    assert on_b.positions() == {queued[0][0]: 1, queued[3][0]: 2}
    db_pair[0].update_job(first, {"status": JobStatus.COMPLETED})  # ends on A
    on_a.release(first)
    assert on_b.admit() == [queued[0][0]]
    on_b.forget(queued[1][0])  # another replica follows bob's job now: its slot stays the job's
    assert on_b.admit() == []


def test_the_local_line_is_in_the_order_the_jobs_were_made():
    """A job made earlier (its media were checked meanwhile, or it was recovered) goes before later ones,
    as the deployment's slots order them; no `created_at`: at the end."""
    line = Scheduler(max_total=1, max_per_owner=1)
    line.enqueue("j2", "a", 20.0)
    line.enqueue("j3", "b", 30.0)
    line.enqueue("j1", "c", 10.0)
    line.enqueue("j4", "d")
    line.enqueue("j25", "e", 25.0)
    assert list(line.positions()) == ["j1", "j2", "j25", "j3", "j4"]
    assert line.admit() == ["j1"]
    assert line.remove("j25") and list(line.positions()) == ["j2", "j3", "j4"]
