"""What the history draws in words: an item's caption (a storyboard take named by its board, shot and take;
a Studio shot by its length, ratio and prompt) and the pager's line.

A caption is plain text (Gradio renders it as text, and puts the same text in the thumbnail's `title`, so
the whole caption is there on hover); the page's stylesheet shows two lines of it. A long prompt is cut at
a word boundary, never in the middle of a word.
"""

from __future__ import annotations

from seedance_ui.store import JobStatus
from seedance_ui.store.query import HistoryPage, HistoryRow
from seedance_ui.ui.views import esc

# A caption's prompt is cut at the last word boundary within this (the page shows two lines of it).
CAPTION_PROMPT_CHARS = 500
STAR = "★"


def cut_at_word(text: str | None, limit: int = CAPTION_PROMPT_CHARS) -> str:
    """`text` on one line, cut at the last space within `limit` characters (a single word longer than
    that is cut inside it), with an ellipsis when anything was cut."""
    line = " ".join((text or "").split())
    if len(line) <= limit:
        return line
    head = line[: limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,.;:—-") + "…"


def status_word(row: HistoryRow) -> str | None:
    """The status in a caption: none for a finished video, else the status' short label."""
    status = row.record.status
    return None if status == JobStatus.COMPLETED else status.label.split(" —")[0]


def history_label(row: HistoryRow) -> str:
    """An item's caption: "★ Lighthouse · shot 3 · take 2" for a take, "5s · 16:9 · <prompt>" for a
    finished Studio shot, "Failed · <prompt>" for one that did not finish."""
    params = row.record.params or {}
    star = f"{STAR} " if row.favourite else ""
    status = status_word(row)
    if row.take is not None:
        take = row.take
        parts = [take.board_title or "Untitled board", f"shot {take.shot_number}", f"take {take.take_number}"]
    elif status is None:
        parts = [f"{params.get('duration', '?')}s", str(params.get("aspect_ratio", "?")),
                 cut_at_word(params.get("prompt"))]
    else:
        parts = [cut_at_word(params.get("prompt"))]
    if status is not None:
        parts.insert(0, status)
    return star + " · ".join(p for p in parts if p)


def pager_html(page: HistoryPage, filtered: bool) -> str:
    """"Page 2 of 4 · 61–120 of 230 shots" under the gallery (or, `filtered`, that nothing matches),
    announced when it changes."""
    if page.total == 0:
        text = "Nothing matches these filters." if filtered else ""
    else:
        first = page.page * page.size + 1
        last = first + len(page.rows) - 1
        noun = "shot" if page.total == 1 else "shots"
        text = f"Page {page.page + 1} of {page.pages} · {first}–{last} of {page.total} {noun}"
    return f'<p class="sd-history-pager" role="status" data-page="{page.page + 1}">{esc(text)}</p>'
