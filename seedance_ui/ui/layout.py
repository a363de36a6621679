"""The page: `build_demo(runtime) -> gr.Blocks`: the header, the key, the Studio and Storyboard tabs, the
footer, the `/generate` endpoint and the agents' tools.

Each tab is a package of panels (`ui/studio/`, `ui/storyboard/`): each panel places its components and
wires their events right after them, as Gradio's own demos do.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from seedance_ui import __version__
from seedance_ui.runtime import Runtime
from seedance_ui.ui.agent_api import add_agent_api, mcp_footer
from seedance_ui.ui.common import DEFAULT_CONCURRENCY, QUEUE_SLOTS
from seedance_ui.ui.storyboard.tab import build_storyboard_tab
from seedance_ui.ui.studio.api import accept_short_calls
from seedance_ui.ui.studio.tab import Studio

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def _logo_svg() -> str:
    try:
        svg = (ASSETS / "logo.svg").read_text(encoding="utf-8")
    except OSError:
        return ""
    return svg.replace("<svg ", '<svg class="sd-logo" ', 1)


def header_html(runtime: Runtime) -> str:
    if runtime.demo_mode:
        badge = (
            '<span class="sd-mode is-demo" data-mode="demo"><i></i>Demo mode · simulator placeholders</span>'
        )
    else:
        badge = '<span class="sd-mode" data-mode="live"><i></i>Live · Seedance 2.0</span>'
    return (
        '<header class="sd-header">'
        f"{_logo_svg()}"
        '<div class="sd-brand"><h1>Seedance <span class="sd-grad">Studio</span></h1>'
        "<p>Craft, generate and review Seedance 2.0 shots — from words, pictures and references.</p></div>"
        f"{badge}</header>"
    )


def build_demo(runtime: Runtime, studio: Studio | None = None) -> gr.Blocks:
    """The whole studio page, wired to `runtime` (through `studio`, the Studio tab's panels: new ones by
    default)."""
    studio = studio or Studio(runtime)
    # delete_cache: Gradio serves copies of our files from its cache; copies older than a day go (hourly).
    with gr.Blocks(title="Seedance Studio", analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        studio.page_state()
        gr.HTML(header_html(runtime), elem_id="sd-header-block")
        if runtime.settings.sign_in:  # Gradio's OAuth: the owner becomes hf:<username> (security/owners.py)
            gr.LoginButton(elem_id="sd-login", size="sm")
        studio.key.build()
        with gr.Tabs(elem_id="sd-tabs"):
            studio.build_tab()
            storyboard = build_storyboard_tab(
                runtime, owner=studio.page.owner, visitor_key=studio.page.visitor_key
            )
            # A key entered on the key panel resumes the storyboard's chains that waited for it too.
            studio.key.board_session = storyboard.session
        gr.HTML(
            f'<div class="sd-foot">Seedance Studio {__version__} · your prompts and videos stay on this '
            "server; provider links expire after 24 hours, so every video is saved the moment it is ready."
            f"{mcp_footer(runtime)}</div>"
        )
        studio.api.build()
        accept_short_calls(demo)
        studio.preview.wire(demo)
        add_agent_api(demo, runtime)  # MCP tools for agents (SEEDANCE_MCP)

    # api_open=False: a queued event is reachable only through the queue (never /gradio_api/run/<name>),
    # so its concurrency limit holds however it is called (security/gate.py closes /call/<name>).
    demo.queue(default_concurrency_limit=DEFAULT_CONCURRENCY, api_open=False)
    return demo


__all__ = ["ASSETS", "QUEUE_SLOTS", "build_demo", "header_html"]
