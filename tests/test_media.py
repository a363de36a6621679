"""media: probing, posters, frame extraction and contact sheets on small real MP4s made here."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from seedance_ui.media import (
    SHEET_BACKGROUND,
    SHEET_WIDTH,
    MediaError,
    SheetRow,
    VideoInfo,
    contact_sheet,
    extract_frames,
    frame_times,
    make_poster,
    probe,
    save_last_frame,
)
from seedance_ui.textdraw import wrap

FPS = 8
SECONDS = 3
LEVEL_STEP = 9  # frame i is a flat grey of 16 + 9 * i, so a picture tells which frame it came from


def _level(index: int) -> int:
    return 16 + LEVEL_STEP * index


def frame_index(image: Image.Image) -> int:
    """Which test frame an image shows (its mean grey level)."""
    mean = float(np.asarray(image.convert("L"), dtype=np.float32).mean())
    return round((mean - 16) / LEVEL_STEP)


def write_video(
    path: Path,
    *,
    seconds: int = SECONDS,
    size: tuple[int, int] = (320, 180),
    fps: int = FPS,
    audio: bool = False,
    moving_box: bool = False,
) -> Path:
    """An H.264 MP4 (+ AAC tone): frame i is grey level 16 + 9 * (i % 24)."""
    width, height = size
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        tone = out.add_stream("aac", rate=44100, layout="mono") if audio else None
        for i in range(seconds * fps):
            pixels = np.full((height, width, 3), _level(i % 24), dtype=np.uint8)
            if moving_box:
                x = (i * 37) % (width - 200)
                pixels[height // 3 : height // 3 + 150, x : x + 200] = (250, 240, 200)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if tone is not None:
            _write_tone(out, tone, seconds)
    return path


def _write_tone(out: av.container.OutputContainer, stream: av.audio.stream.AudioStream, seconds: int) -> None:
    rate = 44100
    samples = (0.2 * np.sin(2 * np.pi * 440 * np.arange(seconds * rate) / rate)).astype(np.float32)
    for start in range(0, len(samples), 1024):
        frame = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], format="fltp", layout="mono")
        frame.sample_rate, frame.pts = rate, start
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("videos")
    return {
        "silent": write_video(folder / "silent.mp4"),
        "audio": write_video(folder / "audio.mp4", audio=True),
        "vertical": write_video(folder / "vertical.mp4", size=(180, 320), seconds=2),
    }


# --- probe ----------------------------------------------------------------------------------------------


def test_probe_reads_duration_size_audio_and_fps(videos: dict[str, Path]):
    silent, audio = probe(videos["silent"]), probe(videos["audio"])
    assert silent == VideoInfo(duration=3.0, width=320, height=180, has_audio=False, fps=8.0)
    assert audio.has_audio is True and (audio.width, audio.height, audio.fps) == (320, 180, 8.0)
    assert audio.duration == pytest.approx(3.0, abs=0.1)
    assert probe(videos["vertical"]) == VideoInfo(2.0, 180, 320, False, 8.0)


def test_probe_rejects_missing_and_broken_files(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        probe(tmp_path / "nope.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    with pytest.raises(MediaError):
        probe(junk)
    with pytest.raises(FileNotFoundError):
        make_poster(tmp_path / "nope.mp4", tmp_path / "p.jpg")


# --- posters --------------------------------------------------------------------------------------------


def _is_jpeg(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image.verify()
    image = Image.open(path)
    assert image.format == "JPEG" and image.mode == "RGB"
    return image


def test_poster_is_a_jpeg_of_the_frame_nearest_half_a_second(videos: dict[str, Path], tmp_path: Path):
    out = make_poster(videos["silent"], tmp_path / "posters" / "p.jpg")
    assert out == tmp_path / "posters" / "p.jpg"
    image = _is_jpeg(out)
    assert image.size == (320, 180)  # never upscaled
    assert frame_index(image) == 4  # 0.5 s at 8 fps
    assert [p.name for p in out.parent.iterdir()] == ["p.jpg"]  # no temp file left behind


@pytest.mark.parametrize(("at", "expected"), [(0.0, 0), (1.0, 8), (1.06, 8), (1.1, 9), (-4, 0), (99, 23)])
def test_poster_picks_the_nearest_frame_clamped_to_the_video(
    videos: dict[str, Path], tmp_path: Path, at: float, expected: int
):
    poster = make_poster(videos["audio"], tmp_path / "p.jpg", at=at)
    assert frame_index(_is_jpeg(poster)) == expected


def test_poster_scales_down_keeping_aspect(videos: dict[str, Path], tmp_path: Path):
    assert _is_jpeg(make_poster(videos["silent"], tmp_path / "a.jpg", max_width=160)).size == (160, 90)
    assert _is_jpeg(make_poster(videos["vertical"], tmp_path / "b.jpg", max_width=90)).size == (90, 160)


def test_poster_replaces_an_existing_file(videos: dict[str, Path], tmp_path: Path):
    target = tmp_path / "p.jpg"
    target.write_bytes(b"not a jpeg")
    make_poster(videos["silent"], target)
    _is_jpeg(target)


def test_poster_of_a_broken_file_raises_and_writes_nothing(tmp_path: Path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 4096)
    with pytest.raises(MediaError):
        make_poster(junk, tmp_path / "p.jpg")
    assert not (tmp_path / "p.jpg").exists()


def test_posters_across_a_15_second_720p_video(tmp_path: Path):
    # How fast make_poster is belongs to the bench ("Poster, 15 s 1280x720" in BENCHMARKS.md); here:
    # the start, the middle and the end of a long clip each give their own frame, at poster size.
    video = write_video(tmp_path / "long.mp4", seconds=15, size=(1280, 720), moving_box=True)
    frames = []
    for at in (0.5, 7.5, 14.5):
        poster = make_poster(video, tmp_path / f"p{at:g}.jpg", at=at)
        image = _is_jpeg(poster)
        assert image.size == (640, 360)
        frames.append(image.tobytes())
    assert len(set(frames)) == 3  # the moving box: three different moments


# --- frames ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "last"), [("silent", SECONDS * FPS - 1), ("vertical", 2 * FPS - 1)])
def test_the_last_frame_is_saved_full_size_as_a_png(
    videos: dict[str, Path], tmp_path: Path, name: str, last: int
):
    out = save_last_frame(videos[name], tmp_path / "continue" / "last.png")
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == Image.open(out).size == (probe(videos[name]).width, probe(videos[name]).height)
        assert frame_index(image) == last % 24
    assert [p.name for p in out.parent.iterdir()] == ["last.png"]


def test_the_last_frame_of_a_broken_file_raises_and_writes_nothing(tmp_path: Path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    with pytest.raises(MediaError):
        save_last_frame(broken, tmp_path / "out" / "last.png")
    assert not (tmp_path / "out" / "last.png").exists()


def test_frame_times_are_the_middles_of_equal_parts():
    assert frame_times(3.0, 4) == [0.375, 1.125, 1.875, 2.625]
    assert frame_times(10.0, 1) == [5.0]


def test_extract_frames_evenly_spaced(videos: dict[str, Path]):
    frames = extract_frames(videos["audio"], 4)
    assert len(frames) == 4
    assert all(isinstance(f, Image.Image) and f.size == (320, 180) and f.mode == "RGB" for f in frames)
    assert [frame_index(f) for f in frames] == [3, 9, 15, 21]


def test_extract_frames_scales_and_handles_odd_counts(videos: dict[str, Path]):
    small = extract_frames(videos["silent"], 3, max_width=100)
    assert [f.size for f in small] == [(100, 56)] * 3
    assert extract_frames(videos["silent"], 0) == []
    many = extract_frames(videos["vertical"], 40)  # more than the 16 frames there are
    assert len(many) == 40 and all(f.size == (180, 320) for f in many)
    indexes = [frame_index(f) for f in many]
    assert indexes == sorted(indexes) and indexes[0] == 0 and indexes[-1] == 15
    with pytest.raises(ValueError):
        extract_frames(videos["silent"], -1)


# --- contact sheets -------------------------------------------------------------------------------------


def _solid(colour: tuple[int, int, int], size: tuple[int, int] = (320, 180)) -> tuple[Image.Image, ...]:
    return tuple(Image.new("RGB", size, colour) for _ in range(4))


def _content_runs(sheet: Image.Image, x: int, min_length: int = 40) -> list[tuple[int, int]]:
    """Vertical runs of non-background pixels at column x (thin rules ignored)."""
    column = np.asarray(sheet.convert("RGB"))[:, x, :]
    busy = np.any(np.abs(column.astype(int) - SHEET_BACKGROUND) > 6, axis=1)
    runs, start = [], None
    for y, value in enumerate([*busy, False]):
        if value and start is None:
            start = y
        elif not value and start is not None:
            if y - start >= min_length:
                runs.append((start, y))
            start = None
    return runs


def _rows(videos: dict[str, Path]) -> list[SheetRow]:
    long_prompt = "A slow dolly across a misty harbour at dawn, boats rocking, warm light. " * 12
    return [
        SheetRow(
            1, "Harbour at dawn", long_prompt, 8, "seedance-2.0-text-to-video", "720p", _solid((0, 180, 255))
        ),
        SheetRow(
            2,
            "From a video",
            "Grey ramp.",
            3,
            "seedance-2.0-fast-text-to-video",
            "480p",
            video_path=videos["silent"],
        ),
        SheetRow(
            3,
            "Vertical",
            "一只猫在窗台上晒太阳，镜头慢慢推进。" * 10,
            5,
            None,
            None,
            _solid((250, 90, 40), (180, 320)),
        ),
        SheetRow(4, "Not rendered yet", "", None, None, None),
    ]


def test_contact_sheet_has_a_row_per_shot(videos: dict[str, Path], tmp_path: Path):
    rows = _rows(videos)
    out = contact_sheet(rows, tmp_path / "sheets" / "board.png")
    assert out == tmp_path / "sheets" / "board.png"
    with Image.open(out) as sheet:
        assert sheet.format == "PNG" and sheet.width == SHEET_WIDTH
        sheet.load()
    runs = _content_runs(sheet, SHEET_WIDTH - 60)  # inside the last frame tile of every row
    assert len(runs) == len(rows)
    heights = [b - a for a, b in runs]
    assert heights[2] > heights[0] * 1.5  # the vertical shot gets taller tiles
    assert sheet.getpixel((SHEET_WIDTH - 60, runs[0][0] + 10)) == (0, 180, 255)
    assert [p.name for p in out.parent.iterdir()] == ["board.png"]


def test_contact_sheet_grows_by_a_row_per_shot_and_takes_a_title(tmp_path: Path):
    def row(n: int) -> SheetRow:
        return SheetRow(
            n, f"Shot {n}", "Short prompt.", 5, "seedance-2.0-text-to-video", "720p", _solid((90, 200, 90))
        )

    one = Image.open(contact_sheet([row(1)], tmp_path / "1.png"))
    three = Image.open(contact_sheet([row(1), row(2), row(3)], tmp_path / "3.png"))
    titled = Image.open(contact_sheet([row(1), row(2), row(3)], tmp_path / "t.png", title="Board"))
    step = (three.height - one.height) // 2
    assert step > 100 and three.height - one.height == 2 * step
    assert titled.height > three.height and titled.width == three.width == SHEET_WIDTH
    assert len(_content_runs(titled, SHEET_WIDTH - 60)) == 3
    narrow = Image.open(contact_sheet([row(1)], tmp_path / "n.png", frames_per_row=3, width=1200))
    assert narrow.width == 1200
    with pytest.raises(ValueError):
        contact_sheet([row(1)], tmp_path / "x.png", frames_per_row=0)


def test_prompt_excerpts_wrap_and_end_with_an_ellipsis():
    from PIL import ImageFont

    font = ImageFont.load_default(size=17)
    lines = wrap("word " * 400, font, 300, 4)
    assert len(lines) == 4 and lines[-1].endswith("…")
    assert all(font.getlength(line) <= 300 for line in lines)
    assert wrap("short", font, 300, 4) == ["short"]
    cjk = wrap("镜头慢慢推进" * 40, font, 300, 3)
    assert len(cjk) == 3 and all(font.getlength(line) <= 300 for line in cjk)
    assert wrap("x" * 500, font, 120, 2)[-1].endswith("…")  # one unbreakable word
