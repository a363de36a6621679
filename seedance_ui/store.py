"""Job history: one SQLite database (WAL) under the data directory, plus the videos and posters.

Layout of `data_dir`::

    history.sqlite3        the jobs table (schema versioned with PRAGMA user_version)
    videos/<job_id>.mp4    downloaded videos
    posters/<job_id>.jpg   their poster frames

File names are built only from our own job ids (uuid4 hex, validated), never from provider data.
Paths kept in a record are relative to `data_dir` and are resolved through `HistoryStore.resolve`,
which refuses anything that would land outside it.

Adding a schema change: write `_migration_2(conn)` and append it to `MIGRATIONS`. Each migration
runs once, in its own transaction, together with the `user_version` bump.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import logging
import re
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DB_FILENAME = "history.sqlite3"
VIDEOS_DIRNAME = "videos"
POSTERS_DIRNAME = "posters"
VIDEO_SUFFIX = ".mp4"
POSTER_SUFFIX = ".jpg"

_JOB_ID_RE = re.compile(r"[0-9a-f]{32}")


class JobStatus(StrEnum):
    """Where a job stands, from our side (the provider's task status is one input to it)."""

    QUEUED = "queued"  # waiting locally for a slot (caps)
    SUBMITTING = "submitting"  # record written, create in flight
    PENDING = "pending"
    PROCESSING = "processing"
    DOWNLOADING = "downloading"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN_OUTCOME = "unknown_outcome"  # create may or may not have happened; never resubmitted
    EXPIRED = "expired"  # completed, but the URL expired before we downloaded

    @property
    def label(self) -> str:
        """The status in words for people."""
        return _LABELS[self]

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_JOB_STATUSES


_LABELS: dict[JobStatus, str] = {
    JobStatus.QUEUED: "Queued locally",
    JobStatus.SUBMITTING: "Submitting",
    JobStatus.PENDING: "Pending",
    JobStatus.PROCESSING: "Processing",
    JobStatus.DOWNLOADING: "Downloading",
    JobStatus.COMPLETED: "Done",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
    JobStatus.UNKNOWN_OUTCOME: "Outcome unknown — check before resubmitting",
    JobStatus.EXPIRED: "Expired",
}

TERMINAL_JOB_STATUSES: frozenset[JobStatus] = frozenset(
    {
        JobStatus.COMPLETED,
        JobStatus.FAILED,
        JobStatus.CANCELLED,
        JobStatus.UNKNOWN_OUTCOME,
        JobStatus.EXPIRED,
    }
)


def new_job_id() -> str:
    """A fresh job id: 32 lowercase hex characters."""
    return uuid.uuid4().hex


def new_token() -> str:
    """A fresh idempotency token (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(32)


def is_valid_job_id(job_id: object) -> bool:
    """True for ids shaped like `new_job_id()` output (and so safe inside a file name)."""
    return isinstance(job_id, str) and _JOB_ID_RE.fullmatch(job_id) is not None


def check_job_id(job_id: object) -> str:
    """`job_id` itself when valid; ValueError otherwise."""
    if not is_valid_job_id(job_id):
        raise ValueError(f"invalid job id {job_id!r}: expected 32 lowercase hex characters")
    return job_id  # type: ignore[return-value]


@dataclass
class JobRecord:
    """One generation job as the studio keeps it."""

    id: str  # ours: uuid4 hex
    owner: str
    params: dict  # GenerationRequest.to_params()
    status: JobStatus
    idempotency_token: str
    task_id: str | None = None
    progress: int = 0
    created_at: float = field(default_factory=time.time)
    submitted_at: float | None = None
    completed_at: float | None = None
    updated_at: float = field(default_factory=time.time)
    credits_estimated: float | None = None
    credits_reserved: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    error_hint: str | None = None
    video_url: str | None = None  # provider URL (expires); never shown after download
    video_path: str | None = None  # relative to the data dir
    poster_path: str | None = None  # relative to the data dir
    video_duration: float | None = None
    video_size: int | None = None
    width: int | None = None
    height: int | None = None
    has_audio: bool | None = None
    estimated_time: float | None = None
    queue_position: int | None = None  # not persisted-critical

    def __post_init__(self) -> None:
        if not isinstance(self.status, JobStatus):
            self.status = JobStatus(self.status)

    @classmethod
    def new(
        cls, owner: str, params: dict, *, status: JobStatus = JobStatus.QUEUED, **fields: Any
    ) -> JobRecord:
        """A record with a fresh id and idempotency token, created now."""
        return cls(
            id=new_job_id(),
            owner=owner,
            params=params,
            status=status,
            idempotency_token=new_token(),
            **fields,
        )

    @property
    def terminal(self) -> bool:
        return self.status.terminal

    def to_public_dict(self) -> dict[str, Any]:
        """JSON-safe view for the UI and API: no idempotency token, no provider video URL."""
        data = dataclasses.asdict(self)
        for secret in _PRIVATE_FIELDS:
            data.pop(secret, None)
        data["status"] = self.status.value
        data["status_label"] = self.status.label
        data["terminal"] = self.terminal
        return data


_PRIVATE_FIELDS = ("idempotency_token", "video_url")
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(JobRecord))
_UPDATABLE = frozenset(FIELD_NAMES) - {"id"}
_PATH_FIELDS = ("video_path", "poster_path")


# --- schema migrations ------------------------------------------------------------------------------

Migration = Callable[[sqlite3.Connection], None]


def _migration_1(conn: sqlite3.Connection) -> None:
    """The initial schema: one row per job, a column per JobRecord field."""
    conn.execute(
        """
        CREATE TABLE jobs (
            id                TEXT PRIMARY KEY NOT NULL,
            owner             TEXT NOT NULL,
            params            TEXT NOT NULL,          -- JSON object
            status            TEXT NOT NULL,
            idempotency_token TEXT NOT NULL,
            task_id           TEXT,
            progress          INTEGER NOT NULL DEFAULT 0,
            created_at        REAL NOT NULL,
            submitted_at      REAL,
            completed_at      REAL,
            updated_at        REAL NOT NULL,
            credits_estimated REAL,
            credits_reserved  REAL,
            error_code        TEXT,
            error_message     TEXT,
            error_hint        TEXT,
            video_url         TEXT,
            video_path        TEXT,
            poster_path       TEXT,
            video_duration    REAL,
            video_size        INTEGER,
            width             INTEGER,
            height            INTEGER,
            has_audio         INTEGER,                -- 0/1/NULL
            estimated_time    REAL,
            queue_position    INTEGER
        )
        """
    )
    conn.execute("CREATE INDEX jobs_owner_created ON jobs (owner, created_at)")
    conn.execute("CREATE INDEX jobs_status ON jobs (status)")
    conn.execute("CREATE INDEX jobs_task_id ON jobs (task_id)")


def _migration_2(conn: sqlite3.Connection) -> None:
    """Visitor identities: server secrets, and which cookie visitor stands for an owner id kept from
    before the cookie (each old id is adopted once, by one visitor)."""
    conn.execute("CREATE TABLE app_secrets (name TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL)")
    conn.execute(
        """
        CREATE TABLE visitor_owners (
            visitor    TEXT PRIMARY KEY NOT NULL,
            owner      TEXT NOT NULL UNIQUE,
            adopted_at REAL NOT NULL
        )
        """
    )


# Ordered: MIGRATIONS[n - 1] takes the schema from version n - 1 to n. Append only.
MIGRATIONS: list[Migration] = [_migration_1, _migration_2]


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer version of the studio."""


def _schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def apply_migrations(conn: sqlite3.Connection, migrations: list[Migration] | None = None) -> int:
    """Bring the schema up to date; returns the resulting version. Safe to call on every open."""
    steps = MIGRATIONS if migrations is None else migrations
    while True:
        conn.execute("BEGIN IMMEDIATE")  # re-read the version under the write lock
        try:
            version = _schema_version(conn)
            if version > len(steps):
                raise SchemaTooNewError(
                    f"history database has schema version {version}; this build knows {len(steps)}"
                )
            if version == len(steps):
                conn.execute("COMMIT")
                return version
            steps[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1:d}")
            conn.execute("COMMIT")
            log.info("history database migrated to schema version %d", version + 1)
        except BaseException:
            conn.execute("ROLLBACK")
            raise


# --- row <-> record -----------------------------------------------------------------------------------


def _to_row(record: JobRecord) -> dict[str, Any]:
    row = dataclasses.asdict(record)
    row["params"] = json.dumps(record.params, ensure_ascii=False, sort_keys=True)
    row["status"] = record.status.value
    if record.has_audio is not None:
        row["has_audio"] = int(bool(record.has_audio))
    return row


def _from_row(row: sqlite3.Row) -> JobRecord:
    data = {name: row[name] for name in FIELD_NAMES}
    data["params"] = json.loads(data["params"])
    data["status"] = JobStatus(data["status"])
    if data["has_audio"] is not None:
        data["has_audio"] = bool(data["has_audio"])
    return JobRecord(**data)


_TERMINAL_VALUES = tuple(sorted(s.value for s in TERMINAL_JOB_STATUSES))
_COLUMNS = ", ".join(FIELD_NAMES)


class HistoryStore:
    """Thread-safe job history: one SQLite connection guarded by a re-entrant lock."""

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.videos_dir = self.data_dir / VIDEOS_DIRNAME
        self.posters_dir = self.data_dir / POSTERS_DIRNAME
        for folder in (self.data_dir, self.videos_dir, self.posters_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.db_path = self.data_dir / DB_FILENAME
        self._lock = threading.RLock()
        self._conn = self._connect()
        try:
            self.schema_version = apply_migrations(self._conn)
            self._check_columns()
        except BaseException:
            self._conn.close()
            raise

    # -- connection --------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=10.0, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 10000")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            log.warning("history database is in %s mode, not WAL (filesystem without shared memory?)", mode)
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def _check_columns(self) -> None:
        columns = {r["name"] for r in self._conn.execute("PRAGMA table_info(jobs)")}
        missing = [name for name in FIELD_NAMES if name not in columns]
        if missing:
            raise RuntimeError(f"jobs table lacks columns {missing}: new JobRecord fields need a migration")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HistoryStore({str(self.data_dir)!r})"

    # -- records -----------------------------------------------------------------------------------

    def add(self, record: JobRecord) -> None:
        """Insert a new record; ValueError for a malformed id, sqlite3.IntegrityError for a duplicate."""
        check_job_id(record.id)
        row = _to_row(record)
        for name in _PATH_FIELDS:
            row[name] = self._relative_or_none(row[name])
        placeholders = ", ".join(f":{name}" for name in FIELD_NAMES)
        with self._lock:
            self._conn.execute(f"INSERT INTO jobs ({_COLUMNS}) VALUES ({placeholders})", row)

    def update(self, job_id: str, **fields: Any) -> JobRecord:
        """Change some fields of a record (updated_at is set to now); returns the new record.

        Unknown field names and `id` raise TypeError; an unknown job raises KeyError. `video_path` and
        `poster_path` may be given absolute (inside the data dir) or relative; they are stored relative.
        """
        check_job_id(job_id)
        bad = sorted(set(fields) - _UPDATABLE)
        if bad:
            raise TypeError(f"JobRecord has no updatable field(s) {bad}")
        fields.setdefault("updated_at", time.time())
        values = self._column_values(fields)
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        with self._transaction() as conn:
            cursor = conn.execute(f"UPDATE jobs SET {assignments} WHERE id = :_id", {**values, "_id": job_id})
            if cursor.rowcount != 1:
                raise KeyError(job_id)
            row = conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _from_row(row)

    def _column_values(self, fields: dict[str, Any]) -> dict[str, Any]:
        values = dict(fields)
        if "status" in values:
            values["status"] = JobStatus(values["status"]).value
        if "params" in values:
            if not isinstance(values["params"], dict):
                raise TypeError("params must be a dict")
            values["params"] = json.dumps(values["params"], ensure_ascii=False, sort_keys=True)
        if values.get("has_audio") is not None:
            values["has_audio"] = int(bool(values["has_audio"]))
        for name in _PATH_FIELDS:
            if name in values:
                values[name] = self._relative_or_none(values[name])
        return values

    def get(self, job_id: str, owner: str | None = None) -> JobRecord | None:
        """The record, or None when unknown, malformed, or (owner given) someone else's."""
        if not is_valid_job_id(job_id):
            return None
        with self._lock:
            row = self._conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None or (owner is not None and row["owner"] != owner):
            return None
        return _from_row(row)

    def find_by_task_id(self, task_id: str) -> JobRecord | None:
        """The record that follows a provider task (for webhook hints), or None."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE task_id = ? ORDER BY created_at DESC LIMIT 1", (task_id,)
            ).fetchone()
        return None if row is None else _from_row(row)

    def list(self, owner: str, limit: int = 100) -> builtins.list[JobRecord]:
        """The owner's records, newest first."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE owner = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (owner, max(0, int(limit))),
            ).fetchall()
        return [_from_row(r) for r in rows]

    def unfinished(self) -> builtins.list[JobRecord]:
        """Every record not in a terminal status, oldest first (for recovery after a restart)."""
        marks = ", ".join("?" for _ in _TERMINAL_VALUES)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE status NOT IN ({marks}) ORDER BY created_at, rowid",
                _TERMINAL_VALUES,
            ).fetchall()
        return [_from_row(r) for r in rows]

    def delete(self, job_id: str, owner: str) -> bool:
        """Delete the owner's record and its files; False when there is no such record of theirs."""
        if not is_valid_job_id(job_id):
            return False
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT video_path, poster_path FROM jobs WHERE id = ? AND owner = ?", (job_id, owner)
            ).fetchone()
            if row is None:
                return False
            conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        self._remove_files(job_id, [row["video_path"], row["poster_path"]])
        return True

    # -- identities --------------------------------------------------------------------------------

    def app_secret(self, name: str, size: int = 32) -> bytes:
        """A random server secret, made once and kept (e.g. the key that signs visitor cookies)."""
        with self._transaction() as conn:
            row = conn.execute("SELECT value FROM app_secrets WHERE name = ?", (name,)).fetchone()
            if row is not None:
                return bytes(row["value"])
            value = secrets.token_bytes(size)
            conn.execute("INSERT INTO app_secrets (name, value) VALUES (?, ?)", (name, value))
            return value

    def visitor_owner(self, visitor: str) -> str | None:
        """The older owner id a visitor adopted, if any."""
        with self._lock:
            row = self._conn.execute(
                "SELECT owner FROM visitor_owners WHERE visitor = ?", (visitor,)
            ).fetchone()
        return None if row is None else str(row["owner"])

    def adopt_owner(self, visitor: str, owner: str) -> bool:
        """Let `visitor` stand for `owner` from now on: only once per visitor and once per owner, and
        only while the visitor has no history of its own (nothing of theirs is hidden by it)."""
        with self._transaction() as conn:
            taken = conn.execute(
                "SELECT 1 FROM visitor_owners WHERE visitor = ? OR owner = ?", (visitor, owner)
            ).fetchone()
            own = conn.execute("SELECT 1 FROM jobs WHERE owner = ? LIMIT 1", (visitor,)).fetchone()
            if taken is not None or own is not None or visitor == owner:
                return False
            conn.execute(
                "INSERT INTO visitor_owners (visitor, owner, adopted_at) VALUES (?, ?, ?)",
                (visitor, owner, time.time()),
            )
            return True

    def _remove_files(self, job_id: str, recorded: builtins.list[str | None]) -> None:
        paths = {self.video_path(job_id), self.poster_path(job_id)}
        for rel in recorded:
            try:
                resolved = self.resolve(rel)
            except ValueError:
                log.warning("not deleting %r of job %s: outside the data directory", rel, job_id)
                continue
            if resolved is not None:
                paths.add(resolved)
        for path in paths:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not delete %s: %s", path, exc)

    # -- paths ---------------------------------------------------------------------------------------

    def video_path(self, job_id: str) -> Path:
        """Absolute path of the job's video file (ValueError for a malformed id)."""
        return self.videos_dir / f"{check_job_id(job_id)}{VIDEO_SUFFIX}"

    def poster_path(self, job_id: str) -> Path:
        """Absolute path of the job's poster image (ValueError for a malformed id)."""
        return self.posters_dir / f"{check_job_id(job_id)}{POSTER_SUFFIX}"

    def relative(self, path: Path | str) -> str:
        """`path` (absolute, or relative to the data dir) as a data-dir-relative POSIX string."""
        absolute = self.resolve(str(path)) if not Path(path).is_absolute() else Path(path).resolve()
        assert absolute is not None
        if not absolute.is_relative_to(self.data_dir) or absolute == self.data_dir:
            raise ValueError(f"{path} is not inside the data directory")
        return absolute.relative_to(self.data_dir).as_posix()

    def _relative_or_none(self, path: Path | str | None) -> str | None:
        return None if path is None or path == "" else self.relative(path)

    def resolve(self, relative: str | Path | None) -> Path | None:
        """Absolute path for a stored relative path; None for None; ValueError if it leaves the data dir."""
        if relative is None or relative == "":
            return None
        if Path(relative).is_absolute():
            raise ValueError(f"stored path {relative!r} must be relative to the data directory")
        absolute = (self.data_dir / relative).resolve()
        if not absolute.is_relative_to(self.data_dir) or absolute == self.data_dir:
            raise ValueError(f"stored path {relative!r} leaves the data directory")
        return absolute

    def video_file(self, record: JobRecord) -> Path | None:
        """The record's video as an absolute path if it is set and the file exists."""
        path = self.resolve(record.video_path)
        return path if path is not None and path.is_file() else None

    def poster_file(self, record: JobRecord) -> Path | None:
        """The record's poster as an absolute path if it is set and the file exists."""
        path = self.resolve(record.poster_path)
        return path if path is not None and path.is_file() else None
