"""The page: `build_demo(runtime) -> gr.Blocks`, made of panels.

Each panel function places its components (on `studio.page`, the components the handlers answer with)
and wires their events right after them, as Gradio's own demos do; the logic is in `handlers.Studio`
and, for the Storyboard tab, in `storyboard_tab`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from seedance_ui import __version__
from seedance_ui.options import (
    ALL_QUALITIES,
    ASPECT_RATIOS,
    CONTENT_FILTER_OFF_FACTOR,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_CONTENT_FILTER,
    DEFAULT_DURATION,
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
    DEFAULT_WEB_SEARCH,
    MODE_REFERENCES,
    MODE_TEXT,
    MODEL_SPECS,
    QUALITIES,
    TIERS,
    model_id,
)
from seedance_ui.pricing import estimate
from seedance_ui.runtime import Runtime
from seedance_ui.ui import craft, views
from seedance_ui.ui.agent_api import add_agent_api, mcp_footer
from seedance_ui.ui.common import (
    API_LIMIT,
    DEFAULT_CONCURRENCY,
    FETCH_LIMIT,
    INSTANT,
    KEY_LIMIT,
    OWNER_SECRET,
    OWNER_STORAGE_KEY,
    QUEUE_SLOTS,
    REDRAW_LIMIT,
    SUBMIT_LIMIT,
    UI_LIMIT,
    WATCH_LIMIT,
    duration_slider,
    group,
    section,
)
from seedance_ui.ui.fields import field_label
from seedance_ui.ui.handlers import Studio, StudioPage
from seedance_ui.ui.mode_handlers import WEB_SEARCH_INFO, reference_limits
from seedance_ui.ui.mode_views import chips_html, frames_note_html
from seedance_ui.ui.modes import MODE_INFO, MODE_LABELS, TIER_INFO, input_counts, tier_choices
from seedance_ui.ui.picture_inputs import guarded, guarded_gallery, guarded_uploads
from seedance_ui.ui.prompt_lint import lint
from seedance_ui.ui.storyboard_tab import build_storyboard_tab

ASSETS = Path(__file__).resolve().parents[2] / "assets"

LIGHT = group("ui", UI_LIMIT)
QUIET = {**LIGHT, "show_progress": "hidden"}
WATCH = group("watch", WATCH_LIMIT, show_progress="hidden")
# trigger_mode "multiple": a new page watcher starts even while the page still counts the last one as
# running (its cancel is asynchronous); the old one then stops itself (Studio.watch_page).
WATCHER = {**WATCH, "trigger_mode": "multiple"}
# Their own group: a burst of redraws (many jobs ending at once) never delays a click.
REDRAW = group("redraw", REDRAW_LIMIT, show_progress="hidden")
SUBMIT = group("submit", SUBMIT_LIMIT)
# Fetching reference videos and audio to measure them: network-bound, a few at once.
FETCH = group("fetch", FETCH_LIMIT, show_progress="hidden")
KEY = group("key", KEY_LIMIT)
# Generate is disabled in the page the moment it is pressed, and enabled again this long after the
# answer (the job shows on the page meanwhile): a nervous burst of clicks is one press.
GENERATE_SETTLE_MS = 1500
_BUTTON_OFF_JS = "() => ({__type__: 'update', interactive: false})"
_BUTTON_ON_JS = (
    "() => new Promise((done) => setTimeout(() => done({__type__: 'update', interactive: true}), "
    f"{GENERATE_SETTLE_MS}))"
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
        "<p>Craft, generate and review Seedance 2.0 shots — from words, pictures and references.</p></div>"
        f"{badge}</header>"
    )


def key_panel_title(runtime: Runtime) -> str:
    """The key accordion's title: a visitor may always bring a key (SEEDANCE_REQUIRE_USER_KEY: must)."""
    if runtime.settings.require_user_key:
        return "Your Evolink key — required to generate here"
    if runtime.demo_mode:
        return "Demo mode — use your own Evolink key for real videos"
    return "Use your own Evolink key (optional)"


