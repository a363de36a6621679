"""Exports tell the truth about each shot (issue 21, "What a reviewer's page must be — True").

The newcomer's board: Generate all three times left shot 2 on a take that continues an OLDER take of
shot 1 (out of date), shot 3 failed and shot 4 was never generated. The contact sheet and the zip's
manifest say so on each shot, print each take's number and date, and the manifest labels its credits as
the confirmation did (estimate and reserved); the exports panel warns first. Real small MP4s, no app.
"""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import av
import pytest
from media_files import video_file

from seedance_ui.storyboard import Board, JobInfo, export_zip, record_take
from seedance_ui.storyboard.animatic import export_animatic
from seedance_ui.storyboard.bundle import CREDITS_LABELS, MANIFEST_NAME
from seedance_ui.storyboard.clips import board_clips
from seedance_ui.storyboard.contact import FAILED, MISSING, TAKE_TIME, sheet_rows
from seedance_ui.storyboard.plan import choose_take
from seedance_ui.storyboard.validation import FROM_VIDEO
from seedance_ui.ui.storyboard.exports import stale_warning

OLD, NEW, CHAINED, BROKEN = "a" * 32, "b" * 32, "c" * 32, "d" * 32
MADE = time.mktime((2025, 6, 1, 14, 5, 0, 0, 0, -1))  # when shot 1's newer take was made (local time)
STALE = "OUT OF DATE: continues an older take"


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("truth-clips")
    return {job: video_file(folder / f"{job[:4]}.mp4", 1.0, fps=8, size=(160, 90))
            for job in (OLD, NEW, CHAINED)}


def newcomer_board() -> Board:
    """Shot 1: takes 1 and 2, take 2 chosen; shot 2 chained, its take continuing shot 1's take 1 (out of
    date); shot 3 failed; shot 4 never generated."""
    board = Board(owner="newcomer", title="Lighthouse", quality="480p", aspect_ratio="16:9")
    first = board.add_shot(title="The beam", prompt="a beam sweeps the bay", duration=4)
    second = board.add_shot(title="The boat", prompt="the boat turns", duration=4, chain=True,
                            continues=FROM_VIDEO)
    third = board.add_shot(title="The storm", prompt="rain on glass", duration=4)
    board.add_shot(title="Dawn", prompt="the lamp goes dark", duration=4)
    record_take(board, first.id, OLD)
    newer = record_take(board, first.id, NEW)
    newer.created_at = MADE
    choose_take(board, first.id, newer.id)
    chained = record_take(board, second.id, CHAINED, starts_from=OLD)
    choose_take(board, second.id, chained.id)
    record_take(board, third.id, BROKEN)
    return board


def jobs() -> dict[str, JobInfo]:
    return {
        OLD: JobInfo(OLD, "completed", "task-1", None, 40.0, 38.5, 1.0),
        NEW: JobInfo(NEW, "completed", "task-2", None, 40.0, 38.5, 1.0),
        CHAINED: JobInfo(CHAINED, "completed", "task-3", None, 52.0, 50.0, 1.0),
        BROKEN: JobInfo(BROKEN, "failed", "task-4", None, 40.0, None, None),
    }


def test_the_contact_sheet_says_what_is_wrong_and_prints_each_takes_number_and_date(videos) -> None:
    board = newcomer_board()
    rows = sheet_rows(board, board_clips(board, videos.get, jobs()), 2, jobs())
    notes = [row.note for row in rows]
    assert notes[0] == f"Take 2/2 · {time.strftime(TAKE_TIME, time.localtime(MADE))}"
    assert notes[0].endswith("2025-06-01 14:05")
    assert notes[1].startswith(STALE + " · Take 1/1 · ")
    assert notes[2] == FAILED
    assert notes[3] == MISSING


def test_the_manifest_marks_each_shot_and_labels_its_credits(videos, tmp_path: Path) -> None:
    board = newcomer_board()
    path = export_zip(board, tmp_path, videos.get, jobs(), include_contact_sheet=False)
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read(MANIFEST_NAME))
    shots = manifest["shots"]
    assert [s["warning"] for s in shots] == [None, STALE, FAILED, MISSING]
    assert manifest["warnings"] == [f"Shot 2: {STALE}", f"Shot 3: {FAILED}", f"Shot 4: {MISSING}"]
    assert [(s["take_number"], s["takes"]) for s in shots] == [(2, 2), (1, 1), (None, 1), (None, 0)]
    assert shots[0]["take_made_at"] == "2025-06-01 14:05"
    totals = manifest["totals"]
    assert totals["credits_labels"] == CREDITS_LABELS
    assert totals["credits_labels"]["credits_estimated"].startswith("Estimate: ")
    assert totals["credits_labels"]["credits_reserved"].startswith("Reserved: ")
    credits = [(s["credits_estimated"], s["credits_reserved"]) for s in shots[:2]]
    assert credits == [(40.0, 38.5), (52.0, 50.0)]
    assert totals["credits_reserved"] == 88.5  # only what the provider held: nothing for shots 3 and 4


def test_the_exports_panel_warns_first_of_out_of_date_shots() -> None:
    board = newcomer_board()
    warning = stale_warning(board)
    assert warning.startswith("Out of date: shot 2 continues an older take")
    clean = newcomer_board()
    clean.shots[1].takes[0].starts_from = NEW
    assert stale_warning(clean) == ""


def _red_pixels(path: Path, at: float) -> int:
    """Pixels of the warning's red in the animatic's frame nearest `at` seconds."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time >= at:
                rgb = frame.to_ndarray(format="rgb24").astype(int)
                r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
                return int(((r > 180) & (g < 140) & (b < 130)).sum())
    raise AssertionError(f"no frame at {at} s")


def test_the_animatics_title_card_says_a_shot_is_out_of_date(videos, tmp_path: Path) -> None:
    board = newcomer_board()
    result = export_animatic(board, tmp_path, videos.get, jobs(), size=(320, 180))
    assert f"Shot 2: {STALE.lower()}" in result.warnings
    cards = {segment.number: segment for segment in result.segments if segment.kind == "title"}
    middle = {number: card.start + card.duration / 2 for number, card in cards.items()}
    red = {number: _red_pixels(result.path, at) for number, at in middle.items()}
    assert red[2] > 3 * red[1] + 50  # "OUT OF DATE: CONTINUES AN OLDER TAKE" in red on shot 2's card only
