"""Event handlers: the UI side of the studio. They talk to `runtime.manager`, never to HTTP directly.

Every handler is wrapped so that no exception (and no traceback) reaches the page: an unexpected
error is logged on the server and the visitor sees a short warning instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import functools
import math
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import gradio as gr

from seedance_ui.client import GenerationRequest, SeedanceError, ValidationError
from seedance_ui.client.errors import api_key_problem
from seedance_ui.jobs.inputs import (
    INPUTS_KEY,
    ROLE_FIRST_FRAME,
    ROLE_LAST_FRAME,
    ROLE_REFERENCE_AUDIO,
    ROLE_REFERENCE_IMAGE,
    ROLE_REFERENCE_VIDEO,
    entries_of,
    local_request,
    media_fields,
)
from seedance_ui.options import (
    ASPECT_RATIOS,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_CONTENT_FILTER,
    DEFAULT_DURATION,
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
    DEFAULT_WEB_SEARCH,
    MODE_FRAMES,
    MODE_REFERENCES,
    MODEL_SPECS,
    MODELS,
    QUALITIES,
)
from seedance_ui.pricing import estimate
from seedance_ui.runtime import Runtime
from seedance_ui.security.identity import visitor_in_scope
from seedance_ui.security.owners import client_address
from seedance_ui.store import JobRecord, JobStatus
from seedance_ui.ui import craft, views
from seedance_ui.ui.common import (
    API_OWNER,
    INTERNAL_ERROR,
    TICK_SECONDS,
    guarded,
    listed,
    log,
    new_owner_id,
    owner_of,
    toast_info,
    toast_warning,
    valid_owner,
)
from seedance_ui.ui.mode_handlers import ModeHandlers
from seedance_ui.ui.modes import gallery_paths, mode_of, url_lines
from seedance_ui.ui.placeholders import Placeholders
from seedance_ui.ui.prompt_lint import lint, straighten_quotes

HISTORY_LIMIT = 60
HISTORY_POLL_SECONDS = 1.0
# A page redraws its gallery at most this often while jobs move on (the first change at once): Gradio
# checks and caches every image of a redrawn gallery on its event loop, so each redraw costs about a
# millisecond per history item.
HISTORY_MIN_INTERVAL = 2.0
# Prompts up to this length are linted right on the event loop (tens of microseconds); longer ones on
# LINT_THREAD, a single worker, so parallel long prompts cannot take the loop's turns between them.
INLINE_LINT_CHARS = 500
LINT_THREAD = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="lint")
KEY_SHAPE_HINT = "Nothing was stored or sent. Paste the key again, as your Evolink dashboard shows it."
FIELD_LABELS = {
    "prompt": "Prompt",
    "model": "Model",
    "duration": "Duration",
    "quality": "Quality",
    "aspect_ratio": "Aspect ratio",
    "generate_audio": "Generate audio",
    "web_search": "Web search",
    "content_filter": "Content filter",
    "first_frame": "First frame",
    "last_frame": "Last frame",
    "reference_images": "Reference images",
    "reference_video_urls": "Reference video URLs",
    "reference_audio_urls": "Reference audio URLs",
}
# An item of a list field, as the request names it ("reference_images[2]"), as the page names it.
ITEM_LABELS = {
    "reference_images": "Reference image @image{}",
    "reference_video_urls": "Reference video @video{}",
    "reference_audio_urls": "Reference audio @audio{}",
}


def field_label(field: str) -> str:
    """The page's name of a request field ("reference_images[2]" -> "Reference image @image2")."""
    name, _, rest = field.partition("[")
    if rest.endswith("]") and rest[:-1].isdigit() and name in ITEM_LABELS:
        return ITEM_LABELS[name].format(rest[:-1])
    return FIELD_LABELS.get(field, field)


def is_skip(output: Any) -> bool:
    return output == gr.skip()


def _nothing(*_args: Any) -> Any:
    """A failed handler's answer: leave every output as it is (Gradio applies one skip to them all)."""
    return gr.skip()


handler = guarded(_nothing)


