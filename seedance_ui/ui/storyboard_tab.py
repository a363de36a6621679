"""The Storyboard tab: plan a sequence of shots, price and generate them, compare takes, export the review.

`build_storyboard_tab(runtime, owner=..., visitor_key=...)` is called by `layout.build_demo` inside its
`gr.Tabs`. The tab is made of panels (the board bar, the shot tiles, the shot editor, compare, the review
exports), each placing its components; each panel's events are wired in the function right after it. The
work is done by a `BoardSession` (seedance_ui/storyboard/session.py, no Gradio): the handlers
(`storyboard_handlers.StoryboardTab`) only translate a page event into one session call and its result
into components.

Where state lives:
- the board itself: on disk, per owner; every verb commits what the page shows under a per-board lock,
  merged field by field with what other pages saved (the session's PageMemory);
- the ids of the open board and the selected shot: two hidden textboxes, so they travel from the browser
  together with the editor's field values of the same moment (a gr.State is read on the server when the
  event runs, which could pair shot 2's id with shot 1's text).

Live tiles: a gr.Timer ticks every TICK_SECONDS while any take of the board is in flight and re-renders
the tiles from the job manager's records. Review exports land in `<data_dir>/exports/<owner key>/`
(inside `allowed_paths`), made in a worker thread.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from seedance_ui.options import ASPECT_RATIOS, QUALITIES
from seedance_ui.runtime import Runtime
from seedance_ui.storyboard.page import BOARD
from seedance_ui.storyboard.validation import FROM_LAST_FRAME, FROM_VIDEO
from seedance_ui.ui import storyboard_continuity as scv
from seedance_ui.ui import storyboard_views as sv
from seedance_ui.ui.common import (
    EXPORT_LIMIT,
    SUBMIT_LIMIT,
    TICK_SECONDS,
    UI_LIMIT,
    duration_slider,
    group,
    script,
    section,
)
from seedance_ui.ui.picture_inputs import guarded
from seedance_ui.ui.storyboard_handlers import Page, StoryboardTab

QUICK = group("storyboard", UI_LIMIT, show_progress="hidden")
SAVE = {**QUICK, "trigger_mode": "always_last"}  # a burst of keystrokes folds into one save
EXPORT = group("storyboard-export", EXPORT_LIMIT, show_progress="minimal")
PROMPT_PLACEHOLDER = (
    'Subject, action, camera move, light and mood. Dialogue in straight quotes: She whispers: "We made it."'
)


# --------------------------------------------------------------------------------------------------
# The panels: each places its components; its events are wired right after it


def hidden_state(p: Page) -> None:
    p.board_box = gr.Textbox("", visible=False, elem_id="sb-board-id")
    p.shot_box = gr.Textbox("", visible=False, elem_id="sb-shot-id")
    p.takes_sig = gr.State("")
    p.plan = gr.State(None)
    p.compared = gr.State([])
    p.timer = gr.Timer(TICK_SECONDS, active=False)


def wire_tab(tab: gr.Tab, p: Page, h: StoryboardTab) -> None:
    tab.select(h.on_open, [p.owner, p.board_box, p.shot_box], p.everything(), **QUICK)
    p.timer.tick(h.on_tick, [p.owner, p.board_box, p.shot_box, p.takes_sig], p.everything(), **QUICK)


def board_panel(p: Page) -> None:
    """The board bar (picker, title, new / import / export) and the board's settings."""
    with gr.Column(elem_classes="sd-panel", elem_id="sb-board"):
        section("Storyboard", "Plan a sequence of shots, generate them, compare takes, share the review.")
        with gr.Row(equal_height=False, elem_id="sb-board-bar"):
            p.picker = gr.Dropdown(
                [], label="Board", scale=3, min_width=220, elem_id="sb-picker", interactive=True
            )
            p.title = gr.Textbox(label="Board title", scale=3, min_width=200, max_lines=1, elem_id="sb-title")
            with gr.Column(scale=5, min_width=280), gr.Row(elem_id="sb-board-actions"):
                p.new_btn = gr.Button("New board", size="sm", elem_id="sb-new", min_width=100)
                p.sample_btn = gr.Button(
                    "Continuity sample", size="sm", elem_id="sb-sample", min_width=140
                )
                p.import_btn = gr.UploadButton(
                    "Import JSON / CSV",
                    file_types=[".json", ".csv"],
                    size="sm",
                    elem_id="sb-import",
                    min_width=140,
                )
                p.json_btn = gr.Button("Export JSON", size="sm", elem_id="sb-export-json", min_width=110)
                p.csv_btn = gr.Button("Export CSV", size="sm", elem_id="sb-export-csv", min_width=110)
        with gr.Row(equal_height=False, elem_id="sb-settings-row"):
            p.style = gr.Textbox(
                label="Style line — appended to every prompt",
                placeholder="e.g. cinematic, 35mm film grain, muted teal and amber palette",
                max_lines=2,
                scale=5,
                min_width=280,
                elem_id="sb-style",
            )
            p.quality = gr.Radio(
                list(QUALITIES), label="Quality", scale=2, min_width=150, elem_id="sb-quality"
            )
            p.model = gr.Radio(sv.model_choices(), label="Model", scale=2, min_width=190, elem_id="sb-model")
            p.audio = gr.Checkbox(label="Audio", info="Free", scale=1, min_width=100, elem_id="sb-audio")
        p.aspect_ratio = gr.Radio(
            list(ASPECT_RATIOS), label="Aspect ratio", elem_classes="sd-ratio", elem_id="sb-ratio"
        )
    cast_panel(p)
    p.summary = gr.HTML("", elem_id="sb-summary")
    p.notice = gr.HTML("", elem_id="sb-notice")


