"""Cost of a board before anything is submitted (published prices, see seedance_ui.pricing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from seedance_ui.pricing import estimate
from seedance_ui.storyboard.model import Board, Shot
from seedance_ui.storyboard.plan import JobStatusOf, shots_to_generate


@dataclass(frozen=True)
class ShotEstimate:
    """Estimated cost of one shot; `error` says why it could not be priced (credits are then 0)."""

    shot_id: str
    number: int
    title: str
    model: str
    quality: str
    duration: int
    credits: float
    usd: float
    error: str | None = None


class BoardEstimate(NamedTuple):
    """Totals over the shots counted, and one line per counted shot."""

    credits: float
    usd: float
    shots: list[ShotEstimate]


def shot_estimate(board: Board, shot: Shot) -> ShotEstimate:
    """The price of the request the shot sends (a cast or a chain picks the references or frames model)."""
    model, quality = board.effective_request(shot).model, board.quality_of(shot)
    base = {
        "shot_id": shot.id,
        "number": board.number_of(shot.id),
        "title": shot.title,
        "model": model,
        "quality": quality,
        "duration": shot.duration,
    }
    try:
        if isinstance(shot.duration, bool) or not isinstance(shot.duration, int):
            raise TypeError
        seconds = board.input_video_seconds(shot)
        price = estimate(model, quality, shot.duration, input_video_seconds=seconds)
    except KeyError:
        return ShotEstimate(
            **base, credits=0.0, usd=0.0, error=f"no published price for {model} at {quality}"
        )
    except TypeError:
        return ShotEstimate(**base, credits=0.0, usd=0.0, error="the duration is not a whole number")
    if price.credits is None or price.usd is None:
        extra = f" with {seconds:g} s of input video ({price.billed_seconds:g} s billed)" if seconds else ""
        return ShotEstimate(**base, credits=0.0, usd=0.0, error=f"price not published for {model}{extra}")
    return ShotEstimate(**base, credits=price.credits, usd=price.usd)


def board_estimate(
    board: Board, only_missing: bool = False, job_status_of: JobStatusOf | None = None
) -> BoardEstimate:
    """(total credits, total usd, per-shot list) for every shot, or only those still to generate.

    `only_missing` uses shots_to_generate(..., "missing_or_failed", job_status_of); without
    `job_status_of` a shot counts as missing when it has no take at all.
    """
    shots = shots_to_generate(board, "missing_or_failed" if only_missing else "all", job_status_of)
    lines = [shot_estimate(board, shot) for shot in shots]
    return BoardEstimate(
        credits=round(sum(line.credits for line in lines), 4),
        usd=round(sum(line.usd for line in lines), 4),
        shots=lines,
    )
