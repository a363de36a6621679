"""Adaptive poll schedule: sparse while the end is far, dense around the expected end.

floor = base / 5 and ceiling = base * 3, where base is SEEDANCE_POLL_INTERVAL (default 5 s).
The remaining time is estimated from the progress rate (elapsed * (100 - p) / p once p > 0) or,
before any progress, from the advertised `estimated_time`. While the end is more than one ceiling
away the schedule polls at half the remaining time (at most the ceiling); within one ceiling it
polls once at the expected end; at the end or past it, at the floor.
"""

from __future__ import annotations

from seedance_ui.client.task import Task, TaskStatus

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
