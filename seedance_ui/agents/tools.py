"""The six agent tools as plain Python on top of `runtime.manager` (no Gradio here).

Each call is made by a `Caller`: its owner (`key:…` for a caller with its own key, else `addr:…`), the key
its jobs run on (None: the server key, or the simulator in demo mode), its hashed client address (which the
per-visitor limits bind as well, with or without a key: one address's page, `/generate` and agent calls
share them) and the base URL this server answers on (for download links). An address is not an identity:
a keyless caller reaches a job only by the id start_video returned, and cannot list its jobs. Jobs are
the page's jobs: written down before they are sent, followed by the server whether or not anyone waits,
downloaded at once, kept in the owner's history, never sent twice.
Every refusal is a ToolError whose message names the field and the rule, or says what to do; a key never
appears in a result or an error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from seedance_ui.agents.arguments import (
    CANCEL_VIDEO,
    COST_FIELDS,
    ESTIMATE_COST,
    GENERATE_VIDEO,
    GET_VIDEO,
    LIST_LIMIT_DEFAULT,
    LIST_VIDEOS,
    START_VIDEO,
    ToolError,
    check,
    generation_request,
    refusal,
    whole,
)
from seedance_ui.client import GenerationRequest, SeedanceError, ValidationError
from seedance_ui.jobs.idempotency import KEY_FIELD, submit_once
from seedance_ui.jobs.inputs import entries_of
from seedance_ui.pricing import estimate
from seedance_ui.runtime import Runtime
from seedance_ui.security.key_owner import KEY_HEADER, address_owner, header_key, key_owner
from seedance_ui.store import JobRecord, JobStatus
from seedance_ui.ui.media_links import MediaLinks

# How long start_video waits for the provider to take the job (and say how long it expects to need).
START_SETTLE_SECONDS = 5.0
SETTINGS_FIELDS = ("model", "duration", "quality", "aspect_ratio", "generate_audio", "web_search")
Reporter = Callable[[JobRecord], Awaitable[None]]


def list_needs_key_message() -> str:
    return (
        f"{LIST_VIDEOS} needs your own Evolink API key in the {KEY_HEADER} HTTP header: without a key, "
        "a network address is no identity (others may share it), so jobs are reachable only by the "
        "job_id start_video or generate_video returned (use get_video with it)."
    )


def key_required_message() -> str:
    return (
        f"This server generates only on the caller's own Evolink API key: send it in the {KEY_HEADER} "
        "HTTP header with every call (your MCP client's headers setting). Nothing was created."
    )


@dataclass(frozen=True)
class Caller:
    """Who makes a call: the owner of its jobs, the key they run on, where its links point, and its
    hashed client address (a subject of the per-visitor limits; None in-process)."""

    owner: str
    api_key: str | None = field(default=None, repr=False)
    base_url: str = ""
    address: str | None = None


def _iso(ts: float | None) -> str | None:
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class AgentTools:
    """start_video, get_video, generate_video, list_videos, cancel_video and estimate_cost."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.manager = runtime.manager
        self.store = runtime.store

    # -- who is calling ---------------------------------------------------------------------------------
    def caller(self, headers: Mapping[str, str] | None, host: str | None, base_url: str) -> Caller:
        """The caller of one request; ToolError when it must bring its own key and did not."""
        try:
            key = header_key(headers)
        except ValueError as exc:
            raise ToolError(str(exc)) from None
        address = address_owner(host)
        if key is not None:
            return Caller(key_owner(key), key, base_url, address)
        if self.settings.require_user_key or self.settings.sign_in:
            raise ToolError(key_required_message())
        return Caller(address, None, base_url, address)

    def check(self, tool: str, arguments: Mapping[str, Any]) -> None:
        check(tool, arguments, max_prompt_chars=self.settings.max_prompt_chars)

    # -- the tools --------------------------------------------------------------------------------------
    async def start(self, caller: Caller, **arguments: Any) -> dict[str, Any]:
        """Submit; answer once the provider took the job (or after START_SETTLE_SECONDS)."""
        self.check(START_VIDEO, arguments)
        record = await self._submit(caller, generation_request(arguments), arguments.get(KEY_FIELD))
        async for rec in self.manager.watch(record.id, caller.owner, timeout=START_SETTLE_SECONDS):
            record = rec
            if rec.task_id or rec.terminal or rec.status == JobStatus.QUEUED:
                break
        return self.view(record, caller)

    async def get(self, caller: Caller, job_id: str) -> dict[str, Any]:
        self.check(GET_VIDEO, {"job_id": job_id})
        await self._resume(caller)
        return self.view(await self._own(caller, job_id), caller)

    async def generate(self, caller: Caller, report: Reporter, **arguments: Any) -> dict[str, Any]:
        """Submit and wait for the end, calling `report` on every change. If the waiting stops (the client
        left), the job goes on; the caller finds it with get_video or list_videos."""
        self.check(GENERATE_VIDEO, arguments)
        record = await self._submit(caller, generation_request(arguments), arguments.get(KEY_FIELD))
        async for rec in self.manager.watch(record.id, caller.owner):
            record = rec
            if not rec.terminal:
                await report(rec)
        if record.status != JobStatus.COMPLETED:
            raise ToolError(self._failure(record))
        return self.view(record, caller)

    async def history(self, caller: Caller, limit: int = LIST_LIMIT_DEFAULT) -> dict[str, Any]:
        self.check(LIST_VIDEOS, {"limit": limit})
        if not caller.api_key:
            raise ToolError(list_needs_key_message())
        await self._resume(caller)
        records = await asyncio.to_thread(self.manager.list, caller.owner, whole(limit))
        return {"videos": [self.view(rec, caller) for rec in records], "count": len(records)}

    async def cancel(self, caller: Caller, job_id: str) -> dict[str, Any]:
        self.check(CANCEL_VIDEO, {"job_id": job_id})
        await self._own(caller, job_id)
        answer = await asyncio.to_thread(self.manager.cancel, job_id, caller.owner)
        record = await self._own(caller, job_id)
        return {**self.view(record, caller), "cancel_result": answer}

    def cost(self, **arguments: Any) -> dict[str, Any]:
        self.check(ESTIMATE_COST, arguments)
        request = generation_request({"prompt": "-", **arguments})
        price = estimate(request.model, request.quality, request.duration, request.web_search)
        return {
            "credits": price.credits,
            "usd": price.usd,
            "web_search_credits_per_search": price.web_search_credits,
            "summary": price.describe(),
            "settings": {name: getattr(request, name) for name in COST_FIELDS},
        }

    # -- what a job looks like to an agent --------------------------------------------------------------
    def view(self, record: JobRecord, caller: Caller) -> dict[str, Any]:
        params = record.params
        out: dict[str, Any] = {
            "job_id": record.id,
            "status": record.status.value,
            "status_label": record.status.label,
            "done": record.terminal,
            "progress": record.progress,
            "prompt": params.get("prompt"),
            "settings": {name: params.get(name) for name in SETTINGS_FIELDS},
            # What went in: by URL, or by the original name of a picture sent to the page or /generate.
            "inputs": [{"role": e["role"], "url": e.get("url"), "name": e.get("name")}
                       for e in entries_of(params)],
            "estimated_credits": record.credits_estimated,
            "credits_reserved": record.credits_reserved,
            "created_at": _iso(record.created_at),
        }
        if not record.terminal:
            left = self.runtime.estimates.seconds_left(record)  # learned run times (jobs/estimate.py)
            out["queue_position"] = record.queue_position
            out["expected_wait_seconds"] = None if left is None else round(left)
        if record.error_message or record.error_hint or record.error_code:
            out.update(message=record.error_message, hint=record.error_hint, error_code=record.error_code)
        if record.status == JobStatus.COMPLETED:
            out.update(self._files(record, caller))
        return out

    def _files(self, record: JobRecord, caller: Caller) -> dict[str, Any]:
        links = MediaLinks(self.store)  # presigned bucket links, the owner-checked route, or our files
        return {
            "video_url": links.absolute(caller.base_url, links.link(record.video_path)),
            "poster_url": links.absolute(caller.base_url, links.link(record.poster_path)),
            "video_duration": record.video_duration,
            "width": record.width,
            "height": record.height,
            "has_audio": record.has_audio,
            "size_bytes": record.video_size,
            "completed_at": _iso(record.completed_at),
        }

    # -- helpers ----------------------------------------------------------------------------------------
    async def _submit(self, caller: Caller, request: GenerationRequest, key: str | None = None) -> JobRecord:
        """The caller's new job; with an idempotency key they used before, the job it made (no new one)."""
        try:
            record, _new = await asyncio.to_thread(
                submit_once, self.manager, caller.owner, key or None,
                lambda: self.manager.submit(request, caller.owner, caller.api_key, address=caller.address),
            )
            return record
        except ValidationError as exc:  # a media rule, measured on the files: nothing was uploaded or sent
            raise refusal([f"{exc.field}: {exc.rule}"]) from None
        except SeedanceError as exc:  # refusals (key policy, budget, rate limit) and edge rules
            raise ToolError(f"{exc.message} {exc.hint}".strip()) from None

    async def _own(self, caller: Caller, job_id: str) -> JobRecord:
        record = await asyncio.to_thread(self.manager.get, job_id, caller.owner)
        if record is None:
            raise ToolError(
                "job_id: no job with this id belongs to you (jobs belong to the key in the "
                f"{KEY_HEADER} header that started them, or without a key to the address that did)"
            )
        return record

    async def _resume(self, caller: Caller) -> None:
        """After a restart, a caller's key lets the server follow its jobs again (kept in memory only)."""
        if caller.api_key:
            await asyncio.to_thread(self.manager.resume_with_key, caller.owner, caller.api_key)

    @staticmethod
    def _failure(record: JobRecord) -> str:
        message = (record.error_message or record.status.label).rstrip(".")
        code = f" [{record.error_code}]" if record.error_code else ""
        hint = f" {record.error_hint}" if record.error_hint else ""
        return f"Job {record.id} ended {record.status.value}: {message}{code}.{hint}"
