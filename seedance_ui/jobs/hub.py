"""Per-job change counters that any thread or any event loop can wait on."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable

Listener = Callable[[str], None]  # called with a job id after each change of that job


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class ChangeHub:
    """`notify(job_id)` bumps a version; waiters in threads or in other loops are woken at once."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._versions: dict[str, int] = {}
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]] = {}
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(job_id)` after every change of any job, in the notifying thread (so it must
        be quick and never block); returns the function that stops it."""
        with self._cond:
            self._listeners = [*self._listeners, listener]

        def stop() -> None:
            with self._cond:
                self._listeners = [x for x in self._listeners if x is not listener]

        return stop

    def version(self, job_id: str) -> int:
        with self._cond:
            return self._versions.get(job_id, 0)

    def notify(self, job_id: str) -> None:
        """Record a change of `job_id` and wake everyone waiting on it."""
        with self._cond:
            self._versions[job_id] = self._versions.get(job_id, 0) + 1
            waiters = self._waiters.pop(job_id, set())
            listeners = self._listeners
            self._cond.notify_all()
        for loop, fut in waiters:
            with contextlib.suppress(RuntimeError):  # that loop is closed: its watcher is gone
                loop.call_soon_threadsafe(_wake, fut)
        for listener in listeners:
            listener(job_id)

    async def wait_async(self, job_id: str, seen: int, timeout: float | None = None) -> int:
        """Wait in the running loop until the version differs from `seen` (or timeout); return it."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        entry = (loop, fut)
        with self._cond:
            current = self._versions.get(job_id, 0)
            if current != seen:
                return current
            self._waiters.setdefault(job_id, set()).add(entry)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fut, timeout)
        finally:
            with self._cond:
                waiters = self._waiters.get(job_id)
                if waiters is not None:
                    waiters.discard(entry)
                    if not waiters:
                        del self._waiters[job_id]
        return self.version(job_id)

    def wait_sync(self, job_id: str, seen: int, timeout: float | None = None) -> int:
        """Block this thread until the version differs from `seen` (or timeout); return it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._versions.get(job_id, 0) == seen:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._cond.wait(remaining)
            return self._versions.get(job_id, 0)
