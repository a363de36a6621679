"""Rules of a prompt's text that several parts share: straight-quoted dialogue, aspect ratios written
into the text (which the model ignores: the field sets the ratio), and how a prompt over the length limit
is said (the Studio's counter and the storyboard's shot say it in the same words).

Pure; imports only `seedance_ui.options`. The live lint (`ui/prompt_lint.py`) and the language-model guard
(`llm/guard.py`) both read them from here, so they can never disagree.
"""

from __future__ import annotations

import re

from seedance_ui.options import ASPECT_RATIOS

CURLY_DOUBLE = "“”„‟＂〝〞"
CURLY_SINGLE = "‘’‚‛"
CURLY_DOUBLE_RE = re.compile(f"[{CURLY_DOUBLE}]")
# Dialogue as the provider speaks it: a span in straight double quotes.
QUOTED_RE = re.compile(r'"[^"\n]{1,2000}"')

# Ratios people write into prompts. Times such as "12:30" are not in the list and never match.
KNOWN_RATIOS = {
    (16, 9),
    (9, 16),
    (1, 1),
    (4, 3),
    (3, 4),
    (21, 9),
    (9, 21),
    (3, 2),
    (2, 3),
    (5, 4),
    (4, 5),
    (2, 1),
    (1, 2),
    (18, 9),
    (32, 9),
    (4, 1),
}
RATIO_RE = re.compile(r"(?<![\d.:])(\d{1,2}(?:\.\d{1,3})?)\s*[:：∶]\s*(\d{1,2}(?:\.\d{1,3})?)(?![\d:])")
RATIO_WORDS_RE = re.compile(
    r"(?i)\b(aspect ratio|widescreen format|anamorphic|letterbox(?:ed)?|vertical video|portrait mode)\b"
    r"|画幅|宽高比|竖屏|横屏"
)


def straighten_quotes(text: str) -> str:
    """Curly and full-width double quotes become ", curly single quotes become '."""
    out = CURLY_DOUBLE_RE.sub('"', text or "")
    for ch in CURLY_SINGLE:
        out = out.replace(ch, "'")
    return out


def quoted_spans(text: str) -> list[str]:
    """Every straight-quoted dialogue span of `text`, quotes included, in order."""
    return QUOTED_RE.findall(text or "")


def _closest_ratio(w: float, h: float) -> str:
    if h <= 0 or w <= 0:
        return "adaptive"
    target = w / h
    best, best_gap = "adaptive", float("inf")
    for value in ASPECT_RATIOS:
        if ":" not in value:
            continue
        a, b = (int(x) for x in value.split(":"))
        gap = abs(a / b - target)
        if gap < best_gap:
            best, best_gap = value, gap
    return best


def find_aspect_ratio(text: str) -> tuple[str, str] | None:
    """(what was written, the closest field value) for an aspect ratio written into the prompt."""
    for match in RATIO_RE.finditer(text):
        a, b = match.group(1), match.group(2)
        w, h = float(a), float(b)
        decimal = "." in a or "." in b
        cinema = decimal and (h == 1 or w == 1) and w > 0 and h > 0
        if cinema or (not decimal and (int(w), int(h)) in KNOWN_RATIOS):
            return match.group(0).strip(), _closest_ratio(w, h)
    words = RATIO_WORDS_RE.search(text)
    if words:
        return words.group(0), ""
    return None


def prompt_over_limit(chars: int, limit: int) -> str:
    """What to trim: "12,345 characters: 2,345 over the 10,000 limit — trim before generating"."""
    return f"{chars:,} characters: {chars - limit:,} over the {limit:,} limit — trim before generating."
