"""Storyboard review exports: contact sheet PNG, animatic MP4 and review zip, from real small MP4s."""

import json
import zipfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from seedance_ui import media
from seedance_ui.options import MODEL_FAST, MODEL_STANDARD
from seedance_ui.store import HistoryStore, JobRecord, JobStatus
from seedance_ui.storyboard import (
    Board,
    JobInfo,
    OwnerJobs,
    StoryboardError,
    animatic_size,
    export_animatic,
    export_contact_sheet,
    export_zip,
    job_info_from_record,
    record_take,
)
from seedance_ui.storyboard.plan import choose_take

# name: (width, height, fps, seconds, audio channels or 0, colour)
CLIPS = {
    "a": (320, 180, 12, 2.0, 1, (200, 40, 40)),
    "b": (180, 320, 8, 1.5, 0, (40, 200, 40)),
    "c": (320, 180, 24, 2.5, 2, (40, 40, 200)),
}
JOB = {"a": "a" * 32, "b": "b" * 32, "c": "c" * 32}


def _write_clip(path: Path, width: int, height: int, fps: int, seconds: float, channels: int, colour) -> None:
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast"}
        rate, layout = (44_100, "mono") if channels == 1 else (48_000, "stereo")
        if channels:
            audio = out.add_stream("aac", rate=rate)
            audio.layout = layout
        frame = av.VideoFrame.from_image(Image.new("RGB", (width, height), colour)).reformat(format="yuv420p")
        for i in range(round(fps * seconds)):
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        total, pos = round(rate * seconds), 0
        while channels and pos < total:
            n = min(1024, total - pos)
            tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(pos, pos + n) / rate)
            data = np.repeat(tone.astype("float32")[None, :], channels, axis=0)
            samples = av.AudioFrame.from_ndarray(data, format="fltp", layout=layout)
            samples.sample_rate, samples.pts, samples.time_base = rate, pos, Fraction(1, rate)
            out.mux(audio.encode(samples))
            pos += n
        if channels:
            out.mux(audio.encode())


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    paths = {}
    for name, spec in CLIPS.items():
        paths[JOB[name]] = folder / f"{name}.mp4"
        _write_clip(paths[JOB[name]], *spec)
    return paths


def _board() -> Board:
    board = Board(owner="alice", title="Rooftop chase", quality="480p", aspect_ratio="16:9", style="noir")
    specs = [("Open on the city", "a", MODEL_STANDARD), ("Portrait insert", "b", MODEL_FAST)]
    specs += [("Not shot yet", None, None), ("The jump", "c", None)]
    for title, clip, model in specs:
        shot = board.add_shot(title=title, prompt=f"{title.lower()}, wide shot", duration=5, model=model)
        if clip:
            take = record_take(board, shot.id, JOB[clip])
            choose_take(board, shot.id, take.id)
    return board


JOBS = {
    JOB["a"]: JobInfo(JOB["a"], "completed", "task-unified-1-a", None, 55.0, 50.0, 2.0),
    JOB["c"]: JobInfo(JOB["c"], "completed", "task-unified-3-c", None, None, 27.5, 2.5),
}


@pytest.fixture(scope="module")
def animatic(clips, tmp_path_factory):
    out = tmp_path_factory.mktemp("animatic")
    board = _board()
    return board, export_animatic(board, out, clips.get, JOBS)


def _takes_seconds(clips) -> float:
    return sum(media.probe(clips[JOB[n]]).duration for n in ("a", "b", "c"))


