"""What every panel of the Storyboard tab is (`TabPanel`): its handlers each translate a page event into one
`BoardSession` call (seedance_ui/storyboard/session.py, no Gradio) and its result into components, answering
with a dict keyed by the components it changes. The components are the tab's `Page` (page.py), placed by
the panels themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from seedance_ui.options import MODELS
from seedance_ui.runtime import Runtime
from seedance_ui.storyboard import Board, board_estimate, shot_estimate
from seedance_ui.storyboard.model import is_valid_id
from seedance_ui.storyboard.page import FIELDS, Shown, find_shot
from seedance_ui.storyboard.session import BoardSession, Refused
from seedance_ui.storyboard.states import ShotState
from seedance_ui.ui.assist.take_version import takes_versions
from seedance_ui.ui.common import Out, owner_of
from seedance_ui.ui.media_links import MediaLinks
from seedance_ui.ui.storyboard import continuity as scv
from seedance_ui.ui.storyboard import review_live as rvl
from seedance_ui.ui.storyboard import views as sv
from seedance_ui.ui.storyboard.page import Page, handler
from seedance_ui.ui.views import notice_html


class TabPanel:
    """A part of the Storyboard tab, handed the runtime, the page (`Page`, whose components it places and
    answers with) and the board session; a panel that works with another is handed that one too. Here
    what they all do: read what the page sent (`shown`), and draw the board back (`live`, `full`), and the
    verbs several panels share (save, a shot verb, pick or extend a take)."""

    def __init__(self, runtime: Runtime, page: Page, session: BoardSession) -> None:
        self.runtime, self.page, self.session = runtime, page, session

    def shown(self, values: tuple[Any, ...], request: Any) -> tuple[Shown, list[Any]]:
        """What the page sent (`Page.shown_inputs` first), and the event's further inputs."""
        count = 3 + len(FIELDS)
        browser_id, board_id, shot_id, *fields = values[:count]
        owner = owner_of(browser_id, request, self.runtime.settings)
        session = getattr(request, "session_hash", None)
        shown = Shown.of(owner, board_id, shot_id, dict(zip(FIELDS, fields, strict=True)), session)
        return shown, list(values[count:])

    def say(self, kind: str, message: str, hint: str | None = None, items: Any = ()) -> Out:
        return {self.page.notice: notice_html(kind, message, hint, items=items)}

    def refused(self, refusal: Refused) -> Out:
        return self.say(refusal.kind, refusal.message) if refusal.message else {self.page.notice: gr.skip()}

    # ---------------------------------------------------------------------------------------------
    # rendering
    def views(self, board: Board, owner: str) -> list[sv.ShotView]:
        jobs = self.session.jobs(owner)
        estimates = {}
        for shot in board.shots:
            line = shot_estimate(board, shot)
            estimates[shot.id] = (line.credits, line.usd) if line.error is None else (None, None)
        links = MediaLinks(self.session.files)
        return sv.shot_views(board, jobs.record, lambda r: links.link(r.poster_path),
                             lambda r: links.link(r.video_path), estimates)

    def picker(self, owner: str, board: Board) -> Any:
        boards = self.session.boards_of(owner, board)
        return gr.update(choices=[(sv.board_choice_label(b), b.id) for b in boards], value=board.id)

    def live(self, board: Board, owner: str, shot_id: str | None) -> Out:
        """Tiles, summary, editor notes, takes and the timer: what changes while jobs run."""
        p, views = self.page, self.views(board, owner)
        jobs = self.session.jobs(owner)
        total = board_estimate(board)
        missing = board_estimate(board, only_missing=True, job_status_of=jobs.status_of)
        view = next((v for v in views if v.shot.id == shot_id), None)
        problems = self.session.problems(board, view.shot) if view is not None else []
        shot = view.shot if view is not None else None
        sent = scv.sent_prompt(board, shot) if shot is not None else None
        inputs = scv.sent_inputs_html(board, shot) if shot is not None else ""
        review = rvl.summary_of(self.runtime, p, owner, board.id)  # None: never shared
        marks = rvl.with_review_marks(scv.tiles_marks(board), review)
        return {
            **rvl.review_out(p, review, view),
            p.summary: sv.summary_html(board, views, total, missing),
            p.tiles: sv.tiles_html(board, views, shot_id, marks),
            p.editor_head: sv.editor_head_html(board, view),
            p.editor_info: sv.editor_info_html(board, view, problems, sent=sent, inputs=inputs),
            p.takes: sv.takes_html(view, _takes_inputs(board, view, self.runtime, owner)),
            p.shot_gen_btn: gr.update(value=_shot_button_label(view)),
            p.timer: gr.Timer(active=any(v.in_flight for v in views)),
        }

    def full(
        self,
        board: Board,
        shown: Shown,
        shot_id: str | None,
        message: str = "",
        kind: str = "info",
        *,
        keep_compare: bool = False,
    ) -> Out:
        """Everything, editor fields included (after a selection, an add or a board switch)."""
        p, owner = self.page, shown.owner or ""
        if find_shot(board, shot_id) is None:
            shot_id = board.shots[0].id if board.shots else None
        shown_values = self.session.drawn(shown.session, board, shot_id)
        out = self.live(board, owner, shot_id)
        view = next((v for v in self.views(board, owner) if v.shot.id == shot_id), None)
        out.update({getattr(p, name): value for name, value in shown_values.items()})
        out.update(
            {
                p.board_box: board.id,
                p.shot_box: shot_id or "",
                p.picker: self.picker(owner, board),
                p.editor: gr.update(visible=shot_id is not None),
                p.notice: notice_html(kind, message),
                p.cast_chips: scv.cast_chips_html(board),
                p.cast_remove: gr.update(choices=[(e.name, e.id) for e in board.cast], value=None),
            }
        )
        if shot_id is not None:
            audio = "on" if board.generate_audio else "off"
            model_info = f"Board: {MODELS.get(board.model, board.model)}"
            out[p.shot_model] = gr.update(value=shown_values["shot_model"], info=model_info)
            out[p.shot_quality] = gr.update(
                value=shown_values["shot_quality"], info=f"Board: {board.quality}"
            )
            out[p.shot_audio] = gr.update(value=shown_values["shot_audio"], info=f"Board: {audio}")
            out[p.shot_cast] = gr.update(
                choices=[(e.name, e.id) for e in board.cast], value=shown_values["shot_cast"]
            )
        if board.id != shown.board_id:  # another board: its confirmation is not this one's. (On the same
            # board a redraw landing after an ask keeps it open; Confirm re-checks the total anyway.)
            out[p.confirm_group] = gr.update(visible=False)
        out.update(self.compare_choices(view))
        if not keep_compare:
            out.update({p.compare_col: gr.update(visible=False), p.compare: "", p.compared: []})
        return out

    def compare_choices(self, view: sv.ShotView | None) -> Out:
        choices = sv.compare_choices(view)
        return {
            self.page.compare_pick: gr.update(choices=choices, value=sv.default_compare(view)),
            self.page.compare_row: gr.update(visible=len(choices) >= sv.MIN_COMPARE),
            self.page.takes_sig: takes_sig(view),
        }

    # ---------------------------------------------------------------------------------------------
    # saving (the board bar and the editor)
    @handler
    def on_save(self, request: gr.Request, *values: Any) -> Out:
        """A setting or a field of the editor changed: save it; tiles, totals and notes follow."""
        return self._save(self.shown(values, request)[0])

    def _save(self, shown: Shown) -> Out:
        board = self.session.commit(shown)
        if board is None:
            return {self.page.notice: gr.skip()}
        out = self.live(board, shown.owner or "", shown.shot_id)
        p = self.page
        for unchanged in (p.shot_gen_btn, p.timer, p.takes, p.review_notes, p.revoke_pick, p.review_sig):
            del out[unchanged]
        return out

    @handler
    def on_save_title(self, request: gr.Request, *values: Any) -> Out:
        shown = self.shown(values, request)[0]
        out = self._save(shown)
        board = (
            self.session.boards.get(shown.owner, shown.board_id) if shown.owner and shown.board_id else None
        )
        if board is not None:
            out[self.page.picker] = self.picker(shown.owner or "", board)
        return out

    # ---------------------------------------------------------------------------------------------
    # shots: each verb returns the board and the shot to select; everything is drawn again (the shots
    # column and the editor)
    def _shots(
        self, verb: Callable[..., tuple[Board, str | None]], values: tuple[Any, ...], request: Any, *args: Any
    ) -> Out:
        shown = self.shown(values, request)[0]
        try:
            board, shot_id = verb(shown, *args)
        except Refused as refusal:
            return self.refused(refusal)
        return self.full(board, shown, shot_id)

    # ---------------------------------------------------------------------------------------------
    # takes: "Use this take" and "Extend" in the editor's takes strip, "Pick take N" in compare
    def _pick(self, values: tuple[Any, ...], evt: gr.EventData, request: Any, *, in_compare: bool) -> Out:
        p = self.page
        data = getattr(evt, "_data", None) or {}
        action, shot_id, take_id = data.get("action"), data.get("shot"), data.get("take")
        if action == "close-compare":
            return {p.compare_col: gr.update(visible=False), p.compare: "", p.compared: []}
        if action not in ("pick", "extend") or not is_valid_id(shot_id) or not is_valid_id(take_id):
            return {p.notice: gr.skip()}
        shown, (compared,) = self.shown(values, request)
        if action == "extend":
            return self._extend(shown, shot_id, take_id)
        try:
            picked = self.session.pick_take(shown, shot_id, take_id)
        except Refused as refusal:
            return self.refused(refusal)
        owner, board = shown.owner or "", picked.board
        out = self.live(board, owner, shown.shot_id)
        view = next((v for v in self.views(board, owner) if v.shot.id == shot_id), None)
        out[p.notice] = notice_html(
            "success", f"Shot {picked.shot_number} now uses take {picked.take_number}."
        )
        if view is not None and shown.shot_id == shot_id:
            out.update(self.compare_choices(view))
        if in_compare and view is not None and compared:
            out[p.compare] = sv.compare_html(board, view, list(compared), scv.takes_inputs(board, view.shot))
        return out

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


def _takes_inputs(
    board: Board, view: sv.ShotView | None, runtime: Runtime | None = None, owner: str = ""
) -> dict[str, str] | None:
    """What each take of the selected shot was made from (the prompt version that made it first), and
    "Extend" on its finished videos."""
    if view is None:
        return None
    playable = frozenset(t.take.id for t in view.takes if t.playable)
    inputs = scv.takes_inputs(board, view.shot, playable)
    versions = takes_versions(runtime, owner, view.takes) if runtime is not None else {}
    return {take_id: versions.get(take_id, "") + html for take_id, html in inputs.items()}


def _shot_button_label(view: sv.ShotView | None) -> str:
    if view is None or not view.takes:
        return "Generate this shot"
    if view.state in (ShotState.FAILED, ShotState.CANCELLED, ShotState.EXPIRED):
        return "Retry shot"
    return "Generate a new take"


def takes_sig(view: sv.ShotView | None) -> str:
    """Changes when the shot's finished takes or its choice do (the compare picker then follows)."""
    if view is None:
        return ""
    return (
        view.shot.id
        + ":"
        + ",".join(f"{t.take.id}{'*' if t.chosen else ''}" for t in view.takes if t.playable)
    )


__all__ = ["Page", "TabPanel", "handler"]
