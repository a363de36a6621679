"""The Storyboard tab: plan a sequence of shots, price and generate them, compare takes, export the review.

`build_storyboard_tab(runtime, owner=..., visitor_key=...)` is called by `layout.build_demo` inside its
`gr.Tabs`. The tab is made of panels (the board bar, the shot tiles, the shot editor, compare, the review
exports), each placing its components; each panel's events are wired in the function right after it. The
work is done by a `BoardSession` (seedance_ui/storyboard/session.py, no Gradio): the handlers here only
translate a page event into one session call and its result into components (`StoryboardTab`).

Where state lives:
- the board itself: on disk, per owner; every verb commits what the page shows under a per-board lock,
  merged field by field with what other pages saved (the session's PageMemory);
- the ids of the open board and the selected shot: two hidden textboxes, so they travel from the browser
  together with the editor's field values of the same moment (a gr.State is read on the server when the
  event runs, which could pair shot 2's id with shot 1's text).

Live tiles: a gr.Timer ticks every TICK_SECONDS while any take of the board is in flight and re-renders
the tiles from the job manager's records. Review exports land in `<data_dir>/exports/<owner key>/`
(inside `allowed_paths`), made in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from seedance_ui.client import SeedanceError
from seedance_ui.options import ASPECT_RATIOS, DEFAULT_DURATION, DURATION_MAX, DURATION_MIN, MODELS, QUALITIES
from seedance_ui.runtime import Runtime
from seedance_ui.storyboard import Board, StoryboardError, board_estimate, shot_estimate, shot_problems
from seedance_ui.storyboard.model import is_valid_id
from seedance_ui.storyboard.page import BOARD, FIELDS, Shown, find_shot
from seedance_ui.storyboard.session import BoardSession, Plan, PlanScope, Refused, Sent
from seedance_ui.storyboard.states import ShotState
from seedance_ui.ui import storyboard_views as sv
from seedance_ui.ui.common import (
    EXPORT_LIMIT,
    INTERNAL_ERROR,
    SUBMIT_LIMIT,
    TICK_SECONDS,
    UI_LIMIT,
    group,
    guarded,
    owner_of,
    script,
)
from seedance_ui.ui.views import notice_html, section_html

Out = dict[Any, Any]  # a handler's answer: component -> new value or gr.update

QUICK = group("storyboard", UI_LIMIT, show_progress="hidden")
SAVE = {**QUICK, "trigger_mode": "always_last"}  # a burst of keystrokes folds into one save
EXPORT = group("storyboard-export", EXPORT_LIMIT, show_progress="minimal")
PROMPT_PLACEHOLDER = (
    'Subject, action, camera move, light and mood. Dialogue in straight quotes: She whispers: "We made it."'
)


class Page:
    """The tab's components, placed by the panel functions below. The board settings and the shot
    editor's fields are named as `seedance_ui.storyboard.page.FIELDS` names them."""

    def __init__(self, owner: gr.BrowserState, visitor_key: gr.State) -> None:
        self.owner, self.visitor_key = owner, visitor_key

    def fields(self) -> list[Any]:
        """The field components, in FIELDS order."""
        return [getattr(self, name) for name in FIELDS]

    def shown_inputs(self) -> list[Any]:
        """What every event sends first: the owner, the open board and shot, then the fields."""
        return [self.owner, self.board_box, self.shot_box, *self.fields()]

    def everything(self) -> list[Any]:
        """Every component a render may change."""
        return [
            *(self.board_box, self.shot_box, self.takes_sig, self.plan, self.compared, self.timer),
            *(self.picker, self.summary, self.notice, self.tiles, self.editor_head, self.editor),
            *(self.editor_info, self.shot_gen_btn, self.takes, self.compare_row, self.compare_pick),
            *(self.compare_col, self.compare, self.confirm_group, self.confirm_html, self.confirm_btn),
            *(self.downloads, self.export_note, self.sheet_preview, self.animatic_preview),
            *self.fields(),
        ]

    def export_outputs(self) -> list[Any]:
        return [self.downloads, self.export_note, self.sheet_preview, self.animatic_preview, self.notice]


# --------------------------------------------------------------------------------------------------
# The handlers: page event -> BoardSession call -> components


