"""A real PostgreSQL server for the tests: Debian's binaries, a temporary cluster, loopback, one per session.

`find_binaries()` looks for `initdb`, `pg_ctl` and `postgres` on PATH and in Debian's
/usr/lib/postgresql/<version>/bin (newest first). `PostgresServer` makes a cluster in a temporary
directory (owned by the `postgres` user when the tests run as root, since the server refuses to run as
root), starts it on 127.0.0.1 on a free port with its socket directory inside the temporary directory,
and stops it and removes the directory at the end. `make postgres` installs Debian's server when it is
missing; tests skip only when no binaries exist at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ports import free_port

DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")
BINARIES = ("initdb", "pg_ctl", "postgres")
SERVER_USER = "postgres"  # the server refuses to run as root; Debian's package creates this user
DATABASE = "postgres"
START_TIMEOUT_SECONDS = 60
INSTALL_HINT = "make postgres  (or: sudo apt-get install -y postgresql)"
REQUIRED_ENV = "SEEDANCE_TEST_POSTGRES"  # "required" (make test): fail instead of skipping without a server


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in path.name.split(".") if p.isdigit())


def find_binaries() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None when there is none here."""
    candidates: list[Path] = []
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).resolve().parent)
    if DEBIAN_PG_ROOT.is_dir():
        versions = sorted((p for p in DEBIAN_PG_ROOT.iterdir() if p.is_dir()), key=_version_key, reverse=True)
        candidates += [p / "bin" for p in versions]
    for folder in candidates:
        if all(os.access(folder / name, os.X_OK) for name in BINARIES):
            return folder
    return None


class PostgresServer:
    """One throwaway cluster; `url` is its connection string (trust authentication on loopback)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="seedance-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user = SERVER_USER if os.geteuid() == 0 else None
        self.url = f"postgresql://{self.user or os.environ.get('USER') or 'postgres'}@127.0.0.1:{self.port}/"
        self.url += DATABASE
        self.start_seconds = 0.0

    def _run(self, *args: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout}")

    def start(self) -> PostgresServer:
        """initdb, then pg_ctl start (waits until it accepts connections)."""
        began = time.monotonic()
        if self.user:
            shutil.chown(self.root, self.user, self.user)
        init_user = self.user or os.environ.get("USER") or "postgres"
        self._run("initdb", "-D", str(self.data), "-U", init_user, "-A", "trust", "-E", "UTF8",
                  "--no-sync", "--no-instructions")
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories={self.root} -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options,
                  "-w", "-t", str(START_TIMEOUT_SECONDS), "start")
        self.start_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        """A new, empty database on this server (dropped first if a run left one); its URL."""
        import psycopg  # the tests' venv has it (requirements.txt); only PostgreSQL tests get here

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + "/" + name


def truncate_all(url: str) -> None:
    """Empty every studio table of the database at `url` (the schema and its version stay)."""
    import psycopg

    from seedance_ui.store.postgres import TABLES

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL for the whole session (skips only when Debian's server is not installed here)."""
    bin_dir = find_binaries()
    if bin_dir is None:
        message = f"PostgreSQL's server binaries are not installed; run: {INSTALL_HINT}"
        if os.environ.get(REQUIRED_ENV) == "required":  # `make test` installed it: never skip there
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer(bin_dir).start()
    print(f"\nPostgreSQL {bin_dir.parent.name} started in {server.start_seconds:.2f} s on port {server.port}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def postgres_url(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """A database of this test module's own on the session's server, migrated (its URL)."""
    from seedance_ui.store.postgres import PostgresDatabase

    name = "t_" + request.module.__name__.rsplit(".", 1)[-1].lower()[:50]
    url = postgres_server.create_database(name)
    PostgresDatabase(url).close()  # the schema, so tests may empty its tables first
    return url


BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest) -> str:
    """The database under test, once per backend: "" (SQLite in the test's data directory) or this
    module's PostgreSQL database, emptied."""
    if request.param == "sqlite":
        return ""
    found = request.getfixturevalue("postgres_url")
    truncate_all(found)
    return found


@pytest.fixture()
def db(tmp_path: Path, backend_url: str) -> Iterator[Any]:
    """One store Database on `backend_url` (data directory: tmp_path/data)."""
    from seedance_ui.store.local import open_database

    database = open_database(tmp_path / "data", backend_url)
    yield database
    database.close()


@pytest.fixture()
def db_pair(tmp_path: Path, backend_url: str) -> Iterator[tuple[Any, Any]]:
    """Two store Databases (own connections) on one database, as two replicas hold it."""
    from seedance_ui.store.local import open_database

    first, second = (open_database(tmp_path / "data", backend_url) for _ in range(2))
    yield first, second
    first.close()
    second.close()
