"""The line for review exports: contact sheets, animatics and review zips decode and encode video, so
at most `EXPORT_WORKERS` run at once for all visitors together, each visitor has at most ONE export
running or waiting (a second is refused while the first is in line), and the others wait in arrival
order with a place they can show ("Waiting: 2nd in line"). One visitor therefore holds at most one of
the workers: another visitor's export starts as soon as a worker frees, never behind two of theirs.

No Gradio: `Ticket.wait` blocks a thread, `Ticket.changed` awaits on any event loop (no thread held).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

EXPORT_WORKERS = 2  # exports running at once, all visitors together (each is CPU-bound)
MAX_WAITING = 64  # exports waiting at once, all visitors together; more are refused as "busy"


class LineRefused(Exception):
    """No place in line: the visitor has an export in line already, or the line is full."""


class Ticket:
    """One visitor's export in line; `place()` 0 means it may run. Always `leave()` it (finally)."""

    def __init__(self, line: ExportLine, owner: str, what: str) -> None:
        self.line, self.owner, self.what = line, owner, what

    def place(self) -> int:
        """0 while it may run, else its 1-based place among the exports waiting."""
        return self.line._place(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until it may run; False after `timeout` seconds."""
        return self.line._wait(self, timeout)

    async def changed(self, place: int) -> None:
        """Return once its place is no longer `place` (without holding a thread)."""
        await self.line._changed(self, place)

    def leave(self) -> None:
        self.line._leave(self)


class ExportLine:
    """Thread-safe; one per BoardSession (so one per app)."""

    def __init__(self, workers: int = EXPORT_WORKERS, max_waiting: int = MAX_WAITING) -> None:
        self.workers, self.max_waiting = workers, max_waiting
        self._cond = threading.Condition()
        self._running: list[Ticket] = []
        self._waiting: list[Ticket] = []
        self._watchers: list[Callable[[], None]] = []

    def join(self, owner: str, what: str) -> Ticket:
        """A place in line for `owner`'s export (`what`: "animatic", ...); LineRefused with the reason."""
        with self._cond:
            mine = next((t for t in (*self._running, *self._waiting) if t.owner == owner), None)
            if mine is not None:
                raise LineRefused(f"Your {mine.what} is still being made: one export at a time. "
                                  f"Try again when it is ready.")
            if len(self._waiting) >= self.max_waiting:
                raise LineRefused("Exports are busy for everyone right now; try again in a minute.")
            ticket = Ticket(self, owner, what)
            self._waiting.append(ticket)
            self._admit()
            return ticket

    def busy(self) -> tuple[int, int]:
        """(running, waiting) now."""
        with self._cond:
            return len(self._running), len(self._waiting)

    def _admit(self) -> None:
        """Let the first waiting exports run while workers are free, and wake everyone who waits (each
        join or leave may change their place)."""
        while self._waiting and len(self._running) < self.workers:
            self._running.append(self._waiting.pop(0))
        self._cond.notify_all()
        watchers, self._watchers = self._watchers, []
        for wake in watchers:
            wake()

    def _place(self, ticket: Ticket) -> int:
        with self._cond:
            return self._place_unlocked(ticket)

    def _wait(self, ticket: Ticket, timeout: float | None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: ticket in self._running, timeout)

    async def _changed(self, ticket: Ticket, place: int) -> None:
        loop = asyncio.get_running_loop()
        woken = loop.create_future()

        def wake() -> None:
            loop.call_soon_threadsafe(lambda: woken.done() or woken.set_result(None))

        with self._cond:
            if self._place_unlocked(ticket) != place:
                return
            self._watchers.append(wake)
        await woken

    def _place_unlocked(self, ticket: Ticket) -> int:
        return self._waiting.index(ticket) + 1 if ticket in self._waiting else 0

    def _leave(self, ticket: Ticket) -> None:
        with self._cond:
            for queue in (self._running, self._waiting):
                if ticket in queue:
                    queue.remove(ticket)
            self._admit()


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def waiting_text(place: int) -> str:
    """What the exports panel says while an export waits."""
    return f"Waiting: {ordinal(place)} in line (exports run {EXPORT_WORKERS} at a time for everyone)."
