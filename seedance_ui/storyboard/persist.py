"""Boards on disk, one JSON file each, scoped per owner.

Layout: `<data_dir>/boards/<sha256(owner)[:16]>/<board_id>.json`. Board ids are checked to be 32 hex
characters before any path is built, and a file is only returned to the owner recorded inside it.
`_index.json` beside them keeps what the board list shows (title, shots, updated) per board with the
file's size and mtime: listing parses only the boards changed since (it heals itself from the files).
A save that grows the owner's files is counted against their disk quota first (`store.quota`).
"""

from __future__ import annotations

import builtins
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedance_ui.store.quota import DiskQuota, owner_folder
from seedance_ui.storyboard.files import write_text_atomically
from seedance_ui.storyboard.jsonio import BoardFormatError, dumps_board, loads_board
from seedance_ui.storyboard.model import Board, StoryboardError, check_id, is_valid_id

log = logging.getLogger(__name__)

BOARDS_DIRNAME = "boards"
INDEX_NAME = "_index.json"


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


def owner_key(owner: str) -> str:
    """The owner's directory name: the first 16 hex characters of sha256(owner)."""
    if not isinstance(owner, str) or not owner:
        raise StoryboardError("an owner is required")
    return owner_folder(owner)


class BoardStore:
    """Load, save, list and delete the boards of one owner at a time (thread-safe)."""

    def __init__(self, data_dir: Path, quota: DiskQuota | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / BOARDS_DIRNAME
        self.quota = quota
        self._lock = threading.Lock()
        self._index_lock = threading.Lock()
        self._listeners: builtins.list[Callable[[str], None]] = []

    def listen(self, listener: Callable[[str], None]) -> None:
        """Call `listener(board_id)` after each save or delete (in the saving thread: keep it quick)."""
        self._listeners.append(listener)

    def _changed(self, board_id: str) -> None:
        for listener in self._listeners:
            listener(board_id)

    def owner_dir(self, owner: str) -> Path:
        return self.root / owner_key(owner)

    def path_for(self, owner: str, board_id: str) -> Path:
        """The file of a board (ids validated first)."""
        return self.owner_dir(owner) / f"{check_id(board_id, 'board id')}.json"

    def _read(self, owner: str, path: Path) -> Board | None:
        try:
            board = loads_board(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, BoardFormatError) as exc:
            log.warning("skipping unreadable board file %s: %s", path.name, exc)
            return None
        if board.owner != owner or f"{board.id}.json" != path.name:
            log.warning("skipping board file %s: it does not belong here", path.name)
            return None
        board.media_dir = path.parent
        return board

    def get(self, owner: str, board_id: str) -> Board | None:
        """The owner's board with this id, or None."""
        return self._read(owner, self.path_for(owner, board_id))

    def list(self, owner: str) -> builtins.list[Board]:
        """The owner's boards, most recently updated first (unreadable files skipped)."""
        folder = self.owner_dir(owner)
        if not folder.is_dir():
            return []
        boards = [
            board
            for path in folder.glob("*.json")
            if is_valid_id(path.stem) and (board := self._read(owner, path)) is not None
        ]
        return sorted(boards, key=lambda b: (b.updated_at, b.id), reverse=True)

    def summaries(self, owner: str) -> builtins.list[BoardSummary]:
        """The owner's boards as the list shows them, most recently updated first: from the index, each
        board file parsed only when it changed since it was indexed (unreadable ones skipped)."""
        folder = self.owner_dir(owner)
        if not folder.is_dir():
            return []
        with self._index_lock:
            index = _load_index(folder / INDEX_NAME)
            fresh: dict[str, Any] = {}
            for path in folder.glob("*.json"):
                if is_valid_id(path.stem) and (entry := self._indexed(owner, path, index.get(path.stem))):
                    fresh[path.stem] = entry
            if fresh != index:
                write_text_atomically(folder / INDEX_NAME, json.dumps(fresh, separators=(",", ":")))
        found = [BoardSummary(bid, e["title"], e["shots"], e["updated_at"])
                 for bid, e in fresh.items() if e["ok"]]
        return sorted(found, key=lambda b: (b.updated_at, b.id), reverse=True)

    def _indexed(self, owner: str, path: Path, entry: Any) -> dict[str, Any] | None:
        """The index entry of a board file: the recorded one while the file is unchanged, else read."""
        try:
            stat = path.stat()
        except OSError:
            return None
        if isinstance(entry, dict) and entry.get("stamp") == [stat.st_size, stat.st_mtime_ns]:
            return entry
        board = self._read(owner, path)
        summary = BoardSummary.of(board) if board is not None else BoardSummary(path.stem, "", 0, 0.0)
        return {"stamp": [stat.st_size, stat.st_mtime_ns], "ok": board is not None, "title": summary.title,
                "shots": summary.shot_count, "updated_at": summary.updated_at}

    def save(self, board: Board, *, touch: bool = True, counted: bool = False) -> Board:
        """Write the board under its owner (atomically); `touch` stamps updated_at first. QuotaExceeded,
        and nothing written, when the bigger file would take the owner over their disk quota (`counted`:
        its bytes were reserved already, e.g. with the import that made it)."""
        path = self.path_for(board.owner, board.id)
        board.media_dir = path.parent
        if touch:
            board.touch()
        text = dumps_board(board)
        with self._lock:
            if self.quota is not None and not counted:
                growth = len(text.encode("utf-8")) - (path.stat().st_size if path.is_file() else 0)
                self.quota.reserve(board.owner, growth, "this board")
            write_text_atomically(path, text)
        self._changed(board.id)
        return board

    def owners_with_pending(self) -> builtins.list[Board]:
        """Every owner's boards with a chained Generate still to finish (for resuming after a restart)."""
        if not self.root.is_dir():
            return []
        found = []
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for path in folder.glob("*.json"):
                try:
                    board = loads_board(path.read_bytes())
                except (OSError, BoardFormatError):
                    continue
                if board.pending and owner_key(board.owner) == folder.name and is_valid_id(path.stem):
                    board.media_dir = folder
                    found.append(board)
        return found

    def reserve(self, owner: str, nbytes: int, what: str) -> None:
        """Count bytes about to be written into the owner's boards folder (QuotaExceeded when over)."""
        if self.quota is not None:
            self.quota.reserve(owner, nbytes, what)

    def create(self, owner: str, title: str | None = None) -> Board:
        """A new empty board of `owner`, saved."""
        board = Board(owner=owner) if title is None else Board(owner=owner, title=title)
        return self.save(board)

    def delete(self, owner: str, board_id: str) -> bool:
        """Remove the owner's board; False when there was none."""
        path = self.path_for(owner, board_id)
        with self._lock:
            if self._read(owner, path) is None:
                return False
            path.unlink(missing_ok=True)
        self._changed(board_id)
        return True


def _load_index(path: Path) -> dict[str, Any]:
    try:
        found = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