def _internal_error(tab: StoryboardTab, *_args: Any) -> Out:
    return {tab.page.notice: notice_html("error", INTERNAL_ERROR)}


handler = guarded(_internal_error)


class StoryboardTab:
    """The tab's handlers (one instance per app), over one BoardSession."""

    def __init__(self, runtime: Runtime, page: Page) -> None:
        self.runtime, self.page = runtime, page
        self.session = BoardSession(runtime.data_dir, runtime.manager, runtime.store)

    def shown(self, values: tuple[Any, ...], request: Any) -> tuple[Shown, list[Any]]:
        """What the page sent (`Page.shown_inputs` first), and the event's further inputs."""
        count = 3 + len(FIELDS)
        browser_id, board_id, shot_id, *fields = values[:count]
        owner = owner_of(browser_id, request, self.runtime.settings)
        session = getattr(request, "session_hash", None)
        return Shown.of(owner, board_id, shot_id, dict(zip(FIELDS, fields, strict=True)), session), [
            *values[count:]
        ]

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
        files = self.session.files
        return sv.shot_views(board, jobs.record, files.poster_file, files.video_file, estimates)

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
        problems = shot_problems(board, view.shot) if view is not None else []
        return {
            p.summary: sv.summary_html(board, views, total, missing),
            p.tiles: sv.tiles_html(board, views, shot_id),
            p.editor_head: sv.editor_head_html(board, view),
            p.editor_info: sv.editor_info_html(board, view, problems),
            p.takes: sv.takes_html(view),
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
                p.confirm_group: gr.update(visible=False),
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
        out.update(self.compare_choices(view))
        if not keep_compare:
            out.update({p.compare_col: gr.update(visible=False), p.compare: "", p.compared: []})
        return out

    def compare_choices(self, view: sv.ShotView | None) -> Out:
        choices = sv.compare_choices(view)
        return {
            self.page.compare_pick: gr.update(choices=choices, value=sv.default_compare(view)),
            self.page.compare_row: gr.update(visible=len(choices) >= sv.MIN_COMPARE),
            self.page.takes_sig: _takes_sig(view),
        }

    # ---------------------------------------------------------------------------------------------
    # opening, ticking, saving
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
        if _takes_sig(view) != (sig or ""):
            out.update(self.compare_choices(view))
        return out

    @handler
    def on_save(self, request: gr.Request, *values: Any) -> Out:
        """A setting or a field of the editor changed: save it; tiles, totals and notes follow."""
        return self._save(self.shown(values, request)[0])

    def _save(self, shown: Shown) -> Out:
        board = self.session.commit(shown)
        if board is None:
            return {self.page.notice: gr.skip()}
        out = self.live(board, shown.owner or "", shown.shot_id)
        for unchanged in (self.page.shot_gen_btn, self.page.timer, self.page.takes):
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
    # shots: each verb returns the board and the shot to select; everything is drawn again
    def _shots(
        self, verb: Callable[..., tuple[Board, str | None]], values: tuple[Any, ...], request: Any, *args: Any
    ) -> Out:
        shown = self.shown(values, request)[0]
        try:
            board, shot_id = verb(shown, *args)
        except Refused as refusal:
            return self.refused(refusal)
        return self.full(board, shown, shot_id)

    @handler
    def add_shot(self, request: gr.Request, *values: Any) -> Out:
        return self._shots(self.session.add_shot, values, request)

    @handler
    def duplicate_shot(self, request: gr.Request, *values: Any) -> Out:
        return self._shots(self.session.duplicate_shot, values, request)

    @handler
    def delete_shot(self, request: gr.Request, *values: Any) -> Out:
        return self._shots(self.session.delete_shot, values, request)

    @handler
    def move_up(self, request: gr.Request, *values: Any) -> Out:
        return self._shots(self.session.move_shot, values, request, -1)

    @handler
    def move_down(self, request: gr.Request, *values: Any) -> Out:
        return self._shots(self.session.move_shot, values, request, 1)

    @handler
    def on_tiles(self, evt: gr.EventData, request: gr.Request, *values: Any) -> Out:
        """A click in the tiles: select a shot, "Edit and retry" (the same, and the editor shows the reason
        and "Retry shot"; the tiles' script puts the cursor in the prompt), or add one."""
        data = getattr(evt, "_data", None) or {}
        action, target = data.get("action"), data.get("shot")
        if action == "add":
            return self._shots(self.session.add_shot, values, request)
        if action not in ("select", "retry") or not is_valid_id(target):
            return {self.page.notice: gr.skip()}
        return self._shots(self.session.select, values, request, target)

    @handler
    def on_pick_take(self, evt: gr.EventData, request: gr.Request, *values: Any) -> Out:
        """ "Use this take" in the takes strip."""
        return self._pick(values, evt, request, in_compare=False)

    @handler
    def on_compare_click(self, evt: gr.EventData, request: gr.Request, *values: Any) -> Out:
        """ "Pick take N" (or "Close") in the compare panel."""
        return self._pick(values, evt, request, in_compare=True)

    def _pick(self, values: tuple[Any, ...], evt: gr.EventData, request: Any, *, in_compare: bool) -> Out:
        p = self.page
        data = getattr(evt, "_data", None) or {}
        action, shot_id, take_id = data.get("action"), data.get("shot"), data.get("take")
        if action == "close-compare":
            return {p.compare_col: gr.update(visible=False), p.compare: "", p.compared: []}
        if action != "pick" or not is_valid_id(shot_id) or not is_valid_id(take_id):
            return {p.notice: gr.skip()}
        shown, (compared,) = self.shown(values, request)
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
            out[p.compare] = sv.compare_html(board, view, list(compared))
        return out

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
            p.compare: sv.compare_html(board, view, chosen),
            p.compared: chosen,
            p.notice: "",
        }

    # ---------------------------------------------------------------------------------------------
    # boards
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
            board = self.session.import_file(shown, path)
        except Refused as refusal:
            return self.refused(refusal)
        n = len(board.shots)
        message = f"Imported “{board.title}”: {n} shot{'s' if n != 1 else ''}, as a new board."
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
        return self.downloads(board, shown.owner or "", f"Exported {path.name}.")

    # ---------------------------------------------------------------------------------------------
    # generation: ask, then confirm
    def _ask(self, values: tuple[Any, ...], request: Any, scope: PlanScope, what: str) -> Out:
        shown = self.shown(values, request)[0]
        try:
            plan = self.session.plan(shown, scope)
        except Refused as refusal:
            return self.refused(refusal)
        if scope == "shot" and plan.shot_ids:
            what = f"Shot {plan.board.number_of(plan.shot_ids[0])}: a new take"
        return self.confirmation(plan, what)

    def confirmation(self, plan: Plan, what: str) -> Out:
        p = self.page
        if not plan.shot_ids:
            nothing = "Nothing to generate: every shot has a take that is done or on its way."
            return {p.confirm_group: gr.update(visible=False), p.plan: None, **self.say("info", nothing)}
        credits, blocked = plan.estimate.credits, bool(plan.problems)
        return {
            p.confirm_group: gr.update(visible=True),
            p.confirm_html: sv.confirm_html(
                plan.board, plan.estimate, what, plan.problems, changed=plan.changed
            ),
            p.confirm_btn: gr.update(
                value=sv.confirm_label(credits), interactive=not blocked, visible=not blocked
            ),
            p.plan: plan.token(what),
            p.notice: "",
        }

    @handler
    def ask_all(self, request: gr.Request, *values: Any) -> Out:
        return self._ask(values, request, "all", "Generate all shots")

    @handler
    def ask_missing(self, request: gr.Request, *values: Any) -> Out:
        return self._ask(values, request, "missing", "Generate missing or failed shots")

    @handler
    def ask_shot(self, request: gr.Request, *values: Any) -> Out:
        return self._ask(values, request, "shot", "Shot: a new take")

    @handler
    def cancel_plan(self) -> Out:
        return {self.page.confirm_group: gr.update(visible=False), self.page.plan: None, self.page.notice: ""}

    @handler
    async def confirm(self, request: gr.Request, *values: Any) -> Out:
        """Submit the planned shots (only if the total is still what the reviewer confirmed)."""
        shown, (token, visitor_key) = self.shown(values, request)
        result = await asyncio.to_thread(self.session.generate, shown, token, visitor_key)
        p = self.page
        if result is None:
            return {p.confirm_group: gr.update(visible=False), p.plan: None}
        if isinstance(result, Plan):
            return self.confirmation(result, str(token.get("what", "")))
        out = self.live(result.board, shown.owner or "", shown.shot_id)
        out.update({p.confirm_group: gr.update(visible=False), p.plan: None, p.timer: gr.Timer(active=True)})
        out.update(self.sent_notice(result))
        return out

    def sent_notice(self, sent: Sent) -> Out:
        n = len(sent.takes)
        shots = f"{n} shot{'s' if n != 1 else ''}"
        if not sent.errors:
            return self.say(
                "success",
                f"Sent {shots}: the tiles follow each one live.",
                "Jobs keep running if you close this tab; they are saved to your history.",
            )
        lines = []
        for sid, exc in sent.errors.items():
            number = sent.board.number_of(sid) if find_shot(sent.board, sid) else "?"
            text = exc.message if isinstance(exc, SeedanceError) else str(exc) or type(exc).__name__
            if isinstance(exc, RuntimeError):
                text = "the job manager is not running"
            lines.append(f"Shot {number}: {text}")
        return self.say(
            "warning",
            f"{shots} sent; {len(sent.errors)} could not be sent.",
            "The others are rendering; fix the shots named here and retry them.",
            items=lines,
        )

    # ---------------------------------------------------------------------------------------------
    # review exports
    def downloads(
        self, board: Board, owner: str, message: str, kind: str = "success", extra: Out | None = None
    ) -> Out:
        files = self.session.exported(board, owner)
        return {
            self.page.downloads: gr.update(value=[str(p) for p in files] or None, visible=bool(files)),
            self.page.export_note: sv.exports_html(files, message, kind),
            **(extra or {}),
        }

    async def _export(
        self, values: tuple[Any, ...], request: Any, what: str, make: Callable[..., Out]
    ) -> Out:
        shown, extras = self.shown(values, request)
        try:
            return await asyncio.to_thread(make, shown, *extras)
        except Refused as refusal:
            return {self.page.export_note: notice_html(refusal.kind, refusal.message)}
        except StoryboardError as exc:
            return {self.page.export_note: notice_html("warning", f"No {what} yet: {exc}.")}

    @handler
    async def export_sheet(self, request: gr.Request, *values: Any) -> Out:
        def make(shown: Shown) -> Out:
            board, path = self.session.contact_sheet(shown)
            rows = len(board.shots)
            message = f"Contact sheet ready: {rows} row{'s' if rows != 1 else ''}, {path.name}."
            preview = {self.page.sheet_preview: gr.update(value=str(path), visible=True)}
            return self.downloads(board, shown.owner or "", message, extra=preview)

        return await self._export(values, request, "contact sheet", make)

    @handler
    async def export_animatic(self, request: gr.Request, *values: Any) -> Out:
        def make(shown: Shown, cards: Any) -> Out:
            board, result = self.session.animatic(shown, bool(cards))
            shots = len([s for s in result.segments if s.kind == "shot"])
            message = (
                f"Animatic ready: {sv.fmt_seconds(result.duration)} at {result.width}×{result.height}, "
                f"{shots} shots."
            )
            kind = "success"
            if result.skipped:
                missing = ", ".join(
                    str(board.number_of(sid)) for sid in result.skipped if find_shot(board, sid)
                )
                message += f" Left out (no chosen take yet): shot {missing}."
                kind = "warning"
            preview = {self.page.animatic_preview: gr.update(value=str(result.path), visible=True)}
            return self.downloads(board, shown.owner or "", message, kind, extra=preview)

        return await self._export(values, request, "animatic", make)

    @handler
    async def export_review_zip(self, request: gr.Request, *values: Any) -> Out:
        def make(shown: Shown) -> Out:
            board, path = self.session.review_zip(shown)
            return self.downloads(board, shown.owner or "", f"Review zip ready: {path.name}.")

        return await self._export(values, request, "review zip", make)


