"""Kill the server process mid-job (SIGKILL), start it again: the paid video still lands, once."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from seedance_ui.options import CREATE_PATH
from seedance_ui.simulator import Simulator
from seedance_ui.store import HistoryStore, JobStatus

RUNNER = Path(__file__).resolve().parent / "jobs_runner.py"
ROOT = RUNNER.parent.parent


class Runner:
    """tests/jobs_runner.py in a subprocess, its JSON lines read by a thread."""

    def __init__(self, mode: str, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("w") as stderr:
            self.proc = subprocess.Popen([sys.executable, str(RUNNER), mode], cwd=ROOT, env=env,
                                         stdout=subprocess.PIPE, stderr=stderr, text=True)
        self.lines: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.lines.put(json.loads(line))

    def until(self, check, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.proc.kill()
                raise AssertionError(f"runner never got there; stderr:\n{self.log.read_text()}")
            try:
                item = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if check(item):
                return item


@pytest.mark.slow
def test_sigkill_while_processing_then_restart_saves_the_video_with_one_create(tmp_path: Path):
    data_dir = tmp_path / "data"
    # 480p fast 4 s: an estimate of 50 simulated seconds, ~3.3 real seconds at speed 15.
    with Simulator(speed=15) as sim:
        env = {**os.environ, "EVOLINK_API_KEY": "sk-kill-test", "EVOLINK_BASE_URL": sim.base_url,
               "SEEDANCE_DATA_DIR": str(data_dir), "SEEDANCE_POLL_INTERVAL": "0.2",
               "PYTHONPATH": str(ROOT)}
        first = Runner("submit", env, tmp_path / "first.log")
        seen = first.until(lambda r: r.get("status") == "processing", timeout=30)
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(10)
        assert first.proc.returncode == -signal.SIGKILL
        job_id = seen["job"]

        with HistoryStore(data_dir) as store:
            killed = store.get(job_id)
            assert killed.status == JobStatus.PROCESSING and killed.task_id == seen["task_id"]
            assert store.video_file(killed) is None
        assert sim.task_completed_at(seen["task_id"]) is None  # still processing at the provider

        second = Runner("recover", env, tmp_path / "second.log")
        second.until(lambda r: r.get("event") == "done", timeout=30)
        assert second.proc.wait(10) == 0

        with HistoryStore(data_dir) as store:
            done = store.get(job_id)
            assert done.status == JobStatus.COMPLETED, done
            video = store.video_file(done)
            assert video is not None and video.read_bytes()[4:8] == b"ftyp"
            assert store.poster_file(done) is not None
            assert done.task_id == seen["task_id"]
        assert sim.create_count == 1 and sim.count("POST", CREATE_PATH) == 1
