"""The Storyboard tab: plan a sequence of shots, price and generate them, compare takes, export the review.

`build_storyboard_tab(runtime, owner=..., visitor_key=...)` is called by `layout.build_demo` inside its
`gr.Tabs`; it adds the tab, its components and its events. The owner is the studio's per-browser id
(gr.BrowserState) and the visitor's own key (session gr.State) is used for submissions, as in the
studio tab.

Where state lives:
- the board itself: on disk, per owner (`BoardStore`); every handler loads it, changes it under a
  per-board lock and saves it, so two tabs or two quick clicks never lose an edit;
- the ids of the open board and the selected shot: two hidden textboxes, so they travel from the
  browser together with the editor's field values of the same moment (a gr.State is read on the server
  when the event runs, which could pair shot 2's id with shot 1's text);
- every action first commits what the board settings and the shot editor show, then does its work.

Live tiles: a gr.Timer ticks every second while any take of the board is in flight and re-renders the
tiles from the job manager's records. Review exports are written to `<data_dir>/exports/<owner key>/`
(inside `allowed_paths`), the animatic in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gradio as gr

from seedance_ui.client import GenerationRequest, SeedanceError
from seedance_ui.options import (
    ASPECT_RATIOS,
    DEFAULT_DURATION,
    DURATION_MAX,
    DURATION_MIN,
    MODEL_FAST,
    MODELS,
    QUALITIES,
)
from seedance_ui.runtime import Runtime
from seedance_ui.security.owners import request_owner
from seedance_ui.store import JobRecord
from seedance_ui.storyboard import (
    Board,
    BoardFormatError,
    BoardStore,
    OwnerJobs,
    Shot,
    StoryboardError,
    board_estimate,
    board_to_csv,
    choose_take,
    dumps_board,
    export_animatic,
    export_contact_sheet,
    export_zip,
    import_board_json,
    import_csv,
    owner_key,
    refresh_chosen,
    shot_estimate,
    shot_problems,
    shots_to_generate,
    submit_shots,
)
from seedance_ui.storyboard.clips import export_stem
from seedance_ui.storyboard.files import write_text_atomically
from seedance_ui.storyboard.jsonio import MAX_IMPORT_BYTES
from seedance_ui.storyboard.model import MAX_PROMPT_CHARS, MAX_STYLE_CHARS, MAX_TITLE_CHARS, is_valid_id
from seedance_ui.ui import storyboard_views as sv
from seedance_ui.ui.handlers import INTERNAL_ERROR
from seedance_ui.storyboard.page_memory import PageMemory

log = logging.getLogger("seedance_ui.ui.storyboard")

TICK_SECONDS = 1.0
EDIT_LIMIT = 32  # quick handlers: load, change and save one small JSON file
SUBMIT_LIMIT = 16
EXPORT_LIMIT = 2  # contact sheets and animatics decode and encode video: CPU-bound
EXPORTS_DIRNAME = "exports"
BOARD = "board"  # the "follow the board" choice of a per-shot override

SAMPLE_TITLE = "The lighthouse keeper — teaser"
SAMPLE_STYLE = "cinematic, 35mm film grain, muted teal and amber palette"
SAMPLE_SHOTS = (
    (
        "Storm at dusk",
        "Wide establishing shot of a lone lighthouse on a black rock as a storm rolls in at dusk, waves "
        "exploding against the cliffs, slow aerial push-in",
    ),
    (
        "The keeper",
        "Close-up of an old lighthouse keeper lighting an oil lamp, warm flicker on his weathered face, rain "
        "streaking the window behind him",
    ),
    (
        "The beam",
        "The lighthouse beam sweeps across the dark sea and finds a small fishing boat fighting the swell, "
        "low angle, the camera tilts up to the light",
    ),
)

TILES_JS = """
const fire = (el) => {
  const data = {action: el.dataset.action || '', shot: el.dataset.shot || '', take: el.dataset.take || ''};
  trigger('click', data);
  if (data.action === 'retry' || (data.action === 'select' && window.innerWidth < 900)) {
    setTimeout(() => {
      const panel = document.getElementById('sb-editor-panel');
      if (panel) panel.scrollIntoView({behavior: 'smooth', block: 'start'});
      if (data.action === 'retry') {
        const box = document.querySelector('#sb-shot-prompt textarea');
        if (box) box.focus({preventScroll: true});
      }
    }, 450);
  }
};
element.addEventListener('click', (e) => {
  const el = e.target.closest('[data-action]');
  if (!el || !element.contains(el)) return;
  e.preventDefault();
  e.stopPropagation();
  fire(el);
});
element.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' && e.key !== ' ') return;
  const el = e.target.closest('[data-action]');
  if (!el || el.tagName === 'BUTTON' || !element.contains(el)) return;
  e.preventDefault();
  fire(el);
});
"""

ACTIONS_JS = """
element.addEventListener('click', (e) => {
  const el = e.target.closest('[data-action]');
  if (!el || !element.contains(el)) return;
  e.preventDefault();
  const d = el.dataset;
  trigger('click', {action: d.action || '', shot: d.shot || '', take: d.take || ''});
});
"""

# Compare: every <video data-sync> follows the one the reviewer plays, pauses, scrubs or speeds up.
# Propagated changes fire the same events on the followers; a short quiet window stops the echo.
COMPARE_JS = """
const vids = () => Array.from(element.querySelectorAll('video[data-sync]'));
watch('value', () => {  // a new comparison: bring it into view when it opens below the fold
  const box = element.querySelector('.sb-compare');
  if (!box) return;
  const top = box.getBoundingClientRect().top;
  if (top > window.innerHeight * 0.6 || top < 0) box.scrollIntoView({behavior: 'smooth', block: 'start'});
});
let quietUntil = 0;
const hush = () => { quietUntil = performance.now() + 250; };
const follow = (src, kind) => {
  if (performance.now() < quietUntil) return;
  hush();
  for (const v of vids()) {
    if (v === src) continue;
    if (Math.abs(v.currentTime - src.currentTime) > 0.04) {
      try { v.currentTime = src.currentTime; } catch (err) {}
    }
    if (kind === 'play' && v.paused) v.play().catch(() => {});
    if (kind === 'pause' && !v.paused) v.pause();
    if (kind === 'rate') v.playbackRate = src.playbackRate;
  }
};
const on = (type, kind) => element.addEventListener(type, (e) => {
  const v = e.target;
  if (v && v.matches && v.matches('video[data-sync]')) follow(v, kind);
}, true);
on('play', 'play'); on('pause', 'pause'); on('seeked', 'seek'); on('ratechange', 'rate');
element.addEventListener('click', (e) => {
  const cmd = e.target.closest('[data-sync-cmd]');
  if (cmd) {
    const vs = vids();
    hush();
    const what = cmd.dataset.syncCmd;
    const t = what === 'restart' ? 0 : (vs.length ? vs[0].currentTime : 0);
    vs.forEach((v) => {
      try { v.currentTime = t; } catch (err) {}
      if (what === 'pause') v.pause(); else v.play().catch(() => {});
    });
    return;
  }
  const sound = e.target.closest('[data-sound-take]');
  if (sound) {
    const i = Number(sound.dataset.soundTake);
    const wasOn = sound.classList.contains('is-on');
    vids().forEach((v, j) => { v.muted = wasOn || j !== i; });
    element.querySelectorAll('[data-sound-take]').forEach((b, j) => {
      b.classList.toggle('is-on', !wasOn && j === i);
    });
    return;
  }
  const el = e.target.closest('[data-action]');
  if (el && element.contains(el)) {
    e.preventDefault();
    const d = el.dataset;
  trigger('click', {action: d.action || '', shot: d.shot || '', take: d.take || ''});
  }
});
"""


# --------------------------------------------------------------------------------------------------
# What the page shows at the moment of an event


@dataclass(frozen=True)
class Ctx:
    """The owner, the open board and shot, and what the settings and editor fields show."""

    owner: str | None
    board_id: str | None
    shot_id: str | None
    title: Any
    style: Any
    aspect_ratio: Any
    quality: Any
    model: Any
    audio: Any
    shot_title: Any
    shot_prompt: Any
    shot_duration: Any
    shot_model: Any
    shot_quality: Any
    shot_audio: Any
    session: str | None = None  # the page's Gradio session (see PageMemory)

    @classmethod
    def bare(cls, owner: str, board_id: Any) -> Ctx:
        """The open board only: nothing from the settings or the editor is applied."""
        return cls.of((None, board_id, None, *[None] * 12), owner)

    @classmethod
    def of(cls, values: tuple[Any, ...], owner: str | None = None) -> Ctx:
        """From the event's input values (the owner already resolved by `StoryboardTab.owner_of`)."""
        _browser_id, board_id, shot_id, *rest = values
        return cls(
            owner,
            board_id if is_valid_id(board_id) else None,
            shot_id if is_valid_id(shot_id) else None,
            *rest,
        )


