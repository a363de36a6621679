"""Board changes on PostgreSQL (#22): what the replicas' claim (`BoardStore.held`) adds to one change of a
board as the Storyboard page makes it (the session's lock, read the board, change a shot, save it).

One BoardSession on the bench's PostgreSQL changes one 12-shot board `changes` times with the claim (as a
studio on PostgreSQL does: other replicas change its boards too) and `changes` times without it (as one
process on one database would), interleaved in rounds so both meet the same server; the claim's cost is
the ratio of the two medians.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from seedance_ui.store.local import open_database
from seedance_ui.storyboard.model import Board
from seedance_ui.storyboard.session import BoardSession

OWNER = "bench-board-owner"
SHOTS = 12
ROUND = 20  # changes per round, alternating with and without the claim


@dataclass(frozen=True)
class EditsResult:
    changes: int
    claimed: list[float]  # seconds, one change each, with the claim
    plain: list[float]  # seconds, one change each, without it

    def p50(self, claimed: bool) -> float:
        return statistics.median(self.claimed if claimed else self.plain)

    @property
    def ratio(self) -> float:
        return self.p50(True) / self.p50(False)


def run(db_url: str, work: Path, changes: int) -> EditsResult:
    """`changes` board changes with the claim and as many without, on `db_url`."""
    db = open_database(work, db_url)
    session = BoardSession(work, None, SimpleNamespace(db=db, database_url=db_url))
    try:
        board = Board(owner=OWNER, title="Bench board")
        for n in range(SHOTS):
            board.add_shot(title=f"shot {n}", prompt=f"a lighthouse at dusk, take {n}")
        session.boards.save(board)
        claimed: list[float] = []
        plain: list[float] = []
        while len(claimed) < changes:
            for shared, into in ((True, claimed), (False, plain)):
                session.boards.shared = shared
                for _ in range(ROUND):
                    into.append(_change(session, board.id, len(into)))
        return EditsResult(changes, claimed[:changes], plain[:changes])
    finally:
        session.close()
        db.close()


def _change(session: BoardSession, board_id: str, n: int) -> float:
    """One change as the page's save makes it; its seconds."""
    began = time.perf_counter()
    with session._lock(board_id):
        board = session.boards.get(OWNER, board_id)
        assert board is not None
        board.shots[n % SHOTS].prompt = f"a lighthouse at dusk, change {n}"
        session.boards.save(board)
    return time.perf_counter() - began
