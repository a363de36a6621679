"""Placeholder clips: a real H.264 (+ AAC) MP4 with the prompt and a clear demo label on every frame,
showing what was sent (frames.py): the given first (and last) frame, or the reference pictures.

Frames are composed directly in limited-range YCbCr planes (a sliding gradient or reference picture,
or the given frames; pre-rendered overlays pasted with their alpha; a timer drawn per frame), which
keeps a 15 s 720p clip near one second of CPU on a small machine. The prompt card and the reference
cards fade in over the first pictures and out over the last ones (the demo label and the timer bar
stay), so a clip opens on exactly the picture it was given and ends on a clean picture another clip
can continue from.
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
from seedance_ui.simulator.frames import Card, FramePictures, card_picture, cast_cards, panorama
from seedance_ui.textdraw import font_for, wrap

FPS = 8  # pictures drawn per second
# Frames per second written, as the provider's clips run (each drawn picture is held for REPEAT frames):
# a placeholder is then a valid reference video (24-60 fps), and identical frames cost x264 next to nothing.
OUTPUT_FPS = 24
REPEAT = OUTPUT_FPS // FPS
SAMPLE_RATE = 24000
# 2: prompts in Chinese, Japanese or Korean drawn with a CJK font when one is installed
# 3: text drawn through seedance_ui.textdraw (CJK line breaks, "…" without a space before it)
# 5: reference pictures drawn (cards and a panning picture), prompt card fading at both ends, the
#    shot number only when the prompt names one
RENDER_VERSION = 5
FADE_PICTURES = 3  # drawn pictures over which the prompt card fades in (and out at the end)
# x264 settings of every clip; the animatic encodes its title cards alike so that they splice onto the
# clips without re-encoding them (storyboard/animatic.py)
X264_OPTIONS = {"preset": "ultrafast", "crf": "28"}
LABEL = "DEMO PLACEHOLDER — simulated, not model output"
MAX_LABEL_CHARS = 48  # of the studio's label for a clip, drawn before the timer in the bottom bar
_TRIGGER = re.compile(r"\[sim:[^\]]*\]", re.IGNORECASE)
# "Shot 3: ...", "SHOT 12 - ...", "shot #2 ...": a prompt that opens by naming its shot (the request has no
# other field that could carry a storyboard's numbering)
_SHOT = re.compile(r"^\s*shot\s*#?\s*(\d{1,3})\b", re.IGNORECASE)
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
    cast: tuple[tuple[str, str], ...] = ()  # (tag, image path) of the reference pictures shown as cards
    label: str = ""  # what the studio said the clip is ("SHOT 2 · The climb"); else the prompt's "Shot N"

    @property
    def size(self) -> tuple[int, int]:
        return options.frame_size(self.quality, self.aspect_ratio)

    def cache_key(self) -> str:
        """A hash of the parameters and the renderer version."""
        # text clips keep their keys: a field of pictures that is empty is left out
        fields = {k: v for k, v in asdict(self).items() if k not in ("frames", "cast", "label") or v}
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


def shot_number(prompt: str) -> int | None:
    """The shot number a prompt opens with ("Shot 3: ..."), or None: a clip claims no number it was not
    given."""
    match = _SHOT.match(display_prompt(prompt))
    return int(match.group(1)) if match else None


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

    @property
    def tag_size(self) -> int:
        """The font size of a reference card's tag."""
        return max(10, int(self.unit / 34))

    def cards(self, spec: VideoSpec) -> list[Card]:
        """Where the reference cards of `spec` sit: a row above the timer bar, their tags under them."""
        bottom = self.height - self.bar - self.pad - int(self.tag_size * 1.6)
        return cast_cards(spec.cast, self.width, bottom, self.pad, self.unit)


def card_boxes(spec: VideoSpec) -> list[tuple[str, tuple[int, int, int, int]]]:
    """(tag, picture box) of each reference card in the clip of `spec` (where a test finds the pictures)."""
    return [(card.tag, card.box) for card in _Layout.of(*spec.size).cards(spec)]


def _background(spec: VideoSpec, layout: _Layout, travel: int) -> _Planes:
    """What frames slide across: the first reference picture (dimmed), or a wide three-colour gradient
    with a soft vignette at the bottom."""
    width, height = layout.width + travel, layout.height
    if spec.cast:
        return _to_planes(panorama(spec.cast[0][1], (width, height)))
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


@dataclass
class _Overlays:
    """The static layers: `chrome` (the demo label and the timer bar's backdrop, on every frame), `info`
    (the prompt card and the reference cards, which fade at both ends) and `both` (the two in one, for
    the frames in between)."""

    chrome: _Planes
    info: _Planes
    both: _Planes


def _overlays(spec: VideoSpec, layout: _Layout) -> _Overlays:
    size = (layout.width, layout.height)
    chrome = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(chrome)
    _draw_label(draw, layout)
    draw.rectangle((0, layout.height - layout.bar, layout.width, layout.height), fill=(*_BAR_RGB, 255))
    info = Image.new("RGBA", size, (0, 0, 0, 0))
    cards = layout.cards(spec)
    bottom = min((card.box[1] for card in cards), default=layout.height - layout.bar) - layout.pad
    _draw_prompt_card(ImageDraw.Draw(info), spec, layout, bottom)
    _draw_cards(info, cards, layout)
    return _Overlays(_to_planes(chrome), _to_planes(info), _to_planes(Image.alpha_composite(info, chrome)))


