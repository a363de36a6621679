"""The studio's persistent state: one database (jobs, job bookkeeping, budget ledger) plus media files.

- `records`: job statuses, records, ids, bookkeeping and ledger rows (no storage).
- `interface`: `Database`, the methods every caller uses (a server database implements them too).
- `sqlite`: `SqliteDatabase`, every SQL statement of the project, with versioned migrations.
- `postgres`: `PostgresDatabase`, the same methods and migration history on PostgreSQL (several replicas).
- `local`: the data directory's `studio.sqlite3`, and the one-time upgrade from v1's three files; or the
  PostgreSQL database SEEDANCE_DATABASE_URL names.
- `copy` (+ `__main__`): `python -m seedance_ui.store copy --to postgresql://...`.
- `history`: `HistoryStore`, the job history with its videos, posters and input copies on disk.
"""

from seedance_ui.store.history import (
    INPUTS_DIRNAME,
    POSTER_SUFFIX,
    POSTERS_DIRNAME,
    VIDEO_SUFFIX,
    VIDEOS_DIRNAME,
    HistoryStore,
)
from seedance_ui.store.interface import Database
from seedance_ui.store.local import (
    BACKUP_SUFFIX,
    DB_FILENAME,
    DB_SIDE_SUFFIXES,
    LEGACY_FILENAMES,
    open_database,
)
from seedance_ui.store.records import (
    FIELD_NAMES,
    TERMINAL_JOB_STATUSES,
    JobMeta,
    JobRecord,
    JobStatus,
    SpendRow,
    check_job_id,
    is_valid_job_id,
    new_job_id,
    new_token,
)
from seedance_ui.store.sqlite import MIGRATIONS, LegacyImportError, SchemaTooNewError, apply_migrations

__all__ = [
    "BACKUP_SUFFIX",
    "DB_FILENAME",
    "DB_SIDE_SUFFIXES",
    "FIELD_NAMES",
    "INPUTS_DIRNAME",
    "LEGACY_FILENAMES",
    "MIGRATIONS",
    "POSTERS_DIRNAME",
    "POSTER_SUFFIX",
    "TERMINAL_JOB_STATUSES",
    "VIDEOS_DIRNAME",
    "VIDEO_SUFFIX",
    "Database",
    "HistoryStore",
    "JobMeta",
    "JobRecord",
    "JobStatus",
    "LegacyImportError",
    "SchemaTooNewError",
    "SpendRow",
    "apply_migrations",
    "check_job_id",
    "is_valid_job_id",
    "new_job_id",
    "new_token",
    "open_database",
]
