"""The review exports of the chosen takes (contact sheet, animatic, review zip) and the downloads list.
The exports decode and encode video, so they run off the event loop, each in its visitor's turn of the
session's export line: while it waits, the exports panel shows its place ("Waiting: 2nd in line"), redrawn
each time the line moves (no thread is held while it waits).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import gradio as gr

from seedance_ui.storyboard import Board, StoryboardError
from seedance_ui.storyboard.chain import out_of_date
from seedance_ui.storyboard.export_line import Ticket, waiting_text
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
        self, board: Board, owner: str, message: str, kind: str = "success", extra: Out | None = None,
        *, review: bool = False,
    ) -> Out:
        """The downloads list and the line about the last export; a `review` export (sheet, animatic,
        zip) of a board with out-of-date shots says so first, as a warning."""
        files = self.session.exported(board, owner)
        stale = stale_warning(board) if review else ""
        if stale:
            message, kind = f"{stale} {message}", "warning"
        return {
            self.page.downloads: gr.update(value=[str(p) for p in files] or None, visible=bool(files)),
            self.page.export_note: sv.exports_html(files, message, kind),
            **(extra or {}),
        }

    async def _export(
        self, values: tuple[Any, ...], request: Any, what: str, make: Callable[..., Out]
    ) -> AsyncIterator[Out]:
        """Wait for the visitor's turn (showing the place in line), then `make(shown, ticket, *extras)`
        in a thread, which leaves the line when it is done (even if the page went away meanwhile)."""
        shown, extras = self.shown(values, request)
        started = False
        try:
            ticket = self.session.export_turn(shown.owner, what)
        except Refused as refusal:
            yield {self.page.export_note: notice_html(refusal.kind, refusal.message)}
            return
        try:
            while (place := ticket.place()) > 0:
                yield {self.page.export_note: notice_html("info", waiting_text(place))}
                await ticket.changed(place)
            started = True
            yield await asyncio.to_thread(_in_turn, ticket, make, shown, *extras)
        except Refused as refusal:
            yield {self.page.export_note: notice_html(refusal.kind, refusal.message)}
        except StoryboardError as exc:
            yield {self.page.export_note: notice_html("warning", f"No {what} yet: {exc}.")}
        finally:
            if not started:
                ticket.leave()

    @handler
    async def export_sheet(self, request: gr.Request, *values: Any) -> AsyncIterator[Out]:
        def make(shown: Shown, ticket: Ticket) -> Out:
            board, path = self.session.contact_sheet(shown, ticket)
            rows = len(board.shots)
            message = f"Contact sheet ready: {rows} row{'s' if rows != 1 else ''}, {path.name}."
            preview = {self.page.sheet_preview: gr.update(value=str(path), visible=True)}
            return self.downloads(board, shown.owner or "", message, extra=preview, review=True)

        async for out in self._export(values, request, "contact sheet", make):
            yield out

    @handler
    async def export_animatic(self, request: gr.Request, *values: Any) -> AsyncIterator[Out]:
        def make(shown: Shown, ticket: Ticket, cards: Any) -> Out:
            board, result = self.session.animatic(shown, bool(cards), ticket)
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
            if result.repeated:
                shots = [sid for sid in result.repeated if find_shot(board, sid)]
                again = ", ".join(str(board.number_of(sid)) for sid in shots)
                message += f" Shown once (the same take as an earlier shot): shot {again}."
                kind = "warning"
            preview = {self.page.animatic_preview: gr.update(value=str(result.path), visible=True)}
            return self.downloads(board, shown.owner or "", message, kind, extra=preview, review=True)

        async for out in self._export(values, request, "animatic", make):
            yield out

    @handler
    async def export_review_zip(self, request: gr.Request, *values: Any) -> AsyncIterator[Out]:
        def make(shown: Shown, ticket: Ticket) -> Out:
            board, path = self.session.review_zip(shown, ticket)
            return self.downloads(board, shown.owner or "", f"Review zip ready: {path.name}.", review=True)

        async for out in self._export(values, request, "review zip", make):
            yield out


def stale_warning(board: Board) -> str:
    """ "Out of date: shot 4 continues an older take …" for a board whose chained shots do not continue
    the takes now chosen before them; "" when none is."""
    stale = out_of_date(board)
    if not stale:
        return ""
    numbers = ", ".join(str(board.number_of(shot_id)) for shot_id in stale)
    one = len(stale) == 1
    return (
        f"Out of date: shot{'' if one else 's'} {numbers} {'continues' if one else 'continue'} an older "
        "take of the shot before, "
        "so the cut is not continuous there (each export marks it). Generate "
        f"{'it' if one else 'them'} again, or pick the matching takes."
    )


def _in_turn(ticket: Ticket, make: Callable[..., Out], *args: Any) -> Out:
    """`make(*args)` in the ticket's turn, then out of the line."""
    try:
        return make(args[0], ticket, *args[1:])
    finally:
        ticket.leave()
