"""BoardStore: one JSON file per board under a per-owner directory, atomic writes, owner scoping."""

import hashlib
import json
import shutil

import pytest

from seedance_ui.storyboard import Board, BoardStore, StoryboardError, Take, loads_board


@pytest.fixture
def store(tmp_path):
    return BoardStore(tmp_path)


def _board(owner: str, title: str = "B") -> Board:
    board = Board(owner=owner, title=title, style="noir")
    shot = board.add_shot(title="one", prompt="a fox")
    shot.takes.append(Take(job_id="f" * 32))
    return board


def test_save_get_round_trip_and_layout(store, tmp_path):
    board = _board("alice")
    store.save(board)
    path = tmp_path / "boards" / hashlib.sha256(b"alice").hexdigest()[:16] / f"{board.id}.json"
    assert path.is_file()
    assert json.loads(path.read_text())["format"] == "seedance-storyboard"
    assert store.get("alice", board.id) == board
    assert loads_board(path.read_text()) == board


def test_save_is_atomic_and_leaves_no_temp_files(store):
    board = _board("alice")
    for i in range(3):
        board.title = f"v{i}"
        store.save(board)
    files = list(store.owner_dir("alice").iterdir())
    assert [f.name for f in files] == [f"{board.id}.json"]
    assert store.get("alice", board.id).title == "v2"


def test_save_touches_updated_at_unless_asked_not_to(store):
    board = _board("alice")
    board.updated_at = 5.0
    store.save(board, touch=False)
    assert store.get("alice", board.id).updated_at == 5.0
    store.save(board)
    assert store.get("alice", board.id).updated_at > 5.0


def test_list_is_per_owner_newest_first(store):
    a1, a2, b1 = _board("alice", "a1"), _board("alice", "a2"), _board("bob", "b1")
    for board, stamp in ((a1, 10.0), (a2, 20.0), (b1, 30.0)):
        board.updated_at = stamp
        store.save(board, touch=False)
    assert [b.title for b in store.list("alice")] == ["a2", "a1"]
    assert [b.title for b in store.list("bob")] == ["b1"]
    assert store.list("carol") == []


def test_other_owners_cannot_get_or_delete(store):
    board = store.save(_board("alice"))
    assert store.get("bob", board.id) is None
    assert store.delete("bob", board.id) is False
    assert store.get("alice", board.id) is not None
    assert store.delete("alice", board.id) is True
    assert store.get("alice", board.id) is None
    assert store.delete("alice", board.id) is False


def test_a_file_copied_into_another_owners_folder_is_not_served(store):
    board = store.save(_board("alice"))
    bob_dir = store.owner_dir("bob")
    bob_dir.mkdir(parents=True)
    shutil.copy(store.path_for("alice", board.id), bob_dir / f"{board.id}.json")
    assert store.get("bob", board.id) is None
    assert store.list("bob") == []


@pytest.mark.parametrize("bad", ["../../etc/passwd", "A" * 32, "a" * 31, "", "a" * 32 + "/x"])
def test_board_ids_are_validated_before_paths_are_built(store, bad):
    for call in (lambda: store.get("alice", bad), lambda: store.delete("alice", bad)):
        with pytest.raises(StoryboardError):
            call()
    board = _board("alice")
    board.id = bad
    with pytest.raises(StoryboardError):
        store.save(board)
    assert not (store.root / "etc").exists()


def test_owner_is_required(store):
    with pytest.raises(StoryboardError):
        store.list("")


def test_unreadable_files_are_skipped(store):
    good = store.save(_board("alice"))
    (store.owner_dir("alice") / f"{'e' * 32}.json").write_text("{not json")
    (store.owner_dir("alice") / f".{good.id}.abc.tmp.json").write_text("{half writ")  # another save, mid-way
    assert [b.id for b in store.list("alice")] == [good.id]
    assert store.get("alice", "e" * 32) is None


def test_create(store):
    board = store.create("alice", "Pilot")
    assert store.get("alice", board.id).title == "Pilot"
