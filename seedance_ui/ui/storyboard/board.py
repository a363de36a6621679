"""The board bar and the cast panel: switch, create, import and export boards, open the continuity sample,
add and remove cast entries, and Extend a take into a new shot. A mixin of `StoryboardTab`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from seedance_ui.storyboard.model import is_valid_id
from seedance_ui.storyboard.page import Shown, find_shot
from seedance_ui.storyboard.session import BoardSession, Refused
from seedance_ui.ui.common import Out
from seedance_ui.ui.storyboard.page import Page, handler


class BoardHandlers:
    """Board and cast events; `StoryboardTab` provides `shown`, `say`, `refused`, `full` and `downloads`."""

    page: Page
    session: BoardSession
    runtime: Any

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

    def _extend(self, shown: Shown, shot_id: str, take_id: str) -> Out:
        """ "Extend" on a finished take: a new shot after it continuing its video (nothing sent yet)."""
        try:
            board, new_shot = self.session.extend(shown, shot_id, take_id)
        except Refused as refusal:
            return self.refused(refusal)
        message = (
            f"Shot {board.number_of(new_shot)} continues shot {board.number_of(shot_id)}'s take as @video1: "
            "describe what happens next, then generate it."
        )
        return self.full(board, shown, new_shot, message, "success")

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
        return self.downloads(board, shown.owner or "", f"Exported {path.name}.")
