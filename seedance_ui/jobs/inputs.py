"""A job's inputs made durable: copies of its image files in the data directory, its media URLs, and the
uploads of those copies, all in `JobRecord.params["inputs"]`, so the request is rebuilt from the record
alone (after a restart too).

Each entry of `params["inputs"]` is a dict: `role` (one of ROLES), then either `path` (the copy,
relative to the data directory), `sha256` and `name` (the original file name), or `url`; once uploaded,
`file_url` and `expires_at` (epoch s). A picture is kept once per content (`HistoryStore.keep_inputs`:
`inputs/blobs/<ab>/<sha256>.<ext>`, shared by every job that uses it, counted once against its owner's
disk quota); records made before keep their own copies (`inputs/<job id>/<role>-<n>.<ext>`), which
read the same. The record's own image fields (`first_frame`, ...) hold the copies' relative paths.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from seedance_ui.client.errors import ValidationError
from seedance_ui.client.media_rules import is_url, measure_image
from seedance_ui.client.request import GenerationRequest
from seedance_ui.client.uploads import UploadedFile, file_sha256
from seedance_ui.options import UPLOAD_EXPIRY_MARGIN_SECONDS
from seedance_ui.store import Database, HistoryStore
from seedance_ui.store.quota import QuotaExceeded

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
    """The extension of an image by what its header says (the name it came with may lie)."""
    info = measure_image(path)
    found = _SUFFIX.get(info.format) if info is not None else None
    return found or path.suffix.lower()[:8]


def save_inputs(store: HistoryStore, job_id: str, request: GenerationRequest, owner: str | None = None
                ) -> list[dict[str, Any]]:
    """Keep each local image of `request` once per content for the job (`owner`'s; default: the
    recorded job's); the `params["inputs"]` entries.

    ValidationError naming the field when the new pictures would take the owner over their disk quota
    (nothing is written then); OSError when one cannot be written (the caller calls
    `store.remove_inputs` then).
    """
    if owner is None:
        record = store.get(job_id)
        owner = record.owner if record is not None else ""
    media = request_inputs(request)
    local = [(role, Path(value)) for role, value in media if not is_url(value)]
    blobs = [(source, file_sha256(source), _suffix(source)) for _role, source in local]
    try:
        store.quota.reserve(owner, store.new_blob_bytes(owner, blobs), "this request's pictures")
    except QuotaExceeded as exc:
        raise ValidationError(_FIELD[local[0][0]], exc.message) from None
    kept = iter(store.keep_inputs(job_id, owner, blobs))
    found = iter(zip(local, blobs, strict=True))
    entries: list[dict[str, Any]] = []
    for role, value in media:
        if is_url(value):
            entries.append({"role": role, "url": value})
            continue
        (_role, source), (_source, sha, _) = next(found)
        entries.append({"role": role, "path": next(kept), "sha256": sha, "name": source.name})
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
