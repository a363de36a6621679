"""Error bodies of every shape, the typed hierarchy, hints, and key redaction."""

import pytest

from seedance_ui.client import (
    AuthenticationError,
    ConnectionFailedError,
    DownloadError,
    InsufficientCreditsError,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    SeedanceError,
    ServerError,
    SubmissionOutcomeUnknownError,
    Task,
    TaskFailedError,
    ValidationError,
    VideoExpiredError,
    parse_error_body,
    redact,
)
from seedance_ui.client.errors import ErrorBody, error_for_status


def test_nested_error_object():
    body = b'{"error": {"code": "invalid_parameters", "message": "duration must be 4-15",' \
           b' "type": "invalid_request_error", "param": "duration"}}'
    assert parse_error_body(body, "application/json") == ErrorBody(
        "duration must be 4-15", code="invalid_parameters", type="invalid_request_error", param="duration"
    )


@pytest.mark.parametrize(
    ("content", "content_type", "message", "code"),
    [
        (b'{"message": "Insufficient balance"}', "application/json", "Insufficient balance", None),
        (b'{"code": 402, "message": "no money"}', "application/json", "no money", "402"),
        (b'{"error": "bad key"}', "application/json", "bad key", None),
        (b'{"detail": "Not Found"}', "application/json", "Not Found", None),
        (b'{"error": {"code": "x"}}', "application/json", "", "x"),
        (b'"just a string"', "application/json", "just a string", None),
        (b"", "application/json", "", None),
        (b"   ", "text/plain", "", None),
        (b"upstream connect error", "text/plain", "upstream connect error", None),
        (b"{not json", "application/json", "{not json", None),
        (b"<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>",
         "text/html", "502 Bad Gateway", None),
        (b"<html><body><script>var x=1;</script><h1>Service   Unavailable</h1><p>Try later</p></body></html>",
         "text/html; charset=utf-8", "Service Unavailable Try later", None),
        (b"<!DOCTYPE html><html><title>Rate &amp; limit</title></html>", "", "Rate & limit", None),
    ],
)
def test_other_shapes(content, content_type, message, code):
    body = parse_error_body(content, content_type)
    assert body.message == message
    assert body.code == code


def test_long_bodies_are_shortened():
    body = parse_error_body(b"x" * 5000, "text/plain")
    assert len(body.message) <= 300
    assert parse_error_body(("<p>" + "word " * 500 + "</p>").encode(), "text/html").message.endswith("…")


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequestError),
        (422, InvalidRequestError),
        (401, AuthenticationError),
        (402, InsufficientCreditsError),
        (404, NotFoundError),
        (429, RateLimitedError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (418, SeedanceError),
    ],
)
def test_status_maps_to_a_class_with_message_and_hint(status, cls):
    error = error_for_status(status, ErrorBody("provider says no", code="c1"))
    assert type(error) is cls
    assert error.message == "provider says no" and str(error) == "provider says no"
    assert error.status_code == status and error.code == "c1"
    assert error.hint and "\n" not in error.hint


def test_empty_body_still_gives_a_readable_message():
    error = error_for_status(503, ErrorBody(""))
    assert "503" in error.message and "temporarily unavailable" in error.message


def test_specific_hints():
    assert error_for_status(402, ErrorBody("x")).hint == "Top up your Evolink credits, then try again."
    assert "EVOLINK_API_KEY" in error_for_status(401, ErrorBody("x")).hint
    assert SubmissionOutcomeUnknownError("lost").hint == (
        "The request reached the provider but the answer was lost; check your task list before submitting "
        "again — a resubmission may be charged twice."
    )
    limited = error_for_status(429, ErrorBody("slow down"), retry_after=7)
    assert isinstance(limited, RateLimitedError) and limited.retry_after == 7 and "7 s" in limited.hint
    invalid = error_for_status(400, ErrorBody("bad ratio", param="aspect_ratio"))
    assert isinstance(invalid, InvalidRequestError) and invalid.field == "aspect_ratio"
    assert "aspect_ratio" in invalid.hint
    assert "24 hours" in VideoExpiredError("gone").hint
    assert isinstance(VideoExpiredError("gone"), DownloadError)
    assert ConnectionFailedError("x").hint


def test_task_failed_error_carries_the_task_and_retryability():
    policy = Task.from_json({"id": "t", "status": "failed",
                             "error": {"code": "content_policy_violation", "message": "Face flagged."}})
    error = TaskFailedError(policy)
    assert error.task is policy and error.retryable is False
    assert error.message == "Face flagged." and error.code == "content_policy_violation"
    assert "rephrase" in error.hint.lower() and "not charged" in error.hint
    transient = TaskFailedError(Task.from_json({"id": "t", "status": "failed",
                                                "error": {"code": "service_unavailable"}}))
    assert transient.retryable is True and "service_unavailable" in transient.message
    bare = TaskFailedError(Task.from_json({"id": "t", "status": "failed"}))
    assert bare.message and bare.hint


def test_validation_error_is_also_a_value_error():
    error = ValidationError("duration", "must be a whole number of seconds from 4 to 15 (got 20)")
    assert isinstance(error, ValueError) and error.field == "duration"
    assert repr(error).startswith("ValidationError(")


def test_redact_removes_the_key_and_any_bearer_token():
    key = "sk-FAKE-0123456789abcdef"
    text = f"invalid key {key} (header was 'Authorization: Bearer {key}'), also Bearer other-token"
    out = redact(text, [key])
    assert key not in out and "other-token" not in out
    assert "***" in out


def test_error_for_status_redacts_echoed_secrets():
    key = "sk-FAKE-0123456789abcdef"
    error = error_for_status(401, ErrorBody(f"Invalid API key: {key}", code=key), secrets=[key])
    for text in (str(error), repr(error), error.message, error.hint, error.code or "", error.describe()):
        assert key not in text
