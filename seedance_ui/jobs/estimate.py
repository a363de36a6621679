"""How long a job takes, learned from the jobs the studio has finished, per model and video length.

A finished job's time is from its submit (`submitted_at`) to the provider's completion (`completed_at`).
A new job's expected time is, in this order:
1. the median of the newest finished jobs of its model and length (up to SAMPLES_PER_KIND of them);
2. the provider's own estimate for its task (`estimated_time`), once the create has answered;
3. the contract's prior (options.RUN_BASE_SECONDS + RUN_SECONDS_PER_VIDEO_SECOND x length), scaled by
   how the jobs the studio has seen of other kinds compared with their prior (the median ratio).

Time left (`seconds_left`) counts that expected time down from the submit; once the provider's progress
moves (PROGRESS_TRUSTED), it is extrapolated from the progress instead, as this task shows its own pace.
No Gradio; reads the store only through `HistoryStore.finished_durations`.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterable
from typing import Any, Protocol

from seedance_ui import options
from seedance_ui.store import JobRecord, JobStatus

SAMPLE_JOBS = 200  # the newest finished jobs (all owners) the estimate learns from
SAMPLES_PER_KIND = 5  # of those, the newest of one model and length make its median
REFRESH_SECONDS = 60.0  # the finished jobs are read again when one more completed, or after this long
PROGRESS_TRUSTED = 3  # from this percent on, time left is extrapolated from the provider's progress

Kind = tuple[str, int]  # (model, video seconds)


class FinishedJobs(Protocol):
    def finished_durations(self, limit: int) -> list[tuple[Any, Any, float]]: ...
    def finished_count(self) -> int: ...


def prior_seconds(duration: int) -> float:
    """The contract's run time for a video of `duration` seconds."""
    return options.RUN_BASE_SECONDS + options.RUN_SECONDS_PER_VIDEO_SECOND * max(0, duration)


def kind_of(params: dict[str, Any]) -> Kind | None:
    """(model, duration) of a job's params, or None when either is missing or malformed."""
    return _kind(params.get("model"), params.get("duration"))


def _kind(model: Any, duration: Any) -> Kind | None:
    if not isinstance(model, str) or isinstance(duration, bool):
        return None
    try:
        return model, int(duration)
    except (TypeError, ValueError):
        return None


class Estimates:
    """The learned run times: {kind: [seconds, newest first]}, read again from the store once the count
    of completed jobs changed (the next job after one finished already knows it), or REFRESH_SECONDS on."""

    def __init__(self, store: FinishedJobs, *, clock: Any = time.monotonic) -> None:
        self._store, self._clock = store, clock
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._count = -1
        self._seen: dict[Kind, list[float]] = {}

    def expected_seconds(self, model: str, duration: int, advertised: float | None = None) -> float:
        """Seconds from submit to completion expected for a job of this model and length (see module)."""
        seen = self._learned()
        mine = seen.get((model, duration))
        if mine:
            return statistics.median(mine)
        if advertised:
            return float(advertised)
        ratios = [s / prior_seconds(d) for (_, d), times in seen.items() for s in times]
        return prior_seconds(duration) * (statistics.median(ratios) if ratios else 1.0)

    def expected_for(self, record: JobRecord) -> float | None:
        """`expected_seconds` for a job's record (None when its params name no model and length)."""
        kind = kind_of(record.params)
        return None if kind is None else self.expected_seconds(*kind, record.estimated_time)

    def seconds_left(self, record: JobRecord, now: float | None = None) -> float | None:
        return seconds_left(record, self.expected_for(record), now)

    def _learned(self) -> dict[Kind, list[float]]:
        now, count = self._clock(), self._store.finished_count()
        with self._lock:
            if count != self._count or self._read_at is None or now - self._read_at >= REFRESH_SECONDS:
                self._seen = group(self._store.finished_durations(SAMPLE_JOBS))
                self._read_at, self._count = now, count
            return self._seen


def group(rows: Iterable[tuple[Any, Any, float]]) -> dict[Kind, list[float]]:
    """{kind: up to SAMPLES_PER_KIND positive run times, in the rows' order}."""
    out: dict[Kind, list[float]] = {}
    for model, duration, seconds in rows:
        kind = _kind(model, duration)
        if kind is None or not seconds > 0:
            continue
        times = out.setdefault(kind, [])
        if len(times) < SAMPLES_PER_KIND:
            times.append(float(seconds))
    return out


def seconds_left(record: JobRecord, expected: float | None, now: float | None = None) -> float | None:
    """Expected seconds until the job's video is ready: None once it ended or downloads. Before the
    submit, the whole `expected` time (default: the provider's estimate); then that time counted down
    from the submit; once the progress reaches PROGRESS_TRUSTED, extrapolated from it."""
    if record.terminal or record.status == JobStatus.DOWNLOADING:
        return None
    expected = expected if expected is not None else record.estimated_time
    started = record.submitted_at
    if not started:
        return expected
    spent = max(0.0, (time.time() if now is None else now) - started)
    progress = record.progress or 0
    if PROGRESS_TRUSTED <= progress < 100:
        return spent * (100 - progress) / progress
    return None if expected is None else max(0.0, expected - spent)
