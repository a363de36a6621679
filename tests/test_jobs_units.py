"""Unit tests of the job manager's small parts: caps, change hub, recovery plan, meta, webhooks."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from pathlib import Path

import pytest

from seedance_ui.jobs.hub import ChangeHub
from seedance_ui.jobs.limits import Scheduler
from seedance_ui.jobs.meta import KEY_SERVER, KEY_VISITOR, MetaStore
from seedance_ui.jobs.recovery import Action, plan, video_on_disk
from seedance_ui.jobs.webhooks import TokenRegistry, callback_url, new_token, webhooks_enabled
from seedance_ui.store import JobRecord, JobStatus

DAY = 24 * 3600.0


# -- Scheduler ---------------------------------------------------------------------------------------
def test_scheduler_respects_both_caps_in_fifo_order():
    s = Scheduler(max_total=3, max_per_owner=2)
    for i, owner in enumerate("aaabbc"):
        s.enqueue(f"j{i}", owner)
    assert s.admit() == ["j0", "j1", "j3"]  # a's third waits (per-owner cap), b gets a slot
    assert s.positions() == {"j2": 1, "j4": 2, "j5": 3}
    assert s.admit() == []
    assert s.release("j0") and not s.release("j0")  # releasing twice is harmless
    assert s.admit() == ["j2"]  # the oldest eligible job
    assert s.positions() == {"j4": 1, "j5": 2}


def test_scheduler_skips_an_owner_at_cap_without_blocking_others():
    s = Scheduler(max_total=5, max_per_owner=1)
    for i in range(4):
        s.enqueue(f"a{i}", "a")
    s.enqueue("b0", "b")
    assert s.admit() == ["a0", "b0"]
    assert s.active_for("a") == 1 and s.active_count == 2


def test_scheduler_occupy_counts_recovered_jobs_even_over_the_caps():
    s = Scheduler(max_total=1, max_per_owner=1)
    s.occupy("old1", "a")
    s.occupy("old2", "a")
    s.enqueue("new", "b")
    assert s.admit() == []
    s.release("old1")
    assert s.admit() == []
    s.release("old2")
    assert s.admit() == ["new"]


def test_scheduler_remove_and_random_workload_never_exceeds_caps():
    rng = random.Random(7)
    s = Scheduler(max_total=4, max_per_owner=2)
    pending = [(f"j{i}", f"o{rng.randrange(5)}") for i in range(200)]
    for job, owner in pending:
        s.enqueue(job, owner)
    assert s.remove("j199") and not s.remove("j199")
    active: set[str] = set()
    done = 0
    while s.queued_count or active:
        active.update(s.admit())
        assert len(active) <= 4
        owners = [o for j, o in pending if j in active]
        assert all(owners.count(o) <= 2 for o in owners)
        finished = rng.choice(sorted(active))
        active.discard(finished)
        s.release(finished)
        done += 1
    assert done == 199


def test_scheduler_rejects_zero_caps():
    with pytest.raises(ValueError):
        Scheduler(0, 1)


# -- ChangeHub ---------------------------------------------------------------------------------------
def test_hub_wakes_a_thread_and_another_loop():
    # Both waits have no timeout: only notify() can end them, so finishing at all is the proof
    # (the join limit only turns a missed wake-up into a failure instead of a hang).
    hub = ChangeHub()
    seen = hub.version("j")

    async def waiter() -> int:
        return await hub.wait_async("j", seen, timeout=None)

    result: list[int] = []
    t = threading.Thread(target=lambda: result.append(asyncio.run(waiter())), daemon=True)
    t.start()
    for _ in range(3000):  # the other loop's waiter is in place before the notify
        if "j" in hub._waiters:
            break
        time.sleep(0.01)
    assert "j" in hub._waiters
    notifier = threading.Timer(0.05, hub.notify, args=("j",))
    notifier.start()
    assert hub.wait_sync("j", seen, timeout=None) == seen + 1
    t.join(30)
    assert not t.is_alive(), "the waiter in the other loop was never woken"
    assert result == [seen + 1]


def test_hub_wait_times_out_without_change():
    hub = ChangeHub()
    assert hub.wait_sync("j", 0, timeout=0.05) == 0
    assert asyncio.run(hub.wait_async("j", 0, timeout=0.05)) == 0
    assert hub._waiters == {}  # no waiter leaks after a timeout


# -- recovery plan -----------------------------------------------------------------------------------
def _rec(status: JobStatus, **kw) -> JobRecord:
    return JobRecord.new("alice", {"prompt": "x"}, status=status, **kw)


@pytest.mark.parametrize(
    ("status", "kw", "key", "on_disk", "expected"),
    [
        (JobStatus.QUEUED, {}, True, False, Action.ENQUEUE),
        (JobStatus.QUEUED, {}, False, False, Action.DROP_QUEUED),
        (JobStatus.SUBMITTING, {}, True, False, Action.MARK_UNKNOWN),
        (JobStatus.SUBMITTING, {"task_id": "t"}, True, False, Action.MARK_UNKNOWN),
        (JobStatus.PENDING, {}, True, False, Action.MARK_UNKNOWN),  # no task id: never resubmit
        (JobStatus.PENDING, {"task_id": "t"}, True, False, Action.FOLLOW),
        (JobStatus.PROCESSING, {"task_id": "t"}, True, False, Action.FOLLOW),
        (JobStatus.PROCESSING, {"task_id": "t"}, False, False, Action.WAIT_FOR_KEY),
        (JobStatus.DOWNLOADING, {"task_id": "t", "video_url": "u"}, False, False, Action.DOWNLOAD),
        (JobStatus.DOWNLOADING, {"task_id": "t"}, True, True, Action.DOWNLOAD),
        (JobStatus.DOWNLOADING, {"task_id": "t"}, True, False, Action.FOLLOW),
        (JobStatus.DOWNLOADING, {"task_id": "t", "video_url": "u", "completed_at": 0.0}, True, False,
         Action.EXPIRE),
        (JobStatus.DOWNLOADING, {"task_id": "t", "video_url": "u", "completed_at": 0.0}, True, True,
         Action.DOWNLOAD),
    ],
)
def test_recovery_plan(status, kw, key, on_disk, expected):
    now = 10 * DAY
    if "completed_at" not in kw and status == JobStatus.DOWNLOADING:
        kw["completed_at"] = now - 60
    rec = _rec(status, **kw)
    assert plan(rec, key_available=key, video_on_disk=on_disk, now=now, url_lifetime=DAY) is expected


def test_video_on_disk(tmp_path: Path):
    path = tmp_path / "v.mp4"
    assert not video_on_disk(path)
    path.write_bytes(b"")
    assert not video_on_disk(path)
    path.write_bytes(b"x")
    assert video_on_disk(path)


# -- meta store and webhooks -------------------------------------------------------------------------
def test_meta_store_round_trip_and_tokens(tmp_path: Path):
    meta = MetaStore(tmp_path)
    meta.add("a" * 32, KEY_SERVER, "tok-a")
    meta.add("b" * 32, KEY_VISITOR, None)
    assert meta.get("a" * 32).key_source == KEY_SERVER
    assert meta.tokens() == {"tok-a": "a" * 32}
    meta.drop_token("a" * 32)
    assert meta.tokens() == {}
    meta.close()
    again = MetaStore(tmp_path)
    assert again.get("b" * 32).key_source == KEY_VISITOR
    assert again.get("c" * 32) is None
    with pytest.raises(ValueError):
        again.add("c" * 32, "someone-elses", None)
    again.close()
    assert "sk-" not in (tmp_path / "studio.sqlite3").read_bytes().decode("latin-1")


def test_webhooks_enabled_only_for_public_https_urls():
    assert webhooks_enabled("https://studio.example.com")
    assert webhooks_enabled("https://studio.example.com/base/")
    assert not webhooks_enabled("")
    assert not webhooks_enabled("http://studio.example.com")
    assert not webhooks_enabled("https://127.0.0.1:7860")
    assert not webhooks_enabled("https://localhost")
    token = new_token()
    assert len(token) >= 32 and token != new_token()
    assert callback_url("https://x.example/", token) == f"https://x.example/webhooks/seedance/{token}"


def test_token_registry():
    reg = TokenRegistry()
    reg.add("t1", "job1")
    assert reg.job_for("t1") == "job1" and reg.token_for("job1") == "t1"
    assert reg.job_for("forged") is None and reg.job_for(None) is None  # type: ignore[arg-type]
    reg.drop("job1")
    assert reg.job_for("t1") is None
