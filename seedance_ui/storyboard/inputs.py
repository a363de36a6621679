"""Every input of a take, as a review manifest records it: role, name, content hash, upload URL, expiry.

A take's inputs are read from its job's record in the owner's own history (`JobInfo.params`, as the
studio wrote it when it sent the job: `params["inputs"]` holds each image's role, content hash, original
name and upload), never from the take's params on the board: those come with any imported file, and a
path in them would name any file of the server. No file is opened here at all; a take without a record
of the owner (another person's job in an imported board) lists no inputs. Names come from the board's
cast (by content hash) or say which shot's take it is. An image's upload URL and expiry come from the
record, else from `UploadOf` (the client's upload cache); a video's from its job
(`JobInfo.link_expires_at`). Unknown: None.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seedance_ui.client.uploads import UploadedFile
from seedance_ui.jobs.inputs import IMAGE_ROLES, entries_of
from seedance_ui.storyboard.clips import JobInfoMap
from seedance_ui.storyboard.model import Board, Take

UploadOf = Callable[[str, str], UploadedFile | None]  # (job id, sha256) -> the upload, None if unknown

ROLE_FIRST_FRAME = "first_frame"
ROLE_LAST_FRAME = "last_frame"
ROLE_REFERENCE = "reference_image"
ROLE_VIDEO = "reference_video"


def _iso(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if epoch is not None else None


def recorded_upload(entry: dict[str, Any]) -> tuple[str, float] | None:
    """(file URL, expiry) of the upload a record's input entry holds, None without one."""
    expires = entry.get("expires_at")
    if entry.get("file_url") and isinstance(expires, int | float):
        return str(entry["file_url"]), float(expires)
    return None


class _Reader:
    """Reads the inputs of the takes of one board (the uploads they were sent with, by job)."""

    def __init__(self, board: Board, upload_of: UploadOf | None, jobs: JobInfoMap | None) -> None:
        self.board, self.upload_of, self.jobs = board, upload_of, jobs

    def image(
        self, role: str, name: str, entry: dict[str, Any], tag: str | None, job_id: str
    ) -> dict[str, Any]:
        """One image input from its record entry: a local copy's hash and upload, or the URL sent."""
        digest = entry.get("sha256") if isinstance(entry.get("sha256"), str) else None
        upload: tuple[str, float | None] | None = recorded_upload(entry)
        if upload is None and digest and self.upload_of is not None:
            cached = self.upload_of(job_id, digest)
            upload = (cached.file_url, cached.expires_at) if cached is not None else None
        if upload is None and isinstance(entry.get("url"), str):
            upload = (entry["url"], None)
        return {
            "role": role,
            "tag": tag,
            "name": name,
            "file": file_name(entry),
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


def file_name(entry: dict[str, Any]) -> str | None:
    """The name an input file came with (its URL's last part for a URL), never a path."""
    name = entry.get("name") or entry.get("url") or entry.get("path")
    return Path(str(name)).name if name else None


def recorded_params(take: Take, jobs: JobInfoMap | None) -> dict[str, Any] | None:
    """The request the take's job was sent with, as the owner's own record holds it; None when the owner
    has no record of that job."""
    info = jobs.get(take.job_id) if jobs is not None else None
    return info.params if info is not None and isinstance(info.params, dict) else None


def take_inputs(
    board: Board, take: Take, upload_of: UploadOf | None = None, jobs: JobInfoMap | None = None
) -> list[dict[str, Any]]:
    """The take's inputs from its job's record: the video it continues, then its images in `image_urls`
    order (none for a text take, nor for a take whose job the owner has no record of)."""
    params = recorded_params(take, jobs)
    if params is None:
        return []
    read = _Reader(board, upload_of, jobs)
    videos = params.get("reference_video_urls") or []
    out = [read.video(take, v) for v in videos[:1] if isinstance(v, str)]
    frame_name = _take_name(board, take.starts_from, "last frame") if not out else ""
    cast = {entry.sha256: entry.name for entry in board.cast}
    number = 0
    for entry in (e for e in entries_of(params) if e["role"] in IMAGE_ROLES):
        shown = file_name(entry) or ""
        if entry["role"] != ROLE_REFERENCE:
            name = frame_name if entry["role"] == ROLE_FIRST_FRAME and frame_name else shown
            out.append(read.image(entry["role"], name, entry, None, take.job_id))
            continue
        number += 1
        chained_frame = number == 1 and bool(frame_name)
        role = ROLE_FIRST_FRAME if chained_frame else ROLE_REFERENCE
        name = frame_name if chained_frame else cast.get(entry.get("sha256"), shown)
        out.append(read.image(role, name, entry, f"@image{number}", take.job_id))
    return out


def _take_name(board: Board, job_id: str | None, what: str) -> str:
    """"last frame of shot 2, take 1" (or "video of …") for the take of `job_id`; "" without one."""
    if job_id is None:
        return ""
    return f"{what} of {board.take_label(job_id) or 'a take no longer on the board'}"
