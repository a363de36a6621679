"""Limits at our edge: which files Gradio may serve, and how big a request may be.

Gradio serves any file under `allowed_paths` to anyone who asks for its path at `/gradio_api/file=…`.
The data directory also holds the studio's database (every visitor's prompts and owner ids, the job
manager's bookkeeping and the budget ledger), the backups of the databases it replaced, and the
storyboards, so only the folders of media we name ourselves are allowed (`<job id>.mp4`, `<job id>.jpg`,
`inputs/<job id>/<role>-<n>.<ext>`, placeholders, review exports), and the rest is blocked outright
(blocked paths win over allowed ones in Gradio).

`RequestSizeLimit` is a small ASGI middleware: a request body larger than the limit is refused with 413
before Gradio parses it, whether or not it announces its length.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from seedance_ui.options import IMAGE_MAX_BYTES, MB
from seedance_ui.store import BACKUP_SUFFIX, DB_FILENAME, DB_SIDE_SUFFIXES, LEGACY_FILENAMES

# Media folders of the data directory that may be served (all file names in them are ours).
# Most looked-up first: Gradio tries them in order for every file an event returns (gallery posters
# and placeholders, then videos).
SERVED_DIRS = ("posters", "ui", "videos", "exports", "inputs")
# Everything else the data directory holds that must never be served, even by mistake.
PRIVATE_DIRS = ("boards",)
# The database, the v1 files it replaced (should one be copied back) and their backups after an upgrade.
PRIVATE_DATABASES = (DB_FILENAME, *LEGACY_FILENAMES, *(name + BACKUP_SUFFIX for name in LEGACY_FILENAMES))

MAX_REQUEST_BYTES = 2 * 1024 * 1024  # a queue event carries a prompt and a few settings: far less
# Gradio's own per-file cap: the largest input picture the provider takes (storyboard imports: far less).
MAX_UPLOAD_MB = IMAGE_MAX_BYTES // MB
MAX_UPLOAD_REQUEST_BYTES = (MAX_UPLOAD_MB + 1) * 1024 * 1024
UPLOAD_PATH_SUFFIX = "/gradio_api/upload"
# The page's unqueued events (prompt lint, cost) and the agents' MCP tool calls run on the web server's
# loop the moment they arrive: their bodies are capped to what a prompt can need (instant_request_bytes).
INSTANT_PATH_PREFIXES = ("/gradio_api/run/", "/gradio_api/api/", "/gradio_api/mcp")
WEBHOOK_PATH_PREFIX = "/webhooks/"
MAX_WEBHOOK_REQUEST_BYTES = 256 * 1024
# The review page's API takes a note (at most MAX_NOTE_CHARS, 2,000 characters) and a few ids: far less.
REVIEW_API_PATH_PREFIX = "/review/api/"
MAX_REVIEW_REQUEST_BYTES = 16 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def served_paths(data_dir: Path | str) -> tuple[list[str], list[str]]:
    """(allowed_paths, blocked_paths) for `launch()`: media folders only; databases and boards blocked."""
    root = Path(data_dir).expanduser().resolve()
    allowed = [str(root / name) for name in SERVED_DIRS]
    blocked = [str(root / name) for name in PRIVATE_DIRS]
    for name in PRIVATE_DATABASES:
        blocked += [str(root / name), *(str(root / f"{name}{side}") for side in DB_SIDE_SUFFIXES)]
    return allowed, blocked


def instant_request_bytes(max_prompt_chars: int) -> int:
    """The largest body an unqueued event can need: a prompt of the longest accepted length, every
    character at its widest in UTF-8 (4 bytes) or as a JSON escape (12 for a surrogate pair / 2), plus
    the event's envelope."""
    return 6 * max_prompt_chars + 16 * 1024


class _TooLarge(Exception):
    pass


class RequestSizeLimit:
    """Refuse request bodies over `max_bytes` (uploads: `upload_max_bytes`) with HTTP 413."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_REQUEST_BYTES,
                 upload_max_bytes: int = MAX_UPLOAD_REQUEST_BYTES,
                 instant_max_bytes: int = instant_request_bytes(10_000)) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes
        self.instant_max_bytes = instant_max_bytes

    def limit_for(self, path: str) -> int:
        if path.rstrip("/").endswith(UPLOAD_PATH_SUFFIX):
            return self.upload_max_bytes
        if path.startswith(INSTANT_PATH_PREFIXES):
            return min(self.instant_max_bytes, self.max_bytes)
        if path.startswith(WEBHOOK_PATH_PREFIX):
            return min(MAX_WEBHOOK_REQUEST_BYTES, self.max_bytes)
        if path.startswith(REVIEW_API_PATH_PREFIX):
            return min(MAX_REVIEW_REQUEST_BYTES, self.max_bytes)
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(str(scope.get("path", "")))
        for name, value in scope.get("headers") or ():
            if name.lower() == b"content-length":
                try:
                    announced = int(value)
                except ValueError:
                    announced = limit + 1
                if announced > limit:
                    await _refuse(send, limit)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body") or b"")
                if received > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message.get("type") == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    # Gradio's page shows "error" in a toast: say what was too big, the limit, and what to do.
    said = (f"Request too large: what this page sent is over the {limit // 1024:,} KiB limit. A pasted text "
            "or list is too long: trim it, then try again.")
    body = json.dumps({"error": said}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
