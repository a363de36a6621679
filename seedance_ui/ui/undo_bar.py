"""The undo bar both tabs show after a delete: a toast-like bar fixed at the top of the screen that says
what was deleted, with *Undo* and the seconds left. Its timer ticks once a second while it shows and
hides it when the delete's time is up (`UndoShelf.left`). A handler that deletes answers with `show`;
the tab wires *Undo* to its own handler, which answers with `hide` and the restored view.
"""

from __future__ import annotations

import math
from typing import Any

import gradio as gr

from seedance_ui.ui.common import UI_LIMIT, Out, group
from seedance_ui.ui.views import esc
from seedance_ui.undo import UndoShelf

TICK = group("ui", UI_LIMIT, show_progress="hidden")


class UndoBar:
    """One tab's bar (`elem_id`) over the tab's shelf of deletes."""

    row: gr.Row
    note: gr.HTML
    button: gr.Button
    token: gr.State
    timer: gr.Timer

    def __init__(self, elem_id: str, shelf: UndoShelf) -> None:
        self.elem_id, self.shelf = elem_id, shelf

    def build(self) -> None:
        with gr.Row(visible=False, elem_id=self.elem_id, elem_classes="sd-undo-bar") as row:
            self.row = row
            self.note = gr.HTML("", elem_classes="sd-undo-note", min_width=160)
            self.button = gr.Button(
                "Undo", size="sm", variant="primary", elem_id=f"{self.elem_id}-btn", min_width=80, scale=0
            )
        self.token = gr.State(None)
        self.timer = gr.Timer(1.0, active=False)

    def outputs(self) -> list[Any]:
        return [self.row, self.note, self.token, self.timer]

    def wire(self) -> None:
        """The countdown, and the bar hidden when the time is up."""
        self.timer.tick(self.on_tick, [self.token], self.outputs(), **TICK)

    def show(self, token: str, message: str) -> Out:
        return {
            self.row: gr.update(visible=True),
            self.note: self.note_html(message, self.shelf.left(token)),
            self.token: token,
            self.timer: gr.Timer(active=True),
        }

    def hide(self) -> Out:
        return {self.row: gr.update(visible=False), self.note: "", self.token: None,
                self.timer: gr.Timer(active=False)}

    def on_tick(self, token: Any) -> Out:
        left = self.shelf.left(token)
        if left <= 0:
            return self.hide()
        note = self.note_html(self.shelf.said(token), left)
        return {self.row: gr.skip(), self.note: note, self.token: gr.skip(), self.timer: gr.skip()}

    @staticmethod
    def note_html(message: str, left: float) -> str:
        seconds = max(1, math.ceil(left))
        return (
            f'<div class="sd-undo-msg" role="status"><span>{esc(message)}</span> '
            f'<span class="sd-undo-left">Undo within {seconds} s</span></div>'
        )
