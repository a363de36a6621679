"""Deleting a board, undoably: the board's file moves into the owner's `.trash` folder at once (out of the
board list, and its review links stop opening: the reviewer's page reads the board from the list's
folder), and comes back with `restore`. `purge` finishes the delete: the file, the cast pictures and
chain frames no other board of the owner uses, and the board's exports go, and `on_purged` callbacks run
(the review service revokes the board's open links there). A trash left by a stopped app is purged on
the next start (`purge_stale`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from seedance_ui.storyboard.cast import FRAMES_DIRNAME
from seedance_ui.storyboard.clips import export_stem
from seedance_ui.storyboard.jsonio import BoardFormatError, loads_board
from seedance_ui.storyboard.model import Board, is_valid_id
from seedance_ui.storyboard.persist import BoardStore
from seedance_ui.storyboard.validation import CAST_DIRNAME

log = logging.getLogger(__name__)

TRASH_DIRNAME = ".trash"  # under the owner's boards folder; never listed (not a board file)


class BoardTrash:
    """Trash, restore and purge the boards of `boards`; exports live in `exports_dir(owner)`."""

    def __init__(self, boards: BoardStore, exports_dir: Callable[[str], Path]) -> None:
        self.boards, self.exports_dir = boards, exports_dir
        self.on_purged: list[Callable[[str, str], None]] = []  # (owner, board id), after a purge

    def trash_path(self, owner: str, board_id: str) -> Path:
        return self.boards.owner_dir(owner) / TRASH_DIRNAME / f"{board_id}.json"

    def trash(self, owner: str, board_id: str) -> Board | None:
        """Move the owner's board out of their list (None when they have no such board)."""
        board = self.boards.get(owner, board_id)
        if board is None:
            return None
        target = self.trash_path(owner, board_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.boards.path_for(owner, board_id), target)
        self.boards._changed(board_id)
        return board

    def restore(self, owner: str, board_id: str) -> Board | None:
        """Put a trashed board back in the owner's list (None when it is gone)."""
        source = self.trash_path(owner, board_id)
        if not source.is_file():
            return None
        os.replace(source, self.boards.path_for(owner, board_id))
        self.boards._changed(board_id)
        return self.boards.get(owner, board_id)

    def purge(self, owner: str, board_id: str) -> None:
        """Finish the delete: the trashed file, the media only it used, its exports; then `on_purged`."""
        source = self.trash_path(owner, board_id)
        board = _read(source)
        source.unlink(missing_ok=True)
        if board is not None:
            self._clean_media(owner, board)
            self._clean_exports(owner, board)
        for callback in self.on_purged:
            try:
                callback(owner, board_id)
            except Exception:
                log.exception("after purging a board")

    def purge_stale(self) -> None:
        """Purge every trashed board (a stopped app's undo time is over). Their owners are read from the
        files, so the review links close as well."""
        root = self.boards.root
        if not root.is_dir():
            return
        for path in root.glob(f"*/{TRASH_DIRNAME}/*.json"):
            board = _read(path)
            if board is None or not is_valid_id(path.stem):
                path.unlink(missing_ok=True)
                continue
            self.purge(board.owner, path.stem)

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


def _read(path: Path) -> Board | None:
    try:
        return loads_board(path.read_bytes())
    except (OSError, BoardFormatError):
        return None


def _unlink(paths: Iterable[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove %s: %s", path.name, exc)
