"""Error bodies in the styles providers and proxies send, and realistic task-failure messages."""

from __future__ import annotations

import json
from http import HTTPStatus

ERROR_STYLES = ("nested", "flat", "html", "empty")

# status -> (code, type, message): what the provider's gateway usually says.
_DEFAULTS: dict[int, tuple[str, str, str]] = {
    400: ("invalid_parameters", "invalid_request_error", "Invalid request parameters"),
    401: ("invalid_api_key", "authentication_error", "Invalid API key. Check the Authorization header."),
    402: ("insufficient_quota", "billing_error", "Insufficient balance: please top up your credits."),
    403: ("forbidden", "permission_error", "You do not have access to this resource."),
    404: ("not_found", "invalid_request_error", "The requested resource was not found."),
    405: ("method_not_allowed", "invalid_request_error", "Method not allowed."),
    409: ("conflict", "invalid_request_error", "The request conflicts with the current state."),
    413: ("request_too_large", "invalid_request_error", "Request body too large."),
    429: ("rate_limit_exceeded", "rate_limit_error", "Too many requests: rate or concurrency limit reached."),
    500: ("internal_error", "api_error", "Internal server error. Please try again later."),
    502: ("bad_gateway", "upstream_error", "Bad gateway: the upstream service did not answer."),
    503: ("service_unavailable", "api_error", "The service is temporarily unavailable."),
    504: ("gateway_timeout", "upstream_error", "Gateway timeout: the upstream service took too long."),
}

FAILURE_MESSAGES: dict[str, str] = {
    "content_policy_violation": (
        "The request was blocked by the content safety system: the prompt or the generated video or "
        "audio may contain sensitive content. Please revise the prompt and try again."
    ),
    "invalid_parameters": "The task parameters were rejected by the video model.",
    "generation_timeout": "Video generation timed out. Please try again later.",
    "quota_exceeded": "Upstream quota exceeded for this model. Please try again later.",
    "resource_exhausted": "Generation resources are temporarily exhausted. Please try again later.",
    "service_error": "The video generation service encountered an internal error.",
    "service_unavailable": "The video generation service is temporarily unavailable.",
    "request_cancelled": "The task was cancelled at the user's request.",
    "image_processing_error": (
        "Failed to process the input image: the URL could not be fetched, or the file is corrupt or in an "
        "unsupported format (HEIC, AVIF)."
    ),
    "image_dimension_mismatch": "The input image does not match the requested aspect_ratio.",
}
# With media inputs, the content check looks at the inputs first.
MEDIA_FAILURE_MESSAGES: dict[str, str] = {
    "content_policy_violation": (
        "The input image was rejected by the content safety system: photorealistic people detected."
    ),
}


def failure_message(code: str, with_media: bool = False) -> str:
    """What a failed task's error.message says for `code` (inputs named when the task had media)."""
    if with_media and code in MEDIA_FAILURE_MESSAGES:
        return MEDIA_FAILURE_MESSAGES[code]
    return FAILURE_MESSAGES.get(code, f"Video generation failed ({code}).")


def default_error(status: int) -> tuple[str, str, str]:
    """(code, type, message) the provider would send with `status`."""
    if status in _DEFAULTS:
        return _DEFAULTS[status]
    kind = "api_error" if status >= 500 else "invalid_request_error"
    return "error", kind, _reason(status)


def error_body(
    status: int,
    style: str = "nested",
    *,
    code: str | None = None,
    message: str | None = None,
    param: str | None = None,
) -> tuple[bytes, str | None]:
    """(body, content type) of an error answer in `style`; content type None means no body."""
    default_code, kind, default_message = default_error(status)
    code, message = code or default_code, message or default_message
    if style == "flat":
        return _json({"message": message}), "application/json"
    if style == "html":
        return _html(status), "text/html; charset=utf-8"
    if style == "empty":
        return b"", None
    error: dict[str, str] = {"code": code, "message": message, "type": kind}
    if param is not None:
        error["param"] = param
    return _json({"error": error}), "application/json"


def _json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _html(status: int) -> bytes:
    title = f"{status} {_reason(status)}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    ).encode()
