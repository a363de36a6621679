"""Video inspection, poster frames, frame strips and storyboard contact sheets (PyAV + Pillow).

No ffmpeg command line: everything decodes in-process with PyAV. Frames are picked by presentation
time: for each wanted time the decoded frame nearest to it (ties go to the earlier frame).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from PIL import Image, ImageDraw

from seedance_ui.client.media_rules import image_limit_problem, measure_image
from seedance_ui.options import MODEL_SPECS, MODELS
from seedance_ui.textdraw import Font, fit, font_for, wrap

POSTER_QUALITY = 85


class MediaError(ValueError):
    """The file is not a video we can read (corrupt, not a container, or without a video stream)."""


@dataclass(frozen=True)
class VideoInfo:
    duration: float  # seconds
    width: int
    height: int
    has_audio: bool
    fps: float


# --- opening and probing ---------------------------------------------------------------------------


def _open(path: Path) -> av.container.InputContainer:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such video: {path}")
    try:
        container = av.open(str(path), mode="r")
    except av.FFmpegError as exc:
        raise MediaError(f"cannot read {path.name}: {exc}") from exc
    if not container.streams.video:
        container.close()
        raise MediaError(f"{path.name} has no video stream")
    return container


def _fps(stream: av.video.stream.VideoStream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return float(rate)
    return 0.0


def _duration(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float:
    """Seconds of video: the stream's own duration, else the container's, else frames / fps."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    fps = _fps(stream)
    return stream.frames / fps if stream.frames and fps else 0.0


def _start_seconds(stream: av.video.stream.VideoStream) -> float:
    if stream.start_time is None or not stream.time_base:
        return 0.0
    return float(stream.start_time * stream.time_base)


def probe(path: Path) -> VideoInfo:
    """Duration, frame size, audio presence and frame rate of a video file."""
    with _open(path) as container:
        stream = container.streams.video[0]
        return VideoInfo(
            duration=round(_duration(container, stream), 3),
            width=int(stream.codec_context.width),
            height=int(stream.codec_context.height),
            has_audio=bool(container.streams.audio),
            fps=round(_fps(stream), 3),
        )


# --- frame picking ---------------------------------------------------------------------------------


def _frame_time(frame: av.VideoFrame, index: int, fps: float) -> float:
    if frame.time is not None:
        return float(frame.time)
    return index / fps if fps else float(index)


