"""The animatic splices the simulator's takes by copying their packets, and encodes only what must be.

Takes are real placeholder clips from the simulator's renderer (H.264 + AAC, 24 fps); the output is
decoded in full with PyAV, compared frame for frame with the takes it copies, and seeked.
"""

from pathlib import Path

import av
import numpy as np
import pytest

from seedance_ui import media
from seedance_ui.simulator.render import VideoSpec, render_video
from seedance_ui.storyboard import Board, export_animatic, record_take
from seedance_ui.storyboard.plan import choose_take

FPS = 24
CARD = 1.5
LANDSCAPE = [f"shot {n}: a kite over a windy beach" for n in range(1, 4)]


@pytest.fixture(scope="module")
def takes(tmp_path_factory) -> dict[str, Path]:
    """Job id -> clip: three 480p 16:9 takes with sound, one 9:16 take (another frame size), and one
    16:9 take without sound."""
    folder = tmp_path_factory.mktemp("takes")
    specs = [VideoSpec(prompt=p, duration=4, quality="480p") for p in LANDSCAPE]
    specs.append(VideoSpec(prompt="an upright insert", duration=4, quality="480p", aspect_ratio="9:16"))
    specs.append(VideoSpec(prompt="a silent take", duration=4, quality="480p", generate_audio=False))
    return {f"{n:032x}": render_video(spec, folder / f"{n}.mp4") for n, spec in enumerate(specs)}


def _board(takes: dict[str, Path], jobs: list[str]) -> Board:
    board = Board(owner="alice", title="Kites", quality="480p", aspect_ratio="16:9")
    for number, job in enumerate(jobs, 1):
        shot = board.add_shot(title=f"Shot {number}", prompt="p", duration=4)
        choose_take(board, shot.id, record_take(board, shot.id, job).id)
    return board


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def _sound_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return sum(frame.samples for frame in container.decode(stream)) / stream.rate


def _video_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return float(stream.duration * stream.time_base)


def test_a_board_of_simulator_takes_is_copied_not_encoded(takes, tmp_path):
    jobs = list(takes)[:3]
    result = export_animatic(_board(takes, jobs), tmp_path, takes.get)
    assert (result.remuxed, result.encoded) == (3, 3)  # the takes copied; only the title cards encoded
    expected = 3 * (4 + CARD)
    assert result.duration == pytest.approx(expected)
    assert _video_seconds(result.path) == pytest.approx(expected, abs=1 / FPS)
    assert media.probe(result.path).duration == pytest.approx(expected, abs=0.05)
    frames = _frames(result.path)
    assert len(frames) == round(expected * FPS)
    assert {f.shape for f in frames} == {(480, 854, 3)}
    for segment, job in zip([s for s in result.segments if s.kind == "shot"], jobs, strict=True):
        source = _frames(takes[job])
        first = round(segment.start * FPS)
        assert all(np.array_equal(frames[first + i], source[i]) for i in (0, 30, len(source) - 1))
    card = frames[round(result.segments[2].start * FPS) + 5]
    assert card[5, 5].max() < 30  # a dark title card
    assert _sound_seconds(result.path) == pytest.approx(expected, abs=0.05)
    assert [s.audio for s in result.segments] == [False, True] * 3


def test_the_copied_animatic_seeks(takes, tmp_path):
    result = export_animatic(_board(takes, list(takes)[:3]), tmp_path, takes.get)
    third = [s for s in result.segments if s.kind == "shot"][2]
    with av.open(str(result.path)) as container:
        stream = container.streams.video[0]
        container.seek(round((third.start + 2) / stream.time_base), stream=stream, backward=True)
        times = [float(frame.time) for _, frame in zip(range(60), container.decode(stream), strict=False)]
    assert times[0] <= third.start + 2 <= times[-1]
    assert times[0] >= result.segments[4].start  # from the keyframe the third shot's title card starts with


def test_a_take_of_another_size_is_encoded_and_plays(takes, tmp_path):
    jobs = list(takes)
    result = export_animatic(_board(takes, [jobs[0], jobs[3], jobs[1]]), tmp_path, takes.get)
    assert (result.remuxed, result.encoded) == (2, 4)  # the upright take encoded, like the cards
    expected = 3 * (4 + CARD)
    frames = _frames(result.path)
    assert len(frames) == round(expected * FPS) == round(result.duration * FPS)
    upright = frames[round((result.segments[3].start + 1) * FPS)]
    assert upright[:, :280].max() < 30 and upright[:, 575:].max() < 30  # pillarboxed: 270 px wide
    assert upright[:, 300:550].mean() > 40
    assert _sound_seconds(result.path) == pytest.approx(expected, abs=0.05)
    assert all(s.audio for s in result.segments if s.kind == "shot")


def test_without_cards_or_sound_only_packets_are_copied(takes, tmp_path):
    result = export_animatic(_board(takes, list(takes)[:3]), tmp_path, takes.get, title_cards=False,
                             audio=False)
    assert (result.remuxed, result.encoded) == (3, 0)
    with av.open(str(result.path)) as container:
        assert not container.streams.audio
    assert len(_frames(result.path)) == 3 * 4 * FPS


def test_takes_no_encoder_of_ours_matches_are_encoded(takes, tmp_path):
    """Another frame rate than the animatic's: nothing is copied, the whole animatic is encoded."""
    result = export_animatic(_board(takes, list(takes)[:2]), tmp_path, takes.get, fps=12)
    assert (result.remuxed, result.encoded) == (0, 4)
    assert len(_frames(result.path)) == round(2 * (4 + CARD) * 12)


def test_a_take_without_sound_is_copied_with_silence(takes, tmp_path):
    jobs = list(takes)
    result = export_animatic(_board(takes, [jobs[0], jobs[4], jobs[1]]), tmp_path, takes.get)
    assert (result.remuxed, result.encoded) == (3, 3)
    assert [s.audio for s in result.segments if s.kind == "shot"] == [True, False, True]
    with av.open(str(result.path)) as container:
        sound = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
        rate = container.streams.audio[0].rate
    silent, loud = result.segments[3], result.segments[5]

    def peak(segment) -> float:
        return float(np.abs(sound[int((segment.start + 0.1) * rate):int((segment.start + 3.9) * rate)]).max())

    assert peak(silent) < 0.01 < 0.05 < peak(loud)
    assert len(sound) / rate == pytest.approx(result.duration, abs=0.05)
    assert len(_frames(result.path)) == round(result.duration * FPS)
