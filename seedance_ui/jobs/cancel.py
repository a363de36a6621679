"""Cancelling a job: locally while it is queued, through the API while the provider allows it.

It works through `CancelHost`, the few things the job manager offers for it; it never touches the
manager's runners or tasks itself.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from seedance_ui.client.task import Task
from seedance_ui.jobs import messages as msg
from seedance_ui.store import HistoryStore, JobStatus

if TYPE_CHECKING:
    from seedance_ui.client.api import SeedanceClient

log = logging.getLogger("seedance_ui.jobs")


class CancelHost(Protocol):
    """What cancelling needs from the job manager (all called on the manager's loop)."""

    store: HistoryStore

    def finish(self, job_id: str, status: JobStatus, **fields: Any) -> None: ...
    def client_for(self, job_id: str) -> SeedanceClient | None: ...
    def last_snapshot(self, job_id: str) -> Task | None: ...
    async def stop_following(self, job_id: str) -> None: ...
    def follow(self, job_id: str, first: Task | None = None) -> None: ...


async def cancel_job(manager: CancelHost, job_id: str, owner: str) -> str:
    """Cancel the owner's job if still possible (on the jobs loop); returns the answer for the user.

    A queued job is cancelled with no API call. A failed or refused cancel leaves the job tracked.
    """
    rec = manager.store.get(job_id, owner)
    if rec is None:
        return msg.CANCEL_NOT_FOUND
    if rec.terminal:
        return msg.cancel_already_ended(rec.status.label)
    if rec.status in (JobStatus.QUEUED, JobStatus.UPLOADING):
        if rec.status == JobStatus.UPLOADING:  # its runner is uploading: stopped before any create
            await manager.stop_following(job_id)
        manager.finish(job_id, JobStatus.CANCELLED, error_message=msg.CANCEL_QUEUED)
        return msg.CANCEL_QUEUED
    if rec.status == JobStatus.SUBMITTING or not rec.task_id:
        return msg.CANCEL_SUBMITTING
    if rec.status == JobStatus.DOWNLOADING:
        return msg.CANCEL_DOWNLOADING
    last = manager.last_snapshot(job_id)
    if last is not None and last.can_cancel is False:
        return msg.CANCEL_TOO_LATE
    client = manager.client_for(job_id)
    if client is None:
        return msg.CANCEL_NO_KEY
    try:
        accepted = await client.cancel(rec.task_id)
    except Exception as exc:
        log.warning("job %s: cancel failed: %r", job_id, exc)
        return msg.CANCEL_FAILED.format(error=str(exc) or type(exc).__name__)
    if not accepted:
        return msg.CANCEL_TOO_LATE
    return await _confirm(manager, job_id, rec.task_id, client)


async def _confirm(manager: CancelHost, job_id: str, task_id: str, client: SeedanceClient) -> str:
    """The provider accepted the cancel: stop following, read the task once, act on what it says."""
    rec = manager.store.get(job_id)
    if rec is None or rec.status not in (JobStatus.PENDING, JobStatus.PROCESSING):
        cancelled = rec is not None and rec.status == JobStatus.CANCELLED
        return msg.CANCEL_DONE if cancelled else msg.CANCEL_REQUESTED
    await manager.stop_following(job_id)
    snapshot: Task | None
    try:
        snapshot = await client.get(task_id)
    except Exception as exc:
        log.warning("job %s: could not confirm the cancel: %r", job_id, exc)
        snapshot = None
    if snapshot is not None and snapshot.was_cancelled:
        manager.finish(job_id, JobStatus.CANCELLED, error_code=snapshot.error_code,
                       error_message=snapshot.error_message)
        return msg.CANCEL_DONE
    manager.follow(job_id, snapshot)  # keep following: it ends as the provider says
    return msg.CANCEL_REQUESTED
