"""CSV import/export of a board's shots, for spreadsheets (board settings travel in JSON only).

Columns: shot, title, prompt, duration, model, quality, generate_audio, cast, chain. Export writes each
shot's effective model/quality/audio; on import a value equal to the board's setting (or a blank cell)
means "follow the board", anything else becomes a per-shot override. `cast` lists the names of the
board's cast entries the shot uses, separated by "; " (a name the board has not is an error); `chain`
is true when the shot starts from the last frame of the previous one, `video` when it continues that
shot's whole video, false otherwise (both written only for a board that has a cast or a chained shot,
so other boards keep the seven columns). The `shot` column is informational:
rows are taken in file order. Unknown columns are ignored.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

from seedance_ui.options import DEFAULT_DURATION, DURATION_MAX, DURATION_MIN, MODELS, QUALITIES
from seedance_ui.storyboard.jsonio import MAX_IMPORT_BYTES
from seedance_ui.storyboard.model import (
    MAX_PROMPT_CHARS,
    MAX_SHOTS,
    MAX_TITLE_CHARS,
    Board,
    BoardFormatError,
    Shot,
)
from seedance_ui.storyboard.validation import FROM_LAST_FRAME, FROM_VIDEO, name_key

COLUMNS: tuple[str, ...] = ("shot", "title", "prompt", "duration", "model", "quality", "generate_audio")
CONTINUITY_COLUMNS: tuple[str, ...] = ("cast", "chain")  # written when the board has a cast or a chain
ALL_COLUMNS = (*COLUMNS, *CONTINUITY_COLUMNS)
CAST_SEPARATOR = "; "
CHAIN_VIDEO = "video"  # the `chain` cell of a shot that continues the previous shot's video
REQUIRED_COLUMNS: tuple[str, ...] = ("prompt",)

# Cells a spreadsheet would run as a formula get a leading apostrophe on export (stripped on import):
# a tab or carriage return first, or =, +, -, @ after any leading white space (spreadsheets trim it).
_FORMULA_RE = re.compile(r"^'*(?:[\t\r]|\s*[=+\-@])")
_ESCAPED_RE = re.compile(r"^'+(?:[\t\r]|\s*[=+\-@])")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _escape(text: str) -> str:
    return "'" + text if _FORMULA_RE.match(text) else text


escape_cell = _escape  # other CSV exports (the review's notes) escape their cells the same way


def _unescape(text: str) -> str:
    return text[1:] if _ESCAPED_RE.match(text) else text


def board_to_csv(board: Board) -> str:
    """The shots as CSV text (header row first; effective model, quality and audio per shot)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    continuity = bool(board.cast) or any(s.chain for s in board.shots)
    writer.writerow(ALL_COLUMNS if continuity else COLUMNS)
    for number, shot in enumerate(board.shots, start=1):
        row = [
            number,
            _escape(shot.title),
            _escape(shot.prompt),
            shot.duration,
            board.model_of(shot),
            board.quality_of(shot),
            _bool(board.audio_of(shot)),
        ]
        if continuity:
            chain = CHAIN_VIDEO if shot.continues_video else _bool(shot.chain)
            row += [_escape(CAST_SEPARATOR.join(e.name for e in board.cast_of(shot))), chain]
        writer.writerow(row)
    return out.getvalue()


# --- reading ---------------------------------------------------------------------------------------


def _decode(data: str | bytes) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # what spreadsheets on Windows often save


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _parse_model(value: str) -> str:
    labels = {label.lower(): model for model, label in MODELS.items()}
    lowered = value.lower()
    if lowered in labels:
        return labels[lowered]
    if lowered in MODELS:
        return lowered
    raise ValueError(f"{value!r} is not a model (use one of {', '.join([*MODELS, *MODELS.values()])})")


def _parse_quality(value: str) -> str:
    lowered = value.lower()
    if lowered + "p" in QUALITIES:
        lowered += "p"
    if lowered not in QUALITIES:
        raise ValueError(f"{value!r} is not a quality (use one of {', '.join(QUALITIES)})")
    return lowered


def _parse_bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{value!r} is not true or false")


def _parse_chain(value: str) -> str | None:
    """The `chain` cell: how the shot continues the previous one (FROM_LAST_FRAME, FROM_VIDEO), None."""
    if value.lower() == CHAIN_VIDEO:
        return FROM_VIDEO
    try:
        return FROM_LAST_FRAME if _parse_bool(value) else None
    except ValueError:
        raise ValueError(f"{value!r} is not true, false or {CHAIN_VIDEO}") from None


