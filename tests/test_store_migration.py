"""Upgrading a data directory written by the three-database studio (commit 520c1ac) to the one store.

The fixture (tests/fixtures/v1_datadir, built by make_v1_datadir.py on that commit) holds jobs in every
JobStatus, the job manager's bookkeeping, budget rows (one of a job deleted from the history), a board
with takes, and media files. A copy is opened with today's code, which must keep every row and file,
leave one database plus the three backups, never import twice, survive an interrupted upgrade, and let
the job manager resume the jobs the old studio left unfinished.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from fixtures import make_v1_datadir as v1

from seedance_ui.config import Settings
from seedance_ui.jobs import JobManager
from seedance_ui.jobs import messages as msg
from seedance_ui.jobs.budget import BudgetLedger
from seedance_ui.jobs.meta import MetaStore
from seedance_ui.options import CREATE_PATH, TASK_PATH
from seedance_ui.simulator import Simulator
from seedance_ui.store import HistoryStore, JobStatus, LegacyImportError, local
from seedance_ui.storyboard import BoardStore
from seedance_ui.storyboard.board_files import BACKUP_DIRNAME

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "v1_datadir"
LEGACY = {"history.sqlite3": "jobs", "jobs.sqlite3": "job_meta", "budget.sqlite3": "spend"}
AFTER_UPGRADE = ["budget.sqlite3.v1-backup", "history.sqlite3.v1-backup", "jobs.sqlite3.v1-backup",
                 "studio.sqlite3"]
# Every status the v1 studio knew (uploading came with durable inputs, after v1).
V1_STATUSES = frozenset(JobStatus) - {JobStatus.UPLOADING}
UNFINISHED = {JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.PENDING, JobStatus.PROCESSING,
              JobStatus.DOWNLOADING}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(FIXTURE, target)
    return target


def rows(db: Path, table: str, columns: str = "*") -> list[tuple]:
    """Every row of a table, read straight from a file, in primary-key order.

    A plain connection (not read-only): closing it, as the last one, folds and removes the WAL.
    """
    assert db.is_file(), db
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(f"SELECT {columns} FROM {table} ORDER BY 1").fetchall()


def migrated_rows(data: Path) -> dict[str, list[tuple]]:
    """The one store's rows of the three old tables, in the old files' columns (later migrations may
    add columns, e.g. the spend's client address, which old rows leave empty)."""
    out = {}
    for name, table in LEGACY.items():
        with closing(sqlite3.connect(FIXTURE / name)) as conn:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        out[table] = rows(data / "studio.sqlite3", table, ", ".join(columns))
    return out


def legacy_rows(folder: Path, suffix: str = "") -> dict[str, list[tuple]]:
    return {table: rows(folder / f"{name}{suffix}", table) for name, table in LEGACY.items()}


def file_digests(folder: Path) -> dict[str, str]:
    """sha256 of every board and media file (the databases aside)."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and ".sqlite3" not in path.name
    }


def files_at_top(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def open_all(folder: Path) -> None:
    """Open and close what a studio run opens: history, bookkeeping and ledger."""
    HistoryStore(folder).close()
    MetaStore(folder).close()
    BudgetLedger(folder).close()


def imports(folder: Path) -> list[tuple]:
    return rows(folder / "studio.sqlite3", "legacy_imports")


# --------------------------------------------------------------------------------------------------
# every record survives


def test_the_fixture_is_what_the_old_studio_wrote(data: Path) -> None:
    assert files_at_top(data) == ["budget.sqlite3", "history.sqlite3", "jobs.sqlite3"]
    statuses = {row[0] for row in rows(data / "history.sqlite3", "jobs", "status")}
    assert statuses == {status.value for status in V1_STATUSES}  # a job in every status
    with closing(sqlite3.connect(data / "history.sqlite3")) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_every_job_bookkeeping_row_budget_row_board_and_file_survives(data: Path) -> None:
    before_rows, before_files = legacy_rows(data), file_digests(data)
    with HistoryStore(data) as store:
        for n, (job_id, status, owner, _source, extra) in enumerate(v1.JOBS):
            record = store.get(job_id, owner)
            assert record is not None and record.status is status, job_id
            assert record.idempotency_token == f"idem-fixture-{n:02d}"
            assert record.created_at == v1.T0 + n and record.params["prompt"].endswith(f"#{n}")
            for name, value in extra.items():
                if name != "video_size":
                    assert getattr(record, name) == value, (job_id, name)
        assert {r.status for r in store.list(v1.ALICE)} | {r.status for r in store.list(v1.BOB)} == set(
            V1_STATUSES
        )
        assert {r.id for r in store.unfinished()} == {j for j, s, *_ in v1.JOBS if s in UNFINISHED}
        done = store.get("a6" * 16)
        assert store.video_file(done) == data / "videos" / f"{done.id}.mp4"
        assert store.poster_file(done) == data / "posters" / f"{done.id}.jpg"
        assert store.find_by_task_id("task-unified-1785000004-fixproc").id == "a4" * 16
    meta = MetaStore(data)
    try:
        for job_id, _status, _owner, source, _extra in v1.JOBS:
            assert meta.get(job_id).key_source == source
        assert meta.tokens() == {token: job_id for job_id, token in v1.WEBHOOK_TOKENS.items()}
    finally:
        meta.close()
    ledger = BudgetLedger(data)
    try:
        for job_id, estimated, reserved, released in v1.SPEND:
            assert ledger.row(job_id) == (v1.ALICE, estimated, reserved, released), job_id
        counted = sum(r if r is not None else e for _j, e, r, released in v1.SPEND if not released)
        assert ledger.spent(v1.DAY) == counted == ledger.spent(v1.DAY, v1.ALICE)
    finally:
        ledger.close()
    with closing(BoardStore(data)) as boards:  # its own database: the files' board is a row now
        board = boards.get(v1.ALICE, "b0" * 16)
    assert board is not None and [s.id for s in board.shots] == ["c1" * 16, "c2" * 16]
    assert [[t.job_id for t in s.takes] for s in board.shots] == [["a6" * 16, "a7" * 16], ["a4" * 16]]
    assert board.shots[0].chosen_take == "d1" * 16 and board.shots[0].chosen_by_user
    # Row for row, column for column: the new tables hold exactly what the old files held.
    assert migrated_rows(data) == before_rows
    assert rows(data / "studio.sqlite3", "spend", "DISTINCT address") == [(None,)]
    # Every media file unchanged; the board file kept as it was under boards/.json-backup/ (it is a row now).
    kept, after_files = f"boards/{BACKUP_DIRNAME}/", file_digests(data)
    assert {name.replace(kept, "boards/"): digest for name, digest in after_files.items()} == before_files
    assert any(name.startswith(kept) for name in after_files)
    # One database, the three old files kept (unchanged) as backups.
    assert files_at_top(data) == AFTER_UPGRADE
    assert legacy_rows(data, local.BACKUP_SUFFIX) == before_rows
    assert sorted(source for source, *_ in imports(data)) == sorted(LEGACY)
    assert {source: count for source, count, _at in imports(data)} == {
        name: len(before_rows[table]) for name, table in LEGACY.items()
    }


def test_a_new_data_directory_holds_one_database_file(tmp_path: Path) -> None:
    open_all(tmp_path)
    assert files_at_top(tmp_path) == ["studio.sqlite3"]
    assert imports(tmp_path) == []


# --------------------------------------------------------------------------------------------------
# once, and safely


def test_a_second_open_does_not_migrate_again(data: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="seedance_ui.store")
    open_all(data)
    assert sum("imported the v1 databases" in r.getMessage() for r in caplog.records) == 1
    first = imports(data)
    with HistoryStore(data) as store:
        store.update("a1" * 16, progress=7)
    ledger = BudgetLedger(data)
    assert ledger.release("a1" * 16)
    ledger.close()
    caplog.clear()
    open_all(data)
    open_all(data)
    assert not [r for r in caplog.records if "imported" in r.getMessage()]
    assert imports(data) == first and files_at_top(data) == AFTER_UPGRADE
    # Even an old file copied back beside its backup is not imported again (nor is it overwritten).
    shutil.copy(data / "history.sqlite3.v1-backup", data / "history.sqlite3")
    with HistoryStore(data) as store:
        assert store.get("a1" * 16).progress == 7 and len(store.list(v1.ALICE)) == 10
    assert imports(data) == first
    ledger = BudgetLedger(data)
    assert ledger.row("a1" * 16).released
    ledger.close()


def test_a_failure_inside_the_import_changes_nothing_and_the_next_open_imports_everything(
    data: Path,
) -> None:
    before = legacy_rows(data)
    with closing(sqlite3.connect(data / "jobs.sqlite3")) as conn:  # rows the import cannot take
        conn.execute("ALTER TABLE job_meta RENAME COLUMN key_source TO source")
    with pytest.raises(LegacyImportError, match=r"jobs\.sqlite3 could not be imported .*NOT NULL"):
        HistoryStore(data)
    for table in LEGACY.values():  # budget and history were copied first (sorted): all rolled back
        assert rows(data / "studio.sqlite3", table) == []
    assert imports(data) == []
    assert files_at_top(data) == ["budget.sqlite3", "history.sqlite3", "jobs.sqlite3", "studio.sqlite3"]
    with closing(sqlite3.connect(data / "jobs.sqlite3")) as conn:
        conn.execute("ALTER TABLE job_meta RENAME COLUMN source TO key_source")
    open_all(data)
    assert migrated_rows(data) == before
    assert files_at_top(data) == AFTER_UPGRADE


def test_an_unreadable_old_file_is_named_and_nothing_is_imported(data: Path) -> None:
    (data / "jobs.sqlite3").write_bytes(b"not a database, whatever it once was " * 64)
    with pytest.raises(LegacyImportError, match=r"jobs\.sqlite3 .*(not a database|malformed)"):
        HistoryStore(data)
    assert rows(data / "studio.sqlite3", "jobs") == [] and imports(data) == []
    assert files_at_top(data) == ["budget.sqlite3", "history.sqlite3", "jobs.sqlite3", "studio.sqlite3"]


def test_an_upgrade_stopped_before_the_backups_finishes_on_the_next_open(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = legacy_rows(data)
    renamed: list[str] = []
    keep = local._keep_as_backup

    def stop_after_one(path: Path) -> None:
        if renamed:
            raise KeyboardInterrupt  # the process dies between two renames
        renamed.append(path.name)
        keep(path)

    monkeypatch.setattr(local, "_keep_as_backup", stop_after_one)
    with pytest.raises(KeyboardInterrupt):
        HistoryStore(data)
    monkeypatch.undo()
    first = imports(data)
    assert len(first) == 3  # imported (one transaction), then only one of three renamed
    halfway = ["budget.sqlite3", "history.sqlite3.v1-backup", "jobs.sqlite3", "studio.sqlite3"]
    assert files_at_top(data) == halfway
    open_all(data)
    assert files_at_top(data) == AFTER_UPGRADE
    assert imports(data) == first
    assert migrated_rows(data) == before


def test_a_wal_the_old_studio_left_behind_is_imported_too(data: Path, tmp_path: Path) -> None:
    """A v1 run killed mid-flight leaves rows in history.sqlite3-wal only: they must not be lost."""
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    late = "ee" * 16
    conn = sqlite3.connect(data / "history.sqlite3", isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute(
        "INSERT INTO jobs (id, owner, params, status, idempotency_token, created_at, updated_at) "
        "VALUES (?, 'alice', '{}', 'queued', 'idem-late', 1.0, 1.0)",
        (late,),
    )
    for path in data.iterdir():  # a copy taken while the writer still holds its WAL: a crash image
        (shutil.copytree if path.is_dir() else shutil.copy)(path, crashed / path.name)
    conn.close()
    assert (crashed / "history.sqlite3-wal").stat().st_size > 0
    with HistoryStore(crashed) as store:
        assert store.get(late).status is JobStatus.QUEUED
    assert files_at_top(crashed) == AFTER_UPGRADE


# --------------------------------------------------------------------------------------------------
# the job manager picks up where the old studio stopped


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(speed=200) as s:
        yield s


def test_the_job_manager_resumes_the_unfinished_jobs(data: Path, sim: Simulator) -> None:
    settings = Settings(api_key="sk-sim-test", base_url=sim.base_url, data_dir=data, poll_interval=0.05,
                        request_timeout=5.0)
    store = HistoryStore(data)
    manager = JobManager(store, settings)
    manager.start()
    try:
        queued = manager.wait("a1" * 16, timeout=30)  # never sent: queued again, created once, saved
        assert queued.status is JobStatus.COMPLETED and store.video_file(queued) is not None
        assert sim.create_count == 1 and sim.count("POST", CREATE_PATH) == 1
        assert manager.guard.ledger.row(queued.id).reserved == queued.credits_reserved is not None
        submitting = store.get("a2" * 16)  # may have been sent: never resubmitted
        assert submitting.status is JobStatus.UNKNOWN_OUTCOME
        assert submitting.error_message == msg.RESTART_UNKNOWN_MESSAGE
        downloading = manager.wait("a5" * 16, timeout=30)  # saved before the stop: finished from disk
        assert downloading.status is JobStatus.COMPLETED and store.poster_file(downloading) is not None
        assert (downloading.width, downloading.height) == (16, 16)
        for job_id in ("a3" * 16, "a4" * 16):  # on the server's key (bookkeeping migrated): followed
            followed = manager.wait(job_id, timeout=30)
            task = followed.task_id
            assert sim.count("GET", TASK_PATH.format(task_id=task)) >= 1, task
            # the fixture's tasks are unknown to this fresh simulator: the provider's answer decides
            assert followed.status is JobStatus.FAILED and followed.error_code == "task_not_found"
        visitor = store.get("b1" * 16)  # the visitor's key is gone with the old process: kept, waiting
        assert visitor.status is JobStatus.PROCESSING and visitor.error_hint == msg.KEY_GONE_HINT
        assert sim.count("GET", TASK_PATH.format(task_id=visitor.task_id)) == 0
        for job_id, status, *_ in v1.JOBS:
            if status not in UNFINISHED:
                assert store.get(job_id).status is status  # finished jobs are left alone
        assert sim.create_count == 1
    finally:
        manager.stop(grace=0.5)
        store.close()
    assert files_at_top(data) == AFTER_UPGRADE
