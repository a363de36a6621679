"""The Storyboard tab: plan a sequence of shots, price and generate them, compare takes, export the review.

`build_storyboard_tab(runtime, owner=..., visitor_key=...)` is called by `layout.build_demo` inside its
`gr.Tabs`. The tab is made of panels, each an object handed the runtime, the page (`page.Page`) and the
board session, in its own module: the board bar (board.py), cast and looks (cast.py), the shot tiles and
the Generate buttons (shots.py, asking and confirming through generate.py), the shot editor (editor.py),
compare (compare.py), the review exports (exports.py) and sharing the board for review (review.py). Each
places its components (`build`) and wires their events (`wire`) side by side; `panel.TabPanel` is what
they share. The work is done by a
`BoardSession` (seedance_ui/storyboard/session.py, no Gradio): the handlers only translate a page event
into one session call and its result into components.

Where state lives:
- the board itself: a row of the studio's database, per owner; every verb commits what the page shows
  under a per-board lock, merged field by field with what other pages saved (the session's PageMemory);
- the ids of the open board and the selected shot: two hidden textboxes, so they travel from the browser
  together with the editor's field values of the same moment (a gr.State is read on the server when the
  event runs, which could pair shot 2's id with shot 1's text).

Live tiles: a gr.Timer ticks every TICK_SECONDS while any take of the board is in flight and re-renders
the tiles from the job manager's records. Review exports land in `<data_dir>/exports/<owner key>/`
(inside `allowed_paths`), made in a worker thread.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from seedance_ui.runtime import Runtime
from seedance_ui.storyboard.page import Shown
from seedance_ui.storyboard.session import BoardSession
from seedance_ui.ui.assist.target import craft_enabled
from seedance_ui.ui.assist.versions import shot_version_recorder
from seedance_ui.ui.common import TICK_SECONDS, Out, owner_of
from seedance_ui.ui.storyboard import views as sv
from seedance_ui.ui.storyboard.board import BoardBar
from seedance_ui.ui.storyboard.cast import CastPanel
from seedance_ui.ui.storyboard.compare import ComparePanel
from seedance_ui.ui.storyboard.editor import EditorPanel
from seedance_ui.ui.storyboard.exports import ExportsPanel
from seedance_ui.ui.storyboard.generate import Generate
from seedance_ui.ui.storyboard.page import QUICK, Page, handler
from seedance_ui.ui.storyboard.panel import TabPanel, takes_sig
from seedance_ui.ui.storyboard.review import ReviewPanel
from seedance_ui.ui.storyboard.script import ScriptPanel
from seedance_ui.ui.storyboard.shots import ShotsPanel
from seedance_ui.ui.storyboard.slips import SlipsPanel


class StoryboardTab(TabPanel):
    """The tab's page, its panels (each handed the runtime, the page and the one board session), and the
    tab's own events: opening it, and the timer that follows the board's jobs."""

    def __init__(self, runtime: Runtime, page: Page) -> None:
        limit = getattr(runtime.settings, "max_prompt_chars", None)
        session = BoardSession(runtime.data_dir, runtime.manager, runtime.store, max_prompt_chars=limit)
        # The chain runner's thread uses the store: a stopping app stops it before the store closes.
        getattr(runtime, "on_close", []).append(session.close)
        if getattr(runtime, "reviews", None) is not None:  # a shared board's zip carries its notes and EDL
            runtime.reviews.attach(session)
        super().__init__(runtime, page, session)
        parts = (runtime, page, session)
        self.exports = ExportsPanel(*parts)
        self.board = BoardBar(*parts, self.exports)
        self.cast = CastPanel(*parts)
        self.generate = Generate(*parts)
        self.shots = ShotsPanel(*parts, self.generate)
        self.editor = EditorPanel(*parts, self.generate)
        self.compare = ComparePanel(*parts)
        self.review = ReviewPanel(*parts)
        self.slips = SlipsPanel(*parts)  # undoable deletes: shots, takes, boards
        # The model's help (ui/assist/): the script box, and takes recording their prompt's version.
        self.script = ScriptPanel(*parts) if craft_enabled(runtime) else None
        if self.script is not None:
            session.record_versions(shot_version_recorder(runtime))

    def build(self) -> None:
        """The panels, top to bottom (inside the tab)."""
        p = self.page
        self.hidden_state()
        self.board.build()
        self.cast.build()
        if self.script is not None:
            self.script.build()
        p.summary = gr.HTML("", elem_id="sb-summary")
        p.notice = gr.HTML("", elem_id="sb-notice")
        self.review.place_bar()
        with gr.Row(equal_height=False, elem_id="sb-main"):
            self.shots.build()
            self.editor.build()
        self.compare.build()
        self.exports.build()
        self.review.build()
        self.slips.build()

    def hidden_state(self) -> None:
        p = self.page
        p.board_box = gr.Textbox("", visible=False, elem_id="sb-board-id")
        p.shot_box = gr.Textbox("", visible=False, elem_id="sb-shot-id")
        p.takes_sig = gr.State("")
        p.plan = gr.State(None)
        p.compared = gr.State([])
        p.timer = gr.Timer(TICK_SECONDS, active=False)

    def wire(self, tab: gr.Tab) -> None:
        p = self.page
        tab.select(self.on_open, [p.owner, p.board_box, p.shot_box], p.everything(), **QUICK)
        p.timer.tick(self.on_tick, [p.owner, p.board_box, p.shot_box, p.takes_sig], p.everything(), **QUICK)

    @handler
    def on_open(self, request: gr.Request, owner: Any, board_id: Any, shot_id: Any) -> Out:
        """The tab was selected: open the board shown (refreshed), or the owner's latest."""
        return self._open(
            Shown.of(
                owner_of(owner, request, self.runtime.settings),
                board_id,
                shot_id,
                session=getattr(request, "session_hash", None),
            )
        )

    def _open(self, shown: Shown) -> Out:
        if shown.owner is None:  # the studio's load has not given this browser its id yet: the timer retries
            return {self.page.tiles: sv.tiles_html(None, [], None), self.page.timer: gr.Timer(active=True)}
        board, shot_id = self.session.open(shown.owner, shown.board_id, shown.shot_id)
        return self.full(board, shown, shot_id, keep_compare=True)

    @handler
    def on_tick(self, request: gr.Request, owner: Any, board_id: Any, shot_id: Any, sig: Any) -> Out:
        """Every second while jobs of the board are in flight (or while the tab waits for its owner)."""
        shown = Shown.of(
            owner_of(owner, request, self.runtime.settings),
            board_id,
            shot_id,
            session=getattr(request, "session_hash", None),
        )
        if shown.owner is None:
            return {self.page.timer: gr.Timer(active=True)}
        if shown.board_id is None:
            return self._open(shown)
        board = self.session.refreshed(Shown.of(shown.owner, shown.board_id, None))
        if board is None:
            return {self.page.timer: gr.Timer(active=False)}
        out = self.live(board, shown.owner, shown.shot_id)
        view = next((v for v in self.views(board, shown.owner) if v.shot.id == shown.shot_id), None)
        if takes_sig(view) != (sig or ""):
            out.update(self.compare_choices(view))
        return out


def build_storyboard_tab(runtime: Runtime, *, owner: gr.BrowserState, visitor_key: gr.State) -> StoryboardTab:
    """Add the Storyboard tab (inside the caller's gr.Tabs) and wire its events; returns it. `owner` is the
    studio's per-browser id (gr.BrowserState); the visitor's own key (a session gr.State) is used for
    submissions, as in the studio tab. Every panel is placed before any event is wired: a render answers
    with components of every panel (`Page.everything`)."""
    h = StoryboardTab(runtime, Page(owner, visitor_key))
    with gr.Tab("Storyboard", id="storyboard", elem_id="sd-tab-storyboard") as tab:
        h.build()
    h.wire(tab)
    for panel in (h.board, h.cast, h.shots, h.editor, h.compare, h.exports, h.review, h.script, h.slips):
        if panel is not None:
            panel.wire()
    return h


__all__ = ["StoryboardTab", "build_storyboard_tab"]
