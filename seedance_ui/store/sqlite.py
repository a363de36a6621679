"""The studio's database on SQLite: every SQL statement of the project is in this module.

One file (WAL) holds the job history, the job manager's bookkeeping and the budget ledger. Callers use
`SqliteDatabase`'s methods (the `Database` interface in `interface.py`), never SQL, so a server
database can implement the same methods later. No Gradio, no HTTP, no file layout here: which file to
open and when to upgrade older data directories is `local.py`'s business.

Adding a schema change: write `_migration_<n>(conn)` and append it to `MIGRATIONS`. Each migration runs
once, in its own transaction, together with the `PRAGMA user_version` bump.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from seedance_ui.store.query import (
    BOARD_STUDIO,
    MAX_PAGE_SIZE,
    MODE_EXTEND,
    BoardTake,
    HistoryQuery,
    HistoryRow,
)
from seedance_ui.store.records import (
    ADMISSION_GRACE_SECONDS,
    FIELD_NAMES,
    IDEMPOTENCY_PENDING,
    LIMIT_KEEP_SECONDS,
    SLOTLESS_STATUSES,
    JobMeta,
    JobRecord,
    JobStatus,
    LimitUse,
    SpendRow,
    limit_verdict,
    slot_verdict,
)

log = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 10.0
SPEND_EPSILON = 1e-9  # credits: a reservation that lands exactly on a budget cap is admitted

# --- schema migrations ------------------------------------------------------------------------------

Migration = Callable[[sqlite3.Connection], None]


def _migration_1(conn: sqlite3.Connection) -> None:
    """The initial schema: jobs (one column per JobRecord field), job bookkeeping, spending, imports."""
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
    conn.execute(
        """
        CREATE TABLE job_meta (
            job_id        TEXT PRIMARY KEY,
            key_source    TEXT NOT NULL,
            webhook_token TEXT UNIQUE,
            created_at    REAL NOT NULL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE spend (
            job_id     TEXT PRIMARY KEY,
            owner      TEXT NOT NULL,
            day        TEXT NOT NULL,           -- UTC date, YYYY-MM-DD
            estimated  REAL NOT NULL,
            reserved   REAL,                    -- the provider's credits_reserved, once known
            released   INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX spend_day_owner ON spend (day, owner)")
    conn.execute(
        """
        CREATE TABLE legacy_imports (
            source      TEXT PRIMARY KEY NOT NULL,  -- the file name of a pre-one-store database
            rows        INTEGER NOT NULL,
            imported_at REAL NOT NULL
        )
        """
    )


def _migration_2(conn: sqlite3.Connection) -> None:
    """Visitor identities and per-address limits: server secrets (the key that signs visitor cookies),
    which cookie visitor adopted an owner id kept by a browser before the cookie (each id once), and the
    client address (hashed) each server-key spend was admitted for."""
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
    conn.execute("ALTER TABLE spend ADD COLUMN address TEXT")
    conn.execute("CREATE INDEX spend_day_address ON spend (day, address)")


def _migration_3(conn: sqlite3.Connection) -> None:
    """Uploads to the provider's file API, remembered by content hash and key identity (a hash of the
    file API's address and the key, never the key) until they expire, so a restart re-uploads nothing
    that is still usable."""
    conn.execute(
        """
        CREATE TABLE uploads (
            sha256     TEXT NOT NULL,
            identity   TEXT NOT NULL,
            file_url   TEXT NOT NULL,
            expires_at REAL NOT NULL,
            file_id    TEXT,
            file_name  TEXT,
            size_bytes INTEGER,
            mime_type  TEXT,
            PRIMARY KEY (sha256, identity)
        )
        """
    )
    conn.execute("CREATE INDEX uploads_expires ON uploads (expires_at)")


def _migration_4(conn: sqlite3.Connection) -> None:
    """Input pictures stored once per content: which jobs use which blob (`inputs/blobs/...`), so a blob
    goes only with the last job that uses it, and a visitor's share of the disk is the sum of their
    distinct blobs."""
    conn.execute(
        """
        CREATE TABLE input_refs (
            job_id TEXT NOT NULL,
            owner  TEXT NOT NULL,
            path   TEXT NOT NULL,          -- the blob, relative to the data directory
            sha256 TEXT NOT NULL,
            size   INTEGER NOT NULL,
            PRIMARY KEY (job_id, path)
        )
        """
    )
    conn.execute("CREATE INDEX input_refs_path ON input_refs (path)")
    conn.execute("CREATE INDEX input_refs_owner ON input_refs (owner)")


def _migration_5(conn: sqlite3.Connection) -> None:
    """Idempotency keys: the job a submission with a key made, per owner and key (the page's submission
    token, `/generate`'s and start_video's `idempotency_key`), so the same key never creates twice, after
    a restart too."""
    conn.execute(
        """
        CREATE TABLE idempotency_keys (
            owner      TEXT NOT NULL,
            key        TEXT NOT NULL,
            job_id     TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (owner, key)
        )
        """
    )


def _migration_6(conn: sqlite3.Connection) -> None:
    """Board reviews (seedance_ui/review/): share links (the token and passphrase only as hashes), the
    versions reviewers were shown per shot, their time-coded notes, and their statuses per take."""
    conn.execute(
        """
        CREATE TABLE review_links (
            id             TEXT PRIMARY KEY NOT NULL,
            owner          TEXT NOT NULL,
            board_id       TEXT NOT NULL,
            token_hash     TEXT NOT NULL UNIQUE,   -- sha256 of the token, hex; the token is never kept
            pass_salt      BLOB,                   -- NULL: no passphrase
            pass_hash      BLOB,
            show_prompts   INTEGER NOT NULL,
            created_at     REAL NOT NULL,
            expires_at     REAL NOT NULL,
            last_opened_at REAL,
            revoked_at     REAL
        )
        """
    )
    conn.execute("CREATE INDEX review_links_board ON review_links (owner, board_id, created_at)")
    conn.execute(
        """
        CREATE TABLE review_versions (
            owner         TEXT NOT NULL,
            board_id      TEXT NOT NULL,
            shot_id       TEXT NOT NULL,
            take_job_id   TEXT NOT NULL,
            number        INTEGER NOT NULL,         -- v1, v2, ... in the order first shown
            first_shown_at REAL NOT NULL,
            PRIMARY KEY (owner, board_id, shot_id, take_job_id),
            UNIQUE (owner, board_id, shot_id, number)
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE review_notes (
            id          TEXT PRIMARY KEY NOT NULL,
            link_id     TEXT NOT NULL,
            owner       TEXT NOT NULL,
            board_id    TEXT NOT NULL,
            shot_id     TEXT NOT NULL,
            take_job_id TEXT NOT NULL,
            seconds     REAL NOT NULL,
            reviewer    TEXT NOT NULL,
            body        TEXT NOT NULL,
            parent_id   TEXT,
            created_at  REAL NOT NULL,
            resolved_at REAL
        )
        """
    )
    conn.execute("CREATE INDEX review_notes_board ON review_notes (owner, board_id, created_at)")
    conn.execute("CREATE INDEX review_notes_link ON review_notes (link_id, created_at)")
    conn.execute(
        """
        CREATE TABLE review_statuses (
            owner       TEXT NOT NULL,
            board_id    TEXT NOT NULL,
            shot_id     TEXT NOT NULL,
            take_job_id TEXT NOT NULL,
            reviewer    TEXT NOT NULL,
            status      TEXT NOT NULL,
            link_id     TEXT NOT NULL,
            set_at      REAL NOT NULL,
            PRIMARY KEY (owner, board_id, shot_id, take_job_id, reviewer)
        )
        """
    )
    conn.execute("CREATE INDEX review_statuses_link ON review_statuses (link_id, set_at)")


def _migration_7(conn: sqlite3.Connection) -> None:
    """Crafting with a chat model (seedance_ui/llm/): the chat-token ledger (reserved before a call,
    settled to the provider's usage after it, per owner, client address and UTC day), prompt versions per
    owner and subject (the Studio prompt, a board's shot), and the version a job's prompt came from."""
    conn.execute(
        """
        CREATE TABLE llm_usage (
            id         TEXT PRIMARY KEY NOT NULL,
            owner      TEXT NOT NULL,
            address    TEXT,
            day        TEXT NOT NULL,            -- UTC date, YYYY-MM-DD
            reserved   INTEGER NOT NULL,         -- counted before the call
            used       INTEGER,                  -- the provider's total_tokens, once known
            capped     INTEGER NOT NULL,         -- 0/1: on a key the daily cap binds (not the visitor's own)
            created_at REAL NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX llm_usage_day_owner ON llm_usage (day, owner)")
    conn.execute("CREATE INDEX llm_usage_day_address ON llm_usage (day, address)")
    conn.execute(
        """
        CREATE TABLE prompt_versions (
            id         TEXT PRIMARY KEY NOT NULL,
            owner      TEXT NOT NULL,
            subject    TEXT NOT NULL,            -- "studio", or "board:<id>:shot:<id>"
            text       TEXT NOT NULL,
            source     TEXT NOT NULL,            -- typed, enhanced, varied, translated, restored, imported
            created_at REAL NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX prompt_versions_subject ON prompt_versions (owner, subject, created_at)")
    conn.execute("ALTER TABLE jobs ADD COLUMN prompt_version TEXT")


def _migration_8(conn: sqlite3.Connection) -> None:
    """A history that scales (store/query.py): each job's mode as a column computed from its model (the
    model id's mode slug, options._MODE_SLUG), a favourite star, the storyboard takes (which board, shot
    and take a job is; kept in step with the boards by storyboard/takes_index.py), and the indexes the
    history's filters and pages run on."""
    conn.execute(
        "ALTER TABLE jobs ADD COLUMN mode TEXT GENERATED ALWAYS AS (CASE "
        "WHEN json_extract(params, '$.model') LIKE '%image-to-video' THEN 'frames' "
        "WHEN json_extract(params, '$.model') LIKE '%reference-to-video' THEN 'references' "
        "ELSE 'text' END) VIRTUAL"
    )
    conn.execute("ALTER TABLE jobs ADD COLUMN favourite INTEGER NOT NULL DEFAULT 0")
    conn.execute("CREATE INDEX jobs_owner_status_created ON jobs (owner, status, created_at)")
    conn.execute("CREATE INDEX jobs_owner_mode_created ON jobs (owner, mode, created_at)")
    conn.execute("CREATE INDEX jobs_owner_favourite_created ON jobs (owner, favourite, created_at)")
    conn.execute(
        """
        CREATE TABLE board_takes (
            job_id      TEXT PRIMARY KEY NOT NULL,
            owner       TEXT NOT NULL,
            board_id    TEXT NOT NULL,
            board_title TEXT NOT NULL,
            shot_number INTEGER NOT NULL,
            take_number INTEGER NOT NULL,
            extends     INTEGER NOT NULL DEFAULT 0   -- 0/1: the shot continues a take's video
        )
        """
    )
    conn.execute("CREATE INDEX board_takes_board ON board_takes (owner, board_id)")


def _migration_9(conn: sqlite3.Connection) -> None:
    """Replicas (#22): who follows each unfinished job (a lease its holder renews; `poked_at`: the last
    webhook another replica recorded for it), and the index the replicas' change polls read."""
    conn.execute(
        """
        CREATE TABLE job_leases (
            job_id     TEXT PRIMARY KEY NOT NULL,
            holder     TEXT NOT NULL,    -- the replica id of the process following the job
            expires_at REAL NOT NULL,    -- epoch seconds; past it, any replica may take the job over
            poked_at   REAL              -- a webhook for the job arrived (at any replica) at this time
        )
        """
    )
    conn.execute("CREATE INDEX job_leases_holder ON job_leases (holder)")
    conn.execute("CREATE INDEX jobs_updated ON jobs (updated_at)")


def _migration_10(conn: sqlite3.Connection) -> None:
    """Reviews (#21): when the owner last marked a board's notes read, so "N new notes" survives a restart."""
    conn.execute(
        """
        CREATE TABLE review_seen (
            owner    TEXT NOT NULL,
            board_id TEXT NOT NULL,
            seen_at  REAL NOT NULL,   -- epoch seconds: notes written after it are new
            PRIMARY KEY (owner, board_id)
        )
        """
    )


def _migration_11(conn: sqlite3.Connection) -> None:
    """Limits across replicas (#22): rate-limit events (a scope such as "submit", "llm" or "upload", a
    subject such as an owner or a hashed address, when, and an amount such as bytes) and which subjects
    each admitted job counts for, so every replica counts a visitor's unfinished jobs and recent events
    in the same transaction that admits one more."""
    conn.execute(
        """
        CREATE TABLE limit_events (
            scope   TEXT NOT NULL,
            subject TEXT NOT NULL,
            ref     TEXT NOT NULL,             -- what the event is for: a job id, a call id, an upload id
            at      REAL NOT NULL,             -- epoch seconds
            amount  REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (scope, ref, subject)
        )
        """
    )
    conn.execute("CREATE INDEX limit_events_subject ON limit_events (scope, subject, at)")
    conn.execute("CREATE INDEX limit_events_at ON limit_events (at)")
    conn.execute(
        """
        CREATE TABLE job_admissions (
            job_id      TEXT NOT NULL,
            subject     TEXT NOT NULL,         -- an owner, or a hashed client address
            admitted_at REAL NOT NULL,
            PRIMARY KEY (job_id, subject)
        )
        """
    )
    conn.execute("CREATE INDEX job_admissions_subject ON job_admissions (subject)")


def _migration_12(conn: sqlite3.Connection) -> None:
    """Boards in the database (#22; until now one JSON file per board): the board's JSON as
    storyboard/jsonio.py writes it, beside what the board list shows (so listing parses no body), its
    size (the owner's disk quota counts it), a version every save bumps, and when it went to the trash."""
    conn.execute(
        """
        CREATE TABLE boards (
            owner      TEXT NOT NULL,
            board_id   TEXT NOT NULL,
            body       TEXT NOT NULL,               -- the board's JSON (storyboard/jsonio.dumps_board)
            title      TEXT NOT NULL,
            shot_count INTEGER NOT NULL,
            updated_at REAL NOT NULL,               -- the board's own updated_at (the list's order)
            pending    INTEGER NOT NULL DEFAULT 0,  -- 1: a chained Generate still has shots to send
            size       INTEGER NOT NULL,            -- bytes of body (UTF-8)
            version    INTEGER NOT NULL DEFAULT 1,  -- bumped by every save
            trashed_at REAL,                        -- epoch seconds: deleted, undoable until purged
            PRIMARY KEY (owner, board_id)
        )
        """
    )
    conn.execute("CREATE INDEX boards_pending ON boards (pending)")
    conn.execute("CREATE INDEX boards_trashed ON boards (trashed_at)")


def _migration_13(conn: sqlite3.Connection) -> None:
    """Jobs-in-flight slots (#22): one row per job at the provider, for the whole deployment, so the
    caps on jobs in flight (in all and per owner) are counted and taken in one transaction by any replica.
    A slot is the job's, not its replica's: a job taken over keeps it until its provider task is over."""
    conn.execute(
        """
        CREATE TABLE flight_slots (
            job_id   TEXT PRIMARY KEY NOT NULL,
            owner    TEXT NOT NULL,
            holder   TEXT NOT NULL,    -- the replica that took the slot (or took the job over since)
            taken_at REAL NOT NULL     -- epoch seconds
        )
        """
    )
    conn.execute("CREATE INDEX flight_slots_owner ON flight_slots (owner)")


# Ordered: MIGRATIONS[n - 1] takes the schema from version n - 1 to n. Append only.
MIGRATIONS: list[Migration] = [
    _migration_1, _migration_2, _migration_3, _migration_4, _migration_5, _migration_6, _migration_7,
    _migration_8, _migration_9, _migration_10, _migration_11, _migration_12, _migration_13,
]


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
                    f"studio database has schema version {version}; this build knows {len(steps)}"
                )
            if version == len(steps):
                conn.execute("COMMIT")
                return version
            steps[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1:d}")
            conn.execute("COMMIT")
            log.info("studio database migrated to schema version %d", version + 1)
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def connect(path: Path) -> sqlite3.Connection:
    """The one way the studio opens SQLite: autocommit, WAL, busy timeout, rows by name."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000):d}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        log.warning("studio database is in %s mode, not WAL (filesystem without shared memory?)", mode)
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


# --- row <-> record -----------------------------------------------------------------------------------


def _column_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    """JobRecord field values as stored: params as JSON text, status as its word, booleans as 0/1."""
    values = dict(fields)
    if "status" in values:
        values["status"] = JobStatus(values["status"]).value
    if "params" in values:
        if not isinstance(values["params"], dict):
            raise TypeError("params must be a dict")
        values["params"] = json.dumps(values["params"], ensure_ascii=False, sort_keys=True)
    if values.get("has_audio") is not None:
        values["has_audio"] = int(bool(values["has_audio"]))
    return values


def _from_row(row: sqlite3.Row) -> JobRecord:
    data = {name: row[name] for name in FIELD_NAMES}
    data["params"] = json.loads(data["params"])
    data["status"] = JobStatus(data["status"])
    if data["has_audio"] is not None:
        data["has_audio"] = bool(data["has_audio"])
    return JobRecord(**data)


def _like_words(words: tuple[str, ...]) -> builtins.list[str]:
    """LIKE patterns that find each word anywhere (its %, _ and the escape character taken literally)."""
    return ["%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for w in words]


def _history_where(owners: builtins.list[str], query: HistoryQuery) -> tuple[str, builtins.list[Any]]:
    """The WHERE clause (jobs as `j`, their take as `b`) and its arguments for a history query."""
    clauses = [f"j.owner IN ({', '.join('?' for _ in owners)})"]
    args: builtins.list[Any] = list(owners)
    statuses = query.statuses()
    if statuses:
        clauses.append(f"j.status IN ({', '.join('?' for _ in statuses)})")
        args += statuses
    if query.mode == MODE_EXTEND:
        clauses.append("b.extends = 1")
    elif query.mode:
        clauses.append("j.mode = ? AND COALESCE(b.extends, 0) = 0")
        args.append(query.mode)
    if query.favourites:
        clauses.append("j.favourite = 1")
    if query.board == BOARD_STUDIO:
        clauses.append("b.job_id IS NULL")
    elif query.board:
        clauses.append("b.board_id = ?")
        args.append(query.board)
    for pattern in _like_words(query.words()):
        clauses.append("json_extract(j.params, '$.prompt') LIKE ? ESCAPE '\\'")
        args.append(pattern)
    return " AND ".join(clauses), args


def _history_row(row: sqlite3.Row) -> HistoryRow:
    record = _from_row(row)
    take = None
    if row["board_id"] is not None:
        take = BoardTake(record.id, row["board_id"], row["board_title"], row["shot_number"],
                         row["take_number"], bool(row["extends"]))
    return HistoryRow(record, bool(row["favourite"]), take)


# The columns of a remembered upload (client.uploads.UploadedFile's fields, by name).
UPLOAD_FIELDS = ("sha256", "file_url", "expires_at", "file_id", "file_name", "size_bytes", "mime_type")
_UPLOAD_COLUMNS = ", ".join(UPLOAD_FIELDS)
_TERMINAL_VALUES = tuple(sorted(s.value for s in JobStatus if s.terminal))
_SLOTLESS_VALUES = tuple(sorted(s.value for s in SLOTLESS_STATUSES))
# Slots of jobs whose provider task is over, or that are gone (one primary-key look-up per slot).
_SWEEP_SLOTS = ("DELETE FROM flight_slots WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = "
                f"flight_slots.job_id AND j.status NOT IN ({', '.join('?' for _ in _SLOTLESS_VALUES)}))")
# Per owner, the queued jobs without a slot created before a given job (they come first).
_OLDER_WAITING = ("SELECT q.owner, COUNT(*) FROM jobs me JOIN jobs q ON q.created_at < me.created_at "
                  "WHERE me.id = ? AND q.status = ? AND NOT EXISTS (SELECT 1 FROM flight_slots s "
                  "WHERE s.job_id = q.id) GROUP BY q.owner")
_COLUMNS = ", ".join(FIELD_NAMES)
_SELECT_JOB = f"SELECT {_COLUMNS} FROM jobs WHERE id = ?"
# The columns of board reviews' rows (seedance_ui/review/ reads and writes them as dicts).
REVIEW_LINK_COLUMNS = ("id", "owner", "board_id", "token_hash", "pass_salt", "pass_hash", "show_prompts",
                       "created_at", "expires_at", "last_opened_at", "revoked_at")
REVIEW_NOTE_COLUMNS = ("id", "link_id", "owner", "board_id", "shot_id", "take_job_id", "seconds", "reviewer",
                       "body", "parent_id", "created_at", "resolved_at")
REVIEW_STATUS_COLUMNS = ("owner", "board_id", "shot_id", "take_job_id", "reviewer", "status", "link_id",
                         "set_at")
_LINK_COLUMNS = ", ".join(REVIEW_LINK_COLUMNS)
_NOTE_COLUMNS = ", ".join(REVIEW_NOTE_COLUMNS)
_STATUS_COLUMNS = ", ".join(REVIEW_STATUS_COLUMNS)
# The columns of the chat-token ledger and of prompt versions (seedance_ui/llm/ reads and writes dicts).
LLM_USAGE_COLUMNS = ("id", "owner", "address", "day", "reserved", "used", "capped", "created_at")
PROMPT_VERSION_COLUMNS = ("id", "owner", "subject", "text", "source", "created_at")
_LLM_USAGE_COLUMNS = ", ".join(LLM_USAGE_COLUMNS)
_VERSION_COLUMNS = ", ".join(PROMPT_VERSION_COLUMNS)
# What a board save writes (storyboard/persist.py); `version` and `trashed_at` are the database's to keep.
BOARD_COLUMNS = ("owner", "board_id", "body", "title", "shot_count", "updated_at", "pending", "size")
BOARD_LIST_COLUMNS = ("board_id", "title", "shot_count", "updated_at", "pending", "size", "version")
_BOARD_COLUMNS = ", ".join(BOARD_COLUMNS)
_BOARD_ROW = f"{_BOARD_COLUMNS}, version, trashed_at"
BOARD_SAVE_SET = (", ".join(f"{name} = excluded.{name}" for name in BOARD_COLUMNS[2:])
                  + ", version = boards.version + 1")  # a save's upsert (the same on PostgreSQL)
# Legacy databases: file name -> the table it held (same name and columns in the one database).
LEGACY_TABLES = {"history.sqlite3": "jobs", "jobs.sqlite3": "job_meta", "budget.sqlite3": "spend"}


class SqliteDatabase:
    """The `Database` interface on one SQLite file: one connection guarded by a re-entrant lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = connect(path)
        try:
            self.schema_version = apply_migrations(self._conn)
            self._check_columns()
        except BaseException:
            self._conn.close()
            raise

    def _check_columns(self) -> None:
        columns = {r["name"] for r in self._rows("PRAGMA table_info(jobs)")}
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

    def _rows(self, sql: str, args: Any = ()) -> builtins.list[sqlite3.Row]:
        """Every row of a query, read to the end under the lock (no statement is left running)."""
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def _row(self, sql: str, args: Any = ()) -> sqlite3.Row | None:
        found = self._rows(sql, args)
        return found[0] if found else None

    def _write(self, sql: str, args: Any = ()) -> int:
        """Run one statement; the number of rows it changed."""
        with self._lock:
            return self._conn.execute(sql, args).rowcount

    def _write_many(self, sql: str, rows: builtins.list[Any]) -> None:
        with self._transaction() as conn:
            conn.executemany(sql, rows)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __repr__(self) -> str:
        return f"SqliteDatabase({str(self.path)!r})"

    # -- jobs ----------------------------------------------------------------------------------------

    def insert_job(self, record: JobRecord) -> None:
        """Insert a new record (paths already relative); sqlite3.IntegrityError for a duplicate id."""
        row = _column_values(dataclasses.asdict(record))
        placeholders = ", ".join(f":{name}" for name in FIELD_NAMES)
        self._write(f"INSERT INTO jobs ({_COLUMNS}) VALUES ({placeholders})", row)

    def update_job(self, job_id: str, fields: Mapping[str, Any]) -> JobRecord | None:
        """Set some fields (names already checked); the new record, or None for an unknown job."""
        values = _column_values(fields)
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        with self._transaction() as conn:
            cursor = conn.execute(f"UPDATE jobs SET {assignments} WHERE id = :_id", {**values, "_id": job_id})
            if cursor.rowcount != 1:
                return None
            row = self._row(_SELECT_JOB, (job_id,))
        assert row is not None
        return _from_row(row)

    def get_job(self, job_id: str) -> JobRecord | None:
        row = self._row(_SELECT_JOB, (job_id,))
        return None if row is None else _from_row(row)

    def find_job_by_task(self, task_id: str) -> JobRecord | None:
        """The newest record following this provider task, or None."""
        row = self._row(
            f"SELECT {_COLUMNS} FROM jobs WHERE task_id = ? ORDER BY created_at DESC LIMIT 1", (task_id,)
        )
        return None if row is None else _from_row(row)

    def list_jobs(self, owner: str, limit: int) -> builtins.list[JobRecord]:
        """The owner's records, newest first."""
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM jobs WHERE owner = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (owner, max(0, int(limit))),
        )
        return [_from_row(r) for r in rows]

    def unfinished_jobs(self) -> builtins.list[JobRecord]:
        """Every record not in a terminal status, oldest first."""
        marks = ", ".join("?" for _ in _TERMINAL_VALUES)
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM jobs WHERE status NOT IN ({marks}) ORDER BY created_at, rowid",
            _TERMINAL_VALUES,
        )
        return [_from_row(r) for r in rows]

    def finished_count(self) -> int:
        """How many jobs of every owner are completed (counted on the status index)."""
        row = self._row("SELECT COUNT(*) FROM jobs WHERE status = ?", (JobStatus.COMPLETED.value,))
        return int(row[0]) if row else 0

    def finished_durations(self, limit: int) -> builtins.list[tuple[Any, Any, float]]:
        """(model, duration, seconds from submit to the provider's completion) of the newest completed
        jobs of every owner, newest first (model and duration as the params hold them)."""
        rows = self._rows(
            "SELECT json_extract(params, '$.model'), json_extract(params, '$.duration'), "
            "completed_at - submitted_at FROM jobs WHERE status = ? AND submitted_at IS NOT NULL "
            "AND completed_at IS NOT NULL ORDER BY completed_at DESC LIMIT ?",
            (JobStatus.COMPLETED.value, max(0, int(limit))),
        )
        return [(r[0], r[1], float(r[2])) for r in rows]

    def delete_job(self, job_id: str, owner: str) -> tuple[str | None, str | None] | None:
        """Delete the owner's record; its stored (video_path, poster_path), or None if there was none."""
        with self._transaction() as conn:
            row = self._row(
                "SELECT video_path, poster_path FROM jobs WHERE id = ? AND owner = ?", (job_id, owner)
            )
            if row is None:
                return None
            conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        return row["video_path"], row["poster_path"]

    # -- the history's pages: filters, search, favourites, storyboard takes (store/query.py) -------------

    def query_jobs(
        self, owners: builtins.list[str], query: HistoryQuery, size: int
    ) -> tuple[builtins.list[HistoryRow], int]:
        """One page (`query.page`, `size` rows) of the owners' jobs that pass every filter of `query`,
        newest first, and how many pass in all. Filtered, counted and paged here, over the indexes."""
        where, args = _history_where(owners, query)
        joined = f"FROM jobs j LEFT JOIN board_takes b ON b.job_id = j.id WHERE {where}"
        columns = ", ".join(f"j.{name} AS {name}" for name in FIELD_NAMES)
        size = max(1, min(int(size), MAX_PAGE_SIZE))
        with self._lock:
            total = int(self._conn.execute(f"SELECT COUNT(*) {joined}", args).fetchone()[0])
            rows = self._conn.execute(
                f"SELECT {columns}, j.favourite, b.board_id, b.board_title, b.shot_number, b.take_number, "
                f"b.extends {joined} ORDER BY j.created_at DESC, j.rowid DESC LIMIT ? OFFSET ?",
                (*args, size, max(0, int(query.page)) * size),
            ).fetchall()
        return [_history_row(r) for r in rows], total

    def set_favourite(self, job_id: str, owners: builtins.list[str], favourite: bool) -> bool:
        """Star (or unstar) one of the owners' jobs; False when none of them has it."""
        marks = ", ".join("?" for _ in owners)
        return self._write(
            f"UPDATE jobs SET favourite = ? WHERE id = ? AND owner IN ({marks})",
            (int(bool(favourite)), job_id, *owners),
        ) == 1

    def is_favourite(self, job_id: str) -> bool:
        found = self._row("SELECT favourite FROM jobs WHERE id = ?", (job_id,))
        return found is not None and bool(found[0])

    def board_take_boards(self, owner: str) -> set[str]:
        """The ids of the owner's boards that have takes recorded."""
        rows = self._rows("SELECT DISTINCT board_id FROM board_takes WHERE owner = ?", (owner,))
        return {r[0] for r in rows}

    def put_board_takes(self, owner: str, board_id: str, takes: builtins.list[BoardTake]) -> None:
        """The board's takes are now exactly `takes` (a board's earlier rows go; None of another's stay)."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM board_takes WHERE owner = ? AND board_id = ?", (owner, board_id))
            conn.executemany(
                "INSERT OR REPLACE INTO board_takes (job_id, owner, board_id, board_title, shot_number, "
                "take_number, extends) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(t.job_id, owner, board_id, t.board_title, int(t.shot_number), int(t.take_number),
                  int(t.extends)) for t in takes],
            )

    # -- job bookkeeping -------------------------------------------------------------------------------

    def put_job_meta(self, meta: JobMeta) -> None:
        """Write (or replace) a job's bookkeeping row."""
        self._write(
            "INSERT OR REPLACE INTO job_meta (job_id, key_source, webhook_token, created_at) "
            "VALUES (?, ?, ?, ?)",
            (meta.job_id, meta.key_source, meta.webhook_token, time.time()),
        )

    def get_job_meta(self, job_id: str) -> JobMeta | None:
        row = self._row("SELECT job_id, key_source, webhook_token FROM job_meta WHERE job_id = ?", (job_id,))
        return JobMeta(*row) if row else None

    def webhook_tokens(self) -> dict[str, str]:
        """Live webhook tokens: token -> job_id."""
        rows = self._rows("SELECT webhook_token, job_id FROM job_meta WHERE webhook_token IS NOT NULL")
        return {token: job_id for token, job_id in rows}

    def drop_webhook_token(self, job_id: str) -> None:
        self._write("UPDATE job_meta SET webhook_token = NULL WHERE job_id = ?", (job_id,))

    def delete_job_meta(self, job_id: str) -> None:
        self._write("DELETE FROM job_meta WHERE job_id = ?", (job_id,))

    # -- spending (the budget ledger) --------------------------------------------------------------------

    def spent(self, day: str, owner: str | None = None, address: str | None = None) -> float:
        """Credits counted on `day` (all owners, one owner, or one client address): reserved when
        known, else the estimate."""
        sql = (
            "SELECT COALESCE(SUM(COALESCE(reserved, estimated)), 0) FROM spend "
            "WHERE day = ? AND released = 0"
        )
        args: tuple[str, ...] = (day,)
        if owner is not None:
            sql += " AND owner = ?"
            args += (owner,)
        if address is not None:
            sql += " AND address = ?"
            args += (address,)
        return float(self._rows(sql, args)[0][0])

    def add_spend(
        self, job_id: str, owner: str, day: str, estimated: float, now: float, address: str | None = None
    ) -> None:
        """Count a job's estimate on `day` (replacing any earlier row of the job)."""
        self._write(
            "INSERT OR REPLACE INTO spend (job_id, owner, day, estimated, reserved, released, created_at, "
            "address) VALUES (?, ?, ?, ?, NULL, 0, ?, ?)",
            (job_id, owner, day, float(estimated), now, address),
        )

    def reserve_spend(
        self, job_id: str, owner: str, day: str, estimated: float, now: float, address: str | None = None,
        *, day_cap: float = 0.0, visitor_cap: float = 0.0,
    ) -> tuple[str, float] | None:
        """Count a job's estimate on `day` unless it passes a cap (0: none): `day_cap` for all owners,
        `visitor_cap` for the owner (or, when larger, the address). None when counted; else ("day" or
        "visitor", the credits that cap had counted already), nothing written. Atomic."""
        with self._transaction():
            if day_cap:
                spent = self.spent(day)
                if spent + estimated > day_cap + SPEND_EPSILON:
                    return "day", spent
            if visitor_cap:
                spent = self.spent(day, owner)
                if address is not None:
                    spent = max(spent, self.spent(day, address=address))
                if spent + estimated > visitor_cap + SPEND_EPSILON:
                    return "visitor", spent
            self.add_spend(job_id, owner, day, estimated, now, address)
            return None

    def reconcile_spend(self, job_id: str, reserved: float) -> None:
        self._write("UPDATE spend SET reserved = ? WHERE job_id = ?", (float(reserved), job_id))

    def release_spend(self, job_id: str) -> bool:
        """Stop counting a job; False when it was not counted (unknown, or released already)."""
        return self._write("UPDATE spend SET released = 1 WHERE job_id = ? AND released = 0", (job_id,)) == 1

    def forget_spend(self, job_id: str) -> None:
        self._write("DELETE FROM spend WHERE job_id = ?", (job_id,))

    def spend_row(self, job_id: str) -> SpendRow | None:
        found = self._row(
            "SELECT owner, estimated, reserved, released FROM spend WHERE job_id = ?", (job_id,)
        )
        return None if found is None else SpendRow(found[0], found[1], found[2], bool(found[3]))

    # -- uploads (the file API's upload cache) -------------------------------------------------------------

    def get_upload(self, sha256: str, identity: str) -> dict[str, Any] | None:
        """The remembered upload of this content for this key identity (expired or not), or None."""
        row = self._row(
            f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE sha256 = ? AND identity = ?", (sha256, identity)
        )
        return None if row is None else {name: row[name] for name in UPLOAD_FIELDS}

    def put_upload(self, identity: str, upload: Mapping[str, Any]) -> None:
        """Remember an upload (`UPLOAD_FIELDS`), replacing the one of the same content and identity."""
        values = {name: upload.get(name) for name in UPLOAD_FIELDS}
        marks = ", ".join(f":{name}" for name in UPLOAD_FIELDS)
        self._write(
            f"INSERT OR REPLACE INTO uploads (identity, {_UPLOAD_COLUMNS}) VALUES (:identity, {marks})",
            {**values, "identity": identity},
        )

    def forget_uploads(self, before: float) -> int:
        """Drop every upload that expires before `before` (epoch s); how many went."""
        return self._write("DELETE FROM uploads WHERE expires_at < ?", (float(before),))

    # -- input blobs (a job's input pictures, stored once per content) -----------------------------------

    def add_input_refs(self, job_id: str, owner: str, blobs: builtins.list[tuple[str, str, int]]) -> None:
        """Record that the job uses these blobs: (path, sha256, size) each."""
        self._write_many(
            "INSERT OR IGNORE INTO input_refs (job_id, owner, path, sha256, size) VALUES (?, ?, ?, ?, ?)",
            [(job_id, owner, path, sha, int(size)) for path, sha, size in blobs],
        )

    def release_input_refs(self, job_id: str) -> builtins.list[str]:
        """Forget the job's blobs; the paths of those no other job uses any more (to delete)."""
        with self._transaction() as conn:
            paths = [r[0] for r in conn.execute("SELECT path FROM input_refs WHERE job_id = ?", (job_id,))]
            conn.execute("DELETE FROM input_refs WHERE job_id = ?", (job_id,))
            used = "SELECT 1 FROM input_refs WHERE path = ? LIMIT 1"
            return [p for p in paths if conn.execute(used, (p,)).fetchone() is None]

    def input_bytes(self, owner: str) -> int:
        """The bytes of the distinct blobs the owner's jobs use."""
        row = self._row(
            "SELECT COALESCE(SUM(size), 0) FROM (SELECT DISTINCT path, size FROM input_refs WHERE owner = ?)",
            (owner,),
        )
        return int(row[0]) if row is not None else 0

    def owner_has_input(self, owner: str, path: str) -> bool:
        """Some job of the owner already uses this blob (it costs them nothing more)."""
        found = self._row("SELECT 1 FROM input_refs WHERE owner = ? AND path = ? LIMIT 1", (owner, path))
        return found is not None

    # -- idempotency keys (one job per owner and key) -------------------------------------------------------

    def idempotent_job(self, owner: str, key: str) -> str | None:
        """The id of the job the owner's submission with `key` made, or None (unused, or reserved)."""
        found = self._row("SELECT job_id FROM idempotency_keys WHERE owner = ? AND key = ? AND job_id <> ?",
                          (owner, key, IDEMPOTENCY_PENDING))
        return None if found is None else str(found[0])

    def put_idempotent_job(self, owner: str, key: str, job_id: str, now: float) -> bool:
        """Bind the owner's `key` (unused, or reserved) to `job_id`; False (and nothing changed) when it
        is bound already."""
        return self._write(
            "INSERT INTO idempotency_keys (owner, key, job_id, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (owner, key) DO UPDATE SET job_id = excluded.job_id, "
            "created_at = excluded.created_at WHERE idempotency_keys.job_id = ?",
            (owner, key, job_id, float(now), IDEMPOTENCY_PENDING),
        ) == 1

    def reserve_idempotency_key(self, owner: str, key: str, now: float, stale_before: float) -> str | None:
        """Reserve the owner's `key` for a submission about to be made: None when the caller has it now
        (unused, or reserved before `stale_before` by a submission that never finished); else the job id
        it is bound to, or IDEMPOTENCY_PENDING while another submission holds it. Atomic."""
        with self._transaction() as conn:
            if conn.execute(
                "INSERT OR IGNORE INTO idempotency_keys (owner, key, job_id, created_at) VALUES (?, ?, ?, ?)",
                (owner, key, IDEMPOTENCY_PENDING, float(now)),
            ).rowcount == 1:
                return None
            if conn.execute(
                "UPDATE idempotency_keys SET created_at = ? WHERE owner = ? AND key = ? AND job_id = ? "
                "AND created_at < ?", (float(now), owner, key, IDEMPOTENCY_PENDING, float(stale_before)),
            ).rowcount == 1:
                return None
            row = self._row("SELECT job_id FROM idempotency_keys WHERE owner = ? AND key = ?", (owner, key))
            return None if row is None else str(row[0])

    def release_idempotency_key(self, owner: str, key: str) -> None:
        """Give back a reservation whose submission was refused (a bound key stays bound)."""
        self._write("DELETE FROM idempotency_keys WHERE owner = ? AND key = ? AND job_id = ?",
                    (owner, key, IDEMPOTENCY_PENDING))

    # -- deployment-wide limits (events per scope and subject in a sliding window; admitted jobs) -----------

    def _limit_uses(self, scope: str, subjects: builtins.list[str], since: float
                    ) -> builtins.list[tuple[int, float, float | None]]:
        """Each subject's (count, total amount, oldest time) of `scope`'s events after `since`."""
        return [tuple(self._row(  # type: ignore[misc]
            "SELECT COUNT(*), COALESCE(SUM(amount), 0), MIN(at) FROM limit_events "
            "WHERE scope = ? AND subject = ? AND at > ?", (scope, subject, since)))
            for subject in subjects]

    def _add_limit_events(self, conn: sqlite3.Connection, scope: str, subjects: builtins.list[str],
                          ref: str, now: float, amount: float) -> None:
        conn.execute("DELETE FROM limit_events WHERE at <= ?", (now - LIMIT_KEEP_SECONDS,))
        conn.executemany(
            "INSERT OR REPLACE INTO limit_events (scope, subject, ref, at, amount) VALUES (?, ?, ?, ?, ?)",
            [(scope, subject, ref, float(now), float(amount)) for subject in subjects],
        )

    def hit_limit(self, scope: str, subjects: builtins.list[str], ref: str, now: float, window: float, *,
                  max_count: int = 0, max_amount: float = 0.0, amount: float = 0.0,
                  base: float = 0.0) -> LimitUse:
        """Record one event (`ref`, `amount`) of `scope` for each subject unless, in the `window` seconds
        up to `now`, a subject has `max_count` events already or its amounts plus this one pass
        `max_amount` (0: no cap) with `base` added; see records.limit_verdict. Atomic: replicas never pass
        a cap together."""
        with self._transaction() as conn:
            use = limit_verdict(self._limit_uses(scope, subjects, now - window), now, window,
                                max_count=max_count, max_amount=max_amount, amount=amount, base=base)
            if use.refused is None:
                self._add_limit_events(conn, scope, subjects, ref, now, amount)
            return use

    def set_limit_amount(self, scope: str, ref: str, amount: float) -> None:
        """Correct the amount of an event (an upload's bytes once its body has arrived)."""
        self._write("UPDATE limit_events SET amount = ? WHERE scope = ? AND ref = ?",
                    (float(amount), scope, ref))

    def drop_limit_event(self, scope: str, ref: str) -> None:
        """Stop counting an event (a refusal after it was recorded)."""
        self._write("DELETE FROM limit_events WHERE scope = ? AND ref = ?", (scope, ref))

    def _unfinished(self, subject: str, now: float) -> int:
        """The subject's admitted jobs that are not over: not terminal, or not written yet (recently)."""
        marks = ", ".join("?" for _ in _TERMINAL_VALUES)
        row = self._row(
            "SELECT COUNT(*) FROM job_admissions a LEFT JOIN jobs j ON j.id = a.job_id WHERE a.subject = ? "
            f"AND ((j.id IS NOT NULL AND j.status NOT IN ({marks})) "
            "OR (j.id IS NULL AND a.admitted_at > ?))",
            (subject, *_TERMINAL_VALUES, now - ADMISSION_GRACE_SECONDS),
        )
        return int(row[0]) if row else 0

    def admit_job(self, job_id: str, subjects: builtins.list[str], now: float, *, max_unfinished: int,
                  rate_scope: str, window: float, max_per_window: int) -> tuple[str, float] | None:
        """Admit a job for these subjects unless one has `max_unfinished` unfinished jobs (counted from the
        jobs table; 0: no cap) -> ("unfinished", that count), or `max_per_window` admissions in `window`
        -> ("rate", seconds to wait); None when admitted: the job counts as unfinished and as one
        `rate_scope` event (ref: the job id) for each subject. Atomic."""
        with self._transaction() as conn:
            if max_unfinished:
                waiting = max(self._unfinished(subject, now) for subject in subjects)
                if waiting >= max_unfinished:
                    return "unfinished", float(waiting)
            if max_per_window:
                use = limit_verdict(self._limit_uses(rate_scope, subjects, now - window), now, window,
                                    max_count=max_per_window, max_amount=0.0, amount=0.0)
                if use.refused is not None:
                    return "rate", use.wait
                self._add_limit_events(conn, rate_scope, subjects, job_id, now, 0.0)
            conn.executemany("INSERT OR REPLACE INTO job_admissions (job_id, subject, admitted_at) "
                             "VALUES (?, ?, ?)", [(job_id, subject, float(now)) for subject in subjects])
            return None

    def release_admission(self, job_id: str) -> None:
        """The job ended, or was never written: it no longer counts as unfinished (its rate events stay)."""
        self._write("DELETE FROM job_admissions WHERE job_id = ?", (job_id,))

    # -- identities ---------------------------------------------------------------------------------------

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
        found = self._row("SELECT owner FROM visitor_owners WHERE visitor = ?", (visitor,))
        return None if found is None else str(found[0])

    def adopt_owner(self, visitor: str, owner: str) -> bool:
        """Let `visitor` stand for `owner` from now on: once per visitor and once per owner, and only
        while the visitor has no history of its own (nothing of theirs is hidden by it)."""
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

    # -- board reviews (seedance_ui/review/: links, versions, notes, statuses; rows as dicts) --------------

    def insert_review_link(self, row: Mapping[str, Any], *, max_active: int, now: float) -> bool:
        """Add a share link (`REVIEW_LINK_COLUMNS`); False (nothing added) when the owner already has
        `max_active` links that are neither revoked nor expired."""
        with self._transaction() as conn:
            active = conn.execute(
                "SELECT COUNT(*) FROM review_links WHERE owner = ? AND revoked_at IS NULL AND expires_at > ?",
                (row["owner"], float(now)),
            ).fetchone()[0]
            if active >= max_active:
                return False
            marks = ", ".join(f":{name}" for name in REVIEW_LINK_COLUMNS)
            conn.execute(f"INSERT INTO review_links ({_LINK_COLUMNS}) VALUES ({marks})", dict(row))
            return True

    def review_links(self, owner: str, board_id: str) -> builtins.list[dict[str, Any]]:
        """The owner's links to a board, newest first."""
        rows = self._rows(
            f"SELECT {_LINK_COLUMNS} FROM review_links WHERE owner = ? AND board_id = ? "
            "ORDER BY created_at DESC, rowid DESC",
            (owner, board_id),
        )
        return [dict(r) for r in rows]

    def review_link(
        self, *, link_id: str | None = None, token_hash: str | None = None
    ) -> dict[str, Any] | None:
        """One link by its id or by its token's hash (whatever its state), or None."""
        column, value = ("id", link_id) if link_id is not None else ("token_hash", token_hash)
        row = self._row(f"SELECT {_LINK_COLUMNS} FROM review_links WHERE {column} = ?", (value,))
        return None if row is None else dict(row)

    def touch_review_link(self, link_id: str, now: float) -> None:
        self._write("UPDATE review_links SET last_opened_at = ? WHERE id = ?", (float(now), link_id))

    def revoke_review_link(self, owner: str, link_id: str, now: float) -> bool:
        """Revoke the owner's link; False when they have no such link or it was revoked already."""
        return self._write(
            "UPDATE review_links SET revoked_at = ? WHERE id = ? AND owner = ? AND revoked_at IS NULL",
            (float(now), link_id, owner),
        ) == 1

    def add_review_versions(
        self, owner: str, board_id: str, shown: builtins.list[tuple[str, str]], now: float
    ) -> None:
        """Record (shot_id, take_job_id) pairs as shown: each new pair becomes its shot's next version."""
        with self._transaction() as conn:
            for shot_id, job_id in shown:
                conn.execute(
                    "INSERT OR IGNORE INTO review_versions "
                    "(owner, board_id, shot_id, take_job_id, number, first_shown_at) "
                    "SELECT ?, ?, ?, ?, COALESCE(MAX(number), 0) + 1, ? FROM review_versions "
                    "WHERE owner = ? AND board_id = ? AND shot_id = ?",
                    (owner, board_id, shot_id, job_id, float(now), owner, board_id, shot_id),
                )

    def review_versions(self, owner: str, board_id: str) -> builtins.list[dict[str, Any]]:
        """Every version of the board's shots: shot_id, take_job_id, number, first_shown_at."""
        rows = self._rows(
            "SELECT shot_id, take_job_id, number, first_shown_at FROM review_versions "
            "WHERE owner = ? AND board_id = ? ORDER BY shot_id, number",
            (owner, board_id),
        )
        return [dict(r) for r in rows]

    def add_review_note(
        self, row: Mapping[str, Any], *, max_per_link: int, max_recent: int, since: float
    ) -> str:
        """Add a note (`REVIEW_NOTE_COLUMNS`) unless its link holds `max_per_link` notes already
        (answer "quota") or wrote `max_recent` since `since` ("rate"); "added" when added. Atomic."""
        with self._transaction() as conn:
            total, recent = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(created_at >= ?), 0) FROM review_notes WHERE link_id = ?",
                (float(since), row["link_id"]),
            ).fetchone()
            if total >= max_per_link:
                return "quota"
            if recent >= max_recent:
                return "rate"
            marks = ", ".join(f":{name}" for name in REVIEW_NOTE_COLUMNS)
            conn.execute(f"INSERT INTO review_notes ({_NOTE_COLUMNS}) VALUES ({marks})", dict(row))
            return "added"

    def review_notes(self, owner: str, board_id: str) -> builtins.list[dict[str, Any]]:
        """Every note on the board, oldest first."""
        rows = self._rows(
            f"SELECT {_NOTE_COLUMNS} FROM review_notes WHERE owner = ? AND board_id = ? "
            "ORDER BY created_at, rowid",
            (owner, board_id),
        )
        return [dict(r) for r in rows]

    def review_note(self, note_id: str) -> dict[str, Any] | None:
        row = self._row(f"SELECT {_NOTE_COLUMNS} FROM review_notes WHERE id = ?", (note_id,))
        return None if row is None else dict(row)

    def resolve_review_note(self, owner: str, note_id: str, resolved_at: float | None) -> bool:
        """Mark the owner's note resolved at `resolved_at` (None: open again); False when there is none."""
        return self._write(
            "UPDATE review_notes SET resolved_at = ? WHERE id = ? AND owner = ?",
            (resolved_at, note_id, owner),
        ) == 1

    def set_review_status(
        self, row: Mapping[str, Any], *, max_per_link: int, max_recent: int, since: float
    ) -> str:
        """Set a reviewer's status on a take (`REVIEW_STATUS_COLUMNS`; the latest wins) unless the link
        holds `max_per_link` statuses already ("quota") or set `max_recent` since `since` ("rate")."""
        with self._transaction() as conn:
            total, recent = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(set_at >= ?), 0) FROM review_statuses WHERE link_id = ?",
                (float(since), row["link_id"]),
            ).fetchone()
            if recent >= max_recent:
                return "rate"
            marks = ", ".join(f":{name}" for name in REVIEW_STATUS_COLUMNS)
            if total >= max_per_link:  # only a status already counted may change
                cursor = conn.execute(
                    "UPDATE review_statuses SET status = :status, set_at = :set_at WHERE owner = :owner "
                    "AND board_id = :board_id AND shot_id = :shot_id AND take_job_id = :take_job_id "
                    "AND reviewer = :reviewer AND link_id = :link_id",
                    dict(row),
                )
                return "added" if cursor.rowcount == 1 else "quota"
            conn.execute(
                f"INSERT OR REPLACE INTO review_statuses ({_STATUS_COLUMNS}) VALUES ({marks})", dict(row)
            )
            return "added"

    def review_statuses(self, owner: str, board_id: str) -> builtins.list[dict[str, Any]]:
        """Every reviewer's latest status per take on the board, oldest first."""
        rows = self._rows(
            f"SELECT {_STATUS_COLUMNS} FROM review_statuses WHERE owner = ? AND board_id = ? "
            "ORDER BY set_at, rowid",
            (owner, board_id),
        )
        return [dict(r) for r in rows]

    def review_seen(self, owner: str, board_id: str) -> float:
        """When the owner last marked the board's notes read (0.0: never)."""
        row = self._row("SELECT seen_at FROM review_seen WHERE owner = ? AND board_id = ?", (owner, board_id))
        return float(row["seen_at"]) if row is not None else 0.0

    def mark_review_seen(self, owner: str, board_id: str, at: float) -> None:
        self._write(
            "INSERT INTO review_seen (owner, board_id, seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT (owner, board_id) DO UPDATE SET seen_at = MAX(seen_at, excluded.seen_at)",
            (owner, board_id, at),
        )

    # -- chat tokens (seedance_ui/llm/usage.py) and prompt versions (seedance_ui/llm/versions.py) -----------

    def llm_tokens(self, day: str, owner: str | None = None, address: str | None = None,
                   *, capped_only: bool = False) -> int:
        """Chat tokens counted on `day` (all, one owner, or one client address): used when known, else
        reserved; `capped_only`: only those on a key the daily cap binds."""
        sql = "SELECT COALESCE(SUM(COALESCE(used, reserved)), 0) FROM llm_usage WHERE day = ?"
        args: tuple[Any, ...] = (day,)
        if owner is not None:
            sql += " AND owner = ?"
            args += (owner,)
        if address is not None:
            sql += " AND address = ?"
            args += (address,)
        if capped_only:
            sql += " AND capped = 1"
        return int(self._rows(sql, args)[0][0])

    def reserve_llm_tokens(self, row: Mapping[str, Any], *, cap: int) -> bool:
        """Count a call's reservation (`LLM_USAGE_COLUMNS`) unless, on a capped key, its owner's or its
        address's capped tokens of the day plus it would pass `cap` (0: no cap); atomic."""
        with self._transaction() as conn:
            if cap and row["capped"]:
                subjects = [("owner", row["owner"])]
                if row["address"]:
                    subjects.append(("address", row["address"]))
                for column, value in subjects:
                    used = conn.execute(
                        "SELECT COALESCE(SUM(COALESCE(used, reserved)), 0) FROM llm_usage "
                        f"WHERE day = ? AND capped = 1 AND {column} = ?",
                        (row["day"], value),
                    ).fetchone()[0]
                    if used + int(row["reserved"]) > cap:
                        return False
            marks = ", ".join(f":{name}" for name in LLM_USAGE_COLUMNS)
            conn.execute(f"INSERT INTO llm_usage ({_LLM_USAGE_COLUMNS}) VALUES ({marks})", dict(row))
            return True

    def settle_llm_tokens(self, call_id: str, used: int) -> None:
        """A call's real token count (what the provider reported, or 0 when nothing was sent)."""
        self._write("UPDATE llm_usage SET used = ? WHERE id = ?", (int(used), call_id))

    def add_prompt_version(self, row: Mapping[str, Any], *, keep: int) -> dict[str, Any]:
        """Add a version (`PROMPT_VERSION_COLUMNS`) unless its text equals the subject's latest (then the
        latest is returned unchanged); the subject keeps its `keep` newest versions. Atomic."""
        with self._transaction() as conn:
            latest = conn.execute(
                f"SELECT {_VERSION_COLUMNS} FROM prompt_versions WHERE owner = ? AND subject = ? "
                "ORDER BY created_at DESC, rowid DESC LIMIT 1",
                (row["owner"], row["subject"]),
            ).fetchone()
            if latest is not None and latest["text"] == row["text"]:
                return dict(latest)
            marks = ", ".join(f":{name}" for name in PROMPT_VERSION_COLUMNS)
            conn.execute(f"INSERT INTO prompt_versions ({_VERSION_COLUMNS}) VALUES ({marks})", dict(row))
            conn.execute(
                "DELETE FROM prompt_versions WHERE owner = ? AND subject = ? AND id NOT IN (SELECT id "
                "FROM prompt_versions WHERE owner = ? AND subject = ? "
                "ORDER BY created_at DESC, rowid DESC LIMIT ?)",
                (row["owner"], row["subject"], row["owner"], row["subject"], int(keep)),
            )
            return dict(row)

    def prompt_versions(self, owner: str, subject: str, limit: int) -> builtins.list[dict[str, Any]]:
        """The owner's versions of a subject, newest first."""
        rows = self._rows(
            f"SELECT {_VERSION_COLUMNS} FROM prompt_versions WHERE owner = ? AND subject = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (owner, subject, max(0, int(limit))),
        )
        return [dict(r) for r in rows]

    def prompt_version(self, owner: str, version_id: str) -> dict[str, Any] | None:
        """One of the owner's versions by id (another owner's is None)."""
        row = self._row(
            f"SELECT {_VERSION_COLUMNS} FROM prompt_versions WHERE id = ? AND owner = ?", (version_id, owner)
        )
        return None if row is None else dict(row)

    # -- storyboards (storyboard/persist.py; rows as dicts of BOARD_COLUMNS, with version and trashed_at) --

    def put_board(self, row: Mapping[str, Any]) -> None:
        """Write a board: a new row, or the row's body and list columns replaced and its version bumped
        (one statement: concurrent saves never mix, the last one wins). A trashed board stays trashed."""
        self._write(f"INSERT INTO boards ({_BOARD_COLUMNS}) VALUES ({', '.join('?' for _ in BOARD_COLUMNS)}) "
                    f"ON CONFLICT (owner, board_id) DO UPDATE SET {BOARD_SAVE_SET}",
                    tuple(row[name] for name in BOARD_COLUMNS))

    def add_boards(self, rows: builtins.list[Mapping[str, Any]]) -> int:
        """Insert boards that are not here yet (a row already here is kept as it is: an import run twice
        doubles nothing); `trashed_at` optional. How many were new."""
        added = 0
        with self._transaction() as conn:
            for row in rows:
                added += conn.execute(
                    f"INSERT INTO boards ({_BOARD_COLUMNS}, trashed_at) VALUES "
                    f"({', '.join('?' for _ in BOARD_COLUMNS)}, ?) ON CONFLICT DO NOTHING",
                    (*(row[name] for name in BOARD_COLUMNS), row.get("trashed_at")),
                ).rowcount
        return added

    def get_board(self, owner: str, board_id: str) -> dict[str, Any] | None:
        """The owner's board row (body included), trashed or not; None when there is none."""
        row = self._row(f"SELECT {_BOARD_ROW} FROM boards WHERE owner = ? AND board_id = ?",
                        (owner, board_id))
        return None if row is None else dict(row)

    def board_rows(self, owner: str, *, bodies: bool = False) -> builtins.list[dict[str, Any]]:
        """The owner's boards not in the trash (BOARD_LIST_COLUMNS, plus `body` when asked), most recently
        updated first."""
        columns = ", ".join(BOARD_LIST_COLUMNS) + (", body" if bodies else "")
        rows = self._rows(f"SELECT {columns} FROM boards WHERE owner = ? AND trashed_at IS NULL "
                          "ORDER BY updated_at DESC, board_id DESC", (owner,))
        return [dict(r) for r in rows]

    def pending_boards(self) -> builtins.list[dict[str, Any]]:
        """Every owner's boards (owner, board_id, body) with a chained Generate still to finish."""
        rows = self._rows("SELECT owner, board_id, body FROM boards WHERE pending = 1 AND trashed_at IS NULL "
                          "ORDER BY owner, board_id")
        return [dict(r) for r in rows]

    def trash_board(self, owner: str, board_id: str, at: float | None) -> bool:
        """Move a board to the trash at `at` (None: back out of it); False when it was not there to move."""
        if at is None:
            return self._write("UPDATE boards SET trashed_at = NULL WHERE owner = ? AND board_id = ? "
                               "AND trashed_at IS NOT NULL", (owner, board_id)) == 1
        return self._write("UPDATE boards SET trashed_at = ? WHERE owner = ? AND board_id = ? "
                           "AND trashed_at IS NULL", (at, owner, board_id)) == 1

    def trashed_boards(self, before: float) -> builtins.list[tuple[str, str]]:
        """(owner, board id) of every board trashed at or before `before`."""
        rows = self._rows("SELECT owner, board_id FROM boards WHERE trashed_at IS NOT NULL "
                          "AND trashed_at <= ? ORDER BY trashed_at", (before,))
        return [(r[0], r[1]) for r in rows]

    def delete_board(self, owner: str, board_id: str) -> bool:
        """Remove the owner's board row (trashed or not); False when there was none."""
        return self._write("DELETE FROM boards WHERE owner = ? AND board_id = ?", (owner, board_id)) == 1

    def board_bytes(self, owner: str, board_id: str | None = None) -> int:
        """The bytes of the owner's boards (trashed ones too), or of one of them (0 when it is not here)."""
        if board_id is None:
            found = self._row("SELECT COALESCE(SUM(size), 0) FROM boards WHERE owner = ?", (owner,))
        else:
            found = self._row("SELECT size FROM boards WHERE owner = ? AND board_id = ?", (owner, board_id))
        return int(found[0]) if found is not None else 0

    # -- job leases (one follower per unfinished job across replicas; jobs/leases.py) ---------------------

    def claim_job(self, job_id: str, holder: str, now: float, ttl: float) -> bool:
        """Take the lease on one job id if it is free, expired or already the holder's. A new job's lease is
        taken before its record is written, so no replica's scan can take the job in between."""
        return self._write(
            "INSERT INTO job_leases (job_id, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (job_id) "
            "DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
            "WHERE job_leases.expires_at < ? OR job_leases.holder = excluded.holder",
            (job_id, holder, now + ttl, now),
        ) == 1

    def claim_jobs(self, holder: str, now: float, ttl: float, limit: int) -> builtins.list[str]:
        """Take the leases of up to `limit` unfinished jobs nobody holds (or whose lease expired), oldest
        first; their ids. The single writer makes the check and the write one step here."""
        marks = ", ".join("?" for _ in _TERMINAL_VALUES)
        with self._transaction() as conn:
            ids = [row[0] for row in conn.execute(
                f"SELECT j.id FROM jobs j LEFT JOIN job_leases l ON l.job_id = j.id "
                f"WHERE j.status NOT IN ({marks}) AND (l.job_id IS NULL OR l.expires_at < ?) "
                f"ORDER BY j.created_at, j.rowid LIMIT ?", (*_TERMINAL_VALUES, now, max(0, int(limit))))]
            conn.executemany(
                "INSERT INTO job_leases (job_id, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (job_id) "
                "DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at",
                [(job_id, holder, now + ttl) for job_id in ids],
            )
        return ids

    def renew_leases(self, holder: str, now: float, ttl: float) -> builtins.list[str]:
        """Extend every lease the holder still has (an expired one nobody took is kept); their job ids."""
        with self._transaction() as conn:
            conn.execute("UPDATE job_leases SET expires_at = ? WHERE holder = ?", (now + ttl, holder))
            held = conn.execute("SELECT job_id FROM job_leases WHERE holder = ?", (holder,)).fetchall()
        return [row[0] for row in held]

    def release_lease(self, job_id: str, holder: str) -> None:
        self._write("DELETE FROM job_leases WHERE job_id = ? AND holder = ?", (job_id, holder))

    def release_leases(self, holder: str) -> None:
        """Give up every lease of the holder (a replica stopping: others take its jobs at their next scan)."""
        self._write("DELETE FROM job_leases WHERE holder = ?", (holder,))

    def lease_holder(self, job_id: str, now: float) -> str | None:
        """The replica holding a live lease on the job, or None."""
        row = self._row("SELECT holder FROM job_leases WHERE job_id = ? AND expires_at >= ?", (job_id, now))
        return None if row is None else row[0]

    def poke_job(self, job_id: str, now: float) -> bool:
        """Record that a webhook for the job arrived (the holder wakes its runner on its next change poll);
        False for a finished or unknown job."""
        marks = ", ".join("?" for _ in _TERMINAL_VALUES)
        with self._transaction() as conn:
            if conn.execute(f"UPDATE jobs SET updated_at = ? WHERE id = ? AND status NOT IN ({marks})",
                            (now, job_id, *_TERMINAL_VALUES)).rowcount != 1:
                return False
            conn.execute("UPDATE job_leases SET poked_at = ? WHERE job_id = ?", (now, job_id))
        return True

    def changed_jobs(self, since: float) -> builtins.list[tuple[str, float, float | None]]:
        """(job id, updated_at, poked_at) of every job updated after `since` (one indexed query)."""
        rows = self._rows("SELECT j.id, j.updated_at, l.poked_at FROM jobs j "
                          "LEFT JOIN job_leases l ON l.job_id = j.id WHERE j.updated_at > ?", (since,))
        return [(row[0], float(row[1]), row[2]) for row in rows]

    # -- jobs-in-flight slots (the caps on jobs at the provider, for the whole deployment; jobs/limits.py)

    def take_slot(self, job_id: str, owner: str, holder: str, max_total: int, max_per_owner: int
                  ) -> str | None:
        """Give the job a slot unless the deployment holds `max_total` or the owner `max_per_owner` (0: no
        cap, as for a job found at the provider on recovery) -> records.SLOTS_FULL / OWNER_SLOTS_FULL;
        None when the job holds one (a job holding one already keeps it, `holder` updated). Queued jobs
        created before this one come first (records.slot_verdict). Slots of jobs whose provider task is
        over or that are gone are swept first. One BEGIN IMMEDIATE transaction, so takers on other
        connections wait for the counts and the insert together."""
        with self._transaction() as conn:
            if conn.execute("UPDATE flight_slots SET holder = ? WHERE job_id = ?", (holder, job_id)).rowcount:
                return None
            refused = None
            if max_total or max_per_owner:
                conn.execute(_SWEEP_SLOTS, _SLOTLESS_VALUES)
                held = dict(conn.execute("SELECT owner, COUNT(*) FROM flight_slots GROUP BY owner"))
                older = dict(conn.execute(_OLDER_WAITING, (job_id, JobStatus.QUEUED.value)))
                refused = slot_verdict(held, older, owner, max_total, max_per_owner)
            if refused is None:
                conn.execute("INSERT INTO flight_slots (job_id, owner, holder, taken_at) VALUES (?, ?, ?, ?)",
                             (job_id, owner, holder, time.time()))
            return refused

    def release_slot(self, job_id: str) -> None:
        """The job's provider task is over (or it went back to the queue): its slot is free."""
        self._write("DELETE FROM flight_slots WHERE job_id = ?", (job_id,))

    # -- upgrading from the three files of v1 ----------------------------------------------------------

    def imported_sources(self) -> set[str]:
        """File names of the legacy databases already imported (see `import_legacy`)."""
        return {row[0] for row in self._rows("SELECT source FROM legacy_imports")}

    def import_legacy(self, files: Mapping[str, Path]) -> dict[str, int]:
        """Copy the rows of legacy databases (file name -> path, see LEGACY_TABLES) in ONE transaction.

        Sources imported before are skipped, rows already here are kept (ON CONFLICT DO NOTHING), and each
        import is recorded in `legacy_imports` in the same transaction: running it again, or after an
        interruption, neither loses nor doubles a row. Returns rows copied per source name.
        """
        schemas = {name: f"legacy{n}" for n, name in enumerate(sorted(files))}
        attached: builtins.list[str] = []
        with self._lock:
            try:
                for name, schema in schemas.items():
                    with _naming_failures(name):
                        self._conn.execute(f"ATTACH DATABASE ? AS {schema}", (str(files[name]),))
                    attached.append(schema)
                with self._transaction() as conn:
                    done = self.imported_sources()
                    copied = {name: _copy_legacy(conn, name, schema)
                              for name, schema in schemas.items() if name not in done}
                    conn.executemany(
                        "INSERT INTO legacy_imports (source, rows, imported_at) VALUES (?, ?, ?)",
                        [(name, rows, time.time()) for name, rows in copied.items()],
                    )
            finally:
                for schema in attached:
                    self._conn.execute(f"DETACH DATABASE {schema}")
        return copied


