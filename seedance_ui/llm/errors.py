"""The SDK's typed errors as one line for the writer: what happened and what to do, never the key.

The provider's own message is left out on purpose (it may quote the request or the key); the status and
the error's kind say enough.
"""

from __future__ import annotations

NOTHING_CHANGED = "Your prompt is unchanged."


def describe(exc: BaseException) -> str:
    """One line for an SDK error (or any other exception) of a chat call."""
    return f"{_what(exc)} {NOTHING_CHANGED}"


def is_sdk_error(exc: BaseException) -> bool:
    """An error of the SDK (a failed call), as opposed to a bug of ours."""
    import openai

    return isinstance(exc, openai.OpenAIError)


def _what(exc: BaseException) -> str:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "The model did not answer in time: try again, or with a shorter text."
    if isinstance(exc, openai.APIConnectionError):
        return "The model's service could not be reached: check the connection and try again."
    if isinstance(exc, openai.AuthenticationError):
        return "The model's service refused the key (401): check the key in the key panel."
    if isinstance(exc, openai.APIStatusError) and exc.status_code == 402:
        return "The key's balance is too low for the model (402): top up your Evolink credits."
    if isinstance(exc, openai.PermissionDeniedError):
        return "The key may not use this model (403): check the model setting or the key's access."
    if isinstance(exc, openai.RateLimitError):
        return "The model's service is busy or rate-limited (429): wait a minute and try again."
    if isinstance(exc, openai.NotFoundError):
        return "The model or its endpoint was not found (404): check SEEDANCE_LLM_MODEL and the base URL."
    if isinstance(exc, openai.BadRequestError):
        return "The model's service refused the request (400): try a shorter or simpler text."
    if isinstance(exc, openai.InternalServerError):
        return f"The model's service failed ({exc.status_code}): try again in a moment."
    if isinstance(exc, openai.APIStatusError):
        return f"The model's service answered with an error ({exc.status_code}): try again in a moment."
    if isinstance(exc, openai.APIResponseValidationError):
        return "The model's service answered in an unexpected shape: try again."
    return "The model could not be asked because of an internal error: try again in a moment."
