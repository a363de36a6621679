"""The job manager's error paths through the real SeedanceClient and the contract simulator over
loopback HTTP: the paths tests/test_jobs_manager.py drives with an in-process fake client, here with
the provider's real answers (faults injected into the simulator, seedance_ui/simulator/faults.py),
and with a recording proxy in front of it that shows which key every request carried."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from job_helpers import (
    QUICK_RETRY,
    SIM_REQ,
    SimJobs,
    add_unsent_job,
    admit_then_stop,
    collect_hints,
    wait_status,
)

from seedance_ui.jobs import JobManager
from seedance_ui.jobs import messages as msg
from seedance_ui.jobs.meta import KEY_SERVER, KEY_VISITOR
from seedance_ui.options import CREATE_PATH
from seedance_ui.simulator.handler import VIDEO_PREFIX
from seedance_ui.store import JobRecord, JobStatus

REQ = SIM_REQ
VISITOR_KEY = "sk-visitor-secret-1234"
TASKS = "/v1/tasks/"
# Simulated seconds of a task: 2 s of real time at the simulator's speed 200, time enough to act
# (cancel, stop) while it runs.
LONG = 400
DONE = 30  # seconds a job may take to end: a guard against hanging, never reached


@pytest.fixture
def jobs(tmp_path: Path) -> Iterator[SimJobs]:
    made = SimJobs(tmp_path / "data", proxy=True)
    yield made
    made.close()


def _statuses(jobs: SimJobs, method: str, path: str) -> list[int]:
    """HTTP statuses the simulator answered to `method` on paths starting with `path`, in order."""
    return [r.status for r in list(jobs.sim.requests) if r.method == method and r.path.startswith(path)]


def _running(jobs: SimJobs, m: JobManager, api_key: str | None = None) -> JobRecord:
    """A job submitted on a long task and followed until the provider says it is processing."""
    jobs.sim.set_behaviour(estimated_time=LONG)
    rec = m.submit(REQ, "alice", api_key=api_key)
    wait_status(m, rec.id, "alice", JobStatus.PROCESSING)
    return rec


# -- create refused ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "invalid_parameters"), (402, "insufficient_quota"), (429, "rate_limit_exceeded")],
)
def test_create_refused_fails_with_the_providers_message(jobs: SimJobs, status, code):
    jobs.sim.inject("create", status=status, times=QUICK_RETRY.max_attempts, headers={"Retry-After": "0"})
    m = jobs.manager(retry=QUICK_RETRY)
    done = m.wait(m.submit(REQ, "alice").id, timeout=DONE)
    assert done.status == JobStatus.FAILED, done
    assert done.error_code == code and done.error_message and done.error_hint
    assert jobs.sim.create_count == 0  # refused: no task, nothing charged
    expected = QUICK_RETRY.max_attempts if status == 429 else 1  # only a 429 create is retried
    assert _statuses(jobs, "POST", CREATE_PATH) == [status] * expected


# -- following -----------------------------------------------------------------------------------------
def test_failed_polls_do_not_lose_the_job_and_say_so_meanwhile(jobs: SimJobs):
    # A 502 (the client retries it, into a 500) and then two more 500s: three failed polls in a row.
    jobs.sim.inject("get", status=502)
    jobs.sim.inject("get", status=500, times=3)
    m = jobs.manager()
    rec = m.submit(REQ, "alice")
    hints = asyncio.run(collect_hints(m, rec.id))
    assert msg.POLL_TROUBLE_HINT in hints  # shown while the provider answers errors
    done = m.wait(rec.id, timeout=DONE)
    assert done.status == JobStatus.COMPLETED and done.error_hint is None  # and cleared after
    assert _statuses(jobs, "GET", TASKS)[:5] == [502, 500, 500, 500, 200]
    assert jobs.sim.create_count == 1 and _statuses(jobs, "POST", CREATE_PATH) == [200]


def test_a_task_the_provider_no_longer_knows_fails_clearly(jobs: SimJobs):
    m = jobs.manager()
    rec = _running(jobs, m)
    jobs.sim.reset()  # the provider forgets every task (and its request log): the next poll is a 404
    done = m.wait(rec.id, timeout=DONE)
    assert done.status == JobStatus.FAILED and done.error_code == "task_not_found"
    assert done.error_message == msg.NOT_FOUND_MESSAGE and done.error_hint == msg.NOT_FOUND_HINT
    polls = _statuses(jobs, "GET", TASKS)  # (a poll already on its way at the reset may have found it)
    assert polls[-1] == 404 and polls.count(404) == 1  # not retried, not polled again


# -- downloading ---------------------------------------------------------------------------------------
def test_transient_download_failures_are_retried_until_the_video_is_saved(jobs: SimJobs):
    # Seven 503s: two download calls use all three of their attempts, the third call succeeds.
    jobs.sim.inject("video", status=503, times=7)
    m = jobs.manager(retry=QUICK_RETRY)
    done = m.wait(m.submit(REQ, "alice").id, timeout=DONE)
    assert done.status == JobStatus.COMPLETED, done
    assert _statuses(jobs, "GET", VIDEO_PREFIX) == [503] * 7 + [200]
    video = m.store.video_file(done)
    assert video is not None and video.read_bytes()[4:8] == b"ftyp"


def test_a_download_that_can_never_work_fails_after_three_attempts(jobs: SimJobs):
    jobs.sim.set_behaviour(oversized_video="content_length")  # claims 2 GiB, over the 500 MB cap
    m = jobs.manager()
    done = m.wait(m.submit(REQ, "alice").id, timeout=DONE)
    assert done.status == JobStatus.FAILED and done.error_code == "download_failed"
    assert done.error_message == "The video is 2,048.0 MB, more than the 500.0 MB limit."
    assert "SEEDANCE_MAX_DOWNLOAD_MB" in done.error_hint
    assert _statuses(jobs, "GET", VIDEO_PREFIX) == [200] * 3
    assert done.video_path is None and list((m.store.data_dir / "videos").glob("*")) == []


# -- cancelling ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [409, 500], ids=["refused", "failed"])
def test_a_refused_or_failed_cancel_keeps_the_job_tracked(jobs: SimJobs, status):
    m = jobs.manager()
    rec = _running(jobs, m)
    jobs.sim.inject("cancel", status=status)
    answer = m.cancel(rec.id, "alice")
    if status == 409:
        assert answer == msg.CANCEL_TOO_LATE
    else:
        before, after = msg.CANCEL_FAILED.split("{error}")
        assert re.fullmatch(re.escape(before) + r".+" + re.escape(after), answer), answer
    assert _statuses(jobs, "POST", TASKS) == [status]  # asked once, not retried
    assert m.wait(rec.id, timeout=DONE).status == JobStatus.COMPLETED  # still followed to the end


# -- keys ----------------------------------------------------------------------------------------------
def test_a_visitor_key_is_used_but_never_stored(jobs: SimJobs):
    m = jobs.manager()
    done = m.wait(m.submit(REQ, "alice", api_key=VISITOR_KEY).id, timeout=DONE)
    assert done.status == JobStatus.COMPLETED
    assert jobs.keys_sent() == {f"Bearer {VISITOR_KEY}"}  # every API call carried the visitor's key
    for path in m.store.data_dir.rglob("*"):
        if path.is_file():
            assert VISITOR_KEY.encode() not in path.read_bytes(), path
    assert jobs.settings.api_key not in repr(m.settings)


# -- stop and restart ----------------------------------------------------------------------------------
def test_stop_leaves_jobs_resumable_and_a_restart_finishes_them(jobs: SimJobs):
    m = jobs.manager(max_jobs_in_flight=1)
    running = _running(jobs, m)
    waiting = m.submit(REQ, "alice")
    m.stop()
    assert m.store.get(running.id).status == JobStatus.PROCESSING
    assert m.store.get(waiting.id).status == JobStatus.QUEUED
    m2 = jobs.manager(max_jobs_in_flight=1)
    assert m2.wait(running.id, DONE).status == JobStatus.COMPLETED
    assert m2.wait(waiting.id, DONE).status == JobStatus.COMPLETED
    assert jobs.sim.create_count == 2 and _statuses(jobs, "POST", CREATE_PATH) == [200, 200]


def test_restart_marks_a_job_caught_submitting_as_unknown_and_never_resubmits(jobs: SimJobs):
    m = jobs.manager()
    rec = m.submit(REQ, "alice")
    assert m.wait(rec.id, DONE).status == JobStatus.COMPLETED
    m.store.update(rec.id, status=JobStatus.SUBMITTING, task_id=None)  # as if killed mid-create
    m.stop()
    m2 = jobs.manager()
    done = m2.get(rec.id, "alice")
    assert done.status == JobStatus.UNKNOWN_OUTCOME
    assert done.error_message == msg.RESTART_UNKNOWN_MESSAGE and done.error_hint == msg.UNKNOWN_OUTCOME_HINT
    assert jobs.sim.create_count == 1 and _statuses(jobs, "POST", CREATE_PATH) == [200]


def test_restart_finishes_a_download_already_on_disk_and_expires_an_old_one(jobs: SimJobs):
    m = jobs.manager()
    saved = m.wait(m.submit(REQ, "alice").id, DONE)
    stale = m.wait(m.submit(REQ, "alice").id, DONE)
    m.stop()
    store = m.store
    store.update(saved.id, status=JobStatus.DOWNLOADING, poster_path=None, video_path=None)
    store.poster_path(saved.id).unlink()
    store.update(stale.id, status=JobStatus.DOWNLOADING, video_path=None, completed_at=1.0)
    store.video_path(stale.id).unlink()
    downloads = _statuses(jobs, "GET", VIDEO_PREFIX)
    m2 = jobs.manager()
    done = m2.wait(saved.id, DONE)
    assert done.status == JobStatus.COMPLETED and done.poster_path
    assert _statuses(jobs, "GET", VIDEO_PREFIX) == downloads == [200, 200]  # nothing fetched again
    expired = m2.get(stale.id, "alice")
    assert expired.status == JobStatus.EXPIRED and expired.error_message == msg.EXPIRED_MESSAGE


def test_restart_without_the_visitor_key_keeps_the_job_until_the_key_returns(jobs: SimJobs):
    m = jobs.manager()
    running = _running(jobs, m, api_key=VISITOR_KEY)
    m.stop()
    never_sent = add_unsent_job(m.store, "alice", REQ, KEY_VISITOR)  # a second job of the same visitor
    m2 = jobs.manager()
    waiting = m2.get(running.id, "alice")
    assert waiting.status == JobStatus.PROCESSING and waiting.error_hint == msg.KEY_GONE_HINT
    dropped = m2.get(never_sent.id, "alice")
    assert dropped.status == JobStatus.FAILED and dropped.error_message == msg.QUEUED_KEY_GONE_MESSAGE
    assert m2.resume_with_key("bob", VISITOR_KEY) == 0
    assert m2.resume_with_key("alice", VISITOR_KEY) == 1
    done = m2.wait(running.id, DONE)
    assert done.status == JobStatus.COMPLETED and done.error_hint is None
    assert jobs.keys_sent() == {f"Bearer {VISITOR_KEY}"}  # never polled with the server's key
    assert jobs.sim.create_count == 1


def test_restart_with_another_server_key_keeps_the_job_and_says_why(jobs: SimJobs):
    m = jobs.manager()
    rec = _running(jobs, m)
    m.stop()
    m2 = jobs.manager(api_key="")  # demo mode now
    kept = m2.get(rec.id, "alice")
    assert kept.status == JobStatus.PROCESSING and kept.error_hint == msg.SERVER_KEY_CHANGED_HINT
    assert jobs.keys_sent() == {f"Bearer {jobs.settings.api_key}"}  # never polled with another key


def test_stop_lets_a_create_in_flight_get_its_answer(jobs: SimJobs):
    jobs.sim.set_behaviour(estimated_time=LONG)
    jobs.sim.inject("create", status=200, delay=0.5)  # a normal answer, half a second late
    m = jobs.manager()
    rec = m.submit(REQ, "alice")
    assert rec.status == JobStatus.SUBMITTING
    m.stop(grace=5)
    stopped = m.store.get(rec.id)
    assert stopped.task_id  # the answer was recorded: the outcome is not "unknown"
    assert stopped.status in (JobStatus.PENDING, JobStatus.PROCESSING)
    m2 = jobs.manager()
    assert m2.wait(rec.id, DONE).status == JobStatus.COMPLETED
    assert jobs.sim.create_count == 1 and _statuses(jobs, "POST", CREATE_PATH) == [200]


def test_stop_puts_an_admitted_but_unsent_job_back_in_the_queue(jobs: SimJobs):
    m = jobs.manager()
    rec = add_unsent_job(m.store, "alice", REQ, KEY_SERVER)
    assert admit_then_stop(m, rec.id, "alice") == JobStatus.SUBMITTING
    assert m.store.get(rec.id).status == JobStatus.QUEUED  # not "outcome unknown": nothing was sent
    assert jobs.sim.create_count == 0 and _statuses(jobs, "POST", CREATE_PATH) == []
    m2 = jobs.manager()
    assert m2.wait(rec.id, DONE).status == JobStatus.COMPLETED
    assert jobs.sim.create_count == 1
