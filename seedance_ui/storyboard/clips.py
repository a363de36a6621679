"""What review exports need per shot: the chosen take, its video file, job facts, the request sent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedance_ui.options import VIDEO_URL_LIFETIME_SECONDS
from seedance_ui.storyboard.model import Board, Shot, Take, slugify
from seedance_ui.storyboard.states import status_value
from seedance_ui.storyboard.validation import effective_request

VideoPathOf = Callable[[str], Path | None]  # job id -> local MP4 path, None when there is none
SENT_PARAMS = ("model", "duration", "quality", "aspect_ratio", "generate_audio", "web_search")


@dataclass(frozen=True)
class JobInfo:
    """Job facts the exports print; build one per job with `job_info_from_record` or by hand."""

    job_id: str
    status: str | None = None
    task_id: str | None = None
    params: dict[str, Any] | None = None  # GenerationRequest.to_params() as submitted
    credits_estimated: float | None = None
    credits_reserved: float | None = None
    video_duration: float | None = None
    link_expires_at: float | None = None  # when the provider's link to its video expires (epoch s)


JobInfoMap = Mapping[str, JobInfo]  # job id -> JobInfo


def job_info_from_record(record: Any) -> JobInfo:
    """A JobInfo from a seedance_ui.store.JobRecord (read by attribute name, so any look-alike works)."""
    return JobInfo(
        job_id=record.id,
        status=status_value(getattr(record, "status", None)),
        task_id=getattr(record, "task_id", None),
        params=getattr(record, "params", None),
        credits_estimated=getattr(record, "credits_estimated", None),
        credits_reserved=getattr(record, "credits_reserved", None),
        video_duration=getattr(record, "video_duration", None),
        link_expires_at=link_expiry(record),
    )


def link_expiry(record: Any) -> float | None:
    """When the provider's link to a job's video expires (epoch s): 24 h after it completed; None
    without a link or a completion time."""
    done = getattr(record, "completed_at", None)
    has_link = getattr(record, "video_url", None) and isinstance(done, int | float)
    return float(done) + VIDEO_URL_LIFETIME_SECONDS if has_link else None


def job_infos(records: Any) -> dict[str, JobInfo]:
    """JobInfoMap from an iterable of job records."""
    return {r.id: job_info_from_record(r) for r in records}


@dataclass(frozen=True)
class Clip:
    """One shot as exported: its number, chosen take (or None) and the take's video (or None)."""

    number: int
    shot: Shot
    take: Take | None
    video: Path | None
    job: JobInfo | None
    params: dict[str, Any]  # the request as sent (or as it would be sent, without a take)

    @property
    def prompt(self) -> str:
        return str(self.params.get("prompt", ""))

    def file_name(self, width: int = 2) -> str:
        """`01-<slug of title>.mp4`: from our numbering and a slug only."""
        return f"{self.number:0{width}d}-{slugify(self.shot.title)}.mp4"


def sent_params(board: Board, shot: Shot, take: Take | None, job: JobInfo | None) -> dict[str, Any]:
    """The request a take was made with: recorded on the take, else the job's, else the shot's now."""
    for params in (take.params if take else None, job.params if job else None):
        if isinstance(params, dict) and params.get("prompt"):
            return dict(params)
    return effective_request(board, shot).to_params()


def _resolve(video_path_of: VideoPathOf, job_id: str) -> Path | None:
    try:
        path = video_path_of(job_id)
    except (KeyError, ValueError, OSError):
        return None
    return Path(path) if path is not None and Path(path).is_file() else None


def board_clips(board: Board, video_path_of: VideoPathOf, jobs: JobInfoMap | None = None) -> list[Clip]:
    """One Clip per shot, in board order."""
    jobs = jobs or {}
    clips = []
    for number, shot in enumerate(board.shots, start=1):
        take = shot.chosen
        job = jobs.get(take.job_id) if take else None
        video = _resolve(video_path_of, take.job_id) if take else None
        clips.append(Clip(number, shot, take, video, job, sent_params(board, shot, take, job)))
    return clips


def export_stem(board: Board) -> str:
    """File-name stem of a board's exports: slug of the title plus the start of the id."""
    return f"{slugify(board.title, 'storyboard')}-{board.id[:8]}"