def _shot_button_label(view: sv.ShotView | None) -> str:
    if view is None or view.state == ShotState.NEW:
        return "Generate this shot"
    if view.state in (ShotState.FAILED, ShotState.CANCELLED, ShotState.EXPIRED):
        return "Retry shot"
    return "Generate a new take"


def _takes_sig(view: sv.ShotView | None) -> str:
    """Changes when the shot's finished takes or its choice do (the compare picker then follows)."""
    if view is None:
        return ""
    return (
        view.shot.id
        + ":"
        + ",".join(f"{t.take.id}{'*' if t.chosen else ''}" for t in view.takes if t.playable)
    )


# --------------------------------------------------------------------------------------------------
# The panels: each places its components; its events are wired right after it


def hidden_state(p: Page) -> None:
    p.board_box = gr.Textbox("", visible=False, elem_id="sb-board-id")
    p.shot_box = gr.Textbox("", visible=False, elem_id="sb-shot-id")
    p.takes_sig = gr.State("")
    p.plan = gr.State(None)
    p.compared = gr.State([])
    p.timer = gr.Timer(TICK_SECONDS, active=False)


def wire_tab(tab: gr.Tab, p: Page, h: StoryboardTab) -> None:
    tab.select(h.on_open, [p.owner, p.board_box, p.shot_box], p.everything(), **QUICK)
    p.timer.tick(h.on_tick, [p.owner, p.board_box, p.shot_box, p.takes_sig], p.everything(), **QUICK)


