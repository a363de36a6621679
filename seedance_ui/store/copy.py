"""Copy a SQLite studio's database into PostgreSQL (`python -m seedance_ui.store copy --to ...`).

Every table of the store goes across (jobs, job bookkeeping, the budget ledger, uploads, input
references, idempotency keys, identities and app secrets, reviews, chat tokens, prompt versions, the
index of storyboard takes, the boards), in the SQLite file's row order, so the history keeps its order.
Boards a studio still kept as JSON files are imported into the SQLite database first, as its next start
would (storyboard/board_files.py). Rows whose primary key is in PostgreSQL already are kept as they are
(ON CONFLICT DO NOTHING): running it twice, or after an interruption, doubles nothing. Media files stay
in the data directory (the command's help says so).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from seedance_ui.store.local import database_path, import_board_files
from seedance_ui.store.postgres import TABLES, PostgresDatabase
from seedance_ui.store.sqlite import SqliteDatabase

COPY_BATCH_ROWS = 1000  # rows read from SQLite and written to PostgreSQL per transaction


@dataclass(frozen=True)
class TableCopy:
    """What copying one table did."""

    table: str
    read: int  # rows in the SQLite table
    added: int  # of them new in PostgreSQL (the rest were there already)


def _source_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """The SQLite table's stored columns (PRAGMA table_info leaves generated ones out); [] without it."""
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def copy_table(source: SqliteDatabase, target: PostgresDatabase, table: str) -> TableCopy:
    """Copy one table's rows (the columns both sides have), in batches, oldest rowid first."""
    with source._lock:
        conn = source._conn
        theirs = _source_columns(conn, table)
        ours = set(target.table_columns(table))
        columns = [name for name in theirs if name in ours]
        if not columns:
            return TableCopy(table, 0, 0)
        read = added = 0
        cursor = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")
        while batch := cursor.fetchmany(COPY_BATCH_ROWS):
            rows = [tuple(row) for row in batch]
            read += len(rows)
            added += target.copy_rows(table, columns, rows)
    return TableCopy(table, read, added)


def copy_studio(data_dir: Path, url: str) -> list[TableCopy]:
    """Copy the data directory's studio.sqlite3 (migrated to the current schema first, as a start of the
    studio would, with its board files imported) into the PostgreSQL database at `url` (migrated too).
    FileNotFoundError when the data directory has no database."""
    folder = Path(data_dir).expanduser().resolve()
    path = database_path(folder)
    if not path.is_file():
        raise FileNotFoundError(f"no studio database at {path}")
    source = SqliteDatabase(path)
    try:
        import_board_files(source, folder)
        target = PostgresDatabase(url)
        try:
            return [copy_table(source, target, table) for table in TABLES]
        finally:
            target.close()
    finally:
        source.close()
