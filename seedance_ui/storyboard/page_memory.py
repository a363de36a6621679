"""What each open page was last shown, so that a save writes only what the person changed there.

A storyboard page sends every setting and editor field with each event. Written back wholesale, a tab
left open with old values would undo what another tab (or another reviewer on the same account) saved
meanwhile. Instead, a value the page still shows exactly as it was drawn is taken as unchanged and left
as it is on disk; only the values that differ are applied (a field-level three-way merge). Without a
memory of the page (after a restart, say) everything it shows is applied, as before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_PAGES = 4096  # pages remembered at once; the least recently active are forgotten first


@dataclass
class _Seen:
    board_id: str | None = None
    shot_id: str | None = None
    board_fields: dict[str, Any] = field(default_factory=dict)
    shot_fields: dict[str, Any] = field(default_factory=dict)


class PageMemory:
    """Per page (Gradio session): the board and shot it shows, and the field values it was last sent or
    last sent back. Board fields are only compared on the same board, shot fields on the same shot."""

    def __init__(self, shot_fields: Iterable[str], max_pages: int = MAX_PAGES) -> None:
        self.shot_fields = frozenset(shot_fields)
        self.max_pages = max_pages
        self._pages: OrderedDict[str, _Seen] = OrderedDict()
        self._lock = threading.Lock()

    def _page(self, session: str) -> _Seen:
        seen = self._pages.get(session)
        if seen is None:
            seen = self._pages[session] = _Seen()
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)
        self._pages.move_to_end(session)
        return seen

    def remember(
        self, session: str | None, board_id: str | None, shot_id: str | None, values: Mapping[str, Any]
    ) -> None:
        """The page now shows `values` (field -> value) for this board and shot."""
        if not session or not board_id:
            return
        with self._lock:
            seen = self._page(session)
            if seen.board_id != board_id:
                seen.board_id, seen.board_fields = board_id, {}
                seen.shot_id, seen.shot_fields = None, {}
            if seen.shot_id != shot_id:
                seen.shot_id, seen.shot_fields = shot_id, {}
            for name, value in values.items():
                (seen.shot_fields if name in self.shot_fields else seen.board_fields)[name] = value

    def unchanged(
        self, session: str | None, board_id: str | None, shot_id: str | None, values: Mapping[str, Any]
    ) -> set[str]:
        """The fields whose value the page still shows exactly as last drawn (not edited there)."""
        if not session or not board_id:
            return set()
        with self._lock:
            seen = self._pages.get(session)
            if seen is None or seen.board_id != board_id:
                return set()
            same_shot = shot_id is not None and seen.shot_id == shot_id
            out = set()
            for name, value in values.items():
                fields = seen.shot_fields if name in self.shot_fields else seen.board_fields
                if name in self.shot_fields and not same_shot:
                    continue
                if name in fields and _same(fields[name], value):
                    out.add(name)
            return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)