def key_refusal(key: str) -> str | None:
    """Why a pasted key cannot be used, naming the field and the rule (never any part of the key)."""
    problem = api_key_problem(key)
    return None if problem is None else f"Your Evolink API key {problem}."


def too_long(prompt: Any, limit: int) -> bool:
    """The edge cap, checked before any other work on a prompt (O(1))."""
    return isinstance(prompt, str) and len(prompt) > limit


def prompt_too_long(prompt: str, limit: int) -> str:
    return f"Prompt: must be at most {limit:,} characters (got {len(prompt):,}). Nothing was sent."


def coerce_duration(value: Any) -> Any:
    """Slider and API numbers as an int when whole; anything else is left for the validator to name."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def make_request(
    prompt: Any,
    model: Any,
    duration: Any,
    quality: Any,
    aspect_ratio: Any,
    generate_audio: Any,
    web_search: Any,
    **media: Any,
) -> GenerationRequest:
    """The request the page (or the API) describes; `media`: content_filter, first_frame, last_frame,
    reference_images, reference_video_urls, reference_audio_urls (GenerationRequest's names)."""
    return GenerationRequest(
        prompt=prompt if prompt is not None else "",
        model=model,
        duration=coerce_duration(duration),
        quality=quality,
        aspect_ratio=aspect_ratio,
        generate_audio=generate_audio,
        web_search=web_search,
        **media,
    )


# How the history names each input (n: its number among inputs of that role).
INPUT_LABELS = {
    ROLE_FIRST_FRAME: "First frame",
    ROLE_LAST_FRAME: "Last frame",
    ROLE_REFERENCE_IMAGE: "Image {n}",
    ROLE_REFERENCE_VIDEO: "Video {n}",
    ROLE_REFERENCE_AUDIO: "Audio {n}",
}


def page_media(
    model: Any,
    content_filter: Any,
    first_frame: Any,
    last_frame: Any,
    reference_images: Any,
    video_urls: Any,
    audio_urls: Any,
) -> dict[str, Any]:
    """The media fields of a page's request: only those of the model's mode (the other mode's zones
    keep their contents while hidden, but are not sent)."""
    mode = mode_of(model) if model in MODEL_SPECS else None
    media: dict[str, Any] = {"content_filter": True if content_filter is None else content_filter}
    if mode == MODE_FRAMES:
        media.update(first_frame=first_frame or None, last_frame=last_frame or None)
    elif mode == MODE_REFERENCES:
        media.update(
            reference_images=gallery_paths(reference_images),
            reference_video_urls=url_lines(video_urls),
            reference_audio_urls=url_lines(audio_urls),
        )
    return media


def is_references(model: Any) -> bool:
    return isinstance(model, str) and model in MODEL_SPECS and mode_of(model) == MODE_REFERENCES


def _whole(value: Any) -> int:
    """A page's number as whole seconds (0 for anything else)."""
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return 0


def _seconds(value: Any) -> float:
    """A measured length in seconds from a page state (0 for anything that is not a finite number >= 0)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0.0
    return max(0.0, float(value))


def reference_counts(value: Any) -> dict[str, int]:
    """The page's reference counts (a state `on_refs` keeps) as kind -> int; zeros for anything else."""
    value = value if isinstance(value, dict) else {}
    return {kind: v if isinstance((v := value.get(kind)), int) and v >= 0 else 0
            for kind in ("image", "video", "audio")}


def describe_problems(problems: Sequence[ValidationError]) -> list[str]:
    return [f"{field_label(p.field)}: {p.rule}" for p in problems]


class HistoryWatch:
    """An owner's history as a page watcher sees it: `tick()` -> (signal, busy). The signal is the new
    history signature when it differs from what the page shows (at most every HISTORY_MIN_INTERVAL s),
    else a skip; busy while a job is in flight or a change is still to be signalled."""

    def __init__(self, studio: Studio, owner: str, drawn: str | None) -> None:
        self.studio, self.owner, self.drawn = studio, owner, drawn
        # The load or submit handler that drew `drawn` has just redrawn the gallery: that counts.
        self.signalled_at = time.monotonic() if drawn is not None else -math.inf

    async def signature(self) -> tuple[str, bool]:
        """(history signature, anything in flight), read off the event loop (the store's lock may be
        held by the job manager's thread for a moment)."""
        records = await asyncio.to_thread(self.studio.manager.list, self.owner, HISTORY_LIMIT)
        return self.studio.history_signature(records), any(not r.terminal for r in records)

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


class StudioPage:
    """The Studio tab's components, placed by the panel functions of `layout`. A handler answers with a
    dict keyed by the components it changes (Gradio leaves the others as they are)."""

    owner: gr.BrowserState
    visitor_key: gr.State
    current_job: gr.State
    drawn: gr.State
    outcome_signal: gr.State
    history_signal: gr.State
    history_ids: gr.State
    selected_job: gr.State
    ref_counts: gr.State
    video_seconds: gr.State
    key_box: gr.Textbox
    key_status: gr.HTML
    prompt: gr.Textbox
    counter: gr.HTML
    straighten_btn: gr.Button
    craft_menus: dict[str, gr.Dropdown]
    line: gr.Textbox
    mode: gr.Radio
    model: gr.Radio
    content_filter: gr.Checkbox
    frames_panel: gr.Column
    first_frame: gr.Image
    last_frame: gr.Image
    frames_note: gr.HTML
    adaptive_btn: gr.Button
    refs_panel: gr.Column
    ref_images: gr.Gallery
    add_refs_btn: gr.UploadButton
    ref_videos: gr.Textbox
    ref_audios: gr.Textbox
    ref_measures: gr.HTML
    ref_tags: gr.HTML
    duration: gr.Slider
    quality: gr.Radio
    aspect_ratio: gr.Radio
    generate_audio: gr.Checkbox
    web_search: gr.Checkbox
    status: gr.HTML
    progress: gr.HTML
    video: gr.Video
    download: gr.DownloadButton
    params: gr.HTML
    gallery: gr.Gallery
    detail_video: gr.Video
    detail: gr.HTML
    reuse_btn: gr.Button
    delete_btn: gr.Button
    continue_btn: gr.Button
    cancel_job_btn: gr.Button


Out = dict[Any, Any]  # a handler's answer: component -> new value or gr.update


class Studio(ModeHandlers):
    """All handlers of the Studio tab, bound to one runtime and the page's components (`page`); the
    mode switch and media inputs' handlers come from `ModeHandlers`."""

    def __init__(self, runtime: Runtime) -> None:
        self.page = StudioPage()
        self.runtime = runtime
        self.settings = runtime.settings
        self.manager = runtime.manager
        self.store = runtime.store
        self.placeholders = Placeholders(runtime.store.data_dir)
        self.placeholders.warm()
        self._page_watchers: dict[str, object] = {}  # session -> the token of its current page watcher
        self._long_lints: set[str] = set()  # client addresses with a long prompt on the lint thread

    def owner_of(self, owner: Any, request: Any = None) -> str | None:
        """The owner of one event (`common.owner_of`, shared by every tab)."""
        return owner_of(owner, request, self.settings)

    def address_of(self, request: Any) -> str | None:
        """The hashed client address of an event (a subject of the per-visitor limits)."""
        return client_address(request, trust_proxy=self.settings.trust_proxy)

    def job_of(self, job_id: Any, owner: Any, request: Any = None) -> tuple[str | None, JobRecord | None]:
        """(the event's owner, its job `job_id`): the record is None when the owner has no such job."""
        owner_id = self.owner_of(owner, request)
        return owner_id, self.manager.get(job_id, owner_id) if job_id and owner_id else None

    # ---------------------------------------------------------------------------------------------
    # shared renderers
    def input_views(self, record: JobRecord | None) -> list[views.InputView]:
        """The job's inputs for the history detail: image copies as thumbnails, URLs as chips."""
        out: list[views.InputView] = []
        counts: dict[str, int] = {}
        for entry in entries_of(record.params) if record is not None else []:
            role = entry["role"]
            counts[role] = counts.get(role, 0) + 1
            label = INPUT_LABELS[role].format(n=counts[role])
            try:
                path = self.store.resolve(entry.get("path"))
            except ValueError:
                path = None
            image = views.file_url(path) if path is not None and path.is_file() else None
            out.append(views.InputView(role, label, image, entry.get("url"), entry.get("name")))
        return out

    def detail_view(self, record: JobRecord | None) -> str:
        return views.detail_html(record, self.input_views(record))

    def video_file(self, record: JobRecord | None) -> str | None:
        if record is None or record.status != JobStatus.COMPLETED:
            return None
        path = self.store.video_file(record)
        return str(path) if path else None

    def gallery(self, owner: str | None, records: Sequence[JobRecord] | None = None) -> Out:
        """The history gallery and the job ids of its items."""
        items, ids = self.gallery_items(owner, records)
        return {self.page.gallery: items, self.page.history_ids: ids}

    def gallery_items(
        self, owner: str | None, records: Sequence[JobRecord] | None = None
    ) -> tuple[list[tuple[str, str]], list[str]]:
        if not owner:
            return [], []
        if records is None:
            records = self.manager.list(owner, HISTORY_LIMIT)
        items: list[tuple[str, str]] = []
        ids: list[str] = []
        for rec in records:
            poster = self.store.poster_file(rec) if rec.status == JobStatus.COMPLETED else None
            image = poster or self.placeholders.for_record(rec)
            items.append((str(image), views.history_caption(rec)))
            ids.append(rec.id)
        return items, ids

    @staticmethod
    def history_signature(records: Sequence[JobRecord]) -> str:
        """Changes whenever the gallery would: an item added, removed, or its status or poster changed."""
        return "|".join(f"{r.id}:{r.status.value}:{r.poster_path or ''}" for r in records)

    @staticmethod
    def drawn(record: JobRecord | None, history: str | None) -> dict[str, Any]:
        """What a handler has just drawn on the page: the page watcher starts from it (`watch_page`)."""
        job = [record.id, record.terminal] if record is not None else None
        return {"job": job, "history": history}

    def result(self, record: JobRecord | None) -> Out:
        """The preview panel's video, download button and parameters for `record`."""
        path = self.video_file(record) if record is not None else None
        params = views.params_table(record.params, record) if record is not None else ""
        p = self.page
        return {
            p.video: gr.update(value=path, visible=bool(path)),
            p.download: gr.update(value=path, visible=bool(path)),
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

    async def watch_ticking(self, job_id: str, owner: str) -> AsyncIterator[tuple[JobRecord, bool]]:
        """(record, changed) on every change of the job and at least every TICK_SECONDS."""
        iterator = self.manager.watch(job_id, owner).__aiter__()
        last: JobRecord | None = None
        pending: asyncio.Future[JobRecord] = asyncio.ensure_future(iterator.__anext__())
        try:
            while True:
                done, _ = await asyncio.wait({pending}, timeout=TICK_SECONDS)
                if pending in done:
                    try:
                        record = pending.result()
                    except StopAsyncIteration:
                        return
                    last = record
                    yield record, True
                    if record.terminal:
                        return
                    pending = asyncio.ensure_future(iterator.__anext__())
                elif last is not None:
                    yield last, False
        finally:
            if not pending.done():
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending
            with contextlib.suppress(BaseException):
                await iterator.aclose()

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
        latest = records[0] if records else None
        ended = latest is not None and latest.terminal
        p = self.page
        return {
            p.owner: browser_id,
            **self.gallery(owner_id, records),
            p.current_job: latest.id if latest is not None else None,
            p.progress: views.progress_card(latest),
            **self.result(latest),
            p.status: self.outcome_notice(latest, toast=False) if ended and latest else "",
            p.drawn: self.drawn(latest, self.history_signature(records)),
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
        history = HistoryWatch(self, owner_id, drawn.get("history"))
        record = await asyncio.to_thread(self.manager.get, job_id, owner_id) if job_id else None
        if record is not None and not (record.terminal and drawn.get("job") == [record.id, True]):
            async for live, changed in self.watch_ticking(record.id, owner_id):
                if live.terminal:  # show_outcome draws the video and the gallery together
                    await history.absorb()
                    outcome = [live.id, live.status.value]
                    yield {p.progress: views.progress_card(live), p.outcome_signal: outcome}
                    break
                signal, _busy = await history.tick()
                if changed:
                    yield {p.progress: views.progress_card(live), p.history_signal: signal}
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
    def show_outcome(self, signal: Any, owner: Any, request: gr.Request | None = None) -> Any:
        """The panel's job has ended (its outcome signal changed): its video, download, parameters and
        notice, and the gallery (one redraw for all the page shows of it)."""
        owner_id = self.owner_of(owner, request)
        job_id = signal[0] if isinstance(signal, list | tuple) and signal else None
        record = self.manager.get(job_id, owner_id) if isinstance(job_id, str) and owner_id else None
        if record is None or not record.terminal:
            return gr.skip()
        status = {self.page.status: self.outcome_notice(record, toast=True)}
        return {**self.result(record), **status, **self.gallery(owner_id)}

    @handler
    def show_history(self, owner: Any, request: gr.Request | None = None) -> Any:
        """The owner's history changed (its signal changed): the gallery."""
        owner_id = self.owner_of(owner, request)
        if not owner_id:
            return gr.skip()
        return self.gallery(owner_id)

    # ---------------------------------------------------------------------------------------------
    # create panel
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
        seconds = _whole(duration)
        videos = _seconds(video_seconds) if is_references(model) else 0.0
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
        http: gr.Request | None = None,
    ) -> Out:
        """Validate (the fields, then the media files themselves), then hand the job to the manager:
        this browser's id, the new current job, the status (the problems, named, when nothing was
        sent), its progress card and the gallery. Only the model's mode's media are sent."""
        p = self.page
        browser_id = valid_owner(owner) or new_owner_id()
        owner_id = self.owner_of(browser_id, http) or browser_id
        if visitor_in_scope(http) is not None:  # the cookie decides; the page keeps no id of its own
            browser_id = None
        if too_long(prompt, self.settings.max_prompt_chars):
            status = views.notice_html("error", prompt_too_long(prompt, self.settings.max_prompt_chars))
            return {p.owner: browser_id, p.current_job: None, p.status: status}
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
            return {p.owner: browser_id, p.current_job: None, p.status: self.not_sent(problems)}
        try:
            record = await asyncio.to_thread(
                self.manager.submit, request, owner_id, visitor_key or None, address=self.address_of(http)
            )
        except ValidationError as exc:
            toast_warning(exc.message, exc.hint, title="Not sent")
            status = views.notice_html("error", exc.message, exc.hint)
            return {p.owner: browser_id, p.current_job: None, p.status: status}
        except SeedanceError as exc:
            toast_warning(exc.message, exc.hint)
            status = views.notice_html("error", exc.message, exc.hint)
            return {p.owner: browser_id, p.current_job: None, p.status: status}
        except RuntimeError:
            log.exception("submit failed")
            message = "The job manager is not running, so nothing was sent."
            toast_warning(message, "Reload the page in a moment; if it persists, restart the server.")
            return {p.owner: browser_id, p.current_job: None, p.status: views.notice_html("error", message)}
        records = await asyncio.to_thread(self.manager.list, owner_id, HISTORY_LIMIT)
        return {
            p.owner: browser_id,
            p.current_job: record.id,
            p.status: "",
            p.progress: views.progress_card(record),
            **self.result(record),  # a new job has no video yet: hidden, and its parameters
            **self.gallery(owner_id, records),
            p.drawn: self.drawn(record, self.history_signature(records)),
        }

    @handler
    def cancel(self, job_id: str | None, owner: Any, request: gr.Request | None = None) -> str:
        owner_id, record = self.job_of(job_id, owner, request)
        if record is None:
            toast_info("Nothing to cancel: no job is running in this panel.")
            return views.notice_html("info", "Nothing to cancel: no job is running in this panel.")
        if record.terminal:
            message = f"This job has already ended ({record.status.label})."
            toast_info(message)
            return gr.skip()
        message = self.manager.cancel(job_id, owner_id)
        toast_info(message, title="Cancel")
        return views.notice_html("info", message)

    # ---------------------------------------------------------------------------------------------
    # history detail
    def detail_outputs(self, record: JobRecord | None) -> Out:
        """The history's detail column for the selected item (`record`), or empty for none."""
        p = self.page
        path = self.video_file(record)
        return {
            p.selected_job: record.id if record is not None else None,
            p.detail_video: gr.update(value=path, visible=bool(path)),
            p.detail: self.detail_view(record),
            p.reuse_btn: gr.update(visible=record is not None),
            p.continue_btn: gr.update(visible=bool(path)),
            p.delete_btn: gr.update(visible=record is not None and record.terminal),
            p.cancel_job_btn: gr.update(visible=record is not None and not record.terminal),
        }

    @handler
    def select(
        self, ids: list[str] | None, owner: Any, evt: gr.SelectData, request: gr.Request | None = None
    ) -> Out:
        owner_id = self.owner_of(owner, request)
        index = evt.index if isinstance(evt.index, int) else None
        if not owner_id or index is None or not ids or not 0 <= index < len(ids):
            return self.detail_outputs(None)
        return self.detail_outputs(self.manager.get(ids[index], owner_id))

    @handler
    async def follow_detail(
        self, job_id: str | None, owner: Any, request: gr.Request | None = None
    ) -> AsyncIterator[Any]:
        """Keep the selected item's detail live while it is in flight."""
        owner_id, record = self.job_of(job_id, owner, request)
        yield gr.skip()
        if record is None or record.terminal:
            return
        # The detail shows nothing that changes with time alone: redraw it only when the job changes
        # (each answer also pays Gradio's rebuild of the five skipped outputs).
        async for live in self.manager.watch(record.id, owner_id):
            if live.terminal:
                yield self.detail_outputs(live)
                return
            if live != record:
                record = live
                yield {self.page.detail: self.detail_view(live)}

    @handler
    def reuse(self, job_id: str | None, owner: Any, request: gr.Request | None = None) -> Any:
        """The create panel's fields as the selected job was sent, and a notice."""
        _owner_id, record = self.job_of(job_id, owner, request)
        if record is None:
            toast_info("Select an item in your history first.")
            return gr.skip()
        p = record.params
        model = p.get("model") if p.get("model") in MODELS else DEFAULT_MODEL
        quality = p.get("quality") if p.get("quality") in QUALITIES else DEFAULT_QUALITY
        ratio = p.get("aspect_ratio") if p.get("aspect_ratio") in ASPECT_RATIOS else DEFAULT_ASPECT_RATIO
        duration = p.get("duration") if isinstance(p.get("duration"), int) else DEFAULT_DURATION
        audio = (
            p.get("generate_audio") if isinstance(p.get("generate_audio"), bool) else DEFAULT_GENERATE_AUDIO
        )
        web = p.get("web_search") if isinstance(p.get("web_search"), bool) else DEFAULT_WEB_SEARCH
        toast_info("Settings restored in the create panel.")
        inputs = [f"{v.label}: {v.name or v.url}" for v in self.input_views(record)]
        if inputs and p.get("model") not in MODELS:  # a frames or references model: name it too
            inputs.insert(0, f"Model: {p.get('model')}")
        notice = views.notice_html(
            "info", "Settings restored from your history — tweak and generate again.",
            "This shot's inputs (add them again to use them):" if inputs else None, items=inputs,
        )
        ui = self.page
        return {
            ui.prompt: p.get("prompt", ""),
            ui.model: model,
            ui.duration: duration,
            ui.quality: quality,
            ui.aspect_ratio: ratio,
            ui.generate_audio: audio,
            ui.web_search: web,
            ui.status: notice,
        }

    def reused_inputs(self, record: JobRecord) -> dict[str, Any]:
        """The job's media fields as Reuse settings refills them: the saved copies' absolute paths
        (images) and the URLs, by request field (first_frame, ..., reference_audio_urls)."""
        return media_fields(local_request(self.store, record.params))

    @handler
    def delete(self, job_id: str | None, owner: Any, request: gr.Request | None = None) -> Any:
        """Delete the selected item (ended jobs only), with its files: the gallery and an empty detail."""
        owner_id, record = self.job_of(job_id, owner, request)
        if record is None or owner_id is None:
            toast_info("Select an item in your history first.")
            return gr.skip()
        if not record.terminal:
            message = "This job is still running: cancel it first, or wait until it ends."
            toast_warning(message)
            return {self.page.status: views.notice_html("warning", message)}
        if not self.manager.delete(record.id, owner_id):
            toast_warning("Could not delete this item.")
            return gr.skip()
        toast_info("Deleted, with its video, poster and input files.")
        return {**self.gallery(owner_id), **self.detail_outputs(None)}

    @handler
    def cancel_selected(self, job_id: str | None, owner: Any, request: gr.Request | None = None) -> str:
        return self.cancel(job_id, owner, request)

    # ---------------------------------------------------------------------------------------------
    # visitor key (demo mode)
    @handler
    def set_key(
        self, typed: str | None, owner: Any, request: gr.Request | None = None
    ) -> Out:
        """The session's key, a cleared textbox and the key status. The key is never echoed."""
        p = self.page
        key = (typed or "").strip()
        if not key:
            toast_warning("Paste your Evolink API key first.")
            return {p.key_box: ""}
        refusal = key_refusal(key)
        if refusal is not None:
            toast_warning(refusal, title="Key not used")
            return {p.key_box: "", p.key_status: views.notice_html("error", refusal, KEY_SHAPE_HINT)}
        owner_id = self.owner_of(owner, request)
        if owner_id:
            with contextlib.suppress(Exception):
                resumed = self.manager.resume_with_key(owner_id, key)
                if resumed:
                    toast_info(f"Following {resumed} earlier job(s) again with your key.")
        toast_info("Your key is set for this session.")
        status = views.key_status_html(True, self.runtime.demo_mode)
        return {p.visitor_key: key, p.key_box: "", p.key_status: status}

    @handler
    def forget_key(self) -> Out:
        demo = self.runtime.demo_mode
        toast_info("Your key is forgotten; demo mode again." if demo else "Your key is forgotten.")
        return {self.page.visitor_key: None, self.page.key_status: views.key_status_html(False, demo)}

    @handler
    async def check_key(
        self, typed: str | None, session_key: str | None, owner: Any, request: gr.Request | None = None
    ) -> Out:
        """Check the typed key (and keep it for the session), else the session key, else the default."""
        p = self.page
        typed = (typed or "").strip()
        refusal = key_refusal(typed) if typed else None
        if refusal is not None:
            toast_warning(refusal, title="Check key")
            return {p.key_box: "", p.key_status: views.notice_html("error", refusal, KEY_SHAPE_HINT)}
        key = typed or session_key or None
        result = await self.runtime.check_key(key)
        status = views.notice_html("success" if result.ok else "error", result.message, result.hint)
        if result.ok:
            toast_info(result.message, title="Check key")
        else:
            toast_warning(result.message, result.hint, title="Check key")
        if typed and result.ok:
            owner_id = self.owner_of(owner, request)
            if owner_id:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self.manager.resume_with_key, owner_id, typed)
            note = views.key_status_html(True, self.runtime.demo_mode)
            return {p.visitor_key: typed, p.key_box: "", p.key_status: note + status}
        return {p.key_box: "", p.key_status: status}

    # ---------------------------------------------------------------------------------------------
    # programmatic API
    async def api_generate(
        self,
        prompt: str,
        model: str = DEFAULT_MODEL,
        duration: int = DEFAULT_DURATION,
        quality: str = DEFAULT_QUALITY,
        aspect_ratio: str = DEFAULT_ASPECT_RATIO,
        generate_audio: bool = DEFAULT_GENERATE_AUDIO,
        web_search: bool = DEFAULT_WEB_SEARCH,
        first_frame: str | None = None,
        last_frame: str | None = None,
        reference_images: list[str] | None = None,
        reference_video_urls: list[str] | None = None,
        reference_audio_urls: list[str] | None = None,
        content_filter: bool = DEFAULT_CONTENT_FILTER,
        http: gr.Request | None = None,
    ) -> AsyncIterator[tuple[Any, dict[str, Any]]]:
        """Generate a video and wait for it. Yields progress; the final output is the mp4 and a JSON
        summary whose `video_path` is the file's local path on the server. Image parameters are files
        (gradio_client.handle_file), video and audio references lists of URLs."""
        if too_long(prompt, self.settings.max_prompt_chars):
            raise gr.Error("Invalid request: " + prompt_too_long(prompt, self.settings.max_prompt_chars))
        request = dataclasses.replace(
            make_request(prompt, model, duration, quality, aspect_ratio, generate_audio, web_search),
            first_frame=first_frame or None,
            last_frame=last_frame or None,
            reference_images=listed(reference_images),
            reference_video_urls=listed(reference_video_urls),
            reference_audio_urls=listed(reference_audio_urls),
            content_filter=content_filter,
        )
        problems = request.problems()
        if problems:
            raise gr.Error(
                "Invalid request: " + "; ".join(f"{p.field}: {p.rule}" for p in problems),
                title="Invalid request",
            )
        # API callers share one anonymous owner (their jobs are never listed to anyone, results go back
        # only to the caller); a signed-in session (sign-in on) is that person's own owner.
        # An API caller is a visitor like any other: its own cookie's owner (a client that keeps no
        # cookies is a new visitor on every call, still bound by its address), or its signed-in account.
        owner = self.owner_of(None, http) or API_OWNER
        try:
            record = await asyncio.to_thread(
                self.manager.submit, request, owner, None, address=self.address_of(http)
            )
        except ValidationError as exc:  # a media rule, measured on the files: nothing was uploaded or sent
            raise gr.Error(f"Invalid request: {exc.field}: {exc.rule}", title="Invalid request") from None
        except SeedanceError as exc:
            raise gr.Error(f"{exc.message} — {exc.hint}", title=type(exc).__name__) from None
        except Exception:
            log.exception("API submit failed")
            raise gr.Error(INTERNAL_ERROR) from None
        final: JobRecord | None = None
        async for rec, changed in self.watch_ticking(record.id, owner):
            final = rec
            if changed and not rec.terminal:
                yield None, self.api_summary(rec)
        if final is None or not final.terminal:
            raise gr.Error("Lost track of the job; see the server log.")
        if final.status != JobStatus.COMPLETED:
            message = final.error_message or final.status.label
            code = f" [{final.error_code}]" if final.error_code else ""
            hint = f" — {final.error_hint}" if final.error_hint else ""
            raise gr.Error(f"{message}{code}{hint}", title=final.status.label.split(" —")[0])
        path = self.video_file(final)
        if not path:
            raise gr.Error("The video finished but its file is missing on the server.")
        yield path, self.api_summary(final)

    def api_input(self, entry: dict[str, Any]) -> dict[str, Any]:
        """An input as API callers see it: the saved copy's path on the server as `saved_copy` (a dict
        with a "path" key would be taken for a file to download by gradio_client)."""
        out = {k: v for k, v in entry.items() if k != "path"}
        if entry.get("path"):
            with contextlib.suppress(ValueError):
                out["saved_copy"] = str(self.store.resolve(entry["path"]))
        return out

    def api_summary(self, record: JobRecord) -> dict[str, Any]:
        data = record.to_public_dict()
        path = self.store.video_file(record)
        poster = self.store.poster_file(record)
        data["video_path"] = str(path) if path else None
        data["poster_path"] = str(poster) if poster else None
        data["params"] = {k: v for k, v in record.params.items() if k != "callback_url"}
        if INPUTS_KEY in data["params"]:
            data["params"][INPUTS_KEY] = [self.api_input(entry) for entry in entries_of(record.params)]
        data.pop("owner", None)
        data["updated_at"] = record.updated_at or time.time()
        return data