def cast_panel(p: Page) -> None:
    """The board's cast and looks: named reference images (add, remove) shown as chips."""
    with gr.Accordion("Cast and looks", open=True, elem_id="sb-cast-panel"):
        p.cast_chips = gr.HTML(scv.cast_chips_html(None), elem_id="sb-cast-chips")
        with gr.Row(equal_height=False, elem_id="sb-cast-add"):
            # The file as dropped (image_mode None: never decoded nor re-encoded by Gradio), measured from
            # its header first (`guarded`: a picture past the contract's limits is refused undecoded).
            p.cast_image = guarded(
                gr.Image(
                    label="Reference image (JPEG, PNG or WebP)",
                    type="filepath",
                    image_mode=None,
                    sources=["upload"],
                    height=140,
                    scale=2,
                    min_width=160,
                    elem_id="sb-cast-image",
                ),
                "cast image",
            )
            with gr.Column(scale=3, min_width=220):
                p.cast_name = gr.Textbox(
                    label="Name", placeholder="e.g. Mara, the lighthouse, film stock", max_lines=1,
                    elem_id="sb-cast-name",
                )
                p.cast_add_btn = gr.Button("Add to cast", size="sm", elem_id="sb-cast-add-btn")
            with gr.Column(scale=3, min_width=220):
                p.cast_remove = gr.Dropdown([], label="Remove an entry", elem_id="sb-cast-remove")
                p.cast_remove_btn = gr.Button(
                    "Remove from cast", size="sm", variant="stop", elem_id="sb-cast-remove-btn"
                )


def wire_cast_panel(p: Page, h: StoryboardTab) -> None:
    everything, shown = p.everything(), p.shown_inputs()
    outputs = [*everything, p.cast_image, p.cast_name]
    p.cast_add_btn.click(h.add_cast, [*shown, p.cast_image, p.cast_name], outputs, **QUICK)
    p.cast_remove_btn.click(h.remove_cast, [*shown, p.cast_remove], everything, **QUICK)


