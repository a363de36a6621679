"""HTML for the storyboard's continuity: the cast library's chips, the inputs a shot is sent with, the
inputs each take was made from, and the chain and out-of-date marks on tiles.

Pure functions from data to HTML strings (no Gradio); every name goes through `esc`. Cast pictures and
chain frames live under the boards folder, which is never served: they are shown as small JPEG thumbnails
inlined as data URIs (made once per file and change).
"""

from __future__ import annotations

import base64
import functools
import io
from pathlib import Path

from seedance_ui.client import GenerationRequest
from seedance_ui.media import thumbnail
from seedance_ui.storyboard import Board, Shot, Take
from seedance_ui.storyboard.cast import frame_path
from seedance_ui.storyboard.chain import out_of_date
from seedance_ui.storyboard.validation import PENDING_FRAME, cast_path, mention
from seedance_ui.ui.views import esc

THUMB_PX = 112  # the longer side of an inlined thumbnail


@functools.lru_cache(maxsize=256)
def _thumb_uri(path: str, _mtime: float) -> str | None:
    """A JPEG thumbnail of an image file as a data URI (cached per path and modification time); None for
    a picture that is unreadable or past the contract's limits (never decoded: media.thumbnail)."""
    image = thumbnail(path, THUMB_PX)
    if image is None:
        return None
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _thumb(path: str | Path | None, alt: str) -> str:
    uri = None
    if path and Path(path).is_file():
        uri = _thumb_uri(str(path), Path(path).stat().st_mtime)
    if uri is None:
        return '<span class="sb-cast-blank" aria-hidden="true"></span>'
    return f'<img src="{uri}" alt="{esc(alt)}">'


def cast_chips_html(board: Board | None) -> str:
    """The board's cast and looks as chips: picture, name, how a prompt names it, shots that use it; a
    click puts that name into the selected shot's prompt at its cursor (scripts/tag-chips.js)."""
    if board is None or not board.cast:
        return (
            '<div class="sb-cast is-empty">No cast yet. Add a picture of a character, a place or a look, '
            "give it a name, then tick it in the shots that use it.</div>"
        )
    chips = []
    for entry in board.cast:
        used = sum(1 for s in board.shots if entry.id in s.cast)
        tag = mention(entry.name)
        waiting = "" if entry.has_picture else " is-waiting"
        chip = (
            f'<button type="button" class="sb-cast-chip{waiting}" data-cast="{esc(entry.id)}" '
            f'data-name="{esc(entry.name)}" data-tag="{esc(tag)}" data-target="#sb-shot-prompt textarea" '
            f'title="Put {esc(tag)} into the selected shot\'s prompt, at its cursor">'
            f"{_thumb(cast_path(board.media_dir, entry), entry.name)}"
            f'<span class="sb-cast-name">{esc(entry.name)}</span>'
            f'<code class="sb-cast-mention">{esc(tag)}</code>'
            f'<span class="sb-cast-used">{used} shot{"s" if used != 1 else ""}</span>'
            f"{'' if entry.has_picture else NEEDS_PICTURE}</button>"
        )
        chips.append(chip if entry.has_picture else _waiting_slot(chip, entry.name))
    return f'<div class="sb-cast" data-count="{len(board.cast)}">{"".join(chips)}</div>'


NEEDS_PICTURE = '<span class="sb-cast-needs">needs a picture</span>'


def _waiting_slot(chip: str, name: str) -> str:
    """A cast entry without a picture yet: its chip and *Add picture*, which puts its name in the add
    row's Name box and moves to the picture (scripts/tag-chips.js); *Add to cast* then gives it the
    picture."""
    return (
        f'<span class="sb-cast-slot is-waiting">{chip}<button type="button" class="sb-cast-add-picture" '
        f'data-name="{esc(name)}" aria-label="Add a picture for {esc(name)}">Add picture</button></span>'
    )


def chained_frame(board: Board, shot: Shot) -> str | None:
    """The last frame a chained shot would start from now (the previous chosen take's), when saved."""
    previous = board.previous(shot) if shot.continues_frame else None
    if previous is None or previous.chosen is None:
        return None
    path = frame_path(board.media_dir, previous.chosen.job_id)
    return str(path) if path is not None and path.is_file() else None


def _roles(board: Board, shot: Shot, request: GenerationRequest) -> list[tuple[str, str, str]]:
    """(tag or role, name, image path) of each image the request carries, in `image_urls` order."""
    previous = board.number_of(shot.id) - 1
    frame_name = f"last frame of shot {previous}"
    cast = board.cast_of(shot)
    if request.first_frame:
        return [("first frame", frame_name, request.first_frame)]
    out = []
    images = list(request.reference_images)
    if shot.continues_frame and images:
        out.append(("@image1 · first frame", frame_name, images.pop(0)))
    first = len(out) + 1
    for i, (entry, path) in enumerate(zip(cast, images, strict=False)):
        out.append((f"@image{first + i}", entry.name, path))
    return out


