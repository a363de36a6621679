"""The model's help under one prompt box (`PromptAssist`): *Enhance* and *Translate* stream a suggestion
into the page, then show it as a word diff against the prompt, each change ticked to take it; *Variations*
offers three side by side, *Use this* sending one through the same diff. *Accept all*, *Accept selected*
and *Discard* end a review: nothing changes the prompt before. A failure is one line here and a toast,
the prompt as it was. The tokens used today and the daily cap are shown by the buttons.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import gradio as gr

from seedance_ui.llm.diff import apply, word_diff
from seedance_ui.llm.events import Caller, Delta, Done, Failed
from seedance_ui.runtime import Runtime
from seedance_ui.ui.assist import views as av
from seedance_ui.ui.assist.target import CRAFT, REVIEW, Target, caller_of
from seedance_ui.ui.assist.versions import VersionsPanel, record
from seedance_ui.ui.common import Out, handler, owner_of, toast_warning

VARIATIONS = 3
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
CHANGED_SINCE = "The prompt changed since this suggestion: nothing was taken. Ask again for a fresh one."


def translation_target(text: str) -> str:
    """ "en" for a prompt written mostly in Chinese, else "zh"."""
    return "en" if len(_CJK.findall(text)) > len(_LATIN.findall(text)) else "zh"


class PromptAssist:
    """Enhance, Translate and Variations under one prompt box, with its versions (handed the runtime;
    `build` places and wires it for one `Target`). `changed`: the events that set the prompt (a tab
    chains its save to them)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.versions = VersionsPanel(runtime)
        self.changed: list[Any] = []

    # -------------------------------------------------------------------------------------------
    # placing
    def build(self, target: Target) -> None:
        self.target, t = target, target
        with gr.Column(elem_classes="sd-assist", elem_id=f"{t.prefix}-assist"):
            with gr.Row(equal_height=True, elem_classes="sd-assist-bar"):
                self.enhance_btn = gr.Button(
                    "Enhance", size="sm", variant="primary", min_width=90, elem_id=f"{t.prefix}-enhance"
                )
                self.translate_btn = gr.Button(
                    "Translate EN ↔ 中文", size="sm", min_width=120, elem_id=f"{t.prefix}-translate"
                )
                self.variations_btn = gr.Button(
                    "Variations", size="sm", min_width=90, elem_id=f"{t.prefix}-variations"
                )
                self.usage = gr.HTML(
                    av.usage_html(None, None), elem_id=f"{t.prefix}-assist-usage", padding=False
                )
            self.line = gr.HTML(
                "", elem_id=f"{t.prefix}-assist-line", elem_classes="sd-assist-line-block", padding=False
            )
            self.stream = gr.HTML("", visible=False, elem_id=f"{t.prefix}-assist-stream", padding=False)
            self.suggestion = gr.State(None)  # {"base", "new", "source", "notes"} under review
            self.choices = gr.State([])  # the variations offered
            self.review_box()
            self.variations_box()
        self.versions.build(t, self.line)
        self.changed.append(self.versions.restored)
        self.wire()

    def review_box(self) -> None:
        prefix = self.target.prefix
        with gr.Column(
            visible=False, elem_classes="sd-assist-review", elem_id=f"{prefix}-assist-review"
        ) as box:
            self.review = box
            self.diff = gr.HTML("", elem_id=f"{prefix}-assist-diff", padding=False)
            self.picks = gr.CheckboxGroup(
                [], label="Changes to take", elem_classes="sd-assist-picks", elem_id=f"{prefix}-assist-picks"
            )
            with gr.Row(elem_classes="sd-assist-actions"):
                self.accept_all_btn = gr.Button(
                    "Accept all", size="sm", variant="primary", min_width=100, elem_id=f"{prefix}-accept-all"
                )
                self.accept_btn = gr.Button(
                    "Accept selected", size="sm", min_width=120, elem_id=f"{prefix}-accept-selected"
                )
                self.discard_btn = gr.Button(
                    "Discard", size="sm", variant="stop", min_width=90, elem_id=f"{prefix}-discard"
                )

    def variations_box(self) -> None:
        prefix = self.target.prefix
        self.variation_texts: list[gr.HTML] = []
        self.use_btns: list[gr.Button] = []
        with gr.Row(
            visible=False,
            equal_height=False,
            elem_classes="sd-assist-variations",
            elem_id=f"{prefix}-variations-row",
        ) as row:
            self.variations_row = row
            for i in range(VARIATIONS):
                with gr.Column(min_width=180, elem_classes="sd-variation-col"):
                    self.variation_texts.append(gr.HTML("", padding=False, elem_id=f"{prefix}-variation-{i}"))
                    self.use_btns.append(gr.Button("Use this", size="sm", elem_id=f"{prefix}-use-{i}"))

    def wire(self) -> None:
        t = self.target
        ask = [t.prompt, t.owner, t.visitor_key]
        shown = [
            self.stream,
            self.review,
            self.diff,
            self.picks,
            self.suggestion,
            self.line,
            self.usage,
            self.variations_row,
        ]
        self.enhance_btn.click(self.enhance, ask, shown, **CRAFT)
        self.translate_btn.click(self.translate, ask, shown, **CRAFT)
        self.variations_btn.click(
            self.offer_variations, ask, [*shown, self.choices, *self.variation_texts], **CRAFT
        )
        for i, button in enumerate(self.use_btns):
            button.click(self.user_of(i), [t.prompt, self.choices], shown, **REVIEW)
        self.picks.input(self.on_picks, [self.suggestion, self.picks], [self.diff], **REVIEW)
        done = [
            t.prompt,
            self.review,
            self.stream,
            self.suggestion,
            self.line,
            self.versions.pick,
            self.versions.diff,
        ]
        who = [t.owner, *t.subject_inputs]
        self.changed.append(
            self.accept_all_btn.click(self.accept_all, [t.prompt, self.suggestion, *who], done, **REVIEW)
        )
        self.changed.append(
            self.accept_btn.click(
                self.accept_selected, [t.prompt, self.suggestion, self.picks, *who], done, **REVIEW
            )
        )
        self.discard_btn.click(
            self.discard, None, [self.review, self.stream, self.suggestion, self.line], **REVIEW
        )
        t.prompt.focus(self.show_usage, [t.owner, t.visitor_key], [self.usage], **REVIEW)

    # -------------------------------------------------------------------------------------------
    # asking
    def _start(self, prompt: Any, owner: Any, visitor_key: Any, request: Any, what: str) -> Caller | Out:
        """Who asks, or the answer that nothing was asked (no prompt, no owner yet, over the cap)."""
        text = prompt if isinstance(prompt, str) else ""
        if not text.strip():
            return self.failed(f"{what}: write a prompt first.")
        limit = self.runtime.settings.max_prompt_chars
        if len(text) > limit:
            return self.failed(f"{what}: the prompt is over {limit:,} characters; shorten it first.")
        caller = caller_of(self.runtime, owner, visitor_key, request)
        return caller if caller is not None else self.failed(f"{what}: the page is still loading; try again.")

    def failed(self, message: str) -> Out:
        """One line at the buttons and a toast; the prompt as it was, no suggestion shown."""
        toast_warning(message, title="Model")
        return {
            self.line: av.line_html("error", message),
            self.stream: gr.update(visible=False),
            self.review: gr.update(visible=False),
            self.suggestion: None,
        }

    @handler
    async def enhance(
        self, request: gr.Request, prompt: Any, owner: Any, visitor_key: Any
    ) -> AsyncIterator[Out]:
        caller = self._start(prompt, owner, visitor_key, request, "Enhance")
        if not isinstance(caller, Caller):
            yield caller
            return
        events = self.runtime.craft.enhance(caller, prompt)
        async for out in self._streamed(events, caller, prompt, "enhanced"):
            yield out

    @handler
    async def translate(
        self, request: gr.Request, prompt: Any, owner: Any, visitor_key: Any
    ) -> AsyncIterator[Out]:
        caller = self._start(prompt, owner, visitor_key, request, "Translate")
        if not isinstance(caller, Caller):
            yield caller
            return
        events = self.runtime.craft.translate(caller, prompt, translation_target(prompt))
        async for out in self._streamed(events, caller, prompt, "translated"):
            yield out

    async def _streamed(
        self, events: Iterator[Any], caller: Caller, base: str, source: str
    ) -> AsyncIterator[Out]:
        """The suggestion as it streams (each piece drawn), then its diff, or the failure's line. The
        service's iterator blocks on the network: it is read in a worker thread."""
        yield {
            self.stream: gr.update(value=av.stream_html(source, ""), visible=True),
            self.review: gr.update(visible=False),
            self.variations_row: gr.update(visible=False),
            self.line: "",
            self.suggestion: None,
        }
        text = ""
        while (event := await asyncio.to_thread(next, events, None)) is not None:
            if isinstance(event, Delta):
                text += event.text
                yield {self.stream: av.stream_html(source, text)}
            elif isinstance(event, Done):
                yield {**self.reviewing(base, event.text, source, event.notes), **self.usage_of(caller)}
                return
            elif isinstance(event, Failed):
                yield {**self.failed(event.message), **self.usage_of(caller)}
                return
        yield self.failed("The model ended without a suggestion; the prompt is as it was. Try again.")

    @handler
    async def offer_variations(
        self, request: gr.Request, prompt: Any, owner: Any, visitor_key: Any
    ) -> AsyncIterator[Out]:
        caller = self._start(prompt, owner, visitor_key, request, "Variations")
        if not isinstance(caller, Caller):
            yield caller
            return
        yield {
            self.line: av.line_html("info", "Writing three variations…"),
            self.review: gr.update(visible=False),
            self.stream: gr.update(visible=False),
            self.suggestion: None,
        }
        result = await asyncio.to_thread(self.runtime.craft.variations, caller, prompt)
        if isinstance(result, Failed):
            yield {**self.failed(result.message), **self.usage_of(caller)}
            return
        texts = list(result)[:VARIATIONS]
        out: Out = {
            self.line: "",
            self.choices: texts,
            self.variations_row: gr.update(visible=True),
            **self.usage_of(caller),
        }
        for i, box in enumerate(self.variation_texts):
            out[box] = av.variation_html(i + 1, texts[i]) if i < len(texts) else ""
        yield out

    def user_of(self, index: int) -> Any:
        @handler
        def use_variation(prompt: Any, choices: Any) -> Out:
            """*Use this*: the variation through the same review as an enhancement."""
            texts = choices if isinstance(choices, list) else []
            if index >= len(texts):
                return {self.line: av.line_html("warning", "Variations: ask for them again first.")}
            base = prompt if isinstance(prompt, str) else ""
            return {
                **self.reviewing(base, texts[index], "varied", ()),
                self.variations_row: gr.update(visible=False),
            }

        use_variation.__name__ = f"use_variation_{index}"
        return use_variation

    # -------------------------------------------------------------------------------------------
    # reviewing
    def reviewing(self, base: str, new: str, source: str, notes: Any) -> Out:
        """The review of a suggestion: its diff against `base`, every change ticked."""
        changes = word_diff(base, new)
        ids = [c.id for c in changes]
        choices = [(av.change_label(n, c), c.id) for n, c in enumerate(changes, start=1)]
        kept_notes = [str(n) for n in (notes or ())]
        return {
            self.stream: gr.update(visible=False),
            self.review: gr.update(visible=True),
            self.diff: av.diff_html(source, base, changes, ids, kept_notes),
            self.picks: gr.update(choices=choices, value=ids, visible=bool(changes)),
            self.suggestion: {"base": base, "new": new, "source": source, "notes": kept_notes},
            self.line: "",
        }

    @handler
    def on_picks(self, suggestion: Any, picks: Any) -> Out:
        """A tick changed: the diff shows what would be taken."""
        if not isinstance(suggestion, dict):
            return {self.diff: gr.skip()}
        changes = word_diff(suggestion["base"], suggestion["new"])
        accepted = set(picks or [])
        return {
            self.diff: av.diff_html(
                suggestion["source"], suggestion["base"], changes, accepted, suggestion.get("notes", ())
            )
        }

    @handler
    def accept_all(
        self, request: gr.Request, prompt: Any, suggestion: Any, owner: Any, *subject_values: Any
    ) -> Out:
        if not isinstance(suggestion, dict):
            return {self.line: av.line_html("warning", "Nothing to accept: ask for a suggestion first.")}
        ids = [c.id for c in word_diff(suggestion["base"], suggestion["new"])]
        return self._take(request, prompt, suggestion, ids, owner, subject_values)

    @handler
    def accept_selected(
        self, request: gr.Request, prompt: Any, suggestion: Any, picks: Any, owner: Any, *subject_values: Any
    ) -> Out:
        if not isinstance(suggestion, dict):
            return {self.line: av.line_html("warning", "Nothing to accept: ask for a suggestion first.")}
        return self._take(request, prompt, suggestion, list(picks or []), owner, subject_values)

    def _take(
        self,
        request: Any,
        prompt: Any,
        suggestion: dict[str, Any],
        ids: list[str],
        owner: Any,
        subject_values: tuple[Any, ...],
    ) -> Out:
        """The prompt with the accepted changes, recorded as a version (the prompt before it too)."""
        base = suggestion["base"]
        if prompt != base:
            return self.failed(CHANGED_SINCE)
        changes = word_diff(base, suggestion["new"])
        wanted = {c.id for c in changes} & set(ids)
        text = apply(base, changes, wanted)
        owner_id = owner_of(owner, request, self.runtime.settings)
        subject = self.target.subject_of(*subject_values)
        out: Out = {
            self.review: gr.update(visible=False),
            self.stream: gr.update(visible=False),
            self.suggestion: None,
        }
        if not wanted:
            return {**out, self.line: av.line_html("info", "No change taken: the prompt is as it was.")}
        record(self.runtime, owner_id, subject, base, "typed")
        record(self.runtime, owner_id, subject, text, suggestion["source"])
        message = (
            f"Took {len(wanted)} of {len(changes)} changes."
            if len(wanted) < len(changes)
            else ("Took the suggestion.")
        )
        listing = self.versions.listing(owner_id, subject)
        return {**out, **listing, self.target.prompt: text, self.line: av.line_html("success", message)}

    @handler
    def discard(self) -> Out:
        return {
            self.review: gr.update(visible=False),
            self.stream: gr.update(visible=False),
            self.suggestion: None,
            self.line: av.line_html("info", "Suggestion discarded: the prompt is as it was."),
        }

    # -------------------------------------------------------------------------------------------
    # the token meter
    def usage_of(self, caller: Caller) -> Out:
        try:
            used, cap = self.runtime.craft.usage_today(caller)
        except Exception:  # the meter is a courtesy: never fail the answer for it
            return {}
        return {self.usage: av.usage_html(used, cap)}

    @handler
    def show_usage(self, request: gr.Request, owner: Any, visitor_key: Any) -> Out:
        caller = caller_of(self.runtime, owner, visitor_key, request)
        return self.usage_of(caller) if caller is not None else {self.usage: gr.skip()}
