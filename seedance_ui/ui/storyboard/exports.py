"""The review exports of the chosen takes (contact sheet, animatic, review zip) and the downloads list.
The exports decode and encode video, so they run off the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import gradio as gr

from seedance_ui.storyboard import Board, StoryboardError
from seedance_ui.storyboard.page import Shown, find_shot
from seedance_ui.storyboard.session import Refused
from seedance_ui.ui.common import Out, section
from seedance_ui.ui.storyboard import views as sv
from seedance_ui.ui.storyboard.page import EXPORT, handler
from seedance_ui.ui.storyboard.panel import TabPanel
from seedance_ui.ui.views import notice_html


class ExportsPanel(TabPanel):
    """Contact sheet, animatic and review zip, and the downloads list (the board bar's exports join it)."""

    def build(self) -> None:
        """The review exports of the chosen takes: contact sheet, animatic, review zip, and the downloads."""
        p = self.page
        with gr.Column(elem_classes="sd-panel", elem_id="sb-exports"):
            section(
                "Review exports",
                "The chosen take of each shot: a contact sheet (PNG), an animatic (MP4) and a review zip "
                "with the videos and a manifest.",
            )
            with gr.Row(equal_height=False, elem_id="sb-export-row"):
                p.sheet_btn = gr.Button("Contact sheet", elem_id="sb-export-sheet", min_width=140)
                p.animatic_btn = gr.Button("Animatic", elem_id="sb-export-animatic", min_width=120)
                p.zip_btn = gr.Button("Review zip", variant="primary", elem_id="sb-export-zip", min_width=140)
                p.cards = gr.Checkbox(
                    value=True, label="Title cards in the animatic", elem_id="sb-title-cards", min_width=200
                )
            p.export_note = gr.HTML("", elem_id="sb-export-note")
            with gr.Row(equal_height=False):
                p.sheet_preview = gr.Image(
                    label="Contact sheet",
                    visible=False,
                    interactive=False,
                    type="filepath",
                    elem_id="sb-sheet-preview",
                    buttons=["download", "fullscreen"],
                )
                p.animatic_preview = gr.Video(
                    label="Animatic", visible=False, interactive=False, elem_id="sb-animatic-preview"
                )
            p.downloads = gr.File(
                label="Downloads", file_count="multiple", interactive=False, visible=False,
                elem_id="sb-downloads",
            )

    def wire(self) -> None:
        p = self.page
        shown, outputs = p.shown_inputs(), p.export_outputs()
        p.sheet_btn.click(self.export_sheet, shown, outputs, show_progress_on=[p.sheet_btn], **EXPORT)
        p.animatic_btn.click(
            self.export_animatic, [*shown, p.cards], outputs, show_progress_on=[p.animatic_btn], **EXPORT
        )
        p.zip_btn.click(self.export_review_zip, shown, outputs, show_progress_on=[p.zip_btn], **EXPORT)

    def downloads(
        self, board: Board, owner: str, message: str, kind: str = "success", extra: Out | None = None
    ) -> Out:
        files = self.session.exported(board, owner)
        return {
            self.page.downloads: gr.update(value=[str(p) for p in files] or None, visible=bool(files)),
            self.page.export_note: sv.exports_html(files, message, kind),
            **(extra or {}),
        }

    async def _export(
        self, values: tuple[Any, ...], request: Any, what: str, make: Callable[..., Out]
    ) -> Out:
        shown, extras = self.shown(values, request)
        try:
            return await asyncio.to_thread(make, shown, *extras)
        except Refused as refusal:
            return {self.page.export_note: notice_html(refusal.kind, refusal.message)}
        except StoryboardError as exc:
            return {self.page.export_note: notice_html("warning", f"No {what} yet: {exc}.")}

    @handler
    async def export_sheet(self, request: gr.Request, *values: Any) -> Out:
        def make(shown: Shown) -> Out:
            board, path = self.session.contact_sheet(shown)
            rows = len(board.shots)
            message = f"Contact sheet ready: {rows} row{'s' if rows != 1 else ''}, {path.name}."
            preview = {self.page.sheet_preview: gr.update(value=str(path), visible=True)}
            return self.downloads(board, shown.owner or "", message, extra=preview)

        return await self._export(values, request, "contact sheet", make)

    @handler
    async def export_animatic(self, request: gr.Request, *values: Any) -> Out:
        def make(shown: Shown, cards: Any) -> Out:
            board, result = self.session.animatic(shown, bool(cards))
            shots = len([s for s in result.segments if s.kind == "shot"])
            message = (
                f"Animatic ready: {sv.fmt_seconds(result.duration)} at {result.width}×{result.height}, "
                f"{shots} shots."
            )
            kind = "success"
            if result.skipped:
                missing = ", ".join(
                    str(board.number_of(sid)) for sid in result.skipped if find_shot(board, sid)
                )
                message += f" Left out (no chosen take yet): shot {missing}."
                kind = "warning"
            preview = {self.page.animatic_preview: gr.update(value=str(result.path), visible=True)}
            return self.downloads(board, shown.owner or "", message, kind, extra=preview)

        return await self._export(values, request, "animatic", make)

    @handler
    async def export_review_zip(self, request: gr.Request, *values: Any) -> Out:
        def make(shown: Shown) -> Out:
            board, path = self.session.review_zip(shown)
            return self.downloads(board, shown.owner or "", f"Review zip ready: {path.name}.")

        return await self._export(values, request, "review zip", make)
