"""The page: `build_demo(runtime) -> gr.Blocks`. Components and event wiring only; logic is in handlers."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from seedance_ui import __version__
from seedance_ui.options import (
    ASPECT_RATIOS,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
    DEFAULT_WEB_SEARCH,
    DURATION_MAX,
    DURATION_MIN,
    MODELS,
    QUALITIES,
)
from seedance_ui.pricing import estimate
from seedance_ui.runtime import Runtime
from seedance_ui.ui import craft, views
from seedance_ui.ui.agent_api import add_agent_api, mcp_footer
from seedance_ui.ui.handlers import OWNER_SECRET, OWNER_STORAGE_KEY, Studio
from seedance_ui.ui.prompt_lint import lint
from seedance_ui.ui.storyboard_tab import build_storyboard_tab

ASSETS = Path(__file__).resolve().parents[2] / "assets"

# Concurrency groups (Gradio's default is ONE running event per listener for all visitors together).
# Watchers only await the job manager, so they may be many; the job manager's own caps decide how
# many generations reach the provider.
DEFAULT_CONCURRENCY = 16
UI_LIMIT = 32  # quick, CPU-light handlers: lint, cost, craft inserts, history actions
SUBMIT_LIMIT = 16  # validate + write the record + hand the job to the manager
WATCH_LIMIT = 1000  # progress / history watchers (async, no thread each)
API_LIMIT = 100  # /generate calls (each waits for its video)
KEY_LIMIT = 8  # credits checks
REDRAW_LIMIT = 16  # a finished video / a changed history drawn on a page (file checks, gallery images)
# For the per-keystroke events (lint, cost): answered straight from the HTTP request, not through the
# queue (one request instead of a queue join and an event stream), with the page's plain values in and
# HTML out: nothing for Gradio to convert, and no worker-thread hop per input and output. Each of those
# steps waits for a turn of the event loop, which is what a click waits for when the server is busy.
INSTANT = {"queue": False, "preprocess": False, "postprocess": False, "api_visibility": "private",
           "show_progress": "hidden"}
# Gradio's queue runs at most launch(max_threads) events at once across all groups (default 40), and
# every open page with a job in flight holds one watcher: without room for them all, a cheap click
# waits behind the watchers. Sync handlers stay bounded by their own groups' limits above.
QUEUE_SLOTS = (
    WATCH_LIMIT + UI_LIMIT + SUBMIT_LIMIT + API_LIMIT + KEY_LIMIT + REDRAW_LIMIT + DEFAULT_CONCURRENCY
)

# The prompt-craft menus (category, label, table of (label, snippet)), laid out two a row.
CRAFT_MENUS = (
    (("shot", "Shot size", craft.SHOT_SIZES), ("camera", "Camera move", craft.CAMERA_MOVES)),
    (("lighting", "Lighting", craft.LIGHTING), ("style", "Style", craft.STYLES)),
)

PROMPT_PLACEHOLDER = (
    "Describe the shot: who or what, doing what, the camera (pan, tilt, dolly, orbit…), the light and "
    'the mood. Put spoken lines in straight double quotes: She whispers: "We made it."'
)


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
        "<p>Craft, generate and review Seedance 2.0 text-to-video shots.</p></div>"
        f"{badge}</header>"
    )


def key_panel_title(runtime: Runtime) -> str:
    """The key accordion's title: a visitor may always bring a key (SEEDANCE_REQUIRE_USER_KEY: must)."""
    if runtime.settings.require_user_key:
        return "Your Evolink key — required to generate here"
    if runtime.demo_mode:
        return "Demo mode — use your own Evolink key for real videos"
    return "Use your own Evolink key (optional)"


def section(title: str, subtitle: str = "") -> gr.HTML:
    sub = f"<span>{views.esc(subtitle)}</span>" if subtitle else ""
    return gr.HTML(f'<div class="sd-section-title"><h2>{views.esc(title)}</h2>{sub}</div>')


