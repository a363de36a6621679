"""Prompt versions: every Studio prompt and every shot keeps its versions (typed, enhanced, varied,
translated, restored, imported), each with its source and time, persisted through the store.

A subject is "studio" (the Studio prompt) or "board:<board_id>:shot:<shot_id>". Adding the text the
subject already has is a no-op that returns the latest version; a subject keeps its `KEEP_VERSIONS`
newest versions. Every read is scoped to the owner: another owner's version id finds nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seedance_ui.store import Database, new_job_id
from seedance_ui.store.records import is_valid_job_id
from seedance_ui.storyboard.model import MAX_PROMPT_CHARS

SOURCES = ("typed", "enhanced", "varied", "translated", "restored", "imported")
STUDIO_SUBJECT = "studio"
KEEP_VERSIONS = 200  # versions kept per subject (the oldest go)
MAX_LIST = 200  # versions one list returns at most
_SUBJECT_RE = re.compile(r"studio|board:[0-9a-f]{32}:shot:[0-9a-f]{32}")


def shot_subject(board_id: str, shot_id: str) -> str:
    """The subject of a board's shot."""
    return f"board:{board_id}:shot:{shot_id}"


@dataclass(frozen=True)
class PromptVersion:
    """One version of a subject's prompt."""

    id: str
    owner: str
    subject: str
    text: str
    source: str
    created_at: float


class PromptVersions:
    """Versions per owner and subject, in the studio's database."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def add(self, owner: str, subject: str, text: str, source: str) -> PromptVersion:
        """Keep `text` as the subject's newest version (no-op returning the latest if it is the same)."""
        _check(owner, subject)
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
        if not isinstance(text, str) or len(text) > MAX_PROMPT_CHARS:
            raise ValueError(f"text must be a string of at most {MAX_PROMPT_CHARS:,} characters")
        row = {"id": new_job_id(), "owner": owner, "subject": subject, "text": text, "source": source,
               "created_at": self._clock()}
        return _version(self._db.add_prompt_version(row, keep=KEEP_VERSIONS))

    def list(self, owner: str, subject: str, limit: int = 50) -> list[PromptVersion]:
        """The subject's versions, newest first."""
        _check(owner, subject)
        rows = self._db.prompt_versions(owner, subject, max(0, min(int(limit), MAX_LIST)))
        return [_version(r) for r in rows]

    def get(self, owner: str, version_id: str) -> PromptVersion | None:
        """The owner's version with this id, or None (unknown, malformed or another owner's)."""
        if not isinstance(owner, str) or not owner or not is_valid_job_id(version_id):
            return None
        row = self._db.prompt_version(owner, version_id)
        return None if row is None else _version(row)


def _check(owner: str, subject: str) -> None:
    if not isinstance(owner, str) or not owner:
        raise ValueError("owner must be a non-empty string")
    if not isinstance(subject, str) or not _SUBJECT_RE.fullmatch(subject):
        raise ValueError("subject must be 'studio' or 'board:<board id>:shot:<shot id>'")


def _version(row: dict[str, Any]) -> PromptVersion:
    return PromptVersion(row["id"], row["owner"], row["subject"], row["text"], row["source"],
                         float(row["created_at"]))
