"""The provider's media rules, measured on the files themselves (Pillow for images, PyAV for the rest).

Each check returns a ValidationError naming the field and the rule, or None; nothing here touches
the network (inputs.py fetches remote media to a temporary file first). Images are measured from their
header only (Pillow's `Image.open` is lazy): no pixel is decoded before a picture is known to keep to
the limits. Importing this module sets Pillow's decompression-bomb limit to the contract's pixel cap, so a
decode that skipped the measuring fails (Pillow: a warning above the cap, an error above twice) instead
of eating memory.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import av
from PIL import Image, UnidentifiedImageError

from seedance_ui.client.errors import ValidationError
from seedance_ui.client.urls import public_url_problem
from seedance_ui.options import (
    AUDIO_MAX_BYTES,
    AUDIO_MAX_SECONDS,
    AUDIO_MIN_SECONDS,
    IMAGE_FORMATS,
    IMAGE_MAX_BYTES,
    IMAGE_MAX_PIXELS,
    IMAGE_MAX_SIDE,
    IMAGE_MIN_SIDE,
    MB,
    MEDIA_MAX_RATIO,
    MEDIA_MIN_RATIO,
    MEDIA_TAG_PATTERN,
    VIDEO_MAX_AREA,
    VIDEO_MAX_BYTES,
    VIDEO_MAX_FPS,
    VIDEO_MAX_SECONDS,
    VIDEO_MIN_AREA,
    VIDEO_MIN_FPS,
    VIDEO_MIN_SECONDS,
)

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_TAG = re.compile(MEDIA_TAG_PATTERN, re.IGNORECASE)
# PyAV's demuxer names for the containers the provider accepts.
_VIDEO_DEMUXERS = frozenset({"mov,mp4,m4a,3gp,3g2,mj2", "mov", "mp4"})
_AUDIO_DEMUXERS = {"wav": "WAV", "mp3": "MP3"}
KIND_LIMITS = {"image": IMAGE_MAX_BYTES, "video": VIDEO_MAX_BYTES, "audio": AUDIO_MAX_BYTES}

Image.MAX_IMAGE_PIXELS = IMAGE_MAX_PIXELS  # the one place Pillow's decompression-bomb limit is set


def is_url(value: str) -> bool:
    """True for http(s) URLs (a local path otherwise; other schemes are refused by `source_problem`)."""
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def source_problem(
    value: Any, trusted_origins: Iterable[str] | None = (), *, url_only: bool = False
) -> str | None:
    """Why `value` is neither a usable media URL nor (unless url_only) an existing local file.

    trusted_origins None: a URL's host is not checked here (see media_url_problem).
    """
    if not isinstance(value, str):
        return f"must be a URL or a file path (got {type(value).__name__})"
    if not value.strip():
        return "must be a URL or a file path (got nothing)"
    if is_url(value):
        return None if trusted_origins is None else media_url_problem(value, trusted_origins)
    if _SCHEME.match(value) and not _WINDOWS_DRIVE.match(value):
        scheme = value.split(":", 1)[0]
        return f"must be an https:// URL or a local file (got a {scheme}: URL); upload the file instead"
    if url_only:
        return "must be an https:// URL the provider can fetch (video and audio cannot be uploaded)"
    if not Path(value).is_file():
        return f"names no file ({value})"
    return None


def origin(url: str) -> str:
    """scheme://host:port of a URL, lower-cased (for comparing against trusted origins)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{port}"


def media_url_problem(url: str, trusted_origins: Iterable[str] = ()) -> str | None:
    """Why the provider could not fetch `url`: https and a public host, unless on a trusted origin.

    Trusted origins are the provider's own (its API and file API hand out these URLs) and any the
    operator adds; everything else must be public, as the provider's servers fetch it.
    """
    try:
        if origin(url) in {origin(o) for o in trusted_origins}:
            return None
    except ValueError:
        return "must be a valid URL"
    return public_url_problem(url)


# --------------------------------------------------------------------------------------------------
# Tags in the prompt


