"""Quick clicks on the tiles: every click is sent (the event's trigger mode is "multiple", so a click
that comes while the last one is on its way is never dropped), and they may finish out of order on the
server. Each click carries its page's running number (`n`, scripts/sb-tiles.js); an answer to a click
that a later click of the same page has overtaken is not drawn, so the page ends on the last click.
"""

from __future__ import annotations

import threading

MAX_PAGES = 10_000  # pages whose last click number is remembered (then forgotten at once: a bound)


class LastClicks:
    """The highest click number seen per page (Gradio's session hash)."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}
        self._lock = threading.Lock()

    def seen(self, page: str | None, number: object) -> int | None:
        """Note a click as it starts; its number (None when the page sent none: never overtaken)."""
        if page is None or not isinstance(number, int) or isinstance(number, bool):
            return None
        with self._lock:
            if len(self._last) >= MAX_PAGES and page not in self._last:
                self._last.clear()
            self._last[page] = max(number, self._last.get(page, number))
        return number

    def overtaken(self, page: str | None, number: int | None) -> bool:
        """Whether a later click of the page started after click `number` did."""
        if page is None or number is None:
            return False
        with self._lock:
            return self._last.get(page, number) > number
