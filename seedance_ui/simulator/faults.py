"""One-shot faults and persistent behaviours a test or the demo can switch on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seedance_ui.simulator.errors import ERROR_STYLES
from seedance_ui.simulator.tasks import RESULT_FIELDS

ROUTES = ("create", "get", "cancel", "credits", "video", "upload", "chat")
OVERSIZED_BYTES = 2 * 2**30  # what an oversized video stream sends (lazily, never in memory)
DEFAULT_CREDITS = 1234.5


@dataclass
class Fault:
    """One injected answer for a route, used `times` times, in injection order."""

    route: str
    status: int
    times: int = 1
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    create_task: bool = False

    @property
    def passes_through(self) -> bool:
        """A 2xx fault without a body: answer normally (after the delay)."""
        return self.body is None and 200 <= self.status < 300


def make_fault(
    route: str,
    *,
    status: int,
    times: int = 1,
    body: str | bytes | None = None,
    content_type: str = "application/json",
    headers: dict | None = None,
    delay: float = 0.0,
    create_task: bool = False,
) -> Fault:
    """A checked Fault; raises ValueError on an unknown route or odd numbers."""
    if route not in ROUTES:
        raise ValueError(f"route must be one of {ROUTES}, not {route!r}")
    if not 100 <= int(status) <= 599:
        raise ValueError(f"status must be an HTTP status code, not {status!r}")
    if int(times) < 1 or float(delay) < 0:
        raise ValueError("times must be >= 1 and delay >= 0")
    if create_task and route != "create":
        raise ValueError("create_task only applies to the create route")
    extra = {str(k): str(v) for k, v in (headers or {}).items()}
    if int(status) == 429 and not any(k.lower() == "retry-after" for k in extra):
        extra["Retry-After"] = "1"
    raw = body.encode() if isinstance(body, str) else body
    return Fault(route, int(status), int(times), raw, content_type, extra, float(delay), bool(create_task))


@dataclass
class Behaviour:
    """Persistent switches; `Behaviour().update(**kw)` checks names and values."""

    error_style: str = "nested"
    result_field: str = "results"
    estimated_time: float | None = None  # a run's provider seconds (real: / speed); None: the formula
    video_expired: bool = False
    oversized_video: bool | str = False
    malformed_json_polls: bool = False
    credits: float = DEFAULT_CREDITS

    def update(self, **kw: Any) -> None:
        """Apply the given switches; raises ValueError for an unknown name or value."""
        for name, value in kw.items():
            if name not in self.__dataclass_fields__:
                raise ValueError(f"unknown behaviour {name!r}")
            setattr(self, name, _checked(name, value))


def _checked(name: str, value: Any) -> Any:
    if name == "error_style" and value not in ERROR_STYLES:
        raise ValueError(f"error_style must be one of {ERROR_STYLES}")
    if name == "result_field" and value not in RESULT_FIELDS:
        raise ValueError(f"result_field must be one of {RESULT_FIELDS}")
    if name == "estimated_time" and value is not None and float(value) <= 0:
        raise ValueError("estimated_time must be positive seconds or None")
    if name == "oversized_video" and value not in (True, False, "content_length"):
        raise ValueError("oversized_video must be a bool or 'content_length'")
    if name in ("video_expired", "malformed_json_polls") and not isinstance(value, bool):
        raise ValueError(f"{name} must be a bool")
    if name == "credits":
        return float(value)
    if name == "estimated_time" and value is not None:
        return float(value)
    return value
