"""The create panel: the left column, where a shot is described and priced. Its prompt (the counter and
lint on every keystroke), the prompt craft's inserts, the settings and the cost card are here; the mode
switch and the media inputs are the media panel's (`media.MediaPanel`), placed in this column.

The lint and cost events skip the queue (`common.INSTANT`), so anyone can send them as often as they
like: each is bounded here (the prompt cap first, long prompts on one lint thread).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Callable
from typing import Any

import gradio as gr

from seedance_ui.options import (
    ASPECT_RATIOS,
    CONTENT_FILTER_OFF_FACTOR,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_CONTENT_FILTER,
    DEFAULT_DURATION,
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
    DEFAULT_WEB_SEARCH,
    DURATION_MAX,
    DURATION_MIN,
    MODE_TEXT,
    QUALITIES,
)
from seedance_ui.pricing import estimate
from seedance_ui.runtime import Runtime
from seedance_ui.ui import views
from seedance_ui.ui.assist.prompt_assist import PromptAssist
from seedance_ui.ui.assist.target import Target, craft_enabled
from seedance_ui.ui.common import INSTANT, Out, duration_slider, handler, script, section, toast_warning
from seedance_ui.ui.prompt_lint import lint, straighten_quotes
from seedance_ui.ui.studio import craft
from seedance_ui.ui.studio.fields import (
    is_references,
    measured_seconds,
    prompt_over_limit,
    reference_counts,
    too_long,
    whole_seconds,
)
from seedance_ui.ui.studio.media import WEB_SEARCH_INFO, MediaPanel
from seedance_ui.ui.studio.modes import TIER_INFO, tier_choices
from seedance_ui.ui.studio.page import QUIET, Panel, StudioPage

# Prompts up to this length are linted right on the event loop (tens of microseconds); longer ones on
# LINT_THREAD, a single worker, so parallel long prompts cannot take the loop's turns between them.
INLINE_LINT_CHARS = 500
LINT_THREAD = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="lint")

# The prompt-craft menus (category, label, table of (label, snippet)), laid out two a row.
CRAFT_MENUS = (
    (("shot", "Shot size", craft.SHOT_SIZES), ("camera", "Camera move", craft.CAMERA_MOVES)),
    (("lighting", "Lighting", craft.LIGHTING), ("style", "Style", craft.STYLES)),
)

PROMPT_PLACEHOLDER = (
    "Describe the shot: who or what, doing what, the camera (pan, tilt, dolly, orbit…), the light and "
    'the mood. Put spoken lines in straight double quotes: She whispers: "We made it."'
)


# The largest prompt length the page may claim for the counter's message (`probe_js`): a claim is only
# ever shown back to the page that made it, so this only keeps the number sane.
MAX_SAID_LENGTH = 100_000_000


def probe_js(limit: int) -> str:
    """The page's side of the per-keystroke counter and lint: the prompt box's change writes, into the hidden
    probe (`prompt_probe`), the prompt's full length in characters (code points, as Python counts), a colon
    and the prompt cut to `limit` + 1 characters when longer (enough to say it is over the cap). The probe's
    own change sends that to the server (`on_prompt`), never the box's value: Gradio echoes a Textbox's whole
    value as a change event's event data, so a long paste sent from the box itself was refused at the
    edge (instant_request_bytes) and the counter went stale. The box itself keeps every character."""
    return (
        "(prompt) => { const text = typeof prompt === 'string' ? prompt : ''; "
        f"const chars = Array.from(text); const cut = chars.length > {limit} "
        f"? chars.slice(0, {limit + 1}).join('') : text; return chars.length + ':' + cut; }}"
    )


def read_probe(probe: Any) -> tuple[str, int]:
    """(the prompt, as the page cut it; the length it said the whole prompt had) from `probe_js`'s value;
    anything else reads as an empty prompt."""
    head, sep, text = probe.partition(":") if isinstance(probe, str) else ("", "", "")
    return (text, int(head)) if sep and head.isdigit() and len(head) <= 12 else ("", 0)


def submit_clip_js(limit: int) -> str:
    """Generate's page side: the prompt (its first input) cut as `probe_js` cuts it and its full length put
    in its last input (`prompt_length`), so a paste however long is answered at Generate with its length
    and the limit (`said_length`), never by a request past the edge's body cap (a bare HTTP 413)."""
    return (
        "(...values) => { const text = typeof values[0] === 'string' ? values[0] : ''; "
        f"const chars = Array.from(text); if (chars.length > {limit}) "
        f"values[0] = chars.slice(0, {limit + 1}).join(''); "
        "values[values.length - 1] = chars.length; return values; }"
    )


def said_length(text: str, length: Any) -> int:
    """A prompt's length in characters: what the page says it was (`probe_js`, `submit_clip_js`: it sent
    only the start of a longer one), never less than what arrived, at most MAX_SAID_LENGTH."""
    said = length if isinstance(length, int | float) and not isinstance(length, bool) else 0
    return max(len(text), min(int(said), MAX_SAID_LENGTH))


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


