"""JSON import/export of a board: full fidelity, versioned, strict about types and shapes."""

from __future__ import annotations

import json
import math
from typing import Any

from seedance_ui.options import (
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
)
from seedance_ui.storyboard.model import (
    MAX_PROMPT_CHARS,
    MAX_SHOTS,
    MAX_STYLE_CHARS,
    MAX_TITLE_CHARS,
    Board,
    BoardFormatError,
    Shot,
    Take,
    is_valid_id,
    new_id,
)

FORMAT = "seedance-storyboard"
VERSION = 1
MAX_IMPORT_BYTES = 4 * 2**20
MAX_OWNER_CHARS = 256


# --- writing ---------------------------------------------------------------------------------------


def _take_dict(take: Take) -> dict[str, Any]:
    return {"id": take.id, "job_id": take.job_id, "created_at": take.created_at, "params": take.params}


def _shot_dict(shot: Shot) -> dict[str, Any]:
    return {
        "id": shot.id,
        "title": shot.title,
        "prompt": shot.prompt,
        "duration": shot.duration,
        "model": shot.model,
        "quality": shot.quality,
        "generate_audio": shot.generate_audio,
        "takes": [_take_dict(t) for t in shot.takes],
        "chosen_take": shot.chosen_take,
        "chosen_by_user": shot.chosen_by_user,
    }


def board_to_dict(board: Board, *, include_owner: bool = True) -> dict[str, Any]:
    """The board as a versioned JSON-safe dict (`include_owner=False` for files people share)."""
    data: dict[str, Any] = {"format": FORMAT, "version": VERSION, "id": board.id}
    if include_owner:
        data["owner"] = board.owner
    data.update(
        title=board.title,
        created_at=board.created_at,
        updated_at=board.updated_at,
        settings=board.settings(),
        shots=[_shot_dict(s) for s in board.shots],
    )
    return data


def dumps_board(board: Board, *, include_owner: bool = True) -> str:
    """The board as JSON text (UTF-8 safe, indented)."""
    return json.dumps(board_to_dict(board, include_owner=include_owner), ensure_ascii=False, indent=2)


# --- reading ---------------------------------------------------------------------------------------


