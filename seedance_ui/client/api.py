"""SeedanceClient: upload inputs, create, follow, cancel and download Seedance tasks over httpx."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import mimetypes
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from seedance_ui.client.download import download_video
from seedance_ui.client.errors import (
    AuthenticationError,
    ConnectionFailedError,
    SeedanceError,
    ServerError,
    SubmissionOutcomeUnknownError,
    TaskFailedError,
    UploadError,
    ValidationError,
    api_key_problem,
    error_for_status,
    parse_error_body,
    redact,
)
from seedance_ui.client.inputs import MeasuredInputs, measure_inputs
from seedance_ui.client.media_rules import is_url
from seedance_ui.client.polling import GiveUpAfter, PollFailures, PollSchedule, Sleep, iter_snapshots
from seedance_ui.client.request import GenerationRequest
from seedance_ui.client.retry import NOT_SENT_ERRORS, RetryPolicy, RetryState, parse_retry_after
from seedance_ui.client.task import Task, TaskStatus
from seedance_ui.client.uploads import (
    MemoryUploadCache,
    UploadCache,
    UploadedFile,
    file_sha256,
    key_identity,
)
from seedance_ui.options import (
    CANCEL_PATH,
    CREATE_PATH,
    CREDITS_PATH,
    DEFAULT_BASE_URL,
    DEFAULT_FILES_URL,
    DEMO_LABEL_HEADER,
    MAX_DEMO_LABEL_CHARS,
    TASK_PATH,
    UPLOAD_STREAM_PATH,
)

log = logging.getLogger("seedance_ui.client")

USER_AGENT = "seedance-studio/0.1 (+httpx)"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Statuses on the cancel call that mean "this task cannot be cancelled (any more)".
CANNOT_CANCEL_STATUSES = frozenset({404, 405, 409})


class _Malformed(Exception):
    """A 2xx answer whose body is not the JSON we need."""


class SeedanceClient:
    """Async client for one API key; use as `async with SeedanceClient(key) as client:`."""

    poll_failure_limit = 5  # consecutive failed polls (each already retried) before giving up

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        poll_interval: float = 5.0,
        request_timeout: float = 30.0,
        download_timeout: float = 300.0,
        max_download_bytes: int = 500 * 2**20,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        files_url: str = DEFAULT_FILES_URL,
        upload_cache: UploadCache | None = None,
        trusted_media_origins: tuple[str, ...] = (),
        clock: Callable[[], float] = time.time,
        demo_labels: bool = False,
    ) -> None:
        """`files_url`: the file API's base URL. `trusted_media_origins`: URL origins accepted as media
        besides https public ones (the API's and the file API's always are). `clock`: epoch seconds,
        for upload expiry. `demo_labels`: `base_url` is the built-in simulator (demo mode), which is sent
        a create's `demo_label`; no other API ever is."""
        if not isinstance(api_key, str) or not api_key.strip():
            raise AuthenticationError("No API key is configured.")
        problem = api_key_problem(api_key.strip())
        if problem is not None:  # it could not be sent as a header: say so now, never as a send error
            raise ValidationError("api_key", problem)
        self._api_key = api_key.strip()
        self._secrets = (self._api_key,)
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.poll_interval = poll_interval
        self.request_timeout = request_timeout
        self.download_timeout = download_timeout
        self.max_download_bytes = max_download_bytes
        self.retry = retry or RetryPolicy()
        self.files_url = (files_url or DEFAULT_FILES_URL).rstrip("/")
        self.upload_cache: UploadCache = upload_cache if upload_cache is not None else MemoryUploadCache()
        self._uploading: dict[str, asyncio.Lock] = {}  # content hash -> held while it is being uploaded
        self.trusted_media_origins = (self.base_url, self.files_url, *trusted_media_origins)
        self.clock = clock
        self.demo_labels = demo_labels
        self._identity = key_identity(self._api_key, self.files_url)
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(request_timeout, connect=min(request_timeout, 10.0)),
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key='***')"

    async def __aenter__(self) -> SeedanceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ----------------------------------------------------------------------------------------------
    # Operations

    async def create(
        self,
        request: GenerationRequest,
        *,
        idempotency_key: str | None = None,
        checked: bool = False,
        demo_label: str | None = None,
    ) -> Task:
        """Submit a generation; never resubmits once the request may have reached the provider.

        Media inputs are checked first (fetched and measured), then local images uploaded (once per
        content and key while the upload lasts); a refusal or a failed upload creates nothing.
        `checked=True`: the caller checked the inputs and uploaded every image already (all are URLs).
        Every create carries an `Idempotency-Key` header: `idempotency_key` (the job manager sends the
        job id), else a fresh one. `demo_label` goes to the built-in simulator only (`DEMO_LABEL_HEADER`).
        """
        if not checked:
            request = await self.prepare(request)
        headers = {IDEMPOTENCY_HEADER: idempotency_key or uuid.uuid4().hex}
        if demo_label and self.demo_labels:
            headers[DEMO_LABEL_HEADER] = quote(demo_label[:MAX_DEMO_LABEL_CHARS], safe=" ")
        try:
            data = await self._call("POST", CREATE_PATH, body=request.to_body(), safe=False, headers=headers)
        except _Malformed:
            raise SubmissionOutcomeUnknownError(
                "The provider accepted the create request but its answer could not be read."
            ) from None
        task = Task.from_json(data)
        if not task.id:
            raise SubmissionOutcomeUnknownError(
                "The provider answered the create request without a task id."
            )
        log.info("created task %s (%s)", task.id, task.raw_status)
        return task

    async def check(self, request: GenerationRequest) -> MeasuredInputs:
        """Every rule of the request, its media measured; raises ValidationError, sends nothing."""
        request.validate()
        unreachable = request.url_problems(self.trusted_media_origins)
        if unreachable:
            raise unreachable[0]
        if not request.has_media:
            return MeasuredInputs()
        return await measure_inputs(self._http, request, self.trusted_media_origins)

    async def prepare(self, request: GenerationRequest) -> GenerationRequest:
        """The request checked, with each local image replaced by its (cached) upload's URL."""
        await self.check(request)
        local = [value for _, value in request.image_fields() if not is_url(value)]
        if not local:
            return request
        urls: dict[str, str] = {}
        for value in local:
            if value not in urls:
                urls[value] = (await self.upload_image(Path(value))).file_url

        def swap(value: str | None) -> str | None:
            return urls.get(value, value) if value else value

        return dataclasses.replace(
            request,
            first_frame=swap(request.first_frame),
            last_frame=swap(request.last_frame),
            reference_images=tuple(swap(v) for v in request.reference_images),
        )

    async def upload_image(self, path: Path) -> UploadedFile:
        """The upload of this content for this key: a remembered one still usable, else a new upload.

        Jobs that start together with the same image wait for one upload rather than each sending it."""
        digest = file_sha256(path)
        lock = self._uploading.setdefault(digest, asyncio.Lock())
        async with lock:
            cached = self.upload_cache.get(digest, self._identity, self.clock())
            if cached is not None:
                return cached
            upload = await self.upload_file(path, sha256=digest)
            self.upload_cache.put(self._identity, upload)
        if not lock.locked():
            self._uploading.pop(digest, None)
        return upload

    def remembered_upload(self, sha256: str) -> UploadedFile | None:
        """The upload of this content for this key while it is remembered and usable, else None."""
        return self.upload_cache.get(sha256, self._identity, self.clock())

    async def upload_file(self, path: Path, *, sha256: str | None = None) -> UploadedFile:
        """POST one file to the file API (multipart `file`); retried like a GET: it creates no task."""
        path = Path(path)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        files = {"file": (path.name, path.read_bytes(), mime)}
        try:
            data = await self._call("POST", self.files_url + UPLOAD_STREAM_PATH, files=files, safe=True)
        except SeedanceError as exc:
            if isinstance(exc, AuthenticationError | ConnectionFailedError):
                raise
            message = f"The upload of {path.name} failed: {exc.message}"
            raise UploadError(message, status_code=exc.status_code, code=exc.code) from None
        answer, upload = data.get("data"), None
        if data.get("success") is not False and isinstance(answer, dict):
            upload = UploadedFile.from_answer(answer, sha256 or file_sha256(path), self.clock())
        if upload is None:
            message = parse_error_body(json.dumps(data)).message or "the answer has no file_url"
            raise UploadError(f"The upload of {path.name} failed: {self._redact(message)}", code=_code(data))
        log.info("uploaded %s (%s bytes), expires at %s", path.name, upload.size_bytes, upload.expires_at)
        return upload

    async def get(self, task_id: str) -> Task:
        """The task's current snapshot (retried on transient errors)."""
        data = await self._call("GET", self._task_path(TASK_PATH, task_id), safe=True)
        return Task.from_json(data, task_id=task_id)

    async def cancel(self, task_id: str) -> bool:
        """Ask the provider to cancel; False when it says the task cannot be (404/405/409)."""
        path = self._task_path(CANCEL_PATH, task_id)
        try:
            data = await self._call("POST", path, safe=True, need_json=False)
        except SeedanceError as exc:
            if exc.status_code in CANNOT_CANCEL_STATUSES:
                log.info("task %s cannot be cancelled (HTTP %s)", task_id, exc.status_code)
                return False
            raise
        if isinstance(data, dict) and data.get("status") is not None:
            task = Task.from_json(data, task_id=task_id)
            if task.is_terminal and not task.was_cancelled:
                return False
        return True

    async def credits(self) -> dict[str, Any]:
        """GET /v1/credits as raw JSON (a cheap way to check a key)."""
        data = await self._call("GET", CREDITS_PATH, safe=True)
        return data

    def iter_snapshots(
        self,
        task_id: str,
        *,
        schedule: PollSchedule | None = None,
        first: Task | None = None,
        failures: PollFailures | None = None,
        sleep: Sleep | None = None,
    ) -> AsyncIterator[Task]:
        """Snapshots of a task until a terminal one, inclusive (see `polling.iter_snapshots`).

        By default it rides out `poll_failure_limit - 1` transient poll errors in a row.
        """
        schedule = schedule or PollSchedule(self.poll_interval)
        failures = failures or GiveUpAfter(self.poll_failure_limit, schedule.base)
        return iter_snapshots(
            self.get, task_id, schedule=schedule, failures=failures, first=first, sleep=sleep
        )

    async def wait(
        self, task_id: str, *, schedule: PollSchedule | None = None, first: Task | None = None
    ) -> Task:
        """The terminal snapshot; raises TaskFailedError for a failure (not for a cancellation)."""
        last: Task | None = None
        async for last in self.iter_snapshots(task_id, schedule=schedule, first=first):  # noqa: B007
            pass
        assert last is not None
        if last.status is TaskStatus.FAILED and not last.was_cancelled:
            raise TaskFailedError(last)
        return last

    async def download(self, url: str, path: Path) -> Path:
        """Save the video at `url` to `path` atomically (size-capped, MP4-checked, retried)."""
        return await download_video(
            self._http,
            url,
            Path(path),
            max_bytes=self.max_download_bytes,
            total_timeout=self.download_timeout,
            read_timeout=min(self.request_timeout, self.download_timeout),
            retry=self.retry,
            secrets=self._secrets,
        )

    # ----------------------------------------------------------------------------------------------
    # Plumbing

    @staticmethod
    def _task_path(template: str, task_id: str) -> str:
        if not isinstance(task_id, str) or not task_id.strip():
            raise ValidationError("task_id", "must not be empty")
        return template.format(task_id=quote(task_id.strip(), safe=""))

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def _transport_error(self, exc: httpx.TransportError) -> ConnectionFailedError:
        host = urlsplit(self.base_url).netloc
        if isinstance(exc, httpx.TimeoutException):
            message = f"{host} did not answer within {self.request_timeout:g} s."
        elif isinstance(exc, httpx.ConnectError):
            message = f"Could not connect to {host} ({self._redact(str(exc)) or 'connection failed'})."
        else:
            message = f"The connection to {host} failed ({self._redact(str(exc)) or type(exc).__name__})."
        return ConnectionFailedError(message)

    def _outcome_unknown(self, exc: httpx.TransportError) -> SubmissionOutcomeUnknownError:
        if isinstance(exc, httpx.TimeoutException):
            reason = f"no answer came within {self.request_timeout:g} s"
        else:
            reason = f"the connection broke ({self._redact(str(exc)) or type(exc).__name__})"
        return SubmissionOutcomeUnknownError(f"The create request was sent, but {reason}.")

    def _http_error(self, response: httpx.Response) -> SeedanceError:
        body = parse_error_body(response.content, response.headers.get("content-type", ""))
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return error_for_status(response.status_code, body, retry_after=retry_after, secrets=self._secrets)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        safe: bool,
        need_json: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """One API call with retries; returns the parsed JSON object or raises a typed error.

        safe=True (GET, cancel, upload): retry transport errors, 429/502/503/504 and unreadable 2xx bodies.
        `path` may be a full URL (the file API has its own base URL).
        safe=False (create): retry only what certainly never reached the server, and 429.
        """
        state = RetryState(self.retry)
        request_headers = {"Authorization": f"Bearer {self._api_key}"}
        if headers:
            request_headers.update(headers)
        while True:
            retry_after: float | None = None
            try:
                payload: dict[str, Any] = {"files": files} if files is not None else {"json": body}
                response = await self._http.request(method, path, headers=request_headers, **payload)
            except httpx.UnsupportedProtocol as exc:
                reason = self._redact(str(exc))
                raise ConnectionFailedError(f"The API address is not usable: {reason}") from None
            except httpx.TransportError as exc:
                log.info("%s %s: %s", method, path, type(exc).__name__)
                if not safe and not isinstance(exc, NOT_SENT_ERRORS):
                    raise self._outcome_unknown(exc) from None
                error: SeedanceError = self._transport_error(exc)
            else:
                status = response.status_code
                log.debug("%s %s -> %s", method, path, status)
                if 200 <= status < 300:
                    try:
                        data = response.json()
                    except ValueError:
                        data = None
                    if isinstance(data, dict) or not need_json:
                        return data
                    if not safe:
                        raise _Malformed()
                    error = ServerError(f"The provider's answer to {method} {path} could not be read.")
                else:
                    error = self._http_error(response)
                    if not safe and status >= 500:
                        raise SubmissionOutcomeUnknownError(
                            f"The provider answered HTTP {status} to the create request: {error.message}",
                            status_code=status,
                            code=error.code,
                        )
                    if status != 429 and not (safe and status in self.retry.statuses):
                        raise error
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
            wait = state.next_wait(retry_after)
            if wait is None:
                raise error
            log.info("%s %s failed (%s); retrying in %.2f s", method, path, error.message, wait)
            await asyncio.sleep(wait)


def _code(data: Any) -> str | None:
    """The code of a file API answer (`code` is numeric there: 200 on success)."""
    code = data.get("code") if isinstance(data, dict) else None
    return str(code) if code is not None else None
