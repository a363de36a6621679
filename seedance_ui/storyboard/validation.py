"""What a shot sends (board settings plus overrides) and what is wrong with it, per field.

The rules read a board through the `BoardLike` protocol (which `model.Board` satisfies) and import
nothing else of the storyboard package: model.py uses them for `Board.effective_request()` and
`Board.problems()`, and the dependency runs one way only, model -> validation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from seedance_ui.client.request import GenerationRequest


class ShotLike(Protocol):
    """What the rules read of a shot (see `model.Shot`)."""

    id: str
    prompt: str
    duration: int


S = TypeVar("S", bound=ShotLike)


class BoardLike(Protocol[S]):
    """What the rules read of a board (see `model.Board`): settings, shots and per-shot overrides."""

    style: str
    aspect_ratio: str

    @property
    def shots(self) -> Sequence[S]: ...
    def model_of(self, shot: S) -> str: ...
    def quality_of(self, shot: S) -> str: ...
    def audio_of(self, shot: S) -> bool: ...
    def number_of(self, shot_id: str) -> int: ...


@dataclass(frozen=True)
class ShotProblem:
    """One broken rule of one shot; `field` is a GenerationRequest field name."""

    shot_id: str
    number: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"Shot {self.number} — {self.field}: {self.message}"


def compose_prompt(prompt: str, style: str) -> str:
    """The prompt as sent: `prompt, style` when a style line is set (empty prompt stays empty)."""
    prompt, style = prompt.strip(), style.strip()
    if not prompt or not style:
        return prompt
    return f"{prompt}, {style}"


def effective_request(board: BoardLike[S], shot: S) -> GenerationRequest:
    """The request a shot sends: its prompt plus the style line, board settings unless overridden."""
    return GenerationRequest(
        prompt=compose_prompt(shot.prompt, board.style),
        model=board.model_of(shot),
        duration=shot.duration,
        quality=board.quality_of(shot),
        aspect_ratio=board.aspect_ratio,
        generate_audio=board.audio_of(shot),
    )


def shot_problems(board: BoardLike[S], shot: S) -> list[ShotProblem]:
    """Every rule the shot's effective request breaks (an empty prompt counts even with a style)."""
    number = board.number_of(shot.id)
    return [
        ShotProblem(shot.id, number, err.field, err.rule) for err in effective_request(board, shot).problems()
    ]


def board_problems(board: BoardLike[S]) -> list[ShotProblem]:
    """Problems of every shot, in shot order."""
    return [p for shot in board.shots for p in shot_problems(board, shot)]
