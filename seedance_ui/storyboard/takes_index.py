"""Which board, shot and take each job is, kept in the database for the history's labels and filters.

The boards are rows of their own (persist.py: a board's JSON); the history's pages are filtered and paged
in SQL, so the database keeps a row per take (`store.query.BoardTake`). `TakesIndex.sync(owner)` brings
those rows in step with the owner's boards before a page is read: a board whose version (bumped by every
save, on any replica) changed since the last sync is read again, a board that is gone loses its rows.
Unchanged boards cost one query of the owner's versions.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from seedance_ui.store import HistoryStore
from seedance_ui.store.query import BoardTake
from seedance_ui.storyboard.model import Board
from seedance_ui.storyboard.persist import BoardStore

SYNCED_OWNERS = 2048  # the owners whose board stamps are remembered (least recently synced forgotten)

Stamps = dict[str, int]  # board id -> its version


def board_takes(board: Board) -> list[BoardTake]:
    """Every take on the board, with its shot's number and its own (both from 1) and the board's title."""
    return [
        BoardTake(take.job_id, board.id, board.title, shot_number, take_number,
                  bool(shot.extends) or shot.continues_video)
        for shot_number, shot in enumerate(board.shots, start=1)
        for take_number, take in enumerate(shot.takes, start=1)
    ]


class TakesIndex:
    """Keeps `history`'s board takes in step with the boards of `boards` (thread-safe)."""

    def __init__(self, history: HistoryStore, boards: BoardStore | None = None) -> None:
        self.history = history
        self.boards = boards or BoardStore(history.data_dir, history.quota, history.db)
        self._known: OrderedDict[str, Stamps] = OrderedDict()
        self._lock = threading.Lock()

    def sync(self, owner: str) -> None:
        """Record the takes of every board of `owner` that changed since the last sync."""
        if not owner:
            return
        with self._lock:
            stamps = self.boards.stamps(owner)
            known = self._known.get(owner)
            if known is None:  # first sync in this process: what the database holds may be stale
                known = {board_id: -1 for board_id in self.history.board_take_boards(owner)}
            for board_id in set(known) - set(stamps):
                self.history.put_board_takes(owner, board_id, [])
            for board_id, stamp in stamps.items():
                if known.get(board_id) != stamp:
                    board = self.boards.get(owner, board_id)
                    self.history.put_board_takes(owner, board_id, board_takes(board) if board else [])
            self._known[owner] = stamps
            self._known.move_to_end(owner)
            while len(self._known) > SYNCED_OWNERS:
                self._known.popitem(last=False)
