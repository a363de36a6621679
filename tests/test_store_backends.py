"""The store's two backends answer alike: every `Database` method on SQLite and on PostgreSQL (#22).

One PostgreSQL per session (tests/pg_server.py), one database per module, tables emptied before each
test. Also: budget reservations from two processes never pass a cap (PostgreSQL), migrations run twice
change nothing (both), and `python -m seedance_ui.store copy` moves a SQLite studio without doubling.
"""

from __future__ import annotations

import inspect
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from pg_server import truncate_all

from seedance_ui.store import JobMeta, JobRecord, JobStatus
from seedance_ui.store import postgres as pg
from seedance_ui.store import sqlite as lite
from seedance_ui.store.interface import Database
from seedance_ui.store.local import open_database
from seedance_ui.store.query import BOARD_STUDIO, BoardTake, HistoryQuery

ROOT = Path(__file__).resolve().parent.parent
DAY = "2026-12-07"


def _job(owner: str = "alice", created: float = 1000.0, **params: object) -> JobRecord:
    base = {"prompt": "A lighthouse at dawn", "model": "seedance-2.0-text-to-video", "duration": 5}
    return JobRecord.new(owner, base | params, created_at=created, updated_at=created)


# --- jobs and the history's pages ------------------------------------------------------------------------


def test_jobs_history_queries_and_favourites(db: Database):
    jobs = [
        _job(created=1000.0, prompt="Red_Fox 100% in snow"),
        _job(created=1001.0, prompt="a red fox", model="seedance-2.0-image-to-video"),
        _job(created=1002.0, prompt="ocean", model="seedance-2.0-reference-to-video"),
        _job(owner="bob", created=1003.0, prompt="red fox"),
    ]
    for job in jobs:
        db.insert_job(job)
    assert [r.id for r in db.list_jobs("alice", 10)] == [j.id for j in reversed(jobs[:3])]
    rows, total = db.query_jobs(["alice"], HistoryQuery(search="RED fox"), 10)
    assert total == 2 and [r.record.id for r in rows] == [jobs[1].id, jobs[0].id]
    rows, total = db.query_jobs(["alice"], HistoryQuery(search="100%"), 10)  # % taken literally
    assert total == 1 and rows[0].record.id == jobs[0].id
    assert db.query_jobs(["alice"], HistoryQuery(search="d_f"), 10)[1] == 1  # _ literally: Red_Fox only
    assert [r.record.id for r in db.query_jobs(["alice"], HistoryQuery(mode="frames"), 10)[0]] == [jobs[1].id]
    assert db.set_favourite(jobs[2].id, ["alice"], True) and not db.set_favourite(jobs[3].id, ["alice"], True)
    assert db.is_favourite(jobs[2].id) and not db.is_favourite(jobs[3].id) and not db.is_favourite("0" * 32)
    rows, total = db.query_jobs(["alice", "bob"], HistoryQuery(favourites=True), 10)
    assert total == 1 and rows[0].favourite and rows[0].record.id == jobs[2].id
    db.put_board_takes("alice", "b1", [BoardTake(jobs[2].id, "b1", "Board", 1, 2, True)])
    assert db.board_take_boards("alice") == {"b1"}
    rows, _ = db.query_jobs(["alice"], HistoryQuery(board="b1"), 10)
    assert rows[0].take == BoardTake(jobs[2].id, "b1", "Board", 1, 2, True)
    assert db.query_jobs(["alice"], HistoryQuery(mode="extend"), 10)[1] == 1
    assert db.query_jobs(["alice"], HistoryQuery(board=BOARD_STUDIO), 10)[1] == 2
    page, total = db.query_jobs(["alice"], HistoryQuery(page=1), 2)
    assert total == 3 and [r.record.id for r in page] == [jobs[0].id]
    db.update_job(jobs[0].id, {"status": JobStatus.COMPLETED, "submitted_at": 1000.0, "completed_at": 1090.0})
    assert db.finished_durations(5) == [("seedance-2.0-text-to-video", 5, 90.0)]
    assert [j.id for j in db.unfinished_jobs()] == [j.id for j in jobs[1:]]
    assert db.update_job("0" * 32, {"progress": 1}) is None
    assert db.delete_job(jobs[0].id, "bob") is None and db.delete_job(jobs[0].id, "alice") == (None, None)


