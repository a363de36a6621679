"""Gradio's MCP server, made the agents': exactly the six tools, our argument rules, progress notifications.

Gradio makes every public API endpoint a tool, and checks a call's arguments against the tool's JSON
schema with messages that name no field. `agent_lifespan(settings)` (a launch `app_kwargs["lifespan"]`)
runs once the app and its MCP server exist, and `restrict_mcp_server` then points the server at the six
agent tools only (`/generate` stays a public API endpoint without becoming a seventh tool) and answers
bad arguments with our field-and-rule messages first. It relies on GradioMCPServer's attributes in the
pinned Gradio (`api_info`, `tool_to_endpoint`, `tool_prefix`, `mcp_server.request_handlers`);
tests/test_mcp.py checks the result through a real MCP client.

`mcp_reporter()` sends a running generate_video's progress to the client that asked for it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from seedance_ui.agents.arguments import TOOL_NAMES, argument_problems, refusal
from seedance_ui.agents.tools import Reporter
from seedance_ui.config import Settings
from seedance_ui.jobs.estimate import Estimates
from seedance_ui.store import JobRecord
from seedance_ui.ui.views import time_left

MCP_PATH = "/gradio_api/mcp/"
# The mcp package logs two INFO lines per call (session start and end): noise at our INFO level.
MCP_LOG_LEVEL = logging.WARNING


def progress_message(record: JobRecord, estimates: Estimates | None = None) -> str:
    """A running job in words; its time left from the studio's learned run times when `estimates` is given."""
    left = estimates.seconds_left(record) if estimates is not None else time_left(record)
    wait = f", about {round(left)} s left" if left is not None else ""
    place = f", position {record.queue_position} in the queue" if record.queue_position else ""
    return f"{record.status.label}: {record.progress}%{place}{wait}"


def mcp_reporter(estimates: Estimates | None = None) -> Reporter:
    """Sends each change as an MCP progress notification when the client asked for them (a
    progressToken), else does nothing. A client that left is not an error: the job goes on."""

    async def silent(record: JobRecord) -> None:
        return None

    try:
        from mcp.server.lowlevel.server import request_ctx

        ctx = request_ctx.get()
    except (ImportError, LookupError):  # not an MCP call (e.g. gradio_client)
        return silent
    token = ctx.meta.progressToken if ctx.meta is not None else None
    if token is None:
        return silent
    last = -1.0

    async def report(record: JobRecord) -> None:
        nonlocal last
        last = max(float(record.progress), last + 0.01)  # progress must grow with each notification
        with contextlib.suppress(Exception):
            await ctx.session.send_progress_notification(
                progress_token=token,
                progress=round(last, 2),
                total=100.0,
                message=progress_message(record, estimates),
                related_request_id=str(ctx.request_id),
            )

    return report


def restrict_mcp_server(server: Any, settings: Settings) -> None:
    """Point Gradio's MCP server (`blocks.mcp_server_obj`) at the six tools only, and answer bad arguments
    with our field-and-rule messages before its JSON-schema check (whose messages name no field)."""
    from mcp import types

    logging.getLogger("mcp").setLevel(MCP_LOG_LEVEL)
    server.api_info = server.blocks.get_api_info(all_endpoints=True)  # undocumented events included
    names = {server.valid_and_unique_tool_name(server.tool_prefix + name, set()): name for name in TOOL_NAMES}
    server.tool_to_endpoint = {tool: "/" + name for tool, name in names.items()}
    handlers = server.mcp_server.request_handlers
    stock = handlers[types.CallToolRequest]

    async def call_tool(req: Any) -> Any:
        tool = names.get(req.params.name, "")
        problems = argument_problems(tool, req.params.arguments, max_prompt_chars=settings.max_prompt_chars)
        if problems:
            text = str(refusal(problems))
            result = types.CallToolResult(content=[types.TextContent(type="text", text=text)], isError=True)
            return types.ServerResult(result)
        return await stock(req)

    handlers[types.CallToolRequest] = call_tool


def agent_lifespan(settings: Settings) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """A launch `app_kwargs["lifespan"]`: once the app (and Gradio's MCP server, if on) exists, restrict
    the MCP server to the agent tools."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        server = getattr(app.get_blocks(), "mcp_server_obj", None)
        if server is not None:
            restrict_mcp_server(server, settings)
        yield

    return lifespan
