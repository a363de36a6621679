"""Typed errors: each carries the provider's message and a one-line hint for the user.

`str(error)` is safe to show: provider text is redacted of the API key before it gets here.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import astuple, dataclass
from typing import TYPE_CHECKING, Any

from seedance_ui.options import (
    MEDIA_FAILURE_CODES,
    MODEL_SPECS,
    PERMANENT_FAILURE_CODES,
    TRANSIENT_FAILURE_CODES,
)

if TYPE_CHECKING:
    from seedance_ui.client.task import Task

MAX_MESSAGE_CHARS = 500


class SeedanceError(Exception):
    """Base of every client error."""

    default_hint = "Try again in a moment; if it keeps happening, check the provider's status page."

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status_code: int | None = None,
        code: str | None = None,
    ) -> None:
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        self.status_code = status_code
        self.code = code
        super().__init__(message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        parts = [repr(self.message)]
        if self.status_code is not None:
            parts.append(f"status_code={self.status_code}")
        if self.code:
            parts.append(f"code={self.code!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def describe(self) -> str:
        """The message and the hint, for a user-facing notice."""
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class ValidationError(SeedanceError, ValueError):
    """A request field breaks a rule; raised before any network call."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}", hint=f"Fix the {field} field, then submit again.")


class AuthenticationError(SeedanceError):
    """401: the API key is missing or wrong."""

    default_hint = "Check your Evolink API key (EVOLINK_API_KEY), then try again."


class InsufficientCreditsError(SeedanceError):
    """402: not enough balance."""

    default_hint = "Top up your Evolink credits, then try again."


class InvalidRequestError(SeedanceError):
    """400/422: the provider rejected the request; `.field` when it names one."""

    default_hint = "Change the request as the message says, then submit again."

    def __init__(self, message: str, *, field: str | None = None, **kw: Any) -> None:
        self.field = field
        if field and kw.get("hint") is None:
            kw["hint"] = f"Change the {field} field as the message says, then submit again."
        super().__init__(message, **kw)


class NotFoundError(SeedanceError):
    """404: the provider does not know this task."""

    default_hint = "Check the task ID; a task made with a different API key is not visible with this one."


class RateLimitedError(SeedanceError):
    """429: rate or concurrency limit; `.retry_after` seconds when the provider said."""

    default_hint = "Too many requests or videos at once; wait a moment, then try again."

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        if retry_after and kw.get("hint") is None:
            kw["hint"] = f"Too many requests or videos at once; wait {retry_after:g} s, then try again."
        super().__init__(message, **kw)


class ServerError(SeedanceError):
    """5xx or a response we cannot read."""

    default_hint = "The provider had a temporary problem; try again in a minute."


class SubmissionOutcomeUnknownError(SeedanceError):
    """The create request was sent but the answer was lost: a task may exist (and be charged)."""

    default_hint = (
        "The request reached the provider but the answer was lost; check your task list before "
        "submitting again — a resubmission may be charged twice."
    )


class UploadError(SeedanceError):
    """The file API refused or failed an upload; nothing was created."""

    default_hint = (
        "The image could not be uploaded to the provider's file API; nothing was created or charged. "
        "Check the image (JPEG, PNG or WebP), then try again."
    )


class TaskFailedError(SeedanceError):
    """The task ended as failed; `.task` is its last snapshot, `.retryable` says if it was transient."""

    def __init__(self, task: Task) -> None:
        self.task = task
        code = task.error_code
        self.retryable = code in TRANSIENT_FAILURE_CODES
        message = task.error_message or (f"The video generation failed ({code})." if code else None)
        super().__init__(
            message or "The video generation failed without a reason from the provider.",
            hint=failure_hint(code, with_media=_takes_media(task.model)),
            code=code,
        )


def _takes_media(model: str | None) -> bool:
    spec = MODEL_SPECS.get(model or "")
    return bool(spec and spec.takes_media)


