"""The history panel: the owner's gallery, and the selected item's detail column: select an item, follow it
while it runs, reuse its settings, continue it, delete it, cancel it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from seedance_ui.jobs.inputs import entries_of, local_request, media_fields
from seedance_ui.media import MediaError, save_last_frame
from seedance_ui.options import (
    ASPECT_RATIOS,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
    DEFAULT_WEB_SEARCH,
    MODE_FRAMES,
    MODE_TEXT,
    MODEL_SPECS,
    MODELS,
    QUALITIES,
    model_id,
)
from seedance_ui.runtime import Runtime
from seedance_ui.security.key_owner import KEY_OWNER_PREFIX
from seedance_ui.store import JobRecord, JobStatus
from seedance_ui.store.query import HistoryPage
from seedance_ui.ui import views
from seedance_ui.ui.assist.take_version import version_of_job
from seedance_ui.ui.common import Out, handler, script, section, toast_info, toast_warning
from seedance_ui.ui.picture_inputs import handed
from seedance_ui.ui.players import LinkedVideo
from seedance_ui.ui.studio.fields import INPUT_LABELS
from seedance_ui.ui.studio.history_filters import HistoryFilters
from seedance_ui.ui.studio.history_find import HistoryFinder, query_of
from seedance_ui.ui.studio.history_views import STAR, history_label
from seedance_ui.ui.studio.media import MediaPanel, captioned, mode_outputs, mode_view, model_view
from seedance_ui.ui.studio.modes import ADAPTIVE, mode_of, quality_for, spec_of, tier_choices
from seedance_ui.ui.studio.page import (
    LIGHT,
    SUBMIT,
    WATCH,
    Panel,
    StudioPage,
    controls,
    media_inputs,
)
from seedance_ui.ui.studio.placeholders import Placeholders
from seedance_ui.ui.studio.undo import HistoryUndo

HISTORY_LIMIT = 60
CONTINUE_DIR = ("ui", "continue")  # under the data directory (served: gr.Image shows the file from there)


def continue_frame(data_dir: Path, job_id: str) -> Path:
    """Where "Continue this shot" keeps the last frame of a job's video (deleted with the job)."""
    return Path(data_dir, *CONTINUE_DIR, f"{job_id}-last.png")


