"""A `ReviewView` as the reviewer's page reads it: JSON-ready dicts, built here and nowhere else.

Everything the view holds goes out, with two changes: media paths (data-dir-relative) become URLs of
the link-checked media route, and a hidden prompt is left out altogether (no `prompt` key at all, not
even a null), so no answer of a link that hides prompts carries one. Status words come from
`ReviewStatus.label`, times from `Note.timecode`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seedance_ui.review import Note, ReviewStatus, ReviewView, ShotView, VersionView

MediaUrl = Callable[[str, str], str]  # (take job id, "video" | "poster") -> URL


def status_json(status: ReviewStatus) -> dict[str, str]:
    return {"value": status.value, "label": status.label}


def note_json(note: Note) -> dict[str, Any]:
    return {
        "id": note.id, "seconds": note.seconds, "timecode": note.timecode, "reviewer": note.reviewer,
        "text": note.text, "created_at": note.created_at, "resolved": note.resolved,
        "replies": [note_json(reply) for reply in note.replies],
    }


def version_json(version: VersionView, media_url: MediaUrl, show_prompts: bool) -> dict[str, Any]:
    found: dict[str, Any] = {
        "number": version.number, "label": version.label, "take_job_id": version.take_job_id,
        "current": version.current, "duration": version.duration,
        "video": media_url(version.take_job_id, "video") if version.video else None,
        "poster": media_url(version.take_job_id, "poster") if version.poster else None,
        "notes": [note_json(n) for n in version.notes],
        "statuses": [{"reviewer": name, "status": status_json(s)} for name, s in version.statuses],
        "verdict": status_json(version.verdict),
    }
    if show_prompts and version.prompt is not None:
        found["prompt"] = version.prompt
    return found


def shot_json(shot: ShotView, media_url: MediaUrl, show_prompts: bool) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": shot.id, "number": shot.number, "title": shot.title, "duration": shot.duration,
        "state": shot.state.value, "state_label": shot.state_label, "take_job_id": shot.take_job_id,
        "video": media_url(shot.take_job_id, "video") if shot.take_job_id and shot.video else None,
        "poster": media_url(shot.take_job_id, "poster") if shot.take_job_id and shot.poster else None,
        "versions": [version_json(v, media_url, show_prompts) for v in shot.versions],
        "verdict": status_json(shot.verdict), "approved": shot.approved,
    }
    if show_prompts and shot.prompt is not None:
        found["prompt"] = shot.prompt
    return found


def view_json(view: ReviewView, media_url: MediaUrl) -> dict[str, Any]:
    """The whole board for the page."""
    return {
        "board_id": view.board_id, "title": view.title, "style": view.style,
        "show_prompts": view.show_prompts, "summary": view.summary, "approved": view.approved,
        "shots": [shot_json(s, media_url, view.show_prompts) for s in view.shots],
    }
