"""Graceful shutdown: `docker stop` and a Spaces restart send SIGTERM to `python app.py` mid-generation.

The app must exit cleanly (code 0, within Docker's 10 s before SIGKILL), leave the job on disk
exactly as it stood at the provider (non-terminal, with its task id), and the next start must finish it
without a second create: nothing is lost and nothing is charged twice.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from app_process import all_jobs, app_env, start_app, wait_healthy
from conftest import free_port
from gradio_client import Client

from seedance_ui.options import CREATE_PATH
from seedance_ui.simulator import Simulator
from seedance_ui.store import JobRecord, JobStatus

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

KEY = "sk-sigterm-test-key"
EXIT_WITHIN = 15.0
DOCKER_STOP_GRACE = 10.0  # `docker stop` sends SIGKILL after this many seconds


@pytest.fixture()
def simulator() -> Iterator[Simulator]:
    # A 165 s task at 20x runs about 8 s of real time: long enough to stop the app in the middle.
    with Simulator(speed=20, api_key=KEY) as sim:
        sim.set_behaviour(estimated_time=165)
        yield sim


def test_sigterm_mid_generation_exits_cleanly_and_the_job_resumes(
    simulator: Simulator, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path / "data"
    env = app_env(simulator.base_url, KEY, data_dir, port)
    log_path = tmp_path / "app.log"
    app = start_app(env, log_path)
    try:
        wait_healthy(url, app, log_path)
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok", "mode": "live"}
        client = Client(url, verbose=False, download_files=False)
        # The caller stays connected (like an open browser tab) while the server is stopped.
        client.submit(
            prompt="Shutdown check: a night train crosses a snowy viaduct, slow pan left",
            model="seedance-2.0-fast-text-to-video",
            duration=4,
            quality="480p",
            aspect_ratio="16:9",
            generate_audio=False,
            web_search=False,
            api_name="/generate",
        )
        deadline = time.monotonic() + 60
        jobs: list[JobRecord] = []
        while time.monotonic() < deadline:
            jobs = all_jobs(data_dir)
            if jobs and jobs[0].status == JobStatus.PROCESSING:
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"the job never reached processing: {jobs}")

        stopped_at = time.monotonic()
        app.send_signal(signal.SIGTERM)
        try:
            code = app.wait(timeout=EXIT_WITHIN)
        except subprocess.TimeoutExpired:
            pytest.fail(f"app.py did not exit within {EXIT_WITHIN} s of SIGTERM")
        took = time.monotonic() - stopped_at
        output = log_path.read_text()
        assert code == 0, output[-3000:]
        assert took < DOCKER_STOP_GRACE, f"took {took:.1f} s: Docker would have sent SIGKILL"
        assert "Traceback" not in output and " ERROR " not in output, output[-3000:]

        [job] = all_jobs(data_dir)
        assert not job.status.terminal, (job.status, job.error_message)
        assert job.status == JobStatus.PROCESSING and job.task_id
        assert simulator.in_flight() == 1, "the task is still running at the provider"
        assert simulator.create_count == 1

        # The next start picks the job up where it stood: polled, downloaded, never re-created.
        app = start_app(env, log_path)
        wait_healthy(url, app, log_path)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            [job] = all_jobs(data_dir)
            if job.status.terminal:
                break
            time.sleep(0.2)
        tail = log_path.read_text()[-3000:]
        assert job.status == JobStatus.COMPLETED, (job.status, job.error_message, tail)
        assert (data_dir / job.video_path).is_file()
        assert simulator.count("POST", CREATE_PATH) == 1
        assert simulator.create_count == 1
    finally:
        if app.poll() is None:
            app.send_signal(signal.SIGTERM)
            try:
                app.wait(timeout=EXIT_WITHIN)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait()
