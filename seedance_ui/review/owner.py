"""The owner's side of a review: the board as reviewers see it (with prompts), and what is new."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from seedance_ui.review.links import Link
from seedance_ui.review.notes import Note
from seedance_ui.review.view import ReviewView, ShotView


@dataclass(frozen=True)
class OwnerSummary:
    """Per shot (`view.shots[i]`): the current version's statuses, verdict and notes (a chosen take no
    reviewer has seen yet is a version with `shown=False` and no statuses: "needs review"). `new_notes`
    counts notes and replies written after the time the owner last looked."""

    view: ReviewView
    new_notes: int
    latest_note_at: float | None
    links: tuple[Link, ...]

    @property
    def summary(self) -> str:
        return self.view.summary

    def shot(self, shot_id: str) -> ShotView | None:
        return self.view.shot(shot_id)


def summarize(view: ReviewView, notes: Iterable[Note], since: float, links: Iterable[Link]) -> OwnerSummary:
    """The owner's summary of `view`, counting the notes written after `since` (epoch s)."""
    times = [n.created_at for n in notes]
    return OwnerSummary(view, sum(1 for t in times if t > since), max(times, default=None), tuple(links))
