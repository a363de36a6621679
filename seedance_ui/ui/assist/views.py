"""The assist panels' HTML: the streamed suggestion, the word diff with each change's mark, the token
meter, the variations and the versions list. Model output is untrusted: every text is escaped here. A
suggestion's text scrolls inside its box when long, so it takes keyboard focus (tabindex 0) to be scrolled
without a mouse."""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence

from seedance_ui.llm.diff import Change
from seedance_ui.ui.views import esc

# What the panels call the sources of a version and a suggestion (llm.versions.SOURCES).
SOURCE_LABELS = {
    "typed": "Typed",
    "enhanced": "Enhanced",
    "varied": "Variation",
    "translated": "Translated",
    "restored": "Restored",
    "imported": "Imported",
}
PREVIEW_CHARS = 70  # a version's first characters in the versions list


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source, source.capitalize())


def line_html(kind: str, message: str) -> str:
    """The one line under the buttons (kind: info, success, warning, error); no message, no line."""
    if not message:
        return ""
    role = "alert" if kind == "error" else "status"
    return f'<p class="sd-assist-line is-{esc(kind)}" role="{role}">{esc(message)}</p>'


def usage_html(used: int | None, cap: int | None) -> str:
    """Tokens used today against the daily cap, as a small meter."""
    if used is None or cap is None:
        return '<span class="sd-assist-usage">Model tokens today: —</span>'
    share = min(100, round(100 * used / cap)) if cap > 0 else 100
    state = " is-over" if cap > 0 and used >= cap else ""
    return (
        f'<span class="sd-assist-usage{state}">Model tokens today '
        f'<b>{used:,}</b> / {cap:,}<i class="sd-meter" aria-hidden="true"><span style="width:{share}%">'
        "</span></i></span>"
    )


def stream_html(source: str, text: str) -> str:
    """The suggestion as it streams in."""
    return (
        '<div class="sd-assist-stream" aria-live="polite" aria-busy="true">'
        f'<div class="sd-assist-head"><span class="sd-assist-badge">{esc(source_label(source))}</span>'
        "<span>Writing a suggestion…</span></div>"
        f'<div class="sd-assist-text" tabindex="0">{esc(text)}'
        '<span class="sd-assist-caret" aria-hidden="true"></span></div></div>'
    )


def change_label(number: int, change: Change) -> str:
    """A change as its checkbox names it (Gradio escapes it)."""
    old, new = _short(change.old_text), _short(change.new_text)
    if change.kind == "insert":
        return f"{number}. add “{new}”"
    if change.kind == "delete":
        return f"{number}. remove “{old}”"
    return f"{number}. “{old}” → “{new}”"


def _short(text: str, limit: int = 48) -> str:
    flat = " ".join(text.split()) or "⏎"
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


REVIEW_LEAD = "Review the suggestion: untick a change to leave it out."


def diff_html(
    source: str,
    old: str,
    changes: Sequence[Change],
    accepted: Collection[str],
    notes: Sequence[str] = (),
    lead: str = REVIEW_LEAD,
    summary: str | None = None,
) -> str:
    """The suggestion as a word diff against `old`: each change marked with its number, shown taken
    (`accepted`) or left out; the text between changes as it is."""
    parts, position = [], 0
    for number, change in enumerate(changes, start=1):
        parts.append(esc(old[position : change.start]))
        taken = change.id in accepted
        state = "is-on" if taken else "is-off"
        removed = f"<del>{esc(change.old_text)}</del>" if change.old_text else ""
        added = f"<ins>{esc(change.new_text)}</ins>" if change.new_text else ""
        parts.append(
            f'<span class="sd-change {state}" data-change="{esc(change.id)}">'
            f'<sup aria-hidden="true">{number}</sup>{removed}{added}'
            f'<span class="sd-visually-hidden"> (change {number}, {"accepted" if taken else "rejected"})'
            "</span></span>"
        )
        position = change.end
    parts.append(esc(old[position:]))
    count = len(changes)
    ticked = sum(1 for c in changes if c.id in accepted)
    summary = summary or (
        f"{ticked} of {count} change{'s' if count != 1 else ''} ticked"
        if count
        else "No changes: the suggestion is the prompt as it is."
    )
    note_items = "".join(f"<li>{esc(n)}</li>" for n in notes)
    note_list = f'<ul class="sd-assist-notes">{note_items}</ul>' if note_items else ""
    return (
        '<div class="sd-assist-diff">'
        f'<div class="sd-assist-head"><span class="sd-assist-badge">{esc(source_label(source))}</span>'
        f"<span>{esc(lead)}</span>"
        f'<span class="sd-assist-count">{esc(summary)}</span></div>'
        f'<div class="sd-assist-text" tabindex="0">{"".join(parts)}</div>{note_list}</div>'
    )


def variation_html(number: int, text: str) -> str:
    return (
        f'<div class="sd-variation"><div class="sd-assist-head"><span class="sd-assist-badge">'
        f'Variation {number}</span></div><div class="sd-assist-text">{esc(text)}</div></div>'
    )


def version_label(number: int, source: str, created_at: float, text: str, takes: int = 0) -> str:
    """A version in the versions list: its number, source, time, the takes made from it and its first
    words (Gradio escapes it)."""
    when = time.strftime("%d %b %H:%M", time.localtime(created_at))
    made = f" · made {takes} take{'s' if takes != 1 else ''}" if takes else ""
    return f"v{number} · {source_label(source)} · {when}{made} — {_short(text, PREVIEW_CHARS)}"


def version_diff_html(source: str, current: str, version_text: str, changes: Sequence[Change]) -> str:
    """What restoring a version would change in the current prompt."""
    if not changes:
        return '<div class="sd-assist-diff is-plain"><p>This version is the prompt as it is now.</p></div>'
    lead = "Restore makes these changes to the prompt as it is now."
    count = f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
    return diff_html(source, current, changes, {c.id for c in changes}, lead=lead, summary=count)
