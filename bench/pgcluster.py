"""A throwaway PostgreSQL for the replicas section, and the statements each replica sent it.

The server is the tests' own (tests/pg_server.py, loaded from its file: Debian's binaries, a temporary
cluster on loopback, removed at the end). `statement_log(url)` turns on PostgreSQL's statement log for
one database (`log_statement = all`, with each line prefixed by the client's application_name, which a
replica sets through libpq's PGAPPNAME): every statement a client sends is one line the server writes
when it executes it, so counting a replica's lines between two offsets of the server log counts its
round trips (a BEGIN and a COMMIT are statements, hence round trips, too).
"""

from __future__ import annotations

import importlib.util
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.common import ROOT

PG_SERVER_FILE = ROOT / "tests" / "pg_server.py"
LOG_PREFIX = "@@%a@@ "  # log_line_prefix: the client's application_name between markers
RELOAD_TIMEOUT_SECONDS = 10.0  # the server applies a reloaded setting within this
OTHER = "other"  # statements no kind below matches: the jobs' own work (provider polls' writes, pages...)
# (kind, a fragment only that statement's text holds); see seedance_ui/store/postgres.py
KINDS = (
    ("change poll", "WHERE j.updated_at >"),
    ("lease renewal", "UPDATE job_leases SET expires_at"),
    ("lease scan", "WITH free AS"),
)
_LINE = re.compile(r"^@@(?P<app>[^@]*)@@ (?P<level>[A-Z]+):  (?P<rest>.*)$")
_STATEMENT = re.compile(r"^(?:statement|execute [^:]*): (?P<sql>.*)$")


def _pg_server() -> ModuleType:
    """tests/pg_server.py, loaded from its file (the tests import it as a top-level module, and it imports
    its sibling helpers, e.g. ports.py, the same way: their folder goes at the end of the path)."""
    if str(PG_SERVER_FILE.parent) not in sys.path:
        sys.path.append(str(PG_SERVER_FILE.parent))
    spec = importlib.util.spec_from_file_location("seedance_bench_pg_server", PG_SERVER_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def server() -> Iterator[Any]:
    """A started PostgresServer (tests/pg_server.py), stopped and removed on exit."""
    pg = _pg_server()
    bin_dir = pg.find_binaries()
    if bin_dir is None:
        raise RuntimeError(f"PostgreSQL's server binaries are not installed; run: {pg.INSTALL_HINT}")
    started = pg.PostgresServer(bin_dir).start()
    try:
        yield started
    finally:
        started.stop()


def log_path(pg_server: Any) -> Path:
    """The server's log file (pg_ctl -l in PostgresServer.start)."""
    return Path(pg_server.root) / "server.log"


def statement_log(url: str) -> None:
    """Log every statement sent to this database, each line naming its client (superuser: the server's)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"ALTER SYSTEM SET log_line_prefix = '{LOG_PREFIX}'")
        conn.execute("SELECT pg_reload_conf()")
        conn.execute(f'ALTER DATABASE "{name}" SET log_statement = \'all\'')
    deadline = time.monotonic() + RELOAD_TIMEOUT_SECONDS
    while True:  # the server reloads its settings after answering: wait until a new session has them
        with psycopg.connect(url, autocommit=True) as conn:
            prefix = conn.execute("SHOW log_line_prefix").fetchone()
        if prefix is not None and prefix[0] == LOG_PREFIX:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"PostgreSQL did not take log_line_prefix within {RELOAD_TIMEOUT_SECONDS:g} s")
        time.sleep(0.05)


def replica_env(db_url: str, data: Path, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A replica's settings: the shared database and data directory, its name (also its database client's
    application_name, through libpq's PGAPPNAME, which the statement log records)."""
    return {"SEEDANCE_DATABASE_URL": db_url, "SEEDANCE_DATA_DIR": str(data), "SEEDANCE_REPLICA_NAME": name,
            "PGAPPNAME": name, **(extra or {})}


def kind_of(sql: str) -> str:
    return next((kind for kind, fragment in KINDS if fragment in sql), OTHER)


def count_statements(text: str) -> dict[str, Counter[str]]:
    """application_name -> statements by kind, from a stretch of the server log written with LOG_PREFIX
    (a statement's text may run over several lines; only its own lines are read for its kind)."""
    counts: dict[str, Counter[str]] = {}
    current: tuple[str, list[str]] | None = None

    def close() -> None:
        if current is not None:
            app, sql = current
            counts.setdefault(app, Counter())[kind_of(" ".join(sql))] += 1

    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            if current is not None:
                current[1].append(line.strip())
            continue
        close()
        current = None
        statement = _STATEMENT.match(match["rest"]) if match["level"] == "LOG" else None
        if statement is not None:
            current = (match["app"], [statement["sql"]])
    close()
    return counts


class LogWindow:
    """The server log written between `start()` and `stop()`, counted by client and kind."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0

    def start(self) -> None:
        self._offset = self.path.stat().st_size

    def stop(self) -> dict[str, Counter[str]]:
        with self.path.open("rb") as fh:
            fh.seek(self._offset)
            text = fh.read().decode("utf-8", errors="replace")
        return count_statements(text[: text.rfind("\n") + 1])  # a line being written is left out
