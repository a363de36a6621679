"""The job manager against the contract simulator over loopback HTTP."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from job_helpers import SIM_REQ, SimJobs, finishes_without_suspending, wait_for

from seedance_ui.jobs import JobManager
from seedance_ui.jobs import messages as msg
from seedance_ui.options import CREATE_PATH, TASK_PATH
from seedance_ui.simulator import Simulator
from seedance_ui.store import JobStatus

REQ = SIM_REQ
ACTIVE = {JobStatus.SUBMITTING, JobStatus.PENDING, JobStatus.PROCESSING}


@pytest.fixture
def jobs(tmp_path: Path) -> Iterator[SimJobs]:
    made = SimJobs(tmp_path / "data")
    yield made
    made.close()


@pytest.fixture
def sim(jobs: SimJobs) -> Simulator:
    return jobs.sim


@pytest.fixture
def make_manager(jobs: SimJobs):
    return jobs.manager


def test_a_submitted_job_completes_with_no_watcher(sim: Simulator, make_manager):
    m = make_manager()
    rec = m.submit(REQ, "alice")
    done = m.wait(rec.id, timeout=20)
    assert done.status == JobStatus.COMPLETED, done
    video = m.store.video_file(done)
    assert video is not None and video.read_bytes()[4:8] == b"ftyp"
    assert m.store.poster_file(done) is not None
    assert (done.width, done.height) == (854, 480) and done.has_audio is False
    assert done.video_duration == pytest.approx(4, abs=0.5)
    assert done.credits_reserved == pytest.approx(4 * 4.1254)
    assert sim.create_count == 1


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ({"status": 500}, "HTTP 500"),
        ({"status": 502, "create_task": True}, "HTTP 502"),
        ({"status": 200, "delay": 1.0, "create_task": True}, "no answer came"),  # timeout after sending
    ],
    ids=["500", "502-created", "timeout-after-send"],
)
def test_create_with_an_unknown_outcome_sends_exactly_one_create(sim: Simulator, make_manager, fault, reason):
    sim.inject("create", **fault)
    m = make_manager(request_timeout=0.5)
    done = m.wait(m.submit(REQ, "alice").id, timeout=20)
    assert done.status == JobStatus.UNKNOWN_OUTCOME
    assert reason in done.error_message and done.error_hint == msg.UNKNOWN_OUTCOME_HINT
    assert done.task_id is None
    wait_for(lambda: sim.count("POST", CREATE_PATH), timeout=5)  # logged once answered (late)
    # A later job of the same manager goes through: anything the first one might still have sent would
    # have come before its create.
    assert m.wait(m.submit(REQ, "alice").id, timeout=20).status == JobStatus.COMPLETED
    assert sim.count("POST", CREATE_PATH) == 2  # exactly one create each: the first never resubmitted
    assert sim.create_count == (2 if fault.get("create_task") else 1)


def test_a_provider_failure_is_shown_with_its_message(sim: Simulator, make_manager):
    m = make_manager()
    req = replace(REQ, prompt=REQ.prompt + " [sim:fail=content_policy_violation]")
    done = m.wait(m.submit(req, "alice").id, timeout=20)
    assert done.status == JobStatus.FAILED and done.error_code == "content_policy_violation"
    assert done.error_message and "rephrase" in done.error_hint


def test_cancel_against_the_simulator(sim: Simulator, make_manager):
    m = make_manager()
    slow = replace(REQ, prompt=REQ.prompt + " [sim:slow]")
    rec = m.submit(slow, "alice")
    deadline = time.monotonic() + 10
    while m.get(rec.id, "alice").task_id is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert m.cancel(rec.id, "alice") == msg.CANCEL_DONE
    assert m.get(rec.id, "alice").status == JobStatus.CANCELLED
    assert sim.in_flight() == 0


def test_expired_video_link(sim: Simulator, make_manager):
    sim.set_behaviour(video_expired=True)
    m = make_manager()
    done = m.wait(m.submit(REQ, "alice").id, timeout=20)
    assert done.status == JobStatus.EXPIRED and done.error_message == msg.EXPIRED_MESSAGE


def test_hundred_jobs_ten_owners_caps_hold_and_none_is_lost(sim: Simulator, make_manager):
    total_cap, owner_cap = 6, 2
    m = make_manager(max_jobs_in_flight=total_cap, max_jobs_per_owner=owner_cap)
    owners = [f"owner-{i}" for i in range(10)]
    peak_total = peak_owner = 0
    positions_seen: set[int] = set()
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_total, peak_owner
        while not stop.is_set():
            peak_total = max(peak_total, sim.in_flight())
            for owner in owners:
                records = m.list(owner)
                peak_owner = max(peak_owner, sum(r.status in ACTIVE for r in records))
                positions_seen.update(r.queue_position for r in records if r.queue_position)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    jobs = [m.submit(REQ, owners[i % 10]) for i in range(100)]
    try:
        finished = [m.wait(j.id, timeout=60) for j in jobs]
    finally:
        stop.set()
        sampler.join(5)
    assert Counter(r.status for r in finished) == {JobStatus.COMPLETED: 100}
    assert len({r.video_path for r in finished}) == 100
    assert all((m.store.data_dir / r.video_path).is_file() for r in finished)
    assert sim.create_count == 100 and sim.count("POST", CREATE_PATH) == 100
    assert sim.max_in_flight <= total_cap and peak_total <= total_cap
    assert peak_owner <= owner_cap
    assert max(positions_seen) > 50  # the queue was long, and its positions were visible
    assert sim.max_in_flight >= total_cap - 1  # and the slots were actually used
    assert m.counts() == {"in_flight": 0, "queued": 0}


def test_a_webhook_completes_its_job_sooner_than_polling(sim: Simulator, make_manager):
    # Webhooks on: the fallback poll runs at 4 x 60 s base with the simulator's 50 s estimate, so its
    # first poll would come 50 s after the create: within the test only the webhook can end the job.
    m = make_manager(public_url="https://studio.example.com", poll_interval=60.0)
    rec = m.submit(REQ, "alice")
    token = m.callback_url_for(rec.id).rsplit("/", 1)[1]
    task_id = wait_for(lambda: m.get(rec.id, "alice").task_id, timeout=5)
    get_path = f"/v1/tasks/{task_id}"

    asyncio.run(m.handle_webhook("forged-" + token, {"id": task_id, "status": "completed"}))
    wait_for(lambda: sim.task_completed_at(task_id), timeout=5)
    assert sim.count("GET", get_path) == 0  # the forged delivery was ignored

    payload = {"id": task_id, "status": "completed"}

    # Answered at once: the handler returns without ever waiting (its coroutine never suspends).
    assert finishes_without_suspending(m.handle_webhook(token, payload))
    done = m.wait(rec.id, timeout=30)
    assert done.status == JobStatus.COMPLETED
    assert sim.count("GET", get_path) == 1  # confirmed with one GET before acting (and no poll came)
    for _ in range(3):  # the provider retries: harmless
        asyncio.run(m.handle_webhook(token, payload))
    # A later job, ended by its own webhook, is done: the retries, handed to the manager's loop before
    # its webhook, have been handled (anything they started would have come first).
    later = m.submit(REQ, "alice")
    later_task = wait_for(lambda: m.get(later.id, "alice").task_id, timeout=5)
    wait_for(lambda: sim.task_completed_at(later_task), timeout=5)
    asyncio.run(m.handle_webhook(m.callback_url_for(later.id).rsplit("/", 1)[1], {"id": later_task}))
    assert m.wait(later.id, timeout=30).status == JobStatus.COMPLETED
    assert sim.count("GET", get_path) == 1 and sim.count("GET", f"/_sim/videos/{task_id}") == 1
    assert m.get(rec.id, "alice").status == JobStatus.COMPLETED


# -- following: the client's snapshot iterator with the job's rules for failed polls -----------------
# A failed poll (HTTP 500: the client does not retry it itself) is retried without limit and shown as
# "still trying" from the third in a row, then taken back; a 404 ends the job as task_not_found;
# polls that keep failing past the video link's lifetime expire the job.
TASK_PREFIX = TASK_PATH.split("{")[0]


async def _hints(m: JobManager, job_id: str) -> list[str | None]:
    return [r.error_hint async for r in m.watch(job_id, "alice", timeout=30)]


def test_failed_polls_are_retried_shown_as_still_trying_then_cleared(sim: Simulator, make_manager):
    sim.inject("get", status=500, times=6)  # more than the client's own limit of 5 in a row
    m = make_manager()
    rec = m.submit(REQ, "alice")
    hints = asyncio.run(_hints(m, rec.id))
    assert msg.POLL_TROUBLE_HINT in hints  # from the third failed poll in a row
    done = m.wait(rec.id, timeout=30)
    assert done.status == JobStatus.COMPLETED and done.error_hint is None  # taken back once polls work
    assert sim.count("GET", TASK_PREFIX) >= 7 and sim.count("POST", CREATE_PATH) == 1


def test_a_task_the_provider_does_not_know_fails_as_task_not_found(sim: Simulator, make_manager):
    sim.inject("get", status=404)
    m = make_manager()
    done = m.wait(m.submit(REQ, "alice").id, timeout=30)
    assert done.status == JobStatus.FAILED and done.error_code == "task_not_found"
    assert done.error_message == msg.NOT_FOUND_MESSAGE and done.error_hint == msg.NOT_FOUND_HINT
    assert sim.count("GET", TASK_PREFIX) == 1 and sim.count("POST", CREATE_PATH) == 1


def test_polls_failing_past_the_link_lifetime_expire_the_job(sim: Simulator, make_manager):
    sim.inject("get", status=500, times=1000)
    m = make_manager(url_lifetime=0.0)  # any failed poll is already past the lifetime
    done = m.wait(m.submit(REQ, "alice").id, timeout=30)
    assert done.status == JobStatus.EXPIRED and done.error_code == "provider_unreachable"
    assert done.error_message == msg.UNREACHABLE_EXPIRED_MESSAGE and done.error_hint == msg.EXPIRED_HINT
    assert sim.count("GET", TASK_PREFIX) == 1 and sim.count("POST", CREATE_PATH) == 1
