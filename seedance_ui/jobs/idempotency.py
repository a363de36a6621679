"""One job per idempotency key: the page's submission token, and `/generate`'s and start_video's
`idempotency_key`.

A submission with a key its owner used before gets that job back and creates nothing (a double click
whose answer was slow, an event replayed, a client that retried). The key is reserved in the database
BEFORE the job is made (one row per owner and key: the primary key decides), so two submissions at once
make one job even on two replicas: the second waits for the first's job and gets it back. The binding
holds across restarts. A submission that was refused (a rule, a limit) gives its reservation back: the
same key may be sent again once the problem is fixed. A reservation whose submission never finished (its
process died) is free again after PENDING_STALE_SECONDS.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from seedance_ui.client.errors import ValidationError
from seedance_ui.store import JobRecord
from seedance_ui.store.records import IDEMPOTENCY_PENDING

MAX_KEY_LENGTH = 200
KEY_FIELD = "idempotency_key"
KEY_RULE = f"must be text of 1-{MAX_KEY_LENGTH} printable characters without spaces"
GONE_RULE = "names a job that no longer exists (it was deleted): use a new key"
BUSY_RULE = "is in use by a submission that is still being made: send it again in a minute"
PENDING_STALE_SECONDS = 600.0  # longer than any submission takes (its media checked, its record written)
PENDING_WAIT_SECONDS = 30.0  # how long a second submission with the key waits for the first one's job
PENDING_POLL_SECONDS = 0.05


def new_key() -> str:
    """A fresh key (the page's submission token): URL-safe, 128 bits."""
    return secrets.token_urlsafe(16)


def key_problem(key: Any) -> str | None:
    """Why `key` cannot be an idempotency key (None or "" mean: no key, and are fine)."""
    if key is None or key == "":
        return None
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not key.isprintable() or " " in key:
        return KEY_RULE
    return None


def clean_key(key: Any, field: str = KEY_FIELD) -> str | None:
    """The key to use (None: no key); ValidationError naming `field` for a key that breaks the rule."""
    problem = key_problem(key)
    if problem is not None:
        raise ValidationError(field, problem)
    return key or None


class _KeyLocks:
    """A lock per (owner, key) while someone holds or waits for it (then forgotten)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], tuple[threading.Lock, int]] = {}

    def acquire(self, name: tuple[str, str]) -> threading.Lock:
        with self._guard:
            lock, users = self._locks.get(name, (threading.Lock(), 0))
            self._locks[name] = (lock, users + 1)
        lock.acquire()
        return lock

    def release(self, name: tuple[str, str], lock: threading.Lock) -> None:
        lock.release()
        with self._guard:
            _lock, users = self._locks[name]
            if users <= 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)


_LOCKS = _KeyLocks()


def existing_job(manager: Any, owner: str, key: str | None) -> JobRecord | None:
    """The owner's job made with `key`, or None (no key, or not used yet); ValidationError when the key
    was used for a job that has been deleted since."""
    if not key:
        return None
    job_id = manager.store.db.idempotent_job(owner, key)
    if job_id is None:
        return None
    record = manager.get(job_id, owner)
    if record is None:
        raise ValidationError(KEY_FIELD, GONE_RULE)
    return record


def submit_once(
    manager: Any, owner: str, key: str | None, submit: Callable[[], JobRecord]
) -> tuple[JobRecord, bool]:
    """(the job, True when `submit()` made it now): without a key, `submit()`; with one, the owner's job
    made with that key if there is one, else `submit()`'s, bound to the key. Blocking: call it from a
    worker thread, never from the job manager's loop."""
    if not key:
        return submit(), True
    name = (owner, key)
    lock = _LOCKS.acquire(name)  # this process's submissions with the key wait here, not on the database
    try:
        found = _reserve(manager, owner, key)
        if found is not None:
            return found, False
        try:
            record = submit()
        except BaseException:
            manager.store.db.release_idempotency_key(owner, key)
            raise
        manager.store.db.put_idempotent_job(owner, key, record.id, time.time())
        return record, True
    finally:
        _LOCKS.release(name, lock)


def _reserve(manager: Any, owner: str, key: str) -> JobRecord | None:
    """None once the key is reserved for this submission; else the owner's job made with it, waiting
    while another submission (another replica's) is making it. ValidationError naming the key when its job
    was deleted, or when the other submission takes longer than PENDING_WAIT_SECONDS."""
    db = manager.store.db
    deadline = time.monotonic() + PENDING_WAIT_SECONDS
    while True:
        now = time.time()
        bound = db.reserve_idempotency_key(owner, key, now, now - PENDING_STALE_SECONDS)
        if bound is None:
            return None
        if bound != IDEMPOTENCY_PENDING:
            record = manager.get(bound, owner)
            if record is None:
                raise ValidationError(KEY_FIELD, GONE_RULE)
            return record
        if time.monotonic() >= deadline:
            raise ValidationError(KEY_FIELD, BUSY_RULE)
        time.sleep(PENDING_POLL_SECONDS)
