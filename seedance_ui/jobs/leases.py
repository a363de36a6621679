"""Several replicas on one PostgreSQL: one follower per unfinished job, and what other replicas changed.

`Replica` is this process's part. On a shared database (PostgreSQL) each unfinished job is followed by
the one replica holding its lease (store table `job_leases`: holder = this process's random replica id,
expires_at); the holder renews its leases every `RENEW_FRACTION` of the lease, and a replica that stops
renewing (SIGKILL, lost machine) has its jobs claimed by another at that one's next scan, which then
resumes each with the restart rules of `recovery.plan` (a create that may have been sent is never sent
again). On SQLite the one process follows every job, as always: no lease is written or read.

`ChangeFeed` tells a replica which jobs changed in the store (by any replica) since its last look: one
indexed query per poll (`Database.changed_jobs`) on `jobs.updated_at` with a look-back window, so a write
committed a moment late or stamped by a slightly slow clock is not missed; each job is reported once per
change. Polling was chosen over LISTEN/NOTIFY: it works the same on both backends, needs no dedicated
connection per process, and loses nothing when a connection drops (a NOTIFY sent then is gone).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from seedance_ui.config import Settings
from seedance_ui.store.interface import Database

RENEW_FRACTION = 1 / 3  # a holder renews its leases every third of the lease: two renewals may fail
CLAIM_BATCH = 100  # jobs one scan claims at most (the rest wait for the next scan)
CHANGE_LOOKBACK_SECONDS = 5.0  # a change poll re-reads this far back (late commits, clock skew)


class Replica:
    """This process's leases. `shared` False (SQLite): every method answers as the sole holder."""

    def __init__(self, db: Database, settings: Settings, *, shared: bool) -> None:
        self.db = db
        self.shared = shared
        self.id = secrets.token_hex(8)  # per process: a restarted process is a new holder
        self.ttl = settings.lease_seconds
        self.renew_every = settings.lease_seconds * RENEW_FRACTION
        self.scan_every = settings.lease_scan_seconds
        self.poll_every = settings.change_poll_seconds
        self.held: set[str] = set()  # job ids this replica holds the lease of (shared only)
        self._lock = threading.Lock()  # claims come from request threads, renewals from a worker thread

    def holds(self, job_id: str) -> bool:
        """This replica follows the job (always true on SQLite)."""
        with self._lock:
            return not self.shared or job_id in self.held

    def claim(self, job_id: str) -> bool:
        """Take a new or free job's lease; True when this replica now follows it."""
        if not self.shared:
            return True
        if self.db.claim_job(job_id, self.id, time.time(), self.ttl):
            with self._lock:
                self.held.add(job_id)
            return True
        return False

    def claim_free(self) -> list[str]:
        """Take the leases of unfinished jobs nobody holds (or whose holder stopped renewing)."""
        if not self.shared:
            return []
        taken = self.db.claim_jobs(self.id, time.time(), self.ttl, CLAIM_BATCH)
        with self._lock:
            self.held.update(taken)
        return taken

    def renew(self) -> set[str]:
        """Extend this replica's leases; the job ids it held but lost (taken over while it stalled)."""
        if not self.shared:
            return set()
        with self._lock:
            before = set(self.held)
        kept = set(self.db.renew_leases(self.id, time.time(), self.ttl))
        with self._lock:  # a job claimed or released while the renewal ran is not "lost"
            lost = (before - kept) & self.held
            self.held -= lost
        return lost

    def release(self, job_id: str) -> None:
        """The job ended here: nobody needs to follow it."""
        if not self.shared:
            return
        with self._lock:
            if job_id not in self.held:
                return
            self.held.discard(job_id)
        self.db.release_lease(job_id, self.id)

    def release_all(self) -> None:
        """This replica stops: its jobs go to the others at their next scan."""
        if self.shared:
            with self._lock:
                self.held.clear()
            self.db.release_leases(self.id)


@dataclass
class Changes:
    """What one change poll found: jobs changed (by anyone), and jobs a webhook was recorded for."""

    changed: list[str] = field(default_factory=list)
    poked: list[str] = field(default_factory=list)


class ChangeFeed:
    """Which jobs changed in the store since the last poll, each change reported once (module docstring)."""

    def __init__(self, db: Database, lookback: float = CHANGE_LOOKBACK_SECONDS) -> None:
        self.db = db
        self.lookback = lookback
        self.round_trips = 0  # database round trips made by polls (one per poll)
        self._seen: dict[str, tuple[float, float | None]] = {}  # job id -> (updated_at, poked_at)

    def poll(self, now: float | None = None) -> Changes:
        since = (time.time() if now is None else now) - self.lookback
        rows = self.db.changed_jobs(since)
        self.round_trips += 1
        found = Changes()
        seen: dict[str, tuple[float, float | None]] = {}
        for job_id, updated_at, poked_at in rows:
            before = self._seen.get(job_id)
            seen[job_id] = (updated_at, poked_at)
            if before == (updated_at, poked_at):
                continue
            found.changed.append(job_id)
            if poked_at is not None and (before is None or before[1] != poked_at):
                found.poked.append(job_id)
        self._seen = seen  # rows older than the window drop out: they cannot come back unchanged
        return found
