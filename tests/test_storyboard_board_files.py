"""Boards kept as JSON files before migration 12 come into the database once (#22, items 2 and 8).

The files are written the old way (jsonio's JSON at `boards/<sha256(owner)[:16]>/<id>.json`, an
`_index.json` beside them, a trashed board under `.trash/`). Opening the database imports them on
SQLite and on PostgreSQL, moves them to `boards/.json-backup/`, and opening again doubles nothing;
`python -m seedance_ui.store copy` takes a studio's boards to PostgreSQL, twice without duplicates. The
disk quota counts the bytes of a visitor's boards in the database.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pg_server import truncate_all

from seedance_ui.store import postgres as pg
from seedance_ui.store.local import open_database
from seedance_ui.store.quota import DiskQuota, QuotaExceeded
from seedance_ui.storyboard import Board, BoardStore, Take, dumps_board
from seedance_ui.storyboard.board_files import BACKUP_DIRNAME, INDEX_NAME, TRASH_DIRNAME

ROOT = Path(__file__).resolve().parent.parent
ALICE, BOB = "alice", "hf:bob"


def _folder(data: Path, owner: str) -> Path:
    return data / "boards" / hashlib.sha256(owner.encode()).hexdigest()[:16]


def _board(owner: str, title: str, updated: float) -> Board:
    board = Board(owner=owner, title=title)
    shot = board.add_shot(title="one", prompt=f"{title}: a ferry at night")
    shot.takes.append(Take(job_id="f" * 32))
    board.updated_at = updated
    return board


def write_old_studio(data: Path) -> dict[str, Board]:
    """Board files as the file-per-board store wrote them: two of Alice's (one in the trash), one of Bob's,
    the list's index, an unreadable file and a copy of Alice's board put in Bob's folder."""
    boards = {"a1": _board(ALICE, "Alice one", 10.0), "a2": _board(ALICE, "Alice two", 20.0),
              "gone": _board(ALICE, "Alice trashed", 5.0), "b1": _board(BOB, "Bob one", 30.0)}
    for key in ("a1", "a2", "b1"):
        board = boards[key]
        path = _folder(data, board.owner) / f"{board.id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps_board(board), encoding="utf-8")
    trashed = _folder(data, ALICE) / TRASH_DIRNAME / f"{boards['gone'].id}.json"
    trashed.parent.mkdir(parents=True)
    trashed.write_text(dumps_board(boards["gone"]), encoding="utf-8")
    (_folder(data, ALICE) / INDEX_NAME).write_text(json.dumps({boards["a1"].id: {"title": "stale"}}))
    (_folder(data, ALICE) / f"{'e' * 32}.json").write_text("{not json")
    (_folder(data, BOB) / f"{boards['a1'].id}.json").write_text(dumps_board(boards["a1"]))  # not Bob's
    (_folder(data, ALICE) / "cast").mkdir()
    (_folder(data, ALICE) / "cast" / ("c" * 64 + ".png")).write_bytes(b"png")  # media stay where they are
    return boards


def _check_imported(store: BoardStore, boards: dict[str, Board]) -> None:
    assert [b.title for b in store.list(ALICE) if b.title.startswith("Alice")] == ["Alice two", "Alice one"]
    assert [s.title for s in store.summaries(BOB)] == ["Bob one"]
    assert store.get(ALICE, boards["a1"].id) == boards["a1"]
    assert store.get(BOB, boards["a1"].id) is None  # the copy in Bob's folder named Alice: not imported
    assert store.get(ALICE, boards["gone"].id) is None  # still in the trash
    assert store.trashed(before=9e9) == [(ALICE, boards["gone"].id)]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_board_files_are_imported_once_on_open(tmp_path: Path, backend: str,
                                               request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else ""
    if url:
        truncate_all(url)
    data = tmp_path / "data"
    boards = write_old_studio(data)
    for _run in range(2):  # a second open (and a third store) finds nothing left to import
        db = open_database(data, url)
        try:
            _check_imported(BoardStore(data, db=db), boards)
            assert len(db.board_rows(ALICE)) == 2 and len(db.board_rows(BOB)) == 1
        finally:
            db.close()
    assert list(data.glob("boards/[0-9a-f]*/**/*.json")) == []  # never read again: moved away
    backup = data / "boards" / BACKUP_DIRNAME
    kept = sorted(p.relative_to(backup).as_posix() for p in backup.rglob("*.json"))
    assert len(kept) == 6 and not any(INDEX_NAME in name for name in kept)
    assert (_folder(data, ALICE) / "cast" / ("c" * 64 + ".png")).is_file()


def test_a_board_saved_since_is_not_overwritten_by_its_old_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    boards = write_old_studio(data)
    db = open_database(data)
    store = BoardStore(data, db=db)
    newer = store.get(ALICE, boards["a1"].id)
    newer.title = "Renamed after the upgrade"
    store.save(newer)
    # the same file shows up again (restored from a backup by hand): the database's board is kept
    again = _folder(data, ALICE) / f"{newer.id}.json"
    again.write_text(dumps_board(boards["a1"]), encoding="utf-8")
    db.close()
    db = open_database(data)
    try:
        assert BoardStore(data, db=db).get(ALICE, newer.id).title == "Renamed after the upgrade"
        assert not again.exists()
    finally:
        db.close()


def test_the_disk_quota_counts_the_bytes_of_a_visitors_boards(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = open_database(data)
    try:
        store = BoardStore(data, DiskQuota(data, 20_000, db), db)
        board = _board(ALICE, "Big", 1.0)
        board.shots[0].prompt = "x" * 12_000
        store.save(board)
        assert store.quota is not None and store.quota.measure(ALICE) >= 12_000
        second = _board(ALICE, "Bigger", 2.0)
        second.shots[0].prompt = "y" * 12_000
        with pytest.raises(QuotaExceeded, match="SEEDANCE_VISITOR_DISK_MB"):
            store.save(second)
        assert [s.title for s in store.summaries(ALICE)] == ["Big"]  # nothing written
    finally:
        db.close()


def _copy(data: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "seedance_ui.store", "copy", "--to", url, "--data-dir",
                           str(data)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_copy_takes_a_studios_boards_to_postgresql_twice_without_duplicates(
    postgres_url: str, tmp_path: Path
) -> None:
    truncate_all(postgres_url)
    data = tmp_path / "studio"
    source = open_database(data)  # a studio that has run: its database, a board saved as a row
    saved = BoardStore(data, db=source).save(_board(ALICE, "Saved as a row", 40.0), touch=False)
    source.close()
    boards = write_old_studio(data)  # and board files it never opened since (an older studio's)
    for _run in range(2):
        done = _copy(data, postgres_url)
        assert done.returncode == 0, done.stderr
        assert "boards" in done.stdout
    target = pg.PostgresDatabase(postgres_url)
    try:
        store = BoardStore(tmp_path / "replica", db=target)
        assert [b.title for b in store.list(ALICE)] == ["Saved as a row", "Alice two", "Alice one"]
        assert store.get(ALICE, saved.id) == saved
        _check_imported(store, boards)
        assert len(target.board_rows(ALICE)) == 3 and len(target.board_rows(BOB)) == 1
    finally:
        target.close()
