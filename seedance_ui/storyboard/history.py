"""Owner-scoped views of the job history, shaped as the planning and export functions want them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seedance_ui.storyboard.clips import JobInfo, job_info_from_record
from seedance_ui.storyboard.model import Board
from seedance_ui.storyboard.states import status_value


class OwnerJobs:
    """Look up a board's jobs in a HistoryStore (or look-alike) as one owner; records cached per instance.

    `history` needs `get(job_id, owner) -> record | None` and `video_file(record) -> Path | None`
    (seedance_ui.store.HistoryStore has both). Make a fresh instance for each plan or export.
    """

    def __init__(self, history: Any, owner: str) -> None:
        self.history = history
        self.owner = owner
        self._records: dict[str, Any] = {}

    def record(self, job_id: str) -> Any | None:
        if job_id not in self._records:
            self._records[job_id] = self.history.get(job_id, self.owner)
        return self._records[job_id]

    def status_of(self, job_id: str) -> str | None:
        """The job's status value, None when the owner has no such job."""
        return status_value(getattr(self.record(job_id), "status", None))

    def video_path_of(self, job_id: str) -> Path | None:
        """The job's downloaded video, None when there is none (or it is someone else's job)."""
        record = self.record(job_id)
        return None if record is None else self.history.video_file(record)

    def infos(self, board: Board) -> dict[str, JobInfo]:
        """JobInfo for every take on the board whose job the owner has."""
        out = {}
        for shot in board.shots:
            for take in shot.takes:
                record = self.record(take.job_id)
                if record is not None:
                    out[take.job_id] = job_info_from_record(record)
        return out
