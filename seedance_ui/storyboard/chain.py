"""Chained shots: which wait, which may go, which are out of date.

A chained shot starts from the last frame of the previous shot's take, or continues that take's whole
video as @video1 (`Shot.continues_video`). A Generate puts its chained
shots on the board's `pending` list (saved with the board, so a restart resumes the chain); each is
sent once the take it continues is done: the newest take the previous shot got in this run (it then
becomes the previous shot's chosen take), or, when the previous shot was not sent in this run, its
chosen take. The chained shot's new take, once done, becomes its chosen take in turn
(`plan.refresh_chosen`: a chained shot's automatic choice is a take that continues the previous shot's
chosen one), so after any run the chosen takes form one continuous chain; a shot is out of date only
when a take upstream is picked that no take of it continues (or its own new take failed).
A take that ended without a video stops the shots after it, each with a notice saying why.
No threads here: `BoardSession` asks `next_step` for each pending shot and carries the answer out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from seedance_ui.store import JobStatus
from seedance_ui.storyboard.clips import link_expiry
from seedance_ui.storyboard.model import Board, Shot, Take
from seedance_ui.storyboard.states import ACTIVE_JOB_STATUSES, job_status

OUT_OF_DATE = "out of date: starts from an older frame"
OUT_OF_DATE_VIDEO = "out of date: continues an older take"
LINK_MARGIN_SECONDS = 600  # a take's provider link is not sent this close to the end of its life

_ENDED = {
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "was cancelled",
    JobStatus.EXPIRED: "expired",
    JobStatus.UNKNOWN_OUTCOME: "ended with an unknown outcome",
}
StatusOf = Callable[[str], Any]  # job id -> its status (JobStatus, a value or None)


@dataclass(frozen=True)
class Step:
    """What to do now for one pending chained shot: wait (for `take`, when it is a take in flight),
    send from `take`, or stop with `reason`."""

    action: Literal["wait", "send", "stop"]
    take: Take | None = None
    reason: str = ""


def out_of_date(board: Board) -> dict[str, str]:
    """Chained shots whose chosen take does not start from the previous shot's chosen take (or whose
    previous shot is itself out of date): shot id -> OUT_OF_DATE (OUT_OF_DATE_VIDEO for a shot that
    continues the video). Derived only; nothing is changed."""
    stale: dict[str, str] = {}
    for index, shot in enumerate(board.shots):
        if not shot.chain or shot.extends or index == 0 or shot.chosen is None:
            continue
        previous = board.shots[index - 1]
        source = previous.chosen
        if source is None or shot.chosen.starts_from != source.job_id or previous.id in stale:
            stale[shot.id] = OUT_OF_DATE_VIDEO if shot.continues_video else OUT_OF_DATE
    return stale


def waiting_on(board: Board, shot: Shot, planned: set[str], status_of: StatusOf) -> str | None:
    """Why a chained shot planned without its previous shot cannot run (None when it can, or waits
    for a take in flight): the previous shot needs a finished take first."""
    previous = board.previous(shot)
    if not shot.chain or shot.extends or previous is None or previous.id in planned:
        return None
    if previous.chosen is not None and job_status(status_of(previous.chosen.job_id)) == JobStatus.COMPLETED:
        return None
    if any(job_status(status_of(t.job_id)) in ACTIVE_JOB_STATUSES for t in previous.takes):
        return None
    number = board.number_of(previous.id)
    how = "continues the video" if shot.continues_video else "starts from the end"
    return f"{how} of shot {number}, which has no finished take: generate shot {number} too"


def next_step(board: Board, shot: Shot, since: float, status_of: StatusOf) -> Step:
    """For a pending chained shot: wait, send (from which take of the previous shot) or stop."""
    previous = board.previous(shot)
    if previous is None:
        return Step("stop", reason="it is the first shot, with no previous shot to start from")
    number = board.number_of(previous.id)
    if previous.id in board.pending:
        return Step("wait")
    sent = [t for t in previous.takes if t.created_at >= since]
    take = max(sent, key=lambda t: t.created_at) if sent else previous.chosen
    if take is None:
        return Step("stop", reason=f"shot {number} has no take to start from")
    status = job_status(status_of(take.job_id))
    if status in ACTIVE_JOB_STATUSES:
        return Step("wait", take)
    if status == JobStatus.COMPLETED:
        return Step("send", take)
    return Step("stop", reason=f"shot {number} {_ENDED.get(status, 'is gone from the history')}")


def provider_link(record: Any, now: float) -> tuple[str | None, str]:
    """(the provider link of a finished job's video, "") while inside its 24 hours, else (None, why):
    what an extension, or a shot chained to the video, sends as @video1."""
    if record is None or job_status(getattr(record, "status", None)) != JobStatus.COMPLETED:
        return None, "the take to extend is not a finished video"
    url, expires = getattr(record, "video_url", None), link_expiry(record)
    if not url or expires is None or now > expires - LINK_MARGIN_SECONDS:
        return None, "the take to extend is older than 24 hours: the provider's link to it has expired"
    return str(url), ""


def stop_notice(reason: str, shot: Shot | None = None) -> str:
    """The notice a chained shot shows when its chain stopped before it."""
    how = "continues its video" if shot is not None and shot.continues_video else "starts from its last frame"
    return f"Not sent: {reason}, and this shot {how}."


def stop_chain(board: Board, shot_id: str, reason: str, *, first: bool = False) -> None:
    """Drop the pending chained shots after `shot_id` (from it, `first`), each with a notice: the first
    dropped with `reason`, each later one because the one before it was not sent."""
    start = board.index_of(shot_id) + (0 if first else 1)
    for later in board.shots[start:]:
        if not later.chain:
            break
        if later.id in board.pending:
            board.pending.remove(later.id)
            later.notice = stop_notice(reason, later)
        reason = f"shot {board.number_of(later.id)} was not sent"
    board.touch()