def _video_source(board: Board, shot: Shot) -> tuple[str, bool] | None:
    """(what the shot sends as @video1, whether that take is still to come), None without a video."""
    if shot.extends:
        label = board.take_label(shot.extends)
        return (f"video of {label}" if label else "the video of a take no longer on the board"), False
    previous = board.previous(shot) if shot.continues_video else None
    if previous is None:
        return None
    if previous.chosen is None:
        return f"video of shot {board.number_of(previous.id)} (when its take is done)", True
    return f"video of {board.take_label(previous.chosen.job_id)}", False


def _input_row(tag: str, name: str, path: str | None, waiting: bool) -> str:
    return (
        f'<li class="sb-input{" is-waiting" if waiting else ""}" data-tag="{esc(tag)}">'
        f"{_thumb(None if waiting else path, name)}"
        f'<span class="sb-input-tag">{esc(tag)}</span>'
        f'<span class="sb-input-name">{esc(name)}</span></li>'
    )


def sent_inputs_html(board: Board, shot: Shot) -> str:
    """The SENT AS block's inputs: the video it continues, then each image the shot's request
    carries, with its tag and name."""
    frame = chained_frame(board, shot)
    request = board.effective_request(shot, frame)
    rows = []
    video = _video_source(board, shot)
    if video is not None:
        rows.append(_input_row("@video1", video[0], None, video[1]))
    for tag, name, path in _roles(board, shot, request):
        waiting = path == PENDING_FRAME
        note = f" (when shot {board.number_of(shot.id) - 1}'s take is done)" if waiting else ""
        rows.append(_input_row(tag, name + note, path, waiting))
    if not rows:
        return ""
    return f'<ul class="sb-inputs" data-count="{len(rows)}" aria-label="Inputs sent">{"".join(rows)}</ul>'


def sent_prompt(board: Board, shot: Shot) -> str:
    """The prompt exactly as the shot's request carries it (tags, the first-frame line, the style)."""
    return board.effective_request(shot, chained_frame(board, shot)).prompt


def take_inputs_html(board: Board, shot: Shot, take: Take, extendable: bool = False) -> str:
    """What a take was made from: the frame it started from (and which shot's take), the video it
    extends, its cast; `extendable`: an "Extend" action (a new shot continuing this video)."""
    parts = []
    params = take.params or {}
    source = shot.extends if shot.extends else take.starts_from
    if source and params.get("reference_video_urls"):
        where = board.take_label(source) or "a take no longer on the board"
        video = f"continues the video of {where}"
        parts.append(f'<span class="sb-take-input" data-role="video">{esc(video)}</span>')
    elif take.starts_from:
        where = board.take_label(take.starts_from) or "a take no longer on the board"
        frame = frame_path(board.media_dir, take.starts_from)
        parts.append(
            f'<span class="sb-take-input" data-role="first-frame">{_thumb(frame, "First frame")}'
            f"from the end of {esc(where)}</span>"
        )
    for name in take.cast:
        entry = next((e for e in board.cast if e.name == name), None)
        path = cast_path(board.media_dir, entry) if entry is not None else None
        parts.append(f'<span class="sb-take-input" data-role="cast">{_thumb(path, name)}{esc(name)}</span>')
    extend = (
        f'<button type="button" class="sb-take-extend" data-action="extend" data-shot="{esc(shot.id)}" '
        f'data-take="{esc(take.id)}">Extend</button>'
        if extendable
        else ""
    )
    if not parts:
        return extend
    return f'<div class="sb-take-inputs" aria-label="Inputs of this take">{"".join(parts)}</div>{extend}'


def tile_marks_html(board: Board, shot: Shot, stale: str | None) -> str:
    """A tile's continuity marks: the chain link, the cast count, out of date, a chain's notice."""
    marks = []
    previous = board.number_of(shot.id) - 1
    extended = board.find_take(shot.extends) if shot.extends else None
    if extended is not None:
        marks.append(f'<span class="sb-chip is-chain">extends shot {board.number_of(extended[0].id)}</span>')
    elif shot.continues_video and previous > 0:
        marks.append(f'<span class="sb-chip is-chain">extends shot {previous}</span>')
    elif shot.continues_frame and previous > 0:
        marks.append(f'<span class="sb-chip is-chain">from the end of shot {previous}</span>')
    if shot.cast:
        n = len(board.cast_of(shot))
        marks.append(f'<span class="sb-chip is-cast">{n} in cast</span>')
    html = f'<div class="sb-tile-meta sb-tile-marks">{"".join(marks)}</div>' if marks else ""
    if stale:
        html += f'<div class="sb-stale" role="status">{esc(stale)}</div>'
    if shot.notice:
        html += f'<div class="sb-chain-notice" role="status">{esc(shot.notice)}</div>'
    return html



def tiles_marks(board: Board) -> dict[str, str]:
    """Every shot's tile marks (shot id -> HTML), out-of-date shots worked out once for the board."""
    stale = out_of_date(board)
    return {shot.id: tile_marks_html(board, shot, stale.get(shot.id)) for shot in board.shots}


def takes_inputs(board: Board, shot: Shot, extendable: frozenset[str] = frozenset()) -> dict[str, str]:
    """Each take's inputs (take id -> HTML) for the takes list and the compare view; the takes in
    `extendable` (finished videos) get an "Extend" action."""
    return {take.id: take_inputs_html(board, shot, take, take.id in extendable) for take in shot.takes}
