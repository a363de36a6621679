"""Boards in the studio's database (the `boards` table, migration 12), scoped per owner.

Each board is a row: its JSON (jsonio.py) beside what the board list shows (title, shot count, updated),
its size in bytes and a version every save bumps, so the list parses no board. Board ids are checked to be
32 hex characters before anything is read or written, and a row is only returned to the owner recorded
inside it. Replicas on one PostgreSQL see the same boards: a save is one statement, the last one wins (as
two tabs' saves did with the files). A save that grows the owner's boards is counted against their disk
quota first (`store.quota`, which counts the boards' bytes in the database). A deleted board stays in the
trash (`trashed_at`) until it is purged, so the delete can be undone on any replica.

The owner's media folder (`owner_dir`: `<data_dir>/boards/<sha256(owner)[:16]>/`, cast pictures and
chain frames) stays on disk. Boards kept as JSON files there before migration 12 are imported once when
the database is opened (`board_files.py`).
"""

from __future__ import annotations

import builtins
import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedance_ui.store.quota import BOARDS_DIRNAME, DiskQuota, owner_folder
from seedance_ui.storyboard.jsonio import BoardFormatError, dumps_board, loads_board
from seedance_ui.storyboard.model import Board, StoryboardError, check_id

if TYPE_CHECKING:
    from seedance_ui.store.interface import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BoardSummary:
    """What the board list shows of a board, read without parsing it (see `BoardStore.summaries`)."""

    id: str
    title: str
    shot_count: int
    updated_at: float

    @classmethod
    def of(cls, board: Board) -> BoardSummary:
        return cls(board.id, board.title, len(board.shots), board.updated_at)


EDIT_CLAIM_SCOPE = "board-edit"  # limit events of this scope: the replica changing a board right now
EDIT_CLAIM_SECONDS = 30.0  # a claim its replica never dropped (killed mid-change) lapses after this
EDIT_WAIT_SECONDS = 10.0  # how long a change waits for another replica's change of the same board
EDIT_POLL_SECONDS = 0.02  # how often a waiting change asks again


class BoardBusy(StoryboardError):
    """Another replica kept changing the board past EDIT_WAIT_SECONDS (the message says what to do)."""


def owner_key(owner: str) -> str:
    """The owner's media folder name: the first 16 hex characters of sha256(owner)."""
    if not isinstance(owner, str) or not owner:
        raise StoryboardError("an owner is required")
    return owner_folder(owner)


def board_row(board: Board, text: str) -> dict[str, Any]:
    """The database row of a board whose JSON is `text` (sqlite.BOARD_COLUMNS)."""
    return {"owner": board.owner, "board_id": board.id, "body": text, "title": board.title,
            "shot_count": len(board.shots), "updated_at": float(board.updated_at),
            "pending": int(bool(board.pending)), "size": len(text.encode("utf-8"))}


