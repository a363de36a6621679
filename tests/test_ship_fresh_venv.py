"""A stand-in for `docker build` + `docker run`: a fresh virtualenv, requirements.txt alone, only the
files the Dockerfile copies, and exactly the environment the image sets.

Steps as in the Dockerfile: `python -m venv`, `pip install -r requirements.txt`, then `python app.py`
from a directory holding nothing but app.py, seedance_ui/, assets/ and requirements.txt, with the
Dockerfile's ENV (the port and data directory moved to free, temporary ones) and no API key: demo
mode. The page, /healthz, the image's own HEALTHCHECK command and /generate must all answer.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import free_port
from gradio_client import Client
from test_ship_docker import dockerfile_copied, dockerfile_env, healthcheck_command

from seedance_ui.media import probe

ROOT = Path(__file__).resolve().parent.parent
INSTALL_TIMEOUT = 420  # seconds; about 1.5 min on this machine from the package index
BOOT_TIMEOUT = 120

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(INSTALL_TIMEOUT + 300),
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def _copy_build_context(dest: Path) -> None:
    """What `COPY` puts in /app, minus what .dockerignore keeps out (__pycache__, *.pyc)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for source in dockerfile_copied():
        src = ROOT / source
        if src.is_dir():
            shutil.copytree(src, dest / source, ignore=ignore)
        else:
            shutil.copy2(src, dest / source)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The "built image": a fresh venv with requirements.txt installed, and the app's files."""
    base = tmp_path_factory.mktemp("image")
    app_dir, venv = base / "app", base / "venv"
    app_dir.mkdir()
    _copy_build_context(app_dir)
    copied = sorted(p.name for p in app_dir.iterdir())
    assert copied == ["app.py", "assets", "requirements.txt", "seedance_ui"]
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    pip_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    started = time.monotonic()
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", "requirements.txt"],
        cwd=app_dir, env=pip_env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    check = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    print(f"fresh venv installed in {time.monotonic() - started:.0f} s")
    yield {"app": app_dir, "python": python, "home": base / "home", "data": base / "data"}


@pytest.fixture(scope="module")
def container(image: dict[str, Path]) -> Iterator[dict[str, object]]:
    """`docker run` of the image: the Dockerfile's environment and nothing else of this machine's."""
    port = free_port()
    image["home"].mkdir()
    env = dockerfile_env()
    env.update(
        PATH=f"{image['python'].parent}:/usr/local/bin:/usr/bin:/bin",
        HOME=str(image["home"]),
        GRADIO_SERVER_PORT=str(port),
        SEEDANCE_DATA_DIR=str(image["data"]),
    )
    assert env["GRADIO_SERVER_NAME"] == "0.0.0.0"
    assert not any(k.startswith("EVOLINK") for k in env)
    log_path = image["app"].parent / "app.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            ["python", "app.py"], cwd=image["app"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    started = time.time()
    try:
        deadline = time.monotonic() + BOOT_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"app.py exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"app.py did not come up in {BOOT_TIMEOUT} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield {
            "url": url, "env": env, "proc": proc, "log": log_path, "data": image["data"], "started": started
        }
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_the_page_and_health_answer_in_demo_mode(container: dict) -> None:
    url = container["url"]
    page = httpx.get(f"{url}/", timeout=10)
    assert page.status_code == 200 and "Seedance Studio" in page.text
    health = httpx.get(f"{url}/healthz", timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok", "mode": "demo"}


def test_the_image_healthcheck_command_passes(container: dict, image: dict) -> None:
    result = subprocess.run(healthcheck_command(), env=container["env"], capture_output=True, timeout=10)
    assert result.returncode == 0, result.stderr.decode()[-2000:]


def test_generate_over_the_api_returns_an_mp4(container: dict) -> None:
    client = Client(container["url"] + "/", verbose=False)
    started = time.monotonic()
    video, result = client.predict(
        prompt="Container check: a red kite over green dunes, slow pan right",
        duration=4,
        quality="480p",
        aspect_ratio="16:9",
        api_name="/generate",
    )
    took = time.monotonic() - started
    assert Path(video).is_file() and Path(video).suffix == ".mp4"
    with open(video, "rb") as f:
        assert f.read(12)[4:8] == b"ftyp"
    assert probe(Path(video)).duration == pytest.approx(4, abs=0.3)
    assert result["status"] == "completed"
    # the summary names the video relative to the data folder (no absolute server path), and it is there
    assert not Path(result["video_path"]).is_absolute()
    assert (container["data"] / result["video_path"]).is_file()
    assert took < 90, f"a 4 s demo clip took {took:.0f} s"


def test_sigterm_stops_the_container_cleanly(container: dict, image: dict) -> None:
    proc = container["proc"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    log = container["log"].read_text()
    assert "Traceback" not in log, log[-3000:]
    # The image's code belongs to root: the app must have written nothing next to it.
    written = [p for p in image["app"].rglob("*") if p.stat().st_mtime > container["started"]]
    assert written == [], written
