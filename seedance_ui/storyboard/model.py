"""The storyboard data model: a board of ordered shots, each with its takes (jobs)."""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedance_ui.options import (
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
)
from seedance_ui.storyboard.cast import MAX_CAST, name_problem
from seedance_ui.storyboard.validation import (
    FROM_LAST_FRAME,
    FROM_VIDEO,
    ShotProblem,
    board_problems,
    effective_request,
    name_key,
)

if TYPE_CHECKING:
    from seedance_ui.client import GenerationRequest

DEFAULT_TITLE = "Untitled storyboard"
MAX_SHOTS = 500
MAX_TITLE_CHARS = 200
# What a board keeps of a shot's prompt: far past the studio's sending cap (settings.max_prompt_chars), so a
# long paste is kept whole and the shot says what to trim (validation.shot_problems) instead of a silent cut.
MAX_PROMPT_CHARS = 100_000
MAX_STYLE_CHARS = 2_000

_ID_RE = re.compile(r"[0-9a-f]{32}")


class StoryboardError(ValueError):
    """A storyboard operation or input that cannot be carried out."""


class BoardFormatError(StoryboardError):
    """Input that is not a valid storyboard; `where` names the place (a JSON path or a CSV row/column)."""

    def __init__(self, where: str, problem: str, *, row: int | None = None, column: str | None = None):
        self.where = where
        self.problem = problem
        self.row = row
        self.column = column
        super().__init__(f"{where}: {problem}" if where else problem)


def new_id() -> str:
    """A fresh id: uuid4 hex (32 lowercase hex characters)."""
    return uuid.uuid4().hex


def is_valid_id(value: object) -> bool:
    """True for ids shaped like `new_id()` output (safe inside a file name)."""
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None


def check_id(value: object, what: str = "id") -> str:
    """`value` itself when it is a valid id; StoryboardError otherwise."""
    if not is_valid_id(value):
        raise StoryboardError(f"invalid {what} {value!r}: expected 32 lowercase hex characters")
    return value  # type: ignore[return-value]


@dataclass
class Take:
    """One generation of a shot: a job of the job manager."""

    job_id: str
    id: str = field(default_factory=new_id)
    created_at: float = field(default_factory=time.time)
    params: dict[str, Any] | None = None  # the request as submitted (GenerationRequest.to_params())
    starts_from: str | None = None  # a chained take: the job id of the previous shot's take it continues
    cast: list[str] = field(default_factory=list)  # the names of the cast entries it was sent with


@dataclass
class CastEntry:
    """A named reference image of the board ("Mara", "the lighthouse", "film stock").

    The image is kept once per content under the board's media folder (see cast.py), as
    `<sha256><suffix>`; the entry only names it. An entry a script brought has no picture yet (`sha256`
    and `suffix` ""): it is on the board and can be ticked, but a shot that ticks it is not sent.
    """

    name: str
    sha256: str = ""
    suffix: str = ""  # ".png", ".jpg" or ".webp"; "" without a picture
    id: str = field(default_factory=new_id)

    @property
    def has_picture(self) -> bool:
        return bool(self.sha256)

    @property
    def file_name(self) -> str:
        """`<sha256><suffix>` in the cast folder; "" for an entry without a picture yet."""
        return f"{self.sha256}{self.suffix}" if self.sha256 else ""


@dataclass
class Shot:
    """One shot; model/quality/generate_audio of None follow the board's settings."""

    title: str = ""
    prompt: str = ""
    duration: int = DEFAULT_DURATION
    model: str | None = None
    quality: str | None = None
    generate_audio: bool | None = None
    takes: list[Take] = field(default_factory=list)
    chosen_take: str | None = None
    chosen_by_user: bool = False  # True: the user picked chosen_take, automation leaves it alone
    cast: list[str] = field(default_factory=list)  # ids of the board's cast entries it uses
    chain: bool = False  # starts where the previous shot's chosen take ends (see `continues`)
    continues: str = FROM_LAST_FRAME  # a chain from the take's last frame, or (FROM_VIDEO) its whole video
    notice: str = ""  # why the last Generate did not send it (a chain stopped before it)
    extends: str | None = None  # continues the video of this job (a take of another shot) as @video1
    extend_seconds: float = 0.0  # that video's length: billed as input seconds
    id: str = field(default_factory=new_id)

    @property
    def continues_video(self) -> bool:
        """Chained to the previous shot's take as @video1 (an extension planned before that take exists)."""
        return self.chain and self.continues == FROM_VIDEO and not self.extends

    @property
    def continues_frame(self) -> bool:
        """Chained to the previous shot's take by its last frame (this shot's first frame)."""
        return self.chain and self.continues != FROM_VIDEO and not self.extends

    def take(self, take_id: str) -> Take:
        """The take with this id; KeyError when there is none."""
        for take in self.takes:
            if take.id == take_id:
                return take
        raise KeyError(take_id)

    def take_for_job(self, job_id: str) -> Take | None:
        return next((t for t in self.takes if t.job_id == job_id), None)

    @property
    def chosen(self) -> Take | None:
        """The chosen take, or None."""
        if self.chosen_take is None:
            return None
        return next((t for t in self.takes if t.id == self.chosen_take), None)


