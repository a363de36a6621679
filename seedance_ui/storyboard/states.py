"""Where a shot stands, derived once from the job statuses of its takes (seedance_ui.store.JobStatus).

`ShotState` is what the tiles, the summary counts and the editor show; `Coverage` is the coarser answer
planning needs (does the shot still need a job?). Statuses may come as JobStatus members or their string
values (the exports and OwnerJobs pass values), or None for a job the history no longer has.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum, StrEnum
from typing import Any

from seedance_ui.store import JobStatus

# A take in one of these is on its way (not ended): derived from JobStatus, never listed by hand.
ACTIVE_JOB_STATUSES = frozenset(s for s in JobStatus if not s.terminal)
# Not at the provider yet.
WAITING_JOB_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.UPLOADING, JobStatus.SUBMITTING})


def job_status(status: Any) -> JobStatus | None:
    """A JobStatus from a member or its value; None for None or a word that is not a status."""
    if status is None or isinstance(status, JobStatus):
        return status
    try:
        return JobStatus(str(status.value if isinstance(status, Enum) else status))
    except ValueError:
        return None


def status_value(status: Any) -> str | None:
    """A job status as its plain string value (a member, a value or None)."""
    if status is None:
        return None
    return str(status.value if isinstance(status, Enum) else status)


class Coverage(StrEnum):
    """Whether a shot needs a new job: covered while done, running or of unknown outcome (possibly
    charged, so never planned again automatically), else missing."""

    DONE = "done"
    RUNNING = "running"
    UNKNOWN_OUTCOME = "unknown_outcome"
    MISSING = "missing"


class ShotState(StrEnum):
    """A shot as its tile shows it."""

    NEW = "new"  # no take yet
    WAITING = "waiting"  # a chained shot on the board's pending list: waits for the shot before it
    QUEUED = "queued"  # the newest take in flight waits locally
    RUNNING = "running"  # the newest take in flight is at the provider (or downloading)
    DONE = "done"  # a take completed
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # the latest take's outcome is unknown

    @classmethod
    def of(cls, statuses: Iterable[Any], *, chained_wait: bool = False) -> ShotState:
        """From the statuses of a shot's takes, oldest first (None: the job is gone from the history).
        `chained_wait`: the shot is on its board's pending chain (sent once the shot before it is done),
        so it is WAITING while none of its takes is in flight."""
        found = [job_status(s) for s in statuses]
        running = next((s for s in reversed(found) if s in ACTIVE_JOB_STATUSES), None)
        if running is not None:
            return cls.QUEUED if running in WAITING_JOB_STATUSES else cls.RUNNING
        if chained_wait:
            return cls.WAITING
        if not found:
            return cls.NEW
        if JobStatus.COMPLETED in found:
            return cls.DONE
        return _ENDED.get(found[-1], cls.FAILED)

    @property
    def ended_without_video(self) -> bool:
        """The latest take ended and the shot has no video: its tile shows why."""
        return self in (ShotState.FAILED, ShotState.CANCELLED, ShotState.EXPIRED, ShotState.UNKNOWN)

    @property
    def coverage(self) -> Coverage:
        return _COVERAGE[self]


_ENDED = {
    JobStatus.FAILED: ShotState.FAILED,
    JobStatus.CANCELLED: ShotState.CANCELLED,
    JobStatus.EXPIRED: ShotState.EXPIRED,
    JobStatus.UNKNOWN_OUTCOME: ShotState.UNKNOWN,
}
_COVERAGE = {
    ShotState.NEW: Coverage.MISSING,
    ShotState.WAITING: Coverage.RUNNING,
    ShotState.QUEUED: Coverage.RUNNING,
    ShotState.RUNNING: Coverage.RUNNING,
    ShotState.DONE: Coverage.DONE,
    ShotState.FAILED: Coverage.MISSING,
    ShotState.CANCELLED: Coverage.MISSING,
    ShotState.EXPIRED: Coverage.MISSING,
    ShotState.UNKNOWN: Coverage.UNKNOWN_OUTCOME,
}


def coverage(statuses: Iterable[Any]) -> Coverage:
    """A shot's coverage from its takes' statuses: a completed take counts first (done, even while a
    newer take renders)."""
    found = [job_status(s) for s in statuses]
    if JobStatus.COMPLETED in found:
        return Coverage.DONE
    return ShotState.of(found).coverage
