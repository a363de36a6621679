"""The board's cast and looks: named reference images kept with the board, and how prompts name them.

How prompts name the entries (`@[Mara]`, sent as `@imageN`) is in validation.py, with the request.

Files: `<media_dir>/cast/<sha256><suffix>` (one copy per content, shared by the owner's boards) and
`<media_dir>/frames/<job_id>-last.png` (the last frame a chained shot starts from). `media_dir` is the
owner's boards folder (`BoardStore.owner_dir`).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from pathlib import Path

from seedance_ui.client.media_rules import image_problem, measure_image
from seedance_ui.options import IMAGE_FORMATS, MODE_REFERENCES, MODEL_SPECS, TIER_STANDARD, model_id
from seedance_ui.store import objects
from seedance_ui.storyboard.files import atomic_path
from seedance_ui.storyboard.validation import CAST_DIRNAME, MAX_CAST_NAME_CHARS, name_key

FRAMES_DIRNAME = "frames"
MAX_CAST = MODEL_SPECS[model_id(MODE_REFERENCES, TIER_STANDARD)].images[1]  # a references request's image cap
_SUFFIXES = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}


def frame_path(media_dir: Path | None, job_id: str) -> Path | None:
    """Where the last frame of a job's video is kept for the shot chained after it."""
    return Path(media_dir) / FRAMES_DIRNAME / f"{job_id}-last.png" if media_dir else None


def name_problem(name: str, taken: Sequence[str]) -> str | None:
    """Why `name` cannot name a new cast entry beside the names `taken` (None when it can)."""
    if not isinstance(name, str) or not name.strip():
        return "the cast name must not be empty"
    if len(name.strip()) > MAX_CAST_NAME_CHARS:
        return f"the cast name must be at most {MAX_CAST_NAME_CHARS} characters"
    if any(c in name for c in "[]@\n"):
        return "the cast name must not contain [, ], @ or line breaks"
    if name_key(name) in {name_key(t) for t in taken}:
        return f"the cast already has an entry named {name.strip()!r}"
    return None


def store_cast_image(media_dir: Path, source: Path) -> tuple[str, str]:
    """Copy an image into the cast folder once per content; (sha256, suffix).

    The image is measured first (Pillow) and refused with the provider's rule when it breaks one.
    """
    info = measure_image(source)
    problem = image_problem("cast image", info)
    if problem is not None:
        raise ValueError(f"{problem.field}: {problem.rule}")
    if info is None or info.format not in IMAGE_FORMATS:  # image_problem refuses these; typed for mypy
        raise ValueError(f"cast image: must be one of {', '.join(IMAGE_FORMATS)}")
    digest = hashlib.sha256(Path(source).read_bytes()).hexdigest()
    suffix = _SUFFIXES[info.format]
    return digest, store_bytes(media_dir, digest, suffix, None, source)


def store_bytes(
    media_dir: Path, digest: str, suffix: str, data: bytes | None, source: Path | None = None
) -> str:
    """Write a cast image (its bytes, or a copy of `source`) as `<digest><suffix>` unless it is there."""
    target = Path(media_dir) / CAST_DIRNAME / f"{digest}{suffix}"
    if not target.is_file():
        with atomic_path(target) as tmp:
            if data is not None:
                tmp.write_bytes(data)
            elif source is not None:
                shutil.copyfile(source, tmp)
        objects.file_written(target)  # into the bucket behind the data directory, when there is one
    return suffix