class _Obj:
    """Typed access to one JSON object, with errors that name the path."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise BoardFormatError(path or "top level", f"must be an object (got {_kind(data)})")
        self.data = data
        self.path = path

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, default: Any, required: bool) -> Any:
        if key not in self.data:
            if required:
                raise BoardFormatError(self.where(key), "is missing")
            return default
        return self.data[key]

    def text(self, key: str, default: str = "", *, max_len: int, required: bool = False) -> str:
        value = self._get(key, default, required)
        if not isinstance(value, str):
            raise BoardFormatError(self.where(key), f"must be text (got {_kind(value)})")
        if len(value) > max_len:
            raise BoardFormatError(self.where(key), f"must be at most {max_len} characters")
        return value

    def opt_text(self, key: str) -> str | None:
        value = self._get(key, None, False)
        return None if value is None else self.text(key, max_len=200)

    def integer(self, key: str, default: int) -> int:
        value = self._get(key, default, False)
        if isinstance(value, bool) or not isinstance(value, int):
            raise BoardFormatError(self.where(key), f"must be a whole number (got {_kind(value)})")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key, default, False)
        if not isinstance(value, bool):
            raise BoardFormatError(self.where(key), f"must be true or false (got {_kind(value)})")
        return value

    def opt_boolean(self, key: str) -> bool | None:
        value = self._get(key, None, False)
        return None if value is None else self.boolean(key, False)

    def time(self, key: str, default: float) -> float:
        value = self._get(key, default, False)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise BoardFormatError(self.where(key), f"must be a number (got {_kind(value)})")
        return float(value)

    def ident(self, key: str, *, required: bool = True) -> str | None:
        value = self._get(key, None, required)
        if value is None and not required:
            return None
        if not is_valid_id(value):
            raise BoardFormatError(self.where(key), "must be 32 lowercase hex characters")
        return value

    def items(self, key: str) -> list[Any]:
        value = self._get(key, [], False)
        if not isinstance(value, list):
            raise BoardFormatError(self.where(key), f"must be a list (got {_kind(value)})")
        return value

    def obj(self, key: str) -> _Obj:
        return _Obj(self._get(key, {}, False), self.where(key))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list"}.get(
        type(value), "an object" if isinstance(value, dict) else type(value).__name__
    )


def _take_from(o: _Obj) -> Take:
    params = o.data.get("params")
    if params is not None and not isinstance(params, dict):
        raise BoardFormatError(o.where("params"), f"must be an object or null (got {_kind(params)})")
    return Take(
        job_id=o.ident("job_id"),  # type: ignore[arg-type]
        id=o.ident("id"),  # type: ignore[arg-type]
        created_at=o.time("created_at", 0.0),
        params=params,
    )


def _shot_from(o: _Obj) -> Shot:
    takes = [_take_from(_Obj(t, f"{o.where('takes')}[{i}]")) for i, t in enumerate(o.items("takes"))]
    if len({t.id for t in takes}) != len(takes):
        raise BoardFormatError(o.where("takes"), "take ids must be unique")
    chosen = o.ident("chosen_take", required=False)
    if chosen is not None and all(t.id != chosen for t in takes):
        raise BoardFormatError(o.where("chosen_take"), "must be the id of one of the shot's takes")
    return Shot(
        id=o.ident("id"),  # type: ignore[arg-type]
        title=o.text("title", max_len=MAX_TITLE_CHARS),
        prompt=o.text("prompt", max_len=MAX_PROMPT_CHARS),
        duration=o.integer("duration", DEFAULT_DURATION),
        model=o.opt_text("model"),
        quality=o.opt_text("quality"),
        generate_audio=o.opt_boolean("generate_audio"),
        takes=takes,
        chosen_take=chosen,
        chosen_by_user=o.boolean("chosen_by_user", False),
    )


def board_from_dict(data: Any, *, owner: str | None = None) -> Board:
    """Parse a versioned board dict; `owner` given: it replaces the file's owner."""
    top = _Obj(data, "")
    if data.get("format") != FORMAT:
        raise BoardFormatError("format", f"must be {FORMAT!r}: this is not a storyboard file")
    version = top.integer("version", 0)
    if version > VERSION:
        raise BoardFormatError("version", f"{version} is newer than this studio reads ({VERSION}); update it")
    if version < 1:
        raise BoardFormatError("version", f"must be 1 to {VERSION} (got {version})")
    if owner is None:
        owner = top.text("owner", max_len=MAX_OWNER_CHARS, required=True)
    settings = top.obj("settings")
    raw_shots = top.items("shots")
    if len(raw_shots) > MAX_SHOTS:
        raise BoardFormatError("shots", f"a storyboard holds at most {MAX_SHOTS} shots")
    shots = [_shot_from(_Obj(s, f"shots[{i}]")) for i, s in enumerate(raw_shots)]
    if len({s.id for s in shots}) != len(shots):
        raise BoardFormatError("shots", "shot ids must be unique")
    created = top.time("created_at", 0.0)
    return Board(
        owner=owner,
        id=top.ident("id"),  # type: ignore[arg-type]
        title=top.text("title", max_len=MAX_TITLE_CHARS),
        created_at=created,
        updated_at=top.time("updated_at", created),
        aspect_ratio=settings.text("aspect_ratio", DEFAULT_ASPECT_RATIO, max_len=32),
        quality=settings.text("quality", DEFAULT_QUALITY, max_len=32),
        model=settings.text("model", DEFAULT_MODEL, max_len=200),
        style=settings.text("style", "", max_len=MAX_STYLE_CHARS),
        generate_audio=settings.boolean("generate_audio", DEFAULT_GENERATE_AUDIO),
        shots=shots,
    )


def loads_board(text: str | bytes, *, owner: str | None = None) -> Board:
    """Parse board JSON text; BoardFormatError names what is wrong and where."""
    if len(text) > MAX_IMPORT_BYTES:
        raise BoardFormatError("", f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MiB")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BoardFormatError("", f"not valid JSON ({exc})") from None
    return board_from_dict(data, owner=owner)


def import_board_json(text: str | bytes, owner: str) -> Board:
    """A board from shared JSON as a NEW board of `owner` (fresh id; shots and takes kept).

    Takes keep their job ids; they resolve only for jobs `owner` can see (job lookups are owner-scoped).
    """
    board = loads_board(text, owner=owner)
    board.id = new_id()
    board.touch()
    return board
