"""The animatic: the chosen takes, in shot order, as ONE H.264/AAC MP4 at a common size and rate.

Takes whose streams already are what the animatic needs (H.264 4:2:0 at its size and rate, all with the
same decoder set-up, and one AAC format) are copied packet for packet (`splice`): no decoding, no
encoding. Title cards, and takes that differ, are then encoded with the settings that reproduce those
streams exactly (`SPLICE_CODECS`), so that they splice onto them; `remuxed` and `encoded` in the result
count the two kinds of segment. A copied take keeps its own sound format, its sound placed within half an
AAC packet (about 20 ms) of its first frame.

When no encoder of ours matches the takes, every take is decoded, each frame letterboxed onto the common
frame, and re-timed to the common fps by holding the frame shown at each output instant, so a take of D
seconds lasts round(D * fps) frames. Audio is resampled to 48 kHz stereo and cut or padded with silence to
match each segment's video exactly; title cards and takes without audio are silent.

Its length is bounded by the board's real running time: each distinct take is shown once (a shot whose
chosen take an earlier shot already shows is left out and listed in `repeated`), each lasts its video's
real duration (at most `MAX_TAKE_SECONDS`), and boards of more than `MAX_EXPORT_SHOTS` shots are refused.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from io import BytesIO
from pathlib import Path
from typing import Any

import av
from PIL import Image

from seedance_ui.media import MediaError, VideoInfo, probe
from seedance_ui.options import DURATION_MAX, QUALITIES, frame_size
from seedance_ui.simulator.render import X264_OPTIONS
from seedance_ui.storyboard.chain import out_of_date
from seedance_ui.storyboard.clips import Clip, JobInfoMap, VideoPathOf, board_clips, export_stem
from seedance_ui.storyboard.files import atomic_path
from seedance_ui.storyboard.model import Board, StoryboardError
from seedance_ui.storyboard.splice import NotSpliceable, Splicer, StreamKey, stream_key
from seedance_ui.storyboard.titlecard import render_title_card

log = logging.getLogger(__name__)

DEFAULT_FPS = 24
TITLE_CARD_SECONDS = 1.5
SAMPLE_RATE = 48_000
_AUDIO_LAYOUT = "stereo"
_AUDIO_FORMAT = "fltp"
_AUDIO_CHUNK = 1024  # AAC frame size
_AUDIO_BITS_PER_CHANNEL = 64_000
_MAX_SIDE = 4096
MAX_EXPORT_SHOTS = 100  # the most shots one review export (animatic, contact sheet, zip) takes
MAX_TAKE_SECONDS = DURATION_MAX + 1  # no take of the provider's runs longer; a longer file is cut
_PLANS_TRIED = 2  # the most common stream layouts among the takes tried for copying, most common first


@dataclass(frozen=True)
class Segment:
    """A stretch of the animatic: a title card or a shot's take."""

    kind: str  # "title" or "shot"
    number: int
    shot_id: str
    start: float  # seconds
    duration: float
    audio: bool  # the take's own sound is in it (False: silence)


@dataclass(frozen=True)
class AnimaticResult:
    """What was written: the file, its geometry and timeline, and what was left out and why."""

    path: Path
    width: int
    height: int
    fps: int
    duration: float
    has_audio: bool
    segments: tuple[Segment, ...]
    skipped: tuple[str, ...]  # ids of shots left out (no chosen take, or its video is missing/unreadable)
    warnings: tuple[str, ...]
    repeated: tuple[str, ...] = ()  # ids of shots left out: an earlier shot shows the same take
    remuxed: int = 0  # segments whose packets were copied from the take (no decode, no encode)
    encoded: int = 0  # segments encoded: title cards, and takes that could not be copied

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnimaticResult:
        """The result recorded with a reused animatic (see export_reuse)."""
        fields = dict(data, path=Path(data["path"]), segments=tuple(Segment(**s) for s in data["segments"]))
        for name in ("skipped", "warnings", "repeated"):
            fields[name] = tuple(fields.get(name) or ())
        return cls(**fields)


