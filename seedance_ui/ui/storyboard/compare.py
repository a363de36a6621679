"""The compare panel: two to four takes of a shot side by side, kept in step by the compare script; "Pick
take N" there chooses that take (the editor's compare picker opens it).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from seedance_ui.ui.common import Out, script
from seedance_ui.ui.storyboard.page import QUICK, handler
from seedance_ui.ui.storyboard.panel import TabPanel


class ComparePanel(TabPanel):
    """The takes side by side, and their "Pick take N" and "Close"."""

    def build(self) -> None:
        """Two to four takes side by side, kept in step by the compare script."""
        p = self.page
        with gr.Column(visible=False, elem_classes="sd-panel", elem_id="sb-compare-panel") as p.compare_col:
            p.compare = gr.HTML("", elem_id="sb-compare", js_on_load=script("sb-compare.js"))

    def wire(self) -> None:
        p = self.page
        p.compare.click(self.on_compare_click, [*p.shown_inputs(), p.compared], p.everything(), **QUICK)

    @handler
    def on_compare_click(self, evt: gr.EventData, request: gr.Request, *values: Any) -> Out:
        """ "Pick take N" (or "Close") in the compare panel."""
        return self._pick(values, evt, request, in_compare=True)
