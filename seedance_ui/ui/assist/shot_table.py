"""A planned shot list as the editable table shows it, and back: `rows_of(plan)` for the table,
`check_rows(rows, cast)` -> the shots as the writer left them (checked by the board's own rules through
`llm.plan.check_plan`) or the problems, named by row and column; `drafts(...)` -> the board's Shot fields.
Pure: no Gradio, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from seedance_ui.llm.events import PlannedShot
from seedance_ui.llm.plan import check_plan
from seedance_ui.storyboard.validation import FROM_LAST_FRAME, name_key

COLUMNS = ("title", "prompt", "duration", "continues", "cast")
# "continues" as yes / no text: Gradio's bool cells are checkboxes nested in a button with no name (axe:
# nested-interactive, label), which a screen reader cannot operate.
DATATYPES = ("str", "str", "number", "str", "str")
YES, NO = "yes", "no"
CAST_SEPARATOR = ","
_MENTION = re.compile(r"@\[([^\]\n]*)\]")
_TRUE = {"true", "yes", "y", "1", "x", "✓"}
_FALSE = {"false", "no", "n", "0", ""}


@dataclass(frozen=True)
class Checked:
    """The table's shots (`shots`, when it has no problems), the cast names the board lacks, the problems."""

    shots: tuple[PlannedShot, ...] = ()
    unknown_cast: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def rows_of(shots: Sequence[PlannedShot]) -> list[list[Any]]:
    """The table's rows: title, prompt, duration, continues (yes or no), cast (names joined by commas)."""
    return [[s.title, s.prompt, s.duration, YES if s.continues else NO, ", ".join(s.cast)] for s in shots]


def _flag(value: Any) -> Any:
    """A table cell read as true or false (a typed "yes" too); anything else as it is (the rules say)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    return True if text in _TRUE else False if text in _FALSE else value


def _number(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return value


def check_rows(rows: Any, cast_names: Sequence[str]) -> Checked:
    """The edited table checked as a plan: each row's fields, then the board's rules."""
    table = [list(r) for r in rows or [] if any(str(c).strip() for c in r if c is not None)]
    if not table:
        return Checked(problems=("The table has no shots: plan them again or type a row.",))
    items = []
    for row in table:
        cells = (row + [None] * len(COLUMNS))[: len(COLUMNS)]
        title, prompt, duration, continues, cast = cells
        names = [n.strip() for n in str(cast or "").split(CAST_SEPARATOR) if n.strip()]
        items.append(
            {
                "title": str(title or ""),
                "prompt": str(prompt or ""),
                "duration": _number(duration),
                "continues": _flag(continues),
                "cast": names,
            }
        )
    result = check_plan({"shots": items}, cast_names)
    return Checked(result.shots, result.unknown_cast, tuple(result.problems))


def plain_mentions(prompt: str, names: Sequence[str]) -> str:
    """`prompt` with each `@[name]` of `names` written as the plain name (a cast entry not on the board yet:
    a mention of it could not be sent)."""
    keys = {name_key(n) for n in names}
    return _MENTION.sub(lambda m: m.group(1) if name_key(m.group(1)) in keys else m.group(0), prompt)


def drafts(shots: Sequence[PlannedShot], cast_ids: dict[str, str]) -> list[dict[str, Any]]:
    """Shot fields for the board: known cast names (keyed by `name_key`) ticked by id; the others left
    out, their mentions written as plain names."""
    out = []
    for shot in shots:
        ids = [cast_ids[name_key(n)] for n in shot.cast if name_key(n) in cast_ids]
        unknown = [n for n in shot.cast if name_key(n) not in cast_ids]
        out.append(
            {
                "title": shot.title,
                "prompt": plain_mentions(shot.prompt, unknown),
                "duration": shot.duration,
                "chain": shot.continues,
                "continues": FROM_LAST_FRAME,
                "cast": ids,
            }
        )
    return out
