"""HTML fragments for the page: counter, cost, progress card, notices, parameter tables, captions.

Pure functions from data to HTML strings, no Gradio. Every prompt, provider message or other
outside string goes through `esc` (html.escape) before it lands in markup.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from seedance_ui.jobs.estimate import seconds_left
from seedance_ui.options import (
    MAX_PROMPT_CHINESE_CHARS,
    MAX_PROMPT_ENGLISH_WORDS,
    MODEL_SPECS,
    MODELS,
    frame_size,
)
from seedance_ui.pricing import NOT_PUBLISHED, Estimate
from seedance_ui.store import JobRecord, JobStatus
from seedance_ui.ui.prompt_lint import LintResult


def esc(value: Any) -> str:
    """Text made safe for HTML content and attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def file_url(path: Path | str | None) -> str | None:
    """A page-relative URL of a file under the data directory (served through allowed_paths)."""
    if path is None:
        return None
    return "gradio_api/file=" + quote(str(Path(path).resolve()), safe="/")


# --------------------------------------------------------------------------------------------------
# Small formatters


def fmt_clock(seconds: float | None) -> str:
    """0:07, 2:45, 1:02:03; an em dash for None."""
    if seconds is None:
        return "—"
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def fmt_credits(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"


def model_label(model: str | None) -> str:
    """A model's name for people: Standard or Fast for the text models, else its cell of the grid
    ("Frames · Fast"); an unknown id as it is."""
    spec = MODEL_SPECS.get(model or "")
    return MODELS.get(model or "") or (spec.label if spec else model or "—")


def snippet(text: str | None, limit: int = 60) -> str:
    """First `limit` characters of a prompt on one line, with an ellipsis when cut."""
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------------------------------
# Create panel


def counter_html(result: LintResult) -> str:
    """Counter against both limits, then the hints."""
    words_pct = min(100.0, result.word_share * 100)
    han_pct = min(100.0, result.chinese_share * 100)
    over = not result.ok and any(h.code == "over_limit" for h in result.hints)
    parts = [
        f'<div class="sd-counter{" is-over" if over else ""}" data-words="{result.words}" '
        f'data-chinese="{result.chinese}">',
        '<div class="sd-count">',
        f'<span class="sd-count-num">{result.words:,}</span>'
        f'<span class="sd-count-lim"> / {MAX_PROMPT_ENGLISH_WORDS:,} words</span>',
        f'<span class="sd-meter"><span style="width:{words_pct:.1f}%"></span></span>',
        "</div>",
        '<div class="sd-count">',
        f'<span class="sd-count-num">{result.chinese:,}</span>'
        f'<span class="sd-count-lim"> / {MAX_PROMPT_CHINESE_CHARS:,} Chinese characters</span>',
        f'<span class="sd-meter"><span style="width:{han_pct:.1f}%"></span></span>',
        "</div>",
        "</div>",
    ]
    if result.hints:
        parts.append('<ul class="sd-hints">')
        for hint in result.hints:
            parts.append(
                f'<li class="sd-hint is-{esc(hint.level)}" data-code="{esc(hint.code)}">'
                f'<span class="sd-hint-dot" aria-hidden="true"></span>{esc(hint.message)}</li>'
            )
        parts.append("</ul>")
    return "".join(parts)


def cost_html(
    estimate: Estimate | None,
    *,
    model: str,
    quality: str,
    duration: int,
    web_search: bool,
    input_video_seconds: float = 0.0,
) -> str:
    """The live cost estimate card: credits and dollars, or "price not published" where the provider
    publishes none (then the credits reserved show on the progress card once the job is created)."""
    if estimate is None:
        return '<div class="sd-cost"><span class="sd-cost-main">—</span></div>'
    notes = [f"{esc(model_label(model))} · {esc(quality)} · {int(duration)} s · audio free"]
    if input_video_seconds > 0:
        notes.append(
            f"{estimate.billed_seconds:g} s billed: {int(duration)} s out + "
            f"{max(input_video_seconds, duration):g} s for {input_video_seconds:g} s of reference video"
        )
    if estimate.content_filter_factor != 1.0:
        notes.append(f"content filter off: ×{estimate.content_filter_factor:g} included")
    if web_search and estimate.web_search_credits:
        notes.append(
            f"+ {estimate.web_search_credits:g} credits (${estimate.web_search_usd:.5f}) per web search "
            "actually made"
        )
    lines = "".join(f'<div class="sd-cost-note">{note}</div>' for note in notes)
    if estimate.credits is None or estimate.usd is None:
        return (
            f'<div class="sd-cost is-unpublished" data-published="false" '
            f'data-billed-seconds="{estimate.billed_seconds:g}">'
            '<div class="sd-cost-label">Estimated cost</div>'
            '<div class="sd-cost-main"><span class="sd-cost-credits">'
            f"{NOT_PUBLISHED.capitalize()}</span></div>"
            '<div class="sd-cost-note">The provider lists no price for this case: the credits it reserves '
            "show on the progress card as soon as the job is created.</div>"
            f"{lines}</div>"
        )
    return (
        f'<div class="sd-cost" data-published="true" data-credits="{estimate.credits:.4f}" '
        f'data-usd="{estimate.usd:.4f}" data-billed-seconds="{estimate.billed_seconds:g}">'
        '<div class="sd-cost-label">Estimated cost</div>'
        f'<div class="sd-cost-main"><span class="sd-cost-credits">{estimate.credits:,.2f}</span> credits'
        f'<span class="sd-cost-usd">≈ ${estimate.usd:,.2f}</span></div>'
        f"{lines}</div>"
    )


# --------------------------------------------------------------------------------------------------
# Progress card

_STAGES = (
    ("queued", "Queued"),
    ("pending", "Pending"),
    ("processing", "Rendering"),
    ("downloading", "Saving"),
    ("completed", "Done"),
)
_STAGE_INDEX = {
    JobStatus.QUEUED: 0,
    JobStatus.UPLOADING: 0,
    JobStatus.SUBMITTING: 0,
    JobStatus.PENDING: 1,
    JobStatus.PROCESSING: 2,
    JobStatus.DOWNLOADING: 3,
    JobStatus.COMPLETED: 4,
}
_TONE = {
    JobStatus.COMPLETED: "ok",
    JobStatus.FAILED: "bad",
    JobStatus.CANCELLED: "muted",
    JobStatus.UNKNOWN_OUTCOME: "warn",
    JobStatus.EXPIRED: "warn",
}


def status_label(record: JobRecord) -> str:
    if record.status == JobStatus.QUEUED and record.queue_position:
        return f"Queued locally · #{record.queue_position} in line"
    return record.status.label


def percent(record: JobRecord) -> int:
    """The percent the bar shows."""
    if record.status in (JobStatus.DOWNLOADING, JobStatus.COMPLETED):
        return 100
    return max(0, min(100, int(record.progress or 0)))


def time_left(record: JobRecord, now: float | None = None, expected: float | None = None) -> float | None:
    """Estimated seconds left (jobs/estimate.py): `expected` (the learned run time; None: the provider's
    estimate) counted down, then extrapolated from the progress once it moves."""
    return seconds_left(record, expected, now)


@dataclass(frozen=True)
class Clock:
    """A clock the page keeps running: `seconds` at render time, counting up or down."""

    seconds: float
    direction: str  # "up" | "down"
    prefix: str = ""

    def html(self) -> str:
        text = self.prefix + fmt_clock(self.seconds)
        return (
            f'<dd data-clock="{self.direction}" data-base="{max(0.0, self.seconds):.3f}" '
            f'data-prefix="{esc(self.prefix)}">{esc(text)}</dd>'
        )


def progress_card(record: JobRecord | None, now: float | None = None, expected: float | None = None) -> str:
    """Live card: status, stage track, bar with percent, elapsed, time left (`expected`: the job's learned
    run time, Estimates.expected_for), task id, credits."""
    if record is None:
        return (
            '<div class="sd-card sd-progress is-idle" data-status="idle">'
            '<div class="sd-idle-art" aria-hidden="true"><span></span><span></span><span></span></div>'
            '<div class="sd-idle-title">Your shot appears here</div>'
            '<div class="sd-idle-sub">Write a prompt, pick the frame, press Generate. Progress, the '
            "video and its settings show up in this panel.</div></div>"
        )
    now = time.time() if now is None else now
    pct = percent(record)
    tone = _TONE.get(record.status, "live")
    end = (record.completed_at or record.updated_at) if record.terminal else now
    elapsed = max(0.0, (end or now) - record.created_at)
    left = time_left(record, now, expected)
    stage = _STAGE_INDEX.get(record.status)
    track = []
    for i, (key, label) in enumerate(_STAGES):
        state = "todo"
        if stage is not None:
            if i < stage or record.status == JobStatus.COMPLETED:
                state = "done"
            elif i == stage:
                state = "now"
        track.append(f'<li class="is-{state}" data-stage="{key}">{label}</li>')
    # While the job runs, the page's clock script (theme.CLOCK_SCRIPT) advances both clocks every second
    # from these values, so the server only re-renders the card when the job changes.
    running = not record.terminal
    meta = [
        ("Elapsed", Clock(elapsed, "up") if running else fmt_clock(elapsed)),
        ("Time left", "—" if left is None else Clock(left, "down", "~")),  # None once it has ended
        ("Task id", record.task_id or "not yet assigned"),
        (
            "Credits reserved",
            fmt_credits(record.credits_reserved)
            if record.credits_reserved is not None
            else (f"est. {fmt_credits(record.credits_estimated)}" if record.credits_estimated else "—"),
        ),
    ]
    meta_html = "".join(
        f'<div class="sd-meta-item" data-meta="{esc(k.lower().replace(" ", "-"))}"><dt>{esc(k)}</dt>'
        f"{v.html() if isinstance(v, Clock) else f'<dd>{esc(v)}</dd>'}</div>"
        for k, v in meta
    )
    busy = "" if record.terminal else " is-busy"
    return (
        f'<div class="sd-card sd-progress is-{tone}{busy}" data-status="{esc(record.status.value)}" '
        f'data-percent="{pct}" data-job="{esc(record.id)}">'
        '<div class="sd-progress-head">'
        f'<span class="sd-pill is-{tone}"><span class="sd-pill-dot"></span>{esc(status_label(record))}</span>'
        f'<span class="sd-progress-pct">{pct}%</span></div>'
        f'<div class="sd-bar" role="progressbar" aria-label="Generation progress" aria-valuemin="0" '
        f'aria-valuemax="100" aria-valuenow="{pct}">'
        f'<span style="width:{pct}%"></span></div>'
        f'<ol class="sd-track">{"".join(track)}</ol>'
        f'<dl class="sd-meta">{meta_html}</dl>'
        f'<div class="sd-progress-prompt">{esc(snippet(record.params.get("prompt"), 140))}</div>'
        "</div>"
    )


# --------------------------------------------------------------------------------------------------
# Notices


def section_html(title: str, subtitle: str = "") -> str:
    """A panel's title line (h2) with an optional subtitle."""
    sub = f"<span>{esc(subtitle)}</span>" if subtitle else ""
    return f'<div class="sd-section-title"><h2>{esc(title)}</h2>{sub}</div>'


def notice_html(
    kind: str, message: str, hint: str | None = None, *, code: str | None = None, items: Iterable[str] = ()
) -> str:
    """A status panel: kind is info / success / warning / error; no message, no panel (empty string)."""
    if not message:
        return ""
    lis = "".join(f"<li>{esc(i)}</li>" for i in items)
    listing = f"<ul>{lis}</ul>" if lis else ""
    code_html = f'<code class="sd-notice-code">{esc(code)}</code>' if code else ""
    hint_html = f'<div class="sd-notice-hint">{esc(hint)}</div>' if hint else ""
    return (
        f'<div class="sd-notice is-{esc(kind)}" role="status">'
        f'<div class="sd-notice-msg">{esc(message)}{code_html}</div>{listing}{hint_html}</div>'
    )


# --------------------------------------------------------------------------------------------------
# Parameters and history


def params_rows(params: dict[str, Any], record: JobRecord | None = None) -> list[tuple[str, str]]:
    quality = params.get("quality") or "—"
    ratio = params.get("aspect_ratio") or "—"
    try:
        w, h = frame_size(quality, ratio)
        size = f"{w}×{h}" + (" (model decides)" if ratio == "adaptive" else "")
    except (KeyError, TypeError):
        size = "—"
    rows = [
        ("Model", f"{model_label(params.get('model'))} · {params.get('model') or '—'}"),
        ("Duration", f"{params.get('duration', '—')} s"),
        ("Quality", f"{quality} · {size}"),
        ("Aspect ratio", str(ratio)),
        ("Audio", "on" if params.get("generate_audio") else "off"),
        ("Web search", "on" if params.get("web_search") else "off"),
    ]
    if record is not None:
        if record.width and record.height:
            rows.append(
                (
                    "Video",
                    f"{record.width}×{record.height} · {record.video_duration or 0:.1f} s"
                    + (" · audio" if record.has_audio else ""),
                )
            )
        if record.credits_reserved is not None:
            rows.append(("Credits reserved", fmt_credits(record.credits_reserved)))
        elif record.credits_estimated is not None:
            rows.append(("Credits (estimate)", fmt_credits(record.credits_estimated)))
        if record.task_id:
            rows.append(("Task id", record.task_id))
        rows.append(("Created", time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created_at))))
    return rows


