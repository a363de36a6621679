"""Issue 20, item 13: the simulator fetches only public addresses (every redirect hop), a name that does
not resolve is refused (fail closed), a media fetch connects to the address it checked (no second
lookup), and `/generate`'s summary shows no absolute server path and no private URL.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from media_files import MediaHost, quadrant_image

from seedance_ui.client import ValidationError
from seedance_ui.client.inputs import MediaFetcher
from seedance_ui.options import CREATE_PATH, UPLOAD_URL_PATH, model_id
from seedance_ui.simulator import Simulator
from seedance_ui.store import HistoryStore, JobRecord, JobStatus
from seedance_ui.ui.studio.api import ApiPanel
from seedance_ui.ui.studio.page import StudioPage

FRAMES = model_id("frames", "Fast")
PUBLIC_IP = "93.184.216.34"  # any global address: what a hostile name answers first


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaHost]:
    folder = tmp_path_factory.mktemp("www")
    quadrant_image(folder / "quad.png")
    with MediaHost(folder) as host:
        yield host


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    with Simulator(speed=500, video_cache_dir=tmp_path_factory.mktemp("clips")) as simulator:
        yield simulator


class Redirector:
    """A loopback server that answers every GET with a redirect to `target`."""

    def __init__(self, target: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def create(sim: Simulator, **body: Any) -> dict[str, Any]:
    body = {"model": FRAMES, "prompt": "The picture comes alive", "duration": 4, "quality": "480p", **body}
    answer = httpx.post(sim.base_url + CREATE_PATH, json=body, headers={"Authorization": "Bearer sk-x"},
                        timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def final(sim: Simulator, task_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        snap = sim.snapshot(task_id)
        assert snap is not None
        if snap["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return snap
        sim.wait(0.05)


# --------------------------------------------------------------------------------------------------
# the simulator: a second line of defence


def test_the_simulator_refuses_a_private_address(sim: Simulator, pictures: MediaHost) -> None:
    pictures.served.clear()
    task = final(sim, create(sim, image_urls=[f"{pictures.url}/quad.png"])["id"])
    assert task["status"] == "failed" and task["error"]["code"] == "image_processing_error"
    assert "must point at a public address" in task["error"]["message"]
    assert pictures.served == []  # never fetched


def test_the_simulator_checks_every_redirect_hop(sim: Simulator, pictures: MediaHost) -> None:
    pictures.served.clear()
    hop = Redirector(f"{pictures.url}/quad.png")  # trusted itself, it points at a private address
    sim.trust(hop.url)
    try:
        task = final(sim, create(sim, image_urls=[f"{hop.url}/picture.png"])["id"])
        upload = httpx.post(sim.base_url + UPLOAD_URL_PATH, json={"file_url": f"{hop.url}/x.png"},
                            headers={"Authorization": "Bearer sk-x"}, timeout=30)
    finally:
        hop.stop()
    assert task["status"] == "failed" and "must point at a public address" in task["error"]["message"]
    assert upload.status_code == 400 and "public address" in upload.text
    assert pictures.served == []


def test_the_simulator_fetches_its_own_and_trusted_origins(sim: Simulator, pictures: MediaHost) -> None:
    own = httpx.post(sim.base_url + UPLOAD_URL_PATH, json={"file_url": f"{pictures.url}/quad.png"},
                     headers={"Authorization": "Bearer sk-x"}, timeout=30)
    assert own.status_code == 400  # not trusted yet
    sim.trust(pictures.url)
    uploaded = httpx.post(sim.base_url + UPLOAD_URL_PATH, json={"file_url": f"{pictures.url}/quad.png"},
                          headers={"Authorization": "Bearer sk-x"}, timeout=30).json()
    file_url = uploaded["data"]["file_url"]
    assert file_url.startswith(sim.base_url)  # its own file URL, on loopback: fetched
    task = final(sim, create(sim, image_urls=[file_url])["id"])
    assert task["status"] == "completed", task


# --------------------------------------------------------------------------------------------------
# the studio's own fetch (the page's on-blur measure and every submission use MediaFetcher)


class Listener:
    """A loopback TCP port that counts the connections it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture()
