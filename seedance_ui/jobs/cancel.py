"""Cancelling a job: locally while it is queued, through the API while the provider allows it."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from seedance_ui.client.task import Task
from seedance_ui.jobs import messages as msg
from seedance_ui.jobs.pipeline import Phase
from seedance_ui.store import JobStatus

if TYPE_CHECKING:
    from seedance_ui.client.api import SeedanceClient
    from seedance_ui.jobs.manager import JobManager

log = logging.getLogger("seedance_ui.jobs")


async def cancel_job(manager: JobManager, job_id: str, owner: str) -> str:
    """Cancel the owner's job if still possible (on the jobs loop); returns the answer for the user.

    A queued job is cancelled with no API call. A failed or refused cancel leaves the job tracked.
    """
    rec = manager.store.get(job_id, owner)
    if rec is None:
        return msg.CANCEL_NOT_FOUND
    if rec.terminal:
        return msg.cancel_already_ended(rec.status.label)
    if rec.status == JobStatus.QUEUED:
        manager.finish(job_id, JobStatus.CANCELLED, error_message=msg.CANCEL_QUEUED)
        return msg.CANCEL_QUEUED
    if rec.status == JobStatus.SUBMITTING or not rec.task_id:
        return msg.CANCEL_SUBMITTING
    if rec.status == JobStatus.DOWNLOADING:
        return msg.CANCEL_DOWNLOADING
    runner = manager.runner(job_id)
    if runner is not None and runner.last_task is not None and runner.last_task.can_cancel is False:
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


async def _confirm(manager: JobManager, job_id: str, task_id: str, client: SeedanceClient) -> str:
    """The provider accepted the cancel: stop following, read the task once, act on what it says."""
    rec = manager.store.get(job_id)
    if rec is None or rec.status not in (JobStatus.PENDING, JobStatus.PROCESSING):
        cancelled = rec is not None and rec.status == JobStatus.CANCELLED
        return msg.CANCEL_DONE if cancelled else msg.CANCEL_REQUESTED
    task = manager.runner_task(job_id)
    if task is not None:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
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
    manager.launch(job_id, Phase.FOLLOW, snapshot)  # keep following: it ends as the provider says
    return msg.CANCEL_REQUESTED
