"""HTML for the Storyboard tab: summary bar, shot tiles, the editor's notes, takes, compare, confirmation.

Pure functions from data to HTML strings (no Gradio). Every title, prompt, style line and provider
message goes through `esc` (html.escape) before it lands in markup. Files are linked through Gradio's
`gradio_api/file=` route, which serves the data directory only (launch's `allowed_paths`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from seedance_ui.options import MODELS, frame_size
from seedance_ui.store import JobRecord, JobStatus
from seedance_ui.storyboard import (
    Board,
    BoardEstimate,
    Shot,
    ShotEstimate,
    ShotProblem,
    Take,
    compose_prompt,
)
from seedance_ui.storyboard.persist import BoardSummary
from seedance_ui.storyboard.states import ACTIVE_JOB_STATUSES, ShotState
from seedance_ui.ui.views import esc, fmt_credits, model_label, notice_html, section_html, snippet

MIN_COMPARE = 2
MAX_COMPARE = 4

# Tile state -> (pill label, tone). Tones match the studio's pills (ok / bad / warn / muted / live).
_STATE = {
    ShotState.NEW: ("Not generated", "muted"),
    ShotState.WAITING: ("Waiting", "live"),  # "Waiting for shot 2" on a tile (state_label)
    ShotState.QUEUED: ("Queued", "live"),  # "Queued (2nd)" with its place in the local line
    ShotState.RUNNING: ("Rendering", "live"),
    ShotState.DONE: ("Done", "ok"),
    ShotState.FAILED: ("Failed", "bad"),
    ShotState.CANCELLED: ("Cancelled", "muted"),
    ShotState.EXPIRED: ("Expired", "warn"),
    ShotState.UNKNOWN: ("Outcome unknown", "warn"),
}
# The summary's counts, in this order.
COUNT_ORDER = (ShotState.DONE, ShotState.RUNNING, ShotState.QUEUED, ShotState.WAITING, ShotState.FAILED,
               ShotState.NEW, ShotState.CANCELLED, ShotState.EXPIRED, ShotState.UNKNOWN)


# --------------------------------------------------------------------------------------------------
# What the page shows of a shot


@dataclass(frozen=True)
class TakeView:
    take: Take
    number: int  # 1-based within the shot, in the order the takes were made
    record: JobRecord | None
    poster_url: str | None
    video_url: str | None
    chosen: bool

    @property
    def status(self) -> JobStatus | None:
        return self.record.status if self.record is not None else None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_JOB_STATUSES

    @property
    def playable(self) -> bool:
        return self.status == JobStatus.COMPLETED and self.video_url is not None


@dataclass(frozen=True)
class ShotView:
    shot: Shot
    number: int
    takes: tuple[TakeView, ...]
    model: str
    quality: str
    audio: bool
    credits: float | None
    usd: float | None
    waits_for: int | None = None  # on the board's pending chain: the number of the shot it waits for

    @property
    def chosen(self) -> TakeView | None:
        return next((t for t in self.takes if t.chosen), None)

    @property
    def latest(self) -> TakeView | None:
        return self.takes[-1] if self.takes else None

    @property
    def running(self) -> TakeView | None:
        """The newest take still in flight, if any."""
        return next((t for t in reversed(self.takes) if t.active), None)

    @property
    def state(self) -> ShotState:
        """The shot's tile state, from its takes' job statuses (a take whose job is gone: None)."""
        return ShotState.of((t.status for t in self.takes), chained_wait=self.waits_for is not None)

    @property
    def failure(self) -> JobRecord | None:
        """The latest take's record when the shot ended without a video."""
        if self.state.ended_without_video and self.latest is not None:
            return self.latest.record
        return None

    @property
    def in_flight(self) -> bool:
        return self.running is not None


