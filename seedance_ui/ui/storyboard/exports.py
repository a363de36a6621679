"""The review exports of the chosen takes (contact sheet, animatic, review zip) and the downloads list.
A mixin of `StoryboardTab`; the exports decode and encode video, so they run off the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import gradio as gr

from seedance_ui.storyboard import Board, StoryboardError
from seedance_ui.storyboard.page import Shown, find_shot
from seedance_ui.storyboard.session import BoardSession, Refused
from seedance_ui.ui.common import Out
from seedance_ui.ui.storyboard import views as sv
from seedance_ui.ui.storyboard.page import Page, handler
from seedance_ui.ui.views import notice_html


class ExportHandlers:
    """Export events; `StoryboardTab` provides `shown`."""

    page: Page
    session: BoardSession
    runtime: Any

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
