"""The one-time import of boards kept as JSON files (before the store's migration 12) into the database.

Before, each board was `<data_dir>/boards/<sha256(owner)[:16]>/<board_id>.json` (a deleted one waiting
for its purge under `.trash/` there), with an `_index.json` beside them. `import_board_files` runs on
every open of the database (store/local.py): it inserts the boards it finds that the database does not
have yet (a row already there is kept: never doubled, never overwritten by an older file), then moves
every board file out of the owner's folder to `<data_dir>/boards/.json-backup/<owner folder>/` (kept,
never read again; out of the owner's disk quota). Interrupted anywhere, the next open finishes it.
A file that does not parse, or names another owner or id than its place, is moved there too, not imported
(logged). A trashed board comes in trashed, at its file's time, so the next start purges it as before.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedance_ui.store.quota import BOARDS_DIRNAME, owner_folder
from seedance_ui.storyboard.jsonio import BoardFormatError, loads_board
from seedance_ui.storyboard.persist import board_row

if TYPE_CHECKING:
    from seedance_ui.store.interface import Database

log = logging.getLogger(__name__)

BACKUP_DIRNAME = ".json-backup"  # under boards/: the imported files, kept (never served, never counted)
TRASH_DIRNAME = ".trash"  # where a deleted board's file waited for its purge
INDEX_NAME = "_index.json"  # the board list's index of the files (derived: dropped)
_OWNER_FOLDER = re.compile(r"[0-9a-f]{16}")


def _row(path: Path, folder: str, trashed: bool) -> dict[str, Any] | None:
    """The database row of one board file, or None (logged) when it is not a board of that folder."""
    try:
        text = path.read_bytes().decode("utf-8")
        board = loads_board(text)
    except (OSError, UnicodeDecodeError, BoardFormatError) as exc:
        log.warning("not importing board file %s/%s: %s", folder, path.name, exc)
        return None
    if owner_folder(board.owner) != folder or f"{board.id}.json" != path.name:
        log.warning("not importing board file %s/%s: it does not belong there", folder, path.name)
        return None
    row = board_row(board, text)
    if trashed:
        row["trashed_at"] = path.stat().st_mtime
    return row


def _keep(path: Path, backup: Path) -> None:
    """Move an imported file into the backup folder (never over a file kept there before)."""
    backup.mkdir(parents=True, exist_ok=True)
    target = backup / path.name
    try:
        if target.exists():
            target = backup / f"{path.stem}.{os.getpid()}-{path.stat().st_mtime_ns}{path.suffix}"
        os.replace(path, target)
    except FileNotFoundError:
        pass  # another process opening the same data directory moved it first


def import_owner_folder(db: Database, folder: Path, backup: Path) -> int:
    """Import one owner folder's board files (live ones first, then the trash); how many were new."""
    files = [(p, False) for p in sorted(folder.glob("*.json")) if p.name != INDEX_NAME]
    files += [(p, True) for p in sorted((folder / TRASH_DIRNAME).glob("*.json"))]
    if not files:
        return 0
    rows = [row for path, trashed in files if (row := _row(path, folder.name, trashed)) is not None]
    added = db.add_boards(rows) if rows else 0
    for path, trashed in files:
        _keep(path, backup / TRASH_DIRNAME if trashed else backup)
    (folder / INDEX_NAME).unlink(missing_ok=True)
    return added


def import_board_files(db: Database, data_dir: Path) -> int:
    """Import the data directory's board files into `db` (once; see the module's docstring); how many
    boards were new."""
    root = Path(data_dir) / BOARDS_DIRNAME
    if not root.is_dir():
        return 0
    added = 0
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and _OWNER_FOLDER.fullmatch(p.name)):
        added += import_owner_folder(db, folder, root / BACKUP_DIRNAME / folder.name)
    if added:
        log.info("imported %d board file(s) of %s into the database", added, root)
    return added