def build_demo(runtime: Runtime) -> gr.Blocks:
    """The whole studio page, wired to `runtime`."""
    studio = Studio(runtime)
    initial_cost = views.cost_html(
        estimate(DEFAULT_MODEL, DEFAULT_QUALITY, DEFAULT_DURATION, DEFAULT_WEB_SEARCH),
        model=DEFAULT_MODEL,
        quality=DEFAULT_QUALITY,
        duration=DEFAULT_DURATION,
        web_search=DEFAULT_WEB_SEARCH,
    )
    light = {"concurrency_id": "ui", "concurrency_limit": UI_LIMIT, "api_visibility": "private"}
    quiet = {**light, "show_progress": "hidden"}
    watch = {
        "concurrency_id": "watch",
        "concurrency_limit": WATCH_LIMIT,
        "api_visibility": "private",
        "show_progress": "hidden",
    }

    # delete_cache: Gradio serves copies of our files from its cache; copies older than a day go (hourly).
    with gr.Blocks(title="Seedance Studio", analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        owner = gr.BrowserState(None, storage_key=OWNER_STORAGE_KEY, secret=OWNER_SECRET)
        visitor_key = gr.State(None)  # this session only, server memory; never sent back to the browser
        current_job = gr.State(None)
        # The page watcher's view of the page (see Studio.watch_page): what a handler last drew, and two
        # signals whose changes draw the finished job and the history.
        drawn = gr.State(None)
        outcome_signal = gr.State(None)
        history_signal = gr.State(None)
        history_ids = gr.State([])
        selected_job = gr.State(None)

        gr.HTML(header_html(runtime), elem_id="sd-header-block")
        if runtime.settings.sign_in:  # Gradio's OAuth: the owner becomes hf:<username> (security/owners.py)
            gr.LoginButton(elem_id="sd-login", size="sm")

        # -- visitor key: in server memory for this session only ------------------------------------------
        with gr.Accordion(
            key_panel_title(runtime),
            open=runtime.settings.require_user_key,
            elem_id="sd-key",
        ):
            key_status = gr.HTML(views.key_status_html(False, runtime.demo_mode))
            with gr.Row(elem_id="sd-key-row"):
                key_box = gr.Textbox(
                    label="Your Evolink API key (this session only)",
                    type="password",
                    placeholder="Paste your key — kept in server memory for this session, never stored",
                    scale=4,
                    min_width=240,
                    elem_id="sd-key-box",
                )
                use_key_btn = gr.Button("Use key", variant="primary", scale=1, min_width=110)
                check_key_btn = gr.Button("Check key", variant="secondary", scale=1, min_width=110)
                forget_key_btn = gr.Button("Forget", variant="secondary", scale=1, min_width=90)

        # Two tabs: "Studio" (the panels from here to the footer) and "Storyboard". The Studio tab is
        # entered and left explicitly, so the studio's code below keeps its indentation.
        tabs = gr.Tabs(elem_id="sd-tabs")
        tabs.__enter__()
        studio_tab = gr.Tab("Studio", id="studio", elem_id="sd-tab-studio")
        studio_tab.__enter__()

        with gr.Row(equal_height=False, elem_id="sd-main"):
            # -- create panel -----------------------------------------------------------------------------
            with gr.Column(scale=6, min_width=340, elem_classes="sd-panel", elem_id="sd-create"):
                section("Create", "Describe the shot, pick the frame, check the cost.")
                prompt = gr.Textbox(
                    label="Prompt",
                    lines=6,
                    max_lines=18,
                    placeholder=PROMPT_PLACEHOLDER,
                    max_length=runtime.settings.max_prompt_chars,
                    elem_id="sd-prompt",
                )
                counter = gr.HTML(views.counter_html(lint("")), elem_id="sd-counter")
                straighten_btn = gr.Button(
                    "Straighten quotes",
                    size="sm",
                    visible=False,
                    elem_id="sd-straighten",
                    variant="secondary",
                )

                with gr.Accordion("Prompt craft", open=True, elem_id="sd-craft"):
                    craft_menus: dict[str, gr.Dropdown] = {}
                    for pair in CRAFT_MENUS:  # two menus a row
                        with gr.Row():
                            for category, label, table in pair:
                                craft_menus[category] = gr.Dropdown(
                                    [name for name, _ in table],
                                    label=label,
                                    value=None,
                                    min_width=150,
                                    elem_id=f"sd-craft-{category}",
                                )
                    with gr.Row(equal_height=False, elem_id="sd-dialogue-row"):
                        speaker = gr.Textbox(
                            label="Who speaks",
                            placeholder="She",
                            scale=1,
                            min_width=110,
                            elem_id="sd-speaker",
                        )
                        line = gr.Textbox(
                            label="Dialogue line",
                            placeholder="You're here.",
                            scale=3,
                            min_width=180,
                            elem_id="sd-line",
                        )
                        dialogue_btn = gr.Button("Insert line", scale=1, min_width=110, elem_id="sd-dialogue")
                    gr.HTML('<div class="sd-craft-label">Start from an example</div>')
                    with gr.Row(elem_classes="sd-chips"):
                        example_btns = [
                            gr.Button(
                                ex.title,
                                size="sm",
                                elem_classes="sd-chip",
                                variant="secondary",
                                elem_id=f"sd-example-{i}",
                            )
                            for i, ex in enumerate(craft.EXAMPLES)
                        ]

                with gr.Row():
                    model = gr.Radio(
                        [(label, value) for value, label in MODELS.items()],
                        value=DEFAULT_MODEL,
                        label="Model",
                        info="Fast is quicker and cheaper, same parameters.",
                        min_width=200,
                        elem_id="sd-model",
                    )
                    quality = gr.Radio(
                        list(QUALITIES),
                        value=DEFAULT_QUALITY,
                        label="Quality",
                        min_width=160,
                        elem_id="sd-quality",
                    )
                duration = gr.Slider(
                    DURATION_MIN,
                    DURATION_MAX,
                    value=DEFAULT_DURATION,
                    step=1,
                    label="Duration (seconds)",
                    elem_id="sd-duration",
                )
                aspect_ratio = gr.Radio(
                    list(ASPECT_RATIOS),
                    value=DEFAULT_ASPECT_RATIO,
                    label="Aspect ratio",
                    elem_classes="sd-ratio",
                    elem_id="sd-ratio",
                )
                with gr.Row():
                    generate_audio = gr.Checkbox(
                        value=DEFAULT_GENERATE_AUDIO,
                        label="Generate audio",
                        info="Ambient sound, music and dialogue — free.",
                        elem_id="sd-audio",
                    )
                    web_search = gr.Checkbox(
                        value=DEFAULT_WEB_SEARCH,
                        label="Web search",
                        info="For recent events; billed only if a search happens.",
                        elem_id="sd-web",
                    )
                cost = gr.HTML(initial_cost, elem_id="sd-cost")
                with gr.Row():
                    generate_btn = gr.Button(
                        "Generate", variant="primary", size="lg", scale=3, elem_id="sd-generate"
                    )
                    cancel_btn = gr.Button(
                        "Cancel", variant="stop", size="lg", scale=1, min_width=110, elem_id="sd-cancel"
                    )

            # -- live progress and result -------------------------------------------------------------------
            with gr.Column(scale=5, min_width=340, elem_classes="sd-panel", elem_id="sd-preview"):
                section("Preview", "Live progress, then your shot.")
                status = gr.HTML("", elem_id="sd-status")
                progress = gr.HTML(views.progress_card(None), elem_id="sd-progress")
                video = gr.Video(
                    label="Result",
                    show_label=False,
                    interactive=False,
                    visible=False,
                    elem_id="sd-video",
                    buttons=["download"],
                    loop=True,
                )
                download = gr.DownloadButton(
                    "Download MP4", visible=False, variant="secondary", elem_id="sd-download"
                )
                params = gr.HTML("", elem_id="sd-params")

        # -- history --------------------------------------------------------------------------------------
        with gr.Column(elem_classes="sd-panel", elem_id="sd-history-panel"):
            section("History", "Your shots in this browser, newest first — kept across visits.")
            with gr.Row(equal_height=False):
                gallery = gr.Gallery(
                    label="History",
                    show_label=False,
                    columns=4,
                    height="auto",
                    object_fit="cover",
                    allow_preview=False,
                    interactive=False,
                    scale=3,
                    min_width=300,
                    elem_id="sd-history",
                    buttons=[],
                )
                with gr.Column(scale=2, min_width=300, elem_id="sd-detail-col"):
                    detail_video = gr.Video(
                        label="Selected",
                        show_label=False,
                        interactive=False,
                        visible=False,
                        elem_id="sd-detail-video",
                        loop=True,
                    )
                    detail = gr.HTML(views.detail_html(None), elem_id="sd-detail")
                    with gr.Row():
                        reuse_btn = gr.Button(
                            "Reuse settings",
                            variant="primary",
                            visible=False,
                            elem_id="sd-reuse",
                            min_width=120,
                        )
                        delete_btn = gr.Button(
                            "Delete", variant="stop", visible=False, elem_id="sd-delete", min_width=90
                        )
                        cancel_job_btn = gr.Button(
                            "Cancel job",
                            variant="stop",
                            visible=False,
                            elem_id="sd-cancel-job",
                            min_width=110,
                        )

        studio_tab.__exit__(None)
        build_storyboard_tab(runtime, owner=owner, visitor_key=visitor_key)
        tabs.__exit__(None)

        gr.HTML(
            f'<div class="sd-foot">Seedance Studio {__version__} · your prompts and videos stay on this '
            "server; provider links expire after 24 hours, so every video is saved the moment it is ready."
            f"{mcp_footer(runtime)}</div>"
        )

        # -- programmatic API: /generate (hidden components; the names come from the function) ----------
        with gr.Column(visible=False):
            api_prompt = gr.Textbox(label="prompt")
            api_model = gr.Dropdown(list(MODELS), value=DEFAULT_MODEL, label="model", allow_custom_value=True)
            api_duration = gr.Number(value=DEFAULT_DURATION, label="duration", precision=0)
            api_quality = gr.Dropdown(
                list(QUALITIES), value=DEFAULT_QUALITY, label="quality", allow_custom_value=True
            )
            api_ratio = gr.Dropdown(
                list(ASPECT_RATIOS), value=DEFAULT_ASPECT_RATIO, label="aspect_ratio", allow_custom_value=True
            )
            api_audio = gr.Checkbox(value=DEFAULT_GENERATE_AUDIO, label="generate_audio")
            api_web = gr.Checkbox(value=DEFAULT_WEB_SEARCH, label="web_search")
            api_video = gr.Video(label="video")
            api_result = gr.JSON(label="result")
            api_trigger = gr.Button("generate")

        # =================================================================================================
        # events
        controls = [prompt, model, duration, quality, aspect_ratio, generate_audio, web_search]
        preview = [progress, video, download, params, status]

        loaded = demo.load(
            studio.on_load,
            inputs=[owner],
            outputs=[owner, gallery, history_ids, current_job, *preview, drawn],
            **light,
        )
        # One stream per open page, and only while a job of its owner is in flight.
        watch_inputs = [current_job, owner, drawn]
        watch_outputs = [progress, outcome_signal, history_signal]
        # trigger_mode "multiple": a new watcher starts even while the page still counts the last one as
        # running (its cancel is asynchronous); the old one then stops itself (Studio.watch_page).
        watcher = {**watch, "trigger_mode": "multiple"}
        load_watch = loaded.then(studio.watch_page, inputs=watch_inputs, outputs=watch_outputs, **watcher)
        # Their own group: a burst of redraws (many jobs ending at once) never delays a click.
        redraw = {**watch, "concurrency_id": "redraw", "concurrency_limit": REDRAW_LIMIT}
        outcome_signal.change(
            studio.show_outcome,
            inputs=[outcome_signal, owner],
            outputs=[video, download, params, status, gallery, history_ids],
            **redraw,
        )
        history_signal.change(studio.show_history, inputs=[owner], outputs=[gallery, history_ids], **redraw)

        gr.on(
            [prompt.change, web_search.change],
            studio.on_prompt,
            inputs=[prompt, web_search],
            outputs=[counter, straighten_btn],
            trigger_mode="always_last",
            **INSTANT,
        )
        gr.on(
            [model.change, duration.change, quality.change, web_search.change],
            studio.on_cost,
            inputs=[model, duration, quality, web_search],
            outputs=[cost],
            trigger_mode="always_last",
            **INSTANT,
        )
        straighten_btn.click(studio.straighten, inputs=[prompt], outputs=[prompt], **quiet)
        for category, dropdown in craft_menus.items():
            dropdown.input(
                studio.inserter(category), inputs=[prompt, dropdown], outputs=[prompt, dropdown], **quiet
            )
        dialogue_btn.click(
            studio.insert_dialogue, inputs=[prompt, speaker, line], outputs=[prompt, line], **quiet
        )
        for i, button in enumerate(example_btns):
            button.click(studio.example_loader(i), inputs=None, outputs=[prompt], **quiet)

        submitted = generate_btn.click(
            studio.submit,
            inputs=[*controls, owner, visitor_key],
            outputs=[
                owner, current_job, status, progress, video, download, params, gallery, history_ids, drawn
            ],
            concurrency_id="submit",
            concurrency_limit=SUBMIT_LIMIT,
            api_visibility="private",
            show_progress="minimal",
            show_progress_on=[generate_btn],
            trigger_mode="once",
        )
        gen_watch = submitted.then(studio.watch_page, inputs=watch_inputs, outputs=watch_outputs, **watcher)
        # A new Generate replaces this page's watcher (the jobs themselves keep going).
        generate_btn.click(
            None, None, None, cancels=[load_watch, gen_watch], api_visibility="private", queue=False
        )
        cancel_btn.click(
            studio.cancel,
            inputs=[current_job, owner],
            outputs=[status],
            concurrency_id="submit",
            concurrency_limit=SUBMIT_LIMIT,
            api_visibility="private",
        )

        selected = gallery.select(
            studio.select,
            inputs=[history_ids, owner],
            outputs=[selected_job, detail_video, detail, reuse_btn, delete_btn, cancel_job_btn],
            **light,
        )
        detail_follow = selected.then(
            studio.follow_detail,
            inputs=[selected_job, owner],
            outputs=[selected_job, detail_video, detail, reuse_btn, delete_btn, cancel_job_btn],
            **watch,
        )
        gallery.select(None, None, None, cancels=[detail_follow], api_visibility="private", queue=False)
        reuse_btn.click(studio.reuse, inputs=[selected_job, owner], outputs=[*controls, status], **light)
        delete_btn.click(
            studio.delete,
            inputs=[selected_job, owner],
            outputs=[
                gallery,
                history_ids,
                selected_job,
                detail_video,
                detail,
                reuse_btn,
                delete_btn,
                cancel_job_btn,
                status,
            ],
            **light,
        )
        cancel_job_btn.click(
            studio.cancel_selected,
            inputs=[selected_job, owner],
            outputs=[status],
            concurrency_id="submit",
            concurrency_limit=SUBMIT_LIMIT,
            api_visibility="private",
        )

        key_opts = {"concurrency_id": "key", "concurrency_limit": KEY_LIMIT, "api_visibility": "private"}
        use_key_btn.click(
            studio.set_key, inputs=[key_box, owner], outputs=[visitor_key, key_box, key_status], **key_opts
        )
        key_box.submit(
            studio.set_key, inputs=[key_box, owner], outputs=[visitor_key, key_box, key_status], **key_opts
        )
        forget_key_btn.click(studio.forget_key, inputs=None, outputs=[visitor_key, key_status], **key_opts)
        check_key_btn.click(
            studio.check_key,
            inputs=[key_box, visitor_key, owner],
            outputs=[visitor_key, key_box, key_status],
            **key_opts,
        )

        api_trigger.click(
            studio.api_generate,
            inputs=[api_prompt, api_model, api_duration, api_quality, api_ratio, api_audio, api_web],
            outputs=[api_video, api_result],
            api_name="generate",
            api_description="Generate a video with Seedance 2.0 and wait for it. The final output is the "
            "mp4 and a JSON summary whose `video_path` is the file's local path on the server.",
            concurrency_id="api-generate",
            concurrency_limit=API_LIMIT,
        )

        add_agent_api(demo, runtime)  # MCP tools for agents (SEEDANCE_MCP)

    demo.queue(default_concurrency_limit=DEFAULT_CONCURRENCY)
    return demo
