"""A shared board in a data dir, made before the studio starts on it (the review section's setup):
`python -m bench.review_board --data-dir DIR --shots 24 --quality 720p --seconds 5 --out share.json`.

Run as its own process, the way the studio is then started on the same data dir: it builds the studio's
runtime in demo mode (its built-in simulator, time-scaled), makes a board of `shots` shots, generates
every take through BoardSession as *Generate all* -> *Confirm* does, waits for them all, and shares the
board with `runtime.reviews.share` (the API the Storyboard tab's *Share for review* calls). The token
is written to `--out` as JSON ({"token", "board_id", "shots"}); the runtime is closed before it exits,
so the studio that opens the dir next finds every take finished and the link in its database.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from seedance_ui.config import Settings
from seedance_ui.options import MODEL_FAST
from seedance_ui.runtime import build_runtime
from seedance_ui.store import JobStatus
from seedance_ui.storyboard import Board
from seedance_ui.storyboard.page import Shown
from seedance_ui.storyboard.session import BoardSession, Sent

OWNER = "e" * 32  # the board's owner (a page's owner id); reviewers never see it
SIM_SPEED = 50.0  # the demo simulator's time scale: takes finish in seconds, not minutes
POLL_SECONDS = 0.1  # the manager's poll interval against it, scaled alike
IN_FLIGHT = 12  # jobs at once (the studio's default is 8; more only makes the setup shorter)
TAKE_TIMEOUT = 300.0  # seconds to wait for one take
TITLE = "Review bench"
STYLE = "ink wash, high contrast"


def make_board(shots: int, quality: str, seconds: int) -> Board:
    board = Board(owner=OWNER, title=TITLE, model=MODEL_FAST, quality=quality, aspect_ratio="16:9",
                  generate_audio=False, style=STYLE)
    for number in range(1, shots + 1):
        board.add_shot(title=f"Beat {number}", prompt=f"beat {number}: a kite over a windy beach, the string "
                       "taut", duration=seconds)
    return board


def generate_all(session: BoardSession, manager: object, board: Board) -> Board:
    """Every shot's take, as *Generate all* then *Confirm*; the board once each shot has its take."""
    shown = Shown.of(OWNER, board.id, None)
    plan = session.plan(shown, "all")
    if plan.problems:
        raise RuntimeError(f"the bench board cannot be generated: {plan.problems}")
    sent = session.generate(shown, plan.token("bench"))
    if not isinstance(sent, Sent) or sent.errors or len(sent.takes) != len(board.shots):
        raise RuntimeError(f"the bench board was not sent whole: {sent}")
    for take in sent.takes:
        record = manager.wait(take.job_id, timeout=TAKE_TIMEOUT)  # type: ignore[attr-defined]
        if record.status != JobStatus.COMPLETED:
            raise RuntimeError(f"take {take.job_id} ended {record.status}")
    fresh = session.refreshed(shown)
    if fresh is None or any(shot.chosen is None for shot in fresh.shots):
        raise RuntimeError("a shot of the bench board has no take")
    return fresh


def prepare(data_dir: Path, shots: int, quality: str, seconds: int) -> dict[str, object]:
    settings = Settings(api_key="", data_dir=data_dir, poll_interval=POLL_SECONDS, simulator_speed=SIM_SPEED,
                        max_jobs_per_owner=shots, max_jobs_in_flight=IN_FLIGHT)
    runtime = build_runtime(settings)
    session = BoardSession(runtime.data_dir, runtime.manager, runtime.store)
    try:
        board = session.boards.save(make_board(shots, quality, seconds))
        board = generate_all(session, runtime.manager, board)
        token, _link = runtime.reviews.share(OWNER, board.id)
        return {"token": token, "board_id": board.id, "shots": len(board.shots)}
    finally:
        session.close()
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.review_board")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--shots", type=int, required=True)
    parser.add_argument("--quality", required=True)
    parser.add_argument("--seconds", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    shared = prepare(args.data_dir, args.shots, args.quality, args.seconds)
    args.out.write_text(json.dumps(shared))


if __name__ == "__main__":
    main()
