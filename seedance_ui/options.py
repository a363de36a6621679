"""The contract's option lists, defaults, limits and prices, as data in one place.

The provider's documentation moves (CONTRACT.md section 5): a new model tier, quality or aspect ratio
is a one-line edit here. The simulator imports this module and nothing else of ours.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BASE_URL = "https://api.evolink.ai"

CREATE_PATH = "/v1/videos/generations"
TASK_PATH = "/v1/tasks/{task_id}"
CANCEL_PATH = "/v1/tasks/{task_id}/cancel"
CREDITS_PATH = "/v1/credits"

MODEL_STANDARD = "seedance-2.0-text-to-video"
MODEL_FAST = "seedance-2.0-fast-text-to-video"
MODELS: dict[str, str] = {MODEL_STANDARD: "Standard", MODEL_FAST: "Fast"}

QUALITIES: tuple[str, ...] = ("480p", "720p")
ASPECT_RATIOS: tuple[str, ...] = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "adaptive")

DURATION_MIN = 4
DURATION_MAX = 15

DEFAULT_MODEL = MODEL_STANDARD
DEFAULT_DURATION = 5
DEFAULT_QUALITY = "720p"
DEFAULT_ASPECT_RATIO = "16:9"
DEFAULT_GENERATE_AUDIO = True
DEFAULT_WEB_SEARCH = False

MAX_PROMPT_ENGLISH_WORDS = 1000
MAX_PROMPT_CHINESE_CHARS = 500
MAX_CALLBACK_URL_LENGTH = 2048

# Task lifecycle (CONTRACT.md section 2).
STATUS_PENDING = "pending"
STATUS_PROCESSING = "processing"
STATUS_COMPLETED = "completed"
STATUS_FAILED = "failed"
STATUS_CANCELLED = "cancelled"
TERMINAL_STATUSES = frozenset({STATUS_COMPLETED, STATUS_FAILED, STATUS_CANCELLED})

# Failure codes seen in the provider's own tools (CONTRACT.md section 2).
PERMANENT_FAILURE_CODES = frozenset({"content_policy_violation", "invalid_parameters"})
TRANSIENT_FAILURE_CODES = frozenset(
    {
        "generation_timeout",
        "quota_exceeded",
        "resource_exhausted",
        "service_error",
        "service_unavailable",
    }
)

# Provider URLs of finished videos expire after this long (CONTRACT.md section 2).
VIDEO_URL_LIFETIME_SECONDS = 24 * 3600

# Frame size by quality and aspect ratio. The provider does not publish exact sizes; these are the
# short side from the quality name and the long side from the ratio, rounded to even numbers.
# "adaptive" lets the model choose; the simulator renders it as 16:9.
_SHORT_SIDE = {"480p": 480, "720p": 720}
_RATIO = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:3": (4, 3), "3:4": (3, 4), "21:9": (21, 9)}


def frame_size(quality: str, aspect_ratio: str) -> tuple[int, int]:
    """Width and height in pixels that a quality and aspect ratio imply."""
    short = _SHORT_SIDE[quality]
    w, h = _RATIO.get(aspect_ratio, _RATIO["16:9"])
    if w >= h:
        width, height = short * w / h, short
    else:
        width, height = short, short * h / w
    return int(round(width / 2) * 2), int(round(height / 2) * 2)


@dataclass(frozen=True)
class Price:
    """Published price of one second of output video."""

    credits: float
    usd: float


# CONTRACT.md section 6: per second of output video, as published.
PRICES: dict[tuple[str, str], Price] = {
    (MODEL_STANDARD, "480p"): Price(5.093, 0.07276),
    (MODEL_STANDARD, "720p"): Price(11.00, 0.15715),
    (MODEL_FAST, "480p"): Price(4.1254, 0.0590),
    (MODEL_FAST, "720p"): Price(8.91, 0.1273),
}
WEB_SEARCH_PRICE = Price(0.04, 0.00058)
