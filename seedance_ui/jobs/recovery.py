"""Restart recovery: what to do with each job that was not terminal when the server stopped."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from seedance_ui.store import JobRecord, JobStatus


class Action(StrEnum):
    """The one thing recovery does with an unfinished job."""

    ENQUEUE = "enqueue"  # QUEUED or UPLOADING: never sent, so it is safe to queue it again
    MARK_UNKNOWN = "mark_unknown"  # SUBMITTING: the create may or may not have happened
    FOLLOW = "follow"  # at the provider: poll it
    DOWNLOAD = "download"  # completed at the provider, not saved yet
    EXPIRE = "expire"  # completed longer ago than the link lives, and not saved
    WAIT_FOR_KEY = "wait_for_key"  # at the provider, but the visitor's key is gone: keep it tracked
    DROP_QUEUED = "drop_queued"  # QUEUED, but the visitor's key is gone: nothing was sent


def plan(record: JobRecord, *, key_available: bool, video_on_disk: bool, now: float,
         url_lifetime: float) -> Action:
    """Decide recovery for `record`; never a resubmission of anything that may have been sent."""
    status = record.status
    if status in (JobStatus.QUEUED, JobStatus.UPLOADING):  # the create was never sent
        return Action.ENQUEUE if key_available else Action.DROP_QUEUED
    if status == JobStatus.SUBMITTING or not record.task_id:
        return Action.MARK_UNKNOWN
    if status == JobStatus.DOWNLOADING:
        if video_on_disk:
            return Action.DOWNLOAD  # saved just before the stop: only the record needs finishing
        if record.completed_at is not None and now - record.completed_at > url_lifetime:
            return Action.EXPIRE
        if record.video_url:
            return Action.DOWNLOAD
    if not key_available:
        return Action.WAIT_FOR_KEY
    return Action.FOLLOW


def video_on_disk(path: Path) -> bool:
    """A finished download exists (downloads are atomic, so any file there is complete)."""
    try:
        return path.is_file() and path.stat().st_size > 0
    except OSError:
        return False
