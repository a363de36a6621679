"""The agent tools' pure parts: who a caller is (security/key_owner.py) and the argument rules."""

from __future__ import annotations

import hashlib
import re
from types import SimpleNamespace

import pytest

from seedance_ui.agents.arguments import (
    CANCEL_VIDEO,
    ESTIMATE_COST,
    GENERATE_VIDEO,
    GENERATION_FIELDS,
    GET_VIDEO,
    LIST_VIDEOS,
    START_VIDEO,
    TOOL_PARAMS,
    ToolError,
    argument_problems,
    generation_request,
)
from seedance_ui.agents.docs import PARAMS, docstring
from seedance_ui.agents.tools import AgentTools
from seedance_ui.config import Settings
from seedance_ui.options import DEFAULT_DURATION, DEFAULT_MODEL, MODEL_FAST
from seedance_ui.security.key_owner import KEY_HEADER, address_owner, header_key, key_owner
from seedance_ui.security.owners import valid_browser_id

KEY = "sk-unit-0123456789abcdef"
LIMIT = 10000


def test_a_key_owner_is_a_stable_one_way_name_that_no_browser_id_can_equal() -> None:
    owner = key_owner(KEY)
    assert owner == "key:" + hashlib.sha256(KEY.encode()).hexdigest()[:32]
    assert re.fullmatch(r"key:[0-9a-f]{32}", owner) and KEY not in owner
    assert key_owner(KEY) == owner and key_owner(KEY + "x") != owner
    assert valid_browser_id(owner) is None


def test_an_address_owner_hashes_the_host() -> None:
    owner = address_owner("203.0.113.7")
    assert owner == "addr:" + hashlib.sha256(b"203.0.113.7").hexdigest()[:16]
    assert address_owner("203.0.113.8") != owner and "203.0.113.7" not in owner
    assert address_owner(None) == address_owner(None)


def test_the_key_header_is_read_in_any_letter_case_and_blank_means_none() -> None:
    assert header_key({"x-evolink-key": f"  {KEY} "}) == KEY
    assert header_key({KEY_HEADER.upper(): KEY}) == KEY
    assert header_key({"x-evolink-key": "   "}) is None
    assert header_key({"authorization": f"Bearer {KEY}"}) is None
    assert header_key(None) is None


@pytest.mark.parametrize("value", ["two words", "k" * 600, "bad\x00key", "sk-clé"])
def test_a_header_that_cannot_be_a_key_is_refused_without_quoting_it(value: str) -> None:
    with pytest.raises(ValueError) as refused:
        header_key({KEY_HEADER: value})
    assert KEY_HEADER in str(refused.value) and value.strip() not in str(refused.value)


def test_missing_or_null_arguments_take_the_page_defaults_and_whole_floats_are_ints() -> None:
    request = generation_request({"prompt": "a boat", "model": None, "duration": 6.0})
    assert request.model == DEFAULT_MODEL and request.duration == 6 and isinstance(request.duration, int)
    assert generation_request({"prompt": "a boat"}).duration == DEFAULT_DURATION


def test_every_broken_rule_is_named_with_its_field() -> None:
    problems = argument_problems(
        START_VIDEO,
        {"prompt": " ", "model": "nope", "duration": 4.5, "quality": "4k", "aspect_ratio": "2:1",
         "generate_audio": "yes", "web_search": 1},
        max_prompt_chars=LIMIT,
    )
    fields = [p.split(":")[0] for p in problems]
    assert fields == list(GENERATION_FIELDS)
    fine = {"prompt": "a boat", "model": MODEL_FAST}
    assert argument_problems(GENERATE_VIDEO, fine, max_prompt_chars=LIMIT) == []


def test_the_prompt_limit_of_the_server_applies_and_estimate_cost_needs_no_prompt() -> None:
    [problem] = argument_problems(START_VIDEO, {"prompt": "x" * 200}, max_prompt_chars=100)
    assert problem.startswith("prompt: must be at most 100 characters")
    assert argument_problems(ESTIMATE_COST, {"duration": 8}, max_prompt_chars=LIMIT) == []
    [problem] = argument_problems(ESTIMATE_COST, {"duration": 3}, max_prompt_chars=LIMIT)
    assert problem.startswith("duration:")


def test_job_ids_and_list_limits_are_checked() -> None:
    for tool in (GET_VIDEO, CANCEL_VIDEO):
        assert argument_problems(tool, {"job_id": "0" * 32}, max_prompt_chars=LIMIT) == []
        [problem] = argument_problems(tool, {"job_id": "../etc/passwd"}, max_prompt_chars=LIMIT)
        assert problem.startswith("job_id: must be a job id")
    assert argument_problems(LIST_VIDEOS, {}, max_prompt_chars=LIMIT) == []
    assert argument_problems(LIST_VIDEOS, {"limit": 0}, max_prompt_chars=LIMIT)[0].startswith("limit:")
    assert argument_problems("not_a_tool", {"x": 1}, max_prompt_chars=LIMIT) == []


def test_an_argument_a_tool_does_not_take_is_named() -> None:
    args = {"prompt": "a boat", "duration": 5}
    [problem] = argument_problems(ESTIMATE_COST, args, max_prompt_chars=LIMIT)
    assert problem == (
        "prompt: is not an argument of estimate_cost (it takes model, duration, quality, web_search)"
    )


def test_a_tool_docstring_has_one_line_per_argument_as_gradio_reads_it() -> None:
    lines = docstring(ESTIMATE_COST).splitlines()
    assert lines[0].startswith("The estimated price") and "Args:" in lines and "Returns:" in lines
    args = lines[lines.index("Args:") + 1 : lines.index("Returns:") - 1]
    assert args == [f"    {name}: {PARAMS[name]}" for name in TOOL_PARAMS[ESTIMATE_COST]]


def tools_with(settings: Settings) -> AgentTools:
    return AgentTools(SimpleNamespace(settings=settings, manager=None, store=None))  # type: ignore[arg-type]


@pytest.mark.parametrize("settings", [Settings(require_user_key=True), Settings(sign_in=True)])
def test_a_keyless_caller_is_refused_naming_the_header_where_keys_are_required(settings: Settings) -> None:
    tools = tools_with(settings)
    with pytest.raises(ToolError) as refused:
        tools.caller({}, "203.0.113.7", "http://studio")
    assert KEY_HEADER in str(refused.value)
    caller = tools.caller({KEY_HEADER: KEY}, "203.0.113.7", "http://studio")
    assert caller.owner == key_owner(KEY) and caller.api_key == KEY and KEY not in repr(caller)


def test_a_keyless_caller_runs_on_the_server_key_and_owns_by_address_by_default() -> None:
    caller = tools_with(Settings()).caller({"host": "studio"}, "203.0.113.7", "http://studio")
    assert caller.owner == address_owner("203.0.113.7") and caller.api_key is None
    assert caller.base_url == "http://studio"
