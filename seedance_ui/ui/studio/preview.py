"""The preview column and what fills it: the page load, Generate and Cancel, and the page watcher that
follows the job they start (its progress card, then the finished video and the history).

Every handler is wrapped so that no exception (and no traceback) reaches the page: an unexpected
error is logged on the server and the visitor sees a short warning instead. Handlers talk to
`runtime.manager`, never to HTTP directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import gradio as gr

from seedance_ui.client import GenerationRequest, SeedanceError, ValidationError
from seedance_ui.jobs.idempotency import existing_job, key_problem, new_key, submit_once
from seedance_ui.llm.versions import STUDIO_SUBJECT
from seedance_ui.runtime import Runtime
from seedance_ui.security.identity import visitor_in_scope
from seedance_ui.store import JobRecord, JobStatus
from seedance_ui.ui import views
from seedance_ui.ui.assist import versions
from seedance_ui.ui.common import (
    Out,
    handler,
    log,
    new_owner_id,
    section,
    toast_info,
    toast_warning,
    valid_owner,
)
from seedance_ui.ui.players import LinkedDownload, LinkedVideo
from seedance_ui.ui.studio.create import said_length, submit_clip_js
from seedance_ui.ui.studio.fields import (
    describe_problems,
    field_label,
    make_request,
    page_media,
    prompt_over_limit,
    prompt_too_long,
    too_long,
)
from seedance_ui.ui.studio.history import HISTORY_LIMIT, HistoryPanel
from seedance_ui.ui.studio.page import (
    LIGHT,
    REDRAW,
    SUBMIT,
    WATCHER,
    Panel,
    StudioPage,
    controls,
    media_inputs,
)

HISTORY_POLL_SECONDS = 1.0
# A page redraws its gallery at most this often while jobs move on (the first change at once): Gradio
# checks and caches every image of a redrawn gallery on its event loop, so each redraw costs about a
# millisecond per history item.
HISTORY_MIN_INTERVAL = 2.0
# Generate is disabled in the page the moment it is pressed, and enabled again this long after the
# answer (the job shows on the page meanwhile): a nervous burst of clicks is one press.
GENERATE_SETTLE_MS = 1500
_BUTTON_OFF_JS = "() => ({__type__: 'update', interactive: false})"
_BUTTON_ON_JS = (
    "() => new Promise((done) => setTimeout(() => done({__type__: 'update', interactive: true}), "
    f"{GENERATE_SETTLE_MS}))"
)
# Set on <body> once the page load's answer is in the page (its owner id, history and states): a mark
# for what must wait for it (tests/page_helpers.py). Invisible, and nothing in the accessibility tree.
LOADED_ATTRIBUTE = "data-sd-loaded"
LOADED_JS = f"() => {{ document.body.setAttribute('{LOADED_ATTRIBUTE}', 'true'); }}"


def is_skip(output: Any) -> bool:
    return output == gr.skip()


class HistoryWatch:
    """An owner's history as a page watcher sees it: `tick()` -> (signal, busy). The signal is the new
    history signature when it differs from what the page shows (at most every HISTORY_MIN_INTERVAL s),
    else a skip; busy while a job is in flight or a change is still to be signalled."""

    def __init__(self, history: HistoryPanel, owner: str, drawn: str | None) -> None:
        self.history, self.owner, self.drawn = history, owner, drawn
        # The load or submit handler that drew `drawn` has just redrawn the gallery: that counts.
        self.signalled_at = time.monotonic() if drawn is not None else -math.inf

    async def signature(self) -> tuple[str, bool]:
        """(history signature, anything in flight), read off the event loop (the store's lock may be
        held by the job manager's thread for a moment)."""
        records = await asyncio.to_thread(self.history.manager.list, self.owner, HISTORY_LIMIT)
        return self.history.history_signature(records), any(not r.terminal for r in records)

    async def tick(self) -> tuple[Any, bool]:
        signature, in_flight = await self.signature()
        if signature == self.drawn:
            return gr.skip(), in_flight
        now = time.monotonic()
        if now - self.signalled_at < HISTORY_MIN_INTERVAL:
            return gr.skip(), True
        self.drawn, self.signalled_at = signature, now
        return signature, in_flight

    async def absorb(self) -> None:
        """Another redraw (show_outcome) is drawing the gallery now: take what it shows as drawn."""
        self.drawn, _in_flight = await self.signature()
        self.signalled_at = time.monotonic()


class PreviewPanel(Panel):
    """The preview column: live progress, then the finished shot. Handed the history panel, whose gallery
    the page load, a finished job and Generate redraw."""

    def __init__(self, page: StudioPage, runtime: Runtime, history: HistoryPanel) -> None:
        super().__init__(page, runtime)
        self.history = history
        self._page_watchers: dict[str, object] = {}  # session -> the token of its current page watcher

    def build(self) -> None:
        """The right column: live progress, then the finished shot."""
        p = self.page
        with gr.Column(scale=5, min_width=340, elem_classes="sd-panel", elem_id="sd-preview"):
            section("Preview", "Live progress, then your shot.")
            p.status = gr.HTML("", elem_id="sd-status")
            p.progress = gr.HTML(views.progress_card(None), elem_id="sd-progress")
            p.video = LinkedVideo(  # takes a presigned link of the bucket as well (ui/players.py)
                label="Result",
                show_label=False,
                interactive=False,
                visible=False,
                elem_id="sd-video",
                buttons=["download"],
                loop=True,
            )
            p.download = LinkedDownload(
                "Download MP4", visible=False, variant="secondary", elem_id="sd-download"
            )
            p.continue_result_btn = gr.Button(  # shown with the video; wired by the history panel
                "Continue this shot", visible=False, variant="secondary", elem_id="sd-continue-result"
            )
            p.params = gr.HTML("", elem_id="sd-params")

    def wire(self, demo: gr.Blocks) -> None:
        """The page load, Generate and Cancel (placed by the create panel), and the page watcher that
        follows the job they start."""
        p = self.page
        generate_btn, cancel_btn = p.generate_btn, p.cancel_btn
        preview = [p.progress, p.video, p.download, p.params, p.status]
        loaded = demo.load(
            self.on_load,
            inputs=[p.owner],
            outputs=[
                p.owner, p.gallery, p.history_ids, p.current_job, *preview, p.drawn, p.submit_token,
                p.history_query, p.history_pager, p.history_newer, p.history_older, p.history_board,
                p.continue_result_btn,
            ],
            **LIGHT,
        )
        loaded.then(None, None, None, js=LOADED_JS, queue=False, api_visibility="private")
        # One stream per open page, and only while a job of its owner is in flight.
        watch_inputs = [p.current_job, p.owner, p.drawn]
        watch_outputs = [p.progress, p.outcome_signal, p.history_signal]
        load_watch = loaded.then(self.watch_page, inputs=watch_inputs, outputs=watch_outputs, **WATCHER)
        p.outcome_signal.change(
            self.show_outcome,
            inputs=[p.outcome_signal, p.owner, p.history_query, p.visitor_key],
            outputs=[
                p.video, p.download, p.params, p.status, p.gallery, p.history_ids, p.continue_result_btn
            ],
            **REDRAW,
        )
        p.history_signal.change(
            self.show_history, inputs=[p.owner, p.history_query, p.visitor_key],
            outputs=[p.gallery, p.history_ids], **REDRAW,
        )

        # One press pays once: the button is off from the click (in the page, at once) until the answer has
        # settled, and the submission token makes one job of every event that carries it.
        generate_btn.click(
            None, None, [generate_btn], js=_BUTTON_OFF_JS, queue=False, api_visibility="private"
        )
        submitted = generate_btn.click(
            self.submit,
            inputs=[
                *controls(p), p.owner, p.visitor_key, *media_inputs(p), p.submit_token, p.history_query,
                p.prompt_length,
            ],
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
                p.submit_note,
                p.counter,
                p.continue_result_btn,
            ],
            **SUBMIT,
            show_progress="minimal",
            show_progress_on=[generate_btn],
            trigger_mode="once",
            js=submit_clip_js(self.settings.max_prompt_chars),
        )
        submitted.then(None, None, [generate_btn], js=_BUTTON_ON_JS, queue=False, api_visibility="private")
        gen_watch = submitted.then(self.watch_page, inputs=watch_inputs, outputs=watch_outputs, **WATCHER)
        # A new Generate replaces this page's watcher (the jobs themselves keep going).
        generate_btn.click(
            None, None, None, cancels=[load_watch, gen_watch], api_visibility="private", queue=False
        )
        cancel_btn.click(self.cancel, inputs=[p.current_job, p.owner], outputs=[p.status], **SUBMIT)

    # ---------------------------------------------------------------------------------------------
    # shared renderers
    @staticmethod
    def drawn(record: JobRecord | None, history: str | None) -> dict[str, Any]:
        """What a handler has just drawn on the page: the page watcher starts from it (`watch_page`)."""
        job = [record.id, record.terminal] if record is not None else None
        return {"job": job, "history": history}

    def card(self, record: JobRecord | None) -> str:
        """The progress card of `record`, its time left from the run times the studio has seen."""
        expected = self.runtime.estimates.expected_for(record) if record is not None else None
        return views.progress_card(record, expected=expected)

    def result(self, record: JobRecord | None) -> Out:
        """The preview panel's video, download button and parameters for `record`."""
        path = self.video_player(record)
        params = views.params_table(record.params, record) if record is not None else ""
        p = self.page
        return {
            p.video: gr.update(value=path, visible=bool(path)),
            p.download: gr.update(value=self.video_player(record, download=True), visible=bool(path)),
            p.continue_result_btn: gr.update(visible=bool(path)),  # beside the fresh result
            p.params: params,
        }

    def outcome_notice(self, record: JobRecord, *, toast: bool) -> str:
        """Status panel (and toast) for a finished job."""
        if record.status == JobStatus.COMPLETED:
            if toast:
                toast_info("Your video is ready.")
            return views.notice_html("success", "Done — your video is ready and saved to your history.")
        if record.status == JobStatus.CANCELLED:
            return views.notice_html("info", record.error_message or "Cancelled.", record.error_hint)
        message = record.error_message or record.status.label
        if toast:
            toast_warning(message, record.error_hint, title=record.status.label.split(" —")[0])
        kind = "error" if record.status == JobStatus.FAILED else "warning"
        return views.notice_html(kind, message, record.error_hint, code=record.error_code)

    # ---------------------------------------------------------------------------------------------
    # page load and history
    @handler
    def on_load(self, owner: Any, request: gr.Request | None = None) -> Out:
        """The page opened: its history and latest job. Over HTTP the owner is the signed cookie's
        (security/identity.py): a browser id the page still keeps from before the cookie is adopted into
        it once, and the page forgets it (None). In-process callers name the browser id themselves."""
        browser_id = valid_owner(owner) or new_owner_id()
        owner_id = self.owner_of(browser_id, request) or browser_id
        visitor = visitor_in_scope(request)
        if visitor is not None:
            legacy = valid_owner(owner)
            if legacy is not None and owner_id == visitor:  # neither signed in nor adopted yet
                owner_id = self.runtime.identities.adopt_legacy(visitor, legacy) or owner_id
            browser_id = None
        records = self.manager.list(owner_id, HISTORY_LIMIT)
        latest = self.history.finder.latest_studio(owner_id)  # never a storyboard's take
        ended = latest is not None and latest.terminal
        p = self.page
        return {
            p.owner: browser_id,
            **self.history.filters.first_view(owner_id),
            p.current_job: latest.id if latest is not None else None,
            p.progress: self.card(latest),
            **self.result(latest),
            p.status: self.outcome_notice(latest, toast=False) if ended and latest else "",
            p.drawn: self.drawn(latest, self.history.history_signature(records)),
            p.submit_token: new_key(),
        }

    # ---------------------------------------------------------------------------------------------
    # the page watcher: one stream per open page, and only while something of its owner is in flight
    @handler
    async def watch_page(
        self, job_id: str | None, owner: Any, drawn: Any, request: gr.Request | None = None
    ) -> AsyncIterator[Any]:
        """-> progress card, outcome signal, history signal.

        While the panel's job runs, the card is re-rendered when the job changes (the page's clock
        script keeps its elapsed and time-left clocks running in between) and the history is checked
        every TICK_SECONDS; then, while any other job of the owner is in flight, every
        HISTORY_POLL_SECONDS (see HistoryWatch). The video, the outcome notice and the gallery are
        not outputs of this stream: it only sets the two signal states, whose `.change` events
        (`show_outcome`, `show_history`) draw them. An update thus costs one small HTML value: Gradio
        rebuilds a component for every skipped output, which for a gallery or a video is milliseconds.
        `drawn` (what the load or submit handler drew) keeps a finished job from being drawn twice.
        """
        # A stream that ends without a single yield sets its outputs to None (the card would vanish):
        # the first answer is always "nothing to change".
        yield gr.skip()
        owner_id = self.owner_of(owner, request)
        if not owner_id:
            return
        session = getattr(request, "session_hash", None) or f"direct-{id(request)}"
        token = object()
        self._page_watchers[session] = token
        try:
            async for outputs in self._watch(job_id, owner_id, drawn):
                if self._page_watchers.get(session) is not token:
                    # A newer watcher took over this page (a new Generate, whose cancel of this one may
                    # lose the race): end with "nothing to change", the answer Gradio repeats last.
                    yield gr.skip()
                    return
                yield outputs
        finally:
            if self._page_watchers.get(session) is token:
                del self._page_watchers[session]

    async def _watch(
        self, job_id: str | None, owner_id: str, drawn: Any
    ) -> AsyncIterator[Out]:
        p = self.page
        drawn = drawn if isinstance(drawn, dict) else {}
        history = HistoryWatch(self.history, owner_id, drawn.get("history"))
        record = await asyncio.to_thread(self.manager.get, job_id, owner_id) if job_id else None
        if record is not None and not (record.terminal and drawn.get("job") == [record.id, True]):
            async for live, changed in self.watch_ticking(record.id, owner_id):
                if live.terminal:  # show_outcome draws the video and the gallery together
                    await history.absorb()
                    outcome = [live.id, live.status.value]
                    yield {p.progress: self.card(live), p.outcome_signal: outcome}
                    break
                signal, _busy = await history.tick()
                if changed:
                    yield {p.progress: self.card(live), p.history_signal: signal}
                elif not is_skip(signal):
                    yield {p.history_signal: signal}
        while True:
            signal, busy = await history.tick()
            if not is_skip(signal):
                yield {p.history_signal: signal}
            if not busy:
                return
            await asyncio.sleep(HISTORY_POLL_SECONDS)

    @handler
    def show_outcome(
        self, signal: Any, owner: Any, query: Any = None, key: Any = None, request: gr.Request | None = None
    ) -> Any:
        """The panel's job has ended (its outcome signal changed): its video, download, parameters and
        notice, and the gallery (one redraw for all the page shows of it)."""
        owner_id = self.owner_of(owner, request)
        job_id = signal[0] if isinstance(signal, list | tuple) and signal else None
        record = self.manager.get(job_id, owner_id) if isinstance(job_id, str) and owner_id else None
        if record is None or not record.terminal:
            return gr.skip()
        status = {self.page.status: self.outcome_notice(record, toast=True)}
        return {**self.result(record), **status, **self.history.gallery(owner_id, query, key)}

    @handler
    def show_history(
        self, owner: Any, query: Any = None, key: Any = None, request: gr.Request | None = None
    ) -> Any:
        """The owner's history changed (its signal changed): the gallery (the page's query's page)."""
        owner_id = self.owner_of(owner, request)
        if not owner_id:
            return gr.skip()
        return self.history.gallery(owner_id, query, key)

    # ---------------------------------------------------------------------------------------------
    # generate, follow, cancel
    @staticmethod
    def not_sent(problems: Sequence[ValidationError]) -> str:
        """The status notice (and a toast) for a request refused before anything was sent."""
        lines = describe_problems(problems)
        fields = ", ".join(dict.fromkeys(field_label(p.field) for p in problems))
        toast_warning(f"Check {fields} before generating.", "; ".join(lines), title="Not sent")
        return views.notice_html(
            "error",
            f"Nothing was sent. Check: {fields}.",
            "Fix the fields named above, then press Generate again.",
            items=lines,
        )

    async def media_problem(
        self, request: GenerationRequest, visitor_key: str | None
    ) -> ValidationError | None:
        """The first rule the request's media break, measured on the files themselves (and on what the
        reference URLs hold): SeedanceClient.check, which sends and uploads nothing."""
        if not request.has_media:
            return None
        client = self.runtime.make_client(visitor_key or None)
        try:
            await client.check(request)
        except ValidationError as exc:
            return exc
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()
        return None

    @handler
    async def submit(
        self,
        prompt: str | None,
        model: str,
        duration: Any,
        quality: str,
        aspect_ratio: str,
        generate_audio: bool,
        web_search: bool,
        owner: Any,
        visitor_key: str | None,
        content_filter: Any = True,
        first_frame: Any = None,
        last_frame: Any = None,
        reference_images: Any = None,
        video_urls: Any = None,
        audio_urls: Any = None,
        submit_token: Any = None,
        history_query: Any = None,
        prompt_length: Any = None,
        http: gr.Request | None = None,
    ) -> Out:
        """Validate (the fields, then the media files themselves), then hand the job to the manager:
        this browser's id, the new current job, the status (the problems, named, when nothing was
        sent), its progress card and the gallery. Only the model's mode's media are sent.

        `submit_token` (the page's, renewed by every accepted submission) makes one job at most: the
        same token again (a slow answer, a replayed event) answers with the job it made. The page sends
        at most the cap + 1 characters of a longer prompt and its length (`prompt_length`: create.py
        submit_clip_js), so the refusal says how long it was."""
        p = self.page
        browser_id = valid_owner(owner) or new_owner_id()
        owner_id = self.owner_of(browser_id, http) or browser_id
        if visitor_in_scope(http) is not None:  # the cookie decides; the page keeps no id of its own
            browser_id = None
        token, made = await asyncio.to_thread(self._token_job, owner_id, submit_token)
        if made is not None:
            return await self._accepted(made, owner_id, browser_id, history_query, visitor_key)
        limit = self.settings.max_prompt_chars
        if too_long(prompt, limit):
            chars = said_length(prompt or "", prompt_length)
            message = prompt_too_long(prompt or "", limit, chars)
            toast_warning(message, title="Not sent")
            refused = self.refused(browser_id, views.notice_html("error", message))
            return {**refused, p.counter: views.notice_html("error", prompt_over_limit(chars, limit))}
        media = page_media(
            model, content_filter, first_frame, last_frame, reference_images, video_urls, audio_urls
        )
        request = make_request(
            prompt, model, duration, quality, aspect_ratio, generate_audio, web_search, **media
        )
        problems = request.problems()
        if not problems:
            problem = await self.media_problem(request, visitor_key)
            problems = [problem] if problem is not None else []
        if problems:
            return self.refused(browser_id, self.not_sent(problems))
        address = self.address_of(http)
        # The prompt's version the take records (a "typed" one unless it is the latest version already).
        version = await asyncio.to_thread(
            versions.record, self.runtime, owner_id, STUDIO_SUBJECT, prompt, "typed"
        )
        try:
            record, _new = await asyncio.to_thread(
                submit_once, self.manager, owner_id, token,
                lambda: self.manager.submit(
                    request, owner_id, visitor_key or None, address=address, prompt_version=version
                ),
            )
        except ValidationError as exc:
            toast_warning(exc.message, exc.hint, title="Not sent")
            return self.refused(browser_id, views.notice_html("error", exc.message, exc.hint))
        except SeedanceError as exc:
            toast_warning(exc.message, exc.hint)
            return self.refused(browser_id, views.notice_html("error", exc.message, exc.hint))
        except RuntimeError:
            log.exception("submit failed")
            message = "The job manager is not running, so nothing was sent."
            toast_warning(message, "Reload the page in a moment; if it persists, restart the server.")
            return self.refused(browser_id, views.notice_html("error", message))
        return await self._accepted(record, owner_id, browser_id, history_query, visitor_key)

    def refused(self, browser_id: str | None, notice: str) -> Out:
        """The answer to a press that sent nothing: the notice at the top of Preview and beside Generate
        (the action bar's note, where the writer is), and no current job."""
        p = self.page
        return {p.owner: browser_id, p.current_job: None, p.status: notice, p.submit_note: notice}

    def _token_job(self, owner_id: str, token: Any) -> tuple[str | None, JobRecord | None]:
        """(the page's submission token if it can bind a job, the job it made already). A token binds
        when well-formed and its job, if it made one, still exists; anything else (no token: a client of
        an older page; a job deleted since) binds nothing."""
        if not isinstance(token, str) or not token or key_problem(token) is not None:
            return None, None
        try:
            return token, existing_job(self.manager, owner_id, token)
        except ValidationError:
            return None, None

    async def _accepted(
        self, record: JobRecord, owner_id: str, browser_id: str | None, query: Any = None, key: Any = None
    ) -> Out:
        """The answer to an accepted submission: the job as the current one, the gallery (the page of the
        page's history query), and a new submission token (the next press is a new job)."""
        p = self.page
        records = await asyncio.to_thread(self.manager.list, owner_id, HISTORY_LIMIT)
        gallery = await asyncio.to_thread(self.history.gallery, owner_id, query, key)
        return {
            p.owner: browser_id,
            p.current_job: record.id,
            p.status: "",
            p.progress: self.card(record),
            **self.result(record),  # a new job has no video yet: hidden, and its parameters
            **gallery,
            p.drawn: self.drawn(record, self.history.history_signature(records)),
            p.submit_token: new_key(),
            p.generate_btn: gr.update(interactive=False),  # on again once the answer settled (wire)
            p.submit_note: "",
        }
