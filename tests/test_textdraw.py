"""textdraw: font lookup, wrapping on spaces and between CJK characters, and title cards read back
as pixels (no ink outside the margins)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from seedance_ui.storyboard.titlecard import TEXT_WIDTH, TITLE_LINES, render_title_card
from seedance_ui.textdraw import (
    ELLIPSIS,
    cjk_font_file,
    ellipsize,
    fit,
    font_for,
    has_cjk,
    has_glyph,
    wrap,
)

ZH_TITLE = "竹林茶室里，一位白发老人缓缓地为远道而来的客人倒茶，镜头从窗外慢慢推近到他的手上"
MIXED = "Rooftop chase 屋顶追逐：她跳过两栋楼之间的缝隙 and lands hard 在湿滑的瓦片上"


@pytest.fixture(autouse=True, scope="module")
def _cjk_font() -> None:
    if cjk_font_file() is None:  # `make test` installs fonts-wqy-microhei (as root); CI must have it
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("no CJK font installed: apt-get install fonts-wqy-microhei")
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")


def _ink(image: Image.Image, background: tuple[int, int, int]) -> np.ndarray:
    """A boolean mask of the pixels that differ from `background`."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    return np.abs(pixels - np.array(background, dtype=np.int16)).sum(axis=2) > 0


