"""The history's pages against SQLite (#24 item 9): search over prompts, filters by mode, status, board and
star, pages past 200 items, a key's jobs beside the page's own; filtered, counted and paged in SQL over
indexes; storyboard takes known by board, shot and take (and kept in step with the boards)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from history_seed import BOARD_TITLE, Seeded, seed_history

from seedance_ui.security.key_owner import key_owner
from seedance_ui.store import HistoryStore, JobRecord
from seedance_ui.store import sqlite as store_module
from seedance_ui.store.query import BOARD_STUDIO, MODE_EXTEND, HistoryQuery
from seedance_ui.storyboard.persist import BoardStore
from seedance_ui.storyboard.takes_index import TakesIndex

OWNER = "a" * 32
PAGE = 60


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):
    with HistoryStore(tmp_path_factory.mktemp("history")) as store:
        seeded = seed_history(store, OWNER)
        TakesIndex(store).sync(OWNER)
        yield store, seeded


def ids(store: HistoryStore, query: HistoryQuery, owners: list[str] | None = None) -> list[str]:
    return [row.record.id for row in store.query(owners or [OWNER], query, 500).rows]


def test_pages_reach_the_oldest_of_230_items(seeded: tuple[HistoryStore, Seeded]) -> None:
    store, s = seeded
    newest_first = [*reversed(s.takes), *reversed(s.studio)]
    pages = [store.query([OWNER], HistoryQuery(page=n), PAGE) for n in range(4)]
    assert [len(p.rows) for p in pages] == [60, 60, 60, 50]
    assert {p.total for p in pages} == {230} and pages[0].pages == 4
    assert [row.record.id for p in pages for row in p.rows] == newest_first  # item 230 is the oldest
    assert store.query([OWNER], HistoryQuery(page=4), PAGE).rows == []


def test_search_finds_prompt_words_only(seeded: tuple[HistoryStore, Seeded]) -> None:
    store, s = seeded
    assert ids(store, HistoryQuery(search="MARKER117")) == [s.studio[117]]  # any letter case
    assert ids(store, HistoryQuery(search="harbour marker042")) == [s.studio[42]]  # every word must appear
    assert ids(store, HistoryQuery(search="harbour lighthouse")) == []
    assert len(ids(store, HistoryQuery(search="keeper stairs"))) == 30
    assert ids(store, HistoryQuery(search="%")) == [] and ids(store, HistoryQuery(search="_")) == []


def test_filters_narrow_and_combine(seeded: tuple[HistoryStore, Seeded]) -> None:
    store, s = seeded
    assert len(ids(store, HistoryQuery(board=BOARD_STUDIO))) == 200
    assert ids(store, HistoryQuery(board=s.board.id)) == list(reversed(s.takes))
    frames = ids(store, HistoryQuery(mode="frames"))
    assert frames == [s.studio[i] for i in reversed(range(200)) if i % 3 == 1]
    assert ids(store, HistoryQuery(mode=MODE_EXTEND)) == list(reversed(s.takes[-3:]))
    references = ids(store, HistoryQuery(mode="references"))  # an extension is not counted twice
    assert len(references) == len([i for i in range(200) if i % 3 == 2])
    assert len(ids(store, HistoryQuery(status="failed"))) == 20
    assert len(ids(store, HistoryQuery(status="running"))) == 20
    assert len(ids(store, HistoryQuery(status="done"))) == 160 + 30
    narrowed = ids(store, HistoryQuery(mode="text", status="failed", board=BOARD_STUDIO, search="marker"))
    assert narrowed == [s.studio[i] for i in reversed(range(200)) if i % 3 == 0 and i % 10 == 0]


def test_a_star_is_kept_and_filtered(seeded: tuple[HistoryStore, Seeded]) -> None:
    store, s = seeded
    assert store.set_favourite(s.studio[5], [OWNER], True) and store.is_favourite(s.studio[5])
    assert not store.set_favourite(s.studio[6], ["someone else"], True)  # not theirs: nothing changes
    assert ids(store, HistoryQuery(favourites=True)) == [s.studio[5]]
    row = store.query([OWNER], HistoryQuery(favourites=True), PAGE).rows[0]
    assert row.favourite and row.take is None
    store.set_favourite(s.studio[5], [OWNER], False)
    assert ids(store, HistoryQuery(favourites=True)) == []


def test_a_take_is_named_by_board_shot_and_take(seeded: tuple[HistoryStore, Seeded]) -> None:
    store, s = seeded
    rows = store.query([OWNER], HistoryQuery(board=s.board.id), PAGE).rows
    newest = rows[0].take
    assert newest is not None and (newest.board_title, newest.shot_number, newest.take_number) == (
        BOARD_TITLE, 10, 3)
    assert newest.extends and not rows[-1].take.extends


def test_a_keys_jobs_show_beside_the_owners_own(seeded: tuple[HistoryStore, Seeded]) -> None:
    store, _s = seeded
    agent = key_owner("sk-agents-key-0123456789abcdef")
    params = {"prompt": "Agent made: a comet over the lighthouse"}
    record = JobRecord.new(agent, params, created_at=time.time())
    store.add(record)
    assert ids(store, HistoryQuery(search="comet")) == []  # the page's own jobs only
    assert ids(store, HistoryQuery(search="comet"), [OWNER, agent]) == [record.id]
    assert store.query([OWNER, agent], HistoryQuery(), PAGE).total == 231


def test_filters_and_pages_run_in_sql_on_indexes(seeded: tuple[HistoryStore, Seeded]) -> None:
    store, s = seeded
    db = store.db
    for query in (HistoryQuery(), HistoryQuery(status="failed"), HistoryQuery(mode="frames"),
                  HistoryQuery(favourites=True), HistoryQuery(board=s.board.id, search="keeper")):
        where, args = store_module._history_where([OWNER], query)
        plan = db._conn.execute(
            "EXPLAIN QUERY PLAN SELECT j.id FROM jobs j LEFT JOIN board_takes b ON b.job_id = j.id "
            f"WHERE {where} ORDER BY j.created_at DESC LIMIT 60", args,
        ).fetchall()
        details = " | ".join(row[3] for row in plan)
        assert "SCAN j" not in details and "USING INDEX" in details, details
    # A page reads its own rows, never the whole history.
    seen: list[str] = []
    db._conn.set_trace_callback(seen.append)
    try:
        page = store.query([OWNER], HistoryQuery(page=2), PAGE)
    finally:
        db._conn.set_trace_callback(None)
    assert len(page.rows) == PAGE and any("LIMIT" in sql and "OFFSET" in sql for sql in seen)


def test_the_takes_follow_their_board(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "data") as store:
        s = seed_history(store, OWNER, studio=3, shots=3, takes=2)
        boards = BoardStore(tmp_path / "data", db=store.db)
        index = TakesIndex(store, boards)
        index.sync(OWNER)
        first = store.query([OWNER], HistoryQuery(board=s.board.id), PAGE).rows
        assert [(r.take.shot_number, r.take.take_number) for r in first][:2] == [(3, 2), (3, 1)]
        board = boards.get(OWNER, s.board.id)
        board.title = "Harbour"
        board.shots.reverse()  # shot 3 becomes shot 1
        boards.save(board)
        index.sync(OWNER)
        after = store.query([OWNER], HistoryQuery(board=s.board.id), PAGE).rows
        assert [(r.take.board_title, r.take.shot_number) for r in after][:2] == [("Harbour", 1)] * 2
        boards.delete(OWNER, s.board.id)
        TakesIndex(store, boards).sync(OWNER)  # a new process too drops a board that is gone
        assert store.query([OWNER], HistoryQuery(board=BOARD_STUDIO), PAGE).total == 3 + 6


def test_migration_8_reads_the_mode_of_older_jobs(tmp_path: Path) -> None:
    path = tmp_path / "studio.sqlite3"
    conn = store_module.connect(path)
    store_module.apply_migrations(conn, store_module.MIGRATIONS[:7])
    conn.execute(
        "INSERT INTO jobs (id, owner, params, status, idempotency_token, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 't', 1, 1)",
        ("f" * 32, OWNER, '{"prompt": "old", "model": "seedance-2.0-image-to-video"}', "completed"),
    )
    assert store_module.apply_migrations(conn) == len(store_module.MIGRATIONS)
    row = conn.execute("SELECT mode, favourite FROM jobs").fetchone()
    assert tuple(row) == ("frames", 0)
    conn.close()
    with pytest.raises(sqlite3.OperationalError):  # the mode is the model's, never written by hand
        c = store_module.connect(path)
        try:
            c.execute("UPDATE jobs SET mode = 'text'")
        finally:
            c.close()


def test_the_bench_times_a_history_page(tmp_path: Path) -> None:
    from bench import history_page

    times = history_page.run(jobs=120, rounds=1, work=tmp_path)
    assert times.jobs == 120 and 0 < times.p50 <= times.worst
