"""Undo for a few seconds: a delete is shelved, not done. `UndoShelf.shelve` keeps how to put a thing back
(`restore`) and how to finish deleting it (`finish`); `undo` within the time calls `restore`, else a timer
thread calls `finish` when the time is up (or `close` does, for whatever is still shelved). Exactly one of
the two runs for each shelved item. Nothing here knows Gradio, jobs or boards.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shelved:
    """One delete waiting for its time to run out: whose it is, what the page says of it ("Shot 2
    deleted."), and how to undo or finish it."""

    owner: str
    what: str
    deadline: float
    restore: Callable[[], Any]
    finish: Callable[[], None]


class UndoShelf:
    """Deletes that can be undone for `seconds` (Settings.undo_seconds; thread-safe; one per app part)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.clock = float(seconds), clock
        self._items: dict[str, Shelved] = {}
        self._timers: dict[str, threading.Timer] = {}
        self._lock = threading.Lock()

    def shelve(self, owner: str, what: str, restore: Callable[[], Any], finish: Callable[[], None]) -> str:
        """Keep a delete for `seconds`: a token for `undo`. `finish` runs on a timer thread at the end."""
        token = secrets.token_urlsafe(12)
        timer = threading.Timer(self.seconds, self._expire, args=(token,))
        timer.daemon = True
        with self._lock:
            self._items[token] = Shelved(owner, what, self.clock() + self.seconds, restore, finish)
            self._timers[token] = timer
        timer.start()
        return token

    def undo(self, owner: str | None, token: Any) -> tuple[bool, Any]:
        """(True, what `restore` returned) while the token is the owner's and its time runs; else
        (False, None): too late, or not theirs."""
        item = self._take(token, owner)
        if item is None:
            return False, None
        return True, item.restore()

    def what(self, owner: str | None, token: Any) -> str | None:
        """What a shelved token deleted (None when it is gone or not the owner's)."""
        with self._lock:
            item = self._items.get(token) if isinstance(token, str) else None
        return item.what if item is not None and item.owner == owner else None

    def said(self, token: Any) -> str:
        """What a shelved token deleted, as the page says it ("" when it is gone)."""
        with self._lock:
            item = self._items.get(token) if isinstance(token, str) else None
        return item.what if item is not None else ""

    def left(self, token: Any) -> float:
        """Seconds left to undo `token` (0 when it is gone)."""
        with self._lock:
            item = self._items.get(token) if isinstance(token, str) else None
        return max(0.0, item.deadline - self.clock()) if item is not None else 0.0

    def close(self) -> None:
        """Finish every delete still shelved (the app is stopping)."""
        with self._lock:
            tokens = list(self._items)
        for token in tokens:
            self._expire(token)

    def _take(self, token: Any, owner: str | None) -> Shelved | None:
        with self._lock:
            item = self._items.get(token) if isinstance(token, str) else None
            if item is None or owner is None or item.owner != owner:
                return None
            del self._items[token]
            timer = self._timers.pop(token, None)
        if timer is not None:
            timer.cancel()
        return item

    def _expire(self, token: str) -> None:
        with self._lock:
            item = self._items.pop(token, None)
            self._timers.pop(token, None)
        if item is None:
            return
        try:
            item.finish()
        except Exception:  # a timer thread: log it, never lose the thread's other work
            log.exception("finishing a delete failed")
