"""The board's cast and chain links without Gradio: what a shot sends, the files, JSON and CSV."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from media_files import plain_image, quadrant_image

from seedance_ui.options import MODE_FRAMES, MODE_REFERENCES, MODEL_FAST, MODEL_SPECS, TIER_FAST, model_id
from seedance_ui.pricing import estimate
from seedance_ui.storyboard import (
    Board,
    BoardFormatError,
    board_to_csv,
    dumps_board,
    import_csv,
    shot_estimate,
)
from seedance_ui.storyboard.cast import store_cast_image
from seedance_ui.storyboard.jsonio import import_board_json, loads_board
from seedance_ui.storyboard.page import Shown
from seedance_ui.storyboard.session import BoardSession, Refused
from seedance_ui.storyboard.validation import (
    FIRST_FRAME_LINE,
    FROM_VIDEO,
    PENDING_FRAME,
    cast_path,
    shot_problems,
)

OWNER = "c" * 32


@pytest.fixture()
def board(tmp_path: Path) -> Board:
    """A board with a cast of three (their images on disk) and three shots."""
    media = tmp_path / "media"
    board = Board(owner=OWNER, model=MODEL_FAST, quality="480p", media_dir=media)
    cast = (("Mara", (200, 40, 40)), ("the lighthouse", (40, 200, 40)), ("film stock", (40, 40, 200)))
    for name, colour in cast:
        digest, suffix = store_cast_image(media, plain_image(tmp_path / f"{name}.png", (640, 480), colour))
        board.add_cast(name, digest, suffix)
    board.add_shot(title="one", prompt="@[Mara] climbs to @[the lighthouse], graded like @[film stock]")
    board.add_shot(title="two", prompt="@[Mara] looks out to sea, graded like @[film stock]")
    board.add_shot(title="three", prompt="The beam sweeps the water")
    return board


def _ids(board: Board, *names: str) -> list[str]:
    return [next(e.id for e in board.cast if e.name == n) for n in names]


def test_a_shot_with_a_cast_sends_a_references_request_with_its_images_in_cast_order(board: Board) -> None:
    one, two, _three = board.shots
    one.cast = _ids(board, "film stock", "the lighthouse", "Mara")  # ticked in any order: cast order wins
    request = board.effective_request(one)
    assert request.model == model_id(MODE_REFERENCES, TIER_FAST)
    assert request.prompt == "@image1 climbs to @image2, graded like @image3"
    assert list(request.reference_images) == [cast_path(board.media_dir, e) for e in board.cast]
    assert shot_problems(board, one) == []
    # The lighthouse left out of shot two: film stock becomes @image2 and the list has two images.
    two.cast = _ids(board, "Mara", "film stock")
    request = board.effective_request(two)
    assert request.prompt == "@image1 looks out to sea, graded like @image2"
    names = [Path(p).name for p in request.reference_images]
    assert names == [board.cast[0].file_name, board.cast[2].file_name]
    request.validate()


def test_a_name_the_shot_does_not_use_is_refused_with_the_field_and_the_rule(board: Board) -> None:
    one = board.shots[0]
    one.cast = _ids(board, "Mara", "film stock")
    problems = shot_problems(board, one)
    assert [(p.field, p.message) for p in problems] == [
        ("prompt", "@[the lighthouse] is not ticked for this shot: tick it in its cast or remove the name")
    ]
    one.prompt = "@[Mara] meets @[Nobody]"
    assert "@[Nobody] names no cast entry of this board" in [p.message for p in shot_problems(board, one)]
    with pytest.raises(Exception, match="already has an entry named 'mara'"):
        board.add_cast("mara", board.cast[0].sha256, ".png")


def test_a_chained_shot_is_a_frames_request_from_the_previous_last_frame(board: Board, tmp_path: Path):
    three = board.shots[2]
    three.chain = True
    pending = board.effective_request(three)
    assert (pending.model, pending.first_frame) == (model_id(MODE_FRAMES, TIER_FAST), PENDING_FRAME)
    assert shot_problems(board, three) == []
    frame = str(quadrant_image(tmp_path / "last.png"))
    assert board.effective_request(three, frame).first_frame == frame
    # With a cast too: a references request whose @image1 is the frame, the cast from @image2 on.
    three.cast = _ids(board, "the lighthouse")
    three.prompt = "The beam of @[the lighthouse] sweeps the water"
    request = board.effective_request(three, frame)
    assert request.model == model_id(MODE_REFERENCES, TIER_FAST) and request.first_frame is None
    assert request.prompt == FIRST_FRAME_LINE + "The beam of @image2 sweeps the water"
    assert list(request.reference_images) == [frame, cast_path(board.media_dir, board.cast[1])]
    # The first shot has nothing to start from.
    board.shots[0].chain = True
    assert ("chain", "the first shot has no previous shot to start from") in [
        (p.field, p.message) for p in shot_problems(board, board.shots[0])
    ]


def test_the_estimate_prices_the_model_the_inputs_pick(board: Board) -> None:
    three = board.shots[2]
    three.chain = True
    frames = model_id(MODE_FRAMES, TIER_FAST)
    assert frames in MODEL_SPECS
    line = shot_estimate(board, three)
    assert line.model == frames and line.credits == estimate(frames, "480p", three.duration).credits


def test_a_cast_image_is_kept_once_per_content_and_checked_first(tmp_path: Path) -> None:
    media = tmp_path / "media"
    picture = plain_image(tmp_path / "a.png", (640, 480))
    copy = tmp_path / "b.png"
    copy.write_bytes(picture.read_bytes())
    assert store_cast_image(media, picture) == store_cast_image(media, copy)
    assert len(list((media / "cast").iterdir())) == 1
    with pytest.raises(ValueError, match="cast image"):
        store_cast_image(media, plain_image(tmp_path / "small.png", (200, 200)))
    assert len(list((media / "cast").iterdir())) == 1


def test_json_round_trip_carries_the_cast_with_its_images_and_the_chain(board: Board, tmp_path: Path) -> None:
    board.shots[1].cast = _ids(board, "Mara", "film stock")
    board.shots[2].chain = True
    board.add_shot(title="four", prompt="The boat turns home", chain=True, continues=FROM_VIDEO)
    same = loads_board(dumps_board(board))
    assert [(e.id, e.name, e.sha256) for e in same.cast] == [(e.id, e.name, e.sha256) for e in board.cast]
    links = [(s.cast, s.chain, s.continues) for s in board.shots]
    assert [(s.cast, s.chain, s.continues) for s in same.shots] == links
    assert [s.continues_video for s in same.shots] == [False, False, False, True]
    assert "image" not in json.loads(dumps_board(board))["cast"][0]  # the saved board only names the files

    shared = dumps_board(board, include_owner=False, embed_images=True)
    elsewhere = tmp_path / "elsewhere"
    copy = import_board_json(shared, "d" * 32, elsewhere)
    assert copy.id != board.id and [e.name for e in copy.cast] == ["Mara", "the lighthouse", "film stock"]
    for entry in copy.cast:
        stored = Path(cast_path(elsewhere, entry))
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == entry.sha256
    assert copy.effective_request(copy.shots[1]).prompt == "@image1 looks out to sea, graded like @image2"

    tampered = json.loads(shared)
    tampered["cast"][0]["image"] = tampered["cast"][1]["image"]
    with pytest.raises(BoardFormatError, match=r"cast\[0\]\.image"):
        import_board_json(json.dumps(tampered), "d" * 32, tmp_path / "third")


def test_csv_keeps_cast_names_and_the_chain_flag_and_appends(board: Board) -> None:
    board.shots[1].cast = _ids(board, "Mara", "film stock")
    board.shots[2].chain = True
    board.add_shot(title="four", prompt="The boat turns home", chain=True, continues=FROM_VIDEO)
    text = board_to_csv(board)
    assert text.splitlines()[0].endswith(",cast,chain")
    assert [line.rsplit(",", 1)[1] for line in text.splitlines()[1:]] == ["false", "false", "true", "video"]
    before = [s.id for s in board.shots]
    added = import_csv(board, text, replace=False)
    assert [s.id for s in board.shots][:4] == before and len(board.shots) == 8
    links = [(s.cast, s.chain, s.continues) for s in board.shots[:4]]
    assert [(s.cast, s.chain, s.continues) for s in added] == links
    wrong = "row 2, column chain: 'sometimes' is not true, false or video"
    with pytest.raises(BoardFormatError, match=wrong):
        import_csv(board, "prompt,chain\r\nhello,sometimes\r\n", replace=False)
    unknown = "prompt,cast\r\nhello,Mara; Ghost\r\n"
    with pytest.raises(BoardFormatError, match="row 2, column cast: 'Ghost' is not in the board's cast"):
        import_csv(board, unknown, replace=False)
    assert len(board.shots) == 8


def test_the_session_adds_and_removes_cast_and_appends_csv_shots(tmp_path: Path) -> None:
    session = BoardSession(tmp_path / "data", jobs=None, files=None)  # type: ignore[arg-type]
    board, _ = session.open(OWNER, None, None)
    shown = Shown.of(OWNER, board.id, board.shots[0].id)
    picture = quadrant_image(tmp_path / "mara.png", (640, 640))
    board = session.add_cast(shown, "Mara", picture)
    with pytest.raises(Refused, match="already has an entry named 'Mara'"):
        session.add_cast(shown, "Mara", picture)
    with pytest.raises(Refused, match="cast image"):
        session.add_cast(shown, "Tiny", plain_image(tmp_path / "tiny.png", (100, 100)))
    entry = board.cast[0]
    assert Path(cast_path(session.boards.owner_dir(OWNER), entry)).is_file()
    ticked = Shown.of(OWNER, board.id, board.shots[0].id, {"shot_cast": [entry.id], "shot_chain": False})
    assert session.commit(ticked).shots[0].cast == [entry.id]  # type: ignore[union-attr]

    csv_file = tmp_path / "more.csv"
    csv_file.write_text("prompt,cast,chain\r\n@[Mara] waves,Mara,true\r\n", encoding="utf-8")
    board, selected = session.append_csv(shown, csv_file)
    assert len(board.shots) == 4 and selected == board.shots[3].id
    assert (board.shots[3].cast, board.shots[3].chain) == ([entry.id], True)
    board = session.remove_cast(shown, entry.id)
    assert board.cast == [] and all(not s.cast for s in board.shots)