def listener() -> Iterator[Listener]:
    port = Listener()
    yield port
    port.close()


def hostile_dns(monkeypatch: pytest.MonkeyPatch, name: str, answers: list[Any]) -> list[str]:
    """Make `name` answer `answers` in turn (an address, or an exception to raise); the lookups made."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        asked = host.decode() if isinstance(host, bytes) else host  # anyio asks with bytes
        if asked != name:
            return real(host, port, *args, **kwargs)
        lookups.append(asked)
        answer = answers[min(len(lookups), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


async def fetch(url: str, tmp_path: Path) -> ValidationError:
    async with httpx.AsyncClient(timeout=3) as http:
        with pytest.raises(ValidationError) as caught:
            await MediaFetcher(http, tmp_path, ()).local("reference_video_urls[1]", url, "video")
    return caught.value


async def test_a_name_that_does_not_resolve_is_refused_and_never_looked_up_again(
    monkeypatch: pytest.MonkeyPatch, listener: Listener, tmp_path: Path
) -> None:
    lookups = hostile_dns(monkeypatch, "flaky.example", [socket.gaierror("no answer"), "127.0.0.1"])
    error = await fetch(f"https://flaky.example:{listener.port}/clip.mp4", tmp_path)
    assert "must name a host that resolves (flaky.example does not)" in error.message
    assert lookups == ["flaky.example"] and listener.accepted == 0


async def test_the_fetch_connects_to_the_address_it_checked(
    monkeypatch: pytest.MonkeyPatch, listener: Listener, tmp_path: Path
) -> None:
    lookups = hostile_dns(monkeypatch, "rebind.example", [PUBLIC_IP, "127.0.0.1"])
    error = await fetch(f"https://rebind.example:{listener.port}/clip.mp4", tmp_path)
    assert "could not be fetched" in error.message
    assert lookups == ["rebind.example"]  # one lookup: the connection went to PUBLIC_IP
    assert listener.accepted == 0


async def test_a_name_with_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, listener: Listener, tmp_path: Path
) -> None:
    hostile_dns(monkeypatch, "inside.example", ["10.1.2.3"])
    error = await fetch(f"https://inside.example:{listener.port}/clip.mp4", tmp_path)
    assert "must point at a public address (inside.example resolves to 10.1.2.3)" in error.message


# --------------------------------------------------------------------------------------------------
# /generate's summary


def test_the_api_summary_shows_no_server_path_and_no_private_url(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "data")
    record = JobRecord.new("owner", {
        "prompt": "x", "first_frame": "inputs/blobs/ab/abc.png",
        "reference_video_urls": ["https://cdn.example.com/clip.mp4", "http://127.0.0.1:9999/v.mp4"],
        "inputs": [{"role": "first_frame", "path": "inputs/blobs/ab/abc.png", "name": "quad.png",
                    "sha256": "ab", "file_url": "http://127.0.0.1:41234/files/file_1/quad.png",
                    "expires_at": 1.0},
                   {"role": "reference_video", "url": "https://cdn.example.com/clip.mp4"}],
    }, status=JobStatus.COMPLETED)
    record.video_path, record.poster_path = f"videos/{record.id}.mp4", f"posters/{record.id}.jpg"
    (store.data_dir / record.video_path).write_bytes(b"mp4")
    (store.data_dir / record.poster_path).write_bytes(b"jpg")
    store.add(record)

    runtime = SimpleNamespace(settings=None, manager=None, store=store)
    api = ApiPanel(StudioPage(), runtime)  # type: ignore[arg-type]
    summary = api.api_summary(store.get(record.id))
    text = repr(summary)
    assert str(store.data_dir) not in text and "127.0.0.1" not in text
    assert summary["video_path"] == record.video_path and summary["poster_path"] == record.poster_path
    first, video = summary["params"]["inputs"]
    assert first == {"role": "first_frame", "name": "quad.png", "sha256": "ab", "expires_at": 1.0,
                     "saved_copy": "inputs/blobs/ab/abc.png"}
    assert video["url"] == "https://cdn.example.com/clip.mp4"  # a public URL stays
    assert summary["params"]["reference_video_urls"] == ["https://cdn.example.com/clip.mp4"]
    store.close()
