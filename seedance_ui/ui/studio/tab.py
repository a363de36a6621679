"""The Studio tab: one page of components (`page.StudioPage`) and its panels, each an object handed the
page and the runtime (and the panel it works with), which places its components and wires their events
side by side. `layout.build_demo` places them: the key above the tabs, then this tab, and the hidden
`/generate` endpoint and the page's load and Generate events after the tabs.
"""

from __future__ import annotations

import gradio as gr

from seedance_ui.runtime import Runtime
from seedance_ui.ui.common import OWNER_SECRET, OWNER_STORAGE_KEY
from seedance_ui.ui.studio.api import ApiPanel
from seedance_ui.ui.studio.create import CreatePanel
from seedance_ui.ui.studio.history import HistoryPanel
from seedance_ui.ui.studio.key import KeyPanel
from seedance_ui.ui.studio.media import MediaPanel
from seedance_ui.ui.studio.modes import input_counts
from seedance_ui.ui.studio.page import StudioPage
from seedance_ui.ui.studio.preview import PreviewPanel


class Studio:
    """The Studio tab's page and panels, bound to one runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.page = page = StudioPage()
        self.key = KeyPanel(page, runtime)
        self.media = MediaPanel(page, runtime)
        self.create = CreatePanel(page, runtime, self.media)
        self.history = HistoryPanel(page, runtime, self.media)
        self.preview = PreviewPanel(page, runtime, self.history)
        self.api = ApiPanel(page, runtime)

    def page_state(self) -> None:
        """The per-page values that are not shown."""
        p = self.page
        p.owner = gr.BrowserState(None, storage_key=OWNER_STORAGE_KEY, secret=OWNER_SECRET)
        p.visitor_key = gr.State(None)  # this session only, server memory; never sent back to the browser
        p.current_job = gr.State(None)
        # The page watcher's view of the page (see PreviewPanel.watch_page): what a handler last drew, and
        # two signals whose changes draw the finished job and the history.
        p.drawn = gr.State(None)
        p.outcome_signal = gr.State(None)
        p.history_signal = gr.State(None)
        p.history_ids = gr.State([])
        p.selected_job = gr.State(None)
        # The page's submission token: a new one on every page load (PreviewPanel.on_load) and every
        # accepted submission; the server makes one job per token (PreviewPanel.submit), whatever the
        # events that carry it.
        p.submit_token = gr.Textbox("", visible=False, elem_id="sd-submit-token")
        # What the per-keystroke events need to know about the media inputs, kept by queued events that
        # read them (on_refs, measure_references): plain values only.
        p.ref_counts = gr.State(input_counts((), (), ()))
        p.video_seconds = gr.State(0.0)
        # The frame zones' refused files, said under the zones until the zone takes a picture (on_frames).
        p.frame_refusals = gr.State({})

    def build_tab(self) -> None:
        """The tab (inside the caller's gr.Tabs): create and preview side by side, the history below."""
        with gr.Tab("Studio", id="studio", elem_id="sd-tab-studio"):
            with gr.Row(equal_height=False, elem_id="sd-main"):
                self.create.build()
                self.preview.build()
            self.history.build()


__all__ = ["Studio"]