def wire_board_panel(p: Page, h: StoryboardTab) -> None:
    everything, shown = p.everything(), p.shown_inputs()
    # Saved as the reviewer types or clicks. Gradio's textbox "input" follows typing only, so text is also
    # saved when the field loses focus (a paste); every action commits the page first.
    gr.on([p.style.input, p.style.blur], h.on_save, shown, everything, **SAVE)
    gr.on([p.title.input, p.title.blur], h.on_save_title, shown, everything, **SAVE)
    for control in (p.aspect_ratio, p.quality, p.model, p.audio):
        control.input(h.on_save, shown, everything, **SAVE)
    p.picker.input(h.switch_board, [*shown, p.picker], everything, **QUICK)
    p.new_btn.click(h.new_board, shown, everything, **QUICK)
    p.sample_btn.click(h.open_sample, shown, everything, **QUICK)
    p.import_btn.upload(h.import_file, [*shown, p.import_btn], everything, **QUICK)
    p.json_btn.click(h.export_json, shown, p.export_outputs(), **QUICK)
    p.csv_btn.click(h.export_csv, shown, p.export_outputs(), **QUICK)


def shots_panel(p: Page) -> None:
    """The shot tiles, "add" and "generate", and the confirmation of what a generate would cost."""
    with gr.Column(scale=7, min_width=320, elem_classes="sd-panel", elem_id="sb-shots-panel"):
        section("Shots", "Click a tile to edit it; tiles follow each job live.")
        p.tiles = gr.HTML(sv.tiles_html(None, [], None), elem_id="sb-tiles", js_on_load=script("sb-tiles.js"))
        with gr.Row(elem_id="sb-gen-row"):
            p.add_btn = gr.Button("+ Add shot", elem_id="sb-add", scale=1, min_width=110)
            p.gen_missing_btn = gr.Button(
                "Generate missing or failed", elem_id="sb-generate-missing", scale=2, min_width=240
            )
            p.gen_all_btn = gr.Button(
                "Generate all", variant="primary", elem_id="sb-generate-all", scale=2, min_width=150
            )
        with gr.Column(visible=False, elem_id="sb-confirm") as p.confirm_group:
            p.confirm_html = gr.HTML("", elem_id="sb-confirm-card")
            with gr.Row():
                p.confirm_btn = gr.Button(
                    "Confirm", variant="primary", elem_id="sb-confirm-go", scale=3, min_width=260
                )
                p.cancel_btn = gr.Button("Not now", elem_id="sb-confirm-cancel", scale=1, min_width=120)


def wire_shots_panel(p: Page, h: StoryboardTab) -> None:
    everything, shown = p.everything(), p.shown_inputs()
    p.tiles.click(h.on_tiles, shown, everything, **QUICK)
    p.add_btn.click(h.add_shot, shown, everything, **QUICK)
    p.gen_all_btn.click(h.ask_all, shown, everything, **QUICK)
    p.gen_missing_btn.click(h.ask_missing, shown, everything, **QUICK)
    p.cancel_btn.click(h.cancel_plan, None, [p.confirm_group, p.plan, p.notice], **QUICK)
    p.confirm_btn.click(
        h.confirm,
        [*shown, p.plan, p.visitor_key],
        everything,
        **group("storyboard-submit", SUBMIT_LIMIT, show_progress="minimal", show_progress_on=[p.confirm_btn]),
    )


