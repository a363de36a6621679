"""Title cards for the animatic: shot number and title, centred, on a dark card (Pillow), and a warning
line under them when the shot is not what the cut claims (out of date).

Text goes through `seedance_ui.textdraw`: a Chinese or Japanese title gets a CJK font and wraps
between characters, so every line stays inside the card's margins.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from seedance_ui.textdraw import font_for, wrap

_BACKGROUND = (12, 12, 14)
_NUMBER = (255, 176, 72)
_TITLE = (236, 236, 238)
_WARNING = (255, 96, 80)
TITLE_LINES = 3
TEXT_WIDTH = 0.85  # share of the card's width the text may use, centred


def render_title_card(size: tuple[int, int], number: int, title: str, warning: str = "") -> Image.Image:
    """An RGB image of `size` saying "Shot <number>" with the title (at most 3 lines) below it, and
    `warning` (one line, upper case, red) under the title when given."""
    width, height = size
    image = Image.new("RGB", size, _BACKGROUND)
    draw = ImageDraw.Draw(image)
    short = min(width, height)
    heading = f"Shot {number}"
    big = font_for(heading, max(10, short // 7))
    small = font_for(title, max(8, short // 14))
    max_width = width * TEXT_WIDTH
    lines = wrap(title, small, max_width, TITLE_LINES) if title.strip() else []
    alert = wrap(warning.upper(), small, max_width, 1)[:1] if warning.strip() else []
    big_h = short // 7
    line_h = int(short // 14 * 1.3)
    block = big_h + (line_h // 2 + line_h * len(lines) if lines else 0) + line_h * len(alert)
    y = (height - block) / 2
    draw.text((width / 2, y), heading, font=big, fill=_NUMBER, anchor="mt")
    y += big_h + line_h // 2
    for line in lines:
        draw.text((width / 2, y), line, font=small, fill=_TITLE, anchor="mt")
        y += line_h
    for line in alert:
        draw.text((width / 2, y + line_h // 3), line, font=small, fill=_WARNING, anchor="mt")
    return image
