"""The pictures a request sent, drawn into its placeholder clip, so the clip shows what was sent.

Frames (`FramePictures`): the visitor's own first (and last) frame, moving, as the picture behind the
clip. One frame: the first picture fills the clip (cropped to cover it) and pushes in slowly. Two
frames: the first pushes in while it dissolves into the last, which settles back to its own full view,
so the clip opens on exactly the first picture and ends on exactly the last one. A chained shot's
first frame and an extension's source clip (its last frame) come in this way.

References (`cast_cards`, `panorama`): the reference pictures (the cast) as a strip of cards with
their tags, and the first of them, wide and dimmed, slowly panning behind the prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageEnhance, ImageFilter, ImageOps

PUSH_IN = 0.08  # how far the picture zooms over the clip (share of its size)
CARD_HEIGHT = 0.26  # a reference card's picture height, as a share of the clip's short side
CARD_GAP = 0.025  # between two cards, as a share of the clip's short side
CARD_RATIOS = (0.75, 1.8)  # a card takes its picture's width/height, kept within these
PANORAMA_DIM = 0.4  # how much the panning reference picture behind the prompt is darkened (0-1)
PANORAMA_SCALE = 4  # it is blurred at this fraction of its size
PANORAMA_BLUR = 6  # the blur's radius, in pixels of that smaller picture


@dataclass(frozen=True)
class Card:
    """One reference picture's card in the clip: the picture's box and its tag under it."""

    path: str
    tag: str
    box: tuple[int, int, int, int]  # left, top, right, bottom of the picture (the tag sits below)


def picture_size(path: str | Path) -> tuple[int, int]:
    """Width and height of a stored frame image (from its header: nothing is decoded)."""
    with Image.open(path) as image:
        return image.size


class FramePictures:
    """The frame images fitted to the clip; `at(index, count)` is the picture for frame `index`."""

    def __init__(self, paths: tuple[str, ...], width: int, height: int) -> None:
        self.size = (width, height)
        # Fitted with a margin, so the push-in crops from a sharper source.
        big = (round(width * (1 + PUSH_IN)), round(height * (1 + PUSH_IN)))
        self.pictures = [_cover(path, big) for path in paths[:2]]

    def at(self, index: int, count: int) -> Image.Image:
        """The RGB picture for frame `index` of `count`."""
        progress = index / (count - 1) if count > 1 else 0.0
        first = self._zoomed(self.pictures[0], progress)
        if len(self.pictures) < 2:
            return first
        last = self._zoomed(self.pictures[1], 1.0 - progress)
        return Image.blend(first, last, progress)

    def _zoomed(self, picture: Image.Image, amount: float) -> Image.Image:
        """`picture` zoomed in by `amount` x PUSH_IN around its centre, at the clip's size."""
        width, height = picture.size
        scale = 1 + PUSH_IN * amount
        crop_w, crop_h = width / scale, height / scale
        left, top = (width - crop_w) / 2, (height - crop_h) / 2
        box = (left, top, left + crop_w, top + crop_h)
        return picture.resize(self.size, Image.Resampling.BILINEAR, box=box)


def _cover(path: str, size: tuple[int, int]) -> Image.Image:
    """The image, upright and in RGB, scaled and centre-cropped to exactly `size`. Stored frames were
    measured from their header before they were kept (media.py: within the contract's sides and pixels);
    a JPEG is decoded at the smallest scale that still covers the clip either way up (its draft)."""
    with Image.open(path) as image:
        image.draft("RGB", (max(size), max(size)))
        upright = ImageOps.exif_transpose(image) or image
        return ImageOps.fit(upright.convert("RGB"), size, Image.Resampling.LANCZOS)


def cast_cards(
    cast: Sequence[tuple[str, str]], width: int, bottom: int, pad: int, unit: int
) -> list[Card]:
    """The cards of `cast` ((tag, path) pairs, in the request's order) in a row along the clip's left
    edge, their pictures' bottom at `bottom`: each as wide as its picture's shape (within CARD_RATIOS),
    all as tall as fits the clip's width."""
    if not cast:
        return []
    gap = round(unit * CARD_GAP)
    ratios = [min(max(w / h, CARD_RATIOS[0]), CARD_RATIOS[1]) for w, h in (picture_size(p) for _, p in cast)]
    height = min(round(unit * CARD_HEIGHT), int((width - 2 * pad - gap * (len(cast) - 1)) / sum(ratios)))
    cards, left = [], pad
    for (tag, path), ratio in zip(cast, ratios, strict=True):
        right = left + round(height * ratio)
        cards.append(Card(path, tag, (left, bottom - height, right, bottom)))
        left = right + gap
    return cards


def card_picture(card: Card) -> Image.Image:
    """A card's picture fitted (centre-cropped) to its box."""
    left, top, right, bottom = card.box
    return _cover(card.path, (right - left, bottom - top))


def panorama(path: str, size: tuple[int, int]) -> Image.Image:
    """The picture fitted to `size` (the clip plus its pan), soft and darkened: its colours behind the
    prompt, its detail left to the cards (blurred at a quarter of the size: cheap, and no upscaled
    pixels show)."""
    small = (max(1, size[0] // PANORAMA_SCALE), max(1, size[1] // PANORAMA_SCALE))
    soft = _cover(path, small).filter(ImageFilter.GaussianBlur(PANORAMA_BLUR))
    dimmed = ImageEnhance.Brightness(soft).enhance(1.0 - PANORAMA_DIM)
    return dimmed.resize(size, Image.Resampling.BILINEAR)
