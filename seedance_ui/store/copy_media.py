"""Moving an existing studio's media into a bucket (#22, item 8): `copy_media(data_dir, media)`.

`python -m seedance_ui.store copy --to postgresql://... --media s3://bucket/prefix` runs it after the
database copy. Every media file of the data directory (videos, posters, input pictures, exports, and the
storyboards' cast pictures and chain frames) is put under its data-dir relative path, as the studio
itself puts them (store/objects.py). A file whose object is already there with the same size is skipped,
so running it twice copies nothing the second time; hidden files (partial writes, export sidecars) and
the boards' JSON backups are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from seedance_ui.store.objects import MediaStore

MEDIA_DIRS = ("videos", "posters", "inputs", "exports")  # every file below these is media
BOARD_MEDIA_DIRS = ("cast", "frames")  # below boards/<owner folder>/: the storyboards' pictures


@dataclass(frozen=True)
class MediaCopy:
    copied: int  # files put into the bucket
    present: int  # files the bucket had already (same size)
    copied_bytes: int


def media_files(data_dir: Path) -> Iterator[Path]:
    """Every media file under `data_dir` (not hidden, no symlinks), in a stable order."""
    roots = [data_dir / name for name in MEDIA_DIRS]
    boards = data_dir / "boards"
    if boards.is_dir():
        roots += [owner / name for owner in sorted(boards.iterdir()) if not owner.name.startswith(".")
                  for name in BOARD_MEDIA_DIRS]
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            hidden = any(part.startswith(".") for part in path.relative_to(data_dir).parts)
            if path.is_file() and not path.is_symlink() and not hidden:
                yield path


def copy_media(data_dir: Path, media: MediaStore) -> MediaCopy:
    """Put every media file of `data_dir` the bucket lacks (or holds at another size); MediaError
    (objects.py) when a put fails: run it again, what is there is skipped."""
    data_dir = Path(data_dir).expanduser().resolve()
    there = media.sizes()
    copied = present = copied_bytes = 0
    for path in media_files(data_dir):
        rel, size = path.relative_to(data_dir).as_posix(), path.stat().st_size
        if there.get(rel) == size:
            present += 1
            continue
        media.put(rel, path)
        copied += 1
        copied_bytes += size
    return MediaCopy(copied, present, copied_bytes)
