"""Which key a chat call runs on, and whether it may run: the hosting rules generation follows.

The visitor's own key when they set one; else the server's key (or the demo simulator's) only where
generation would allow it: never with SEEDANCE_REQUIRE_USER_KEY, only for signed-in visitors with
sign-in on. A per-visitor rate limit (SEEDANCE_VISITOR_SUBMITS_PER_MINUTE, counted apart from
submissions) applies to every call, any key, per owner and per client address; its events are kept in the
database (scope "llm"), so it holds for the whole deployment, not per process.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from seedance_ui.client.errors import api_key_problem
from seedance_ui.config import Settings
from seedance_ui.jobs.budget import KEY_REQUIRED_MESSAGE, RATE_WINDOW_SECONDS, SIGN_IN_REQUIRED_MESSAGE
from seedance_ui.jobs.keys import DEMO_API_KEY
from seedance_ui.jobs.meta import KEY_DEMO, KEY_SERVER, KEY_VISITOR
from seedance_ui.llm.events import Caller
from seedance_ui.llm.usage import subject_address
from seedance_ui.security.owners import is_signed_in_owner
from seedance_ui.store import Database

LLM_SCOPE = "llm"  # the rate-limit events of chat calls (the store's limit_events)


@dataclass(frozen=True)
class KeyChoice:
    """The key a call runs on; `capped`: the daily token cap binds it (not the visitor's own key)."""

    key: str = field(repr=False)
    source: str

    @property
    def capped(self) -> bool:
        return self.source != KEY_VISITOR


class Refused(Exception):
    """The call may not run; `message` is the one line for the writer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Access:
    """Key policy and the per-visitor rate limit of chat calls; thread-safe. `db` keeps the rate limit's
    events (None: `choose_key` only)."""

    def __init__(self, settings: Settings, db: Database | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._settings = settings
        self._db = db
        self._clock = clock

    def choose_key(self, caller: Caller) -> KeyChoice:
        """The key for this caller, or Refused (no part of any key in the message)."""
        s = self._settings
        own = (caller.visitor_key or "").strip()
        if own and own != s.api_key:
            problem = api_key_problem(own)
            if problem is not None:
                raise Refused(f"Your Evolink key {problem}. Your prompt is unchanged.")
            return KeyChoice(own, KEY_VISITOR)
        if s.require_user_key:
            raise Refused(f"{KEY_REQUIRED_MESSAGE} Paste it in the key panel to use the model.")
        if s.sign_in and s.api_key and not is_signed_in_owner(caller.owner):
            raise Refused(SIGN_IN_REQUIRED_MESSAGE.replace("generate", "use the model"))
        return KeyChoice(s.api_key or DEMO_API_KEY, KEY_SERVER if s.api_key else KEY_DEMO)

    def admit(self, caller: Caller) -> None:
        """Count one call against the rate limit, or Refused when the visitor is over it."""
        per = self._settings.visitor_submits_per_minute
        if per <= 0:
            return
        if self._db is None:
            raise RuntimeError("Access needs the database to rate-limit calls")
        address = subject_address(caller)
        subjects = [caller.owner] if address is None else [caller.owner, address]
        use = self._db.hit_limit(LLM_SCOPE, subjects, secrets.token_hex(16), self._clock(),
                                 RATE_WINDOW_SECONDS, max_count=per)
        if use.refused is not None:
            raise Refused(f"Too many model requests: at most {per} a minute for each visitor. Wait "
                          f"{max(1, round(use.wait))} s, then try again. Your prompt is unchanged.")
