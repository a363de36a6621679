"""Board reviews as a team: share links, the reviewer's view, time-coded notes, statuses, version stacks.

No Gradio here (it may import storyboard, store, media; never ui). The pages use ONE object,
`ReviewService`, reachable as `runtime.reviews`. This API is stable: extend it, do not change it.

Owner (the Storyboard tab; `owner` is the page's owner id, as for BoardSession):
    token, link = reviews.share(owner, board_id, expires_in_days=7, passphrase=None, show_prompts=True)
        -> the URL carries `token` (shown once, kept only as a SHA-256); expires_in_days 1..90
    reviews.links(owner, board_id) -> [Link]     newest first: created_at, expires_at, last_opened_at,
                                                 revoked_at, has_passphrase, show_prompts
    reviews.revoke(owner, link_id) -> bool       at once: every later call through the link fails
    reviews.owner_summary(owner, board_id, since=None) -> OwnerSummary
        .view: ReviewView (prompts shown); .view.shots[i].statuses / .notes / .verdict of the current
        version; .new_notes: notes written after `since` (None: after the owner's last mark_seen);
        .summary: "3 of 4 shots approved"
    reviews.mark_seen(owner, board_id, at=None)  "Mark read": kept in the store, so it survives a restart
    reviews.resolve(owner, note_id, resolved=True) -> bool
    reviews.export_csv(owner, board_id) -> str   reviews.export_edl(owner, board_id) -> str
    reviews.has_review(owner, board_id) -> bool
    reviews.attach(board_session)                the session's review zip then adds review-notes.csv
                                                 and review-timeline.edl for a board that was shared

Reviewer (the review page; `address` is the hashed client address):
    link = reviews.open(token, passphrase=None, address=address) -> Link (with `.ticket`)
        raises LinkClosed (ONE message for wrong, revoked, expired, board gone), PassphraseNeeded,
        TooManyTries (an address with Limits.failed_opens failures in Limits.failed_open_window s)
    reviews.alive(link) -> bool                   poll it (no write); False once revoked or expired
    view = reviews.view(link) -> ReviewView       everything the page may show, and nothing else:
        view.title, view.style, view.summary, view.shots[i]: number, title, prompt (None when the link
        hides prompts), duration, state (ReviewState) and state_label ("Out of date: continues an older
        take", "Failed: no video", ...), take_job_id, video, poster (data-dir-relative: serve them ONLY
        through the media route below), versions[j] (v1 first; .label "v2", .current, .notes threaded
        with .replies, .statuses ((reviewer, ReviewStatus), ...), .verdict, .video, .poster)
    reviews.media_file(link.ticket, job_id, "video" | "poster") -> Path | None
        the media route's only way to a file: None unless the link is open and the job is a take the
        link shows (a chosen take or a version still on the board)
    reviews.media_key(link.ticket, job_id, "video" | "poster") -> str | None
        the same check for presigned delivery: the file's data-dir-relative path when it is here or in
        the bucket, nothing downloaded (the route redirects to the bucket)
    reviews.add_note(link, shot_id, take_job_id, seconds, reviewer, text, parent_id=None) -> Note
    reviews.reply(link, parent_id, reviewer, text) -> Note
    reviews.approve(link, reviewer, shot_id, take_job_id) -> Status
    reviews.request_changes(link, reviewer, shot_id, take_job_id) -> Status

Every refusal is a `ReviewRefused` (`.message` names the field and the rule, for people): notes are
plain text (pages escape them), 1..MAX_NOTE_CHARS after stripping; reviewer names 1..MAX_REVIEWER_CHARS;
a note's time lies within its take; notes and statuses go on versions reviewers were shown (statuses
on the current one only); per link, Limits.notes_per_minute and Limits.max_notes_per_link. Times print
as m:ss with `timecode(seconds)`; status words come from `ReviewStatus` (.label: "Approved",
"Changes requested", "Needs review").
"""

from seedance_ui.review.links import Link, OpenLimiter
from seedance_ui.review.notes import Note
from seedance_ui.review.owner import OwnerSummary
from seedance_ui.review.rules import (
    DEFAULT_EXPIRY_DAYS,
    MAX_EXPIRY_DAYS,
    MAX_NOTE_CHARS,
    MAX_REVIEWER_CHARS,
    MIN_EXPIRY_DAYS,
    Limits,
    LinkClosed,
    PassphraseNeeded,
    ReviewRefused,
    TooManyTries,
    timecode,
)
from seedance_ui.review.service import ReviewService
from seedance_ui.review.statuses import ReviewStatus, Status
from seedance_ui.review.versions import Version
from seedance_ui.review.view import ReviewState, ReviewView, ShotView, VersionView

__all__ = [
    "DEFAULT_EXPIRY_DAYS",
    "MAX_EXPIRY_DAYS",
    "MAX_NOTE_CHARS",
    "MAX_REVIEWER_CHARS",
    "MIN_EXPIRY_DAYS",
    "Limits",
    "Link",
    "LinkClosed",
    "Note",
    "OpenLimiter",
    "OwnerSummary",
    "PassphraseNeeded",
    "ReviewRefused",
    "ReviewService",
    "ReviewState",
    "ReviewStatus",
    "ReviewView",
    "ShotView",
    "Status",
    "TooManyTries",
    "Version",
    "VersionView",
    "timecode",
]
