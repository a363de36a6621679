"""Text on images: font lookup (Latin and CJK), measuring, wrapping and ellipsizing (Pillow).

A leaf module: it imports only Pillow and the standard library, so every drawer can use it, the
simulator included (which may import nothing of ours but leaf modules). Used by contact sheets
(`media`), title cards (`storyboard.titlecard`) and the demo clips (`simulator.render`).

Fonts: DejaVu Sans first (Latin, Greek, Cyrillic), then the first installed CJK font, then other
broad fonts; a text is drawn with the first of them that has every one of its characters (Pillow's
bundled font when none is installed). Wrapping breaks on spaces and between any two Chinese,
Japanese or Korean characters (never before closing punctuation such as "，" or "。"), and breaks
a word wider than the line by character.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from PIL import ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

ELLIPSIS = "…"
# Installed fonts in order of preference. The CJK fonts also draw Latin, so a mixed line gets one.
_FONT_FILES = (
    "DejaVuSans.ttf",
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Regular.otf",
    "NotoSansSC-Regular.otf",
    "DroidSansFallbackFull.ttf",
    "NotoSans-Regular.ttf",
    "LiberationSans-Regular.ttf",
)
_BOLD_FILES = {
    "DejaVuSans.ttf": "DejaVuSans-Bold.ttf",
    "LiberationSans-Regular.ttf": "LiberationSans-Bold.ttf",
}
_CJK_FONT_FILES = _FONT_FILES[1:7]
_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")
_MISSING_PROBE = "\u0378"  # unassigned (not "default ignorable"): fonts draw their "missing glyph" box

# Wide (CJK) characters: a line may break before any of them. Closing punctuation sticks to the
# character before it, so no line starts with "，" or "。".
_WIDE = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_CLOSING = "、。，．！？：；）」』】〕〉》〗〙〛”’ー々〜・!?,.:;)\\]}%"
_TOKEN_RE = re.compile(rf"[{_WIDE}][{_CLOSING}]*|[^\s{_WIDE}]+|\s+")
_CJK_RE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]")


# --- fonts -----------------------------------------------------------------------------------------


@functools.cache
def _installed() -> dict[str, Path]:
    """Installed font files by file name (the first found of each), from the system font folders."""
    wanted = set(_FONT_FILES) | set(_BOLD_FILES.values())
    found: dict[str, Path] = {}
    for folder in _FONT_DIRS:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.name in wanted:
                    found.setdefault(path.name, path)
    return found


def cjk_font_file() -> Path | None:
    """The first installed font that draws Chinese, Japanese and Korean, if any."""
    installed = _installed()
    return next((installed[name] for name in _CJK_FONT_FILES if name in installed), None)


@functools.lru_cache(maxsize=64)
def font_chain(size: int, bold: bool = False) -> tuple[Font, ...]:
    """Every usable installed font at `size`, in preference order; Pillow's bundled font last."""
    installed = _installed()
    fonts: list[Font] = []
    for name in _FONT_FILES:
        path = installed.get(_BOLD_FILES.get(name, name) if bold else name) or installed.get(name)
        if path is not None:
            try:
                fonts.append(ImageFont.truetype(str(path), size))
            except OSError:
                continue
    fonts.append(ImageFont.load_default(size=size))
    return tuple(fonts)


def _glyph(font: Font, char: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(char)
    return mask.size, bytes(mask)


@functools.lru_cache(maxsize=256)
def _missing_glyph(font: Font) -> tuple[tuple[int, int], bytes]:
    return _glyph(font, _MISSING_PROBE)


@functools.lru_cache(maxsize=1 << 16)
def has_glyph(font: Font, char: str) -> bool:
    """True when `font` draws `char` itself (not its "missing glyph" box)."""
    return _glyph(font, char) != _missing_glyph(font)


def font_for(text: str, size: int, *, bold: bool = False) -> Font:
    """The first font of the chain that draws every character of `text` (else the one missing fewest)."""
    chain = font_chain(size, bold)
    chars = {c for c in text if not c.isspace()}
    best, best_missing = chain[0], len(chars) + 1
    for font in chain:
        missing = sum(not has_glyph(font, c) for c in chars)
        if missing == 0:
            return font
        if missing < best_missing:
            best, best_missing = font, missing
    return best


def has_cjk(text: str) -> bool:
    """True when `text` holds a Chinese, Japanese or Korean character."""
    return _CJK_RE.search(text) is not None


# --- measuring, fitting, wrapping ------------------------------------------------------------------


def width_of(text: str, font: Font) -> float:
    """The advance width of `text` in pixels."""
    return font.getlength(text)


def fit(line: str, font: Font, max_width: float) -> str:
    """`line` itself if it fits `max_width`, else its longest prefix that fits with … added."""
    return line if width_of(line, font) <= max_width else ellipsize(line, font, max_width)


def ellipsize(line: str, font: Font, max_width: float) -> str:
    """The longest prefix of `line` that fits `max_width` with … appended (… alone at worst)."""
    lo, hi = 0, len(line)
    while lo < hi:  # binary search for the longest prefix that fits
        mid = (lo + hi + 1) // 2
        if width_of(line[:mid].rstrip() + ELLIPSIS, font) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return line[:lo].rstrip() + ELLIPSIS


def _chars_that_fit(text: str, font: Font, max_width: float) -> int:
    """How many leading characters of `text` fit in `max_width` (at least one)."""
    lo, hi = 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if width_of(text[:mid], font) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _break_lines(text: str, font: Font, max_width: float, stop_after: int) -> list[str]:
    """Greedy line breaking of whitespace-collapsed `text`; stops once `stop_after` lines are full."""
    lines: list[str] = []
    current = ""
    for token in _TOKEN_RE.findall(text):
        if token.isspace():
            current += " " if current else ""
            continue
        if width_of(current + token, font) <= max_width:
            current += token
            continue
        if current.strip():
            lines.append(current.rstrip())
        while width_of(token, font) > max_width and len(token) > 1:  # a word wider than the line
            cut = _chars_that_fit(token, font, max_width)
            lines.append(token[:cut])
            token = token[cut:]
        current = token
        if len(lines) > stop_after:
            return lines
    if current.strip():
        lines.append(current.rstrip())
    return lines


def wrap(text: str, font: Font, max_width: float, max_lines: int | None = None) -> list[str]:
    """`text` (whitespace collapsed) in lines no wider than `max_width` pixels.

    Breaks on spaces and between CJK characters; a word wider than a line breaks by character.
    With `max_lines`, text that does not fit ends the last line with ….
    """
    if max_lines is not None and max_lines < 1:
        raise ValueError("max_lines must be at least 1")
    limit = max_lines if max_lines is not None else len(text) + 1
    lines = _break_lines(" ".join(text.split()), font, max_width, limit)
    if len(lines) <= limit:
        return lines
    return [*lines[: limit - 1], ellipsize(lines[limit - 1] + " ", font, max_width)]
