"""The job manager against a scripted in-memory API: every path of a job's life, fast."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from job_helpers import add_unsent_job, admit_then_stop, collect_hints, wait_status

from seedance_ui.client import (
    ConnectionFailedError,
    DownloadError,
    GenerationRequest,
    InsufficientCreditsError,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    SubmissionOutcomeUnknownError,
    Task,
    ValidationError,
    VideoExpiredError,
)
from seedance_ui.config import Settings
from seedance_ui.jobs import JobManager
from seedance_ui.jobs import messages as msg
from seedance_ui.jobs.meta import KEY_SERVER, KEY_VISITOR
from seedance_ui.store import HistoryStore, JobStatus

SERVER_KEY = "sk-server-key-0000"
VISITOR_KEY = "sk-visitor-secret-1234"
REQ = GenerationRequest(prompt="A lighthouse at dusk, slow dolly in", duration=4, quality="480p")


# -- test doubles: a scripted in-memory API and a tiny real MP4 --------------------------------------

def make_mp4(path: Path, *, seconds: float = 1.0, size: tuple[int, int] = (64, 36), audio: bool = True
             ) -> Path:
    """A small real H.264 MP4 (with an AAC tone when `audio`)."""
    fps = 8
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        sound = out.add_stream("aac", rate=16000) if audio else None
        for i in range(int(seconds * fps)):
            img = np.full((size[1], size[0], 3), (i * 20) % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if sound is not None:
            samples = 1024
            for i in range(int(seconds * 16000 / samples)):
                tone = np.sin(np.arange(samples) * 0.1).astype(np.float32).reshape(1, -1) * 0.2
                frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
                frame.sample_rate = 16000
                frame.pts = i * samples
                for packet in sound.encode(frame):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)
    return path


@dataclass
class FakeAPI:
    """The provider, scripted: tasks advance one step per poll; faults are consumed in order."""

    video: Path
    steps: int = 3  # polls until a task completes
    hold: bool = False  # keep every task processing
    fail_code: str | None = None
    create_errors: list[BaseException] = field(default_factory=list)
    get_errors: list[BaseException] = field(default_factory=list)
    download_errors: list[BaseException] = field(default_factory=list)
    cancel_result: bool | BaseException = True
    create_delay: float = 0.0
    estimated_time: int = 30  # seconds, on a task's first snapshot
    tasks: dict[str, dict] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (operation, api key)
    idempotency_keys: list[str | None] = field(default_factory=list)
    closed: int = 0

    def count(self, op: str) -> int:
        return sum(1 for o, _ in self.calls if o == op)

    def snapshot(self, task_id: str) -> Task:
        t = self.tasks[task_id]
        running = t["status"] in ("pending", "processing")
        data: dict = {"id": task_id, "object": "video.generation.task", "status": t["status"],
                      "progress": t["progress"], "task_info": {"can_cancel": running}}
        if t["polls"] == 0:
            data["task_info"]["estimated_time"] = self.estimated_time
            data["usage"] = {"credits_reserved": 44.0}
        if t["status"] == "completed":
            data["results"] = [f"https://cdn.example/{task_id}.mp4"]
        if t["status"] == "failed":
            data["error"] = {"code": self.fail_code, "message": f"Task failed: {self.fail_code}"}
        return Task.from_json(data)

    def advance(self, task_id: str) -> None:
        t = self.tasks[task_id]
        if t["status"] not in ("pending", "processing"):
            return
        t["polls"] += 1
        if self.hold:
            t["status"], t["progress"] = "processing", 10
        elif self.fail_code and t["polls"] >= 2:
            t["status"] = "failed"
        elif t["polls"] >= self.steps:
            t["status"], t["progress"] = "completed", 100
        else:
            t["status"], t["progress"] = "processing", int(100 * t["polls"] / self.steps)


class FakeClient:
    """Speaks SeedanceClient's interface against a FakeAPI."""

    def __init__(self, api: FakeAPI, key: str) -> None:
        self.api = api
        self.key = key

    async def create(self, request: GenerationRequest, *, idempotency_key: str | None = None) -> Task:
        request.validate()
        self.api.calls.append(("create", self.key))
        self.api.idempotency_keys.append(idempotency_key)
        await asyncio.sleep(self.api.create_delay)
        if self.api.create_errors:
            raise self.api.create_errors.pop(0)
        task_id = f"task-{len(self.api.tasks) + 1}"
        self.api.tasks[task_id] = {"status": "pending", "progress": 0, "polls": 0,
                                   "callback_url": request.callback_url}
        return self.api.snapshot(task_id)

    async def get(self, task_id: str) -> Task:
        self.api.calls.append(("get", self.key))
        await asyncio.sleep(0)
        if self.api.get_errors:
            raise self.api.get_errors.pop(0)
        self.api.advance(task_id)
        return self.api.snapshot(task_id)

    async def cancel(self, task_id: str) -> bool:
        self.api.calls.append(("cancel", self.key))
        result = self.api.cancel_result
        if isinstance(result, BaseException):
            raise result
        if result:
            self.api.tasks[task_id]["status"] = "cancelled"
        return result

    async def download(self, url: str, path: Path) -> Path:
        self.api.calls.append(("download", self.key))
        await asyncio.sleep(0)
        if self.api.download_errors:
            raise self.api.download_errors.pop(0)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.api.video, path)
        return path

    async def aclose(self) -> None:
        self.api.closed += 1


