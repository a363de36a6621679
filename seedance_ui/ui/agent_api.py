"""The agent tools on the Blocks: API-only events that Gradio's MCP server lists as exactly six tools.

`add_agent_api(demo, runtime)` registers start_video, get_video, generate_video, list_videos, cancel_video
and estimate_cost with `gr.api` (typed functions; their docstrings become the tools' descriptions). They
are "undocumented" API events: callable, but not on the page's API docs, which keep listing `/generate`
alone. They run outside the queue, so Gradio's MCP server calls them in-process with the caller's own HTTP
request (its `X-Evolink-Key` header and address), and generate_video sends MCP progress notifications
itself.

`mcp_server.py` points Gradio's MCP server at these six and nothing else (`/generate` stays a public API
endpoint, not a tool).
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import gradio as gr
from gradio.context import Context

from seedance_ui.agents.arguments import GENERATE_VIDEO, LIST_LIMIT_DEFAULT, START_VIDEO, ToolError
from seedance_ui.agents.docs import docstring
from seedance_ui.agents.tools import AgentTools, Caller
from seedance_ui.config import Settings
from seedance_ui.options import (
    ALL_QUALITIES,
    ASPECT_RATIOS,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_CONTENT_FILTER,
    DEFAULT_DURATION,
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
    DEFAULT_WEB_SEARCH,
    DURATION_MAX,
    DURATION_MIN,
    MODEL_SPECS,
)
from seedance_ui.runtime import Runtime
from seedance_ui.security.key_owner import KEY_HEADER
from seedance_ui.security.owners import client_host
from seedance_ui.ui.common import listed, public_base_url
from seedance_ui.ui.mcp_server import MCP_PATH, mcp_reporter

log = logging.getLogger("seedance_ui.agents")

INTERNAL_ERROR = "Something went wrong on the studio's side; the details are in the server log."
# The allowed values as types: Gradio turns them into the tools' JSON-schema enums.
ModelName = Literal[tuple(MODEL_SPECS)]  # type: ignore[valid-type]
Quality = Literal[tuple(ALL_QUALITIES)]  # type: ignore[valid-type]
AspectRatio = Literal[tuple(ASPECT_RATIOS)]  # type: ignore[valid-type]
Duration = Literal[tuple(range(DURATION_MIN, DURATION_MAX + 1))]  # type: ignore[valid-type]


class AgentToolError(gr.Error):
    """A refusal shown to the agent as it is (Gradio's own Error would print its repr over MCP)."""

    def __str__(self) -> str:
        return str(self.message)


def _errors(fn: Callable[..., Awaitable[str]]) -> Callable[..., Awaitable[str]]:
    """ToolError -> the agent's error; anything else is logged and shown without a traceback."""

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> str:
        try:
            return await fn(*args, **kwargs)
        except ToolError as exc:
            raise AgentToolError(exc.message, title="Refused") from None
        except gr.Error:
            raise
        except Exception:
            log.exception("agent tool %s failed", fn.__name__)
            raise AgentToolError(INTERNAL_ERROR, title="Error") from None

    return wrapper


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


# ------------------------------------------------------------------------------------------------------
# the caller of one request


def _base_url(settings: Settings, request: gr.Request | None, root_path: str | None) -> str:
    """Where this server answers, for download links (`common.public_base_url`)."""
    return public_base_url(settings.public_url, request, root_path)


def _caller(tools: AgentTools, request: gr.Request | None, root_path: str | None) -> Caller:
    headers = dict(request.headers) if request is not None else {}
    host = client_host(request, trust_proxy=tools.settings.trust_proxy)
    return tools.caller(headers, host, _base_url(tools.settings, request, root_path))


# ------------------------------------------------------------------------------------------------------
# the six tools


def tool_functions(tools: AgentTools, demo: gr.Blocks) -> list[Callable[..., Awaitable[str]]]:
    """The tools as typed functions; their names are the tool names, their docstrings what agents read."""

    def who(request: gr.Request | None) -> Caller:
        return _caller(tools, request, getattr(demo, "root_path", None))  # root_path is set at launch

    GenerationRun = Callable[[Caller, dict[str, Any]], Awaitable[dict[str, Any]]]

    def generation_tool(name: str, run: GenerationRun) -> Callable[..., Awaitable[str]]:
        """A tool taking every parameter of `/generate`, typed (start_video and generate_video)."""

        async def tool(
            prompt: str,
            model: ModelName = DEFAULT_MODEL,
            duration: Duration = DEFAULT_DURATION,
            quality: Quality = DEFAULT_QUALITY,
            aspect_ratio: AspectRatio = DEFAULT_ASPECT_RATIO,
            generate_audio: bool = DEFAULT_GENERATE_AUDIO,
            web_search: bool = DEFAULT_WEB_SEARCH,
            first_frame: str = "",  # "" / []: none (a plain type keeps the tool's schema simple)
            last_frame: str = "",
            reference_images: list[str] = (),  # type: ignore[assignment]
            reference_video_urls: list[str] = (),  # type: ignore[assignment]
            reference_audio_urls: list[str] = (),  # type: ignore[assignment]
            content_filter: bool = DEFAULT_CONTENT_FILTER,
            idempotency_key: str = "",  # "": none
            request: gr.Request = None,  # type: ignore[assignment]
        ) -> str:
            args = dict(prompt=prompt, model=model, duration=duration, quality=quality,
                        aspect_ratio=aspect_ratio, generate_audio=generate_audio, web_search=web_search,
                        first_frame=first_frame or None, last_frame=last_frame or None,
                        reference_images=listed(reference_images),
                        reference_video_urls=listed(reference_video_urls),
                        reference_audio_urls=listed(reference_audio_urls), content_filter=content_filter,
                        idempotency_key=idempotency_key or None)
            return _json(await run(who(request), args))

        tool.__name__ = tool.__qualname__ = name
        return tool

    start_video = generation_tool(START_VIDEO, lambda caller, args: tools.start(caller, **args))
    # mcp_reporter() reads the MCP request being answered: called inside the call, not before.
    generate_video = generation_tool(
        GENERATE_VIDEO,
        lambda caller, args: tools.generate(caller, mcp_reporter(tools.runtime.estimates), **args),
    )

    async def get_video(job_id: str, request: gr.Request = None) -> str:  # type: ignore[assignment]
        return _json(await tools.get(who(request), job_id))

    async def list_videos(
        limit: int = LIST_LIMIT_DEFAULT, request: gr.Request = None  # type: ignore[assignment]
    ) -> str:
        return _json(await tools.history(who(request), limit))

    async def cancel_video(job_id: str, request: gr.Request = None) -> str:  # type: ignore[assignment]
        return _json(await tools.cancel(who(request), job_id))

    async def estimate_cost(
        model: ModelName = DEFAULT_MODEL,
        duration: Duration = DEFAULT_DURATION,
        quality: Quality = DEFAULT_QUALITY,
        web_search: bool = DEFAULT_WEB_SEARCH,
    ) -> str:
        return _json(tools.cost(model=model, duration=duration, quality=quality, web_search=web_search))

    tools_list = [start_video, get_video, generate_video, list_videos, cancel_video, estimate_cost]
    for fn in tools_list:
        fn.__doc__ = docstring(fn.__name__)
    return [_errors(fn) for fn in tools_list]


def mcp_footer(runtime: Runtime) -> str:
    """The page footer's MCP line (empty with SEEDANCE_MCP=0): the URL agents connect to."""
    if not runtime.settings.mcp:
        return ""
    url = f"{runtime.settings.public_url}{MCP_PATH}" if runtime.settings.public_url else MCP_PATH
    return (
        f' · agents: MCP server at <a id="sd-mcp-url" href="{html.escape(url)}">{html.escape(url)}</a> '
        f"(send your key in the {KEY_HEADER} header; see the README)"
    )


def add_agent_api(demo: gr.Blocks, runtime: Runtime) -> AgentTools | None:
    """Register the six agent tools on `demo` (inside its `with` block, or it is entered here); nothing
    with SEEDANCE_MCP=0."""
    if not runtime.settings.mcp:
        return None
    tools = AgentTools(runtime)
    context = contextlib.nullcontext() if Context.root_block is demo else demo
    with context:
        for fn in tool_functions(tools, demo):
            gr.api(fn, api_name=fn.__name__, queue=False, api_visibility="undocumented")
    return tools
