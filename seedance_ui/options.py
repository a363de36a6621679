"""The contract's option lists, defaults, limits and prices, as data in one place.

The provider's documentation moves (CONTRACT.md section 5): a new model tier, quality or aspect ratio
is a one-line edit here. The simulator imports this module and nothing else of ours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_BASE_URL = "https://api.evolink.ai"
DEFAULT_FILES_URL = "https://files-api.evolink.ai"  # the file API has a base URL of its own

CREATE_PATH = "/v1/videos/generations"
TASK_PATH = "/v1/tasks/{task_id}"
CANCEL_PATH = "/v1/tasks/{task_id}/cancel"
CREDITS_PATH = "/v1/credits"

# The file API (CONTRACT-MODES.md section 4), on DEFAULT_FILES_URL.
UPLOAD_STREAM_PATH = "/api/v1/files/upload/stream"
UPLOAD_BASE64_PATH = "/api/v1/files/upload/base64"
UPLOAD_URL_PATH = "/api/v1/files/upload/url"
FILES_QUOTA_PATH = "/api/v1/files/quota"

# Chat models (CONTRACT-LLM.md): the same key, an OpenAI-compatible endpoint on a text host of its own.
DEFAULT_LLM_BASE_URL = "https://direct.evolink.ai"  # written without /v1, like DEFAULT_BASE_URL
DEFAULT_LLM_MODEL = "gpt-5.1"
CHAT_PATH = "/v1/chat/completions"

MODEL_STANDARD = "seedance-2.0-text-to-video"
MODEL_FAST = "seedance-2.0-fast-text-to-video"
# The text models the Studio page offers today (label by id). Every model the API knows is in
# MODEL_SPECS below, the grid the client, the simulator and (later) the page read.
MODELS: dict[str, str] = {MODEL_STANDARD: "Standard", MODEL_FAST: "Fast"}

QUALITIES: tuple[str, ...] = ("480p", "720p")  # the text models' qualities (CONTRACT.md section 1)
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
# A task's run time as the contract shows it (estimated_time 165 s for an 8 s video, standard 720p):
# 45 s plus 15 s per video second. The studio's prior before it has seen a job; the simulator's estimate.
RUN_BASE_SECONDS = 45.0
RUN_SECONDS_PER_VIDEO_SECOND = 15.0

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
_SHORT_SIDE = {"480p": 480, "720p": 720, "1080p": 1080}
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


def nearest_aspect_ratio(width: int, height: int) -> str:
    """The explicit aspect ratio closest to a picture's (what `adaptive` picks for a first frame)."""
    shape = math.log(width / height)
    return min(_RATIO, key=lambda name: abs(math.log(_RATIO[name][0] / _RATIO[name][1]) - shape))


@dataclass(frozen=True)
class Price:
    """Published price of one second of output video."""

    credits: float
    usd: float





# ---------------------------------------------------------------------------------------------------
# The nine-model grid (CONTRACT-MODES.md section 1): mode x tier, each model with what it accepts.

MODE_TEXT = "text"
MODE_FRAMES = "frames"
MODE_REFERENCES = "references"
MODES: tuple[str, ...] = (MODE_TEXT, MODE_FRAMES, MODE_REFERENCES)

TIER_STANDARD = "Standard"
TIER_FAST = "Fast"
TIER_MINI = "Mini"
TIERS: tuple[str, ...] = (TIER_STANDARD, TIER_FAST, TIER_MINI)

_MODE_SLUG = {
    MODE_TEXT: "text-to-video",
    MODE_FRAMES: "image-to-video",
    MODE_REFERENCES: "reference-to-video",
}
_TIER_SLUG = {TIER_STANDARD: "", TIER_FAST: "fast-", TIER_MINI: "mini-"}


@dataclass(frozen=True)
class ModelSpec:
    """One model of the grid: its mode, tier, qualities and the inputs it accepts (min, max)."""

    id: str
    mode: str
    tier: str
    qualities: tuple[str, ...]
    web_search: bool
    images: tuple[int, int]
    videos: tuple[int, int]
    audios: tuple[int, int]

    @property
    def label(self) -> str:
        return f"{self.mode.capitalize()} · {self.tier}"

    @property
    def takes_media(self) -> bool:
        return self.images[1] + self.videos[1] + self.audios[1] > 0


def model_id(mode: str, tier: str) -> str:
    """The model id of a grid cell; KeyError for an unknown mode or tier."""
    return f"seedance-2.0-{_TIER_SLUG[tier]}{_MODE_SLUG[mode]}"


