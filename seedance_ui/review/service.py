"""`ReviewService`: the one object the pages use for reviews, one short method per verb.

Built once per process by `runtime.build_runtime` (as `runtime.reviews`) over the history store (the
one database, the job records and their files) and its boards (rows of that database). No Gradio.
Every verb that acts through a link re-reads the link first, so a revoked or expired link stops working
at once.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from seedance_ui.review import links as link_rules
from seedance_ui.review import notes as note_rules
from seedance_ui.review.exports import edl, notes_csv, zip_files
from seedance_ui.review.links import Link, OpenLimiter
from seedance_ui.review.notes import Note
from seedance_ui.review.owner import OwnerSummary, summarize
from seedance_ui.review.rules import (
    DEFAULT_EXPIRY_DAYS,
    DEFAULT_LIMITS,
    Limits,
    LinkClosed,
    PassphraseNeeded,
    ReviewRefused,
)
from seedance_ui.review.statuses import ReviewStatus, Status, set_status, statuses_of
from seedance_ui.review.versions import Version, record_shown, versions_of
from seedance_ui.review.view import ReviewView, build_view, current_take, shown_takes
from seedance_ui.store import HistoryStore
from seedance_ui.storyboard.history import OwnerJobs
from seedance_ui.storyboard.model import Board, is_valid_id
from seedance_ui.storyboard.persist import BoardStore
from seedance_ui.storyboard.plan import refresh_chosen

TICKET_SECRET_NAME = "review-media-ticket"
MediaKind = Literal["video", "poster"]


class ReviewService:
    """Share links, the reviewer's view, notes, statuses, the owner's summary and the exports."""

    def __init__(self, store: HistoryStore, *, limits: Limits = DEFAULT_LIMITS,
                 boards: BoardStore | None = None, clock: Callable[[], float] = time.time) -> None:
        self.store, self.db, self.limits, self.clock = store, store.db, limits, clock
        self.boards = boards or BoardStore(store.data_dir, store.quota, store.db)
        self.limiter = OpenLimiter(limits)
        self._secret = store.app_secret(TICKET_SECRET_NAME)

    # -- the owner's links -------------------------------------------------------------------------
    def share(self, owner: str, board_id: str, *, expires_in_days: int = DEFAULT_EXPIRY_DAYS,
              passphrase: str | None = None, show_prompts: bool = True) -> tuple[str, Link]:
        """A new link to the owner's board: (token for the URL, shown once; the link)."""
        if not is_valid_id(board_id) or self.boards.get(owner, board_id) is None:
            raise ReviewRefused("Share: that board is not one of yours (save it first).")
        return link_rules.share(self.db, owner, board_id, expires_in_days=expires_in_days,
                                passphrase=passphrase, show_prompts=show_prompts, limits=self.limits,
                                now=self.clock())

    def links(self, owner: str, board_id: str) -> list[Link]:
        return link_rules.links(self.db, owner, board_id)

    def revoke(self, owner: str, link_id: str) -> bool:
        return link_rules.revoke(self.db, owner, link_id, self.clock())

    def revoke_board(self, owner: str, board_id: str) -> int:
        """Revoke every open link to a board (it was deleted); how many were open."""
        links = [link for link in self.links(owner, board_id) if link.revoked_at is None]
        return sum(self.revoke(owner, link.id) for link in links)

    def has_review(self, owner: str, board_id: str) -> bool:
        """The board was ever shared for review."""
        return bool(self.db.review_links(owner, board_id))

    # -- the reviewer's link -------------------------------------------------------------------------
    def open(self, token: object, passphrase: str | None = None, *, address: str | None = None) -> Link:
        """The link a token opens, with its media `ticket`. LinkClosed (one answer for wrong, revoked,
        expired or board gone), PassphraseNeeded, or TooManyTries for an address that failed too often."""
        self.limiter.check(address)
        try:
            link = link_rules.open_link(self.db, token, passphrase, self.clock())
        except PassphraseNeeded:
            if passphrase:
                self.limiter.failed(address)
            raise
        if link is None or self.boards.get(link.owner, link.board_id) is None:
            self.limiter.failed(address)
            raise LinkClosed()
        return replace(link, ticket=self._ticket(link.id))

    def alive(self, link: Link) -> bool:
        """The link still opens (for a page polling while it is open; no `last_opened_at` change)."""
        try:
            self._live(link)
        except LinkClosed:
            return False
        return True

    def view(self, link: Link) -> ReviewView:
        """The board as the link shows it; the chosen takes shown become versions."""
        live = self._live(link)
        board, jobs = self._board(live.owner, live.board_id)
        known = versions_of(self.db, live.owner, live.board_id)
        seen = {(shot_id, v.take_job_id) for shot_id, found in known.items() for v in found}
        new = [pair for pair in shown_takes(board, jobs.record, self.store) if pair not in seen]
        if new:  # a write only when a chosen take is new to the reviewers
            record_shown(self.db, live.owner, live.board_id, new, self.clock())
            known = versions_of(self.db, live.owner, live.board_id)
        return self._build(board, jobs, live.show_prompts, versions=known)

    def media_key(self, ticket: object, job_id: object, kind: MediaKind = "video") -> str | None:
        """What the media route serves for a ticket, as its path relative to the data directory: a video
        or poster of a take the link shows (a chosen take or a version still on the board) whose file is
        here or in the bucket; None for anything else, or a closed link. Nothing is downloaded (presigned
        delivery only redirects to it)."""
        record = self._shown_record(ticket, job_id)
        stored = None if record is None else (record.video_path if kind == "video" else record.poster_path)
        return stored if stored and self.store.has_file(stored) else None

    def media_file(self, ticket: object, job_id: object, kind: MediaKind = "video") -> Path | None:
        """`media_key`'s file as a local path (fetched from the bucket when this replica lacks it), for a
        route that sends the bytes itself."""
        record = self._shown_record(ticket, job_id)
        if record is None:
            return None
        return self.store.video_file(record) if kind == "video" else self.store.poster_file(record)

    def _shown_record(self, ticket: object, job_id: object) -> Any | None:
        """The job record of `job_id` when the ticket's link is open and shows one of its takes."""
        try:
            live = self._live(Link("", "", "", False, False, 0.0, 0.0, ticket=str(ticket)))
            board, jobs = self._board(live.owner, live.board_id)
        except LinkClosed:
            return None
        shown = {(s, j) for s, j in shown_takes(board, jobs.record, self.store)}
        versions = versions_of(self.db, live.owner, live.board_id)
        shown |= {(s, v.take_job_id) for s, found in versions.items() for v in found}
        if not any(j == job_id and _on_board(board, s, j) for s, j in shown):
            return None
        return jobs.record(str(job_id))

    # -- notes and statuses --------------------------------------------------------------------------
    def add_note(self, link: Link, shot_id: str, take_job_id: str, seconds: float, reviewer: str,
                 text: str, parent_id: str | None = None) -> Note:
        """A note on a version of a shot at `seconds` into it (a reply with `parent_id`)."""
        live = self._live(link)
        board, jobs = self._board(live.owner, live.board_id)
        self._check_version(live, board, shot_id, take_job_id)
        record = jobs.record(take_job_id)
        duration = float(getattr(record, "video_duration", None) or board.shot(shot_id).duration)
        return note_rules.add_note(self.db, live, shot_id, take_job_id, seconds, reviewer, text, parent_id,
                                   duration=duration, limits=self.limits, now=self.clock())

    def reply(self, link: Link, parent_id: str, reviewer: str, text: str) -> Note:
        """A reply under a note (at that note's take and time)."""
        live = self._live(link)
        parent = self.db.review_note(parent_id) if is_valid_id(parent_id) else None
        if parent is None or (parent["owner"], parent["board_id"]) != (live.owner, live.board_id):
            raise ReviewRefused("Reply: the note it answers is not on this board.")
        return note_rules.add_note(self.db, live, parent["shot_id"], parent["take_job_id"], parent["seconds"],
                                   reviewer, text, parent_id, duration=parent["seconds"], limits=self.limits,
                                   now=self.clock())

    def resolve(self, owner: str, note_id: str, resolved: bool = True) -> bool:
        """The owner resolves a note (or opens it again); False when they have no such note."""
        return note_rules.resolve(self.db, owner, note_id, resolved, self.clock())

    def approve(self, link: Link, reviewer: str, shot_id: str, take_job_id: str) -> Status:
        return self._status(link, reviewer, shot_id, take_job_id, ReviewStatus.APPROVED)

    def request_changes(self, link: Link, reviewer: str, shot_id: str, take_job_id: str) -> Status:
        return self._status(link, reviewer, shot_id, take_job_id, ReviewStatus.CHANGES_REQUESTED)

    def _status(self, link: Link, reviewer: str, shot_id: str, take_job_id: str,
                status: ReviewStatus) -> Status:
        live = self._live(link)
        board, jobs = self._board(live.owner, live.board_id)
        self._check_version(live, board, shot_id, take_job_id)
        take = current_take(board.shot(shot_id), jobs.record, self.store)
        if take is None or take.job_id != take_job_id:
            number = board.number_of(shot_id)
            raise ReviewRefused(f"Status: shot {number} has a newer version; review that one.")
        return set_status(self.db, live, reviewer, shot_id, take_job_id, status, limits=self.limits,
                          now=self.clock())

    # -- the owner's summary and the exports -----------------------------------------------------------
    def owner_summary(self, owner: str, board_id: str, since: float | None = None) -> OwnerSummary:
        """Statuses and notes per shot (current version), and how many notes are newer than `since`
        (None: than when the owner last marked them read, kept in the store across restarts)."""
        board, jobs = self._owned(owner, board_id)
        notes = note_rules.notes_of(self.db, owner, board_id)
        view = self._build(board, jobs, True, notes)
        seen = self.db.review_seen(owner, board_id) if since is None else since
        return summarize(view, notes, seen, self.links(owner, board_id))

    def mark_seen(self, owner: str, board_id: str, at: float | None = None) -> None:
        """The owner read the board's notes: those written until `at` (now) are no longer new."""
        self._owned(owner, board_id)
        self.db.mark_review_seen(owner, board_id, time.time() if at is None else at)

    def export_csv(self, owner: str, board_id: str) -> str:
        """The review's notes as CSV text (every version)."""
        return notes_csv(self._build(*self._owned(owner, board_id), True))

    def export_edl(self, owner: str, board_id: str) -> str:
        """The board's timeline as a CMX 3600 EDL, one comment per note of the current versions."""
        return edl(self._build(*self._owned(owner, board_id), True))

    def zip_files(self, board: Board) -> dict[str, str]:
        """What the board's review zip adds (name -> text): the notes CSV and the EDL, once shared."""
        if not self.has_review(board.owner, board.id):
            return {}
        return zip_files(self._build(*self._owned(board.owner, board.id), True))

    def attach(self, session: Any) -> None:
        """Let a BoardSession's review zip carry the review's files (`BoardSession.review_files`)."""
        session.review_files = self.zip_files

    # -- helpers ----------------------------------------------------------------------------------------
    def _ticket(self, link_id: str) -> str:
        digest = hmac.new(self._secret, link_id.encode("ascii"), hashlib.sha256).hexdigest()
        return f"{link_id}.{digest}"

    def _live(self, link: Link) -> Link:
        """The link as it is now (from the database), if `link` carries its ticket and it still opens."""
        link_id, _, _digest = str(link.ticket).partition(".")
        if not is_valid_id(link_id) or not hmac.compare_digest(self._ticket(link_id), str(link.ticket)):
            raise LinkClosed()
        live = link_rules.current(self.db, link_id, self.clock())
        if live is None:
            raise LinkClosed()
        return replace(live, ticket=link.ticket)

    def _board(self, owner: str, board_id: str) -> tuple[Board, OwnerJobs]:
        """The board with its chosen takes refreshed (in memory only), and its owner's jobs."""
        board = self.boards.get(owner, board_id)
        if board is None:
            raise LinkClosed()
        jobs = OwnerJobs(self.store, owner)
        refresh_chosen(board, jobs.status_of)
        return board, jobs

    def _owned(self, owner: str, board_id: str) -> tuple[Board, OwnerJobs]:
        if not is_valid_id(board_id):
            raise ReviewRefused("That board is not one of yours.")
        try:
            return self._board(owner, board_id)
        except LinkClosed:
            raise ReviewRefused("That board is not one of yours.") from None

    def _build(self, board: Board, jobs: OwnerJobs, show_prompts: bool, notes: list[Note] | None = None,
               versions: dict[str, list[Version]] | None = None) -> ReviewView:
        owner = board.owner
        return build_view(
            board, show_prompts=show_prompts, record_of=jobs.record, files=self.store,
            versions=versions_of(self.db, owner, board.id) if versions is None else versions,
            notes=note_rules.notes_of(self.db, owner, board.id) if notes is None else notes,
            statuses=statuses_of(self.db, owner, board.id),
        )

    def _check_version(self, live: Link, board: Board, shot_id: str, take_job_id: str) -> None:
        """The take is a version of the shot that reviewers were shown."""
        if not _on_board(board, shot_id, None):
            raise ReviewRefused("Shot: that shot is not on this board.")
        known = versions_of(self.db, live.owner, live.board_id).get(shot_id, [])
        if all(v.take_job_id != take_job_id for v in known):
            raise ReviewRefused("Take: that take is not a version of this shot.")


def _on_board(board: Board, shot_id: object, job_id: object) -> bool:
    """The shot is on the board (and, with `job_id`, that job is still one of its takes)."""
    shot = next((s for s in board.shots if s.id == shot_id), None)
    return shot is not None and (job_id is None or shot.take_for_job(str(job_id)) is not None)
