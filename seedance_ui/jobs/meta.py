"""What the job manager keeps beside the history: key source and webhook token of each job.

Rows live in the studio's one database (`job_meta`, see seedance_ui/store), reached through its methods.
The API key itself is never written anywhere: only where it came from ("server", "demo", "visitor").
"""

from __future__ import annotations

from pathlib import Path

from seedance_ui.store import JobMeta, open_database

KEY_SERVER = "server"  # settings.api_key
KEY_DEMO = "demo"  # demo mode: the built-in simulator's key
KEY_VISITOR = "visitor"  # a key typed by the visitor: held in memory only
KEY_SOURCES = frozenset({KEY_SERVER, KEY_DEMO, KEY_VISITOR})

__all__ = ["KEY_DEMO", "KEY_SERVER", "KEY_SOURCES", "KEY_VISITOR", "JobMeta", "MetaStore"]


class MetaStore:
    """The manager's bookkeeping of one data directory; thread-safe (the database serialises access)."""

    def __init__(self, data_dir: Path, database_url: str = "") -> None:
        self._db = open_database(data_dir, database_url)

    def add(self, job_id: str, key_source: str, webhook_token: str | None) -> None:
        if key_source not in KEY_SOURCES:
            raise ValueError(f"unknown key source {key_source!r}")
        self._db.put_job_meta(JobMeta(job_id, key_source, webhook_token))

    def get(self, job_id: str) -> JobMeta | None:
        return self._db.get_job_meta(job_id)

    def tokens(self) -> dict[str, str]:
        """Live webhook tokens: token -> job_id."""
        return self._db.webhook_tokens()

    def drop_token(self, job_id: str) -> None:
        """Forget a finished job's webhook token: later deliveries for it are ignored."""
        self._db.drop_webhook_token(job_id)

    def delete(self, job_id: str) -> None:
        self._db.delete_job_meta(job_id)

    def close(self) -> None:
        self._db.close()
