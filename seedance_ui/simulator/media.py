"""What the provider does with media URLs after a create: fetch each one, measure it, keep the frames.

A URL that cannot be fetched or a file that breaks a rule fails the task (never the create call),
with the failure codes of CONTRACT-MODES.md section 7. Fetched frame images are kept, by content
hash, for the placeholder clip to draw. Like the provider's servers, the simulator fetches only from
public addresses (every redirect hop checked, the name resolved once: `seedance_ui.addresses`), except
from the origins it trusts: its own (the file URLs it hands out) and those it is told to.
"""

from __future__ import annotations

import hashlib
import io
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import av
import httpx
from PIL import Image, UnidentifiedImageError

from seedance_ui import options
from seedance_ui.addresses import AddressRefused, PublicTransport, Trusted
from seedance_ui.simulator.files import FileRefused, ImageTooLarge, image_header
from seedance_ui.simulator.validation import CreateParams

FETCH_TIMEOUT = 5.0  # per URL
FETCH_BUDGET = 10.0  # all URLs of one create together: the create answer must not wait for long
MAX_REDIRECTS = 5
_LIMITS = {
    "image": options.IMAGE_MAX_BYTES,
    "video": options.VIDEO_MAX_BYTES,
    "audio": options.AUDIO_MAX_BYTES,
}
_VIDEO_DEMUXER = "mov,mp4,m4a,3gp,3g2,mj2"
_AUDIO_DEMUXERS = ("wav", "mp3")


class MediaFailure(Exception):
    """The task fails with `code` and `message`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _invalid(message: str) -> MediaFailure:
    return MediaFailure("invalid_parameters", message)


@dataclass
class FetchedMedia:
    """The outcome of fetching a task's media: stored frame paths, input video seconds, or a failure."""

    frames: tuple[str, ...] = ()
    video_seconds: float = 0.0
    failure: MediaFailure | None = None
    fetched: list[str] = field(default_factory=list)
    deadline: float = field(default_factory=lambda: time.monotonic() + FETCH_BUDGET)


def public_client(trusted: Trusted, timeout: float) -> httpx.Client:
    """A client for URLs someone else chose: public addresses only, on every redirect hop, except the
    trusted origins."""
    return httpx.Client(transport=PublicTransport(trusted), timeout=timeout, follow_redirects=True,
                        max_redirects=MAX_REDIRECTS)


def fetch_all(params: CreateParams, frames_dir: Path, trusted: Trusted) -> FetchedMedia:
    """Fetch and check every media URL of a create, in order; the first problem fails the task."""
    outcome = FetchedMedia()
    if not (params.image_urls or params.video_urls or params.audio_urls):
        return outcome
    try:
        with public_client(trusted, FETCH_TIMEOUT) as http:
            frames = [_image(http, url, frames_dir, outcome) for url in params.image_urls]
            seconds = [_timed(http, url, "video", outcome) for url in params.video_urls]
            audio = [_timed(http, url, "audio", outcome) for url in params.audio_urls]
    except MediaFailure as failure:
        outcome.failure = failure
        return outcome
    for total, limit, kind in ((seconds, options.VIDEO_TOTAL_SECONDS, "video"),
                               (audio, options.AUDIO_TOTAL_SECONDS, "audio")):
        if sum(total) > limit:
            outcome.failure = _invalid(f"The reference {kind}s last more than {limit:g} seconds together.")
            return outcome
    if params.model in options.MODEL_SPECS and options.MODEL_SPECS[params.model].mode == options.MODE_FRAMES:
        outcome.frames = tuple(frames)
    outcome.video_seconds = sum(seconds)
    return outcome


def _download(http: httpx.Client, url: str, kind: str, outcome: FetchedMedia) -> bytes:
    limit = _LIMITS[kind]
    left = outcome.deadline - time.monotonic()
    if left <= 0:
        raise MediaFailure("image_processing_error", f"Timed out downloading {kind}.")
    try:
        with http.stream("GET", url, timeout=min(FETCH_TIMEOUT, left)) as response:
            if response.status_code != 200:
                reason = f"HTTP {response.status_code}"
                raise MediaFailure("image_processing_error", f"Failed to download {kind} ({reason}).")
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if time.monotonic() > outcome.deadline:
                    raise MediaFailure("image_processing_error", f"Timed out downloading {kind}.")
                if len(data) > limit:
                    raise _invalid(f"The {kind} file exceeds {limit // options.MB} MB.")
    except AddressRefused as refused:
        raise MediaFailure(
            "image_processing_error", f"Failed to download {kind} from URL: the URL {refused.rule}."
        ) from None
    except httpx.HTTPError as exc:
        raise MediaFailure(
            "image_processing_error", f"Failed to download {kind} from URL ({type(exc).__name__})."
        ) from None
    outcome.fetched.append(url)
    return bytes(data)


