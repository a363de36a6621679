"""The board bar: switch, create, import and export boards, open the continuity sample, and the board's
settings (saved as they change).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from seedance_ui.options import ASPECT_RATIOS, QUALITIES
from seedance_ui.runtime import Runtime
from seedance_ui.storyboard.model import is_valid_id
from seedance_ui.storyboard.page import Shown, find_shot
from seedance_ui.storyboard.session import BoardSession, Refused
from seedance_ui.ui.common import Out, section
from seedance_ui.ui.storyboard import views as sv
from seedance_ui.ui.storyboard.exports import ExportsPanel
from seedance_ui.ui.storyboard.page import QUICK, SAVE, Page, handler
from seedance_ui.ui.storyboard.panel import TabPanel


class BoardBar(TabPanel):
    """The board bar (picker, title, new, sample, import, export JSON or CSV) and the board's settings;
    handed the exports panel, whose downloads list an exported board joins."""

    def __init__(self, runtime: Runtime, page: Page, session: BoardSession, exports: ExportsPanel) -> None:
        super().__init__(runtime, page, session)
        self.exports = exports

    def build(self) -> None:
        """The board bar (picker, title, new / import / export) and the board's settings."""
        p = self.page
        with gr.Column(elem_classes="sd-panel", elem_id="sb-board"):
            section("Storyboard", "Plan a sequence of shots, generate them, compare takes, share the review.")
            with gr.Row(equal_height=False, elem_id="sb-board-bar"):
                p.picker = gr.Dropdown(
                    [], label="Board", scale=3, min_width=220, elem_id="sb-picker", interactive=True
                )
                p.title = gr.Textbox(
                    label="Board title", scale=3, min_width=200, max_lines=1, elem_id="sb-title"
                )
                with gr.Column(scale=5, min_width=280), gr.Row(elem_id="sb-board-actions"):
                    p.new_btn = gr.Button("New board", size="sm", elem_id="sb-new", min_width=100)
                    p.sample_btn = gr.Button(
                        "Continuity sample", size="sm", elem_id="sb-sample", min_width=140
                    )
                    p.import_btn = gr.UploadButton(
                        "Import JSON / CSV",
                        file_types=[".json", ".csv"],
                        size="sm",
                        elem_id="sb-import",
                        min_width=140,
                    )
                    p.json_btn = gr.Button("Export JSON", size="sm", elem_id="sb-export-json", min_width=110)
                    p.csv_btn = gr.Button("Export CSV", size="sm", elem_id="sb-export-csv", min_width=110)
                    p.delete_board_btn = gr.Button(  # undoable for a few seconds (slips.py)
                        "Delete board", size="sm", variant="stop", elem_id="sb-delete-board", min_width=110
                    )
            with gr.Row(equal_height=False, elem_id="sb-settings-row"):
                p.style = gr.Textbox(
                    label="Style line — appended to every prompt",
                    placeholder="e.g. cinematic, 35mm film grain, muted teal and amber palette",
                    max_lines=2,
                    scale=5,
                    min_width=280,
                    elem_id="sb-style",
                )
                p.quality = gr.Radio(
                    list(QUALITIES), label="Quality", scale=2, min_width=150, elem_id="sb-quality"
                )
                p.model = gr.Radio(
                    sv.model_choices(), label="Model", scale=2, min_width=190, elem_id="sb-model"
                )
                p.audio = gr.Checkbox(label="Audio", info="Free", scale=1, min_width=100, elem_id="sb-audio")
            p.aspect_ratio = gr.Radio(
                list(ASPECT_RATIOS), label="Aspect ratio", elem_classes="sd-ratio", elem_id="sb-ratio"
            )

    def wire(self) -> None:
        p = self.page
        everything, shown = p.everything(), p.shown_inputs()
        # Saved as the reviewer types or clicks. Gradio's textbox "input" follows typing only, so text is also
        # saved when the field loses focus (a paste); every action commits the page first.
        # One event for all of them (always_last runs one save at a time per page, then one more with the
        # latest values): separate events ran side by side, and an older save's answer could be drawn
        # after a newer one's.
        controls = (p.aspect_ratio, p.quality, p.model, p.audio)
        gr.on([p.style.input, p.style.blur, *(c.input for c in controls)], self.on_save, shown, everything,
              **SAVE)
        gr.on([p.title.input, p.title.blur], self.on_save_title, shown, everything, **SAVE)
        p.picker.input(self.switch_board, [*shown, p.picker], everything, **QUICK)
        p.new_btn.click(self.new_board, shown, everything, **QUICK)
        p.sample_btn.click(self.open_sample, shown, everything, **QUICK)
        p.import_btn.upload(self.import_file, [*shown, p.import_btn], everything, **QUICK)
        p.json_btn.click(self.export_json, shown, p.export_outputs(), **QUICK)
        p.csv_btn.click(self.export_csv, shown, p.export_outputs(), **QUICK)

    @handler
    def switch_board(self, request: gr.Request, *values: Any) -> Out:
        shown, (chosen,) = self.shown(values, request)
        if shown.owner is None or not is_valid_id(chosen):
            self.session.commit(shown)
            return {self.page.notice: gr.skip()}
        try:
            board = self.session.switch(shown, chosen)
        except Refused as refusal:
            return self.refused(refusal)
        return self.full(board, shown, None)

    @handler
    def new_board(self, request: gr.Request, *values: Any) -> Out:
        shown = self.shown(values, request)[0]
        try:
            board, shot_id = self.session.new_board(shown)
        except Refused as refusal:
            return self.refused(refusal)
        return self.full(board, shown, shot_id, "A new board: write the first shot.")

    @handler
    def import_file(self, request: gr.Request, *values: Any) -> Out:
        shown, (upload,) = self.shown(values, request)
        if shown.owner is None or not upload:
            self.session.commit(shown)
            return {self.page.notice: gr.skip()}
        path = Path(upload if isinstance(upload, str) else getattr(upload, "name", ""))
        try:
            if path.suffix.lower() == ".csv":  # CSV shots join the open board, after its shots
                board, first = self.session.append_csv(shown, path)
                n = len(board.shots) - board.index_of(first) if first and find_shot(board, first) else 0
                message = f"Added {n} shot{'s' if n != 1 else ''} from {path.name} at the end of the board."
                return self.full(board, shown, first, message, "success")
            board = self.session.import_file(shown, path)
        except Refused as refusal:
            return self.refused(refusal)
        n = len(board.shots)
        message = f"Imported “{board.title}”: {n} shot{'s' if n != 1 else ''}, as a new board."
        return self.full(board, shown, None, message, "success")

    @handler
    def open_sample(self, request: gr.Request, *values: Any) -> Out:
        """A new board from the continuity sample: a cast of two, shots naming them, a chained cut and a
        shot that extends the cut's video."""
        shown = self.shown(values, request)[0]
        try:
            board = self.session.open_sample(shown)
        except Refused as refusal:
            return self.refused(refusal)
        message = (
            f"“{board.title}”: a cast of two named in the prompts, shot 3 starting where shot 2 ends, and "
            "shot 4 extending shot 3's video. Generate all to see it play as one piece."
        )
        return self.full(board, shown, None, message, "success")

    @handler
    def export_json(self, request: gr.Request, *values: Any) -> Out:
        return self._export_text(self.shown(values, request)[0], "json")

    @handler
    def export_csv(self, request: gr.Request, *values: Any) -> Out:
        return self._export_text(self.shown(values, request)[0], "csv")

    def _export_text(self, shown: Shown, fmt: Any) -> Out:
        try:
            board, path = self.session.export_text(shown, fmt)
        except Refused as refusal:
            return self.refused(refusal)
        return self.exports.downloads(board, shown.owner or "", f"Exported {path.name}.")
