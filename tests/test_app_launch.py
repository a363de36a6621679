"""`python app.py` as Hugging Face Spaces and Docker run it: demo mode, environment settings, one process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, free_port
from gradio_client import Client

from seedance_ui.media import probe
from seedance_ui.options import frame_size

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, subprocess.Popen]]:
    data_dir = tmp_path_factory.mktemp("app-data")
    port = free_port()
    env = {
        **os.environ,
        "EVOLINK_API_KEY": "",
        "SEEDANCE_DATA_DIR": str(data_dir),
        "SEEDANCE_SIMULATOR_SPEED": "60",
        "SEEDANCE_POLL_INTERVAL": "0.1",
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    proc = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                output = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"app.py did not come up:\n{output[-3000:]}")
            time.sleep(0.2)
        yield url, data_dir, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_app_serves_the_studio_in_demo_mode(served: tuple[str, Path, subprocess.Popen]) -> None:
    url, _data_dir, _proc = served
    health = httpx.get(f"{url}/healthz").json()
    assert health == {"status": "ok", "mode": "demo"}
    page = httpx.get(url).text
    assert "Seedance Studio" in page
    config = httpx.get(f"{url}/config").json()
    assert "sd-panel" in (config.get("css") or "")  # css went through launch()
    assert config.get("theme_hash") or config.get("theme")
    assert "runs" not in config.get("footer_links", [])
    html_blocks = " ".join(str(c.get("props", {}).get("value", "")) for c in config["components"])
    assert "Demo mode" in html_blocks
    assert httpx.get(f"{url}/favicon.ico").status_code == 200


def test_generate_over_the_api_in_demo_mode(served: tuple[str, Path, subprocess.Popen]) -> None:
    url, data_dir, _proc = served
    client = Client(url, verbose=False)
    video, result = client.predict(
        prompt="Launch check: a comet over a fishing village",
        duration=4,
        quality="480p",
        aspect_ratio="4:3",
        api_name="/generate",
    )
    info = probe(Path(video))
    assert info.duration == pytest.approx(4, abs=0.3)
    assert (info.width, info.height) == frame_size("480p", "4:3")
    assert info.has_audio
    assert (data_dir / result["video_path"]).parent.resolve() == (data_dir / "videos").resolve()


def test_app_stops_cleanly_on_sigterm(served: tuple[str, Path, subprocess.Popen]) -> None:
    _url, _data_dir, proc = served
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    output = proc.stdout.read() if proc.stdout else ""
    assert "Traceback" not in output, output[-3000:]
