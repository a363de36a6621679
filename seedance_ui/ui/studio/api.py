"""The programmatic API (`/generate`, and the MCP tool built on it): generate a video and wait for it,
with the same durable job, limits and history as the page: its hidden components and its handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Any

import gradio as gr

from seedance_ui.client import SeedanceError, ValidationError
from seedance_ui.jobs.inputs import INPUTS_KEY, entries_of
from seedance_ui.options import (
    ALL_QUALITIES,
    ASPECT_RATIOS,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_CONTENT_FILTER,
    DEFAULT_DURATION,
    DEFAULT_GENERATE_AUDIO,
    DEFAULT_MODEL,
    DEFAULT_QUALITY,
    DEFAULT_WEB_SEARCH,
    MODEL_SPECS,
)
from seedance_ui.store import JobRecord, JobStatus
from seedance_ui.ui.common import API_LIMIT, API_OWNER, INTERNAL_ERROR, listed, log
from seedance_ui.ui.studio.fields import make_request, prompt_too_long, too_long
from seedance_ui.ui.studio.page import Panel


class ApiPanel(Panel):
    """`/generate`: hidden components (the API's parameters take their labels as names), `api_generate` and
    the summary it answers with."""

    def build(self) -> None:
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
            api_video = gr.Video(label="video")
            api_result = gr.JSON(label="result")
            api_trigger = gr.Button("generate")
        api_trigger.click(
            self.api_generate,
            inputs=[api_prompt, api_model, api_duration, api_quality, api_ratio, api_audio, api_web,
                    api_first, api_last, api_images, api_videos, api_audios, api_filter],
            outputs=[api_video, api_result],
            api_name="generate",
            api_description="Generate a video with Seedance 2.0 and wait for it (text, frames or references: "
            "the model picks the mode). The final output is the mp4 and a JSON summary whose `video_path` is "
            "the file's local path on the server.",
            concurrency_id="api-generate",
            concurrency_limit=API_LIMIT,
        )

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
