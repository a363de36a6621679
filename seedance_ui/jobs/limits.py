"""Admission control: a FIFO queue with a global cap and a per-owner cap on the jobs this process has
in flight at the provider. (The per-visitor cap on unfinished jobs is counted in the database, for the
whole deployment: see jobs/budget.py's SubmissionGuard.)"""

from __future__ import annotations

from collections import Counter


class Scheduler:
    """Decides which queued jobs may go to the provider; used from one thread (the jobs loop) only.

    A job is "active" from admission until its provider task is over (it starts downloading or ends).
    Waiting jobs keep their FIFO order; a job whose owner is at the per-owner cap is skipped, not
    blocking, so one visitor's backlog never holds up another's.
    """

    def __init__(self, max_total: int, max_per_owner: int) -> None:
        if max_total < 1 or max_per_owner < 1:
            raise ValueError("caps must be at least 1")
        self.max_total = max_total
        self.max_per_owner = max_per_owner
        self._queue: dict[str, str] = {}  # job_id -> owner, insertion (FIFO) order
        self._active: dict[str, str] = {}  # job_id -> owner
        self._per_owner: Counter[str] = Counter()

    # -- state ---------------------------------------------------------------------------------------
    @property
    def active_count(self) -> int:
        return len(self._active)

    @property
    def queued_count(self) -> int:
        return len(self._queue)

    def active_for(self, owner: str) -> int:
        return self._per_owner[owner]

    def is_queued(self, job_id: str) -> bool:
        return job_id in self._queue

    def is_active(self, job_id: str) -> bool:
        return job_id in self._active

    def positions(self) -> dict[str, int]:
        """1-based place in the waiting line of every queued job."""
        return {job_id: i for i, job_id in enumerate(self._queue, start=1)}

    # -- changes -------------------------------------------------------------------------------------
    def enqueue(self, job_id: str, owner: str) -> None:
        """Put a job at the end of the waiting line."""
        if job_id in self._active or job_id in self._queue:
            return
        self._queue[job_id] = owner

    def occupy(self, job_id: str, owner: str) -> None:
        """Count a job that is already at the provider (restart recovery), whatever the caps say."""
        self._queue.pop(job_id, None)
        if job_id not in self._active:
            self._active[job_id] = owner
            self._per_owner[owner] += 1

    def remove(self, job_id: str) -> bool:
        """Take a job out of the waiting line; False if it was not waiting."""
        return self._queue.pop(job_id, None) is not None

    def release(self, job_id: str) -> bool:
        """Free an active job's slot; False if it held none (so calling twice is harmless)."""
        owner = self._active.pop(job_id, None)
        if owner is None:
            return False
        self._per_owner[owner] -= 1
        if self._per_owner[owner] <= 0:
            del self._per_owner[owner]
        return True

    def admit(self) -> list[str]:
        """Move every job that may start now from the queue to active, oldest first; return them."""
        started: list[str] = []
        for job_id, owner in list(self._queue.items()):
            if len(self._active) >= self.max_total:
                break
            if self._per_owner[owner] >= self.max_per_owner:
                continue
            del self._queue[job_id]
            self._active[job_id] = owner
            self._per_owner[owner] += 1
            started.append(job_id)
        return started