def board_panel(p: Page) -> None:
    """The board bar (picker, title, new / import / export) and the board's settings."""
    with gr.Column(elem_classes="sd-panel", elem_id="sb-board"):
        gr.HTML(
            section_html(
                "Storyboard", "Plan a sequence of shots, generate them, compare takes, share the review."
            )
        )
        with gr.Row(equal_height=False, elem_id="sb-board-bar"):
            p.picker = gr.Dropdown(
                [], label="Board", scale=3, min_width=220, elem_id="sb-picker", interactive=True
            )
            p.title = gr.Textbox(label="Board title", scale=3, min_width=200, max_lines=1, elem_id="sb-title")
            with gr.Column(scale=5, min_width=280), gr.Row(elem_id="sb-board-actions"):
                p.new_btn = gr.Button("New board", size="sm", elem_id="sb-new", min_width=100)
                p.import_btn = gr.UploadButton(
                    "Import JSON / CSV",
                    file_types=[".json", ".csv"],
                    size="sm",
                    elem_id="sb-import",
                    min_width=140,
                )
                p.json_btn = gr.Button("Export JSON", size="sm", elem_id="sb-export-json", min_width=110)
                p.csv_btn = gr.Button("Export CSV", size="sm", elem_id="sb-export-csv", min_width=110)
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
            p.model = gr.Radio(sv.model_choices(), label="Model", scale=2, min_width=190, elem_id="sb-model")
            p.audio = gr.Checkbox(label="Audio", info="Free", scale=1, min_width=100, elem_id="sb-audio")
        p.aspect_ratio = gr.Radio(
            list(ASPECT_RATIOS), label="Aspect ratio", elem_classes="sd-ratio", elem_id="sb-ratio"
        )
    p.summary = gr.HTML("", elem_id="sb-summary")
    p.notice = gr.HTML("", elem_id="sb-notice")


