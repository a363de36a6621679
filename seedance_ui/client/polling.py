"""Following a task: the one poll loop (`iter_snapshots`) and its adaptive schedule.

`iter_snapshots` yields a task's snapshots until a terminal one. What a failed poll means is the
caller's `PollFailures` policy: the client's own (`GiveUpAfter`) rides out a few transient errors,
the job runner's rides them out until the video link would have expired. A `sleep` hook lets the
caller cut a wait short (the job runner wakes up on a webhook).

The adaptive schedule (`PollSchedule`) is sparse while the end is far, dense around the expected end:

floor = base / 5 and ceiling = base * 3, where base is SEEDANCE_POLL_INTERVAL (default 5 s).
The remaining time is estimated from the progress rate (elapsed * (100 - p) / p once p > 0) or,
before any progress, from the advertised `estimated_time`. While the end is more than one ceiling
away the schedule polls at half the remaining time (at most the ceiling); within one ceiling it
polls once at the expected end; at the end or past it, at the floor.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from seedance_ui.client.errors import ConnectionFailedError, RateLimitedError, ServerError
from seedance_ui.client.task import Task, TaskStatus

log = logging.getLogger("seedance_ui.client")

# Transient errors a poll loop rides out (the GET has already retried each of them).
TRANSIENT_POLL_ERRORS = (ServerError, ConnectionFailedError, RateLimitedError)

GetTask = Callable[[str], Awaitable[Task]]
Sleep = Callable[[float], Awaitable[None]]

# Integer progress is usually truncated (int(fraction * 100)), so a reading p means p..p+1:
# estimating from its middle removes a late bias of about half a percent of the run.
PROGRESS_READING_OFFSET = 0.5


class PollSchedule:
    """Delay before the next poll of one task; keeps a little state, so use one per task."""

    def __init__(self, base_interval: float = 5.0) -> None:
        if base_interval <= 0:
            raise ValueError("base_interval must be positive")
        self.base = float(base_interval)
        self.floor = self.base / 5
        self.ceiling = self.base * 3
        self._estimated_time: float | None = None
        self._origin: tuple[float, float] | None = None
        self._anchor: tuple[float, float] | None = None

    def clamp(self, delay: float) -> float:
        return min(self.ceiling, max(self.floor, delay))

    def remaining(self, task: Task, elapsed: float) -> float | None:
        """Expected seconds until the task ends, or None when nothing hints at it."""
        if task.estimated_time is not None:
            self._estimated_time = task.estimated_time
        if task.progress >= 100:
            return 0.0
        progress = task.progress + PROGRESS_READING_OFFSET if task.progress > 0 else 0.0
        if self._origin is None:
            self._origin = (elapsed, progress)
        origin_elapsed, origin_progress = self._origin
        if progress > origin_progress and elapsed > origin_elapsed:
            if self._anchor is None:
                self._anchor = (elapsed, progress)
            anchor_elapsed, anchor_progress = self._anchor
            if progress > anchor_progress and elapsed > anchor_elapsed:
                # Two progress readings: the rate between them leaves out the time spent queued.
                return (elapsed - anchor_elapsed) * (100 - progress) / (progress - anchor_progress)
            return (elapsed - origin_elapsed) * (100 - progress) / (progress - origin_progress)
        if origin_progress == 0 and self._estimated_time is not None:
            return self._estimated_time - elapsed
        return None

    def next_delay(self, task: Task, elapsed: float) -> float:
        """Seconds to wait before the next poll; `elapsed` = seconds since the first snapshot."""
        if task.is_terminal:
            return 0.0
        remaining = self.remaining(task, elapsed)
        if task.status is TaskStatus.UNKNOWN or remaining is None:
            return self.clamp(self.base)
        if remaining < 0:
            # The advertised estimate has passed without any progress: start at the floor and ease
            # back to the base interval, so a long queue is not polled every second.
            return min(self.base, self.floor + -remaining / 10)
        if remaining <= self.floor:
            return self.floor
        if remaining <= self.ceiling:
            return remaining
        return self.clamp(remaining / 2)


class PollFailures(Protocol):
    """What a follower does about failed polls (each GET has already been retried by the client)."""

    def after_failure(self, exc: Exception, failures: int, last: Task | None) -> float:
        """Seconds to wait at least before polling again, after `failures` failed polls in a row
        (`last` is the latest snapshot, if any); raise to stop following."""
        ...

    def after_recovery(self, failures: int) -> None:
        """A poll succeeded after `failures` failed ones in a row."""
        ...


@dataclass(frozen=True)
class GiveUpAfter:
    """Ride out transient poll errors, raising the `limit`-th in a row (and any other error at once).

    After a failure the next poll waits for Retry-After, else the schedule's base interval before the
    first snapshot, else the schedule's pace for the latest snapshot.
    """

    limit: int
    base: float

    def after_failure(self, exc: Exception, failures: int, last: Task | None) -> float:
        if not isinstance(exc, TRANSIENT_POLL_ERRORS) or failures >= self.limit:
            raise exc
        retry_after = exc.retry_after if isinstance(exc, RateLimitedError) else None
        return retry_after or (self.base if last is None else 0.0)

    def after_recovery(self, failures: int) -> None:
        return None


async def iter_snapshots(
    get: GetTask,
    task_id: str,
    *,
    schedule: PollSchedule,
    failures: PollFailures,
    first: Task | None = None,
    sleep: Sleep | None = None,
) -> AsyncIterator[Task]:
    """Snapshots of a task (`first`, then one per `get`) until a terminal one, inclusive.

    Between polls it waits `schedule.next_delay` of the latest snapshot (timed from the first one);
    after a failed poll, at least what `failures` says (which may raise instead, ending the loop).
    `sleep` waits (default: asyncio.sleep, looked up when the loop runs).
    """
    sleep = sleep or asyncio.sleep
    task = first
    started = time.monotonic()
    if task is not None:
        yield task
        if task.is_terminal:
            return
    failed = 0
    wait = 0.0
    while True:
        if task is not None:
            wait = max(wait, schedule.next_delay(task, time.monotonic() - started))
        await sleep(wait)
        try:
            snapshot = await get(task_id)
        except Exception as exc:
            failed += 1
            log.warning("poll of task %s failed (%d in a row): %r", task_id, failed, exc)
            wait = failures.after_failure(exc, failed, task)
            continue
        wait = 0.0
        if failed:
            failures.after_recovery(failed)
            failed = 0
        if task is None:
            started = time.monotonic()
        task = snapshot
        yield task
        if task.is_terminal:
            return
