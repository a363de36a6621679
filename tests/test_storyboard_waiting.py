"""A waiting shot says what it waits for (issue 24, item 8): a chained shot on the board's pending list
"Waiting for shot N", a take in the local line "Queued (2nd)", the provider's processing "Rendering";
never "Not generated" while it waits. Pure: states and tile HTML from a board and job records."""

from __future__ import annotations

from seedance_ui.store import JobRecord, JobStatus
from seedance_ui.storyboard.model import Board, Shot, Take
from seedance_ui.storyboard.states import Coverage, ShotState
from seedance_ui.ui.storyboard import views as sv


def board_of_three(records: dict[str, JobRecord]) -> Board:
    """Shot 1 has a take in `records`; shots 2 and 3 are chained and still on the pending list."""
    board = Board(owner="owner-a")
    first = board.add_shot(Shot(title="Lamp", prompt="The keeper lights the lamp"))
    record = JobRecord.new("owner-a", {"model": board.model, "duration": 5, "prompt": "lamp"},
                           status=JobStatus.QUEUED, queue_position=2)
    records[record.id] = record
    first.takes.append(Take(job_id=record.id))
    for title in ("Beam", "Ship"):
        board.pending.append(board.add_shot(Shot(title=title, prompt=title, chain=True)).id)
    return board


def views_of(board: Board, records: dict[str, JobRecord]) -> list[sv.ShotView]:
    return sv.shot_views(board, records.get, lambda _r: None, lambda _r: None)


def test_chained_shots_wait_for_the_shot_before_them_and_a_queued_take_names_its_place() -> None:
    records: dict[str, JobRecord] = {}
    board = board_of_three(records)
    views = views_of(board, records)
    assert [v.state for v in views] == [ShotState.QUEUED, ShotState.WAITING, ShotState.WAITING]
    labels = [sv.state_label(v)[0] for v in views]
    assert labels == ["Queued (2nd)", "Waiting for shot 1", "Waiting for shot 2"]
    html = sv.tiles_html(board, views, None)
    assert "Not generated" not in html and "Waiting for shot 2" in html and "Queued (2nd)" in html
    assert ShotState.WAITING.coverage is Coverage.RUNNING  # never planned a second time meanwhile


def test_the_provider_s_pending_and_processing_are_named_as_it_says() -> None:
    records: dict[str, JobRecord] = {}
    board = board_of_three(records)
    record = next(iter(records.values()))
    record.status, record.queue_position = JobStatus.PENDING, None
    assert "Pending" in sv.tile_html(views_of(board, records)[0], board, False)
    record.status, record.progress = JobStatus.PROCESSING, 40
    tile = sv.tile_html(views_of(board, records)[0], board, False)
    assert "Rendering" in tile and 'data-percent="40"' in tile


def test_a_shot_off_the_pending_list_or_with_a_take_in_flight_is_not_waiting() -> None:
    records: dict[str, JobRecord] = {}
    board = board_of_three(records)
    board.pending.clear()
    assert [v.state for v in views_of(board, records)][1:] == [ShotState.NEW, ShotState.NEW]
    assert ShotState.of([JobStatus.PROCESSING], chained_wait=True) is ShotState.RUNNING
    assert ShotState.of([JobStatus.COMPLETED], chained_wait=True) is ShotState.WAITING  # a new take is due


def test_ordinals() -> None:
    assert [sv.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
