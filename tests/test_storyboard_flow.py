"""A 6-shot storyboard end to end: the job manager and the storyboard core against the contract simulator.

One shot is forced to fail (content policy): the other five complete; after an edit, "missing or
failed" plans only that shot and its retry completes. Then a regenerated take is picked, the board
round-trips through the BoardStore, and the three review exports are opened and checked: the contact
sheet (size and one row per shot), the animatic (one frame size, the chosen takes' durations plus the
title cards) and the review zip (the chosen MP4s, the sheet, and a manifest with prompts, parameters,
task ids and credits).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator

import av
import pytest
from PIL import Image

from seedance_ui import media
from seedance_ui.config import Settings
from seedance_ui.jobs import JobManager
from seedance_ui.options import MODEL_FAST, MODEL_STANDARD, frame_size
from seedance_ui.pricing import estimate
from seedance_ui.simulator import Simulator
from seedance_ui.store import HistoryStore, JobStatus
from seedance_ui.storyboard import (
    Board,
    BoardStore,
    OwnerJobs,
    board_estimate,
    choose_take,
    export_animatic,
    export_contact_sheet,
    export_zip,
    note_job_status,
    refresh_chosen,
    shots_to_generate,
    submit_shots,
)

OWNER = "f" * 32
FAIL = "[sim:fail=content_policy_violation]"
PER_OWNER_CAP = 2
SHOTS = (
    ("Harbour at dawn", "Wide shot of a fishing harbour at dawn, gulls over the masts, slow pan right"),
    ("The net mender", "Close-up of weathered hands mending a green net on the quay, shallow focus"),
    ("Boats leave", f"Three trawlers leave the harbour in a line, aerial tracking shot {FAIL}"),
    ("Storm front", "A dark storm front rolls over the open sea, lightning on the horizon, time-lapse"),
    ("Deck", "On deck in heavy rain, a young deckhand hauls a rope, handheld camera"),
    ("Homecoming", "Evening, the trawlers return under a clearing sky, warm light on the water"),
)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(speed=250) as s:
        yield s


@pytest.fixture(scope="module")
def manager(sim: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobManager]:
    data = tmp_path_factory.mktemp("flow-data")
    settings = Settings(
        api_key="sk-flow-test",
        base_url=sim.base_url,
        data_dir=data,
        poll_interval=0.05,
        request_timeout=5.0,
        max_jobs_in_flight=8,
        max_jobs_per_owner=PER_OWNER_CAP,
    )
    store = HistoryStore(data)
    mgr = JobManager(store, settings)
    mgr.start()
    yield mgr
    mgr.stop(grace=0.5)
    store.close()


def _board() -> Board:
    board = Board(
        owner=OWNER,
        title="Trawler night",
        aspect_ratio="16:9",
        quality="480p",
        model=MODEL_FAST,
        style="documentary, overcast, 16mm grain",
        generate_audio=False,
    )
    for title, prompt in SHOTS:
        board.add_shot(title=title, prompt=prompt, duration=4)
    board.shots[1].model = MODEL_STANDARD  # per-shot overrides
    board.shots[3].quality = "720p"  # a bigger frame: the animatic scales it to the common size
    board.shots[4].generate_audio = True
    return board


def _run(manager: JobManager, board: Board, shots: list, timeout: float = 60.0) -> dict[str, JobStatus]:
    """Submit the shots through the job manager (its caps apply), wait, tell the board; job id -> status."""

    def submit(request):
        return manager.submit(request, OWNER).id

    takes, errors = submit_shots(board, shots, submit)
    assert errors == {}
    finished = {}
    for take in takes:
        record = manager.wait(take.job_id, timeout=timeout)
        note_job_status(board, take.job_id, record.status)
        finished[take.job_id] = record.status
    return finished


@pytest.fixture(scope="module")
def generated(manager: JobManager, sim: Simulator) -> tuple[Board, dict[str, int]]:
    """The board after the first pass (one failure), the fix and retry, and a second take of shot 1."""
    board = _board()
    jobs = OwnerJobs(manager.store, OWNER)

    # Cost before commitment: the whole board at published prices.
    total = board_estimate(board)
    expected = sum(estimate(board.model_of(s), board.quality_of(s), s.duration).credits for s in board.shots)
    assert total.credits == pytest.approx(expected)
    assert [line.number for line in total.shots] == [1, 2, 3, 4, 5, 6]

    first = _run(manager, board, shots_to_generate(board, "all"))
    creates = {"first_pass": sim.create_count}
    statuses = [first[s.takes[0].job_id] for s in board.shots]
    assert statuses == [JobStatus.COMPLETED] * 2 + [JobStatus.FAILED] + [JobStatus.COMPLETED] * 3
    failed = manager.get(board.shots[2].takes[0].job_id, OWNER)
    assert failed.error_code == "content_policy_violation" and failed.error_message
    assert sim.max_in_flight <= PER_OWNER_CAP  # the job manager's cap held the other shots back
    assert board.shots[2].chosen is None
    assert all(s.chosen is not None for i, s in enumerate(board.shots) if i != 2)

    # "Generate missing or failed" plans only the failed shot; after the edit its retry completes.
    jobs = OwnerJobs(manager.store, OWNER)
    assert shots_to_generate(board, "missing_or_failed", jobs.status_of) == [board.shots[2]]
    assert board_estimate(board, only_missing=True, job_status_of=jobs.status_of).shots[0].number == 3
    board.shots[2].prompt = board.shots[2].prompt.replace(FAIL, "").strip()
    retry = _run(manager, board, shots_to_generate(board, "missing_or_failed", jobs.status_of))
    assert list(retry.values()) == [JobStatus.COMPLETED]
    assert len(board.shots[2].takes) == 2 and board.shots[2].chosen is board.shots[2].takes[1]
    assert FAIL not in board.shots[2].takes[1].params["prompt"]
    assert shots_to_generate(board, "missing_or_failed", OwnerJobs(manager.store, OWNER).status_of) == []

    # Regenerating shot 1 adds a take; the reviewer picks it.
    _run(manager, board, [board.shots[0]])
    assert len(board.shots[0].takes) == 2
    assert board.shots[0].chosen is board.shots[0].takes[0]  # the first completed take stays chosen
    choose_take(board, board.shots[0].id, board.shots[0].takes[1].id)
    assert refresh_chosen(board, OwnerJobs(manager.store, OWNER).status_of) == []  # a user's pick stays
    creates["total"] = sim.create_count
    return board, creates


def test_six_shots_one_fails_the_others_complete_and_the_fixed_one_retries(generated, manager, tmp_path):
    board, creates = generated
    jobs = OwnerJobs(manager.store, OWNER)
    for shot in board.shots:
        record = jobs.record(shot.chosen.job_id)
        assert record.status == JobStatus.COMPLETED
        assert record.params["prompt"].endswith(", documentary, overcast, 16mm grain")
        assert record.task_id and record.credits_reserved
        assert jobs.video_path_of(shot.chosen.job_id).is_file()
    assert jobs.record(board.shots[1].chosen.job_id).params["model"] == MODEL_STANDARD
    assert jobs.record(board.shots[3].chosen.job_id).params["quality"] == "720p"
    assert jobs.record(board.shots[4].chosen.job_id).params["generate_audio"] is True
    # One create per shot, one for the fixed shot's retry, one for the regenerated take: nothing else.
    assert creates == {"first_pass": 6, "total": 8}

    # The board (takes and picks included) persists per owner.
    store = BoardStore(tmp_path)
    store.save(board)
    again = store.get(OWNER, board.id)
    assert again == board
    assert store.get("someone-else", board.id) is None
    store.close()


def _row_bands(sheet: Image.Image) -> int:
    """Bands of tiles down the frame strip (right of the info column); thin rules between rows ignored."""

    def bands(x: int) -> int:
        runs, length = [], 0
        for y in range(sheet.height):
            if sheet.getpixel((x, y)) != media.SHEET_BACKGROUND:
                length += 1
            elif length:
                runs, length = [*runs, length], 0
        return sum(1 for r in runs if r >= 20)

    return max(bands(x) for x in range(sheet.width // 3, sheet.width - 40, 37))


def test_contact_sheet_png_has_a_row_per_shot(generated, manager, tmp_path):
    board, _ = generated
    jobs = OwnerJobs(manager.store, OWNER)
    path = export_contact_sheet(board, tmp_path, jobs.video_path_of, jobs.infos(board))
    with Image.open(path) as sheet:
        assert sheet.format == "PNG"
        assert sheet.width == media.SHEET_WIDTH
        # 6 rows of 16:9 tiles: each at least a tile's height, plus margins and the title band.
        tile_width = (media.SHEET_WIDTH - 2 * 32 - 400 - 3 * 10) // 4
        assert sheet.height >= 6 * tile_width * 9 // 16
        rgb = sheet.convert("RGB")
    assert _row_bands(rgb) == 6
    # Frames really are in the tiles (not the "not rendered" placeholder): many distinct colours.
    strip = rgb.crop((rgb.width // 3, 100, rgb.width - 40, rgb.height - 40))
    assert len(strip.getcolors(maxcolors=1_000_000) or []) > 500


def test_animatic_is_the_chosen_takes_at_one_frame_size(generated, manager, tmp_path):
    board, _ = generated
    jobs = OwnerJobs(manager.store, OWNER)
    chosen = [jobs.video_path_of(s.chosen.job_id) for s in board.shots]
    durations = [media.probe(p).duration for p in chosen]
    assert {media.probe(p).height for p in chosen} == {480, 720}  # shot 4 was made at 720p
    result = export_animatic(board, tmp_path, jobs.video_path_of, jobs.infos(board), title_cards=False)
    assert result.skipped == ()
    assert (result.width, result.height) == frame_size("480p", "16:9")
    assert [s.number for s in result.segments] == [1, 2, 3, 4, 5, 6]
    for segment, seconds in zip(result.segments, durations, strict=True):
        assert segment.kind == "shot" and segment.duration == pytest.approx(seconds, abs=0.2)

    # Opened again from disk: one frame size throughout, and as long as the chosen takes together.
    tolerance = 0.2 * len(durations)
    with av.open(str(result.path)) as container:
        stream = container.streams.video[0]
        sizes = {(frame.width, frame.height) for frame in container.decode(stream)}
        seconds = float(stream.duration * stream.time_base)
    assert sizes == {frame_size("480p", "16:9")}
    assert seconds == pytest.approx(sum(durations), abs=tolerance)
    info = media.probe(result.path)
    assert info.duration == pytest.approx(sum(durations), abs=tolerance)
    assert info.has_audio  # shot 5 has sound; the other shots are silence


def test_review_zip_has_the_chosen_videos_the_sheet_and_the_manifest(generated, manager, tmp_path):
    board, _ = generated
    jobs = OwnerJobs(manager.store, OWNER)
    path = export_zip(board, tmp_path, jobs.video_path_of, jobs.infos(board))
    with zipfile.ZipFile(path) as zf:
        names = sorted(zf.namelist())
        assert names == [
            "01-harbour-at-dawn.mp4",
            "02-the-net-mender.mp4",
            "03-boats-leave.mp4",
            "04-storm-front.mp4",
            "05-deck.mp4",
            "06-homecoming.mp4",
            "contact-sheet.png",
            "manifest.json",
        ]
        # The chosen take's file, byte for byte (shot 1: the regenerated take the reviewer picked).
        assert (
            zf.read("01-harbour-at-dawn.mp4")
            == jobs.video_path_of(board.shots[0].takes[1].job_id).read_bytes()
        )
        assert zf.read("contact-sheet.png").startswith(b"\x89PNG")
        manifest = json.loads(zf.read("manifest.json"))

    assert manifest["format"] == "seedance-storyboard-manifest"
    assert manifest["board"] == {"id": board.id, "title": "Trawler night", "settings": board.settings()}
    assert manifest["contact_sheet"] == "contact-sheet.png"
    assert manifest["totals"]["shots"] == 6 and manifest["totals"]["videos"] == 6
    entries = manifest["shots"]
    assert [e["number"] for e in entries] == [1, 2, 3, 4, 5, 6]
    for shot, entry in zip(board.shots, entries, strict=True):
        record = jobs.record(shot.chosen.job_id)
        assert entry["title"] == shot.title
        assert entry["prompt"] == record.params["prompt"] and entry["prompt"].startswith(shot.prompt)
        assert entry["parameters"] == {
            "model": board.model_of(shot),
            "duration": 4,
            "quality": board.quality_of(shot),
            "aspect_ratio": "16:9",
            "generate_audio": board.audio_of(shot),
            "web_search": False,
        }
        assert entry["job_id"] == shot.chosen.job_id and entry["take_id"] == shot.chosen.id
        assert entry["task_id"] == record.task_id and entry["task_id"].startswith("task-")
        assert entry["status"] == "completed"
        assert entry["credits_estimated"] == pytest.approx(record.credits_estimated)
        assert entry["credits_reserved"] == record.credits_reserved
        assert entry["duration"] == pytest.approx(4.0, abs=0.2)
    assert FAIL not in entries[2]["prompt"]
    assert manifest["totals"]["credits_reserved"] == pytest.approx(
        sum(e["credits_reserved"] for e in entries)
    )
    assert manifest["totals"]["duration"] == pytest.approx(24.0, abs=1.2)
