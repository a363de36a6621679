"""Placeholder clips: a real H.264 (+ AAC) MP4 with the prompt and a clear demo label on every frame.

Frames are composed directly in limited-range YCbCr planes (a sliding gradient, a pre-rendered
overlay pasted with its alpha, a timer drawn per frame), which keeps a 15 s 720p clip near one
second of CPU on a small machine.
"""

from __future__ import annotations

import array
import hashlib
import json
import math
import os
import re
import threading
from dataclasses import asdict, dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import av
from PIL import Image, ImageDraw

from seedance_ui import options
from seedance_ui.simulator.frames import FramePictures
from seedance_ui.textdraw import font_for, wrap

FPS = 8  # pictures drawn per second
# Frames per second written, as the provider's clips run (each drawn picture is held for REPEAT frames):
# a placeholder is then a valid reference video (24-60 fps), and identical frames cost x264 next to nothing.
OUTPUT_FPS = 24
REPEAT = OUTPUT_FPS // FPS
SAMPLE_RATE = 24000
# 2: prompts in Chinese, Japanese or Korean drawn with a CJK font when one is installed
# 3: text drawn through seedance_ui.textdraw (CJK line breaks, "…" without a space before it)
RENDER_VERSION = 4
# x264 settings of every clip; the animatic encodes its title cards alike so that they splice onto the
# clips without re-encoding them (storyboard/animatic.py)
X264_OPTIONS = {"preset": "ultrafast", "crf": "28"}
LABEL = "DEMO PLACEHOLDER — simulated, not model output"
_TRIGGER = re.compile(r"\[sim:[^\]]*\]", re.IGNORECASE)
_PALETTES = (
    ((32, 26, 84), (18, 110, 130), (226, 122, 72)),
    ((20, 40, 90), (110, 48, 140), (240, 160, 90)),
    ((14, 60, 60), (40, 130, 100), (220, 200, 110)),
    ((60, 20, 60), (170, 60, 90), (250, 180, 120)),
)
_AMBER = (255, 196, 0)
_PROMPT_HEADING = "PROMPT"
_BAR_RGB = (18, 18, 18)


@dataclass(frozen=True)
class VideoSpec:
    """What a placeholder clip shows; equal specs render identical files."""

    prompt: str
    duration: int = options.DEFAULT_DURATION
    quality: str = options.DEFAULT_QUALITY
    aspect_ratio: str = options.DEFAULT_ASPECT_RATIO
    generate_audio: bool = options.DEFAULT_GENERATE_AUDIO
    model: str = options.DEFAULT_MODEL
    frames: tuple[str, ...] = ()  # first (and last) frame images: drawn behind the overlay (frames.py)

    @property
    def size(self) -> tuple[int, int]:
        return options.frame_size(self.quality, self.aspect_ratio)

    def cache_key(self) -> str:
        """A hash of the parameters and the renderer version."""
        fields = {k: v for k, v in asdict(self).items() if k != "frames" or v}  # text clips keep their keys
        blob = json.dumps({**fields, "v": RENDER_VERSION}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]


class VideoCache:
    """Renders each spec once into `directory`; concurrent requests for one spec wait for one render."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def path_for(self, spec: VideoSpec) -> Path:
        return self.directory / f"{spec.cache_key()}.mp4"

    def get(self, spec: VideoSpec) -> Path:
        """The rendered file for `spec`, rendering it first if needed."""
        path = self.path_for(spec)
        if path.exists():
            return path
        with self._lock_for(spec.cache_key()):
            if not path.exists():
                render_video(spec, path)
        return path

    def _lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


def render_video(spec: VideoSpec, path: Path) -> Path:
    """Write the placeholder MP4 for `spec` to `path` atomically (faststart, yuv420p, 24 fps from 8
    drawn pictures a second)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as container:
            _write_streams(container, spec)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


# ---------------------------------------------------------------- planes


