"""The acceptance scenario of durable jobs, end to end: `python app.py` is SIGKILLed mid-generation and
started again; the video lands on disk and in history, and the provider saw exactly one create."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from app_process import all_jobs, app_env, start_app, stop_app, wait_healthy
from conftest import free_port
from gradio_client import Client

from seedance_ui.media import probe
from seedance_ui.options import CREATE_PATH
from seedance_ui.simulator import Simulator
from seedance_ui.store import JobStatus

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-restart-test-key"


@pytest.fixture()
def simulator() -> Iterator[Simulator]:
    # A 165 s task at 20x takes about 8 s of real time: long enough to kill the app mid-way.
    with Simulator(speed=20, api_key=KEY) as sim:
        sim.set_behaviour(estimated_time=165)
        yield sim


def test_sigkill_mid_generation_then_restart_keeps_the_video(simulator: Simulator, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = app_env(simulator.base_url, KEY, tmp_path / "data", port)
    log_path = tmp_path / "app.log"
    app = start_app(env, log_path)
    try:
        wait_healthy(url, app, log_path)
        assert httpx.get(f"{url}/", timeout=10).status_code == 200
        client = Client(url, verbose=False, download_files=False)
        client.submit(
            prompt="Restart check: a lighthouse beam sweeps a stormy sea, slow dolly in",
            model="seedance-2.0-fast-text-to-video",
            duration=4,
            quality="480p",
            aspect_ratio="16:9",
            generate_audio=False,
            web_search=False,
            api_name="/generate",
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            jobs = all_jobs(tmp_path / "data")
            if jobs and jobs[0].status == JobStatus.PROCESSING:
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"the job never reached processing: {jobs}")
        app.send_signal(signal.SIGKILL)
        app.wait(timeout=10)
        [job] = all_jobs(tmp_path / "data")
        assert job.status == JobStatus.PROCESSING and job.task_id
        assert simulator.in_flight() == 1, "the task should still be running at the provider"

        app = start_app(env, log_path)
        wait_healthy(url, app, log_path)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            [job] = all_jobs(tmp_path / "data")
            if job.status.terminal:
                break
            time.sleep(0.2)
        tail = log_path.read_text()[-3000:]
        assert job.status == JobStatus.COMPLETED, (job.status, job.error_message, tail)
        video = tmp_path / "data" / job.video_path
        assert video.is_file() and (tmp_path / "data" / job.poster_path).is_file()
        assert probe(video).duration == pytest.approx(4, abs=0.3)
        assert simulator.count("POST", CREATE_PATH) == 1
        assert simulator.create_count == 1
    finally:
        stop_app(app)
