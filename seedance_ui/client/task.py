"""A snapshot of a provider task, read tolerantly: fields come and go between snapshots."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class TaskStatus(StrEnum):
    """Closed set of lifecycle states; anything unrecognised is UNKNOWN (and not terminal)."""

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, raw: Any) -> TaskStatus:
        """The status a provider string denotes; UNKNOWN for anything else."""
        if not isinstance(raw, str):
            return cls.UNKNOWN
        key = raw.strip().lower()
        if key in _ALIASES:
            return _ALIASES[key]
        try:
            return cls(key)
        except ValueError:
            return cls.UNKNOWN


# Spellings seen on gateways built on the same backend; everything else is UNKNOWN.
_ALIASES = {
    "canceled": TaskStatus.CANCELLED,
    "queued": TaskStatus.PENDING,
    "in_progress": TaskStatus.PROCESSING,
    "running": TaskStatus.PROCESSING,
    "succeeded": TaskStatus.COMPLETED,
}

TERMINAL = frozenset({TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED})


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip().rstrip("%").rstrip("s").strip()
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _url(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        for key in ("url", "video_url"):
            if isinstance(value.get(key), str) and value[key].strip():
                return value[key].strip()
    return None


def _video_urls(data: dict[str, Any]) -> tuple[str, ...]:
    urls: list[str] = []
    results = data.get("results")
    if isinstance(results, list):
        urls.extend(u for u in map(_url, results) if u)
    elif isinstance(results, str | dict):
        urls.extend(u for u in [_url(results)] if u)
    if not urls:
        output = data.get("output")
        url = _url(output) if isinstance(output, dict) else None
        if url:
            urls.append(url)
    if not urls:
        result_data = data.get("result_data")
        items = result_data if isinstance(result_data, list) else [result_data]
        urls.extend(u for u in (_url(i) for i in items if isinstance(i, dict)) if u)
    return tuple(dict.fromkeys(urls))


def _error(data: dict[str, Any], status: TaskStatus) -> tuple[str | None, str | None]:
    err = data.get("error")
    code = message = None
    if isinstance(err, dict):
        code = _text(err.get("code")) or _text(err.get("type"))
        message = _text(err.get("message")) or _text(err.get("msg"))
    elif isinstance(err, str):
        message = _text(err)
    code = code or _text(data.get("error_code")) or _text(data.get("failure_code"))
    message = (
        message
        or _text(data.get("error_message"))
        or _text(data.get("failure_reason"))
        or _text(data.get("fail_reason"))
    )
    if status is TaskStatus.FAILED and message is None:
        message = _text(data.get("message"))
    return code, message


@dataclass(frozen=True)
class Task:
    """One snapshot of a task; `raw` keeps the whole object, unknown fields included."""

    id: str
    status: TaskStatus
    raw_status: str = ""
    progress: int = 0
    estimated_time: float | None = None
    can_cancel: bool | None = None
    credits_reserved: float | None = None
    video_urls: tuple[str, ...] = ()
    error_code: str | None = None
    error_message: str | None = None
    model: str | None = None
    created: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def video_url(self) -> str | None:
        return self.video_urls[0] if self.video_urls else None

    @property
    def was_cancelled(self) -> bool:
        """Cancelled for the user: status cancelled, or failed with a cancellation code."""
        if self.status is TaskStatus.CANCELLED:
            return True
        return self.status is TaskStatus.FAILED and "cancel" in (self.error_code or "").lower()

    @classmethod
    def from_json(cls, data: dict[str, Any], task_id: str | None = None) -> Task:
        """Read a task object; never raises (a missing id falls back to `task_id`, else "")."""
        data = data if isinstance(data, dict) else {}
        info = _dict(data.get("task_info"))
        usage = _dict(data.get("usage"))
        raw_status = data.get("status")
        status = TaskStatus.parse(raw_status)
        progress_value = _number(data.get("progress"))
        if progress_value is None:
            progress = 100 if status is TaskStatus.COMPLETED else 0
        else:
            progress = max(0, min(100, round(progress_value)))
        estimated = _number(info.get("estimated_time", data.get("estimated_time")))
        can_cancel = info.get("can_cancel", data.get("can_cancel"))
        created = _number(data.get("created", data.get("created_at")))
        code, message = _error(data, status)
        return cls(
            id=_text(data.get("id")) or _text(data.get("task_id")) or (task_id or ""),
            status=status,
            raw_status=str(raw_status) if raw_status is not None else "",
            progress=progress,
            estimated_time=estimated if estimated is not None and estimated >= 0 else None,
            can_cancel=can_cancel if isinstance(can_cancel, bool) else None,
            credits_reserved=_number(usage.get("credits_reserved")),
            video_urls=_video_urls(data),
            error_code=code,
            error_message=message,
            model=_text(data.get("model")),
            created=int(created) if created is not None else None,
            raw=data,
        )
