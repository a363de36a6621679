"""The owner's side of a review as the tab redraws it: the review's components of a render (the bar above
the tiles, the selected shot's notes, the links, the review timer), worked out from one
`runtime.reviews.owner_summary`. Used by `TabPanel.live` (every render) and the Review panel's timer.

Only a board that was shared has a review: for any other the review parts are empty and the timer sleeps.
"""

from __future__ import annotations

import hashlib
from typing import Any

import gradio as gr

from seedance_ui.review import OwnerSummary, ReviewRefused
from seedance_ui.ui.common import Out
from seedance_ui.ui.storyboard import review_views as rvv
from seedance_ui.ui.storyboard import views as sv
from seedance_ui.ui.storyboard.page import Page

REVIEW_TICK_SECONDS = 2.0  # how often an open board that was shared looks for reviewers' news (< 5 s)


def summary_of(runtime: Any, page: Page, owner: str | None, board_id: str | None) -> OwnerSummary | None:
    """The owner's summary of a shared board (new notes counted since they last marked them read); None
    for a board never shared, or without a review service."""
    reviews = getattr(runtime, "reviews", None)
    if reviews is None or not owner or not board_id or not reviews.has_review(owner, board_id):
        return None
    try:
        return reviews.owner_summary(owner, board_id)
    except ReviewRefused:
        return None


def signature(summary: OwnerSummary | None, shot_id: str | None) -> str:
    """Changes when anything the owner's review parts show does (statuses, notes, versions, links)."""
    if summary is None:
        return ""
    parts: list[Any] = [shot_id, summary.new_notes]
    for shot in summary.view.shots:
        parts.append((shot.id, shot.state, [(v.number, v.current, v.statuses) for v in shot.versions]))
        for version in shot.versions:
            parts.extend((n.id, n.resolved, len(n.replies)) for n in version.notes)
    parts.extend((link.id, link.last_opened_at, link.revoked_at) for link in summary.links)
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def review_out(page: Page, summary: OwnerSummary | None, view: sv.ShotView | None) -> Out:
    """The review's components of a render, for the selected shot `view` (the tab's own ShotView: its
    chosen take's player carries the notes' times)."""
    chosen = view.chosen if view is not None and view.chosen is not None and view.chosen.playable else None
    shot = summary.shot(view.shot.id) if summary is not None and view is not None else None
    links = summary.links if summary is not None else ()
    return {
        page.review_bar: rvv.review_bar_html(summary),
        page.review_notes: rvv.notes_html(
            shot, chosen.video_url if chosen else None, chosen.poster_url if chosen else None
        ),
        page.review_links: rvv.links_html(links),
        page.revoke_pick: gr.update(choices=rvv.link_choices(links), value=None),
        page.review_timer: gr.Timer(active=summary is not None),
        page.review_sig: signature(summary, view.shot.id if view is not None else None),
    }


def with_review_marks(marks: dict[str, str], summary: OwnerSummary | None) -> dict[str, str]:
    """The tiles' marks (continuity) with each shot's review line after them."""
    for shot_id, line in rvv.tile_marks(summary).items():
        marks[shot_id] = marks.get(shot_id, "") + line
    return marks