def params_table(
    params: dict[str, Any], record: JobRecord | None = None, *, title: str = "Parameters used"
) -> str:
    rows = "".join(
        f'<tr data-param="{esc(k.lower().replace(" ", "-"))}"><th>{esc(k)}</th><td>{esc(v)}</td></tr>'
        for k, v in params_rows(params, record)
    )
    return (
        f'<div class="sd-params"><div class="sd-params-title">{esc(title)}</div><table>{rows}</table></div>'
    )


def history_caption(record: JobRecord) -> str:
    """Short caption under a gallery thumbnail (plain text: Gradio renders captions as text)."""
    params = record.params
    what = snippet(params.get("prompt"), 38)
    if record.status == JobStatus.COMPLETED:
        return f"{params.get('duration', '?')}s · {params.get('aspect_ratio', '?')} · {what}"
    if record.terminal:
        return f"{record.status.label.split(' —')[0]} · {what}"
    return f"{record.status.label} · {what}"


@dataclass(frozen=True)
class InputView:
    """One input of a job as the history shows it: a thumbnail (`image`: a served file's URL) or a
    labelled chip (video and audio URLs, or an image given as a URL, which the page does not fetch)."""

    role: str  # "first_frame", "reference_video", ...
    label: str  # "First frame", "Video 2", ...
    image: str | None = None
    url: str | None = None
    name: str | None = None


