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
    MAX_PROMPT_CHINESE_CHARS,
    MAX_PROMPT_ENGLISH_WORDS,
    MEDIA_TAG_PATTERN,
)

# The quote and ratio rules live in prompt_rules (the language-model guard reads them too); re-exported.
from seedance_ui.prompt_rules import (
    CURLY_DOUBLE,
    CURLY_DOUBLE_RE,
    CURLY_SINGLE,
    find_aspect_ratio,
    straighten_quotes,
)

__all__ = ["BLOCKING", "CURLY_DOUBLE", "CURLY_SINGLE", "Hint", "LintResult", "find_aspect_ratio", "lint",
           "straighten_quotes", "tag_hints"]

Level = Literal["error", "warning", "tip"]
BLOCKING = frozenset({"empty", "over_limit"})

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

    if CURLY_DOUBLE_RE.search(text):
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
