"""The job manager: durable generation jobs on a private asyncio loop in a daemon thread.

Every public method is thread-safe and may be called from any thread or event loop (Gradio runs its
handlers on its own loop). Jobs run on the manager's loop ("seedance-jobs") and depend on no watcher:
closing a browser tab only drops its `watch()` iterator. Each step is written to the history before
it is acted on, so a restart resumes every unfinished job and never resubmits one that may have been
sent (see `recovery.plan`). On PostgreSQL several replicas share the jobs: each follows those it holds
the lease of, takes over those a killed replica stopped renewing, and learns what the others changed
(`leases.py`).
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import AsyncIterator, Coroutine
from functools import partial
from typing import Any, TypeVar

from seedance_ui.client.api import SeedanceClient
from seedance_ui.client.errors import ValidationError
from seedance_ui.client.inputs import MeasuredInputs
from seedance_ui.client.polling import PollSchedule
from seedance_ui.client.request import GenerationRequest
from seedance_ui.client.task import Task
from seedance_ui.config import Settings
from seedance_ui.jobs import messages as msg
from seedance_ui.jobs.budget import SubmissionGuard
from seedance_ui.jobs.cancel import cancel_job
from seedance_ui.jobs.hub import ChangeHub
from seedance_ui.jobs.inputs import StoreUploadCache, durable_params, needs_upload, save_inputs
from seedance_ui.jobs.keys import DEMO_API_KEY, ClientFactory, KeyRing
from seedance_ui.jobs.leases import ChangeFeed, Replica
from seedance_ui.jobs.limits import FlightSlots, Scheduler
from seedance_ui.jobs.meta import KEY_VISITOR, MetaStore
from seedance_ui.jobs.pipeline import JobRunner, Phase
from seedance_ui.jobs.recovery import Action, plan, video_on_disk
from seedance_ui.jobs.webhooks import (
    WEBHOOK_POLL_SLOWDOWN,
    TokenRegistry,
    callback_url,
    new_token,
    webhooks_enabled,
)
from seedance_ui.options import VIDEO_URL_LIFETIME_SECONDS
from seedance_ui.pricing import estimate
from seedance_ui.security.owners import log_id
from seedance_ui.security.redact import scrub
from seedance_ui.store import HistoryStore, JobRecord, JobStatus, is_valid_job_id

log = logging.getLogger("seedance_ui.jobs")

T = TypeVar("T")

# Longest wait between two looks at a watched job even without a change notice (a safety net).
WATCH_RECHECK = 1.0
# How long a submission may take to check its media (fetching reference URLs to measure them).
MEDIA_CHECK_TIMEOUT = 180.0
# Retries after an unexpected error inside a job's runner, before it waits for a restart.
MAX_RUNNER_CRASHES = 3
INTERNAL_ERROR_HINT = "An internal error stopped tracking this job; it resumes when the server restarts."


class JobManager:
    """Submits, follows, downloads and recovers generation jobs; see the module docstring."""

    def __init__(
        self,
        store: HistoryStore,
        settings: Settings,
        *,
        client_factory: ClientFactory | None = None,
        url_lifetime: float = VIDEO_URL_LIFETIME_SECONDS,
        max_parallel_downloads: int = 4,
        max_parallel_media: int = 2,
    ) -> None:
        self.store = store
        self.settings = settings
        self.url_lifetime = url_lifetime
        self.uploads = StoreUploadCache(store.db)  # uploads outlive a restart until they expire
        self.keys = KeyRing(settings, self._with_upload_cache(client_factory or self._default_client))
        self._meta = MetaStore(store.data_dir, store.database_url)  # the store's database, whichever
        self.guard = SubmissionGuard(settings, store.data_dir, database_url=store.database_url)
        self._tokens = TokenRegistry()
        # job id -> what a demo clip burns in (submit's `demo_label`), until its create is sent; memory only
        self._demo_labels: dict[str, str] = {}
        self._hub = ChangeHub()
        # On PostgreSQL, replicas share the jobs: this one follows those it holds the lease of (leases.py).
        self.replica = Replica(store.db, settings, shared=bool(store.database_url))
        self._feed = ChangeFeed(store.db) if self.replica.shared else None
        self._replica_tasks: builtins.list[asyncio.Task[None]] = []
        # The caps on jobs in flight hold for the whole deployment: with replicas, admission takes a slot in
        # the store (limits.py); on SQLite the one process is the deployment, and counts in memory as ever.
        caps = (settings.max_jobs_in_flight, settings.max_jobs_per_owner)
        slots = FlightSlots(store.db, self.replica.id, *caps) if self.replica.shared else None
        self._scheduler = Scheduler(*caps, slots)
        self._webhooks = webhooks_enabled(settings.public_url)
        self._positions: dict[str, int] = {}  # job_id -> queue position; replaced whole, read anywhere
        self._runners: dict[str, JobRunner] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._orphans: dict[str, str] = {}  # job_id -> owner: at the provider, visitor key gone
        self._crashes: dict[str, int] = {}
        self.download_limit = asyncio.Semaphore(max_parallel_downloads)
        self.media_limit = asyncio.Semaphore(max_parallel_media)  # probe + poster: CPU work in threads
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._running = False
        self._stopping = False
        self._holding = False  # during recovery: no admissions until every slot is accounted for

    # ================================================================================================
    # life cycle
    def start(self) -> None:
        """Start the loop thread, then recover every unfinished job (returns once that is planned)."""
        if self._running:
            return
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="seedance-jobs", daemon=True)
        self._thread.start()
        ready.wait()
        self._running = True
        self._call(self._startup())

    def stop(self, grace: float = 5.0) -> None:
        """Stop: creates in flight get `grace` seconds to be answered, then every job is left as it
        stands on disk (a later start resumes it); clients are closed and the thread joined."""
        if not self._running or self._loop is None:
            return
        self._running = False
        loop = self._loop
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(grace), loop).result(timeout=grace + 30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=10)
            if not loop.is_running():
                loop.close()
            self._meta.close()
            self.guard.close()

    def __enter__(self) -> JobManager:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._running

    @property
    def webhooks_enabled(self) -> bool:
        return self._webhooks

    @property
    def changes(self) -> ChangeHub:
        """The per-job change counters: every record update notifies its job id (for waiting on)."""
        return self._hub

    def _on_loop(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float | None = 60.0) -> T:
        """Run `coro` on the manager's loop and wait for its result (never from the loop itself)."""
        if self._loop is None or not self._running or self._on_loop():
            coro.close()
            raise RuntimeError("the job manager is not running (or this was called from its own loop)")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _startup(self) -> None:
        self._recover()
        if self.replica.shared:
            self._replica_tasks = [asyncio.ensure_future(self._lease_loop()),
                                   asyncio.ensure_future(self._change_loop())]

    async def _shutdown(self, grace: float) -> None:
        self._stopping = True
        for loop_task in self._replica_tasks:
            loop_task.cancel()
        unsent = self._unsent_creates()
        for job_id in unsent:  # admitted but nothing sent yet: back to the queue, not "unknown"
            self._tasks[job_id].cancel()
        creating = [asyncio.ensure_future(r.create_done.wait()) for r in self._runners.values()
                    if r.in_create]
        if creating:  # let a create in flight get its answer, so its outcome is not left unknown
            await asyncio.wait(creating, timeout=grace)
            for waiter in creating:
                waiter.cancel()
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for job_id in unsent:
            self.update(job_id, status=JobStatus.QUEUED, submitted_at=None)
            self._scheduler.release(job_id)  # back in the queue: its slot goes to whoever is next
        with contextlib.suppress(Exception):  # another replica takes these jobs at its next scan
            self.replica.release_all()
        for client in self.keys.take_clients():
            with contextlib.suppress(Exception):
                await client.aclose()
        with contextlib.suppress(Exception):
            await asyncio.get_running_loop().shutdown_default_executor()

    def _unsent_creates(self) -> builtins.list[str]:
        """Jobs admitted (UPLOADING or SUBMITTING) whose runner has not begun the create call."""
        out = []
        for job_id, runner in self._runners.items():
            if runner.create_sent or job_id not in self._tasks:
                continue
            rec = self.store.get(job_id)
            if rec is not None and rec.status in (JobStatus.SUBMITTING, JobStatus.UPLOADING):
                out.append(job_id)
        return out

    # ================================================================================================
    # public API
    def submit(
        self,
        request: GenerationRequest,
        owner: str,
        api_key: str | None = None,
        *,
        address: str | None = None,
        prompt_version: str | None = None,
        demo_label: str | None = None,
    ) -> JobRecord:
        """Validate (media measured on the files), write the record (with its idempotency token) and a
        copy of each input image, queue the job; returns the record as written (QUEUED, or UPLOADING /
        SUBMITTING when a slot was free). ValidationError propagates; nothing is written or sent then.
        `api_key` None means the server's key; a visitor's key stays in memory only. `address` (a hashed
        client address) is the second subject of the per-visitor limits. `prompt_version`: the id of the
        prompt version (seedance_ui/llm/versions.py) the prompt came from, kept on the record. Call it
        from any thread but the jobs loop's when the request has media (they are checked on that loop).
        `demo_label` ("SHOT 2 · The climb"): what the built-in simulator burns into the clip; the client
        sends it only to the simulator (SeedanceClient `demo_labels`), never as part of the request."""
        if not isinstance(owner, str) or not owner:
            raise ValueError("owner must be a non-empty string")
        if prompt_version is not None and not is_valid_job_id(prompt_version):
            raise ValidationError("prompt_version", "must be a version id (32 lowercase hex characters)")
        request = dataclasses.replace(request, callback_url=None)
        self.guard.check_request(request)
        request.validate()
        if not self._running:
            raise RuntimeError("the job manager is not running")
        source, visitor_key = self.keys.classify(api_key)
        credits = _credits(request, MeasuredInputs())
        record = JobRecord.new(owner, request.to_params(), credits_estimated=credits,
                               prompt_version=prompt_version)
        # A refusal raises here, before any write, and before any media URL is fetched (rate limits).
        self.guard.admit(record.id, owner, source, credits, address)
        if request.has_media:
            try:
                record.credits_estimated = _credits(request, self._check_media(request))
                record.params = durable_params(request, save_inputs(self.store, record.id, request, owner))
            except BaseException:
                self.guard.forget(record.id)
                self.store.remove_inputs(record.id)
                raise
        token = new_token() if self._webhooks else None
        self._meta.add(record.id, source, token)  # first: recovery must know where the key came from
        self.keys.assign(record.id, source, visitor_key)
        try:
            if not self.replica.claim(record.id):  # before the record: no other replica's scan takes it
                raise RuntimeError(f"job {record.id}: its lease is held elsewhere")
            self.store.add(record)
        except BaseException:
            with contextlib.suppress(Exception):
                self.replica.release(record.id)
            self.keys.forget(record.id)
            self.guard.forget(record.id)
            self.store.remove_inputs(record.id)
            raise
        if token:
            self._tokens.add(token, record.id)
        if demo_label:
            self._demo_labels[record.id] = demo_label
        log.info("job %s: queued for owner %s", record.id, log_id(owner))
        if self._on_loop():
            self._enqueue(record.id, owner, record.created_at)
            return self.get(record.id, owner) or record
        return self._call(self._enqueue_async(record.id, owner, record.created_at)) or record

    def _check_media(self, request: GenerationRequest) -> MeasuredInputs:
        """Measure the request's media (files read, URLs fetched; nothing uploaded or created); raises
        the first ValidationError. A text request has nothing to measure."""
        if not request.has_media:
            return MeasuredInputs()
        if self._on_loop():
            raise RuntimeError("submit a request with media from another thread than the jobs loop")
        return self._call(self._measure(request), timeout=MEDIA_CHECK_TIMEOUT)

    async def _measure(self, request: GenerationRequest) -> MeasuredInputs:
        return await self.keys.server_client().check(request)

    def get(self, job_id: str, owner: str) -> JobRecord | None:
        """The owner's job (None if unknown or someone else's), with its live queue position."""
        return self._overlay(self.store.get(job_id, owner))

    def list(self, owner: str, limit: int = 100) -> builtins.list[JobRecord]:
        """The owner's jobs, newest first, with live queue positions."""
        return [r for r in (self._overlay(r) for r in self.store.list(owner, limit)) if r is not None]

    def cancel(self, job_id: str, owner: str) -> str:
        """Cancel the owner's job if still possible; returns what happened, in words for the user."""
        if not self._running:
            return msg.CANCEL_STOPPED
        return self._call(cancel_job(self, job_id, owner), timeout=self.settings.request_timeout * 4 + 10)

    def delete(self, job_id: str, owner: str) -> bool:
        """Delete a finished job of the owner with its files; False if unknown or still running."""
        rec = self.store.get(job_id, owner)
        if rec is None or not rec.terminal:
            return False
        deleted = self.store.delete(job_id, owner)
        if deleted:
            self._meta.delete(job_id)
            self._hub.notify(job_id)
        return deleted

    async def watch(
        self, job_id: str, owner: str, *, timeout: float | None = None
    ) -> AsyncIterator[JobRecord]:
        """Yield the record now and on every change, from any event loop; ends after a terminal one
        (or once `timeout` seconds pass, or at once for an unknown job). Dropping it never affects the job."""
        deadline = None if timeout is None else time.monotonic() + timeout
        last: JobRecord | None = None
        while True:
            version = self._hub.version(job_id)
            # In a thread: the store's lock may be held by a write (or a WAL checkpoint) of the jobs
            # thread, and the watching loop (the web server's) must never wait on it.
            rec = await asyncio.to_thread(self.get, job_id, owner)
            if rec is None:
                return
            if rec != last:
                last = rec
                yield rec
            if rec.terminal:
                return
            wait = WATCH_RECHECK
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    return
            await self._hub.wait_async(job_id, version, wait)

    def wait(self, job_id: str, timeout: float | None = None) -> JobRecord:
        """Block until the job is terminal; TimeoutError after `timeout` s, KeyError if unknown."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            version = self._hub.version(job_id)
            rec = self.store.get(job_id)
            if rec is None:
                raise KeyError(job_id)
            if rec.terminal:
                return rec
            wait = WATCH_RECHECK
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    raise TimeoutError(f"job {job_id} is still {rec.status.value}")
            self._hub.wait_sync(job_id, version, wait)

    async def handle_webhook(self, token: str, payload: dict[str, Any] | None = None) -> None:
        """A provider callback, from any loop; returns at once (answer 2xx). An unknown token is ignored;
        a known one only makes its job poll now, and the GET decides, so repeats are harmless."""
        job_id = self._tokens.job_for(token)
        if job_id is None and self.replica.shared and self._running and isinstance(token, str):
            await asyncio.to_thread(self._poke_holder, token)  # another replica may follow this job
            return
        if job_id is None or not self._running or self._loop is None:
            log.info("webhook with an unknown token ignored")
            return
        reported = payload.get("id") if isinstance(payload, dict) else None
        with contextlib.suppress(RuntimeError):  # the loop is closing: a restart polls anyway
            self._loop.call_soon_threadsafe(self._on_webhook, job_id, reported)

    def resume_with_key(self, owner: str, api_key: str) -> int:
        """After a restart, follow again the owner's jobs that waited for their visitor key; returns
        how many. The key is kept in memory only."""
        if not api_key or not api_key.strip():
            return 0
        return self._call(self._resume_with_key(owner, api_key.strip()))

    def callback_url_for(self, job_id: str) -> str | None:
        """The callback URL sent with this job's create (None without webhooks, or once it ended)."""
        token = self._tokens.token_for(job_id)
        return callback_url(self.settings.public_url, token) if token and self._webhooks else None

    def demo_label_for(self, job_id: str) -> str | None:
        """The job's demo label (submit's `demo_label`), handed over once, for its create."""
        return self._demo_labels.pop(job_id, None)

    def counts(self) -> dict[str, int]:
        """Jobs at the provider now ("in_flight") and waiting in the local queue ("queued")."""
        return {"in_flight": self._scheduler.active_count, "queued": len(self._positions)}

    # ================================================================================================
    # what runners (RunnerHost) and cancelling (CancelHost) use (jobs loop only)
    def _default_client(self, api_key: str) -> SeedanceClient:
        s = self.settings
        return SeedanceClient(api_key, s.base_url, files_url=s.files_url, poll_interval=s.poll_interval,
                              request_timeout=s.request_timeout, download_timeout=s.download_timeout,
                              max_download_bytes=s.max_download_bytes)

    def _with_upload_cache(self, factory: ClientFactory) -> ClientFactory:
        """Clients made by `factory`, remembering their uploads in the studio's database."""

        def make(api_key: str) -> SeedanceClient:
            client = factory(api_key)
            client.upload_cache = self.uploads
            return client

        return make

    def client_for(self, job_id: str) -> SeedanceClient | None:
        """The client with this job's key, or None when the visitor's key is gone."""
        return self.keys.client_for(job_id)

    def download_client_for(self, job_id: str) -> SeedanceClient:
        """A client to fetch a finished video (the link needs no key: none is sent with it)."""
        return self.keys.client_for(job_id) or self.keys.server_client()

    def poll_schedule(self, interval: float | None = None) -> PollSchedule:
        """A job's poll schedule on its client's base `interval` (None: the setting), slower with webhooks."""
        base = (interval or self.settings.poll_interval) * (WEBHOOK_POLL_SLOWDOWN if self._webhooks else 1.0)
        return PollSchedule(base)

    def retry_delay(self, attempt: int) -> float:
        """Backoff after `attempt` failures in a row: none first, then base * 2^n, at most 60 x base."""
        if attempt <= 0:
            return 0.0
        base = self.settings.poll_interval
        return min(base * 2 ** (attempt - 1), base * 60)

    def last_snapshot(self, job_id: str) -> Task | None:
        """The latest snapshot the job's runner has read (None while no runner follows it)."""
        runner = self._runners.get(job_id)
        return runner.last_task if runner is not None else None

    async def stop_following(self, job_id: str) -> None:
        """Stop the job's runner and wait until it has; the record stays as it stands."""
        task = self._tasks.get(job_id)
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    def follow(self, job_id: str, first: Task | None = None) -> None:
        """Follow the job's task again (from `first`, a snapshot just read, if given)."""
        self.launch(job_id, Phase.FOLLOW, first)

    def update(self, job_id: str, **fields: Any) -> JobRecord | None:
        """Persist some fields and tell the watchers; None if the record is gone. Provider texts are
        scrubbed of the job's key first; a known credits_reserved reconciles the budget."""
        for name in ("error_message", "error_hint", "error_code"):
            if isinstance(fields.get(name), str):
                fields[name] = scrub(fields[name], self._secrets_for(job_id))
        try:
            rec = self.store.update(job_id, **fields)
        except KeyError:
            log.warning("job %s: record deleted while running", job_id)
            return None
        if fields.get("credits_reserved") is not None:
            self.guard.reconcile(job_id, fields["credits_reserved"])
        self._hub.notify(job_id)
        return rec

    def _secrets_for(self, job_id: str) -> builtins.list[str]:
        keys = {self.settings.api_key, self.keys.key_for(job_id)}
        return [k for k in keys if k and k != DEMO_API_KEY]

    def finish(self, job_id: str, status: JobStatus, **fields: Any) -> None:
        """Persist a terminal status; free the job's slot, forget its key and webhook token."""
        if not status.terminal:
            raise ValueError(f"{status} is not terminal")
        log.info("job %s: %s", job_id, status.value)
        rec = self.update(job_id, status=status, queue_position=None, **fields)
        if rec is not None:
            self.guard.settle(rec)
        self._scheduler.remove(job_id)
        self._orphans.pop(job_id, None)
        self._crashes.pop(job_id, None)
        self._tokens.drop(job_id)
        with contextlib.suppress(Exception):
            self._meta.drop_token(job_id)
        with contextlib.suppress(Exception):
            self.replica.release(job_id)
        client = self.keys.forget(job_id)
        if client is not None and self._loop is not None:
            self._loop.create_task(client.aclose())
        self.provider_done(job_id)

    def provider_done(self, job_id: str) -> None:
        """The job's provider task is over (downloading or ended): its slot goes to the next job."""
        self._scheduler.release(job_id)
        self._pump()

    def launch(self, job_id: str, phase: Phase, first: Task | None = None) -> None:
        """Run the job's runner from `phase` (on the jobs loop)."""
        assert self._loop is not None
        if self._stopping:
            return
        runner = JobRunner(self, job_id)
        task = self._loop.create_task(runner.run(phase, first), name=f"seedance-job-{job_id}")
        self._runners[job_id] = runner
        self._tasks[job_id] = task
        task.add_done_callback(partial(self._runner_done, job_id, runner))

    # ================================================================================================
    # scheduling (jobs loop)
    async def _enqueue_async(self, job_id: str, owner: str, created_at: float) -> JobRecord | None:
        self._enqueue(job_id, owner, created_at)
        return self.get(job_id, owner)

    def _enqueue(self, job_id: str, owner: str, created_at: float | None = None) -> None:
        self._scheduler.enqueue(job_id, owner, created_at)
        self._pump()
        position = self._positions.get(job_id)
        if position is not None:
            self.update(job_id, queue_position=position)

    def _pump(self) -> None:
        """Start every queued job the caps allow (UPLOADING, or SUBMITTING without files to upload, is
        written first), refresh positions."""
        if not self._stopping and not self._holding:
            while started := self._scheduler.admit():
                for job_id in started:
                    queued = self.store.get(job_id)
                    if queued is not None and queued.terminal:  # ended meanwhile (cancelled elsewhere)
                        self._scheduler.release(job_id)
                        with contextlib.suppress(Exception):
                            self.replica.release(job_id)
                        continue
                    uploading = queued is not None and needs_upload(queued.params)
                    status = JobStatus.UPLOADING if uploading else JobStatus.SUBMITTING
                    rec = self.update(job_id, status=status, submitted_at=time.time(), queue_position=None)
                    if rec is None:
                        self._scheduler.release(job_id)
                        continue
                    self.launch(job_id, Phase.CREATE)
        new = self._scheduler.positions()
        old, self._positions = self._positions, new
        for job_id in old.keys() | new.keys():
            if old.get(job_id) != new.get(job_id):
                self._hub.notify(job_id)

    def _overlay(self, rec: JobRecord | None) -> JobRecord | None:
        """The record with its live queue position (positions are written only at enqueue)."""
        if rec is not None:
            rec.queue_position = self._positions.get(rec.id) if rec.status == JobStatus.QUEUED else None
        return rec

    def _runner_done(self, job_id: str, runner: JobRunner, task: asyncio.Task[None]) -> None:
        if self._runners.get(job_id) is runner:
            del self._runners[job_id]
            self._tasks.pop(job_id, None)
        if task.cancelled() or self._stopping or task.exception() is None:
            return
        log.error("job %s: unexpected error", job_id, exc_info=task.exception())
        rec = self.store.get(job_id)
        if rec is None or rec.terminal:
            return
        crashes = self._crashes[job_id] = self._crashes.get(job_id, 0) + 1
        if crashes > MAX_RUNNER_CRASHES or rec.status in _NOT_SENT_YET:
            # SUBMITTING here: the create's fate is unknown; a restart marks it so (never resubmits).
            self.update(job_id, error_hint=INTERNAL_ERROR_HINT)
            self.provider_done(job_id)
            return
        assert self._loop is not None
        self._loop.call_later(self.retry_delay(crashes), self._relaunch, job_id)

    def _relaunch(self, job_id: str) -> None:
        rec = self.store.get(job_id)
        if rec is not None and not rec.terminal and job_id not in self._runners:
            self.launch(job_id, Phase.DOWNLOAD if rec.status == JobStatus.DOWNLOADING else Phase.FOLLOW)

    # ================================================================================================
    # recovery and webhooks (jobs loop)
    def _recover(self) -> None:
        """Resume every unfinished job (on PostgreSQL: every one nobody else holds); never resubmit one
        that may have been sent."""
        if self.replica.shared:
            self._resume([r for r in map(self.store.get, self.replica.claim_free()) if r is not None])
        else:
            self._resume(self.store.unfinished())

    def _resume(self, records: builtins.list[JobRecord]) -> None:
        """Apply recovery's plan to jobs this replica has just taken on (at start, or taken over)."""
        tokens = {job: token for token, job in self._meta.tokens().items()}
        now = time.time()
        self._holding = True
        try:
            for rec in records:
                meta = self._meta.get(rec.id)
                source = meta.key_source if meta else None
                self.keys.assign(rec.id, source)
                if rec.id in tokens:
                    self._tokens.add(tokens[rec.id], rec.id)
                action = plan(rec, key_available=source == self.keys.server_source,
                              video_on_disk=video_on_disk(self.store.video_path(rec.id)), now=now,
                              url_lifetime=self.url_lifetime)
                log.info("job %s: recovery: %s (was %s)", rec.id, action.value, rec.status.value)
                self._apply_recovery(rec, action)
        finally:
            self._holding = False
        self._pump()

    def _apply_recovery(self, rec: JobRecord, action: Action) -> None:
        if action is Action.ENQUEUE:
            if rec.status != JobStatus.QUEUED:  # stopped while uploading: back in the queue, uploads kept
                self.update(rec.id, status=JobStatus.QUEUED, submitted_at=None)
            self._scheduler.requeue(rec.id, rec.owner, rec.created_at)
        elif action is Action.DROP_QUEUED:
            self.finish(rec.id, JobStatus.FAILED, error_code="key_unavailable",
                        error_message=msg.QUEUED_KEY_GONE_MESSAGE, error_hint=msg.QUEUED_KEY_GONE_HINT)
        elif action is Action.MARK_UNKNOWN:
            self.finish(rec.id, JobStatus.UNKNOWN_OUTCOME, error_message=msg.RESTART_UNKNOWN_MESSAGE,
                        error_hint=msg.UNKNOWN_OUTCOME_HINT)
        elif action is Action.EXPIRE:
            self.finish(rec.id, JobStatus.EXPIRED, error_code="video_expired",
                        error_message=msg.EXPIRED_MESSAGE, error_hint=msg.EXPIRED_HINT)
        elif action is Action.DOWNLOAD:
            self.launch(rec.id, Phase.DOWNLOAD)
        elif action is Action.FOLLOW:
            self._scheduler.occupy(rec.id, rec.owner)
            self.launch(rec.id, Phase.FOLLOW)
        elif action is Action.WAIT_FOR_KEY:
            self._orphans[rec.id] = rec.owner
            visitor = self.keys.source_of(rec.id) in (KEY_VISITOR, None)
            self.update(rec.id, error_hint=msg.KEY_GONE_HINT if visitor else msg.SERVER_KEY_CHANGED_HINT)

    async def _resume_with_key(self, owner: str, api_key: str) -> int:
        resumed = 0
        for job_id, job_owner in list(self._orphans.items()):
            rec = self.store.get(job_id, owner)
            if job_owner != owner or rec is None:
                continue
            del self._orphans[job_id]
            if rec.terminal:
                continue
            self.keys.assign(job_id, KEY_VISITOR, api_key)
            self.update(job_id, error_hint=None)
            if rec.status != JobStatus.DOWNLOADING:
                self._scheduler.occupy(job_id, owner)
            self.launch(job_id, Phase.DOWNLOAD if rec.status == JobStatus.DOWNLOADING else Phase.FOLLOW)
            resumed += 1
        return resumed

    def _on_webhook(self, job_id: str, reported_task_id: Any) -> None:
        runner = self._runners.get(job_id)
        if runner is None:
            return
        if reported_task_id and runner.last_task is not None and reported_task_id != runner.last_task.id:
            log.info("job %s: a webhook names another task; polling to check", job_id)
        runner.wake()

    # ================================================================================================
    # replicas on one PostgreSQL (jobs loop; see jobs/leases.py)
    async def _lease_loop(self) -> None:
        """Renew this replica's leases, and take over the jobs whose holder stopped renewing."""
        replica = self.replica
        next_renew = next_scan = time.monotonic()
        while True:
            await asyncio.sleep(max(0.0, min(next_renew, next_scan) - time.monotonic()))
            now = time.monotonic()
            try:
                if now >= next_renew:
                    next_renew = now + replica.renew_every
                    for job_id in await asyncio.to_thread(replica.renew):
                        await self._lose(job_id)
                if now >= next_scan:
                    next_scan = now + replica.scan_every
                    await self._take_over(await asyncio.to_thread(replica.claim_free))
                    self._pump()  # a safety net for the queue: a slot freed without a change seen
            except Exception:  # the database is out of reach: the next tick tries again
                log.warning("replica %s: lease renewal or scan failed", replica.id, exc_info=True)

    async def _take_over(self, job_ids: builtins.list[str]) -> None:
        if not job_ids or self._stopping:
            return
        records = await asyncio.to_thread(lambda: [r for r in map(self.store.get, job_ids) if r is not None])
        log.info("replica %s: took over %d job(s) no replica was following", self.replica.id, len(records))
        self._resume(records)

    async def _lose(self, job_id: str) -> None:
        """Another replica took this job over (this one stalled past its lease): stop following it here,
        writing nothing."""
        log.warning("job %s: another replica follows it now; stopped here", job_id)
        await self.stop_following(job_id)
        self._scheduler.remove(job_id)
        self._scheduler.forget(job_id)  # its slot is the job's: it stays taken while the other follows it
        self._orphans.pop(job_id, None)
        self._tokens.drop(job_id)
        client = self.keys.forget(job_id)
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()
        self._pump()

    async def _change_loop(self) -> None:
        """Every change poll: tell this replica's watchers about jobs other replicas changed, and wake
        the runner of a job a webhook was recorded for on another replica."""
        assert self._feed is not None
        while True:
            await asyncio.sleep(self.replica.poll_every)
            try:
                found = await asyncio.to_thread(self._feed.poll)
            except Exception:
                log.warning("replica %s: change poll failed", self.replica.id, exc_info=True)
                continue
            elsewhere = [job_id for job_id in found.changed if not self.replica.holds(job_id)]
            for job_id in elsewhere:  # this replica's own writes notified already
                self._hub.notify(job_id)
            if elsewhere and self._scheduler.queued_count:  # a job another replica changed may have
                try:  # freed a slot: the waiting line here asks again
                    self._pump()
                except Exception:  # the database is out of reach: the next change asks again
                    log.warning("replica %s: admitting after a change failed", self.replica.id, exc_info=True)
            for job_id in found.poked:
                runner = self._runners.get(job_id)
                if runner is not None:
                    log.info("job %s: a webhook arrived at another replica; polling now", job_id)
                    runner.wake()

    def _poke_holder(self, token: str) -> None:
        """A webhook whose job this replica does not follow: record it in the store for its holder (in a
        worker thread). An unknown token is ignored, as always."""
        job_id = self._meta.tokens().get(token)
        if job_id is None or not self.store.db.poke_job(job_id, time.time()):
            log.info("webhook with an unknown token ignored")
            return
        log.info("job %s: webhook recorded for the replica that follows it", job_id)


# Jobs with nothing at the provider to follow yet: a crashed runner leaves them for a restart to decide.
_NOT_SENT_YET = (JobStatus.QUEUED, JobStatus.UPLOADING, JobStatus.SUBMITTING)


def _credits(request: GenerationRequest, measured: MeasuredInputs) -> float | None:
    """The request's estimated credits (input video seconds count for references); None when unpriced."""
    try:
        return estimate(request.model, request.quality, request.duration, request.web_search,
                        content_filter=request.content_filter,
                        input_video_seconds=measured.video_seconds).credits
    except KeyError:
        return None
