"""Durable inputs, end to end: `python app.py` is SIGKILLed while a frames job's upload is held at the
provider (its create not sent), then started again: the job resumes at its upload step, the provider sees
exactly one create carrying the upload's URL, and the video lands in the history with its input thumbnail.
(A job stopped after its upload was recorded reuses it: tests/test_jobs_inputs.py.)"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from app_process import all_jobs, app_env, start_app, stop_app, wait_healthy
from conftest import RecordingProxy, free_port
from gradio_client import Client, handle_file
from job_helpers import wait_for
from media_files import quadrant_image

from seedance_ui.media import probe
from seedance_ui.options import UPLOAD_STREAM_PATH, model_id
from seedance_ui.simulator import Simulator
from seedance_ui.store import JobStatus

KEY = "sk-inputs-restart-test-key"
HOLD_SECONDS = 120.0  # the first upload's answer is held this long: the app is killed meanwhile


@pytest.fixture()
def provider(tmp_path: Path) -> Iterator[tuple[Simulator, RecordingProxy]]:
    with Simulator(speed=20, api_key=KEY, video_cache_dir=tmp_path / "clips") as sim:
        sim.set_behaviour(estimated_time=20)
        proxy = RecordingProxy(sim.base_url).start()
        yield sim, proxy
        proxy.stop()


def test_sigkill_between_upload_and_create_then_restart_sends_one_create(provider, tmp_path: Path) -> None:
    sim, proxy = provider
    picture = quadrant_image(tmp_path / "quad.png")
    data = tmp_path / "data"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**app_env(proxy.url, KEY, data, port), "EVOLINK_FILES_URL": proxy.url}
    log_path = tmp_path / "app.log"
    sim.inject("upload", status=200, delay=HOLD_SECONDS)  # answered normally, but only after the hold

    def uploads() -> list:
        return [r for r in proxy.records if r.method == "POST" and r.path == UPLOAD_STREAM_PATH]

    app = start_app(env, log_path)
    try:
        wait_healthy(url, app, log_path)
        Client(url, verbose=False, download_files=False).submit(
            prompt="Restart with inputs: the picture comes alive, slow push in",
            model=model_id("frames", "Fast"), duration=4, quality="480p", aspect_ratio="adaptive",
            generate_audio=False, first_frame=handle_file(str(picture)), api_name="/generate",
        )
        wait_for(uploads, 60, interval=0.1)  # the upload reached the provider (and is held there)
        [job] = all_jobs(data)
        assert job.status == JobStatus.UPLOADING
        app.send_signal(signal.SIGKILL)
        app.wait(timeout=10)

        [job] = all_jobs(data)
        [entry] = job.params["inputs"]
        assert job.status == JobStatus.UPLOADING and "file_url" not in entry
        assert (data / entry["path"]).read_bytes() == picture.read_bytes()  # written before anything was sent
        assert proxy.creates() == [] and sim.create_count == 0

        app = start_app(env, log_path)
        wait_healthy(url, app, log_path)
        job = wait_for(lambda: next((j for j in all_jobs(data) if j.status.terminal), None), 60, interval=0.2)
        assert job.status == JobStatus.COMPLETED, (job.error_message, log_path.read_text()[-3000:])
        [entry] = job.params["inputs"]
        [create] = proxy.creates()
        assert create.body["image_urls"] == [entry["file_url"]]
        assert sim.create_count == 1
        assert len(uploads()) == 2  # the held one (its answer never arrived) and the one after the restart
        assert probe(data / job.video_path).duration == pytest.approx(4, abs=0.3)
        thumbnail = httpx.get(f"{url}/gradio_api/file={(data / entry['path']).resolve()}", timeout=10)
        assert thumbnail.status_code == 200 and thumbnail.content == picture.read_bytes()
    finally:
        stop_app(app)
