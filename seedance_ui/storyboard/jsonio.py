"""JSON import/export of a board: full fidelity, versioned, strict about types and shapes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

from seedance_ui.client.media_rules import image_problem, measure_image
from seedance_ui.options import (
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
)
from seedance_ui.storyboard.cast import MAX_CAST, store_bytes
from seedance_ui.storyboard.model import (
    MAX_PROMPT_CHARS,
    MAX_SHOTS,
    MAX_STYLE_CHARS,
    MAX_TITLE_CHARS,
    Board,
    BoardFormatError,
    CastEntry,
    Shot,
    Take,
    is_valid_id,
    new_id,
)
from seedance_ui.storyboard.validation import CONTINUES, FROM_LAST_FRAME, cast_path

FORMAT = "seedance-storyboard"
VERSION = 1
MAX_IMPORT_BYTES = 64 * 2**20  # room for a cast of embedded images
MAX_OWNER_CHARS = 256
MAX_NOTICE_CHARS = 1_000
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_CAST_SUFFIXES = (".png", ".jpg", ".webp")


# --- writing ---------------------------------------------------------------------------------------


def _take_dict(take: Take) -> dict[str, Any]:
    data = {"id": take.id, "job_id": take.job_id, "created_at": take.created_at, "params": take.params}
    if take.starts_from:
        data["starts_from"] = take.starts_from
    if take.cast:
        data["cast"] = list(take.cast)
    return data


def _cast_dict(entry: CastEntry, media_dir: Path | None, embed: bool) -> dict[str, Any]:
    """A cast entry; one without a picture yet has `"sha256": null` (and no suffix or image)."""
    if not entry.has_picture:
        return {"id": entry.id, "name": entry.name, "sha256": None}
    data: dict[str, Any] = {"id": entry.id, "name": entry.name, "sha256": entry.sha256}
    data["suffix"] = entry.suffix
    if embed:
        try:
            data["image"] = base64.b64encode(Path(cast_path(media_dir, entry)).read_bytes()).decode("ascii")
        except OSError:
            data["image"] = None  # the file is gone: the entry travels without its picture
    return data


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
        "cast": list(shot.cast),
        "chain": shot.chain,
        "continues": shot.continues,
        "notice": shot.notice,
        "extends": shot.extends,
        "extend_seconds": shot.extend_seconds,
    }


def board_to_dict(board: Board, *, include_owner: bool = True, embed_images: bool = False) -> dict[str, Any]:
    """The board as a versioned JSON-safe dict (`include_owner=False` for files people share;
    `embed_images`: each cast entry carries its image as base64, for a file that travels alone)."""
    data: dict[str, Any] = {"format": FORMAT, "version": VERSION, "id": board.id}
    if include_owner:
        data["owner"] = board.owner
    data.update(
        title=board.title,
        created_at=board.created_at,
        updated_at=board.updated_at,
        settings=board.settings(),
        shots=[_shot_dict(s) for s in board.shots],
        cast=[_cast_dict(e, board.media_dir, embed_images) for e in board.cast],
        pending=list(board.pending),
        pending_since=board.pending_since,
    )
    if include_owner and board.pending:  # whose key and address a pending chain continues with
        data.update(chain_key=board.chain_key, chain_address=board.chain_address)
    return data


def dumps_board(board: Board, *, include_owner: bool = True, embed_images: bool = False) -> str:
    """The board as JSON text (UTF-8 safe, indented)."""
    data = board_to_dict(board, include_owner=include_owner, embed_images=embed_images)
    return json.dumps(data, ensure_ascii=False, indent=2)


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

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self._get(key, default, False)
        if value not in allowed:
            raise BoardFormatError(self.where(key), f"must be one of {', '.join(map(repr, allowed))}")
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
        starts_from=o.ident("starts_from", required=False),
        cast=_names(o, "cast"),
    )


def _names(o: _Obj, key: str) -> list[str]:
    values = o.items(key)
    for i, value in enumerate(values):
        if not isinstance(value, str) or len(value) > 200:
            raise BoardFormatError(f"{o.where(key)}[{i}]", "must be text of at most 200 characters")
    return list(values)


def _ids(o: _Obj, key: str) -> list[str]:
    values = o.items(key)
    for i, value in enumerate(values):
        if not is_valid_id(value):
            raise BoardFormatError(f"{o.where(key)}[{i}]", "must be 32 lowercase hex characters")
    return list(dict.fromkeys(values))


def _cast_from(o: _Obj) -> CastEntry:
    """A cast entry; `"sha256": null` (or none) is an entry without a picture yet."""
    if o.opt_text("sha256") is None:
        name = o.text("name", max_len=200, required=True)
        return CastEntry(id=o.ident("id"), name=name)  # type: ignore[arg-type]
    sha = o.text("sha256", max_len=64, required=True)
    if not _SHA256_RE.fullmatch(sha):
        raise BoardFormatError(o.where("sha256"), "must be 64 lowercase hex characters")
    suffix = o.text("suffix", ".png", max_len=8)
    if suffix not in _CAST_SUFFIXES:
        raise BoardFormatError(o.where("suffix"), f"must be one of {', '.join(_CAST_SUFFIXES)}")
    return CastEntry(
        id=o.ident("id"),  # type: ignore[arg-type]
        name=o.text("name", max_len=200, required=True),
        sha256=sha,
        suffix=suffix,
    )


def cast_images(data: Any) -> dict[str, tuple[str, bytes]]:
    """The images embedded in a board dict's cast: sha256 -> (suffix, bytes), each checked against its
    hash and measured from its header by the rules of an uploaded cast picture (none decoded); at most
    MAX_CAST entries (a board file without images gives none)."""
    out: dict[str, tuple[str, bytes]] = {}
    entries = data.get("cast", []) if isinstance(data, dict) else []
    entries = entries if isinstance(entries, list) else []
    if len(entries) > MAX_CAST:
        raise BoardFormatError("cast", f"must hold at most {MAX_CAST} pictures (got {len(entries)})")
    for i, raw in enumerate(entries):
        entry = _cast_from(_Obj(raw, f"cast[{i}]"))
        image = raw.get("image")
        if image is not None and not entry.has_picture:
            raise BoardFormatError(f"cast[{i}].image", "must be left out for an entry whose sha256 is null")
        if image is None:
            continue
        try:
            content = base64.b64decode(image, validate=True) if isinstance(image, str) else b""
        except (binascii.Error, ValueError):
            content = b""
        if hashlib.sha256(content).hexdigest() != entry.sha256:
            raise BoardFormatError(f"cast[{i}].image", "must be the base64 image whose sha256 is given")
        problem = image_problem(f"cast[{i}].image", measure_image(content))
        if problem is not None:
            raise BoardFormatError(problem.field, problem.rule)
        out[entry.sha256] = (entry.suffix, content)
    return out


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
        cast=_ids(o, "cast"),
        chain=o.boolean("chain", False),
        continues=o.choice("continues", CONTINUES, FROM_LAST_FRAME),
        notice=o.text("notice", max_len=MAX_NOTICE_CHARS),
        extends=o.ident("extends", required=False),
        extend_seconds=o.time("extend_seconds", 0.0),
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
    cast = [_cast_from(_Obj(c, f"cast[{i}]")) for i, c in enumerate(top.items("cast"))]
    if len({c.id for c in cast}) != len(cast):
        raise BoardFormatError("cast", "cast entry ids must be unique")
    ids = {s.id for s in shots}
    pending = [sid for sid in _ids(top, "pending") if sid in ids]
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
        cast=cast,
        pending=pending,
        pending_since=top.time("pending_since", 0.0),
        chain_key=top.text("chain_key", "", max_len=16) if pending else "",
        chain_address=top.opt_text("chain_address") if pending else None,
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


def import_board_json(text: str | bytes, owner: str, media_dir: Path | None = None) -> Board:
    """A board from shared JSON as a NEW board of `owner` (fresh id; shots and takes kept).

    Takes keep their job ids; they resolve only for jobs `owner` can see (job lookups are owner-scoped).
    Cast images embedded in the file are checked against their hashes and, with `media_dir`, stored in
    its cast folder. A pending chain is not carried over: nothing is sent for an imported board.
    """
    board = loads_board(text, owner=owner)
    images = cast_images(json.loads(text))
    if media_dir is not None:
        for digest, (suffix, content) in images.items():
            store_bytes(media_dir, digest, suffix, content)
        board.media_dir = Path(media_dir)
    board.id = new_id()
    board.pending, board.chain_key, board.chain_address = [], "", None
    board.touch()
    return board
