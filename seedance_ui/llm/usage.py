"""Chat tokens per visitor per UTC day: reserved before a call (its input estimate plus its output cap),
settled to the provider's count after it, and refused before the call when the day's cap would be passed.

A signed-in visitor is one subject (their account); anyone else is bound by owner AND client address, as
the video budgets are, so fresh cookies do not reset the cap. The cap binds calls on the server's key (and
the demo simulator); a visitor's own key is counted for display but never capped (it is their money). The
ledger is the `llm_usage` table of the studio's database; reserve and check are one transaction.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

from seedance_ui.jobs.budget import next_utc_midnight, utc_day
from seedance_ui.llm.events import Caller
from seedance_ui.security.owners import is_signed_in_owner
from seedance_ui.store import Database, new_job_id

CHARS_PER_TOKEN = 3  # a cautious estimate (English runs ~4 characters a token, Chinese ~1-2)


def estimate_tokens(texts: Sequence[str], max_output: int) -> int:
    """What a call may cost at most: its input, estimated from its length, plus its output cap."""
    return math.ceil(sum(len(t) for t in texts) / CHARS_PER_TOKEN) + max_output


def subject_address(caller: Caller) -> str | None:
    """The address the limits bind besides the owner (None for a signed-in visitor: their account)."""
    if is_signed_in_owner(caller.owner) or not caller.address or caller.address == caller.owner:
        return None
    return caller.address


class TokenLedger:
    """Reserve, settle and read a visitor's chat tokens of the day."""

    def __init__(self, db: Database, daily_cap: int, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self.daily_cap = daily_cap
        self._clock = clock

    def reserve(self, caller: Caller, tokens: int, *, capped: bool) -> str | None:
        """A call id with `tokens` counted, or None when the cap does not cover them (nothing counted)."""
        now = self._clock()
        row = {"id": new_job_id(), "owner": caller.owner, "address": subject_address(caller),
               "day": utc_day(now), "reserved": int(tokens), "used": None, "capped": int(capped),
               "created_at": now}
        return row["id"] if self._db.reserve_llm_tokens(row, cap=self.daily_cap) else None

    def settle(self, call_id: str, used: int) -> None:
        self._db.settle_llm_tokens(call_id, max(0, int(used)))

    def used_today(self, caller: Caller) -> int:
        """Tokens counted against the cap today: the owner's or the address's, whichever is more."""
        day = utc_day(self._clock())
        used = self._db.llm_tokens(day, caller.owner, capped_only=True)
        address = subject_address(caller)
        if address is not None:
            used = max(used, self._db.llm_tokens(day, address=address, capped_only=True))
        return used

    def refusal(self, caller: Caller, tokens: int) -> str:
        """One line for a call the cap refused."""
        resets = time.strftime("%H:%M UTC", time.gmtime(next_utc_midnight(self._clock())))
        return (f"Today's model allowance is used up: {self.used_today(caller):,} of {self.daily_cap:,} "
                f"tokens, and this needs up to {tokens:,}. It resets at {resets}; with your own Evolink "
                "key there is no cap. Your prompt is unchanged.")
