"""Title cards for the animatic: shot number and title, centred, white on black (Pillow)."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

_BACKGROUND = (12, 12, 14)
_NUMBER = (255, 176, 72)
_TITLE = (236, 236, 238)


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, max_width: float) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= max_width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def render_title_card(size: tuple[int, int], number: int, title: str) -> Image.Image:
    """An RGB image of `size` saying "Shot <number>" with the title (at most 3 lines) below it."""
    width, height = size
    image = Image.new("RGB", size, _BACKGROUND)
    draw = ImageDraw.Draw(image)
    short = min(width, height)
    big = ImageFont.load_default(size=max(10, short // 7))
    small = ImageFont.load_default(size=max(8, short // 14))
    lines = _wrap(title.strip(), small, width * 0.85)[:3]
    big_h = short // 7
    line_h = int(short // 14 * 1.3)
    block = big_h + (line_h // 2 + line_h * len(lines) if lines else 0)
    y = (height - block) / 2
    draw.text((width / 2, y), f"Shot {number}", font=big, fill=_NUMBER, anchor="mt")
    y += big_h + line_h // 2
    for line in lines:
        while small.getlength(line) > width * 0.9 and len(line) > 1:
            line = line[:-2] + "…"
        draw.text((width / 2, y), line, font=small, fill=_TITLE, anchor="mt")
        y += line_h
    return image
