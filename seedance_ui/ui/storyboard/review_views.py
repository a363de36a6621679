"""HTML for the owner's side of a review in the Storyboard tab: the verdict line on each tile, the board's
review bar ("3 of 4 shots approved · 2 new notes"), the selected shot's notes under its player, and the
list of share links.

Pure functions from the review backend's objects (seedance_ui.review) to HTML strings: no Gradio. Notes
and reviewer names are plain text from people outside the studio: every one goes through `esc`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from seedance_ui.review import Link, Note, OwnerSummary, ReviewState, ReviewStatus, ShotView, VersionView
from seedance_ui.ui.views import esc, notice_html

EXPIRY_CHOICES = (1, 3, 7, 14, 30, 90)  # days a new link stays open (the backend's 1..90)
_TONES = {
    ReviewStatus.APPROVED: "ok", ReviewStatus.CHANGES_REQUESTED: "bad", ReviewStatus.NEEDS_REVIEW: "muted"
}


def when(epoch: float | None, empty: str = "never") -> str:
    """A moment as the owner reads it ("14 Mar 09:30", the server's local time); `empty` for none."""
    return time.strftime("%d %b %H:%M", time.localtime(epoch)) if epoch else empty


def verdict_text(version: VersionView | None) -> str:
    """What a tile says of the current version: "v1 · 2 approved · 1 changes", or "v2 — needs review"."""
    if version is None:
        return ""
    counts = {s: sum(1 for _n, v in version.statuses if v == s) for s in ReviewStatus}
    parts = []
    if counts[ReviewStatus.APPROVED]:
        parts.append(f"{counts[ReviewStatus.APPROVED]} approved")
    if counts[ReviewStatus.CHANGES_REQUESTED]:
        parts.append(f"{counts[ReviewStatus.CHANGES_REQUESTED]} changes")
    if not parts:
        return f"{version.label} — needs review"
    return " · ".join([version.label, *parts])


def tile_review_html(shot: ShotView) -> str:
    """One tile's review line (its current version's verdict and open notes); "" for a shot with no
    version yet."""
    version = shot.current
    if version is None:
        return ""
    open_notes = sum(1 for n in version.notes if not n.resolved)
    notes = f' · {open_notes} note{"s" if open_notes != 1 else ""}' if open_notes else ""
    names = ", ".join(f"{name}: {status.label}" for name, status in version.statuses)
    title = f' title="{esc(names)}"' if names else ""
    return (
        f'<div class="sb-review-line is-{_TONES[version.verdict]}" data-verdict="{version.verdict}" '
        f'data-version="{version.number}"{title}>'
        f'<span class="sb-review-dot" aria-hidden="true"></span>{esc(verdict_text(version))}{notes}</div>'
    )


def tile_marks(summary: OwnerSummary | None) -> dict[str, str]:
    """shot id -> its tile's review line (empty for a board never shared)."""
    if summary is None:
        return {}
    return {shot.id: tile_review_html(shot) for shot in summary.view.shots}


def review_bar_html(summary: OwnerSummary | None) -> str:
    """The board's review at a glance, above the tiles: "3 of 4 shots approved", the new notes since the
    owner last marked them read ("Mark read"), and the shots that are not what a reviewer expects."""
    if summary is None:
        return ""
    view = summary.view
    open_links = sum(1 for link in summary.links if link.revoked_at is None and link.expires_at > time.time())
    new = summary.new_notes
    new_html = (
        f'<span class="sb-review-new" data-new="{new}"><b>{new}</b> new note{"s" if new != 1 else ""}</span>'
        '<button type="button" class="sb-review-seen" data-action="seen">Mark read</button>'
        if new
        else '<span class="sb-review-new" data-new="0">No new notes</span>'
    )
    changes = sum(1 for s in view.shots if s.verdict == ReviewStatus.CHANGES_REQUESTED)
    changes_html = (
        f'<span class="sb-review-changes">{changes} with changes requested</span>' if changes else ""
    )
    return (
        f'<div class="sb-review-bar" data-approved="{view.approved}" data-shots="{len(view.shots)}">'
        '<span class="sb-review-kicker">Review</span>'
        f'<span class="sb-review-summary">{esc(view.summary)}</span>{changes_html}{new_html}'
        f'<span class="sb-review-links">{open_links} open link{"s" if open_links != 1 else ""}</span></div>'
    )


# --------------------------------------------------------------------------------------------------
# The selected shot's notes (in the shot editor)


def _note_html(note: Note, reply: bool = False) -> str:
    seek = (
        f'<button type="button" class="sb-note-time" data-seek="{note.seconds:.3f}" '
        f'aria-label="Play from {esc(note.timecode)}">{esc(note.timecode)}</button>'
    )
    resolve = ""
    if not reply:
        verb, word = ("reopen", "Reopen") if note.resolved else ("resolve", "Resolve")
        resolve = (
            f'<button type="button" class="sb-note-resolve" data-action="{verb}" data-note="{esc(note.id)}">'
            f"{word}</button>"
        )
    replies = "".join(_note_html(r, reply=True) for r in note.replies)
    replies_html = f'<ol class="sb-note-replies">{replies}</ol>' if replies else ""
    state = " is-resolved" if note.resolved else ""
    return (
        f'<li class="sb-note{state}{" is-reply" if reply else ""}" data-note="{esc(note.id)}">'
        f'<div class="sb-note-head">{seek}<b class="sb-note-who">{esc(note.reviewer)}</b>'
        f'<span class="sb-note-when">{esc(when(note.created_at))}</span>'
        f'{"<span class=sb-note-done>Resolved</span>" if note.resolved else ""}{resolve}</div>'
        f'<div class="sb-note-text">{esc(note.text)}</div>{replies_html}</li>'
    )


def notes_html(shot: ShotView | None, video_url: str | None, poster_url: str | None = None) -> str:
    """The selected shot's review: its current version's statuses and notes under a player of that take;
    a note's time seeks the player (the notes script). "" when the board was never shared."""
    if shot is None:
        return ""
    version = shot.current
    head = "Review notes"
    if shot.state != ReviewState.DONE:
        warn = notice_html("warning", f"Reviewers see: {shot.state_label}.")
    else:
        warn = ""
    if version is None:
        return (
            f'<div class="sb-review-notes" data-shot="{esc(shot.id)}">'
            f'<div class="sb-takes-title">{esc(head)}</div>'
            f'{warn}<div class="sb-takes-none">No take on the board yet: nothing to review.</div></div>'
        )
    chips = f'<span class="sb-review-chip is-version">{esc(version.label)} on the board</span>' + (
        "".join(
            f'<span class="sb-review-chip is-{_TONES[s]}">{esc(name)}: {esc(s.label)}</span>'
            for name, s in version.statuses
        )
        or '<span class="sb-review-chip is-muted">Needs review</span>'
    )
    player = (
        f'<video class="sb-review-video" src="{esc(video_url)}" poster="{esc(poster_url or "")}" '
        'preload="metadata" playsinline controls></video>'
        if video_url
        else ""
    )
    notes = "".join(_note_html(n) for n in version.notes)
    listed = (
        f'<ol class="sb-note-list">{notes}</ol>'
        if notes
        else '<div class="sb-takes-none">No notes on this version yet.</div>'
    )
    older = sum(len(v.notes) for v in shot.versions if not v.current)
    older_html = (
        f'<div class="sb-review-older">{older} note{"s" if older != 1 else ""} on earlier versions '
        "(in the Notes CSV, and one click away on the review page).</div>"
        if older
        else ""
    )
    return (
        f'<div class="sb-review-notes" data-shot="{esc(shot.id)}" data-version="{version.number}" '
        f'data-notes="{len(version.notes)}"><div class="sb-takes-title">{esc(head)} '
        f'<span>{len(version.notes)}</span></div>{warn}<div class="sb-review-chips">{chips}</div>'
        f"{player}{listed}{older_html}</div>"
    )


# --------------------------------------------------------------------------------------------------
# The share links (the Review panel)


def link_state(link: Link, now: float) -> str:
    if link.revoked_at is not None:
        return "Revoked"
    return "Open" if link.expires_at > now else "Expired"


def links_html(links: Sequence[Link], now: float | None = None) -> str:
    """The board's links, newest first: created, expires, last opened, passphrase, prompts, state."""
    if not links:
        return '<div class="sb-links is-empty">No review links yet for this board.</div>'
    now = time.time() if now is None else now
    rows = []
    for number, link in enumerate(links, start=1):
        state = link_state(link, now)
        rows.append(
            f'<tr data-link="{esc(link.id)}" data-state="{state.lower()}">'
            f'<th scope="row">Link {len(links) - number + 1}</th>'
            f'<td data-label="Created">{esc(when(link.created_at))}</td>'
            f'<td data-label="Expires">{esc(when(link.expires_at))}</td>'
            f'<td data-label="Last opened">{esc(when(link.last_opened_at))}</td>'
            f'<td data-label="Passphrase">{"yes" if link.has_passphrase else "no"}</td>'
            f'<td data-label="Prompts">{"shown" if link.show_prompts else "hidden"}</td>'
            f'<td data-label="State"><span class="sb-link-state is-{state.lower()}">{state}</span></td></tr>'
        )
    return (
        '<div class="sb-links" role="region" aria-label="Review links" tabindex="0"><table><thead><tr>'
        '<th scope="col">Link</th><th scope="col">Created</th><th scope="col">Expires</th>'
        '<th scope="col">Last opened</th><th scope="col">Passphrase</th><th scope="col">Prompts</th>'
        f'<th scope="col">State</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )


def link_choices(links: Sequence[Link], now: float | None = None) -> list[tuple[str, str]]:
    """(label, link id) of the links that still open: what *Revoke* can close."""
    now = time.time() if now is None else now
    return [
        (f"Link {len(links) - i} · created {when(link.created_at)}", link.id)
        for i, link in enumerate(links)
        if link.open_at(now)
    ]


__all__ = [
    "EXPIRY_CHOICES",
    "link_choices",
    "links_html",
    "notes_html",
    "review_bar_html",
    "tile_marks",
    "verdict_text",
]
