"""Async client for the Seedance 2.0 API: text, frames and references, with uploads (no UI imports)."""

from seedance_ui.client.api import SeedanceClient
from seedance_ui.client.download import looks_like_mp4
from seedance_ui.client.errors import (
    AuthenticationError,
    ConnectionFailedError,
    DownloadError,
    ErrorBody,
    InsufficientCreditsError,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    SeedanceError,
    ServerError,
    SubmissionOutcomeUnknownError,
    TaskFailedError,
    UploadError,
    ValidationError,
    VideoExpiredError,
    failure_hint,
    parse_error_body,
    redact,
)
from seedance_ui.client.inputs import MeasuredInputs
from seedance_ui.client.polling import PollSchedule
from seedance_ui.client.request import (
    GenerationRequest,
    callback_url_problem,
    count_chinese_chars,
    count_english_words,
)
from seedance_ui.client.retry import RetryPolicy, parse_retry_after
from seedance_ui.client.task import Task, TaskStatus
from seedance_ui.client.uploads import MemoryUploadCache, UploadCache, UploadedFile, key_identity

__all__ = [
    "AuthenticationError",
    "ConnectionFailedError",
    "DownloadError",
    "ErrorBody",
    "GenerationRequest",
    "InsufficientCreditsError",
    "InvalidRequestError",
    "MeasuredInputs",
    "MemoryUploadCache",
    "NotFoundError",
    "PollSchedule",
    "RateLimitedError",
    "RetryPolicy",
    "SeedanceClient",
    "SeedanceError",
    "ServerError",
    "SubmissionOutcomeUnknownError",
    "Task",
    "TaskFailedError",
    "TaskStatus",
    "UploadCache",
    "UploadError",
    "UploadedFile",
    "ValidationError",
    "VideoExpiredError",
    "callback_url_problem",
    "count_chinese_chars",
    "count_english_words",
    "failure_hint",
    "key_identity",
    "looks_like_mp4",
    "parse_error_body",
    "parse_retry_after",
    "redact",
]