def wire_board_panel(p: Page, h: StoryboardTab) -> None:
    everything, shown = p.everything(), p.shown_inputs()
    # Saved as the reviewer types or clicks. Gradio's textbox "input" follows typing only, so text is also
    # saved when the field loses focus (a paste); every action commits the page first.
    gr.on([p.style.input, p.style.blur], h.on_save, shown, everything, **SAVE)
    gr.on([p.title.input, p.title.blur], h.on_save_title, shown, everything, **SAVE)
    for control in (p.aspect_ratio, p.quality, p.model, p.audio):
        control.input(h.on_save, shown, everything, **SAVE)
    p.picker.input(h.switch_board, [*shown, p.picker], everything, **QUICK)
    p.new_btn.click(h.new_board, shown, everything, **QUICK)
    p.import_btn.upload(h.import_file, [*shown, p.import_btn], everything, **QUICK)
    p.json_btn.click(h.export_json, shown, p.export_outputs(), **QUICK)
    p.csv_btn.click(h.export_csv, shown, p.export_outputs(), **QUICK)


def shots_panel(p: Page) -> None:
    """The shot tiles, "add" and "generate", and the confirmation of what a generate would cost."""
    with gr.Column(scale=7, min_width=320, elem_classes="sd-panel", elem_id="sb-shots-panel"):
        gr.HTML(section_html("Shots", "Click a tile to edit it; tiles follow each job live."))
        p.tiles = gr.HTML(sv.tiles_html(None, [], None), elem_id="sb-tiles", js_on_load=script("sb-tiles.js"))
        with gr.Row(elem_id="sb-gen-row"):
            p.add_btn = gr.Button("+ Add shot", elem_id="sb-add", scale=1, min_width=110)
            p.gen_missing_btn = gr.Button(
                "Generate missing or failed", elem_id="sb-generate-missing", scale=2, min_width=240
            )
            p.gen_all_btn = gr.Button(
                "Generate all", variant="primary", elem_id="sb-generate-all", scale=2, min_width=150
            )
        with gr.Column(visible=False, elem_id="sb-confirm") as p.confirm_group:
            p.confirm_html = gr.HTML("", elem_id="sb-confirm-card")
            with gr.Row():
                p.confirm_btn = gr.Button(
                    "Confirm", variant="primary", elem_id="sb-confirm-go", scale=3, min_width=260
                )
                p.cancel_btn = gr.Button("Not now", elem_id="sb-confirm-cancel", scale=1, min_width=120)


