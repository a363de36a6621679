"""What the history shows a page: whose jobs (the page's owner, and the owner of the key the visitor set),
which page of them under which filters, and the Studio's own latest job. No Gradio here.

A key set on the key panel is the key agents use in `X-Evolink-Key`: the jobs they made with it belong to
`key_owner(key)` (security/key_owner.py), so a visitor who sets that key sees them too (and only while it
is set: the key stays in the session's memory, never stored).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seedance_ui.client.errors import api_key_problem
from seedance_ui.security.key_owner import key_owner
from seedance_ui.store import HistoryStore, JobRecord
from seedance_ui.store.query import (
    BOARD_ANY,
    BOARD_STUDIO,
    HISTORY_MODES,
    STATUS_GROUPS,
    HistoryPage,
    HistoryQuery,
)
from seedance_ui.storyboard.model import is_valid_id
from seedance_ui.storyboard.persist import BoardStore
from seedance_ui.storyboard.takes_index import TakesIndex

HISTORY_PAGE_SIZE = 60  # history items per page (Older / Newer turn the pages)
MAX_SEARCH_CHARS = 200  # a search box's text past this is ignored
MAX_PAGE = 100_000  # a page number past this is the last page


def page_owners(owner_id: str | None, visitor_key: Any) -> list[str]:
    """The owners whose jobs a page shows: its own, and the owner of the key it set (if well-formed)."""
    owners = [owner_id] if owner_id else []
    key = visitor_key.strip() if isinstance(visitor_key, str) else ""
    if owners and key and api_key_problem(key) is None:
        owners.append(key_owner(key))
    return owners


def query_of(value: Any) -> HistoryQuery:
    """The history query a page's state holds; anything malformed is left out (never an error)."""
    if not isinstance(value, Mapping):
        return HistoryQuery()
    search = value.get("search")
    mode, status, board = value.get("mode"), value.get("status"), value.get("board")
    page = value.get("page")
    return HistoryQuery(
        search=search[:MAX_SEARCH_CHARS] if isinstance(search, str) else "",
        mode=mode if mode in HISTORY_MODES else "",
        status=status if status in STATUS_GROUPS else "",
        board=board if board == BOARD_STUDIO or is_valid_id(board) else BOARD_ANY,
        favourites=value.get("favourites") is True,
        page=min(page, MAX_PAGE) if isinstance(page, int) and not isinstance(page, bool) and page > 0 else 0,
    )


def query_state(query: HistoryQuery) -> dict[str, Any]:
    """A query as the page's state keeps it (plain values)."""
    return {"search": query.search, "mode": query.mode, "status": query.status, "board": query.board,
            "favourites": query.favourites, "page": query.page}


class HistoryFinder:
    """The history's reads: a page of jobs (after bringing the board takes up to date), the boards to
    filter by, one job of the page's owners, the Studio's latest job."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store
        self.boards = BoardStore(store.data_dir, store.quota, store.db)
        self.takes = TakesIndex(store, self.boards)

    def page(self, owner_id: str | None, visitor_key: Any, query: HistoryQuery) -> HistoryPage:
        """The page of `query` (past the last page: the last page)."""
        owners = page_owners(owner_id, visitor_key)
        for owner in owners:
            self.takes.sync(owner)
        found = self.store.query(owners, query, HISTORY_PAGE_SIZE)
        if query.page >= found.pages and found.total:
            last = HistoryQuery(**{**query_state(query), "page": found.pages - 1})
            found = self.store.query(owners, last, HISTORY_PAGE_SIZE)
        return found

    def board_choices(self, owner_id: str | None, visitor_key: Any) -> list[tuple[str, str]]:
        """The board filter's choices: everything, the Studio's own shots, then each board by title."""
        choices = [("All shots", BOARD_ANY), ("Studio only", BOARD_STUDIO)]
        for owner in page_owners(owner_id, visitor_key):
            choices += [(f"Board: {b.title or 'Untitled board'}", b.id)
                        for b in self.boards.summaries(owner)]
        return choices

    def job(self, job_id: Any, owner_id: str | None, visitor_key: Any) -> JobRecord | None:
        """A job of the page's owners (its own or its key's), else None."""
        if not isinstance(job_id, str):
            return None
        for owner in page_owners(owner_id, visitor_key):
            record = self.store.get(job_id, owner)
            if record is not None:
                return record
        return None

    def latest_studio(self, owner_id: str | None) -> JobRecord | None:
        """The page owner's newest job made in the Studio (no storyboard take: the preview shows only
        what this tab made)."""
        if not owner_id:
            return None
        self.takes.sync(owner_id)
        found = self.store.query([owner_id], HistoryQuery(board=BOARD_STUDIO), 1)
        return found.rows[0].record if found.rows else None
