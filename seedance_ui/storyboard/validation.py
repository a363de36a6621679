"""What a shot sends (board settings plus overrides) and what is wrong with it, per field.

The rules read a board through the `BoardLike` protocol (which `model.Board` satisfies) and import
nothing else of the storyboard package: model.py uses them for `Board.effective_request()` and
`Board.problems()`, and the dependency runs one way only, model -> validation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from seedance_ui.client.request import GenerationRequest
from seedance_ui.options import MODE_FRAMES, MODE_REFERENCES, MODEL_SPECS, model_id
from seedance_ui.prompt_rules import prompt_over_limit
from seedance_ui.store import objects

# What a chained shot's request carries as its first frame while the previous shot's take is not done
# (planning and the SENT AS preview only: a chained shot is sent with the real frame file).
PENDING_FRAME = "https://pending.invalid/last-frame-of-the-previous-shot.png"
# What an extension carries as its @video1 until it is sent (the provider link is read from the job then).
PENDING_VIDEO = "https://pending.invalid/the-take-to-extend.mp4"
EXTEND_LINE = "Continue @video1 seamlessly from its last moment. "
# How a chained shot continues the previous shot's take: from its last frame (a frames request, or the
# frame as @image1 with a cast), or its whole video as @video1 (a references request, like an extension).
FROM_LAST_FRAME = "frame"
FROM_VIDEO = "video"
CONTINUES = (FROM_LAST_FRAME, FROM_VIDEO)

CAST_DIRNAME = "cast"  # the cast images, under the owner's boards folder (`media_dir`)
MAX_CAST_NAME_CHARS = 60
MENTION_RE = re.compile(rf"@\[([^\[\]\n]{{1,{MAX_CAST_NAME_CHARS}}})\]")
FIRST_FRAME_LINE = "@image1 as the first frame. "  # a chained shot with a cast: its frame leads the images
# What a cast entry without a picture yet (a name a script brought) stands for in a request: planning and the
# SENT AS preview keep its @imageN; a shot that ticks it is a problem (`no_picture`), so it is never sent.
PENDING_PICTURE = "https://pending.invalid/cast-picture-not-added-yet.png"
NO_PICTURE_FIELD = "cast"  # the field of that problem (a shot can be added to a board with it)


class CastLike(Protocol):
    """What the prompt rules read of a cast entry (see `model.CastEntry`; `file_name` is "" for an
    entry without a picture yet)."""

    name: str

    @property
    def file_name(self) -> str: ...


def mention(name: str) -> str:
    """How a prompt names a cast entry (what its chip inserts); sent as that shot's `@imageN`."""
    return f"@[{name}]"


def name_key(name: str) -> str:
    """A cast name as names are compared: white space collapsed, case folded."""
    return " ".join(name.split()).casefold()


def cast_path(media_dir: Path | None, entry: CastLike) -> str:
    """The local file of a cast entry's image (just its name when the board has no folder yet);
    PENDING_PICTURE for an entry without a picture yet."""
    if not entry.file_name:
        return PENDING_PICTURE
    if not media_dir:
        return entry.file_name
    path = Path(media_dir) / CAST_DIRNAME / entry.file_name
    objects.file_needed(path)  # fetched from the bucket when this replica lacks it
    return str(path)


def no_picture(entry: CastLike) -> str:
    """Why a shot that ticks `entry`, a cast entry without a picture yet, cannot be sent."""
    return f"Cast “{entry.name}” has no picture yet: add one in Cast and looks"


def sent_prompt(prompt: str, entries: Sequence[CastLike], first_tag: int = 1) -> str:
    """`prompt` with each `@[name]` of a ticked entry replaced by its tag (`@image<first_tag + i>`)."""
    numbers = {name_key(e.name): first_tag + i for i, e in enumerate(entries)}

    def tag(match: re.Match[str]) -> str:
        number = numbers.get(name_key(match.group(1)))
        return f"@image{number}" if number is not None else match.group(0)

    return MENTION_RE.sub(tag, prompt)


def mention_problem(prompt: str, entries: Sequence[CastLike], cast: Sequence[CastLike]) -> str | None:
    """Why a `@[name]` in the prompt cannot be sent: no such entry, or the shot does not use it."""
    used = {name_key(e.name) for e in entries}
    known = {name_key(e.name) for e in cast}
    for match in MENTION_RE.finditer(prompt):
        key = name_key(match.group(1))
        if key not in known:
            return f"{match.group(0)} names no cast entry of this board"
        if key not in used:
            return f"{match.group(0)} is not ticked for this shot: tick it in its cast or remove the name"
    return None



class ShotLike(Protocol):
    """What the rules read of a shot (see `model.Shot`)."""

    id: str
    prompt: str
    duration: int
    chain: bool
    continues: str
    extends: str | None

    @property
    def continues_video(self) -> bool: ...