class BoardStore:
    """Load, save, list and delete the boards of one owner at a time (thread-safe), in `db`: the studio's
    database (HistoryStore.db). Without one, the data directory's own SQLite database is opened (scripts
    and tests; a studio on PostgreSQL always hands its database in)."""

    def __init__(self, data_dir: Path, quota: DiskQuota | None = None, db: Database | None = None, *,
                 shared: bool = False) -> None:
        self.data_dir = Path(data_dir)
        self.shared = shared  # other replicas change these boards too (PostgreSQL): `held` claims them
        self.root = self.data_dir / BOARDS_DIRNAME
        self.quota = quota
        owns_db = db is None
        if db is None:
            from seedance_ui.store.local import open_database  # the store imports this module's neighbours

            db = open_database(self.data_dir)
        self.db, self._owns_db = db, owns_db
        self._lock = threading.Lock()
        self._listeners: builtins.list[Callable[[str], None]] = []

    def close(self) -> None:
        """Close the database this store opened itself (one handed in stays open: its owner closes it)."""
        if self._owns_db:
            self.db.close()

    @contextlib.contextmanager
    def held(self, key: str) -> Iterator[None]:
        """Hold `key` (a board id, or an owner's board list) against changes from other replicas while a
        change reads, edits and saves it: a claim in the database, waited for (BoardBusy after
        EDIT_WAIT_SECONDS), dropped after; lapsed after EDIT_CLAIM_SECONDS if its replica died. Nothing
        with one process (`shared` False): the session's own lock is enough there."""
        if not self.shared:
            yield
            return
        ref, deadline = secrets.token_hex(16), time.monotonic() + EDIT_WAIT_SECONDS
        while self.db.hit_limit(EDIT_CLAIM_SCOPE, [key], ref, time.time(), EDIT_CLAIM_SECONDS,
                                max_count=1).refused is not None:
            if time.monotonic() > deadline:
                raise BoardBusy("another replica is still saving this board; try again in a moment")
            time.sleep(EDIT_POLL_SECONDS)
        try:
            yield
        finally:
            self.db.drop_limit_event(EDIT_CLAIM_SCOPE, ref)

    def listen(self, listener: Callable[[str], None]) -> None:
        """Call `listener(board_id)` after each save, delete, trash or restore through this store (in the
        calling thread: keep it quick)."""
        self._listeners.append(listener)

    def _changed(self, board_id: str) -> None:
        for listener in self._listeners:
            listener(board_id)

    def owner_dir(self, owner: str) -> Path:
        """The owner's media folder (cast pictures, chain frames); the boards themselves are rows."""
        return self.root / owner_key(owner)

    def _parse(self, owner: str, board_id: str, body: str) -> Board | None:
        """The board a row holds, when it parses and names this owner and id (else None, logged)."""
        try:
            board = loads_board(body)
        except BoardFormatError as exc:
            log.warning("skipping unreadable board %s: %s", board_id, exc)
            return None
        if board.owner != owner or board.id != board_id:
            log.warning("skipping board %s: it does not belong to its row", board_id)
            return None
        board.media_dir = self.owner_dir(owner)
        return board

    def _live(self, row: Mapping[str, Any] | None) -> Board | None:
        if row is None or row["trashed_at"] is not None:
            return None
        return self._parse(row["owner"], row["board_id"], row["body"])

    def get(self, owner: str, board_id: str) -> Board | None:
        """The owner's board with this id, or None (also while it is in the trash)."""
        owner_key(owner)
        return self._live(self.db.get_board(owner, check_id(board_id, "board id")))

    def list(self, owner: str) -> builtins.list[Board]:
        """The owner's boards, most recently updated first (unreadable ones skipped)."""
        owner_key(owner)
        rows = self.db.board_rows(owner, bodies=True)
        boards = [b for r in rows if (b := self._parse(owner, r["board_id"], r["body"])) is not None]
        return sorted(boards, key=lambda b: (b.updated_at, b.id), reverse=True)

    def summaries(self, owner: str) -> builtins.list[BoardSummary]:
        """The owner's boards as the list shows them, most recently updated first (no board parsed)."""
        owner_key(owner)
        found = [BoardSummary(r["board_id"], r["title"], int(r["shot_count"]), float(r["updated_at"]))
                 for r in self.db.board_rows(owner)]
        return sorted(found, key=lambda b: (b.updated_at, b.id), reverse=True)

    def stamps(self, owner: str) -> dict[str, int]:
        """Board id -> its version (bumped by every save) of the owner's boards, for catching up cheaply."""
        owner_key(owner)
        return {r["board_id"]: int(r["version"]) for r in self.db.board_rows(owner)}

    def save(self, board: Board, *, touch: bool = True, counted: bool = False) -> Board:
        """Write the board under its owner; `touch` stamps updated_at first. QuotaExceeded, and nothing
        written, when the bigger board would take the owner over their disk quota (`counted`: its bytes
        were reserved already, e.g. with the import that made it)."""
        owner_key(board.owner)
        check_id(board.id, "board id")
        board.media_dir = self.owner_dir(board.owner)
        if touch:
            board.touch()
        row = board_row(board, dumps_board(board))
        with self._lock:
            if self.quota is not None and not counted:
                growth = row["size"] - self.db.board_bytes(board.owner, board.id)
                self.quota.reserve(board.owner, growth, "this board")
            self.db.put_board(row)
        self._changed(board.id)
        return board

    def owners_with_pending(self) -> builtins.list[Board]:
        """Every owner's boards with a chained Generate still to finish (for resuming after a restart)."""
        found = []
        for row in self.db.pending_boards():
            board = self._parse(row["owner"], row["board_id"], row["body"])
            if board is not None and board.pending:
                found.append(board)
        return found

    def reserve(self, owner: str, nbytes: int, what: str) -> None:
        """Count bytes about to be written for the owner's boards (QuotaExceeded when over)."""
        if self.quota is not None:
            self.quota.reserve(owner, nbytes, what)

    def create(self, owner: str, title: str | None = None) -> Board:
        """A new empty board of `owner`, saved."""
        board = Board(owner=owner) if title is None else Board(owner=owner, title=title)
        return self.save(board)

    def delete(self, owner: str, board_id: str) -> bool:
        """Remove the owner's board for good; False when there was none."""
        if self.get(owner, board_id) is None or not self.db.delete_board(owner, board_id):
            return False
        self._changed(board_id)
        return True

    # -- the trash (board_delete.py): out of the list at once, back with `restore`, gone with `purge` ----

    def trash(self, owner: str, board_id: str) -> Board | None:
        """Move the owner's board to the trash (None when they have no such board)."""
        board = self.get(owner, board_id)
        if board is None or not self.db.trash_board(owner, board_id, time.time()):
            return None
        self._changed(board_id)
        return board

    def restore(self, owner: str, board_id: str) -> Board | None:
        """Take the owner's board out of the trash (None when it is not there)."""
        owner_key(owner)
        if not self.db.trash_board(owner, check_id(board_id, "board id"), None):
            return None
        self._changed(board_id)
        return self.get(owner, board_id)

    def purge(self, owner: str, board_id: str) -> Board | None:
        """Remove a board from the trash for good; the board it was (None when it is not in the trash)."""
        owner_key(owner)
        row = self.db.get_board(owner, check_id(board_id, "board id"))
        if row is None or row["trashed_at"] is None or not self.db.delete_board(owner, board_id):
            return None
        return self._parse(owner, board_id, row["body"])

    def trashed(self, before: float) -> builtins.list[tuple[str, str]]:
        """(owner, board id) of every owner's boards trashed at or before `before` (epoch seconds)."""
        return self.db.trashed_boards(before)
