"""What a reviewer sees of one board: `ReviewView`, built here and nowhere else.

The page renders this object and nothing more, so it holds only what a link may show: the board's title
and style line, its shots in order with their chosen take (job id, media paths relative to the data
directory, to be served through the link-checked route), the shot's state, its version stack with
notes and statuses, and the board's summary. No history, no other board, no key, no cost; no prompt
when the link hides prompts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from seedance_ui.review.notes import Note, threads
from seedance_ui.review.statuses import ReviewStatus, Status, verdict
from seedance_ui.review.versions import Version, version_label
from seedance_ui.store import JobStatus
from seedance_ui.storyboard.chain import out_of_date
from seedance_ui.storyboard.model import Board, Shot, Take
from seedance_ui.storyboard.states import ShotState, job_status

RecordOf = Callable[[str], Any]  # job id -> the board owner's job record, None when they have none


class Files(Protocol):
    """What the view needs of the history store (HistoryStore has it): whether a record's files are
    there (here or in the bucket; nothing is downloaded: the page links to them)."""

    def has_video(self, record: Any) -> bool: ...

    def has_poster(self, record: Any) -> bool: ...


class ReviewState(StrEnum):
    """A shot as the review shows it; `ShotView.state_label` says it in words."""

    DONE = "done"
    OUT_OF_DATE = "out_of_date"  # a chained shot whose take continues an older take of the shot before
    IN_PROGRESS = "in_progress"
    FAILED = "failed"
    MISSING = "missing"


_LABELS = {
    ReviewState.DONE: "Done",
    ReviewState.IN_PROGRESS: "Being generated",
    ReviewState.FAILED: "Failed: no video",
    ReviewState.MISSING: "Missing: no video yet",
}


@dataclass(frozen=True)
class VersionView:
    """One version of a shot. `video`/`poster`: data-dir-relative paths (None: no file, or the take is
    no longer on the board). `shown` is False only in the owner's summary, for a chosen take no
    reviewer has seen yet."""

    number: int
    take_job_id: str
    video: str | None
    poster: str | None
    duration: float
    prompt: str | None
    current: bool
    notes: tuple[Note, ...]  # threads: notes by time, each with its replies
    statuses: tuple[tuple[str, ReviewStatus], ...]  # (reviewer, latest status), by reviewer
    shown: bool = True

    @property
    def label(self) -> str:
        return version_label(self.number)

    @property
    def verdict(self) -> ReviewStatus:
        return verdict(s for _name, s in self.statuses)

    def status_of(self, reviewer: str) -> ReviewStatus:
        return dict(self.statuses).get(reviewer, ReviewStatus.NEEDS_REVIEW)


@dataclass(frozen=True)
class ShotView:
    """One shot: its chosen take (`take_job_id`, `video`, `poster`, `duration`) and its versions, v1
    first (`current` is the chosen take's)."""

    id: str
    number: int
    title: str
    prompt: str | None
    duration: float
    state: ReviewState
    state_label: str
    take_job_id: str | None
    video: str | None
    poster: str | None
    versions: tuple[VersionView, ...]

    @property
    def current(self) -> VersionView | None:
        return next((v for v in self.versions if v.current), None)

    @property
    def notes(self) -> tuple[Note, ...]:
        return self.current.notes if self.current else ()

    @property
    def statuses(self) -> tuple[tuple[str, ReviewStatus], ...]:
        return self.current.statuses if self.current else ()

    @property
    def verdict(self) -> ReviewStatus:
        return self.current.verdict if self.current else ReviewStatus.NEEDS_REVIEW

    @property
    def approved(self) -> bool:
        return self.verdict == ReviewStatus.APPROVED


@dataclass(frozen=True)
class ReviewView:
    """One board for review."""

    board_id: str
    title: str
    style: str
    show_prompts: bool
    shots: tuple[ShotView, ...]

    @property
    def approved(self) -> int:
        return sum(1 for s in self.shots if s.approved)

    @property
    def summary(self) -> str:
        """"3 of 4 shots approved"."""
        return f"{self.approved} of {len(self.shots)} shot{'' if len(self.shots) == 1 else 's'} approved"

    def shot(self, shot_id: str) -> ShotView | None:
        return next((s for s in self.shots if s.id == shot_id), None)


def _completed(record: Any) -> bool:
    return record is not None and job_status(getattr(record, "status", None)) == JobStatus.COMPLETED


def current_take(shot: Shot, record_of: RecordOf, files: Files) -> Take | None:
    """The shot's chosen take when it is a finished video whose file is there, else None."""
    take = shot.chosen
    record = record_of(take.job_id) if take is not None else None
    return take if _completed(record) and files.has_video(record) else None


def shown_takes(board: Board, record_of: RecordOf, files: Files) -> list[tuple[str, str]]:
    """(shot id, job id) of each shot whose chosen take a reviewer sees now: what becomes a version."""
    found = []
    for shot in board.shots:
        take = current_take(shot, record_of, files)
        if take is not None:
            found.append((shot.id, take.job_id))
    return found


def _state(shot: Shot, take: Take | None, record_of: RecordOf, stale: dict[str, str]
           ) -> tuple[ReviewState, str]:
    if take is not None:
        if shot.id in stale:
            return ReviewState.OUT_OF_DATE, stale[shot.id][0].upper() + stale[shot.id][1:]
        return ReviewState.DONE, _LABELS[ReviewState.DONE]
    state = ShotState.of(getattr(record_of(t.job_id), "status", None) for t in shot.takes)
    if state in (ShotState.QUEUED, ShotState.RUNNING):
        found = ReviewState.IN_PROGRESS
    elif state.ended_without_video:
        found = ReviewState.FAILED
    else:
        found = ReviewState.MISSING
    return found, _LABELS[found]


def _prompt(shot: Shot, take: Take | None, show: bool) -> str | None:
    if not show:
        return None
    sent = take.params.get("prompt") if take is not None and isinstance(take.params, dict) else None
    return str(sent) if sent else shot.prompt


class _Media:
    """A take's media as the view shows it: paths relative to the data dir, and its length."""

    def __init__(self, record_of: RecordOf, files: Files) -> None:
        self.record_of, self.files = record_of, files

    def of(self, shot: Shot, job_id: str) -> tuple[str | None, str | None, float]:
        take = shot.take_for_job(job_id)
        record = self.record_of(job_id) if take is not None else None
        seconds = float(getattr(record, "video_duration", None) or shot.duration)
        if not _completed(record):
            return None, None, seconds
        video = record.video_path if self.files.has_video(record) else None
        poster = record.poster_path if self.files.has_poster(record) else None
        return video, poster, seconds


def build_view(board: Board, *, show_prompts: bool, record_of: RecordOf, files: Files,
               versions: dict[str, list[Version]], notes: Iterable[Note], statuses: Iterable[Status]
               ) -> ReviewView:
    """The view of `board` (its chosen takes already refreshed) with the review's versions, notes and
    statuses. A chosen take not yet among the versions is added as an unshown one (owner's summary)."""
    media, stale = _Media(record_of, files), out_of_date(board)
    by_take: dict[tuple[str, str], list[Note]] = {}
    for note in notes:
        by_take.setdefault((note.shot_id, note.take_job_id), []).append(note)
    verdicts: dict[tuple[str, str], dict[str, ReviewStatus]] = {}
    for status in statuses:  # oldest first: the latest per reviewer wins
        verdicts.setdefault((status.shot_id, status.take_job_id), {})[status.reviewer] = status.status
    shots = []
    for number, shot in enumerate(board.shots, start=1):
        take = current_take(shot, record_of, files)
        stack = list(versions.get(shot.id, []))
        if take is not None and all(v.take_job_id != take.job_id for v in stack):
            stack.append(Version(shot.id, take.job_id, len(stack) + 1, 0.0))

        def version(v: Version, shot: Shot = shot, take: Take | None = take) -> VersionView:
            video, poster, seconds = media.of(shot, v.take_job_id)
            key = (shot.id, v.take_job_id)
            return VersionView(
                number=v.number, take_job_id=v.take_job_id, video=video, poster=poster, duration=seconds,
                prompt=_prompt(shot, shot.take_for_job(v.take_job_id), show_prompts),
                current=take is not None and v.take_job_id == take.job_id,
                notes=threads(by_take.get(key, ())),
                statuses=tuple(sorted(verdicts.get(key, {}).items())), shown=v.first_shown_at > 0,
            )

        stacked = tuple(version(v) for v in stack)
        state, label = _state(shot, take, record_of, stale)
        top = next((v for v in stacked if v.current), None)
        shots.append(ShotView(
            id=shot.id, number=number, title=shot.title, prompt=_prompt(shot, take, show_prompts),
            duration=top.duration if top else float(shot.duration), state=state, state_label=label,
            take_job_id=top.take_job_id if top else None, video=top.video if top else None,
            poster=top.poster if top else None, versions=stacked,
        ))
    return ReviewView(board.id, board.title, board.style, show_prompts, tuple(shots))