@dataclass
class _Planes:
    """A picture as limited-range Y, Cb, Cr planes (chroma at half resolution) and masks."""

    y: Image.Image
    cb: Image.Image
    cr: Image.Image
    mask_y: Image.Image | None = None
    mask_c: Image.Image | None = None


_Y_LUT = [16 + round(v * 219 / 255) for v in range(256)]
_C_LUT = [16 + round(v * 224 / 255) for v in range(256)]


def _to_planes(image: Image.Image) -> _Planes:
    """Split an RGB or RGBA image into limited-range YCbCr planes (alpha becomes the masks)."""
    y, cb, cr = image.convert("RGB").convert("YCbCr").split()
    half = ((image.width + 1) // 2, (image.height + 1) // 2)
    planes = _Planes(
        y.point(_Y_LUT),
        cb.resize(half, Image.Resampling.BOX).point(_C_LUT),
        cr.resize(half, Image.Resampling.BOX).point(_C_LUT),
    )
    if image.mode == "RGBA":
        alpha = image.getchannel("A")
        planes.mask_y, planes.mask_c = alpha, alpha.resize(half, Image.Resampling.BOX)
    return planes


def _ycc(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """Limited-range Y, Cb, Cr of one colour."""
    y, cb, cr = Image.new("RGB", (1, 1), rgb).convert("YCbCr").getpixel((0, 0))  # type: ignore[misc]
    return _Y_LUT[y], _C_LUT[cb], _C_LUT[cr]


def _fill_plane(plane: av.video.plane.VideoPlane, image: Image.Image) -> None:
    """Copy an L image into a frame plane, padding rows to the plane's line size."""
    if plane.line_size != image.width:
        padded = Image.new("L", (plane.line_size, image.height))
        padded.paste(image)
        image = padded
    plane.update(image.tobytes())


# ---------------------------------------------------------------- layout


def display_prompt(prompt: str) -> str:
    """The prompt as drawn: simulator triggers removed, whitespace collapsed."""
    text = " ".join(_TRIGGER.sub(" ", prompt).split())
    return text or "(empty prompt)"


@dataclass(frozen=True)
class _Layout:
    width: int
    height: int
    unit: int  # the short side; sizes scale with it
    banner: int  # height of the top label strip
    bar: int  # height of the bottom timer bar
    pad: int

    @classmethod
    def of(cls, width: int, height: int) -> _Layout:
        unit = min(width, height)
        return cls(width, height, unit, int(unit * 0.09), int(unit * 0.11), int(unit * 0.05))


def _background(spec: VideoSpec, layout: _Layout, travel: int) -> _Planes:
    """A wide three-colour gradient with a soft vignette at the bottom; frames slide across it."""
    width, height = layout.width + travel, layout.height
    left, middle, right = _PALETTES[int(spec.cache_key(), 16) % len(_PALETTES)]
    ramp = Image.linear_gradient("L").rotate(90).resize((width, height))
    first = Image.composite(
        Image.new("RGB", (width, height), left),
        Image.new("RGB", (width, height), middle),
        ramp.point(lambda v: max(0, 255 - 2 * (255 - v))),
    )
    second = Image.composite(
        Image.new("RGB", (width, height), middle),
        Image.new("RGB", (width, height), right),
        ramp.point(lambda v: min(255, 2 * v)),
    )
    blend = Image.composite(first, second, ramp.point(lambda v: 255 if v > 127 else 0))
    shade = Image.linear_gradient("L").resize((width, height)).point(lambda v: int(v * 0.45))
    return _to_planes(Image.composite(Image.new("RGB", (width, height), (0, 0, 0)), blend, shade))


def _overlay(spec: VideoSpec, layout: _Layout) -> _Planes:
    """The static layer: label strip, prompt card, parameters and the timer bar's backdrop."""
    image = Image.new("RGBA", (layout.width, layout.height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    _draw_label(draw, layout)
    _draw_prompt_card(draw, spec, layout)
    draw.rectangle((0, layout.height - layout.bar, layout.width, layout.height), fill=(*_BAR_RGB, 255))
    return _to_planes(image)


def _draw_label(draw: ImageDraw.ImageDraw, layout: _Layout) -> None:
    draw.rectangle((0, 0, layout.width, layout.banner), fill=(12, 12, 12, 235))
    size = int(layout.banner * 0.42)
    font = font_for(LABEL, size, bold=True)
    while size > 8 and font.getlength(LABEL) > layout.width - 2 * layout.pad:
        size -= 1
        font = font_for(LABEL, size, bold=True)
    draw.text((layout.width / 2, layout.banner / 2), LABEL, font=font, fill=(*_AMBER, 255), anchor="mm")


def _draw_prompt_card(draw: ImageDraw.ImageDraw, spec: VideoSpec, layout: _Layout) -> None:
    size = int(layout.unit / 22)
    line_height = int(size * 1.3)
    inner = layout.width - 4 * layout.pad
    top_limit, bottom_limit = layout.banner + layout.pad, layout.height - layout.bar - layout.pad
    caption = (
        f"{spec.model} · {spec.quality} · {spec.aspect_ratio} · {spec.duration} s · "
        f"audio {'on' if spec.generate_audio else 'off'}"
    )
    small = font_for(caption + _PROMPT_HEADING, int(layout.unit / 34))
    caption_lines = wrap(caption, small, inner, 2)
    room = bottom_limit - top_limit - 2 * layout.pad - int(small.size * 1.4) * (len(caption_lines) + 1)
    prompt = display_prompt(spec.prompt)
    font = font_for(prompt, size)
    lines = wrap(prompt, font, inner, max(1, room // line_height))
    height = 2 * layout.pad + line_height * len(lines) + int(small.size * 1.4) * (len(caption_lines) + 1)
    top = max(top_limit, (top_limit + bottom_limit - height) // 2)
    box = (layout.pad, top, layout.width - layout.pad, min(bottom_limit, top + height))
    draw.rounded_rectangle(box, radius=layout.pad // 2, fill=(0, 0, 0, 150))
    x, y = 2 * layout.pad, top + layout.pad
    draw.text((x, y), _PROMPT_HEADING, font=small, fill=(*_AMBER, 255))
    y += int(small.size * 1.4)
    for line in lines:
        draw.text((x, y), line, font=font, fill=(255, 255, 255, 255))
        y += line_height
    for line in caption_lines:
        draw.text((x, y), line, font=small, fill=(200, 200, 200, 255))
        y += int(small.size * 1.4)


# ---------------------------------------------------------------- encoding


def _write_streams(container: av.container.OutputContainer, spec: VideoSpec) -> None:
    """Encode all frames (and one second of audio per second of video, interleaved)."""
    width, height = spec.size
    layout = _Layout.of(width, height)
    video = _add_video_stream(container, width, height)
    audio = _add_audio_stream(container) if spec.generate_audio else None
    travel = (width // 3) // 2 * 2
    background, overlay = _background(spec, layout, travel), _overlay(spec, layout)
    pictures = FramePictures(spec.frames, width, height) if spec.frames else None
    for index in range(spec.duration * FPS):
        if pictures is not None:  # the visitor's own picture instead of the sliding gradient
            background, travel = _to_planes(pictures.at(index, spec.duration * FPS)), 0
        frame = _frame(background, overlay, layout, spec.duration, index, travel)
        for copy in range(REPEAT):
            frame.pts = index * REPEAT + copy
            container.mux(video.encode(frame))
        if audio is not None and index % FPS == 0:
            _write_audio_second(container, audio, index // FPS)
    container.mux(video.encode(None))
    if audio is not None:
        container.mux(audio.encode(None))


def _add_video_stream(container: av.container.OutputContainer, width: int, height: int) -> av.VideoStream:
    stream = container.add_stream("libx264", rate=OUTPUT_FPS)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.time_base = Fraction(1, OUTPUT_FPS)
    stream.options = dict(X264_OPTIONS)
    return stream


def _add_audio_stream(container: av.container.OutputContainer) -> av.AudioStream:
    stream = container.add_stream("aac", rate=SAMPLE_RATE)
    stream.layout = "mono"
    stream.options = {"aac_coder": "fast"}
    return stream


def _frame(
    background: _Planes, overlay: _Planes, layout: _Layout, duration: int, index: int, travel: int
) -> av.VideoFrame:
    """Frame `index`: the gradient window for this instant, the overlay, the shot timer."""
    seconds = index / FPS
    shift = int(travel * (0.5 - 0.5 * math.cos(math.pi * seconds / duration))) // 2 * 2
    width, height = layout.width, layout.height
    half_w, half_h = (width + 1) // 2, (height + 1) // 2
    y = background.y.crop((shift, 0, shift + width, height))
    cb = background.cb.crop((shift // 2, 0, shift // 2 + half_w, half_h))
    cr = background.cr.crop((shift // 2, 0, shift // 2 + half_w, half_h))
    y.paste(overlay.y, (0, 0), overlay.mask_y)
    cb.paste(overlay.cb, (0, 0), overlay.mask_c)
    cr.paste(overlay.cr, (0, 0), overlay.mask_c)
    _draw_timer(y, cb, cr, layout, seconds, duration)
    frame = av.VideoFrame(width, height, "yuv420p")
    for plane, image in zip(frame.planes, (y, cb, cr), strict=True):
        _fill_plane(plane, image)
    return frame


def _draw_timer(
    y: Image.Image, cb: Image.Image, cr: Image.Image, layout: _Layout, seconds: float, duration: int
) -> None:
    """Shot timer text and a progress bar inside the bottom bar."""
    bar_top = layout.height - layout.bar
    text = f"SHOT 1   {seconds:05.2f} s / {duration:.2f} s"
    font = font_for(text, int(layout.bar * 0.4))
    ImageDraw.Draw(y).text((layout.pad, bar_top + layout.bar * 0.55), text, font=font, fill=235, anchor="lm")
    thickness = max(4, layout.bar // 12) // 2 * 2
    filled = int(layout.width * min(1.0, (seconds + 1 / FPS) / duration)) // 2 * 2
    amber = _ycc(_AMBER)
    ImageDraw.Draw(y).rectangle((0, bar_top, filled - 1, bar_top + thickness - 1), fill=amber[0])
    for plane, value in ((cb, amber[1]), (cr, amber[2])):
        box = (0, bar_top // 2, filled // 2 - 1, (bar_top + thickness) // 2 - 1)
        ImageDraw.Draw(plane).rectangle(box, fill=value)


def _write_audio_second(container: av.container.OutputContainer, stream: av.AudioStream, second: int) -> None:
    """Second number `second` of a soft two-tone chord (240 Hz + 360 Hz); whole cycles fit a second."""
    frame = av.AudioFrame(format="flt", layout="mono", samples=SAMPLE_RATE)
    frame.planes[0].update(_tone_second().ljust(frame.planes[0].buffer_size, b"\0"))
    frame.sample_rate, frame.time_base = SAMPLE_RATE, Fraction(1, SAMPLE_RATE)
    frame.pts = second * SAMPLE_RATE
    container.mux(stream.encode(frame))


@lru_cache(maxsize=1)
def _tone_second() -> bytes:
    """One second of the chord as float32 samples (120 whole periods, so seconds join seamlessly)."""
    period = SAMPLE_RATE // 120
    samples = (
        0.09 * math.sin(2 * math.pi * 240 * k / SAMPLE_RATE)
        + 0.06 * math.sin(2 * math.pi * 360 * k / SAMPLE_RATE)
        for k in range(period)
    )
    return array.array("f", samples).tobytes() * 120