def shot_views(
    board: Board,
    record_of: Callable[[str], JobRecord | None],
    poster_url_of: Callable[[JobRecord], str | None],
    video_url_of: Callable[[JobRecord], str | None],
    estimates: Mapping[str, tuple[float, float]] | None = None,
) -> list[ShotView]:
    """One ShotView per shot, in board order; `estimates` maps shot id -> (credits, usd). The URL
    functions say where the page fetches a finished take's files (ui/media_links.py: our file route, or a
    presigned link of the bucket, so no replica fetches or streams a take's video to show the board)."""
    out = []
    for number, shot in enumerate(board.shots, start=1):
        takes = []
        for i, take in enumerate(shot.takes, start=1):
            record = record_of(take.job_id)
            done = record is not None and record.status == JobStatus.COMPLETED
            takes.append(
                TakeView(
                    take=take,
                    number=i,
                    record=record,
                    poster_url=poster_url_of(record) if done and record else None,
                    video_url=video_url_of(record) if done and record else None,
                    chosen=shot.chosen_take == take.id,
                )
            )
        credits, usd = (estimates or {}).get(shot.id, (None, None))
        previous = board.previous(shot) if shot.id in board.pending else None
        out.append(
            ShotView(
                shot=shot,
                number=number,
                takes=tuple(takes),
                model=board.effective_request(shot).model,
                quality=board.quality_of(shot),
                audio=board.audio_of(shot),
                credits=credits,
                usd=usd,
                waits_for=board.number_of(previous.id) if previous is not None else None,
            )
        )
    return out


def percent_of(record: JobRecord | None) -> int:
    if record is None:
        return 0
    if record.status in (JobStatus.DOWNLOADING, JobStatus.COMPLETED):
        return 100
    return max(0, min(100, int(record.progress or 0)))


