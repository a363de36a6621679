"""What the provider does with media URLs after a create: fetch each one, measure it, keep the frames.

A URL that cannot be fetched or a file that breaks a rule fails the task (never the create call),
with the failure codes of CONTRACT-MODES.md section 7, its reason in plain words. Fetched pictures are
kept, by content hash, for the placeholder clip to draw what was sent: a frames request's first (and
last) frame; a references request's pictures as its cast, except those the prompt gives a role ("@image1
as the first frame": the clip starts on it; "continue @video1": it starts on that clip's last frame),
and a still of each other reference video. Like the provider's servers, the simulator fetches only from
public addresses (every redirect hop checked, the name resolved once: `seedance_ui.addresses`), except
from the origins it trusts: its own (the file URLs it hands out) and those it is told to.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import av
import httpx
from PIL import Image, UnidentifiedImageError

from seedance_ui import options
from seedance_ui.addresses import AddressRefused, PublicTransport, Trusted, transport_reason
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
LAST_STILL_WINDOW = 1.5  # seconds before a video's end to seek to when taking its last frame
# Roles a prompt gives its inputs (CONTRACT-MODES.md section 3): "@image1 as the first frame",
# "continue @video1 ..." (the storyboard's own lines say exactly these: storyboard/validation.py)
_FRAME_ROLE = re.compile(r"@image(\d+)\s+as\s+the\s+(first|last)\s+frame", re.IGNORECASE)
_CONTINUES = re.compile(r"\b(?:continu(?:e|es|ing)|extend(?:s|ing)?)\s+@video(\d+)", re.IGNORECASE)
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

    frames: tuple[str, ...] = ()  # what the clip starts (and ends) on
    cast: tuple[tuple[str, str], ...] = ()  # (tag, picture) of the other references, in request order
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
            videos = [_timed(http, url, "video", outcome) for url in params.video_urls]
            audio = [_timed(http, url, "audio", outcome)[0] for url in params.audio_urls]
    except MediaFailure as failure:
        outcome.failure = failure
        return outcome
    seconds = [length for length, _ in videos]
    for total, limit, kind in ((seconds, options.VIDEO_TOTAL_SECONDS, "video"),
                               (audio, options.AUDIO_TOTAL_SECONDS, "audio")):
        if sum(total) > limit:
            outcome.failure = _invalid(f"The reference {kind}s last more than {limit:g} seconds together.")
            return outcome
    spec = options.MODEL_SPECS.get(params.model)
    if spec is not None and spec.mode == options.MODE_FRAMES:
        outcome.frames = tuple(frames)
    elif spec is not None and spec.mode == options.MODE_REFERENCES:
        outcome.frames, outcome.cast = _roles(params.prompt, frames, [data for _, data in videos], frames_dir)
    outcome.video_seconds = sum(seconds)
    return outcome


def _roles(
    prompt: str, images: list[str], videos: list[bytes], frames_dir: Path
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """(what the clip starts and ends on, the cast) of a references request, from the roles its prompt
    gives: an image named as the first (last) frame, or a video it continues (its last frame first)."""
    roles = {m.group(2).lower(): int(m.group(1)) - 1 for m in _FRAME_ROLE.finditer(prompt)
             if 0 < int(m.group(1)) <= len(images)}
    continued = next((int(m.group(1)) - 1 for m in _CONTINUES.finditer(prompt)
                      if 0 < int(m.group(1)) <= len(videos)), None)
    start = [images[roles["first"]]] if "first" in roles else []
    if not start and continued is not None:
        start = [p for p in (_still(videos[continued], frames_dir, last=True),) if p]
    if not start:  # a last frame alone has nothing to come from: it stays in the cast
        roles.pop("last", None)
    if "last" in roles:
        start.append(images[roles["last"]])
    cast = [(f"@image{i}", path) for i, path in enumerate(images, 1) if i - 1 not in roles.values()]
    for i, data in enumerate(videos, 1):
        still = _still(data, frames_dir, last=False) if i - 1 != continued else None
        cast += [(f"@video{i}", still)] if still else []
    return tuple(start), tuple(cast)


def _still(data: bytes, frames_dir: Path, *, last: bool) -> str | None:
    """A video's first or last frame as a PNG kept under the video's content hash (None: undecodable)."""
    path = frames_dir / f"{hashlib.sha256(data).hexdigest()}-{'last' if last else 'first'}.png"
    if path.exists():
        return str(path)
    picture = None
    try:
        with av.open(io.BytesIO(data)) as container:
            stream = container.streams.video[0]
            if last and container.duration:
                container.seek(max(0, container.duration - int(LAST_STILL_WINDOW * 1_000_000)))
            for frame in container.decode(stream):
                picture = frame
                if not last:
                    break
    except (av.FFmpegError, OSError, ValueError, IndexError):
        return None
    if picture is None:
        return None
    buffer = io.BytesIO()
    picture.to_image().save(buffer, format="PNG")
    _keep(path, buffer.getvalue())
    return str(path)


def _keep(path: Path, data: bytes) -> None:
    """Write `data` to `path` unless it is there (a name of its own while writing: concurrent fetches of
    one picture, one create's nine references or two simulators sharing the folder, must not replace
    each other's half-written file)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


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
            "image_processing_error", f"Failed to download {kind} from URL: {transport_reason(exc)}."
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
    _keep(path, data)
    return str(path)


def _timed(http: httpx.Client, url: str, kind: str, outcome: FetchedMedia) -> tuple[float, bytes]:
    """Check one video or audio reference; its duration in seconds and its bytes."""
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
    return seconds, data


def _check_video(fmt: str, has_video: bool, size: tuple[int, int], fps: float) -> None:
    if fmt != _VIDEO_DEMUXER or not has_video:
        raise _invalid(f"Unsupported video format {fmt}: use MP4 or MOV.")
    _shape(*size, "video")
    area = size[0] * size[1]
    if not options.VIDEO_MIN_AREA <= area <= options.VIDEO_MAX_AREA:
        raise _invalid(f"The video frame area {area} px is not supported.")
    if not options.VIDEO_MIN_FPS <= fps <= options.VIDEO_MAX_FPS:
        raise _invalid(f"The video frame rate {fps:g} fps is not supported.")
