"""Which wording made a take: the prompt version its job records (`JobRecord.prompt_version`), shown where
takes are read (the Studio history's detail, a shot's takes) as "Prompt v3 · Enhanced · 14:05", the
version's text folded under it. Nothing is shown for a take made before versions, with the feature off, or
for a version the owner no longer has (a subject keeps its newest versions only)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from seedance_ui.llm.versions import MAX_LIST, PromptVersion
from seedance_ui.ui.assist.views import source_label
from seedance_ui.ui.views import esc


@dataclass(frozen=True)
class TakeVersion:
    """A take's prompt version and its number among its subject's versions (1 = the oldest kept)."""

    version: PromptVersion
    number: int

    @property
    def label(self) -> str:
        when = time.strftime("%H:%M", time.localtime(self.version.created_at))
        return f"Prompt v{self.number} · {source_label(self.version.source)} · {when}"


def take_version(
    runtime: Any, owner: str | None, version_id: Any, listed: dict[str, list[str]] | None = None
) -> TakeVersion | None:
    """The owner's version `version_id` with its number, or None (no id, the feature off, not found);
    `listed` keeps each subject's version ids (newest first) for the next call."""
    versions = getattr(runtime, "prompt_versions", None)
    if versions is None or not owner or not isinstance(version_id, str) or not version_id:
        return None
    version = versions.get(owner, version_id)
    if version is None:
        return None
    listed = {} if listed is None else listed
    if version.subject not in listed:
        listed[version.subject] = [v.id for v in versions.list(owner, version.subject, MAX_LIST)]
    ids = listed[version.subject]
    number = len(ids) - ids.index(version.id) if version.id in ids else 1
    return TakeVersion(version, number)


def take_version_html(found: TakeVersion | None) -> str:
    """The version line: its label (the text on hover too), and the text it sent, folded."""
    if found is None:
        return ""
    text = esc(found.version.text)
    return (
        f'<details class="sd-take-version" data-version="{esc(found.version.id)}" '
        f'data-number="{found.number}"><summary title="{text}">{esc(found.label)}</summary>'
        f'<blockquote class="sd-take-version-text">{text}</blockquote></details>'
    )


def version_of_job(runtime: Any, owner: str | None, record: Any) -> str:
    """`take_version_html` of a job record's version ("" for none)."""
    version_id = getattr(record, "prompt_version", None) if record is not None else None
    return take_version_html(take_version(runtime, owner, version_id))


def takes_versions(runtime: Any, owner: str | None, takes: Any) -> dict[str, str]:
    """Take id -> its version line, for a shot's takes (`ui/storyboard/views.TakeView`s: `take`, `record`)."""
    listed: dict[str, list[str]] = {}
    out = {}
    for view in takes or ():
        version_id = getattr(view.record, "prompt_version", None) if view.record is not None else None
        out[view.take.id] = take_version_html(take_version(runtime, owner, version_id, listed))
    return out
