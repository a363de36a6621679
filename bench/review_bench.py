"""Storyboard review (issue 21): the reviewer's page from the outside (bench/review_page.py: its usable
time, and the studio's cheap calls with reviewers open), and the animatic of a board, copied vs encoded.

For the animatic, a board of `shots` distinct takes, each a placeholder clip from the simulator's
renderer (as demo mode makes them: H.264 + AAC, 24 fps, at the board's quality), exported as the
Storyboard tab exports it (title cards on) twice per run: with the takes' packets copied (the default)
and with every take re-encoded (`remux=False`, the way every animatic was made before). The clips are
rendered once, before timing.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bench import review_page
from seedance_ui.simulator.render import VideoSpec, render_video
from seedance_ui.storyboard import Board, export_animatic, record_take
from seedance_ui.storyboard.plan import choose_take


@dataclass(frozen=True)
class ExportRun:
    """One way of exporting: wall times of the runs, and what the last run made."""

    label: str
    seconds: list[float]
    remuxed: int
    encoded: int
    duration: float  # seconds of animatic
    size: int  # bytes

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass(frozen=True)
class ReviewResult:
    shots: int
    quality: str
    take_seconds: int
    remuxed: ExportRun
    encoded: ExportRun
    page: review_page.PageResult | None = None  # None: the page part was not run (the smoke test)


def _board(folder: Path, shots: int, quality: str, seconds: int) -> tuple[Board, dict[str, Path]]:
    board = Board(owner="b" * 32, title="Review bench", quality=quality, aspect_ratio="16:9")
    videos: dict[str, Path] = {}
    for number in range(1, shots + 1):
        job = f"{number:032x}"
        prompt = f"Shot {number}: a kite over a windy beach, the string taut."
        spec = VideoSpec(prompt=prompt, duration=seconds, quality=quality)
        videos[job] = render_video(spec, folder / f"take-{number}.mp4")
        shot = board.add_shot(title=f"Kite {number}", prompt=spec.prompt, duration=seconds)
        choose_take(board, shot.id, record_take(board, shot.id, job).id)
    return board, videos


def _export(label: str, board: Board, videos: dict[str, Path], out: Path, runs: int, remux: bool
            ) -> ExportRun:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = export_animatic(board, out, videos.get, remux=remux)
        times.append(time.perf_counter() - t0)
    size = result.path.stat().st_size
    return ExportRun(label, times, result.remuxed, result.encoded, result.duration, size)


def run(*, work: Path, shots: int, quality: str, seconds: int, runs: int,
        page: review_page.PagePlan | None) -> ReviewResult:
    """The page runs (`page`: their plan; None: none), then the animatic: render the takes, time `runs`
    copied exports and one encoded one (it is the slow baseline)."""
    measured = None
    if page is not None:
        measured = review_page.run(work=work / "page", shots=shots, quality=quality, seconds=seconds,
                                   plan=page)
    (work / "takes").mkdir(parents=True, exist_ok=True)
    board, videos = _board(work / "takes", shots, quality, seconds)
    remuxed = _export("remuxed", board, videos, work / "remuxed", runs, remux=True)
    encoded = _export("re-encoded", board, videos, work / "encoded", 1, remux=False)
    return ReviewResult(shots, quality, seconds, remuxed, encoded, measured)