@pytest.fixture(scope="session")
def sample_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_mp4(tmp_path_factory.mktemp("media") / "sample.mp4")


@pytest.fixture
def api(sample_video: Path) -> FakeAPI:
    return FakeAPI(video=sample_video)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(api_key=SERVER_KEY, base_url="http://fake.invalid", data_dir=tmp_path / "data",
                    poll_interval=0.02, max_jobs_in_flight=4, max_jobs_per_owner=2)


class Harness:
    """Builds managers over one data dir (a new one per 'process start')."""

    def __init__(self, api: FakeAPI, settings: Settings) -> None:
        self.api = api
        self.settings = settings
        self.managers: list[JobManager] = []
        self.stores: list[HistoryStore] = []
        self.factory_keys: list[str] = []

    def start(self, **overrides: object) -> JobManager:
        store = HistoryStore(self.settings.data_dir)
        self.stores.append(store)

        def factory(key: str) -> FakeClient:
            self.factory_keys.append(key)
            return FakeClient(self.api, key)

        manager = JobManager(store, replace(self.settings, **overrides), client_factory=factory)
        manager.start()
        self.managers.append(manager)
        return manager

    def close(self) -> None:
        for m in self.managers:
            m.stop(grace=0.5)
        for s in self.stores:
            s.close()


@pytest.fixture
def harness(api: FakeAPI, settings: Settings) -> Iterator[Harness]:
    h = Harness(api, settings)
    yield h
    h.close()


# -- the happy path ----------------------------------------------------------------------------------
def test_a_job_completes_with_no_watcher_and_fills_the_history(harness: Harness, api: FakeAPI):
    m = harness.start()
    rec = m.submit(REQ, "alice")
    assert rec.status in (JobStatus.QUEUED, JobStatus.SUBMITTING)
    assert rec.idempotency_token and rec.credits_estimated == pytest.approx(4 * 5.093)
    done = m.wait(rec.id, timeout=10)
    assert done.status == JobStatus.COMPLETED, done
    assert done.task_id == "task-1" and done.progress == 100
    assert done.credits_reserved == 44.0 and done.estimated_time == 30
    assert done.video_path == f"videos/{rec.id}.mp4" and done.poster_path == f"posters/{rec.id}.jpg"
    data = m.store.data_dir
    assert (data / done.video_path).stat().st_size == done.video_size
    assert (data / done.poster_path).read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    assert done.video_duration == pytest.approx(1.0, abs=0.2) and (done.width, done.height) == (64, 36)
    assert done.has_audio is True and done.completed_at and done.submitted_at
    assert done.error_message is None
    assert api.count("create") == 1 and api.count("download") == 1
    assert api.idempotency_keys == [rec.id]  # the job id: the same on every attempt at this job
    assert harness.factory_keys == [SERVER_KEY]


def test_watch_from_another_event_loop_yields_every_change_and_ends(harness: Harness, api: FakeAPI):
    m = harness.start()
    api.hold = True
    rec = m.submit(REQ, "alice")
    seen: list[JobStatus] = []

    async def watcher() -> None:
        async for r in m.watch(rec.id, "alice", timeout=10):
            seen.append(r.status)
            if r.status == JobStatus.PROCESSING:
                api.hold = False

    thread = threading.Thread(target=lambda: asyncio.run(watcher()))
    thread.start()
    thread.join(15)
    assert not thread.is_alive()
    assert seen[0] in (JobStatus.SUBMITTING, JobStatus.PENDING, JobStatus.PROCESSING)
    assert seen[-1] == JobStatus.COMPLETED
    assert JobStatus.DOWNLOADING in seen
    assert [r.status for r in asyncio.run(_collect(m, rec.id, "alice"))] == [JobStatus.COMPLETED]
    assert asyncio.run(_collect(m, rec.id, "mallory")) == []  # someone else's job: nothing