def editor_panel(p: Page, settings: Any) -> None:
    """The selected shot: its fields, per-shot overrides, actions, takes and the compare picker."""
    with gr.Column(scale=5, min_width=320, elem_classes="sd-panel", elem_id="sb-editor-panel"):
        p.editor_head = gr.HTML(sv.editor_head_html(None, None), elem_id="sb-editor-head-block")
        with gr.Column(visible=False, elem_id="sb-editor") as p.editor:
            p.shot_title = gr.Textbox(label="Title", elem_id="sb-shot-title", max_lines=1)
            p.shot_prompt = gr.Textbox(
                label="Prompt",
                lines=5,
                max_lines=14,
                placeholder=PROMPT_PLACEHOLDER,
                max_length=getattr(settings, "max_prompt_chars", None),
                elem_id="sb-shot-prompt",
            )
            p.shot_duration = duration_slider("sb-shot-duration")
            p.shot_cast = gr.CheckboxGroup(
                [],
                label="Cast and looks in this shot",
                info="Name them in the prompt as @[name]; they are sent as @image1, @image2, … in order.",
                elem_id="sb-shot-cast",
            )
            p.shot_chain = gr.Checkbox(
                value=False,
                label="Start from the end of the previous shot",
                info="It waits for the previous shot's chosen take and continues it.",
                elem_id="sb-shot-chain",
            )
            p.shot_continues = gr.Radio(
                [("From its last frame", FROM_LAST_FRAME), ("Extend its video (@video1)", FROM_VIDEO)],
                value=FROM_LAST_FRAME,
                label="Continue the previous take",
                info="Its last frame becomes this shot's first frame, or its whole video is continued "
                "(its seconds are billed as input).",
                elem_id="sb-shot-continues",
            )
            with gr.Accordion("Per-shot overrides", open=False, elem_id="sb-overrides"):
                p.shot_model = gr.Radio(
                    [("Board", BOARD), *sv.model_choices()],
                    value=BOARD,
                    label="Model",
                    elem_id="sb-shot-model",
                )
                p.shot_quality = gr.Radio(
                    [("Board", BOARD), *[(q, q) for q in QUALITIES]],
                    value=BOARD,
                    label="Quality",
                    elem_id="sb-shot-quality",
                )
                p.shot_audio = gr.Radio(
                    [("Board", BOARD), ("On", "on"), ("Off", "off")],
                    value=BOARD,
                    label="Audio",
                    elem_id="sb-shot-audio",
                )
            p.editor_info = gr.HTML("", elem_id="sb-editor-info")
            with gr.Row(elem_id="sb-shot-actions"):
                p.up_btn = gr.Button("↑ Move up", size="sm", elem_id="sb-up", min_width=90)
                p.down_btn = gr.Button("↓ Move down", size="sm", elem_id="sb-down", min_width=90)
                p.dup_btn = gr.Button("Duplicate", size="sm", elem_id="sb-duplicate", min_width=90)
                p.del_btn = gr.Button("Delete", size="sm", variant="stop", elem_id="sb-delete", min_width=80)
            p.shot_gen_btn = gr.Button("Generate this shot", variant="primary", elem_id="sb-shot-generate")
            p.takes = gr.HTML("", elem_id="sb-takes", js_on_load=script("sb-takes.js"))
            with gr.Row(equal_height=False, visible=False, elem_id="sb-compare-row") as p.compare_row:
                p.compare_pick = gr.CheckboxGroup(
                    [], label="Compare takes (2–4)", scale=3, min_width=200, elem_id="sb-compare-pick"
                )
                p.compare_btn = gr.Button(
                    "Compare side by side", scale=2, min_width=160, elem_id="sb-compare-btn"
                )


def wire_editor_panel(p: Page, h: StoryboardTab) -> None:
    everything, shown = p.everything(), p.shown_inputs()
    for box in (p.shot_title, p.shot_prompt):
        gr.on([box.input, box.blur], h.on_save, shown, everything, **SAVE)
    p.shot_duration.change(h.on_save, shown, everything, **SAVE)  # the slider saves on "change"
    for control in (p.shot_model, p.shot_quality, p.shot_audio, p.shot_cast, p.shot_chain, p.shot_continues):
        control.input(h.on_save, shown, everything, **SAVE)
    p.up_btn.click(h.move_up, shown, everything, **QUICK)
    p.down_btn.click(h.move_down, shown, everything, **QUICK)
    p.dup_btn.click(h.duplicate_shot, shown, everything, **QUICK)
    p.del_btn.click(h.delete_shot, shown, everything, **QUICK)
    p.shot_gen_btn.click(h.ask_shot, shown, everything, **QUICK)
    p.takes.click(h.on_pick_take, [*shown, p.compared], everything, **QUICK)
    p.compare_btn.click(h.show_compare, [*shown, p.compare_pick], everything, **QUICK)