S = TypeVar("S", bound=ShotLike)


class BoardLike(Protocol[S]):
    """What the rules read of a board (see `model.Board`): settings, shots and per-shot overrides."""

    style: str
    aspect_ratio: str
    media_dir: Path | None

    @property
    def shots(self) -> Sequence[S]: ...
    def model_of(self, shot: S) -> str: ...
    def quality_of(self, shot: S) -> str: ...
    def audio_of(self, shot: S) -> bool: ...
    def number_of(self, shot_id: str) -> int: ...
    @property
    def cast(self) -> Sequence[CastLike]: ...
    def cast_of(self, shot: S) -> Sequence[CastLike]: ...


@dataclass(frozen=True)
class ShotProblem:
    """One broken rule of one shot; `field` is a GenerationRequest field name."""

    shot_id: str
    number: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"Shot {self.number} — {self.field}: {self.message}"


def compose_prompt(prompt: str, style: str) -> str:
    """The prompt as sent: `prompt, style` when a style line is set (empty prompt stays empty)."""
    prompt, style = prompt.strip(), style.strip()
    if not prompt or not style:
        return prompt
    return f"{prompt}, {style}"


def effective_request(
    board: BoardLike[S], shot: S, first_frame: str | None = None, video_url: str | None = None
) -> GenerationRequest:
    """The request a shot sends: its prompt plus the style line, board settings unless overridden.

    A shot with cast entries ticked becomes a references request (their images in the board's cast
    order, `@[name]` sent as `@imageN`); a chained shot starts from `first_frame` (PENDING_FRAME when
    not known yet): a frames request, or with a cast a references request whose `@image1` is the frame.
    An extension (`shot.extends`, a fixed take) or a shot chained to the previous shot's video
    (`continues_video`) is a references request continuing `@video1` (`video_url`, the take's provider
    link; PENDING_VIDEO until it is sent), its cast as images.
    The model keeps the tier of the board's (or shot's) model and takes the mode the inputs need.
    """
    entries = list(board.cast_of(shot))
    images = [cast_path(board.media_dir, e) for e in entries]
    prompt = compose_prompt(shot.prompt, board.style)
    frame, mode = None, MODE_REFERENCES if entries else None
    videos: tuple[str, ...] = ()
    if shot.extends or shot.continues_video:
        videos, mode = (video_url or PENDING_VIDEO,), MODE_REFERENCES
        prompt = EXTEND_LINE + prompt
    elif shot.chain:
        frame = first_frame or PENDING_FRAME
        mode = MODE_REFERENCES if entries else MODE_FRAMES
    if entries:
        first_tag = 2 if frame else 1
        prompt = sent_prompt(prompt, entries, first_tag)
        if frame:
            prompt, images, frame = FIRST_FRAME_LINE + prompt, [frame, *images], None
    model = board.model_of(shot)
    spec = MODEL_SPECS.get(model)
    if mode is not None and spec is not None:
        model = model_id(mode, spec.tier)
    return GenerationRequest(
        prompt=prompt,
        model=model,
        duration=shot.duration,
        quality=board.quality_of(shot),
        aspect_ratio=board.aspect_ratio,
        generate_audio=board.audio_of(shot),
        first_frame=frame,
        reference_images=tuple(images),
        reference_video_urls=videos,
    )


def shot_problems(board: BoardLike[S], shot: S, max_prompt_chars: int | None = None) -> list[ShotProblem]:
    """Every rule the shot's effective request breaks (an empty prompt counts even with a style), and,
    given the studio's `max_prompt_chars` (the edge cap the job manager holds every prompt to), a prompt
    as sent that is longer: how long, and what to trim (the Studio's counter says it in the same words)."""
    number = board.number_of(shot.id)
    request = effective_request(board, shot)
    out = [ShotProblem(shot.id, number, err.field, err.rule) for err in request.problems()]
    if max_prompt_chars is not None and len(request.prompt) > max_prompt_chars:
        said = prompt_over_limit(len(request.prompt), max_prompt_chars)
        out.insert(0, ShotProblem(shot.id, number, "prompt", said))  # first: what the studio refuses first
    problem = mention_problem(shot.prompt, board.cast_of(shot), board.cast)
    if problem is not None:
        out.append(ShotProblem(shot.id, number, "prompt", problem))
    for entry in board.cast_of(shot):
        if not entry.file_name:
            out.append(ShotProblem(shot.id, number, NO_PICTURE_FIELD, no_picture(entry)))
    if shot.chain and not shot.extends and number == 1:
        out.append(ShotProblem(shot.id, number, "chain", "the first shot has no previous shot to start from"))
    return out


def board_problems(board: BoardLike[S]) -> list[ShotProblem]:
    """Problems of every shot, in shot order."""
    return [p for shot in board.shots for p in shot_problems(board, shot)]
