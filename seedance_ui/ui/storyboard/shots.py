"""The shots column: the shot tiles (live while jobs run), "+ Add shot", the Generate buttons and the
confirmation of what a generate would cost (asked and confirmed by `generate.Generate`).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from seedance_ui.runtime import Runtime
from seedance_ui.storyboard.model import is_valid_id
from seedance_ui.storyboard.session import BoardSession
from seedance_ui.ui.common import SUBMIT_LIMIT, Out, group, script, section
from seedance_ui.ui.storyboard import views as sv
from seedance_ui.ui.storyboard.generate import Generate
from seedance_ui.ui.storyboard.page import QUICK, Page, handler
from seedance_ui.ui.storyboard.panel import TabPanel

MAX_PICK_CHARS = 120  # "action|shot id|click number": anything longer is not the tiles' script's


def read_pick(pick: Any) -> tuple[str, str]:
    """(action, shot id) from the pick box's "action|shot id|click number"; ("", "") for anything else."""
    if not isinstance(pick, str) or len(pick) > MAX_PICK_CHARS:
        return "", ""
    action, _, rest = pick.partition("|")
    return action, rest.partition("|")[0]


class ShotsPanel(TabPanel):
    """The tiles and their actions; handed `generate`, which its Generate and Confirm buttons call."""

    def __init__(self, runtime: Runtime, page: Page, session: BoardSession, generate: Generate) -> None:
        super().__init__(runtime, page, session)
        self.generate = generate

    def build(self) -> None:
        """The shot tiles, "add" and "generate", and the confirmation of what a generate would cost."""
        p = self.page
        with gr.Column(scale=7, min_width=320, elem_classes="sd-panel", elem_id="sb-shots-panel"):
            section("Shots", "Click a tile to edit it; tiles follow each job live.")
            p.tiles = gr.HTML(
                sv.tiles_html(None, [], None), elem_id="sb-tiles", js_on_load=script("sb-tiles.js")
            )
            # What the tiles' script says was clicked: "action|shot id|click number" (scripts/sb-tiles.js);
            # only that script writes it, so its change event is a click.
            p.tile_pick = gr.Textbox("", visible="hidden", elem_id="sb-tile-pick", show_label=False,
                                     max_length=MAX_PICK_CHARS)
            p.add_btn = gr.Button("+ Add shot", elem_id="sb-add", min_width=110)
            self.dock()

    def dock(self) -> None:
        """The board's total, the Generate buttons and their confirmation, docked at the bottom of the
        screen while the tab is open (storyboard.css, #sb-dock; the total repeats the summary's:
        scripts/sb-dock.js)."""
        p = self.page
        with gr.Column(elem_id="sb-dock"):
            with gr.Column(visible=False, elem_id="sb-confirm") as p.confirm_group:
                p.confirm_html = gr.HTML("", elem_id="sb-confirm-card")
                with gr.Row():
                    p.confirm_btn = gr.Button(
                        "Confirm", variant="primary", elem_id="sb-confirm-go", scale=3, min_width=160
                    )
                    p.cancel_btn = gr.Button("Not now", elem_id="sb-confirm-cancel", scale=1, min_width=100)
            with gr.Row(elem_id="sb-gen-row"):
                gr.HTML("", elem_id="sb-dock-total", js_on_load=script("sb-dock.js"), min_width=150)
                p.gen_missing_btn = gr.Button(
                    "Generate missing or failed", elem_id="sb-generate-missing", min_width=120
                )
                p.gen_all_btn = gr.Button(
                    "Generate all", variant="primary", elem_id="sb-generate-all", min_width=120
                )

    def wire(self) -> None:
        p = self.page
        everything, shown = p.everything(), p.shown_inputs()
        picked = [*shown, p.tile_pick]
        p.tile_pick.change(self.on_tiles, picked, everything, trigger_mode="always_last", **QUICK)
        p.add_btn.click(self.add_shot, shown, everything, **QUICK)
        p.gen_all_btn.click(self.generate.ask_all, shown, everything, **QUICK)
        p.gen_missing_btn.click(self.generate.ask_missing, shown, everything, **QUICK)
        p.cancel_btn.click(self.generate.cancel_plan, None, [p.confirm_group, p.plan, p.notice], **QUICK)
        p.confirm_btn.click(
            self.generate.confirm,
            [*shown, p.plan, p.visitor_key],
            everything,
            **group(
                "storyboard-submit", SUBMIT_LIMIT, show_progress="minimal", show_progress_on=[p.confirm_btn]
            ),
        )

    @handler
    def add_shot(self, request: gr.Request, *values: Any) -> Out:
        return self._shots(self.session.add_shot, values, request)

    @handler
    def on_tiles(self, request: gr.Request, *values: Any) -> Out:
        """A click in the tiles (the pick box's value, last of the inputs): select a shot, "Edit and retry"
        (the same, and the editor shows the reason and "Retry shot"; the tiles' script puts the cursor in
        the prompt), or add one."""
        action, target = read_pick(values[-1])
        if action == "add":
            return self._shots(self.session.add_shot, values[:-1], request)
        if action not in ("select", "retry") or not is_valid_id(target):
            return {self.page.notice: gr.skip()}
        return self._shots(self.session.select, values[:-1], request, target)
