"""HistoryStore: round trips, schema migrations, owner scoping, file handling, threads, crashes."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from pg_server import truncate_all

from seedance_ui.store import (
    TERMINAL_JOB_STATUSES,
    HistoryStore,
    JobRecord,
    JobStatus,
    SchemaTooNewError,
    is_valid_job_id,
    new_job_id,
    new_token,
)
from seedance_ui.store import sqlite as store_module
from seedance_ui.store.sqlite import SqliteDatabase

ROOT = Path(__file__).resolve().parent.parent
PARAMS = {
    "prompt": 'A lighthouse at dawn. She said: "You\'re here." 灯塔',
    "model": "seedance-2.0-text-to-video",
    "duration": 8,
    "quality": "720p",
    "aspect_ratio": "16:9",
    "generate_audio": True,
    "web_search": False,
}


@pytest.fixture(params=["sqlite", "postgres"])
def store(tmp_path: Path, request: pytest.FixtureRequest):
    """A store on each backend: SQLite in the data directory, and PostgreSQL (this module's database,
    emptied before each test)."""
    url = ""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        truncate_all(url)
    with HistoryStore(tmp_path / "data", database_url=url) as s:
        yield s


def _record(owner: str = "alice", status: JobStatus = JobStatus.QUEUED, **fields) -> JobRecord:
    return JobRecord.new(owner, dict(PARAMS), status=status, **fields)


def _full_record() -> JobRecord:
    """A record where every field differs from its default (and booleans are not None)."""
    job_id = new_job_id()
    return JobRecord(
        id=job_id,
        owner="alice",
        params=PARAMS | {"nested": {"list": [1, 2.5, None, "x"]}},
        status=JobStatus.COMPLETED,
        idempotency_token=new_token(),
        task_id="task-unified-1774857405-abc123",
        progress=100,
        created_at=1_700_000_000.25,
        submitted_at=1_700_000_001.5,
        completed_at=1_700_000_170.75,
        updated_at=1_700_000_180.125,
        credits_estimated=88.0,
        credits_reserved=50.5,
        error_code="content_policy_violation",
        error_message="Flagged.",
        error_hint="Rephrase.",
        video_url="https://cdn.example/v.mp4?sig=secret",
        video_path=f"videos/{job_id}.mp4",
        poster_path=f"posters/{job_id}.jpg",
        video_duration=8.0,
        video_size=1_234_567,
        width=1280,
        height=720,
        has_audio=False,
        estimated_time=165.0,
        queue_position=3,
        prompt_version=new_job_id(),
    )


# --- records -----------------------------------------------------------------------------------------


def test_every_field_round_trips(store: HistoryStore):
    record = _full_record()
    defaults = JobRecord(id=record.id, owner="", params={}, status=JobStatus.QUEUED, idempotency_token="")
    for f in dataclasses.fields(JobRecord):
        if f.name not in {"id"}:
            assert getattr(record, f.name) != getattr(defaults, f.name), f"{f.name} is left at its default"
    store.add(record)
    got = store.get(record.id)
    assert got == record
    assert isinstance(got.status, JobStatus) and got.has_audio is False
    assert type(got.progress) is int and type(got.video_size) is int and type(got.created_at) is float


def test_every_field_can_be_updated(store: HistoryStore):
    original = _record()
    store.add(original)
    target = dataclasses.replace(_full_record(), id=original.id)
    changes = {f.name: getattr(target, f.name) for f in dataclasses.fields(JobRecord) if f.name != "id"}
    updated = store.update(original.id, **changes)
    assert updated == target == store.get(original.id)


def test_new_record_defaults_and_helpers():
    record = JobRecord.new("bob", {"prompt": "x"})
    assert is_valid_job_id(record.id) and record.status is JobStatus.QUEUED
    assert record.progress == 0 and record.task_id is None and record.created_at <= time.time()
    assert len({new_job_id() for _ in range(100)}) == 100
    token = new_token()
    assert len(token) >= 40 and token.replace("-", "").replace("_", "").isalnum() and token != new_token()
    assert JobRecord(id=record.id, owner="o", params={}, status="failed", idempotency_token="t").status is (
        JobStatus.FAILED
    )


def test_public_dict_hides_the_token_and_provider_url():
    record = _full_record()
    public = record.to_public_dict()
    assert "idempotency_token" not in public and "video_url" not in public
    assert record.idempotency_token not in json.dumps(public)
    assert "sig=secret" not in json.dumps(public)
    assert public["status"] == "completed" and public["status_label"] == "Done" and public["terminal"] is True
    assert public["params"] == record.params and public["video_path"] == record.video_path


def test_statuses_have_labels_and_a_terminal_set():
    assert (
        {s for s in JobStatus if s.terminal}
        == set(TERMINAL_JOB_STATUSES)
        == {
            JobStatus.COMPLETED,
            JobStatus.FAILED,
            JobStatus.CANCELLED,
            JobStatus.UNKNOWN_OUTCOME,
            JobStatus.EXPIRED,
        }
    )
    assert [s.label for s in JobStatus] == [
        "Queued locally",
        "Uploading inputs",
        "Submitting",
        "Pending",
        "Processing",
        "Downloading",
        "Done",
        "Failed",
        "Cancelled",
        "Outcome unknown — check before resubmitting",
        "Expired",
    ]
    assert JobStatus("unknown_outcome") is JobStatus.UNKNOWN_OUTCOME and JobStatus.PENDING == "pending"
    assert _record(status=JobStatus.EXPIRED).terminal and not _record(status=JobStatus.DOWNLOADING).terminal


def test_update_validates_fields_and_sets_updated_at(store: HistoryStore):
    record = _record(updated_at=1.0)
    store.add(record)
    with pytest.raises(TypeError, match="no_such_field"):
        store.update(record.id, no_such_field=1)
    with pytest.raises(TypeError):
        store.update(record.id, id=new_job_id())
    with pytest.raises(ValueError):
        store.update(record.id, status="exploded")
    with pytest.raises(KeyError):
        store.update(new_job_id(), progress=5)
    before = time.time()
    updated = store.update(record.id, status="processing", progress=40)
    assert updated.status is JobStatus.PROCESSING and updated.progress == 40
    assert updated.updated_at >= before and store.get(record.id) == updated
    assert store.update(record.id, has_audio=True).has_audio is True


def test_add_refuses_duplicates_and_bad_ids(store: HistoryStore):
    record = _record()
    store.add(record)
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        store.add(record)
    with pytest.raises(ValueError):
        store.add(dataclasses.replace(record, id="../../etc/passwd"))


def test_find_by_task_id(store: HistoryStore):
    record = _record(task_id="task-1")
    store.add(record)
    assert store.find_by_task_id("task-1") == record
    assert store.find_by_task_id("task-2") is None


# --- schema ---------------------------------------------------------------------------------------------


def test_layout_wal_and_schema_version(tmp_path: Path):
    data = tmp_path / "nested" / "data"
    HistoryStore(data).close()
    assert (data / "videos").is_dir() and (data / "posters").is_dir() and (data / "studio.sqlite3").is_file()
    conn = sqlite3.connect(data / "studio.sqlite3")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(store_module.MIGRATIONS) >= 1
        indexes = {r[1] for r in conn.execute("PRAGMA index_list(jobs)")}
        assert "jobs_owner_created" in indexes
        cols = [r[2] for r in conn.execute("PRAGMA index_info(jobs_owner_created)")]
        assert cols == ["owner", "created_at"]
    finally:
        conn.close()


def test_reopening_is_idempotent(tmp_path: Path):
    record = _full_record()
    with HistoryStore(tmp_path) as s:
        s.add(record)
        version = s.schema_version
    for _ in range(3):
        with HistoryStore(tmp_path) as s:
            assert s.schema_version == version
            assert s.get(record.id) == record
            assert len(s.list("alice")) == 1


def test_a_new_migration_runs_once_on_the_next_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with HistoryStore(tmp_path) as s:
        s.add(_record())
    calls = []

    def migration_2(conn: sqlite3.Connection) -> None:
        calls.append(1)
        conn.execute("ALTER TABLE jobs ADD COLUMN note TEXT")

    current = len(store_module.MIGRATIONS)
    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, migration_2])
    for _ in range(2):
        with HistoryStore(tmp_path) as s:
            assert s.schema_version == current + 1 and len(s.list("alice")) == 1
    assert calls == [1]


def test_a_failing_migration_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    HistoryStore(tmp_path).close()

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE jobs ADD COLUMN half_done TEXT")
        raise RuntimeError("boom")

    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, broken])
    with pytest.raises(RuntimeError, match="boom"):
        HistoryStore(tmp_path)
    current = len(store_module.MIGRATIONS)
    monkeypatch.undo()
    with HistoryStore(tmp_path) as s:
        assert s.schema_version == current - 1 == len(store_module.MIGRATIONS)
        cols = {r[1] for r in s.db._conn.execute("PRAGMA table_info(jobs)")}
        assert "half_done" not in cols


def test_a_newer_schema_is_refused(tmp_path: Path):
    HistoryStore(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "studio.sqlite3")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(SchemaTooNewError):
        HistoryStore(tmp_path)


# --- owners ---------------------------------------------------------------------------------------------


def test_owner_scoping(store: HistoryStore):
    mine = [_record("alice", created_at=1000.0 + i) for i in range(5)]
    theirs = _record("mallory", created_at=2000.0)
    for record in [*mine, theirs]:
        store.add(record)
    assert [r.id for r in store.list("alice")] == [r.id for r in reversed(mine)]
    assert [r.id for r in store.list("alice", limit=2)] == [mine[4].id, mine[3].id]
    assert [r.id for r in store.list("mallory")] == [theirs.id]
    assert store.list("nobody") == []
    assert store.get(theirs.id, "alice") is None
    assert store.get(theirs.id, "mallory") == theirs
    assert store.get(theirs.id) == theirs  # internal lookups (no owner) see everything
    assert store.delete(theirs.id, "alice") is False
    assert store.get(theirs.id) == theirs


def test_delete_removes_the_row_and_its_files(store: HistoryStore):
    record = _record()
    store.add(record)
    video, poster = store.video_path(record.id), store.poster_path(record.id)
    video.write_bytes(b"video")
    poster.write_bytes(b"poster")
    store.update(record.id, video_path=video, poster_path=poster)
    keep = _record()
    store.add(keep)
    store.video_path(keep.id).write_bytes(b"other video")
    assert store.delete(record.id, "alice") is True
    assert store.get(record.id) is None and not video.exists() and not poster.exists()
    assert store.video_path(keep.id).exists() and store.get(keep.id) is not None
    assert store.delete(record.id, "alice") is False


def test_delete_without_files_works(store: HistoryStore):
    record = _record()
    store.add(record)
    assert store.delete(record.id, "alice") is True


# --- paths ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "../x",
        "abc",
        "",
        "A" * 32,
        "477F58C3CAC1CBFDA5C5A7D9E04C7F7E",  # a job id, upper case (fixed: xdist workers collect alike)
        "998ef7df5237affb8808ddf9e99c586a\n",
        "../" + "a" * 29,
        "a" * 31 + "/",
    ],
)
def test_bad_job_ids_never_become_paths(store: HistoryStore, bad: str):
    with pytest.raises(ValueError):
        store.video_path(bad)
    with pytest.raises(ValueError):
        store.poster_path(bad)
    assert store.get(bad) is None
    assert store.delete(bad, "alice") is False


def test_paths_live_under_the_data_dir(store: HistoryStore):
    job_id = new_job_id()
    assert store.video_path(job_id) == store.data_dir / "videos" / f"{job_id}.mp4"
    assert store.poster_path(job_id) == store.data_dir / "posters" / f"{job_id}.jpg"
    assert store.video_path(job_id).is_absolute()


def test_stored_paths_are_relative_and_resolve_safely(store: HistoryStore, tmp_path: Path):
    record = _record()
    store.add(record)
    updated = store.update(record.id, video_path=store.video_path(record.id))
    assert updated.video_path == f"videos/{record.id}.mp4"
    assert store.resolve(updated.video_path) == store.video_path(record.id)
    assert store.video_file(updated) is None  # not on disk yet
    store.video_path(record.id).write_bytes(b"v")
    assert store.video_file(updated) == store.video_path(record.id)
    assert store.resolve(None) is None
    for escape in ("../outside.mp4", "videos/../../outside.mp4", "/etc/passwd", ".", ""):
        if escape:
            with pytest.raises(ValueError):
                store.resolve(escape)
    with pytest.raises(ValueError):
        store.update(record.id, poster_path=tmp_path / "elsewhere.jpg")
    with pytest.raises(ValueError):
        store.update(record.id, poster_path="../elsewhere.jpg")


def test_a_symlink_out_of_the_data_dir_is_refused(store: HistoryStore, tmp_path: Path):
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (store.videos_dir / "link.mp4").symlink_to(outside)
    with pytest.raises(ValueError):
        store.resolve("videos/link.mp4")


# --- recovery, threads, crashes ------------------------------------------------------------------------


def test_unfinished_lists_exactly_the_non_terminal_records(store: HistoryStore):
    records = {status: _record(status=status, created_at=100.0 + i) for i, status in enumerate(JobStatus)}
    for record in reversed(list(records.values())):
        store.add(record)
    unfinished = store.unfinished()
    assert [r.status for r in unfinished] == [s for s in JobStatus if not s.terminal]
    assert {r.id for r in unfinished} == {r.id for s, r in records.items() if not s.terminal}
    store.update(records[JobStatus.PENDING].id, status=JobStatus.FAILED)
    assert JobStatus.PENDING not in {r.status for r in store.unfinished()}


def test_concurrent_updates_from_threads(store: HistoryStore):
    shared = _record("shared")
    store.add(shared)
    errors: list[BaseException] = []
    own_ids: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            record = _record(f"owner-{n}")
            store.add(record)
            with lock:
                own_ids.append(record.id)
            for i in range(60):
                store.update(record.id, progress=i, error_message=f"worker {n} step {i}")
                store.update(shared.id, progress=i, error_hint=f"from {n}")
                assert store.get(record.id, f"owner-{n}").progress == i
                store.list(f"owner-{n}")
                store.unfinished()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert len(own_ids) == 8
    for job_id in own_ids:
        record = store.get(job_id)
        assert record.progress == 59 and record.error_message.endswith("step 59")
    assert store.get(shared.id).progress == 59
    if isinstance(store.db, SqliteDatabase):
        assert store.db._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


_WRITER = """
import sys
from seedance_ui.store import HistoryStore, JobRecord, JobStatus
store = HistoryStore(sys.argv[1])
i = 0
while True:
    record = JobRecord.new("killed", {"i": i})
    store.add(record)
    store.update(record.id, status=JobStatus.PROCESSING, progress=i % 100)
    print(record.id, i, flush=True)
    i += 1
"""


def test_sigkill_mid_write_keeps_every_committed_row(tmp_path: Path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env
    )
    reported: list[tuple[str, int]] = []
    try:
        assert child.stdout is not None
        while len(reported) < 300:
            line = child.stdout.readline()
            assert line, "the writer died early"
            job_id, i = line.split()
            reported.append((job_id, int(i)))
        os.kill(child.pid, signal.SIGKILL)  # the writer is busy writing the next rows
        rest = child.stdout.read()  # lines already written before the kill: also committed
        reported += [(a, int(b)) for a, b in (ln.split() for ln in rest.splitlines() if len(ln.split()) == 2)]
    finally:
        child.kill()
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    with HistoryStore(tmp_path) as reopened:
        assert reopened.db._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for job_id, i in reported:
            record = reopened.get(job_id, "killed")
            assert record is not None and record.params == {"i": i}
            assert record.status is JobStatus.PROCESSING and record.progress == i % 100
        rows = reopened.list("killed", limit=10_000)
        assert len(rows) >= len(reported)
        # the row being written at the kill is either absent, or whole (QUEUED before its update)
        assert all(r.status in {JobStatus.QUEUED, JobStatus.PROCESSING} for r in rows)
        reopened.add(_record("after"))  # still writable
