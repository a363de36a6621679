"""The history's search, filters, pages and star: the controls above and below the gallery and their
events. Handed the history panel (duck-typed: its `finder`, `gallery_of` and `favourite_button`), whose
gallery they redraw with the page's query (`page.history_query`, a plain dict: history_find.query_of).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import gradio as gr

from seedance_ui.options import MODE_FRAMES, MODE_REFERENCES, MODE_TEXT
from seedance_ui.runtime import Runtime
from seedance_ui.store.query import BOARD_ANY, MODE_EXTEND, HistoryQuery
from seedance_ui.ui.common import Out, handler, script, toast_info
from seedance_ui.ui.studio.history_find import query_of, query_state
from seedance_ui.ui.studio.history_views import STAR, pager_html
from seedance_ui.ui.studio.page import LIGHT, QUIET, Panel, StudioPage

MODE_CHOICES = [("Any mode", ""), ("Text", MODE_TEXT), ("Frames", MODE_FRAMES),
                ("References", MODE_REFERENCES), ("Extend", MODE_EXTEND)]
STATUS_CHOICES = [("Any status", ""), ("Done", "done"), ("Running", "running"), ("Failed", "failed"),
                  ("Cancelled", "cancelled")]


def filtered(query: HistoryQuery) -> bool:
    """Some filter or search narrows the history."""
    return bool(query.search.strip() or query.mode or query.status or query.board or query.favourites)


class HistoryFilters(Panel):
    """Search, mode, status, board and starred filters; Newer / Older pages; the detail's star."""

    def __init__(self, page: StudioPage, runtime: Runtime, history: Any) -> None:
        super().__init__(page, runtime)
        self.history = history

    def build_controls(self) -> None:
        """The search box and the filters, above the gallery."""
        p = self.page
        p.history_query = gr.State(query_state(HistoryQuery()))
        with gr.Row(equal_height=True, elem_id="sd-history-filters"):
            p.history_search = gr.Textbox(
                label="Search prompts", placeholder="Words from a prompt", max_lines=1, scale=3,
                min_width=200, elem_id="sd-history-search",
            )
            p.history_mode = gr.Dropdown(
                MODE_CHOICES, value="", label="Mode", scale=1, min_width=130, elem_id="sd-history-mode"
            )
            p.history_status = gr.Dropdown(
                STATUS_CHOICES, value="", label="Status", scale=1, min_width=130, elem_id="sd-history-status"
            )
            p.history_board = gr.Dropdown(
                [("All shots", BOARD_ANY)], value=BOARD_ANY, label="Board", scale=2, min_width=170,
                elem_id="sd-history-board",
            )
            p.history_favourites = gr.Checkbox(
                label=f"{STAR} Starred only", scale=1, min_width=130, elem_id="sd-history-starred"
            )

    def build_pager(self) -> None:
        """Newer / Older and where the page stands, below the gallery."""
        p = self.page
        with gr.Row(equal_height=True, elem_id="sd-history-pages"):
            p.history_newer = gr.Button(
                "‹ Newer", size="sm", scale=0, min_width=100, elem_id="sd-history-newer"
            )
            # Its script puts each caption whole in its thumbnail's title (scripts/history-titles.js).
            p.history_pager = gr.HTML("", elem_id="sd-history-pager", js_on_load=script("history-titles.js"))
            p.history_older = gr.Button(
                "Older ›", size="sm", scale=0, min_width=100, elem_id="sd-history-older"
            )

    def listing_outputs(self) -> list[Any]:
        p = self.page
        return [p.history_query, p.gallery, p.history_ids, p.history_pager, p.history_newer, p.history_older]

    def wire(self) -> None:
        """A filter changed: page 1 of the new answer. Newer / Older: the page before or after. A key
        set or forgotten: the same query over the owners it now names. The star: toggled, redrawn."""
        p = self.page
        controls = [p.history_search, p.history_mode, p.history_status, p.history_board, p.history_favourites]
        listing = self.listing_outputs()
        for control in controls:
            control.change(
                self.apply, inputs=[*controls, p.owner, p.visitor_key], outputs=listing,
                trigger_mode="always_last", **QUIET,
            )
        for button, turn in ((p.history_newer, self.newer), (p.history_older, self.older)):
            button.click(turn, inputs=[p.history_query, p.owner, p.visitor_key], outputs=listing, **QUIET)
        p.visitor_key.change(
            self.rekeyed, inputs=[p.history_query, p.owner, p.visitor_key],
            outputs=[*listing, p.history_board], **QUIET,
        )
        p.favourite_btn.click(
            self.star, inputs=[p.selected_job, p.owner, p.visitor_key, p.history_query],
            outputs=[p.favourite_btn, *listing], **LIGHT,
        )

    # ---------------------------------------------------------------------------------------------
    def listing(self, owner_id: str | None, query: HistoryQuery, key: Any) -> Out:
        """The query's page: the gallery, its ids, the pager line and buttons (off at either end), and the
        query as shown (its page)."""
        found = self.history.finder.page(owner_id, key, query)
        shown, p = replace(query, page=found.page), self.page
        return {
            p.history_query: query_state(shown),
            **self.history.gallery_of(owner_id, found),
            p.history_pager: pager_html(found, filtered(shown)),
            p.history_newer: gr.update(interactive=found.page > 0),
            p.history_older: gr.update(interactive=found.page < found.pages - 1),
        }

    def boards(self, owner_id: str | None, key: Any, current: str = BOARD_ANY) -> Out:
        """The board filter's choices (every board of the page's owners), keeping `current` if it is one."""
        choices = self.history.finder.board_choices(owner_id, key)
        value = current if current in {v for _label, v in choices} else BOARD_ANY
        return {self.page.history_board: gr.update(choices=choices, value=value)}

    def first_view(self, owner_id: str | None) -> Out:
        """What a page load shows: the first page, unfiltered, and the board choices."""
        return {**self.listing(owner_id, HistoryQuery(), None), **self.boards(owner_id, None)}

    @handler
    def apply(
        self, search: Any, mode: Any, status: Any, board: Any, favourites: Any, owner: Any, key: Any,
        request: gr.Request | None = None,
    ) -> Out:
        query = query_of({"search": search, "mode": mode, "status": status, "board": board,
                          "favourites": favourites is True})
        return self.listing(self.owner_of(owner, request), query, key)

    def turn(self, query: Any, owner: Any, key: Any, request: Any, step: int) -> Out:
        """The page `step` pages after (or, negative, before) the one shown."""
        current = query_of(query)
        turned = replace(current, page=max(0, current.page + step))
        return self.listing(self.owner_of(owner, request), turned, key)

    @handler
    def newer(self, query: Any, owner: Any, key: Any, request: gr.Request | None = None) -> Out:
        return self.turn(query, owner, key, request, -1)

    @handler
    def older(self, query: Any, owner: Any, key: Any, request: gr.Request | None = None) -> Out:
        return self.turn(query, owner, key, request, 1)

    @handler
    def rekeyed(self, query: Any, owner: Any, key: Any, request: gr.Request | None = None) -> Out:
        owner_id, current = self.owner_of(owner, request), query_of(query)
        return {**self.listing(owner_id, current, key), **self.boards(owner_id, key, current.board)}

    @handler
    def star(self, job_id: Any, owner: Any, key: Any, query: Any, request: gr.Request | None = None) -> Out:
        """Star the selected job, or take its star away; the star button and the gallery redrawn."""
        owner_id, record = self.history.job_for(job_id, owner, key, request)
        if record is None or owner_id is None:
            toast_info("Select an item in your history first.")
            return gr.skip()
        starred = not self.store.is_favourite(record.id)
        self.store.set_favourite(record.id, [record.owner], starred)
        toast_info("Starred: find it with “Starred only”." if starred else "Star taken away.")
        return {self.page.favourite_btn: self.history.favourite_button(record),
                **self.listing(owner_id, query_of(query), key)}
