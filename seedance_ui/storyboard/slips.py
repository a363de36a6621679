"""Deletes on a storyboard that can be undone for a few seconds (`UndoShelf`): a shot (with its takes and
its choice), a take, a whole board. Each verb does the delete at once (a shot or a take leaves the board;
a board moves to the trash, `board_delete.BoardTrash`) and answers with an `Undoable`: the board to
show, the shot to select, the token that undoes it and what to say. `undo` puts it back where it was;
when the time is up a board is purged, and a shot or a take stays gone (their jobs stay in the history).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from seedance_ui.storyboard.blank import new_board_title
from seedance_ui.storyboard.board_delete import BoardTrash
from seedance_ui.storyboard.model import Board, Shot, StoryboardError, Take
from seedance_ui.storyboard.page import Shown, find_shot
from seedance_ui.storyboard.plan import delete_take
from seedance_ui.storyboard.session import BoardSession, Refused
from seedance_ui.undo import UndoShelf

TOO_LATE = "Too late to undo: that delete is done."
Restored = tuple[Board, str | None]  # the board to show and the shot to select, after an undo


@dataclass(frozen=True)
class Undoable:
    """A delete just done: the board to show now, the shot to select, the undo token and the message."""

    board: Board
    shot_id: str | None
    token: str
    message: str


class Slips:
    """The undoable deletes of one `BoardSession` (one per app)."""

    def __init__(self, session: BoardSession, seconds: float) -> None:
        self.session = session
        self.shelf = UndoShelf(seconds)
        self.trash = BoardTrash(session.boards, session.exports_dir)
        self.trash.purge_stale(older_than=seconds)  # a stopped app's trash; not another replica's, in time

    def close(self) -> None:
        """Finish every delete still waiting (the app is stopping)."""
        self.shelf.close()

    # ---------------------------------------------------------------------------------------------
    def delete_shot(self, shown: Shown) -> Undoable:
        """Delete the selected shot; the one after it (or the new last one) is selected."""
        owner = _owner(shown)
        with self.session._edit(shown) as board:
            shot = find_shot(board, shown.shot_id)
            if shot is None:
                raise Refused("Select a shot first.")
            index, number = board.index_of(shot.id), board.number_of(shot.id)
            board.delete_shot(shot.id)
            select = board.shots[min(index, len(board.shots) - 1)].id if board.shots else None
        chosen = " and its chosen take" if shot.chosen is not None else ""
        message = f"Shot {number}{chosen} deleted."
        token = self._shelve(owner, board.id, message, lambda b: _put_shot(b, shot, index))
        return Undoable(board, select, token, message)

    def delete_take(self, shown: Shown, shot_id: str, take_id: str) -> Undoable:
        """Remove a take from its shot (its job stays in the history)."""
        owner = _owner(shown)
        with self.session._edit(shown) as board:
            try:
                shot = board.shot(shot_id)
                index = next(i for i, t in enumerate(shot.takes) if t.id == take_id)
                chosen, by_user = shot.chosen_take == take_id, shot.chosen_by_user
                take = delete_take(board, shot_id, take_id)
            except (KeyError, StopIteration):
                raise Refused("That take is no longer on this shot.") from None
            message = f"Take {index + 1} of shot {board.number_of(shot_id)} deleted."

        def put(b: Board) -> str | None:
            return _put_take(b, shot_id, take, index, by_user if chosen else None)

        token = self._shelve(owner, board.id, message, put)
        return Undoable(board, shown.shot_id, token, message)

    def delete_board(self, shown: Shown) -> Undoable:
        """Move the open board to the trash and open the owner's latest other board (a new one when it
        was their last)."""
        owner = _owner(shown)
        self.session.commit(shown)
        with self.session._lock(shown.board_id or ""):
            trashed = self.trash.trash(owner, shown.board_id) if shown.board_id else None
        if trashed is None:
            raise Refused("That board is gone.")
        board = self._next_board(owner)
        message = f"Deleted the board “{trashed.title}”."
        token = self.shelf.shelve(
            owner, message,
            lambda: self._put_board(owner, trashed.id), lambda: self.trash.purge(owner, trashed.id),
        )
        return Undoable(board, None, token, message)

    def undo(self, owner: str | None, token: object) -> Restored:
        """Put back what `token` deleted: (the board to show, the shot to select). Refused when too late."""
        done, restored = self.shelf.undo(owner, token)
        if not done or restored is None:
            raise Refused(TOO_LATE)
        return restored

    # ---------------------------------------------------------------------------------------------
    def _shelve(self, owner: str, board_id: str, message: str, put: Callable[[Board], str | None]) -> str:
        """Shelve a change of a board that `put(board)` undoes (answering the shot to select)."""

        def restore() -> Restored:
            with self.session._lock(board_id):
                board = self.session.boards.get(owner, board_id)
                if board is None:
                    raise Refused("The board is gone, so that cannot come back.")
                try:
                    selected = put(board)
                except StoryboardError as exc:
                    raise Refused(f"Could not undo: {exc}.") from None
                self.session.boards.save(board)
                return board, selected

        return self.shelf.shelve(owner, message, restore, lambda: None)

    def _put_board(self, owner: str, board_id: str) -> Restored:
        board = self.trash.restore(owner, board_id)
        if board is None:
            raise Refused(TOO_LATE)
        board.touch()  # the latest again: it opens first, as before the delete
        self.session.boards.save(board, touch=False)
        return board, None

    def _next_board(self, owner: str) -> Board:
        for summary in self.session.boards.summaries(owner):
            board = self.session.boards.get(owner, summary.id)
            if board is not None:
                return board
        board = Board(owner=owner, title=new_board_title(0))
        board.add_shot()
        return self.session.boards.save(board)


def _owner(shown: Shown) -> str:
    if shown.owner is None or shown.board_id is None:
        raise Refused("Open a board first.")
    return shown.owner


def _put_shot(board: Board, shot: Shot, index: int) -> str:
    """The deleted shot back at its place (clamped), unless it is there already."""
    if find_shot(board, shot.id) is None:
        board.add_shot(shot, index=min(index, len(board.shots)))
    return shot.id


def _put_take(board: Board, shot_id: str, take: Take, index: int, by_user: bool | None) -> str:
    """The deleted take back in its shot at its place; the board's choice again when it was chosen
    (`by_user` not None) and the shot has no pick of the user's since."""
    shot = find_shot(board, shot_id)
    if shot is None:
        raise Refused("Its shot was deleted since, so the take cannot come back.")
    if all(t.id != take.id for t in shot.takes):
        shot.takes.insert(min(index, len(shot.takes)), take)
    if by_user is not None and not shot.chosen_by_user:
        shot.chosen_take, shot.chosen_by_user = take.id, by_user
    board.touch()
    return shot_id
