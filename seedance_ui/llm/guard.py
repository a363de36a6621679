"""Model output is untrusted text: cleaned, length-capped, and checked against the prompt it rewrites.

A suggestion must keep every `@image1`-style tag, every `@[cast]` name and every straight-quoted line of
dialogue of the original exactly (and add no tag of its own), carry no aspect ratio in its text, and stay
within the provider's prompt limits. Pure functions; the rules themselves come from `options`,
`prompt_rules` and the storyboard's mention pattern, so they agree with the lint and with Generate.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from seedance_ui.client.request import count_chinese_chars, count_english_words
from seedance_ui.options import MAX_PROMPT_CHINESE_CHARS, MAX_PROMPT_ENGLISH_WORDS, MEDIA_TAG_PATTERN
from seedance_ui.prompt_rules import find_aspect_ratio, quoted_spans, straighten_quotes
from seedance_ui.storyboard.validation import MENTION_RE

# The most characters of model output ever kept (a 1,000-word prompt is ~7,000; a shot plan's JSON more).
MAX_OUTPUT_CHARS = 60_000
_TAG_RE = re.compile(MEDIA_TAG_PATTERN, re.IGNORECASE)
_KEPT_CONTROLS = {"\n", "\t"}


def clean(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """`text` without control or format characters (line breaks and tabs kept; CR LF becomes LF), cut at
    `limit` characters."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    kept = (c for c in text if c in _KEPT_CONTROLS or unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    return "".join(kept)[:limit]


def protected(text: str) -> Counter[str]:
    """What a rewrite must keep exactly: tags (case-folded), cast mentions and quoted dialogue, counted."""
    items: Counter[str] = Counter()
    items.update(f"tag {m.group(0).lower()}" for m in _TAG_RE.finditer(text))
    items.update(f"name {m.group(0)}" for m in MENTION_RE.finditer(text))
    items.update(f"dialogue {q}" for q in quoted_spans(text))
    return items


def length_problem(text: str) -> str | None:
    """Why `text` is over the provider's prompt limits, else None."""
    words, chinese = count_english_words(text), count_chinese_chars(text)
    if words > MAX_PROMPT_ENGLISH_WORDS:
        return f"it is {words:,} English words long (the limit is {MAX_PROMPT_ENGLISH_WORDS:,})"
    if chinese > MAX_PROMPT_CHINESE_CHARS:
        return f"it is {chinese:,} Chinese characters long (the limit is {MAX_PROMPT_CHINESE_CHARS:,})"
    return None


def suggestion_problems(original: str, suggestion: str) -> list[str]:
    """Every rule `suggestion` breaks as a rewrite of `original` (empty: it may be shown)."""
    if not suggestion.strip():
        return ["it is empty"]
    problems: list[str] = []
    want, have = protected(original), protected(suggestion)
    missing = sorted((want - have).elements())  # each line of dialogue as often as the original has it
    added = sorted(item for item in have if item not in want and not item.startswith("dialogue "))
    if missing:
        problems.append("it drops " + ", ".join(_show(item) for item in dict.fromkeys(missing)))
    if added:
        problems.append("it adds " + ", ".join(_show(item) for item in dict.fromkeys(added)))
    ratio = find_aspect_ratio(_without_dialogue(suggestion))
    if ratio is not None:
        problems.append(f"it writes an aspect ratio into the text (“{ratio[0]}”); the field sets it")
    long = length_problem(suggestion)
    if long:
        problems.append(long)
    return problems


def tidy(suggestion: str) -> tuple[str, tuple[str, ...]]:
    """The suggestion trimmed, curly dialogue quotes straightened; with a note for each change made."""
    text = clean(suggestion).strip()
    straight = straighten_quotes(text)
    notes = ("Curly quotes were straightened so the dialogue is spoken.",) if straight != text else ()
    return straight, notes


def _show(item: str) -> str:
    kind, _, value = item.partition(" ")
    return value if kind != "dialogue" else f"the line {_short(value)}"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…\""


def _without_dialogue(text: str) -> str:
    for span in quoted_spans(text):
        text = text.replace(span, " ")
    return text