def _parse_duration(value: str) -> int:
    if not value:
        return DEFAULT_DURATION
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number of seconds") from None
    if not number.is_integer():
        raise ValueError(f"{value!r} is not a whole number of seconds")
    if not DURATION_MIN <= number <= DURATION_MAX:
        raise ValueError(f"{value} is outside {DURATION_MIN} to {DURATION_MAX} seconds")
    return int(number)


def _limited(max_len: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > max_len:
            raise ValueError(f"is {len(value)} characters long; at most {max_len} fit")
        return value

    return parse


def _cast_parser(board: Board) -> Callable[[str], list[str]]:
    """Cast names ("Mara; the lighthouse") -> the ids of the board's entries of those names."""
    by_name = {name_key(e.name): e.id for e in board.cast}

    def parse(value: str) -> list[str]:
        ids = []
        for name in (n.strip() for n in value.split(CAST_SEPARATOR.strip())):
            if not name:
                continue
            if name_key(name) not in by_name:
                known = ", ".join(e.name for e in board.cast) or "none yet"
                raise ValueError(f"{name!r} is not in the board's cast (it has: {known})")
            ids.append(by_name[name_key(name)])
        return list(dict.fromkeys(ids))

    return parse


def _header(row: list[str], row_number: int) -> dict[str, int]:
    names = [cell.strip().lower().replace(" ", "_") for cell in row]
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in ALL_COLUMNS:
            if name in index:
                raise BoardFormatError(
                    f"row {row_number}, column {name}", "appears twice", row=row_number, column=name
                )
            index[name] = i
    for name in REQUIRED_COLUMNS:
        if name not in index:
            raise BoardFormatError(
                f"row {row_number}, column {name}",
                f"the header has no {name!r} column (expected {', '.join(COLUMNS)})",
                row=row_number,
                column=name,
            )
    return index


def shots_from_csv(data: str | bytes, board: Board) -> list[Shot]:
    """Parse CSV rows into new shots; settings equal to `board`'s (or blank) follow the board.

    Raises BoardFormatError naming the row (1 = header, as a spreadsheet numbers them) and column.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise BoardFormatError("", f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MiB")
    text = _decode(data)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as exc:
        raise BoardFormatError("", f"not readable as CSV ({exc})") from None
    numbered = [(n, row) for n, row in enumerate(rows, start=1) if any(c.strip() for c in row)]
    if not numbered:
        raise BoardFormatError("row 1", "the file is empty: expected a header row", row=1)
    header_number, header_row = numbered[0]
    columns = _header(header_row, header_number)
    if len(numbered) - 1 > MAX_SHOTS:
        raise BoardFormatError("", f"a storyboard holds at most {MAX_SHOTS} shots")

    parsers: dict[str, Callable[[str], Any]] = {
        "title": _limited(MAX_TITLE_CHARS),
        "prompt": _limited(MAX_PROMPT_CHARS),
        "duration": _parse_duration,
        "model": _parse_model,
        "quality": _parse_quality,
        "generate_audio": _parse_bool,
        "cast": _cast_parser(board),
        "chain": _parse_chain,
    }
    shots = []
    for row_number, row in numbered[1:]:
        values: dict[str, Any] = {}
        for name, parse in parsers.items():
            if name not in columns:
                continue
            raw = (row[columns[name]] if columns[name] < len(row) else "").strip()
            if name in ("title", "prompt", "cast"):
                raw = _unescape(raw)
            elif not raw and name != "duration":
                continue  # blank: follow the board
            try:
                values[name] = parse(raw)
            except ValueError as exc:
                raise BoardFormatError(
                    f"row {row_number}, column {name}", str(exc), row=row_number, column=name
                ) from None
        shots.append(_shot(values, board))
    return shots


def _shot(values: dict[str, Any], board: Board) -> Shot:
    model = values.get("model")
    quality = values.get("quality")
    audio = values.get("generate_audio")
    return Shot(
        cast=values.get("cast", []),
        chain=values.get("chain") is not None,
        continues=values.get("chain") or FROM_LAST_FRAME,
        title=values.get("title", ""),
        prompt=values.get("prompt", ""),
        duration=values.get("duration", DEFAULT_DURATION),
        model=None if model == board.model else model,
        quality=None if quality == board.quality else quality,
        generate_audio=None if audio == board.generate_audio else audio,
    )


def import_csv(board: Board, data: str | bytes, *, replace: bool = True) -> list[Shot]:
    """Parse CSV against the board's settings, then replace its shots (or append); returns the new shots.

    Nothing changes when the file has an error. Replacing drops the old shots and their takes.
    """
    shots = shots_from_csv(data, board)
    kept = [] if replace else board.shots
    if len(kept) + len(shots) > MAX_SHOTS:
        raise BoardFormatError("", f"a storyboard holds at most {MAX_SHOTS} shots")
    board.shots = [*kept, *shots]
    board.touch()
    return shots