class LegacyImportError(RuntimeError):
    """A v1 database could not be imported; nothing was changed and the old files stay in place."""


@contextmanager
def _naming_failures(name: str) -> Iterator[None]:
    """Turn a SQLite error about legacy file `name` into a LegacyImportError that names it."""
    try:
        yield
    except sqlite3.Error as exc:
        raise LegacyImportError(
            f"{name} could not be imported into the studio database ({exc}); nothing was changed and "
            f"the old files are still in place: repair or move {name}, then start again"
        ) from exc


def _copy_legacy(conn: sqlite3.Connection, name: str, schema: str) -> int:
    with _naming_failures(name):
        return _copy_table(conn, schema, LEGACY_TABLES[name])


def _copy_table(conn: sqlite3.Connection, schema: str, table: str) -> int:
    """Copy every row of `schema.table` into the main table of that name (shared columns).

    Rows whose key is already here are kept as they are; any other constraint failure raises (a row
    is never dropped silently).
    """
    found = conn.execute(f"SELECT 1 FROM {schema}.sqlite_master WHERE type = 'table' AND name = ?", (table,))
    if not found.fetchall():
        return 0  # the old file was created but never got its table
    theirs = [r["name"] for r in conn.execute(f"PRAGMA {schema}.table_info({table})")]
    ours = {r["name"] for r in conn.execute(f"PRAGMA main.table_info({table})")}
    columns = ", ".join(name for name in theirs if name in ours)
    cursor = conn.execute(
        f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM {schema}.{table} WHERE true "
        "ON CONFLICT DO NOTHING"
    )
    return cursor.rowcount


def seal_legacy(path: Path) -> None:
    """Fold a legacy database's WAL into its main file and leave it in rollback-journal mode.

    Afterwards the one file holds every committed row (so it can be attached, and later kept as a backup
    on its own). LegacyImportError when it cannot be read, or another process still has it open.
    """
    with _naming_failures(path.name), closing(
        sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    ) as conn:
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchall()[0][0]
    if str(mode).lower() != "delete":
        raise LegacyImportError(
            f"{path.name} is still open in another process (an older studio?): stop it, then start again"
        )
