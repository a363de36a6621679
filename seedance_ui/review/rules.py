"""The review's limits, its refusals, and its rules for text: one place for each.

Every limit is a field of `Limits` with its default here; `ReviewService` takes a `Limits` (tests pass
smaller or larger ones). A refusal a reviewer or owner should read is a `ReviewRefused` whose message
names the field and the rule; it never holds a token, a passphrase or a path.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

DEFAULT_EXPIRY_DAYS = 7
MIN_EXPIRY_DAYS, MAX_EXPIRY_DAYS = 1, 90
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 256 bits
MAX_PASSPHRASE_CHARS = 200
MAX_NOTE_CHARS = 2_000
MAX_REVIEWER_CHARS = 60


@dataclass(frozen=True)
class Limits:
    """How much one link, owner or client address may do."""

    max_active_links: int = 50  # per owner: links neither revoked nor expired
    max_notes_per_link: int = 2_000  # a link's notes, ever (its share of the one database)
    notes_per_minute: int = 30  # per link
    max_statuses_per_link: int = 2_000  # (take, reviewer) pairs a link has set a status for
    statuses_per_minute: int = 30  # per link
    failed_opens: int = 20  # per client address ...
    failed_open_window: float = 600.0  # ... within this many seconds


DEFAULT_LIMITS = Limits()


class ReviewRefused(ValueError):
    """Something a reviewer or owner asked that is not done; `message` says why, for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LinkClosed(ReviewRefused):
    """A token that opens nothing: wrong, revoked, expired, or its board is gone (one answer for all)."""

    MESSAGE = "This review link does not open anything: it is wrong, expired or revoked."

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


class PassphraseNeeded(ReviewRefused):
    """The link is protected by a passphrase, and none or a wrong one was given."""

    MESSAGE = "This review link needs its passphrase."

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


class TooManyTries(ReviewRefused):
    """This client address failed to open links too often lately."""

    def __init__(self, minutes: int) -> None:
        super().__init__(f"Too many review links that did not open from here: try again in {minutes} min.")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean_text(value: object, field: str = "Note", limit: int = MAX_NOTE_CHARS) -> str:
    """A note's text as kept: plain text (HTML stays text; pages escape it), line breaks as \\n, other
    control characters removed, stripped; ReviewRefused when empty or longer than `limit`."""
    if not isinstance(value, str):
        raise ReviewRefused(f"{field}: must be text.")
    if len(value) > limit * 4:  # far too long: refused before any work on it
        raise ReviewRefused(f"{field}: at most {limit:,} characters (this one has {len(value):,}).")
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise ReviewRefused(f"{field}: write something (it is empty).")
    if len(text) > limit:
        raise ReviewRefused(f"{field}: at most {limit:,} characters (this one has {len(text):,}).")
    return text


def clean_name(value: object, field: str = "Your name") -> str:
    """A reviewer's display name: one line, control characters removed, spaces collapsed, NFC;
    ReviewRefused when empty or longer than MAX_REVIEWER_CHARS."""
    if not isinstance(value, str) or len(value) > MAX_REVIEWER_CHARS * 4:
        raise ReviewRefused(f"{field}: a name of at most {MAX_REVIEWER_CHARS} characters.")
    name = " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", value)).split())
    if not name:
        raise ReviewRefused(f"{field}: give a name, so others know who wrote it.")
    if len(name) > MAX_REVIEWER_CHARS:
        raise ReviewRefused(f"{field}: at most {MAX_REVIEWER_CHARS} characters (this one has {len(name)}).")
    return name


def clean_seconds(value: object, duration: float) -> float:
    """A note's time in its take: a number within 0..duration (rounded to milliseconds)."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ReviewRefused("Time: must be a number of seconds.") from None
    if not math.isfinite(seconds) or seconds < 0 or seconds > duration + 1e-6:
        raise ReviewRefused(f"Time: must lie within the take, 0:00 to {timecode(duration)}.")
    return round(min(seconds, duration), 3)


def timecode(seconds: float) -> str:
    """m:ss for people (0:02, 1:05, 12:00): whole seconds, rounded down."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"
