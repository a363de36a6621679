"""Provider callbacks: per-job secret tokens, callback URLs, and the token -> job lookup.

A callback is only a hint (no signature is documented): the manager confirms every delivery with a
GET of the task before acting, so a forged or repeated delivery can at worst cause one extra poll.
"""

from __future__ import annotations

import secrets
import threading
from urllib.parse import urlsplit

from seedance_ui.client.request import callback_url_problem

WEBHOOK_PREFIX = "/webhooks/seedance/"
WEBHOOK_ROUTE = WEBHOOK_PREFIX + "{token}"
# With webhooks on, polling stays as the fallback at this many times the usual interval.
WEBHOOK_POLL_SLOWDOWN = 4.0


def webhooks_enabled(public_url: str) -> bool:
    """True when `public_url` is an https URL the provider may call back."""
    if not public_url or urlsplit(public_url).scheme.lower() != "https":
        return False
    return callback_url_problem(callback_url(public_url, "x" * 32)) is None


def new_token() -> str:
    """An unguessable URL-safe token (192 bits)."""
    return secrets.token_urlsafe(24)


def callback_url(public_url: str, token: str) -> str:
    return public_url.rstrip("/") + WEBHOOK_PREFIX + token


class TokenRegistry:
    """Thread-safe token -> job_id map (the in-memory copy of the meta table's live tokens)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_token: dict[str, str] = {}
        self._by_job: dict[str, str] = {}

    def add(self, token: str, job_id: str) -> None:
        with self._lock:
            self._by_token[token] = job_id
            self._by_job[job_id] = token

    def job_for(self, token: str) -> str | None:
        if not isinstance(token, str):
            return None
        with self._lock:
            return self._by_token.get(token)

    def token_for(self, job_id: str) -> str | None:
        with self._lock:
            return self._by_job.get(job_id)

    def drop(self, job_id: str) -> None:
        with self._lock:
            token = self._by_job.pop(job_id, None)
            if token is not None:
                self._by_token.pop(token, None)
