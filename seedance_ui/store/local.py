"""The database file of a data directory, and the one-time upgrade from the three files of v1.

Layout: `<data_dir>/studio.sqlite3` (plus SQLite's `-wal`/`-shm` while open). Before the one store, the
studio kept `history.sqlite3`, `jobs.sqlite3` and `budget.sqlite3`. `open_database` imports them the
first time it meets them: each is sealed (its WAL folded into the file), all are copied in one
transaction that also records the import, and only then are they renamed to `<name>.v1-backup`.
Interrupted anywhere, the next open finishes the job without losing or doubling a row. Every open, on
either backend, also imports the boards still kept as JSON files (storyboard/board_files.py; once).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from seedance_ui.store.interface import Database
from seedance_ui.store.sqlite import LEGACY_TABLES, SqliteDatabase, seal_legacy

log = logging.getLogger(__name__)

DB_FILENAME = "studio.sqlite3"
DB_SIDE_SUFFIXES = ("-wal", "-shm", "-journal")  # files SQLite keeps beside a database
LEGACY_FILENAMES = tuple(LEGACY_TABLES)  # history.sqlite3, jobs.sqlite3, budget.sqlite3
BACKUP_SUFFIX = ".v1-backup"


def database_path(data_dir: Path) -> Path:
    return data_dir / DB_FILENAME


def backup_path(legacy: Path) -> Path:
    return legacy.with_name(legacy.name + BACKUP_SUFFIX)


def open_database(data_dir: Path | str, database_url: str = "") -> Database:
    """The data directory's database, migrated to the current schema and upgraded from v1 files; or,
    with a `database_url` (SEEDANCE_DATABASE_URL, postgresql://...), that PostgreSQL database instead."""
    folder = Path(data_dir).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if database_url:
        from seedance_ui.store.postgres import PostgresDatabase  # psycopg only when PostgreSQL is used

        db: Database = PostgresDatabase(database_url)
    else:
        db = SqliteDatabase(database_path(folder))
    try:
        if isinstance(db, SqliteDatabase):
            upgrade_legacy(db, folder)
        import_board_files(db, folder)
    except BaseException:
        db.close()
        raise
    return db


def import_board_files(db: Database, data_dir: Path) -> int:
    """Import the data directory's board JSON files into the database, once (storyboard/board_files.py)."""
    from seedance_ui.storyboard.board_files import import_board_files as import_files  # it imports the store

    return import_files(db, data_dir)


def upgrade_legacy(db: SqliteDatabase, data_dir: Path) -> dict[str, int]:
    """Import the v1 databases found in `data_dir` (once), then keep them as backups.

    Returns rows copied per file name (empty when there was nothing to import).
    """
    found = {name: data_dir / name for name in LEGACY_FILENAMES if (data_dir / name).is_file()}
    if not found:
        return {}
    done = db.imported_sources()
    for name, path in found.items():
        if name not in done:
            seal_legacy(path)
    copied = db.import_legacy({name: path for name, path in found.items() if name not in done})
    if copied:
        log.info("imported the v1 databases into %s: %s", db.path.name,
                 ", ".join(f"{name} ({rows} rows)" for name, rows in sorted(copied.items())))
    for path in found.values():
        _keep_as_backup(path)
    return copied


def _keep_as_backup(legacy: Path) -> None:
    """Rename an imported legacy file (and any side files) to its backup name; never overwrite one."""
    target = backup_path(legacy)
    if target.exists():
        log.warning("%s was imported before and %s exists: leaving it in place", legacy.name, target.name)
        return
    for suffix in DB_SIDE_SUFFIXES:
        side = legacy.with_name(legacy.name + suffix)
        if side.exists():
            os.replace(side, target.with_name(target.name + suffix))
    os.replace(legacy, target)
