"""The cast panel: the board's cast and looks, named reference images (add, remove) shown as chips; a
shot ticks the entries it uses and names them in its prompt (continuity.py draws the chips).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from seedance_ui.client.media_rules import image_problem, measure_image
from seedance_ui.storyboard.session import Refused
from seedance_ui.ui.common import Out, toast_warning
from seedance_ui.ui.picture_inputs import dropped_problem, dropped_refusal, guarded
from seedance_ui.ui.storyboard import continuity as scv
from seedance_ui.ui.storyboard.page import QUICK, handler
from seedance_ui.ui.storyboard.panel import TabPanel
from seedance_ui.ui.views import notice_html

CAST_FIELD = "cast image"  # how the guard and the rules name the field
CAST_LABEL = "Cast picture"  # how the control's note names it


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
            # A refused picture or entry, named here at the control (and in a toast): on_picture, add_cast.
            p.cast_note = gr.HTML("", elem_id="sb-cast-note", padding=False)

    def wire(self) -> None:
        p = self.page
        everything, shown = p.everything(), p.shown_inputs()
        outputs = [*everything, p.cast_image, p.cast_name, p.cast_note]
        p.cast_add_btn.click(self.add_cast, [*shown, p.cast_image, p.cast_name], outputs, **QUICK)
        # The picture as the page sent it (preprocess=False: the guard's refusal would end the event before
        # the handler could answer at the control); on_picture checks it itself, nothing decoded.
        p.cast_image.change(
            self.on_picture, [p.cast_image], [p.cast_image, p.cast_note, p.notice], preprocess=False, **QUICK
        )
        p.cast_remove_btn.click(self.remove_cast, [*shown, p.cast_remove], everything, **QUICK)

    @handler
    def on_picture(self, payload: Any) -> Out:
        """A picture dropped on the cast control, checked as the page sent it: an upload, readable, within
        the contract's limits and rules (`picture_refusal`). A refused one is taken out of the control and
        named under it and in a toast; the note stays until the control takes a picture again."""
        p = self.page
        if payload is None:  # emptied (by the visitor, by a refusal or after an add): the note stays
            return {p.cast_note: gr.skip()}
        refusal = picture_refusal(payload)
        if refusal is None:
            return {p.cast_note: ""}
        toast_warning(refusal, title="Picture refused")
        return {p.cast_image: None, p.cast_note: notice_html("error", refusal)}

    @handler
    def add_cast(self, request: gr.Request, *values: Any) -> Out:
        """A picture and a name become a cast entry of the open board; a refusal is said at the cast
        control and in a toast."""
        shown, (image, name) = self.shown(values, request)
        if not image:
            return self.at_control("Cast: choose a picture first (JPEG, PNG or WebP).")
        try:
            board = self.session.add_cast(shown, str(name or ""), Path(str(image)))
        except Refused as refusal:
            return self.at_control(refusal.message) if refusal.message else self.refused(refusal)
        entry = board.cast_named(str(name or "")) or board.cast[-1]  # a name a script brought: its picture
        message = f"“{entry.name}” is in the cast: tick it in a shot, write @[{entry.name}] in its prompt."
        out = self.full(board, shown, shown.shot_id, message, "success", keep_compare=True)
        out.update({self.page.cast_image: None, self.page.cast_name: "", self.page.cast_note: ""})
        return out

    def at_control(self, message: str) -> Out:
        """`message` under the cast control and in a toast (the visitor is at the control, not the top)."""
        toast_warning(message, title="Not added")
        return {self.page.cast_note: notice_html("warning", message), self.page.notice: ""}

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


def picture_refusal(payload: Any) -> str | None:
    """What the cast control says of a dropped file ('Cast picture: “notes.png” is not a readable image
    (JPEG, PNG or WebP) — it was not kept.'): not an upload, unsafe to decode (the header is read, never
    the pixels), or against the provider's picture rules (format, bytes, sides, ratio); None when fine."""
    problem = dropped_problem(CAST_FIELD, payload)
    if problem is None:
        path = getattr(payload, "path", None) or (payload.get("path") if isinstance(payload, dict) else None)
        rule = image_problem(CAST_FIELD, measure_image(Path(str(path)))) if path else None
        problem = f"{rule.field}: {rule.rule}" if rule is not None else None
    return dropped_refusal(CAST_LABEL, payload, problem) if problem is not None else None
