"""Reviewers' statuses per take: approved or changes requested; the latest per reviewer and take wins.

`ReviewStatus` is the one place for the words; a take nobody has set a status on "needs review".
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from seedance_ui.review.rules import DEFAULT_LIMITS, Limits, ReviewRefused, clean_name
from seedance_ui.store.interface import Database

if TYPE_CHECKING:
    from seedance_ui.review.links import Link


class ReviewStatus(StrEnum):
    """A reviewer's verdict on a take (stored by value; shown by `label`)."""

    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    NEEDS_REVIEW = "needs_review"  # nobody has said yet: never stored

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ReviewStatus.APPROVED: "Approved",
    ReviewStatus.CHANGES_REQUESTED: "Changes requested",
    ReviewStatus.NEEDS_REVIEW: "Needs review",
}
SETTABLE = (ReviewStatus.APPROVED, ReviewStatus.CHANGES_REQUESTED)


@dataclass(frozen=True)
class Status:
    """One reviewer's latest status on one take."""

    shot_id: str
    take_job_id: str
    reviewer: str
    status: ReviewStatus
    set_at: float


def set_status(db: Database, link: Link, reviewer: object, shot_id: str, take_job_id: str,
               status: object, *, limits: Limits = DEFAULT_LIMITS, now: float | None = None) -> Status:
    """Set the reviewer's status on a take (the caller checked the take is a version of the shot)."""
    now = time.time() if now is None else now
    name = clean_name(reviewer)
    try:
        verdict = ReviewStatus(status)
    except ValueError:
        verdict = None
    if verdict not in SETTABLE:
        raise ReviewRefused(f"Status: one of {', '.join(s.label for s in SETTABLE)}.")
    assert verdict is not None
    row = {"owner": link.owner, "board_id": link.board_id, "shot_id": shot_id, "take_job_id": take_job_id,
           "reviewer": name, "status": verdict.value, "link_id": link.id, "set_at": now}
    answer = db.set_review_status(row, max_per_link=limits.max_statuses_per_link,
                                  max_recent=limits.statuses_per_minute, since=now - 60)
    if answer == "rate":
        raise ReviewRefused(f"Status: at most {limits.statuses_per_minute} changes a minute; wait a moment.")
    if answer == "quota":
        raise ReviewRefused(f"Status: this link holds at most {limits.max_statuses_per_link:,} statuses.")
    return Status(shot_id, take_job_id, name, verdict, now)


def statuses_of(db: Database, owner: str, board_id: str) -> list[Status]:
    """Every reviewer's latest status per take on the board, oldest first."""
    return [Status(r["shot_id"], r["take_job_id"], r["reviewer"], ReviewStatus(r["status"]), r["set_at"])
            for r in db.review_statuses(owner, board_id)]


def verdict(statuses: Iterable[ReviewStatus]) -> ReviewStatus:
    """A take's status over its reviewers: changes requested by anyone wins, else approved by anyone,
    else needs review."""
    found = set(statuses)
    for status in (ReviewStatus.CHANGES_REQUESTED, ReviewStatus.APPROVED):
        if status in found:
            return status
    return ReviewStatus.NEEDS_REVIEW
