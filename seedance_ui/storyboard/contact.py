"""The contact sheet PNG: a row per shot, laid out by seedance_ui.media.contact_sheet."""

from __future__ import annotations

import logging
from pathlib import Path

import av
from PIL import Image

from seedance_ui.media import MediaError, SheetRow, cast_strip, contact_sheet, extract_frames, thumbnail
from seedance_ui.storyboard.clips import Clip, JobInfoMap, VideoPathOf, board_clips, export_stem
from seedance_ui.storyboard.model import Board, Shot, StoryboardError
from seedance_ui.storyboard.validation import cast_path

log = logging.getLogger(__name__)

FRAMES_PER_ROW = 4
FRAME_MAX_WIDTH = 640
CAST_PICTURE_PX = 240  # the longer side a cast picture is decoded to (printed at half that)
CHAINED_CUT = "Continuous cut: starts on the last frame of shot {}"
EXTENDED_CUT = "Continuous cut: extends the video of shot {}"


def _frames(video: Path | None, count: int) -> tuple[Image.Image, ...]:
    if video is None:
        return ()
    try:
        return tuple(extract_frames(video, count, max_width=FRAME_MAX_WIDTH))
    except (MediaError, OSError, av.FFmpegError) as exc:
        log.warning("contact sheet: cannot read frames of %s: %s", video.name, exc)
        return ()


def sheet_rows(board: Board, clips: list[Clip], frames_per_row: int = FRAMES_PER_ROW) -> list[SheetRow]:
    """One SheetRow per shot: number, title, the shot's own prompt, duration, model and quality as sent;
    a chained or extending shot's row is marked as a continuous cut from the shot it continues.

    A shot without a chosen take (or whose video is gone or unreadable) gets a row of empty tiles.
    """
    rows = []
    for clip in clips:
        duration = clip.params.get("duration")
        rows.append(
            SheetRow(
                number=clip.number,
                title=clip.shot.title,
                prompt=clip.shot.prompt,
                duration=float(duration) if isinstance(duration, int | float) else None,
                model=clip.params.get("model"),
                quality=clip.params.get("quality"),
                frames=_frames(clip.video, frames_per_row),
                note=_cut_note(board, clip.shot, clip.number),
            )
        )
    return rows


def _cut_note(board: Board, shot: Shot, number: int) -> str:
    """How a shot's clip continues another shot's take (a chained cut or an extension), or ""."""
    found = board.find_take(shot.extends) if shot.extends else None
    if found is not None:
        return EXTENDED_CUT.format(board.number_of(found[0].id))
    if number <= 1 or not shot.chain or shot.extends:
        return ""
    return (EXTENDED_CUT if shot.continues_video else CHAINED_CUT).format(number - 1)


def export_contact_sheet(
    board: Board,
    out_dir: Path,
    video_path_of: VideoPathOf,
    jobs: JobInfoMap | None = None,
    *,
    frames_per_row: int = FRAMES_PER_ROW,
    file_name: str | None = None,
) -> Path:
    """Write `<stem>-contact-sheet.png` (or `file_name`) into `out_dir`, atomically; returns its path."""
    if not board.shots:
        raise StoryboardError("the storyboard has no shots")
    name = file_name or f"{export_stem(board)}-contact-sheet.png"
    if Path(name).name != name or not name.endswith(".png"):
        raise StoryboardError(f"invalid file name {name!r}")
    rows = sheet_rows(board, board_clips(board, video_path_of, jobs), frames_per_row)
    cast = _cast_pictures(board)
    band = cast_strip(cast) if cast else None
    path = Path(out_dir) / name
    return contact_sheet(rows, path, title=board.title, frames_per_row=frames_per_row, band=band)


def _cast_pictures(board: Board) -> list[tuple[Image.Image, str]]:
    """The board's cast as (thumbnail, name), once for the whole sheet: unreadable pictures and any past
    the contract's limits (measured first, never decoded) are skipped."""
    out = []
    for entry in board.cast:
        picture = thumbnail(cast_path(board.media_dir, entry), CAST_PICTURE_PX)
        if picture is None:
            log.warning("contact sheet: cannot use the cast picture of %s", entry.name)
            continue
        out.append((picture, entry.name))
    return out