def initial_cost() -> str:
    """The cost card for the default settings, as the page first shows it."""
    est = estimate(DEFAULT_MODEL, DEFAULT_QUALITY, DEFAULT_DURATION, DEFAULT_WEB_SEARCH)
    return views.cost_html(
        est,
        model=DEFAULT_MODEL,
        quality=DEFAULT_QUALITY,
        duration=DEFAULT_DURATION,
        web_search=DEFAULT_WEB_SEARCH,
    )


# --------------------------------------------------------------------------------------------------
# Panels of the Studio tab


def page_state(studio: Studio) -> None:
    """The per-page values that are not shown."""
    p = studio.page
    p.owner = gr.BrowserState(None, storage_key=OWNER_STORAGE_KEY, secret=OWNER_SECRET)
    p.visitor_key = gr.State(None)  # this session only, server memory; never sent back to the browser
    p.current_job = gr.State(None)
    # The page watcher's view of the page (see Studio.watch_page): what a handler last drew, and two
    # signals whose changes draw the finished job and the history.
    p.drawn = gr.State(None)
    p.outcome_signal = gr.State(None)
    p.history_signal = gr.State(None)
    p.history_ids = gr.State([])
    p.selected_job = gr.State(None)
    # The page's submission token: a new one on every page load (Studio.on_load) and every accepted
    # submission; the server makes one job per token (Studio.submit), whatever the events that carry it.
    p.submit_token = gr.Textbox("", visible=False, elem_id="sd-submit-token")
    # What the per-keystroke events need to know about the media inputs, kept by queued events that
    # read them (on_refs, measure_references): plain values only.
    p.ref_counts = gr.State(input_counts((), (), ()))
    p.video_seconds = gr.State(0.0)