async def _collect(m: JobManager, job_id: str, owner: str) -> list:
    return [r async for r in m.watch(job_id, owner, timeout=2)]


def test_dropping_a_watcher_does_not_affect_the_job(harness: Harness, api: FakeAPI):
    m = harness.start()
    rec = m.submit(REQ, "alice")

    async def peek() -> None:
        async for _ in m.watch(rec.id, "alice"):
            break  # the tab closes

    asyncio.run(peek())
    assert m.wait(rec.id, timeout=10).status == JobStatus.COMPLETED


def test_validation_error_propagates_and_writes_nothing(harness: Harness):
    m = harness.start()
    with pytest.raises(ValidationError):
        m.submit(replace(REQ, duration=99), "alice")
    assert m.list("alice") == []


def test_owner_isolation(harness: Harness):
    m = harness.start()
    rec = m.submit(REQ, "alice")
    assert m.get(rec.id, "bob") is None and m.list("bob") == []
    assert m.cancel(rec.id, "bob") == msg.CANCEL_NOT_FOUND
    assert m.wait(rec.id, 10).status == JobStatus.COMPLETED
    assert not m.delete(rec.id, "bob") and m.delete(rec.id, "alice")
    assert m.get(rec.id, "alice") is None


# -- create outcomes ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "error",
    [
        SubmissionOutcomeUnknownError("answer lost", status_code=502),
        ServerError("unreadable answer"),
        RuntimeError("something odd"),
    ],
)
def test_create_with_unknown_outcome_is_never_resubmitted(harness: Harness, api: FakeAPI, error):
    api.create_errors.append(error)
    m = harness.start()
    done = m.wait(m.submit(REQ, "alice").id, timeout=10)
    assert done.status == JobStatus.UNKNOWN_OUTCOME
    assert done.error_message.startswith(msg.UNKNOWN_OUTCOME_MESSAGE)
    assert done.error_hint == msg.UNKNOWN_OUTCOME_HINT
    assert api.count("create") == 1 and api.count("get") == 0


@pytest.mark.parametrize(
    "error",
    [
        InvalidRequestError("bad prompt", status_code=400, code="invalid_parameters", field="prompt"),
        InsufficientCreditsError("balance too low", status_code=402),
        RateLimitedError("slow down", status_code=429, retry_after=3),
        ConnectionFailedError("could not connect"),
    ],
)
def test_create_refused_fails_with_the_provider_message(harness: Harness, api: FakeAPI, error):
    api.create_errors.append(error)
    m = harness.start()
    done = m.wait(m.submit(REQ, "alice").id, timeout=10)
    assert done.status == JobStatus.FAILED
    assert done.error_message == error.message and done.error_hint == error.hint
    assert done.error_code == error.code
    assert api.count("create") == 1


# -- following -----------------------------------------------------------------------------------------
def test_transient_poll_failures_do_not_lose_the_job(harness: Harness, api: FakeAPI):
    api.get_errors += [ServerError("502"), ConnectionFailedError("down"), RateLimitedError("429")]
    m = harness.start()
    rec = m.submit(REQ, "alice")
    hints = asyncio.run(collect_hints(m, rec.id))
    assert msg.POLL_TROUBLE_HINT in hints  # shown while the provider cannot be reached
    done = m.wait(rec.id, timeout=10)
    assert done.status == JobStatus.COMPLETED and done.error_hint is None  # and cleared after
    assert api.count("create") == 1


def test_poll_not_found_fails_clearly(harness: Harness, api: FakeAPI):
    api.get_errors.append(NotFoundError("no such task", status_code=404))
    m = harness.start()
    done = m.wait(m.submit(REQ, "alice").id, timeout=10)
    assert done.status == JobStatus.FAILED and done.error_message == msg.NOT_FOUND_MESSAGE


def test_failed_task_keeps_the_provider_code_message_and_a_hint(harness: Harness, api: FakeAPI):
    api.fail_code = "content_policy_violation"
    m = harness.start()
    done = m.wait(m.submit(REQ, "alice").id, timeout=10)
    assert done.status == JobStatus.FAILED
    assert done.error_code == "content_policy_violation"
    assert done.error_message == "Task failed: content_policy_violation"
    assert "rephrase" in done.error_hint


