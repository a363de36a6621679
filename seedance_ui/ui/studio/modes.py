"""The create panel's modes (Text, Frames, References) over the nine-model grid. Pure, no Gradio.

The model id is the one source of truth: the mode switch and the tier radio only pick a cell of
options.MODEL_SPECS, and everything else (qualities, web search, which inputs show) follows the id.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedance_ui.client.media_rules import image_problem, measure_image
from seedance_ui.options import (
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
    MODE_FRAMES,
    MODE_REFERENCES,
    MODE_TEXT,
    MODEL_SPECS,
    TIERS,
    ModelSpec,
    model_id,
    nearest_aspect_ratio,
)

MODE_LABELS: dict[str, str] = {MODE_TEXT: "Text", MODE_FRAMES: "Frames", MODE_REFERENCES: "References"}
MODE_INFO: dict[str, str] = {
    MODE_TEXT: "Describe the shot in words.",
    MODE_FRAMES: "Animate a picture: a first frame, and optionally the last one.",
    MODE_REFERENCES: "Keep a character, a place, a camera move or a sound: images, videos and audio, "
    "named by @tags.",
}
TIER_INFO = "Fast is quicker and cheaper; Mini is the lightest (no published price yet)."
ADAPTIVE = "adaptive"
# An explicit aspect ratio further than this from the picture's (natural log of the ratio of ratios,
# about 4 %) crops or pads it: the frames note says so.
RATIO_TOLERANCE = 0.04
MAX_URLS = 3  # per kind, as options.MODEL_SPECS says for every references model


def spec_of(model: Any) -> ModelSpec:
    """The model's row of the grid (the default model's for an unknown id)."""
    known = isinstance(model, str) and model in MODEL_SPECS
    return MODEL_SPECS[model] if known else MODEL_SPECS[DEFAULT_MODEL]


def mode_of(model: Any) -> str:
    return spec_of(model).mode


def tier_choices(mode: str) -> list[tuple[str, str]]:
    """The tier radio's choices in `mode`: (tier label, model id)."""
    return [(tier, model_id(mode, tier)) for tier in TIERS]


def switch_mode(model: Any, mode: str) -> str:
    """The model id of the same tier in another mode."""
    return model_id(mode if mode in MODE_LABELS else MODE_TEXT, spec_of(model).tier)


def quality_for(model: Any, quality: Any) -> str:
    """`quality` when the model offers it, else the default (every model offers it)."""
    qualities = spec_of(model).qualities
    return quality if isinstance(quality, str) and quality in qualities else DEFAULT_QUALITY


def url_lines(text: Any, limit: int = MAX_URLS) -> tuple[str, ...]:
    """The non-empty lines of a URL box, at most `limit` + 1 (so "too many" still shows as such)."""
    if not isinstance(text, str):
        return ()
    return tuple(line.strip() for line in text.splitlines() if line.strip())[: limit + 1]


def gallery_paths(value: Any) -> tuple[str, ...]:
    """Image paths of a gallery's value (Gradio gives (path, caption) pairs), in the gallery's order."""
    if not value:
        return ()
    out = []
    for item in value:
        path = item[0] if isinstance(item, list | tuple) else item
        if isinstance(path, str | Path) and str(path):
            out.append(str(path))
    return tuple(out)


def input_counts(images: Sequence[str], videos: Sequence[str], audios: Sequence[str]) -> dict[str, int]:
    """What the prompt lint needs to know about the references: how many of each kind."""
    return {"image": len(images), "video": len(videos), "audio": len(audios)}


# --------------------------------------------------------------------------------------------------
# Frames: what a dropped picture is


@dataclass(frozen=True)
class Picture:
    """A dropped frame as measured: size, format, and the rule it breaks (field label first) if any."""

    width: int
    height: int
    format: str | None
    problem: str | None = None

    @property
    def ratio(self) -> float:
        return self.width / self.height if self.height else 0.0

    @property
    def nearest(self) -> str:
        return nearest_aspect_ratio(self.width, self.height) if self.width and self.height else ADAPTIVE


def measure_picture(path: Any, field: str) -> Picture | None:
    """Measure a dropped image (header only, Pillow); None when there is none. Reads the file: call it
    from a queued event, never from the per-keystroke ones."""
    if not isinstance(path, str) or not path:
        return None
    info = measure_image(Path(path))
    problem = image_problem(field, info)
    width, height = getattr(info, "width", 0) or 0, getattr(info, "height", 0) or 0
    return Picture(width, height, getattr(info, "format", None), problem.rule if problem else None)


def ratio_value(aspect_ratio: str) -> float | None:
    """16:9 -> 1.777…; None for adaptive or anything that is not w:h."""
    try:
        w, h = (int(x) for x in aspect_ratio.split(":"))
    except (AttributeError, ValueError):
        return None
    return w / h if h else None


def ratio_mismatch(picture: Picture | None, aspect_ratio: str) -> bool:
    """True when an explicit aspect ratio is not the picture's own (the model would crop or pad it)."""
    wanted = ratio_value(aspect_ratio)
    if picture is None or wanted is None or not picture.ratio:
        return False
    return abs(math.log(picture.ratio / wanted)) > RATIO_TOLERANCE
