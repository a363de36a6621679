"""The programmatic API (`/generate`, and the MCP tool built on it): generate a video and wait for it,
with the same durable job, limits and history as the page: its hidden components and its handler.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Any

import gradio as gr

from seedance_ui.client import SeedanceError, ValidationError
from seedance_ui.client.urls import public_url_problem
from seedance_ui.jobs.idempotency import clean_key, submit_once
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
from seedance_ui.ui.picture_inputs import upload_problem
from seedance_ui.ui.players import LinkedVideo
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
            api_key = gr.Textbox(value="", label="idempotency_key")
            api_video = LinkedVideo(label="video")  # a presigned link of the bucket, or our file
            api_result = gr.JSON(label="result")
            api_trigger = gr.Button("generate")
        api_trigger.click(
            self.api_generate,
            inputs=[api_prompt, api_model, api_duration, api_quality, api_ratio, api_audio, api_web,
                    api_first, api_last, api_images, api_videos, api_audios, api_filter, api_key],
            outputs=[api_video, api_result],
            api_name="generate",
            api_description="Generate a video with Seedance 2.0 and wait for it (text, frames or references: "
            "the model picks the mode). The final output is the mp4 and a JSON summary whose `video_path` is "
            "the file's path in the server's data folder. A call with the same `idempotency_key` as an "
            "earlier one follows that call's job instead of making another.",
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
        idempotency_key: str | None = None,
        http: gr.Request | None = None,
    ) -> AsyncIterator[tuple[Any, dict[str, Any]]]:
        """Generate a video and wait for it. Yields progress; the final output is the mp4 and a JSON
        summary whose `video_path` is the file's path in the server's data folder. Image parameters are
        files (gradio_client.handle_file), video and audio references lists of URLs. `idempotency_key`:
        a second call with the caller's same key follows the job the first made (never a second one)."""
        if too_long(prompt, self.settings.max_prompt_chars):
            raise gr.Error("Invalid request: " + prompt_too_long(prompt, self.settings.max_prompt_chars))
        not_uploaded = api_upload_problems(first_frame, last_frame, reference_images)
        if not_uploaded:
            raise gr.Error("Invalid request: " + "; ".join(not_uploaded), title="Invalid request")
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
        address = self.address_of(http)
        try:
            key = clean_key(idempotency_key)
            record, _new = await asyncio.to_thread(
                submit_once, self.manager, owner, key,
                lambda: self.manager.submit(request, owner, None, address=address),
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
        path = self.video_player(final)
        if not path:
            raise gr.Error("The video finished but its file is missing on the server.")
        yield path, self.api_summary(final)

    @staticmethod
    def api_input(entry: dict[str, Any]) -> dict[str, Any]:
        """An input as API callers see it: its saved copy as `saved_copy`, relative to the data folder (a
        dict with a "path" key would be taken for a file to download by gradio_client); a URL only when
        it is public (an upload's URL on the simulator or a private host is not the caller's business)."""
        out = {k: v for k, v in entry.items() if k != "path" and shown(v)}
        if entry.get("path"):
            out["saved_copy"] = entry["path"]
        return out

    def api_summary(self, record: JobRecord) -> dict[str, Any]:
        """The job for API callers: files relative to the data folder, no absolute path of the server,
        and no URL but public ones."""
        data = record.to_public_dict()
        path = self.store.video_file(record)
        poster = self.store.poster_file(record)
        data["video_path"] = self.store.relative(path) if path else None
        data["poster_path"] = self.store.relative(poster) if poster else None
        params = {k: v for k, v in record.params.items() if k != "callback_url"}
        data["params"] = {k: [x for x in v if shown(x)] if isinstance(v, list) else v
                          for k, v in params.items() if shown(v)}
        if INPUTS_KEY in data["params"]:
            data["params"][INPUTS_KEY] = [self.api_input(entry) for entry in entries_of(record.params)]
        data.pop("owner", None)
        data["updated_at"] = record.updated_at or time.time()
        return data


def shown(value: Any) -> bool:
    """False for a URL that is not public (https on a public host): those stay on the server."""
    if not isinstance(value, str) or not value.lower().startswith(("http://", "https://")):
        return True
    return public_url_problem(value) is None


def api_upload_problems(first_frame: Any, last_frame: Any, reference_images: Any) -> list[str]:
    """"field: rule" for each image parameter that is not a file uploaded with this call (a value naming
    any other file of the server, another visitor's input copy included, is never read)."""
    named = [("first_frame", first_frame), ("last_frame", last_frame)]
    images = listed(reference_images)
    images = images if isinstance(images, tuple) else (images,)
    named += [(f"reference_images[{i}]", path) for i, path in enumerate(images, 1)]
    return [problem for field, path in named if path and (problem := upload_problem(field, path))]


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