@dataclass
class Board:
    """A storyboard: board-wide settings and an ordered list of shots."""

    owner: str
    title: str = DEFAULT_TITLE
    aspect_ratio: str = DEFAULT_ASPECT_RATIO
    quality: str = DEFAULT_QUALITY
    model: str = DEFAULT_MODEL
    style: str = ""  # appended to every prompt as ", <style>"
    generate_audio: bool = DEFAULT_GENERATE_AUDIO
    shots: list[Shot] = field(default_factory=list)
    cast: list[CastEntry] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # chained shots a Generate still has to send
    pending_since: float = 0.0  # when that Generate started: takes sent since count as its own
    chain_key: str = ""  # the key source that Generate used ("visitor", "server", "demo"; "": unknown)
    chain_address: str | None = None  # the hashed client address it was sent from (per-visitor limits)
    id: str = field(default_factory=new_id)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    # The owner's board folder (cast images, chain frames); set by BoardStore, never saved in the JSON.
    media_dir: Path | None = field(default=None, compare=False, repr=False)

    # --- lookup ------------------------------------------------------------------------------------

    def touch(self) -> None:
        """Mark the board as changed now."""
        self.updated_at = max(time.time(), self.updated_at)

    def index_of(self, shot_id: str) -> int:
        """0-based position of a shot; KeyError when it is not on this board."""
        for i, shot in enumerate(self.shots):
            if shot.id == shot_id:
                return i
        raise KeyError(shot_id)

    def shot(self, shot_id: str) -> Shot:
        return self.shots[self.index_of(shot_id)]

    def number_of(self, shot_id: str) -> int:
        """1-based shot number as people see it."""
        return self.index_of(shot_id) + 1

    def cast_entry(self, entry_id: str) -> CastEntry:
        """The cast entry with this id; KeyError when there is none."""
        for entry in self.cast:
            if entry.id == entry_id:
                return entry
        raise KeyError(entry_id)

    def cast_of(self, shot: Shot) -> list[CastEntry]:
        """The cast entries a shot ticked, in the board's cast order (ids no longer on the board skipped)."""
        ticked = set(shot.cast)
        return [entry for entry in self.cast if entry.id in ticked]

    def previous(self, shot: Shot) -> Shot | None:
        """The shot before this one, or None for the first."""
        index = self.index_of(shot.id)
        return self.shots[index - 1] if index > 0 else None

    def input_video_seconds(self, shot: Shot) -> float:
        """The seconds of video the shot sends as @video1 (billed as input): an extension's take, or the
        previous shot's length for a shot chained to its video (0 for every other shot)."""
        if shot.extends:
            return shot.extend_seconds
        previous = self.previous(shot) if shot.continues_video else None
        return float(previous.duration) if previous is not None else 0.0

    def find_take(self, job_id: str) -> tuple[Shot, Take] | None:
        """The shot and take that reference a job id, or None."""
        for shot in self.shots:
            take = shot.take_for_job(job_id)
            if take is not None:
                return shot, take
        return None

    def take_label(self, job_id: str) -> str | None:
        """"shot 2, take 1" for the take of a job id; None when no shot has it."""
        found = self.find_take(job_id)
        if found is None:
            return None
        shot, take = found
        return f"shot {self.number_of(shot.id)}, take {shot.takes.index(take) + 1}"

    # --- operations ---------------------------------------------------------------------------------

    def add_shot(self, shot: Shot | None = None, *, index: int | None = None, **fields: Any) -> Shot:
        """Insert a shot (a new one built from `fields` when none is given) at `index` or the end."""
        if len(self.shots) >= MAX_SHOTS:
            raise StoryboardError(f"a storyboard holds at most {MAX_SHOTS} shots")
        if shot is None:
            shot = Shot(**fields)
        elif fields:
            raise TypeError("pass either a Shot or its fields, not both")
        if any(s.id == shot.id for s in self.shots):
            raise StoryboardError(f"shot {shot.id} is already on this board")
        position = len(self.shots) if index is None else max(0, min(index, len(self.shots)))
        self.shots.insert(position, shot)
        self.touch()
        return shot

    def duplicate_shot(self, shot_id: str) -> Shot:
        """A copy of a shot (same prompt and settings, no takes) right after it."""
        src = self.shot(shot_id)
        copy = Shot(
            title=src.title,
            prompt=src.prompt,
            duration=src.duration,
            model=src.model,
            quality=src.quality,
            generate_audio=src.generate_audio,
            cast=list(src.cast),
            chain=src.chain,
            continues=src.continues,
        )
        return self.add_shot(copy, index=self.index_of(shot_id) + 1)

    def delete_shot(self, shot_id: str) -> Shot:
        """Remove a shot and return it (its jobs stay in the history)."""
        shot = self.shots.pop(self.index_of(shot_id))
        if shot_id in self.pending:
            self.pending.remove(shot_id)
        self.touch()
        return shot

    def reorder(self, shot_id: str, index: int) -> None:
        """Move a shot to a 0-based position (clamped to the list)."""
        shot = self.shots.pop(self.index_of(shot_id))
        self.shots.insert(max(0, min(index, len(self.shots))), shot)
        self.touch()

    def move_shot(self, shot_id: str, delta: int) -> None:
        """Move a shot by `delta` places (negative: earlier); clamped at either end."""
        self.reorder(shot_id, self.index_of(shot_id) + delta)

    def move_up(self, shot_id: str) -> None:
        self.move_shot(shot_id, -1)

    def move_down(self, shot_id: str) -> None:
        self.move_shot(shot_id, 1)

    def add_cast(self, name: str, sha256: str = "", suffix: str = "") -> CastEntry:
        """A new named cast entry for an image already in the cast folder (see cast.store_cast_image);
        without `sha256`, an entry without a picture yet (`set_cast_picture` gives it one)."""
        return self.add_cast_entry(CastEntry(name=name, sha256=sha256, suffix=suffix))

    def add_cast_entry(self, entry: CastEntry) -> CastEntry:
        """Append `entry` (its name's white space collapsed) under the cast's rules: the count cap, a
        valid name no other entry has, an id of its own."""
        if len(self.cast) >= MAX_CAST:
            raise StoryboardError(f"a board's cast holds at most {MAX_CAST} images (what one request takes)")
        problem = name_problem(entry.name, [e.name for e in self.cast])
        if problem:
            raise StoryboardError(problem)
        if not is_valid_id(entry.id) or any(e.id == entry.id for e in self.cast):
            raise StoryboardError(f"cast entry {entry.id!r} is already on this board or not an id")
        entry.name = " ".join(entry.name.split())
        self.cast.append(entry)
        self.touch()
        return entry

    def cast_named(self, name: str) -> CastEntry | None:
        """The entry named `name` (as names compare: white space collapsed, case folded), or None."""
        key = name_key(name) if isinstance(name, str) else ""
        return next((e for e in self.cast if name_key(e.name) == key), None)

    def waiting_cast(self, name: str) -> CastEntry | None:
        """The entry named `name` that has no picture yet, or None."""
        entry = self.cast_named(name)
        return entry if entry is not None and not entry.has_picture else None

    def set_cast_picture(self, entry_id: str, sha256: str, suffix: str) -> CastEntry:
        """Give an entry its picture (an image already in the cast folder); KeyError for no such entry."""
        entry = self.cast_entry(entry_id)
        entry.sha256, entry.suffix = sha256, suffix
        self.touch()
        return entry

    def remove_cast(self, entry_id: str) -> CastEntry:
        """Remove a cast entry and untick it on every shot (its image file stays for other boards)."""
        entry = self.cast_entry(entry_id)
        self.cast.remove(entry)
        for shot in self.shots:
            if entry_id in shot.cast:
                shot.cast.remove(entry_id)
        self.touch()
        return entry

    # --- effective values ---------------------------------------------------------------------------

    def model_of(self, shot: Shot) -> str:
        return shot.model if shot.model is not None else self.model

    def quality_of(self, shot: Shot) -> str:
        return shot.quality if shot.quality is not None else self.quality

    def audio_of(self, shot: Shot) -> bool:
        return shot.generate_audio if shot.generate_audio is not None else self.generate_audio

    def effective_request(
        self, shot: Shot, first_frame: str | None = None, video_url: str | None = None
    ) -> GenerationRequest:
        """The request the shot sends (see validation.effective_request)."""
        return effective_request(self, shot, first_frame, video_url)

    def problems(self) -> list[ShotProblem]:
        """Every shot's problems, in shot order (see validation.board_problems)."""
        return board_problems(self)

    def settings(self) -> dict[str, Any]:
        """The board-wide settings as a JSON-safe dict."""
        return {
            "aspect_ratio": self.aspect_ratio,
            "quality": self.quality,
            "model": self.model,
            "style": self.style,
            "generate_audio": self.generate_audio,
        }


def slugify(text: str, fallback: str = "shot", max_len: int = 40) -> str:
    """A file-name-safe slug of `text`: lowercase ASCII letters, digits and single hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_len].strip("-")
    return slug or fallback
