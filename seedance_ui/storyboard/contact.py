"""The contact sheet PNG: a row per shot, laid out by seedance_ui.media.contact_sheet."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import av
from PIL import Image

from seedance_ui.media import MediaError, SheetRow, cast_strip, contact_sheet, extract_frames, thumbnail
from seedance_ui.storyboard.chain import out_of_date
from seedance_ui.storyboard.clips import Clip, JobInfoMap, VideoPathOf, board_clips, export_stem
from seedance_ui.storyboard.model import Board, Shot, StoryboardError
from seedance_ui.storyboard.states import ShotState
from seedance_ui.storyboard.validation import cast_path

log = logging.getLogger(__name__)

FRAMES_PER_ROW = 4
FRAME_MAX_WIDTH = 640
CAST_PICTURE_PX = 240  # the longer side a cast picture is decoded to (printed at half that)
CHAINED_CUT = "Continuous cut: starts on the last frame of shot {}"
EXTENDED_CUT = "Continuous cut: extends the video of shot {}"
FAILED = "FAILED: no video"
MISSING = "MISSING: no video yet"
IN_PROGRESS = "MISSING: still being generated"
TAKE_TIME = "%Y-%m-%d %H:%M"  # a take's date as the sheet and the manifest print it (server's local time)


def _frames(video: Path | None, count: int) -> tuple[Image.Image, ...]:
    if video is None:
        return ()
    try:
        return tuple(extract_frames(video, count, max_width=FRAME_MAX_WIDTH))
    except (MediaError, OSError, av.FFmpegError) as exc:
        log.warning("contact sheet: cannot read frames of %s: %s", video.name, exc)
        return ()


def sheet_rows(board: Board, clips: list[Clip], frames_per_row: int = FRAMES_PER_ROW,
               jobs: JobInfoMap | None = None) -> list[SheetRow]:
    """One SheetRow per shot: number, title, the shot's own prompt, duration, model and quality as sent;
    its note says first what is wrong with it (out of date, failed, missing: `export_warning`), then which
    take it is and when it was made (`take_line`), then, for a chained or extending shot, that it is a
    continuous cut from the shot it continues.

    A shot without a chosen take (or whose video is gone or unreadable) gets a row of empty tiles.
    """
    rows = []
    stale = out_of_date(board)
    for clip in clips:
        duration = clip.params.get("duration")
        warning = export_warning(clip, stale, jobs)
        cut = "" if warning else _cut_note(board, clip.shot, clip.number)  # the warning says it
        note = " · ".join(part for part in (warning, take_line(clip), cut) if part)
        rows.append(
            SheetRow(
                number=clip.number,
                title=clip.shot.title,
                prompt=clip.shot.prompt,
                duration=float(duration) if isinstance(duration, int | float) else None,
                model=clip.params.get("model"),
                quality=clip.params.get("quality"),
                frames=_frames(clip.video, frames_per_row),
                note=note,
            )
        )
    return rows


def export_warning(clip: Clip, stale: dict[str, str], jobs: JobInfoMap | None = None) -> str:
    """What an export must say of a shot that is not a clean, current video ("" when it is): out of date
    (its take continues an older take of the shot before; `stale` is `chain.out_of_date(board)`), being
    generated, failed, or missing. `jobs`: the board's takes' job facts (`OwnerJobs.infos`)."""
    if clip.shot.id in stale:
        head, _, rest = stale[clip.shot.id].partition(": ")
        return f"{head.upper()}: {rest}"
    if clip.video is not None:
        return ""
    found = jobs or {}
    state = ShotState.of(found[t.job_id].status if t.job_id in found else None for t in clip.shot.takes)
    if state in (ShotState.QUEUED, ShotState.RUNNING):
        return IN_PROGRESS
    return FAILED if state.ended_without_video else MISSING


def take_line(clip: Clip) -> str:
    """ "Take 2/3 · 2025-06-01 14:05": which of the shot's takes is on the board, and when it was made."""
    if clip.take is None:
        return ""
    number = next((i for i, t in enumerate(clip.shot.takes, start=1) if t.id == clip.take.id), 0)
    made = time.strftime(TAKE_TIME, time.localtime(clip.take.created_at))
    return f"Take {number}/{len(clip.shot.takes)} · {made}"


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
    rows = sheet_rows(board, board_clips(board, video_path_of, jobs), frames_per_row, jobs)
    cast = _cast_pictures(board)
    band = cast_strip(cast) if cast else None
    path = Path(out_dir) / name
    return contact_sheet(rows, path, title=board.title, frames_per_row=frames_per_row, band=band)


def _cast_pictures(board: Board) -> list[tuple[Image.Image, str]]:
    """The board's cast as (thumbnail, name), once for the whole sheet: unreadable pictures and any past
    the contract's limits (measured first, never decoded) are skipped."""
    out = []
    for entry in (e for e in board.cast if e.has_picture):  # an entry without a picture yet: none to show
        picture = thumbnail(cast_path(board.media_dir, entry), CAST_PICTURE_PX)
        if picture is None:
            log.warning("contact sheet: cannot use the cast picture of %s", entry.name)
            continue
        out.append((picture, entry.name))
    return out