def _shape(width: int, height: int, kind: str) -> None:
    low, high = options.IMAGE_MIN_SIDE, options.IMAGE_MAX_SIDE
    if not (low <= width <= high and low <= height <= high):
        raise _invalid(f"The {kind} size {width}x{height} is outside {low}-{high} px.")
    if not options.MEDIA_MIN_RATIO <= width / height <= options.MEDIA_MAX_RATIO:
        raise _invalid(f"The {kind} aspect ratio {width / height:.2f} is outside 0.4-2.5.")


def _image(http: httpx.Client, url: str, frames_dir: Path, outcome: FetchedMedia) -> str:
    """Check one image (measured from its header first: a picture past the contract's limits is never
    decoded); keep it under its content hash and return that path."""
    data = _download(http, url, "image", outcome)
    try:
        fmt, width, height = image_header(data)
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except ImageTooLarge as refused:
        raise _invalid(f"{refused.msg}.") from None
    except (FileRefused, UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise MediaFailure("image_processing_error", "The image could not be decoded.") from None
    if fmt not in options.IMAGE_FORMATS:
        raise _invalid(f"Unsupported image format {fmt}: use JPEG, PNG or WebP.")
    _shape(width, height, "image")
    path = frames_dir / f"{hashlib.sha256(data).hexdigest()}.{fmt.lower()}"
    if not path.exists():
        frames_dir.mkdir(parents=True, exist_ok=True)
        # a name of its own: concurrent fetches of one picture (one create's nine references, or two
        # simulators sharing the folder) must not replace each other's half-written file
        tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return str(path)


def _timed(http: httpx.Client, url: str, kind: str, outcome: FetchedMedia) -> float:
    """Check one video or audio reference; its duration in seconds."""
    data = _download(http, url, kind, outcome)
    try:
        with av.open(io.BytesIO(data)) as container:
            fmt = container.format.name
            video = container.streams.video[0] if container.streams.video else None
            seconds = container.duration / 1_000_000 if container.duration else 0.0
            size = (video.codec_context.width, video.codec_context.height) if video else (0, 0)
            fps = float(video.average_rate) if video is not None and video.average_rate else 0.0
            has_audio = bool(container.streams.audio)
    except (av.FFmpegError, OSError, ValueError):
        raise _invalid(f"The {kind} file could not be decoded.") from None
    if kind == "audio":
        if fmt not in _AUDIO_DEMUXERS or not has_audio:
            raise _invalid(f"Unsupported audio format {fmt}: use WAV or MP3.")
    else:
        _check_video(fmt, video is not None, size, fps)
    low, high = (options.AUDIO_MIN_SECONDS, options.AUDIO_MAX_SECONDS) if kind == "audio" else (
        options.VIDEO_MIN_SECONDS, options.VIDEO_MAX_SECONDS)
    if not low <= seconds <= high:
        raise _invalid(f"The {kind} lasts {seconds:.1f} s; {low:g}-{high:g} s allowed.")
    return seconds


def _check_video(fmt: str, has_video: bool, size: tuple[int, int], fps: float) -> None:
    if fmt != _VIDEO_DEMUXER or not has_video:
        raise _invalid(f"Unsupported video format {fmt}: use MP4 or MOV.")
    _shape(*size, "video")
    area = size[0] * size[1]
    if not options.VIDEO_MIN_AREA <= area <= options.VIDEO_MAX_AREA:
        raise _invalid(f"The video frame area {area} px is not supported.")
    if not options.VIDEO_MIN_FPS <= fps <= options.VIDEO_MAX_FPS:
        raise _invalid(f"The video frame rate {fps:g} fps is not supported.")
