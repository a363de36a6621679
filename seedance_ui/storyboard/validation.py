"""What a shot sends (board settings plus overrides) and what is wrong with it, per field."""

from __future__ import annotations

from dataclasses import dataclass

from seedance_ui.client import GenerationRequest
from seedance_ui.storyboard.model import Board, Shot, compose_prompt


@dataclass(frozen=True)
class ShotProblem:
    """One broken rule of one shot; `field` is a GenerationRequest field name."""

    shot_id: str
    number: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"Shot {self.number} — {self.field}: {self.message}"


def effective_request(board: Board, shot: Shot) -> GenerationRequest:
    """The request a shot sends: its prompt plus the style line, board settings unless overridden."""
    return GenerationRequest(
        prompt=compose_prompt(shot.prompt, board.style),
        model=board.model_of(shot),
        duration=shot.duration,
        quality=board.quality_of(shot),
        aspect_ratio=board.aspect_ratio,
        generate_audio=board.audio_of(shot),
    )


def shot_problems(board: Board, shot: Shot) -> list[ShotProblem]:
    """Every rule the shot's effective request breaks (an empty prompt counts even with a style)."""
    number = board.number_of(shot.id)
    return [
        ShotProblem(shot.id, number, err.field, err.rule) for err in effective_request(board, shot).problems()
    ]


def board_problems(board: Board) -> list[ShotProblem]:
    """Problems of every shot, in shot order."""
    return [p for shot in board.shots for p in shot_problems(board, shot)]
