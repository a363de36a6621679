"""What the job manager keeps beside the history: key source and webhook token of each job.

A small SQLite file of its own (`<data_dir>/jobs.sqlite3`) so the history schema stays the store's.
The API key itself is never written anywhere: only where it came from ("server", "demo", "visitor").
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

META_FILENAME = "jobs.sqlite3"

KEY_SERVER = "server"  # settings.api_key
KEY_DEMO = "demo"  # demo mode: the built-in simulator's key
KEY_VISITOR = "visitor"  # a key typed by the visitor: held in memory only
KEY_SOURCES = frozenset({KEY_SERVER, KEY_DEMO, KEY_VISITOR})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS job_meta (
    job_id TEXT PRIMARY KEY,
    key_source TEXT NOT NULL,
    webhook_token TEXT UNIQUE,
    created_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class JobMeta:
    """The manager's private facts about one job."""

    job_id: str
    key_source: str
    webhook_token: str | None


class MetaStore:
    """Thread-safe: one connection guarded by a lock."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / META_FILENAME
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def add(self, job_id: str, key_source: str, webhook_token: str | None) -> None:
        if key_source not in KEY_SOURCES:
            raise ValueError(f"unknown key source {key_source!r}")
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO job_meta (job_id, key_source, webhook_token, created_at) "
                "VALUES (?, ?, ?, ?)",
                (job_id, key_source, webhook_token, time.time()),
            )

    def get(self, job_id: str) -> JobMeta | None:
        with self._lock:
            row = self._db.execute(
                "SELECT job_id, key_source, webhook_token FROM job_meta WHERE job_id = ?", (job_id,)
            ).fetchone()
        return JobMeta(*row) if row else None

    def tokens(self) -> dict[str, str]:
        """Live webhook tokens: token -> job_id."""
        with self._lock:
            rows = self._db.execute(
                "SELECT webhook_token, job_id FROM job_meta WHERE webhook_token IS NOT NULL"
            ).fetchall()
        return dict(rows)

    def drop_token(self, job_id: str) -> None:
        """Forget a finished job's webhook token: later deliveries for it are ignored."""
        with self._lock:
            self._db.execute("UPDATE job_meta SET webhook_token = NULL WHERE job_id = ?", (job_id,))

    def delete(self, job_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM job_meta WHERE job_id = ?", (job_id,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
