"""A shot plan from the model's JSON, validated by the board's own rules, its cast names matched.

The answer is parsed as JSON (a fenced ```json block is accepted), each shot's fields are checked by
type, then the shots are put on a scratch board (`storyboard.model.Board`) whose cast holds the board's
names and the new ones, and the board's own `board_problems` judge them (prompt limits, duration 4-15,
`@[name]` mentions, a first shot that cannot continue). Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from seedance_ui.llm.events import PlannedShot
from seedance_ui.llm.guard import clean
from seedance_ui.storyboard.cast import name_problem
from seedance_ui.storyboard.model import MAX_TITLE_CHARS, Board, CastEntry, Shot
from seedance_ui.storyboard.validation import FROM_LAST_FRAME, board_problems, name_key

MAX_PLAN_SHOTS = 60  # shots one plan may propose
MAX_PROBLEMS_SHOWN = 8  # validation errors listed (in the retry and in the final failure)
_FENCE_RE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)
_PLACEHOLDER_SHA = "0" * 64
# The scratch board's pictures do not exist (a plan is text; new cast entries get pictures later).
_PICTURE_FIELDS = ("reference_images", "first_frame")


@dataclass(frozen=True)
class Checked:
    """A plan that passed (`shots`), or the problems found (`problems`)."""

    shots: tuple[PlannedShot, ...] = ()
    unknown_cast: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def parse_json(raw: str) -> tuple[Any, str | None]:
    """(the parsed object, None), or (None, why it is not JSON)."""
    text = clean(raw).strip()
    fenced = _FENCE_RE.match(text)
    if fenced:
        text = fenced.group(1)
    if not text:
        return None, "the answer was empty"
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, f"the answer is not valid JSON ({exc.msg} at character {exc.pos})"


def check_plan(data: Any, cast_names: Sequence[str]) -> Checked:
    """The plan in `data` ({"shots": [...]}) checked field by field, then by the board's rules."""
    shots = data.get("shots") if isinstance(data, dict) else None
    if not isinstance(shots, list) or not shots:
        return Checked(problems=("the answer must be an object with a non-empty list \"shots\"",))
    if len(shots) > MAX_PLAN_SHOTS:
        return Checked(problems=(f"a plan holds at most {MAX_PLAN_SHOTS} shots (got {len(shots)})",))
    known = {name_key(n): n for n in cast_names}
    problems: list[str] = []
    planned: list[PlannedShot] = []
    new_names: dict[str, str] = {}
    for number, item in enumerate(shots, start=1):
        shot, errors = _shot(number, item, known, new_names)
        problems += errors
        if shot is not None:
            planned.append(shot)
    if not problems:
        problems += _board_problems(planned, [*cast_names, *new_names.values()])
    if problems:
        return Checked(problems=tuple(problems[:MAX_PROBLEMS_SHOWN]))
    return Checked(shots=tuple(planned), unknown_cast=tuple(new_names.values()))


def _shot(number: int, item: Any, known: dict[str, str],
          new_names: dict[str, str]) -> tuple[PlannedShot | None, list[str]]:
    """One shot's fields by type; cast names matched to the board's spelling, new ones collected."""
    if not isinstance(item, dict):
        return None, [f"Shot {number}: must be an object"]
    errors: list[str] = []
    title, prompt = item.get("title"), item.get("prompt")
    duration, continues, cast = item.get("duration"), item.get("continues"), item.get("cast", [])
    if not isinstance(title, str) or not title.strip() or len(title.strip()) > MAX_TITLE_CHARS:
        errors.append(f"Shot {number} — title: must be text of 1 to {MAX_TITLE_CHARS} characters")
    if not isinstance(prompt, str) or not prompt.strip():
        errors.append(f"Shot {number} — prompt: must be non-empty text")
    if isinstance(duration, float) and duration.is_integer():
        duration = int(duration)
    if not isinstance(duration, int) or isinstance(duration, bool):
        errors.append(f"Shot {number} — duration: must be a whole number of seconds")
    if not isinstance(continues, bool):
        errors.append(f"Shot {number} — continues: must be true or false")
    names: list[str] = []
    if not isinstance(cast, list) or not all(isinstance(n, str) for n in cast):
        errors.append(f"Shot {number} — cast: must be a list of names")
    else:
        for raw in cast:
            name, error = _cast_name(raw, known, new_names)
            if error:
                errors.append(f"Shot {number} — cast: {error}")
            elif name not in names:
                names.append(name)
    if errors:
        return None, errors
    return PlannedShot(clean(title).strip(), clean(prompt).strip(), duration, continues, tuple(names)), []


def _cast_name(raw: str, known: dict[str, str], new_names: dict[str, str]) -> tuple[str, str | None]:
    """(the name as the board spells it, or a new name; None) or ("", why it cannot be a name)."""
    name = " ".join(clean(raw).split())
    key = name_key(name)
    if key in known:
        return known[key], None
    if key in new_names:
        return new_names[key], None
    problem = name_problem(name, [])
    if problem:
        return "", problem
    new_names[key] = name
    return name, None


def _board_problems(planned: Sequence[PlannedShot], names: Sequence[str]) -> list[str]:
    """The board's own rules on the planned shots (a scratch board; its cast has no pictures)."""
    board = Board(owner="plan")
    entries = {name_key(n): CastEntry(name=n, sha256=_PLACEHOLDER_SHA, suffix=".png") for n in names}
    board.cast = list(entries.values())
    for p in planned:
        ids = [entries[name_key(n)].id for n in p.cast]
        board.shots.append(Shot(title=p.title, prompt=p.prompt, duration=p.duration, cast=ids,
                                chain=p.continues, continues=FROM_LAST_FRAME))
    found = board_problems(board)
    return [str(problem) for problem in found if not problem.field.startswith(_PICTURE_FIELDS)]
