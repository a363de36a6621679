"""Nothing lost by a slip (#24, item 10), at the session level (no Gradio, no jobs): deleting a shot with its
chosen take, a take or a board can be undone for a few seconds (a board then is purged with its files and
its review links closed); an untouched new board is replaced by an import, and a failed import leaves no
board behind. The shelf itself: undo in time restores, else the finish runs, exactly once.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from conftest import wait_until

from seedance_ui.storyboard import Board, dumps_board
from seedance_ui.storyboard.blank import is_untouched
from seedance_ui.storyboard.clips import export_stem
from seedance_ui.storyboard.model import Take, new_id
from seedance_ui.storyboard.page import Shown
from seedance_ui.storyboard.session import BoardSession, Refused
from seedance_ui.storyboard.slips import TOO_LATE, Slips
from seedance_ui.undo import UndoShelf

OWNER, STRANGER = "a" * 32, "b" * 32
SECONDS = 0.6  # the undo time of these tests: long enough to undo, short enough to wait out


def make(tmp_path: Path) -> tuple[BoardSession, Slips]:
    session = BoardSession(tmp_path / "data", jobs=None, files=None)  # type: ignore[arg-type]
    return session, Slips(session, SECONDS)


def board_with_takes(session: BoardSession) -> Board:
    board = Board(owner=OWNER, title="Night ferry")
    for n in range(3):
        shot = board.add_shot(title=f"Shot {n + 1}", prompt=f"The ferry, beat {n + 1}")
        shot.takes = [Take(job_id=new_id()), Take(job_id=new_id())]
        shot.chosen_take, shot.chosen_by_user = shot.takes[1].id, True
    return session.boards.save(board)


def shown(board: Board, shot_id: str | None) -> Shown:
    return Shown.of(OWNER, board.id, shot_id)


def test_the_shelf_restores_in_time_and_finishes_once_otherwise() -> None:
    shelf = UndoShelf(0.3)
    finished: list[str] = []
    first = shelf.shelve(OWNER, "one", lambda: "back", lambda: finished.append("one"))
    second = shelf.shelve(OWNER, "two", lambda: "back", lambda: finished.append("two"))
    assert shelf.undo(STRANGER, first) == (False, None)  # never another owner's
    assert shelf.undo(OWNER, first) == (True, "back")
    assert shelf.undo(OWNER, first) == (False, None)  # once
    wait_until(lambda: finished == ["two"])
    assert shelf.undo(OWNER, second) == (False, None)  # too late
    done = threading.Event()
    shelf.shelve(OWNER, "three", lambda: None, done.set)
    shelf.close()  # a stopping app finishes what is still shelved
    assert done.is_set() and finished == ["two"]


def test_a_deleted_shot_with_its_chosen_take_comes_back_in_its_place(tmp_path: Path) -> None:
    session, slips = make(tmp_path)
    board = board_with_takes(session)
    second = board.shots[1]
    done = slips.delete_shot(shown(board, second.id))
    assert "Shot 2 and its chosen take deleted" in done.message
    assert [s.id for s in session.boards.get(OWNER, board.id).shots] == [board.shots[0].id, board.shots[2].id]
    assert done.shot_id == board.shots[2].id
    with pytest.raises(Refused):
        slips.undo(STRANGER, done.token)
    again, selected = slips.undo(OWNER, done.token)
    saved = session.boards.get(OWNER, board.id)
    assert [s.id for s in saved.shots] == [s.id for s in board.shots] and selected == second.id
    assert saved.shot(second.id).chosen_take == second.takes[1].id and again.id == board.id
    with pytest.raises(Refused, match=TOO_LATE):
        slips.undo(OWNER, done.token)


def test_a_deleted_take_comes_back_chosen_and_too_late_stays_gone(tmp_path: Path) -> None:
    session, slips = make(tmp_path)
    board = board_with_takes(session)
    shot = board.shots[0]
    done = slips.delete_take(shown(board, shot.id), shot.id, shot.takes[1].id)
    assert done.message == "Take 2 of shot 1 deleted."
    after = session.boards.get(OWNER, board.id).shot(shot.id)
    assert [t.id for t in after.takes] == [shot.takes[0].id] and after.chosen_take is None
    slips.undo(OWNER, done.token)
    back = session.boards.get(OWNER, board.id).shot(shot.id)
    assert [t.id for t in back.takes] == [t.id for t in shot.takes]
    assert back.chosen_take == shot.takes[1].id and back.chosen_by_user

    late = slips.delete_take(shown(board, shot.id), shot.id, shot.takes[0].id)
    wait_until(lambda: slips.shelf.what(OWNER, late.token) is None)  # the undo time ran out
    with pytest.raises(Refused, match=TOO_LATE):
        slips.undo(OWNER, late.token)
    assert len(session.boards.get(OWNER, board.id).shot(shot.id).takes) == 1


def test_a_deleted_board_leaves_the_list_then_its_files_and_links_go(tmp_path: Path) -> None:
    session, slips = make(tmp_path)
    keep = session.boards.save(Board(owner=OWNER, title="Keep me"))
    board = board_with_takes(session)
    folder = session.boards.owner_dir(OWNER)
    cast = folder / "cast" / ("c" * 64 + ".png")
    cast.parent.mkdir(parents=True)
    cast.write_bytes(b"png")
    board.add_cast("Mara", "c" * 64, ".png")
    session.boards.save(board)
    export = session.exports_dir(OWNER) / f"{export_stem(board)}.json"
    export.parent.mkdir(parents=True)
    export.write_text("{}")
    purged: list[tuple[str, str]] = []
    slips.trash.on_purged.append(lambda owner, board_id: purged.append((owner, board_id)))

    done = slips.delete_board(shown(board, None))
    assert done.board.id == keep.id
    assert [s.id for s in session.boards.summaries(OWNER)] == [keep.id]
    assert session.boards.get(OWNER, board.id) is None  # a review link's page reads nothing
    restored, _ = slips.undo(OWNER, done.token)
    assert restored.id == board.id and session.boards.summaries(OWNER)[0].id == board.id

    done = slips.delete_board(shown(board, None))
    wait_until(lambda: purged == [(OWNER, board.id)])
    assert session.boards.db.get_board(OWNER, board.id) is None  # its row is gone, trash and all
    assert not cast.exists() and not export.exists()
    assert session.boards.get(OWNER, keep.id) is not None


def test_a_board_trashed_by_a_stopped_app_is_purged_on_the_next_start(tmp_path: Path) -> None:
    session, slips = make(tmp_path)
    board = board_with_takes(session)
    slips.delete_board(shown(board, None))
    slips.shelf._items.clear()  # the app stopped before the time ran out: nothing finished
    trashed_at = session.boards.db.get_board(OWNER, board.id)["trashed_at"]
    assert trashed_at is not None
    make(tmp_path)  # another replica starting within the undo time leaves it undoable
    assert session.boards.restore(OWNER, board.id) is not None
    slips.delete_board(shown(board, None))
    slips.shelf._items.clear()
    trashed_at = session.boards.db.get_board(OWNER, board.id)["trashed_at"]
    wait_until(lambda: time.time() > trashed_at + SECONDS)  # the undo time is over
    make(tmp_path)
    assert session.boards.db.get_board(OWNER, board.id) is None


def test_the_last_board_deleted_opens_a_new_empty_one(tmp_path: Path) -> None:
    session, slips = make(tmp_path)
    board = board_with_takes(session)
    done = slips.delete_board(shown(board, None))
    assert done.board.id != board.id and is_untouched(done.board)


def test_an_import_replaces_an_untouched_new_board(tmp_path: Path) -> None:
    session, _slips = make(tmp_path)
    blank, shot_id = session.new_board(Shown.of(OWNER, None, None))
    assert is_untouched(blank)
    source = Board(owner=STRANGER, title="From a friend")
    source.add_shot(prompt="A kite over the dunes")
    path = tmp_path / "friend.json"
    path.write_text(dumps_board(source))
    imported = session.import_file(shown(blank, shot_id), path)
    assert [s.id for s in session.boards.summaries(OWNER)] == [imported.id]

    blank, shot_id = session.new_board(Shown.of(OWNER, None, None))
    csv = tmp_path / "shots.csv"
    csv.write_text("title,prompt,duration\nOpen,A kite rises,5\nClose,It lands,5\n")
    board, first = session.append_csv(shown(blank, shot_id), csv)
    assert [s.prompt for s in board.shots] == ["A kite rises", "It lands"] and first == board.shots[0].id

    written = session.boards.get(OWNER, imported.id)
    written.shots[0].prompt = ""
    assert not is_untouched(written)  # an imported title is not a default one: kept


def test_a_failed_import_leaves_no_board(tmp_path: Path) -> None:
    session, _slips = make(tmp_path)
    board, shot_id = session.new_board(Shown.of(OWNER, None, None))
    session.boards.save(board)
    session.boards.summaries(OWNER)
    before = sorted(p.name for p in session.boards.owner_dir(OWNER).rglob("*"))
    bad = tmp_path / "broken.json"
    bad.write_text(json.dumps({"title": "x", "shots": "not a list"}))
    with pytest.raises(Refused, match=r"Could not import broken\.json"):
        session.import_file(shown(board, shot_id), bad)
    assert [s.id for s in session.boards.summaries(OWNER)] == [board.id]
    assert sorted(p.name for p in session.boards.owner_dir(OWNER).rglob("*")) == before


def test_a_deleted_boards_review_links_stop_opening_and_are_revoked_when_it_is_purged(tmp_path: Path) -> None:
    from seedance_ui.review.rules import LinkClosed
    from seedance_ui.review.service import ReviewService
    from seedance_ui.store import HistoryStore

    store = HistoryStore(tmp_path / "data")
    try:
        session = BoardSession(tmp_path / "data", jobs=None, files=store)  # type: ignore[arg-type]
        slips = Slips(session, SECONDS)
        reviews = ReviewService(store, boards=session.boards)
        slips.trash.on_purged.append(reviews.revoke_board)
        board = board_with_takes(session)
        token, link = reviews.share(OWNER, board.id)
        assert reviews.open(token).id == link.id

        done = slips.delete_board(shown(board, None))
        with pytest.raises(LinkClosed):  # while it can be undone: the board is not there to show
            reviews.open(token)
        slips.undo(OWNER, done.token)
        assert reviews.open(token).id == link.id  # undone: the link works again

        slips.delete_board(shown(board, None))
        wait_until(lambda: reviews.links(OWNER, board.id)[0].revoked_at is not None)
        with pytest.raises(LinkClosed):
            reviews.open(token)
    finally:
        store.close()


def test_the_continuity_sample_replaces_an_untouched_new_board(tmp_path: Path) -> None:
    session, _slips = make(tmp_path)
    blank, shot_id = session.new_board(Shown.of(OWNER, None, None))
    sample = session.open_sample(shown(blank, shot_id))
    assert [s.id for s in session.boards.summaries(OWNER)] == [sample.id]
    written, shot_id = session.new_board(Shown.of(OWNER, None, None))
    page = Shown.of(OWNER, written.id, shot_id, {"shot_prompt": "A gull lands on the rail"})
    session.open_sample(page)  # a board someone wrote in stays
    assert written.id in {s.id for s in session.boards.summaries(OWNER)}
