"""Admission control: a FIFO queue with a global cap and a per-owner cap on the jobs in flight at the
provider, for the whole deployment. (The per-visitor cap on unfinished jobs is counted in the database
too: see jobs/budget.py's SubmissionGuard.)

`Scheduler` keeps this process's waiting line (its order is each job's "place in line") and the jobs it
follows at the provider; `FlightSlots` is the deployment's count: one slot per job at the provider in the
store (`Database.take_slot`), counted and taken in one transaction that serialises every replica's takers,
so two replicas never put more than the cap at the provider together. A slot belongs to the JOB: a job
another replica takes over keeps its slot until its provider task is over, and a job that ends on any
replica frees its slot (the store sweeps slots of jobs over or gone at every take).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from itertools import takewhile

from seedance_ui.store.interface import Database
from seedance_ui.store.records import SLOTS_FULL

log = logging.getLogger("seedance_ui.jobs")


class FlightSlots:
    """This process's way to the deployment's slots: `holder` is its replica id. A database out of reach
    admits nothing (the next pump asks again) and is logged; it never raises into the jobs loop."""

    def __init__(self, db: Database, holder: str, max_total: int, max_per_owner: int) -> None:
        self.db = db
        self.holder = holder
        self.max_total = max_total
        self.max_per_owner = max_per_owner

    def take(self, job_id: str, owner: str) -> str | None:
        """A slot for the job under the caps: None when taken, else the cap that refused (records)."""
        try:
            return self.db.take_slot(job_id, owner, self.holder, self.max_total, self.max_per_owner)
        except Exception:
            log.warning("job %s: cannot take a slot in the database; it waits", job_id, exc_info=True)
            return SLOTS_FULL

    def keep(self, job_id: str, owner: str) -> None:
        """Count a job already at the provider (recovered, taken over), whatever the caps say."""
        try:
            self.db.take_slot(job_id, owner, self.holder, 0, 0)
        except Exception:
            log.warning("job %s: cannot record its slot in the database", job_id, exc_info=True)

    def release(self, job_id: str) -> None:
        """The job's provider task is over, or it went back to the queue."""
        try:
            self.db.release_slot(job_id)
        except Exception:  # the store's sweep frees it once the job is over
            log.warning("job %s: cannot release its slot in the database", job_id, exc_info=True)


class Scheduler:
    """Decides which queued jobs may go to the provider; used from one thread (the jobs loop) only.

    A job is "active" from admission until its provider task is over (it starts downloading or ends).
    Waiting jobs are in the order they were made (FIFO; `created_at` of the record, as the deployment's
    slots order them); a job whose owner is at the per-owner cap is skipped, not blocking, so one
    visitor's backlog never holds up another's. With `slots`, a job the local caps let through is admitted
    only once it got a slot for the whole deployment; without, the caps are local.
    """

    def __init__(self, max_total: int, max_per_owner: int, slots: FlightSlots | None = None) -> None:
        if max_total < 1 or max_per_owner < 1:
            raise ValueError("caps must be at least 1")
        self.max_total = max_total
        self.max_per_owner = max_per_owner
        self.slots = slots
        self._queue: dict[str, str] = {}  # job_id -> owner, oldest first
        self._made: dict[str, float] = {}  # job_id -> created_at of each queued job
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
    def enqueue(self, job_id: str, owner: str, created_at: float | None = None) -> None:
        """Put a job in the waiting line after every job made before it (None: at the end)."""
        if job_id in self._active or job_id in self._queue:
            return
        made = math.inf if created_at is None else created_at
        later = list(takewhile(lambda queued: self._made[queued] > made, reversed(self._queue)))
        self._made[job_id] = made
        if not later:  # the usual case: the newest job
            self._queue[job_id] = owner
            return
        moved = {queued: self._queue.pop(queued) for queued in reversed(later)}
        self._queue[job_id] = owner
        self._queue.update(moved)

    def requeue(self, job_id: str, owner: str, created_at: float | None = None) -> None:
        """Put a job that was admitted but never sent (recovery) back in the line: the slot it may still
        hold is given back first."""
        if self.slots is not None and job_id not in self._active:
            self.slots.release(job_id)
        self.enqueue(job_id, owner, created_at)

    def occupy(self, job_id: str, owner: str) -> None:
        """Count a job that is already at the provider (restart recovery), whatever the caps say."""
        self._dequeue(job_id)
        if job_id not in self._active:
            if self.slots is not None:
                self.slots.keep(job_id, owner)
            self._active[job_id] = owner
            self._per_owner[owner] += 1

    def remove(self, job_id: str) -> bool:
        """Take a job out of the waiting line; False if it was not waiting."""
        return self._dequeue(job_id)

    def _dequeue(self, job_id: str) -> bool:
        self._made.pop(job_id, None)
        return self._queue.pop(job_id, None) is not None

    def release(self, job_id: str) -> bool:
        """Free an active job's slot, here and for the deployment; False if it held none here (so calling
        twice is harmless)."""
        if not self.forget(job_id):
            return False
        if self.slots is not None:
            self.slots.release(job_id)
        return True

    def forget(self, job_id: str) -> bool:
        """Stop counting an active job here only: another replica follows it now, and its slot, the job's,
        stays taken for the deployment. False if it held none here."""
        owner = self._active.pop(job_id, None)
        if owner is None:
            return False
        self._per_owner[owner] -= 1
        if self._per_owner[owner] <= 0:
            del self._per_owner[owner]
        return True

    def admit(self) -> list[str]:
        """Move every job that may start now from the queue to active, oldest first; return them. A job
        the deployment's slots refuse for its owner is skipped with that owner's others; a refusal for
        the total ends the pass (the slots serve older jobs first: none behind it could get one)."""
        started: list[str] = []
        refused_owners: set[str] = set()
        for job_id, owner in list(self._queue.items()):
            if len(self._active) >= self.max_total:
                break
            if owner in refused_owners or self._per_owner[owner] >= self.max_per_owner:
                continue
            refused = self.slots.take(job_id, owner) if self.slots is not None else None
            if refused == SLOTS_FULL:
                break
            if refused is not None:
                refused_owners.add(owner)
                continue
            self._dequeue(job_id)
            self._active[job_id] = owner
            self._per_owner[owner] += 1
            started.append(job_id)
        return started