def _spec(mode: str, tier: str) -> ModelSpec:
    # 1080p: on the Standard frames and references models. The Standard text model keeps 480p/720p,
    # as CONTRACT.md section 1 states for it (CONTRACT-MODES.md section 9: qualities are per-model data).
    hd = tier == TIER_STANDARD and mode != MODE_TEXT
    return ModelSpec(
        id=model_id(mode, tier),
        mode=mode,
        tier=tier,
        qualities=(*QUALITIES, "1080p") if hd else QUALITIES,
        web_search=mode == MODE_TEXT and tier != TIER_MINI,
        images={MODE_TEXT: (0, 0), MODE_FRAMES: (1, 2), MODE_REFERENCES: (0, 9)}[mode],
        videos=(0, 3) if mode == MODE_REFERENCES else (0, 0),
        audios=(0, 3) if mode == MODE_REFERENCES else (0, 0),
    )


MODEL_SPECS: dict[str, ModelSpec] = {
    spec.id: spec for spec in (_spec(mode, tier) for mode in MODES for tier in TIERS)
}
ALL_QUALITIES: tuple[str, ...] = ("480p", "720p", "1080p")


DEFAULT_CONTENT_FILTER = True
CONTENT_FILTER_OFF_FACTOR = 1.1  # content_filter: false is billed x1.1

# Not the contract's: what the studio tells its built-in simulator (demo mode only) a clip is ("SHOT 2 · The
# climb", percent-encoded UTF-8), burned into the placeholder clip. A provider never receives it.
DEMO_LABEL_HEADER = "X-Seedance-Demo-Label"
MAX_DEMO_LABEL_CHARS = 120

# ---------------------------------------------------------------------------------------------------
# Media rules (CONTRACT-MODES.md sections 2-4). Sizes in bytes, durations in seconds.

MB = 1024 * 1024
IMAGE_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP")  # Pillow's names; GIF uploads but is refused
UPLOAD_FORMATS: tuple[str, ...] = (*IMAGE_FORMATS, "GIF")
IMAGE_MIN_SIDE = 300
IMAGE_MAX_SIDE = 6000
IMAGE_MAX_PIXELS = IMAGE_MAX_SIDE * IMAGE_MAX_SIDE  # the most pixels a picture may have (Pillow's bomb limit)
MEDIA_MIN_RATIO = 0.4  # width / height
MEDIA_MAX_RATIO = 2.5
IMAGE_MAX_BYTES = 30 * MB
VIDEO_FORMATS: tuple[str, ...] = ("MP4", "MOV")
VIDEO_MIN_SECONDS = 2.0
VIDEO_MAX_SECONDS = 15.0
VIDEO_TOTAL_SECONDS = 15.0
VIDEO_MIN_AREA = 409_600
VIDEO_MAX_AREA = 2_086_876
VIDEO_MIN_FPS = 24.0
VIDEO_MAX_FPS = 60.0
VIDEO_MAX_BYTES = 50 * MB
AUDIO_FORMATS: tuple[str, ...] = ("WAV", "MP3")
AUDIO_MIN_SECONDS = 2.0
AUDIO_MAX_SECONDS = 15.0
AUDIO_TOTAL_SECONDS = 15.0
AUDIO_MAX_BYTES = 15 * MB
MAX_REQUEST_BODY_BYTES = 64 * MB
UPLOADED_FILE_LIFETIME_SECONDS = 72 * 3600
# An upload with less than this left is uploaded again before a create (the create may wait in a queue).
UPLOAD_EXPIRY_MARGIN_SECONDS = 15 * 60
# Prompt tags naming inputs, numbered from 1 in each list's order; an older page spelled them @Image1.
MEDIA_TAG_PATTERN = r"@(image|video|audio)(\d+)"

# Failure codes particular to media (CONTRACT-MODES.md section 7), beside the ones above.
MEDIA_FAILURE_CODES = frozenset({"image_processing_error", "image_dimension_mismatch"})

# ---------------------------------------------------------------------------------------------------
# Prices per second of output video, as published (CONTRACT.md section 6, CONTRACT-MODES.md section 8):
# the same for text, frames and references on one tier. Mini and 1080p have no published price: they
# are absent here, and pricing.estimate says "price not published" for them.

_TIER_PRICES: dict[str, dict[str, Price]] = {
    TIER_STANDARD: {"480p": Price(5.093, 0.07276), "720p": Price(11.00, 0.15715)},
    TIER_FAST: {"480p": Price(4.1254, 0.0590), "720p": Price(8.91, 0.1273)},
}
PRICES: dict[tuple[str, str], Price] = {
    (spec.id, quality): price
    for spec in MODEL_SPECS.values()
    for quality, price in _TIER_PRICES.get(spec.tier, {}).items()
}
WEB_SEARCH_PRICE = Price(0.04, 0.00058)
