"""Limits hold for the whole deployment, not per process (#22, item 6).

Every limit is checked and recorded in one database transaction: the per-visitor submission rate limit,
the cap on a visitor's unfinished jobs (counted from the jobs table), idempotency keys (reserved before the
job is made), the chat model's rate limit, the per-address upload limits and the visitor disk quota. Two
"replicas" here are two database objects on one database (both backends), each behind its own guard,
limiter or quota, as two processes would hold them; and two real processes on one PostgreSQL race for
the same visitor's limits and keys.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from pg_server import truncate_all

from seedance_ui.config import Settings
from seedance_ui.jobs.budget import SubmissionGuard, SubmitRateLimitedError, TooManyUnfinishedError
from seedance_ui.jobs.idempotency import submit_once
from seedance_ui.jobs.meta import KEY_VISITOR
from seedance_ui.llm.access import Access, Refused
from seedance_ui.llm.events import Caller
from seedance_ui.security.uploads import UploadTally
from seedance_ui.store import Database, JobRecord, JobStatus, new_job_id
from seedance_ui.store import postgres as pg
from seedance_ui.store.local import open_database
from seedance_ui.store.quota import BOARDS_DIRNAME, DiskQuota, QuotaExceeded, owner_folder
from seedance_ui.store.records import ADMISSION_GRACE_SECONDS, IDEMPOTENCY_PENDING, LIMIT_AMOUNT, LIMIT_COUNT

VISITOR = "0123456789abcdef0123456789abcdef"
ADDRESS = "addr:5f2b"
MB = 1024 * 1024


def _job(owner: str, created: float) -> JobRecord:
    return JobRecord.new(owner, {"prompt": "A lighthouse", "model": "seedance-2.0-text-to-video"},
                         created_at=created, updated_at=created)


# --- the store's methods, on both backends -----------------------------------------------------------------


def test_rate_events_are_counted_across_replicas_in_a_sliding_window(db_pair: tuple[Database, Database]):
    a, b = db_pair
    assert a.hit_limit("llm", [VISITOR, ADDRESS], "r1", 100.0, 60.0, max_count=2).refused is None
    assert b.hit_limit("llm", [VISITOR, ADDRESS], "r2", 101.0, 60.0, max_count=2).refused is None
    refused = a.hit_limit("llm", ["someone-else", ADDRESS], "r3", 102.0, 60.0, max_count=2)
    assert refused.refused == LIMIT_COUNT and refused.count == 2 and refused.wait == pytest.approx(58.0)
    assert b.hit_limit("llm", ["someone-else"], "r4", 102.0, 60.0, max_count=2).refused is None
    assert b.hit_limit("submit", [ADDRESS], "r5", 102.0, 60.0, max_count=2).refused is None  # another scope
    assert a.hit_limit("llm", [VISITOR], "r6", 160.5, 60.0, max_count=2).refused is None  # r1 left the window
    # amounts (an upload's bytes): announced first, corrected once the body arrived, dropped
    assert a.hit_limit("upload", [ADDRESS], "u1", 0.0, 3600.0, max_amount=100, amount=60).refused is None
    over = b.hit_limit("upload", [ADDRESS], "u2", 1.0, 3600.0, max_amount=100, amount=50)
    assert over.refused == LIMIT_AMOUNT and over.amount == 60.0
    a.set_limit_amount("upload", "u1", 10.0)
    assert b.hit_limit("upload", [ADDRESS], "u2", 2.0, 3600.0, max_amount=100, amount=50).amount == 10.0
    b.drop_limit_event("upload", "u2")
    assert a.hit_limit("upload", [ADDRESS], "u3", 3.0, 3600.0, max_amount=100, amount=90).refused is None
    # a base the caller measured itself (bytes on disk) counts too
    assert a.hit_limit("disk", [VISITOR], "d1", 5.0, 5.0, max_amount=100, amount=30, base=80).refused
    assert a.hit_limit("disk", [VISITOR], "d2", 5.0, 5.0, max_amount=100, amount=20, base=80).refused is None


def test_unfinished_jobs_are_counted_from_the_jobs_table_in_the_admission(db_pair: tuple[Database, Database]):
    a, b = db_pair
    admit = {"max_unfinished": 2, "rate_scope": "submit", "window": 60.0, "max_per_window": 0}
    first, second, third = _job(VISITOR, 1000.0), new_job_id(), new_job_id()
    assert a.admit_job(first.id, [VISITOR, ADDRESS], 1000.0, **admit) is None
    a.insert_job(first)
    assert b.admit_job(second, [VISITOR, ADDRESS], 1001.0, **admit) is None  # admitted, not written yet
    assert a.admit_job(third, ["another-owner", ADDRESS], 1002.0, **admit) == ("unfinished", 2.0)
    a.update_job(first.id, {"status": JobStatus.COMPLETED})  # over: the jobs table says so at once
    assert b.admit_job(third, ["another-owner", ADDRESS], 1003.0, **admit) is None
    b.release_admission(second)  # never written (its submission failed)
    late = new_job_id()
    assert a.admit_job(late, [VISITOR], 1004.0, **admit) is None
    # an admission whose job was never written (its replica died) stops counting after the grace
    later = 1004.0 + ADMISSION_GRACE_SECONDS + 1
    assert a.admit_job(new_job_id(), [VISITOR], later, **admit) is None
    # the rate of admissions, in the same transaction
    rate = admit | {"max_unfinished": 0, "max_per_window": 1}
    assert a.admit_job(new_job_id(), ["r"], 5000.0, **rate) is None
    refused = b.admit_job(new_job_id(), ["r"], 5010.0, **rate)
    assert refused is not None and refused[0] == "rate" and refused[1] == pytest.approx(50.0)


def test_an_idempotency_key_is_reserved_before_its_job_is_made(db_pair: tuple[Database, Database]):
    a, b = db_pair
    assert a.reserve_idempotency_key(VISITOR, "k", 10.0, 0.0) is None  # a holds it
    assert b.reserve_idempotency_key(VISITOR, "k", 11.0, 0.0) == IDEMPOTENCY_PENDING  # b must wait
    assert b.idempotent_job(VISITOR, "k") is None
    assert a.put_idempotent_job(VISITOR, "k", "j1", 12.0)
    assert not b.put_idempotent_job(VISITOR, "k", "j2", 12.0)
    assert b.reserve_idempotency_key(VISITOR, "k", 13.0, 0.0) == "j1"
    assert b.idempotent_job(VISITOR, "k") == "j1"
    b.release_idempotency_key(VISITOR, "k")  # a bound key stays bound
    assert a.idempotent_job(VISITOR, "k") == "j1"
    assert a.reserve_idempotency_key(VISITOR, "refused", 20.0, 0.0) is None
    a.release_idempotency_key(VISITOR, "refused")  # its submission was refused: the key is free again
    assert b.reserve_idempotency_key(VISITOR, "refused", 21.0, 0.0) is None
    # a reservation whose replica died before making the job is taken over once stale
    assert a.reserve_idempotency_key(VISITOR, "orphan", 30.0, 0.0) is None
    assert b.reserve_idempotency_key(VISITOR, "orphan", 31.0, 29.0) == IDEMPOTENCY_PENDING
    assert b.reserve_idempotency_key(VISITOR, "orphan", 700.0, 600.0) is None


# --- each limit, held by two replicas' own guards, limiters and quotas -----------------------------------


def _guards(tmp_path: Path, url: str, **limits: Any) -> tuple[SubmissionGuard, SubmissionGuard]:
    settings = Settings(data_dir=tmp_path / "data", **limits)
    return (SubmissionGuard(settings, tmp_path / "data", database_url=url),
            SubmissionGuard(settings, tmp_path / "data", database_url=url))


def test_a_visitor_over_the_rate_limit_on_one_replica_is_over_it_on_the_other(tmp_path: Path,
                                                                              backend_url: str):
    a, b = _guards(tmp_path, backend_url, visitor_submits_per_minute=2)
    try:
        a.admit(new_job_id(), VISITOR, KEY_VISITOR, 1.0, ADDRESS)
        b.admit(new_job_id(), "a-fresh-cookie", KEY_VISITOR, 1.0, ADDRESS)  # same address
        with pytest.raises(SubmitRateLimitedError, match=r"^Too many submissions: at most 2 per minute for "
                                                         r"each visitor\.$") as caught:
            a.admit(new_job_id(), VISITOR, KEY_VISITOR, 1.0, ADDRESS)
        assert 0 < caught.value.retry_after <= 60
        b.admit(new_job_id(), "hf:alice", KEY_VISITOR, 1.0, ADDRESS)  # a signed-in account: its own
    finally:
        a.close()
        b.close()


def test_a_visitors_unfinished_jobs_on_one_replica_count_on_the_other(tmp_path: Path, backend_url: str):
    a, b = _guards(tmp_path, backend_url, visitor_max_unfinished_jobs=2)
    db = open_database(tmp_path / "data", backend_url)
    try:
        first = _job(VISITOR, 1000.0)
        a.admit(first.id, VISITOR, KEY_VISITOR, 1.0, ADDRESS)
        db.insert_job(first)
        b.admit(new_job_id(), VISITOR, KEY_VISITOR, 1.0, ADDRESS)
        with pytest.raises(TooManyUnfinishedError, match=r"^Too many unfinished videos: 2 of yours are "
                           r"waiting or being made, and each visitor may have at most 2 at once\.$"):
            a.admit(new_job_id(), "a-fresh-cookie", KEY_VISITOR, 1.0, ADDRESS)
        b.settle(db.update_job(first.id, {"status": JobStatus.CANCELLED}))  # ended on replica b
        a.admit(new_job_id(), VISITOR, KEY_VISITOR, 1.0, ADDRESS)
    finally:
        db.close()
        a.close()
        b.close()


def test_the_models_rate_limit_holds_across_replicas(db_pair: tuple[Database, Database]):
    settings = Settings(visitor_submits_per_minute=1)
    first, second = Access(settings, db_pair[0]), Access(settings, db_pair[1])
    first.admit(Caller(VISITOR, ADDRESS, None))
    with pytest.raises(Refused, match="Too many model requests: at most 1 a minute for each visitor"):
        second.admit(Caller("a-fresh-cookie", ADDRESS, None))
    second.admit(Caller("hf:alice", ADDRESS, None))


def test_uploads_per_address_hold_across_replicas(db_pair: tuple[Database, Database]):
    first, second = UploadTally(db_pair[0], 3, 2 * MB), UploadTally(db_pair[1], 3, 2 * MB)
    assert first.start(ADDRESS, "u1", MB + MB // 2).refused is None
    refused = second.start(ADDRESS, "u2", MB)
    assert refused.refused == LIMIT_AMOUNT
    assert second.refusal(refused.count, refused.amount, MB) == (
        "at most 2 MB of uploads per hour from one address (SEEDANCE_UPLOADS_PER_ADDRESS_MB); 1.5 MB used")
    first.received("u1", 10)  # its body was shorter than announced
    assert second.start(ADDRESS, "u2", 10).refused is None and second.start(ADDRESS, "u3", 10).refused is None
    refused = first.start(ADDRESS, "u4", 10)
    assert refused.refused == LIMIT_COUNT and "at most 3 uploads per hour" in str(
        first.refusal(refused.count, refused.amount, 10))


def test_the_disk_quota_holds_across_replicas(tmp_path: Path, db_pair: tuple[Database, Database]):
    first = DiskQuota(tmp_path / "data", 10 * MB, db_pair[0])
    second = DiskQuota(tmp_path / "data", 10 * MB, db_pair[1])
    boards = tmp_path / "data" / BOARDS_DIRNAME / owner_folder(VISITOR)
    boards.mkdir(parents=True)
    for n, quota in enumerate((first, second)):  # each replica has measured the visitor once
        quota.reserve(VISITOR, MB, "this board")
        (boards / f"{n}.json").write_bytes(b"x" * MB)
    first.reserve(VISITOR, 5 * MB, "this import")  # reserved on the first replica, not written yet
    with pytest.raises(QuotaExceeded, match=r"this export needs 4\.0 MB and your files here already take "
                                            r"7\.0 MB of the 10\.0 MB"):
        second.reserve(VISITOR, 4 * MB, "this export")
    second.reserve(VISITOR, 3 * MB, "this export")
    second.reserve("someone-else", 9 * MB, "this board")


# --- two processes on one PostgreSQL, at once ---------------------------------------------------------------

ROUNDS = 25


class _Jobs:
    """What submit_once needs of the job manager (its store's database, a job by id and owner) over a
    real database; `make` writes a job as the manager's submit would."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.store = self

    def get(self, job_id: str, owner: str) -> JobRecord | None:
        found = self.db.get_job(job_id)
        return found if found is not None and found.owner == owner else None

    def make(self, owner: str) -> JobRecord:
        record = _job(owner, 1000.0)
        self.db.insert_job(record)
        return record


def _race(url: str, data_dir: str, barrier: Any) -> list[tuple[bool, bool, str]]:
    """One replica: per round, at the same moment as the other, one submission under a rate limit of one
    a minute, one under a cap of one unfinished job, and one with an idempotency key; what it got."""
    rate = SubmissionGuard(Settings(visitor_submits_per_minute=1), Path(data_dir), database_url=url)
    cap = SubmissionGuard(Settings(visitor_max_unfinished_jobs=1), Path(data_dir), database_url=url)
    jobs = _Jobs(pg.PostgresDatabase(url, max_size=2))
    out = []
    try:
        for n in range(ROUNDS):
            barrier.wait(60)
            rate_passed = _admitted(rate, f"rate-{n}")
            barrier.wait(60)
            cap_passed = _admitted(cap, f"cap-{n}")
            barrier.wait(60)
            owner = f"keyed-{n}"
            record, _made = submit_once(jobs, owner, f"key-{n}", lambda owner=owner: jobs.make(owner))
            out.append((rate_passed, cap_passed, record.id))
    finally:
        rate.close()
        cap.close()
        jobs.db.close()
    return out


def _admitted(guard: SubmissionGuard, owner: str) -> bool:
    try:
        guard.admit(new_job_id(), owner, KEY_VISITOR, 1.0, f"addr:{owner}")
    except (SubmitRateLimitedError, TooManyUnfinishedError):
        return False
    return True


def test_two_processes_at_once_never_pass_a_rate_limit_an_unfinished_cap_or_a_key(
        postgres_url: str, tmp_path: Path):
    truncate_all(postgres_url)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(2)
        with context.Pool(2) as pool:
            args = (postgres_url, str(tmp_path / "data"), barrier)
            results = [pool.apply_async(_race, args) for _ in (1, 2)]
            first, second = (r.get(timeout=300) for r in results)
    for n, ((rate_a, cap_a, job_a), (rate_b, cap_b, job_b)) in enumerate(zip(first, second, strict=True)):
        assert rate_a != rate_b, f"round {n}: rate limit of 1 a minute admitted {int(rate_a) + int(rate_b)}"
        assert cap_a != cap_b, f"round {n}: cap of 1 unfinished job admitted {int(cap_a) + int(cap_b)}"
        assert job_a == job_b, f"round {n}: one key made two jobs"
    db = pg.PostgresDatabase(postgres_url)
    try:
        for n in range(ROUNDS):
            assert len(db.list_jobs(f"keyed-{n}", 10)) == 1
    finally:
        db.close()