class CreatePanel(Panel):
    """Prompt, craft, settings and cost, with their events; handed the media panel, whose parts it places."""

    def __init__(self, page: StudioPage, runtime: Runtime, media: MediaPanel) -> None:
        super().__init__(page, runtime)
        self.media = media
        self._long_lints: set[str] = set()  # client addresses with a long prompt on the lint thread

    def build(self) -> None:
        """The left column: mode and media, prompt, craft, settings, cost, and Generate and Cancel (the
        preview panel wires those two: `PreviewPanel.wire`)."""
        media = self.media
        with gr.Column(scale=6, min_width=340, elem_classes="sd-panel", elem_id="sd-create"):
            section("Create", "Pick a mode, describe the shot, check the cost.")
            media.mode_switch()
            media.frames_panel()
            media.references_panel()
            self.prompt_box()
            media.tag_chips()
            self.craft_panel()
            self.settings_panel()
            media.wire()
            self.action_bar()

    def action_bar(self) -> None:
        """The cost, Generate and Cancel, and the answer to a press: one bar that stays at the bottom of the
        screen while the create panel is on it (studio.css, #sd-actions), so the price and the button are in
        reach wherever the writer is. The cost card follows the settings and the reference videos."""
        p = self.page
        with gr.Column(elem_id="sd-actions", elem_classes="sd-actions"):
            p.submit_note = gr.HTML("", elem_id="sd-submit-note")
            with gr.Row(equal_height=True, elem_id="sd-actions-row"):
                p.cost = gr.HTML(initial_cost(), elem_id="sd-cost", min_width=150)
                with gr.Row(elem_id="sd-actions-buttons"):
                    p.generate_btn = gr.Button(
                        "Generate", variant="primary", size="lg", scale=3, min_width=120,
                        elem_id="sd-generate",
                    )
                    p.cancel_btn = gr.Button(
                        "Cancel", variant="stop", size="lg", scale=1, min_width=90, elem_id="sd-cancel"
                    )
        gr.on(
            [p.model.change, p.duration.change, p.quality.change, p.web_search.change,
             p.content_filter.change, p.video_seconds.change],
            self.on_cost,
            inputs=[p.model, p.duration, p.quality, p.web_search, p.content_filter, p.video_seconds],
            outputs=[p.cost],
            trigger_mode="always_last",
            **INSTANT,
        )

    def prompt_box(self) -> None:
        """The prompt, its counter and lint, and "Straighten quotes"."""
        p = self.page
        p.prompt = gr.Textbox(
            label="Prompt",
            lines=6,
            max_lines=18,
            placeholder=PROMPT_PLACEHOLDER,
            elem_id="sd-prompt",
        )
        # No maxlength: the box keeps all a writer pastes, and the counter says what to trim (on_prompt).
        p.prompt_length = gr.Number(None, visible=False, precision=0, elem_id="sd-prompt-length")
        # Rendered (so its change fires) but never shown: "<length>:<the prompt cut to the cap + 1>".
        p.prompt_probe = gr.Textbox("0:", visible="hidden", elem_id="sd-prompt-probe", show_label=False)
        p.counter = gr.HTML(views.counter_html(lint("")), elem_id="sd-counter")
        p.straighten_btn = gr.Button(
            "Straighten quotes", size="sm", visible=False, elem_id="sd-straighten", variant="secondary"
        )
        p.straighten_btn.click(self.straighten, inputs=[p.prompt], outputs=[p.prompt], **QUIET)
        if craft_enabled(self.runtime):  # the model's help and the prompt's versions (ui/assist/)
            PromptAssist(self.runtime).build(Target(p.prompt, p.owner, p.visitor_key, "sd"))

    def craft_panel(self) -> None:
        """Prompt craft: snippet menus, a dialogue line, example prompts."""
        p = self.page
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
                    label="Dialogue line", placeholder="You're here.", scale=3, min_width=180,
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

        for category, menu in p.craft_menus.items():
            menu.input(self.inserter(category), inputs=[p.prompt, menu], outputs=[p.prompt, menu], **QUIET)
        dialogue_btn.click(
            self.insert_dialogue, inputs=[p.prompt, speaker, p.line], outputs=[p.prompt, p.line], **QUIET
        )
        for i, button in enumerate(example_btns):
            button.click(self.example_loader(i), inputs=None, outputs=[p.prompt], **QUIET)

    def settings_panel(self) -> None:
        """Model tier, quality, duration, frame, audio, web search and the content filter (the cost card
        that follows them is the action bar's)."""
        p = self.page
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
        # The slider keeps a typed number in range silently; the page says so here (scripts/duration-note.js).
        gr.HTML("", elem_id="sd-duration-note", js_on_load=script("duration-note.js"), padding=False)
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

        p.prompt.change(
            None, inputs=[p.prompt], outputs=[p.prompt_probe], js=probe_js(self.settings.max_prompt_chars),
            queue=False, show_progress="hidden", api_visibility="private",
        )
        gr.on(
            [p.prompt_probe.change, p.web_search.change, p.model.change, p.ref_counts.change],
            self.on_prompt,
            inputs=[p.prompt_probe, p.web_search, p.model, p.ref_counts],
            outputs=[p.counter, p.straighten_btn],
            trigger_mode="always_last",
            **INSTANT,
        )

    async def on_prompt(
        self, probe: Any, web_search: Any, model: Any = None, counts: Any = None,
        request: gr.Request | None = None,
    ) -> Out:
        """`count_and_lint` for the probe's value (`probe_js`): the prompt as the page cut it, its length."""
        text, length = read_probe(probe)
        return await self.count_and_lint(text, web_search, model, counts, length, request)

    @handler
    async def count_and_lint(
        self,
        prompt: Any,
        web_search: Any,
        model: Any = None,
        counts: Any = None,
        length: Any = None,
        request: gr.Request | None = None,
    ) -> Out:
        """Counter and lint on every keystroke; wired like `on_cost` (raw values, no thread hop).
        In references mode (`model`), `counts` (the inputs of each kind, kept by `on_refs`) let the lint
        flag a tag that names no input and an input no tag names.

        Unqueued, so anyone can call it as often as they like: a prompt over the edge cap is refused
        unread (the page sends at most the cap + 1 characters of a longer one, and its length: `probe_js`);
        a long one is linted on the one lint thread, one at a time per client address (a page
        sends one at a time; more from one address are answered at once with nothing changed), so the web
        server's loop spends microseconds on any input and one visitor cannot fill the lint thread."""
        text = prompt if isinstance(prompt, str) else ""
        limit = self.settings.max_prompt_chars
        if too_long(text, limit):
            chars = said_length(text, length)
            return {self.page.counter: views.notice_html("error", prompt_over_limit(chars, limit))}
        inputs = reference_counts(counts) if is_references(model) else None
        check = functools.partial(lint, text, web_search=bool(web_search), inputs=inputs)
        if len(text) <= INLINE_LINT_CHARS:
            result = check()
        else:
            address = self.address_of(request) or "-"
            if address in self._long_lints:
                return {self.page.counter: gr.skip()}
            self._long_lints.add(address)
            try:
                result = await asyncio.get_running_loop().run_in_executor(LINT_THREAD, check)
            finally:
                self._long_lints.discard(address)
        straighten = gr.update(visible=result.has_curly_quotes)
        return {self.page.counter: views.counter_html(result), self.page.straighten_btn: straighten}

    @handler
    async def on_cost(
        self,
        model: Any,
        duration: Any,
        quality: Any,
        web_search: Any,
        content_filter: Any = True,
        video_seconds: Any = 0.0,
    ) -> str:
        """The cost card. Async and wired as `common.INSTANT`: no queue, and no Gradio pre/postprocessing
        (the page's plain values in, HTML out). Gradio runs each pre/postprocess and every sync handler in
        a worker thread, and each such hop waits for the GIL and a turn of the busy event loop: under load
        that was most of a cheap event's latency (BENCHMARKS.md, capacity). `video_seconds`: the reference
        videos' seconds, as `measure_references` measured them (billed in references mode)."""
        model, quality = str(model or ""), str(quality or "")
        seconds = whole_seconds(duration)
        # A number typed past the slider's range is priced as the slider will keep it (it clamps on leaving
        # the box; scripts/duration-note.js says so), never as a length no shot can have.
        seconds = min(max(seconds, DURATION_MIN), DURATION_MAX) if seconds > 0 else 0
        videos = measured_seconds(video_seconds) if is_references(model) else 0.0
        try:
            est = (
                estimate(model, quality, seconds, bool(web_search),
                         content_filter=content_filter is not False,
                         input_video_seconds=videos)
                if seconds > 0
                else None
            )
        except KeyError:
            est = None
        search = bool(web_search)
        return views.cost_html(
            est, model=model, quality=quality, duration=seconds, web_search=search, input_video_seconds=videos
        )

    @handler
    def straighten(self, prompt: str | None) -> str:
        return straighten_quotes(prompt or "")

    def inserter(self, category: str) -> Callable[[str | None, str | None], Out]:
        @handler
        def insert(prompt: str | None, label: str | None) -> Out:
            text = craft.lookup(category, label)
            menu = {self.page.craft_menus[category]: gr.update(value=None)}  # ready for the next pick
            return {self.page.prompt: craft.insert_snippet(prompt, text), **menu} if text else menu

        insert.__name__ = f"insert_{category}"
        return insert

    @handler
    def insert_dialogue(self, prompt: str | None, speaker: str | None, line: str | None) -> Any:
        sentence = craft.dialogue_line(speaker, line)
        if not sentence:
            toast_warning("Type the line the character says first.")
            return gr.skip()
        return {self.page.prompt: craft.insert_snippet(prompt, sentence), self.page.line: ""}

    def example_loader(self, index: int) -> Callable[[], str]:
        @handler
        def load_example() -> str:
            return craft.EXAMPLES[index].prompt

        load_example.__name__ = f"example_{index}"
        return load_example
