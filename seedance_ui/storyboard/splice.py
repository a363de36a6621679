"""One MP4 from several, by copying their packets: no decoding, no encoding.

Files splice when their streams share a codec, frame size, pixel format, frame rate and decoder set-up
(the extradata: H.264's SPS/PPS, AAC's AudioSpecificConfig), so that the one sample description an MP4
track has fits every one of them: `StreamKey` says that, `Splicer` appends.

Video keeps its frames exactly: a file of N frames at `fps` lasts N frames from where the one before it
ended (a longer one is cut, when its frames are not reordered). AAC packets cannot be cut, so audio is laid
packet after packet: each file's sound is placed so that its first real sample (after the encoder's
priming) lands within half a packet of its first frame, the tail of the file before it giving way, and
gaps (a file without sound, or with less sound than picture) are filled with silent packets.
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from io import BytesIO
from pathlib import Path

import av

Source = Path | BytesIO
AAC_FRAME = 1024  # samples per AAC-LC packet


class NotSpliceable(ValueError):
    """This file's packets cannot be appended; nothing of it was written."""


@dataclass(frozen=True)
class VideoKey:
    codec: str
    width: int
    height: int
    pix_fmt: str
    fps: Fraction
    extradata: bytes


@dataclass(frozen=True)
class AudioKey:
    codec: str
    profile: str
    rate: int
    layout: str
    extradata: bytes


@dataclass(frozen=True)
class StreamKey:
    """What must be equal for two files' streams to share an MP4 track."""

    video: VideoKey
    audio: AudioKey | None  # None: the file has no sound


def _key_of(container: av.container.InputContainer) -> StreamKey:
    if not container.streams.video:
        raise NotSpliceable("no video stream")
    v = container.streams.video[0]
    ctx = v.codec_context
    video = VideoKey(ctx.name, ctx.width, ctx.height, str(ctx.pix_fmt), Fraction(v.average_rate or 0),
                     bytes(ctx.extradata or b""))
    audio = None
    if container.streams.audio:
        a = container.streams.audio[0].codec_context
        audio = AudioKey(a.name, str(a.profile), a.sample_rate, a.layout.name, bytes(a.extradata or b""))
    return StreamKey(video, audio)


def _open(source: Source) -> av.container.InputContainer:
    if isinstance(source, BytesIO):
        source.seek(0)
        return av.open(source, "r", format="mp4")
    return av.open(str(source))


def stream_key(source: Source) -> StreamKey | None:
    """The file's key; None when it cannot be read."""
    try:
        with _open(source) as container:
            return _key_of(container)
    except (av.FFmpegError, OSError, NotSpliceable):
        return None


def _silent_packet(key: AudioKey) -> bytes:
    """One AAC packet of silence in `key`'s rate and layout (past the encoder's start-up)."""
    ctx = av.CodecContext.create("aac", "w")
    ctx.sample_rate, ctx.layout, ctx.format = key.rate, key.layout, "fltp"
    packets = []
    for index in range(3):
        frame = av.AudioFrame(format="fltp", layout=key.layout, samples=AAC_FRAME)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate, frame.pts = key.rate, index * AAC_FRAME
        packets += ctx.encode(frame)
    packets += ctx.encode(None)
    return bytes(packets[-1])


def _whole(value: Fraction, what: str) -> int:
    if value.denominator != 1:
        raise NotSpliceable(f"{what} off the frame grid")
    return int(value)


@dataclass
class _Piece:
    """One file's packets, re-timed: video in frames from the piece's start, audio as an offset."""

    start: int  # the piece's first frame in the output
    video: list[tuple[av.Packet, int, int]]  # packet, pts and dts in frames from `start`
    audio: list[av.Packet] = field(default_factory=list)
    offset: int = 0  # samples from the piece's first frame to its first audio packet (<0: priming)