def test_job_meta_and_webhook_tokens(db: Database):
    db.put_job_meta(JobMeta("j1", "server", "tok1"))
    db.put_job_meta(JobMeta("j1", "visitor", "tok2"))  # replaced
    assert db.get_job_meta("j1") == JobMeta("j1", "visitor", "tok2")
    assert db.webhook_tokens() == {"tok2": "j1"}
    db.drop_webhook_token("j1")
    assert db.webhook_tokens() == {} and db.get_job_meta("j1").webhook_token is None
    db.delete_job_meta("j1")
    assert db.get_job_meta("j1") is None


# --- the budget ledger -----------------------------------------------------------------------------------


def test_spend_ledger_and_atomic_reservations(db: Database):
    db.add_spend("j1", "alice", DAY, 10.0, 1.0, "addr-1")
    db.add_spend("j2", "bob", DAY, 5.0, 2.0)
    assert db.spent(DAY) == 15.0 and db.spent(DAY, "alice") == 10.0
    assert db.spent(DAY, address="addr-1") == 10.0
    db.reconcile_spend("j1", 7.0)
    assert db.spent(DAY, "alice") == 7.0 and db.spend_row("j1") == ("alice", 10.0, 7.0, False)
    assert db.release_spend("j1") and not db.release_spend("j1") and db.spent(DAY) == 5.0
    db.forget_spend("j2")
    assert db.spend_row("j2") is None and db.spent(DAY) == 0.0
    assert db.reserve_spend("j3", "carol", DAY, 6.0, 3.0, "addr-2", day_cap=10.0) is None
    assert db.reserve_spend("j4", "dave", DAY, 5.0, 3.0, day_cap=10.0) == ("day", 6.0)
    assert db.reserve_spend("j5", "erin", DAY, 5.0, 3.0, "addr-2", visitor_cap=10.0) == ("visitor", 6.0)
    assert db.reserve_spend("j6", "carol", DAY, 4.0, 3.0, day_cap=10.0, visitor_cap=10.0) is None
    assert db.spend_row("j4") is None and db.spent(DAY) == 10.0


ROUNDS = 150  # budgets (one per "day") the processes race for; each has room for ONE reservation


def _reserve_rounds(url: str, worker: int, start: object) -> int:
    """One process with its own connection pool: try one reservation on each round's budget, as fast as
    it can (the other process does the same); how many passed."""
    database = pg.PostgresDatabase(url, max_size=2)
    try:
        start.wait(60)  # type: ignore[attr-defined]  (a barrier: both processes are connected)
        return sum(
            database.reserve_spend(f"w{worker}-{n}", f"owner-{worker}", f"day-{n}", 3.0, 0.0, day_cap=5.0)
            is None
            for n in range(ROUNDS)
        )
    finally:
        database.close()


def test_two_processes_reserving_at_once_never_pass_the_budget(postgres_url: str):
    truncate_all(postgres_url)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Barrier(2)
        with context.Pool(2) as pool:
            results = [pool.apply_async(_reserve_rounds, (postgres_url, w, start)) for w in (1, 2)]
            admitted = [r.get(timeout=120) for r in results]
    database = pg.PostgresDatabase(postgres_url)
    try:
        over = [n for n in range(ROUNDS) if database.spent(f"day-{n}") > 5.0]
        assert over == [], f"{len(over)} budgets passed their cap"
        assert sum(admitted) == ROUNDS  # each budget admitted exactly one
    finally:
        database.close()


