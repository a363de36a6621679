"""The Studio tab's page: its components (`StudioPage`), the options its events run with, and what every
panel of the tab is (`Panel`): an object handed the page and the runtime, which places its components and
wires their events side by side (`build`), with the few helpers all panels share.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import gradio as gr
from gradio.data_classes import FileData

from seedance_ui.runtime import Runtime
from seedance_ui.security.owners import client_address
from seedance_ui.store import JobRecord, JobStatus
from seedance_ui.ui import views
from seedance_ui.ui.common import (
    FETCH_LIMIT,
    KEY_LIMIT,
    REDRAW_LIMIT,
    SUBMIT_LIMIT,
    TICK_SECONDS,
    UI_LIMIT,
    WATCH_LIMIT,
    group,
    handler,
    owner_of,
    toast_info,
)
from seedance_ui.ui.media_links import MediaLinks

LIGHT = group("ui", UI_LIMIT)
QUIET = {**LIGHT, "show_progress": "hidden"}
WATCH = group("watch", WATCH_LIMIT, show_progress="hidden")
# trigger_mode "multiple": a new page watcher starts even while the page still counts the last one as
# running (its cancel is asynchronous); the old one then stops itself (PreviewPanel.watch_page).
WATCHER = {**WATCH, "trigger_mode": "multiple"}
# Their own group: a burst of redraws (many jobs ending at once) never delays a click.
REDRAW = group("redraw", REDRAW_LIMIT, show_progress="hidden")
SUBMIT = group("submit", SUBMIT_LIMIT)
# Fetching reference videos and audio to measure them: network-bound, a few at once.
FETCH = group("fetch", FETCH_LIMIT, show_progress="hidden")
KEY = group("key", KEY_LIMIT)


class StudioPage:
    """The Studio tab's components, placed by its panels (`Panel.build`). A handler answers with a dict
    keyed by the components it changes (Gradio leaves the others as they are)."""

    owner: gr.BrowserState
    visitor_key: gr.State
    current_job: gr.State
    drawn: gr.State
    outcome_signal: gr.State
    history_signal: gr.State
    history_ids: gr.State
    selected_job: gr.State
    submit_token: gr.Textbox
    ref_counts: gr.State
    video_seconds: gr.State
    frame_refusals: gr.State
    prompt_length: gr.Number
    prompt_probe: gr.Textbox
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
    sample_pictures_btn: gr.Button  # demo mode only (samples.py)
    sample_clip_btn: gr.Button
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
    favourite_btn: gr.Button
    # the history's search, filters and pages (history_filters.py)
    history_query: gr.State
    history_search: gr.Textbox
    history_mode: gr.Dropdown
    history_status: gr.Dropdown
    history_board: gr.Dropdown
    history_favourites: gr.Checkbox
    history_newer: gr.Button
    history_pager: gr.HTML
    history_older: gr.Button
    continue_result_btn: gr.Button
    generate_btn: gr.Button
    cancel_btn: gr.Button
    cost: gr.HTML
    submit_note: gr.HTML


def controls(p: StudioPage) -> list[Any]:
    """The create panel's fields, in the order a generation request takes them."""
    return [p.prompt, p.model, p.duration, p.quality, p.aspect_ratio, p.generate_audio, p.web_search]


def media_inputs(p: StudioPage) -> list[Any]:
    """The content filter and the media inputs, in the order `PreviewPanel.submit` takes them after the
    key."""
    return [p.content_filter, p.first_frame, p.last_frame, p.ref_images, p.ref_videos, p.ref_audios]


class Panel:
    """A part of the Studio tab, handed the page (`page`, whose components it places and answers with) and
    the runtime; a panel that works with another is handed that one too. Here what they all use: who is
    asking, one of their jobs, a finished video's file, a job followed tick by tick, and cancel."""

    def __init__(self, page: StudioPage, runtime: Runtime) -> None:
        self.page = page
        self.runtime = runtime
        self.settings = runtime.settings
        self.manager = runtime.manager
        self.store = runtime.store

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

    def video_file(self, record: JobRecord | None) -> str | None:
        if record is None or record.status != JobStatus.COMPLETED:
            return None
        path = self.store.video_file(record)
        return str(path) if path else None

    def video_player(self, record: JobRecord | None, *, download: bool = False) -> FileData | str | None:
        """A finished job's video for a LinkedVideo / LinkedDownload (ui/players.py): a presigned
        link of the bucket, or the local file (ui/media_links.py); None before it is done."""
        if record is None or record.status != JobStatus.COMPLETED:
            return None
        return MediaLinks(self.store).player(record.video_path, download=download)

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
