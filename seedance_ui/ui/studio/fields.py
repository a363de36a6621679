"""What the Studio page's fields mean as a request: their names on the page, the prompt's cap, and the
request they describe. Pure functions, shared by the page's handlers and the programmatic API.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from seedance_ui.client import GenerationRequest, ValidationError
from seedance_ui.jobs.inputs import (
    ROLE_FIRST_FRAME,
    ROLE_LAST_FRAME,
    ROLE_REFERENCE_AUDIO,
    ROLE_REFERENCE_IMAGE,
    ROLE_REFERENCE_VIDEO,
)
from seedance_ui.options import MODE_FRAMES, MODE_REFERENCES, MODEL_SPECS
from seedance_ui.prompt_rules import prompt_over_limit
from seedance_ui.ui.studio.modes import gallery_paths, mode_of, url_lines

FIELD_LABELS = {
    "prompt": "Prompt",
    "model": "Model",
    "duration": "Duration",
    "quality": "Quality",
    "aspect_ratio": "Aspect ratio",
    "generate_audio": "Generate audio",
    "web_search": "Web search",
    "content_filter": "Content filter",
    "first_frame": "First frame",
    "last_frame": "Last frame",
    "reference_images": "Reference images",
    "reference_video_urls": "Reference video URLs",
    "reference_audio_urls": "Reference audio URLs",
}
# An item of a list field, as the request names it ("reference_images[2]"), as the page names it.
ITEM_LABELS = {
    "reference_images": "Reference image @image{}",
    "reference_video_urls": "Reference video @video{}",
    "reference_audio_urls": "Reference audio @audio{}",
}


def field_label(field: str) -> str:
    """The page's name of a request field ("reference_images[2]" -> "Reference image @image2")."""
    name, _, rest = field.partition("[")
    if rest.endswith("]") and rest[:-1].isdigit() and name in ITEM_LABELS:
        return ITEM_LABELS[name].format(rest[:-1])
    return FIELD_LABELS.get(field, field)


def too_long(prompt: Any, limit: int) -> bool:
    """The edge cap, checked before any other work on a prompt (O(1))."""
    return isinstance(prompt, str) and len(prompt) > limit


def prompt_too_long(prompt: str, limit: int, chars: int | None = None) -> str:
    """The refusal of a press (or a call) with a prompt over the edge cap: how long (`chars` when the page
    sent only its start), and what to trim."""
    return f"Prompt: {prompt_over_limit(len(prompt) if chars is None else chars, limit)} Nothing was sent."


def coerce_duration(value: Any) -> Any:
    """Slider and API numbers as an int when whole; anything else is left for the validator to name."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def make_request(
    prompt: Any,
    model: Any,
    duration: Any,
    quality: Any,
    aspect_ratio: Any,
    generate_audio: Any,
    web_search: Any,
    **media: Any,
) -> GenerationRequest:
    """The request the page (or the API) describes; `media`: content_filter, first_frame, last_frame,
    reference_images, reference_video_urls, reference_audio_urls (GenerationRequest's names)."""
    return GenerationRequest(
        prompt=prompt if prompt is not None else "",
        model=model,
        duration=coerce_duration(duration),
        quality=quality,
        aspect_ratio=aspect_ratio,
        generate_audio=generate_audio,
        web_search=web_search,
        **media,
    )


# How the history names each input (n: its number among inputs of that role).
INPUT_LABELS = {
    ROLE_FIRST_FRAME: "First frame",
    ROLE_LAST_FRAME: "Last frame",
    ROLE_REFERENCE_IMAGE: "Image {n}",
    ROLE_REFERENCE_VIDEO: "Video {n}",
    ROLE_REFERENCE_AUDIO: "Audio {n}",
}


def page_media(
    model: Any,
    content_filter: Any,
    first_frame: Any,
    last_frame: Any,
    reference_images: Any,
    video_urls: Any,
    audio_urls: Any,
) -> dict[str, Any]:
    """The media fields of a page's request: only those of the model's mode (the other mode's zones
    keep their contents while hidden, but are not sent)."""
    mode = mode_of(model) if model in MODEL_SPECS else None
    media: dict[str, Any] = {"content_filter": True if content_filter is None else content_filter}
    if mode == MODE_FRAMES:
        media.update(first_frame=first_frame or None, last_frame=last_frame or None)
    elif mode == MODE_REFERENCES:
        media.update(
            reference_images=gallery_paths(reference_images),
            reference_video_urls=url_lines(video_urls),
            reference_audio_urls=url_lines(audio_urls),
        )
    return media


def is_references(model: Any) -> bool:
    return isinstance(model, str) and model in MODEL_SPECS and mode_of(model) == MODE_REFERENCES


def whole_seconds(value: Any) -> int:
    """A page's number as whole seconds (0 for anything else)."""
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return 0


def measured_seconds(value: Any) -> float:
    """A measured length in seconds from a page state (0 for anything that is not a finite number >= 0)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0.0
    return max(0.0, float(value))


def reference_counts(value: Any) -> dict[str, int]:
    """The page's reference counts (a state `on_refs` keeps) as kind -> int; zeros for anything else."""
    value = value if isinstance(value, dict) else {}
    return {kind: v if isinstance((v := value.get(kind)), int) and v >= 0 else 0
            for kind in ("image", "video", "audio")}


def describe_problems(problems: Sequence[ValidationError]) -> list[str]:
    return [f"{field_label(p.field)}: {p.rule}" for p in problems]
