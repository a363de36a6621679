"""The create panel's prompt and cost events: the counter and lint on every keystroke, the cost card, and
the prompt craft's inserts. A mixin of `handlers.Studio` (same page, same runtime).

The lint and cost events skip the queue (`common.INSTANT`), so anyone can send them as often as they
like: each is bounded here (the prompt cap first, long prompts on one lint thread).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gradio as gr

from seedance_ui.pricing import estimate
from seedance_ui.ui import views
from seedance_ui.ui.common import Out, handler, toast_warning
from seedance_ui.ui.prompt_lint import lint, straighten_quotes
from seedance_ui.ui.studio import craft
from seedance_ui.ui.studio.fields import (
    is_references,
    measured_seconds,
    prompt_too_long,
    reference_counts,
    too_long,
    whole_seconds,
)

if TYPE_CHECKING:
    from seedance_ui.ui.studio.preview import StudioPage

# Prompts up to this length are linted right on the event loop (tens of microseconds); longer ones on
# LINT_THREAD, a single worker, so parallel long prompts cannot take the loop's turns between them.
INLINE_LINT_CHARS = 500
LINT_THREAD = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="lint")


class PromptHandlers:
    """Prompt lint, cost and craft; `Studio` provides page, settings, `_long_lints` and `address_of`."""

    page: StudioPage
    settings: Any
    _long_lints: set[str]  # client addresses with a long prompt on the lint thread

    @handler
    async def on_prompt(
        self,
        prompt: Any,
        web_search: Any,
        model: Any = None,
        counts: Any = None,
        request: gr.Request | None = None,
    ) -> Out:
        """Counter and lint on every keystroke; wired like `on_cost` (raw values, no thread hop).
        In references mode (`model`), `counts` (the inputs of each kind, kept by `on_refs`) let the lint
        flag a tag that names no input and an input no tag names.

        Unqueued, so anyone can call it as often as they like: a prompt over the edge cap is refused
        unread; a long one is linted on the one lint thread, one at a time per client address (a page
        sends one at a time; more from one address are answered at once with nothing changed), so the web
        server's loop spends microseconds on any input and one visitor cannot fill the lint thread."""
        text = prompt if isinstance(prompt, str) else ""
        if too_long(text, self.settings.max_prompt_chars):
            refusal = prompt_too_long(text, self.settings.max_prompt_chars)
            return {self.page.counter: views.notice_html("error", refusal)}
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