def _ink_rows(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of rows holding ink, as (first, last) pairs, top to bottom."""
    rows = mask.any(axis=1)
    runs, start = [], None
    for y, inked in enumerate(rows):
        if inked and start is None:
            start = y
        elif not inked and start is not None:
            runs.append((start, y - 1))
            start = None
    if start is not None:
        runs.append((start, len(rows) - 1))
    return runs


@pytest.mark.parametrize("size", [(640, 360), (360, 640), (1280, 720)])
def test_a_chinese_title_card_wraps_inside_the_card(size: tuple[int, int]) -> None:
    card = render_title_card(size, 3, ZH_TITLE)
    background = card.getpixel((0, 0))
    ink = _ink(card, background)
    width = size[0]
    margin = int(width * (1 - TEXT_WIDTH) / 2)
    assert ink.any()
    assert not ink[:, :margin].any() and not ink[:, width - margin:].any()  # nothing in the margins
    assert not ink[0].any() and not ink[-1].any()
    # "Shot 3", then the title on as many lines as wrap() makes (more than one: it is too long)
    lines = wrap(ZH_TITLE, font_for(ZH_TITLE, max(8, min(size) // 14)), width * TEXT_WIDTH, TITLE_LINES)
    assert len(lines) >= 2 and len(_ink_rows(ink)) == 1 + len(lines)
    # the title's lines use most of the allowed width: they broke between characters, not at a space
    title_rows = _ink_rows(ink)[1]
    columns = np.flatnonzero(ink[title_rows[0]: title_rows[1] + 1].any(axis=0))
    assert columns[-1] - columns[0] > width * TEXT_WIDTH * 0.8


def test_title_card_lines_are_what_wrap_makes() -> None:
    font = font_for(ZH_TITLE, 360 // 14)
    lines = wrap(ZH_TITLE * 2, font, 640 * TEXT_WIDTH, TITLE_LINES)
    assert len(lines) == TITLE_LINES and lines[-1].endswith(ELLIPSIS)
    assert all(font.getlength(line) <= 640 * TEXT_WIDTH for line in lines)
    assert "".join(lines)[:-1] == (ZH_TITLE * 2)[: len("".join(lines)) - 1]  # nothing skipped or added
    assert not any(line.startswith(("，", "。")) for line in lines)  # closing punctuation stays behind


def test_a_latin_title_still_breaks_at_spaces() -> None:
    title = "The lighthouse keeper climbs the spiral stairs at dawn while the storm rolls in"
    font = font_for(title, 40)
    lines = wrap(title, font, 400, 5)
    assert " ".join(lines) == title and len(lines) > 1
    assert all(font.getlength(line) <= 400 for line in lines)
    card = render_title_card((640, 360), 12, title)
    ink = _ink(card, card.getpixel((0, 0)))
    margin = int(640 * (1 - TEXT_WIDTH) / 2)
    assert not ink[:, :margin].any() and not ink[:, 640 - margin:].any()


def test_fonts_are_chosen_by_the_characters_of_the_text() -> None:
    latin = font_for("A lighthouse in fog", 32)
    assert latin.getname()[0] == "DejaVu Sans"
    assert font_for("A lighthouse", 32, bold=True).getname() == ("DejaVu Sans", "Bold")
    for text in (ZH_TITLE, "雨の夜、港の灯り", "비 오는 밤", MIXED):
        font = font_for(text, 32)
        assert all(has_glyph(font, c) for c in text if not c.isspace()), text
    assert not has_glyph(latin, "竹")  # the probe tells a missing glyph from a drawn one
    assert has_cjk(MIXED) and not has_cjk("Ελλάδα, Привет, café")


def test_a_mixed_latin_and_cjk_line_wraps_on_spaces_and_between_characters() -> None:
    font = font_for(MIXED, 24)
    lines = wrap(MIXED, font, 260)
    assert len(lines) > 2 and all(font.getlength(line) <= 260 for line in lines)
    assert "".join(lines).replace(" ", "") == MIXED.replace(" ", "")  # every character kept, in order
    # Latin words are never split: every Latin run of a line is a whole word of the text
    words = set(MIXED.split()) | {w for part in MIXED.split() for w in part.split("：")}
    for line in lines:
        for token in line.split():
            latin = "".join(c if c.isascii() else " " for c in token).split()
            assert all(any(w in word for word in words) for w in latin), line
    assert any(not line[-1].isascii() and not lines[i + 1][0].isascii() for i, line in enumerate(lines[:-1]))


def test_a_word_longer_than_the_line_breaks_by_character() -> None:
    word = "Supercalifragilisticexpialidocious" * 3
    font = font_for(word, 20)
    lines = wrap(f"A {word} ends here", font, 150)
    assert all(font.getlength(line) <= 150 for line in lines)
    assert "".join(lines).replace(" ", "") == f"A{word}endshere"
    assert lines[0] == "A" and lines[-1].endswith("ends here")
    cut = wrap(word, font, 150, 2)
    assert len(cut) == 2 and cut[-1].endswith(ELLIPSIS) and font.getlength(cut[-1]) <= 150


def test_fit_and_ellipsize() -> None:
    font = font_for("x", 20)
    assert fit("short", font, 300) == "short"
    cut = fit("a rather long heading that cannot fit", font, 120)
    assert cut.endswith(ELLIPSIS) and font.getlength(cut) <= 120
    assert ellipsize("abc", font, 1) == ELLIPSIS
    assert wrap("", font, 100) == [] and wrap("   ", font, 100, 2) == []
    with pytest.raises(ValueError):
        wrap("x", font, 100, 0)


def test_a_chinese_prompt_stays_inside_the_contact_sheets_info_column(tmp_path) -> None:
    from seedance_ui.media import _GAP as gap
    from seedance_ui.media import _HEADER_HEIGHT as header
    from seedance_ui.media import _INFO_WIDTH as info_width
    from seedance_ui.media import _MARGIN as margin
    from seedance_ui.media import SHEET_BACKGROUND, SheetRow, contact_sheet

    tile = (Image.new("RGB", (320, 180), (90, 200, 90)),)
    row = SheetRow(1, ZH_TITLE, ZH_TITLE * 4, 5, None, "720p", tile)
    sheet = Image.open(contact_sheet([row], tmp_path / "zh.png", title=ZH_TITLE, frames_per_row=1))
    ink = _ink(sheet, SHEET_BACKGROUND)
    body = ink[header:]  # below the title band; the info text may use info_width - 2 * gap
    assert body[:, margin: margin + info_width - 2 * gap].any()  # the text is there...
    assert not body[:, margin + info_width - 2 * gap + 1: margin + info_width].any()  # ...and ends in time
    assert not ink[:, :margin].any()
    lines = wrap(ZH_TITLE * 4, font_for(ZH_TITLE, 17), info_width - 2 * gap, 6)
    assert len(lines) == 6 and lines[-1].endswith(ELLIPSIS)  # the prompt filled its six lines, cut with …


def test_a_chinese_prompt_stays_inside_the_demo_clips_prompt_card(tmp_path) -> None:
    import av

    from seedance_ui.simulator import VideoSpec, render_video

    path = render_video(VideoSpec(ZH_TITLE * 4, 4, "480p", "16:9", False), tmp_path / "zh.mp4")
    with av.open(str(path)) as container:  # a frame from the middle: the prompt card fades in and out
        frame = next(f for i, f in enumerate(container.decode(video=0)) if i == 24).to_image().convert("L")
    width, height = frame.size
    pad = int(min(width, height) * 0.05)  # render._Layout: text from 2 * pad to width - 2 * pad
    rows = np.asarray(frame)[int(height * 0.2): int(height * 0.8)]
    white = rows > 235  # the prompt is drawn in white; the background and card are darker
    assert white[:, 2 * pad: width - 2 * pad].sum() > 500  # the prompt is drawn...
    assert not white[:, width - 2 * pad + 3: width - pad].any()  # ...and wraps before the card's edge
