"""Deleting a board, undoably: the board moves to the trash at once (out of the board list, and its review
links stop opening: the reviewer's page reads the board from the list), and comes back with `restore`.
`purge` finishes the delete: the board's row, the cast pictures and chain frames no other board of the
owner uses, and the board's exports go, and `on_purged` callbacks run (the review service revokes the
board's open links there). The trash is the boards table's `trashed_at` (persist.py), so any replica
can undo or purge. A board left in the trash longer than the undo time (its app stopped first) is
purged on the next start (`purge_stale`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from seedance_ui.store import objects
from seedance_ui.storyboard.cast import FRAMES_DIRNAME
from seedance_ui.storyboard.clips import export_stem
from seedance_ui.storyboard.model import Board, is_valid_id
from seedance_ui.storyboard.persist import BoardStore
from seedance_ui.storyboard.validation import CAST_DIRNAME

log = logging.getLogger(__name__)


class BoardTrash:
    """Trash, restore and purge the boards of `boards`; exports live in `exports_dir(owner)`."""

    def __init__(self, boards: BoardStore, exports_dir: Callable[[str], Path]) -> None:
        self.boards, self.exports_dir = boards, exports_dir
        self.on_purged: list[Callable[[str, str], None]] = []  # (owner, board id), after a purge

    def trash(self, owner: str, board_id: str) -> Board | None:
        """Move the owner's board out of their list (None when they have no such board)."""
        return self.boards.trash(owner, board_id)

    def restore(self, owner: str, board_id: str) -> Board | None:
        """Put a trashed board back in the owner's list (None when it is gone)."""
        return self.boards.restore(owner, board_id)

    def purge(self, owner: str, board_id: str) -> None:
        """Finish the delete: the trashed board, the media only it used, its exports; then `on_purged`."""
        board = self.boards.purge(owner, board_id)
        if board is not None:
            self._clean_media(owner, board)
            self._clean_exports(owner, board)
        for callback in self.on_purged:
            try:
                callback(owner, board_id)
            except Exception:
                log.exception("after purging a board")

    def purge_stale(self, older_than: float = 0.0) -> None:
        """Purge every board trashed more than `older_than` seconds ago (their undo time is over: a
        replica still counting one down keeps it), so their review links close as well."""
        for owner, board_id in self.boards.trashed(time.time() - older_than):
            self.purge(owner, board_id)

    def _clean_media(self, owner: str, board: Board) -> None:
        """The board's cast pictures and chain frames that no other board of the owner names."""
        others = self.boards.list(owner)
        used_cast = {e.file_name for b in others for e in b.cast}
        used_jobs = {t.job_id for b in others for s in b.shots for t in s.takes}
        folder = self.boards.owner_dir(owner)
        pictures = {e.file_name for e in board.cast if e.file_name} - used_cast  # "": no picture yet
        _unlink(folder / CAST_DIRNAME / name for name in pictures)
        jobs = {t.job_id for s in board.shots for t in s.takes} - used_jobs
        _unlink(folder / FRAMES_DIRNAME / f"{job}-last.png" for job in jobs if is_valid_id(job))

    def _clean_exports(self, owner: str, board: Board) -> None:
        """The board's exports (their names carry its title's slug and its id's start)."""
        stem = export_stem(board)
        if any(export_stem(b) == stem for b in self.boards.list(owner)):
            return  # another board's exports share the names: keep them
        folder = self.exports_dir(owner)
        if folder.is_dir():
            _unlink(p for p in folder.iterdir() if p.name.startswith(stem))


def _unlink(paths: Iterable[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove %s: %s", path.name, exc)
        objects.file_removed(path)  # and its object in the bucket behind the data directory, if any
