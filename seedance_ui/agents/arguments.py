"""The agent tools' names and argument rules, checked before anything is created.

`argument_problems(tool, arguments)` lists every broken rule as "field: rule", the same words the page and
`/generate` use (GenerationRequest.problems); the tools call it first, and the MCP layer calls it before its
own schema check, so an agent always learns which field broke which rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seedance_ui.client import GenerationRequest
from seedance_ui.client.media_rules import is_url
from seedance_ui.jobs.idempotency import KEY_FIELD, key_problem
from seedance_ui.store import is_valid_job_id

START_VIDEO = "start_video"
GET_VIDEO = "get_video"
GENERATE_VIDEO = "generate_video"
LIST_VIDEOS = "list_videos"
CANCEL_VIDEO = "cancel_video"
ESTIMATE_COST = "estimate_cost"
TOOL_NAMES = (START_VIDEO, GET_VIDEO, GENERATE_VIDEO, LIST_VIDEOS, CANCEL_VIDEO, ESTIMATE_COST)

GENERATION_FIELDS = ("prompt", "model", "duration", "quality", "aspect_ratio", "generate_audio", "web_search")
# The media inputs, as URLs (an agent never names a file of this server), and the content filter.
MEDIA_URL_FIELDS = ("first_frame", "last_frame", "reference_images", "reference_video_urls",
                    "reference_audio_urls")
MEDIA_FIELDS = (*MEDIA_URL_FIELDS, "content_filter")
MEDIA_URL_RULE = "must be an https:// URL (agents pass pictures, videos and sounds by URL)"
COST_FIELDS = ("model", "duration", "quality", "web_search")
LIST_LIMIT_DEFAULT = 20
LIST_LIMIT_MAX = 100
TOOL_PARAMS: dict[str, tuple[str, ...]] = {
    START_VIDEO: (*GENERATION_FIELDS, *MEDIA_FIELDS, KEY_FIELD),
    GET_VIDEO: ("job_id",),
    GENERATE_VIDEO: (*GENERATION_FIELDS, *MEDIA_FIELDS, KEY_FIELD),
    LIST_VIDEOS: ("limit",),
    CANCEL_VIDEO: ("job_id",),
    ESTIMATE_COST: COST_FIELDS,
}
JOB_ID_RULE = "must be a job id returned by start_video or generate_video (32 lowercase hex characters)"


class ToolError(ValueError):
    """A call the studio refuses; the message is for the agent (names the field and rule, or the fix)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


def whole(value: Any) -> Any:
    """A JSON number that is whole as an int; anything else is left for the rules to name."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def generation_request(arguments: Mapping[str, Any]) -> GenerationRequest:
    """The request the arguments describe; a missing or null argument takes the page's default."""
    defaults = GenerationRequest(prompt="").to_params()
    values = {name: arguments.get(name) for name in GENERATION_FIELDS}
    values = {name: defaults[name] if value is None else value for name, value in values.items()}
    values["duration"] = whole(values["duration"])
    media = {name: arguments[name] for name in MEDIA_FIELDS if arguments.get(name) is not None}
    return GenerationRequest(**values, **media)


def _media_url_problems(arguments: Mapping[str, Any]) -> list[str]:
    """Media given as anything but a URL (a path would name a file of this server: never read)."""
    out = []
    for name in MEDIA_URL_FIELDS:
        value = arguments.get(name)
        values = value if isinstance(value, list | tuple) else [] if value is None else [value]
        for i, item in enumerate(values, 1):
            if not (isinstance(item, str) and is_url(item)):
                shown = name if name in ("first_frame", "last_frame") else f"{name}[{i}]"
                out.append(f"{shown}: {MEDIA_URL_RULE}")
    return out


def _request_problems(
    arguments: Mapping[str, Any], fields: tuple[str, ...], max_prompt_chars: int
) -> list[str]:
    if "first_frame" in fields:
        local = _media_url_problems(arguments)
        if local:
            return local
    request = generation_request(arguments)
    problems = [f"{p.field}: {p.rule}" for p in request.problems() if p.field.split("[")[0] in fields]
    prompt = request.prompt
    if "prompt" in fields and isinstance(prompt, str) and len(prompt) > max_prompt_chars:
        problems.append(f"prompt: must be at most {max_prompt_chars:,} characters (got {len(prompt):,})")
    return problems


def _limit_problems(arguments: Mapping[str, Any]) -> list[str]:
    limit = whole(arguments.get("limit", LIST_LIMIT_DEFAULT))
    if limit is None:
        return []
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= LIST_LIMIT_MAX:
        return [f"limit: must be a whole number from 1 to {LIST_LIMIT_MAX} (got {limit!r})"]
    return []


def argument_problems(tool: str, arguments: Mapping[str, Any] | None, *, max_prompt_chars: int) -> list[str]:
    """Every rule the arguments of `tool` break, as "field: rule" (empty: fine, or not one of ours)."""
    arguments = arguments or {}
    if tool not in TOOL_PARAMS:
        return []
    takes = TOOL_PARAMS[tool]
    unknown = [f"{name}: is not an argument of {tool} (it takes {', '.join(takes)})"
               for name in arguments if name not in takes]
    return unknown + _value_problems(tool, arguments, max_prompt_chars)


def _value_problems(tool: str, arguments: Mapping[str, Any], max_prompt_chars: int) -> list[str]:
    if tool in (START_VIDEO, GENERATE_VIDEO):
        key_rule = key_problem(arguments.get(KEY_FIELD))
        key = [f"{KEY_FIELD}: {key_rule}"] if key_rule else []
        return _request_problems(arguments, TOOL_PARAMS[tool], max_prompt_chars) + key
    if tool == ESTIMATE_COST:
        return _request_problems(arguments, COST_FIELDS, max_prompt_chars)
    if tool in (GET_VIDEO, CANCEL_VIDEO):
        return [] if is_valid_job_id(arguments.get("job_id")) else [f"job_id: {JOB_ID_RULE}"]
    return _limit_problems(arguments)  # LIST_VIDEOS


def refusal(problems: list[str]) -> ToolError:
    """The error for broken rules: each field and its rule, and that nothing was created."""
    return ToolError("Invalid arguments: " + "; ".join(problems) + ". Nothing was created or charged.")


def check(tool: str, arguments: Mapping[str, Any], *, max_prompt_chars: int) -> None:
    """Raise ToolError naming every broken rule of `tool`'s arguments."""
    problems = argument_problems(tool, arguments, max_prompt_chars=max_prompt_chars)
    if problems:
        raise refusal(problems)
