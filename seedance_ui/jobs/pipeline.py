"""One job's life after admission: create, follow the task, download, probe, poster.

A `JobRunner` runs as an asyncio task on the manager's loop. It writes every step to the history
before acting on it, and writes nothing when it is cancelled (a stop or restart then resumes it from
what is on disk). It never sends a create twice: the create phase only runs on a fresh admission.
A job with input images first uploads their copies (UPLOADING), recording each upload on the job, then
writes SUBMITTING and sends the create.
It follows a task with the client's snapshot iterator (`client.polling.iter_snapshots`), with its
own rules for failed polls (`JobRunner.after_failure`) and a sleep that a webhook cuts short.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from seedance_ui import media
from seedance_ui.client.errors import (
    AuthenticationError,
    ConnectionFailedError,
    DownloadError,
    InsufficientCreditsError,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    SeedanceError,
    ValidationError,
    VideoExpiredError,
    failure_hint,
)
from seedance_ui.client.polling import iter_snapshots
from seedance_ui.client.request import GenerationRequest
from seedance_ui.client.task import Task, TaskStatus
from seedance_ui.jobs import messages as msg
from seedance_ui.jobs.inputs import INPUTS_KEY, entries_of, to_request, upload_usable
from seedance_ui.jobs.recovery import video_on_disk
from seedance_ui.store import HistoryStore, JobRecord, JobStatus

if TYPE_CHECKING:
    from seedance_ui.client.api import SeedanceClient
    from seedance_ui.client.polling import PollSchedule

log = logging.getLogger("seedance_ui.jobs")

# Create errors that certainly did not create (or charge) a task: the job fails, it is not "unknown".
NOT_CHARGED_ERRORS: tuple[type[SeedanceError], ...] = (
    ValidationError,
    InvalidRequestError,
    AuthenticationError,
    InsufficientCreditsError,
    RateLimitedError,
    ConnectionFailedError,
    NotFoundError,
)
# A completed snapshot without a video URL is re-read this many times before the job fails.
MAX_URLLESS_COMPLETIONS = 3
# Failed polls in a row (each already retried by the client) before the job says it has trouble.
POLL_TROUBLE_AFTER = 3
# Download failures that are not about the network (size cap, not a video) get this many attempts.
MAX_CONTENT_DOWNLOAD_ATTEMPTS = 3

_FOLLOW_STATUSES = {TaskStatus.PENDING: JobStatus.PENDING, TaskStatus.PROCESSING: JobStatus.PROCESSING}


class Phase(StrEnum):
    """Where a runner starts."""

    CREATE = "create"  # fresh admission only
    FOLLOW = "follow"
    DOWNLOAD = "download"


class RunnerHost(Protocol):
    """What a runner needs from the manager (all called on the manager's loop)."""

    store: HistoryStore
    url_lifetime: float
    media_limit: asyncio.Semaphore
    download_limit: asyncio.Semaphore

    def update(self, job_id: str, **fields: Any) -> JobRecord | None: ...
    def finish(self, job_id: str, status: JobStatus, **fields: Any) -> None: ...
    def provider_done(self, job_id: str) -> None: ...
    def client_for(self, job_id: str) -> SeedanceClient | None: ...
    def download_client_for(self, job_id: str) -> SeedanceClient: ...
    def callback_url_for(self, job_id: str) -> str | None: ...
    def demo_label_for(self, job_id: str) -> str | None: ...
    def poll_schedule(self, interval: float | None = None) -> PollSchedule: ...
    def retry_delay(self, attempt: int) -> float: ...


def _certainly_not_created(exc: BaseException) -> bool:
    """The create got a definite refusal (or never left): no task exists, nothing was charged."""
    if isinstance(exc, NOT_CHARGED_ERRORS):
        return True
    status = exc.status_code if isinstance(exc, SeedanceError) else None
    return status is not None and 400 <= status < 500


def _is_transient_download_error(exc: BaseException) -> bool:
    """Network trouble or a server-side status: worth retrying until the link expires.

    The client's DownloadError has no "retryable" flag yet: network failures and timeouts keep the
    class's default hint, while content problems (size cap, not an MP4) carry their own.
    """
    flag = getattr(exc, "retryable", None)
    if isinstance(flag, bool):
        return flag
    if isinstance(exc, ConnectionFailedError | OSError):
        return True
    if not isinstance(exc, SeedanceError):
        return False
    status = exc.status_code
    if status is not None:
        return status >= 500 or status in (408, 429)
    return isinstance(exc, DownloadError) and exc.hint == DownloadError.default_hint


class _StopFollowing(Exception):
    """The job ended (or its record went) while its task could not be read."""


class JobRunner:
    """Drives one job; `wake()` (a webhook hint) makes it poll at once."""

    def __init__(self, host: RunnerHost, job_id: str) -> None:
        self.host = host
        self.job_id = job_id
        self.last_task: Task | None = None
        self.phase: Phase | None = None
        self.create_sent = False  # the create call has begun: from here its outcome may be "unknown"
        self.in_create = False
        self.create_done = asyncio.Event()  # set once a create call has its answer (or failed)
        self._wake = asyncio.Event()
        self._urlless = 0

    def wake(self) -> None:
        self._wake.set()

    def _record(self) -> JobRecord | None:
        return self.host.store.get(self.job_id)

    async def run(self, phase: Phase, first: Task | None = None) -> None:
        self.phase = phase
        rec = self._record()
        if rec is None or rec.terminal:
            return
        if phase is Phase.CREATE:
            task = await self._create(rec)
            if task is not None:
                await self._follow(task.id, task)
        elif phase is Phase.DOWNLOAD and (rec.video_url or video_on_disk(self.host.store.video_path(rec.id))):
            await self._download(rec.video_url or "")
        elif rec.task_id:
            await self._follow(rec.task_id, first)

    # -- create --------------------------------------------------------------------------------------
    async def _create(self, rec: JobRecord) -> Task | None:
        client = self.host.client_for(self.job_id)
        if client is None:
            self.host.finish(self.job_id, JobStatus.FAILED, error_code="key_unavailable",
                             error_message=msg.QUEUED_KEY_GONE_MESSAGE, error_hint=msg.QUEUED_KEY_GONE_HINT)
            return None
        request = await self._uploaded_request(rec, client)
        if request is None:
            return None
        callback = self.host.callback_url_for(self.job_id)
        if callback:
            request = dataclasses.replace(request, callback_url=callback)
        if rec.status != JobStatus.SUBMITTING:  # from here the create may be sent: never again
            self.host.update(self.job_id, status=JobStatus.SUBMITTING)
        # Media was measured at submission, and every image is an upload's URL by now.
        checked = {"checked": True} if request.has_media else {}
        self.create_sent = self.in_create = True
        try:
            # The job id as the Idempotency-Key: a gateway that honours it never makes a second task
            # of this job (we still never resend a create that may have arrived).
            label = self.host.demo_label_for(self.job_id)  # the client sends it to the simulator only
            labelled = {"demo_label": label} if label else {}
            task = await client.create(request, idempotency_key=rec.id, **checked, **labelled)
        except Exception as exc:
            if isinstance(exc, SeedanceError) and _certainly_not_created(exc):
                log.info("job %s: create refused: %r", self.job_id, exc)
                self.host.finish(self.job_id, JobStatus.FAILED, error_code=exc.code,
                                 error_message=exc.message, error_hint=exc.hint)
            else:  # 5xx, timeout after sending, a malformed answer, anything else: it may exist
                self._unknown(exc)
            return None
        finally:
            self.in_create = False
            self.create_done.set()
        if not task.id:
            self._unknown(None)
            return None
        log.info("job %s: created task %s", self.job_id, task.id)
        fields: dict[str, Any] = {
            "task_id": task.id,
            "status": _FOLLOW_STATUSES.get(task.status, JobStatus.PENDING),
            "progress": task.progress if not task.is_terminal else 0,
        }
        if task.credits_reserved is not None:
            fields["credits_reserved"] = task.credits_reserved
        if task.estimated_time is not None:
            fields["estimated_time"] = task.estimated_time
        self.host.update(self.job_id, **fields)
        return task

    async def _uploaded_request(self, rec: JobRecord, client: SeedanceClient) -> GenerationRequest | None:
        """The job's request, each image copy replaced by its upload's URL. Copies without a usable
        upload (none yet, or expired) are uploaded, and each upload is written to the record before the
        create. None when an upload failed (the job has failed then; nothing was created)."""
        request = GenerationRequest.from_params(rec.params)
        entries = [dict(entry) for entry in entries_of(rec.params)]
        if not entries:
            return request
        for entry in entries:
            if not entry.get("path") or upload_usable(entry, time.time()):
                continue
            path = self.host.store.resolve(entry["path"])
            try:
                if path is None or not path.is_file():
                    raise FileNotFoundError(entry["path"])
                upload = await client.upload_image(path)
            except SeedanceError as exc:
                log.info("job %s: upload refused: %r", self.job_id, exc)
                self._end(JobStatus.FAILED, exc.code or "upload_failed", exc.message, exc.hint)
                return None
            except (OSError, ValueError) as exc:
                log.warning("job %s: input copy unreadable: %r", self.job_id, exc)
                self._end(JobStatus.FAILED, "input_missing", msg.input_missing(entry.get("name")),
                          msg.INPUT_MISSING_HINT)
                return None
            entry.update(file_url=upload.file_url, expires_at=upload.expires_at)
            self.host.update(self.job_id, params={**rec.params, INPUTS_KEY: entries})
        return to_request(request, entries, lambda e: e.get("file_url") or e.get("url"))

    def _end(self, status: JobStatus, code: str | None, message: str | None, hint: str | None) -> None:
        self.host.finish(self.job_id, status, error_code=code, error_message=message, error_hint=hint)

    def _unknown(self, exc: BaseException | None) -> None:
        log.warning("job %s: create outcome unknown: %r", self.job_id, exc)
        detail = exc.message if isinstance(exc, SeedanceError) else None
        message = f"{msg.UNKNOWN_OUTCOME_MESSAGE} ({detail})" if detail else msg.UNKNOWN_OUTCOME_MESSAGE
        self.host.finish(self.job_id, JobStatus.UNKNOWN_OUTCOME,
                         error_code=exc.code if isinstance(exc, SeedanceError) else None,
                         error_message=message, error_hint=msg.UNKNOWN_OUTCOME_HINT)

    # -- follow --------------------------------------------------------------------------------------
    async def _sleep(self, delay: float) -> None:
        """Sleep `delay` seconds, or less when woken by a webhook."""
        if delay > 0 and not self._wake.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
        self._wake.clear()

    async def _follow(self, task_id: str, first: Task | None) -> None:
        """Follow the task with the client's snapshot iterator until the job ends or downloads."""
        client = self.host.client_for(self.job_id)
        if client is None:
            return
        schedule = self.host.poll_schedule(getattr(client, "poll_interval", None))  # demo: faster clock
        try:
            while True:
                snapshots = iter_snapshots(client.get, task_id, schedule=schedule, failures=self,
                                           first=first, sleep=self._sleep)
                async with contextlib.aclosing(snapshots):
                    async for task in snapshots:
                        if await self._apply(task):
                            return
                first = None  # a completed snapshot without a video URL: read the task again
        except NotFoundError:
            log.warning("job %s: task %s not found at the provider", self.job_id, task_id)
            self.host.finish(self.job_id, JobStatus.FAILED, error_code="task_not_found",
                             error_message=msg.NOT_FOUND_MESSAGE, error_hint=msg.NOT_FOUND_HINT)
        except _StopFollowing:
            return

    # PollFailures: keep trying (backing off) until the video link would have expired, and say
    # "still trying" after POLL_TROUBLE_AFTER failed polls in a row; a 404 ends the job.
    def after_failure(self, exc: Exception, failures: int, last: Task | None) -> float:
        """The wait before the next poll after `failures` failed polls in a row (raises to stop)."""
        if isinstance(exc, NotFoundError):
            raise exc
        rec = self._record()
        if rec is None:
            raise _StopFollowing
        if time.time() - (rec.submitted_at or rec.created_at) > self.host.url_lifetime:
            self._end(JobStatus.EXPIRED, "provider_unreachable", msg.UNREACHABLE_EXPIRED_MESSAGE,
                      msg.EXPIRED_HINT)
            raise _StopFollowing
        if failures == POLL_TROUBLE_AFTER:
            self.host.update(self.job_id, error_hint=msg.POLL_TROUBLE_HINT)
        return self.host.retry_delay(failures)

    def after_recovery(self, failures: int) -> None:
        """A poll worked again: take back the "still trying" hint if it was shown."""
        if failures >= POLL_TROUBLE_AFTER:
            self.host.update(self.job_id, error_hint=None)

    async def _apply(self, task: Task) -> bool:
        """Record one snapshot; True when following is over (ended, or handed to the download)."""
        self.last_task = task
        rec = self._record()
        if rec is None or rec.terminal:
            return True
        if task.was_cancelled:
            self.host.finish(self.job_id, JobStatus.CANCELLED, error_code=task.error_code,
                             error_message=task.error_message)
            return True
        if task.status is TaskStatus.FAILED:
            code = task.error_code
            message = task.error_message or (f"The video generation failed ({code})." if code else None)
            self.host.finish(self.job_id, JobStatus.FAILED, error_code=code,
                             error_message=message or msg.NO_REASON_MESSAGE, error_hint=failure_hint(code))
            return True
        if task.status is TaskStatus.COMPLETED:
            if task.video_url:
                await self._download(task.video_url)
                return True
            self._urlless += 1
            if self._urlless >= MAX_URLLESS_COMPLETIONS:
                self._end(JobStatus.FAILED, "no_video_url", msg.NO_VIDEO_URL_MESSAGE, msg.NO_VIDEO_URL_HINT)
                return True
            return False
        fields: dict[str, Any] = {}
        status = _FOLLOW_STATUSES.get(task.status)
        if status is not None and status != rec.status:
            fields["status"] = status
        if task.progress != rec.progress:
            fields["progress"] = task.progress
        if task.credits_reserved is not None and task.credits_reserved != rec.credits_reserved:
            fields["credits_reserved"] = task.credits_reserved
        if task.estimated_time is not None and task.estimated_time != rec.estimated_time:
            fields["estimated_time"] = task.estimated_time
        if fields:
            self.host.update(self.job_id, **fields)
        return False

    # -- download ------------------------------------------------------------------------------------
    async def _download(self, url: str) -> None:
        rec = self._record()
        if rec is None or rec.terminal:
            return
        completed_at = rec.completed_at or time.time()
        if rec.status != JobStatus.DOWNLOADING or rec.video_url != url or rec.completed_at is None:
            self.host.update(self.job_id, status=JobStatus.DOWNLOADING, video_url=url or rec.video_url,
                             progress=100, completed_at=completed_at)
        self.host.provider_done(self.job_id)
        path = self.host.store.video_path(self.job_id)
        deadline = completed_at + self.host.url_lifetime
        attempt = content_failures = 0
        while not video_on_disk(path):
            if time.time() > deadline or not url:
                self._expired()
                return
            try:
                async with self.host.download_limit:
                    await self.host.download_client_for(self.job_id).download(url, path)
            except VideoExpiredError:
                self._expired()
                return
            except Exception as exc:
                attempt += 1
                content_failures += 0 if _is_transient_download_error(exc) else 1
                log.warning("job %s: download attempt %d failed: %r", self.job_id, attempt, exc)
                if content_failures >= MAX_CONTENT_DOWNLOAD_ATTEMPTS:
                    known = isinstance(exc, SeedanceError)
                    self._end(JobStatus.FAILED, "download_failed",
                              exc.message if known else msg.DOWNLOAD_FAILED_MESSAGE,
                              exc.hint if known else msg.DOWNLOAD_FAILED_HINT)
                    return
                await asyncio.sleep(self.host.retry_delay(attempt))
        await self._finalize(path)

    def _expired(self) -> None:
        log.warning("job %s: video link expired before it was saved", self.job_id)
        self.host.finish(self.job_id, JobStatus.EXPIRED, error_code="video_expired",
                         error_message=msg.EXPIRED_MESSAGE, error_hint=msg.EXPIRED_HINT)

    async def _finalize(self, path: Path) -> None:
        """Probe the saved video, make its poster, and mark the job completed."""
        poster = self.host.store.poster_path(self.job_id)
        fields: dict[str, Any] = {"video_path": path, "video_size": path.stat().st_size, "progress": 100}
        async with self.host.media_limit:
            try:
                info = await asyncio.to_thread(media.probe, path)
            except Exception as exc:
                log.warning("job %s: cannot probe the video: %r", self.job_id, exc)
                fields["error_hint"] = msg.PROBE_FAILED_HINT
            else:
                fields.update(video_duration=info.duration, width=info.width, height=info.height,
                              has_audio=info.has_audio)
                at = min(0.5, info.duration / 2) if info.duration > 0 else 0.0
                try:
                    await asyncio.to_thread(media.make_poster, path, poster, at=at)
                    fields["poster_path"] = poster
                except Exception as exc:
                    log.warning("job %s: cannot make a poster: %r", self.job_id, exc)
        # Into the bucket behind the data directory (if any) before the job is done; a put that fails is
        # retried in the background while the local copy stays (store/objects.py).
        await asyncio.to_thread(self.host.store.publish, path, fields.get("poster_path"))
        rec = self._record()
        if rec is not None and rec.completed_at is None:
            fields["completed_at"] = time.time()
        self.host.finish(self.job_id, JobStatus.COMPLETED, **fields)
        log.info("job %s: completed, saved to %s", self.job_id, path.name)