def wire_shots_panel(p: Page, h: StoryboardTab) -> None:
    everything, shown = p.everything(), p.shown_inputs()
    p.tiles.click(h.on_tiles, shown, everything, **QUICK)
    p.add_btn.click(h.add_shot, shown, everything, **QUICK)
    p.gen_all_btn.click(h.ask_all, shown, everything, **QUICK)
    p.gen_missing_btn.click(h.ask_missing, shown, everything, **QUICK)
    p.cancel_btn.click(h.cancel_plan, None, [p.confirm_group, p.plan, p.notice], **QUICK)
    p.confirm_btn.click(
        h.confirm,
        [*shown, p.plan, p.visitor_key],
        everything,
        **group("storyboard-submit", SUBMIT_LIMIT, show_progress="minimal", show_progress_on=[p.confirm_btn]),
    )


def editor_panel(p: Page, settings: Any) -> None:
    """The selected shot: its fields, per-shot overrides, actions, takes and the compare picker."""
    with gr.Column(scale=5, min_width=320, elem_classes="sd-panel", elem_id="sb-editor-panel"):
        p.editor_head = gr.HTML(sv.editor_head_html(None, None), elem_id="sb-editor-head-block")
        with gr.Column(visible=False, elem_id="sb-editor") as p.editor:
            p.shot_title = gr.Textbox(label="Title", elem_id="sb-shot-title", max_lines=1)
            p.shot_prompt = gr.Textbox(
                label="Prompt",
                lines=5,
                max_lines=14,
                placeholder=PROMPT_PLACEHOLDER,
                max_length=getattr(settings, "max_prompt_chars", None),
                elem_id="sb-shot-prompt",
            )
            p.shot_duration = gr.Slider(
                DURATION_MIN,
                DURATION_MAX,
                value=DEFAULT_DURATION,
                step=1,
                label="Duration (seconds)",
                elem_id="sb-shot-duration",
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
                p.del_btn = gr.Button("Delete", size="sm", variant="stop", elem_id="sb-delete", min_width=80)
            p.shot_gen_btn = gr.Button("Generate this shot", variant="primary", elem_id="sb-shot-generate")
            p.takes = gr.HTML("", elem_id="sb-takes", js_on_load=script("sb-takes.js"))
            with gr.Row(equal_height=False, visible=False, elem_id="sb-compare-row") as p.compare_row:
                p.compare_pick = gr.CheckboxGroup(
                    [], label="Compare takes (2–4)", scale=3, min_width=200, elem_id="sb-compare-pick"
                )
                p.compare_btn = gr.Button(
                    "Compare side by side", scale=2, min_width=160, elem_id="sb-compare-btn"
                )


def wire_editor_panel(p: Page, h: StoryboardTab) -> None:
    everything, shown = p.everything(), p.shown_inputs()
    for box in (p.shot_title, p.shot_prompt):
        gr.on([box.input, box.blur], h.on_save, shown, everything, **SAVE)
    p.shot_duration.change(h.on_save, shown, everything, **SAVE)  # the slider saves on "change"
    for control in (p.shot_model, p.shot_quality, p.shot_audio):
        control.input(h.on_save, shown, everything, **SAVE)
    p.up_btn.click(h.move_up, shown, everything, **QUICK)
    p.down_btn.click(h.move_down, shown, everything, **QUICK)
    p.dup_btn.click(h.duplicate_shot, shown, everything, **QUICK)
    p.del_btn.click(h.delete_shot, shown, everything, **QUICK)
    p.shot_gen_btn.click(h.ask_shot, shown, everything, **QUICK)
    p.takes.click(h.on_pick_take, [*shown, p.compared], everything, **QUICK)
    p.compare_btn.click(h.show_compare, [*shown, p.compare_pick], everything, **QUICK)


def compare_panel(p: Page) -> None:
    """Two to four takes side by side, kept in step by the compare script."""
    with gr.Column(visible=False, elem_classes="sd-panel", elem_id="sb-compare-panel") as p.compare_col:
        p.compare = gr.HTML("", elem_id="sb-compare", js_on_load=script("sb-compare.js"))


def wire_compare_panel(p: Page, h: StoryboardTab) -> None:
    p.compare.click(h.on_compare_click, [*p.shown_inputs(), p.compared], p.everything(), **QUICK)


def exports_panel(p: Page) -> None:
    """The review exports of the chosen takes: contact sheet, animatic, review zip, and the downloads."""
    with gr.Column(elem_classes="sd-panel", elem_id="sb-exports"):
        gr.HTML(
            section_html(
                "Review exports",
                "The chosen take of each shot: a contact sheet (PNG), an animatic (MP4) and a review zip "
                "with the videos and a manifest.",
            )
        )
        with gr.Row(equal_height=False, elem_id="sb-export-row"):
            p.sheet_btn = gr.Button("Contact sheet", elem_id="sb-export-sheet", min_width=140)
            p.animatic_btn = gr.Button("Animatic", elem_id="sb-export-animatic", min_width=120)
            p.zip_btn = gr.Button("Review zip", variant="primary", elem_id="sb-export-zip", min_width=140)
            p.cards = gr.Checkbox(
                value=True, label="Title cards in the animatic", elem_id="sb-title-cards", min_width=200
            )
        p.export_note = gr.HTML("", elem_id="sb-export-note")
        with gr.Row(equal_height=False):
            p.sheet_preview = gr.Image(
                label="Contact sheet",
                visible=False,
                interactive=False,
                type="filepath",
                elem_id="sb-sheet-preview",
                buttons=["download", "fullscreen"],
            )
            p.animatic_preview = gr.Video(
                label="Animatic", visible=False, interactive=False, elem_id="sb-animatic-preview"
            )
        p.downloads = gr.File(
            label="Downloads", file_count="multiple", interactive=False, visible=False, elem_id="sb-downloads"
        )


def wire_exports_panel(p: Page, h: StoryboardTab) -> None:
    shown, outputs = p.shown_inputs(), p.export_outputs()
    p.sheet_btn.click(h.export_sheet, shown, outputs, show_progress_on=[p.sheet_btn], **EXPORT)
    p.animatic_btn.click(
        h.export_animatic, [*shown, p.cards], outputs, show_progress_on=[p.animatic_btn], **EXPORT
    )
    p.zip_btn.click(h.export_review_zip, shown, outputs, show_progress_on=[p.zip_btn], **EXPORT)


def build_storyboard_tab(runtime: Runtime, *, owner: gr.BrowserState, visitor_key: gr.State) -> StoryboardTab:
    """Add the Storyboard tab (inside the caller's gr.Tabs) and wire its events; returns its handlers.
    `owner` is the studio's per-browser id (gr.BrowserState); the visitor's own key (a session gr.State)
    is used for submissions, as in the studio tab."""
    p = Page(owner, visitor_key)
    with gr.Tab("Storyboard", id="storyboard", elem_id="sd-tab-storyboard") as tab:
        hidden_state(p)
        board_panel(p)
        with gr.Row(equal_height=False, elem_id="sb-main"):
            shots_panel(p)
            editor_panel(p, runtime.settings)
        compare_panel(p)
        exports_panel(p)
    h = StoryboardTab(runtime, p)
    wire_tab(tab, p, h)
    for wire in (
        wire_board_panel,
        wire_shots_panel,
        wire_editor_panel,
        wire_compare_panel,
        wire_exports_panel,
    ):
        wire(p, h)
    return h


__all__ = ["Page", "StoryboardTab", "build_storyboard_tab"]
