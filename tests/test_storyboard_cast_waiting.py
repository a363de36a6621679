"""Cast entries without a picture yet (names a script brought): legal on the board, kept by JSON and CSV,
and a clear problem of every shot that ticks one, so such a shot is never sent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from media_files import plain_image, quadrant_image

from seedance_ui.storyboard import Board, BoardFormatError, board_to_csv, dumps_board, import_csv
from seedance_ui.storyboard.cast import MAX_CAST, store_cast_image
from seedance_ui.storyboard.jsonio import import_board_json, loads_board
from seedance_ui.storyboard.model import CastEntry, StoryboardError
from seedance_ui.storyboard.page import Shown
from seedance_ui.storyboard.session import BoardSession, Refused
from seedance_ui.storyboard.validation import NO_PICTURE_FIELD, PENDING_PICTURE, cast_path, shot_problems

OWNER = "c" * 32
NO_PICTURE = "Cast “Ana” has no picture yet: add one in Cast and looks"


@pytest.fixture()
def board(tmp_path: Path) -> Board:
    """Mara has a picture, Ana (from a script) has none; shot one names both."""
    media = tmp_path / "media"
    board = Board(owner=OWNER, media_dir=media)
    digest, suffix = store_cast_image(media, plain_image(tmp_path / "mara.png", (640, 480), (200, 40, 40)))
    board.add_cast("Mara", digest, suffix)
    board.add_cast("Ana")
    board.add_shot(title="one", prompt="@[Mara] hands @[Ana] the lamp", cast=[e.id for e in board.cast])
    board.add_shot(title="two", prompt="@[Mara] climbs", cast=[board.cast[0].id])
    return board


def test_an_entry_without_a_picture_is_legal_and_keeps_the_cast_rules(board: Board) -> None:
    ana = board.cast[1]
    assert (ana.name, ana.has_picture, ana.file_name) == ("Ana", False, "")
    assert board.cast[0].has_picture
    with pytest.raises(StoryboardError, match="already has an entry named 'ana'"):
        board.add_cast("ana")  # names compare case-folded, pictures or not
    with pytest.raises(StoryboardError, match="must not contain"):
        board.add_cast("@[Bad]")
    for i in range(MAX_CAST - len(board.cast)):
        board.add_cast(f"Extra {i}")  # the count cap counts entries without pictures too
    with pytest.raises(StoryboardError, match=f"at most {MAX_CAST}"):
        board.add_cast("One too many")


def test_a_shot_that_ticks_an_entry_without_a_picture_is_a_problem_naming_it(board: Board) -> None:
    one, two = board.shots
    problems = shot_problems(board, one)
    assert [(p.field, p.message) for p in problems] == [(NO_PICTURE_FIELD, NO_PICTURE)]
    assert str(problems[0]) == f"Shot 1 — cast: {NO_PICTURE}"
    assert shot_problems(board, two) == []  # a shot that does not tick Ana is fine
    # The request keeps Ana's place (@image2) with a placeholder that can never be fetched.
    request = board.effective_request(one)
    assert request.prompt == "@image1 hands @image2 the lamp"
    assert request.reference_images[1] == PENDING_PICTURE == cast_path(board.media_dir, board.cast[1])
    assert [p.field for p in board.problems()] == [NO_PICTURE_FIELD]


def test_giving_the_entry_a_picture_clears_the_problem(board: Board, tmp_path: Path) -> None:
    ana = board.cast[1]
    digest, suffix = store_cast_image(board.media_dir, quadrant_image(tmp_path / "ana.png", (640, 640)))
    board.set_cast_picture(ana.id, digest, suffix)
    assert ana.has_picture and board.waiting_cast("Ana") is None
    assert shot_problems(board, board.shots[0]) == []
    assert Path(board.effective_request(board.shots[0]).reference_images[1]).is_file()


def test_json_round_trips_an_entry_without_a_picture(board: Board, tmp_path: Path) -> None:
    saved = json.loads(dumps_board(board))
    assert saved["cast"][1] == {"id": board.cast[1].id, "name": "Ana", "sha256": None}
    same = loads_board(dumps_board(board))
    assert [(e.id, e.name, e.has_picture) for e in same.cast] == [
        (e.id, e.name, e.has_picture) for e in board.cast
    ]
    assert same.shots[0].cast == board.shots[0].cast
    shared = dumps_board(board, include_owner=False, embed_images=True)
    assert "image" not in json.loads(shared)["cast"][1]
    copy = import_board_json(shared, "d" * 32, tmp_path / "elsewhere")
    assert [(e.name, e.has_picture) for e in copy.cast] == [("Mara", True), ("Ana", False)]
    assert [p.message for p in copy.problems()] == [NO_PICTURE]
    # An image for an entry that claims none is refused, naming the place.
    tampered = json.loads(shared)
    tampered["cast"][1]["image"] = tampered["cast"][0]["image"]
    with pytest.raises(BoardFormatError, match=r"cast\[1\]\.image: must be left out"):
        import_board_json(json.dumps(tampered), "d" * 32, tmp_path / "third")
    tampered["cast"][1] = {"id": board.cast[1].id, "name": "Ana", "sha256": "not-a-hash"}
    with pytest.raises(BoardFormatError, match=r"cast\[1\]\.sha256: must be 64 lowercase hex"):
        loads_board(json.dumps(tampered), owner=OWNER)


def test_csv_names_an_entry_without_a_picture_like_any_other(board: Board) -> None:
    text = board_to_csv(board)
    assert "Mara; Ana" in text
    added = import_csv(board, text, replace=False)
    assert added[0].cast == board.shots[0].cast


def test_the_session_adds_planned_shots_with_new_cast_then_a_picture(tmp_path: Path) -> None:
    session = BoardSession(tmp_path / "data", jobs=None, files=None)  # type: ignore[arg-type]
    board, _ = session.open(OWNER, None, None)
    board, _ = session.new_board(Shown.of(OWNER, board.id, None))  # untouched: one empty shot
    shown = Shown.of(OWNER, board.id, board.shots[0].id)
    ana = CastEntry(name="Ana")
    drafts = [{"title": "gift", "prompt": "@[Ana] lights the lamp", "duration": 5, "cast": [ana.id]}]
    board, added = session.append_shots(shown, drafts, [ana])
    assert [(e.name, e.has_picture) for e in board.cast] == [("Ana", False)]
    assert board.shots == added  # the new board's empty shot gave way, new cast or not
    assert added[0].cast == [ana.id]  # added although it cannot be sent yet
    assert [p.message for p in shot_problems(board, added[0])] == [NO_PICTURE]
    with pytest.raises(Refused, match="Cast: the cast already has an entry named 'ana'"):
        session.append_shots(shown, [], [CastEntry(name="ana")])
    # Add to cast with the waiting name gives that entry its picture (no second entry).
    board = session.add_cast(shown, "ana", quadrant_image(tmp_path / "ana.png", (640, 640)))
    assert [(e.id, e.name, e.has_picture) for e in board.cast] == [(ana.id, "Ana", True)]
    assert shot_problems(board, board.shots[-1]) == []
    with pytest.raises(Refused, match="already has an entry named 'Ana'"):
        session.add_cast(shown, "Ana", quadrant_image(tmp_path / "again.png", (640, 640)))
