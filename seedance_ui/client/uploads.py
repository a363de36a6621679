"""Uploaded files and the cache that keeps the same image from being uploaded twice.

An upload is remembered by (sha256 of the content, key identity) until shortly before its
`expires_at`. The key identity is a hash of the file API's address and the API key: the key itself is
never stored. Persistence comes later; `UploadCache` is the interface a durable store implements.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from seedance_ui.options import UPLOAD_EXPIRY_MARGIN_SECONDS, UPLOADED_FILE_LIFETIME_SECONDS


@dataclass(frozen=True)
class UploadedFile:
    """A file on the provider's file API: `file_url` goes into `image_urls` until `expires_at` (epoch s)."""

    file_url: str
    expires_at: float
    sha256: str = ""
    file_id: str | None = None
    file_name: str | None = None
    size_bytes: int | None = None
    mime_type: str | None = None

    def usable(self, now: float, margin: float = UPLOAD_EXPIRY_MARGIN_SECONDS) -> bool:
        """True while more than `margin` seconds are left before it expires."""
        return self.expires_at - margin > now

    @classmethod
    def from_answer(cls, data: dict[str, Any], sha256: str, now: float) -> UploadedFile | None:
        """The answer's `data` object read tolerantly; None without a file_url."""
        url = data.get("file_url")
        if not isinstance(url, str) or not url.strip():
            return None
        expires = parse_time(data.get("expires_at"))
        size = data.get("file_size")
        return cls(
            file_url=url.strip(),
            expires_at=expires if expires is not None else now + UPLOADED_FILE_LIFETIME_SECONDS,
            sha256=sha256,
            file_id=_text(data.get("file_id")),
            file_name=_text(data.get("file_name")),
            size_bytes=size if isinstance(size, int) and not isinstance(size, bool) else None,
            mime_type=_text(data.get("mime_type")),
        )


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_time(value: Any) -> float | None:
    """Epoch seconds from an ISO 8601 time (naive means UTC), epoch seconds or milliseconds; else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / 1000 if value > 1e11 else float(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace(" ", "T", 1)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            return parse_time(float(value))
        except ValueError:
            return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's content, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def key_identity(api_key: str, files_url: str) -> str:
    """Who an upload belongs to: a hash of the file API's address and the key (never the key)."""
    return hashlib.sha256(f"{files_url}\0{api_key}".encode()).hexdigest()[:32]


class UploadCache(Protocol):
    """Where uploads are remembered; `get` returns only an upload still usable at `now`."""

    def get(self, sha256: str, identity: str, now: float) -> UploadedFile | None: ...

    def put(self, identity: str, upload: UploadedFile) -> None: ...


class MemoryUploadCache:
    """An UploadCache in memory (thread-safe); expired entries are dropped when looked up."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], UploadedFile] = {}
        self._lock = threading.Lock()

    def get(self, sha256: str, identity: str, now: float) -> UploadedFile | None:
        with self._lock:
            upload = self._entries.get((sha256, identity))
            if upload is not None and not upload.usable(now):
                del self._entries[(sha256, identity)]
                return None
            return upload

    def put(self, identity: str, upload: UploadedFile) -> None:
        with self._lock:
            self._entries[(upload.sha256, identity)] = upload

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
