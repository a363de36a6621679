"""The real studio (`python app.py`) as a child process, pointed at a simulator, with its own data dir."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from bench.common import APP, PYTHON, Child, free_port, studio_env, wait_http_ok


class Studio:
    """`python app.py` in live mode against `sim_url` (demo mode when None); `stop()` ends it. `app` may
    name the app.py of another checkout (e.g. a worktree of an older commit): it imports its own code."""

    def __init__(self, work: Path, name: str, *, sim_url: str | None, poll_interval: float | None = None,
                 extra_env: dict[str, str] | None = None, timeout: float = 90.0, app: Path = APP) -> None:
        self.work = work / name
        shutil.rmtree(self.work, ignore_errors=True)  # a fresh data dir: no history, no recovery
        self.data_dir = self.work / "data"
        self.work.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = studio_env(data_dir=self.data_dir, port=self.port, temp_dir=self.work / "gradio-tmp",
                         base_url=sim_url, poll_interval=poll_interval, extra=extra_env)
        # cwd: an empty folder, so no .env of the checkout changes the settings.
        self.child = Child([PYTHON, str(app)], env=env, cwd=self.work, log=self.work / "app.log")
        try:
            wait_http_ok(self.url + "/", timeout=timeout, child=self.child)
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        return self.child.pid

    def stop(self) -> None:
        self.child.stop()

    def rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Read the studio's database (read-only, safe while it runs: WAL)."""
        conn = sqlite3.connect(f"file:{self.data_dir / 'studio.sqlite3'}?mode=ro", uri=True, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()
