"""What a history page asks the store for, and what it gets back (no SQL here: `sqlite.py` runs it).

A `HistoryQuery` names the filters (prompt words, mode, status group, board, favourites) and one page of
the answer; the store filters, counts and pages in SQL over its indexes. Storyboard takes are known to
the store through `BoardTake` rows (which board, shot and take a job is), kept in step with the boards
by `storyboard/takes_index.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from seedance_ui.options import MODE_FRAMES, MODE_REFERENCES, MODE_TEXT
from seedance_ui.store.records import TERMINAL_JOB_STATUSES, JobRecord, JobStatus

MODE_EXTEND = "extend"  # a references job that continues a take's video (a board's Extend or chain)
HISTORY_MODES: tuple[str, ...] = (MODE_TEXT, MODE_FRAMES, MODE_REFERENCES, MODE_EXTEND)

# Status groups a visitor filters by: the group's word -> the job statuses it takes in.
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "done": (JobStatus.COMPLETED.value,),
    "running": tuple(s.value for s in JobStatus if s not in TERMINAL_JOB_STATUSES),
    "failed": (JobStatus.FAILED.value, JobStatus.UNKNOWN_OUTCOME.value, JobStatus.EXPIRED.value),
    "cancelled": (JobStatus.CANCELLED.value,),
}

BOARD_ANY = ""  # every job, Studio shots and storyboard takes
BOARD_STUDIO = "studio"  # jobs that are no storyboard's take

MAX_SEARCH_WORDS = 8  # words of a search past these are ignored
MAX_SEARCH_WORD_CHARS = 100  # and each is cut to this many characters
MAX_PAGE_SIZE = 500  # a page never holds more items than this, whatever the caller asks


@dataclass(frozen=True)
class HistoryQuery:
    """One page of an owner's history: newest first, every given filter applied (all must hold).

    `search`: words that must all appear in the prompt (case-insensitive for ASCII); `mode`: one of
    HISTORY_MODES or ""; `status`: a key of STATUS_GROUPS or ""; `board`: BOARD_ANY, BOARD_STUDIO or a
    board id; `favourites`: starred jobs only. `page` counts from 0."""

    search: str = ""
    mode: str = ""
    status: str = ""
    board: str = BOARD_ANY
    favourites: bool = False
    page: int = 0

    def words(self) -> tuple[str, ...]:
        """The search's words, bounded (MAX_SEARCH_WORDS, MAX_SEARCH_WORD_CHARS)."""
        return tuple(w[:MAX_SEARCH_WORD_CHARS] for w in self.search.split()[:MAX_SEARCH_WORDS])

    def statuses(self) -> tuple[str, ...]:
        """The job statuses of the status filter (none: no filter)."""
        return STATUS_GROUPS.get(self.status, ())


@dataclass(frozen=True)
class BoardTake:
    """A job that is a storyboard's take: where it sits now (numbers count from 1)."""

    job_id: str
    board_id: str
    board_title: str
    shot_number: int
    take_number: int
    extends: bool = False  # the shot continues a take's video (Extend, or a chain from the video)


@dataclass(frozen=True)
class HistoryRow:
    """One item of a history page: the job, whether it is starred, and its take (None: not a take)."""

    record: JobRecord
    favourite: bool = False
    take: BoardTake | None = None


@dataclass(frozen=True)
class HistoryPage:
    """A page of rows and how many jobs the filters match in all."""

    rows: list[HistoryRow]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size)) if self.size > 0 else 1