def tag_problem(prompt: str, counts: dict[str, int]) -> str | None:
    """Why a `@imageN` / `@videoN` / `@audioN` tag in `prompt` names no input (counts by kind)."""
    for match in _TAG.finditer(prompt):
        kind, number = match.group(1).lower(), int(match.group(2))
        have = counts.get(kind, 0)
        if not 1 <= number <= have:
            inputs = f"{have} reference {kind}{'' if have == 1 else 's'}" if have else f"no reference {kind}s"
            return f"{match.group(0)} names no input: there {'is' if have == 1 else 'are'} {inputs}"
    return None


# --------------------------------------------------------------------------------------------------
# Measuring


@dataclass(frozen=True)
class ImageInfo:
    """What Pillow reads from an image file's header."""

    format: str
    width: int
    height: int
    size_bytes: int
    oversized: bool = False  # Pillow refused to open it: far more pixels than the cap (sides unknown)


@dataclass(frozen=True)
class AvInfo:
    """What PyAV reads from a video or audio file (width, height, fps are 0 without a video stream)."""

    format: str
    seconds: float
    width: int
    height: int
    fps: float
    size_bytes: int
    has_video: bool
    has_audio: bool


def measure_image(source: Path | bytes) -> ImageInfo | None:
    """The format and size of an image (a file, or its bytes) from its header (no pixel decoded), or None
    when Pillow cannot read it; a picture past Pillow's bomb limit is measured as `oversized`."""
    size = 0
    try:
        if isinstance(source, bytes):
            size, opened = len(source), io.BytesIO(source)
        else:
            size, opened = Path(source).stat().st_size, source
        with Image.open(opened) as image:
            return ImageInfo(image.format or "?", image.width, image.height, size)
    except Image.DecompressionBombError:
        return ImageInfo("?", 0, 0, size, oversized=True)
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def measure_av(path: Path) -> AvInfo | None:
    """The container, duration, frame size and rate of a video or audio file, or None if unreadable."""
    try:
        with av.open(str(path)) as container:
            video = container.streams.video[0] if container.streams.video else None
            seconds = _seconds(container, video or (container.streams.audio or [None])[0])
            rate = video.average_rate if video is not None else None
            return AvInfo(
                format=container.format.name,
                seconds=seconds,
                width=video.codec_context.width if video is not None else 0,
                height=video.codec_context.height if video is not None else 0,
                fps=float(rate) if rate else 0.0,
                size_bytes=Path(path).stat().st_size,
                has_video=video is not None,
                has_audio=bool(container.streams.audio),
            )
    except (av.FFmpegError, OSError, ValueError, IndexError):
        return None


def _seconds(container: Any, stream: Any) -> float:
    if stream is not None and stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return container.duration / 1_000_000 if container.duration else 0.0


# --------------------------------------------------------------------------------------------------
# Rules on measured files


def _shape_rule(width: int, height: int) -> str | None:
    if not (IMAGE_MIN_SIDE <= width <= IMAGE_MAX_SIDE and IMAGE_MIN_SIDE <= height <= IMAGE_MAX_SIDE):
        return f"each side must be {IMAGE_MIN_SIDE}-{IMAGE_MAX_SIDE} px (got {width}x{height})"
    ratio = width / height
    if not MEDIA_MIN_RATIO <= ratio <= MEDIA_MAX_RATIO:
        shown = f"{ratio:.2f} for {width}x{height}"
        return f"width/height must be {MEDIA_MIN_RATIO}-{MEDIA_MAX_RATIO} (got {shown})"
    return None


def _too_big(size: int, limit: int) -> str | None:
    return f"must be at most {limit // MB} MB (got {size / MB:.1f} MB)" if size > limit else None


def _seconds_rule(seconds: float, low: float, high: float) -> str | None:
    if not low <= seconds <= high:
        return f"must last {low:g}-{high:g} s (got {seconds:.1f} s)"
    return None


