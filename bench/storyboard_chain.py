"""Storyboard continuity (issue 15): a 12-shot board with two chains of three and six free shots.

The real BoardSession and JobManager against the contract simulator, every task lasting the same fixed
time (the simulator's estimate pinned, no random factor). The board is generated three ways: each shot
one by one (Generate this shot, waiting for its take before the next), the whole board at once with the
per-visitor cap at 12, and at once with the default cap. A run ends when every shot has a finished take
with its video on disk; a chained shot starts from the last frame of the take before it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.common import BENCH_KEY
from bench.polling import BASE_INTERVAL
from seedance_ui.config import Settings
from seedance_ui.jobs import JobManager
from seedance_ui.options import MODEL_FAST
from seedance_ui.runtime import default_client_factory
from seedance_ui.simulator import Simulator
from seedance_ui.store import HistoryStore, JobStatus
from seedance_ui.storyboard import Board
from seedance_ui.storyboard.page import Shown
from seedance_ui.storyboard.session import BoardSession, Sent

OWNER = "b" * 32
ESTIMATE = 60.0  # the simulated task time (s); the simulator's speed turns it into the real task time
CHAINS = (3, 3)  # two chains of three shots (the first of each free, the next two chained)
FREE_SHOTS = 6
ENDED = {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.EXPIRED}


@dataclass
class BoardRun:
    """One way of generating the board: its wall time and how many shots ended without a video."""

    label: str
    cap: int | None  # the per-visitor cap; None for one by one
    wall: float
    shots: int
    failed: int


@dataclass
class ChainResult:
    task: float  # the fixed task time, real seconds
    longest_chain: int
    shots: int
    one_by_one: BoardRun
    at_once: list[BoardRun]

    def lower_bound(self, cap: int) -> float:
        """The least wall time `cap` allows: the longest chain, or the shots spread over the cap."""
        return self.task * max(self.longest_chain, math.ceil(self.shots / cap))


def board_shape() -> list[bool]:
    """Per shot, whether it starts from the end of the shot before it."""
    chained = [i > 0 for length in CHAINS for i in range(length)]
    return chained + [False] * FREE_SHOTS


class _Studio:
    """A job manager and a BoardSession over one data folder, with a per-visitor cap."""

    def __init__(self, sim: Simulator, data: Path, cap: int, speed: float) -> None:
        settings = Settings(api_key=BENCH_KEY, base_url=sim.base_url, files_url=sim.base_url, data_dir=data,
                            poll_interval=BASE_INTERVAL / speed, max_jobs_in_flight=max(8, cap),
                            max_jobs_per_owner=cap)
        self.store = HistoryStore(data)
        self.manager = JobManager(self.store, settings, client_factory=default_client_factory(settings, None))
        self.manager.start()
        self.session = BoardSession(data, self.manager, self.store)

    def close(self) -> None:
        self.session.close()
        self.manager.stop(grace=1.0)
        self.store.close()

    def new_board(self, label: str) -> Board:
        board = Board(owner=OWNER, title=f"Bench {label}", model=MODEL_FAST, quality="480p",
                      generate_audio=False)
        for number, chain in enumerate(board_shape(), 1):
            board.add_shot(title=f"Shot {number}", prompt=f"Bench shot {number}: a kite over a windy beach.",
                           duration=4, chain=chain)
        return self.session.boards.save(board)

    def generate(self, board_id: str, scope: str, shot_id: str | None = None) -> None:
        shown = Shown.of(OWNER, board_id, shot_id)
        plan = self.session.plan(shown, scope)  # type: ignore[arg-type]
        if plan.problems:
            raise RuntimeError(f"the plan has problems: {plan.problems}")
        if not isinstance(self.session.generate(shown, plan.token("bench")), Sent):
            raise RuntimeError("the board changed between plan and generate")

    def ended(self, board_id: str, shot_ids: list[str]) -> int | None:
        """The number of the given shots whose latest take failed, once every one has ended (else None)."""
        board = self.session.boards.get(OWNER, board_id)
        if board is None:
            raise RuntimeError("the bench board is gone")
        failed = 0
        for shot in (board.shot(sid) for sid in shot_ids):
            record = self.manager.get(shot.takes[-1].job_id, OWNER) if shot.takes else None
            if record is None or record.status not in ENDED:
                return None
            failed += record.status is not JobStatus.COMPLETED
        return None if board.pending else failed


def _wait(check: Callable[[], int | None], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while (value := check()) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the board did not finish within {timeout:.0f} s")
        time.sleep(0.02)
    return value


def _one_by_one(studio: _Studio, task: float) -> BoardRun:
    board = studio.new_board("one by one")
    ids, failed = [s.id for s in board.shots], 0
    t0 = time.perf_counter()
    for sid in ids:
        studio.generate(board.id, "shot", sid)
        failed += _wait(lambda sid=sid: studio.ended(board.id, [sid]), timeout=task * 5 + 30)
        studio.session.refreshed(Shown.of(OWNER, board.id, None))  # as the page does: the take is chosen
    return BoardRun("one by one", None, time.perf_counter() - t0, len(ids), failed)


def _at_once(studio: _Studio, cap: int, task: float) -> BoardRun:
    board = studio.new_board(f"cap {cap}")
    ids = [s.id for s in board.shots]
    t0 = time.perf_counter()
    studio.generate(board.id, "all")
    failed = _wait(lambda: studio.ended(board.id, ids), timeout=task * len(ids) * 3 + 30)
    return BoardRun(f"Generate all, cap {cap}", cap, time.perf_counter() - t0, len(ids), failed)


def run(*, work: Path, task: float, caps: tuple[int, ...], seed: int) -> ChainResult:
    """Generate the board one by one (cap 12) and at once under each cap; each in a fresh studio."""
    speed = ESTIMATE / task
    with Simulator(speed=speed, seed=seed, video_cache_dir=work / "videos") as sim:
        sim.behaviour.update(estimated_time=ESTIMATE)
        runs: list[BoardRun] = []
        for i, cap in enumerate((max(caps), *caps)):
            studio = _Studio(sim, work / f"data-{i}", cap, speed)
            try:
                runs.append(_one_by_one(studio, task) if i == 0 else _at_once(studio, cap, task))
            finally:
                studio.close()
    shape = board_shape()
    return ChainResult(task, max(CHAINS), len(shape), runs[0], runs[1:])
