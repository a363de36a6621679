"""One visitor's share of the disk: their jobs' input pictures, their boards (with cast pictures and chain
frames) and their review exports, against SEEDANCE_VISITOR_DISK_MB.

A write asks `DiskQuota.reserve(owner, nbytes, what)` BEFORE it writes: `QuotaExceeded` (its message
names the quota and what to delete) when the visitor's files plus the new bytes would go over. The
visitor's usage is measured (their boards' bytes and the distinct input blobs of their jobs in the
database, their boards' media and exports folders) and kept for `USAGE_TTL_SECONDS`, then measured
again; every reservation is an event in the database (scope "disk"), and a reservation checks the
measured bytes plus the reservations made since the measurement began, on every replica, in the one
transaction that records it. So a burst of writes is counted exactly, across replicas too, and a
deletion is seen within the TTL.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seedance_ui.store.interface import Database

MB = 1024 * 1024
USAGE_TTL_SECONDS = 30.0
BOARDS_DIRNAME = "boards"
EXPORTS_DIRNAME = "exports"
QUOTA_SETTING = "SEEDANCE_VISITOR_DISK_MB"
DISK_SCOPE = "disk"  # reservations in the store's limit_events (amount: bytes)


def owner_folder(owner: str) -> str:
    """The name of an owner's folders under boards/ and exports/: 16 hex characters of sha256(owner)."""
    return hashlib.sha256(owner.encode("utf-8")).hexdigest()[:16]


def folder_bytes(folder: Path) -> int:
    """The bytes of every file under `folder` (0 when it does not exist)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                continue  # removed while we looked
    return total


class QuotaExceeded(Exception):
    """A write that would take a visitor over their disk quota; `message` is for the visitor."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DiskQuota:
    """Per-visitor disk quota over one data directory. `limit_bytes` 0 turns it off. Thread-safe."""

    def __init__(self, data_dir: Path | str, limit_bytes: int, db: Database,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.data_dir = Path(data_dir)
        self.limit_bytes = max(0, int(limit_bytes))
        self._db = db  # input blobs per owner, and the reservations of every replica
        self._clock = clock
        self._lock = threading.Lock()
        self._measured: dict[str, tuple[float, float, int]] = {}  # owner -> (clock, wall time, bytes)

    @property
    def enabled(self) -> bool:
        return self.limit_bytes > 0

    def measure(self, owner: str) -> int:
        """The visitor's bytes now (inputs, boards in the database, their pictures, exports), afresh."""
        folder = owner_folder(owner)
        return (self._db.input_bytes(owner) + self._db.board_bytes(owner)
                + folder_bytes(self.data_dir / BOARDS_DIRNAME / folder)
                + folder_bytes(self.data_dir / EXPORTS_DIRNAME / folder))

    def _measurement(self, owner: str) -> tuple[float, int]:
        """(wall time the measurement began, bytes) of the visitor, measured again after the TTL."""
        now = self._clock()
        found = self._measured.get(owner)
        if found is None or now - found[0] > USAGE_TTL_SECONDS:
            began = time.time()
            found = (now, began, self.measure(owner))
            self._measured[owner] = found
        return found[1], found[2]

    def reserve(self, owner: str, nbytes: int, what: str) -> None:
        """Count `nbytes` about to be written for the visitor (`what`: "this picture", "this import",
        ...); QuotaExceeded, and nothing counted, when it would take them over the quota."""
        if not self.enabled or nbytes <= 0:
            return
        with self._lock:
            began, measured = self._measurement(owner)
            now = time.time()
            use = self._db.hit_limit(DISK_SCOPE, [owner], secrets.token_hex(16), now, max(0.0, now - began),
                                     max_amount=float(self.limit_bytes), amount=float(nbytes),
                                     base=float(measured))
            if use.refused is not None:
                raise QuotaExceeded(self.refusal(measured + int(use.amount), nbytes, what))

    def refusal(self, used: int, nbytes: int, what: str) -> str:
        return (
            f"Your disk quota is full: {what} needs {_mb(nbytes)} and your files here already take "
            f"{_mb(used)} of the {_mb(self.limit_bytes)} each visitor may keep ({QUOTA_SETTING}). "
            "Delete old jobs, boards or exports to make room."
        )

    def forget(self, owner: str) -> None:
        """Measure the visitor again at the next reservation (after a deletion)."""
        with self._lock:
            self._measured.pop(owner, None)


def _mb(nbytes: int) -> str:
    return f"{nbytes / MB:,.1f} MB"
