"""A big history seeded through the store (and a storyboard through the board store), as a visitor who has
worked for months would have it: Studio shots of every mode and status, and one board's takes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from seedance_ui.options import MODE_FRAMES, MODE_REFERENCES, MODE_TEXT, MODEL_FAST, model_id
from seedance_ui.store import HistoryStore, JobRecord, JobStatus
from seedance_ui.storyboard.model import Board, Take
from seedance_ui.storyboard.persist import BoardStore

MODES = (MODE_TEXT, MODE_FRAMES, MODE_REFERENCES)
BOARD_TITLE = "Lighthouse"


def studio_prompt(i: int) -> str:
    """The i-th Studio shot's prompt: a unique word (`marker<i>`) and a long tail that a caption cuts."""
    return (f"Studio shot marker{i:03d}: a paper boat drifts past the harbour wall while gulls circle "
            "overhead and the evening light turns the water to copper, slow dolly in, shallow depth")


def studio_status(i: int) -> JobStatus:
    return JobStatus.FAILED if i % 10 == 0 else JobStatus.PROCESSING if i % 10 == 1 else JobStatus.COMPLETED


@dataclass
class Seeded:
    owner: str
    board: Board
    studio: list[str] = field(default_factory=list)  # job ids, oldest first
    takes: list[str] = field(default_factory=list)  # job ids, oldest first


def seed_history(store: HistoryStore, owner: str, *, studio: int = 200, shots: int = 10, takes: int = 3,
                 start: float | None = None) -> Seeded:
    """`studio` Studio jobs (mode i % 3, a failed one every 10th, a running one after it) and a board
    "Lighthouse" of `shots` shots with `takes` takes each, its last shot an extension; the takes are the
    newest jobs. Created a second apart, oldest first."""
    start = time.time() - 100_000 if start is None else start
    board = Board(owner=owner, title=BOARD_TITLE)
    seeded = Seeded(owner, board)
    for i in range(studio):
        params = {"prompt": studio_prompt(i), "model": model_id(MODES[i % 3], "Fast"), "duration": 5,
                  "aspect_ratio": "16:9", "quality": "720p"}
        record = JobRecord.new(owner, params, status=studio_status(i), created_at=start + i)
        store.add(record)
        seeded.studio.append(record.id)
    stamp = start + studio
    for n in range(1, shots + 1):
        shot = board.add_shot(title=f"Shot {n}", prompt=f"The keeper climbs the stairs, beat {n}")
        if n == shots:
            shot.extends = seeded.takes[-1] if seeded.takes else None
        for _t in range(takes):
            model = model_id(MODE_REFERENCES, "Fast") if shot.extends else MODEL_FAST
            params = {"prompt": f"The keeper climbs the stairs, beat {n}", "model": model, "duration": 4}
            record = JobRecord.new(owner, params, status=JobStatus.COMPLETED, created_at=stamp)
            stamp += 1
            store.add(record)
            shot.takes.append(Take(job_id=record.id))
            seeded.takes.append(record.id)
    BoardStore(Path(store.data_dir), db=store.db).save(board)
    return seeded