def fmt_seconds(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


# --------------------------------------------------------------------------------------------------
# Summary bar


def summary_html(
    board: Board, views: Sequence[ShotView], total: BoardEstimate, missing: BoardEstimate
) -> str:
    """Board totals: shots, running time, whole-board estimate, what is still to generate, live counts."""
    seconds = sum(v.shot.duration for v in views if isinstance(v.shot.duration, int))
    counts: dict[ShotState, int] = {}
    for v in views:
        counts[v.state] = counts.get(v.state, 0) + 1
    chips = []
    for state in COUNT_ORDER:
        if counts.get(state):
            label, tone = _STATE[state]
            chips.append(
                f'<span class="sb-count is-{tone}" data-state="{state}"><b>{counts[state]}</b> '
                f"{esc(label)}</span>"
            )
    w, h = _frame(board)
    return (
        f'<div class="sb-summary" data-shots="{len(views)}" data-credits="{total.credits:.4f}" '
        f'data-missing-credits="{missing.credits:.4f}">'
        '<div class="sb-summary-main">'
        f'<div class="sb-stat"><span class="sb-stat-num">{len(views)}</span>'
        f'<span class="sb-stat-lab">shot{"s" if len(views) != 1 else ""}</span></div>'
        f'<div class="sb-stat"><span class="sb-stat-num">{fmt_seconds(seconds)}</span>'
        '<span class="sb-stat-lab">running time</span></div>'
        f'<div class="sb-stat is-cost"><span class="sb-stat-num">{fmt_credits(total.credits)}</span>'
        f'<span class="sb-stat-lab">credits for the whole board · ≈ ${total.usd:,.2f}{_unpriced(total)}'
        "</span></div>"
        f'<div class="sb-stat"><span class="sb-stat-num">{fmt_credits(missing.credits)}</span>'
        f'<span class="sb-stat-lab">still to generate ({len(missing.shots)} '
        f"shot{'s' if len(missing.shots) != 1 else ''})</span></div>"
        "</div>"
        '<div class="sb-summary-side">'
        f'<span class="sb-frame">{esc(board.aspect_ratio)} · {esc(board.quality)}'
        f" · {w}×{h} · {esc(model_label(board.model))} · audio {'on' if board.generate_audio else 'off'}"
        f"</span>{''.join(chips)}</div></div>"
    )


def _frame(board: Board) -> tuple[int, int]:
    try:
        return frame_size(board.quality, board.aspect_ratio)
    except KeyError:
        return (0, 0)


# --------------------------------------------------------------------------------------------------
# Shot tiles


def _ratio_box(board: Board) -> str:
    w, h = _frame(board)
    return f"{w} / {h}" if w and h else "16 / 9"


def _tile_media(view: ShotView, board: Board, pill: str) -> str:
    chosen = view.chosen if view.chosen is not None and view.chosen.poster_url else None
    if chosen is None:
        chosen = next((t for t in reversed(view.takes) if t.poster_url), None)
    number = f'<span class="sb-tile-num">{view.number:02d}</span>'
    if chosen is not None:
        alt = f"Shot {view.number}, take {chosen.number}"
        image = f'<img src="{esc(chosen.poster_url)}" alt="{alt}" loading="lazy">'
    else:
        image = '<div class="sb-tile-blank" aria-hidden="true"><span></span></div>'
    overlay = ""
    running = view.running
    if running is not None:
        pct = percent_of(running.record)
        label = _running_label(running.record)
        overlay = (
            f'<div class="sb-tile-live"><div class="sb-tile-live-text"><span>{esc(label)}</span>'
            f"<b>{pct}%</b></div>"
            f'<div class="sb-bar"><span style="width:{pct}%"></span></div></div>'
        )
    return (
        f'<div class="sb-tile-media" style="aspect-ratio:{_ratio_box(board)}">{image}{number}{pill}'
        f"{overlay}</div>"
    )


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def state_label(view: ShotView) -> tuple[str, str]:
    """(the words, the tone) of a shot's pill: its state's word, naming the shot a chained shot waits for
    ("Waiting for shot 2") and a queued take's place in the local line ("Queued (2nd)")."""
    label, tone = _STATE[view.state]
    if view.state == ShotState.WAITING and view.waits_for is not None:
        return f"{label} for shot {view.waits_for}", tone
    if view.state == ShotState.QUEUED and view.running is not None:
        return _running_label(view.running.record), tone
    return label, tone


def _running_label(record: JobRecord | None) -> str:
    """A take in flight in words; the provider's pending and processing are "Pending" and "Rendering"."""
    queued = _STATE[ShotState.QUEUED][0]
    if record is None:
        return queued
    if record.status == JobStatus.QUEUED:
        return f"{queued} ({ordinal(record.queue_position)})" if record.queue_position else queued
    if record.status == JobStatus.UPLOADING:
        return "Uploading"
    if record.status == JobStatus.SUBMITTING:
        return "Submitting"
    if record.status == JobStatus.PENDING:
        return JobStatus.PENDING.label
    if record.status == JobStatus.DOWNLOADING:
        return "Saving"
    return _STATE[ShotState.RUNNING][0]


def tile_html(view: ShotView, board: Board, selected: bool, marks: str = "") -> str:
    """One shot's tile; `marks`: its continuity marks (continuity.tile_marks_html)."""
    shot = view.shot
    state = view.state
    label, tone = state_label(view)
    if state == ShotState.RUNNING and view.running is not None:
        label = _running_label(view.running.record)  # the overlay shows the percent
        if view.chosen is not None and view.chosen.playable:
            label = "New take"
    done = 100 if state == ShotState.DONE else 0
    pct = percent_of(view.running.record) if view.running is not None else done
    overrides = []
    if shot.model is not None:
        overrides.append(model_label(shot.model))
    if shot.quality is not None:
        overrides.append(shot.quality)
    if shot.generate_audio is not None:
        overrides.append("audio on" if shot.generate_audio else "audio off")
    chips = [
        f"{shot.duration} s" if isinstance(shot.duration, int) else "? s",
        model_label(view.model),
        view.quality,
    ]
    chip_html = "".join(f'<span class="sb-chip">{esc(c)}</span>' for c in chips)
    if overrides:
        chip_html += '<span class="sb-chip is-override" title="Per-shot override">override</span>'
    failure = ""
    record = view.failure
    if record is not None:
        reason = record.error_message or record.status.label
        code = f'<div class="sb-code">{esc(record.error_code)}</div>' if record.error_code else ""
        failure = (
            f'<div class="sb-fail" data-code="{esc(record.error_code or "")}" title="{esc(reason)}">'
            f'<div class="sb-fail-msg">{esc(snippet(reason, 96))}</div>{code}'
            # A span, not a button: the tile is a button, and screen readers expose no control inside one.
            f'<span class="sb-retry" data-action="retry" data-shot="{esc(shot.id)}">'
            "Edit and retry</span></div>"
        )
    title = shot.title.strip() or f"Shot {view.number}"
    prompt = snippet(shot.prompt, 120) if shot.prompt.strip() else "No prompt yet — click to write one."
    takes = len(view.takes)
    pill = f'<span class="sd-pill is-{tone} sb-pill"><span class="sd-pill-dot"></span>{esc(label)}</span>'
    chosen = view.chosen if view.chosen is not None and view.chosen.playable else None
    if chosen is not None:
        count = f'<span class="sb-takes-count sb-take-badge">Take {chosen.number}/{takes}</span>'
    elif takes:
        count = f'<span class="sb-takes-count">{takes} take{"s" if takes != 1 else ""}</span>'
    else:
        count = ""
    return (
        f'<div class="sb-tile is-{state}{" is-selected" if selected else ""}" role="button" tabindex="0" '
        f'data-action="select" data-shot="{esc(shot.id)}" data-number="{view.number}" data-state="{state}" '
        f'data-takes="{takes}" data-percent="{pct}" aria-pressed="{"true" if selected else "false"}">'
        f"{_tile_media(view, board, pill)}"
        '<div class="sb-tile-body">'
        f'<div class="sb-tile-title{" is-untitled" if not shot.title.strip() else ""}">'
        f"{esc(snippet(title, 60))}</div>"
        f'<div class="sb-tile-prompt{" is-empty" if not shot.prompt.strip() else ""}">{esc(prompt)}</div>'
        f'<div class="sb-tile-meta">{chip_html}{count}</div>{marks}{failure}</div></div>'
    )


def tiles_html(
    board: Board | None,
    views: Sequence[ShotView],
    selected: str | None,
    marks: Mapping[str, str] | None = None,
) -> str:
    if board is None:
        return (
            '<div class="sb-empty" data-empty="loading"><div class="sb-empty-art" aria-hidden="true">'
            "<span></span><span></span><span></span></div>"
            '<div class="sb-empty-title">Opening your storyboard…</div></div>'
        )
    if not views:
        return (
            '<div class="sb-empty" data-empty="board"><div class="sb-empty-art" aria-hidden="true">'
            "<span></span><span></span><span></span></div>"
            '<div class="sb-empty-title">An empty board</div>'
            '<div class="sb-empty-sub">Add your first shot: a title, a prompt and a duration. The board’s '
            "style line is appended to every prompt.</div>"
            '<button type="button" class="sb-empty-add" data-action="add">+ Add the first shot</button></div>'
        )
    marks = marks or {}
    tiles = "".join(tile_html(v, board, v.shot.id == selected, marks.get(v.shot.id, "")) for v in views)
    add = (
        '<button type="button" class="sb-tile sb-tile-add" data-action="add" aria-label="Add a shot">'
        '<span class="sb-plus" aria-hidden="true">+</span><span>Add shot</span></button>'
    )
    return f'<div class="sb-tiles" data-count="{len(views)}">{tiles}{add}</div>'


# --------------------------------------------------------------------------------------------------
# Editor notes: what is sent, problems, cost


def editor_head_html(board: Board | None, view: ShotView | None) -> str:
    if board is None:
        return section_html("Shot", "Open a board to edit its shots.")
    if view is None:
        return section_html("Shot", "Select a shot to edit it, or add one.") + (
            '<div class="sb-editor-empty">Nothing selected. Click a tile on the left — or “Add shot”.</div>'
        )
    label, tone = state_label(view)
    return (
        f'<div class="sb-editor-head" data-shot="{esc(view.shot.id)}" data-number="{view.number}">'
        f'<span class="sb-editor-num">{view.number:02d}</span>'
        f'<div class="sb-editor-titles"><h2>Shot {view.number} of {len(board.shots)}</h2>'
        f"<span>{esc(snippet(view.shot.title, 70) or 'Untitled shot')}</span></div>"
        f'<span class="sd-pill is-{tone}"><span class="sd-pill-dot"></span>{esc(label)}</span></div>'
    )


def editor_info_html(
    board: Board,
    view: ShotView | None,
    problems: Sequence[ShotProblem],
    flash: str = "",
    *,
    sent: str | None = None,
    inputs: str = "",
) -> str:
    """Below the fields: the prompt as sent (with the style line; `sent` when the caller knows the exact
    text), the images sent (`inputs`), the problems, the cost of one take."""
    if view is None:
        return ""
    shot = view.shot
    sent = compose_prompt(shot.prompt, board.style) if sent is None else sent
    parts = []
    if flash:
        parts.append(flash)
    failure = view.failure
    if failure is not None:
        parts.append(
            '<div class="sb-editor-fail">'
            + notice_html(
                "error",
                failure.error_message or failure.status.label,
                (failure.error_hint or "") + " Edit the prompt, then press “Retry shot”.",
            )
            + "</div>"
        )
    if problems:
        parts.append(
            notice_html(
                "warning", "Fix before generating:", items=[f"{p.field}: {p.message}" for p in problems]
            )
        )
    cost = (
        f'<span class="sb-cost-one"><b>{fmt_credits(view.credits)}</b> credits · '
        f"≈ ${view.usd or 0:,.2f} a take</span>"
        if view.credits is not None
        else ""
    )
    parts.append(
        '<div class="sb-sent"><div class="sb-sent-head"><span>Sent as</span>'
        f"{cost}</div>"
        f'<div class="sb-sent-prompt">{esc(sent) or "<i>(empty prompt)</i>"}</div>{inputs}'
        f'<div class="sb-sent-meta">{esc(model_label(view.model))} · {esc(view.quality)} · '
        f"{esc(board.aspect_ratio)} · {shot.duration} s · audio {'on' if view.audio else 'off'}</div></div>"
    )
    return "".join(parts)


# --------------------------------------------------------------------------------------------------
# Takes


def takes_html(view: ShotView | None, inputs: Mapping[str, str] | None = None) -> str:
    """The shot's takes; `inputs`: take id -> what it was made from (continuity.py)."""
    inputs = inputs or {}
    if view is None or not view.takes:
        return (
            '<div class="sb-takes is-empty"><div class="sb-takes-title">Takes</div>'
            '<div class="sb-takes-none">No takes yet. Each generation of this shot adds one; you pick which '
            "take the board uses.</div></div>"
            if view is not None
            else ""
        )
    cards = []
    for t in view.takes:
        status = t.status
        tone = "ok" if status == JobStatus.COMPLETED else "bad" if status == JobStatus.FAILED else "live"
        if status is None:
            label, tone = "Missing from history", "muted"
        elif t.active:
            label = f"{status.label} · {percent_of(t.record)}%"
        else:
            label = status.label.split(" —")[0]
        media = (
            f'<img src="{esc(t.poster_url)}" alt="Take {t.number}" loading="lazy">'
            if t.poster_url
            else '<div class="sb-take-blank" aria-hidden="true"></div>'
        )
        pick = (
            f'<button type="button" class="sb-take-pick" data-action="pick" data-shot="{esc(view.shot.id)}" '
            f'data-take="{esc(t.take.id)}">Use this take</button>'
            if t.playable and not t.chosen
            else ""
        )
        chosen = '<span class="sb-take-chosen">★ On the board</span>' if t.chosen else ""
        drop = (  # undoable for a few seconds (ui/storyboard/slips.py); not while its job runs
            '<button type="button" class="sb-take-del" data-action="delete-take" '
            f'data-shot="{esc(view.shot.id)}" data-take="{esc(t.take.id)}" '
            f'aria-label="Delete take {t.number}">Delete take</button>'
            if not t.active
            else ""
        )
        when = time.strftime("%H:%M", time.localtime(t.take.created_at))
        cards.append(
            f'<div class="sb-take{" is-chosen" if t.chosen else ""}" data-take="{esc(t.take.id)}" '
            f'data-number="{t.number}" data-status="{esc(status.value if status else "missing")}">'
            f'<div class="sb-take-media">{media}</div>'
            f'<div class="sb-take-body"><div class="sb-take-line"><b>Take {t.number}</b>'
            f'<span class="sb-take-when">{when}</span></div>'
            f'<span class="sd-pill is-{tone} sb-pill"><span class="sd-pill-dot"></span>{esc(label)}</span>'
            f"{chosen}{pick}{inputs.get(t.take.id, '')}{drop}</div></div>"
        )
    return (
        f'<div class="sb-takes" data-count="{len(view.takes)}"><div class="sb-takes-title">Takes '
        f'<span>{len(view.takes)}</span></div><div class="sb-takes-row">{"".join(cards)}</div></div>'
    )


def compare_choices(view: ShotView | None) -> list[tuple[str, str]]:
    """(label, take id) of the takes that can be compared (completed, with a video)."""
    if view is None:
        return []
    return [(f"Take {t.number}" + (" ★" if t.chosen else ""), t.take.id) for t in view.takes if t.playable]


def default_compare(view: ShotView | None) -> list[str]:
    """The takes ticked by default: the chosen one plus the newest others, at most four."""
    playable = [t for t in (view.takes if view else ()) if t.playable]
    chosen = [t for t in playable if t.chosen]
    others = [t for t in reversed(playable) if not t.chosen]
    return [t.take.id for t in (chosen + others)[:MAX_COMPARE]]


def compare_html(
    board: Board, view: ShotView, take_ids: Sequence[str], inputs: Mapping[str, str] | None = None
) -> str:
    """2-4 takes side by side; play, pause and seeking are kept in step by the component's script.
    `inputs`: take id -> what it was made from, shown under each."""
    inputs = inputs or {}
    wanted = [t for t in view.takes if t.take.id in set(take_ids) and t.playable]
    cols = []
    for i, t in enumerate(wanted):
        record = t.record
        meta = []
        if record is not None:
            if record.video_duration:
                meta.append(f"{record.video_duration:.1f} s")
            if record.width and record.height:
                meta.append(f"{record.width}×{record.height}")
            if record.task_id:
                meta.append(record.task_id)
        button = (
            '<span class="sb-cmp-chosen">★ On the board</span>'
            if t.chosen
            else '<button type="button" class="sb-cmp-pick" data-action="pick" '
            f'data-shot="{esc(view.shot.id)}" '
            f'data-take="{esc(t.take.id)}">Pick take {t.number}</button>'
        )
        cols.append(
            f'<figure class="sb-cmp-col{" is-chosen" if t.chosen else ""}" data-take="{esc(t.take.id)}" '
            f'data-number="{t.number}">'
            f'<div class="sb-cmp-video" style="aspect-ratio:{_ratio_box(board)}">'
            f'<video data-sync="1" src="{esc(t.video_url)}" poster="{esc(t.poster_url or "")}" '
            'preload="auto" '
            f"playsinline muted loop controls></video></div>"
            f'<figcaption><div class="sb-cmp-line"><b>Take {t.number}</b>'
            f'<button type="button" class="sb-cmp-sound" data-sound-take="{i}" '
            'title="Listen to this take">♪ Sound</button></div>'
            f'<div class="sb-cmp-meta">{esc(" · ".join(meta))}</div>{inputs.get(t.take.id, "")}{button}'
            "</figcaption></figure>"
        )
    title = view.shot.title.strip() or f"Shot {view.number}"
    return (
        f'<div class="sb-compare" data-shot="{esc(view.shot.id)}" data-count="{len(wanted)}">'
        '<div class="sb-cmp-head">'
        f'<div class="sd-section-title"><h2>Compare takes · Shot {view.number}</h2>'
        f"<span>{esc(snippet(title, 60))} — play, pause and scrub move every take together.</span></div>"
        '<div class="sb-cmp-controls">'
        '<button type="button" data-sync-cmd="play" class="sb-cmp-btn is-primary">▶ Play all</button>'
        '<button type="button" data-sync-cmd="pause" class="sb-cmp-btn">❚❚ Pause</button>'
        '<button type="button" data-sync-cmd="restart" class="sb-cmp-btn">↺ From the top</button>'
        '<button type="button" data-action="close-compare" class="sb-cmp-btn is-quiet">Close</button>'
        "</div></div>"
        f'<div class="sb-cmp-grid is-{len(wanted)}">{"".join(cols)}</div></div>'
    )


# --------------------------------------------------------------------------------------------------
# Confirmation before spending


def confirm_html(
    board: Board,
    estimate: BoardEstimate,
    what: str,
    problems: Sequence[ShotProblem],
    *,
    changed: bool = False,
) -> str:
    """The explicit step before any credits are spent: which shots, what each costs, the total."""
    rows = []
    for line in estimate.shots:
        shot = next((s for s in board.shots if s.id == line.shot_id), None)
        takes = len(shot.takes) if shot else 0
        note = f"take {takes + 1}" if takes else "first take"
        seconds = board.input_video_seconds(shot) if shot is not None else 0.0
        if shot is not None and (shot.extends or shot.continues_video):
            note += f" · extends a take of {seconds:g} s (input seconds billed)"
        elif shot is not None and shot.chain and line.number > 1:
            note += f" · from the end of shot {line.number - 1}"
        rows.append(
            f'<tr data-shot="{esc(line.shot_id)}"><td class="sb-c-num">{line.number:02d}</td>'
            f"<td>{esc(snippet(line.title or f'Shot {line.number}', 48))}"
            f'<span class="sb-c-note">{note}</span></td>'
            f"<td>{esc(model_label(line.model))} · {esc(line.quality)} · {line.duration} s</td>"
            f'<td class="sb-c-cr">{_line_price(line)}</td></tr>'
        )
    blocked = ""
    if problems:
        blocked = notice_html(
            "error",
            "Some shots cannot be sent yet — nothing will be generated until they are fixed:",
            "Select the shot, fix the field, then ask again.",
            items=[str(p) for p in problems],
        )
    changed_note = (
        notice_html("warning", "The board changed since you asked: check the new total, then confirm again.")
        if changed
        else ""
    )
    n = len(estimate.shots)
    return (
        f'<div class="sb-confirm-card" data-credits="{estimate.credits:.4f}" data-usd="{estimate.usd:.4f}" '
        f'data-shots="{n}">'
        f'<div class="sb-confirm-kicker">Before anything is sent · {esc(what)}</div>'
        '<div class="sb-confirm-total">'
        f'<span class="sb-confirm-credits">{fmt_credits(estimate.credits)}</span>'
        f' credits <span class="sb-confirm-usd">≈ ${estimate.usd:,.2f}</span></div>'
        f'<div class="sb-confirm-sub">{n} shot{"s" if n != 1 else ""} · published prices'
        f"{_unpriced(estimate)}; the provider reserves the exact amount when each job starts, and a failed "
        "shot is not billed.</div>"
        f'<table class="sb-confirm-table"><tbody>{"".join(rows)}</tbody></table>{changed_note}{blocked}</div>'
    )


def _line_price(line: ShotEstimate) -> str:
    """A confirmation row's credits, or "not published" (the reason in its title) for an unpriced shot."""
    if line.error is None:
        return fmt_credits(line.credits)
    return f'<span class="sb-c-unpriced" title="{esc(line.error)}">not published</span>'


def _unpriced(estimate: BoardEstimate) -> str:
    """" (+ N without a published price)" when some shots have no published price, else ""."""
    n = sum(1 for line in estimate.shots if line.error is not None)
    return f" (+ {n} shot{'s' if n != 1 else ''} without a published price)" if n else ""


def confirm_label(credits: float) -> str:
    return f"Confirm — spend ≈ {fmt_credits(credits)} credits"


# --------------------------------------------------------------------------------------------------
# Board picker


def board_choice_label(board: BoardSummary) -> str:
    n = board.shot_count
    return f"{board.title or 'Untitled storyboard'} · {n} shot{'s' if n != 1 else ''}"


def model_choices() -> list[tuple[str, str]]:
    return [(label, value) for value, label in MODELS.items()]


def exports_html(files: Sequence[Path], message: str = "", kind: str = "success") -> str:
    """The line about the last export; `data-files` lists what is ready to download (the gr.File below)."""
    if not message:
        return ""
    names = ",".join(p.name for p in files)
    return f'<div class="sb-export-status" data-files="{esc(names)}">{notice_html(kind, message)}</div>'