# -- downloading ---------------------------------------------------------------------------------------
def test_expired_video_url_marks_the_job_expired(harness: Harness, api: FakeAPI):
    api.download_errors.append(VideoExpiredError("HTTP 403", status_code=403))
    m = harness.start()
    done = m.wait(m.submit(REQ, "alice").id, timeout=10)
    assert done.status == JobStatus.EXPIRED and done.error_message == msg.EXPIRED_MESSAGE
    assert done.video_path is None


def test_transient_download_failures_are_retried(harness: Harness, api: FakeAPI):
    api.download_errors += [DownloadError("The download from cdn failed (timed out)."),
                            DownloadError("HTTP 503", status_code=503), ConnectionFailedError("reset")]
    m = harness.start()
    done = m.wait(m.submit(REQ, "alice").id, timeout=10)
    assert done.status == JobStatus.COMPLETED and api.count("download") == 4


def test_a_download_that_can_never_work_fails_after_a_few_attempts(harness: Harness, api: FakeAPI):
    too_big = DownloadError("The video is more than the 1.0 MB limit.", hint="Raise SEEDANCE_MAX_DOWNLOAD_MB")
    api.download_errors += [too_big] * 5
    m = harness.start()
    done = m.wait(m.submit(REQ, "alice").id, timeout=10)
    assert done.status == JobStatus.FAILED and done.error_code == "download_failed"
    assert done.error_message == too_big.message and api.count("download") == 3


# -- cancelling ----------------------------------------------------------------------------------------
def test_cancel_a_queued_job_locally_with_no_api_call(harness: Harness, api: FakeAPI):
    api.hold = True
    m = harness.start(max_jobs_in_flight=1)
    first = m.submit(REQ, "alice")
    second = m.submit(REQ, "bob")
    assert m.get(second.id, "bob").status == JobStatus.QUEUED
    assert m.get(second.id, "bob").queue_position == 1
    assert m.cancel(second.id, "bob") == msg.CANCEL_QUEUED
    rec = m.get(second.id, "bob")
    assert rec.status == JobStatus.CANCELLED and rec.queue_position is None
    assert api.count("cancel") == 0 and api.count("create") == 1
    assert m.cancel(second.id, "bob").startswith("This job has already ended")
    api.hold = False
    assert m.wait(first.id, 10).status == JobStatus.COMPLETED


def test_cancel_a_running_job(harness: Harness, api: FakeAPI):
    api.hold = True
    m = harness.start()
    rec = m.submit(REQ, "alice")
    wait_status(m, rec.id, "alice", JobStatus.PROCESSING)
    assert m.cancel(rec.id, "alice") == msg.CANCEL_DONE
    assert m.get(rec.id, "alice").status == JobStatus.CANCELLED
    assert api.count("cancel") == 1
    assert m.counts() == {"in_flight": 0, "queued": 0}


@pytest.mark.parametrize("outcome", [False, ServerError("cancel endpoint broke")])
def test_a_failed_or_refused_cancel_keeps_the_job_tracked(harness: Harness, api: FakeAPI, outcome):
    api.hold = True
    api.cancel_result = outcome
    m = harness.start()
    rec = m.submit(REQ, "alice")
    wait_status(m, rec.id, "alice", JobStatus.PROCESSING)
    answer = m.cancel(rec.id, "alice")
    assert answer == (msg.CANCEL_TOO_LATE if outcome is False else msg.CANCEL_FAILED.format(error=outcome))
    api.hold = False
    assert m.wait(rec.id, 10).status == JobStatus.COMPLETED


# -- caps and queue positions --------------------------------------------------------------------------
def test_queue_positions_are_kept_current(harness: Harness, api: FakeAPI):
    api.hold = True
    m = harness.start(max_jobs_in_flight=2, max_jobs_per_owner=1)
    a1, a2, a3 = (m.submit(REQ, "alice") for _ in range(3))
    b1 = m.submit(REQ, "bob")
    assert [m.get(j.id, "alice").queue_position for j in (a1, a2, a3)] == [None, 1, 2]
    assert m.get(b1.id, "bob").status == JobStatus.SUBMITTING or m.get(b1.id, "bob").task_id
    assert m.counts() == {"in_flight": 2, "queued": 2}
    assert m.cancel(a2.id, "alice") == msg.CANCEL_QUEUED
    assert m.get(a3.id, "alice").queue_position == 1
    assert m.store.get(a3.id).queue_position is not None  # written at enqueue
    api.hold = False
    for job in (a1, a3, b1):
        assert m.wait(job.id, 10).status == JobStatus.COMPLETED
    assert m.get(a3.id, "alice").queue_position is None


