"""Deleting a history item, undoably: *Delete* hides the item from its owner's gallery at once and shows
the undo bar (`ui/undo_bar.py`); the job and its files are deleted only when the undo time
(`SEEDANCE_UNDO_SECONDS`) is up, and *Undo* before then shows it again. A stopping app finishes the
deletes still waiting (`Runtime.on_close`); after a crash the item is simply still there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import gradio as gr

from seedance_ui.runtime import Runtime
from seedance_ui.store import JobRecord
from seedance_ui.ui.common import Out, handler, toast_info, toast_warning
from seedance_ui.ui.studio.page import LIGHT, Panel, StudioPage
from seedance_ui.ui.undo_bar import UndoBar
from seedance_ui.undo import UndoShelf

TOO_LATE = "Too late to undo: that item is deleted, with its files."


class HistoryUndo(Panel):
    """The history's deferred deletes and their undo bar; handed `redraw(owner, query, key)`, the history
    panel's gallery outputs for the page's history query and key (what a delete and an undo redraw)."""

    def __init__(self, page: StudioPage, runtime: Runtime, redraw: Callable[[str, Any, Any], Out]) -> None:
        super().__init__(page, runtime)
        self.redraw = redraw
        self.shelf = UndoShelf(runtime.settings.undo_seconds)
        self.bar = UndoBar("sd-undo", self.shelf)
        getattr(runtime, "on_close", []).append(self.shelf.close)  # a stopping app finishes the deletes
        self._hidden: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def build(self) -> None:
        self.bar.build()

    def wire(self) -> None:
        p = self.page
        outputs = [p.gallery, p.history_ids, *self.bar.outputs()]
        inputs = [self.bar.token, p.owner, p.history_query, p.visitor_key]
        self.bar.button.click(self.undo, inputs=inputs, outputs=outputs, **LIGHT)
        self.bar.wire()

    def hidden(self, owner: str, job_id: str) -> bool:
        """The owner deleted this item and may still undo it: not shown."""
        with self._lock:
            return (owner, job_id) in self._hidden

    def delete(
        self, owner: str, record: JobRecord, erase: Callable[[], None], query: Any = None, key: Any = None
    ) -> Out:
        """Hide the (ended) job now; `erase` deletes it with its files when the undo time is up. The
        gallery without it and the undo bar."""
        item = (owner, record.id)
        with self._lock:
            self._hidden.add(item)

        def restore() -> None:
            with self._lock:
                self._hidden.discard(item)

        def finish() -> None:
            try:
                erase()
            finally:
                restore()

        token = self.shelf.shelve(owner, "Deleted from your history.", restore, finish)
        return {**self.redraw(owner, query, key), **self.bar.show(token, "Deleted from your history.")}

    @handler
    def undo(
        self, token: Any, owner: Any, query: Any = None, key: Any = None, request: gr.Request | None = None
    ) -> Out:
        """*Undo*: the item back in the gallery while the time runs; else say it is too late."""
        owner_id = self.owner_of(owner, request)
        done, _ = self.shelf.undo(owner_id, token)
        if not done or owner_id is None:
            toast_warning(TOO_LATE)
            return self.bar.hide()
        toast_info("Restored to your history.")
        return {**self.redraw(owner_id, query, key), **self.bar.hide()}