def compare_panel(p: Page) -> None:
    """Two to four takes side by side, kept in step by the compare script."""
    with gr.Column(visible=False, elem_classes="sd-panel", elem_id="sb-compare-panel") as p.compare_col:
        p.compare = gr.HTML("", elem_id="sb-compare", js_on_load=script("sb-compare.js"))


def wire_compare_panel(p: Page, h: StoryboardTab) -> None:
    p.compare.click(h.on_compare_click, [*p.shown_inputs(), p.compared], p.everything(), **QUICK)


def exports_panel(p: Page) -> None:
    """The review exports of the chosen takes: contact sheet, animatic, review zip, and the downloads."""
    with gr.Column(elem_classes="sd-panel", elem_id="sb-exports"):
        section(
            "Review exports",
            "The chosen take of each shot: a contact sheet (PNG), an animatic (MP4) and a review zip "
            "with the videos and a manifest.",
        )
        with gr.Row(equal_height=False, elem_id="sb-export-row"):
            p.sheet_btn = gr.Button("Contact sheet", elem_id="sb-export-sheet", min_width=140)
            p.animatic_btn = gr.Button("Animatic", elem_id="sb-export-animatic", min_width=120)
            p.zip_btn = gr.Button("Review zip", variant="primary", elem_id="sb-export-zip", min_width=140)
            p.cards = gr.Checkbox(
                value=True, label="Title cards in the animatic", elem_id="sb-title-cards", min_width=200
            )
        p.export_note = gr.HTML("", elem_id="sb-export-note")
        with gr.Row(equal_height=False):
            p.sheet_preview = gr.Image(
                label="Contact sheet",
                visible=False,
                interactive=False,
                type="filepath",
                elem_id="sb-sheet-preview",
                buttons=["download", "fullscreen"],
            )
            p.animatic_preview = gr.Video(
                label="Animatic", visible=False, interactive=False, elem_id="sb-animatic-preview"
            )
        p.downloads = gr.File(
            label="Downloads", file_count="multiple", interactive=False, visible=False, elem_id="sb-downloads"
        )


def wire_exports_panel(p: Page, h: StoryboardTab) -> None:
    shown, outputs = p.shown_inputs(), p.export_outputs()
    p.sheet_btn.click(h.export_sheet, shown, outputs, show_progress_on=[p.sheet_btn], **EXPORT)
    p.animatic_btn.click(
        h.export_animatic, [*shown, p.cards], outputs, show_progress_on=[p.animatic_btn], **EXPORT
    )
    p.zip_btn.click(h.export_review_zip, shown, outputs, show_progress_on=[p.zip_btn], **EXPORT)


def build_storyboard_tab(runtime: Runtime, *, owner: gr.BrowserState, visitor_key: gr.State) -> StoryboardTab:
    """Add the Storyboard tab (inside the caller's gr.Tabs) and wire its events; returns its handlers.
    `owner` is the studio's per-browser id (gr.BrowserState); the visitor's own key (a session gr.State)
    is used for submissions, as in the studio tab."""
    p = Page(owner, visitor_key)
    with gr.Tab("Storyboard", id="storyboard", elem_id="sd-tab-storyboard") as tab:
        hidden_state(p)
        board_panel(p)
        with gr.Row(equal_height=False, elem_id="sb-main"):
            shots_panel(p)
            editor_panel(p, runtime.settings)
        compare_panel(p)
        exports_panel(p)
    h = StoryboardTab(runtime, p)
    wire_tab(tab, p, h)
    for wire in (
        wire_board_panel,
        wire_cast_panel,
        wire_shots_panel,
        wire_editor_panel,
        wire_compare_panel,
        wire_exports_panel,
    ):
        wire(p, h)
    return h


__all__ = ["Page", "StoryboardTab", "build_storyboard_tab"]
