"""Which shots need a job, and how takes are recorded and chosen."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

from seedance_ui.client import GenerationRequest
from seedance_ui.store import JobStatus
from seedance_ui.storyboard.model import Board, Shot, StoryboardError, Take
from seedance_ui.storyboard.states import Coverage, coverage, job_status
from seedance_ui.storyboard.validation import effective_request

JobStatusOf = Callable[[str], Any]  # job id -> status (JobStatus or its value), None when unknown
PlanMode = Literal["all", "missing_or_failed"]
PLAN_MODES: tuple[str, ...] = ("all", "missing_or_failed")



def shot_state(shot: Shot, job_status_of: JobStatusOf | None) -> Coverage:
    """Whether the shot still needs a job (`Coverage`: done, running, unknown_outcome or missing; missing
    when it has no take, or every take failed, was cancelled or expired).

    Without `job_status_of` a shot with any take counts as covered ('done').
    """
    if not shot.takes:
        return Coverage.MISSING
    if job_status_of is None:
        return Coverage.DONE
    return coverage(job_status_of(t.job_id) for t in shot.takes)


def shots_to_generate(
    board: Board, mode: PlanMode = "all", job_status_of: JobStatusOf | None = None
) -> list[Shot]:
    """The shots that need a new job, in board order.

    "all": every shot. "missing_or_failed": shots with no take that is completed, in progress, or of
    unknown outcome (those may already be charged, so they are never planned again automatically).
    """
    if mode == "all":
        return list(board.shots)
    if mode == "missing_or_failed":
        return [s for s in board.shots if shot_state(s, job_status_of) == Coverage.MISSING]
    raise ValueError(f"mode must be one of {', '.join(PLAN_MODES)} (got {mode!r})")


def record_take(
    board: Board,
    shot_id: str,
    job_id: str,
    *,
    params: dict[str, Any] | None = None,
    starts_from: str | None = None,
) -> Take:
    """Add a take for a submitted job to a shot (the same job twice returns the existing take); it
    remembers the names of the cast it was sent with and, chained, the job whose last frame it starts
    from. The shot's notice (why an earlier Generate did not send it) is cleared."""
    shot = board.shot(shot_id)
    existing = board.find_take(job_id)
    if existing is not None:
        if existing[0] is not shot:
            raise StoryboardError(f"job {job_id} is already a take of another shot")
        return existing[1]
    cast = [e.name for e in board.cast_of(shot)]
    take = Take(job_id=job_id, params=params, starts_from=starts_from, cast=cast)
    shot.takes.append(take)
    shot.notice = ""
    board.touch()
    return take


def submit_shots(
    board: Board,
    shots: Iterable[Shot],
    submit: Callable[[GenerationRequest], str],
    request_of: Callable[[Shot], GenerationRequest] | None = None,
) -> tuple[list[Take], dict[str, Exception]]:
    """Submit each shot's request (`request_of(shot)`, else its effective request) with
    `submit(request) -> job_id` and record the takes.

    A shot whose request or submit raises is skipped; its exception is returned under its shot id.
    """
    takes: list[Take] = []
    errors: dict[str, Exception] = {}
    for shot in shots:
        try:
            request = request_of(shot) if request_of is not None else effective_request(board, shot)
            job_id = submit(request)
        except Exception as exc:  # reported per shot; the caller decides how to show it
            errors[shot.id] = exc
            continue
        takes.append(record_take(board, shot.id, job_id, params=request.to_params()))
    return takes, errors


def choose_take(board: Board, shot_id: str, take_id: str | None) -> None:
    """The user's pick (None clears it and lets the first completed take be chosen again)."""
    shot = board.shot(shot_id)
    if take_id is not None:
        shot.take(take_id)  # KeyError for a take of another shot
    shot.chosen_take = take_id
    shot.chosen_by_user = take_id is not None
    board.touch()


def delete_take(board: Board, shot_id: str, take_id: str) -> Take:
    """Remove a take from a shot (its job stays in the history); clears the choice if it was chosen."""
    shot = board.shot(shot_id)
    take = shot.take(take_id)
    shot.takes.remove(take)
    if shot.chosen_take == take_id:
        shot.chosen_take = None
        shot.chosen_by_user = False
    board.touch()
    return take


def note_job_status(board: Board, job_id: str, status: Any) -> Shot | None:
    """Tell the board a job's status; a completed job becomes its shot's chosen take when none is.

    Returns the shot whose choice changed, else None. Call it as jobs finish: the first to complete wins.
    """
    found = board.find_take(job_id)
    if found is None or job_status(status) != JobStatus.COMPLETED:
        return None
    shot, take = found
    if shot.chosen is not None:
        return None
    shot.chosen_take = take.id
    shot.chosen_by_user = False
    board.touch()
    return shot


def refresh_chosen(board: Board, job_status_of: JobStatusOf) -> list[Shot]:
    """Re-check automatic choices: a shot the user has not picked for gets its earliest completed take.

    A chained shot's automatic choice follows the chain: it is the (earliest) completed take that starts
    from the previous shot's chosen take whenever it has one, so after a Generate (whose chain makes the
    previous shot's new take its chosen one, see `chain`) the chosen takes form one continuous chain and
    no shot is out of date by itself. Without such a take it keeps its choice (out of date, as when the
    user picks another take upstream). The shots are read in board order, each after the one before it.
    An automatic choice whose job is no longer completed (expired, deleted) is replaced or cleared.
    Returns the shots whose choice changed.
    """
    changed = []
    for index, shot in enumerate(board.shots):
        if shot.chosen_by_user and shot.chosen is not None:
            continue
        current = shot.chosen
        done = [t for t in shot.takes if job_status(job_status_of(t.job_id)) == JobStatus.COMPLETED]
        follows = _continuing(board, index, done)
        if follows:
            pick = current.id if current in follows else min(follows, key=lambda t: t.created_at).id
        elif current is not None and current in done:
            continue
        else:
            pick = min(done, key=lambda t: t.created_at).id if done else None
        if pick != shot.chosen_take or shot.chosen_by_user:
            shot.chosen_take = pick
            shot.chosen_by_user = False
            changed.append(shot)
    if changed:
        board.touch()
    return changed


def _continuing(board: Board, index: int, done: list[Take]) -> list[Take]:
    """Of a chained shot's completed takes (`done`), the ones that start from the previous shot's chosen
    take; none for a shot that is not chained."""
    shot = board.shots[index]
    source = board.shots[index - 1].chosen if index > 0 and shot.chain and not shot.extends else None
    return [t for t in done if source is not None and t.starts_from == source.job_id]
