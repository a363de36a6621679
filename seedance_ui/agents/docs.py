"""What an agent reads about each tool: one description per argument, shared by the tools that take it.

`docstring(summary, names, returns)` builds the Google-style docstring Gradio turns into an MCP tool's
description (the summary and "Returns:") and its parameters' descriptions (one "name: text" line each).
The allowed values, defaults and prices come from the option and price tables, so they never drift.
"""

from __future__ import annotations

from seedance_ui.agents.arguments import LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX
from seedance_ui.options import (
    ASPECT_RATIOS,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
    DURATION_MAX,
    DURATION_MIN,
    MAX_PROMPT_CHINESE_CHARS,
    MAX_PROMPT_ENGLISH_WORDS,
    MODELS,
    PRICES,
    QUALITIES,
    WEB_SEARCH_PRICE,
)
from seedance_ui.security.key_owner import KEY_HEADER


def _quoted(values: object) -> str:
    return ", ".join(f"'{v}'" for v in values)  # type: ignore[attr-defined]


def price_table() -> str:
    """Credits per second of video for each model and quality, from the published table."""
    rows = [
        f"{MODELS[model]} {quality}: {price.credits:g}" for (model, quality), price in PRICES.items()
    ]
    return "; ".join(rows)


PARAMS: dict[str, str] = {
    "prompt": (
        "What the video shows: subject, action, camera move (pan, tilt, dolly, orbit), light and mood; put "
        f"spoken lines in straight double quotes. Required, not empty, at most {MAX_PROMPT_ENGLISH_WORDS} "
        f"English words or {MAX_PROMPT_CHINESE_CHARS} Chinese characters."
    ),
    "model": (
        f"One of {_quoted(MODELS)}; default '{DEFAULT_MODEL}'. "
        + " ".join(f"'{value}' is {label}." for value, label in MODELS.items())
        + " Fast is quicker and cheaper with the same parameters."
    ),
    "duration": (
        f"Length of the video in whole seconds, {DURATION_MIN} to {DURATION_MAX}; "
        f"default {DEFAULT_DURATION}. The cost is proportional to it."
    ),
    "quality": f"Resolution, one of {_quoted(QUALITIES)}; default '{DEFAULT_QUALITY}'.",
    "aspect_ratio": (
        f"Frame shape, one of {_quoted(ASPECT_RATIOS)}; default '{DEFAULT_ASPECT_RATIO}'. "
        "'adaptive' lets the model choose."
    ),
    "generate_audio": (
        "true (default): ambient sound, music and the spoken lines, at no extra cost; false: a silent video."
    ),
    "web_search": (
        "true: the model may search the web (for recent events), billed "
        f"{WEB_SEARCH_PRICE.credits:g} credits per search it makes; default false."
    ),
    "job_id": "The job_id that start_video or generate_video returned (32 lowercase hex characters).",
    "limit": f"How many videos to list, newest first: 1 to {LIST_LIMIT_MAX}; default {LIST_LIMIT_DEFAULT}.",
}

GENERATION_PARAMS = ("prompt", "model", "duration", "quality", "aspect_ratio", "generate_audio", "web_search")
COST_PARAMS = ("model", "duration", "quality", "web_search")

COST_NOTE = (
    f"Cost: credits per second of video ({price_table()}), charged to the key in the {KEY_HEADER} header, "
    "or to the server's key (budgets and a per-caller rate limit may apply); failed and cancelled jobs "
    "are not charged."
)
JOB_FIELDS = (
    "a JSON object: job_id, status (queued, submitting, pending, processing, downloading, completed, "
    "failed, cancelled, unknown_outcome or expired), done, progress (0-100), prompt, settings, "
    "estimated_credits, credits_reserved, expected_wait_seconds and queue_position while it runs, message, "
    "hint and error_code when it failed, and once completed video_url (this server's link to the MP4, "
    "kept; no expiry) and poster_url (a JPEG frame), with video_duration, width, height and has_audio."
)


def docstring(summary: str, names: tuple[str, ...], returns: str) -> str:
    """A docstring Gradio parses: the summary, one "name: text" line per argument, then "Returns:"."""
    args = "\n".join(f"    {name}: {PARAMS[name]}" for name in names)
    section = f"\n\nArgs:\n{args}" if names else ""
    return f"{summary}{section}\n\nReturns:\n    {returns}"