class DownloadError(SeedanceError):
    """The finished video could not be saved."""

    default_hint = "Try the download again; the provider's link stays valid for 24 hours."


class VideoExpiredError(DownloadError):
    """403/404/410 on the video URL: the link has expired or was revoked."""

    default_hint = "The video link has expired (links last 24 hours); generate the video again."


class ConnectionFailedError(SeedanceError):
    """The API could not be reached (connection refused, DNS, timeout)."""

    default_hint = "Check your internet connection and EVOLINK_BASE_URL, then try again."


_MEDIA_HINTS = {
    "content_policy_violation": (
        "An input or the generated video was flagged (for example a photorealistic person or a "
        "celebrity in an image): use a different picture (AI-generated people are accepted) or rephrase "
        "the prompt, then submit again. Failed tasks are not charged."
    ),
    "image_processing_error": (
        "An input could not be read: check that each URL is public and still valid and that each image "
        "is a JPEG, PNG or WebP (not HEIC or AVIF), then submit again. Failed tasks are not charged."
    ),
    "image_dimension_mismatch": (
        "The image does not fit the aspect ratio: choose adaptive, or crop the image to the ratio, then "
        "submit again. Failed tasks are not charged."
    ),
    "invalid_parameters": (
        "An input breaks a rule (file type, size, pixels or length): change it as the message says, "
        "then submit again. Failed tasks are not charged."
    ),
}


def failure_hint(code: str | None, *, with_media: bool = False) -> str:
    """What the user can do after a failed task with this provider code (inputs named if given)."""
    if code in _MEDIA_HINTS and (with_media or code in MEDIA_FAILURE_CODES):
        return _MEDIA_HINTS[code]
    if code == "content_policy_violation":
        return (
            "The prompt or the generated video was flagged; rephrase the prompt (avoid real people, "
            "violence, brands) and submit again. Failed tasks are not charged."
        )
    if code in PERMANENT_FAILURE_CODES:
        return "Change the request as the message says, then submit again. Failed tasks are not charged."
    if code in TRANSIENT_FAILURE_CODES:
        return "This is usually temporary; submit again in a few minutes. Failed tasks are not charged."
    return "Submit again; if it fails again, change the prompt. Failed tasks are not charged."


# --------------------------------------------------------------------------------------------------
# Redaction

_BEARER = re.compile(r"(?i)\bBearer\s+[^\s\"',;]+")