def key_panel(studio: Studio) -> None:
    """The visitor's own key: in server memory for this session only."""
    p, runtime = studio.page, studio.runtime
    with gr.Accordion(key_panel_title(runtime), open=runtime.settings.require_user_key, elem_id="sd-key"):
        p.key_status = gr.HTML(views.key_status_html(False, runtime.demo_mode))
        with gr.Row(elem_id="sd-key-row"):
            p.key_box = gr.Textbox(
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

    outputs = [p.visitor_key, p.key_box, p.key_status]
    use_key_btn.click(studio.set_key, inputs=[p.key_box, p.owner], outputs=outputs, **KEY)
    p.key_box.submit(studio.set_key, inputs=[p.key_box, p.owner], outputs=outputs, **KEY)
    forget_key_btn.click(studio.forget_key, inputs=None, outputs=[p.visitor_key, p.key_status], **KEY)
    check_key_btn.click(studio.check_key, inputs=[p.key_box, p.visitor_key, p.owner], outputs=outputs, **KEY)


def prompt_box(studio: Studio) -> None:
    """The prompt, its counter and lint, and "Straighten quotes"."""
    p = studio.page
    p.prompt = gr.Textbox(
        label="Prompt",
        lines=6,
        max_lines=18,
        placeholder=PROMPT_PLACEHOLDER,
        max_length=studio.settings.max_prompt_chars,
        elem_id="sd-prompt",
    )
    p.counter = gr.HTML(views.counter_html(lint("")), elem_id="sd-counter")
    p.straighten_btn = gr.Button(
        "Straighten quotes", size="sm", visible=False, elem_id="sd-straighten", variant="secondary"
    )
    p.straighten_btn.click(studio.straighten, inputs=[p.prompt], outputs=[p.prompt], **QUIET)


def craft_panel(studio: Studio) -> None:
    """Prompt craft: snippet menus, a dialogue line, example prompts."""
    p = studio.page
    with gr.Accordion("Prompt craft", open=True, elem_id="sd-craft"):
        p.craft_menus = {}
        for pair in CRAFT_MENUS:  # two menus a row
            with gr.Row():
                for category, label, table in pair:
                    p.craft_menus[category] = gr.Dropdown(
                        [name for name, _ in table],
                        label=label,
                        value=None,
                        min_width=150,
                        elem_id=f"sd-craft-{category}",
                    )
        with gr.Row(equal_height=False, elem_id="sd-dialogue-row"):
            speaker = gr.Textbox(
                label="Who speaks", placeholder="She", scale=1, min_width=110, elem_id="sd-speaker"
            )
            p.line = gr.Textbox(
                label="Dialogue line", placeholder="You're here.", scale=3, min_width=180, elem_id="sd-line"
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

    for category, menu in p.craft_menus.items():
        menu.input(studio.inserter(category), inputs=[p.prompt, menu], outputs=[p.prompt, menu], **QUIET)
    dialogue_btn.click(
        studio.insert_dialogue, inputs=[p.prompt, speaker, p.line], outputs=[p.prompt, p.line], **QUIET
    )
    for i, button in enumerate(example_btns):
        button.click(studio.example_loader(i), inputs=None, outputs=[p.prompt], **QUIET)


def mode_switch(studio: Studio) -> None:
    """Text, Frames or References: one radio over the same panel (the model id follows it)."""
    p = studio.page
    p.mode = gr.Radio(
        [(label, mode) for mode, label in MODE_LABELS.items()],
        value=MODE_TEXT,
        label="Mode",
        info=MODE_INFO[MODE_TEXT],
        elem_classes="sd-modes",
        elem_id="sd-mode",
    )


def frames_panel(studio: Studio) -> None:
    """Frames mode: the first frame and the optional last frame, what they are, and the ratio advice."""
    p = studio.page
    with gr.Column(visible=False, elem_classes="sd-media-panel", elem_id="sd-frames") as p.frames_panel:
        with gr.Row(equal_height=True, elem_id="sd-frame-zones"):
            p.first_frame = frame_zone("First frame", "sd-first-frame", "first_frame")
            p.last_frame = frame_zone("Last frame (optional)", "sd-last-frame", "last_frame")
        p.frames_note = gr.HTML(frames_note_html({}, DEFAULT_ASPECT_RATIO), elem_id="sd-frames-note")
        p.adaptive_btn = gr.Button(
            "Use adaptive — keep the picture's shape", size="sm", variant="secondary", visible=False,
            elem_id="sd-use-adaptive",
        )


def frame_zone(label: str, elem_id: str, field: str) -> gr.Image:
    """A drop zone for one frame: the file as dropped (image_mode None: never re-encoded), with a preview;
    measured from its header before Gradio opens it (`guarded`: refused past the limits, never decoded)."""
    zone = gr.Image(
        label=label,
        type="filepath",
        image_mode=None,
        sources=["upload", "clipboard"],
        height=220,
        min_width=150,
        buttons=[],
        elem_id=elem_id,
    )
    return guarded(zone, field)


def reference_image_label(n: int) -> str:
    """How a refusal names the n-th reference image (as the chips tag it: "Reference image @image2")."""
    return field_label(f"reference_images[{n}]")


def added_image_label(n: int) -> str:
    """How a refusal names the n-th file of one press of "Add images" (not tagged yet)."""
    return f"Added image {n}"


def references_panel(studio: Studio) -> None:
    """References mode: up to 9 images (a gallery, in tag order) and the video and audio URLs. The
    gallery and "Add images" take only files uploaded with the request, measured from their header
    before any handler sees them (`guarded_gallery`, `guarded_uploads`)."""
    p = studio.page
    limits = reference_limits(model_id(MODE_REFERENCES, TIERS[0]))
    with gr.Column(visible=False, elem_classes="sd-media-panel", elem_id="sd-refs") as p.refs_panel:
        p.ref_images = guarded_gallery(gr.Gallery(
            label=f"Reference images · up to {limits['image']}",
            type="filepath",
            file_types=["image"],
            interactive=True,
            columns=6,
            fit_columns=False,
            height=230,
            object_fit="cover",
            allow_preview=False,
            buttons=[],
            elem_id="sd-ref-images",
        ), reference_image_label)
        p.add_refs_btn = guarded_uploads(gr.UploadButton(
            "＋ Add images", file_count="multiple", file_types=["image"], size="sm", variant="secondary",
            elem_id="sd-add-refs",
        ), added_image_label)
        with gr.Row(equal_height=False):
            p.ref_videos = url_box("video", limits["video"], "a 2–15 s MP4 or MOV the provider can fetch")
            p.ref_audios = url_box("audio", limits["audio"], "a 2–15 s WAV or MP3")
        p.ref_measures = gr.HTML("", elem_id="sd-ref-measures")


def url_box(kind: str, limit: int, what: str) -> gr.Textbox:
    """A box of reference URLs of one kind (video or audio), one a line."""
    return gr.Textbox(
        label=f"Reference {kind} URLs · up to {limit}, one a line",
        placeholder=f"https://… {what}",
        lines=2,
        max_lines=4,
        min_width=220,
        elem_id=f"sd-ref-{kind}s",
    )


def media_events(studio: Studio) -> None:
    """The mode switch, the model's fields, the frames note and the reference chips (queued: they may
    read a file or fetch a URL)."""
    p = studio.page
    p.mode.input(studio.on_mode, inputs=[p.mode, p.model], outputs=[p.model], **QUIET)
    gr.on(
        [p.model.change, p.web_search.change],
        studio.on_model,
        inputs=[p.model, p.quality, p.web_search],
        outputs=[p.mode, p.model, p.quality, p.web_search, p.frames_panel, p.refs_panel, p.ref_tags],
        trigger_mode="always_last",
        **QUIET,
    )
    gr.on(
        [p.first_frame.change, p.last_frame.change, p.aspect_ratio.change],
        studio.on_frames,
        inputs=[p.first_frame, p.last_frame, p.aspect_ratio],
        outputs=[p.frames_note, p.adaptive_btn],
        trigger_mode="always_last",
        **QUIET,
    )
    p.adaptive_btn.click(studio.use_adaptive, inputs=None, outputs=[p.aspect_ratio], **QUIET)
    p.ref_images.upload(studio.caption_refs, inputs=[p.ref_images], outputs=[p.ref_images], **QUIET)
    p.add_refs_btn.upload(
        studio.add_refs, inputs=[p.ref_images, p.add_refs_btn], outputs=[p.ref_images], **QUIET
    )
    gr.on(
        [p.ref_images.change, p.ref_videos.change, p.ref_audios.change],
        studio.on_refs,
        inputs=[p.ref_images, p.ref_videos, p.ref_audios, p.model],
        outputs=[p.ref_tags, p.ref_counts],
        trigger_mode="always_last",
        **QUIET,
    )
    gr.on(
        [p.ref_videos.blur, p.ref_audios.blur, p.ref_videos.submit, p.ref_audios.submit],
        studio.measure_references,
        inputs=[p.ref_videos, p.ref_audios],
        outputs=[p.video_seconds, p.ref_measures],
        trigger_mode="always_last",
        **FETCH,
    )


def settings_panel(studio: Studio) -> None:
    """Model tier, quality, duration, frame, audio, web search, the content filter, and the cost card
    that follows them."""
    p = studio.page
    with gr.Row():
        p.model = gr.Radio(
            tier_choices(MODE_TEXT),
            value=DEFAULT_MODEL,
            label="Model",
            info=TIER_INFO,
            min_width=200,
            elem_id="sd-model",
        )
        p.quality = gr.Radio(
            list(QUALITIES), value=DEFAULT_QUALITY, label="Quality", min_width=160, elem_id="sd-quality"
        )
    p.duration = duration_slider("sd-duration")
    p.aspect_ratio = gr.Radio(
        list(ASPECT_RATIOS),
        value=DEFAULT_ASPECT_RATIO,
        label="Aspect ratio",
        elem_classes="sd-ratio",
        elem_id="sd-ratio",
    )
    with gr.Row():
        p.generate_audio = gr.Checkbox(
            value=DEFAULT_GENERATE_AUDIO,
            label="Generate audio",
            info="Ambient sound, music and dialogue — free.",
            elem_id="sd-audio",
        )
        p.web_search = gr.Checkbox(
            value=DEFAULT_WEB_SEARCH,
            label="Web search",
            info=WEB_SEARCH_INFO,
            elem_id="sd-web",
        )
    with gr.Accordion("Advanced", open=False, elem_id="sd-advanced"):
        p.content_filter = gr.Checkbox(
            value=DEFAULT_CONTENT_FILTER,
            label="Content filter",
            info=f"On by default. Off is billed ×{CONTENT_FILTER_OFF_FACTOR:g} (the estimate shows it).",
            elem_id="sd-content-filter",
        )
    cost = gr.HTML(initial_cost(), elem_id="sd-cost")

    gr.on(
        [p.prompt.change, p.web_search.change, p.model.change, p.ref_counts.change],
        studio.on_prompt,
        inputs=[p.prompt, p.web_search, p.model, p.ref_counts],
        outputs=[p.counter, p.straighten_btn],
        trigger_mode="always_last",
        **INSTANT,
    )
    gr.on(
        [p.model.change, p.duration.change, p.quality.change, p.web_search.change, p.content_filter.change,
         p.video_seconds.change],
        studio.on_cost,
        inputs=[p.model, p.duration, p.quality, p.web_search, p.content_filter, p.video_seconds],
        outputs=[cost],
        trigger_mode="always_last",
        **INSTANT,
    )


def create_panel(studio: Studio) -> tuple[gr.Button, gr.Button]:
    """The left column: prompt, craft, settings, cost; returns (Generate, Cancel), wired with the
    preview they drive (`wire_generate`)."""
    with gr.Column(scale=6, min_width=340, elem_classes="sd-panel", elem_id="sd-create"):
        section("Create", "Pick a mode, describe the shot, check the cost.")
        mode_switch(studio)
        frames_panel(studio)
        references_panel(studio)
        prompt_box(studio)
        studio.page.ref_tags = gr.HTML(
            chips_html(input_counts((), (), ()), reference_limits(model_id(MODE_REFERENCES, TIERS[0]))),
            visible=False,
            elem_id="sd-ref-tags",
        )
        craft_panel(studio)
        settings_panel(studio)
        media_events(studio)
        with gr.Row():
            generate_btn = gr.Button("Generate", variant="primary", size="lg", scale=3, elem_id="sd-generate")
            studio.page.generate_btn = generate_btn
            cancel_btn = gr.Button(
                "Cancel", variant="stop", size="lg", scale=1, min_width=110, elem_id="sd-cancel"
            )
    return generate_btn, cancel_btn


def preview_panel(studio: Studio) -> None:
    """The right column: live progress, then the finished shot."""
    p = studio.page
    with gr.Column(scale=5, min_width=340, elem_classes="sd-panel", elem_id="sd-preview"):
        section("Preview", "Live progress, then your shot.")
        p.status = gr.HTML("", elem_id="sd-status")
        p.progress = gr.HTML(views.progress_card(None), elem_id="sd-progress")
        p.video = gr.Video(
            label="Result",
            show_label=False,
            interactive=False,
            visible=False,
            elem_id="sd-video",
            buttons=["download"],
            loop=True,
        )
        p.download = gr.DownloadButton(
            "Download MP4", visible=False, variant="secondary", elem_id="sd-download"
        )
        p.params = gr.HTML("", elem_id="sd-params")


def history_panel(studio: Studio) -> None:
    """The owner's history: a gallery, and the selected item's detail and actions."""
    p = studio.page
    with gr.Column(elem_classes="sd-panel", elem_id="sd-history-panel"):
        section("History", "Your shots in this browser, newest first — kept across visits.")
        with gr.Row(equal_height=False):
            p.gallery = gr.Gallery(
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
                p.detail_video = gr.Video(
                    label="Selected",
                    show_label=False,
                    interactive=False,
                    visible=False,
                    elem_id="sd-detail-video",
                    loop=True,
                )
                p.detail = gr.HTML(views.detail_html(None), elem_id="sd-detail")
                with gr.Row():
                    p.reuse_btn = gr.Button(
                        "Reuse settings", variant="primary", visible=False, elem_id="sd-reuse", min_width=120
                    )
                    p.continue_btn = gr.Button(
                        "Continue this shot", variant="secondary", visible=False, elem_id="sd-continue",
                        min_width=150,
                    )
                    p.delete_btn = gr.Button(
                        "Delete", variant="stop", visible=False, elem_id="sd-delete", min_width=90
                    )
                    p.cancel_job_btn = gr.Button(
                        "Cancel job", variant="stop", visible=False, elem_id="sd-cancel-job", min_width=110
                    )

    detail = [
        p.selected_job, p.detail_video, p.detail, p.reuse_btn, p.continue_btn, p.delete_btn, p.cancel_job_btn
    ]
    selected = p.gallery.select(studio.select, inputs=[p.history_ids, p.owner], outputs=detail, **LIGHT)
    detail_follow = selected.then(
        studio.follow_detail, inputs=[p.selected_job, p.owner], outputs=detail, **WATCH
    )
    p.gallery.select(None, None, None, cancels=[detail_follow], api_visibility="private", queue=False)
    reused = p.reuse_btn.click(
        studio.reuse, inputs=[p.selected_job, p.owner], outputs=[*controls(p), p.content_filter, p.status],
        **LIGHT,
    )
    reused.then(  # once the page shows the job's mode: its inputs (their events read the new model)
        studio.reuse_inputs, inputs=[p.selected_job, p.owner], outputs=media_inputs(p)[1:], **LIGHT
    )
    p.continue_btn.click(
        studio.continue_shot,
        inputs=[p.selected_job, p.owner],
        outputs=[p.model, p.first_frame, p.last_frame, p.aspect_ratio, p.status],
        **LIGHT,
    )
    p.delete_btn.click(
        studio.delete,
        inputs=[p.selected_job, p.owner],
        outputs=[p.gallery, p.history_ids, *detail, p.status],
        **LIGHT,
    )
    p.cancel_job_btn.click(
        studio.cancel_selected, inputs=[p.selected_job, p.owner], outputs=[p.status], **SUBMIT
    )


def controls(p: StudioPage) -> list[Any]:
    """The create panel's fields, in the order a generation request takes them."""
    return [p.prompt, p.model, p.duration, p.quality, p.aspect_ratio, p.generate_audio, p.web_search]


def media_inputs(p: StudioPage) -> list[Any]:
    """The content filter and the media inputs, in the order `Studio.submit` takes them after the key."""
    return [p.content_filter, p.first_frame, p.last_frame, p.ref_images, p.ref_videos, p.ref_audios]


# Set on <body> once the page load's answer is in the page (its owner id, history and states): a mark
# for what must wait for it (tests/page_helpers.py). Invisible, and nothing in the accessibility tree.
LOADED_ATTRIBUTE = "data-sd-loaded"
LOADED_JS = f"() => {{ document.body.setAttribute('{LOADED_ATTRIBUTE}', 'true'); }}"


def wire_page(demo: gr.Blocks, studio: Studio, generate_btn: gr.Button, cancel_btn: gr.Button) -> None:
    """The page load, Generate and Cancel, and the page watcher that follows the job they start."""
    p = studio.page
    preview = [p.progress, p.video, p.download, p.params, p.status]
    loaded = demo.load(
        studio.on_load,
        inputs=[p.owner],
        outputs=[p.owner, p.gallery, p.history_ids, p.current_job, *preview, p.drawn, p.submit_token],
        **LIGHT,
    )
    loaded.then(None, None, None, js=LOADED_JS, queue=False, api_visibility="private")
    # One stream per open page, and only while a job of its owner is in flight.
    watch_inputs = [p.current_job, p.owner, p.drawn]
    watch_outputs = [p.progress, p.outcome_signal, p.history_signal]
    load_watch = loaded.then(studio.watch_page, inputs=watch_inputs, outputs=watch_outputs, **WATCHER)
    p.outcome_signal.change(
        studio.show_outcome,
        inputs=[p.outcome_signal, p.owner],
        outputs=[p.video, p.download, p.params, p.status, p.gallery, p.history_ids],
        **REDRAW,
    )
    p.history_signal.change(
        studio.show_history, inputs=[p.owner], outputs=[p.gallery, p.history_ids], **REDRAW
    )

    # One press pays once: the button is off from the click (in the page, at once) until the answer has
    # settled, and the submission token makes one job of every event that carries it.
    generate_btn.click(None, None, [generate_btn], js=_BUTTON_OFF_JS, queue=False, api_visibility="private")
    submitted = generate_btn.click(
        studio.submit,
        inputs=[*controls(p), p.owner, p.visitor_key, *media_inputs(p), p.submit_token],
        outputs=[
            p.owner,
            p.current_job,
            p.status,
            p.progress,
            p.video,
            p.download,
            p.params,
            p.gallery,
            p.history_ids,
            p.drawn,
            p.submit_token,
            generate_btn,
        ],
        **SUBMIT,
        show_progress="minimal",
        show_progress_on=[generate_btn],
        trigger_mode="once",
    )
    submitted.then(None, None, [generate_btn], js=_BUTTON_ON_JS, queue=False, api_visibility="private")
    gen_watch = submitted.then(studio.watch_page, inputs=watch_inputs, outputs=watch_outputs, **WATCHER)
    # A new Generate replaces this page's watcher (the jobs themselves keep going).
    generate_btn.click(
        None, None, None, cancels=[load_watch, gen_watch], api_visibility="private", queue=False
    )
    cancel_btn.click(studio.cancel, inputs=[p.current_job, p.owner], outputs=[p.status], **SUBMIT)


def api_endpoint(studio: Studio) -> None:
    """The programmatic API: /generate (hidden components; the names come from the function)."""
    with gr.Column(visible=False):
        api_prompt = gr.Textbox(label="prompt")
        api_model = gr.Dropdown(
            list(MODEL_SPECS), value=DEFAULT_MODEL, label="model", allow_custom_value=True
        )
        api_duration = gr.Number(value=DEFAULT_DURATION, label="duration", precision=0)
        api_quality = gr.Dropdown(
            list(ALL_QUALITIES), value=DEFAULT_QUALITY, label="quality", allow_custom_value=True
        )
        api_ratio = gr.Dropdown(
            list(ASPECT_RATIOS), value=DEFAULT_ASPECT_RATIO, label="aspect_ratio", allow_custom_value=True
        )
        api_audio = gr.Checkbox(value=DEFAULT_GENERATE_AUDIO, label="generate_audio")
        api_web = gr.Checkbox(value=DEFAULT_WEB_SEARCH, label="web_search")
        # Image files exactly as sent (gr.File: Gradio's Image would re-encode them), URLs as lists.
        api_first = gr.File(label="first_frame", file_types=["image"], type="filepath")
        api_last = gr.File(label="last_frame", file_types=["image"], type="filepath")
        api_images = gr.File(label="reference_images", file_types=["image"], type="filepath",
                             file_count="multiple")
        api_videos = gr.Dropdown([], value=[], multiselect=True, allow_custom_value=True,
                                 label="reference_video_urls")
        api_audios = gr.Dropdown([], value=[], multiselect=True, allow_custom_value=True,
                                 label="reference_audio_urls")
        api_filter = gr.Checkbox(value=DEFAULT_CONTENT_FILTER, label="content_filter")
        api_key = gr.Textbox(value="", label="idempotency_key")
        api_video = gr.Video(label="video")
        api_result = gr.JSON(label="result")
        api_trigger = gr.Button("generate")
    api_trigger.click(
        studio.api_generate,
        inputs=[api_prompt, api_model, api_duration, api_quality, api_ratio, api_audio, api_web,
                api_first, api_last, api_images, api_videos, api_audios, api_filter, api_key],
        outputs=[api_video, api_result],
        api_name="generate",
        api_description="Generate a video with Seedance 2.0 and wait for it (text, frames or references: "
        "the model picks the mode). The final output is the mp4 and a JSON summary whose `video_path` is "
        "the file's path in the server's data folder. A call with the same `idempotency_key` as an earlier "
        "one follows that call's job instead of making another.",
        concurrency_id="api-generate",
        concurrency_limit=API_LIMIT,
    )


def accept_short_calls(demo: gr.Blocks, api_name: str = "generate") -> None:
    """Callers written for `/generate`'s first seven parameters keep working: values missing at the end
    of a raw call take their components' defaults (gradio_client fills them in itself; Gradio alone
    would refuse the call)."""
    check = demo.validate_inputs

    def validate_inputs(block_fn: Any, inputs: list[Any]) -> None:
        if block_fn.api_name == api_name and len(inputs) < len(block_fn.inputs):
            inputs.extend(component.value for component in block_fn.inputs[len(inputs):])
        check(block_fn, inputs)

    demo.validate_inputs = validate_inputs  # type: ignore[method-assign]


def build_demo(runtime: Runtime, studio: Studio | None = None) -> gr.Blocks:
    """The whole studio page, wired to `runtime` (through `studio`, its handlers: a new one by default)."""
    studio = studio or Studio(runtime)
    # delete_cache: Gradio serves copies of our files from its cache; copies older than a day go (hourly).
    with gr.Blocks(title="Seedance Studio", analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        page_state(studio)
        gr.HTML(header_html(runtime), elem_id="sd-header-block")
        if runtime.settings.sign_in:  # Gradio's OAuth: the owner becomes hf:<username> (security/owners.py)
            gr.LoginButton(elem_id="sd-login", size="sm")
        key_panel(studio)
        with gr.Tabs(elem_id="sd-tabs"):
            with gr.Tab("Studio", id="studio", elem_id="sd-tab-studio"):
                with gr.Row(equal_height=False, elem_id="sd-main"):
                    generate_btn, cancel_btn = create_panel(studio)
                    preview_panel(studio)
                history_panel(studio)
            storyboard = build_storyboard_tab(
                runtime, owner=studio.page.owner, visitor_key=studio.page.visitor_key
            )
            studio.board_session = storyboard.session  # a key entered on the key panel resumes its chains too
        gr.HTML(
            f'<div class="sd-foot">Seedance Studio {__version__} · your prompts and videos stay on this '
            "server; provider links expire after 24 hours, so every video is saved the moment it is ready."
            f"{mcp_footer(runtime)}</div>"
        )
        api_endpoint(studio)
        accept_short_calls(demo)
        wire_page(demo, studio, generate_btn, cancel_btn)
        add_agent_api(demo, runtime)  # MCP tools for agents (SEEDANCE_MCP)

    # api_open=False: a queued event is reachable only through the queue (never /gradio_api/run/<name>),
    # so its concurrency limit holds however it is called (security/gate.py closes /call/<name>).
    demo.queue(default_concurrency_limit=DEFAULT_CONCURRENCY, api_open=False)
    return demo


__all__ = ["ASSETS", "QUEUE_SLOTS", "build_demo", "header_html", "key_panel_title"]