def _draw_cards(image: Image.Image, cards: list[Card], layout: _Layout) -> None:
    """Each reference picture in a thin light frame, its tag under it."""
    draw = ImageDraw.Draw(image)
    border = max(2, layout.unit // 240)
    font = font_for("@image", layout.tag_size, bold=True)
    for card in cards:
        left, top, right, bottom = card.box
        draw.rounded_rectangle((left - border, top - border, right + border - 1, bottom + border - 1),
                               radius=2 * border, fill=(240, 240, 240, 255))
        image.paste(card_picture(card), (left, top))
        draw.text((left, bottom + border + layout.tag_size * 0.3), card.tag, font=font,
                  fill=(*_AMBER, 255), stroke_width=max(1, border // 2), stroke_fill=(0, 0, 0, 255))


def _draw_label(draw: ImageDraw.ImageDraw, layout: _Layout) -> None:
    draw.rectangle((0, 0, layout.width, layout.banner), fill=(12, 12, 12, 235))
    size = int(layout.banner * 0.42)
    font = font_for(LABEL, size, bold=True)
    while size > 8 and font.getlength(LABEL) > layout.width - 2 * layout.pad:
        size -= 1
        font = font_for(LABEL, size, bold=True)
    draw.text((layout.width / 2, layout.banner / 2), LABEL, font=font, fill=(*_AMBER, 255), anchor="mm")


def _draw_prompt_card(draw: ImageDraw.ImageDraw, spec: VideoSpec, layout: _Layout, bottom_limit: int) -> None:
    """The prompt and the parameters in a dark card, centred between the label and `bottom_limit`."""
    size = int(layout.unit / 22)
    line_height = int(size * 1.3)
    inner = layout.width - 4 * layout.pad
    top_limit = layout.banner + layout.pad
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
    pictures = FramePictures(spec.frames, width, height) if spec.frames else None
    background = _background(spec, layout, travel) if pictures is None else None
    overlays, count = _overlays(spec, layout), spec.duration * FPS
    label = _shot_label(spec.prompt, spec.label)
    for index in range(count):
        if pictures is not None:  # the given picture instead of the sliding background
            background, travel = _to_planes(pictures.at(index, count)), 0
        assert background is not None
        frame = _frame(background, overlays, layout, (index, count, spec.duration), travel, label)
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


def _fade(index: int, count: int) -> float:
    """How opaque the prompt and reference cards are in picture `index` of `count` (0 at both ends)."""
    return min(1.0, index / FADE_PICTURES, (count - 1 - index) / FADE_PICTURES)


def _paste(y: Image.Image, cb: Image.Image, cr: Image.Image, layer: _Planes, opacity: float = 1.0) -> None:
    """`layer` pasted over the planes with its alpha (times `opacity`)."""
    mask_y, mask_c = layer.mask_y, layer.mask_c
    if opacity < 1.0 and mask_y is not None and mask_c is not None:
        mask_y, mask_c = (m.point(lambda v: int(v * opacity)) for m in (mask_y, mask_c))
    y.paste(layer.y, (0, 0), mask_y)
    cb.paste(layer.cb, (0, 0), mask_c)
    cr.paste(layer.cr, (0, 0), mask_c)


def _shot_label(prompt: str, said: str = "") -> str:
    """What the timer reads first: the studio's label for the clip (`said`: a storyboard's "SHOT 2 · The
    climb", cut to fit the bar), else the shot the prompt opens with, else nothing."""
    if said:
        said = " ".join(said.split())
        return f"{said if len(said) <= MAX_LABEL_CHARS else said[:MAX_LABEL_CHARS - 1] + '…'}   "
    number = shot_number(prompt)
    return f"SHOT {number}   " if number is not None else ""


def _frame(
    background: _Planes, overlays: _Overlays, layout: _Layout, when: tuple[int, int, int], travel: int,
    label: str,
) -> av.VideoFrame:
    """Picture `index` of `count` (`when`: index, count, seconds in all): the background's window for
    this instant, the overlays (the cards faded at both ends), the shot timer."""
    index, count, duration = when
    seconds = index / FPS
    shift = int(travel * (0.5 - 0.5 * math.cos(math.pi * seconds / duration))) // 2 * 2
    width, height = layout.width, layout.height
    half_w, half_h = (width + 1) // 2, (height + 1) // 2
    y = background.y.crop((shift, 0, shift + width, height))
    cb = background.cb.crop((shift // 2, 0, shift // 2 + half_w, half_h))
    cr = background.cr.crop((shift // 2, 0, shift // 2 + half_w, half_h))
    opacity = _fade(index, count)
    if opacity >= 1.0:
        _paste(y, cb, cr, overlays.both)
    else:
        if opacity > 0.0:
            _paste(y, cb, cr, overlays.info, opacity)
        _paste(y, cb, cr, overlays.chrome)
    _draw_timer(y, cb, cr, layout, (seconds, duration), label)
    frame = av.VideoFrame(width, height, "yuv420p")
    for plane, image in zip(frame.planes, (y, cb, cr), strict=True):
        _fill_plane(plane, image)
    return frame


def _draw_timer(
    y: Image.Image, cb: Image.Image, cr: Image.Image, layout: _Layout, time: tuple[float, int], label: str
) -> None:
    """The timer text (after `label`: the shot the prompt names, if any) and a progress bar inside the
    bottom bar; `time` is (seconds now, seconds in all)."""
    seconds, duration = time
    bar_top = layout.height - layout.bar
    text = f"{label}{seconds:05.2f} s / {duration:.2f} s"
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
