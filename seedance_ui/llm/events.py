"""What the crafting service answers: streamed pieces, a finished suggestion, a failure, a shot plan.

Plain frozen dataclasses (no Gradio, no SDK types), shared by the service and the page (`ui/assist/`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """Who asks; built by the UI from the request exactly as generation builds its owner.

    `signed_in` is informational: the key policy reads the owner (`hf:<user>` is signed in), as
    generation's does, so a caller cannot claim it."""

    owner: str  # the visitor's owner id (same as jobs' owner)
    address: str  # hashed client address (same as the budget and rate limits use)
    visitor_key: str | None  # the visitor's own Evolink key if set on the key panel, else None
    signed_in: bool = False


@dataclass(frozen=True)
class Delta:
    """A streamed piece of the suggestion (control characters already removed)."""

    text: str


@dataclass(frozen=True)
class Done:
    """The full suggestion, guarded (tags, cast names and dialogue kept; within the limits)."""

    text: str
    tokens: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failed:
    """One line: what happened and what to do. The prompt stays as it was."""

    message: str


CraftEvent = Delta | Done | Failed


@dataclass(frozen=True)
class PlannedShot:
    """One proposed shot; `cast` names are the board's spelling (or the new names of `unknown_cast`)."""

    title: str
    prompt: str
    duration: int
    continues: bool
    cast: tuple[str, ...]


@dataclass(frozen=True)
class ShotPlan:
    """A script as shots, validated by the board's rules; `unknown_cast`: names the board has no entry for."""

    shots: tuple[PlannedShot, ...]
    unknown_cast: tuple[str, ...]
    tokens: int
