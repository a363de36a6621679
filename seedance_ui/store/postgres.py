"""The studio's database on PostgreSQL: every SQL statement of this backend is in this module.

`PostgresDatabase` implements the `Database` interface (interface.py) with the same methods and answers
as `sqlite.SqliteDatabase`, for several studio processes (replicas) on one database. Connections come
from a psycopg_pool pool. Where SQLite's single writer made a check-then-write safe, this backend holds a
transaction-scoped advisory lock on the subject (a budget's day, a link, an owner), or lets a primary key
decide (INSERT ... ON CONFLICT), so the answer is the same under concurrent processes.

Migrations: `MIGRATIONS[n - 1]` takes the schema from version n - 1 to n, with the SAME numbering as
sqlite.MIGRATIONS (one history, two dialects). The version is kept in `studio_schema`; each migration
runs once, in its own transaction, under an advisory lock, so replicas starting together run it once.
Columns that SQLite orders by `rowid` get a `seq` (BIGSERIAL) here.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

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
from seedance_ui.store.sqlite import (
    BOARD_COLUMNS,
    BOARD_LIST_COLUMNS,
    BOARD_SAVE_SET,
    LLM_USAGE_COLUMNS,
    PROMPT_VERSION_COLUMNS,
    REVIEW_LINK_COLUMNS,
    REVIEW_NOTE_COLUMNS,
    REVIEW_STATUS_COLUMNS,
    SPEND_EPSILON,
    UPLOAD_FIELDS,
    SchemaTooNewError,
)

log = logging.getLogger(__name__)

URL_SCHEMES = ("postgresql://", "postgres://")  # what SEEDANCE_DATABASE_URL may start with for this backend
POOL_MIN_SIZE = 1  # connections each database object keeps open
POOL_MAX_SIZE = 8  # and at most this many at once (three objects per studio process share the server)
CONNECT_TIMEOUT_SECONDS = 10  # opening: waiting for the server to answer
MIGRATION_LOCK = 7_220_001  # the advisory lock key that serialises migrations across processes
LIMIT_PRUNE_SECONDS = 60.0  # how often one database object drops old limit events
SLOTS_LOCK_SUBJECT = "flight-slots"  # the advisory lock every take_slot holds (the caps count all slots)

Connection = psycopg.Connection[dict[str, Any]]
Migration = Callable[[Connection], None]


class DatabaseUnavailableError(RuntimeError):
    """The PostgreSQL server of SEEDANCE_DATABASE_URL could not be reached or used."""


# --- schema migrations (same numbers as sqlite.MIGRATIONS) -----------------------------------------------


def _run_all(conn: Connection, statements: tuple[str, ...]) -> None:
    for sql in statements:
        conn.execute(sql)


def _migration_1(conn: Connection) -> None:
    """Jobs, job bookkeeping, spending, imports (as sqlite's migration 1; `seq` orders like rowid)."""
    _run_all(conn, (
        """CREATE TABLE jobs (
            id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL, params TEXT NOT NULL, status TEXT NOT NULL,
            idempotency_token TEXT NOT NULL, task_id TEXT, progress INTEGER NOT NULL DEFAULT 0,
            created_at DOUBLE PRECISION NOT NULL, submitted_at DOUBLE PRECISION,
            completed_at DOUBLE PRECISION, updated_at DOUBLE PRECISION NOT NULL,
            credits_estimated DOUBLE PRECISION, credits_reserved DOUBLE PRECISION, error_code TEXT,
            error_message TEXT, error_hint TEXT, video_url TEXT, video_path TEXT, poster_path TEXT,
            video_duration DOUBLE PRECISION, video_size BIGINT, width INTEGER, height INTEGER,
            has_audio INTEGER, estimated_time DOUBLE PRECISION, queue_position INTEGER,
            seq BIGSERIAL NOT NULL)""",
        "CREATE INDEX jobs_owner_created ON jobs (owner, created_at)",
        "CREATE INDEX jobs_status ON jobs (status)",
        "CREATE INDEX jobs_task_id ON jobs (task_id)",
        """CREATE TABLE job_meta (job_id TEXT PRIMARY KEY, key_source TEXT NOT NULL,
            webhook_token TEXT UNIQUE, created_at DOUBLE PRECISION NOT NULL)""",
        """CREATE TABLE spend (job_id TEXT PRIMARY KEY, owner TEXT NOT NULL, day TEXT NOT NULL,
            estimated DOUBLE PRECISION NOT NULL, reserved DOUBLE PRECISION,
            released INTEGER NOT NULL DEFAULT 0, created_at DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX spend_day_owner ON spend (day, owner)",
        """CREATE TABLE legacy_imports (source TEXT PRIMARY KEY NOT NULL, rows INTEGER NOT NULL,
            imported_at DOUBLE PRECISION NOT NULL)""",
    ))


def _migration_2(conn: Connection) -> None:
    """Server secrets, adopted owner ids, the client address of each spend."""
    _run_all(conn, (
        "CREATE TABLE app_secrets (name TEXT PRIMARY KEY NOT NULL, value BYTEA NOT NULL)",
        """CREATE TABLE visitor_owners (visitor TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL UNIQUE,
            adopted_at DOUBLE PRECISION NOT NULL)""",
        "ALTER TABLE spend ADD COLUMN address TEXT",
        "CREATE INDEX spend_day_address ON spend (day, address)",
    ))


def _migration_3(conn: Connection) -> None:
    """Uploads to the provider's file API by content hash and key identity."""
    _run_all(conn, (
        """CREATE TABLE uploads (sha256 TEXT NOT NULL, identity TEXT NOT NULL, file_url TEXT NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL, file_id TEXT, file_name TEXT, size_bytes BIGINT,
            mime_type TEXT, PRIMARY KEY (sha256, identity))""",
        "CREATE INDEX uploads_expires ON uploads (expires_at)",
    ))


def _migration_4(conn: Connection) -> None:
    """Which jobs use which input blob."""
    _run_all(conn, (
        """CREATE TABLE input_refs (job_id TEXT NOT NULL, owner TEXT NOT NULL, path TEXT NOT NULL,
            sha256 TEXT NOT NULL, size BIGINT NOT NULL, PRIMARY KEY (job_id, path))""",
        "CREATE INDEX input_refs_path ON input_refs (path)",
        "CREATE INDEX input_refs_owner ON input_refs (owner)",
    ))


def _migration_5(conn: Connection) -> None:
    """Idempotency keys per owner and key."""
    conn.execute(
        """CREATE TABLE idempotency_keys (owner TEXT NOT NULL, key TEXT NOT NULL, job_id TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (owner, key))"""
    )


def _migration_6(conn: Connection) -> None:
    """Board reviews: links, versions shown, notes, statuses."""
    _run_all(conn, (
        """CREATE TABLE review_links (id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL,
            board_id TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, pass_salt BYTEA, pass_hash BYTEA,
            show_prompts INTEGER NOT NULL, created_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL, last_opened_at DOUBLE PRECISION,
            revoked_at DOUBLE PRECISION, seq BIGSERIAL NOT NULL)""",
        "CREATE INDEX review_links_board ON review_links (owner, board_id, created_at)",
        """CREATE TABLE review_versions (owner TEXT NOT NULL, board_id TEXT NOT NULL, shot_id TEXT NOT NULL,
            take_job_id TEXT NOT NULL, number INTEGER NOT NULL, first_shown_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (owner, board_id, shot_id, take_job_id),
            UNIQUE (owner, board_id, shot_id, number))""",
        """CREATE TABLE review_notes (id TEXT PRIMARY KEY NOT NULL, link_id TEXT NOT NULL,
            owner TEXT NOT NULL, board_id TEXT NOT NULL, shot_id TEXT NOT NULL, take_job_id TEXT NOT NULL,
            seconds DOUBLE PRECISION NOT NULL, reviewer TEXT NOT NULL, body TEXT NOT NULL, parent_id TEXT,
            created_at DOUBLE PRECISION NOT NULL, resolved_at DOUBLE PRECISION, seq BIGSERIAL NOT NULL)""",
        "CREATE INDEX review_notes_board ON review_notes (owner, board_id, created_at)",
        "CREATE INDEX review_notes_link ON review_notes (link_id, created_at)",
        """CREATE TABLE review_statuses (owner TEXT NOT NULL, board_id TEXT NOT NULL, shot_id TEXT NOT NULL,
            take_job_id TEXT NOT NULL, reviewer TEXT NOT NULL, status TEXT NOT NULL, link_id TEXT NOT NULL,
            set_at DOUBLE PRECISION NOT NULL, seq BIGSERIAL NOT NULL,
            PRIMARY KEY (owner, board_id, shot_id, take_job_id, reviewer))""",
        "CREATE INDEX review_statuses_link ON review_statuses (link_id, set_at)",
    ))


def _migration_7(conn: Connection) -> None:
    """The chat-token ledger, prompt versions, the version a job's prompt came from."""
    _run_all(conn, (
        """CREATE TABLE llm_usage (id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL, address TEXT,
            day TEXT NOT NULL, reserved BIGINT NOT NULL, used BIGINT, capped INTEGER NOT NULL,
            created_at DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX llm_usage_day_owner ON llm_usage (day, owner)",
        "CREATE INDEX llm_usage_day_address ON llm_usage (day, address)",
        """CREATE TABLE prompt_versions (id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL,
            subject TEXT NOT NULL, text TEXT NOT NULL, source TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL, seq BIGSERIAL NOT NULL)""",
        "CREATE INDEX prompt_versions_subject ON prompt_versions (owner, subject, created_at)",
        "ALTER TABLE jobs ADD COLUMN prompt_version TEXT",
    ))


def _migration_8(conn: Connection) -> None:
    """A history that scales: each job's mode computed from its model, favourites, storyboard takes."""
    _run_all(conn, (
        "ALTER TABLE jobs ADD COLUMN mode TEXT GENERATED ALWAYS AS (CASE "
        "WHEN (params::jsonb ->> 'model') LIKE '%image-to-video' THEN 'frames' "
        "WHEN (params::jsonb ->> 'model') LIKE '%reference-to-video' THEN 'references' "
        "ELSE 'text' END) STORED",
        "ALTER TABLE jobs ADD COLUMN favourite INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX jobs_owner_status_created ON jobs (owner, status, created_at)",
        "CREATE INDEX jobs_owner_mode_created ON jobs (owner, mode, created_at)",
        "CREATE INDEX jobs_owner_favourite_created ON jobs (owner, favourite, created_at)",
        """CREATE TABLE board_takes (job_id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL,
            board_id TEXT NOT NULL, board_title TEXT NOT NULL, shot_number INTEGER NOT NULL,
            take_number INTEGER NOT NULL, extends INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX board_takes_board ON board_takes (owner, board_id)",
    ))


def _migration_9(conn: Connection) -> None:
    """Replicas: job leases (holder, expiry, last webhook poke), the index the change polls read."""
    _run_all(conn, (
        """CREATE TABLE job_leases (job_id TEXT PRIMARY KEY NOT NULL, holder TEXT NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL, poked_at DOUBLE PRECISION)""",
        "CREATE INDEX job_leases_holder ON job_leases (holder)",
        "CREATE INDEX jobs_updated ON jobs (updated_at)",
    ))


def _migration_10(conn: Connection) -> None:
    """Reviews: when the owner last marked a board's notes read."""
    _run_all(conn, (
        """CREATE TABLE review_seen (owner TEXT NOT NULL, board_id TEXT NOT NULL,
            seen_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (owner, board_id))""",
    ))


def _migration_11(conn: Connection) -> None:
    """Limits across replicas: rate-limit events per scope and subject, the subjects of admitted jobs."""
    _run_all(conn, (
        """CREATE TABLE limit_events (scope TEXT NOT NULL, subject TEXT NOT NULL, ref TEXT NOT NULL,
            at DOUBLE PRECISION NOT NULL, amount DOUBLE PRECISION NOT NULL DEFAULT 0,
            PRIMARY KEY (scope, ref, subject))""",
        "CREATE INDEX limit_events_subject ON limit_events (scope, subject, at)",
        "CREATE INDEX limit_events_at ON limit_events (at)",
        """CREATE TABLE job_admissions (job_id TEXT NOT NULL, subject TEXT NOT NULL,
            admitted_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (job_id, subject))""",
        "CREATE INDEX job_admissions_subject ON job_admissions (subject)",
    ))


def _migration_12(conn: Connection) -> None:
    """Boards in the database: each board's JSON with what the list shows, its size, version and trash."""
    _run_all(conn, (
        """CREATE TABLE boards (owner TEXT NOT NULL, board_id TEXT NOT NULL, body TEXT NOT NULL,
            title TEXT NOT NULL, shot_count INTEGER NOT NULL, updated_at DOUBLE PRECISION NOT NULL,
            pending INTEGER NOT NULL DEFAULT 0, size BIGINT NOT NULL, version BIGINT NOT NULL DEFAULT 1,
            trashed_at DOUBLE PRECISION, PRIMARY KEY (owner, board_id))""",
        "CREATE INDEX boards_pending ON boards (pending)",
        "CREATE INDEX boards_trashed ON boards (trashed_at)",
    ))


def _migration_13(conn: Connection) -> None:
    """Jobs-in-flight slots: one row per job at the provider (owner, the replica that took it, when)."""
    _run_all(conn, (
        """CREATE TABLE flight_slots (job_id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL,
            holder TEXT NOT NULL, taken_at DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX flight_slots_owner ON flight_slots (owner)",
    ))


# Ordered like sqlite.MIGRATIONS (tests check both have as many). Append only.
MIGRATIONS: list[Migration] = [
    _migration_1, _migration_2, _migration_3, _migration_4, _migration_5, _migration_6, _migration_7,
    _migration_8, _migration_9, _migration_10, _migration_11, _migration_12, _migration_13,
]
# Every table the studio keeps, in an order that copies and truncations can follow.
TABLES = ("jobs", "job_meta", "spend", "legacy_imports", "app_secrets", "visitor_owners", "uploads",
          "input_refs", "idempotency_keys", "review_links", "review_versions", "review_notes",
          "review_statuses", "llm_usage", "prompt_versions", "board_takes", "job_leases", "review_seen",
          "limit_events", "job_admissions", "boards", "flight_slots")


def apply_migrations(conn: Connection, migrations: list[Migration] | None = None) -> int:
    """Bring the schema up to date; the resulting version. Safe on every open and from many processes."""
    steps = MIGRATIONS if migrations is None else migrations
    while True:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS studio_schema (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM studio_schema").fetchone()
            if row is None:
                conn.execute("INSERT INTO studio_schema (version) VALUES (0)")
            version = 0 if row is None else int(row["version"])
            if version > len(steps):
                raise SchemaTooNewError(
                    f"studio database has schema version {version}; this build knows {len(steps)}"
                )
            if version == len(steps):
                return version
            steps[version](conn)
            conn.execute("UPDATE studio_schema SET version = %s", (version + 1,))
        log.info("studio database migrated to schema version %d", version + 1)


# --- row <-> record -----------------------------------------------------------------------------------


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as the columns hold them: booleans as 0/1 (the columns are integers, as in SQLite)."""
    return {k: int(v) if isinstance(v, bool) else v for k, v in values.items()}


def _column_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    """JobRecord field values as stored: params as JSON text, status as its word, booleans as 0/1."""
    values = dict(fields)
    if "status" in values:
        values["status"] = JobStatus(values["status"]).value
    if "params" in values:
        if not isinstance(values["params"], dict):
            raise TypeError("params must be a dict")
        values["params"] = json.dumps(values["params"], ensure_ascii=False, sort_keys=True)
    return _plain(values)


def _from_row(row: Mapping[str, Any]) -> JobRecord:
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
    clauses = ["j.owner = ANY(%s)"]
    args: builtins.list[Any] = [list(owners)]
    statuses = query.statuses()
    if statuses:
        clauses.append("j.status = ANY(%s)")
        args.append(list(statuses))
    if query.mode == MODE_EXTEND:
        clauses.append("b.extends = 1")
    elif query.mode:
        clauses.append("j.mode = %s AND COALESCE(b.extends, 0) = 0")
        args.append(query.mode)
    if query.favourites:
        clauses.append("j.favourite = 1")
    if query.board == BOARD_STUDIO:
        clauses.append("b.job_id IS NULL")
    elif query.board:
        clauses.append("b.board_id = %s")
        args.append(query.board)
    for pattern in _like_words(query.words()):
        clauses.append("(j.params::jsonb ->> 'prompt') ILIKE %s ESCAPE '\\'")
        args.append(pattern)
    return " AND ".join(clauses), args


def _history_row(row: Mapping[str, Any]) -> HistoryRow:
    record = _from_row(row)
    take = None
    if row["board_id"] is not None:
        take = BoardTake(record.id, row["board_id"], row["board_title"], row["shot_number"],
                         row["take_number"], bool(row["extends"]))
    return HistoryRow(record, bool(row["favourite"]), take)


def _marks(names: tuple[str, ...]) -> str:
    return ", ".join(f"%({name})s" for name in names)


_COLUMNS = ", ".join(FIELD_NAMES)
_SELECT_JOB = f"SELECT {_COLUMNS} FROM jobs WHERE id = %s"
_TERMINAL_VALUES = sorted(s.value for s in JobStatus if s.terminal)
_SLOTLESS_VALUES = sorted(s.value for s in SLOTLESS_STATUSES)
# Slots of jobs whose provider task is over, or that are gone (one primary-key look-up per slot).
_SWEEP_SLOTS = ("DELETE FROM flight_slots s WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = s.job_id "
                "AND NOT (j.status = ANY(%s)))")
# Per owner, the queued jobs without a slot created before a given job (they come first).
_OLDER_WAITING = ("SELECT q.owner, COUNT(*) AS n FROM jobs me JOIN jobs q ON q.created_at < me.created_at "
                  "WHERE me.id = %s AND q.status = %s AND NOT EXISTS (SELECT 1 FROM flight_slots s "
                  "WHERE s.job_id = q.id) GROUP BY q.owner")
_UPLOAD_COLUMNS = ", ".join(UPLOAD_FIELDS)
_LINK_COLUMNS = ", ".join(REVIEW_LINK_COLUMNS)
_NOTE_COLUMNS = ", ".join(REVIEW_NOTE_COLUMNS)
_STATUS_COLUMNS = ", ".join(REVIEW_STATUS_COLUMNS)
_LLM_USAGE_COLUMNS = ", ".join(LLM_USAGE_COLUMNS)
_VERSION_COLUMNS = ", ".join(PROMPT_VERSION_COLUMNS)
_BOARD_COLUMNS = ", ".join(BOARD_COLUMNS)
_BOARD_ROW = f"{_BOARD_COLUMNS}, version, trashed_at"


def redact_url(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://..."
    host, port, name = info.get("host", ""), info.get("port", ""), info.get("dbname", "")
    return f"postgresql://{info.get('user', '')}@{host}{':' + str(port) if port else ''}/{name}"


class PostgresDatabase:
    """The `Database` interface on PostgreSQL: a pool of autocommit connections; thread- and
    process-safe (every check-then-write runs in one transaction under a lock on its subject)."""

    def __init__(self, url: str, *, max_size: int = POOL_MAX_SIZE) -> None:
        self.url = url
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            url, min_size=POOL_MIN_SIZE, max_size=max_size, open=False, name="seedance-store",
            kwargs={"autocommit": True, "row_factory": dict_row},
        )
        try:
            # migrate on one plain connection first: a bad URL fails at once (a pool would keep retrying)
            with psycopg.connect(url, autocommit=True, row_factory=dict_row,
                                 connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
                self.schema_version = apply_migrations(conn)
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
            self._check_columns()
        except psycopg.Error as exc:
            self._pool.close()
            raise DatabaseUnavailableError(
                f"SEEDANCE_DATABASE_URL: the PostgreSQL database {redact_url(url)} could not be used: "
                f"{str(exc).strip() or type(exc).__name__}"
            ) from exc
        except BaseException:
            self._pool.close()
            raise

    def _check_columns(self) -> None:
        rows = self._rows("SELECT column_name FROM information_schema.columns WHERE table_name = 'jobs' "
                          "AND table_schema = current_schema()")
        missing = [name for name in FIELD_NAMES if name not in {r["column_name"] for r in rows}]
        if missing:
            raise RuntimeError(f"jobs table lacks columns {missing}: new JobRecord fields need a migration")

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self._pool.connection() as conn, conn.transaction():
            yield conn

    @staticmethod
    def _lock(conn: Connection, *subjects: str) -> None:
        """Hold transaction-scoped advisory locks on these subjects (sorted: no two callers deadlock)."""
        for subject in sorted(set(subjects)):
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (subject,))

    def _rows(self, sql: str, args: Any = ()) -> builtins.list[dict[str, Any]]:
        with self._pool.connection() as conn:
            return conn.execute(sql, args).fetchall()

    def _row(self, sql: str, args: Any = ()) -> dict[str, Any] | None:
        found = self._rows(sql, args)
        return found[0] if found else None

    def _scalar(self, sql: str, args: Any = ()) -> Any:
        row = self._row(sql, args)
        return None if row is None else next(iter(row.values()))

    def _write(self, sql: str, args: Any = ()) -> int:
        """Run one statement; the number of rows it changed."""
        with self._pool.connection() as conn:
            return conn.execute(sql, args).rowcount

    def close(self) -> None:
        self._pool.close()

    def __repr__(self) -> str:
        return f"PostgresDatabase({redact_url(self.url)!r})"

    # -- jobs ----------------------------------------------------------------------------------------

    def insert_job(self, record: JobRecord) -> None:
        """Insert a new record (paths already relative); psycopg.IntegrityError for a duplicate id."""
        row = _column_values(dataclasses.asdict(record))
        self._write(f"INSERT INTO jobs ({_COLUMNS}) VALUES ({_marks(FIELD_NAMES)})", row)

    def update_job(self, job_id: str, fields: Mapping[str, Any]) -> JobRecord | None:
        """Set some fields (names already checked); the new record, or None for an unknown job."""
        values = _column_values(fields)
        assignments = ", ".join(f"{name} = %({name})s" for name in values)
        row = self._row(f"UPDATE jobs SET {assignments} WHERE id = %(_id)s RETURNING {_COLUMNS}",
                        {**values, "_id": job_id})
        return None if row is None else _from_row(row)

    def get_job(self, job_id: str) -> JobRecord | None:
        row = self._row(_SELECT_JOB, (job_id,))
        return None if row is None else _from_row(row)

    def find_job_by_task(self, task_id: str) -> JobRecord | None:
        """The newest record following this provider task, or None."""
        row = self._row(
            f"SELECT {_COLUMNS} FROM jobs WHERE task_id = %s ORDER BY created_at DESC LIMIT 1", (task_id,)
        )
        return None if row is None else _from_row(row)

    def list_jobs(self, owner: str, limit: int) -> builtins.list[JobRecord]:
        """The owner's records, newest first."""
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM jobs WHERE owner = %s ORDER BY created_at DESC, seq DESC LIMIT %s",
            (owner, max(0, int(limit))),
        )
        return [_from_row(r) for r in rows]

    def unfinished_jobs(self) -> builtins.list[JobRecord]:
        """Every record not in a terminal status, oldest first."""
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM jobs WHERE NOT (status = ANY(%s)) ORDER BY created_at, seq",
            (_TERMINAL_VALUES,),
        )
        return [_from_row(r) for r in rows]

    def finished_durations(self, limit: int) -> builtins.list[tuple[Any, Any, float]]:
        """(model, duration, seconds from submit to completion) of the newest completed jobs, newest first."""
        rows = self._rows(
            "SELECT params::jsonb -> 'model' AS model, params::jsonb -> 'duration' AS duration, "
            "completed_at - submitted_at AS seconds FROM jobs WHERE status = %s "
            "AND submitted_at IS NOT NULL AND completed_at IS NOT NULL ORDER BY completed_at DESC LIMIT %s",
            (JobStatus.COMPLETED.value, max(0, int(limit))),
        )
        return [(r["model"], r["duration"], float(r["seconds"])) for r in rows]

    def finished_count(self) -> int:
        """How many jobs of every owner are completed."""
        row = self._row("SELECT COUNT(*) AS n FROM jobs WHERE status = %s", (JobStatus.COMPLETED.value,))
        return int(row["n"]) if row is not None else 0

    def delete_job(self, job_id: str, owner: str) -> tuple[str | None, str | None] | None:
        """Delete the owner's record; its stored (video_path, poster_path), or None if there was none."""
        row = self._row("DELETE FROM jobs WHERE id = %s AND owner = %s RETURNING video_path, poster_path",
                        (job_id, owner))
        return None if row is None else (row["video_path"], row["poster_path"])

    # -- the history's pages -------------------------------------------------------------------------------

    def query_jobs(
        self, owners: builtins.list[str], query: HistoryQuery, size: int
    ) -> tuple[builtins.list[HistoryRow], int]:
        """One page of the owners' jobs that pass every filter of `query`, newest first, and the total."""
        where, args = _history_where(owners, query)
        joined = f"FROM jobs j LEFT JOIN board_takes b ON b.job_id = j.id WHERE {where}"
        columns = ", ".join(f"j.{name} AS {name}" for name in FIELD_NAMES)
        size = max(1, min(int(size), MAX_PAGE_SIZE))
        with self._pool.connection() as conn, conn.transaction():  # one snapshot for count and page
            total = int(conn.execute(f"SELECT COUNT(*) AS n {joined}", args).fetchone()["n"])
            rows = conn.execute(
                f"SELECT {columns}, j.favourite, b.board_id, b.board_title, b.shot_number, b.take_number, "
                f"b.extends {joined} ORDER BY j.created_at DESC, j.seq DESC LIMIT %s OFFSET %s",
                (*args, size, max(0, int(query.page)) * size),
            ).fetchall()
        return [_history_row(r) for r in rows], total

    def set_favourite(self, job_id: str, owners: builtins.list[str], favourite: bool) -> bool:
        """Star (or unstar) one of the owners' jobs; False when none of them has it."""
        return self._write("UPDATE jobs SET favourite = %s WHERE id = %s AND owner = ANY(%s)",
                           (int(bool(favourite)), job_id, list(owners))) == 1

    def is_favourite(self, job_id: str) -> bool:
        return bool(self._scalar("SELECT favourite FROM jobs WHERE id = %s", (job_id,)))

    def board_take_boards(self, owner: str) -> set[str]:
        """The ids of the owner's boards that have takes recorded."""
        rows = self._rows("SELECT DISTINCT board_id FROM board_takes WHERE owner = %s", (owner,))
        return {r["board_id"] for r in rows}

    def put_board_takes(self, owner: str, board_id: str, takes: builtins.list[BoardTake]) -> None:
        """The board's takes are now exactly `takes`."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM board_takes WHERE owner = %s AND board_id = %s", (owner, board_id))
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO board_takes (job_id, owner, board_id, board_title, shot_number, "
                    "take_number, extends) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (job_id) DO UPDATE SET owner = EXCLUDED.owner, "
                    "board_id = EXCLUDED.board_id, board_title = EXCLUDED.board_title, "
                    "shot_number = EXCLUDED.shot_number, take_number = EXCLUDED.take_number, "
                    "extends = EXCLUDED.extends",
                    [(t.job_id, owner, board_id, t.board_title, int(t.shot_number), int(t.take_number),
                      int(t.extends)) for t in takes],
                )

    # -- job bookkeeping -------------------------------------------------------------------------------

    def put_job_meta(self, meta: JobMeta) -> None:
        """Write (or replace) a job's bookkeeping row."""
        self._write(
            "INSERT INTO job_meta (job_id, key_source, webhook_token, created_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (job_id) DO UPDATE SET key_source = EXCLUDED.key_source, "
            "webhook_token = EXCLUDED.webhook_token, created_at = EXCLUDED.created_at",
            (meta.job_id, meta.key_source, meta.webhook_token, time.time()),
        )

    def get_job_meta(self, job_id: str) -> JobMeta | None:
        row = self._row("SELECT job_id, key_source, webhook_token FROM job_meta WHERE job_id = %s", (job_id,))
        return None if row is None else JobMeta(row["job_id"], row["key_source"], row["webhook_token"])

    def webhook_tokens(self) -> dict[str, str]:
        """Live webhook tokens: token -> job_id."""
        rows = self._rows("SELECT webhook_token, job_id FROM job_meta WHERE webhook_token IS NOT NULL")
        return {r["webhook_token"]: r["job_id"] for r in rows}

    def drop_webhook_token(self, job_id: str) -> None:
        self._write("UPDATE job_meta SET webhook_token = NULL WHERE job_id = %s", (job_id,))

    def delete_job_meta(self, job_id: str) -> None:
        self._write("DELETE FROM job_meta WHERE job_id = %s", (job_id,))

    # -- spending (the budget ledger) --------------------------------------------------------------------

    @staticmethod
    def _spent(conn: Connection, day: str, owner: str | None, address: str | None) -> float:
        sql = ("SELECT COALESCE(SUM(COALESCE(reserved, estimated)), 0) AS s FROM spend "
               "WHERE day = %s AND released = 0")
        args: tuple[str, ...] = (day,)
        if owner is not None:
            sql += " AND owner = %s"
            args += (owner,)
        if address is not None:
            sql += " AND address = %s"
            args += (address,)
        return float(conn.execute(sql, args).fetchone()["s"])

    def spent(self, day: str, owner: str | None = None, address: str | None = None) -> float:
        """Credits counted on `day` (all owners, one owner, or one client address)."""
        with self._pool.connection() as conn:
            return self._spent(conn, day, owner, address)

    @staticmethod
    def _add_spend(conn: Connection, job_id: str, owner: str, day: str, estimated: float, now: float,
                   address: str | None) -> None:
        conn.execute(
            "INSERT INTO spend (job_id, owner, day, estimated, reserved, released, created_at, address) "
            "VALUES (%s, %s, %s, %s, NULL, 0, %s, %s) ON CONFLICT (job_id) DO UPDATE SET "
            "owner = EXCLUDED.owner, day = EXCLUDED.day, estimated = EXCLUDED.estimated, reserved = NULL, "
            "released = 0, created_at = EXCLUDED.created_at, address = EXCLUDED.address",
            (job_id, owner, day, float(estimated), float(now), address),
        )

    def add_spend(
        self, job_id: str, owner: str, day: str, estimated: float, now: float, address: str | None = None
    ) -> None:
        """Count a job's estimate on `day` (replacing any earlier row of the job)."""
        with self._transaction() as conn:
            self._lock(conn, f"spend:{day}")  # a reservation never interleaves with a check
            self._add_spend(conn, job_id, owner, day, estimated, now, address)

    def reserve_spend(
        self, job_id: str, owner: str, day: str, estimated: float, now: float, address: str | None = None,
        *, day_cap: float = 0.0, visitor_cap: float = 0.0,
    ) -> tuple[str, float] | None:
        """Count the estimate unless it passes a cap (0: none); see SqliteDatabase.reserve_spend. Atomic
        across processes: every reservation of `day` runs under one advisory lock."""
        with self._transaction() as conn:
            self._lock(conn, f"spend:{day}")
            if day_cap:
                spent = self._spent(conn, day, None, None)
                if spent + estimated > day_cap + SPEND_EPSILON:
                    return "day", spent
            if visitor_cap:
                spent = self._spent(conn, day, owner, None)
                if address is not None:
                    spent = max(spent, self._spent(conn, day, None, address))
                if spent + estimated > visitor_cap + SPEND_EPSILON:
                    return "visitor", spent
            self._add_spend(conn, job_id, owner, day, estimated, now, address)
            return None

    def reconcile_spend(self, job_id: str, reserved: float) -> None:
        self._write("UPDATE spend SET reserved = %s WHERE job_id = %s", (float(reserved), job_id))

    def release_spend(self, job_id: str) -> bool:
        """Stop counting a job; False when it was not counted (unknown, or released already)."""
        return self._write("UPDATE spend SET released = 1 WHERE job_id = %s AND released = 0", (job_id,)) == 1

    def forget_spend(self, job_id: str) -> None:
        self._write("DELETE FROM spend WHERE job_id = %s", (job_id,))

    def spend_row(self, job_id: str) -> SpendRow | None:
        row = self._row("SELECT owner, estimated, reserved, released FROM spend WHERE job_id = %s", (job_id,))
        if row is None:
            return None
        return SpendRow(row["owner"], row["estimated"], row["reserved"], bool(row["released"]))

    # -- uploads (the file API's upload cache) -------------------------------------------------------------

    def get_upload(self, sha256: str, identity: str) -> dict[str, Any] | None:
        """The remembered upload of this content for this key identity (expired or not), or None."""
        row = self._row(f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE sha256 = %s AND identity = %s",
                        (sha256, identity))
        return None if row is None else {name: row[name] for name in UPLOAD_FIELDS}

    def put_upload(self, identity: str, upload: Mapping[str, Any]) -> None:
        """Remember an upload (`UPLOAD_FIELDS`), replacing the one of the same content and identity."""
        values = {name: upload.get(name) for name in UPLOAD_FIELDS}
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in UPLOAD_FIELDS if name != "sha256")
        self._write(
            f"INSERT INTO uploads (identity, {_UPLOAD_COLUMNS}) "
            f"VALUES (%(identity)s, {_marks(UPLOAD_FIELDS)}) "
            f"ON CONFLICT (sha256, identity) DO UPDATE SET {updates}",
            {**values, "identity": identity},
        )

    def forget_uploads(self, before: float) -> int:
        """Drop every upload that expires before `before` (epoch s); how many went."""
        return self._write("DELETE FROM uploads WHERE expires_at < %s", (float(before),))

    # -- input blobs ---------------------------------------------------------------------------------------

    def add_input_refs(self, job_id: str, owner: str, blobs: builtins.list[tuple[str, str, int]]) -> None:
        """Record that the job uses these blobs: (path, sha256, size) each."""
        with self._transaction() as conn, conn.cursor() as cur:
            self._lock(conn, *(f"blob:{path}" for path, _, _ in blobs))
            cur.executemany(
                "INSERT INTO input_refs (job_id, owner, path, sha256, size) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                [(job_id, owner, path, sha, int(size)) for path, sha, size in blobs],
            )

    def release_input_refs(self, job_id: str) -> builtins.list[str]:
        """Forget the job's blobs; the paths of those no other job uses any more (to delete)."""
        with self._transaction() as conn:
            paths = [r["path"] for r in conn.execute("SELECT path FROM input_refs WHERE job_id = %s",
                                                     (job_id,)).fetchall()]
            self._lock(conn, *(f"blob:{path}" for path in paths))
            conn.execute("DELETE FROM input_refs WHERE job_id = %s", (job_id,))
            used = "SELECT 1 FROM input_refs WHERE path = %s LIMIT 1"
            return [p for p in paths if conn.execute(used, (p,)).fetchone() is None]

    def input_bytes(self, owner: str) -> int:
        """The bytes of the distinct blobs the owner's jobs use."""
        total = self._scalar("SELECT COALESCE(SUM(size), 0) AS s FROM "
                             "(SELECT DISTINCT path, size FROM input_refs WHERE owner = %s) AS d", (owner,))
        return int(total or 0)

    def owner_has_input(self, owner: str, path: str) -> bool:
        """Some job of the owner already uses this blob."""
        return self._row("SELECT 1 AS one FROM input_refs WHERE owner = %s AND path = %s LIMIT 1",
                         (owner, path)) is not None

    # -- idempotency keys ----------------------------------------------------------------------------------

    def idempotent_job(self, owner: str, key: str) -> str | None:
        """The id of the job the owner's submission with `key` made, or None (unused, or reserved)."""
        found = self._scalar("SELECT job_id FROM idempotency_keys WHERE owner = %s AND key = %s "
                             "AND job_id <> %s", (owner, key, IDEMPOTENCY_PENDING))
        return None if found is None else str(found)

    def put_idempotent_job(self, owner: str, key: str, job_id: str, now: float) -> bool:
        """Bind the owner's `key` (unused, or reserved) to `job_id`; False (and nothing changed) when it
        is bound already."""
        return self._write(
            "INSERT INTO idempotency_keys (owner, key, job_id, created_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (owner, key) DO UPDATE SET job_id = EXCLUDED.job_id, "
            "created_at = EXCLUDED.created_at WHERE idempotency_keys.job_id = %s",
            (owner, key, job_id, float(now), IDEMPOTENCY_PENDING),
        ) == 1

    def reserve_idempotency_key(self, owner: str, key: str, now: float, stale_before: float) -> str | None:
        """See SqliteDatabase.reserve_idempotency_key; the primary key decides between processes."""
        with self._transaction() as conn:
            if conn.execute(
                "INSERT INTO idempotency_keys (owner, key, job_id, created_at) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING", (owner, key, IDEMPOTENCY_PENDING, float(now)),
            ).rowcount == 1:
                return None
            if conn.execute(
                "UPDATE idempotency_keys SET created_at = %s WHERE owner = %s AND key = %s AND job_id = %s "
                "AND created_at < %s", (float(now), owner, key, IDEMPOTENCY_PENDING, float(stale_before)),
            ).rowcount == 1:
                return None
            row = conn.execute("SELECT job_id FROM idempotency_keys WHERE owner = %s AND key = %s",
                               (owner, key)).fetchone()
            return None if row is None else str(row["job_id"])

    def release_idempotency_key(self, owner: str, key: str) -> None:
        """Give back a reservation whose submission was refused (a bound key stays bound)."""
        self._write("DELETE FROM idempotency_keys WHERE owner = %s AND key = %s AND job_id = %s",
                    (owner, key, IDEMPOTENCY_PENDING))

    # -- deployment-wide limits (events per scope and subject in a sliding window; admitted jobs) -----------

    @staticmethod
    def _limit_uses(conn: Connection, scope: str, subjects: builtins.list[str], since: float
                    ) -> builtins.list[tuple[int, float, float | None]]:
        """Each subject's (count, total amount, oldest time) of `scope`'s events after `since`."""
        uses = []
        for subject in subjects:
            row = conn.execute(
                "SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total, MIN(at) AS oldest "
                "FROM limit_events WHERE scope = %s AND subject = %s AND at > %s",
                (scope, subject, since)).fetchone()
            uses.append((int(row["n"]), float(row["total"]), row["oldest"]))
        return uses

    @staticmethod
    def _add_limit_events(conn: Connection, scope: str, subjects: builtins.list[str], ref: str, now: float,
                          amount: float) -> None:
        for subject in subjects:
            conn.execute(
                "INSERT INTO limit_events (scope, subject, ref, at, amount) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (scope, ref, subject) DO UPDATE SET at = EXCLUDED.at, amount = EXCLUDED.amount",
                (scope, subject, ref, float(now), float(amount)))

    def hit_limit(self, scope: str, subjects: builtins.list[str], ref: str, now: float, window: float, *,
                  max_count: int = 0, max_amount: float = 0.0, amount: float = 0.0,
                  base: float = 0.0) -> LimitUse:
        """See SqliteDatabase.hit_limit; atomic across processes under an advisory lock per subject."""
        with self._transaction() as conn:
            self._lock(conn, *(f"limit:{scope}:{subject}" for subject in subjects))
            use = limit_verdict(self._limit_uses(conn, scope, subjects, now - window), now, window,
                                max_count=max_count, max_amount=max_amount, amount=amount, base=base)
            if use.refused is None:
                self._add_limit_events(conn, scope, subjects, ref, now, amount)
        self._prune_limit_events(now)
        return use

    _limit_pruned_at = float("-inf")  # when this object last dropped old limit events

    def _prune_limit_events(self, now: float) -> None:
        """Drop events past LIMIT_KEEP_SECONDS, at most once a minute, outside any admission's transaction
        (so it never holds a row an admission waits for); a clash with another replica's sweep is left to
        the next one."""
        if now - self._limit_pruned_at < LIMIT_PRUNE_SECONDS:
            return
        self._limit_pruned_at = now
        with contextlib.suppress(psycopg.errors.DeadlockDetected, psycopg.errors.LockNotAvailable):
            self._write("DELETE FROM limit_events WHERE at <= %s", (now - LIMIT_KEEP_SECONDS,))

    def set_limit_amount(self, scope: str, ref: str, amount: float) -> None:
        """Correct the amount of an event (an upload's bytes once its body has arrived)."""
        self._write("UPDATE limit_events SET amount = %s WHERE scope = %s AND ref = %s",
                    (float(amount), scope, ref))

    def drop_limit_event(self, scope: str, ref: str) -> None:
        """Stop counting an event (a refusal after it was recorded)."""
        self._write("DELETE FROM limit_events WHERE scope = %s AND ref = %s", (scope, ref))

    @staticmethod
    def _unfinished(conn: Connection, subject: str, now: float) -> int:
        """The subject's admitted jobs that are not over: not terminal, or not written yet (recently)."""
        row = conn.execute(
            "SELECT COUNT(*) AS n FROM job_admissions a LEFT JOIN jobs j ON j.id = a.job_id "
            "WHERE a.subject = %s AND ((j.id IS NOT NULL AND NOT (j.status = ANY(%s))) "
            "OR (j.id IS NULL AND a.admitted_at > %s))",
            (subject, _TERMINAL_VALUES, now - ADMISSION_GRACE_SECONDS)).fetchone()
        return int(row["n"])

    def admit_job(self, job_id: str, subjects: builtins.list[str], now: float, *, max_unfinished: int,
                  rate_scope: str, window: float, max_per_window: int) -> tuple[str, float] | None:
        """See SqliteDatabase.admit_job; atomic across processes: every admission of a subject runs under
        the same advisory lock as its rate events."""
        with self._transaction() as conn:
            self._lock(conn, *(f"limit:{rate_scope}:{subject}" for subject in subjects))
            if max_unfinished:
                waiting = max(self._unfinished(conn, subject, now) for subject in subjects)
                if waiting >= max_unfinished:
                    return "unfinished", float(waiting)
            if max_per_window:
                use = limit_verdict(self._limit_uses(conn, rate_scope, subjects, now - window), now, window,
                                    max_count=max_per_window, max_amount=0.0, amount=0.0)
                if use.refused is not None:
                    return "rate", use.wait
                self._add_limit_events(conn, rate_scope, subjects, job_id, now, 0.0)
            for subject in subjects:
                conn.execute("INSERT INTO job_admissions (job_id, subject, admitted_at) VALUES (%s, %s, %s) "
                             "ON CONFLICT DO NOTHING", (job_id, subject, float(now)))
        self._prune_limit_events(now)
        return None

    def release_admission(self, job_id: str) -> None:
        """The job ended, or was never written: it no longer counts as unfinished (its rate events stay)."""
        self._write("DELETE FROM job_admissions WHERE job_id = %s", (job_id,))

    # -- identities ---------------------------------------------------------------------------------------

    def app_secret(self, name: str, size: int = 32) -> bytes:
        """A random server secret, made once and kept; every replica gets the same one."""
        with self._transaction() as conn:
            conn.execute("INSERT INTO app_secrets (name, value) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                         (name, secrets.token_bytes(size)))
            row = conn.execute("SELECT value FROM app_secrets WHERE name = %s", (name,)).fetchone()
            return bytes(row["value"])

    def visitor_owner(self, visitor: str) -> str | None:
        """The older owner id a visitor adopted, if any."""
        found = self._scalar("SELECT owner FROM visitor_owners WHERE visitor = %s", (visitor,))
        return None if found is None else str(found)

    def adopt_owner(self, visitor: str, owner: str) -> bool:
        """Let `visitor` stand for `owner`: once per visitor and per owner (the keys decide between
        replicas), and only while the visitor has no history of its own."""
        if visitor == owner:
            return False
        return self._write(
            "INSERT INTO visitor_owners (visitor, owner, adopted_at) SELECT %s, %s, %s "
            "WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE owner = %s) ON CONFLICT DO NOTHING",
            (visitor, owner, time.time(), visitor),
        ) == 1

    # -- board reviews ---------------------------------------------------------------------------------

    def insert_review_link(self, row: Mapping[str, Any], *, max_active: int, now: float) -> bool:
        """Add a share link; False when the owner already has `max_active` active links."""
        with self._transaction() as conn:
            self._lock(conn, f"review-links:{row['owner']}")
            active = conn.execute(
                "SELECT COUNT(*) AS n FROM review_links WHERE owner = %s AND revoked_at IS NULL "
                "AND expires_at > %s", (row["owner"], float(now)),
            ).fetchone()["n"]
            if active >= max_active:
                return False
            conn.execute(f"INSERT INTO review_links ({_LINK_COLUMNS}) VALUES ({_marks(REVIEW_LINK_COLUMNS)})",
                         _plain(row))
            return True

    def review_links(self, owner: str, board_id: str) -> builtins.list[dict[str, Any]]:
        """The owner's links to a board, newest first."""
        return self._rows(f"SELECT {_LINK_COLUMNS} FROM review_links WHERE owner = %s AND board_id = %s "
                          "ORDER BY created_at DESC, seq DESC", (owner, board_id))

    def review_link(
        self, *, link_id: str | None = None, token_hash: str | None = None
    ) -> dict[str, Any] | None:
        """One link by its id or by its token's hash (whatever its state), or None."""
        column, value = ("id", link_id) if link_id is not None else ("token_hash", token_hash)
        return self._row(f"SELECT {_LINK_COLUMNS} FROM review_links WHERE {column} = %s", (value,))

    def touch_review_link(self, link_id: str, now: float) -> None:
        self._write("UPDATE review_links SET last_opened_at = %s WHERE id = %s", (float(now), link_id))

    def revoke_review_link(self, owner: str, link_id: str, now: float) -> bool:
        """Revoke the owner's link; False when they have no such link or it was revoked already."""
        return self._write(
            "UPDATE review_links SET revoked_at = %s WHERE id = %s AND owner = %s AND revoked_at IS NULL",
            (float(now), link_id, owner),
        ) == 1

    def add_review_versions(
        self, owner: str, board_id: str, shown: builtins.list[tuple[str, str]], now: float
    ) -> None:
        """Record (shot_id, take_job_id) pairs as shown: each new pair becomes its shot's next version."""
        with self._transaction() as conn:
            self._lock(conn, f"review-versions:{owner}:{board_id}")
            for shot_id, job_id in shown:
                conn.execute(
                    "INSERT INTO review_versions "
                    "(owner, board_id, shot_id, take_job_id, number, first_shown_at) "
                    "SELECT %s, %s, %s, %s, COALESCE(MAX(number), 0) + 1, %s FROM review_versions "
                    "WHERE owner = %s AND board_id = %s AND shot_id = %s ON CONFLICT DO NOTHING",
                    (owner, board_id, shot_id, job_id, float(now), owner, board_id, shot_id),
                )

    def review_versions(self, owner: str, board_id: str) -> builtins.list[dict[str, Any]]:
        """Every version of the board's shots: shot_id, take_job_id, number, first_shown_at."""
        return self._rows("SELECT shot_id, take_job_id, number, first_shown_at FROM review_versions "
                          "WHERE owner = %s AND board_id = %s ORDER BY shot_id, number", (owner, board_id))

    @staticmethod
    def _link_counts(
        conn: Connection, table: str, column: str, link_id: str, since: float
    ) -> tuple[int, int]:
        """(rows of the link, rows of the link since `since`) in a review table."""
        row = conn.execute(
            f"SELECT COUNT(*) AS total, COUNT(*) FILTER (WHERE {column} >= %s) AS recent FROM {table} "
            "WHERE link_id = %s", (float(since), link_id),
        ).fetchone()
        return int(row["total"]), int(row["recent"])

    def add_review_note(
        self, row: Mapping[str, Any], *, max_per_link: int, max_recent: int, since: float
    ) -> str:
        """Add a note unless its link holds `max_per_link` ("quota") or wrote `max_recent` since `since`
        ("rate"); "added" when added. Atomic across processes (a lock on the link)."""
        with self._transaction() as conn:
            self._lock(conn, f"review-notes:{row['link_id']}")
            total, recent = self._link_counts(conn, "review_notes", "created_at", row["link_id"], since)
            if total >= max_per_link:
                return "quota"
            if recent >= max_recent:
                return "rate"
            conn.execute(f"INSERT INTO review_notes ({_NOTE_COLUMNS}) VALUES ({_marks(REVIEW_NOTE_COLUMNS)})",
                         _plain(row))
            return "added"

    def review_notes(self, owner: str, board_id: str) -> builtins.list[dict[str, Any]]:
        """Every note on the board, oldest first."""
        return self._rows(f"SELECT {_NOTE_COLUMNS} FROM review_notes WHERE owner = %s AND board_id = %s "
                          "ORDER BY created_at, seq", (owner, board_id))

    def review_note(self, note_id: str) -> dict[str, Any] | None:
        return self._row(f"SELECT {_NOTE_COLUMNS} FROM review_notes WHERE id = %s", (note_id,))

    def resolve_review_note(self, owner: str, note_id: str, resolved_at: float | None) -> bool:
        """Mark the owner's note resolved at `resolved_at` (None: open again); False when there is none."""
        return self._write("UPDATE review_notes SET resolved_at = %s WHERE id = %s AND owner = %s",
                           (resolved_at, note_id, owner)) == 1

    def set_review_status(
        self, row: Mapping[str, Any], *, max_per_link: int, max_recent: int, since: float
    ) -> str:
        """Set a reviewer's status on a take (the latest wins) unless the link holds `max_per_link`
        statuses already ("quota") or set `max_recent` since `since` ("rate")."""
        values = _plain(row)
        with self._transaction() as conn:
            self._lock(conn, f"review-statuses:{row['link_id']}")
            total, recent = self._link_counts(conn, "review_statuses", "set_at", row["link_id"], since)
            if recent >= max_recent:
                return "rate"
            if total >= max_per_link:  # only a status already counted may change
                changed = conn.execute(
                    "UPDATE review_statuses SET status = %(status)s, set_at = %(set_at)s, "
                    "seq = nextval(pg_get_serial_sequence('review_statuses', 'seq')) WHERE owner = %(owner)s "
                    "AND board_id = %(board_id)s AND shot_id = %(shot_id)s AND take_job_id = %(take_job_id)s "
                    "AND reviewer = %(reviewer)s AND link_id = %(link_id)s", values,
                ).rowcount
                return "added" if changed == 1 else "quota"
            conn.execute(  # replaced as SQLite's INSERT OR REPLACE does: a new place in the order
                f"INSERT INTO review_statuses ({_STATUS_COLUMNS}) VALUES ({_marks(REVIEW_STATUS_COLUMNS)}) "
                "ON CONFLICT (owner, board_id, shot_id, take_job_id, reviewer) DO UPDATE SET "
                "status = EXCLUDED.status, link_id = EXCLUDED.link_id, set_at = EXCLUDED.set_at, "
                "seq = nextval(pg_get_serial_sequence('review_statuses', 'seq'))", values,
            )
            return "added"

    def review_statuses(self, owner: str, board_id: str) -> builtins.list[dict[str, Any]]:
        """Every reviewer's latest status per take on the board, oldest first."""
        return self._rows(f"SELECT {_STATUS_COLUMNS} FROM review_statuses WHERE owner = %s AND board_id = %s "
                          "ORDER BY set_at, seq", (owner, board_id))

    def review_seen(self, owner: str, board_id: str) -> float:
        """When the owner last marked the board's notes read (0.0: never)."""
        row = self._row("SELECT seen_at FROM review_seen WHERE owner = %s AND board_id = %s",
                        (owner, board_id))
        return float(row["seen_at"]) if row is not None else 0.0

    def mark_review_seen(self, owner: str, board_id: str, at: float) -> None:
        self._write(
            "INSERT INTO review_seen (owner, board_id, seen_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (owner, board_id) "
            "DO UPDATE SET seen_at = GREATEST(review_seen.seen_at, excluded.seen_at)",
            (owner, board_id, at),
        )

    # -- chat tokens and prompt versions ---------------------------------------------------------------

    def llm_tokens(self, day: str, owner: str | None = None, address: str | None = None,
                   *, capped_only: bool = False) -> int:
        """Chat tokens counted on `day` (all, one owner, or one client address): used, else reserved."""
        sql = "SELECT COALESCE(SUM(COALESCE(used, reserved)), 0) AS s FROM llm_usage WHERE day = %s"
        args: tuple[Any, ...] = (day,)
        if owner is not None:
            sql += " AND owner = %s"
            args += (owner,)
        if address is not None:
            sql += " AND address = %s"
            args += (address,)
        if capped_only:
            sql += " AND capped = 1"
        return int(self._scalar(sql, args) or 0)

    def reserve_llm_tokens(self, row: Mapping[str, Any], *, cap: int) -> bool:
        """Count a call's reservation unless, on a capped key, its owner's or address's capped tokens of
        the day plus it would pass `cap` (0: no cap). Atomic across processes (a lock on the day)."""
        with self._transaction() as conn:
            self._lock(conn, f"llm:{row['day']}")
            if cap and row["capped"]:
                subjects = [("owner", row["owner"])]
                if row["address"]:
                    subjects.append(("address", row["address"]))
                for column, value in subjects:
                    used = conn.execute(
                        "SELECT COALESCE(SUM(COALESCE(used, reserved)), 0) AS s FROM llm_usage "
                        f"WHERE day = %s AND capped = 1 AND {column} = %s", (row["day"], value),
                    ).fetchone()["s"]
                    if int(used) + int(row["reserved"]) > cap:
                        return False
            conn.execute(f"INSERT INTO llm_usage ({_LLM_USAGE_COLUMNS}) VALUES ({_marks(LLM_USAGE_COLUMNS)})",
                         _plain(row))
            return True

    def settle_llm_tokens(self, call_id: str, used: int) -> None:
        """A call's real token count."""
        self._write("UPDATE llm_usage SET used = %s WHERE id = %s", (int(used), call_id))

    def add_prompt_version(self, row: Mapping[str, Any], *, keep: int) -> dict[str, Any]:
        """Add a version unless its text equals the subject's latest (then the latest is returned); the
        subject keeps its `keep` newest versions. Atomic across processes (a lock on the subject)."""
        with self._transaction() as conn:
            self._lock(conn, f"prompt-versions:{row['owner']}:{row['subject']}")
            latest = conn.execute(
                f"SELECT {_VERSION_COLUMNS} FROM prompt_versions WHERE owner = %s AND subject = %s "
                "ORDER BY created_at DESC, seq DESC LIMIT 1", (row["owner"], row["subject"]),
            ).fetchone()
            if latest is not None and latest["text"] == row["text"]:
                return dict(latest)
            conn.execute(f"INSERT INTO prompt_versions ({_VERSION_COLUMNS}) "
                         f"VALUES ({_marks(PROMPT_VERSION_COLUMNS)})", _plain(row))
            conn.execute(
                "DELETE FROM prompt_versions WHERE owner = %s AND subject = %s AND id NOT IN (SELECT id "
                "FROM prompt_versions WHERE owner = %s AND subject = %s "
                "ORDER BY created_at DESC, seq DESC LIMIT %s)",
                (row["owner"], row["subject"], row["owner"], row["subject"], int(keep)),
            )
            return dict(row)

    def prompt_versions(self, owner: str, subject: str, limit: int) -> builtins.list[dict[str, Any]]:
        """The owner's versions of a subject, newest first."""
        return self._rows(f"SELECT {_VERSION_COLUMNS} FROM prompt_versions WHERE owner = %s AND subject = %s "
                          "ORDER BY created_at DESC, seq DESC LIMIT %s", (owner, subject, max(0, int(limit))))

    def prompt_version(self, owner: str, version_id: str) -> dict[str, Any] | None:
        """One of the owner's versions by id (another owner's is None)."""
        return self._row(f"SELECT {_VERSION_COLUMNS} FROM prompt_versions WHERE id = %s AND owner = %s",
                         (version_id, owner))

    # -- job leases (one follower per unfinished job across replicas; jobs/leases.py) ---------------------

    def claim_job(self, job_id: str, holder: str, now: float, ttl: float) -> bool:
        """Take the lease on one job id if it is free, expired or already the holder's (a new job's lease
        is taken before its record is written, so no replica's scan can take the job in between). The
        ON CONFLICT guard decides between two claimers: it checks the latest committed lease."""
        return self._write(
            "INSERT INTO job_leases (job_id, holder, expires_at) VALUES (%s, %s, %s) ON CONFLICT (job_id) "
            "DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at "
            "WHERE job_leases.expires_at < %s OR job_leases.holder = EXCLUDED.holder",
            (job_id, holder, now + ttl, now),
        ) == 1

    def claim_jobs(self, holder: str, now: float, ttl: float, limit: int) -> builtins.list[str]:
        """Take the leases of up to `limit` unfinished jobs nobody holds (or whose lease expired), oldest
        first; their ids. `FOR UPDATE ... SKIP LOCKED` lets replicas scanning at once split the jobs
        instead of queueing on each other, and the ON CONFLICT guard re-checks the committed lease, so
        two claimers never both get one job."""
        rows = self._rows(
            "WITH free AS (SELECT j.id FROM jobs j LEFT JOIN job_leases l ON l.job_id = j.id "
            "WHERE NOT (j.status = ANY(%s)) AND (l.job_id IS NULL OR l.expires_at < %s) "
            "ORDER BY j.created_at, j.seq LIMIT %s FOR UPDATE OF j SKIP LOCKED) "
            "INSERT INTO job_leases (job_id, holder, expires_at) SELECT id, %s, %s FROM free "
            "ON CONFLICT (job_id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at "
            "WHERE job_leases.expires_at < %s RETURNING job_id",
            (_TERMINAL_VALUES, now, max(0, int(limit)), holder, now + ttl, now),
        )
        return [r["job_id"] for r in rows]

    def renew_leases(self, holder: str, now: float, ttl: float) -> builtins.list[str]:
        """Extend every lease the holder still has (an expired one nobody took is kept); their job ids."""
        rows = self._rows("UPDATE job_leases SET expires_at = %s WHERE holder = %s RETURNING job_id",
                          (now + ttl, holder))
        return [r["job_id"] for r in rows]

    def release_lease(self, job_id: str, holder: str) -> None:
        self._write("DELETE FROM job_leases WHERE job_id = %s AND holder = %s", (job_id, holder))

    def release_leases(self, holder: str) -> None:
        """Give up every lease of the holder (a replica stopping: others take its jobs at their next scan)."""
        self._write("DELETE FROM job_leases WHERE holder = %s", (holder,))

    def lease_holder(self, job_id: str, now: float) -> str | None:
        """The replica holding a live lease on the job, or None."""
        return self._scalar("SELECT holder FROM job_leases WHERE job_id = %s AND expires_at >= %s",
                            (job_id, now))

    def poke_job(self, job_id: str, now: float) -> bool:
        """Record that a webhook for the job arrived (the holder wakes its runner on its next change poll);
        False for a finished or unknown job."""
        with self._transaction() as conn:
            if conn.execute("UPDATE jobs SET updated_at = %s WHERE id = %s AND NOT (status = ANY(%s))",
                            (now, job_id, _TERMINAL_VALUES)).rowcount != 1:
                return False
            conn.execute("UPDATE job_leases SET poked_at = %s WHERE job_id = %s", (now, job_id))
        return True

    def changed_jobs(self, since: float) -> builtins.list[tuple[str, float, float | None]]:
        """(job id, updated_at, poked_at) of every job updated after `since` (one indexed query)."""
        rows = self._rows("SELECT j.id, j.updated_at, l.poked_at FROM jobs j "
                          "LEFT JOIN job_leases l ON l.job_id = j.id WHERE j.updated_at > %s", (since,))
        return [(r["id"], float(r["updated_at"]), r["poked_at"]) for r in rows]

    # -- jobs-in-flight slots (the caps on jobs at the provider, for the whole deployment; jobs/limits.py)

    def take_slot(self, job_id: str, owner: str, holder: str, max_total: int, max_per_owner: int
                  ) -> str | None:
        """See SqliteDatabase.take_slot; atomic across processes: every taker holds one advisory lock over
        its count and its insert (a release or a sweep needs none: it only frees slots)."""
        with self._transaction() as conn:
            self._lock(conn, SLOTS_LOCK_SUBJECT)
            kept = conn.execute("UPDATE flight_slots SET holder = %s WHERE job_id = %s", (holder, job_id))
            if kept.rowcount:
                return None
            refused = None
            if max_total or max_per_owner:
                conn.execute(_SWEEP_SLOTS, (_SLOTLESS_VALUES,))
                rows = conn.execute("SELECT owner, COUNT(*) AS n FROM flight_slots GROUP BY owner").fetchall()
                held = {r["owner"]: int(r["n"]) for r in rows}
                rows = conn.execute(_OLDER_WAITING, (job_id, JobStatus.QUEUED.value)).fetchall()
                older = {r["owner"]: int(r["n"]) for r in rows}
                refused = slot_verdict(held, older, owner, max_total, max_per_owner)
            if refused is None:
                conn.execute("INSERT INTO flight_slots (job_id, owner, holder, taken_at) "
                             "VALUES (%s, %s, %s, %s)", (job_id, owner, holder, time.time()))
            return refused

    def release_slot(self, job_id: str) -> None:
        """The job's provider task is over (or it went back to the queue): its slot is free."""
        self._write("DELETE FROM flight_slots WHERE job_id = %s", (job_id,))

    # -- storyboards (storyboard/persist.py; as sqlite.SqliteDatabase's) ---------------------------------

    def put_board(self, row: Mapping[str, Any]) -> None:
        """Write a board: a new row, or the row's body and list columns replaced and its version bumped
        (one statement: concurrent saves from replicas never mix, the last one wins). A trashed board
        stays trashed."""
        self._write(f"INSERT INTO boards ({_BOARD_COLUMNS}) VALUES ({_marks(BOARD_COLUMNS)}) "
                    f"ON CONFLICT (owner, board_id) DO UPDATE SET {BOARD_SAVE_SET}",
                    _plain({name: row[name] for name in BOARD_COLUMNS}))

    def add_boards(self, rows: builtins.list[Mapping[str, Any]]) -> int:
        """Insert boards that are not here yet (rows here already are kept); how many were new."""
        added = 0
        with self._transaction() as conn, conn.cursor() as cur:
            for row in rows:
                values = _plain({**{name: row[name] for name in BOARD_COLUMNS},
                                 "trashed_at": row.get("trashed_at")})
                cur.execute(f"INSERT INTO boards ({_BOARD_COLUMNS}, trashed_at) VALUES "
                            f"({_marks(BOARD_COLUMNS)}, %(trashed_at)s) ON CONFLICT DO NOTHING", values)
                added += max(0, cur.rowcount)
        return added

    def get_board(self, owner: str, board_id: str) -> dict[str, Any] | None:
        return self._row(f"SELECT {_BOARD_ROW} FROM boards WHERE owner = %s AND board_id = %s",
                         (owner, board_id))

    def board_rows(self, owner: str, *, bodies: bool = False) -> builtins.list[dict[str, Any]]:
        columns = ", ".join(BOARD_LIST_COLUMNS) + (", body" if bodies else "")
        return self._rows(f"SELECT {columns} FROM boards WHERE owner = %s AND trashed_at IS NULL "
                          "ORDER BY updated_at DESC, board_id DESC", (owner,))

    def pending_boards(self) -> builtins.list[dict[str, Any]]:
        return self._rows("SELECT owner, board_id, body FROM boards WHERE pending = 1 "
                          "AND trashed_at IS NULL ORDER BY owner, board_id")

    def trash_board(self, owner: str, board_id: str, at: float | None) -> bool:
        if at is None:
            return self._write("UPDATE boards SET trashed_at = NULL WHERE owner = %s AND board_id = %s "
                               "AND trashed_at IS NOT NULL", (owner, board_id)) == 1
        return self._write("UPDATE boards SET trashed_at = %s WHERE owner = %s AND board_id = %s "
                           "AND trashed_at IS NULL", (at, owner, board_id)) == 1

    def trashed_boards(self, before: float) -> builtins.list[tuple[str, str]]:
        rows = self._rows("SELECT owner, board_id FROM boards WHERE trashed_at IS NOT NULL "
                          "AND trashed_at <= %s ORDER BY trashed_at", (before,))
        return [(r["owner"], r["board_id"]) for r in rows]

    def delete_board(self, owner: str, board_id: str) -> bool:
        return self._write("DELETE FROM boards WHERE owner = %s AND board_id = %s", (owner, board_id)) == 1

    def board_bytes(self, owner: str, board_id: str | None = None) -> int:
        if board_id is None:
            return int(self._scalar("SELECT COALESCE(SUM(size), 0) FROM boards WHERE owner = %s", (owner,)))
        return int(self._scalar("SELECT size FROM boards WHERE owner = %s AND board_id = %s",
                                (owner, board_id)) or 0)

    # -- copying a SQLite studio in (store/copy.py) --------------------------------------------------------

    def copy_rows(self, table: str, columns: builtins.list[str], rows: builtins.list[tuple[Any, ...]]) -> int:
        """Insert rows into `table` (one of TABLES; columns by name), keeping any row whose key is here
        already (ON CONFLICT DO NOTHING); how many were new. One transaction."""
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        names = ", ".join(columns)
        marks = ", ".join("%s" for _ in columns)
        added = 0
        with self._transaction() as conn, conn.cursor() as cur:
            for row in rows:
                cur.execute(f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING", row)
                added += max(0, cur.rowcount)
        return added

    def table_columns(self, table: str) -> builtins.list[str]:
        """The columns of one of the studio's tables here (generated ones left out: they are computed)."""
        rows = self._rows("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                          "AND table_schema = current_schema() AND is_generated = 'NEVER' "
                          "ORDER BY ordinal_position", (table,))
        return [r["column_name"] for r in rows]

