"""Live prompt checks: counts against the limits and friendly hints. Pure functions, no Gradio.

The counts come from the client's own helpers, and the "over the limit" verdict from the client's own
validator, so the counter can never disagree with what Generate will accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from seedance_ui.client import GenerationRequest, count_chinese_chars, count_english_words
from seedance_ui.options import (
    ASPECT_RATIOS,
    MAX_PROMPT_CHINESE_CHARS,
    MAX_PROMPT_ENGLISH_WORDS,
    MEDIA_TAG_PATTERN,
)

Level = Literal["error", "warning", "tip"]
BLOCKING = frozenset({"empty", "over_limit"})

CURLY_DOUBLE = "“”„‟＂〝〞"
CURLY_SINGLE = "‘’‚‛"
_CURLY_DOUBLE_RE = re.compile(f"[{CURLY_DOUBLE}]")

# Ratios people write into prompts. Times such as "12:30" are not in the list and never match.
_KNOWN_RATIOS = {
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
_RATIO_RE = re.compile(r"(?<![\d.:])(\d{1,2}(?:\.\d{1,3})?)\s*[:：∶]\s*(\d{1,2}(?:\.\d{1,3})?)(?![\d:])")
_RATIO_WORDS_RE = re.compile(
    r"(?i)\b(aspect ratio|widescreen format|anamorphic|letterbox(?:ed)?|vertical video|portrait mode)\b"
    r"|画幅|宽高比|竖屏|横屏"
)
_RECENT_RE = re.compile(
    r"(?i)\b(latest|today'?s?|tonight'?s?|this (?:week|weekend|month|year)|yesterday'?s?|breaking news|"
    r"right now|currently|up-to-date)\b"
    r"|今天|今日|最新|本周|这周|本月|昨天|近期"
)
_TAG_RE = re.compile(MEDIA_TAG_PATTERN, re.IGNORECASE)
TAG_KINDS = ("image", "video", "audio")
_NOUNS = {"image": ("image", "images"), "video": ("video", "videos"), "audio": ("audio clip", "audio clips")}


@dataclass(frozen=True)
class Hint:
    """One finding about the prompt."""

    level: Level
    code: str
    message: str


@dataclass(frozen=True)
class LintResult:
    """Counts and hints for one prompt text."""

    words: int
    chinese: int
    hints: tuple[Hint, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """No blocking problem (empty or over the limit)."""
        return not any(h.code in BLOCKING for h in self.hints)

    @property
    def has_curly_quotes(self) -> bool:
        return any(h.code == "curly_quotes" for h in self.hints)

    @property
    def word_share(self) -> float:
        return self.words / MAX_PROMPT_ENGLISH_WORDS

    @property
    def chinese_share(self) -> float:
        return self.chinese / MAX_PROMPT_CHINESE_CHARS


def straighten_quotes(text: str) -> str:
    """Curly and full-width double quotes become ", curly single quotes become '."""
    out = _CURLY_DOUBLE_RE.sub('"', text or "")
    for ch in CURLY_SINGLE:
        out = out.replace(ch, "'")
    return out


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
    for match in _RATIO_RE.finditer(text):
        a, b = match.group(1), match.group(2)
        w, h = float(a), float(b)
        decimal = "." in a or "." in b
        cinema = decimal and (h == 1 or w == 1) and w > 0 and h > 0
        if cinema or (not decimal and (int(w), int(h)) in _KNOWN_RATIOS):
            return match.group(0).strip(), _closest_ratio(w, h)
    words = _RATIO_WORDS_RE.search(text)
    if words:
        return words.group(0), ""
    return None


def tag_hints(text: str, inputs: dict[str, int]) -> list[Hint]:
    """A tag naming no input (`@image3` with two images), and each input no tag mentions.

    `inputs`: how many reference images, videos and audio clips are given (by kind)."""
    named: set[tuple[str, int]] = set()
    hints: list[Hint] = []
    for match in _TAG_RE.finditer(text):
        kind, number = match.group(1).lower(), int(match.group(2))
        have = inputs.get(kind, 0)
        if not 1 <= number <= have and (kind, number) not in named:
            one, many = _NOUNS[kind]
            given = f"{have} {one if have == 1 else many}" if have else f"no {many}"
            hints.append(Hint("error", "tag_without_input",
                              f"{match.group(0)} names no input ({given} given): add it, or fix the tag."))
        named.add((kind, number))
    unnamed = [f"@{kind}{n}" for kind in TAG_KINDS for n in range(1, inputs.get(kind, 0) + 1)
               if (kind, n) not in named]
    if unnamed:
        listed = ", ".join(unnamed)
        hints.append(Hint("warning", "input_without_tag",
                          f"{listed} {'is' if len(unnamed) == 1 else 'are'} not in the prompt: say what each "
                          "is for (click its chip to insert the tag), or remove it."))
    return hints


def lint(
    prompt: str | None, *, web_search: bool = False, inputs: dict[str, int] | None = None
) -> LintResult:
    """Counts and hints for `prompt`; `web_search` is the current state of the Web search toggle;
    `inputs` (references mode only) how many reference inputs of each kind there are."""
    text = prompt or ""
    words = count_english_words(text)
    chinese = count_chinese_chars(text)
    hints: list[Hint] = []

    if not text.strip():
        hints.append(Hint("tip", "empty", "Write a prompt to get started: subject, action, camera, light."))
    else:
        for problem in GenerationRequest(prompt=text).problems():
            if problem.field == "prompt":
                hints.append(Hint("error", "over_limit", _over_limit_message(words, chinese)))
                break

    if _CURLY_DOUBLE_RE.search(text):
        hints.append(
            Hint(
                "warning",
                "curly_quotes",
                'Dialogue in curly quotes may not be spoken. Straight double quotes ("…") trigger '
                "speech synthesis — use “Straighten quotes”.",
            )
        )

    ratio = find_aspect_ratio(text)
    if ratio:
        written, closest = ratio
        where = f" (closest: {closest})" if closest else ""
        hints.append(
            Hint(
                "warning",
                "aspect_ratio",
                f"“{written}” in the prompt is ignored by the model — set the Aspect ratio field "
                f"instead{where}.",
            )
        )

    if inputs is not None:
        hints += tag_hints(text, inputs)

    if not web_search:
        recent = _RECENT_RE.search(text)
        if recent:
            hints.append(
                Hint(
                    "tip",
                    "web_search",
                    f"“{recent.group(0)}” points at recent events — turn on Web search so the model can "
                    "look them up (billed only when a search happens).",
                )
            )
    return LintResult(words=words, chinese=chinese, hints=tuple(hints))


def _over_limit_message(words: int, chinese: int) -> str:
    parts = []
    if words > MAX_PROMPT_ENGLISH_WORDS:
        parts.append(
            f"{words:,} English words (limit {MAX_PROMPT_ENGLISH_WORDS:,}; "
            f"trim {words - MAX_PROMPT_ENGLISH_WORDS:,})"
        )
    if chinese > MAX_PROMPT_CHINESE_CHARS:
        parts.append(
            f"{chinese:,} Chinese characters (limit {MAX_PROMPT_CHINESE_CHARS:,}; "
            f"trim {chinese - MAX_PROMPT_CHINESE_CHARS:,})"
        )
    detail = " and ".join(parts) if parts else "the prompt is too long"
    return f"Over the limit: {detail}."
