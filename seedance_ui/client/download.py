"""Atomic video download: stream to a temp file beside the target, check it, then os.replace."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import httpx

from seedance_ui.client.errors import DownloadError, VideoExpiredError, parse_error_body, redact
from seedance_ui.client.retry import RETRY_STATUSES, RetryPolicy, RetryState, parse_retry_after

log = logging.getLogger("seedance_ui.client")

EXPIRED_STATUSES = frozenset({403, 404, 410})
MP4_MAGIC = b"ftyp"  # the first box of an MP4/QuickTime file, at offset 4
_ACCEPT = "video/mp4,video/*;q=0.9,*/*;q=0.5"


class _Retryable(Exception):
    """One attempt failed in a way worth another try."""

    def __init__(self, error: DownloadError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


def looks_like_mp4(head: bytes) -> bool:
    """True when the first bytes hold an `ftyp` box at offset 4."""
    return len(head) >= 8 and head[4:8] == MP4_MAGIC


async def _attempt(
    http: httpx.AsyncClient,
    url: str,
    fh: BinaryIO,
    *,
    max_bytes: int,
    read_timeout: float,
    secrets: tuple[str, ...],
) -> int:
    """Stream `url` into `fh` once; returns the byte count."""
    host = urlsplit(url).netloc
    try:
        async with http.stream(
            "GET", url, headers={"Accept": _ACCEPT}, follow_redirects=True, timeout=read_timeout
        ) as response:
            status = response.status_code
            if status >= 400:
                content = b""
                with contextlib.suppress(httpx.HTTPError):
                    async for chunk in response.aiter_raw():
                        content += chunk
                        if len(content) > 65536:
                            break
                said = redact(parse_error_body(content, response.headers.get("content-type", "")).message,
                              secrets)
                detail = f": {said}" if said else ""
                if status in EXPIRED_STATUSES:
                    raise VideoExpiredError(
                        f"The video link no longer works (HTTP {status}){detail}", status_code=status
                    )
                error = DownloadError(f"The video server answered HTTP {status}{detail}", status_code=status)
                if status in RETRY_STATUSES:
                    raise _Retryable(error, parse_retry_after(response.headers.get("retry-after")))
                raise error
            length_header = response.headers.get("content-length")
            length = int(length_header) if length_header and length_header.isdigit() else None
            if length is not None and length > max_bytes:
                raise DownloadError(
                    f"The video is {_mb(length)}, more than the {_mb(max_bytes)} limit.",
                    hint="Raise SEEDANCE_MAX_DOWNLOAD_MB if this size is expected, then download again.",
                )
            received = 0
            head = b""
            async for chunk in response.aiter_bytes():
                if not chunk:
                    continue
                received += len(chunk)
                if received > max_bytes:
                    raise DownloadError(
                        f"The video is more than the {_mb(max_bytes)} limit.",
                        hint="Raise SEEDANCE_MAX_DOWNLOAD_MB if this size is expected, then download again.",
                    )
                if len(head) < 8:
                    head += chunk[: 8 - len(head)]
                    if len(head) >= 8 and not looks_like_mp4(head):
                        raise DownloadError(
                            "The downloaded file is not an MP4 video.",
                            hint="The provider sent something other than a video; try again later.",
                        )
                fh.write(chunk)
            if not looks_like_mp4(head):
                raise DownloadError(
                    "The downloaded file is not an MP4 video (too short).",
                    hint="The provider sent something other than a video; try again later.",
                )
            encoded = "content-encoding" in response.headers
            if length is not None and not encoded and response.num_bytes_downloaded != length:
                raise _Retryable(
                    DownloadError(f"The download stopped early ({received:,} of {length:,} bytes).")
                )
            return received
    except httpx.TransportError as exc:
        reason = "timed out" if isinstance(exc, httpx.TimeoutException) else redact(str(exc), secrets)
        message = f"The download from {host} failed ({reason or type(exc).__name__})."
        raise _Retryable(DownloadError(message)) from None


async def download_video(
    http: httpx.AsyncClient,
    url: str,
    path: Path,
    *,
    max_bytes: int,
    total_timeout: float,
    read_timeout: float,
    retry: RetryPolicy,
    secrets: Iterable[str] = (),
) -> Path:
    """Download `url` to `path`; on any failure nothing is left behind (no partial, no temp file)."""
    secrets = tuple(secrets)
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise DownloadError("The video URL is not an http(s) address.")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            try:
                async with asyncio.timeout(total_timeout):
                    size = await _with_retries(http, url, fh, max_bytes, read_timeout, retry, secrets)
            except TimeoutError:
                raise DownloadError(f"The download did not finish within {total_timeout:g} s.") from None
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    log.info("downloaded %s bytes to %s", size, path.name)
    return path


async def _with_retries(
    http: httpx.AsyncClient,
    url: str,
    fh: BinaryIO,
    max_bytes: int,
    read_timeout: float,
    retry: RetryPolicy,
    secrets: tuple[str, ...],
) -> int:
    state = RetryState(retry)
    while True:
        fh.seek(0)
        fh.truncate()
        try:
            return await _attempt(
                http, url, fh, max_bytes=max_bytes, read_timeout=read_timeout, secrets=secrets
            )
        except _Retryable as exc:
            wait = state.next_wait(exc.retry_after)
            if wait is None:
                raise exc.error from None
            log.info("download attempt failed (%s); retrying in %.2f s", exc.error.message, wait)
            await asyncio.sleep(wait)
