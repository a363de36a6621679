"""Frames and references (issue #14): uploads saved by reuse, and the cost of checking inputs.

Uploads: frames jobs that reuse a few distinct pictures go through the real JobManager and
SeedanceClient against the contract simulator over loopback; the simulator counts the upload requests
it received. Checks: SeedanceClient.check on a 15 s 1080p reference video and on a 6000x4000 picture,
and media.save_last_frame on 15 s 720p clips, each next to one plain PyAV decode of the same file in
the same run (the ratio says how much of a full decode the step costs). Every file is made here.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import numpy as np
from PIL import Image

from bench.common import median
from bench.media_bench import PROMPT, render_24fps
from bench.polling import settings_for
from seedance_ui import media
from seedance_ui.client import GenerationRequest, SeedanceClient
from seedance_ui.jobs import JobManager
from seedance_ui.options import UPLOAD_STREAM_PATH, model_id
from seedance_ui.simulator import Simulator, VideoSpec, render_video
from seedance_ui.store import HistoryStore, JobStatus

OWNER = "bench"
CHECK = "check"
LAST_FRAME = "last frame"
FRAMES = model_id("frames", "Fast")
REFERENCES = model_id("references", "Fast")


@dataclass
class UploadResult:
    jobs: int
    pictures: int
    uploads: int
    creates: int
    completed: int
    seconds: float


@dataclass
class Timing:
    """One step on one file: its runs and the runs of one PyAV decode of the same file. `kind` is CHECK
    or LAST_FRAME; `judged` False for a worst case shown without a target."""

    name: str
    kind: str
    step: list[float]
    decode: list[float]
    judged: bool = True

    @property
    def ratio(self) -> float:
        return median(self.step) / median(self.decode)


def pictures(folder: Path, count: int) -> list[Path]:
    """`count` JPEG pictures of distinct content (a colour ramp each), 1280x720."""
    folder.mkdir(parents=True, exist_ok=True)
    ramp = np.linspace(0, 255, 1280, dtype=np.uint8)[None, :, None]
    out = []
    for i in range(count):
        pixels = np.broadcast_to(ramp, (720, 1280, 3)).copy()
        pixels[..., i % 3] = (37 * (i + 1)) % 256
        out.append(folder / f"picture-{i + 1}.jpg")
        Image.fromarray(pixels).save(out[-1], quality=90)
    return out


def run_uploads(work: Path, jobs: int, distinct: int, speed: float = 200.0) -> UploadResult:
    """Submit `jobs` frames jobs cycling over `distinct` pictures; count the simulator's uploads."""
    sim = Simulator(speed=speed).start()
    try:
        sim.set_behaviour(estimated_time=20)
        settings = replace(settings_for(sim, work / "data", speed, jobs), files_url=sim.base_url)
        store = HistoryStore(settings.data_dir)
        manager = JobManager(store, settings)
        manager.start()
        try:
            files = pictures(work / "pictures", distinct)
            t0 = time.perf_counter()
            ids = [manager.submit(GenerationRequest(
                prompt="The picture comes alive, slow push in.", model=FRAMES, duration=4, quality="480p",
                aspect_ratio="adaptive", generate_audio=False, first_frame=str(files[i % distinct])),
                OWNER).id for i in range(jobs)]
            done = [manager.wait(job_id, timeout=300) for job_id in ids]
            seconds = time.perf_counter() - t0
        finally:
            manager.stop(grace=2.0)
            store.close()
        return UploadResult(jobs, distinct, sim.count("POST", UPLOAD_STREAM_PATH), sim.create_count,
                            sum(r.status == JobStatus.COMPLETED for r in done), seconds)
    finally:
        sim.stop()


def decode_once(path: Path) -> None:
    """Open the file with PyAV and decode every frame of its video stream (a picture is one frame)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            pass


def timed(step: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        step()
        out.append(time.perf_counter() - t0)
    return out


def compare(name: str, kind: str, path: Path, step: Callable[[], object], runs: int, judged: bool = True
            ) -> Timing:
    """Time `step` and one PyAV decode of `path`, alternating, after one warm-up of each."""
    step()
    decode_once(path)
    steps, decodes = [], []
    for _ in range(runs):
        steps += timed(step, 1)
        decodes += timed(lambda: decode_once(path), 1)
    return Timing(name, kind, steps, decodes, judged)


def big_picture(path: Path, size: tuple[int, int] = (6000, 4000)) -> Path:
    """A 6000x4000 JPEG with detail everywhere (noise over a ramp), under the 30 MB limit."""
    width, height = size
    rng = np.random.default_rng(14)
    pixels = rng.integers(0, 64, (height, width, 3), dtype=np.uint8)
    pixels += np.linspace(0, 190, width, dtype=np.uint8)[None, :, None]
    Image.fromarray(pixels).save(path, quality=85)
    return path


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def hosted(folder: Path) -> Iterator[str]:
    """Serve `folder` over loopback HTTP (the stand-in for a public media URL); yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietFiles, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, name="bench-media-host", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def check_of(request: GenerationRequest, trusted: tuple[str, ...] = ()) -> Callable[[], object]:
    """SeedanceClient.check of `request`: fetches what is remote and measures every input; sends nothing
    to the provider (the client's API address is a closed port). A client per run, as each asyncio.run
    is a new event loop."""

    async def go() -> object:
        async with SeedanceClient("sk-bench-check", "http://127.0.0.1:9", trusted_media_origins=trusted) as c:
            return await c.check(request)

    return lambda: asyncio.run(go())


def run_checks(work: Path, runs: int, seconds: int) -> list[Timing]:
    """The reference-video check, the big-picture check, and the last frame of two 720p clips."""
    work.mkdir(parents=True, exist_ok=True)
    video = render_24fps(work / "reference-1080p.mp4", seconds=seconds, size=(1920, 1080))
    picture = big_picture(work / "picture-6000x4000.jpg")
    placeholder = render_video(VideoSpec(PROMPT, duration=seconds, quality="720p", aspect_ratio="16:9",
                                         generate_audio=True), work / "placeholder.mp4")
    one_key = render_24fps(work / "h264-24fps.mp4", seconds=seconds)
    frames = GenerationRequest(prompt="The picture comes alive.", model=FRAMES, duration=4, quality="480p",
                               aspect_ratio="adaptive", generate_audio=False, first_frame=str(picture))
    with hosted(work) as base:
        references = GenerationRequest(prompt="Follow the camera move of @video1, wide shot.",
                                       model=REFERENCES, duration=4, quality="480p", generate_audio=False,
                                       reference_video_urls=(f"{base}/{video.name}",))
        check = check_of(references, (base,))
        fetched = compare("check, reference video 1920x1080", CHECK, video, check, runs)
    return [
        fetched,
        compare("check, picture 6000x4000", CHECK, picture, check_of(frames), runs),
        compare("last frame, 1280x720 (placeholder)", LAST_FRAME, placeholder,
                lambda: media.save_last_frame(placeholder, work / "last-placeholder.png"), runs),
        compare("last frame, 1280x720 (one keyframe)", LAST_FRAME, one_key,
                lambda: media.save_last_frame(one_key, work / "last-one-key.png"), runs, judged=False),
    ]