# -- keys ----------------------------------------------------------------------------------------------
def test_a_visitor_key_is_used_but_never_stored(harness: Harness, api: FakeAPI):
    m = harness.start()
    done = m.wait(m.submit(REQ, "alice", api_key=VISITOR_KEY).id, timeout=10)
    assert done.status == JobStatus.COMPLETED
    assert {k for op, k in api.calls} == {VISITOR_KEY}
    for path in m.store.data_dir.glob("*.sqlite3*"):
        assert VISITOR_KEY.encode() not in path.read_bytes(), path
    assert SERVER_KEY not in repr(m.settings)


# -- stop and recovery ---------------------------------------------------------------------------------
def test_stop_leaves_jobs_resumable_and_a_restart_finishes_them(harness: Harness, api: FakeAPI):
    api.hold = True
    m = harness.start(max_jobs_in_flight=1)
    running = m.submit(REQ, "alice")
    waiting = m.submit(REQ, "alice")
    wait_status(m, running.id, "alice", JobStatus.PROCESSING)
    m.stop()
    assert m.store.get(running.id).status == JobStatus.PROCESSING
    assert m.store.get(waiting.id).status == JobStatus.QUEUED
    api.hold = False
    m2 = harness.start(max_jobs_in_flight=1)
    assert m2.wait(running.id, 10).status == JobStatus.COMPLETED
    assert m2.wait(waiting.id, 10).status == JobStatus.COMPLETED
    assert api.count("create") == 2


def test_restart_marks_a_job_caught_submitting_as_unknown_and_never_resubmits(harness: Harness, api: FakeAPI):
    m = harness.start()
    store = m.store
    rec = m.submit(REQ, "alice")
    m.wait(rec.id, 10)
    store.update(rec.id, status=JobStatus.SUBMITTING, task_id=None)  # as if killed mid-create
    creates = api.count("create")
    m.stop()
    m2 = harness.start()
    done = m2.get(rec.id, "alice")
    assert done.status == JobStatus.UNKNOWN_OUTCOME
    assert done.error_message == msg.RESTART_UNKNOWN_MESSAGE and done.error_hint == msg.UNKNOWN_OUTCOME_HINT
    assert api.count("create") == creates


def test_restart_finishes_a_download_already_on_disk_and_expires_an_old_one(harness: Harness, api: FakeAPI):
    m = harness.start()
    saved = m.wait(m.submit(REQ, "alice").id, 10)
    stale = m.wait(m.submit(REQ, "alice").id, 10)
    m.stop()
    store = harness.stores[-1]
    store.update(saved.id, status=JobStatus.DOWNLOADING, poster_path=None, video_path=None)
    store.poster_path(saved.id).unlink()
    store.update(stale.id, status=JobStatus.DOWNLOADING, video_path=None, completed_at=1.0)
    store.video_path(stale.id).unlink()
    downloads = api.count("download")
    m2 = harness.start()
    done = m2.wait(saved.id, 10)
    assert done.status == JobStatus.COMPLETED and done.poster_path and api.count("download") == downloads
    expired = m2.get(stale.id, "alice")
    assert expired.status == JobStatus.EXPIRED and expired.error_message == msg.EXPIRED_MESSAGE


def test_restart_without_the_visitor_key_keeps_the_job_until_the_key_returns(harness: Harness, api: FakeAPI):
    api.hold = True
    m = harness.start()
    running = m.submit(REQ, "alice", api_key=VISITOR_KEY)
    wait_status(m, running.id, "alice", JobStatus.PROCESSING)
    m.stop()
    store = harness.stores[-1]
    queued = m.store.get(running.id)
    never_sent = add_unsent_job(store, "alice", REQ, KEY_VISITOR)  # a second job of the same visitor
    gets = api.count("get")
    m2 = harness.start()
    waiting = m2.get(running.id, "alice")
    assert waiting.status == queued.status == JobStatus.PROCESSING
    assert waiting.error_hint == msg.KEY_GONE_HINT
    dropped = m2.get(never_sent.id, "alice")
    assert dropped.status == JobStatus.FAILED and dropped.error_message == msg.QUEUED_KEY_GONE_MESSAGE
    assert api.count("get") == gets  # never polled with the server key
    api.hold = False
    assert m2.resume_with_key("bob", VISITOR_KEY) == 0
    assert m2.resume_with_key("alice", VISITOR_KEY) == 1
    done = m2.wait(running.id, 10)
    assert done.status == JobStatus.COMPLETED and done.error_hint is None
    assert all(k == VISITOR_KEY for op, k in api.calls if op in ("create", "get"))


