"""A review leaves with the board: its notes as CSV, and the animatic's timeline as a CMX 3600 EDL.

The CSV has one row per note and reply (and one per reviewer status without a note), every version,
with cells a spreadsheet would run as formulas escaped the way the board's CSV is (csvio.escape_cell).
The EDL has one event per shot in board order: the chosen take as reel `SHOTnnn` (clip name = its file
in the review zip, `01-<slug>.mp4`), record times from the takes' lengths at EDL_FPS, non-drop frame;
a shot without a video is black (`BL`) for its planned length. Each note of the current version is one
`* COMMENT:` line at its record time; a shot that is out of date, failed or missing says so there too.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata

from seedance_ui.review.notes import Note
from seedance_ui.review.view import ReviewState, ReviewView, ShotView, VersionView
from seedance_ui.storyboard.csvio import escape_cell
from seedance_ui.storyboard.model import slugify

CSV_COLUMNS = ("shot", "shot title", "version", "current", "time", "reviewer", "status", "text",
               "reply to", "resolved", "shot state")
EDL_FPS = 24
EDL_START_SECONDS = 3600  # the record timeline starts at 01:00:00:00, as editors expect
EDL_TEXT_CHARS = 200  # a comment line's text is cut here (an EDL line is one line)
_EDL_TEXT = re.compile(r"[^\x20-\x7e]")  # EDL readers expect printable ASCII
_PUNCTUATION = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
                              "\u201d": '"', "\u00ab": '"', "\u00bb": '"', "\u2026": "..."})


def notes_csv(view: ReviewView) -> str:
    """Every version's notes and statuses as CSV text (header first; times as m:ss)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for shot in view.shots:
        for version in shot.versions:
            for row in _version_rows(shot, version):
                writer.writerow([escape_cell(str(cell)) for cell in row])
    return out.getvalue()


def _version_rows(shot: ShotView, version: VersionView) -> list[list[object]]:
    first = [shot.number, shot.title, version.label, "yes" if version.current else "no"]
    state = shot.state_label if version.current else ""
    rows: list[list[object]] = []
    noted = set()
    for note in version.notes:
        for entry in (note, *note.replies):
            noted.add(entry.reviewer)
            reply = f"{note.reviewer} at {note.timecode}" if entry is not note else ""
            rows.append([*first, entry.timecode, entry.reviewer, version.status_of(entry.reviewer).label,
                         entry.text, reply, "yes" if entry.resolved else "no", state])
    for reviewer, status in version.statuses:
        if reviewer not in noted:
            rows.append([*first, "", reviewer, status.label, "", "", "", state])
    return rows


def frames(seconds: float, fps: int = EDL_FPS) -> int:
    return max(0, round(seconds * fps))


def smpte(frame_count: int, fps: int = EDL_FPS) -> str:
    """HH:MM:SS:FF of a frame count (non-drop)."""
    seconds, ff = divmod(frame_count, fps)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{ff:02d}"


def _edl_text(text: str) -> str:
    """One line of printable ASCII: accents dropped (é -> e), typographic punctuation made plain, any
    other character a "?"."""
    plain = unicodedata.normalize("NFKD", text.translate(_PUNCTUATION))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    flat = " ".join(_EDL_TEXT.sub("?", " ".join(plain.split())).split())
    return flat if len(flat) <= EDL_TEXT_CHARS else flat[: EDL_TEXT_CHARS - 3] + "..."


def clip_name(shot: ShotView, width: int) -> str:
    """The shot's file in the review zip (storyboard/clips.Clip.file_name)."""
    return f"{shot.number:0{width}d}-{slugify(shot.title)}.mp4"


def edl(view: ReviewView, fps: int = EDL_FPS) -> str:
    """The board's timeline as CMX 3600 text (CRLF line ends)."""
    title = _edl_text(view.title)[:70] or "STORYBOARD"
    lines = [f"TITLE: {title}", "FCM: NON-DROP FRAME"]
    width = max(2, len(str(len(view.shots))))
    record = EDL_START_SECONDS * fps
    for shot in view.shots:
        length = max(1, frames(shot.duration, fps))
        reel = f"SHOT{shot.number:03d}" if shot.video else "BL"
        lines.append(
            f"{shot.number:03d}  {reel:<8} {'V':<4}  {'C':<4} {'':<3} {smpte(0, fps)} {smpte(length, fps)} "
            f"{smpte(record, fps)} {smpte(record + length, fps)}"
        )
        lines.append(f"* FROM CLIP NAME: {clip_name(shot, width)}")
        version = f" {shot.current.label}" if shot.current else ""
        lines.append(f"* COMMENT: SHOT {shot.number}{version} {_edl_text(shot.title)}".rstrip())
        if shot.state != ReviewState.DONE:
            lines.append(f"* COMMENT: {_edl_text(shot.state_label).upper()}")
        if shot.statuses:
            lines.append(f"* COMMENT: STATUS {shot.verdict.label.upper()}")
        for note in shot.notes:
            for entry in (note, *note.replies):
                lines.append(_note_line(entry, record, length, fps, entry is not note))
        record += length
    return "\r\n".join(lines) + "\r\n"


def _note_line(note: Note, record: int, length: int, fps: int, reply: bool) -> str:
    at = record + min(frames(note.seconds, fps), length - 1)
    how = "RE " if reply else ""
    done = " [RESOLVED]" if note.resolved else ""
    return f"* COMMENT: {smpte(at, fps)} {how}{_edl_text(note.reviewer)}: {_edl_text(note.text)}{done}"


NOTES_CSV_NAME = "review-notes.csv"
EDL_NAME = "review-timeline.edl"


def zip_files(view: ReviewView) -> dict[str, str]:
    """What the review zip adds: file name -> text (the notes CSV and the EDL)."""
    return {NOTES_CSV_NAME: notes_csv(view), EDL_NAME: edl(view)}
