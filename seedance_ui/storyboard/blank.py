"""An untouched board: what *New board* made and nobody has written in since (one empty shot at most, no
cast, no style, its default title). An import replaces such a board rather than sitting beside it, so
its empty *Shot 1* never blocks *Generate all*.
"""

from __future__ import annotations

import re

from seedance_ui.storyboard.model import DEFAULT_TITLE, Board

NEW_BOARD_TITLE = "Storyboard {n}"  # what *New board* calls the owner's n-th board
_DEFAULT_TITLE = re.compile(r"Storyboard \d+")


def new_board_title(count: int) -> str:
    """The title of a new board when the owner has `count` boards already."""
    return NEW_BOARD_TITLE.format(n=count + 1)


def is_untouched(board: Board | None) -> bool:
    """Nothing was written into the board: a default title, no style or cast, nothing pending, and at
    most one shot, with no title, prompt or take."""
    if board is None or board.cast or board.style.strip() or board.pending or len(board.shots) > 1:
        return False
    if board.title != DEFAULT_TITLE and not _DEFAULT_TITLE.fullmatch(board.title):
        return False
    return all(not s.title.strip() and not s.prompt.strip() and not s.takes and not s.extends
               for s in board.shots)