class HistoryPanel(Panel):
    """The gallery and the detail column, with their events; it draws the gallery for the other panels
    too (`gallery`). Handed the media panel, whose chips and frames note follow Reuse and Continue."""

    def __init__(self, page: StudioPage, runtime: Runtime, media: MediaPanel) -> None:
        super().__init__(page, runtime)
        self.media = media
        self.placeholders = Placeholders(runtime.store.data_dir)
        self.placeholders.warm()
        self.finder = HistoryFinder(runtime.store)
        self.filters = HistoryFilters(page, runtime, self)
        self.undo = HistoryUndo(page, runtime, self.gallery)  # Delete waits SEEDANCE_UNDO_SECONDS

    def build(self) -> None:
        """The owner's history: a gallery, and the selected item's detail and actions."""
        p = self.page
        with gr.Column(elem_classes="sd-panel", elem_id="sd-history-panel"):
            section("History", "Your shots and storyboard takes, newest first — kept across visits.")
            self.filters.build_controls()
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
                    p.detail_video = LinkedVideo(  # takes a presigned link of the bucket (ui/players.py)
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
                            "Reuse settings", variant="primary", visible=False, elem_id="sd-reuse",
                            min_width=120,
                        )
                        p.continue_btn = gr.Button(
                            "Continue this shot", variant="secondary", visible=False, elem_id="sd-continue",
                            min_width=150,
                        )
                        p.delete_btn = gr.Button(
                            "Delete", variant="stop", visible=False, elem_id="sd-delete", min_width=90
                        )
                        p.cancel_job_btn = gr.Button(
                            "Cancel job", variant="stop", visible=False, elem_id="sd-cancel-job",
                            min_width=110,
                        )
                        p.favourite_btn = gr.Button(
                            f"{STAR} Star", variant="secondary", visible=False, elem_id="sd-favourite",
                            min_width=100,
                        )
            self.filters.build_pager()
            self.undo.build()

        detail = [
            p.selected_job, p.detail_video, p.detail, p.reuse_btn, p.continue_btn, p.delete_btn,
            p.cancel_job_btn, p.favourite_btn,
        ]
        selected = p.gallery.select(
            self.select, inputs=[p.history_ids, p.owner, p.visitor_key], outputs=detail, **LIGHT
        )
        detail_follow = selected.then(
            self.follow_detail, inputs=[p.selected_job, p.owner, p.visitor_key], outputs=detail, **WATCH
        )
        p.gallery.select(None, None, None, cancels=[detail_follow], api_visibility="private", queue=False)
        reused = p.reuse_btn.click(
            self.reuse,
            inputs=[p.selected_job, p.owner, p.visitor_key],
            outputs=[*controls(p), p.content_filter, p.status, *mode_outputs(p)],
            **LIGHT,
        )
        refilled = reused.then(  # the job's inputs, in the panels reuse showed
            self.reuse_inputs, inputs=[p.selected_job, p.owner, p.visitor_key], outputs=media_inputs(p)[1:],
            **LIGHT,
        )
        self.media.frames_note_after(self.media.chips_after(refilled))
        # Continue this shot, from the history's detail or beside the fresh result (the preview's job):
        # then the create panel's first frame is brought into view (scripts/continue-view.js).
        continued = [p.model, p.first_frame, p.last_frame, p.aspect_ratio, p.status, *mode_outputs(p)]
        for button, job in ((p.continue_btn, p.selected_job), (p.continue_result_btn, p.current_job)):
            shown = button.click(self.continue_shot, inputs=[job, p.owner], outputs=continued, **LIGHT).then(
                None, None, None, js=script("continue-view.js"), queue=False, api_visibility="private"
            )
            self.media.frames_note_after(shown)
        p.delete_btn.click(
            self.delete,
            inputs=[p.selected_job, p.owner, p.history_query, p.visitor_key],
            outputs=[p.gallery, p.history_ids, *detail, p.status, *self.undo.bar.outputs()],
            **LIGHT,
        )
        self.undo.wire()
        p.cancel_job_btn.click(
            self.cancel_selected, inputs=[p.selected_job, p.owner], outputs=[p.status], **SUBMIT
        )
        self.filters.wire()

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
        """The detail's HTML: the job, its inputs and the prompt version that made it."""
        version = version_of_job(self.runtime, record.owner, record) if record is not None else ""
        return views.detail_html(record, self.input_views(record), version)

    def gallery(self, owner: str | None, query: Any = None, key: Any = None) -> Out:
        """The history gallery and the job ids of its items: the page of `query` (the page's history
        query state; None: the first page, unfiltered) of the owner's jobs and of `key`'s owner."""
        return self.gallery_of(owner, self.finder.page(owner, key, query_of(query)))

    def gallery_of(self, owner: str | None, found: HistoryPage) -> Out:
        """The gallery and its job ids for a page of the history already read."""
        items: list[tuple[str, str]] = []
        ids: list[str] = []
        for row in found.rows:
            rec = row.record
            if owner and self.undo.hidden(owner, rec.id):  # deleted, still undoable
                continue
            poster = self.store.poster_file(rec) if rec.status == JobStatus.COMPLETED else None
            image = poster or self.placeholders.for_record(rec)
            items.append((str(image), history_label(row)))
            ids.append(rec.id)
        return {self.page.gallery: items, self.page.history_ids: ids}

    @staticmethod
    def history_signature(records: Sequence[JobRecord]) -> str:
        """Changes whenever the gallery would: an item added, removed, or its status or poster changed."""
        return "|".join(f"{r.id}:{r.status.value}:{r.poster_path or ''}" for r in records)

    def detail_outputs(self, record: JobRecord | None) -> Out:
        """The history's detail column for the selected item (`record`), or empty for none. A job an
        agent made with the visitor's key is shown and reused, not deleted or cancelled from here."""
        p = self.page
        path = self.video_player(record)
        own = record is not None and not record.owner.startswith(KEY_OWNER_PREFIX)
        return {
            p.selected_job: record.id if record is not None else None,
            p.detail_video: gr.update(value=path, visible=bool(path)),
            p.detail: self.detail_view(record),
            p.reuse_btn: gr.update(visible=record is not None),
            p.continue_btn: gr.update(visible=bool(path)),
            p.delete_btn: gr.update(visible=own and record.terminal),
            p.cancel_job_btn: gr.update(visible=own and not record.terminal),
            p.favourite_btn: self.favourite_button(record),
        }

    def favourite_button(self, record: JobRecord | None) -> Any:
        """The detail's star: "★ Starred" on a starred job, "☆ Star" on another, hidden for none."""
        if record is None:
            return gr.update(visible=False)
        starred = self.store.is_favourite(record.id)
        return gr.update(value=f"{STAR} Starred" if starred else "☆ Star", visible=True)

    def job_for(self, job_id: Any, owner: Any, key: Any, request: Any) -> tuple[str | None, JobRecord | None]:
        """(the event's owner, its job `job_id`): one of its own, or of the key it set (history_find)."""
        owner_id = self.owner_of(owner, request)
        return owner_id, self.finder.job(job_id, owner_id, key) if job_id and owner_id else None

    @handler
    def select(
        self, ids: list[str] | None, owner: Any, evt: gr.SelectData, key: Any = None,
        request: gr.Request | None = None,
    ) -> Out:
        index = evt.index if isinstance(evt.index, int) else None
        if index is None or not ids or not 0 <= index < len(ids):
            return self.detail_outputs(None)
        return self.detail_outputs(self.job_for(ids[index], owner, key, request)[1])

    @handler
    async def follow_detail(
        self, job_id: str | None, owner: Any, key: Any = None, request: gr.Request | None = None
    ) -> AsyncIterator[Any]:
        """Keep the selected item's detail live while it is in flight."""
        _owner_id, record = self.job_for(job_id, owner, key, request)
        yield gr.skip()
        if record is None or record.terminal:
            return
        # The detail shows nothing that changes with time alone: redraw it only when the job changes
        # (each answer also pays Gradio's rebuild of the five skipped outputs).
        async for live in self.manager.watch(record.id, record.owner):
            if live.terminal:
                yield self.detail_outputs(live)
                return
            if live != record:
                record = live
                yield {self.page.detail: self.detail_view(live)}

    @handler
    def reuse(
        self, job_id: str | None, owner: Any, key: Any = None, request: gr.Request | None = None
    ) -> Any:
        """The create panel's fields as the selected job was sent, its inputs back in their zones (a
        frames or references job: its mode, its saved pictures, its URLs), and a notice."""
        _owner_id, record = self.job_for(job_id, owner, key, request)
        if record is None:
            toast_info("Select an item in your history first.")
            return gr.skip()
        p = record.params
        model = self.media_model(record) or (p.get("model") if p.get("model") in MODELS else DEFAULT_MODEL)
        quality = p.get("quality") if p.get("quality") in QUALITIES else DEFAULT_QUALITY
        ratio = p.get("aspect_ratio") if p.get("aspect_ratio") in ASPECT_RATIOS else DEFAULT_ASPECT_RATIO
        duration = p.get("duration") if isinstance(p.get("duration"), int) else DEFAULT_DURATION
        audio = (
            p.get("generate_audio") if isinstance(p.get("generate_audio"), bool) else DEFAULT_GENERATE_AUDIO
        )
        web = p.get("web_search") if isinstance(p.get("web_search"), bool) else DEFAULT_WEB_SEARCH
        content_filter = self.reused_filter(record)
        toast_info("Settings and inputs restored." if content_filter else "Settings restored.")
        inputs = [f"{v.label}: {v.name or v.url}" for v in self.input_views(record)]
        notice = views.notice_html(
            "info", "Settings restored from your history — tweak and generate again.",
            "Its inputs are back in their places, as listed above." if inputs else None, items=inputs,
        )
        ui = self.page
        shown = model_view(ui, model, quality, web)  # the job's mode and panels show with its fields
        return {
            **shown,
            ui.prompt: p.get("prompt", ""),
            ui.model: {**shown[ui.model], "value": model},
            ui.quality: {**shown[ui.quality], "value": quality_for(model, quality)},
            ui.duration: duration,
            ui.aspect_ratio: ratio,
            ui.generate_audio: audio,
            ui.web_search: {**shown[ui.web_search], "value": web},
            **content_filter,
            ui.status: notice,
        }

    @staticmethod
    def media_model(record: JobRecord) -> str | None:
        """The job's model when it is a frames or references model, else None."""
        model = record.params.get("model")
        return model if model in MODEL_SPECS and mode_of(model) != MODE_TEXT else None

    def reused_filter(self, record: JobRecord) -> Out:
        """A frames or references job's content filter; else {} (a text job has none)."""
        if self.media_model(record) is None:
            return {}
        return {self.page.content_filter: record.params.get("content_filter") is not False}

    @handler
    def reuse_inputs(
        self, job_id: str | None, owner: Any, key: Any = None, request: gr.Request | None = None
    ) -> Any:
        """After `reuse` (which shows the job's mode and its input panels): its saved pictures and its
        URLs back in the create panel's zones."""
        _owner_id, record = self.job_for(job_id, owner, key, request)
        model = self.media_model(record) if record is not None else None
        if record is None or model is None:
            return gr.skip()
        fields, ui = self.reused_inputs(record), self.page
        if mode_of(model) == MODE_FRAMES:
            return {ui.first_frame: fields["first_frame"], ui.last_frame: fields["last_frame"]}
        return {
            ui.ref_images: captioned(tuple(fields["reference_images"])) or None,
            ui.ref_videos: "\n".join(fields["reference_video_urls"]),
            ui.ref_audios: "\n".join(fields["reference_audio_urls"]),
        }

    def reused_inputs(self, record: JobRecord) -> dict[str, Any]:
        """The job's media fields as Reuse settings refills them: the saved copies' absolute paths
        (images) and the URLs, by request field (first_frame, ..., reference_audio_urls)."""
        return media_fields(local_request(self.store, record.params))

    @handler
    def delete(
        self, job_id: str | None, owner: Any, query: Any = None, key: Any = None,
        request: gr.Request | None = None,
    ) -> Any:
        """Delete the selected item (ended jobs only): gone from the gallery now, deleted with its files
        when the undo time is up (`HistoryUndo`). The gallery (the page's `query`), an empty detail and the
        undo bar."""
        owner_id, record = self.job_of(job_id, owner, request)
        if record is None or owner_id is None:
            toast_info("Select an item in your history first.")
            return gr.skip()
        if not record.terminal:
            message = "This job is still running: cancel it first, or wait until it ends."
            toast_warning(message)
            return {self.page.status: views.notice_html("warning", message)}
        erase = lambda: self.erase(owner_id, record.id)  # noqa: E731 - when the undo time is up
        return {**self.undo.delete(owner_id, record, erase, query, key), **self.detail_outputs(None)}

    def erase(self, owner_id: str, job_id: str) -> None:
        """The delete itself, once it can no longer be undone: the job with its video, poster, input and
        continue-frame files."""
        if self.manager.delete(job_id, owner_id):
            continue_frame(self.store.data_dir, job_id).unlink(missing_ok=True)

    @handler
    def cancel_selected(self, job_id: str | None, owner: Any, request: gr.Request | None = None) -> str:
        return self.cancel(job_id, owner, request)

    # ---------------------------------------------------------------------------------------------
    # continue this shot
    @handler
    async def continue_shot(self, job_id: Any, owner: Any, request: gr.Request | None = None) -> Any:
        """The selected video's last frame becomes the first frame of a new Frames generation: the
        mode switches to Frames (same tier), the frame fills the first-frame zone, the last is cleared."""
        _owner_id, record = self.job_of(job_id, owner, request)
        video = self.store.video_file(record) if record is not None else None
        if record is None or record.status != JobStatus.COMPLETED or video is None:
            toast_info("Select a finished video in your history first.")
            return gr.skip()
        target = continue_frame(self.store.data_dir, record.id)
        try:
            await asyncio.to_thread(save_last_frame, Path(video), target)
        except (MediaError, OSError):
            toast_warning("The last frame of this video could not be read.", "Pick another video.")
            return gr.skip()
        params = record.params or {}
        model = params.get("model")
        tier = MODEL_SPECS[model].tier if model in MODEL_SPECS else spec_of(None).tier
        p = self.page
        toast_info("The last frame is your new first frame.")
        return {
            **mode_view(p, MODE_FRAMES),  # the frames panel shows with its first frame
            p.model: gr.update(choices=tier_choices(MODE_FRAMES), value=model_id(MODE_FRAMES, tier)),
            p.first_frame: handed(str(target)),  # a copy in the upload folder: the zone's guard takes it back
            p.last_frame: None,
            p.aspect_ratio: ADAPTIVE,
            p.status: views.notice_html(
                "info",
                "Continuing this shot: its last frame is now the first frame of a new Frames generation.",
                "Describe what happens next, then press Generate.",
            ),
        }
