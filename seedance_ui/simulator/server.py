"""The Seedance 2.0 API simulator: the contract over real HTTP on loopback, with faults on demand."""

from __future__ import annotations

import random
import re
import secrets
import string
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from seedance_ui import options
from seedance_ui.addresses import origin
from seedance_ui.simulator.faults import ROUTES, Behaviour, Fault, make_fault
from seedance_ui.simulator.file_routes import SAMPLES_PREFIX
from seedance_ui.simulator.files import FileStore
from seedance_ui.simulator.frames import picture_size as frame_picture_size
from seedance_ui.simulator.handler import ADMIN_PREFIX, VIDEO_PREFIX, Server
from seedance_ui.simulator.media import FetchedMedia, fetch_all
from seedance_ui.simulator.render import VideoCache, VideoSpec
from seedance_ui.simulator.tasks import (
    SLOW_FACTOR,
    SimTask,
    advertised_seconds,
    credits_reserved,
    estimated_seconds,
)
from seedance_ui.simulator.validation import CreateParams

_FAIL_TRIGGER = re.compile(r"\[sim:fail=([A-Za-z0-9_.-]+)\]", re.IGNORECASE)
_SLOW_TRIGGER = re.compile(r"\[sim:slow\]", re.IGNORECASE)


def default_video_cache_dir() -> Path:
    """Where rendered placeholder clips are cached when no directory is given (shared per machine)."""
    return Path(tempfile.gettempdir()) / "seedance-sim-videos"


@dataclass(frozen=True)
class LoggedRequest:
    """One answered request: method, path (no query), status, monotonic time of the answer."""

    method: str
    path: str
    status: int
    time: float


