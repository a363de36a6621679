"""Helpers for tests that run `python app.py` as a real process against an in-test simulator."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT

from seedance_ui.store import HistoryStore, JobRecord


def app_env(base_url: str, key: str, data_dir: Path, port: int) -> dict[str, str]:
    """The environment of a live-mode app.py talking to `base_url` with `key`."""
    return {
        **os.environ,
        "EVOLINK_API_KEY": key,
        "EVOLINK_BASE_URL": base_url,
        "SEEDANCE_DATA_DIR": str(data_dir),
        "SEEDANCE_POLL_INTERVAL": "0.25",
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }


def start_app(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )


def wait_healthy(url: str, proc: subprocess.Popen, log_path: Path, timeout: float = 90.0) -> None:
    """Wait for `<url>/healthz` to answer 200; fail with the log's tail if the app dies or stalls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"app.py exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"app.py was not healthy within {timeout} s:\n{log_path.read_text()[-3000:]}")


def all_jobs(data_dir: Path) -> list[JobRecord]:
    """Every job in the history, whoever owns it (the API caller's owner id is the app's business)."""
    db_path = data_dir / "studio.sqlite3"
    if not db_path.exists():
        return []
    with closing(sqlite3.connect(db_path)) as db:
        owners = [row[0] for row in db.execute("SELECT DISTINCT owner FROM jobs")]
    store = HistoryStore(data_dir)
    try:
        return [job for owner in owners for job in store.list(owner)]
    finally:
        store.close()


def stop_app(proc: subprocess.Popen) -> None:
    """Stop a started app.py if it still runs: SIGTERM, then SIGKILL after 15 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def call_tool(url: str, name: str, data: list[Any], address: str | None = None) -> Any:
    """Call one of the agent tools over Gradio's HTTP API, as an agent without a key on this host does
    (`address`: the client address a trusted proxy would put in X-Forwarded-For); its parsed answer."""
    headers = {"X-Forwarded-For": address} if address else {}
    with httpx.Client(base_url=url, timeout=60, headers=headers) as http:
        event = http.post(f"/gradio_api/call/{name}", json={"data": data})
        assert event.status_code == 200, event.text
        answer = http.get(f"/gradio_api/call/{name}/{event.json()['event_id']}").text
    match = re.search(r"event: complete\ndata: (.*)", answer)
    assert match, answer
    return json.loads(json.loads(match.group(1))[0])