# The fields a page shows and sends back: Ctx attribute -> StoryboardTab component attribute.
FIELDS = (
    ("title", "title"),
    ("style", "style"),
    ("aspect_ratio", "aspect"),
    ("quality", "quality"),
    ("model", "model"),
    ("audio", "audio"),
    ("shot_title", "shot_title"),
    ("shot_prompt", "shot_prompt"),
    ("shot_duration", "shot_duration"),
    ("shot_model", "shot_model"),
    ("shot_quality", "shot_quality"),
    ("shot_audio", "shot_audio"),
)
SHOT_FIELDS = tuple(name for name, _ in FIELDS if name.startswith("shot_"))


def shown_value(update: Any) -> tuple[bool, Any]:
    """(sent, value) of one output as the page receives it (a skip or a props-only update sends none)."""
    if isinstance(update, dict) and update.get("__type__") == "update":
        return ("value" in update), update.get("value")
    return True, update


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _duration(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return max(DURATION_MIN, min(DURATION_MAX, int(value)))


def _override(value: Any, allowed: Any) -> tuple[bool, Any]:
    """(valid, value) of a per-shot override radio: BOARD -> None."""
    if value == BOARD:
        return True, None
    if value in allowed:
        return True, value
    return False, None


def apply_ctx(board: Board, ctx: Ctx) -> bool:
    """Write what the settings and editor show into the board; True when anything changed."""
    changed = False

    def put(obj: Any, name: str, value: Any) -> None:
        nonlocal changed
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True

    title = _text(ctx.title, MAX_TITLE_CHARS)
    if title is not None and title.strip():
        put(board, "title", title.strip())
    style = _text(ctx.style, MAX_STYLE_CHARS)
    if style is not None:
        put(board, "style", style)
    if ctx.aspect_ratio in ASPECT_RATIOS:
        put(board, "aspect_ratio", ctx.aspect_ratio)
    if ctx.quality in QUALITIES:
        put(board, "quality", ctx.quality)
    if ctx.model in MODELS:
        put(board, "model", ctx.model)
    if isinstance(ctx.audio, bool):
        put(board, "generate_audio", ctx.audio)

    shot = _shot(board, ctx.shot_id)
    if shot is not None:
        shot_title = _text(ctx.shot_title, MAX_TITLE_CHARS)
        if shot_title is not None:
            put(shot, "title", shot_title)
        prompt = _text(ctx.shot_prompt, MAX_PROMPT_CHARS)
        if prompt is not None:
            put(shot, "prompt", prompt)
        duration = _duration(ctx.shot_duration)
        if duration is not None:
            put(shot, "duration", duration)
        for name, value, allowed in (
            ("model", ctx.shot_model, MODELS),
            ("quality", ctx.shot_quality, QUALITIES),
        ):
            ok, override = _override(value, allowed)
            if ok:
                put(shot, name, override)
        audio = {BOARD: None, "on": True, "off": False}
        if ctx.shot_audio in audio:
            put(shot, "generate_audio", audio[ctx.shot_audio])
    if changed:
        board.touch()
    return changed


def _shot(board: Board | None, shot_id: str | None) -> Shot | None:
    if board is None or not shot_id:
        return None
    try:
        return board.shot(shot_id)
    except KeyError:
        return None


def sample_board(owner: str) -> Board:
    """The first board a visitor sees: three shots ready to price (nothing is generated)."""
    board = Board(owner=owner, title=SAMPLE_TITLE, style=SAMPLE_STYLE, quality="480p", model=MODEL_FAST)
    for title, prompt in SAMPLE_SHOTS:
        board.add_shot(title=title, prompt=prompt, duration=DEFAULT_DURATION)
    return board


class _History:
    """What OwnerJobs needs, over the job manager (live queue positions) and the history store."""

    def __init__(self, runtime: Runtime) -> None:
        self.manager = runtime.manager
        self.store = runtime.store

    def get(self, job_id: str, owner: str) -> JobRecord | None:
        try:
            return self.manager.get(job_id, owner)
        except ValueError:
            return None

    def video_file(self, record: JobRecord) -> Path | None:
        return self.store.video_file(record)


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """No exception (or traceback) reaches the page: log it and show a short notice instead."""

    def on_error(self: StoryboardTab, exc: BaseException) -> dict[Any, Any]:
        if isinstance(exc, gr.Error):
            raise exc
        log.exception("storyboard handler %s failed", fn.__name__)
        gr.Warning(INTERNAL_ERROR, title="Error", duration=12)
        return {self.notice: sv.notice("error", INTERNAL_ERROR)}

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def coro(self: StoryboardTab, *args: Any, **kwargs: Any) -> Any:
            try:
                return self.drawn(args, await fn(self, *args, **kwargs))
            except Exception as exc:
                return on_error(self, exc)

        return coro

    @functools.wraps(fn)
    def sync(self: StoryboardTab, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.drawn(args, fn(self, *args, **kwargs))
        except Exception as exc:
            return on_error(self, exc)

    return sync


# --------------------------------------------------------------------------------------------------
# The tab


class StoryboardTab:
    """Components, handlers and wiring of the Storyboard tab (one instance per app)."""

    def __init__(self, runtime: Runtime, owner: gr.BrowserState, visitor_key: gr.State) -> None:
        self.runtime = runtime
        self.manager = runtime.manager
        self.store = runtime.store
        self.boards = BoardStore(runtime.data_dir)
        self.history = _History(runtime)
        self.owner = owner
        self.visitor_key = visitor_key
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.pages = PageMemory(SHOT_FIELDS)

    # ---------------------------------------------------------------------------------------------
    # who is asking
    def owner_of(self, browser_id: Any, request: Any = None) -> str | None:
        """The owner of one event, as the studio decides it: `hf:<user>` when sign-in is on and the
        session is signed in, else the browser's own id (None before the studio's load gave it one)."""
        return request_owner(
            browser_id, request, sign_in=bool(getattr(self.runtime.settings, "sign_in", False))
        )

    def ctx(self, values: tuple[Any, ...], request: Any) -> Ctx:
        ctx = Ctx.of(values, self.owner_of(values[0] if values else None, request))
        return replace(ctx, session=getattr(request, "session_hash", None))

    def drawn(self, args: tuple[Any, ...], out: Any) -> Any:
        """Remember what a full render (`full`) drew on the page of this event; returns `out`."""
        request = next((a for a in args if isinstance(a, gr.Request)), None)
        session = getattr(request, "session_hash", None)
        if not session or not isinstance(out, dict) or self.board_box not in out:
            return out
        board_id, shot_id = shown_value(out[self.board_box])[1], shown_value(out.get(self.shot_box))[1]
        values = {}
        for name, attr in FIELDS:
            component = getattr(self, attr)
            if component in out and (shown := shown_value(out[component]))[0]:
                values[name] = shown[1]
        self.pages.remember(session, board_id or None, shot_id or None, values)
        return out

    # ---------------------------------------------------------------------------------------------
    # boards on disk
    def _lock(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    def exports_dir(self, owner: str) -> Path:
        return Path(self.runtime.data_dir) / EXPORTS_DIRNAME / owner_key(owner)

    def open_default(self, owner: str) -> Board:
        """The owner's most recently changed board; a sample board on the very first visit."""
        with self._lock(f"owner:{owner}"):
            boards = self.boards.list(owner)
            if boards:
                return boards[0]
            return self.boards.save(sample_board(owner))

    @contextlib.contextmanager
    def editing(self, ctx: Ctx) -> Iterator[Board | None]:
        """The open board with what was changed on the page applied, locked; saved afterwards if it
        changed."""
        if ctx.owner is None or ctx.board_id is None:
            yield None
            return
        with self._lock(ctx.board_id):
            board = self.boards.get(ctx.owner, ctx.board_id)
            if board is None:
                yield None
                return
            before = dumps_board(board)
            # Only what the person changed on this page: a value it still shows as drawn may be stale
            # (another tab saved since), and is left as it is on disk (PageMemory).
            shown = {name: getattr(ctx, name) for name, _ in FIELDS}
            kept = self.pages.unchanged(ctx.session, ctx.board_id, ctx.shot_id, shown)
            apply_ctx(board, replace(ctx, **dict.fromkeys(kept)) if kept else ctx)
            yield board
            if dumps_board(board) != before:
                self.boards.save(board, touch=False)
            self.pages.remember(ctx.session, ctx.board_id, ctx.shot_id, shown)

    def jobs(self, owner: str) -> OwnerJobs:
        return OwnerJobs(self.history, owner)

    def refresh_choices(self, board: Board, owner: str) -> bool:
        """Give each shot without a pick its first completed take (saved by the caller's `editing`)."""
        return bool(refresh_chosen(board, self.jobs(owner).status_of))

    # ---------------------------------------------------------------------------------------------
    # rendering
    def views(self, board: Board, owner: str) -> list[sv.ShotView]:
        jobs = self.jobs(owner)
        estimates = {}
        for shot in board.shots:
            line = shot_estimate(board, shot)
            estimates[shot.id] = (line.credits, line.usd) if line.error is None else (None, None)
        return sv.shot_views(board, jobs.record, self.store.poster_file, self.store.video_file, estimates)

    def picker_update(self, owner: str, board: Board) -> Any:
        boards = self.boards.list(owner)
        if all(b.id != board.id for b in boards):
            boards.insert(0, board)
        choices = [(sv.board_choice_label(b if b.id != board.id else board), b.id) for b in boards]
        return gr.update(choices=choices, value=board.id)

    def live(self, board: Board, owner: str, shot_id: str | None) -> dict[Any, Any]:
        """Tiles, summary, editor notes, takes and the timer: what changes while jobs run."""
        views = self.views(board, owner)
        jobs = self.jobs(owner)
        total = board_estimate(board)
        missing = board_estimate(board, only_missing=True, job_status_of=jobs.status_of)
        view = next((v for v in views if v.shot.id == shot_id), None)
        problems = shot_problems(board, view.shot) if view is not None else []
        return {
            self.summary: sv.summary_html(board, views, total, missing),
            self.tiles: sv.tiles_html(board, views, shot_id),
            self.editor_head: sv.editor_head_html(board, view),
            self.editor_info: sv.editor_info_html(board, view, problems),
            self.takes: sv.takes_html(view),
            self.shot_gen_btn: gr.update(value=self._shot_button_label(view)),
            self.timer: gr.Timer(active=any(v.in_flight for v in views)),
        }

    @staticmethod
    def _shot_button_label(view: sv.ShotView | None) -> str:
        if view is None or view.state == "new":
            return "Generate this shot"
        if view.state in ("failed", "cancelled", "expired"):
            return "Retry shot"
        return "Generate a new take"

    def full(
        self,
        board: Board,
        owner: str,
        shot_id: str | None,
        *,
        message: str = "",
        kind: str = "info",
        keep_compare: bool = False,
    ) -> dict[Any, Any]:
        """Everything, editor fields included (after a selection, an add or a board switch)."""
        if _shot(board, shot_id) is None:
            shot_id = board.shots[0].id if board.shots else None
        shot = _shot(board, shot_id)
        out = self.live(board, owner, shot_id)
        views = self.views(board, owner)
        view = next((v for v in views if v.shot.id == shot_id), None)
        model_info = f"Board: {MODELS.get(board.model, board.model)}"
        out.update(
            {
                self.board_box: board.id,
                self.shot_box: shot_id or "",
                self.picker: self.picker_update(owner, board),
                self.title: board.title,
                self.style: board.style,
                self.aspect: board.aspect_ratio if board.aspect_ratio in ASPECT_RATIOS else None,
                self.quality: board.quality if board.quality in QUALITIES else None,
                self.model: board.model if board.model in MODELS else None,
                self.audio: board.generate_audio,
                self.editor: gr.update(visible=shot is not None),
                self.notice: sv.notice(kind, message) if message else "",
            }
        )
        if shot is not None:
            out.update(
                {
                    self.shot_title: shot.title,
                    self.shot_prompt: shot.prompt,
                    self.shot_duration: shot.duration if isinstance(shot.duration, int) else DEFAULT_DURATION,
                    self.shot_model: gr.update(
                        value=shot.model if shot.model in MODELS else BOARD, info=model_info
                    ),
                    self.shot_quality: gr.update(
                        value=shot.quality if shot.quality in QUALITIES else BOARD,
                        info=f"Board: {board.quality}",
                    ),
                    self.shot_audio: gr.update(
                        value={None: BOARD, True: "on", False: "off"}.get(shot.generate_audio, BOARD),
                        info=f"Board: {'on' if board.generate_audio else 'off'}",
                    ),
                }
            )
        out.update(self.compare_choices_update(view))
        if not keep_compare:
            out[self.compare_col] = gr.update(visible=False)
            out[self.compare] = ""
            out[self.compared] = []
        out[self.confirm_group] = gr.update(visible=False)
        return out

    def compare_choices_update(self, view: sv.ShotView | None) -> dict[Any, Any]:
        choices = sv.compare_choices(view)
        return {
            self.compare_pick: gr.update(choices=choices, value=sv.default_compare(view)),
            self.compare_row: gr.update(visible=len(choices) >= sv.MIN_COMPARE),
            self.takes_sig: self._takes_sig(view),
        }

    @staticmethod
    def _takes_sig(view: sv.ShotView | None) -> str:
        if view is None:
            return ""
        return (
            view.shot.id
            + ":"
            + ",".join(f"{t.take.id}{'*' if t.chosen else ''}" for t in view.takes if t.playable)
        )

    # ---------------------------------------------------------------------------------------------
    # opening, ticking, saving
    @guarded
    def on_open(self, request: gr.Request, owner: Any, board_id: Any, shot_id: Any) -> dict[Any, Any]:
        """The tab was selected: open the board shown (refreshed), or the owner's latest."""
        return self._open(self.owner_of(owner, request), board_id, shot_id)

    def _open(self, owner_id: str | None, board_id: Any, shot_id: Any) -> dict[Any, Any]:
        if owner_id is None:  # the studio's load has not given this browser its id yet: the timer retries
            return {self.tiles: sv.tiles_html(None, [], None), self.timer: gr.Timer(active=True)}
        board = self.boards.get(owner_id, board_id) if is_valid_id(board_id) else None
        if board is None:
            board = self.open_default(owner_id)
            shot_id = None
        with self.editing(Ctx.bare(owner_id, board.id)) as fresh:
            if fresh is not None:
                self.refresh_choices(fresh, owner_id)
                board = fresh
        return self.full(board, owner_id, shot_id if is_valid_id(shot_id) else None, keep_compare=True)

    @guarded
    def on_tick(
        self, request: gr.Request, owner: Any, board_id: Any, shot_id: Any, sig: Any
    ) -> dict[Any, Any]:
        """Every second while jobs of the board are in flight (or while the tab waits for its owner)."""
        owner_id = self.owner_of(owner, request)
        if owner_id is None:
            return {self.timer: gr.Timer(active=True)}
        if not is_valid_id(board_id):
            return self._open(owner_id, None, None)
        ctx = Ctx.bare(owner_id, board_id)
        with self.editing(ctx) as board:
            if board is None:
                return {self.timer: gr.Timer(active=False)}
            self.refresh_choices(board, owner_id)
        shot_id = shot_id if is_valid_id(shot_id) else None
        out = self.live(board, owner_id, shot_id)
        views = self.views(board, owner_id)
        view = next((v for v in views if v.shot.id == shot_id), None)
        if self._takes_sig(view) != (sig or ""):
            out.update(self.compare_choices_update(view))
        return out

    @guarded
    def on_save(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        """A setting or a field of the editor changed: save it; tiles, totals and notes follow."""
        return self._save(self.ctx(values, request))

    def _save(self, ctx: Ctx) -> dict[Any, Any]:
        with self.editing(ctx) as board:
            if board is None:
                return {self.notice: gr.skip()}
        out = self.live(board, ctx.owner or "", ctx.shot_id)
        del out[self.shot_gen_btn], out[self.timer], out[self.takes]
        return out

    @guarded
    def on_save_title(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        ctx = self.ctx(values, request)
        out = self._save(ctx)
        if ctx.owner and ctx.board_id and (board := self.boards.get(ctx.owner, ctx.board_id)) is not None:
            out[self.picker] = self.picker_update(ctx.owner, board)
        return out

    # ---------------------------------------------------------------------------------------------
    # shots
    def _edit_shots(self, ctx: Ctx, change: Callable[[Board, Shot | None], str | None]) -> Any:
        """Commit the page, run `change(board, selected shot) -> shot to select`, render everything."""
        with self.editing(ctx) as board:
            if board is None:
                return {self.notice: sv.notice("warning", "Open a board first.")}
            selected = change(board, _shot(board, ctx.shot_id))
        return self.full(board, ctx.owner or "", selected)

    @guarded
    def add_shot(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        return self._add(self.ctx(values, request))

    def _add(self, ctx: Ctx) -> dict[Any, Any]:
        def change(board: Board, current: Shot | None) -> str:
            return board.add_shot().id  # at the end; "Move up" and "Duplicate" place shots elsewhere

        return self._edit_shots(ctx, change)

    @guarded
    def duplicate_shot(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        def change(board: Board, current: Shot | None) -> str | None:
            if current is None:
                return None
            copy = board.duplicate_shot(current.id)
            copy.title = f"{current.title} (copy)".strip()[:MAX_TITLE_CHARS] if current.title else ""
            return copy.id

        return self._edit_shots(self.ctx(values, request), change)

    @guarded
    def delete_shot(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        def change(board: Board, current: Shot | None) -> str | None:
            if current is None:
                return None
            index = board.index_of(current.id)
            board.delete_shot(current.id)
            if not board.shots:
                return None
            return board.shots[min(index, len(board.shots) - 1)].id

        return self._edit_shots(self.ctx(values, request), change)

    @guarded
    def move_up(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        return self._move(self.ctx(values, request), -1)

    @guarded
    def move_down(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        return self._move(self.ctx(values, request), 1)

    def _move(self, ctx: Ctx, delta: int) -> dict[Any, Any]:
        def change(board: Board, current: Shot | None) -> str | None:
            if current is not None:
                board.move_shot(current.id, delta)
            return current.id if current is not None else None

        return self._edit_shots(ctx, change)

    @guarded
    def on_tiles(self, evt: gr.EventData, request: gr.Request, *values: Any) -> dict[Any, Any]:
        """A click in the tiles: select a shot, "Edit and retry", or add one."""
        data = getattr(evt, "_data", None) or {}
        action, target = data.get("action"), data.get("shot")
        ctx = self.ctx(values, request)
        if action == "add":
            return self._add(ctx)
        if action not in ("select", "retry") or not is_valid_id(target):
            return {self.notice: gr.skip()}
        with self.editing(ctx) as board:
            if board is None:
                return {self.notice: sv.notice("warning", "Open a board first.")}
        # "Edit and retry" selects the shot; the editor shows the reason and the "Retry shot" button, and
        # the tiles' script puts the cursor in the prompt.
        return self.full(board, ctx.owner or "", target)

    @guarded
    def on_pick_take(self, evt: gr.EventData, request: gr.Request, *values: Any) -> dict[Any, Any]:
        """ "Use this take" in the takes strip."""
        return self._pick(values, evt, request, in_compare=False)

    @guarded
    def on_compare_click(self, evt: gr.EventData, request: gr.Request, *values: Any) -> dict[Any, Any]:
        """ "Pick take N" (or "Close") in the compare panel."""
        return self._pick(values, evt, request, in_compare=True)

    def _pick(
        self, values: tuple[Any, ...], evt: gr.EventData, request: Any, *, in_compare: bool
    ) -> dict[Any, Any]:
        *ctx_values, compared = values
        data = getattr(evt, "_data", None) or {}
        action, shot_id, take_id = data.get("action"), data.get("shot"), data.get("take")
        if action == "close-compare":
            return {self.compare_col: gr.update(visible=False), self.compare: "", self.compared: []}
        if action != "pick" or not is_valid_id(shot_id) or not is_valid_id(take_id):
            return {self.notice: gr.skip()}
        ctx = self.ctx(tuple(ctx_values), request)
        with self.editing(ctx) as board:
            if board is None:
                return {self.notice: sv.notice("warning", "Open a board first.")}
            try:
                choose_take(board, shot_id, take_id)
            except KeyError:
                return {self.notice: sv.notice("warning", "That take is no longer on this shot.")}
            number = board.number_of(shot_id)
            take_number = next(i for i, t in enumerate(board.shot(shot_id).takes, 1) if t.id == take_id)
        owner = ctx.owner or ""
        out = self.live(board, owner, ctx.shot_id)
        view = next((v for v in self.views(board, owner) if v.shot.id == shot_id), None)
        out[self.notice] = sv.notice("success", f"Shot {number} now uses take {take_number}.")
        if view is not None and ctx.shot_id == shot_id:
            out.update(self.compare_choices_update(view))
        if in_compare and view is not None and compared:
            out[self.compare] = sv.compare_html(board, view, list(compared))
        return out

    # ---------------------------------------------------------------------------------------------
    # boards
    @guarded
    def switch_board(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        *ctx_values, chosen = values
        ctx = self.ctx(tuple(ctx_values), request)
        with self.editing(ctx):
            pass
        if ctx.owner is None or not is_valid_id(chosen):
            return {self.notice: gr.skip()}
        board = self.boards.get(ctx.owner, chosen)
        if board is None:
            return {self.notice: sv.notice("warning", "That board is gone.")}
        return self.full(board, ctx.owner, None)

    @guarded
    def new_board(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        ctx = self.ctx(values, request)
        with self.editing(ctx):
            pass
        if ctx.owner is None:
            return {
                self.notice: sv.notice("warning", "Still opening your storyboard; try again in a moment.")
            }
        board = Board(owner=ctx.owner, title=f"Storyboard {len(self.boards.list(ctx.owner)) + 1}")
        shot = board.add_shot()
        self.boards.save(board)
        return self.full(board, ctx.owner, shot.id, message="A new board: write the first shot.")

    @guarded
    def import_file(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        *ctx_values, upload = values
        ctx = self.ctx(tuple(ctx_values), request)
        with self.editing(ctx) as current:
            pass
        if ctx.owner is None or not upload:
            return {self.notice: gr.skip()}
        path = Path(upload if isinstance(upload, str) else getattr(upload, "name", ""))
        try:
            if path.stat().st_size > MAX_IMPORT_BYTES:
                raise BoardFormatError("", f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MiB")
            data = path.read_bytes()
            if path.suffix.lower() == ".csv":
                # CSV carries shots only: they join a new board with the open board's settings.
                board = Board(owner=ctx.owner, title=path.stem[:MAX_TITLE_CHARS] or "Imported storyboard")
                if current is not None:
                    board.title = f"{current.title} (from CSV)"[:MAX_TITLE_CHARS]
                    for name, value in current.settings().items():
                        setattr(board, name, value)
                import_csv(board, data)
            else:
                board = import_board_json(data, ctx.owner)
        except BoardFormatError as exc:
            return {self.notice: sv.notice("error", f"Could not import {path.name}: {exc}")}
        except (OSError, StoryboardError) as exc:
            return {self.notice: sv.notice("error", f"Could not import {path.name}: {exc}")}
        self.boards.save(board)
        n = len(board.shots)
        return self.full(
            board,
            ctx.owner,
            None,
            message=f"Imported “{board.title}”: {n} shot{'s' if n != 1 else ''}, as a new board.",
            kind="success",
        )

    def _export_text(self, ctx: Ctx, suffix: str, render: Callable[[Board], str]) -> Any:
        with self.editing(ctx) as board:
            if board is None or ctx.owner is None:
                return {self.notice: sv.notice("warning", "Open a board first.")}
        path = self.exports_dir(ctx.owner) / f"{export_stem(board)}{suffix}"
        write_text_atomically(path, render(board))
        return self._downloads(board, ctx.owner, f"Exported {path.name}.")

    @guarded
    def export_json(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        return self._export_text(
            self.ctx(values, request), ".json", lambda b: dumps_board(b, include_owner=False)
        )

    @guarded
    def export_csv(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        return self._export_text(self.ctx(values, request), ".csv", board_to_csv)

    # ---------------------------------------------------------------------------------------------
    # generation: ask, then confirm
    def _ask(self, ctx: Ctx, pick: Callable[[Board, OwnerJobs, Shot | None], list[Shot]], what: str) -> Any:
        with self.editing(ctx) as board:
            if board is None or ctx.owner is None:
                return {self.notice: sv.notice("warning", "Open a board first.")}
            jobs = self.jobs(ctx.owner)
            shots = pick(board, jobs, _shot(board, ctx.shot_id))
        return self._confirmation(board, ctx.owner, [s.id for s in shots], what)

    def _confirmation(self, board: Board, owner: str, shot_ids: list[str], what: str, changed: bool = False):
        if not shot_ids:
            return {
                self.confirm_group: gr.update(visible=False),
                self.plan: None,
                self.notice: sv.notice(
                    "info", "Nothing to generate: every shot has a take that is done or on its way."
                ),
            }
        estimate = self._estimate(board, shot_ids)
        problems = [p for sid in shot_ids for p in shot_problems(board, board.shot(sid))]
        plan = {"board": board.id, "shots": shot_ids, "credits": round(estimate.credits, 4), "what": what}
        return {
            self.confirm_group: gr.update(visible=True),
            self.confirm_html: sv.confirm_html(board, estimate, what, problems, changed=changed),
            self.confirm_btn: gr.update(
                value=sv.confirm_label(estimate.credits), interactive=not problems, visible=not problems
            ),
            self.plan: None if problems else plan,
            self.notice: "",
        }

    @staticmethod
    def _estimate(board: Board, shot_ids: list[str]) -> Any:
        lines = [shot_estimate(board, board.shot(sid)) for sid in shot_ids]
        return sv.BoardEstimate(
            credits=round(sum(x.credits for x in lines), 4),
            usd=round(sum(x.usd for x in lines), 4),
            shots=lines,
        )

    @guarded
    def ask_all(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        return self._ask(
            self.ctx(values, request), lambda b, j, s: shots_to_generate(b, "all"), "Generate all shots"
        )

    @guarded
    def ask_missing(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        return self._ask(
            self.ctx(values, request),
            lambda b, j, s: shots_to_generate(b, "missing_or_failed", j.status_of),
            "Generate missing or failed shots",
        )

    @guarded
    def ask_shot(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        def pick(board: Board, jobs: OwnerJobs, shot: Shot | None) -> list[Shot]:
            return [shot] if shot is not None else []

        ctx = self.ctx(values, request)
        number = ""
        if ctx.owner and ctx.board_id and (b := self.boards.get(ctx.owner, ctx.board_id)) is not None:
            shot = _shot(b, ctx.shot_id)
            number = f" {b.number_of(shot.id)}" if shot is not None else ""
        return self._ask(ctx, pick, f"Shot{number}: a new take")

    @guarded
    def cancel_plan(self) -> dict[Any, Any]:
        return {self.confirm_group: gr.update(visible=False), self.plan: None, self.notice: ""}

    @guarded
    async def confirm(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        """Submit the planned shots (only if the total is still what the reviewer confirmed)."""
        *ctx_values, plan, visitor_key = values
        ctx = self.ctx(tuple(ctx_values), request)
        if not isinstance(plan, dict) or ctx.owner is None or plan.get("board") != ctx.board_id:
            return {self.confirm_group: gr.update(visible=False), self.plan: None}
        return await asyncio.to_thread(self._submit, ctx, plan, visitor_key)

    def _submit(self, ctx: Ctx, plan: dict[str, Any], visitor_key: str | None) -> dict[Any, Any]:
        owner = ctx.owner or ""
        with self.editing(ctx) as board:
            if board is None:
                return {self.confirm_group: gr.update(visible=False), self.plan: None}
            shot_ids = [sid for sid in plan.get("shots", []) if _shot(board, sid) is not None]
            estimate = self._estimate(board, shot_ids)
            problems = [p for sid in shot_ids for p in shot_problems(board, board.shot(sid))]
            if (
                problems
                or round(estimate.credits, 4) != plan.get("credits")
                or len(shot_ids) != len(plan["shots"])
            ):
                return self._confirmation(board, owner, shot_ids, str(plan.get("what", "")), changed=True)

            def submit(request: GenerationRequest) -> str:
                return self.manager.submit(request, owner, visitor_key or None).id

            takes, errors = submit_shots(board, [board.shot(sid) for sid in shot_ids], submit)
            shots_by_id = {s.id: s for s in board.shots}
        out = self.live(board, owner, ctx.shot_id)
        out[self.confirm_group] = gr.update(visible=False)
        out[self.plan] = None
        out[self.timer] = gr.Timer(active=True)
        if errors:
            lines = []
            for sid, exc in errors.items():
                number = board.number_of(sid) if sid in shots_by_id else "?"
                text = exc.message if isinstance(exc, SeedanceError) else str(exc) or type(exc).__name__
                if isinstance(exc, RuntimeError):
                    text = "the job manager is not running"
                lines.append(f"Shot {number}: {text}")
            out[self.notice] = sv.notice(
                "warning",
                f"{len(takes)} shot{'s' if len(takes) != 1 else ''} sent; {len(errors)} could not be sent.",
                "The others are rendering; fix the shots named here and retry them.",
                items=lines,
            )
        else:
            out[self.notice] = sv.notice(
                "success",
                f"Sent {len(takes)} shot{'s' if len(takes) != 1 else ''}: the tiles follow each one live.",
                "Jobs keep running if you close this tab; they are saved to your history.",
            )
        return out

    # ---------------------------------------------------------------------------------------------
    # takes
    @guarded
    def show_compare(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        *ctx_values, picked = values
        ctx = self.ctx(tuple(ctx_values), request)
        with self.editing(ctx) as board:
            if board is None or ctx.owner is None:
                return {self.notice: sv.notice("warning", "Open a board first.")}
        views = self.views(board, ctx.owner)
        view = next((v for v in views if v.shot.id == ctx.shot_id), None)
        playable = {t.take.id for t in (view.takes if view else ()) if t.playable}
        chosen = [t for t in (picked or []) if t in playable]
        if view is None or not sv.MIN_COMPARE <= len(chosen) <= sv.MAX_COMPARE:
            return {
                self.notice: sv.notice(
                    "warning",
                    f"Tick {sv.MIN_COMPARE} to {sv.MAX_COMPARE} finished takes of this shot to compare.",
                )
            }
        return {
            self.compare_col: gr.update(visible=True),
            self.compare: sv.compare_html(board, view, chosen),
            self.compared: chosen,
            self.notice: "",
        }

    # ---------------------------------------------------------------------------------------------
    # review exports
    def _export_inputs(self, ctx: Ctx) -> tuple[Ctx, Board | None]:
        with self.editing(ctx) as board:
            if board is not None and ctx.owner:
                self.refresh_choices(board, ctx.owner)
        return ctx, board

    def _downloads(
        self,
        board: Board,
        owner: str,
        message: str,
        kind: str = "success",
        extra: dict[Any, Any] | None = None,
    ) -> dict[Any, Any]:
        folder = self.exports_dir(owner)
        stem = export_stem(board)
        names = [
            f"{stem}-review.zip",
            f"{stem}-animatic.mp4",
            f"{stem}-contact-sheet.png",
            f"{stem}.json",
            f"{stem}.csv",
        ]
        files = [folder / n for n in names if (folder / n).is_file()]
        out = {
            self.downloads: gr.update(value=[str(p) for p in files] or None, visible=bool(files)),
            self.export_note: sv.exports_html(files, message, kind),
        }
        out.update(extra or {})
        return out

    async def _export(self, ctx: Ctx, what: str, make: Callable[[Board, str, OwnerJobs], Any]) -> Any:
        ctx, board = await asyncio.to_thread(self._export_inputs, ctx)
        if board is None or ctx.owner is None:
            return {self.export_note: sv.notice("warning", "Open a board first.")}
        jobs = self.jobs(ctx.owner)
        try:
            result = await asyncio.to_thread(make, board, ctx.owner, jobs)
        except StoryboardError as exc:
            return {self.export_note: sv.notice("warning", f"No {what} yet: {exc}.")}
        return result

    @guarded
    async def export_sheet(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        def make(board: Board, owner: str, jobs: OwnerJobs) -> Any:
            path = export_contact_sheet(board, self.exports_dir(owner), jobs.video_path_of, jobs.infos(board))
            rows = len(board.shots)
            return self._downloads(
                board,
                owner,
                f"Contact sheet ready: {rows} row{'s' if rows != 1 else ''}, {path.name}.",
                extra={self.sheet_preview: gr.update(value=str(path), visible=True)},
            )

        return await self._export(self.ctx(values, request), "contact sheet", make)

    @guarded
    async def export_animatic(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        *ctx_values, cards = values

        def make(board: Board, owner: str, jobs: OwnerJobs) -> Any:
            result = export_animatic(
                board, self.exports_dir(owner), jobs.video_path_of, jobs.infos(board), title_cards=bool(cards)
            )
            message = (
                f"Animatic ready: {sv.fmt_seconds(result.duration)} at {result.width}×{result.height}, "
                f"{len([s for s in result.segments if s.kind == 'shot'])} shots."
            )
            kind = "success"
            if result.skipped:
                missing = ", ".join(str(board.number_of(sid)) for sid in result.skipped if _shot(board, sid))
                message += f" Left out (no chosen take yet): shot {missing}."
                kind = "warning"
            return self._downloads(
                board,
                owner,
                message,
                kind,
                extra={self.animatic_preview: gr.update(value=str(result.path), visible=True)},
            )

        return await self._export(self.ctx(tuple(ctx_values), request), "animatic", make)

    @guarded
    async def export_review_zip(self, request: gr.Request, *values: Any) -> dict[Any, Any]:
        def make(board: Board, owner: str, jobs: OwnerJobs) -> Any:
            path = export_zip(board, self.exports_dir(owner), jobs.video_path_of, jobs.infos(board))
            return self._downloads(board, owner, f"Review zip ready: {path.name}.")

        return await self._export(self.ctx(values, request), "review zip", make)

    # ---------------------------------------------------------------------------------------------
    # components and events
    def build(self) -> gr.Tab:
        with gr.Tab("Storyboard", id="storyboard", elem_id="sd-tab-storyboard") as tab:
            self.board_box = gr.Textbox("", visible=False, elem_id="sb-board-id")
            self.shot_box = gr.Textbox("", visible=False, elem_id="sb-shot-id")
            self.takes_sig = gr.State("")
            self.plan = gr.State(None)
            self.compared = gr.State([])
            self.timer = gr.Timer(TICK_SECONDS, active=False)

            with gr.Column(elem_classes="sd-panel", elem_id="sb-board"):
                gr.HTML(
                    sv.section_html(
                        "Storyboard",
                        "Plan a sequence of shots, generate them, compare takes, share the review.",
                    )
                )
                with gr.Row(equal_height=False, elem_id="sb-board-bar"):
                    self.picker = gr.Dropdown(
                        [], label="Board", scale=3, min_width=220, elem_id="sb-picker", interactive=True
                    )
                    self.title = gr.Textbox(
                        label="Board title", scale=3, min_width=200, max_lines=1, elem_id="sb-title"
                    )
                    with gr.Column(scale=5, min_width=280), gr.Row(elem_id="sb-board-actions"):
                        self.new_btn = gr.Button("New board", size="sm", elem_id="sb-new", min_width=100)
                        self.import_btn = gr.UploadButton(
                            "Import JSON / CSV",
                            file_types=[".json", ".csv"],
                            size="sm",
                            elem_id="sb-import",
                            min_width=140,
                        )
                        self.json_btn = gr.Button(
                            "Export JSON", size="sm", elem_id="sb-export-json", min_width=110
                        )
                        self.csv_btn = gr.Button(
                            "Export CSV", size="sm", elem_id="sb-export-csv", min_width=110
                        )
                with gr.Row(equal_height=False, elem_id="sb-settings-row"):
                    self.style = gr.Textbox(
                        label="Style line — appended to every prompt",
                        placeholder="e.g. cinematic, 35mm film grain, muted teal and amber palette",
                        max_lines=2,
                        scale=5,
                        min_width=280,
                        elem_id="sb-style",
                    )
                    self.quality = gr.Radio(
                        list(QUALITIES), label="Quality", scale=2, min_width=150, elem_id="sb-quality"
                    )
                    self.model = gr.Radio(
                        sv.model_choices(), label="Model", scale=2, min_width=190, elem_id="sb-model"
                    )
                    self.audio = gr.Checkbox(
                        label="Audio", info="Free", scale=1, min_width=100, elem_id="sb-audio"
                    )
                self.aspect = gr.Radio(
                    list(ASPECT_RATIOS), label="Aspect ratio", elem_classes="sd-ratio", elem_id="sb-ratio"
                )

            self.summary = gr.HTML("", elem_id="sb-summary")
            self.notice = gr.HTML("", elem_id="sb-notice")

            with gr.Row(equal_height=False, elem_id="sb-main"):
                with gr.Column(scale=7, min_width=320, elem_classes="sd-panel", elem_id="sb-shots-panel"):
                    gr.HTML(sv.section_html("Shots", "Click a tile to edit it; tiles follow each job live."))
                    self.tiles = gr.HTML(
                        sv.tiles_html(None, [], None), elem_id="sb-tiles", js_on_load=TILES_JS
                    )
                    with gr.Row(elem_id="sb-gen-row"):
                        self.add_btn = gr.Button("+ Add shot", elem_id="sb-add", scale=1, min_width=110)
                        self.gen_missing_btn = gr.Button(
                            "Generate missing or failed",
                            elem_id="sb-generate-missing",
                            scale=2,
                            min_width=240,
                        )
                        self.gen_all_btn = gr.Button(
                            "Generate all",
                            variant="primary",
                            elem_id="sb-generate-all",
                            scale=2,
                            min_width=150,
                        )
                    with gr.Column(visible=False, elem_id="sb-confirm") as self.confirm_group:
                        self.confirm_html = gr.HTML("", elem_id="sb-confirm-card")
                        with gr.Row():
                            self.confirm_btn = gr.Button(
                                "Confirm", variant="primary", elem_id="sb-confirm-go", scale=3, min_width=260
                            )
                            self.cancel_btn = gr.Button(
                                "Not now", elem_id="sb-confirm-cancel", scale=1, min_width=120
                            )

                with gr.Column(scale=5, min_width=320, elem_classes="sd-panel", elem_id="sb-editor-panel"):
                    self.editor_head = gr.HTML(
                        sv.editor_head_html(None, None), elem_id="sb-editor-head-block"
                    )
                    with gr.Column(visible=False, elem_id="sb-editor") as self.editor:
                        self.shot_title = gr.Textbox(label="Title", elem_id="sb-shot-title", max_lines=1)
                        self.shot_prompt = gr.Textbox(
                            label="Prompt",
                            lines=5,
                            max_lines=14,
                            placeholder="Subject, action, camera move, light and mood. Dialogue in straight "
                            'quotes: She whispers: "We made it."',
                            max_length=getattr(self.runtime.settings, "max_prompt_chars", None),
                            elem_id="sb-shot-prompt",
                        )
                        self.shot_duration = gr.Slider(
                            DURATION_MIN,
                            DURATION_MAX,
                            value=DEFAULT_DURATION,
                            step=1,
                            label="Duration (seconds)",
                            elem_id="sb-shot-duration",
                        )
                        with gr.Accordion("Per-shot overrides", open=False, elem_id="sb-overrides"):
                            self.shot_model = gr.Radio(
                                [("Board", BOARD), *sv.model_choices()],
                                value=BOARD,
                                label="Model",
                                elem_id="sb-shot-model",
                            )
                            self.shot_quality = gr.Radio(
                                [("Board", BOARD), *[(q, q) for q in QUALITIES]],
                                value=BOARD,
                                label="Quality",
                                elem_id="sb-shot-quality",
                            )
                            self.shot_audio = gr.Radio(
                                [("Board", BOARD), ("On", "on"), ("Off", "off")],
                                value=BOARD,
                                label="Audio",
                                elem_id="sb-shot-audio",
                            )
                        self.editor_info = gr.HTML("", elem_id="sb-editor-info")
                        with gr.Row(elem_id="sb-shot-actions"):
                            self.up_btn = gr.Button("↑ Move up", size="sm", elem_id="sb-up", min_width=90)
                            self.down_btn = gr.Button(
                                "↓ Move down", size="sm", elem_id="sb-down", min_width=90
                            )
                            self.dup_btn = gr.Button(
                                "Duplicate", size="sm", elem_id="sb-duplicate", min_width=90
                            )
                            self.del_btn = gr.Button(
                                "Delete", size="sm", variant="stop", elem_id="sb-delete", min_width=80
                            )
                        self.shot_gen_btn = gr.Button(
                            "Generate this shot", variant="primary", elem_id="sb-shot-generate"
                        )
                        self.takes = gr.HTML("", elem_id="sb-takes", js_on_load=ACTIONS_JS)
                        with gr.Row(
                            equal_height=False, visible=False, elem_id="sb-compare-row"
                        ) as self.compare_row:
                            self.compare_pick = gr.CheckboxGroup(
                                [],
                                label="Compare takes (2–4)",
                                scale=3,
                                min_width=200,
                                elem_id="sb-compare-pick",
                            )
                            self.compare_btn = gr.Button(
                                "Compare side by side", scale=2, min_width=160, elem_id="sb-compare-btn"
                            )

            with gr.Column(
                visible=False, elem_classes="sd-panel", elem_id="sb-compare-panel"
            ) as self.compare_col:
                self.compare = gr.HTML("", elem_id="sb-compare", js_on_load=COMPARE_JS)

            with gr.Column(elem_classes="sd-panel", elem_id="sb-exports"):
                gr.HTML(
                    sv.section_html(
                        "Review exports",
                        "The chosen take of each shot: a contact sheet (PNG), an animatic (MP4) and a review "
                        "zip with the videos and a manifest.",
                    )
                )
                with gr.Row(equal_height=False, elem_id="sb-export-row"):
                    self.sheet_btn = gr.Button("Contact sheet", elem_id="sb-export-sheet", min_width=140)
                    self.animatic_btn = gr.Button("Animatic", elem_id="sb-export-animatic", min_width=120)
                    self.zip_btn = gr.Button(
                        "Review zip", variant="primary", elem_id="sb-export-zip", min_width=140
                    )
                    self.cards = gr.Checkbox(
                        value=True,
                        label="Title cards in the animatic",
                        elem_id="sb-title-cards",
                        min_width=200,
                    )
                self.export_note = gr.HTML("", elem_id="sb-export-note")
                with gr.Row(equal_height=False):
                    self.sheet_preview = gr.Image(
                        label="Contact sheet",
                        visible=False,
                        interactive=False,
                        type="filepath",
                        elem_id="sb-sheet-preview",
                        buttons=["download", "fullscreen"],
                    )
                    self.animatic_preview = gr.Video(
                        label="Animatic", visible=False, interactive=False, elem_id="sb-animatic-preview"
                    )
                self.downloads = gr.File(
                    label="Downloads",
                    file_count="multiple",
                    interactive=False,
                    visible=False,
                    elem_id="sb-downloads",
                )

        self.wire(tab)
        return tab

    def wire(self, tab: gr.Tab) -> None:
        settings = [self.title, self.style, self.aspect, self.quality, self.model, self.audio]
        editor = [
            self.shot_title,
            self.shot_prompt,
            self.shot_duration,
            self.shot_model,
            self.shot_quality,
            self.shot_audio,
        ]
        ctx = [self.owner, self.board_box, self.shot_box, *settings, *editor]
        everything = [
            self.board_box,
            self.shot_box,
            self.takes_sig,
            self.plan,
            self.compared,
            self.timer,
            self.picker,
            *settings,
            *editor,
            self.summary,
            self.notice,
            self.tiles,
            self.editor_head,
            self.editor,
            self.editor_info,
            self.shot_gen_btn,
            self.takes,
            self.compare_row,
            self.compare_pick,
            self.compare_col,
            self.compare,
            self.confirm_group,
            self.confirm_html,
            self.confirm_btn,
            self.downloads,
            self.export_note,
            self.sheet_preview,
            self.animatic_preview,
        ]
        quick = {
            "concurrency_id": "storyboard",
            "concurrency_limit": EDIT_LIMIT,
            "api_visibility": "private",
            "show_progress": "hidden",
        }

        tab.select(self.on_open, [self.owner, self.board_box, self.shot_box], everything, **quick)
        self.timer.tick(
            self.on_tick, [self.owner, self.board_box, self.shot_box, self.takes_sig], everything, **quick
        )

        # Saving as the reviewer types or clicks; "always_last" folds a burst of keystrokes into one save.
        # Gradio's textbox "input" follows typing only, so text is also saved when the field loses focus
        # (a paste); the slider saves on "change" (its number box); every action commits the page first.
        save = {**quick, "trigger_mode": "always_last"}
        for box in (self.style, self.shot_title, self.shot_prompt):
            gr.on([box.input, box.blur], self.on_save, ctx, everything, **save)
        gr.on([self.title.input, self.title.blur], self.on_save_title, ctx, everything, **save)
        self.shot_duration.change(self.on_save, ctx, everything, **save)
        for control in (self.aspect, self.quality, self.model, self.audio, *editor[3:]):
            control.input(self.on_save, ctx, everything, **save)

        self.tiles.click(self.on_tiles, ctx, everything, **quick)
        self.takes.click(self.on_pick_take, [*ctx, self.compared], everything, **quick)
        self.compare.click(self.on_compare_click, [*ctx, self.compared], everything, **quick)
        self.add_btn.click(self.add_shot, ctx, everything, **quick)
        self.dup_btn.click(self.duplicate_shot, ctx, everything, **quick)
        self.del_btn.click(self.delete_shot, ctx, everything, **quick)
        self.up_btn.click(self.move_up, ctx, everything, **quick)
        self.down_btn.click(self.move_down, ctx, everything, **quick)

        self.picker.input(self.switch_board, [*ctx, self.picker], everything, **quick)
        self.new_btn.click(self.new_board, ctx, everything, **quick)
        self.import_btn.upload(self.import_file, [*ctx, self.import_btn], everything, **quick)
        self.json_btn.click(self.export_json, ctx, everything, **quick)
        self.csv_btn.click(self.export_csv, ctx, everything, **quick)

        self.gen_all_btn.click(self.ask_all, ctx, everything, **quick)
        self.gen_missing_btn.click(self.ask_missing, ctx, everything, **quick)
        self.shot_gen_btn.click(self.ask_shot, ctx, everything, **quick)
        self.cancel_btn.click(self.cancel_plan, None, everything, **quick)
        self.confirm_btn.click(
            self.confirm,
            [*ctx, self.plan, self.visitor_key],
            everything,
            concurrency_id="storyboard-submit",
            concurrency_limit=SUBMIT_LIMIT,
            api_visibility="private",
            show_progress="minimal",
            show_progress_on=[self.confirm_btn],
        )
        self.compare_btn.click(self.show_compare, [*ctx, self.compare_pick], everything, **quick)

        export = {
            "concurrency_id": "storyboard-export",
            "concurrency_limit": EXPORT_LIMIT,
            "api_visibility": "private",
            "show_progress": "minimal",
        }
        self.sheet_btn.click(self.export_sheet, ctx, everything, show_progress_on=[self.sheet_btn], **export)
        self.animatic_btn.click(
            self.export_animatic,
            [*ctx, self.cards],
            everything,
            show_progress_on=[self.animatic_btn],
            **export,
        )
        self.zip_btn.click(self.export_review_zip, ctx, everything, show_progress_on=[self.zip_btn], **export)


def build_storyboard_tab(runtime: Runtime, *, owner: gr.BrowserState, visitor_key: gr.State) -> StoryboardTab:
    """Add the Storyboard tab (inside the caller's gr.Tabs) and wire its events; returns the tab object."""
    tab = StoryboardTab(runtime, owner, visitor_key)
    tab.build()
    return tab


__all__ = ["Ctx", "StoryboardTab", "apply_ctx", "build_storyboard_tab", "sample_board"]
