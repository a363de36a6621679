"""The Storyboard tab's components (`Page`, placed by the tab's panels), the options its events run with,
and the guard every handler of the tab wears (`handler`: a failure shows a short error in the tab's notice,
no traceback).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from seedance_ui.storyboard.page import FIELDS
from seedance_ui.ui.common import EXPORT_LIMIT, INTERNAL_ERROR, UI_LIMIT, Out, group, guarded
from seedance_ui.ui.views import notice_html

QUICK = group("storyboard", UI_LIMIT, show_progress="hidden")
SAVE = {**QUICK, "trigger_mode": "always_last"}  # a burst of keystrokes folds into one save
EXPORT = group("storyboard-export", EXPORT_LIMIT, show_progress="minimal")


class Page:
    """The tab's components, placed by the panels (`build`). The board settings and
    the shot editor's fields are named as `seedance_ui.storyboard.page.FIELDS` names them, so what a page
    sends is matched to its fields by name, once, here."""

    def __init__(self, owner: gr.BrowserState, visitor_key: gr.State) -> None:
        self.owner, self.visitor_key = owner, visitor_key
        # (owner, board id) -> when the owner last marked the board's review notes read (this process)

    def fields(self) -> list[Any]:
        """The field components, in FIELDS order."""
        return [getattr(self, name) for name in FIELDS]

    def shown_inputs(self) -> list[Any]:
        """What every event sends first: the owner, the open board and shot, then the fields."""
        return [self.owner, self.board_box, self.shot_box, *self.fields()]

    def everything(self) -> list[Any]:
        """Every component a render may change."""
        return [
            *(self.board_box, self.shot_box, self.takes_sig, self.plan, self.compared, self.timer),
            *(self.picker, self.summary, self.notice, self.tiles, self.editor_head, self.editor),
            *(self.editor_info, self.shot_gen_btn, self.takes, self.compare_row, self.compare_pick),
            *(self.compare_col, self.compare, self.confirm_group, self.confirm_html, self.confirm_btn),
            *(self.downloads, self.export_note, self.sheet_preview, self.animatic_preview),
            *(self.cast_chips, self.cast_remove),
            *(self.review_bar, self.review_notes, self.review_timer, self.review_sig, self.review_links),
            self.revoke_pick,
            *self.fields(),
        ]

    def export_outputs(self) -> list[Any]:
        return [self.downloads, self.export_note, self.sheet_preview, self.animatic_preview, self.notice]


# --------------------------------------------------------------------------------------------------
# The handlers: page event -> BoardSession call -> components


def _internal_error(panel: Any, *_args: Any) -> Out:
    return {panel.page.notice: notice_html("error", INTERNAL_ERROR)}


handler = guarded(_internal_error)