def _limit_rule(info: ImageInfo) -> str | None:
    """The upper limit (bytes, sides, pixels) a measured picture breaks: what decoding it would cost."""
    if info.oversized:
        pixels = 2 * IMAGE_MAX_PIXELS  # where Pillow refuses to open a picture
        return f"each side must be {IMAGE_MIN_SIDE}-{IMAGE_MAX_SIDE} px (got over {pixels:,} pixels)"
    if max(info.width, info.height) > IMAGE_MAX_SIDE:  # so at most IMAGE_MAX_PIXELS pixels pass
        return _too_big(info.size_bytes, IMAGE_MAX_BYTES) or _shape_rule(info.width, info.height)
    return _too_big(info.size_bytes, IMAGE_MAX_BYTES)


def image_limit_problem(field: str, info: ImageInfo | None) -> ValidationError | None:
    """The rule an upload breaks that makes it unsafe to decode (unreadable, too many bytes or pixels);
    None for anything the full rules (`image_problem`) may still refuse with their own words."""
    if info is None:
        return ValidationError(field, "is not a readable image (JPEG, PNG or WebP)")
    rule = _limit_rule(info)
    return ValidationError(field, rule) if rule else None


def image_problem(field: str, info: ImageInfo | None) -> ValidationError | None:
    """The first image rule `info` breaks (readable, size in bytes and pixels, format, sides, ratio)."""
    limit = image_limit_problem(field, info)
    if limit is not None or info is None:
        return limit
    if info.format not in IMAGE_FORMATS:
        return ValidationError(field, f"must be a JPEG, PNG or WebP image (got {info.format})")
    rule = _too_big(info.size_bytes, IMAGE_MAX_BYTES) or _shape_rule(info.width, info.height)
    return ValidationError(field, rule) if rule else None


def video_problem(field: str, info: AvInfo | None) -> ValidationError | None:
    """The first reference-video rule `info` breaks (container, bytes, seconds, pixels, fps)."""
    if info is None or not info.has_video:
        return ValidationError(field, "is not a readable video (MP4 or MOV)")
    if info.format not in _VIDEO_DEMUXERS:
        return ValidationError(field, f"must be an MP4 or MOV video (got {info.format})")
    area = info.width * info.height
    rule = (
        _too_big(info.size_bytes, VIDEO_MAX_BYTES)
        or _seconds_rule(info.seconds, VIDEO_MIN_SECONDS, VIDEO_MAX_SECONDS)
        or _shape_rule(info.width, info.height)
        or (
            None
            if VIDEO_MIN_AREA <= area <= VIDEO_MAX_AREA
            else f"frame area must be {VIDEO_MIN_AREA:,}-{VIDEO_MAX_AREA:,} px (got {area:,})"
        )
        or (
            None
            if VIDEO_MIN_FPS <= info.fps <= VIDEO_MAX_FPS
            else f"must run at {VIDEO_MIN_FPS:g}-{VIDEO_MAX_FPS:g} fps (got {info.fps:g})"
        )
    )
    return ValidationError(field, rule) if rule else None


def audio_problem(field: str, info: AvInfo | None) -> ValidationError | None:
    """The first reference-audio rule `info` breaks (WAV or MP3, bytes, seconds)."""
    if info is None or not info.has_audio:
        return ValidationError(field, "is not readable audio (WAV or MP3)")
    if info.format not in _AUDIO_DEMUXERS:
        return ValidationError(field, f"must be WAV or MP3 audio (got {info.format})")
    rule = _too_big(info.size_bytes, AUDIO_MAX_BYTES) or _seconds_rule(
        info.seconds, AUDIO_MIN_SECONDS, AUDIO_MAX_SECONDS
    )
    return ValidationError(field, rule) if rule else None


def total_problem(field: str, infos: Iterable[AvInfo | None], limit: float) -> ValidationError | None:
    """The together-rule: the inputs' seconds added up stay within `limit`."""
    total = sum(info.seconds for info in infos if info is not None)
    if total > limit:
        return ValidationError(field, f"must last at most {limit:g} s together (got {total:.1f} s)")
    return None