# -- webhooks ------------------------------------------------------------------------------------------
def test_webhook_token_is_sent_and_only_a_known_token_wakes_the_job(harness: Harness, api: FakeAPI):
    api.hold = True
    # The fallback poll is half an hour away (an hour-long estimate, a 4 x 600 s base): only the
    # webhook can end this job during the test.
    api.estimated_time = 3600
    m = harness.start(public_url="https://studio.example.com", poll_interval=600.0)
    assert m.webhooks_enabled
    rec = m.submit(REQ, "alice")
    url = m.callback_url_for(rec.id)
    assert url and url.startswith("https://studio.example.com/webhooks/seedance/")
    wait_status(m, rec.id, "alice", JobStatus.PENDING)
    assert api.tasks["task-1"]["callback_url"] == url
    gets = api.count("get")
    asyncio.run(m.handle_webhook("forged-token", {"id": "task-1", "status": "completed"}))
    asyncio.run(asyncio.sleep(0.2))
    assert api.count("get") == gets  # ignored: no poll at all
    api.hold = False
    api.steps = 1
    token = url.rsplit("/", 1)[1]
    asyncio.run(m.handle_webhook(token, {"id": "task-1", "status": "completed"}))
    done = m.wait(rec.id, timeout=30)  # woken by the webhook: the fallback poll would come far later
    assert done.status == JobStatus.COMPLETED
    for _ in range(3):  # repeated deliveries are harmless
        asyncio.run(m.handle_webhook(token, {"id": "task-1", "status": "completed"}))
    asyncio.run(asyncio.sleep(0.1))
    assert api.count("download") == 1 and m.get(rec.id, "alice").status == JobStatus.COMPLETED
    assert m.callback_url_for(rec.id) is None


def test_no_webhooks_without_an_https_public_url(harness: Harness, api: FakeAPI):
    m = harness.start(public_url="http://studio.example.com")
    rec = m.submit(REQ, "alice")
    assert not m.webhooks_enabled and m.callback_url_for(rec.id) is None
    assert m.wait(rec.id, 10).status == JobStatus.COMPLETED
    assert api.tasks["task-1"]["callback_url"] is None


def test_stop_lets_a_create_in_flight_get_its_answer(harness: Harness, api: FakeAPI):
    api.create_delay = 0.3
    api.hold = True
    m = harness.start()
    rec = m.submit(REQ, "alice")
    assert rec.status == JobStatus.SUBMITTING
    m.stop(grace=5)
    # It waited for the create only, not for the job (held processing: it would never end): the
    # follow loop was cut before its polls went on; waiting out the grace would have polled dozens
    # of times.
    assert api.count("get") <= 1
    stopped = m.store.get(rec.id)
    assert stopped.task_id == "task-1"  # the answer was recorded: the outcome is not "unknown"
    assert stopped.status in (JobStatus.PENDING, JobStatus.PROCESSING)
    api.hold = False
    api.create_delay = 0
    m2 = harness.start()
    assert m2.wait(rec.id, 10).status == JobStatus.COMPLETED
    assert api.count("create") == 1


def test_restart_with_another_server_key_keeps_the_job_and_says_why(harness: Harness, api: FakeAPI):
    api.hold = True
    m = harness.start()
    rec = m.submit(REQ, "alice")
    wait_status(m, rec.id, "alice", JobStatus.PROCESSING)
    m.stop()
    m2 = harness.start(api_key="")  # demo mode now
    kept = m2.get(rec.id, "alice")
    assert kept.status == JobStatus.PROCESSING and kept.error_hint == msg.SERVER_KEY_CHANGED_HINT


def test_stop_puts_an_admitted_but_unsent_job_back_in_the_queue(harness: Harness, api: FakeAPI):
    m = harness.start()
    rec = add_unsent_job(m.store, "alice", REQ, KEY_SERVER)
    assert admit_then_stop(m, rec.id, "alice") == JobStatus.SUBMITTING
    assert m.store.get(rec.id).status == JobStatus.QUEUED  # not "outcome unknown": nothing was sent
    assert api.count("create") == 0
    m2 = harness.start()
    assert m2.wait(rec.id, 10).status == JobStatus.COMPLETED and api.count("create") == 1
