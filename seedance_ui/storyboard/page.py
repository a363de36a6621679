"""What a storyboard page shows and sends back with each event, and how that is written into a board.

The page sends the board settings and the shot editor's fields with every event (`Shown`); a value that
is not a valid choice, or not of the right type, is ignored rather than saved. `page_values` is the
other direction: the values a page shows for a board and its selected shot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from seedance_ui.options import (
    ASPECT_RATIOS,
    DEFAULT_DURATION,
    DURATION_MAX,
    DURATION_MIN,
    MODEL_FAST,
    MODELS,
    QUALITIES,
)
from seedance_ui.storyboard.model import (
    MAX_PROMPT_CHARS,
    MAX_STYLE_CHARS,
    MAX_TITLE_CHARS,
    Board,
    Shot,
    is_valid_id,
)
from seedance_ui.storyboard.validation import CONTINUES, FROM_LAST_FRAME

BOARD = "board"  # the "follow the board" choice of a per-shot override
AUDIO_CHOICES = {BOARD: None, "on": True, "off": False}  # the per-shot audio override: page -> shot

SAMPLE_TITLE = "The lighthouse keeper — teaser"
SAMPLE_STYLE = "cinematic, 35mm film grain, muted teal and amber palette"
SAMPLE_SHOTS = (
    (
        "Storm at dusk",
        "Wide establishing shot of a lone lighthouse on a black rock as a storm rolls in at dusk, waves "
        "exploding against the cliffs, slow aerial push-in",
    ),
    (
        "The keeper",
        "Close-up of an old lighthouse keeper lighting an oil lamp, warm flicker on his weathered face, rain "
        "streaking the window behind him",
    ),
    (
        "The beam",
        "The lighthouse beam sweeps across the dark sea and finds a small fishing boat fighting the swell, "
        "low angle, the camera tilts up to the light",
    ),
)


@dataclass(frozen=True)
class Shown:
    """The owner, the open board and shot, and what the settings and editor fields show (raw values)."""

    owner: str | None
    board_id: str | None
    shot_id: str | None
    title: Any = None
    style: Any = None
    aspect_ratio: Any = None
    quality: Any = None
    model: Any = None
    audio: Any = None
    shot_title: Any = None
    shot_prompt: Any = None
    shot_duration: Any = None
    shot_model: Any = None
    shot_quality: Any = None
    shot_audio: Any = None
    shot_cast: Any = None  # the ids of the cast entries ticked for the shot
    shot_chain: Any = None  # "start from the end of the previous shot"
    shot_continues: Any = None  # from its last frame (FROM_LAST_FRAME) or its whole video (FROM_VIDEO)
    session: str | None = None  # the page's own id (a Gradio session), for PageMemory

    @classmethod
    def of(
        cls,
        owner: str | None,
        board_id: Any,
        shot_id: Any,
        values: Mapping[str, Any] | None = None,
        session: str | None = None,
    ) -> Shown:
        """From what a page sent: ids that are not ours are dropped, `values` maps field name -> value."""
        return cls(
            owner,
            board_id if is_valid_id(board_id) else None,
            shot_id if is_valid_id(shot_id) else None,
            **{name: value for name, value in (values or {}).items() if name in FIELDS},
            session=session,
        )

    def values(self) -> dict[str, Any]:
        """Field name -> value, for the FIELDS."""
        return {name: getattr(self, name) for name in FIELDS}


# The fields a page shows and sends back (every Shown field but the ids and the session).
FIELDS = tuple(f.name for f in fields(Shown) if f.name not in ("owner", "board_id", "shot_id", "session"))
SHOT_FIELDS = tuple(name for name in FIELDS if name.startswith("shot_"))


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _duration(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return max(DURATION_MIN, min(DURATION_MAX, int(value)))


def _override(value: Any, allowed: Any) -> tuple[bool, Any]:
    """(valid, value) of a per-shot override radio: BOARD -> None."""
    if value == BOARD:
        return True, None
    if value in allowed:
        return True, value
    return False, None


class _Changes:
    """Sets attributes that differ and remembers whether any did."""

    def __init__(self) -> None:
        self.changed = False

    def put(self, obj: Any, name: str, value: Any) -> None:
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            self.changed = True


def apply_shown(board: Board, shown: Shown) -> bool:
    """Write what the settings and editor show into the board; True when anything changed."""
    changes = _Changes()
    put = changes.put
    title = _text(shown.title, MAX_TITLE_CHARS)
    if title is not None and title.strip():
        put(board, "title", title.strip())
    style = _text(shown.style, MAX_STYLE_CHARS)
    if style is not None:
        put(board, "style", style)
    if shown.aspect_ratio in ASPECT_RATIOS:
        put(board, "aspect_ratio", shown.aspect_ratio)
    if shown.quality in QUALITIES:
        put(board, "quality", shown.quality)
    if shown.model in MODELS:
        put(board, "model", shown.model)
    if isinstance(shown.audio, bool):
        put(board, "generate_audio", shown.audio)
    shot = find_shot(board, shown.shot_id)
    if shot is not None:
        _apply_shot(board, shot, shown, put)
    if changes.changed:
        board.touch()
    return changes.changed


def _apply_shot(board: Board, shot: Shot, shown: Shown, put: Any) -> None:
    shot_title = _text(shown.shot_title, MAX_TITLE_CHARS)
    if shot_title is not None:
        put(shot, "title", shot_title)
    prompt = _text(shown.shot_prompt, MAX_PROMPT_CHARS)
    if prompt is not None:
        put(shot, "prompt", prompt)
    duration = _duration(shown.shot_duration)
    if duration is not None:
        put(shot, "duration", duration)
    overrides = (("model", shown.shot_model, MODELS), ("quality", shown.shot_quality, QUALITIES))
    for name, value, allowed in overrides:
        ok, override = _override(value, allowed)
        if ok:
            put(shot, name, override)
    if shown.shot_audio in AUDIO_CHOICES:
        put(shot, "generate_audio", AUDIO_CHOICES[shown.shot_audio])
    if isinstance(shown.shot_cast, list | tuple):
        ticked = set(shown.shot_cast)
        put(shot, "cast", [e.id for e in board.cast if e.id in ticked])
    if isinstance(shown.shot_chain, bool):
        put(shot, "chain", shown.shot_chain)
    if shown.shot_continues in CONTINUES:
        put(shot, "continues", shown.shot_continues)


def page_values(board: Board, shot: Shot | None) -> dict[str, Any]:
    """What a page shows for `board` with `shot` selected: field name -> value (shot fields only with a
    shot). A value that is not a valid choice shows as no choice."""
    values: dict[str, Any] = {
        "title": board.title,
        "style": board.style,
        "aspect_ratio": board.aspect_ratio if board.aspect_ratio in ASPECT_RATIOS else None,
        "quality": board.quality if board.quality in QUALITIES else None,
        "model": board.model if board.model in MODELS else None,
        "audio": board.generate_audio,
    }
    if shot is not None:
        audio = next((k for k, v in AUDIO_CHOICES.items() if v is shot.generate_audio), BOARD)
        values.update(
            shot_title=shot.title,
            shot_prompt=shot.prompt,
            shot_duration=shot.duration if isinstance(shot.duration, int) else DEFAULT_DURATION,
            shot_model=shot.model if shot.model in MODELS else BOARD,
            shot_quality=shot.quality if shot.quality in QUALITIES else BOARD,
            shot_audio=audio,
            shot_cast=[e.id for e in board.cast_of(shot)],
            shot_chain=shot.chain,
            shot_continues=shot.continues if shot.continues in CONTINUES else FROM_LAST_FRAME,
        )
    return values


def find_shot(board: Board | None, shot_id: str | None) -> Shot | None:
    """The shot with this id on the board, None when there is none (or no board, or no id)."""
    if board is None or not shot_id:
        return None
    try:
        return board.shot(shot_id)
    except KeyError:
        return None


def sample_board(owner: str) -> Board:
    """The first board a visitor sees: three shots ready to price (nothing is generated)."""
    board = Board(owner=owner, title=SAMPLE_TITLE, style=SAMPLE_STYLE, quality="480p", model=MODEL_FAST)
    for title, prompt in SAMPLE_SHOTS:
        board.add_shot(title=title, prompt=prompt, duration=DEFAULT_DURATION)
    return board
