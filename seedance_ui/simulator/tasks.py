"""The simulated task: a timeline computed lazily from the clock, and its JSON snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seedance_ui import options
from seedance_ui.simulator.errors import failure_message
from seedance_ui.simulator.validation import CreateParams

PENDING_FRACTION = 0.05  # share of the run time a task stays pending (progress 0)
FAIL_FRACTION = 0.4  # a task told to fail fails at this share of its run time
SLOW_FACTOR = 3.0  # "[sim:slow]" multiplies the actual run time by this
EARLY_PROGRESS = 50  # estimated_time and usage appear only while progress is below this
RESULT_FIELDS = ("results", "output", "result_data")
OBJECT_NAME = "video.generation.task"


# Stand-ins where no price is published (Mini, 1080p): a real create answers the real figure; the
# simulator's must only be plausible. Mini is priced off Fast, 1080p off 720p.
UNPUBLISHED_TIER_BASE = {options.TIER_MINI: (options.TIER_FAST, 0.6)}
UNPUBLISHED_QUALITY_BASE = {"1080p": ("720p", 2.25)}
_TIER_SPEED = {options.TIER_STANDARD: 1.0, options.TIER_FAST: 0.6, options.TIER_MINI: 0.45}


def estimated_seconds(model: str, quality: str, duration: int) -> int:
    """The provider's estimate: 45 + 15 s per video second at standard 720p; 480p x0.8, fast x0.6."""
    seconds = options.RUN_BASE_SECONDS + options.RUN_SECONDS_PER_VIDEO_SECOND * duration
    if quality == "480p":
        seconds *= 0.8
    if quality == "1080p":
        seconds *= 1.6
    spec = options.MODEL_SPECS.get(model)
    seconds *= _TIER_SPEED[spec.tier] if spec else 1.0
    return round(seconds)


def advertised_seconds(estimate: float, speed: float) -> int:
    """The `estimated_time` a snapshot shows: the run's expected seconds on the simulator's own clock
    (provider seconds / speed), as the provider's estimate is on its clock; at least 1."""
    return max(1, round(estimate / speed))


def price_per_second(model: str, quality: str) -> float:
    """The published price per second, or the simulator's stand-in where none is published."""
    published = options.PRICES.get((model, quality))
    if published is not None:
        return published.credits
    spec = options.MODEL_SPECS[model]
    tier, tier_factor = UNPUBLISHED_TIER_BASE.get(spec.tier, (spec.tier, 1.0))
    base_quality, quality_factor = UNPUBLISHED_QUALITY_BASE.get(quality, (quality, 1.0))
    base = options.PRICES[(options.model_id(spec.mode, tier), base_quality)]
    return base.credits * tier_factor * quality_factor


def credits_reserved(
    model: str,
    quality: str,
    duration: int,
    *,
    content_filter: bool = options.DEFAULT_CONTENT_FILTER,
    video_seconds: float = 0.0,
) -> float:
    """Credits reserved for a task: price per second x billed seconds (x1.1 with the filter off).

    With input video, the billed seconds are the output plus max(input seconds, output seconds).
    """
    seconds = duration + max(video_seconds, duration) if video_seconds > 0 else duration
    factor = 1.0 if content_filter else options.CONTENT_FILTER_OFF_FACTOR
    return round(price_per_second(model, quality) * seconds * factor, 4)


@dataclass
class SimTask:
    """One task; its status at any instant follows from `started` and `run_seconds`."""

    id: str
    params: CreateParams
    created: int  # wall-clock epoch seconds
    started: float  # monotonic time of creation
    run_seconds: float  # real seconds from creation to completion
    estimated_time: int  # expected real seconds (advertised_seconds), as shown on snapshots
    credits_reserved: float
    fail_code: str | None = None
    fail_message: str | None = None  # what error.message says; failure_message(fail_code) when None
    frames: tuple[str, ...] = ()  # local copies of what the clip starts (and ends) on (media.py)
    cast: tuple[tuple[str, str], ...] = ()  # (tag, local copy) of the other reference pictures
    label: str = ""  # what the studio said the clip is ("SHOT 2 · The climb": its demo label header)
    cancelled_at: float | None = None
    cancel_progress: int = 0

    def state(self, now: float) -> tuple[str, int]:
        """(status, progress) at monotonic time `now`."""
        if self.cancelled_at is not None:
            return options.STATUS_CANCELLED, self.cancel_progress
        fraction = (now - self.started) / self.run_seconds if self.run_seconds > 0 else 1.0
        if self.fail_code and fraction >= FAIL_FRACTION:
            return options.STATUS_FAILED, int(FAIL_FRACTION * 100)
        if fraction >= 1.0:
            return options.STATUS_COMPLETED, 100
        if fraction < PENDING_FRACTION:
            return options.STATUS_PENDING, 0
        return options.STATUS_PROCESSING, max(1, min(99, int(fraction * 100)))

    def is_active(self, now: float) -> bool:
        """True while pending or processing."""
        return self.state(now)[0] not in options.TERMINAL_STATUSES

    def completed_at(self, now: float) -> float | None:
        """Monotonic time the task turned completed, if it has by `now`."""
        if self.state(now)[0] != options.STATUS_COMPLETED:
            return None
        return self.started + self.run_seconds

    def cancel(self, now: float) -> bool:
        """Cancel if still running; False when already terminal."""
        status, progress = self.state(now)
        if status in options.TERMINAL_STATUSES:
            return False
        self.cancelled_at, self.cancel_progress = now, progress
        return True

    def snapshot(self, now: float, video_url: str, result_field: str = "results") -> dict[str, Any]:
        """The task object as GET /v1/tasks/{id} returns it at `now`."""
        status, progress = self.state(now)
        early = status not in options.TERMINAL_STATUSES and progress < EARLY_PROGRESS
        data: dict[str, Any] = {
            "id": self.id,
            "object": OBJECT_NAME,
            "created": self.created,
            "model": self.params.model,
            "status": status,
            "progress": progress,
            "type": "video",
            "task_info": self._task_info(status, early),
        }
        if early:
            data["usage"] = {
                "billing_rule": "per_second",
                "credits_reserved": self.credits_reserved,
                "user_group": "default",
            }
        if status == options.STATUS_COMPLETED:
            data.update(result_payload(video_url, result_field))
        elif status == options.STATUS_FAILED and self.fail_code:
            with_media = bool(self.params.image_urls or self.params.video_urls or self.params.audio_urls)
            message = self.fail_message or failure_message(self.fail_code, with_media)
            data["error"] = {"code": self.fail_code, "message": message}
        return data

    def _task_info(self, status: str, early: bool) -> dict[str, Any]:
        info: dict[str, Any] = {"can_cancel": status not in options.TERMINAL_STATUSES}
        if early:
            info["estimated_time"] = self.estimated_time
        info["video_duration"] = self.params.duration
        return info


def result_payload(video_url: str, result_field: str) -> dict[str, Any]:
    """Where the video URL goes on a completed task, in the field style a gateway uses."""
    if result_field == "output":
        return {"output": {"video_url": video_url}}
    if result_field == "result_data":
        return {"result_data": [{"video_url": video_url}]}
    return {"results": [video_url]}
