"""Real media files for the frames and references tests: pictures, clips and sounds made on the spot,
and a small static web server on loopback that hosts them (the stand-in for "a public URL")."""

from __future__ import annotations

import functools
import math
import threading
import wave
from fractions import Fraction
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
from PIL import Image

QUADRANTS = ((230, 30, 30), (30, 200, 60), (40, 60, 230), (240, 220, 40))  # TL, TR, BL, BR


def quadrant_image(
    path: Path, size: tuple[int, int] = (1280, 720), colours=QUADRANTS, fmt: str | None = None
) -> Path:
    """A picture of four coloured quadrants (easy to find again in a decoded frame)."""
    width, height = size
    image = Image.new("RGB", size)
    boxes = ((0, 0), (width // 2, 0), (0, height // 2), (width // 2, height // 2))
    for (x, y), colour in zip(boxes, colours, strict=True):
        image.paste(colour, (x, y, x + (width + 1) // 2, y + (height + 1) // 2))
    image.save(path, format=fmt)
    return path


def plain_image(path: Path, size: tuple[int, int], colour=(120, 120, 120), fmt: str | None = None) -> Path:
    Image.new("RGB", size, colour).save(path, format=fmt)
    return path


def video_file(path: Path, seconds: float, fps: int = 24, size: tuple[int, int] = (640, 640)) -> Path:
    """An H.264 MP4 of a moving grey ramp, `seconds` long at `fps`."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.time_base = Fraction(1, fps)
        stream.options = {"preset": "ultrafast", "crf": "35"}
        for index in range(round(seconds * fps)):
            frame = av.VideoFrame.from_image(Image.new("RGB", size, (index * 3 % 256, 90, 140)))
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def wav_file(path: Path, seconds: float, rate: int = 8000) -> Path:
    """A mono 16-bit WAV tone `seconds` long."""
    samples = bytearray()
    for k in range(int(seconds * rate)):
        value = int(8000 * math.sin(2 * math.pi * 440 * k / rate))
        samples += value.to_bytes(2, "little", signed=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(samples))
    return path


def first_and_last_frames(path: Path) -> tuple[Image.Image, Image.Image]:
    """The first and last decoded frames of a video, as RGB images."""
    with av.open(str(path)) as container:
        frames = [frame.to_image() for frame in container.decode(video=0)]
    return frames[0], frames[-1]


def close_to(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def margin_points(width: int, height: int) -> list[tuple[int, int]]:
    """Points in each quadrant that the placeholder's overlay leaves uncovered (the side margins)."""
    left, right = 6, width - 7
    upper, lower = int(height * 0.2), int(height * 0.8)
    return [(left, upper), (right, upper), (left, lower), (right, lower)]


class MediaHost:
    """Serves a directory over HTTP on 127.0.0.1 until stopped; a path in `once` is served only once
    (then 404, like a signed URL that expired between two fetches)."""

    def __init__(self, directory: Path) -> None:
        host = self
        self.once: set[str] = set()
        self.served: list[str] = []

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                gone = self.path in host.once and self.path in host.served
                host.served.append(self.path)
                if gone:
                    self.send_error(404)
                else:
                    super().do_GET()

        handler = functools.partial(Handler, directory=str(directory))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> MediaHost:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