def _decode_video(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as container:
        return [f.to_image() for f in container.decode(video=0)]


def _video_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return float(stream.duration * stream.time_base)


# --- animatic ----------------------------------------------------------------------------------------


def test_animatic_lasts_the_chosen_takes_plus_title_cards_at_one_size(animatic, clips):
    board, result = animatic
    assert result.path.name.endswith("-animatic.mp4") and result.path.is_file()
    assert (result.width, result.height, result.fps) == (854, 480, 24)
    expected = _takes_seconds(clips) + 3 * 1.5
    assert abs(_video_seconds(result.path) - expected) <= 0.2 * 3
    assert abs(media.probe(result.path).duration - expected) <= 0.2 * 3
    frames = _decode_video(result.path)
    assert {f.size for f in frames} == {(854, 480)}
    assert len(frames) == round(expected * 24)
    assert [(s.kind, s.number) for s in result.segments] == [
        ("title", 1),
        ("shot", 1),
        ("title", 2),
        ("shot", 2),
        ("title", 4),
        ("shot", 4),
    ]
    assert [s.duration for s in result.segments if s.kind == "title"] == [1.5, 1.5, 1.5]
    assert result.skipped == (board.shots[2].id,) and not result.warnings


def test_animatic_letterboxes_and_keeps_each_take_in_its_segment(animatic):
    _, result = animatic
    frames = _decode_video(result.path)

    def frame_at(seconds: float) -> Image.Image:
        return frames[int(seconds * result.fps)]

    seg = {(s.kind, s.number): s for s in result.segments}
    a = frame_at(seg["shot", 1].start + 1.0)
    assert a.getpixel((5, 5))[0] > 150 and a.getpixel((427, 240))[0] > 150  # full frame, red
    b = frame_at(seg["shot", 2].start + 0.7)
    assert max(b.getpixel((20, 240))) < 30 and max(b.getpixel((833, 240))) < 30  # bars left and right
    assert b.getpixel((427, 240))[1] > 150  # the portrait take, green, in the middle
    c = frame_at(seg["shot", 4].start + 1.0)
    assert c.getpixel((427, 240))[2] > 150
    card = frame_at(seg["title", 2].start + 0.5)
    assert max(card.getpixel((5, 5))) < 30  # a dark title card


def test_animatic_audio_is_the_takes_sound_and_silence_elsewhere(animatic):
    _, result = animatic
    with av.open(str(result.path)) as container:
        stream = container.streams.audio[0]
        assert stream.rate == 48_000
        audio = np.concatenate([f.to_ndarray() for f in container.decode(stream)], axis=1)
    seg = {(s.kind, s.number): s for s in result.segments}

    def loudness(segment) -> float:
        lo, hi = segment.start + 0.2, segment.start + segment.duration - 0.2
        return float(np.abs(audio[:, int(lo * 48_000) : int(hi * 48_000)]).max())

    assert loudness(seg["shot", 1]) > 0.1 and loudness(seg["shot", 4]) > 0.1
    assert loudness(seg["shot", 2]) < 0.01  # take b has no sound
    assert loudness(seg["title", 1]) < 0.01
    assert seg["shot", 1].audio and not seg["shot", 2].audio
    assert audio.shape[1] / 48_000 == pytest.approx(result.duration, abs=0.05)


def test_animatic_video_only_without_cards(clips, tmp_path):
    result = export_animatic(
        _board(), tmp_path, clips.get, title_cards=False, fps=12, size=(320, 180), audio=False
    )
    with av.open(str(result.path)) as container:
        assert not container.streams.audio
        assert container.streams.video[0].codec_context.pix_fmt == "yuv420p"
        assert container.streams.video[0].codec_context.name == "h264"
    assert abs(_video_seconds(result.path) - _takes_seconds(clips)) <= 0.2 * 3
    assert {f.size for f in _decode_video(result.path)} == {(320, 180)}


def test_animatic_size_follows_the_board():
    board = Board(owner="a", quality="720p", aspect_ratio="9:16")
    assert animatic_size(board, [(320, 180)]) == (720, 1280)
    board.aspect_ratio = "adaptive"
    assert animatic_size(board, [(320, 180), (241, 427)]) == (240, 426)


def test_animatic_needs_a_chosen_take(clips, tmp_path):
    board = Board(owner="a")
    board.add_shot(prompt="p")
    with pytest.raises(StoryboardError):
        export_animatic(board, tmp_path, clips.get)
    assert list(tmp_path.iterdir()) == []


# --- contact sheet -----------------------------------------------------------------------------------


def _row_bands(sheet: Image.Image) -> int:
    """Bands of tiles down the frame strip (the right two thirds); thin rules between rows ignored."""

    def bands(x: int) -> int:
        runs, length = [], 0
        for y in range(sheet.height):
            if sheet.getpixel((x, y)) != media.SHEET_BACKGROUND:
                length += 1
            elif length:
                runs, length = [*runs, length], 0
        return sum(1 for r in runs if r >= 20)

    return max(bands(x) for x in range(sheet.width // 3, sheet.width - 40, 37))


def test_contact_sheet_has_one_row_per_shot(clips, tmp_path):
    board = _board()
    path = export_contact_sheet(board, tmp_path, clips.get, JOBS)
    assert path.parent == tmp_path and path.name.endswith("-contact-sheet.png")
    with Image.open(path) as sheet:
        assert sheet.format == "PNG"
        assert sheet.width == media.SHEET_WIDTH
        assert _row_bands(sheet.convert("RGB")) == 4
        tall = sheet.height
    board.delete_shot(board.shots[3].id)
    board.delete_shot(board.shots[2].id)
    with Image.open(export_contact_sheet(board, tmp_path, clips.get)) as sheet:
        assert _row_bands(sheet.convert("RGB")) == 2
        assert sheet.height < tall


# --- zip ---------------------------------------------------------------------------------------------


def test_review_zip_contents_and_manifest(clips, tmp_path):
    board = _board()
    path = export_zip(board, tmp_path, clips.get, JOBS)
    assert path.name.endswith("-review.zip")
    with zipfile.ZipFile(path) as zf:
        names = sorted(zf.namelist())
        assert names == [
            "01-open-on-the-city.mp4",
            "02-portrait-insert.mp4",
            "04-the-jump.mp4",
            "contact-sheet.png",
            "manifest.json",
        ]
        assert zf.read("04-the-jump.mp4") == clips[JOB["c"]].read_bytes()
        assert zf.read("contact-sheet.png").startswith(b"\x89PNG")
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["format"] == "seedance-storyboard-manifest" and manifest["version"] == 1
    assert manifest["board"]["title"] == "Rooftop chase"
    assert manifest["board"]["settings"]["style"] == "noir"
    assert manifest["contact_sheet"] == "contact-sheet.png"
    first, second, third, fourth = manifest["shots"]
    assert [s["number"] for s in manifest["shots"]] == [1, 2, 3, 4]
    assert first["prompt"] == "open on the city, wide shot, noir"
    assert first["parameters"] == {
        "model": MODEL_STANDARD,
        "duration": 5,
        "quality": "480p",
        "aspect_ratio": "16:9",
        "generate_audio": True,
        "web_search": False,
    }
    assert (first["job_id"], first["task_id"]) == (JOB["a"], "task-unified-1-a")
    assert (first["credits_estimated"], first["credits_reserved"]) == (55.0, 50.0)
    assert first["video"] == "01-open-on-the-city.mp4" and first["duration"] == pytest.approx(2.0, abs=0.1)
    assert second["task_id"] is None and second["credits_reserved"] is None
    assert second["credits_estimated"] == pytest.approx(4.1254 * 5)  # from the published price
    assert second["parameters"]["model"] == MODEL_FAST
    assert (third["video"], third["job_id"], third["duration"]) == (None, None, None)
    assert fourth["credits_reserved"] == 27.5 and fourth["duration"] == pytest.approx(2.5, abs=0.1)
    assert manifest["totals"]["videos"] == 3
    assert manifest["totals"]["credits_reserved"] == 77.5


def test_manifest_uses_the_request_recorded_on_the_take(clips, tmp_path):
    board = _board()
    board.shots[0].takes[0].params = {"prompt": "what was really sent", "model": MODEL_FAST, "duration": 4}
    board.style = "changed since"
    with zipfile.ZipFile(export_zip(board, tmp_path, clips.get, include_contact_sheet=False)) as zf:
        assert "contact-sheet.png" not in zf.namelist()
        shots = json.loads(zf.read("manifest.json"))["shots"]
    assert shots[0]["prompt"] == "what was really sent"
    assert shots[0]["parameters"] == {"model": MODEL_FAST, "duration": 4}
    assert shots[1]["prompt"] == "portrait insert, wide shot, changed since"


def test_exports_leave_only_their_own_files(clips, tmp_path):
    board = _board()
    gone = dict(clips)
    gone[JOB["b"]] = tmp_path / "missing.mp4"  # resolver points at a file that is not there
    export_contact_sheet(board, tmp_path, gone.get)
    export_zip(board, tmp_path, gone.get)
    result = export_animatic(board, tmp_path, gone.get, size=(320, 180), title_cards=False)
    assert len(result.skipped) == 2
    stem = f"rooftop-chase-{board.id[:8]}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{stem}-animatic.mp4",
        f"{stem}-contact-sheet.png",
        f"{stem}-review.zip",
    ]


def test_job_info_from_a_history_record():
    record = JobRecord.new("alice", {"prompt": "p"}, status=JobStatus.COMPLETED, task_id="t-1")
    record.credits_reserved = 12.5
    info = job_info_from_record(record)
    assert (info.job_id, info.status, info.task_id) == (record.id, "completed", "t-1")
    assert info.credits_reserved == 12.5
    assert info.params == {"prompt": "p"}


def test_owner_jobs_glue_a_history_store_to_the_exports(clips, tmp_path):
    history = HistoryStore(tmp_path / "data")
    board = Board(owner="alice", title="Glue")
    mine = JobRecord.new("alice", {"prompt": "p"}, status=JobStatus.COMPLETED, task_id="t-9")
    theirs = JobRecord.new("bob", {"prompt": "q"}, status=JobStatus.COMPLETED)
    for record in (mine, theirs):
        history.add(record)
        video = history.video_path(record.id)
        video.parent.mkdir(parents=True, exist_ok=True)
        video.write_bytes(clips[JOB["a"]].read_bytes())
        history.update(record.id, video_path=video)
    for record in (mine, theirs):
        shot = board.add_shot(prompt="p")
        choose_take(board, shot.id, record_take(board, shot.id, record.id).id)
    jobs = OwnerJobs(history, "alice")
    assert jobs.status_of(mine.id) == "completed" and jobs.status_of(theirs.id) is None
    assert jobs.video_path_of(mine.id) == history.video_path(mine.id)
    assert jobs.video_path_of(theirs.id) is None  # bob's job stays bob's
    assert list(jobs.infos(board)) == [mine.id] and jobs.infos(board)[mine.id].task_id == "t-9"
    seen = []
    result = export_animatic(
        board,
        tmp_path,
        jobs.video_path_of,
        jobs.infos(board),
        size=(320, 180),
        on_progress=lambda d, t: seen.append((d, t)),
    )
    assert result.skipped == (board.shots[1].id,)
    assert seen[-1][0] == pytest.approx(seen[-1][1]) == pytest.approx(result.duration)
    history.close()
