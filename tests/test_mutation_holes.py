"""Holes a mutation audit found (issue 20, item 15): each test here fails when its mutation is applied.

- a redirect of a media input to a name that resolves to a private address is refused at that hop
  (mutation: the address check only on the first URL);
- jobs that start together with the same picture make one upload (mutation: no per-content wait in
  `SeedanceClient.upload_image`);
- the last frame of a video, with its fallbacks: a tail that does not decode, a seek that lands past
  every key frame, a single-frame video (mutations: no stop at a corrupt tail, no decode from the start).

The client runs against the real simulator over loopback; names resolve through a resolver the test
controls (socket.getaddrinfo, for this process only), so nothing depends on the machine's DNS.
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from media_files import plain_image
from PIL import Image

from seedance_ui.client import GenerationRequest, RetryPolicy, SeedanceClient, ValidationError
from seedance_ui.media import MediaError, save_last_frame
from seedance_ui.options import CREATE_PATH, UPLOAD_STREAM_PATH, model_id
from seedance_ui.simulator import Simulator

KEY = "sk-mutation-holes-0123456789"
FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.05, max_total=5.0)
REFERENCES = model_id("references", "Fast")
FRAMES = model_id("frames", "Standard")
PRIVATE_NAME = "media.internal-cdn.example"  # a public-looking name the test's resolver maps inside
PRIVATE_ADDRESS = "127.0.0.2"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(speed=100, api_key=KEY) as simulator:
        yield simulator


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Names this test resolves itself (name -> address); every other name as the machine does."""
    names: dict[str, str] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if isinstance(name, str) and name.rstrip(".").lower() in names:
            return real(names[name.rstrip(".").lower()], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


class Redirector:
    """A loopback web server (a trusted origin) that answers every GET with a redirect to `target`."""

    def __init__(self, target: str) -> None:
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer.hits.append(self.path)
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        poll = {"poll_interval": 0.05}
        threading.Thread(target=self.server.serve_forever, kwargs=poll, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Listener:
    """A loopback port on the private address that records whether anything connected to it."""

    def __init__(self, address: str, port: int) -> None:
        self.sock = socket.create_server((address, port))
        self.sock.settimeout(0.05)
        self.connected = threading.Event()
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connected.set()
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


# --- a: every redirect hop of a media input is checked for its address ------------------------------------


async def test_a_redirect_to_a_name_resolving_to_a_private_address_is_refused_at_that_hop(
    sim: Simulator, resolver: dict[str, str]
) -> None:
    resolver[PRIVATE_NAME] = PRIVATE_ADDRESS
    redirector = Redirector(f"https://{PRIVATE_NAME}/picture.png")
    inside = Listener(PRIVATE_ADDRESS, 443) if _can_listen(PRIVATE_ADDRESS, 443) else None
    request = GenerationRequest(
        prompt="@image1 at dusk.", model=REFERENCES, duration=4, quality="480p",
        reference_images=(f"{redirector.url}/picture.png",),
    )
    uploads, creates = sim.count("POST", UPLOAD_STREAM_PATH), sim.count("POST", CREATE_PATH)
    try:
        async with SeedanceClient(KEY, sim.base_url, files_url=sim.base_url, retry=FAST, request_timeout=5,
                                  trusted_media_origins=(redirector.url,)) as client:
            with pytest.raises(ValidationError) as caught:
                await client.create(request)
    finally:
        redirector.close()
        if inside is not None:
            inside.close()
    assert redirector.hits == ["/picture.png"]  # the first hop was fetched; the second never
    assert caught.value.field == "reference_images[1]"
    rule = f"must point at a public address ({PRIVATE_NAME} resolves to {PRIVATE_ADDRESS})"
    assert rule in caught.value.message
    assert inside is None or not inside.connected.is_set()
    assert (sim.count("POST", UPLOAD_STREAM_PATH), sim.count("POST", CREATE_PATH)) == (uploads, creates)


def _can_listen(address: str, port: int) -> bool:
    try:
        socket.create_server((address, port)).close()
    except OSError:  # port 443 needs privileges here: the refusal's wording still pins the hop
        return False
    return True


# --- c: jobs started together with one picture upload it once -------------------------------------------


async def test_jobs_started_together_with_the_same_picture_upload_it_once(
    sim: Simulator, tmp_path: Path
) -> None:
    picture = plain_image(tmp_path / "mara.png", (640, 480), (200, 60, 60))
    uploads = sim.count("POST", UPLOAD_STREAM_PATH)
    requests = [
        GenerationRequest(prompt=f"Take {n}: the picture comes alive.", model=FRAMES, duration=4,
                          quality="480p", first_frame=str(picture))
        for n in (1, 2, 3)
    ]
    async with SeedanceClient(KEY, sim.base_url, files_url=sim.base_url, retry=FAST) as client:
        tasks = await asyncio.gather(*(client.create(r) for r in requests))
    assert len({t.id for t in tasks}) == 3
    assert sim.count("POST", UPLOAD_STREAM_PATH) - uploads == 1


# --- h: the last frame, and its fallbacks ---------------------------------------------------------------

FPS = 8
GOP = 8  # a key frame every second


def _level(index: int) -> int:
    return 16 + 9 * (index % 24)


def _index_of(image: Image.Image) -> int:
    """Which frame a saved picture shows (frame i is a flat grey of _level(i), modulo 24)."""
    mean = float(np.asarray(image.convert("L"), dtype=np.float32).mean())
    return round((mean - 16) / 9)


def _video(path: Path, frames: int) -> Path:
    """An H.264 MP4 of flat grey frames, a key frame every GOP frames."""
    options = {"preset": "ultrafast", "x264-params": f"keyint={GOP}:min-keyint={GOP}:scenecut=0"}
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS, options=options)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        for i in range(frames):
            pixels = np.full((180, 320, 3), _level(i), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _with_broken_tail(source: Path, target: Path, broken: int) -> Path:
    """`source` with the data of its last `broken` packets replaced by noise (same timing and key
    frames)."""
    noise = random.Random(7)
    with av.open(str(source)) as src, av.open(str(target), "w", format="mp4") as out:
        stream = src.streams.video[0]
        copy = out.add_stream_from_template(stream)
        packets = [p for p in src.demux(stream) if p.size]
        for number, packet in enumerate(packets):
            if number >= len(packets) - broken:
                bad = av.Packet(bytes(noise.getrandbits(8) for _ in range(packet.size)))
                bad.pts, bad.dts, bad.time_base = packet.pts, packet.dts, packet.time_base
                bad.is_keyframe = packet.is_keyframe  # a seek still lands on them
                packet = bad
            packet.stream = copy
            out.mux(packet)
    return target


def _last(video: Path, out: Path) -> int:
    with Image.open(save_last_frame(video, out)) as image:
        assert image.format == "PNG" and image.size == (320, 180)
        return _index_of(image)


def test_the_last_frame_is_the_last_one_that_decodes(tmp_path: Path) -> None:
    six = _video(tmp_path / "six.mp4", 6 * FPS)
    assert _last(six, tmp_path / "six.png") == (6 * FPS - 1) % 24
    # The last three packets are noise: the frame before them.
    tail = _with_broken_tail(six, tmp_path / "tail.mp4", 3)
    assert _last(tail, tmp_path / "tail.png") == (6 * FPS - 4) % 24
    # The last three seconds are noise: the seek lands on a broken key frame, so decode from the start.
    long_tail = _with_broken_tail(six, tmp_path / "long.mp4", 3 * FPS)
    assert _last(long_tail, tmp_path / "long.png") == (3 * FPS - 1) % 24


def test_the_last_frame_of_a_single_frame_video_is_that_frame(tmp_path: Path) -> None:
    one = _video(tmp_path / "one.mp4", 1)
    assert _last(one, tmp_path / "one.png") == 0


def test_a_video_with_no_frame_that_decodes_has_no_last_frame_and_nothing_is_written(tmp_path: Path) -> None:
    noise = _with_broken_tail(_video(tmp_path / "two.mp4", 2 * FPS), tmp_path / "noise.mp4", 2 * FPS)
    with pytest.raises(MediaError):
        save_last_frame(noise, tmp_path / "out" / "last.png")
    assert not (tmp_path / "out" / "last.png").exists()


def test_there_is_one_last_frame_function() -> None:
    from seedance_ui.storyboard import chain, chain_runner

    assert not hasattr(chain, "save_last_frame") and chain_runner.save_last_frame is save_last_frame
