"""The review zip: chosen takes as 01-<slug>.mp4 …, the contact sheet, and manifest.json."""

from __future__ import annotations

import json
import logging
import tempfile
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import av

import seedance_ui
from seedance_ui.media import MediaError, probe
from seedance_ui.pricing import estimate
from seedance_ui.storyboard.chain import out_of_date
from seedance_ui.storyboard.clips import (
    SENT_PARAMS,
    Clip,
    JobInfoMap,
    VideoPathOf,
    board_clips,
    export_stem,
)
from seedance_ui.storyboard.contact import TAKE_TIME, export_contact_sheet, export_warning
from seedance_ui.storyboard.files import atomic_path
from seedance_ui.storyboard.inputs import UploadOf, take_inputs
from seedance_ui.storyboard.model import Board, StoryboardError

log = logging.getLogger(__name__)

MANIFEST_FORMAT = "seedance-storyboard-manifest"
MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.json"
CONTACT_SHEET_NAME = "contact-sheet.png"
# What the credits in the manifest are, in the words of the confirmation before generating.
CREDITS_LABELS = {
    "credits_estimated": "Estimate: published prices, as the confirmation showed before generating",
    "credits_reserved": "Reserved: what the provider held when each job started (a failed shot is not "
                        "billed)",
}


def _estimated_credits(clip: Clip) -> float | None:
    if clip.job is not None and clip.job.credits_estimated is not None:
        return clip.job.credits_estimated
    p = clip.params
    try:
        return estimate(p["model"], p["quality"], p["duration"], bool(p.get("web_search"))).credits
    except (KeyError, TypeError):
        return None


def _duration(path: Path | None) -> float | None:
    if path is None:
        return None
    try:
        return probe(path).duration
    except (MediaError, OSError, av.FFmpegError):
        return None


def shot_manifest(
    clip: Clip,
    video_name: str | None,
    board: Board | None = None,
    upload_of: UploadOf | None = None,
    jobs: JobInfoMap | None = None,
) -> dict[str, Any]:
    """One shot's manifest entry; with `board`, the chosen take's inputs and where its cut comes from."""
    job = clip.job
    inputs = take_inputs(board, clip.take, upload_of, jobs) if board and clip.take else []
    chained = board is not None and clip.shot.chain and clip.number > 1
    stale = out_of_date(board) if board is not None else {}
    return {
        "number": clip.number,
        "shot_id": clip.shot.id,
        "title": clip.shot.title,
        "prompt": clip.prompt,
        "parameters": {k: clip.params[k] for k in SENT_PARAMS if k in clip.params},
        "take_id": clip.take.id if clip.take else None,
        "take_number": _take_number(clip),
        "takes": len(clip.shot.takes),
        "take_made_at": time.strftime(TAKE_TIME, time.localtime(clip.take.created_at)) if clip.take else None,
        "warning": export_warning(clip, stale, jobs) or None,
        "job_id": clip.take.job_id if clip.take else None,
        "task_id": job.task_id if job else None,
        "status": job.status if job else None,
        "credits_estimated": _estimated_credits(clip),
        "credits_reserved": job.credits_reserved if job else None,
        "video": video_name,
        "duration": _duration(clip.video) if video_name else None,
        "continues_shot": clip.number - 1 if chained else None,
        "inputs": inputs,
    }


def _take_number(clip: Clip) -> int | None:
    if clip.take is None:
        return None
    return next((i for i, t in enumerate(clip.shot.takes, start=1) if t.id == clip.take.id), None)


def totals(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts and sums over the manifest's shot entries."""
    return {
        "shots": len(entries),
        "videos": sum(1 for e in entries if e["video"]),
        "duration": round(sum(e["duration"] or 0 for e in entries), 3),
        "credits_estimated": round(sum(e["credits_estimated"] or 0 for e in entries), 4),
        "credits_reserved": round(sum(e["credits_reserved"] or 0 for e in entries), 4),
        "credits_labels": dict(CREDITS_LABELS),
    }


def build_manifest(
    board: Board,
    clips: list[Clip],
    video_names: dict[str, str],
    upload_of: UploadOf | None = None,
    jobs: JobInfoMap | None = None,
) -> dict[str, Any]:
    """The manifest dict: board title, settings and cast, totals, and one entry per shot (with every
    input of its chosen take, its uploads read from `jobs`)."""
    shots = [shot_manifest(c, video_names.get(c.shot.id), board, upload_of, jobs) for c in clips]
    return {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "generator": f"Seedance Studio {seedance_ui.__version__}",
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "board": {"id": board.id, "title": board.title, "settings": board.settings()},
        "cast": [{"name": e.name, "sha256": e.sha256} for e in board.cast],
        "totals": totals(shots),
        "warnings": [f"Shot {e['number']}: {e['warning']}" for e in shots if e["warning"]],
        "contact_sheet": None,
        "shots": shots,
    }


def export_zip(
    board: Board,
    out_dir: Path,
    video_path_of: VideoPathOf,
    jobs: JobInfoMap | None = None,
    *,
    include_contact_sheet: bool = True,
    upload_of: UploadOf | None = None,
    extra_files: Mapping[str, str] | None = None,
) -> Path:
    """Write `<stem>-review.zip` into `out_dir` (atomically); returns its path.

    Shots without a chosen take (or whose video is gone) are listed in the manifest with video null.
    `extra_files` (name -> text) are added as they are: a shared board's review notes CSV and EDL.
    """
    if not board.shots:
        raise StoryboardError("the storyboard has no shots")
    clips = board_clips(board, video_path_of, jobs)
    width = max(2, len(str(len(clips))))
    video_names = {c.shot.id: c.file_name(width) for c in clips if c.video is not None}
    manifest = build_manifest(board, clips, video_names, upload_of, jobs)
    target = Path(out_dir) / f"{export_stem(board)}-review.zip"
    with tempfile.TemporaryDirectory(prefix="storyboard-") as scratch, atomic_path(target) as tmp:
        sheet = None
        if include_contact_sheet:
            sheet = export_contact_sheet(
                board, Path(scratch), video_path_of, jobs, file_name=CONTACT_SHEET_NAME
            )
            manifest["contact_sheet"] = CONTACT_SHEET_NAME
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for clip, entry in zip(clips, manifest["shots"], strict=True):
                if clip.video is None:
                    continue
                try:
                    zf.write(clip.video, entry["video"], compress_type=zipfile.ZIP_STORED)
                except OSError as exc:  # gone since it was resolved
                    log.warning("review zip: cannot add %s: %s", entry["video"], exc)
                    entry["video"] = entry["duration"] = None
            if sheet is not None:
                zf.write(sheet, CONTACT_SHEET_NAME, compress_type=zipfile.ZIP_STORED)
            manifest["totals"] = totals(manifest["shots"])
            if extra_files:
                manifest["review_files"] = sorted(extra_files)
            zf.writestr(MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=2))
            for name, text in (extra_files or {}).items():
                zf.writestr(name, text)
    return target
