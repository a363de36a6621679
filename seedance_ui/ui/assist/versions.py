"""A prompt's versions (`VersionsPanel`): listed with their source and time, each shown as a diff against
the prompt as it is, and *Restore* (which records a "restored" version). `record` is how every part of
the page writes a version (a take's submission records the "typed" one it was made from)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import gradio as gr

from seedance_ui.llm.diff import word_diff
from seedance_ui.runtime import Runtime
from seedance_ui.ui.assist import views as av
from seedance_ui.ui.assist.target import REVIEW, Target, shot_subject
from seedance_ui.ui.common import Out, handler, owner_of

VERSIONS_SHOWN = 50  # the newest versions a list shows
TAKES_SCANNED = 200  # the owner's newest takes counted per version in the list ("made 2 takes")


def record(runtime: Runtime, owner: str | None, subject: str | None, text: Any, source: str) -> str | None:
    """Record `text` as a version of `subject` (nothing new when it is the latest already); its id, or
    None when there is nothing to record (no owner, no prompt open, an empty text, the feature off)."""
    versions = getattr(runtime, "prompt_versions", None)
    if versions is None or not owner or not subject or not isinstance(text, str) or not text.strip():
        return None
    try:
        return versions.add(owner, subject, text, source).id
    except ValueError:  # a text over the prompt cap: the generation refuses it by the same rule
        return None


def shot_version_recorder(runtime: Runtime) -> Callable[[str, Any, Any], str | None]:
    """What a storyboard take records (`BoardSession.record_versions`): its shot's prompt as a "typed"
    version (or the latest version, when it is that text)."""

    def version_of(owner: str, board: Any, shot: Any) -> str | None:
        return record(runtime, owner, shot_subject(board.id, shot.id), shot.prompt, "typed")

    return version_of


class VersionsPanel:
    """The versions accordion of one prompt box (handed the runtime; `build` places it)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.restored: Any = None  # the Restore event (a tab chains its save to it)

    def build(self, target: Target, line: gr.HTML) -> None:
        """The accordion, closed; opening it (or showing another prompt) lists the versions."""
        self.target, self.target_line, t = target, line, target
        with gr.Accordion(
            "Versions", open=False, elem_id=f"{t.prefix}-versions", elem_classes="sd-assist-versions"
        ) as accordion:
            self.pick = gr.Dropdown(
                [],
                value=None,
                label="Versions of this prompt",
                info="Newest first; pick one to compare.",
                elem_id=f"{t.prefix}-versions-pick",
            )
            self.diff = gr.HTML("", elem_id=f"{t.prefix}-versions-diff")
            self.restore_btn = gr.Button("Restore", size="sm", elem_id=f"{t.prefix}-versions-restore")
        ask = [t.owner, *t.subject_inputs]
        accordion.expand(self.refresh, ask, [self.pick, self.diff], **REVIEW)
        for trigger in t.refresh_on:
            trigger(self.refresh, ask, [self.pick, self.diff], **REVIEW)
        self.pick.focus(self.relist, ask, [self.pick], **REVIEW)  # takes made since: the list says so
        self.pick.input(self.show, [self.pick, t.prompt, *ask], [self.diff], **REVIEW)
        self.restored = self.restore_btn.click(
            self.restore, [self.pick, t.prompt, *ask], [t.prompt, self.pick, self.diff, line], **REVIEW
        )

    def _who(self, request: Any, owner: Any, *subject_values: Any) -> tuple[str | None, str | None]:
        owner_id = owner_of(owner, request, self.runtime.settings)
        return owner_id, self.target.subject_of(*subject_values)

    def listing(self, owner_id: str | None, subject: str | None) -> Out:
        """The versions list, newest first, nothing picked."""
        versions = getattr(self.runtime, "prompt_versions", None)
        items = versions.list(owner_id, subject, VERSIONS_SHOWN) if versions and owner_id and subject else []
        takes = self.takes_by_version(owner_id) if items else Counter()
        count = len(items)
        choices = [
            (av.version_label(count - i, v.source, v.created_at, v.text, takes[v.id]), v.id)
            for i, v in enumerate(items)
        ]
        return {self.pick: gr.update(choices=choices, value=None), self.diff: ""}

    def takes_by_version(self, owner_id: str | None) -> Counter[str]:
        """How many of the owner's newest takes each version made (a take records its version)."""
        records = self.runtime.manager.list(owner_id, TAKES_SCANNED) if owner_id else []
        return Counter(v for r in records if isinstance(v := getattr(r, "prompt_version", None), str))

    @handler
    def refresh(self, request: gr.Request, owner: Any, *subject_values: Any) -> Out:
        return self.listing(*self._who(request, owner, *subject_values))

    @handler
    def relist(self, request: gr.Request, owner: Any, *subject_values: Any) -> Out:
        """The list again, the pick kept."""
        choices = self.listing(*self._who(request, owner, *subject_values))[self.pick]["choices"]
        return {self.pick: gr.update(choices=choices)}

    @handler
    def show(
        self, request: gr.Request, version_id: Any, prompt: Any, owner: Any, *subject_values: Any
    ) -> Out:
        """The picked version as a diff against the prompt as it is."""
        owner_id, subject = self._who(request, owner, *subject_values)
        version = self._version(owner_id, subject, version_id)
        if version is None:
            return {self.diff: ""}
        current = prompt if isinstance(prompt, str) else ""
        return {
            self.diff: av.version_diff_html(
                version.source, current, version.text, word_diff(current, version.text)
            )
        }

    @handler
    def restore(
        self, request: gr.Request, version_id: Any, prompt: Any, owner: Any, *subject_values: Any
    ) -> Out:
        """The picked version becomes the prompt, recorded as a "restored" version (the text before it is
        kept as a "typed" one first, so it can be restored in turn)."""
        owner_id, subject = self._who(request, owner, *subject_values)
        version = self._version(owner_id, subject, version_id)
        if version is None:
            return {self.target_line: av.line_html("warning", "Versions: pick a version to restore first.")}
        record(self.runtime, owner_id, subject, prompt, "typed")
        record(self.runtime, owner_id, subject, version.text, "restored")
        out = self.listing(owner_id, subject)
        out[self.target.prompt] = version.text
        out[self.target_line] = av.line_html(
            "success", "Restored that version: the next take is made from it."
        )
        return out

    def _version(self, owner_id: str | None, subject: str | None, version_id: Any) -> Any:
        versions = getattr(self.runtime, "prompt_versions", None)
        if versions is None or not owner_id or not subject or not isinstance(version_id, str):
            return None
        version = versions.get(owner_id, version_id)
        return version if version is not None and version.subject == subject else None