class Splicer:
    """The output MP4: its tracks copied from `template`'s, then the files appended one by one."""

    def __init__(self, path: Path, template: Path, key: StreamKey, fps: int, audio: bool) -> None:
        if audio and key.audio is None:
            raise NotSpliceable("the template has no sound")
        self.key, self.fps = key, fps
        self.frames = 0  # frames appended so far
        self._template = av.open(str(template))
        self.out = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
        self.video = self.out.add_stream_from_template(self._template.streams.video[0])
        self.audio = self.out.add_stream_from_template(self._template.streams.audio[0]) if audio else None
        self._silence = _silent_packet(key.audio) if audio and key.audio else b""
        self._samples: int | None = None  # where the next audio packet goes (samples)
        self._last_dts: int | None = None  # the last video dts accepted (frames)
        self._pending: _Piece | None = None  # the last piece: its audio tail waits for the next piece

    @property
    def rate(self) -> int:
        return self.key.audio.rate if self.key.audio else 0

    def add(self, source: Source, frame_count: int | None = None) -> int:
        """Append the file (its first `frame_count` frames); returns the frames appended.

        NotSpliceable when its streams differ from the key or its packets do not fit (nothing written)."""
        try:
            with _open(source) as container:
                piece = self._read(container, frame_count)
        except av.FFmpegError as exc:
            raise NotSpliceable(f"unreadable: {exc}") from exc
        if self._pending is not None:
            self._flush(self._pending, until=self._first_sample(piece))
        self._pending = piece
        self.frames += len(piece.video)
        return len(piece.video)

    def _read(self, container: av.container.InputContainer, frame_count: int | None) -> _Piece:
        key = _key_of(container)
        if key.video != self.key.video:
            raise NotSpliceable("its video differs")
        with_audio = self.audio is not None and key.audio is not None
        if with_audio and key.audio != self.key.audio:
            raise NotSpliceable("its sound differs")
        v = container.streams.video[0]
        streams = [v, container.streams.audio[0]] if with_audio else [v]
        video, audio = [], []
        for packet in container.demux(streams):
            if packet.size and packet.pts is not None and packet.dts is not None:
                (video if packet.stream.type == "video" else audio).append(packet)
        piece = _Piece(self.frames, self._timed(video, v, frame_count))
        if audio:
            base = min(p.pts for p in video) * v.time_base
            piece.audio = audio
            piece.offset = round((audio[0].pts * audio[0].time_base - base) * self.rate)
        return piece

    def _timed(self, packets: list[av.Packet], stream: av.VideoStream, frame_count: int | None
               ) -> list[tuple[av.Packet, int, int]]:
        """Each packet with its pts and dts in frames from the first frame; checks the frames fit."""
        if not packets or not packets[0].is_keyframe:
            raise NotSpliceable("it does not start on a keyframe")
        base = min(p.pts for p in packets)
        scale = stream.time_base * self.fps
        timed = [(p, _whole((p.pts - base) * scale, "a frame"), _whole((p.dts - base) * scale, "a frame"))
                 for p in packets]
        if sorted(pts for _, pts, _ in timed) != list(range(len(timed))):
            raise NotSpliceable("its frames are not one per frame interval")
        dts = [d for _, _, d in timed]
        if any(b <= a for a, b in itertools.pairwise(dts)):
            raise NotSpliceable("its decoding times do not increase")
        if self._last_dts is not None and self.frames + dts[0] <= self._last_dts:
            raise NotSpliceable("its frames are reordered deeper than the file before it")
        if frame_count is not None and frame_count != len(timed):
            if frame_count > len(timed) or any(pts != d - dts[0] for _, pts, d in timed):
                raise NotSpliceable(f"{len(timed)} frames, {frame_count} wanted")
            timed = timed[:frame_count]  # not reordered: cutting the tail leaves every reference
        self._last_dts = self.frames + timed[-1][2]
        return timed

    def _first_sample(self, piece: _Piece) -> int:
        """Where the piece's first audio packet should go (samples)."""
        return round(piece.start * self.rate / self.fps) + piece.offset

    def _flush(self, piece: _Piece, until: int) -> None:
        """Mux the piece: its video as is, its audio packets (then silence) up to about `until`."""
        timed: list[tuple[float, av.Packet]] = []
        for packet, pts, dts in piece.video:
            packet.stream, packet.time_base = self.video, Fraction(1, self.fps)
            packet.pts, packet.dts, packet.duration = piece.start + pts, piece.start + dts, 1
            timed.append(((piece.start + dts) / self.fps, packet))
        if self.audio is not None:
            timed += [(samples / self.rate, packet) for samples, packet in self._laid(piece, until)]
        for _, packet in sorted(timed, key=lambda item: item[0]):
            self.out.mux(packet)

    def _laid(self, piece: _Piece, until: int) -> list[tuple[int, av.Packet]]:
        """The piece's audio packets at their places, cut or padded with silence to end near `until`."""
        start = self._first_sample(piece) if piece.audio else round(piece.start * self.rate / self.fps)
        if self._samples is None:
            self._samples = start
        half, laid = AAC_FRAME // 2, []
        sources = iter(piece.audio)
        while self._samples + AAC_FRAME <= until + half:
            packet = next(sources, None) if self._samples + half >= start else None
            if packet is None:
                packet = av.Packet(self._silence)
            packet.stream, packet.time_base = self.audio, Fraction(1, self.rate)
            packet.pts = packet.dts = self._samples
            packet.duration = AAC_FRAME
            laid.append((self._samples, packet))
            self._samples += AAC_FRAME
        return laid

    def close(self) -> None:
        if self._pending is not None:
            self._flush(self._pending, until=round(self.frames * self.rate / self.fps))
            self._pending = None
        self.out.close()
        self._template.close()

    def abort(self) -> None:
        for container in (self.out, self._template):
            with contextlib.suppress(av.FFmpegError, OSError, ValueError):
                container.close()
