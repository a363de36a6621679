"""The history's detail column: select an item, follow it while it runs, reuse its settings, delete it,
cancel it. A mixin of `handlers.Studio` (same page, same runtime).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import gradio as gr

from seedance_ui.jobs.inputs import local_request, media_fields
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
)
from seedance_ui.store import JobRecord
from seedance_ui.ui import views
from seedance_ui.ui.common import Out, handler, toast_info, toast_warning
from seedance_ui.ui.studio.media import captioned, continue_frame
from seedance_ui.ui.studio.modes import mode_of, tier_choices

if TYPE_CHECKING:
    from seedance_ui.ui.studio.preview import StudioPage


class HistoryHandlers:
    """The detail column's events; `Studio` provides page, manager, store and the shared renderers
    (`job_of`, `owner_of`, `video_file`, `detail_view`, `input_views`, `gallery`, `cancel`)."""

    page: StudioPage
    manager: Any
    store: Any

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
        """The create panel's fields as the selected job was sent, its inputs back in their zones (a
        frames or references job: its mode, its saved pictures, its URLs), and a notice."""
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
        model_update = self.reused_model(record)
        toast_info("Settings and inputs restored." if model_update else "Settings restored.")
        inputs = [f"{v.label}: {v.name or v.url}" for v in self.input_views(record)]
        notice = views.notice_html(
            "info", "Settings restored from your history — tweak and generate again.",
            "Its inputs are back in their places, as listed above." if inputs else None, items=inputs,
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
            **model_update,
            ui.status: notice,
        }

    @staticmethod
    def media_model(record: JobRecord) -> str | None:
        """The job's model when it is a frames or references model, else None."""
        model = record.params.get("model")
        return model if model in MODEL_SPECS and mode_of(model) != MODE_TEXT else None

    def reused_model(self, record: JobRecord) -> Out:
        """A frames or references job's model and content filter (the mode follows the model); else {}."""
        model, ui = self.media_model(record), self.page
        if model is None:
            return {}
        return {
            ui.model: gr.update(choices=tier_choices(mode_of(model)), value=model),
            ui.content_filter: record.params.get("content_filter") is not False,
        }

    @handler
    def reuse_inputs(self, job_id: str | None, owner: Any, request: gr.Request | None = None) -> Any:
        """After `reuse` (once the page shows the job's mode): its saved pictures and its URLs back in
        the create panel's zones."""
        _owner_id, record = self.job_of(job_id, owner, request)
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
        continue_frame(self.store.data_dir, record.id).unlink(missing_ok=True)
        toast_info("Deleted, with its video, poster and input files.")
        return {**self.gallery(owner_id), **self.detail_outputs(None)}

    @handler
    def cancel_selected(self, job_id: str | None, owner: Any, request: gr.Request | None = None) -> str:
        return self.cancel(job_id, owner, request)
