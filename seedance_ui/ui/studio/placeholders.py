"""Poster stand-ins for history items that have no poster yet (in flight) or never will (failed).

Rendered once with Pillow into `<data_dir>/ui/`, so Gradio serves them from the only allowed path.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, ImageDraw

from seedance_ui.store import JobRecord, JobStatus

SIZE = (480, 270)
_KINDS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "working": ((109, 74, 255), (255, 95, 109)),
    "failed": ((120, 36, 52), (62, 28, 40)),
    "ended": ((84, 86, 110), (46, 46, 62)),
}
VERSION = 1


def _render(kind: str, path: Path) -> None:
    start, end = _KINDS[kind]
    w, h = SIZE
    # A diagonal blend of two colours (Image.linear_gradient is top-to-bottom; rotate it by 45°).
    mask = Image.linear_gradient("L").rotate(45, resample=Image.BICUBIC, expand=True)
    side = mask.width
    mask = mask.crop((side // 2 - 90, side // 2 - 90, side // 2 + 90, side // 2 + 90)).resize(SIZE)
    image = Image.composite(Image.new("RGB", SIZE, end), Image.new("RGB", SIZE, start), mask)
    draw = ImageDraw.Draw(image, "RGBA")
    cx, cy = w // 2, h // 2
    draw.rounded_rectangle(
        [cx - 70, cy - 46, cx + 70, cy + 46], radius=12, outline=(255, 255, 255, 150), width=5
    )
    if kind == "working":
        draw.polygon([(cx - 16, cy - 24), (cx - 16, cy + 24), (cx + 24, cy)], fill=(255, 255, 255, 235))
    elif kind == "failed":
        draw.line([(cx - 18, cy - 18), (cx + 18, cy + 18)], fill=(255, 255, 255, 220), width=7)
        draw.line([(cx - 18, cy + 18), (cx + 18, cy - 18)], fill=(255, 255, 255, 220), width=7)
    else:
        draw.rectangle([cx - 20, cy - 4, cx + 20, cy + 4], fill=(255, 255, 255, 200))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.png")  # two processes starting on one data dir: their own
    image.save(tmp, "PNG", optimize=True)
    tmp.replace(path)


class Placeholders:
    """Paths of the stand-in posters, rendered on first use."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = Path(data_dir) / "ui"

    def path(self, kind: str) -> Path:
        path = self.directory / f"placeholder-{kind}-v{VERSION}.png"
        if not path.is_file():
            _render(kind, path)
        return path

    def warm(self) -> None:
        """Render every stand-in now (at startup), not during a visitor's first request."""
        for kind in _KINDS:
            self.path(kind)

    def for_record(self, record: JobRecord) -> Path:
        if not record.terminal:
            return self.path("working")
        if record.status in (JobStatus.FAILED, JobStatus.UNKNOWN_OUTCOME, JobStatus.EXPIRED):
            return self.path("failed")
        return self.path("ended")
