"""The provider's file API, simulated: uploads held in memory, served at public URLs until they expire.

Answers follow CONTRACT-MODES.md section 4: `{"success", "code", "msg", "data": {..., "file_url",
"expires_at"}}`; errors are `{"success": false, "code": <status>, "msg": ...}` with that HTTP status.

Pictures are measured from their header (`image_header`: Pillow's `Image.open` is lazy) and refused past
the contract's upper limits before anything decodes them: a 20 KB PNG can claim 13000x13000 pixels. The
simulator runs on its own too (`python -m seedance_ui.simulator` imports nothing of the studio's), so
this module sets Pillow's decompression-bomb limit to the contract's pixel cap itself.
"""

from __future__ import annotations

import base64
import binascii
import io
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP

from PIL import Image, UnidentifiedImageError

from seedance_ui import options

FILES_PREFIX = "/files/"
MAX_FILES = 2000  # the documented default allowance
_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
UNSUPPORTED = "Unsupported file type: only JPEG, PNG, GIF and WebP images"

# A decode that skipped `image_header` fails past twice this many pixels (Pillow: a warning past it).
Image.MAX_IMAGE_PIXELS = options.IMAGE_MAX_PIXELS


class FileRefused(Exception):
    """An upload the file API refuses with `status` and `msg`."""

    def __init__(self, status: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.msg = status, msg


class ImageTooLarge(FileRefused):
    """A picture past the contract's sides or pixels: refused before it is decoded."""

    def __init__(self, size: tuple[int, int] | None) -> None:
        side, pixels = options.IMAGE_MAX_SIDE, options.IMAGE_MAX_PIXELS
        got = f"{size[0]}x{size[1]} px" if size else f"over {2 * pixels:,} pixels"
        rule = f"each side at most {side} px, {pixels:,} pixels in all"
        super().__init__(400, f"Image too large ({got}): {rule}")


def image_header(data: bytes) -> tuple[str, int, int]:
    """(Pillow's format name, width, height) of an image's bytes, read from its header: no pixel is
    decoded. Raises ImageTooLarge past the contract's upper limits (what decoding would cost) and
    FileRefused (400) for anything Pillow cannot read."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, width, height = image.format or "", image.width, image.height
    except Image.DecompressionBombError:  # past twice the pixel cap: Pillow gives no size
        raise ImageTooLarge(None) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise FileRefused(400, UNSUPPORTED) from None
    if max(width, height) > options.IMAGE_MAX_SIDE or width * height > options.IMAGE_MAX_PIXELS:
        raise ImageTooLarge((width, height))
    return fmt, width, height


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    name: str
    original_name: str
    data: bytes
    mime_type: str
    upload_path: str
    uploaded: float  # epoch seconds
    expires: float

    def answer(self, base_url: str) -> dict:
        """The `data` object of a successful upload answer."""
        url = f"{base_url}{FILES_PREFIX}{self.file_id}/{self.name}"
        return {
            "file_id": self.file_id,
            "file_name": self.name,
            "original_name": self.original_name,
            "file_size": len(self.data),
            "mime_type": self.mime_type,
            "upload_path": self.upload_path,
            "file_url": url,
            "download_url": url,
            "upload_time": _iso(self.uploaded),
            "expires_at": _iso(self.expires),
        }


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def envelope(data: dict) -> dict:
    return {"success": True, "code": 200, "msg": "success", "data": data}


def refusal(status: int, msg: str) -> dict:
    return {"success": False, "code": status, "msg": msg, "data": None}


class FileStore:
    """Uploaded files by id; expired ones are no longer served and no longer count against the quota."""

    def __init__(
        self, lifetime: float = options.UPLOADED_FILE_LIFETIME_SECONDS, clock: Callable[[], float] = time.time
    ) -> None:
        self.lifetime, self.clock = lifetime, clock  # a test may move the clock to let files expire
        self._files: dict[str, StoredFile] = {}
        self._lock = threading.Lock()

    def add(self, data: bytes, original_name: str, upload_path: str = "") -> StoredFile:
        """Store an image upload; raises FileRefused for an empty, unknown or non-image file, and for a
        picture past the contract's sides or pixels (measured from its header, never decoded)."""
        if not data:
            raise FileRefused(400, "file is required")
        fmt, _width, _height = image_header(data)
        if fmt not in options.UPLOAD_FORMATS:
            raise FileRefused(400, f"Unsupported file type {fmt}: only JPEG, PNG, GIF and WebP images")
        now = self.clock()
        file_id = f"file_{secrets.token_hex(12)}"
        extension = "jpg" if fmt == "JPEG" else fmt.lower()
        stored = StoredFile(
            file_id, f"{file_id}.{extension}", original_name or "upload", data, _MIME[fmt],
            upload_path, now, now + self.lifetime,
        )
        with self._lock:
            self._prune(now)
            if len(self._files) >= MAX_FILES:
                raise FileRefused(403, f"File quota exhausted: {MAX_FILES} files")
            self._files[file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        """The file while it has not expired."""
        with self._lock:
            stored = self._files.get(file_id)
        return stored if stored is not None and stored.expires > self.clock() else None

    def quota(self) -> dict:
        with self._lock:
            self._prune(self.clock())
            used = len(self._files)
        return {"used_files": used, "max_files": MAX_FILES, "remain_files": MAX_FILES - used}

    def clear(self) -> None:
        with self._lock:
            self._files.clear()

    def _prune(self, now: float) -> None:
        for file_id in [k for k, f in self._files.items() if f.expires <= now]:
            del self._files[file_id]


def parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a multipart/form-data body: name -> (file name or None, bytes)."""
    if "multipart/form-data" not in content_type.lower():
        raise FileRefused(400, "Content-Type must be multipart/form-data")
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            fields[name] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


def decode_base64(value: object) -> bytes:
    """The bytes of `base64_data`: a data: URL or raw base64."""
    if not isinstance(value, str) or not value.strip():
        raise FileRefused(400, "base64_data is required")
    text = value.split(",", 1)[1] if value.startswith("data:") and "," in value else value
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise FileRefused(400, "base64_data is not valid base64") from None
