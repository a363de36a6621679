"""Hosting safety: owners (who may see what), keys out of logs, and limits at our edge.

Budgets and the submission rate limit live with the job manager (`seedance_ui.jobs.budget`), which is
the one path every generation takes.
"""

from seedance_ui.security.edge import RequestSizeLimit, served_paths
from seedance_ui.security.owners import (
    API_OWNER,
    SIGNED_IN_PREFIX,
    is_signed_in_owner,
    log_id,
    owner_for,
    request_owner,
    signed_in_username,
)
from seedance_ui.security.redact import protect_logs, scrub

__all__ = [
    "API_OWNER",
    "SIGNED_IN_PREFIX",
    "RequestSizeLimit",
    "is_signed_in_owner",
    "log_id",
    "owner_for",
    "protect_logs",
    "request_owner",
    "scrub",
    "served_paths",
    "signed_in_username",
]
