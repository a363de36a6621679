"""Time-coded notes on a take: plain text, capped, per-link rate-limited and bounded; replies thread.

A note pins a shot, a take (its version) and a time within the take. A reply answers a note of the same
shot and takes that note's take and time; replies to replies join the same thread. The owner resolves
notes. Every write is one database transaction, so writers at the same time lose nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from seedance_ui.review.rules import (
    DEFAULT_LIMITS,
    Limits,
    ReviewRefused,
    clean_name,
    clean_seconds,
    clean_text,
    timecode,
)
from seedance_ui.store.interface import Database
from seedance_ui.storyboard.model import is_valid_id, new_id

if TYPE_CHECKING:
    from seedance_ui.review.links import Link


@dataclass(frozen=True)
class Note:
    """A note or a reply (`parent_id`: the thread's first note). `text` is plain text: escape it."""

    id: str
    shot_id: str
    take_job_id: str
    seconds: float
    reviewer: str
    text: str
    created_at: float
    parent_id: str | None = None
    resolved_at: float | None = None
    replies: tuple[Note, ...] = ()

    @property
    def timecode(self) -> str:
        """The time as m:ss (0:02)."""
        return timecode(self.seconds)

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None

    @classmethod
    def of(cls, row: dict[str, Any]) -> Note:
        return cls(id=row["id"], shot_id=row["shot_id"], take_job_id=row["take_job_id"],
                   seconds=row["seconds"], reviewer=row["reviewer"], text=row["body"],
                   created_at=row["created_at"], parent_id=row["parent_id"], resolved_at=row["resolved_at"])


def add_note(db: Database, link: Link, shot_id: str, take_job_id: str, seconds: object, reviewer: object,
             text: object, parent_id: str | None = None, *, duration: float, limits: Limits = DEFAULT_LIMITS,
             now: float | None = None) -> Note:
    """Add a note at `seconds` (0..`duration`, the take's length) or, with `parent_id`, a reply to a note
    of the same shot (at that note's take and time). The caller checked the take is a version of the
    shot. ReviewRefused with the field and the rule for bad input, a full link or too many a minute."""
    now = time.time() if now is None else now
    body, name = clean_text(text), clean_name(reviewer)
    if parent_id is not None:
        parent = db.review_note(parent_id) if is_valid_id(parent_id) else None
        if parent is None or (parent["owner"], parent["board_id"], parent["shot_id"]) != (
            link.owner, link.board_id, shot_id
        ):
            raise ReviewRefused("Reply: the note it answers is not on this shot.")
        take_job_id, at = parent["take_job_id"], parent["seconds"]
        parent_id = parent["parent_id"] or parent_id  # a reply to a reply joins the thread
    else:
        at = clean_seconds(seconds, duration)
    row = {"id": new_id(), "link_id": link.id, "owner": link.owner, "board_id": link.board_id,
           "shot_id": shot_id, "take_job_id": take_job_id, "seconds": at, "reviewer": name, "body": body,
           "parent_id": parent_id, "created_at": now, "resolved_at": None}
    answer = db.add_review_note(row, max_per_link=limits.max_notes_per_link,
                                max_recent=limits.notes_per_minute, since=now - 60)
    if answer == "quota":
        raise ReviewRefused(
            f"Notes: one review link holds at most {limits.max_notes_per_link:,} notes; "
            "ask the owner for a new link."
        )
    if answer == "rate":
        raise ReviewRefused(f"Notes: at most {limits.notes_per_minute} a minute on one link; wait a moment.")
    return Note.of(row)


def notes_of(db: Database, owner: str, board_id: str) -> list[Note]:
    """Every note and reply on the board, oldest first (flat)."""
    return [Note.of(row) for row in db.review_notes(owner, board_id)]


def threads(notes: Iterable[Note]) -> tuple[Note, ...]:
    """Notes with their replies (oldest first) under them, by time in the take, then age."""
    flat = list(notes)
    replies: dict[str, list[Note]] = {}
    for note in flat:
        if note.parent_id is not None:
            replies.setdefault(note.parent_id, []).append(note)
    roots = [replace(n, replies=tuple(replies.get(n.id, ()))) for n in flat if n.parent_id is None]
    return tuple(sorted(roots, key=lambda n: (n.seconds, n.created_at)))


def resolve(db: Database, owner: str, note_id: str, resolved: bool = True, now: float | None = None) -> bool:
    """The owner marks a note resolved (or open again); False when they have no such note."""
    if not is_valid_id(note_id):
        return False
    return db.resolve_review_note(owner, note_id, (time.time() if now is None else now) if resolved else None)
