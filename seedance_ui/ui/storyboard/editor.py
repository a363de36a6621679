"""The shot editor: the selected shot's fields (saved as they change), its per-shot overrides, its actions
(move, duplicate, delete, generate), its takes and the compare picker.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from seedance_ui.options import QUALITIES
from seedance_ui.runtime import Runtime
from seedance_ui.storyboard.page import BOARD
from seedance_ui.storyboard.session import BoardSession
from seedance_ui.storyboard.validation import FROM_LAST_FRAME, FROM_VIDEO
from seedance_ui.ui.assist.prompt_assist import PromptAssist
from seedance_ui.ui.assist.target import Target, craft_enabled, shot_subject
from seedance_ui.ui.common import Out, duration_slider, script
from seedance_ui.ui.storyboard import continuity as scv
from seedance_ui.ui.storyboard import views as sv
from seedance_ui.ui.storyboard.generate import Generate
from seedance_ui.ui.storyboard.page import QUICK, SAVE, Page, handler
from seedance_ui.ui.storyboard.panel import TabPanel

PROMPT_PLACEHOLDER = (
    'Subject, action, camera move, light and mood. Dialogue in straight quotes: She whispers: "We made it."'
)


class EditorPanel(TabPanel):
    """The selected shot and its actions; handed `generate`, which "Generate this shot" asks."""

    def __init__(self, runtime: Runtime, page: Page, session: BoardSession, generate: Generate) -> None:
        super().__init__(runtime, page, session)
        self.generate = generate

    def build(self) -> None:
        """The selected shot: its fields, per-shot overrides, actions, takes and the compare picker."""
        p = self.page
        with gr.Column(scale=5, min_width=320, elem_classes="sd-panel", elem_id="sb-editor-panel"):
            p.editor_head = gr.HTML(sv.editor_head_html(None, None), elem_id="sb-editor-head-block")
            with gr.Column(visible=False, elem_id="sb-editor") as p.editor:
                p.shot_title = gr.Textbox(label="Title", elem_id="sb-shot-title", max_lines=1)
                p.shot_prompt = gr.Textbox(
                    label="Prompt",
                    lines=5,
                    max_lines=14,
                    placeholder=PROMPT_PLACEHOLDER,
                    elem_id="sb-shot-prompt",
                )
                # No maxlength: a long paste is kept whole; the shot's notes count it and say what to trim
                # (a prompt over the cap is a problem of the shot: BoardSession.problems).
                self.assist = PromptAssist(self.runtime) if craft_enabled(self.runtime) else None
                if self.assist is not None:  # the model's help and the shot's prompt versions (ui/assist/)
                    subject = [p.board_box, p.shot_box]
                    target = Target(p.shot_prompt, p.owner, p.visitor_key, "sb", subject, shot_subject,
                                    [p.shot_box.change])
                    self.assist.build(target)
                p.shot_duration = duration_slider("sb-shot-duration")
                p.shot_cast = gr.CheckboxGroup(
                    [],
                    label="Cast and looks in this shot",
                    info="Name them in the prompt as @[name]; they are sent as @image1, @image2, … in order.",
                    elem_id="sb-shot-cast",
                )
                p.shot_chain = gr.Checkbox(
                    value=False,
                    label="Start from the end of the previous shot",
                    info="It waits for the previous shot's chosen take and continues it.",
                    elem_id="sb-shot-chain",
                )
                p.shot_continues = gr.Radio(
                    [("From its last frame", FROM_LAST_FRAME), ("Extend its video (@video1)", FROM_VIDEO)],
                    value=FROM_LAST_FRAME,
                    label="Continue the previous take",
                    info="Its last frame becomes this shot's first frame, or its whole video is continued "
                    "(its seconds are billed as input).",
                    elem_id="sb-shot-continues",
                )
                with gr.Accordion("Per-shot overrides", open=False, elem_id="sb-overrides"):
                    p.shot_model = gr.Radio(
                        [("Board", BOARD), *sv.model_choices()],
                        value=BOARD,
                        label="Model",
                        elem_id="sb-shot-model",
                    )
                    p.shot_quality = gr.Radio(
                        [("Board", BOARD), *[(q, q) for q in QUALITIES]],
                        value=BOARD,
                        label="Quality",
                        elem_id="sb-shot-quality",
                    )
                    p.shot_audio = gr.Radio(
                        [("Board", BOARD), ("On", "on"), ("Off", "off")],
                        value=BOARD,
                        label="Audio",
                        elem_id="sb-shot-audio",
                    )
                p.editor_info = gr.HTML("", elem_id="sb-editor-info")
                with gr.Row(elem_id="sb-shot-actions"):
                    p.up_btn = gr.Button("↑ Move up", size="sm", elem_id="sb-up", min_width=90)
                    p.down_btn = gr.Button("↓ Move down", size="sm", elem_id="sb-down", min_width=90)
                    p.dup_btn = gr.Button("Duplicate", size="sm", elem_id="sb-duplicate", min_width=90)
                    p.del_btn = gr.Button(
                        "Delete", size="sm", variant="stop", elem_id="sb-delete", min_width=80
                    )
                p.shot_gen_btn = gr.Button(
                    "Generate this shot", variant="primary", elem_id="sb-shot-generate"
                )
                p.takes = gr.HTML("", elem_id="sb-takes", js_on_load=script("sb-takes.js"))
                # the review's notes on the chosen take, under its player (wired by review.py)
                p.review_notes = gr.HTML("", elem_id="sb-review-notes", js_on_load=script("sb-notes.js"))
                with gr.Row(equal_height=False, visible=False, elem_id="sb-compare-row") as p.compare_row:
                    p.compare_pick = gr.CheckboxGroup(
                        [], label="Compare takes (2–4)", scale=3, min_width=200, elem_id="sb-compare-pick"
                    )
                    p.compare_btn = gr.Button(
                        "Compare side by side", scale=2, min_width=160, elem_id="sb-compare-btn"
                    )

    def wire(self) -> None:
        p = self.page
        everything, shown = p.everything(), p.shown_inputs()
        # Every field of the shot saves through one event (always_last: one save at a time per page, then
        # one more with the latest values). Separate events per field ran side by side, and a save begun
        # before a click (the chain box) could draw its older board after the click's answer.
        controls = (p.shot_model, p.shot_quality, p.shot_audio, p.shot_cast, p.shot_chain, p.shot_continues)
        saves = [p.shot_title.input, p.shot_title.blur, p.shot_prompt.input, p.shot_prompt.blur,
                 p.shot_duration.change, *(c.input for c in controls)]  # the slider saves on "change"
        gr.on(saves, self.on_save, shown, everything, **SAVE)
        p.up_btn.click(self.move_up, shown, everything, **QUICK)
        p.down_btn.click(self.move_down, shown, everything, **QUICK)
        p.dup_btn.click(self.duplicate_shot, shown, everything, **QUICK)
        # Delete (p.del_btn) is undoable: wired by slips.py with the tab's undo bar.
        p.shot_gen_btn.click(self.generate.ask_shot, shown, everything, **QUICK)
        p.takes.click(self.on_pick_take, [*shown, p.compared], everything, **QUICK)
        p.compare_btn.click(self.show_compare, [*shown, p.compare_pick], everything, **QUICK)
        for changed in self.assist.changed if self.assist is not None else ():  # an accepted suggestion
            changed.then(self.on_save, shown, everything, **SAVE)

    @handler
    def duplicate_shot(self, request: gr.Request, *values: Any) -> Out:
        return self._shots(self.session.duplicate_shot, values, request)

    @handler
    def move_up(self, request: gr.Request, *values: Any) -> Out:
        return self._shots(self.session.move_shot, values, request, -1)

    @handler
    def move_down(self, request: gr.Request, *values: Any) -> Out:
        return self._shots(self.session.move_shot, values, request, 1)

    @handler
    def on_pick_take(self, evt: gr.EventData, request: gr.Request, *values: Any) -> Out:
        """ "Use this take" in the takes strip."""
        return self._pick(values, evt, request, in_compare=False)

    @handler
    def show_compare(self, request: gr.Request, *values: Any) -> Out:
        shown, (picked,) = self.shown(values, request)
        board = self.session.commit(shown)
        if board is None or shown.owner is None:
            return self.say("warning", "Open a board first.")
        view = next((v for v in self.views(board, shown.owner) if v.shot.id == shown.shot_id), None)
        playable = {t.take.id for t in (view.takes if view else ()) if t.playable}
        chosen = [t for t in (picked or []) if t in playable]
        if view is None or not sv.MIN_COMPARE <= len(chosen) <= sv.MAX_COMPARE:
            tick = f"Tick {sv.MIN_COMPARE} to {sv.MAX_COMPARE} finished takes of this shot to compare."
            return self.say("warning", tick)
        p = self.page
        return {
            p.compare_col: gr.update(visible=True),
            p.compare: sv.compare_html(board, view, chosen, scv.takes_inputs(board, view.shot)),
            p.compared: chosen,
            p.notice: "",
        }