def _decode(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> Iterator:
    """Decoded frames in presentation order; stops quietly at a corrupt tail."""
    try:
        yield from container.decode(stream)
    except av.FFmpegError:
        return


def _nearest_frames(
    frames: Iterable[av.VideoFrame], targets: Sequence[float], fps: float
) -> list[av.VideoFrame]:
    """For each ascending target time, the frame whose time is nearest to it."""
    picked: list[av.VideoFrame] = []
    previous: tuple[float, av.VideoFrame] | None = None
    for index, frame in enumerate(frames):
        t = _frame_time(frame, index, fps)
        while len(picked) < len(targets) and t >= targets[len(picked)]:
            target = targets[len(picked)]
            use_previous = previous is not None and target - previous[0] <= t - target
            picked.append(previous[1] if use_previous else frame)  # type: ignore[index]
        if len(picked) == len(targets):
            return picked
        previous = (t, frame)
    if previous is None:
        raise MediaError("the video has no decodable frames")
    picked.extend(previous[1] for _ in range(len(targets) - len(picked)))
    return picked


def _display_size(frame: av.VideoFrame, stream: av.video.stream.VideoStream) -> tuple[int, int]:
    """Frame size with non-square pixels corrected (sample aspect ratio)."""
    sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
    width = frame.width * float(sar) if sar and sar > 0 else frame.width
    return max(1, round(width)), frame.height


def _scaled(size: tuple[int, int], max_width: int | None) -> tuple[int, int]:
    width, height = size
    if max_width is None or width <= max_width:
        return width, height
    return max_width, max(1, round(height * max_width / width))


def _to_image(
    frame: av.VideoFrame, stream: av.video.stream.VideoStream, max_width: int | None
) -> Image.Image:
    width, height = _scaled(_display_size(frame, stream), max_width)
    if (width, height) == (frame.width, frame.height):
        return frame.to_image()
    return frame.to_image(width=width, height=height, interpolation="AREA")


def _seek(container: av.container.InputContainer, stream: av.video.stream.VideoStream, at: float) -> None:
    """Jump to the keyframe at or before `at` seconds (stream-relative); harmless if seeking fails."""
    if at <= 0 or not stream.time_base:
        return
    offset = int(Fraction(at).limit_denominator(10**6) / stream.time_base) + (stream.start_time or 0)
    try:
        container.seek(offset, stream=stream, backward=True, any_frame=False)
    except av.FFmpegError:
        container.seek(0, stream=stream)


def _save_atomically(image: Image.Image, path: Path, fmt: str, **options: object) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            image.save(fh, fmt, **options)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def make_poster(video_path: Path, poster_path: Path, *, at: float = 0.5, max_width: int = 640) -> Path:
    """Save the frame nearest `at` seconds (clamped to the video) as a JPEG no wider than `max_width`.

    Seeks to the keyframe before `at` and decodes forward from there. The file appears atomically.
    """
    with _open(video_path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "SLICE"  # frame threading delays the first frames; slices do not
        fps = _fps(stream)
        at = min(max(0.0, at), max(0.0, _duration(container, stream)))
        _seek(container, stream, at)
        [frame] = _nearest_frames(_decode(container, stream), [_start_seconds(stream) + at], fps)
        image = _to_image(frame, stream, max_width)
    return _save_atomically(image.convert("RGB"), poster_path, "JPEG", quality=POSTER_QUALITY)


# How far before the end a last-frame decode starts: past at least one keyframe in the provider's clips.
LAST_FRAME_WINDOW = 2.0


def _last_decoded(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> Any:
    last = None
    for frame in _decode(container, stream):
        last = frame
    return last


def save_last_frame(video_path: Path, image_path: Path) -> Path:
    """Save the video's very last frame, full size, as a PNG (the first frame of a continuation).

    Seeks to the keyframe LAST_FRAME_WINDOW seconds before the end and decodes to the end (the whole
    video only when that finds nothing). The file appears atomically.
    """
    with _open(video_path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "SLICE"
        _seek(container, stream, max(0.0, _duration(container, stream) - LAST_FRAME_WINDOW))
        frame = _last_decoded(container, stream)
        if frame is None:
            container.seek(0, stream=stream)
            frame = _last_decoded(container, stream)
        if frame is None:
            raise MediaError("the video has no decodable frames")
        image = _to_image(frame, stream, None)
    return _save_atomically(image.convert("RGB"), image_path, "PNG")


def frame_times(duration: float, count: int) -> list[float]:
    """`count` evenly spaced times across `duration`: the middle of each of `count` equal parts."""
    return [duration * (i + 0.5) / count for i in range(count)]


def extract_frames(video_path: Path, count: int, *, max_width: int | None = None) -> list[Image.Image]:
    """`count` evenly spaced frames (see `frame_times`) as RGB images, in one forward decode pass."""
    if count < 0:
        raise ValueError("count must not be negative")
    if count == 0:
        return []
    with _open(video_path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        start = _start_seconds(stream)
        targets = [start + t for t in frame_times(_duration(container, stream), count)]
        frames = _nearest_frames(_decode(container, stream), targets, _fps(stream))
        return [_to_image(frame, stream, max_width) for frame in frames]


# --- thumbnails of pictures ---------------------------------------------------------------------------

_PALETTE_MODES = ("1", "P", "PA")  # resized by nearest pixel only: made small first, then converted


def thumbnail(path: Path | str, size: int) -> Image.Image | None:
    """An RGB thumbnail of a picture file, its longer side at most `size`; None when it is unreadable or
    breaks the contract's limits (measured from its header first: such a picture is never decoded).

    Decoded at a reduced scale where the format allows (JPEG's draft, Pillow's reduce), and converted
    once small: never a full-size convert."""
    if image_limit_problem("picture", measure_image(Path(path))) is not None:
        return None
    try:
        with Image.open(path) as image:
            image.draft("RGB", (size, size))  # JPEG: decoded at 1/2 to 1/8 of its size
            small: Image.Image = image
            if small.mode in _PALETTE_MODES:
                small.thumbnail((size * 4, size * 4), Image.Resampling.NEAREST)
                small = small.convert("RGBA" if "transparency" in small.info else "RGB")
            small.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
            return small.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


# --- contact sheets ------------------------------------------------------------------------------------

SHEET_WIDTH = 1600
SHEET_BACKGROUND = (24, 25, 28)
_TILE_BACKGROUND = (38, 40, 45)
_RULE = (56, 58, 64)
_TEXT = (236, 236, 238)
_MUTED = (160, 163, 170)
_ACCENT = (255, 176, 72)
_MARGIN = 32
_GAP = 10
_INFO_WIDTH = 400


@dataclass(frozen=True)
class SheetRow:
    """One shot of a storyboard: its frames and what to print beside them.

    Give `frames` directly, or a `video_path` to take `frames_per_row` evenly spaced frames from.
    Neither: the row shows empty tiles (a shot not rendered yet).
    """

    number: int
    title: str
    prompt: str
    duration: float | None = None
    model: str | None = None
    quality: str | None = None
    frames: tuple[Image.Image, ...] = field(default=(), compare=False, repr=False)
    video_path: Path | None = None
    note: str = ""  # printed in the accent colour under the shot number (e.g. a continuous cut)

    def meta_line(self) -> str:
        parts = []
        if self.duration is not None:
            parts.append(f"{self.duration:g} s")
        if self.model:
            parts.append(_model_label(self.model))
        if self.quality:
            parts.append(self.quality)
        return "  ·  ".join(parts)


def _model_label(model: str) -> str:
    spec = MODEL_SPECS.get(model)
    return MODELS.get(model) or (spec.label if spec else model)


def _row_frames(row: SheetRow, count: int, tile_width: int) -> list[Image.Image]:
    if row.frames:
        return list(row.frames)[:count]
    if row.video_path is not None:
        return extract_frames(row.video_path, count, max_width=tile_width * 2)
    return []


def _tile_height(frames: Sequence[Image.Image], tile_width: int) -> int:
    """Tile height from the frames' aspect ratio, kept between 21:9 and 4:5 (16:9 without frames)."""
    aspect = frames[0].height / frames[0].width if frames else 9 / 16
    return round(tile_width * min(max(aspect, 9 / 21), 5 / 4))


def _paste_fitted(sheet: Image.Image, frame: Image.Image, box: tuple[int, int, int, int]) -> None:
    x0, y0, x1, y1 = box
    image = frame.convert("RGB")
    image.thumbnail((x1 - x0, y1 - y0), Image.Resampling.LANCZOS)
    sheet.paste(image, (x0 + (x1 - x0 - image.width) // 2, y0 + (y1 - y0 - image.height) // 2))


_NUMBER_SIZE, _TITLE_SIZE, _META_SIZE, _BODY_SIZE, _HEADING_SIZE = 34, 24, 17, 17, 30
_PROMPT_LINES = 6
_NOT_RENDERED = "not rendered"
_LINE_GAP = 6

TextLine = tuple[str, Font, tuple[int, int, int]]


def _lines(text: str, size: int, colour: tuple[int, int, int], max_lines: int) -> list[TextLine]:
    font = font_for(text, size)
    return [(line, font, colour) for line in wrap(text, font, _INFO_WIDTH - _GAP * 2, max_lines)]


def _text_block(row: SheetRow) -> list[TextLine]:
    """The info column of a row as (text, font, colour) lines, top to bottom."""
    block = _lines(f"Shot {row.number}", _NUMBER_SIZE, _ACCENT, 1)
    if row.note:
        block += _lines(row.note, _META_SIZE, _ACCENT, 2)
    block += _lines(row.title or "Untitled", _TITLE_SIZE, _TEXT, 2)
    block += _lines(row.meta_line(), _META_SIZE, _MUTED, 1)
    block += _lines(row.prompt, _BODY_SIZE, _TEXT, _PROMPT_LINES)
    return block


def _line_height(font: Font) -> int:
    return int(font.getbbox("Ag")[3]) + _LINE_GAP


@dataclass(frozen=True)
class _RowLayout:
    text: list[TextLine]
    frames: list[Image.Image]
    tile_width: int
    tile_height: int

    @property
    def height(self) -> int:
        return max(self.tile_height, sum(_line_height(font) for _, font, _ in self.text))


def _layout_row(row: SheetRow, frames_per_row: int, width: int) -> _RowLayout:
    strip = width - 2 * _MARGIN - _INFO_WIDTH
    tile_width = (strip - _GAP * (frames_per_row - 1)) // frames_per_row
    frames = _row_frames(row, frames_per_row, tile_width)
    return _RowLayout(_text_block(row), frames, tile_width, _tile_height(frames, tile_width))


def _draw_row(sheet: Image.Image, layout: _RowLayout, top: int, frames_per_row: int) -> None:
    draw = ImageDraw.Draw(sheet)
    y = top
    for text, font, colour in layout.text:
        draw.text((_MARGIN, y), text, font=font, fill=colour)
        y += _line_height(font)
    x = _MARGIN + _INFO_WIDTH
    for i in range(frames_per_row):
        box = (x, top, x + layout.tile_width, top + layout.tile_height)
        draw.rectangle(box, fill=_TILE_BACKGROUND)
        if i < len(layout.frames):
            _paste_fitted(sheet, layout.frames[i], box)
        elif i == 0:
            centre = ((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)
            font = font_for(_NOT_RENDERED, _META_SIZE)
            draw.text(centre, _NOT_RENDERED, font=font, fill=_MUTED, anchor="mm")
        x += layout.tile_width + _GAP


def _draw_header(sheet: Image.Image, rows: Sequence[SheetRow], title: str) -> None:
    draw = ImageDraw.Draw(sheet)
    heading = font_for(title, _HEADING_SIZE)
    total = sum(r.duration or 0 for r in rows)
    summary = f"{len(rows)} shot{'s' if len(rows) != 1 else ''}" + (f"  ·  {total:g} s" if total else "")
    draw.text((_MARGIN, _MARGIN), fit(title, heading, sheet.width * 2 // 3), font=heading, fill=_TEXT)
    meta = font_for(summary, _META_SIZE)
    draw.text((sheet.width - _MARGIN, _MARGIN + 8), summary, font=meta, fill=_MUTED, anchor="ra")


_HEADER_HEIGHT = 72
_STRIP_THUMB = 120


def cast_strip(items: Sequence[tuple[Image.Image, str]], width: int = SHEET_WIDTH) -> Image.Image:
    """A band of named pictures (a board's cast), in the contact sheet's colours, to print once."""
    label_font = font_for("Cast", _META_SIZE)
    per_row = max(1, (width - 2 * _MARGIN) // (_STRIP_THUMB + 2 * _GAP + 60))
    cell = (width - 2 * _MARGIN) // per_row
    rows = (len(items) + per_row - 1) // per_row
    line = _line_height(label_font)
    height = _MARGIN + line + rows * (_STRIP_THUMB + 2 * line + _GAP)
    band = Image.new("RGB", (width, height), SHEET_BACKGROUND)
    draw = ImageDraw.Draw(band)
    draw.text((_MARGIN, _MARGIN // 2), "Cast and looks", font=label_font, fill=_ACCENT)
    for i, (image, name) in enumerate(items):
        x = _MARGIN + (i % per_row) * cell
        y = _MARGIN // 2 + line + (i // per_row) * (_STRIP_THUMB + 2 * line + _GAP)
        box = (x, y, x + _STRIP_THUMB, y + _STRIP_THUMB)
        draw.rectangle(box, fill=_TILE_BACKGROUND)
        _paste_fitted(band, image, box)
        font = font_for(name, _META_SIZE)
        draw.text((x, y + _STRIP_THUMB + 4), fit(name, font, cell - _GAP), font=font, fill=_TEXT)
    draw.line((_MARGIN, height - 2, width - _MARGIN, height - 2), fill=_RULE, width=1)
    return band


def _stacked(band: Image.Image, sheet: Image.Image) -> Image.Image:
    """`band` above `sheet` (same width), in memory (a written sheet is never read back)."""
    out = Image.new("RGB", (sheet.width, band.height + sheet.height), SHEET_BACKGROUND)
    out.paste(band, (0, 0))
    out.paste(sheet, (0, band.height))
    return out


def contact_sheet(
    rows: Sequence[SheetRow],
    out_path: Path,
    *,
    title: str | None = None,
    frames_per_row: int = 4,
    width: int = SHEET_WIDTH,
    band: Image.Image | None = None,
) -> Path:
    """Render a storyboard as a PNG: a row per shot (info column, then `frames_per_row` frames).

    Rows are `_MARGIN * 2` apart with a thin rule between them; an optional title band on top, and
    above everything an optional `band` of the sheet's width (`cast_strip`).
    The file appears atomically; returns `out_path`.
    """
    if not 1 <= frames_per_row <= 8:
        raise ValueError("frames_per_row must be between 1 and 8")
    layouts = [_layout_row(row, frames_per_row, width) for row in rows]
    header = _HEADER_HEIGHT if title is not None else 0
    body = sum(layout.height for layout in layouts) + 2 * _MARGIN * max(0, len(layouts) - 1)
    sheet = Image.new("RGB", (width, header + 2 * _MARGIN + body), SHEET_BACKGROUND)
    if title is not None:
        _draw_header(sheet, rows, title)
    draw = ImageDraw.Draw(sheet)
    top = header + _MARGIN
    for index, layout in enumerate(layouts):
        if index:
            draw.line((_MARGIN, top - _MARGIN, width - _MARGIN, top - _MARGIN), fill=_RULE, width=1)
        _draw_row(sheet, layout, top, frames_per_row)
        top += layout.height + 2 * _MARGIN
    return _save_atomically(_stacked(band, sheet) if band is not None else sheet, out_path, "PNG")