class Simulator:
    """A loopback Seedance API: lazily timed tasks, placeholder videos, injectable faults."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 10.0,
        api_key: str | None = None,
        seed: int = 0,
        duration_factor: tuple[float, float] = (1.0, 1.0),
        video_cache_dir: Path | None = None,
        public_base_url: str | None = None,
        trusted_origins: tuple[str, ...] = (),
    ) -> None:
        """`trusted_origins`: origins whose media URLs are fetched although their address is not public
        (besides the simulator's own, always trusted): e.g. a loopback host a test serves files on."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        low, high = duration_factor
        if not 0 < low <= high:
            raise ValueError("duration_factor must be (lo, hi) with 0 < lo <= hi")
        self.host, self.port, self.speed, self.api_key = host, port, float(speed), api_key
        self.seed, self.duration_factor = seed, (float(low), float(high))
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self._trusted = {origin(o) for o in trusted_origins}
        self.videos = VideoCache(video_cache_dir or default_video_cache_dir())
        self.files = FileStore()
        self.behaviour = Behaviour()
        self.requests: list[LoggedRequest] = []
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._tasks: dict[str, SimTask] = {}
        self._faults: dict[str, list[Fault]] = {route: [] for route in ROUTES}
        self._create_count = 0
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Simulator:
        """Serve in a background thread; returns self."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = Server((self.host, self.port), self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="seedance-simulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end open connections and streams, release the port."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Simulator(base_url={self.base_url!r}, speed={self.speed:g})"

    @property
    def base_url(self) -> str:
        """The loopback URL clients use, e.g. "http://127.0.0.1:8000"."""
        port = self._server.server_address[1] if self._server is not None else self.port
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{port}"

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def wait(self, seconds: float) -> None:
        """Sleep up to `seconds`, cut short by stop()."""
        if seconds > 0:
            self._stopping.wait(seconds)

    # ------------------------------------------------------------ test helpers

    def inject(
        self,
        route: str,
        *,
        status: int,
        times: int = 1,
        body: str | bytes | None = None,
        content_type: str = "application/json",
        headers: dict | None = None,
        delay: float = 0.0,
        create_task: bool = False,
    ) -> None:
        """Queue a one-shot fault for `route` (create, get, cancel, credits, video)."""
        fault = make_fault(
            route,
            status=status,
            times=times,
            body=body,
            content_type=content_type,
            headers=headers,
            delay=delay,
            create_task=create_task,
        )
        with self._lock:
            self._faults[route].append(fault)

    def set_behaviour(self, **kw: Any) -> None:
        """Persistent switches: error_style, result_field, estimated_time, video_expired,
        oversized_video (True: no Content-Length; "content_length": claims the size),
        malformed_json_polls, credits."""
        with self._lock:
            self.behaviour.update(**kw)

    def reset(self) -> None:
        """Clear faults, behaviour, the request log and all tasks; reseed the run-time RNG."""
        with self._lock:
            for queue in self._faults.values():
                queue.clear()
            self.behaviour = Behaviour()
            self.requests.clear()
            self._tasks.clear()
            self.files.clear()
            self._create_count = 0
            self.max_in_flight = 0
            self._rng.seed(self.seed)

    def count(self, method: str, path_prefix: str) -> int:
        """How many logged requests used `method` on a path starting with `path_prefix`."""
        with self._lock:
            return sum(
                1 for r in self.requests if r.method == method.upper() and r.path.startswith(path_prefix)
            )

    @property
    def create_count(self) -> int:
        """Tasks created so far (including ones created before an injected fault answer)."""
        with self._lock:
            return self._create_count

    def in_flight(self) -> int:
        """Tasks pending or processing right now."""
        with self._lock:
            return self._in_flight_locked(time.monotonic())

    def task_completed_at(self, task_id: str) -> float | None:
        """Monotonic time the task turned completed, or None (unknown, running, failed, cancelled)."""
        with self._lock:
            task = self._tasks.get(task_id)
            return task.completed_at(time.monotonic()) if task else None

    def log_snapshot(self) -> dict[str, Any]:
        """What GET /_sim/log returns."""
        with self._lock:
            return {
                "requests": [asdict(r) for r in self.requests],
                "create_count": self._create_count,
                "in_flight": self._in_flight_locked(time.monotonic()),
                "max_in_flight": self.max_in_flight,
            }

    # ------------------------------------------------------------ task state (used by the handler)

    def trust(self, *origins: str) -> None:
        """Fetch media from these origins too, whatever their address (see __init__)."""
        with self._lock:
            self._trusted |= {origin(o) for o in origins}

    def trusts(self, url: Any) -> bool:
        """Is `url` on the simulator's own origin (its file URLs, its videos) or one it was told to trust?"""
        own = {origin(self.base_url)} | ({origin(self.public_base_url)} if self.public_base_url else set())
        with self._lock:
            return origin(url) in own | self._trusted

    def fetch_media(self, params: CreateParams) -> FetchedMedia:
        """Fetch and check the create's media URLs, as the provider does before generating: from public
        addresses only, and from the origins it trusts."""
        return fetch_all(params, self.videos.directory / "frames", self.trusts)

    def create_task(
        self, params: CreateParams, media: FetchedMedia | None = None, label: str = ""
    ) -> SimTask:
        """Create and register a task; its whole timeline is fixed now (a media failure fails it).
        `label`: what the studio said the clip is (its demo label header), burned into the clip."""
        media = media or FetchedMedia()
        now = time.monotonic()
        with self._lock:
            estimate = self.behaviour.estimated_time or estimated_seconds(
                params.model, params.quality, params.duration
            )
            factor = self._rng.uniform(*self.duration_factor)
            slow = SLOW_FACTOR if _SLOW_TRIGGER.search(params.prompt) else 1.0
            fail = _FAIL_TRIGGER.search(params.prompt)
            created = int(time.time())
            task = SimTask(
                id=_task_id(created),
                params=params,
                created=created,
                started=now,
                run_seconds=estimate * factor * slow / self.speed,
                estimated_time=advertised_seconds(estimate, self.speed),
                credits_reserved=credits_reserved(
                    params.model,
                    params.quality,
                    params.duration,
                    content_filter=params.content_filter,
                    video_seconds=media.video_seconds,
                ),
                fail_code=media.failure.code if media.failure else (fail.group(1).lower() if fail else None),
                fail_message=media.failure.message if media.failure else None,
                frames=media.frames,
                cast=media.cast,
                label=label,
            )
            self._tasks[task.id] = task
            self._create_count += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight_locked(now))
        return task

    def snapshot(self, task_id: str) -> dict[str, Any] | None:
        """The task object now, or None for an unknown id."""
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                return None
            return task.snapshot(time.monotonic(), self.video_url(task_id), self.behaviour.result_field)

    def initial_snapshot(self, task: SimTask) -> dict[str, Any]:
        """The task as the create call answers it: pending, progress 0, however fast the run."""
        with self._lock:
            return task.snapshot(task.started, self.video_url(task.id), self.behaviour.result_field)

    def cancel(self, task_id: str) -> tuple[str, dict[str, Any] | None]:
        """("ok", snapshot), ("unknown", None), or (<its terminal status>, snapshot) when too late."""
        now = time.monotonic()
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                return "unknown", None
            cancelled = task.cancel(now)
            snap = task.snapshot(now, self.video_url(task_id), self.behaviour.result_field)
        return ("ok" if cancelled else snap["status"]), snap

    def video_spec(self, task_id: str) -> VideoSpec | None:
        """The clip of a completed task, or None."""
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or task.completed_at(time.monotonic()) is None:
                return None
            p, frames, cast, label = task.params, task.frames, task.cast, task.label
        ratio, shown = p.aspect_ratio, frames or tuple(path for _, path in cast)
        if ratio == "adaptive" and shown:  # the explicit ratio nearest the first picture shown
            ratio = options.nearest_aspect_ratio(*frame_picture_size(shown[0]))
        return VideoSpec(p.prompt, p.duration, p.quality, ratio, p.generate_audio, p.model, frames=frames,
                         cast=cast, label=label)

    def video_url(self, task_id: str) -> str:
        return f"{self.public_base_url or self.base_url}{VIDEO_PREFIX}{task_id}.mp4"

    def sample_url(self, name: str) -> str:
        """Where the simulator serves a sample reference file of SAMPLES_DIR (on its own, trusted origin)."""
        return f"{self.public_base_url or self.base_url}{SAMPLES_PREFIX}{name}"

    def take_fault(self, route: str) -> Fault | None:
        """The next injected fault for `route`, consuming one use of it."""
        with self._lock:
            queue = self._faults[route]
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    def credits(self) -> dict[str, Any]:
        with self._lock:
            balance = self.behaviour.credits
        return {"object": "credits", "credits": balance, "currency": "credits", "user_group": "default"}

    def log_request(self, method: str, path: str, status: int) -> None:
        if path.startswith(ADMIN_PREFIX) and not path.startswith(VIDEO_PREFIX):
            return
        with self._lock:
            self.requests.append(LoggedRequest(method, path, status, time.monotonic()))

    def _in_flight_locked(self, now: float) -> int:
        return sum(1 for task in self._tasks.values() if task.is_active(now))


def _task_id(created: int) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return f"task-unified-{created}-{''.join(secrets.choice(alphabet) for _ in range(6))}"
