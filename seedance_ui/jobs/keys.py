"""Which API key each job uses, and one client per key.

The server key (or the demo key in demo mode) comes from the settings. A visitor's own key lives
only in this process's memory (job_id -> key), never in the history, the meta file or a log line;
only its source ("server", "demo", "visitor") is written down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from seedance_ui.client.errors import ValidationError, api_key_problem
from seedance_ui.config import Settings
from seedance_ui.jobs.meta import KEY_DEMO, KEY_SERVER, KEY_VISITOR

if TYPE_CHECKING:
    from seedance_ui.client.api import SeedanceClient

# The key sent in demo mode (no server key): the built-in simulator accepts any bearer token.
DEMO_API_KEY = "demo"

ClientFactory = Callable[[str], "SeedanceClient"]


class KeyRing:
    """Thread-safe map of job -> key (source), plus a client per key (made on the jobs loop)."""

    def __init__(self, settings: Settings, factory: ClientFactory) -> None:
        self._settings = settings
        self._factory = factory
        self._lock = threading.Lock()
        self._keys: dict[str, str] = {}  # job_id -> visitor key
        self._sources: dict[str, str | None] = {}  # job_id -> key source (None: unknown)
        self._clients: dict[str, SeedanceClient] = {}

    @property
    def server_source(self) -> str:
        return KEY_SERVER if self._settings.api_key else KEY_DEMO

    @property
    def server_key(self) -> str:
        return self._settings.api_key or DEMO_API_KEY

    def classify(self, api_key: str | None) -> tuple[str, str | None]:
        """(source, visitor key or None) for a key given with a submission (None: the server's)."""
        if api_key is not None and not isinstance(api_key, str):
            raise TypeError("api_key must be a string")
        key = (api_key or "").strip()
        if not key or key == self._settings.api_key:
            return self.server_source, None
        problem = api_key_problem(key)
        if problem is not None:  # refused before the job is written: nothing is sent
            raise ValidationError("api_key", problem)
        return KEY_VISITOR, key

    def assign(self, job_id: str, source: str | None, visitor_key: str | None = None) -> None:
        with self._lock:
            self._sources[job_id] = source
            if visitor_key:
                self._keys[job_id] = visitor_key

    def source_of(self, job_id: str) -> str | None:
        with self._lock:
            return self._sources.get(job_id)

    def key_for(self, job_id: str) -> str | None:
        """The job's key, or None when it was a visitor's key that this process no longer holds."""
        with self._lock:
            key = self._keys.get(job_id)
            source = self._sources.get(job_id)
        if key:
            return key
        return self.server_key if source == self.server_source else None

    def client(self, key: str) -> SeedanceClient:
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = self._factory(key)
        return client

    def client_for(self, job_id: str) -> SeedanceClient | None:
        key = self.key_for(job_id)
        return self.client(key) if key else None

    def server_client(self) -> SeedanceClient:
        return self.client(self.server_key)

    def forget(self, job_id: str) -> SeedanceClient | None:
        """Drop the job's key; returns its client when no other job needs it (for the caller to close)."""
        with self._lock:
            key = self._keys.pop(job_id, None)
            self._sources.pop(job_id, None)
            if key is None or key == self.server_key or key in self._keys.values():
                return None
            return self._clients.pop(key, None)

    def take_clients(self) -> list[SeedanceClient]:
        """Every client, removed from the ring (for closing at stop)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        return clients
