"""Keeping keys out of logs and out of text we store or show.

`protect_logs(secret)` registers a secret (the server's API key) with a log-record factory installed once
per process: any record whose message, arguments or exception text contains a registered secret, or an
`Authorization: Bearer …` value, is rewritten with `***` before any handler sees it. The code never
logs a key on purpose; this is the net under that rule, for every logger (ours, httpx, Gradio, uvicorn).

`scrub(text, secrets)` does the same for provider texts before they are stored in the history.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Iterable
from typing import Any

from seedance_ui.client.errors import redact

MIN_SECRET_CHARS = 8  # shorter strings (e.g. the demo key "demo") would mangle ordinary words

_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False


def scrub(text: Any, secrets: Iterable[str | None] = ()) -> Any:
    """`text` with each secret (and any bearer token) replaced by `***`; non-strings unchanged."""
    if not isinstance(text, str) or not text:
        return text
    return redact(text, [s for s in secrets if s and len(s) >= MIN_SECRET_CHARS])


def _needs_redaction(text: str, secrets: Iterable[str]) -> bool:
    return any(s in text for s in secrets) or "bearer " in text.lower()


def protect_logs(*secrets: str | None) -> None:
    """Register secrets and make sure the redacting record factory is installed (idempotent)."""
    global _installed
    with _lock:
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET_CHARS:
                _secrets.add(secret)
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            try:
                _redact_record(record)
            except Exception:  # never break logging itself
                record.msg, record.args = "[log record withheld: it could not be checked for secrets]", None
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def registered_secrets() -> frozenset[str]:
    with _lock:
        return frozenset(_secrets)


def _redact_record(record: logging.LogRecord) -> None:
    secrets = registered_secrets()
    message = record.getMessage() if record.args else str(record.msg)
    if _needs_redaction(message, secrets):
        cleaned = redact(message, secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info))
        if _needs_redaction(text, secrets):
            cleaned = redact(text, secrets)
            if cleaned != text:
                record.msg = f"{record.getMessage()}\n{cleaned.rstrip()}"
                record.args, record.exc_info, record.exc_text = None, None, None
