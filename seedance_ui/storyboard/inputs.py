"""Every input of a take, as a review manifest records it: role, name, content hash, upload URL, expiry.

A take's inputs are read from the request it was sent with (`Take.params`): the video it continues
(`@video1`), the first frame of a chained shot and the reference images, in `image_urls` order. Names
come from the board's cast (by the file's content name) or say which shot's take it is. An image's upload
URL and expiry come from the job's record (`JobInfo.params["inputs"]`, written when it was uploaded),
else from `UploadOf` (the client's upload cache); a video's from its job (`JobInfo.link_expires_at`).
Unknown: None.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seedance_ui.client.uploads import UploadedFile, file_sha256
from seedance_ui.storyboard.clips import JobInfoMap
from seedance_ui.storyboard.model import Board, Take

UploadOf = Callable[[str, str], UploadedFile | None]  # (job id, sha256) -> the upload, None if unknown

ROLE_FIRST_FRAME = "first_frame"
ROLE_LAST_FRAME = "last_frame"
ROLE_REFERENCE = "reference_image"
ROLE_VIDEO = "reference_video"


def _sha256(path: str) -> str | None:
    try:
        return file_sha256(Path(path)) if Path(path).is_file() else None
    except OSError:
        return None


def _iso(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if epoch is not None else None


def recorded_upload(jobs: JobInfoMap | None, job_id: str, sha256: str) -> tuple[str, float] | None:
    """(file URL, expiry) of the upload of this content the job's record holds, None without one."""
    info = jobs.get(job_id) if jobs is not None else None
    for entry in ((info.params or {}).get("inputs") or []) if info is not None else []:
        expires = entry.get("expires_at") if isinstance(entry, dict) else None
        if entry.get("sha256") == sha256 and entry.get("file_url") and isinstance(expires, int | float):
            return str(entry["file_url"]), float(expires)
    return None


class _Reader:
    """Reads the inputs of the takes of one board (the uploads they were sent with, by job)."""

    def __init__(self, board: Board, upload_of: UploadOf | None, jobs: JobInfoMap | None) -> None:
        self.board, self.upload_of, self.jobs = board, upload_of, jobs

    def image(self, role: str, name: str, path: str, tag: str | None, job_id: str) -> dict[str, Any]:
        digest = _sha256(path)
        upload = recorded_upload(self.jobs, job_id, digest) if digest else None
        if upload is None and digest and self.upload_of is not None:
            cached = self.upload_of(job_id, digest)
            upload = (cached.file_url, cached.expires_at) if cached is not None else None
        return {
            "role": role,
            "tag": tag,
            "name": name,
            "file": Path(path).name,
            "sha256": digest,
            "upload_url": upload[0] if upload else None,
            "upload_expires_at": _iso(upload[1]) if upload else None,
        }

    def video(self, take: Take, url: str) -> dict[str, Any]:
        """The video a take continues: an extension's take, or the previous shot's (a video chain)."""
        found = self.board.find_take(take.job_id)
        source = found[0].extends if found is not None and found[0].extends else take.starts_from
        info = self.jobs.get(source) if self.jobs is not None and source else None
        return {
            "role": ROLE_VIDEO,
            "tag": "@video1",
            "name": _take_name(self.board, source, "video"),
            "file": None,
            "sha256": None,
            "upload_url": url,
            "upload_expires_at": _iso(info.link_expires_at if info is not None else None),
        }


def take_inputs(
    board: Board, take: Take, upload_of: UploadOf | None = None, jobs: JobInfoMap | None = None
) -> list[dict[str, Any]]:
    """The take's inputs: the video it continues, then its images in `image_urls` order (none for a
    text take)."""
    read = _Reader(board, upload_of, jobs)
    params = take.params or {}
    videos = params.get("reference_video_urls") or []
    out = [read.video(take, v) for v in videos[:1] if isinstance(v, str)]
    frame_name = _take_name(board, take.starts_from, "last frame") if not out else ""
    cast = {entry.file_name: entry.name for entry in board.cast}
    for role, key in ((ROLE_FIRST_FRAME, "first_frame"), (ROLE_LAST_FRAME, "last_frame")):
        value = params.get(key)
        if isinstance(value, str) and value:
            name = frame_name if role == ROLE_FIRST_FRAME and frame_name else Path(value).name
            out.append(read.image(role, name, value, None, take.job_id))
    images = params.get("reference_images") or []
    for number, value in enumerate(images if isinstance(images, list) else [], 1):
        if not isinstance(value, str):
            continue
        chained_frame = number == 1 and bool(frame_name)
        role = ROLE_FIRST_FRAME if chained_frame else ROLE_REFERENCE
        name = frame_name if chained_frame else cast.get(Path(value).name, Path(value).name)
        out.append(read.image(role, name, value, f"@image{number}", take.job_id))
    return out


def _take_name(board: Board, job_id: str | None, what: str) -> str:
    """"last frame of shot 2, take 1" (or "video of …") for the take of `job_id`; "" without one."""
    if job_id is None:
        return ""
    return f"{what} of {board.take_label(job_id) or 'a take no longer on the board'}"
