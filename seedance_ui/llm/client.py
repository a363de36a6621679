"""The OpenAI SDK client for a key: the chat endpoint's base URL (the simulator's for the demo key), one
client per key kept for reuse (its connection pool is what makes a second call cheap).

A key lives only in this process's memory, inside its client; the pool keeps at most `MAX_CLIENTS`. The
SDK is imported on the first call, not at start (it adds a quarter of a second to a cold start).
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from seedance_ui.config import Settings
from seedance_ui.jobs.keys import DEMO_API_KEY

if TYPE_CHECKING:
    import openai

MAX_CLIENTS = 64  # clients kept (one per key in use); the least recently used one is closed beyond it
MAX_RETRIES = 1  # the SDK's own retries of a connection error, 408, 409, 429 or 5xx (with its backoff)


def chat_base_url(settings: Settings, simulator_url: str | None, api_key: str) -> str:
    """The SDK's base URL (with /v1) for a key: the simulator's for the demo key in demo mode, else
    SEEDANCE_LLM_BASE_URL's."""
    demo = bool(simulator_url) and api_key == DEMO_API_KEY
    base = simulator_url if demo else settings.llm_base_url
    return f"{str(base).rstrip('/')}/v1"


def make_client(
    base_url: str, api_key: str, *, timeout: float, max_retries: int = MAX_RETRIES
) -> openai.OpenAI:
    """An SDK client for one key (`base_url` ends with /v1)."""
    import openai

    return openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=max_retries)


class ClientPool:
    """Clients by (base URL, key), least recently used closed beyond `limit`; thread-safe."""

    def __init__(self, settings: Settings, simulator_url: str | None, *, timeout: float | None = None,
                 max_retries: int = MAX_RETRIES, limit: int = MAX_CLIENTS) -> None:
        self._settings = settings
        self._simulator_url = simulator_url
        self._timeout = settings.llm_timeout if timeout is None else timeout
        self._max_retries = max_retries
        self._limit = limit
        self._lock = threading.Lock()
        self._clients: OrderedDict[tuple[str, str], openai.OpenAI] = OrderedDict()

    def get(self, api_key: str) -> openai.OpenAI:
        base_url = chat_base_url(self._settings, self._simulator_url, api_key)
        slot = (base_url, api_key)
        with self._lock:
            client = self._clients.get(slot)
            if client is not None:
                self._clients.move_to_end(slot)
                return client
            client = self._clients[slot] = make_client(
                base_url, api_key, timeout=self._timeout, max_retries=self._max_retries
            )
            evicted = self._clients.popitem(last=False)[1] if len(self._clients) > self._limit else None
        if evicted is not None:
            with contextlib.suppress(Exception):
                evicted.close()
        return client

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients:
            with contextlib.suppress(Exception):
                client.close()
