"""Boards on disk, one JSON file each, scoped per owner.

Layout: `<data_dir>/boards/<sha256(owner)[:16]>/<board_id>.json`. Board ids are checked to be 32 hex
characters before any path is built, and a file is only returned to the owner recorded inside it.
"""

from __future__ import annotations

import builtins
import hashlib
import logging
import threading
from pathlib import Path

from seedance_ui.storyboard.files import write_text_atomically
from seedance_ui.storyboard.jsonio import BoardFormatError, dumps_board, loads_board
from seedance_ui.storyboard.model import Board, StoryboardError, check_id, is_valid_id

log = logging.getLogger(__name__)

BOARDS_DIRNAME = "boards"


def owner_key(owner: str) -> str:
    """The owner's directory name: the first 16 hex characters of sha256(owner)."""
    if not isinstance(owner, str) or not owner:
        raise StoryboardError("an owner is required")
    return hashlib.sha256(owner.encode("utf-8")).hexdigest()[:16]


class BoardStore:
    """Load, save, list and delete the boards of one owner at a time (thread-safe)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / BOARDS_DIRNAME
        self._lock = threading.Lock()

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

    def save(self, board: Board, *, touch: bool = True) -> Board:
        """Write the board under its owner (atomically); `touch` stamps updated_at first."""
        path = self.path_for(board.owner, board.id)
        board.media_dir = path.parent
        if touch:
            board.touch()
        with self._lock:
            write_text_atomically(path, dumps_board(board))
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
        return True
