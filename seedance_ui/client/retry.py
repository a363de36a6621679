"""Retry policy: jittered exponential backoff with per-wait and total caps, honouring Retry-After."""

from __future__ import annotations

import email.utils
import math
import random
import time
from dataclasses import dataclass, field

import httpx

# Statuses worth retrying on a safe (GET, download) call.
RETRY_STATUSES = frozenset({429, 502, 503, 504})

# Transport errors raised before any byte of the request left: safe to retry even a create.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; tests pass tiny delays."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_total: float = 60.0
    jitter: float = 0.5
    statuses: frozenset[int] = field(default=RETRY_STATUSES)

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based), before Retry-After."""
        delay = min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1))
        spread = (rng or random).uniform(1.0 - self.jitter, 1.0) if self.jitter else 1.0
        return max(0.0, delay * spread)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """The wait before the next attempt: the backoff, but never less than Retry-After."""
        wait = self.backoff(attempt)
        return max(wait, retry_after) if retry_after is not None else wait


class RetryState:
    """Tracks one call's attempts against a policy."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.attempt = 0
        self.started = time.monotonic()

    def next_wait(self, retry_after: float | None = None) -> float | None:
        """Seconds to sleep before another attempt, or None when the budget is spent."""
        self.attempt += 1
        if self.attempt >= self.policy.max_attempts:
            return None
        wait = self.policy.delay(self.attempt, retry_after)
        if time.monotonic() - self.started + wait > self.policy.max_total:
            return None
        return wait


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
