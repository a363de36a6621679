"""Cancelling through its narrow interface (`CancelHost`): each answer, and what it asked of the host
and of the provider. A real history store; a host and a provider that record their calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seedance_ui.client import ServerError, Task, TaskStatus
from seedance_ui.jobs import messages as msg
from seedance_ui.jobs.cancel import CancelHost, cancel_job
from seedance_ui.store import HistoryStore, JobRecord, JobStatus

RUNNING = Task(id="task-1", status=TaskStatus.PROCESSING, progress=40, can_cancel=True)
CANCELLED = Task(id="task-1", status=TaskStatus.FAILED, error_code="request_cancelled")


class Provider:
    """The client's cancel and get, scripted."""

    def __init__(self, accepted: bool | Exception = True, after: Task | Exception = CANCELLED) -> None:
        self.accepted = accepted
        self.after = after
        self.calls: list[str] = []

    async def cancel(self, task_id: str) -> bool:
        self.calls.append(f"cancel {task_id}")
        if isinstance(self.accepted, Exception):
            raise self.accepted
        return self.accepted

    async def get(self, task_id: str) -> Task:
        self.calls.append(f"get {task_id}")
        if isinstance(self.after, Exception):
            raise self.after
        return self.after


class Host:
    """A CancelHost over a real store; records what cancelling asked of it."""

    def __init__(self, store: HistoryStore, provider: Provider | None, last: Task | None = RUNNING) -> None:
        self.store = store
        self.provider = provider
        self.last = last
        self.calls: list[tuple[Any, ...]] = []

    def finish(self, job_id: str, status: JobStatus, **fields: Any) -> None:
        self.calls.append(("finish", status))
        self.store.update(job_id, status=status, **fields)

    def client_for(self, job_id: str) -> Any:
        return self.provider

    def last_snapshot(self, job_id: str) -> Task | None:
        return self.last

    async def stop_following(self, job_id: str) -> None:
        self.calls.append(("stop_following",))

    def follow(self, job_id: str, first: Task | None = None) -> None:
        self.calls.append(("follow", first))


@pytest.fixture
def store(tmp_path: Path):
    s = HistoryStore(tmp_path / "data")
    yield s
    s.close()


def _job(store: HistoryStore, status: JobStatus, task_id: str | None = "task-1") -> JobRecord:
    rec = JobRecord.new("alice", {"prompt": "x"}, status=status, task_id=task_id)
    store.add(rec)
    return rec


async def _cancel(host: CancelHost, rec: JobRecord, owner: str = "alice") -> str:
    return await cancel_job(host, rec.id, owner)


async def test_a_running_job_is_cancelled_once_the_provider_confirms(store: HistoryStore):
    host = Host(store, Provider())
    rec = _job(store, JobStatus.PROCESSING)
    assert await _cancel(host, rec) == msg.CANCEL_DONE
    assert host.provider.calls == ["cancel task-1", "get task-1"]
    assert host.calls == [("stop_following",), ("finish", JobStatus.CANCELLED)]  # stopped before reading
    assert store.get(rec.id).status == JobStatus.CANCELLED


async def test_an_accepted_cancel_not_yet_confirmed_keeps_following_from_the_snapshot(store: HistoryStore):
    host = Host(store, Provider(after=RUNNING))
    rec = _job(store, JobStatus.PROCESSING)
    assert await _cancel(host, rec) == msg.CANCEL_REQUESTED
    assert host.calls == [("stop_following",), ("follow", RUNNING)]
    host = Host(store, Provider(after=ServerError("down")))
    assert await _cancel(host, rec) == msg.CANCEL_REQUESTED
    assert host.calls == [("stop_following",), ("follow", None)]
    assert store.get(rec.id).status == JobStatus.PROCESSING


@pytest.mark.parametrize(
    ("status", "task_id", "answer"),
    [
        (JobStatus.SUBMITTING, None, msg.CANCEL_SUBMITTING),
        (JobStatus.PENDING, None, msg.CANCEL_SUBMITTING),
        (JobStatus.DOWNLOADING, "task-1", msg.CANCEL_DOWNLOADING),
        (JobStatus.COMPLETED, "task-1", msg.cancel_already_ended(JobStatus.COMPLETED.label)),
    ],
)
async def test_answers_without_asking_the_provider(store: HistoryStore, status, task_id, answer):
    host = Host(store, Provider())
    rec = _job(store, status, task_id)
    assert await _cancel(host, rec) == answer
    assert host.provider.calls == [] and host.calls == []
    assert store.get(rec.id).status == status


async def test_a_queued_job_is_cancelled_locally(store: HistoryStore):
    host = Host(store, Provider())
    rec = _job(store, JobStatus.QUEUED, None)
    assert await _cancel(host, rec) == msg.CANCEL_QUEUED
    assert host.provider.calls == [] and host.calls == [("finish", JobStatus.CANCELLED)]


async def test_too_late_no_key_refused_failed_and_someone_elses(store: HistoryStore):
    rec = _job(store, JobStatus.PROCESSING)
    late = Host(store, Provider(), last=Task(id="task-1", status=TaskStatus.PROCESSING, can_cancel=False))
    assert await _cancel(late, rec) == msg.CANCEL_TOO_LATE and late.provider.calls == []
    assert await _cancel(Host(store, None), rec) == msg.CANCEL_NO_KEY
    refused = Host(store, Provider(accepted=False))
    assert await _cancel(refused, rec) == msg.CANCEL_TOO_LATE and refused.calls == []
    broken = Host(store, Provider(accepted=ServerError("cancel endpoint broke")))
    assert await _cancel(broken, rec) == msg.CANCEL_FAILED.format(error="cancel endpoint broke")
    stranger = Host(store, Provider())
    assert await _cancel(stranger, rec, owner="mallory") == msg.CANCEL_NOT_FOUND
    assert stranger.provider.calls == []
    assert store.get(rec.id).status == JobStatus.PROCESSING
