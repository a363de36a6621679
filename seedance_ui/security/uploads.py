"""Anonymous uploads at our edge: Gradio's `POST /gradio_api/upload` takes files from anyone and keeps
them in its upload folder (GRADIO_TEMP_DIR). `UploadLimit`, an ASGI middleware, bounds them per client
address (`owners.client_address`, the same subject as the other per-visitor limits): at most
`max_files` upload requests and `max_bytes` bytes in any hour (SEEDANCE_UPLOADS_PER_ADDRESS and
SEEDANCE_UPLOADS_PER_ADDRESS_MB), refused with 429 before the body is read (by its announced length) or
as soon as it goes over (a body without one). The uploads are counted in the database (scope "upload" of
its limit events, checked and recorded in one transaction, off the event loop), so the limits hold for
the whole deployment, not per replica. It also sweeps the upload folder of files older than
`keep_seconds` (SEEDANCE_UPLOAD_KEEP_MINUTES), at most once a minute, off the event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import time
from pathlib import Path

from starlette.requests import HTTPConnection

from seedance_ui.security.edge import UPLOAD_PATH_SUFFIX, ASGIApp, Message, Receive, Scope, Send
from seedance_ui.security.owners import client_address
from seedance_ui.store import Database
from seedance_ui.store.records import LIMIT_COUNT, LimitUse

log = logging.getLogger(__name__)

WINDOW_SECONDS = 3600.0  # the limits count the uploads of the last hour
UPLOAD_SCOPE = "upload"  # the uploads' events in the store's limit_events (amount: bytes)
SWEEP_INTERVAL_SECONDS = 60.0
MB = 1024 * 1024
_UNKNOWN_ADDRESS = "addr:unknown"


class _OverLimit(Exception):
    pass


class UploadTally:
    """Upload requests and bytes per address over the last hour, kept in the database (thread-safe; its
    calls block: the middleware runs them off the event loop)."""

    def __init__(self, db: Database, max_files: int, max_bytes: int, window: float = WINDOW_SECONDS) -> None:
        self.db, self.max_files, self.max_bytes, self.window = db, max_files, max_bytes, window

    @property
    def enabled(self) -> bool:
        return bool(self.max_files or self.max_bytes)

    def start(self, address: str, ref: str, announced: int) -> LimitUse:
        """Count a new upload of `announced` bytes (`ref`: its id) unless it is over a limit."""
        return self.db.hit_limit(UPLOAD_SCOPE, [address], ref, time.time(), self.window,
                                 max_count=self.max_files, max_amount=float(self.max_bytes), amount=announced)

    def received(self, ref: str, nbytes: int) -> None:
        """The upload's body had `nbytes` bytes (its count replaces the announced length)."""
        self.db.set_limit_amount(UPLOAD_SCOPE, ref, nbytes)

    def refusal(self, count: int, used: float, announced: int) -> str | None:
        """Why an upload of `announced` bytes is refused after `count` uploads of `used` bytes, else None."""
        if self.max_files and count >= self.max_files:
            return (f"at most {self.max_files} uploads per hour from one address "
                    "(SEEDANCE_UPLOADS_PER_ADDRESS)")
        if self.max_bytes and used + announced > self.max_bytes:
            return (f"at most {self.max_bytes // MB:,} MB of uploads per hour from one address "
                    f"(SEEDANCE_UPLOADS_PER_ADDRESS_MB); {used / MB:,.1f} MB used")
        return None


def sweep(folder: Path, older_than: float, now: float | None = None) -> int:
    """Delete the files under `folder` last changed more than `older_than` seconds ago, then the empty
    folders; how many files went."""
    cutoff = (time.time() if now is None else now) - older_than
    removed = 0
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            path = os.path.join(root, name)
            try:
                if os.lstat(path).st_mtime < cutoff:
                    os.unlink(path)
                    removed += 1
            except OSError:
                continue
        for name in dirs:
            try:
                os.rmdir(os.path.join(root, name))  # only when empty
            except OSError:
                continue
    return removed


class UploadLimit:
    """The middleware: per-address upload limits on the upload route, and the upload folder's sweep."""

    def __init__(self, app: ASGIApp, *, trust_proxy: bool, max_files: int, max_mb: int,
                 keep_seconds: float, folder: Path | str, db: Database) -> None:
        self.app = app
        self.trust_proxy = trust_proxy
        self.tally = UploadTally(db, max_files, max_mb * MB)
        self.keep_seconds = keep_seconds
        self.folder = Path(folder)
        self._last_sweep = float("-inf")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope.get("type") != "http" or not path.rstrip("/").endswith(UPLOAD_PATH_SUFFIX):
            await self.app(scope, receive, send)
            return
        self._maybe_sweep()
        if not self.tally.enabled:
            await self.app(scope, receive, send)
            return
        address = client_address(HTTPConnection(scope), trust_proxy=self.trust_proxy) or _UNKNOWN_ADDRESS
        ref, announced = secrets.token_hex(16), _announced(scope)
        use = await asyncio.to_thread(self.tally.start, address, ref, announced)
        if use.refused is not None:
            over = 0 if use.refused == LIMIT_COUNT else announced
            await _refuse(send, self.tally.refusal(use.count, use.amount, over) or "the upload limit")
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body") or b"")
                if self.tally.max_bytes and use.amount + received > self.tally.max_bytes:
                    raise _OverLimit
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message.get("type") == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracking_send)
        except _OverLimit:
            if not started:
                why = self.tally.refusal(use.count + 1, use.amount + received, 0)
                await _refuse(send, why or "the upload limit")
        finally:
            if received != announced:
                await asyncio.to_thread(self.tally.received, ref, received)

    def _maybe_sweep(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < SWEEP_INTERVAL_SECONDS:
            return
        self._last_sweep = now
        task = asyncio.get_running_loop().run_in_executor(None, sweep, self.folder, self.keep_seconds)
        task.add_done_callback(_log_sweep)


def _log_sweep(task: asyncio.Future[int]) -> None:
    if task.cancelled():
        return
    if task.exception() is not None:
        log.warning("upload folder sweep failed: %s", task.exception())
    elif task.result():
        log.info("upload folder sweep: %d old file(s) deleted", task.result())


def _announced(scope: Scope) -> int:
    for name, value in scope.get("headers") or ():
        if name.lower() == b"content-length":
            try:
                return max(0, int(value))
            except ValueError:
                return 0
    return 0


async def _refuse(send: Send, why: str) -> None:
    body = json.dumps({"error": f"Too many uploads: {why}. Try again later."}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(int(WINDOW_SECONDS // 4)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
