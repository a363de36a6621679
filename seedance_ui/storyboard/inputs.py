"""Every input of a take, as a review manifest records it: role, name, content hash, upload URL, expiry.

A take's inputs are read from the request it was sent with (`Take.params`): the first frame of a
chained shot and the reference images, in `image_urls` order. Names come from the board's cast (by the
file's content name) or say which shot's last frame it is. The upload URL and its expiry come from
`UploadOf` (the client that sent the job remembers each upload by content hash); unknown: None.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seedance_ui.client.uploads import UploadedFile, file_sha256
from seedance_ui.storyboard.model import Board, Take

UploadOf = Callable[[str, str], UploadedFile | None]  # (job id, sha256) -> the upload, None if unknown

ROLE_FIRST_FRAME = "first_frame"
ROLE_LAST_FRAME = "last_frame"
ROLE_REFERENCE = "reference_image"


def _sha256(path: str) -> str | None:
    try:
        return file_sha256(Path(path)) if Path(path).is_file() else None
    except OSError:
        return None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry(
    role: str, name: str, path: str, tag: str | None, job_id: str, upload_of: UploadOf | None
) -> dict[str, Any]:
    digest = _sha256(path)
    upload = upload_of(job_id, digest) if upload_of is not None and digest else None
    return {
        "role": role,
        "tag": tag,
        "name": name,
        "file": Path(path).name,
        "sha256": digest,
        "upload_url": upload.file_url if upload else None,
        "upload_expires_at": _iso(upload.expires_at) if upload else None,
    }


def take_inputs(board: Board, take: Take, upload_of: UploadOf | None = None) -> list[dict[str, Any]]:
    """The take's image inputs in `image_urls` order (none for a text take)."""
    params = take.params or {}
    frame_name = _frame_name(board, take)
    cast = {entry.file_name: entry.name for entry in board.cast}
    out = []
    for role, key in ((ROLE_FIRST_FRAME, "first_frame"), (ROLE_LAST_FRAME, "last_frame")):
        value = params.get(key)
        if isinstance(value, str) and value:
            name = frame_name if role == ROLE_FIRST_FRAME and take.starts_from else Path(value).name
            out.append(_entry(role, name, value, None, take.job_id, upload_of))
    images = params.get("reference_images") or []
    for number, value in enumerate(images if isinstance(images, list) else [], 1):
        if not isinstance(value, str):
            continue
        chained_frame = number == 1 and take.starts_from is not None
        role = ROLE_FIRST_FRAME if chained_frame else ROLE_REFERENCE
        name = frame_name if chained_frame else cast.get(Path(value).name, Path(value).name)
        out.append(_entry(role, name, value, f"@image{number}", take.job_id, upload_of))
    return out


def _frame_name(board: Board, take: Take) -> str:
    """"last frame of shot 2, take 1" for a chained take (or of a take no longer on the board)."""
    if take.starts_from is None:
        return ""
    found = board.find_take(take.starts_from)
    if found is None:
        return "last frame of a take no longer on the board"
    shot, source = found
    return f"last frame of shot {board.number_of(shot.id)}, take {shot.takes.index(source) + 1}"