# Pieces of a secret this long or longer are redacted on their own too (a key with a space or a line
# break in it reaches error texts in pieces).
MIN_SECRET_PIECE = 6


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret (and every longer whitespace-separated piece of one) and any bearer
    token replaced by `***`."""
    for secret in secrets:
        if not secret:
            continue
        text = text.replace(secret, "***")
        for piece in secret.split():
            if len(piece) >= MIN_SECRET_PIECE:
                text = text.replace(piece, "***")
    return _BEARER.sub("Bearer ***", text)


MAX_API_KEY_CHARS = 512


def api_key_problem(key: str) -> str | None:
    """Why `key` cannot be an API key (it would not fit in an HTTP header as one token), else None.
    The answer never contains any part of the key."""
    if len(key) > MAX_API_KEY_CHARS:
        return f"must be at most {MAX_API_KEY_CHARS} characters (got {len(key)})"
    if any(c.isspace() for c in key):
        return "must not contain spaces or line breaks: copy the key again, as one piece"
    if any(not c.isprintable() or ord(c) > 126 for c in key):
        return "must contain only printable ASCII characters: copy the key again from your dashboard"
    return None


# --------------------------------------------------------------------------------------------------
# Error bodies

@dataclass(frozen=True)
class ErrorBody:
    """What an error response said, whatever its shape."""

    message: str
    code: str | None = None
    type: str | None = None
    param: str | None = None


_TAG = re.compile(r"<[^>]*>")
_SCRIPT = re.compile(r"(?is)<(script|style)\b.*?</\1\s*>")
_TITLE = re.compile(r"(?is)<title[^>]*>(.*?)</title\s*>")
_SPACE = re.compile(r"\s+")


def _short(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def html_text(body: str) -> str:
    """The title of an HTML page, else its visible text, shortened."""
    match = _TITLE.search(body)
    title = _short(html.unescape(_TAG.sub(" ", match.group(1)))) if match else ""
    if title:
        return title
    return _short(html.unescape(_TAG.sub(" ", _SCRIPT.sub(" ", body))), 200)


def _from_json(data: Any) -> ErrorBody | None:
    if not isinstance(data, dict):
        text = _str(data)
        return ErrorBody(_short(text)) if text else None
    err = data.get("error")
    if isinstance(err, dict):
        message = _str(err.get("message")) or _str(err.get("msg")) or _str(data.get("message"))
        code = _str(err.get("code")) or _str(data.get("code"))
        return ErrorBody(
            _short(message) if message else "",
            code=code,
            type=_str(err.get("type")),
            param=_str(err.get("param")) or _str(err.get("field")),
        )
    message = (
        _str(err)
        or _str(data.get("message"))
        or _str(data.get("error_message"))
        or _str(data.get("msg"))
        or _str(data.get("detail"))
    )
    code = _str(data.get("code")) or _str(data.get("error_code"))
    if message is None and code is None:
        return None
    return ErrorBody(
        _short(message) if message else "",
        code=code,
        type=_str(data.get("type")),
        param=_str(data.get("param")) or _str(data.get("field")),
    )


def parse_error_body(content: bytes | str, content_type: str = "") -> ErrorBody:
    """Message, code, type and param from a nested or flat JSON error, an HTML page, text or nothing."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    stripped = text.strip()
    if not stripped:
        return ErrorBody("")
    if "json" in content_type.lower() or stripped[:1] in "{[\"":
        try:
            parsed = _from_json(json.loads(stripped))
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed
    if "html" in content_type.lower() or stripped[:1] == "<":
        return ErrorBody(html_text(stripped))
    return ErrorBody(_short(stripped, 300))


_STATUS_TEXT = {
    400: "The request was rejected as invalid",
    401: "The API key was rejected",
    402: "Insufficient credits",
    403: "Access was denied",
    404: "Not found",
    405: "The provider does not allow this call",
    409: "The request conflicts with the task's state",
    422: "The request was rejected as invalid",
    429: "Too many requests",
    500: "The provider had an internal error",
    502: "Bad gateway in front of the provider",
    503: "The provider is temporarily unavailable",
    504: "The gateway in front of the provider timed out",
}


def status_text(status: int) -> str:
    return _STATUS_TEXT.get(status, "The provider had an internal error" if status >= 500 else "Error")


def error_for_status(
    status: int,
    body: ErrorBody,
    *,
    retry_after: float | None = None,
    secrets: Iterable[str] = (),
) -> SeedanceError:
    """The typed error for an HTTP status and its parsed body, with secrets redacted."""
    secrets = tuple(secrets)
    body = ErrorBody(*(redact(v, secrets) if v else v for v in astuple(body)))
    message = body.message or f"{status_text(status)} (HTTP {status}, no message from the provider)."
    kw: dict[str, Any] = {"status_code": status, "code": body.code}
    if status == 401:
        return AuthenticationError(message, **kw)
    if status == 402:
        return InsufficientCreditsError(message, **kw)
    if status in (400, 422):
        return InvalidRequestError(message, field=body.param, **kw)
    if status == 404:
        return NotFoundError(message, **kw)
    if status == 429:
        return RateLimitedError(message, retry_after=retry_after, **kw)
    if status >= 500:
        return ServerError(message, **kw)
    if status == 403:
        return AuthenticationError(message, hint="Check that your API key may use this model and call.", **kw)
    return SeedanceError(message, **kw)