def _race_rounds(url: str, worker: int, start: object) -> list[tuple[bool, bool, bytes]]:
    """One process: per round, a share link under a cap of one, adopting a contested owner id, and a
    server secret; what it got each time."""
    database = pg.PostgresDatabase(url, max_size=2)
    try:
        start.wait(60)  # type: ignore[attr-defined]
        links = [_link(n) | {"id": f"l{worker}-{n}", "token_hash": f"h{worker}-{n}", "owner": f"o{n}"}
                 for n in range(ROUNDS // 3)]
        return [(database.insert_review_link(links[n], max_active=1, now=1.0),
                 database.adopt_owner(f"visitor-{worker}-{n}", f"old-{n}"),
                 database.app_secret(f"secret-{n}"))
                for n in range(ROUNDS // 3)]
    finally:
        database.close()


def test_two_processes_never_pass_a_link_cap_adopt_an_owner_twice_or_split_a_secret(postgres_url: str):
    truncate_all(postgres_url)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Barrier(2)
        with context.Pool(2) as pool:
            results = [pool.apply_async(_race_rounds, (postgres_url, w, start)) for w in (1, 2)]
            first, second = (r.get(timeout=120) for r in results)
    for (link_a, adopt_a, secret_a), (link_b, adopt_b, secret_b) in zip(first, second, strict=True):
        assert link_a != link_b and adopt_a != adopt_b  # exactly one of the two, each round
        assert secret_a == secret_b


# --- uploads, input blobs, idempotency keys, identities ---------------------------------------------------


def test_uploads_inputs_idempotency_and_identities(db: Database):
    upload = {"sha256": "a" * 64, "file_url": "https://f/1", "expires_at": 50.0, "file_id": "f1",
              "file_name": "x.png", "size_bytes": 3, "mime_type": "image/png"}
    db.put_upload("me", upload)
    db.put_upload("me", upload | {"file_url": "https://f/2"})
    assert db.get_upload("a" * 64, "me") == upload | {"file_url": "https://f/2"}
    assert db.forget_uploads(60.0) == 1 and db.get_upload("a" * 64, "me") is None
    db.add_input_refs("j1", "alice", [("inputs/blobs/x", "s1", 100), ("inputs/blobs/y", "s2", 50)])
    db.add_input_refs("j2", "alice", [("inputs/blobs/x", "s1", 100)])
    assert db.input_bytes("alice") == 150 and db.owner_has_input("alice", "inputs/blobs/x")
    assert db.release_input_refs("j1") == ["inputs/blobs/y"]
    assert db.release_input_refs("j2") == ["inputs/blobs/x"]
    assert db.put_idempotent_job("alice", "k", "j1", 1.0)
    assert not db.put_idempotent_job("alice", "k", "j2", 1.0)
    assert db.idempotent_job("alice", "k") == "j1" and db.idempotent_job("bob", "k") is None
    secret = db.app_secret("cookie")
    assert len(secret) == 32 and db.app_secret("cookie") == secret and db.app_secret("other") != secret
    db.insert_job(_job(owner="has-history"))
    assert not db.adopt_owner("has-history", "old-1") and not db.adopt_owner("v", "v")
    assert db.adopt_owner("v1", "old-1")
    assert not db.adopt_owner("v2", "old-1") and not db.adopt_owner("v1", "o")
    assert db.visitor_owner("v1") == "old-1" and db.visitor_owner("v2") is None


# --- reviews, chat tokens, prompt versions -----------------------------------------------------------


def _link(n: int, owner: str = "alice") -> dict[str, object]:
    return {"id": f"l{n}", "owner": owner, "board_id": "b", "token_hash": f"h{n}", "pass_salt": b"s",
            "pass_hash": b"\x00h", "show_prompts": True, "created_at": float(n), "expires_at": 100.0,
            "last_opened_at": None, "revoked_at": None}


def test_review_links_versions_notes_statuses(db: Database):
    assert db.insert_review_link(_link(1), max_active=2, now=1.0)
    assert db.insert_review_link(_link(2), max_active=2, now=1.0)
    assert not db.insert_review_link(_link(3), max_active=2, now=1.0)
    assert [r["id"] for r in db.review_links("alice", "b")] == ["l2", "l1"]
    link = db.review_link(token_hash="h1")
    assert link["pass_hash"] == b"\x00h" and link["show_prompts"] == 1
    assert db.revoke_review_link("alice", "l1", 5.0) and not db.revoke_review_link("alice", "l1", 6.0)
    db.touch_review_link("l2", 7.0)
    assert db.review_link(link_id="l2")["last_opened_at"] == 7.0
    db.add_review_versions("alice", "b", [("s1", "t1"), ("s1", "t2"), ("s1", "t1")], 3.0)
    versions = db.review_versions("alice", "b")
    assert [(v["take_job_id"], v["number"]) for v in versions] == [("t1", 1), ("t2", 2)]
    note = {"id": "n1", "link_id": "l2", "owner": "alice", "board_id": "b", "shot_id": "s1",
            "take_job_id": "t1", "seconds": 1.5, "reviewer": "Ann", "body": "hi", "parent_id": None,
            "created_at": 10.0, "resolved_at": None}
    assert db.add_review_note(note, max_per_link=2, max_recent=1, since=0.0) == "added"
    assert db.add_review_note(note | {"id": "n2"}, max_per_link=2, max_recent=1, since=0.0) == "rate"
    assert db.add_review_note(note | {"id": "n2"}, max_per_link=1, max_recent=9, since=0.0) == "quota"
    assert db.resolve_review_note("alice", "n1", 11.0) and db.review_note("n1")["resolved_at"] == 11.0
    assert [n["id"] for n in db.review_notes("alice", "b")] == ["n1"]
    status = {"owner": "alice", "board_id": "b", "shot_id": "s1", "take_job_id": "t1", "reviewer": "Ann",
              "status": "approved", "link_id": "l2", "set_at": 20.0}
    other = status | {"take_job_id": "t2", "set_at": 21.0}
    assert db.set_review_status(status, max_per_link=2, max_recent=9, since=0.0) == "added"
    assert db.set_review_status(other, max_per_link=2, max_recent=9, since=0.0) == "added"
    assert db.set_review_status(status | {"status": "changes", "set_at": 22.0}, max_per_link=2, max_recent=9,
                                since=0.0) == "added"
    assert [(s["take_job_id"], s["status"]) for s in db.review_statuses("alice", "b")] == [
        ("t2", "approved"), ("t1", "changes")]
    new = status | {"shot_id": "s9"}
    assert db.set_review_status(new, max_per_link=2, max_recent=9, since=0.0) == "quota"


def test_chat_tokens_and_prompt_versions(db: Database):
    call = {"id": "c1", "owner": "alice", "address": "a1", "day": DAY, "reserved": 60, "used": None,
            "capped": True, "created_at": 1.0}
    assert db.reserve_llm_tokens(call, cap=100)
    assert not db.reserve_llm_tokens(call | {"id": "c2", "owner": "bob"}, cap=100)  # same address
    db.settle_llm_tokens("c1", 30)
    assert db.reserve_llm_tokens(call | {"id": "c2", "owner": "bob"}, cap=100)
    assert db.llm_tokens(DAY) == 90 and db.llm_tokens(DAY, "alice") == 30
    assert db.llm_tokens(DAY, address="a1", capped_only=True) == 90
    row = {"id": "v1", "owner": "alice", "subject": "studio", "text": "one", "source": "typed",
           "created_at": 1.0}
    db.add_prompt_version(row, keep=2)
    assert db.add_prompt_version(row | {"id": "v-same", "created_at": 2.0}, keep=2)["id"] == "v1"
    db.add_prompt_version(row | {"id": "v2", "text": "two", "created_at": 3.0}, keep=2)
    db.add_prompt_version(row | {"id": "v3", "text": "three", "created_at": 4.0}, keep=2)
    assert [v["id"] for v in db.prompt_versions("alice", "studio", 10)] == ["v3", "v2"]
    assert db.prompt_version("alice", "v3")["text"] == "three" and db.prompt_version("bob", "v3") is None


# --- one migration history --------------------------------------------------------------------------------


def test_both_backends_have_one_migration_history(tmp_path: Path):
    assert len(pg.MIGRATIONS) == len(lite.MIGRATIONS)
    sqlite_db = open_database(tmp_path / "data")
    try:
        lite_tables = {r["name"] for r in sqlite_db._rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    finally:
        sqlite_db.close()
    assert set(pg.TABLES) == lite_tables


def test_both_backends_have_the_same_tables_columns_and_methods(postgres_url: str, tmp_path: Path):
    sqlite_db = open_database(tmp_path / "data")
    postgres_db = pg.PostgresDatabase(postgres_url)
    try:
        for table in pg.TABLES:
            ours = {r["name"] for r in sqlite_db._rows(f"PRAGMA table_xinfo({table})")}
            theirs = {r["column_name"] for r in postgres_db._rows(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND table_schema = current_schema()", (table,))}
            assert theirs - {"seq"} == ours, table  # seq: PostgreSQL's stand-in for SQLite's rowid
    finally:
        sqlite_db.close()
        postgres_db.close()
    methods = [name for name in vars(Database) if not name.startswith("_") and callable(vars(Database)[name])]
    assert len(methods) > 50
    for name in methods:
        assert inspect.signature(getattr(pg.PostgresDatabase, name)) == inspect.signature(
            getattr(lite.SqliteDatabase, name)), name


def _table_counts(db: Database) -> dict[str, int]:
    if isinstance(db, pg.PostgresDatabase):
        return {t: int(db._scalar(f"SELECT COUNT(*) AS n FROM {t}")) for t in pg.TABLES}
    return {t: db._rows(f"SELECT COUNT(*) FROM {t}")[0][0] for t in pg.TABLES}


def test_migrations_run_twice_are_a_no_op(db: Database, tmp_path: Path):
    db.insert_job(_job())
    before = _table_counts(db)
    if isinstance(db, pg.PostgresDatabase):
        again = pg.PostgresDatabase(db.url)
        with again._pool.connection() as conn:
            assert pg.apply_migrations(conn) == len(pg.MIGRATIONS)
    else:
        again = open_database(tmp_path / "data")
        assert lite.apply_migrations(again._conn) == len(lite.MIGRATIONS)
    try:
        assert again.schema_version == db.schema_version == len(lite.MIGRATIONS)
        assert _table_counts(again) == before
    finally:
        again.close()


def test_a_newer_schema_is_refused_on_postgres(postgres_server):
    url = postgres_server.create_database("t_schema_too_new")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE studio_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO studio_schema VALUES (%s)", (len(pg.MIGRATIONS) + 1,))
    with pytest.raises(lite.SchemaTooNewError, match="schema version"):
        pg.PostgresDatabase(url)


def test_a_bad_database_url_fails_naming_the_setting_without_the_password(postgres_server):
    url = f"postgresql://nobody:hunter2-secret@127.0.0.1:{postgres_server.port}/no_such_database"
    with pytest.raises(pg.DatabaseUnavailableError) as caught:
        pg.PostgresDatabase(url)
    assert "SEEDANCE_DATABASE_URL" in str(caught.value) and "hunter2" not in str(caught.value)


# --- copying a SQLite studio into PostgreSQL -------------------------------------------------------


def _copy(data: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "seedance_ui.store", "copy", "--to", url, "--data-dir",
                           str(data)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_copy_moves_a_sqlite_studio_and_running_it_twice_doubles_nothing(postgres_url: str, tmp_path: Path):
    truncate_all(postgres_url)
    data = tmp_path / "studio"
    source = open_database(data)
    jobs = [_job(created=1000.0 + n, prompt=f"shot {n}") for n in range(3)]
    for job in jobs:
        source.insert_job(job)
    source.set_favourite(jobs[0].id, ["alice"], True)
    source.put_job_meta(JobMeta(jobs[0].id, "server", "tok"))
    source.add_spend(jobs[0].id, "alice", DAY, 12.5, 1.0, "addr")
    source.put_upload("me", {"sha256": "b" * 64, "file_url": "u", "expires_at": 9e9})
    secret = source.app_secret("visitor-cookie")
    assert source.adopt_owner("visitor", "old-owner")
    assert source.insert_review_link(_link(1), max_active=5, now=1.0)
    source.close()

    first = _copy(data, postgres_url)
    assert first.returncode == 0, first.stderr
    assert "Media files stay in the data directory" in first.stdout
    second = _copy(data, postgres_url)
    assert second.returncode == 0, second.stderr
    target = pg.PostgresDatabase(postgres_url)
    try:
        assert [j.id for j in target.list_jobs("alice", 10)] == [j.id for j in reversed(jobs)]
        assert target.get_job(jobs[1].id) == jobs[1]
        assert target.query_jobs(["alice"], HistoryQuery(favourites=True), 10)[1] == 1
        assert target.get_job_meta(jobs[0].id) == JobMeta(jobs[0].id, "server", "tok")
        assert target.spent(DAY, "alice") == 12.5 and target.get_upload("b" * 64, "me")["file_url"] == "u"
        assert target.app_secret("visitor-cookie") == secret
        assert target.visitor_owner("visitor") == "old-owner"
        assert target.review_link(token_hash="h1")["pass_salt"] == b"s"
        assert _table_counts(target)["jobs"] == 3 and _table_counts(target)["spend"] == 1
    finally:
        target.close()
    assert "3 new" in first.stdout.split("jobs", 1)[1].splitlines()[0]
    assert "0 new" in second.stdout.split("jobs", 1)[1].splitlines()[0]


def test_copy_refuses_what_is_no_postgres_url_or_no_studio(tmp_path: Path):
    bad = _copy(tmp_path, "mysql://root@localhost/x")
    assert bad.returncode == 2 and "--to must be a PostgreSQL URL" in bad.stderr
    missing = _copy(tmp_path / "empty", "postgresql://u:pw-secret@127.0.0.1:1/x")
    assert missing.returncode == 1 and "no studio database" in missing.stderr
    assert "pw-secret" not in missing.stderr


def test_psycopg_is_what_raises_for_a_duplicate_job_on_postgres(postgres_url: str):
    truncate_all(postgres_url)
    database = pg.PostgresDatabase(postgres_url)
    try:
        job = _job()
        database.insert_job(job)
        with pytest.raises(psycopg.IntegrityError):
            database.insert_job(job)
    finally:
        database.close()


# --- the setting and the runtime ------------------------------------------------------------------------


def test_the_database_setting_accepts_postgres_urls_only():
    from seedance_ui.config import ConfigError, load_settings

    assert load_settings({}, dotenv_path=None).database_url == ""
    url = "postgresql://studio:pw@db:5432/seedance"
    assert load_settings({"SEEDANCE_DATABASE_URL": url}, dotenv_path=None).database_url == url
    assert "pw" not in repr(load_settings({"SEEDANCE_DATABASE_URL": url}, dotenv_path=None))
    for bad in ("mysql://root:hunter2@db/x", "sqlite:///data/studio.sqlite3", "hunter2"):
        with pytest.raises(ConfigError, match="SEEDANCE_DATABASE_URL") as caught:
            load_settings({"SEEDANCE_DATABASE_URL": bad}, dotenv_path=None)
        assert "hunter2" not in str(caught.value)


def test_the_runtime_opens_the_database_the_setting_names(postgres_url: str, tmp_path: Path):
    from seedance_ui.config import Settings
    from seedance_ui.runtime import build_runtime

    truncate_all(postgres_url)
    settings = Settings(api_key="sk-runtime-test", data_dir=tmp_path / "data", database_url=postgres_url)
    runtime = build_runtime(settings, start=False)
    try:
        assert isinstance(runtime.store.db, pg.PostgresDatabase)
        assert isinstance(runtime.manager.guard.ledger._db, pg.PostgresDatabase)
        assert isinstance(runtime.manager._meta._db, pg.PostgresDatabase)
        assert not (tmp_path / "data" / "studio.sqlite3").exists()
    finally:
        runtime.close()
    unset = build_runtime(Settings(api_key="sk-runtime-test", data_dir=tmp_path / "lite"), start=False)
    try:
        assert isinstance(unset.store.db, lite.SqliteDatabase)
        assert (tmp_path / "lite" / "studio.sqlite3").is_file()
    finally:
        unset.close()


def test_a_job_runs_to_its_video_on_postgres(postgres_url: str, tmp_path: Path, simulator: object):
    """The job manager on PostgreSQL end to end: admitted against a budget, created once, followed,
    downloaded, counted on the ledger and reconciled, with an idempotency key."""
    from seedance_ui.client import GenerationRequest
    from seedance_ui.config import Settings
    from seedance_ui.jobs import JobManager
    from seedance_ui.jobs.idempotency import submit_once
    from seedance_ui.options import MODEL_FAST
    from seedance_ui.store import HistoryStore

    truncate_all(postgres_url)
    base_url = simulator.base_url  # type: ignore[attr-defined]
    settings = Settings(api_key="sk-test-server-key-0123456789", base_url=base_url,
                        data_dir=tmp_path / "data", poll_interval=0.05, daily_budget_credits=1000.0)
    store = HistoryStore(settings.data_dir, database_url=postgres_url)
    manager = JobManager(store, settings)
    manager.start()
    try:
        request = GenerationRequest(prompt="A kite over dunes", model=MODEL_FAST, duration=4, quality="480p")
        owner = "f" * 32
        record, made = submit_once(manager, owner, "press-1", lambda: manager.submit(request, owner))
        again, made_again = submit_once(manager, owner, "press-1", lambda: manager.submit(request, owner))
        assert made and not made_again and again.id == record.id
        done = manager.wait(record.id, timeout=60)
        assert done.status is JobStatus.COMPLETED and store.video_file(done) is not None
        assert store.db.spend_row(record.id).owner == "f" * 32 and store.db.spent(done_day(done)) > 0
    finally:
        manager.stop()
        store.close()


def done_day(record: JobRecord) -> str:
    from seedance_ui.jobs.budget import utc_day

    return utc_day(record.created_at)
