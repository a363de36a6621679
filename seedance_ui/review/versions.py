"""Version stacks: the takes reviewers have been shown as a shot's chosen take, v1, v2, ... in the order
first shown. A version is recorded when a review view is built and the shot's chosen take is new to it;
going back to an older take shows that take's old number again. Notes and statuses attach to a version
(its take's job id), so a new version starts with none and the older ones keep theirs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from seedance_ui.store.interface import Database


@dataclass(frozen=True)
class Version:
    """One version of a shot: its take's job id and its number."""

    shot_id: str
    take_job_id: str
    number: int
    first_shown_at: float

    @property
    def label(self) -> str:
        return version_label(self.number)


def version_label(number: int) -> str:
    """"v2" for version 2."""
    return f"v{number}"


def record_shown(db: Database, owner: str, board_id: str, shown: list[tuple[str, str]],
                 now: float | None = None) -> None:
    """Record (shot id, take job id) pairs reviewers are being shown; new ones become new versions."""
    if shown:
        db.add_review_versions(owner, board_id, shown, time.time() if now is None else now)


def versions_of(db: Database, owner: str, board_id: str) -> dict[str, list[Version]]:
    """Shot id -> its versions, v1 first."""
    found: dict[str, list[Version]] = {}
    for row in db.review_versions(owner, board_id):
        found.setdefault(row["shot_id"], []).append(Version(**row))
    return found
