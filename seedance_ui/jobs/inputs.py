"""A job's inputs made durable: copies of its image files in the data directory, its media URLs, and the
uploads of those copies, all in `JobRecord.params["inputs"]`, so the request is rebuilt from the record
alone (after a restart too).

Each entry of `params["inputs"]` is a dict: `role` (one of ROLES), then either `path` (the copy,
relative to the data directory), `sha256` and `name` (the original file name), or `url`; once uploaded,
`file_url` and `expires_at` (epoch s). The copies are named by us (`<role>-<n>.<ext>`), in a folder named
by the job id. The record's own image fields (`first_frame`, ...) hold the copies' relative paths.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path
from typing import Any

from PIL import Image

from seedance_ui.client.media_rules import is_url
from seedance_ui.client.request import GenerationRequest
from seedance_ui.client.uploads import UploadedFile, file_sha256
from seedance_ui.options import UPLOAD_EXPIRY_MARGIN_SECONDS
from seedance_ui.store import Database, HistoryStore

INPUTS_KEY = "inputs"
ROLE_FIRST_FRAME = "first_frame"
ROLE_LAST_FRAME = "last_frame"
ROLE_REFERENCE_IMAGE = "reference_image"
ROLE_REFERENCE_VIDEO = "reference_video"
ROLE_REFERENCE_AUDIO = "reference_audio"
ROLES = (ROLE_FIRST_FRAME, ROLE_LAST_FRAME, ROLE_REFERENCE_IMAGE, ROLE_REFERENCE_VIDEO, ROLE_REFERENCE_AUDIO)
IMAGE_ROLES = (ROLE_FIRST_FRAME, ROLE_LAST_FRAME, ROLE_REFERENCE_IMAGE)
# Which request field each role fills (a list field for the references).
_FIELD = {
    ROLE_FIRST_FRAME: "first_frame",
    ROLE_LAST_FRAME: "last_frame",
    ROLE_REFERENCE_IMAGE: "reference_images",
    ROLE_REFERENCE_VIDEO: "reference_video_urls",
    ROLE_REFERENCE_AUDIO: "reference_audio_urls",
}
_LIST_ROLES = (ROLE_REFERENCE_IMAGE, ROLE_REFERENCE_VIDEO, ROLE_REFERENCE_AUDIO)
_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif", "BMP": ".bmp", "TIFF": ".tiff"}


def request_inputs(request: GenerationRequest) -> list[tuple[str, str]]:
    """(role, value) of every media input, in the order the provider receives them."""
    out = [(role, value) for role in (ROLE_FIRST_FRAME, ROLE_LAST_FRAME)
           if (value := getattr(request, _FIELD[role]))]
    for role in _LIST_ROLES:
        out += [(role, value) for value in getattr(request, _FIELD[role])]
    return out


def media_fields(request: GenerationRequest) -> dict[str, Any]:
    """The request's media fields by name (first_frame, last_frame, reference_images, ...), lists as
    lists: what a form refills."""
    return {name: list(value) if isinstance(value := getattr(request, name), tuple) else value
            for name in dict.fromkeys(_FIELD.values())}


def _suffix(path: Path) -> str:
    """The extension of an image by what Pillow reads in it (the name it came with may lie)."""
    try:
        with Image.open(path) as image:
            found = _SUFFIX.get(image.format or "")
    except OSError:
        found = None
    return found or path.suffix.lower()[:8]


def _copy(source: Path, target: Path) -> None:
    """Copy atomically: a crash leaves either no file or the whole file."""
    partial = target.with_name(target.name + ".part")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


def save_inputs(store: HistoryStore, job_id: str, request: GenerationRequest) -> list[dict[str, Any]]:
    """Copy each local image of `request` into the job's inputs folder; the `params["inputs"]` entries.

    Raises OSError when a copy cannot be written (the caller removes the folder then).
    """
    entries: list[dict[str, Any]] = []
    counts = dict.fromkeys(ROLES, 0)
    folder = store.inputs_dir(job_id)
    for role, value in request_inputs(request):
        counts[role] += 1
        if is_url(value):
            entries.append({"role": role, "url": value})
            continue
        source = Path(value)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{role}-{counts[role]}{_suffix(source)}"
        _copy(source, target)
        entries.append({"role": role, "path": store.relative(target), "sha256": file_sha256(target),
                        "name": source.name})
    return entries


def durable_params(request: GenerationRequest, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The record's params: the request's, with each local image replaced by its copy's relative path,
    and the inputs list."""
    return {**to_request(request, entries, lambda entry: entry.get("path") or entry["url"]).to_params(),
            INPUTS_KEY: entries}


def entries_of(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The inputs list of a record's params (empty for a text job or an older record)."""
    entries = params.get(INPUTS_KEY)
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, dict) and e.get("role") in ROLES]


def to_request(request: GenerationRequest, entries: list[dict[str, Any]], value_of: Any) -> GenerationRequest:
    """`request` with its media fields filled from `entries` (in order), each by `value_of(entry)`."""
    fields: dict[str, Any] = {_FIELD[r]: None for r in (ROLE_FIRST_FRAME, ROLE_LAST_FRAME)}
    fields.update({_FIELD[r]: () for r in _LIST_ROLES})
    for entry in entries:
        name, value = _FIELD[entry["role"]], value_of(entry)
        fields[name] = (*fields[name], value) if entry["role"] in _LIST_ROLES else value
    return dataclasses.replace(request, **fields)


def local_request(store: HistoryStore, params: dict[str, Any]) -> GenerationRequest:
    """The job's request rebuilt from its record: images as the absolute paths of their copies."""
    base = GenerationRequest.from_params(params)
    entries = entries_of(params)
    if not entries:
        return base
    return to_request(base, entries, lambda e: str(store.resolve(e["path"])) if e.get("path") else e["url"])


def upload_usable(entry: dict[str, Any], now: float) -> bool:
    """The entry's recorded upload (if any) may still be sent in a create."""
    expires = entry.get("expires_at")
    return bool(entry.get("file_url")) and isinstance(expires, int | float) and \
        expires - UPLOAD_EXPIRY_MARGIN_SECONDS > now


def needs_upload(params: dict[str, Any]) -> bool:
    """The job has local image copies (it goes through the upload step before its create)."""
    return any(e.get("path") for e in entries_of(params))


class StoreUploadCache:
    """The client's UploadCache kept in the studio's database: an upload outlives a restart."""

    def __init__(self, db: Database, clock: Any = time.time) -> None:
        self._db = db
        self._clock = clock
        self._db.forget_uploads(clock())  # expired ones are of no use to anyone

    def get(self, sha256: str, identity: str, now: float) -> UploadedFile | None:
        row = self._db.get_upload(sha256, identity)
        if row is None:
            return None
        upload = UploadedFile(**row)
        return upload if upload.usable(now) else None

    def put(self, identity: str, upload: UploadedFile) -> None:
        self._db.put_upload(identity, dataclasses.asdict(upload))