def inputs_html(inputs: Sequence[InputView]) -> str:
    """The inputs row of the history detail (empty for a text job)."""
    if not inputs:
        return ""
    items = []
    for item in inputs:
        title = esc(item.name or item.url or item.label)
        if item.image:
            items.append(
                f'<figure class="sd-input" data-role="{esc(item.role)}"><img src="{esc(item.image)}" '
                f'alt="{esc(item.label)}: {title}" loading="lazy">'
                f"<figcaption>{esc(item.label)}</figcaption></figure>"
            )
        else:
            items.append(
                f'<span class="sd-input-chip" data-role="{esc(item.role)}" title="{title}">'
                f"{esc(item.label)} · {esc(snippet(item.url, 40))}</span>"
            )
    return f'<div class="sd-inputs" aria-label="Inputs">{"".join(items)}</div>'


def detail_html(record: JobRecord | None, inputs: Sequence[InputView] = (), version: str = "") -> str:
    """Selected history item: prompt, the prompt version that made it (`version`, HTML already
    escaped: ui/assist/take_version.py), inputs, status (or error), parameters."""
    if record is None:
        return (
            '<div class="sd-detail is-empty">Select a shot in your history to see its video, prompt and '
            "settings.</div>"
        )
    tone = _TONE.get(record.status, "live")
    status = (
        f'<span class="sd-pill is-{tone}"><span class="sd-pill-dot"></span>{esc(status_label(record))}'
        + (f" · {percent(record)}%" if not record.terminal else "")
        + "</span>"
    )
    error = ""
    if record.error_message:
        error = notice_html(
            "error" if record.status == JobStatus.FAILED else "warning",
            record.error_message,
            record.error_hint,
            code=record.error_code,
        )
    return (
        f'<div class="sd-detail" data-job="{esc(record.id)}" data-status="{esc(record.status.value)}">'
        f'<div class="sd-detail-head">{status}</div>'
        f'<blockquote class="sd-detail-prompt">{esc(record.params.get("prompt", ""))}</blockquote>'
        f"{version}{inputs_html(inputs)}{error}{params_table(record.params, record, title='Settings')}</div>"
    )


def key_status_html(has_key: bool, demo_mode: bool) -> str:
    """The visitor-key line. Never shows any part of the key."""
    if has_key:
        return notice_html(
            "success",
            "Your key is set for this session.",
            "It lives only in this server's memory for this browser session; it is never stored or shown.",
        )
    if demo_mode:
        return notice_html(
            "info",
            "Demo mode: generations run on the built-in simulator and return labelled placeholder clips.",
            "Paste your own Evolink key to generate real videos in this session only.",
        )
    return ""