def check_shot_count(board: Board) -> None:
    """StoryboardError for a board with more shots than one export takes."""
    if len(board.shots) > MAX_EXPORT_SHOTS:
        raise StoryboardError(
            f"an export takes at most {MAX_EXPORT_SHOTS} shots and this board has {len(board.shots)}: "
            "split it into several boards"
        )


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def animatic_size(board: Board, source_sizes: list[tuple[int, int]]) -> tuple[int, int]:
    """The board's aspect ratio at the board's quality; for "adaptive", the largest source frame."""
    if board.aspect_ratio != "adaptive" and board.quality in QUALITIES:
        return frame_size(board.quality, board.aspect_ratio)
    if not source_sizes:
        return frame_size(QUALITIES[-1], "16:9")
    width, height = max(source_sizes, key=lambda s: s[0] * s[1])
    scale = min(1.0, _MAX_SIDE / max(width, height))
    return max(16, int(width * scale) // 2 * 2), max(16, int(height * scale) // 2 * 2)


def _fit(frame: av.VideoFrame, size: tuple[int, int], sar: Fraction | None) -> av.VideoFrame:
    """The frame scaled to fit `size` (aspect kept, pixel aspect corrected), centred on black, yuv420p."""
    width, height = size
    src_w = frame.width * (float(sar) if sar and sar > 0 else 1.0)
    scale = min(width / src_w, height / frame.height)
    w, h = min(width, _even(src_w * scale)), min(height, _even(frame.height * scale))
    if (w, h) == (width, height):
        return frame.reformat(width=width, height=height, format="yuv420p")
    canvas = Image.new("RGB", size, (0, 0, 0))
    canvas.paste(frame.to_image(width=w, height=h), ((width - w) // 2, (height - h) // 2))
    return av.VideoFrame.from_image(canvas).reformat(format="yuv420p")


@dataclass(frozen=True)
class Codec:
    """How the animatic's pictures and sound are encoded: x264's options, the sound's rate and layout."""

    x264: tuple[tuple[str, str], ...] = (("preset", "veryfast"), ("crf", "23"))
    rate: int = SAMPLE_RATE
    layout: str = _AUDIO_LAYOUT


DEFAULT_CODEC = Codec()
# Encoders tried for segments that must splice onto copied takes: ours, then the simulator's.
SPLICE_CODECS = (DEFAULT_CODEC.x264, tuple(X264_OPTIONS.items()))


def _silence(samples: int, rate: int = SAMPLE_RATE, layout: str = _AUDIO_LAYOUT) -> av.AudioFrame:
    frame = av.AudioFrame(format=_AUDIO_FORMAT, layout=layout, samples=samples)
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    frame.sample_rate = rate
    return frame


class _Encoder:
    """The output file: video frames numbered at `fps`, audio kept level with the video."""

    def __init__(self, path: Path | BytesIO, size: tuple[int, int], fps: int, audio: bool,
                 codec: Codec = DEFAULT_CODEC) -> None:
        self.fps, self.codec = fps, codec
        self.frames = 0
        self.pushed = 0  # audio samples handed to the fifo so far
        self.encoded = 0  # audio samples encoded so far
        on_disk = not isinstance(path, BytesIO)
        options = {"movflags": "+faststart"} if on_disk else {}
        self.out = av.open(str(path) if on_disk else path, "w", format="mp4", options=options)
        self.video = self.out.add_stream("libx264", rate=fps)
        self.video.width, self.video.height = size
        self.video.pix_fmt = "yuv420p"
        self.video.options = dict(codec.x264)
        self.audio: av.audio.stream.AudioStream | None = None
        if audio:
            self.audio = self.out.add_stream("aac", rate=codec.rate)
            self.audio.layout = codec.layout
            self.audio.bit_rate = _AUDIO_BITS_PER_CHANNEL * self.audio.layout.nb_channels
            self.fifo = av.AudioFifo()

    def add_video(self, frame: av.VideoFrame) -> None:
        frame.pts = self.frames
        frame.time_base = Fraction(1, self.fps)
        for packet in self.video.encode(frame):
            self.out.mux(packet)
        self.frames += 1

    def audio_target(self) -> int:
        """Samples that bring the audio level with the video written so far."""
        return round(self.frames * self.codec.rate / self.fps)

    def add_audio(self, frame: av.AudioFrame) -> None:
        frame.pts = None
        self.fifo.write(frame)
        self.pushed += frame.samples
        self._drain(final=False)

    def level_audio(self) -> None:
        """Pad with silence up to the video's length."""
        if self.audio is not None and self.audio_target() > self.pushed:
            self.add_audio(_silence(self.audio_target() - self.pushed, self.codec.rate, self.codec.layout))

    def _drain(self, *, final: bool) -> None:
        assert self.audio is not None
        while self.fifo.samples >= _AUDIO_CHUNK or (final and self.fifo.samples):
            frame = self.fifo.read(min(_AUDIO_CHUNK, self.fifo.samples))
            frame.pts = self.encoded
            frame.time_base = Fraction(1, self.codec.rate)
            self.encoded += frame.samples
            for packet in self.audio.encode(frame):
                self.out.mux(packet)

    def close(self) -> None:
        for packet in self.video.encode(None):
            self.out.mux(packet)
        if self.audio is not None:
            self.level_audio()
            self._drain(final=True)
            for packet in self.audio.encode(None):
                self.out.mux(packet)
        self.out.close()

    def abort(self) -> None:
        with contextlib.suppress(av.FFmpegError, OSError, ValueError):
            self.out.close()


def _write_take_video(enc: _Encoder, path: Path, frame_count: int, size: tuple[int, int]) -> float:
    """Write exactly `frame_count` frames of the take; returns the first frame's time (seconds)."""
    held: av.VideoFrame | None = None
    fitted: av.VideoFrame | None = None
    first: float | None = None
    written = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
        rate = float(stream.average_rate or stream.guessed_rate or enc.fps)
        try:
            for index, frame in enumerate(container.decode(stream)):
                t = float(frame.time) if frame.time is not None else index / rate
                first = t if first is None else first
                while held is not None and written < frame_count and written / enc.fps < t - first - 1e-4:
                    fitted = _fit(held, size, sar) if fitted is None else fitted
                    enc.add_video(fitted)
                    written += 1
                if written >= frame_count:
                    break
                held, fitted = frame, None
        except av.FFmpegError as exc:
            log.warning("animatic: %s is damaged after %d frames: %s", path.name, written, exc)
        if held is None:
            raise MediaError(f"{path.name} has no decodable video frames")
        while written < frame_count:
            fitted = _fit(held, size, sar) if fitted is None else fitted
            enc.add_video(fitted)
            written += 1
    return first or 0.0


def _write_take_audio(enc: _Encoder, path: Path, video_start: float, start_sample: int) -> None:
    """The take's sound from `start_sample` up to the video written so far (cut or silence-padded)."""
    wanted = enc.audio_target() - start_sample
    clip = av.AudioFifo()
    rate, layout = enc.codec.rate, enc.codec.layout
    resampler = av.AudioResampler(format=_AUDIO_FORMAT, layout=layout, rate=rate)
    skip = 0
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        first = True
        for frame in container.decode(stream):
            if first and frame.time is not None:
                offset = round((float(frame.time) - video_start) * rate)
                if offset > 0:
                    clip.write(_silence(min(offset, max(wanted, 1)), rate, layout))
                skip = max(0, -offset)
            first = False
            frame.pts = None
            for out in resampler.resample(frame):
                out.pts = None
                clip.write(out)
            if clip.samples >= wanted + skip:
                break
        for out in resampler.resample(None):
            out.pts = None
            clip.write(out)
    if skip and clip.samples:
        clip.read(min(skip, clip.samples))
    take = min(clip.samples, wanted)
    if take > 0:
        enc.add_audio(clip.read(take))


def _black(enc: _Encoder, size: tuple[int, int], frame_count: int) -> None:
    frame = av.VideoFrame.from_image(Image.new("RGB", size, (0, 0, 0))).reformat(format="yuv420p")
    for _ in range(frame_count):
        enc.add_video(frame)


def _title_card(enc: _Encoder, clip: Clip, size: tuple[int, int], seconds: float, warning: str = "") -> None:
    card = av.VideoFrame.from_image(render_title_card(size, clip.number, clip.shot.title, warning))
    card = card.reformat(format="yuv420p")
    for _ in range(max(1, round(seconds * enc.fps))):
        enc.add_video(card)
    enc.level_audio()


def _take_frames(info: VideoInfo, fps: int) -> int:
    """Frames a take lasts in the animatic: its real duration, at most MAX_TAKE_SECONDS."""
    return max(1, round(min(info.duration, MAX_TAKE_SECONDS) * fps))


def _write_shot(
    enc: _Encoder, clip: Clip, info: VideoInfo, size: tuple[int, int], warnings: list[str]
) -> Segment:
    """The take's frames (and sound, when the animatic has a track), exactly round(duration * fps) long."""
    assert clip.video is not None
    start_frame, start_sample = enc.frames, enc.pushed
    frame_count = _take_frames(info, enc.fps)
    try:
        video_start = _write_take_video(enc, clip.video, frame_count, size)
        sound = enc.audio is not None and info.has_audio
    except (MediaError, av.FFmpegError) as exc:  # nothing decodable: black keeps the timing
        _black(enc, size, frame_count - (enc.frames - start_frame))
        video_start, sound = 0.0, False
        warnings.append(f"Shot {clip.number}: {exc}; black frames instead")
    if sound:
        try:
            _write_take_audio(enc, clip.video, video_start, start_sample)
        except (av.FFmpegError, ValueError) as exc:
            sound = False
            warnings.append(f"Shot {clip.number}: its sound could not be read, silence instead ({exc})")
    enc.level_audio()
    duration = (enc.frames - start_frame) / enc.fps
    return Segment("shot", clip.number, clip.shot.id, start_frame / enc.fps, duration, sound)


def _usable(clips: list[Clip], skipped: list[str], warnings: list[str], repeated: list[str]
            ) -> list[tuple[Clip, VideoInfo]]:
    """Clips with a readable video, probed, each take once; the others go to `skipped` (no video) or
    `repeated` (an earlier clip shows the same take's video)."""
    usable = []
    shown: dict[str, int] = {}  # job id -> the number of the shot that shows it
    for clip in clips:
        if clip.video is None or clip.take is None:
            skipped.append(clip.shot.id)
            continue
        if clip.take.job_id in shown:
            repeated.append(clip.shot.id)
            first = shown[clip.take.job_id]
            warnings.append(f"Shot {clip.number}: the same take as shot {first}, shown once")
            continue
        shown[clip.take.job_id] = clip.number
        try:
            usable.append((clip, probe(clip.video)))
        except (MediaError, OSError, av.FFmpegError) as exc:
            skipped.append(clip.shot.id)
            warnings.append(f"Shot {clip.number}: the video cannot be read ({exc})")
    return usable


@dataclass
class _Build:
    """One way of writing the animatic (the geometry, sound and cards asked for) and what it wrote."""

    size: tuple[int, int]
    fps: int
    audio: bool
    card_seconds: float | None  # None: no title cards
    progress: Callable[[int], None]  # called with the frames written after each segment
    warnings: list[str]
    stale: dict[str, str]  # shot id -> why its take is out of date (printed on its title card)
    segments: list[Segment] = field(default_factory=list)
    frames: int = 0
    remuxed: int = 0
    encoded: int = 0


class _NoSplice(Exception):
    """The takes cannot be copied into one file after all: encode everything."""


@dataclass(frozen=True)
class _SplicePlan:
    """The takes' common streams, the encoder whose segments splice onto them, and a file that has them."""

    key: StreamKey
    codec: Codec
    template: Path
    keys: dict[str, StreamKey | None]  # job id -> its video's streams


def _encode_all(build: _Build, usable: list[tuple[Clip, VideoInfo]], path: Path) -> None:
    """Decode every take and encode the whole animatic (letterboxed, re-timed, resampled)."""
    enc = _Encoder(path, build.size, build.fps, build.audio)
    try:
        for clip, info in usable:
            if build.card_seconds is not None:
                start = enc.frames / build.fps
                _title_card(enc, clip, build.size, build.card_seconds, build.stale.get(clip.shot.id, ""))
                duration = enc.frames / build.fps - start
                build.segments.append(Segment("title", clip.number, clip.shot.id, start, duration, False))
                build.encoded += 1
                build.progress(enc.frames)
            build.segments.append(_write_shot(enc, clip, info, build.size, build.warnings))
            build.encoded += 1
            build.progress(enc.frames)
        enc.close()
    except BaseException:
        enc.abort()
        raise
    build.frames = enc.frames


def _fits(key: StreamKey | None, build: _Build) -> bool:
    """Whether a take's video could be copied: H.264 4:2:0 at the animatic's size and rate."""
    return key is not None and key.video.codec == "h264" and key.video.pix_fmt == "yuv420p" and (
        (key.video.width, key.video.height) == build.size and key.video.fps == build.fps)


def _matching_codec(key: StreamKey, build: _Build) -> Codec | None:
    """An encoder (of SPLICE_CODECS) whose output has exactly `key`'s streams, so that it splices."""
    for x264 in SPLICE_CODECS:
        codec = Codec(x264, key.audio.rate, key.audio.layout) if key.audio else Codec(x264)
        buffer = BytesIO()
        enc = _Encoder(buffer, build.size, build.fps, build.audio, codec)
        _black(enc, build.size, 1)
        enc.close()
        made = stream_key(buffer)
        if made is not None and made.video == key.video and (not build.audio or made.audio == key.audio):
            return codec
    return None


def _splice_plan(usable: list[tuple[Clip, VideoInfo]], build: _Build) -> _SplicePlan | None:
    """The most common copyable streams among the takes, when our encoder can match them; else None."""
    keys = {clip.take.job_id: stream_key(clip.video) for clip, _ in usable if clip.take and clip.video}
    fitting = [key for key in keys.values() if key is not None and _fits(key, build)]
    for video, _ in Counter(key.video for key in fitting).most_common(_PLANS_TRIED):
        sounds = Counter(key.audio for key in fitting if key.video == video and key.audio is not None)
        if build.audio and not sounds:
            continue
        key = StreamKey(video, sounds.most_common(1)[0][0] if build.audio else None)
        codec = _matching_codec(key, build)
        if codec is None:
            continue
        template = next(clip.video for clip, _ in usable if clip.take and clip.video
                        and (found := keys[clip.take.job_id]) is not None and found.video == video
                        and (not build.audio or found.audio == key.audio))
        return _SplicePlan(key, codec, template, keys)
    return None


def _add_encoded(splicer: Splicer, build: _Build, codec: Codec, write: Callable[[_Encoder], Any]) -> Any:
    """Encode one segment in memory with `codec` (`write` fills it) and append it; returns write's result."""
    buffer = BytesIO()
    enc = _Encoder(buffer, build.size, build.fps, build.audio, codec)
    try:
        result = write(enc)
        enc.close()
    except BaseException:
        enc.abort()
        raise
    try:
        splicer.add(buffer)
    except NotSpliceable as exc:
        raise _NoSplice(f"an encoded segment does not splice: {exc}") from exc
    build.encoded += 1
    return result


def _splice_shot(splicer: Splicer, build: _Build, plan: _SplicePlan, clip: Clip, info: VideoInfo) -> Segment:
    """The take's packets copied when its streams match; else the take encoded like the title cards."""
    assert clip.video is not None and clip.take is not None
    start = splicer.frames / build.fps
    key = plan.keys.get(clip.take.job_id)
    if key is not None and key.video == plan.key.video:
        try:
            frames = splicer.add(clip.video, _take_frames(info, build.fps))
            build.remuxed += 1
            sound = build.audio and key.audio is not None
            return Segment("shot", clip.number, clip.shot.id, start, frames / build.fps, sound)
        except NotSpliceable as exc:
            log.info("animatic: shot %d is encoded, its packets cannot be copied: %s", clip.number, exc)
    segment = _add_encoded(splicer, build, plan.codec,
                           lambda enc: _write_shot(enc, clip, info, build.size, build.warnings))
    return Segment("shot", clip.number, clip.shot.id, start, segment.duration, segment.audio)


def _splice_all(build: _Build, usable: list[tuple[Clip, VideoInfo]], path: Path, plan: _SplicePlan) -> None:
    """Copy the takes that match `plan`; encode title cards and the other takes to splice onto them."""
    splicer = Splicer(path, plan.template, plan.key, build.fps, build.audio)
    try:
        for clip, info in usable:
            if build.card_seconds is not None:
                start, seconds = splicer.frames, build.card_seconds
                _add_encoded(splicer, build, plan.codec,
                             lambda enc, c=clip, s=seconds: _title_card(enc, c, build.size, s,
                                                                        build.stale.get(c.shot.id, "")))
                duration = (splicer.frames - start) / build.fps
                build.segments.append(Segment("title", clip.number, clip.shot.id, start / build.fps, duration,
                                              False))
                build.progress(splicer.frames)
            build.segments.append(_splice_shot(splicer, build, plan, clip, info))
            build.progress(splicer.frames)
        splicer.close()
    except BaseException:
        splicer.abort()
        raise
    build.frames = splicer.frames


def _write(target: Path, usable: list[tuple[Clip, VideoInfo]], fresh: Callable[[], _Build], remux: bool
           ) -> _Build:
    """Write the animatic by copying the takes where they allow it, else by encoding everything."""
    with atomic_path(target) as tmp:
        build = fresh()
        plan = _splice_plan(usable, build) if remux else None
        if plan is not None:
            try:
                _splice_all(build, usable, tmp, plan)
                return build
            except (_NoSplice, NotSpliceable, av.FFmpegError) as exc:  # the muxer refused a packet, say
                log.warning("animatic: encoding every take instead of copying them: %s", exc)
        build = fresh()
        _encode_all(build, usable, tmp)
    return build


def export_animatic(
    board: Board,
    out_dir: Path,
    video_path_of: VideoPathOf,
    jobs: JobInfoMap | None = None,
    *,
    title_cards: bool = True,
    title_card_seconds: float = TITLE_CARD_SECONDS,
    fps: int = DEFAULT_FPS,
    size: tuple[int, int] | None = None,
    audio: bool | None = None,
    on_progress: Callable[[float, float], None] | None = None,
    remux: bool = True,
) -> AnimaticResult:
    """Write `<stem>-animatic.mp4` into `out_dir` (atomically) from the chosen takes.

    `size` defaults to `animatic_size`; `audio` None: an audio track when any take has sound.
    `remux` False encodes every take even where its packets could be copied (a baseline to compare).
    Shots without a usable chosen take are left out (listed in `skipped`).
    `on_progress(seconds_done, seconds_total)` is called after each segment (from this thread).
    """
    if not 1 <= fps <= 60:
        raise StoryboardError("fps must be between 1 and 60")
    if not 0 < title_card_seconds <= 10:
        raise StoryboardError("title cards last more than 0 and at most 10 seconds")
    check_shot_count(board)
    skipped: list[str] = []
    warnings: list[str] = []
    repeated: list[str] = []
    usable = _usable(board_clips(board, video_path_of, jobs), skipped, warnings, repeated)
    if not usable:
        raise StoryboardError("no shot has a chosen take with a video yet")
    size = size or animatic_size(board, [(info.width, info.height) for _, info in usable])
    if not all(16 <= side <= _MAX_SIDE and side % 2 == 0 for side in size):
        raise StoryboardError(f"invalid frame size {size}: even numbers from 16 to {_MAX_SIDE}")
    with_audio = any(info.has_audio for _, info in usable) if audio is None else audio
    stale = out_of_date(board)
    warnings.extend(f"Shot {clip.number}: {stale[clip.shot.id]}" for clip, _ in usable
                    if clip.shot.id in stale)

    card_seconds = max(1, round(title_card_seconds * fps)) / fps if title_cards else 0.0
    total = sum(_take_frames(info, fps) / fps + card_seconds for _, info in usable)

    def progress(frames: int) -> None:
        if on_progress is not None:
            on_progress(frames / fps, total)

    def fresh() -> _Build:
        return _Build(size, fps, with_audio, title_card_seconds if title_cards else None, progress,
                      list(warnings), stale)

    target = Path(out_dir) / f"{export_stem(board)}-animatic.mp4"
    build = _write(target, usable, fresh, remux)
    return AnimaticResult(
        path=target,
        width=size[0],
        height=size[1],
        fps=fps,
        duration=build.frames / fps,
        has_audio=with_audio,
        segments=tuple(build.segments),
        skipped=tuple(skipped),
        warnings=tuple(build.warnings),
        repeated=tuple(repeated),
        remuxed=build.remuxed,
        encoded=build.encoded,
    )
