"""The visitor's own first (and last) frame, moving, as the picture behind a placeholder clip.

One frame: the first picture fills the clip (cropped to cover it) and pushes in slowly. Two frames:
the first pushes in while it dissolves into the last, which settles back to its own full view, so
the clip opens on exactly the first picture and ends on exactly the last one.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps

PUSH_IN = 0.08  # how far the picture zooms over the clip (share of its size)


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
