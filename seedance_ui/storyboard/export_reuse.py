"""An unchanged board's export is reused, not made again: each export file has a sidecar
(`.<file name>.key`, JSON) holding the key it was made for, a hash of the board's content, the chosen
takes' videos and the export's options, and (for an animatic) what the export answered. A new export
whose key matches the sidecar of an existing file is that file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seedance_ui.store import objects
from seedance_ui.storyboard.files import write_text_atomically
from seedance_ui.storyboard.jsonio import board_to_dict
from seedance_ui.storyboard.model import Board

KEY_VERSION = 1  # bump when an export's output changes for the same board
# What changes on a board without changing any export of it.
_VOLATILE = ("updated_at", "pending", "pending_since")


def export_key(board: Board, kind: str, options: dict[str, Any], video_of: Callable[[str], Path | None],
               jobs: dict[str, Any]) -> str:
    """The hash an export of `board` is made for: its content (owner and volatile fields left out), the
    kind and options, and per chosen take its job's facts and its video file's size and time."""
    data = board_to_dict(board, include_owner=False)
    for name in _VOLATILE:
        data.pop(name, None)
    takes = {}
    for shot in board.shots:
        take = shot.chosen
        if take is None:
            continue
        video = video_of(take.job_id)
        stat = video.stat() if video is not None and video.is_file() else None
        takes[take.job_id] = [repr(jobs.get(take.job_id)), stat and [stat.st_size, stat.st_mtime_ns]]
    text = json.dumps([KEY_VERSION, kind, options, data, takes], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sidecar(target: Path) -> Path:
    return target.with_name(f".{target.name}.key")


def reused(target: Path, key: str) -> dict[str, Any] | None:
    """What was recorded with `target` when it exists and was made for `key` (else None)."""
    try:
        found = json.loads(_sidecar(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict) or found.get("key") != key or not target.is_file():
        return None
    return found


def remember(target: Path, key: str, answer: dict[str, Any] | None = None) -> None:
    """Record that `target` was just made for `key` (with what the export answered)."""
    write_text_atomically(_sidecar(target), json.dumps({"key": key, "answer": answer}, default=str))
    objects.file_written(target)  # into the bucket behind the data directory, when there is one
    objects.file_written(_sidecar(target))
