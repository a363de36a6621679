"""The cast panel: the board's cast and looks, named reference images (add, remove) shown as chips; a
shot ticks the entries it uses and names them in its prompt (continuity.py draws the chips).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from seedance_ui.storyboard.session import Refused
from seedance_ui.ui.common import Out
from seedance_ui.ui.picture_inputs import guarded
from seedance_ui.ui.storyboard import continuity as scv
from seedance_ui.ui.storyboard.page import QUICK, handler
from seedance_ui.ui.storyboard.panel import TabPanel


class CastPanel(TabPanel):
    """Cast and looks: add a named picture, remove an entry."""

    def build(self) -> None:
        """The board's cast and looks: named reference images (add, remove) shown as chips."""
        p = self.page
        with gr.Accordion("Cast and looks", open=True, elem_id="sb-cast-panel"):
            p.cast_chips = gr.HTML(scv.cast_chips_html(None), elem_id="sb-cast-chips")
            with gr.Row(equal_height=False, elem_id="sb-cast-add"):
                # The file as dropped (image_mode None: never decoded nor re-encoded by Gradio), measured
                # from its header first (`guarded`: a picture past the contract's limits is refused
                # undecoded).
                p.cast_image = guarded(
                    gr.Image(
                        label="Reference image (JPEG, PNG or WebP)",
                        type="filepath",
                        image_mode=None,
                        sources=["upload"],
                        height=140,
                        scale=2,
                        min_width=160,
                        elem_id="sb-cast-image",
                    ),
                    "cast image",
                )
                with gr.Column(scale=3, min_width=220):
                    p.cast_name = gr.Textbox(
                        label="Name", placeholder="e.g. Mara, the lighthouse, film stock", max_lines=1,
                        elem_id="sb-cast-name",
                    )
                    p.cast_add_btn = gr.Button("Add to cast", size="sm", elem_id="sb-cast-add-btn")
                with gr.Column(scale=3, min_width=220):
                    p.cast_remove = gr.Dropdown([], label="Remove an entry", elem_id="sb-cast-remove")
                    p.cast_remove_btn = gr.Button(
                        "Remove from cast", size="sm", variant="stop", elem_id="sb-cast-remove-btn"
                    )

    def wire(self) -> None:
        p = self.page
        everything, shown = p.everything(), p.shown_inputs()
        outputs = [*everything, p.cast_image, p.cast_name]
        p.cast_add_btn.click(self.add_cast, [*shown, p.cast_image, p.cast_name], outputs, **QUICK)
        p.cast_remove_btn.click(self.remove_cast, [*shown, p.cast_remove], everything, **QUICK)

    @handler
    def add_cast(self, request: gr.Request, *values: Any) -> Out:
        """A picture and a name become a cast entry of the open board."""
        shown, (image, name) = self.shown(values, request)
        if not image:
            return self.say("warning", "Cast: choose a picture first (JPEG, PNG or WebP).")
        try:
            board = self.session.add_cast(shown, str(name or ""), Path(str(image)))
        except Refused as refusal:
            return self.refused(refusal)
        entry = board.cast[-1]
        message = f"“{entry.name}” is in the cast: tick it in a shot, write @[{entry.name}] in its prompt."
        out = self.full(board, shown, shown.shot_id, message, "success", keep_compare=True)
        out.update({self.page.cast_image: None, self.page.cast_name: ""})
        return out

    @handler
    def remove_cast(self, request: gr.Request, *values: Any) -> Out:
        shown, (entry_id,) = self.shown(values, request)
        if not entry_id:
            return self.say("info", "Cast: pick the entry to remove first.")
        try:
            board = self.session.remove_cast(shown, str(entry_id))
        except Refused as refusal:
            return self.refused(refusal)
        return self.full(board, shown, shown.shot_id, "Removed from the cast.", "success", keep_compare=True)
