"""What an agent reads about each tool: one description per argument, shared by the tools that take it.

`docstring(tool)` builds the Google-style docstring Gradio turns into an MCP tool's description (what
it does and "Returns:") and its parameters' descriptions (one "name: text" line each).
The allowed values, defaults and prices come from the option and price tables, so they never drift.
"""

from __future__ import annotations

from seedance_ui.agents.arguments import (
    CANCEL_VIDEO,
    ESTIMATE_COST,
    GENERATE_VIDEO,
    GET_VIDEO,
    LIST_LIMIT_DEFAULT,
    LIST_LIMIT_MAX,
    LIST_VIDEOS,
    START_VIDEO,
    TOOL_PARAMS,
)
from seedance_ui.jobs.idempotency import KEY_FIELD, MAX_KEY_LENGTH
from seedance_ui.options import (
    ALL_QUALITIES,
    ASPECT_RATIOS,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
    DURATION_MAX,
    DURATION_MIN,
    MAX_PROMPT_CHINESE_CHARS,
    MAX_PROMPT_ENGLISH_WORDS,
    MODE_FRAMES,
    MODE_REFERENCES,
    MODEL_SPECS,
    MODELS,
    PRICES,
    QUALITIES,
    WEB_SEARCH_PRICE,
)
from seedance_ui.security.key_owner import KEY_HEADER


def _quoted(values: object) -> str:
    return ", ".join(f"'{v}'" for v in values)  # type: ignore[attr-defined]


def _standard(mode: str) -> str:
    return next(spec.id for spec in MODEL_SPECS.values() if spec.mode == mode and "1080p" in spec.qualities)


def price_table() -> str:
    """Credits per second of video for each model and quality the tools offer, from the published table."""
    rows = [
        f"{MODELS[model]} {quality}: {price.credits:g}"
        for (model, quality), price in PRICES.items()
        if model in MODELS and quality in QUALITIES
    ]
    return "; ".join(rows)


PARAMS: dict[str, str] = {
    "prompt": (
        "What the video shows: subject, action, camera move (pan, tilt, dolly, orbit), light and mood; put "
        f"spoken lines in straight double quotes. Required, not empty, at most {MAX_PROMPT_ENGLISH_WORDS} "
        f"English words or {MAX_PROMPT_CHINESE_CHARS} Chinese characters."
    ),
    "model": (
        f"One of {_quoted(MODEL_SPECS)}; default '{DEFAULT_MODEL}'. "
        + " ".join(f"'{value}' is {label}." for value, label in MODELS.items())
        + " Fast is quicker and cheaper with the same parameters. The text-to-video models take a prompt "
        "only; the image-to-video models take first_frame (and last_frame); the reference-to-video models "
        "take reference_images, reference_video_urls and reference_audio_urls. Mini models and 1080p have "
        "no published price."
    ),
    "duration": (
        f"Length of the video in whole seconds, {DURATION_MIN} to {DURATION_MAX}; "
        f"default {DEFAULT_DURATION}. The cost is proportional to it."
    ),
    "quality": (
        f"Resolution, one of {_quoted(ALL_QUALITIES)}; default '{DEFAULT_QUALITY}'. 1080p only on "
        f"'{_standard(MODE_FRAMES)}' and '{_standard(MODE_REFERENCES)}'."
    ),
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
    "first_frame": (
        "image-to-video models: the https URL of the picture the video starts on (JPEG, PNG or WebP, "
        "sides 300-6000 px, width/height 0.4-2.5, at most 30 MB); required there."
    ),
    "last_frame": "image-to-video models: the https URL of the picture the video ends on (optional).",
    "reference_images": (
        "reference-to-video models: up to 9 https image URLs; name them in the prompt as @image1, "
        "@image2, ..."
    ),
    "reference_video_urls": (
        "reference-to-video models: up to 3 https video URLs (MP4 or MOV, 2-15 s each, 15 s together), "
        "@video1...; their seconds are billed too."
    ),
    "reference_audio_urls": (
        "reference-to-video models: up to 3 https audio URLs (WAV or MP3, 2-15 s, 15 MB), @audio1...; "
        "never alone (add an image or a video)."
    ),
    "content_filter": "true (default): the provider's content filter; false costs x1.1.",
    "job_id": "The job_id that start_video or generate_video returned (32 lowercase hex characters).",
    KEY_FIELD: (
        "Optional: a key you choose for this job (text, no spaces, at most "
        f"{MAX_KEY_LENGTH} characters). A call with a key you used before answers with that job and creates "
        "nothing, so a call you are not sure went through is safe to repeat with the same key."
    ),
    "limit": f"How many videos to list, newest first: 1 to {LIST_LIMIT_MAX}; default {LIST_LIMIT_DEFAULT}.",
}

