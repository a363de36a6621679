"""Deletes on the Storyboard tab that can be undone (`storyboard/slips.py`): the editor's *Delete* (the
selected shot, with its takes and choice), *Delete take* in the takes strip, and *Delete board* in the
board bar. Each answers with the board redrawn and the tab's undo bar (`ui/undo_bar.py`); *Undo* there
puts the shot, take or board back while the time runs (SEEDANCE_UNDO_SECONDS).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from seedance_ui.runtime import Runtime
from seedance_ui.storyboard.model import is_valid_id
from seedance_ui.storyboard.session import BoardSession, Refused
from seedance_ui.storyboard.slips import Slips, Undoable
from seedance_ui.ui.common import Out
from seedance_ui.ui.storyboard.page import QUICK, Page, handler
from seedance_ui.ui.storyboard.panel import TabPanel
from seedance_ui.ui.undo_bar import UndoBar

DELETE_TAKE = "delete-take"  # the takes strip's action (views.takes_html)


class SlipsPanel(TabPanel):
    """The undoable deletes and the tab's undo bar. A board purged when its time is up has its review
    links revoked (the review service, when the app has one)."""

    def __init__(self, runtime: Runtime, page: Page, session: BoardSession) -> None:
        super().__init__(runtime, page, session)
        self.slips = Slips(session, runtime.settings.undo_seconds)
        self.bar = UndoBar("sb-undo", self.slips.shelf)
        getattr(runtime, "on_close", []).append(self.slips.close)  # a stopping app finishes the deletes
        reviews = getattr(runtime, "reviews", None)
        if reviews is not None:
            self.slips.trash.on_purged.append(reviews.revoke_board)

    def build(self) -> None:
        self.bar.build()

    def wire(self) -> None:
        p = self.page
        shown, out = p.shown_inputs(), [*p.everything(), *self.bar.outputs()]
        p.del_btn.click(self.delete_shot, shown, out, **QUICK)
        p.takes.click(self.on_takes, shown, out, **QUICK)
        p.delete_board_btn.click(self.delete_board, shown, out, **QUICK)
        self.bar.button.click(self.undo, [*shown, self.bar.token], out, **QUICK)
        self.bar.wire()

    @handler
    def delete_shot(self, request: gr.Request, *values: Any) -> Out:
        shown = self.shown(values, request)[0]
        return self._deleted(lambda: self.slips.delete_shot(shown), shown)

    @handler
    def on_takes(self, evt: gr.EventData, request: gr.Request, *values: Any) -> Out:
        """ "Delete take" in the takes strip (its other actions are the editor's)."""
        data = getattr(evt, "_data", None) or {}
        shot_id, take_id = data.get("shot"), data.get("take")
        if data.get("action") != DELETE_TAKE or not is_valid_id(shot_id) or not is_valid_id(take_id):
            return {self.page.notice: gr.skip()}
        shown = self.shown(values, request)[0]
        return self._deleted(lambda: self.slips.delete_take(shown, shot_id, take_id), shown)

    @handler
    def delete_board(self, request: gr.Request, *values: Any) -> Out:
        shown = self.shown(values, request)[0]
        return self._deleted(lambda: self.slips.delete_board(shown), shown)

    @handler
    def undo(self, request: gr.Request, *values: Any) -> Out:
        shown, (token,) = self.shown(values, request)
        self.session.commit(shown)
        try:
            board, shot_id = self.slips.undo(shown.owner, token)
        except Refused as refusal:
            return {**self.refused(refusal), **self.bar.hide()}
        return {**self.full(board, shown, shot_id, "Undone: it is back.", "success"), **self.bar.hide()}

    def _deleted(self, delete: Any, shown: Any) -> Out:
        try:
            done: Undoable = delete()
        except Refused as refusal:
            return self.refused(refusal)
        out = self.full(done.board, shown, done.shot_id, done.message)
        return {**out, **self.bar.show(done.token, done.message)}
