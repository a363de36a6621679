"""BoardStore: boards as rows of the studio's database (#22), scoped per owner, on SQLite and on PostgreSQL.

Round trips, owner scoping, id checks, the list without parsing, the trash; two BoardStores on one
PostgreSQL (two replicas) see each other's saves and deletes; concurrent saves of one board never mix.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pg_server import truncate_all

from seedance_ui.store.interface import Database
from seedance_ui.store.local import open_database
from seedance_ui.storyboard import Board, BoardStore, StoryboardError, Take, dumps_board, loads_board


@pytest.fixture
def store(tmp_path: Path, db: Database) -> BoardStore:
    return BoardStore(tmp_path / "data", db=db)


def _board(owner: str, title: str = "B") -> Board:
    board = Board(owner=owner, title=title, style="noir")
    shot = board.add_shot(title="one", prompt="a fox")
    shot.takes.append(Take(job_id="f" * 32))
    return board


def test_save_get_round_trip_as_a_row_not_a_file(store: BoardStore, db: Database) -> None:
    board = _board("alice")
    store.save(board)
    row = db.get_board("alice", board.id)
    assert row is not None and loads_board(row["body"]) == board
    assert (row["title"], row["shot_count"], row["size"]) == ("B", 1, len(dumps_board(board).encode()))
    assert store.get("alice", board.id) == board
    assert store.get("alice", board.id).media_dir == store.owner_dir("alice")
    assert not store.root.exists() or not list(store.root.rglob("*.json"))  # no board file anywhere


def test_each_save_replaces_the_row_and_bumps_its_version(store: BoardStore, db: Database) -> None:
    board = _board("alice")
    for i in range(3):
        board.title = f"v{i}"
        store.save(board)
    assert store.get("alice", board.id).title == "v2"
    assert store.stamps("alice") == {board.id: 3} and len(db.board_rows("alice")) == 1


def test_save_touches_updated_at_unless_asked_not_to(store: BoardStore) -> None:
    board = _board("alice")
    board.updated_at = 5.0
    store.save(board, touch=False)
    assert store.get("alice", board.id).updated_at == 5.0
    store.save(board)
    assert store.get("alice", board.id).updated_at > 5.0


def test_list_and_summaries_are_per_owner_newest_first(store: BoardStore) -> None:
    a1, a2, b1 = _board("alice", "a1"), _board("alice", "a2"), _board("bob", "b1")
    for board, stamp in ((a1, 10.0), (a2, 20.0), (b1, 30.0)):
        board.updated_at = stamp
        store.save(board, touch=False)
    assert [b.title for b in store.list("alice")] == ["a2", "a1"]
    assert [(s.title, s.shot_count, s.updated_at) for s in store.summaries("alice")] == [
        ("a2", 1, 20.0), ("a1", 1, 10.0)]
    assert [b.title for b in store.list("bob")] == ["b1"]
    assert store.list("carol") == [] and store.summaries("carol") == []


def test_other_owners_cannot_get_or_delete(store: BoardStore) -> None:
    board = store.save(_board("alice"))
    assert store.get("bob", board.id) is None
    assert store.delete("bob", board.id) is False
    assert store.get("alice", board.id) is not None
    assert store.delete("alice", board.id) is True
    assert store.get("alice", board.id) is None
    assert store.delete("alice", board.id) is False


def test_a_row_that_names_another_owner_is_not_served(store: BoardStore, db: Database) -> None:
    board = store.save(_board("alice"))
    row = dict(db.get_board("alice", board.id) or {})
    db.put_board({**row, "owner": "bob"})  # alice's JSON under bob's key
    assert store.get("bob", board.id) is None
    assert store.list("bob") == []


@pytest.mark.parametrize("bad", ["../../etc/passwd", "A" * 32, "a" * 31, "", "a" * 32 + "/x"])
def test_board_ids_are_validated(store: BoardStore, bad: str) -> None:
    for call in (lambda: store.get("alice", bad), lambda: store.delete("alice", bad),
                 lambda: store.restore("alice", bad), lambda: store.purge("alice", bad)):
        with pytest.raises(StoryboardError):
            call()
    board = _board("alice")
    board.id = bad
    with pytest.raises(StoryboardError):
        store.save(board)
    assert store.summaries("alice") == []


def test_owner_is_required(store: BoardStore) -> None:
    for call in (lambda: store.list(""), lambda: store.summaries(""), lambda: store.save(_board(""))):
        with pytest.raises(StoryboardError):
            call()


def test_an_unreadable_row_is_skipped(store: BoardStore, db: Database) -> None:
    good = store.save(_board("alice"))
    db.put_board({"owner": "alice", "board_id": "e" * 32, "body": "{not json", "title": "x", "shot_count": 0,
                  "updated_at": 1.0, "pending": 0, "size": 9})
    assert [b.id for b in store.list("alice")] == [good.id]
    assert store.get("alice", "e" * 32) is None


def test_create(store: BoardStore) -> None:
    board = store.create("alice", "Pilot")
    assert store.get("alice", board.id).title == "Pilot"


def test_the_trash_hides_restores_and_purges(store: BoardStore, db: Database) -> None:
    changed: list[str] = []
    store.listen(changed.append)
    board = store.save(_board("alice"))
    assert store.trash("bob", board.id) is None
    assert store.trash("alice", board.id) == board
    assert store.get("alice", board.id) is None and store.summaries("alice") == []
    assert db.board_bytes("alice") == len(dumps_board(board).encode())  # the trash still takes room
    assert store.restore("alice", board.id) == board and store.restore("alice", board.id) is None
    assert store.purge("alice", board.id) is None  # not in the trash: kept
    store.trash("alice", board.id)
    assert store.trashed(before=0.0) == []
    [(owner, board_id)] = store.trashed(before=9e9)
    assert (owner, board_id) == ("alice", board.id)
    assert store.purge("alice", board.id) == board and db.get_board("alice", board.id) is None
    assert changed == [board.id] * 4  # save, trash, restore, trash: in-process listeners fire


def test_pending_boards_are_found_for_every_owner(store: BoardStore) -> None:
    waiting, idle = _board("alice"), _board("bob")
    waiting.pending = [waiting.shots[0].id]
    store.save(waiting)
    store.save(idle)
    assert [b.id for b in store.owners_with_pending()] == [waiting.id]
    waiting.pending = []
    store.save(waiting)
    assert store.owners_with_pending() == []


# --- two replicas on one PostgreSQL -------------------------------------------------------------------


@pytest.fixture
def replicas(postgres_url: str, tmp_path: Path) -> Iterator[tuple[BoardStore, BoardStore]]:
    """Two BoardStores as two replicas would hold them: each its own database object and data dir."""
    truncate_all(postgres_url)
    one, two = open_database(tmp_path / "a", postgres_url), open_database(tmp_path / "b", postgres_url)
    yield BoardStore(tmp_path / "a", db=one), BoardStore(tmp_path / "b", db=two)
    one.close()
    two.close()


def test_two_replicas_see_each_others_boards_and_deletes(replicas: tuple[BoardStore, BoardStore]) -> None:
    a, b = replicas
    board = a.save(_board("alice", "From replica A"))
    assert b.get("alice", board.id) == board
    assert [s.title for s in b.summaries("alice")] == ["From replica A"]
    seen = b.get("alice", board.id)
    seen.title = "Renamed on B"
    b.save(seen)
    assert a.get("alice", board.id).title == "Renamed on B"
    assert a.stamps("alice") == b.stamps("alice") == {board.id: 2}
    assert b.trash("alice", board.id) is not None
    assert a.get("alice", board.id) is None and a.summaries("alice") == []
    assert a.restore("alice", board.id) is not None and b.get("alice", board.id) is not None
    assert a.delete("alice", board.id) and b.get("alice", board.id) is None and b.list("alice") == []


def test_concurrent_saves_from_two_replicas_never_mix(replicas: tuple[BoardStore, BoardStore]) -> None:
    a, b = replicas
    board = a.save(_board("alice"))
    errors: list[BaseException] = []

    def save_many(store: BoardStore, label: str) -> None:
        mine = store.get("alice", board.id)
        try:
            for n in range(25):
                mine.title = f"{label}{n}"
                mine.shots[0].prompt = f"{label} prompt {n}"
                store.save(mine)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=save_many, args=(s, label)) for s, label in ((a, "A"), (b, "B"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    final = b.get("alice", board.id)
    assert final.title in ("A24", "B24")  # one replica's last save, whole: never half of each
    assert final.shots[0].prompt == f"{final.title[0]} prompt 24"
    assert a.stamps("alice") == {board.id: 51} and len(a.list("alice")) == 1


def test_one_replica_at_a_time_looks_at_a_boards_chain(replicas: tuple[BoardStore, BoardStore]) -> None:
    from seedance_ui.storyboard.chain_runner import ChainRunner

    a, b = replicas
    board = _board("alice")
    board.pending = [board.shots[0].id]
    a.save(board)
    runners = [ChainRunner(store, lambda _board_id: threading.Lock(), None, None)  # type: ignore[arg-type]
               for store in (a, b)]
    with runners[0]._claim(board.id) as first:
        assert first
        with runners[1]._claim(board.id) as second:
            assert not second  # replica B would send the chained shot A is sending: it waits
        assert runners[1].advance("alice", board.id) == []
    with runners[1]._claim(board.id) as again:
        assert again  # dropped when A's look was over


# --- changes of one board from two replicas: each reads what the other saved ---------------------------


@pytest.fixture
def sessions(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """Two BoardSessions on one PostgreSQL, as two replicas hold them (no job manager: edits only)."""
    from seedance_ui.storyboard.session import BoardSession

    truncate_all(postgres_url)
    dbs = [open_database(tmp_path / name, postgres_url) for name in ("a", "b")]
    made = tuple(BoardSession(tmp_path / name, None, SimpleNamespace(db=db, database_url=postgres_url))
                 for name, db in zip(("a", "b"), dbs, strict=True))
    yield made
    for session, db in zip(made, dbs, strict=True):
        session.close()
        db.close()


def test_changes_of_one_board_on_two_replicas_never_overwrite_each_other(sessions: tuple[Any, Any]) -> None:
    """Each replica changes its own shot of one board 20 times (read, change, save, as the page's saves
    do); every change survives. Without the claim, a save wrote back the other replica's shot as it read
    it, and changes were lost."""
    a, b = sessions
    board = _board("alice")
    board.add_shot(title="two", prompt="an owl")
    a.boards.save(board)

    def change_many(session: Any, index: int, label: str) -> None:
        for n in range(20):
            with session._lock(board.id):
                mine = session.boards.get("alice", board.id)
                time.sleep(0.003)  # the time a page's change takes between its read and its save
                mine.shots[index].prompt = f"{label} {n}"
                session.boards.save(mine)

    threads = [threading.Thread(target=change_many, args=args) for args in ((a, 0, "A"), (b, 1, "B"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = b.boards.get("alice", board.id)
    assert [shot.prompt for shot in final.shots] == ["A 19", "B 19"]
    assert b.boards.stamps("alice") == {board.id: 41}


def test_a_board_held_too_long_by_another_replica_is_refused_with_a_message(
    sessions: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedance_ui.storyboard import persist
    from seedance_ui.storyboard.session import Refused

    a, b = sessions
    monkeypatch.setattr(persist, "EDIT_WAIT_SECONDS", 0.3)
    refused = pytest.raises(Refused, match="another replica is still saving this board")
    with a._lock("some-board"), refused, b._lock("some-board"):
        pass
    with b._lock("some-board"):  # dropped when A's change was over
        pass


def test_one_process_on_sqlite_takes_no_claim(tmp_path: Path) -> None:
    store = BoardStore(tmp_path / "data")
    assert not store.shared
    with store.held("board"), store.held("board"):  # a no-op: the session's lock is enough there
        pass
    store.close()