COST_NOTE = (
    f"Cost: credits per second of video ({price_table()}), charged to the key in the {KEY_HEADER} header, "
    "or to the server's key (budgets and a per-caller rate limit may apply); failed and cancelled jobs "
    "are not charged."
)
JOB_FIELDS = (
    "a JSON object: job_id, status (queued, uploading, submitting, pending, processing, downloading, "
    "completed, failed, cancelled, unknown_outcome or expired), done, progress (0-100), prompt, settings, "
    "inputs (role with url or name), "
    "estimated_credits, credits_reserved, expected_wait_seconds and queue_position while it runs, message, "
    "hint and error_code when it failed, and once completed video_url (this server's link to the MP4, "
    "kept; no expiry) and poster_url (a JPEG frame), with video_duration, width, height and has_audio."
)


TOOL_TEXTS: dict[str, tuple[str, str]] = {  # tool -> (what it does, what comes back)
    START_VIDEO: (
        "Start generating a Seedance 2.0 video on this studio and answer at once (within a few "
        "seconds). The job is written down before it is sent, followed by the server, downloaded the "
        "moment it is ready and kept in your history; it is never sent twice, so do not call this "
        "again to retry: poll get_video with the job_id. " + COST_NOTE,
        "the job as " + JOB_FIELDS,
    ),
    GET_VIDEO: (
        "The state of one of your video jobs: status, progress, the provider's message and a hint when "
        "it failed, and once done a link on this server where the MP4 downloads, plus its poster. "
        "Poll it every 10-30 seconds after start_video until done is true. Free.",
        JOB_FIELDS,
    ),
    GENERATE_VIDEO: (
        "Generate a Seedance 2.0 video and wait for it (typically one to four minutes), with progress "
        "notifications while it runs. If you stop waiting, the job still finishes: find it with "
        "list_videos or get_video; never call this again to retry a job that may be running. A job "
        "that fails or is cancelled is reported as an error with the provider's message, a hint and "
        "its job_id. " + COST_NOTE,
        "the finished job as " + JOB_FIELDS,
    ),
    LIST_VIDEOS: (
        "Your video jobs (the history of the key you send; without a key it is refused: use get_video "
        "with the job_id you were given), newest first, with prompts, settings, status and links. Free.",
        'a JSON object {"videos": [job, ...], "count": n}, each job as ' + JOB_FIELDS,
    ),
    CANCEL_VIDEO: (
        "Cancel one of your jobs while that is still possible (queued here, or pending/processing at "
        "the provider when it allows it). Cancelled jobs are not charged.",
        "the job as " + JOB_FIELDS + " Plus cancel_result: what the cancel did, in words.",
    ),
    ESTIMATE_COST: (
        "The estimated price of a video before making it, from the published price table. Free; "
        "nothing is created.",
        "a JSON object: credits, usd, web_search_credits_per_search, summary and the settings priced.",
    ),
}


def docstring(tool: str) -> str:
    """`tool`'s docstring as Gradio parses it: what it does, one "name: text" line per argument, then
    "Returns:" and what comes back."""
    summary, returns = TOOL_TEXTS[tool]
    names = TOOL_PARAMS[tool]
    args = "\n".join(f"    {name}: {PARAMS[name]}" for name in names)
    section = f"\n\nArgs:\n{args}" if names else ""
    return f"{summary}{section}\n\nReturns:\n    {returns}"
