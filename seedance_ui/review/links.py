"""Share links: an unguessable token that opens one board for review, until it expires or is revoked.

The token (`secrets.token_urlsafe(TOKEN_BYTES)`, 256 bits) is handed out once by `share` and kept only
as its SHA-256; a passphrase only as a salted scrypt hash. `open` answers wrong, revoked and expired
tokens alike (None); `OpenLimiter` counts failed opens per client address.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from seedance_ui.review.rules import (
    DEFAULT_EXPIRY_DAYS,
    DEFAULT_LIMITS,
    MAX_EXPIRY_DAYS,
    MAX_PASSPHRASE_CHARS,
    MIN_EXPIRY_DAYS,
    TOKEN_BYTES,
    Limits,
    PassphraseNeeded,
    ReviewRefused,
    TooManyTries,
)
from seedance_ui.store.interface import Database
from seedance_ui.storyboard.model import check_id, new_id

DAY_SECONDS = 86_400
SALT_BYTES = 16
# scrypt at n=2**14, r=8: about 16 MiB and a few tens of ms per try, which is the point.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_MAX_TOKEN_CHARS = 200  # a token longer than any we make is not even hashed
MAX_TRACKED_ADDRESSES = 10_000  # the limiter forgets addresses whose failures left the window beyond this


@dataclass(frozen=True)
class Link:
    """A share link as its owner lists it (never the token). `ticket` is set only on a link that
    `ReviewService.open` opened: it lets the page's media route serve this link's videos."""

    id: str
    owner: str
    board_id: str
    show_prompts: bool
    has_passphrase: bool
    created_at: float
    expires_at: float
    last_opened_at: float | None = None
    revoked_at: float | None = None
    ticket: str = ""

    def open_at(self, now: float) -> bool:
        """Neither revoked nor expired at `now`."""
        return self.revoked_at is None and now < self.expires_at

    @classmethod
    def of(cls, row: dict[str, Any]) -> Link:
        return cls(
            id=row["id"], owner=row["owner"], board_id=row["board_id"],
            show_prompts=bool(row["show_prompts"]), has_passphrase=row["pass_hash"] is not None,
            created_at=row["created_at"],
            expires_at=row["expires_at"], last_opened_at=row["last_opened_at"], revoked_at=row["revoked_at"],
        )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _pass_hash(passphrase: str, salt: bytes) -> bytes:
    return hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, **_SCRYPT)


def check_days(value: object) -> int:
    """An expiry in whole days, MIN_EXPIRY_DAYS..MAX_EXPIRY_DAYS."""
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ReviewRefused(f"Expires in: a whole number of days, {MIN_EXPIRY_DAYS} to {MAX_EXPIRY_DAYS}.")
    if not MIN_EXPIRY_DAYS <= int(value) <= MAX_EXPIRY_DAYS:
        raise ReviewRefused(f"Expires in: {MIN_EXPIRY_DAYS} to {MAX_EXPIRY_DAYS} days (got {int(value)}).")
    return int(value)


def _passphrase(value: object) -> str | None:
    """The passphrase to keep (None or blank: none); refused when too long or not text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value) > MAX_PASSPHRASE_CHARS:
        raise ReviewRefused(f"Passphrase: text of at most {MAX_PASSPHRASE_CHARS} characters.")
    return value


def share(
    db: Database, owner: str, board_id: str, *, expires_in_days: int = DEFAULT_EXPIRY_DAYS,
    passphrase: str | None = None, show_prompts: bool = True, limits: Limits = DEFAULT_LIMITS,
    now: float | None = None,
) -> tuple[str, Link]:
    """A new link to the owner's board: (the token, shown once and never kept; the link)."""
    now = time.time() if now is None else now
    days, secret = check_days(expires_in_days), _passphrase(passphrase)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    salt = secrets.token_bytes(SALT_BYTES) if secret is not None else None
    row = {
        "id": new_id(), "owner": owner, "board_id": check_id(board_id, "board id"),
        "token_hash": token_hash(token), "pass_salt": salt,
        "pass_hash": _pass_hash(secret, salt) if secret is not None and salt is not None else None,
        "show_prompts": int(bool(show_prompts)), "created_at": now, "expires_at": now + days * DAY_SECONDS,
        "last_opened_at": None, "revoked_at": None,
    }
    if not db.insert_review_link(row, max_active=limits.max_active_links, now=now):
        raise ReviewRefused(
            f"Share: at most {limits.max_active_links} open review links at once; revoke one first."
        )
    return token, Link.of(row)


def links(db: Database, owner: str, board_id: str) -> list[Link]:
    """The owner's links to a board, newest first, whatever their state."""
    return [Link.of(row) for row in db.review_links(owner, board_id)]


def revoke(db: Database, owner: str, link_id: str, now: float | None = None) -> bool:
    """Revoke the owner's link at once; False when they have no such open link."""
    return db.revoke_review_link(owner, str(link_id), time.time() if now is None else now)


def open_link(db: Database, token: object, passphrase: str | None = None, now: float | None = None
              ) -> Link | None:
    """The link a token opens, its `last_opened_at` set to now; None for a wrong, revoked or expired
    token alike. PassphraseNeeded when the link has a passphrase and it was not given right."""
    now = time.time() if now is None else now
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_CHARS:
        return None
    row = db.review_link(token_hash=token_hash(token))
    if row is None or row["revoked_at"] is not None or now >= row["expires_at"]:
        return None
    if row["pass_hash"] is not None:
        given = passphrase if isinstance(passphrase, str) and len(passphrase) <= MAX_PASSPHRASE_CHARS else ""
        if not given or not hmac.compare_digest(_pass_hash(given, row["pass_salt"]), row["pass_hash"]):
            raise PassphraseNeeded()
    db.touch_review_link(row["id"], now)
    return Link.of({**row, "last_opened_at": now})


def current(db: Database, link_id: str, now: float | None = None) -> Link | None:
    """The link as it is now (no `last_opened_at` change), None when it no longer opens."""
    row = db.review_link(link_id=link_id)
    link = None if row is None else Link.of(row)
    return link if link is not None and link.open_at(time.time() if now is None else now) else None


class OpenLimiter:
    """Failed opens per client address (in memory): `check` before an open, `failed` after one failed.

    At most `limits.failed_opens` failures per address within `limits.failed_open_window` seconds;
    then `check` raises TooManyTries until the oldest failure leaves the window.
    """

    def __init__(self, limits: Limits = DEFAULT_LIMITS, clock: Any = time.monotonic) -> None:
        self.limits, self.clock = limits, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        found = self._failures.get(address, deque())
        while found and found[0] <= now - self.limits.failed_open_window:
            found.popleft()
        if not found:
            self._failures.pop(address, None)
        return found

    def check(self, address: str | None) -> None:
        """TooManyTries when this address failed too often lately (None: not limited)."""
        if address is None:
            return
        with self._lock:
            now = self.clock()
            found = self._recent(address, now)
            if len(found) >= self.limits.failed_opens:
                wait = found[0] + self.limits.failed_open_window - now
                raise TooManyTries(max(1, int(wait // 60) + 1))

    def failed(self, address: str | None) -> None:
        if address is None:
            return
        with self._lock:
            now = self.clock()
            if len(self._failures) >= MAX_TRACKED_ADDRESSES:
                for known in list(self._failures):
                    self._recent(known, now)
            self._failures.setdefault(address, self._recent(address, now)).append(now)
